//! Intake: a report request is checked whole (every field, with a precise error), located on its
//! unit chain, routed, given its deadlines and its likely duplicates, and committed before it is
//! acknowledged. An `Idempotency-Key` makes a retry return the first answer.

use axum::http::StatusCode;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::catalogue::Catalogue;
use super::deadline::WorkingTime;
use super::model::{Channel, Report, State};
use super::{routing, views};
use crate::auth::AuditContext;
use crate::http::error::ApiError;
use crate::http::params::check_range;
use crate::spatial::prepared::{metres_per_degree_lon, METRES_PER_DEGREE_LAT};
use crate::spatial::{Bbox, Crs, Wgs84};
use crate::store::reports::{IdempotencyKey, Intake, NewReport};
use crate::units::UnitRef;
use crate::AppState;

pub const MAX_DESCRIPTION_CHARS: usize = 4000;
const MAX_MEDIA: usize = 10;
const MAX_URL_BYTES: usize = 2048;
const MAX_REPORTER_BYTES: usize = 2048;
const MAX_KEY_BYTES: usize = 255;

/// A checked intake request.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub category: String,
    pub description: String,
    /// As given, in `crs`.
    pub lon: f64,
    pub lat: f64,
    pub crs: Crs,
    pub channel: Channel,
    pub media: Vec<String>,
    pub reporter: Option<Value>,
}

fn missing(field: &str) -> ApiError {
    ApiError::bad_request("missing_field", format!("`{field}` is required"))
        .with_details(json!({ "field": field }))
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_field", message).with_details(json!({ "field": field }))
}

fn unprocessable(code: &'static str, field: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
        .with_details(json!({ "field": field }))
}

fn number(loc: &Map<String, Value>, field: &str) -> Result<f64, ApiError> {
    let path = format!("location.{field}");
    match loc.get(field) {
        None | Some(Value::Null) => Err(missing(&path)),
        Some(v) => v
            .as_f64()
            .filter(|x| x.is_finite())
            .ok_or_else(|| invalid(&path, format!("`{path}` must be a finite number"))),
    }
}

fn optional_string<'a>(
    body: &'a Map<String, Value>,
    field: &str,
) -> Result<Option<&'a str>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(invalid(field, format!("`{field}` must be a string"))),
    }
}

/// Reads the request body: every problem gets its own code and names its field.
pub fn read_draft(body: &[u8]) -> Result<Draft, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("the body is not JSON: {e}")))?;
    let Value::Object(body) = value else {
        return Err(ApiError::bad_request(
            "invalid_json",
            "the body must be a JSON object",
        ));
    };
    const FIELDS: [&str; 6] = [
        "category",
        "description",
        "location",
        "channel",
        "media",
        "reporter",
    ];
    if let Some(unknown) = body.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(invalid(
            unknown,
            format!("unknown field `{unknown}`: expected {}", FIELDS.join(", ")),
        ));
    }
    let category = optional_string(&body, "category")?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| missing("category"))?
        .to_owned();
    let description = optional_string(&body, "description")?
        .unwrap_or("")
        .to_owned();
    let chars = description.chars().count();
    if chars > MAX_DESCRIPTION_CHARS {
        return Err(unprocessable(
            "description_too_long",
            "description",
            format!("the description has {chars} characters; at most {MAX_DESCRIPTION_CHARS} are accepted"),
        ));
    }
    let location = match body.get("location") {
        None | Some(Value::Null) => return Err(missing("location")),
        Some(Value::Object(l)) => l,
        Some(_) => {
            return Err(invalid(
                "location",
                "`location` must be an object {lon, lat, crs}",
            ))
        }
    };
    let (lon, lat) = (number(location, "lon")?, number(location, "lat")?);
    check_range(lon, lat).map_err(|e| e.with_details(json!({ "field": "location" })))?;
    let crs = match location.get("crs") {
        None | Some(Value::Null) => Crs::Wgs84,
        Some(Value::String(s)) => s.parse::<Crs>().map_err(|e| invalid("location.crs", e))?,
        Some(_) => return Err(invalid("location.crs", "`location.crs` must be a string")),
    };
    let channel = match optional_string(&body, "channel")? {
        None => Channel::Other,
        Some(c) => c
            .parse::<Channel>()
            .map_err(|e| unprocessable("unknown_channel", "channel", e))?,
    };
    let media = match body.get("media") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            if items.len() > MAX_MEDIA {
                return Err(invalid("media", format!("at most {MAX_MEDIA} media URLs")));
            }
            items
                .iter()
                .map(|m| {
                    m.as_str()
                        .filter(|u| {
                            u.len() <= MAX_URL_BYTES
                                && (u.starts_with("https://") || u.starts_with("http://"))
                        })
                        .map(str::to_owned)
                        .ok_or_else(|| {
                            invalid(
                                "media",
                                "each media item must be an http(s) URL of at most 2048 bytes",
                            )
                        })
                })
                .collect::<Result<_, _>>()?
        }
        Some(_) => return Err(invalid("media", "`media` must be an array of URLs")),
    };
    let reporter = match body.get("reporter") {
        None | Some(Value::Null) => None,
        Some(r @ Value::Object(_)) if r.to_string().len() <= MAX_REPORTER_BYTES => Some(r.clone()),
        Some(_) => {
            return Err(invalid(
                "reporter",
                "`reporter` must be an object (name, phone...) of at most 2048 bytes",
            ))
        }
    };
    Ok(Draft {
        category,
        description,
        lon,
        lat,
        crs,
        channel,
        media,
        reporter,
    })
}

