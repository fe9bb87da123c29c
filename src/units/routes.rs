//! Units over HTTP: listing and reading as GeoJSON, and imports.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Json;

use super::geojson::{feature_collection, unit_feature};
use super::import::{import, ImportOptions};
use super::{Level, UnitCode};
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
/// order. `parent` lists the direct children of that unit.
async fn list_units(
    State(state): State<AppState>,
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
    let body = feature_collection(units, crs);
    Ok(([(header::CONTENT_TYPE, GEOJSON)], Json(body)).into_response())
}

/// `GET /api/v1/units/{code}`: one current unit as a Feature, with its version as ETag.
async fn get_unit(
    State(state): State<AppState>,
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
    let etag = format!("\"{}-v{}\"", unit.code, unit.version);
    Ok((
        [
            (header::CONTENT_TYPE, GEOJSON.to_owned()),
            (header::ETAG, etag),
        ],
        Json(unit_feature(unit, crs)),
    )
        .into_response())
}

/// `POST /api/v1/units/import?repair=&dry_run=`: a GeoJSON FeatureCollection of units, validated
/// whole; any problem → 422 with every problem and nothing written.
async fn import_units(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    authorise_admin(&state, &headers)?;
    let p = Params::parse(q.as_deref())?;
    let opts = ImportOptions {
        repair: p.flag("repair")?,
        dry_run: p.flag("dry_run")?,
        tolerances: state.config.tolerances(),
    };
    let _writer = state.writer.lock().await;
    let snap = state.snapshot.load();
    let report = import(state.store.as_ref(), &body, &snap, &opts, "http-admin").await?;
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

/// Until accounts exist (issue: access control), imports over HTTP need the configured admin
/// token; without one configured they are refused.
fn authorise_admin(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = state.config.admin_token.as_deref() else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "HTTP imports are disabled: set WANGGE_ADMIN_TOKEN or use `wangge import`",
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if given
        .map(str::as_bytes)
        .is_some_and(|g| constant_time_eq(g, expected.as_bytes()))
    {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid `Authorization: Bearer <admin token>` is required",
        ))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
