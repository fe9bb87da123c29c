//! Open311 GeoReport v2 under `/open311/v2/`: discovery, services (our catalogue categories),
//! service definitions, requests (list with the spec's filters, and form-encoded creation with
//! an `api_key`: one of our API tokens), one request, and tokens. JSON or XML by the path's
//! extension; errors in the spec's own shape (`[{"code", "description"}]`). Reports map to
//! `open` or `closed` (closed and merged), with the latest event's note as `status_notes`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::catalogue::{Catalogue, Handler};
use super::model::{Report, State as ReportState};
use super::{intake, xml};
use crate::auth::client::ClientInfo;
use crate::auth::{tokens, AuditContext, Via};
use crate::http::params::Params;
use crate::http::Routes;
use crate::store::reports::ReportFilter;
use crate::AppState;

const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";
const CHANGESET: &str = "2026-11-26T00:00:00Z";
/// The spec's default window of a request search, and its most requests.
const DEFAULT_DAYS: i64 = 90;
const MAX_REQUESTS: u32 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

pub fn routes() -> Routes {
    use Format::{Json, Xml};
    vec![
        (
            "/open311/v2/discovery.json",
            get(|s: State<AppState>, h: HeaderMap| discovery(s, h, Json)),
        ),
        (
            "/open311/v2/discovery.xml",
            get(|s: State<AppState>, h: HeaderMap| discovery(s, h, Xml)),
        ),
        (
            "/open311/v2/services.json",
            get(|s: State<AppState>| services(s, Json)),
        ),
        (
            "/open311/v2/services.xml",
            get(|s: State<AppState>| services(s, Xml)),
        ),
        (
            "/open311/v2/services/{code_format}",
            get(service_definition),
        ),
        (
            "/open311/v2/requests.json",
            get(|s: State<AppState>, q: RawQuery| list_requests(s, q, Json)).post(
                |s: State<AppState>, c: ClientInfo, h: HeaderMap, b: Bytes| {
                    create_request(s, c, h, b, Json)
                },
            ),
        ),
        (
            "/open311/v2/requests.xml",
            get(|s: State<AppState>, q: RawQuery| list_requests(s, q, Xml)).post(
                |s: State<AppState>, c: ClientInfo, h: HeaderMap, b: Bytes| {
                    create_request(s, c, h, b, Xml)
                },
            ),
        ),
        ("/open311/v2/requests/{id_format}", get(one_request)),
        ("/open311/v2/tokens/{token_format}", get(token)),
    ]
}

/// `noise.json` → (`noise`, JSON).
fn split_format(s: &str) -> Option<(&str, Format)> {
    match s.rsplit_once('.')? {
        (name, "json") if !name.is_empty() => Some((name, Format::Json)),
        (name, "xml") if !name.is_empty() => Some((name, Format::Xml)),
        _ => None,
    }
}

/// An answer in the format asked for: `root`/`item` name the XML elements.
fn answer(format: Format, status: StatusCode, root: &str, item: &str, value: &Value) -> Response {
    let (ctype, body) = match format {
        Format::Json => ("application/json; charset=utf-8", value.to_string()),
        Format::Xml => ("text/xml; charset=utf-8", xml::document(root, item, value)),
    };
    let mut res = (status, body).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    res
}

/// The spec's error answer.
fn error(format: Format, status: StatusCode, description: impl Into<String>) -> Response {
    let value = json!([{ "code": status.as_u16(), "description": description.into() }]);
    answer(format, status, "errors", "error", &value)
}

fn unavailable(format: Format, e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "store error");
    error(
        format,
        StatusCode::SERVICE_UNAVAILABLE,
        "the store could not complete the request; nothing was written",
    )
}

fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    match &state.config.public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            format!("http://{host}")
        }
    }
}

async fn discovery(State(state): State<AppState>, headers: HeaderMap, format: Format) -> Response {
    let value = json!({
        "changeset": CHANGESET,
        "contact": "The operator of this wangge service",
        "key_service": "api_key is an API token of a staff account (POST /api/v1/tokens)",
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": format!("{}/open311/v2", base_url(&state, &headers)),
            "changeset": CHANGESET,
            "type": "production",
            "formats": ["application/json", "text/xml"],
        }],
    });
    answer(format, StatusCode::OK, "discovery", "discovery", &value)
}

