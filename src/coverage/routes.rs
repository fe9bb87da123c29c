//! Coverage routes, for staff who read households, within their area: the share of households
//! within target of each element for a unit and the units below it, the households out of
//! reach, the area out of reach, H3 cells, candidate places, and the table as CSV or GeoJSON.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Json;
use h3o::Resolution;
use serde_json::{json, Value};

use super::analysis::{Coverage, Tally};
use super::areas;
use crate::auth::{Action, Principal};
use crate::facilities::{FacilityCategory, FacilityService};
use crate::http::error::ApiError;
use crate::http::params::Params;
use crate::http::Routes;
use crate::units::{Unit, UnitCode};
use crate::AppState;

pub fn routes() -> Routes {
    vec![
        ("/api/v1/coverage", get(summary)),
        ("/api/v1/coverage/unreached", get(unreached)),
        ("/api/v1/coverage/areas", get(unreached_areas)),
        ("/api/v1/coverage/cells", get(cells)),
        ("/api/v1/coverage/candidates", get(candidates)),
        ("/api/v1/coverage/export", get(export)),
    ]
}

/// Most households `unreached` lists in one answer.
const UNREACHED_MAX: u32 = 10_000;

/// What every coverage request starts from: the unit asked for (within the caller's area),
/// the analysis and the service.
struct Asked {
    unit: Unit,
    coverage: Arc<Coverage>,
    params: Params,
}

async fn asked(
    state: &AppState,
    principal: &Principal,
    raw: Option<&str>,
) -> Result<Asked, ApiError> {
    principal.require(Action::ReadHouseholds)?;
    let params = Params::parse(raw)?;
    let code = UnitCode::parse(params.required("unit")?)
        .map_err(|e| ApiError::bad_request("invalid_unit_code", e))?;
    principal.authorise_all(Action::ReadHouseholds, [&code])?;
    let unit = state
        .snapshot
        .load()
        .get(&code)
        .cloned()
        .ok_or_else(|| ApiError::not_found(format!("no unit {code}")))?;
    let coverage = state.coverage.get(state).await?;
    Ok(Asked {
        unit,
        coverage,
        params,
    })
}

/// The category `category=` names, with its position in the catalogue.
fn category<'s>(
    service: &'s FacilityService,
    p: &Params,
) -> Result<(usize, &'s FacilityCategory), ApiError> {
    let code = p.required("category")?;
    service
        .catalogue
        .categories
        .iter()
        .enumerate()
        .find(|(_, c)| c.code == code)
        .ok_or_else(|| {
            crate::facilities::finder::FinderError::UnknownCategory(code.to_owned()).into()
        })
}

fn resolution(p: &Params) -> Result<Resolution, ApiError> {
    let r = p.parsed::<u8>("resolution")?.unwrap_or(9);
    match Resolution::try_from(r) {
        Ok(res) if (7..=11).contains(&r) => Ok(res),
        _ => Err(ApiError::bad_request(
            "invalid_resolution",
            format!("resolution {r}: must be 7 to 11"),
        )),
    }
}

/// One unit's tally as the API shows it: households, and per element covered and share.
fn tally_view(service: &FacilityService, t: &Tally) -> Value {
    let elements: Vec<Value> = service
        .catalogue
        .categories
        .iter()
        .zip(&t.covered)
        .map(|(c, &n)| {
            json!({
                "category": c.code, "element": c.element, "target_minutes": c.target_minutes,
                "covered": n, "share": share(n, t.households),
            })
        })
        .collect();
    json!({"households": t.households, "elements": elements})
}

fn share(n: u32, of: u32) -> Option<f64> {
    (of > 0).then(|| f64::from(n) / f64::from(of))
}

