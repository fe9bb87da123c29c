//! The HTTP edge: merges the domain modules' routes, the one error shape, query parsing, the
//! OpenAPI document, operations endpoints and the static web front end. Owns nothing of the domain.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, MethodRouter};
use axum::{Json, Router};
use serde_json::json;
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

use crate::AppState;

pub mod error;
pub mod openapi;
pub mod params;

/// A domain module's routes: path and handlers.
pub type Routes = Vec<(&'static str, MethodRouter<AppState>)>;

/// Every API route of the service, in one list (the OpenAPI test compares against it).
pub fn all_routes() -> Routes {
    let mut r: Routes = vec![
        ("/healthz", get(healthz)),
        ("/readyz", get(readyz)),
        ("/api/openapi.json", get(openapi_json)),
    ];
    r.extend(crate::units::routes::routes());
    r.extend(crate::spatial::routes::routes());
    r.extend(crate::auth::routes::routes());
    r.extend(crate::maps::routes::routes());
    r.extend(crate::reports::routes::routes());
    r.extend(crate::reports::open311::routes());
    r.extend(crate::reports::notifications::routes());
    r.extend(crate::households::routes::routes());
    r.extend(crate::facilities::routes::routes());
    r.extend(crate::coverage::routes::routes());
    r
}

/// Paths that take large bodies (batch assignment, imports).
const BATCH_PATHS: [&str; 4] = [
    "/api/v1/assign/batch",
    "/api/v1/units/import",
    "/api/v1/households/import",
    "/api/v1/facilities/import",
];

pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for (path, handler) in all_routes() {
        let limit = if BATCH_PATHS.contains(&path) {
            state.config.max_batch_body_bytes
        } else {
            state.config.max_body_bytes
        };
        let mut handler = handler.layer(DefaultBodyLimit::max(limit));
        if crate::auth::rate_limit::PUBLIC_WRITE_PATHS.contains(&path) {
            handler = handler.layer(crate::auth::rate_limit::RateLimitLayer::new(state.clone()));
        }
        router = router.route(path, handler);
    }
    let web = ServeDir::new(&state.config.web_dir).append_index_html_on_directories(true);
    router
        .fallback_service(web)
        .layer(axum::middleware::from_fn(error::json_errors))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::headers::security_headers,
        ))
        .layer(tower::util::option_layer(crate::auth::headers::cors(
            &state.config,
        )))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// Ready when the store answers and a snapshot is loaded.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let store_ok = state.store.ping().await.is_ok();
    let snap = state.snapshot.load();
    let ready = store_ok && state.is_loaded();
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "store": { "kind": state.store.kind(), "reachable": store_ok },
        "snapshot": { "loaded": state.is_loaded(), "version": snap.version, "units": snap.len() },
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

async fn openapi_json() -> impl IntoResponse {
    Json(openapi::document())
}
