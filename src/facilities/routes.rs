//! Facility routes. Public, no sign-in: the catalogue, the finder (`nearby`, `circle`), one
//! facility and the GeoJSON listing (facilities are public places; nothing personal is kept).
//! Staff with `EditFacilities` in the area: create, update (optimistic version), delete, import.
//! Every write is committed with its audit entry before the index is swapped and it answers.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::csv_import;
use super::finder::{self, Found, NearbyQuery};
use super::import::{self, Draft, Format};
use super::model::{Facility, FacilityInput};
use crate::auth::client::ClientInfo;
use crate::auth::{Action, AuditContext, Principal};
use crate::http::error::ApiError;
use crate::http::params::{lon_lat, ImportQuery, Params};
use crate::http::Routes;
use crate::spatial::crs::{Crs, Wgs84};
use crate::tabular;
use crate::units::UnitCode;
use crate::AppState;

pub fn routes() -> Routes {
    vec![
        ("/api/v1/facility-categories", get(categories)),
        ("/api/v1/facilities", get(list).post(create)),
        ("/api/v1/facilities/nearby", get(nearby)),
        ("/api/v1/facilities/circle", get(circle)),
        ("/api/v1/facilities/import", post(import_file)),
        (
            "/api/v1/facilities/{id}",
            get(read).put(update).delete(delete),
        ),
    ]
}

/// `GET /api/v1/facility-categories`: the ten elements with their targets and kinds.
async fn categories(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "categories": state.facilities.catalogue.categories,
        "walking": state.facilities.walking_label,
    }))
}

/// The query's point in WGS84 (`lon`, `lat`, `crs`), checked.
fn point(p: &Params) -> Result<Wgs84, ApiError> {
    let crs = p.crs()?;
    let (lon, lat) = lon_lat(p.required("lon")?, p.required("lat")?)?;
    Ok(crs.to_wgs84(lon, lat))
}

/// `GET /api/v1/facilities/nearby?lon=&lat=&crs=&category=&minutes=&limit=`
async fn nearby(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    let service = &state.facilities;
    let query = NearbyQuery::new(
        &service.catalogue,
        point(&p)?,
        p.get("category").map(str::to_owned),
        p.parsed::<f64>("minutes")?,
        p.parsed::<usize>("limit")?,
    )?;
    let index = service.index.load();
    let found = finder::nearby(
        &index,
        &service.catalogue,
        service.walking.as_ref(),
        &query,
        Utc::now(),
    );
    Ok(Json(NearbyAnswer {
        from: query.from,
        walking: &service.walking_label,
        facilities: found,
    })
    .into_response())
}

/// The `nearby` answer, serialised straight from its parts: it is the busiest public answer.
#[derive(Serialize)]
struct NearbyAnswer<'a> {
    from: Wgs84,
    walking: &'a Value,
    facilities: Vec<Found>,
}

/// `GET /api/v1/facilities/circle?lon=&lat=&crs=`: which elements lie within their target.
async fn circle(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    let from = point(&p)?;
    let service = &state.facilities;
    let index = service.index.load();
    let elements = finder::circle(
        &index,
        &service.catalogue,
        service.walking.as_ref(),
        from,
        Utc::now(),
    );
    let missing: Vec<&str> = elements
        .iter()
        .filter(|e| !e.within_target)
        .map(|e| e.category.as_str())
        .collect();
    Ok(Json(CircleAnswer {
        from,
        walking: &service.walking_label,
        complete: missing.is_empty(),
        missing,
        elements: &elements,
    })
    .into_response())
}

#[derive(Serialize)]
struct CircleAnswer<'a> {
    from: Wgs84,
    walking: &'a Value,
    complete: bool,
    missing: Vec<&'a str>,
    elements: &'a [finder::ElementReach],
}

/// What follows every committed facility write, once the index holds it: the coverage analysis
/// and the map tiles over the places written.
async fn written(state: &AppState, changes: &[(Option<Facility>, Option<Facility>)]) {
    state.tiles.facilities_written(changes);
    state.coverage.facilities_written(state, changes).await;
}

fn no_facility(id: &str) -> ApiError {
    ApiError::not_found(format!("no facility {id}"))
}

/// `GET /api/v1/facilities/{id}`
async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Facility>, ApiError> {
    let index = state.facilities.index.load();
    let f = id
        .parse::<i64>()
        .ok()
        .and_then(|n| index.get(n).cloned())
        .ok_or_else(|| no_facility(&id))?;
    Ok(Json(Facility::clone(&f)))
}