fn service(c: &super::Category) -> Value {
    let group = match &c.handler {
        Handler::Level(level) => level.chinese().to_owned(),
        Handler::Department(d) => d.clone(),
    };
    json!({
        "service_code": c.code,
        "service_name": c.name_zh,
        "description": c.name_en,
        "metadata": false,
        "type": "realtime",
        "keywords": c.code.replace('_', ","),
        "group": group,
    })
}

async fn catalogue(state: &AppState) -> Result<Catalogue, crate::store::StoreError> {
    Ok(Catalogue {
        categories: state.store.catalogue().await?,
    })
}

async fn services(State(state): State<AppState>, format: Format) -> Response {
    match catalogue(&state).await {
        Ok(c) => {
            let list: Vec<Value> = c.categories.iter().map(service).collect();
            answer(
                format,
                StatusCode::OK,
                "services",
                "service",
                &Value::from(list),
            )
        }
        Err(e) => unavailable(format, e),
    }
}

async fn service_definition(
    State(state): State<AppState>,
    Path(code_format): Path<String>,
) -> Response {
    let Some((code, format)) = split_format(&code_format) else {
        return error(
            Format::Json,
            StatusCode::NOT_FOUND,
            "use services/{code}.json or .xml",
        );
    };
    match catalogue(&state).await {
        Ok(c) if c.get(code).is_some() => {
            let value = json!({ "service_code": code, "attributes": [] });
            answer(
                format,
                StatusCode::OK,
                "service_definition",
                "service_definition",
                &value,
            )
        }
        Ok(_) => error(
            format,
            StatusCode::NOT_FOUND,
            format!("no service `{code}`"),
        ),
        Err(e) => unavailable(format, e),
    }
}

/// One report as an Open311 request, with the latest non-empty note of its events as
/// `status_notes`: never the reporter's contact.
fn request_view(r: &Report, latest_note: Option<&str>, catalogue: &Catalogue) -> Value {
    let status_notes = match (&r.state, &r.merged_into) {
        (ReportState::Merged, Some(original)) => Some(format!("duplicate of {original}")),
        _ => latest_note.map(str::to_owned),
    };
    let agency = match &r.handler {
        Handler::Department(d) => d.clone(),
        Handler::Level(_) => r
            .chain
            .iter()
            .find(|u| u.code == r.queue_unit)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| r.queue_unit.to_string()),
    };
    let address: Vec<&str> = r.chain.iter().map(|u| u.name.as_str()).collect();
    json!({
        "service_request_id": r.id,
        "status": if r.state.is_open() { "open" } else { "closed" },
        "status_notes": status_notes,
        "service_name": catalogue.get(&r.category).map(|c| c.name_zh.clone()),
        "service_code": r.category,
        "description": r.description,
        "agency_responsible": agency,
        "service_notice": null,
        "requested_datetime": r.created_at,
        "updated_datetime": r.updated_at,
        "expected_datetime": r.handle_due,
        "address": address.join(" "),
        "address_id": null,
        "zipcode": null,
        "lat": r.location.lat,
        "long": r.location.lon,
        "media_url": r.media.first(),
    })
}

async fn request_list(state: &AppState, reports: &[Report], format: Format) -> Response {
    let catalogue = match catalogue(state).await {
        Ok(c) => c,
        Err(e) => return unavailable(format, e),
    };
    let ids: Vec<String> = reports.iter().map(|r| r.id.clone()).collect();
    let events = match state.store.events_of(&ids).await {
        Ok(events) => events,
        Err(e) => return unavailable(format, e),
    };
    // Events come oldest first: the last note seen is the latest.
    let mut notes: HashMap<&str, &str> = HashMap::new();
    for (id, e) in &events {
        if !e.note.is_empty() {
            notes.insert(id.as_str(), e.note.as_str());
        }
    }
    let list: Vec<Value> = reports
        .iter()
        .map(|r| request_view(r, notes.get(r.id.as_str()).copied(), &catalogue))
        .collect();
    answer(
        format,
        StatusCode::OK,
        "service_requests",
        "request",
        &Value::from(list),
    )
}

fn date(p: &Params, name: &str) -> Result<Option<DateTime<Utc>>, String> {
    p.get(name)
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| format!("{name} `{v}` is not a W3C date-time: {e}"))
        })
        .transpose()
}

