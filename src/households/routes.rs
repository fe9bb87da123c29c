//! Household routes, for staff only: CSV import, read and delete. Anonymous callers get 401;
//! a household outside the caller's area answers 404 like a missing one. Phones leave masked.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::routing::{get, post};
use axum::Json;
use chrono::Utc;
use serde_json::{json, Value};

use super::csv_import;
use super::model::{mask_phone, Household};
use crate::auth::client::ClientInfo;
use crate::auth::{Action, AuditContext, Principal};
use crate::http::error::ApiError;
use crate::http::params::{ImportQuery, Params};
use crate::http::Routes;
use crate::AppState;

pub fn routes() -> Routes {
    vec![
        ("/api/v1/households/import", post(import)),
        ("/api/v1/households/{id}", get(read).delete(delete)),
    ]
}

/// A household as staff see it: the phone masked.
pub fn staff_view(h: &Household) -> Value {
    json!({
        "id": h.id,
        "address": h.address,
        "room": h.room,
        "head_name": h.head_name,
        "phone": mask_phone(&h.phone),
        "size": h.size,
        "tags": h.tags,
        "location": {"lon": h.lon, "lat": h.lat},
        "input_crs": h.input_crs,
        "unit_code": h.unit_code,
        "created_at": h.created_at,
        "updated_at": h.updated_at,
    })
}

fn no_household(id: &str) -> impl FnOnce() -> ApiError + '_ {
    move || ApiError::not_found(format!("no household {id}"))
}

/// The household, when it exists and lies in the principal's area for `action`; 404 otherwise.
async fn visible(
    state: &AppState,
    principal: &Principal,
    action: Action,
    id: &str,
) -> Result<Household, ApiError> {
    principal.require(action)?;
    let missing = no_household(id);
    let Ok(n) = id.parse::<i64>() else {
        return Err(missing());
    };
    let Some(h) = state.store.household(n).await? else {
        return Err(missing());
    };
    principal.authorise(action, &h.unit_code, missing)?;
    Ok(h)
}

/// `GET /api/v1/households/{id}`
async fn read(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let h = visible(&state, &principal, Action::ReadHouseholds, &id).await?;
    Ok(Json(staff_view(&h)))
}

/// `DELETE /api/v1/households/{id}`: committed with its audit entry before it answers.
async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let h = visible(&state, &principal, Action::EditHouseholds, &id).await?;
    let audit = AuditContext::of(&principal, &client);
    let gone = state
        .store
        .delete_household(h.id, &audit, Utc::now())
        .await?
        .ok_or_else(no_household(&id))?;
    state.coverage.households_written();
    Ok(Json(json!({"deleted": staff_view(&gone)})))
}

/// `POST /api/v1/households/import?dry_run=&crs=&encoding=&mapping=`: a CSV body. Good rows are
/// upserted on address + room in one transaction with one audit entry; rows that fail (bad
/// cells, a location outside every unit or outside the caller's area) are reported with their
/// line and reason. `dry_run=true` answers the same without writing.
async fn import(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    principal.require(Action::EditHouseholds)?;
    let params = Params::parse(raw.as_deref())?;
    let query = ImportQuery::parse(&params)?;
    let overrides = csv_import::parse_overrides(query.mapping)
        .map_err(|e| ApiError::bad_request("invalid_mapping", e))?;
    let snap = state.snapshot.load();
    let checked = csv_import::check(&body, query.encoding, &overrides, query.crs, |h| {
        csv_import::place_in(&snap, h, |code| principal.covers(code))
    })
    .map_err(|e| ApiError::bad_request("invalid_csv", e))?;
    let rows: Vec<_> = checked
        .rows
        .into_iter()
        .map(|(h, code, _)| (h, code))
        .collect();
    let done = if query.dry_run || rows.is_empty() {
        None
    } else {
        let audit = AuditContext::of(&principal, &client);
        Some(
            state
                .store
                .upsert_households(&rows, "http", &audit, Utc::now())
                .await
                .inspect(|_| state.coverage.households_written())?,
        )
    };
    Ok(Json(json!({
        "dry_run": query.dry_run,
        "encoding": checked.encoding,
        "mapping": checked.mapping,
        "rows": rows.len() + checked.problems.len(),
        "valid": rows.len(),
        "created": done.map_or(0, |d| d.created),
        "updated": done.map_or(0, |d| d.updated),
        "problems": checked.problems,
    })))
}