/// A facility as a GeoJSON Feature (the import reads it back).
pub fn feature(f: &Facility) -> Value {
    json!({
        "type": "Feature",
        "id": f.id,
        "geometry": {"type": "Point", "coordinates": [f.location.lon, f.location.lat]},
        "properties": {
            "external_id": f.external_id, "category": f.category, "kind": f.kind,
            "name": f.name, "address": f.address, "opening_hours": f.opening_hours,
            "capacity": f.capacity, "contact": f.contact, "units": f.units,
            "version": f.version,
        },
    })
}

/// `GET /api/v1/facilities?category=&unit=`: a FeatureCollection of the facilities of a
/// category (or all) within a unit (or everywhere), by id.
async fn list(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let p = Params::parse(q.as_deref())?;
    let category = p.get("category");
    if let Some(c) = category {
        if state.facilities.catalogue.get(c).is_none() {
            return Err(finder::FinderError::UnknownCategory(c.to_owned()).into());
        }
    }
    let unit = p
        .get("unit")
        .map(|u| UnitCode::parse(u).map_err(|e| ApiError::bad_request("invalid_unit_code", e)))
        .transpose()?;
    let index = state.facilities.index.load();
    let mut chosen: Vec<&Facility> = index
        .iter()
        .map(|f| f.as_ref())
        .filter(|f| category.is_none_or(|c| f.category == c))
        .filter(|f| {
            unit.as_ref()
                .is_none_or(|u| f.units.iter().any(|c| c == u.as_str()))
        })
        .collect();
    chosen.sort_by_key(|f| f.id);
    Ok(Json(json!({
        "type": "FeatureCollection",
        "features": chosen.into_iter().map(feature).collect::<Vec<_>>(),
    })))
}

/// The body of a create or update: the import's fields, `category` by code or name.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FacilityBody {
    external_id: Option<String>,
    category: String,
    kind: Option<String>,
    name: String,
    lon: f64,
    lat: f64,
    crs: Option<Crs>,
    address: Option<String>,
    opening_hours: Option<String>,
    capacity: Option<u32>,
    contact: Option<String>,
    /// The version the client read; required by an update.
    version: Option<i64>,
}

impl FacilityBody {
    fn parse(body: &[u8]) -> Result<FacilityBody, ApiError> {
        serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request("invalid_json", format!("facility body: {e}")))
    }

    fn into_input(self, state: &AppState) -> Result<FacilityInput, ApiError> {
        crate::http::params::check_range(self.lon, self.lat)?;
        let blank = |t: Option<String>| t.filter(|s| !s.trim().is_empty());
        let draft = Draft {
            external_id: blank(self.external_id),
            category: self.category,
            kind: blank(self.kind),
            name: self.name,
            address: blank(self.address),
            opening_hours: blank(self.opening_hours),
            capacity: self.capacity,
            contact: blank(self.contact),
            lon: self.lon,
            lat: self.lat,
            crs: self.crs.unwrap_or_default(),
        };
        draft
            .resolve(&state.facilities.catalogue)
            .map_err(|e| ApiError::bad_request("invalid_facility", e))
    }
}

/// The unit the principal may write a facility at `point` in; 403 outside its area.
fn place(state: &AppState, principal: &Principal, point: Wgs84) -> Result<UnitCode, ApiError> {
    principal.require(Action::EditFacilities)?;
    let snap = state.snapshot.load();
    tabular::place(&snap, point, |_| true)
        .map_err(|e| ApiError::bad_request("outside_every_unit", e))
        .and_then(|code| {
            principal.authorise_all(Action::EditFacilities, [&code])?;
            Ok(code)
        })
}

/// `POST /api/v1/facilities`: 201 with the stored facility.
async fn create(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    body: Bytes,
) -> Result<(StatusCode, HeaderMap, Json<Facility>), ApiError> {
    principal.require(Action::EditFacilities)?;
    let body = FacilityBody::parse(&body)?;
    if body.version.is_some() {
        return Err(ApiError::bad_request(
            "invalid_facility",
            "a new facility takes no version",
        ));
    }
    let input = body.into_input(&state)?;
    let unit = place(&state, &principal, input.location)?;
    let audit = AuditContext::of(&principal, &client);
    let _writer = state.writer.lock().await;
    let created = state
        .store
        .create_facility(&input, &unit, &audit, Utc::now())
        .await?;
    state.facilities.index.upsert(created.clone());
    written(&state, &[(None, Some(created.clone()))]).await;
    let mut headers = HeaderMap::new();
    if let Ok(v) = format!("/api/v1/facilities/{}", created.id).parse() {
        headers.insert(header::LOCATION, v);
    }
    Ok((StatusCode::CREATED, headers, Json(created)))
}