async fn list_requests(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    format: Format,
) -> Response {
    let p = match Params::parse(q.as_deref()) {
        Ok(p) => p,
        Err(e) => return error(format, StatusCode::BAD_REQUEST, e.message),
    };
    if let Some(ids) = p.get("service_request_id") {
        let mut found = Vec::new();
        for id in ids.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match state.store.report(id).await {
                Ok(Some(r)) => found.push(r),
                Ok(None) => {}
                Err(e) => return unavailable(format, e),
            }
        }
        return request_list(&state, &found, format).await;
    }
    let (start, end) = match (date(&p, "start_date"), date(&p, "end_date")) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(m), _) | (_, Err(m)) => return error(format, StatusCode::BAD_REQUEST, m),
    };
    let mut states = Vec::new();
    for s in p
        .get("status")
        .unwrap_or("open,closed")
        .split(',')
        .map(str::trim)
    {
        match s {
            "open" => states.extend(ReportState::ALL.into_iter().filter(|s| s.is_open())),
            "closed" => states.extend([ReportState::Closed, ReportState::Merged]),
            other => {
                return error(
                    format,
                    StatusCode::BAD_REQUEST,
                    format!("status `{other}`: expected open or closed"),
                )
            }
        }
    }
    let from = start.unwrap_or_else(|| end.unwrap_or_else(Utc::now) - Duration::days(DEFAULT_DAYS));
    let filter = ReportFilter {
        category: p.get("service_code").map(str::to_owned),
        from: Some(from),
        to: end,
        states: Some(states),
        limit: MAX_REQUESTS,
        ..ReportFilter::default()
    };
    match state.store.reports(&filter).await {
        Ok(reports) => request_list(&state, &reports, format).await,
        Err(e) => unavailable(format, e),
    }
}

async fn one_request(State(state): State<AppState>, Path(id_format): Path<String>) -> Response {
    let Some((id, format)) = split_format(&id_format) else {
        return error(
            Format::Json,
            StatusCode::NOT_FOUND,
            "use requests/{id}.json or .xml",
        );
    };
    match state.store.report(id).await {
        Ok(Some(r)) => request_list(&state, &[r], format).await,
        Ok(None) => error(
            format,
            StatusCode::NOT_FOUND,
            format!("no service request {id}"),
        ),
        Err(e) => unavailable(format, e),
    }
}

/// Requests get their id at once, so a token is the id itself.
async fn token(State(state): State<AppState>, Path(token_format): Path<String>) -> Response {
    let Some((token, format)) = split_format(&token_format) else {
        return error(
            Format::Json,
            StatusCode::NOT_FOUND,
            "use tokens/{token}.json or .xml",
        );
    };
    match state.store.report(token).await {
        Ok(Some(r)) => {
            let value = json!([{ "service_request_id": r.id, "token": token }]);
            answer(
                format,
                StatusCode::OK,
                "service_requests",
                "request",
                &value,
            )
        }
        Ok(None) => error(format, StatusCode::NOT_FOUND, format!("no token {token}")),
        Err(e) => unavailable(format, e),
    }
}

/// The intake body of an Open311 form, or the spec's 400.
fn intake_body(form: &[(String, String)]) -> Result<Value, String> {
    let get = |name: &str| {
        form.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let code = get("service_code").ok_or("service_code was not provided")?;
    let (lat, long) = match (get("lat"), get("long")) {
        (Some(lat), Some(long)) => (lat, long),
        _ if get("address_string").is_some() || get("address_id").is_some() => {
            return Err("this jurisdiction locates requests by lat and long only".to_owned())
        }
        _ => return Err("lat and long were not provided".to_owned()),
    };
    let number = |name: &str, v: &str| {
        v.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| format!("{name} `{v}` is not a number"))
    };
    let mut reporter = serde_json::Map::new();
    for field in [
        "first_name",
        "last_name",
        "email",
        "phone",
        "device_id",
        "account_id",
    ] {
        if let Some(v) = get(field) {
            reporter.insert(field.to_owned(), Value::from(v));
        }
    }
    Ok(json!({
        "category": code,
        "description": get("description").unwrap_or(""),
        "location": {"lon": number("long", long)?, "lat": number("lat", lat)?},
        "channel": "open311",
        "media": get("media_url").map(|m| vec![m]).unwrap_or_default(),
        "reporter": (!reporter.is_empty()).then_some(Value::Object(reporter)),
    }))
}