/// Checks an `Idempotency-Key` header value.
pub fn read_key(
    value: Option<&axum::http::HeaderValue>,
    body: &[u8],
) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(value) = value else { return Ok(None) };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= MAX_KEY_BYTES)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_idempotency_key",
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            )
        })?;
    Ok(Some(IdempotencyKey {
        key: key.to_owned(),
        request_sha256: hex::encode(Sha256::digest(body)),
    }))
}

/// Metres between two WGS84 points (local equirectangular: exact enough within kilometres).
pub fn distance_m(a: Wgs84, b: Wgs84) -> f64 {
    let dx = (a.lon - b.lon) * metres_per_degree_lon((a.lat + b.lat) / 2.0);
    let dy = (a.lat - b.lat) * METRES_PER_DEGREE_LAT;
    dx.hypot(dy)
}

fn around(p: Wgs84, metres: f64) -> Bbox {
    let dx = metres / metres_per_degree_lon(p.lat).max(1.0);
    let dy = metres / METRES_PER_DEGREE_LAT;
    Bbox {
        min_x: p.lon - dx,
        min_y: p.lat - dy,
        max_x: p.lon + dx,
        max_y: p.lat + dy,
    }
}

/// A new report id: `R`, the UTC date, and 64 random bits.
fn new_id(now: DateTime<Utc>) -> String {
    format!("R{}{:016X}", now.format("%Y%m%d"), rand::random::<u64>())
}

/// The answer to a replayed key: the first answer when the request is the same, else 422.
fn replay(key: &IdempotencyKey, request_sha256: &str, answer: Value) -> Result<Answer, ApiError> {
    if request_sha256 != key.request_sha256 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            format!(
                "Idempotency-Key `{}` was used for a different request; use a new key",
                key.key
            ),
        ));
    }
    Ok(Answer {
        body: answer,
        replayed: true,
    })
}

/// What intake answers: the acknowledgement, and whether it is a replay of an earlier one.
#[derive(Debug)]
pub struct Answer {
    pub body: Value,
    pub replayed: bool,
}