/// The stored facility `id`, when it lies in the principal's area; 404 otherwise.
fn editable(state: &AppState, principal: &Principal, id: &str) -> Result<Facility, ApiError> {
    principal.require(Action::EditFacilities)?;
    let index = state.facilities.index.load();
    let f = id
        .parse::<i64>()
        .ok()
        .and_then(|n| index.get(n).cloned())
        .ok_or_else(|| no_facility(id))?;
    let unit = f
        .unit_code()
        .and_then(|c| UnitCode::parse(c).ok())
        .ok_or_else(|| no_facility(id))?;
    principal.authorise(Action::EditFacilities, &unit, || no_facility(id))?;
    Ok(Facility::clone(&f))
}

/// `PUT /api/v1/facilities/{id}`: the whole facility with the `version` read; 409 when it has
/// moved on since.
async fn update(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Facility>, ApiError> {
    let before = editable(&state, &principal, &id)?;
    let body = FacilityBody::parse(&body)?;
    let version = body.version.ok_or_else(|| {
        ApiError::bad_request(
            "invalid_facility",
            "an update names the `version` it was made from",
        )
    })?;
    let input = body.into_input(&state)?;
    let unit = place(&state, &principal, input.location)?;
    let audit = AuditContext::of(&principal, &client);
    let _writer = state.writer.lock().await;
    let after = state
        .store
        .update_facility(before.id, version, &input, &unit, &audit, Utc::now())
        .await?
        .ok_or_else(|| no_facility(&id))?;
    state.facilities.index.upsert(after.clone());
    written(&state, &[(Some(before), Some(after.clone()))]).await;
    Ok(Json(after))
}

/// `DELETE /api/v1/facilities/{id}`
async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let f = editable(&state, &principal, &id)?;
    let audit = AuditContext::of(&principal, &client);
    let _writer = state.writer.lock().await;
    let gone = state
        .store
        .delete_facility(f.id, &audit, Utc::now())
        .await?
        .ok_or_else(|| no_facility(&id))?;
    state.facilities.index.remove(gone.id);
    written(&state, &[(Some(gone.clone()), None)]).await;
    Ok(Json(json!({"deleted": gone})))
}

/// Whether an import body is CSV or GeoJSON: `format=` or the Content-Type.
fn is_csv(p: &Params, headers: &HeaderMap) -> Result<bool, ApiError> {
    let key = p.body_format(headers);
    if key.contains("csv") {
        Ok(true)
    } else if key.contains("json") {
        Ok(false)
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send text/csv or application/geo+json, or say format=csv|geojson",
        ))
    }
}

/// `POST /api/v1/facilities/import?format=&dry_run=&crs=&encoding=&mapping=`: CSV or GeoJSON.
/// Good rows are upserted (external id, then category + name + address) in one transaction with
/// one audit entry; rows that fail are reported where they are with the reason.
async fn import_file(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    principal.require(Action::EditFacilities)?;
    let params = Params::parse(raw.as_deref())?;
    let query = ImportQuery::parse(&params)?;
    let overrides = csv_import::parse_overrides(query.mapping)
        .map_err(|e| ApiError::bad_request("invalid_mapping", e))?;
    let format = if is_csv(&params, &headers)? {
        Format::Csv {
            encoding: query.encoding,
            overrides: &overrides,
        }
    } else {
        Format::GeoJson
    };
    let _writer = state.writer.lock().await;
    let snap = state.snapshot.load();
    let checked = import::check(
        &body,
        format,
        query.crs,
        &state.facilities.catalogue,
        &snap,
        |code| principal.covers(code),
    )
    .map_err(|e| ApiError::bad_request("invalid_file", e))?;
    let rows: Vec<_> = checked
        .rows
        .into_iter()
        .map(|(f, code, _)| (f, code))
        .collect();
    let done = if query.dry_run || rows.is_empty() {
        None
    } else {
        let audit = AuditContext::of(&principal, &client);
        let done = state
            .store
            .upsert_facilities(&rows, "http", &audit, Utc::now())
            .await?;
        let earlier = state.facilities.index.load();
        state.facilities.reload(state.store.as_ref()).await?;
        let changes: Vec<_> = done
            .written
            .iter()
            .map(|f| {
                (
                    earlier.get(f.id).map(|e| Facility::clone(e)),
                    Some(f.clone()),
                )
            })
            .collect();
        written(&state, &changes).await;
        Some(done)
    };
    Ok(Json(json!({
        "dry_run": query.dry_run,
        "encoding": checked.encoding,
        "mapping": checked.mapping,
        "rows": rows.len() + checked.problems.len(),
        "valid": rows.len(),
        "created": done.as_ref().map_or(0, |d| d.created),
        "updated": done.as_ref().map_or(0, |d| d.updated),
        "unchanged": done.as_ref().map_or(0, |d| d.unchanged),
        "problems": checked.problems,
    })))
}
