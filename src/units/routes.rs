//! Units over HTTP: listing and reading as GeoJSON, and imports.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Json;

use super::geojson::{feature_collection_for, outline_feature, unit_feature};
use super::import::{check, write, ImportOptions};
use super::{Level, UnitCode};
use crate::auth::client::ClientInfo;
use crate::auth::{Action, AuditContext, Principal};
use crate::http::error::ApiError;
use crate::http::params::{bbox, Params};
use crate::http::Routes;
use crate::AppState;

pub fn routes() -> Routes {
    vec![
        ("/api/v1/units", get(list_units)),
        ("/api/v1/units/import", post(import_units)),
        ("/api/v1/units/{code}", get(get_unit)),
    ]
}

const GEOJSON: &str = "application/geo+json";

/// `GET /api/v1/units?level=&parent=&bbox=&crs=`: current units as a FeatureCollection, in code
/// order. `parent` lists the direct children of that unit. Outlines and names are public; the
/// free attributes only go to signed-in accounts whose area holds the unit.
async fn list_units(
    State(state): State<AppState>,
    principal: Option<Principal>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    let level: Option<Level> = p.parsed("level")?;
    let parent: Option<UnitCode> = p.parsed("parent")?;
    let area = p.get("bbox").map(bbox).transpose()?;
    let crs = p.crs()?;
    let snap = state.snapshot.load();
    let candidates: Vec<u32> = match (&parent, area) {
        (Some(code), _) => {
            let i = snap
                .index_of(code)
                .ok_or_else(|| ApiError::not_found(format!("no current unit with code {code}")))?;
            snap.children_of(i).to_vec()
        }
        (None, Some(b)) => snap.in_bbox(b),
        (None, None) => (0..snap.len() as u32).collect(),
    };
    let units = candidates
        .into_iter()
        .map(|i| snap.unit(i))
        .filter(|u| level.is_none_or(|l| u.level == l))
        .filter(|u| area.is_none_or(|b| b.intersects(&crate::spatial::Bbox::of(&u.geometry))));
    let body = feature_collection_for(units, crs, |u| detailed(principal.as_ref(), u));
    Ok(([(header::CONTENT_TYPE, GEOJSON)], Json(body)).into_response())
}

/// `GET /api/v1/units/{code}`: one current unit as a Feature, with its version as ETag.
async fn get_unit(
    State(state): State<AppState>,
    principal: Option<Principal>,
    Path(code): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    let crs = p.crs()?;
    let code = UnitCode::parse(&code).map_err(|m| ApiError::bad_request("invalid_code", m))?;
    let snap = state.snapshot.load();
    let unit = snap
        .get(&code)
        .ok_or_else(|| ApiError::not_found(format!("no current unit with code {code}")))?;
    let mut feature = if detailed(principal.as_ref(), unit) {
        unit_feature(unit, crs)
    } else {
        outline_feature(unit, crs)
    };
    // Household counts are personal-data aggregates: staff who read households in the area only.
    // They change without the unit's version, so such answers carry no ETag.
    if principal.is_some_and(|p| p.may(Action::ReadHouseholds) && p.covers(&unit.code)) {
        let counts = state.store.household_counts(&unit.code).await?;
        feature.set_property("counts", serde_json::json!(counts));
        return Ok(([(header::CONTENT_TYPE, GEOJSON)], Json(feature)).into_response());
    }
    let etag = format!("\"{}-v{}\"", unit.code, unit.version);
    Ok((
        [
            (header::CONTENT_TYPE, GEOJSON.to_owned()),
            (header::ETAG, etag),
        ],
        Json(feature),
    )
        .into_response())
}

/// `POST /api/v1/units/import?repair=&dry_run=`: a GeoJSON FeatureCollection of units, validated
/// whole; any problem → 422 with every problem and nothing written. Admins import anything,
/// planners units within their scopes.
async fn import_units(
    State(state): State<AppState>,
    client: ClientInfo,
    principal: Principal,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    principal.require(Action::EditUnits)?;
    let p = Params::parse(q.as_deref())?;
    let opts = ImportOptions {
        repair: p.flag("repair")?,
        dry_run: p.flag("dry_run")?,
        tolerances: state.config.tolerances(),
    };
    let _writer = state.writer.lock().await;
    let snap = state.snapshot.load();
    let (units, report) = check(&body, &snap, &opts);
    // Planners import within their scopes only; one unit outside refuses the whole import,
    // naming only codes the client sent.
    principal.authorise_all(Action::EditUnits, units.iter().map(|u| &u.code))?;
    let audit = AuditContext::of(&principal, &client);
    let report = write(state.store.as_ref(), &units, report, &opts, &audit).await?;
    if !report.problems.is_empty() {
        let details = serde_json::to_value(&report).unwrap_or_default();
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_units",
            format!(
                "{} problem(s) found in {} feature(s); nothing was written",
                report.problems.len(),
                report.features
            ),
        )
        .with_details(details));
    }
    if report.written {
        state.reload_snapshot().await?;
    }
    Ok(Json(report).into_response())
}

/// Whether the asker sees the free attributes of `unit`: signed in, and the unit in its area.
fn detailed(principal: Option<&Principal>, unit: &super::Unit) -> bool {
    principal.is_some_and(|p| p.may(Action::ReadUnitDetails) && p.covers(&unit.code))
}
