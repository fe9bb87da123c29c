//! Staff notifications: the reports that were put in one's hands (as assignee, or in the queue
//! of a unit within one's area) since one last looked. The store's triggers write them with the
//! change itself; the dispatch board polls `?after=` for what is new.

use axum::extract::{RawQuery, State as AxumState};
use axum::routing::{get, post};
use axum::Json;
use serde_json::{json, Value};

use crate::auth::{Action, Principal, Role};
use crate::http::error::ApiError;
use crate::http::params::Params;
use crate::http::Routes;
use crate::store::notifications::Recipient;
use crate::AppState;

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 500;

pub fn routes() -> Routes {
    vec![
        ("/api/v1/notifications", get(list)),
        ("/api/v1/notifications/read", post(mark_read)),
    ]
}

fn recipient(principal: &Principal) -> Recipient {
    Recipient {
        username: principal.username.clone(),
        scopes: (!principal.is_admin()).then(|| principal.scopes.clone()),
        department: (principal.role == Role::Department)
            .then(|| principal.department.clone().unwrap_or_default()),
    }
}

/// `GET /api/v1/notifications?after=&limit=`: oldest first after `after` (default: what the
/// account has read), with the unread count and the cursor.
async fn list(
    AxumState(state): AxumState<AppState>,
    principal: Principal,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    principal.require(Action::ReadReports)?;
    let p = Params::parse(q.as_deref())?;
    let limit = p.limit(DEFAULT_LIMIT, MAX_LIMIT)?;
    let read_up_to = state.store.read_up_to(principal.account_id).await?;
    let after = match p.parsed::<i64>("after")? {
        Some(a) if a < 0 => {
            return Err(ApiError::bad_request(
                "invalid_parameter",
                "`after` must be a notification id (0 or more)",
            ))
        }
        Some(a) => a,
        None => read_up_to,
    };
    let to = recipient(&principal);
    let notifications = state.store.notifications(&to, after, limit).await?;
    let unread = state.store.count_notifications(&to, read_up_to).await?;
    Ok(Json(json!({
        "notifications": notifications,
        "unread": unread,
        "read_up_to": read_up_to,
        "next_after": notifications.last().map_or(after, |n| n.id),
    })))
}

/// `POST /api/v1/notifications/read {"up_to": ID}`: marks everything up to ID as read. The cursor
/// only moves forward, so two open tabs cannot unread each other's work.
async fn mark_read(
    AxumState(state): AxumState<AppState>,
    principal: Principal,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    principal.require(Action::ReadReports)?;
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("the body is not JSON: {e}")))?;
    let up_to = body
        .get("up_to")
        .and_then(Value::as_i64)
        .filter(|n| *n >= 0)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_field",
                "`up_to` must be a notification id (0 or more)",
            )
            .with_details(json!({ "field": "up_to" }))
        })?;
    let read_up_to = state.store.mark_read(principal.account_id, up_to).await?;
    let to = recipient(&principal);
    let unread = state.store.count_notifications(&to, read_up_to).await?;
    Ok(Json(json!({ "read_up_to": read_up_to, "unread": unread })))
}