async fn create_request(
    State(state): State<AppState>,
    client: ClientInfo,
    headers: HeaderMap,
    body: Bytes,
    format: Format,
) -> Response {
    let form_encoded = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_encoded {
        return error(
            format,
            StatusCode::BAD_REQUEST,
            "send the request form-encoded (application/x-www-form-urlencoded)",
        );
    }
    let form: Vec<(String, String)> = match serde_urlencoded::from_bytes(&body) {
        Ok(f) => f,
        Err(e) => {
            return error(
                format,
                StatusCode::BAD_REQUEST,
                format!("malformed form: {e}"),
            )
        }
    };
    let Some(key) = form
        .iter()
        .rev()
        .find(|(k, _)| k == "api_key")
        .map(|(_, v)| v.trim())
    else {
        return error(format, StatusCode::FORBIDDEN, "api_key was not provided");
    };
    let account = if tokens::looks_like_token(key) {
        match state.store.token(&tokens::digest(key), Utc::now()).await {
            Ok(found) => found.map(|(_, account)| account),
            Err(e) => return unavailable(format, e),
        }
    } else {
        None
    };
    let Some(account) = account else {
        return error(
            format,
            StatusCode::FORBIDDEN,
            "api_key is invalid, expired or revoked",
        );
    };
    let report = match intake_body(&form) {
        Ok(r) => r,
        Err(m) => return error(format, StatusCode::BAD_REQUEST, m),
    };
    let audit = AuditContext {
        actor_id: Some(account.id),
        actor: account.username,
        via: Via::Token,
        ip: client.ip.map(|ip| ip.to_string()),
    };
    match intake::intake(&state, report.to_string().as_bytes(), None, &audit).await {
        Ok(ack) => {
            super::views::report_filed(&state, &ack.body);
            let notice = format!(
                "受理: {}; expected by {}",
                ack.body["queue_unit"].as_str().unwrap_or(""),
                ack.body["handle_due"].as_str().unwrap_or("")
            );
            let value = json!([{
                "service_request_id": ack.body["id"],
                "service_notice": notice,
                "account_id": null,
            }]);
            answer(
                format,
                StatusCode::OK,
                "service_requests",
                "request",
                &value,
            )
        }
        Err(e) => {
            // Open311 knows 400 for every refusal of the request itself.
            let status = if e.status == StatusCode::UNPROCESSABLE_ENTITY {
                StatusCode::BAD_REQUEST
            } else {
                e.status
            };
            let description = match e.code {
                "unknown_category" => format!("{}: see services.json", e.message),
                _ => e.message,
            };
            error(format, status, description)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn paths_name_their_format() {
        assert_eq!(split_format("noise.json"), Some(("noise", Format::Json)));
        assert_eq!(split_format("R1.2.xml"), Some(("R1.2", Format::Xml)));
        assert_eq!(split_format("noise"), None);
        assert_eq!(split_format(".json"), None);
    }

    #[test]
    fn a_form_becomes_an_intake_body_and_keeps_the_contact() {
        let b = intake_body(&form(&[
            ("service_code", "noise"),
            ("lat", "24.48"),
            ("long", "118.09"),
            ("email", "a@example.org"),
            ("media_url", "https://x.example/1.jpg"),
        ]))
        .unwrap();
        assert_eq!(b["location"], json!({"lon": 118.09, "lat": 24.48}));
        assert_eq!(b["channel"], "open311");
        assert_eq!(b["reporter"], json!({"email": "a@example.org"}));
        assert_eq!(b["media"], json!(["https://x.example/1.jpg"]));
    }

    #[test]
    fn a_form_without_code_or_location_is_refused() {
        assert!(intake_body(&form(&[("lat", "1"), ("long", "2")]))
            .unwrap_err()
            .contains("service_code"));
        assert!(intake_body(&form(&[("service_code", "noise")]))
            .unwrap_err()
            .contains("lat and long"));
        assert!(
            intake_body(&form(&[("service_code", "noise"), ("address_string", "x")]))
                .unwrap_err()
                .contains("lat and long only")
        );
        assert!(intake_body(&form(&[
            ("service_code", "noise"),
            ("lat", "north"),
            ("long", "2")
        ]))
        .unwrap_err()
        .contains("not a number"));
    }
}