/// Takes one report in: checks it, routes it, commits it, and answers its acknowledgement.
pub async fn intake(
    state: &AppState,
    body: &[u8],
    key: Option<IdempotencyKey>,
    audit: &AuditContext,
) -> Result<Answer, ApiError> {
    if let Some(k) = &key {
        if let Some((sha, answer)) = state.store.idempotent_answer(&k.key).await? {
            return replay(k, &sha, answer);
        }
    }
    let draft = read_draft(body)?;
    let catalogue = Catalogue {
        categories: state.store.catalogue().await?,
    };
    let Some(category) = catalogue.get(&draft.category) else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_category",
            format!("unknown category `{}`", draft.category),
        )
        .with_details(json!({
            "field": "category",
            "known": catalogue.categories.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(),
        })));
    };
    let location = draft.crs.to_wgs84(draft.lon, draft.lat);
    check_range(location.lon, location.lat)?;
    let snap = state.snapshot.load();
    let assignment = snap.assign(location.lon, location.lat);
    let chain: Vec<UnitRef> = assignment
        .chain_indices()
        .iter()
        .map(|&i| snap.unit(i).as_ref())
        .collect();
    let Some(route) = routing::route(state.store.as_ref(), &chain, &category.handler).await? else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_units",
            "no governance units are loaded, so reports cannot be routed; nothing was written",
        ));
    };
    // Both stores keep microseconds: the answer shows the time as it is stored.
    let now = Utc::now().trunc_subsecs(6);
    let calendar = WorkingTime {
        holidays: state.config.holidays.clone(),
    };
    let radius = state.config.report_duplicate_radius_m;
    let since = now - Duration::days(i64::from(state.config.report_duplicate_days));
    let mut duplicates: Vec<(f64, Report)> = state
        .store
        .open_reports_near(&category.code, around(location, radius), since)
        .await?
        .into_iter()
        .map(|r| (distance_m(location, r.location), r))
        .filter(|(d, _)| *d <= radius)
        .collect();
    duplicates.sort_by(|a, b| a.0.total_cmp(&b.0));
    // 128 random bits: the reporter's proof for evaluating later without an account.
    let receipt = format!("{:032x}", rand::random::<u128>());
    let report = Report {
        id: new_id(now),
        category: category.code.clone(),
        description: draft.description,
        location,
        input_crs: draft.crs,
        channel: draft.channel,
        media: draft.media,
        reporter: draft.reporter,
        unit_code: chain
            .last()
            .map(|u| u.code.clone())
            .unwrap_or_else(|| route.queue_unit.clone()),
        chain,
        matched: assignment.matched,
        handler: category.handler.clone(),
        queue_unit: route.queue_unit,
        assignee: route.assignee,
        state: State::Received,
        merged_into: None,
        accept_due: calendar.add_hours(now, category.accept_hours),
        handle_due: calendar.add_hours(now, category.handle_hours),
        created_at: now,
        updated_at: now,
        receipt_sha256: Some(hex::encode(Sha256::digest(receipt.as_bytes()))),
    };
    let mut answer = views::acknowledgement(&report, assignment.distance_m, &duplicates);
    answer["receipt"] = json!(receipt);
    let stored = NewReport {
        report,
        key: key.clone(),
        answer: answer.clone(),
        audit: audit.clone(),
    };
    match state.intake.write(stored).await? {
        Intake::Created => Ok(Answer {
            body: answer,
            replayed: false,
        }),
        Intake::Replayed {
            request_sha256,
            answer,
        } => match &key {
            Some(k) => replay(k, &request_sha256, answer),
            None => Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "a report without a key was answered as a replay",
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(body: &str) -> (StatusCode, &'static str) {
        let e = read_draft(body.as_bytes()).unwrap_err();
        (e.status, e.code)
    }

    #[test]
    fn a_complete_request_reads_whole() {
        let d = read_draft(
            br#"{"category": "noise", "description": "loud", "location": {"lon": 118.1, "lat": 24.5, "crs": "gcj02"},
                "channel": "app", "media": ["https://x.example/1.jpg"], "reporter": {"phone": "138"}}"#,
        )
        .unwrap();
        assert_eq!(
            (d.crs, d.channel, d.media.len()),
            (Crs::Gcj02, Channel::App, 1)
        );
    }

    #[test]
    fn each_bad_field_gets_its_own_answer() {
        let bad = StatusCode::BAD_REQUEST;
        let unp = StatusCode::UNPROCESSABLE_ENTITY;
        assert_eq!(code_of("[1]"), (bad, "invalid_json"));
        assert_eq!(
            code_of(r#"{"location": {"lon": 1, "lat": 2}}"#),
            (bad, "missing_field")
        );
        assert_eq!(code_of(r#"{"category": "noise"}"#), (bad, "missing_field"));
        assert_eq!(
            code_of(r#"{"category": "noise", "location": {"lon": 181, "lat": 2}}"#),
            (bad, "coordinate_out_of_range")
        );
        assert_eq!(
            code_of(r#"{"category": "noise", "location": {"lon": 1, "lat": 2}, "channel": "fax"}"#),
            (unp, "unknown_channel")
        );
        let long = "字".repeat(MAX_DESCRIPTION_CHARS + 1);
        let body = format!(
            r#"{{"category": "noise", "location": {{"lon": 1, "lat": 2}}, "description": "{long}"}}"#
        );
        assert_eq!(code_of(&body), (unp, "description_too_long"));
        let ok = "字".repeat(MAX_DESCRIPTION_CHARS);
        let body = format!(
            r#"{{"category": "noise", "location": {{"lon": 1, "lat": 2}}, "description": "{ok}"}}"#
        );
        assert!(
            read_draft(body.as_bytes()).is_ok(),
            "4000 characters, not bytes"
        );
        assert_eq!(
            code_of(
                r#"{"category": "noise", "location": {"lon": 1, "lat": 2}, "media": ["ftp://x"]}"#
            ),
            (bad, "invalid_field")
        );
    }

    #[test]
    fn distances_are_metres() {
        let a = Wgs84 {
            lon: 118.0,
            lat: 24.0,
        };
        let b = Wgs84 {
            lon: 118.0,
            lat: 24.0 + 50.0 / METRES_PER_DEGREE_LAT,
        };
        assert!((distance_m(a, b) - 50.0).abs() < 1e-6);
    }
}