/// `GET /api/v1/coverage?unit=`: the unit's shares and those of its children.
async fn summary(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let a = asked(&state, &principal, q.as_deref()).await?;
    let service = &state.facilities;
    let n = service.catalogue.categories.len();
    let tallies = a.coverage.tallies(&a.unit.code, n);
    let empty = Tally {
        households: 0,
        covered: vec![0; n],
    };
    let snap = state.snapshot.load();
    let children: Vec<Value> = snap
        .index_of(&a.unit.code)
        .map_or(&[][..], |i| snap.children_of(i))
        .iter()
        .map(|&j| snap.unit(j))
        .map(|child| {
            let t = tallies.get(child.code.as_str()).unwrap_or(&empty);
            let mut v = tally_view(service, t);
            v["code"] = json!(child.code);
            v["name"] = json!(child.name);
            v
        })
        .collect();
    let mut body = tally_view(service, tallies.get(a.unit.code.as_str()).unwrap_or(&empty));
    body["unit"] = json!({"code": a.unit.code, "name": a.unit.name, "level": a.unit.level});
    body["walking"] = json!({"method": service.walking.method(), "estimate": true,
        "parameters": service.walking.parameters()});
    body["children"] = json!(children);
    Ok(Json(body))
}

/// `GET /api/v1/coverage/unreached?unit=&category=&limit=`: the households of the unit that no
/// facility of the category reaches within target (address and place; no name or phone).
async fn unreached(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let a = asked(&state, &principal, q.as_deref()).await?;
    let (c, cat) = category(&state.facilities, &a.params)?;
    let limit = a.params.limit(1_000, UNREACHED_MAX)? as usize;
    let all: Vec<usize> = a.coverage.unreached(&a.unit.code, c).collect();
    let households: Vec<Value> = all
        .iter()
        .take(limit)
        .map(|&i| {
            let h = a.coverage.population.household(i);
            json!({"id": h.id, "address": h.address, "room": h.room,
                   "location": {"lon": h.lon, "lat": h.lat}, "unit_code": h.unit_code})
        })
        .collect();
    Ok(Json(json!({
        "unit": a.unit.code, "category": cat.code, "target_minutes": cat.target_minutes,
        "total": all.len(), "truncated": all.len() > limit, "households": households,
    })))
}

/// `GET /api/v1/coverage/areas?unit=&category=`: per element (or the one named), the part of
/// the unit outside every facility's walking disc, as GeoJSON.
async fn unreached_areas(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let a = asked(&state, &principal, q.as_deref()).await?;
    let service = state.facilities.clone();
    let chosen: Vec<FacilityCategory> = match a.params.get("category") {
        Some(_) => vec![category(&service, &a.params)?.1.clone()],
        None => service.catalogue.categories.clone(),
    };
    let unit = a.unit.clone();
    let features = tokio::task::spawn_blocking(move || {
        let index = service.index.load();
        let unit_area = areas::area_m2(&unit.geometry);
        chosen
            .iter()
            .map(|c| {
                let left = areas::unreached_area(&unit, c, &index, service.walking.as_ref());
                let m2 = areas::area_m2(&left);
                json!({
                    "type": "Feature",
                    "geometry": geojson::Geometry::from(&left),
                    "properties": {
                        "unit": unit.code, "category": c.code, "element": c.element,
                        "target_minutes": c.target_minutes, "unreached_m2": m2,
                        "unreached_share": if unit_area > 0.0 { m2 / unit_area } else { 0.0 },
                    },
                })
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            e.to_string(),
        )
    })?;
    Ok(Json(
        json!({"type": "FeatureCollection", "features": features}),
    ))
}

/// `GET /api/v1/coverage/cells?unit=&resolution=`: the unit's households by H3 cell with the
/// share each element reaches, as GeoJSON for the map.
async fn cells(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let a = asked(&state, &principal, q.as_deref()).await?;
    let res = resolution(&a.params)?;
    let service = &state.facilities;
    let n = service.catalogue.categories.len();
    let features: Vec<Value> = areas::cell_tallies(&a.coverage, &a.unit.code, res, n)
        .iter()
        .map(|t| {
            let mut props = serde_json::Map::new();
            props.insert("cell".into(), json!(t.cell.to_string()));
            props.insert("households".into(), json!(t.households));
            for (c, &covered) in service.catalogue.categories.iter().zip(&t.covered) {
                props.insert(
                    format!("{}_share", c.code),
                    json!(share(covered, t.households)),
                );
            }
            json!({"type": "Feature", "geometry": areas::cell_polygon(t.cell), "properties": props})
        })
        .collect();
    Ok(Json(
        json!({"type": "FeatureCollection", "resolution": u8::from(res), "features": features}),
    ))
}

/// `GET /api/v1/coverage/candidates?unit=&category=&kind=&resolution=&limit=`: H3 cells ranked
/// by how many households lacking the element a facility there would reach within target.
async fn candidates(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let a = asked(&state, &principal, q.as_deref()).await?;
    let (c, cat) = category(&state.facilities, &a.params)?;
    let kind = a.params.get("kind");
    if let Some(k) = kind {
        if !cat.kinds.iter().any(|x| x.code == k) {
            return Err(ApiError::bad_request(
                "unknown_kind",
                format!("kind `{k}` is not a kind of `{}`", cat.code),
            ));
        }
    }
    let minutes = cat.target_for(kind);
    let res = resolution(&a.params)?;
    let limit = a.params.limit(10, 100)? as usize;
    let ranked = areas::candidates(
        &a.coverage,
        &a.unit.code,
        c,
        minutes,
        state.facilities.walking.as_ref(),
        res,
        limit,
    );
    let unreached = a.coverage.unreached(&a.unit.code, c).count();
    Ok(Json(json!({
        "unit": a.unit.code, "category": cat.code, "kind": kind, "target_minutes": minutes,
        "resolution": u8::from(res), "unreached": unreached, "candidates": ranked,
    })))
}

/// `GET /api/v1/coverage/export?unit=&format=csv|geojson`: the table of the unit and every
/// unit below it, one row per unit with households and, per element, covered and share.
async fn export(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let a = asked(&state, &principal, q.as_deref()).await?;
    let service = &state.facilities;
    let n = service.catalogue.categories.len();
    let tallies = a.coverage.tallies(&a.unit.code, n);
    let snap = state.snapshot.load();
    let empty = Tally {
        households: 0,
        covered: vec![0; n],
    };
    let mut units: Vec<&Unit> = snap
        .units()
        .iter()
        .filter(|u| u.code.is_within(&a.unit.code))
        .collect();
    units.sort_by(|x, y| x.code.cmp(&y.code));
    match a.params.get("format").unwrap_or("csv") {
        "csv" => {
            let mut out = csv::Writer::from_writer(Vec::new());
            let mut header = vec![
                "code".to_owned(),
                "name".into(),
                "level".into(),
                "households".into(),
            ];
            for c in &service.catalogue.categories {
                header.push(format!("{}_covered", c.code));
                header.push(format!("{}_share", c.code));
            }
            let write = |e: csv::Error| {
                ApiError::new(
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    e.to_string(),
                )
            };
            out.write_record(&header).map_err(write)?;
            for u in &units {
                let t = tallies.get(u.code.as_str()).unwrap_or(&empty);
                let mut row = vec![
                    u.code.to_string(),
                    u.name.clone(),
                    u.level.as_str().to_owned(),
                    t.households.to_string(),
                ];
                for &covered in &t.covered {
                    row.push(covered.to_string());
                    row.push(
                        share(covered, t.households).map_or(String::new(), |s| format!("{s:.4}")),
                    );
                }
                out.write_record(&row).map_err(write)?;
            }
            let bytes = out.into_inner().map_err(|e| write(e.into_error().into()))?;
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"coverage-{}.csv\"", a.unit.code),
                    ),
                ],
                bytes,
            )
                .into_response())
        }
        "geojson" => {
            let features: Vec<Value> = units
                .iter()
                .map(|u| {
                    let t = tallies.get(u.code.as_str()).unwrap_or(&empty);
                    let mut props = serde_json::Map::new();
                    props.insert("code".into(), json!(u.code));
                    props.insert("name".into(), json!(u.name));
                    props.insert("level".into(), json!(u.level));
                    props.insert("households".into(), json!(t.households));
                    for (c, &covered) in service.catalogue.categories.iter().zip(&t.covered) {
                        props.insert(format!("{}_covered", c.code), json!(covered));
                        props.insert(format!("{}_share", c.code), json!(share(covered, t.households)));
                    }
                    json!({"type": "Feature", "geometry": geojson::Geometry::from(&u.geometry), "properties": props})
                })
                .collect();
            Ok(Json(json!({"type": "FeatureCollection", "features": features})).into_response())
        }
        other => Err(ApiError::bad_request(
            "invalid_format",
            format!("format `{other}`: csv or geojson"),
        )),
    }
}
