//! Report routes: public intake, staff reads and lists, transitions of the closed loop, and the
//! dispatch catalogue.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Json;
use chrono::{DateTime, SubsecRound, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Digest;

use super::catalogue::Catalogue;
use super::model::{Evaluation, Rating, Report, State};
use super::{intake, stats, views, workflow};
use crate::auth::client::ClientInfo;
use crate::auth::{Action, AuditContext, Principal, Role};
use crate::http::error::ApiError;
use crate::http::params::{bbox, Params};
use crate::http::Routes;
use crate::store::reports::{ReportFilter, Transition};
use crate::AppState;

pub fn routes() -> Routes {
    vec![
        ("/api/v1/reports", post(create).get(list)),
        ("/api/v1/reports/{id}", get(read)),
        ("/api/v1/reports/{id}/transitions", post(transition)),
        ("/api/v1/reports/{id}/evaluation", post(evaluate)),
        ("/api/v1/reports/{id}/whistle", post(whistle)),
        ("/api/v1/stats", get(stats)),
        (
            "/api/v1/dispatch-catalogue",
            get(read_catalogue).put(replace_catalogue),
        ),
    ]
}

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 500;

/// `POST /api/v1/reports`: anyone may report; signed-in callers are recorded as the actor.
async fn create(
    AxumState(state): AxumState<AppState>,
    client: ClientInfo,
    principal: Option<Principal>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let key = intake::read_key(headers.get("idempotency-key"), &body)?;
    let audit = match &principal {
        Some(p) => AuditContext::of(p, &client),
        None => AuditContext::anonymous(&client),
    };
    let answer = intake::intake(&state, &body, key, &audit).await?;
    views::report_filed(&state, &answer.body);
    let mut res = (StatusCode::CREATED, Json(answer.body)).into_response();
    if answer.replayed {
        res.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(res)
}

fn no_report(id: &str) -> impl FnOnce() -> ApiError + '_ {
    move || ApiError::not_found(format!("no report {id}"))
}

/// The report, when it exists and lies in the principal's area for `action`; 404 otherwise.
async fn visible(
    state: &AppState,
    principal: &Principal,
    action: Action,
    id: &str,
) -> Result<Report, ApiError> {
    principal.require(action)?;
    let report = state.store.report(id).await?.ok_or_else(no_report(id))?;
    principal.authorise(action, &report.unit_code, no_report(id))?;
    Ok(report)
}

/// `GET /api/v1/reports/{id}`: the whole report with its history, for staff in its area.
async fn read(
    AxumState(state): AxumState<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let report = visible(&state, &principal, Action::ReadReports, &id).await?;
    let events = state.store.report_events(&id).await?;
    let mut view = views::staff_view(&report, &events);
    let evaluations = state.store.evaluations_of(&[id]).await?;
    view["evaluations"] = json!(evaluations.into_iter().map(|(_, e)| e).collect::<Vec<_>>());
    Ok(Json(view))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EvaluationRequest {
    rating: String,
    #[serde(default)]
    comment: String,
    /// The receipt of the intake answer: the reporter's own proof, instead of an account.
    receipt: Option<String>,
}

/// The report a reporter evaluates with the receipt of its intake; a wrong receipt gets the
/// answer of a missing report.
async fn by_receipt(state: &AppState, id: &str, receipt: &str) -> Result<Report, ApiError> {
    let report = state.store.report(id).await?.ok_or_else(no_report(id))?;
    let digest = hex::encode(sha2::Sha256::digest(receipt.trim().as_bytes()));
    if report.receipt_sha256.as_deref() == Some(digest.as_str()) {
        Ok(report)
    } else {
        Err(no_report(id)())
    }
}

fn not_closed(report: &Report) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "not_closed",
        format!(
            "report {} is {}: only closed reports are evaluated",
            report.id, report.state
        ),
    )
    .with_details(json!({ "state": report.state }))
}

fn already_evaluated(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "already_evaluated",
        format!("report {id} has its evaluation already"),
    )
}

/// `POST /api/v1/reports/{id}/evaluation`: the reporter's evaluation of a closed report, entered
/// by the hotline (dispatchers) on their behalf. A dissatisfied first evaluation reopens the
/// report (返工), once; after it is closed again it takes one more evaluation, which never
/// reopens it.
async fn evaluate(
    AxumState(state): AxumState<AppState>,
    client: ClientInfo,
    principal: Option<Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let request: EvaluationRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("evaluation body: {e}")))?;
    let hotline = principal
        .as_ref()
        .filter(|p| matches!(p.role, Role::Admin | Role::Dispatcher));
    let (report, audit, actor) = match (hotline, &principal, request.receipt.as_deref()) {
        (Some(p), _, _) => (
            visible(&state, p, Action::HandleReports, &id).await?,
            AuditContext::of(p, &client),
            p.username.clone(),
        ),
        (None, _, Some(receipt)) => (
            by_receipt(&state, &id, receipt).await?,
            AuditContext::anonymous(&client),
            "reporter".to_owned(),
        ),
        (None, Some(p), None) => {
            visible(&state, p, Action::HandleReports, &id).await?;
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "evaluations come from the reporter (with the receipt) or the hotline (dispatchers)",
            ));
        }
        (None, None, None) => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "give the receipt of the report, or sign in as the hotline",
            ))
        }
    };
    let rating: Rating = request.rating.parse().map_err(|e: String| {
        ApiError::bad_request("invalid_field", e).with_details(json!({ "field": "rating" }))
    })?;
    let comment = request.comment.trim().to_owned();
    if comment.chars().count() > intake::MAX_DESCRIPTION_CHARS {
        return Err(ApiError::bad_request(
            "invalid_field",
            "`comment` is at most 4000 characters",
        ));
    }
    if report.state != State::Closed {
        return Err(not_closed(&report));
    }
    let previous = state
        .store
        .evaluations_of(std::slice::from_ref(&id))
        .await?;
    if previous.iter().any(|(_, e)| !e.reopened) {
        return Err(already_evaluated(&id));
    }
    let evaluation = Evaluation {
        rating,
        comment,
        reopened: rating == Rating::Dissatisfied && previous.is_empty(),
        actor,
        at: Utc::now().trunc_subsecs(6),
    };
    let after = match state.store.evaluate(&id, &evaluation, &audit).await {
        Ok(Some(after)) => after,
        Ok(None) => {
            let now = state.store.report(&id).await?.ok_or_else(no_report(&id))?;
            return Err(not_closed(&now));
        }
        Err(crate::store::StoreError::Conflict(_)) => return Err(already_evaluated(&id)),
        Err(e) => return Err(e.into()),
    };
    if evaluation.reopened {
        state.tiles.report_written(after.location);
    }
    if hotline.is_none() {
        // The reporter sees where their report stands, not the staff's file.
        return Ok(Json(json!({
            "id": after.id,
            "state": after.state,
            "evaluation": evaluation,
        })));
    }
    let events = state.store.report_events(&id).await?;
    let mut view = views::staff_view(&after, &events);
    view["evaluation"] = json!(evaluation);
    Ok(Json(view))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TransitionRequest {
    to: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    photos: Vec<String>,
    /// On dispatch: the username of the staff member to hand it to.
    assignee: Option<String>,
    /// On merge: the original this report duplicates.
    merged_into: Option<String>,
}

fn illegal(report: &Report, to: State) -> ApiError {
    let allowed = workflow::next_states(report.state);
    ApiError::new(
        StatusCode::CONFLICT,
        "illegal_transition",
        format!(
            "report {} is {}: it cannot become {to}",
            report.id, report.state
        ),
    )
    .with_details(json!({ "state": report.state, "allowed": allowed }))
}

fn unprocessable(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
}

/// Checks a dispatch target: an enabled report-handling account whose area covers the report.
async fn check_assignee(state: &AppState, report: &Report, username: &str) -> Result<(), ApiError> {
    let account = state.store.account(username).await?;
    let fits = account.is_some_and(|a| {
        !a.disabled
            && matches!(
                a.role,
                Role::Dispatcher | Role::GridWorker | Role::Department
            )
            && a.scopes.iter().any(|s| report.unit_code.is_within(s))
    });
    if fits {
        Ok(())
    } else {
        Err(unprocessable(
            "invalid_assignee",
            format!(
                "`{username}` is no enabled report handler whose area covers report {}",
                report.id
            ),
        ))
    }
}

/// Checks a merge target: another open, unmerged report in the principal's area.
async fn check_original(
    state: &AppState,
    principal: &Principal,
    report: &Report,
    original: &str,
) -> Result<(), ApiError> {
    let refused = || {
        unprocessable(
            "invalid_merge_target",
            format!(
                "no open report {original} in your area to merge report {} into",
                report.id
            ),
        )
    };
    if original == report.id {
        return Err(refused());
    }
    let target = state.store.report(original).await?.ok_or_else(refused)?;
    if !principal.covers(&target.unit_code) || !target.state.is_open() {
        return Err(refused());
    }
    Ok(())
}

/// `POST /api/v1/reports/{id}/transitions`: one move of the closed loop.
async fn transition(
    AxumState(state): AxumState<AppState>,
    client: ClientInfo,
    principal: Principal,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let report = visible(&state, &principal, Action::HandleReports, &id).await?;
    let request: TransitionRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("transition body: {e}")))?;
    let to: State = request.to.parse().map_err(|e: String| {
        ApiError::bad_request("invalid_field", e).with_details(json!({ "field": "to" }))
    })?;
    if !workflow::next_states(report.state).contains(&to) {
        return Err(illegal(&report, to));
    }
    if !workflow::may_move(principal.role, to) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("the role {} may not make a report {to}", principal.role),
        ));
    }
    let note = request.note.trim().to_owned();
    if workflow::needs_reason(to) && note.is_empty() {
        return Err(ApiError::bad_request(
            "reason_required",
            format!("making a report {to} needs the reason in `note`"),
        ));
    }
    if note.chars().count() > intake::MAX_DESCRIPTION_CHARS
        || request.photos.len() > 10
        || !request
            .photos
            .iter()
            .all(|u| u.starts_with("https://") || u.starts_with("http://"))
    {
        return Err(ApiError::bad_request(
            "invalid_field",
            "`note` is at most 4000 characters; `photos` at most 10 http(s) URLs",
        ));
    }
    let assignee = match (to, request.assignee) {
        (State::Dispatched, Some(username)) => {
            check_assignee(&state, &report, &username).await?;
            Some(Some(username))
        }
        (State::Accepted, None) => Some(Some(principal.username.clone())),
        (_, None) => None,
        (_, Some(_)) => {
            return Err(ApiError::bad_request(
                "invalid_field",
                "`assignee` is given only when dispatching",
            ))
        }
    };
    let merged_into = match (to, request.merged_into) {
        (State::Merged, Some(original)) => {
            check_original(&state, &principal, &report, &original).await?;
            Some(original)
        }
        (State::Merged, None) => {
            return Err(ApiError::bad_request(
                "missing_field",
                "merging needs `merged_into`: the id of the original report",
            ))
        }
        (_, None) => None,
        (_, Some(_)) => {
            return Err(ApiError::bad_request(
                "invalid_field",
                "`merged_into` is given only when merging",
            ))
        }
    };
    let change = Transition {
        report_id: report.id.clone(),
        from: report.state,
        to,
        note,
        photos: request.photos,
        assignee,
        merged_into,
    };
    let audit = AuditContext::of(&principal, &client);
    let Some(after) = state.store.transition(&change, &audit, Utc::now()).await? else {
        // Someone else moved it first: answer with its state now.
        let now = state.store.report(&id).await?.ok_or_else(no_report(&id))?;
        return Err(illegal(&now, to));
    };
    state.tiles.report_written(after.location);
    let events = state.store.report_events(&id).await?;
    Ok(Json(views::staff_view(&after, &events)))
}

fn time_param(p: &Params, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    p.get(name)
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| {
                    ApiError::bad_request(
                        "invalid_parameter",
                        format!("`{name}={v}`: an RFC 3339 time is needed ({e})"),
                    )
                    .with_details(json!({ "parameter": name }))
                })
        })
        .transpose()
}

/// The filter of a list request, limited to the principal's area.
fn filter_of(p: &Params, principal: &Principal) -> Result<ReportFilter, ApiError> {
    let area = (!principal.is_admin()).then(|| principal.scopes.clone());
    let mut filter = ReportFilter {
        within: area.clone(),
        category: p.get("category").map(str::to_owned),
        from: time_param(p, "from")?,
        to: time_param(p, "to")?,
        bbox: p.get("bbox").map(bbox).transpose()?,
        limit: p.limit(DEFAULT_LIMIT, MAX_LIMIT)?,
        offset: p.parsed::<u32>("offset")?.unwrap_or(0),
        ..ReportFilter::default()
    };
    if let Some(states) = p.get("state") {
        let states = states
            .split(',')
            .map(|s| s.trim().parse::<State>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                ApiError::bad_request("invalid_parameter", e)
                    .with_details(json!({ "parameter": "state" }))
            })?;
        filter.states = Some(states);
    }
    match p.get("queue") {
        None => {}
        Some("mine") => filter.assignee = Some(principal.username.clone()),
        Some("unit") => filter.queue_within = area,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_parameter",
                format!("`queue={other}`: expected `mine` or `unit`"),
            )
            .with_details(json!({ "parameter": "queue" })))
        }
    }
    if p.flag("overdue")? {
        filter.overdue_at = Some(Utc::now());
    }
    Ok(filter)
}

/// `GET /api/v1/reports`: reports in the principal's area, newest first; JSON or GeoJSON.
async fn list(
    AxumState(state): AxumState<AppState>,
    principal: Principal,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    principal.require(Action::ReadReports)?;
    let p = Params::parse(q.as_deref())?;
    let geojson = match p.get("format") {
        None | Some("json") => false,
        Some("geojson") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_parameter",
                format!("`format={other}`: expected json or geojson"),
            ))
        }
    };
    let filter = filter_of(&p, &principal)?;
    let crs = p.crs()?;
    let reports = state.store.reports(&filter).await?;
    let next_offset = (reports.len() as u32 == filter.limit).then(|| filter.offset + filter.limit);
    if geojson {
        let body = json!({
            "type": "FeatureCollection",
            "features": reports.iter().map(|r| views::feature(r, crs)).collect::<Vec<_>>(),
            "next_offset": next_offset,
        });
        let mut res = Json(body).into_response();
        res.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/geo+json"),
        );
        return Ok(res);
    }
    Ok(Json(json!({
        "reports": reports.iter().map(views::summary).collect::<Vec<_>>(),
        "limit": filter.limit,
        "offset": filter.offset,
        "next_offset": next_offset,
    }))
    .into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WhistleRequest {
    department: String,
    #[serde(default)]
    note: String,
}

/// `POST /api/v1/reports/{id}/whistle`: a dispatcher escalates an open report by hand to a
/// department ("街道吹哨、部门报到"): the department's staff nearest the report takes it, or the
/// department's queue at the top unit.
async fn whistle(
    AxumState(state): AxumState<AppState>,
    client: ClientInfo,
    principal: Principal,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let report = visible(&state, &principal, Action::HandleReports, &id).await?;
    if !matches!(principal.role, Role::Admin | Role::Dispatcher) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "only dispatchers blow the whistle",
        ));
    }
    let request: WhistleRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("whistle body: {e}")))?;
    let department = request.department.trim().to_owned();
    if department.is_empty() || department.chars().count() > 64 {
        return Err(ApiError::bad_request(
            "invalid_field",
            "`department` names the department (1 to 64 characters)",
        )
        .with_details(json!({ "field": "department" })));
    }
    if !report.state.is_open() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_open",
            format!(
                "report {} is {}: only open reports are escalated",
                report.id, report.state
            ),
        ));
    }
    let handler = super::Handler::Department(department.clone());
    let route = super::routing::route(state.store.as_ref(), &report.chain, &handler)
        .await?
        .ok_or_else(no_report(&id))?;
    let note = match request.note.trim() {
        "" => format!("吹哨: escalated to {department}"),
        n => format!("吹哨: escalated to {department}: {n}"),
    };
    let change = crate::store::reports::Reassignment {
        report_id: report.id.clone(),
        state: report.state,
        handler,
        queue_unit: route.queue_unit,
        assignee: route.assignee,
        note,
    };
    let audit = AuditContext::of(&principal, &client);
    let Some(after) = state.store.reassign(&change, &audit, Utc::now()).await? else {
        let now = state.store.report(&id).await?.ok_or_else(no_report(&id))?;
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!(
                "report {id} moved on meanwhile (now {}); try again",
                now.state
            ),
        ));
    };
    let events = state.store.report_events(&id).await?;
    Ok(Json(views::staff_view(&after, &events)))
}

/// Reports one indicator request reads at most.
const MAX_STATS_REPORTS: u32 = 100_000;

/// `GET /api/v1/stats`: indicators of the reports that came in within `from`..`to` in the
/// caller's area, in total and per `group` (unit at `level`, department or worker).
async fn stats(
    AxumState(state): AxumState<AppState>,
    principal: Principal,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    principal.require(Action::ReadReports)?;
    let p = Params::parse(q.as_deref())?;
    let level = p
        .parsed::<crate::units::Level>("level")?
        .unwrap_or(crate::units::Level::Street);
    let group = match p.get("group").unwrap_or("unit") {
        "unit" => stats::Group::Unit(level),
        "department" => stats::Group::Department,
        "worker" => stats::Group::Worker,
        other => {
            return Err(ApiError::bad_request(
                "invalid_parameter",
                format!("`group={other}`: expected unit, department or worker"),
            )
            .with_details(json!({ "parameter": "group" })))
        }
    };
    let filter = ReportFilter {
        within: (!principal.is_admin()).then(|| principal.scopes.clone()),
        category: p.get("category").map(str::to_owned),
        from: time_param(&p, "from")?,
        to: time_param(&p, "to")?,
        limit: MAX_STATS_REPORTS,
        ..ReportFilter::default()
    };
    let reports = state.store.reports(&filter).await?;
    let ids: Vec<String> = reports.iter().map(|r| r.id.clone()).collect();
    let events = state.store.events_of(&ids).await?;
    let evaluations = state.store.evaluations_of(&ids).await?;
    let mut body = stats::indicators(&reports, &events, &evaluations, group);
    body["from"] = json!(filter.from);
    body["to"] = json!(filter.to);
    body["truncated"] = json!(reports.len() as u32 == MAX_STATS_REPORTS);
    Ok(Json(body))
}

/// `GET /api/v1/dispatch-catalogue`: the categories and who handles them (public).
async fn read_catalogue(
    AxumState(state): AxumState<AppState>,
) -> Result<Json<Catalogue>, ApiError> {
    Ok(Json(Catalogue {
        categories: state.store.catalogue().await?,
    }))
}

/// `PUT /api/v1/dispatch-catalogue`: replaces the catalogue (admins), checked whole first.
async fn replace_catalogue(
    AxumState(state): AxumState<AppState>,
    client: ClientInfo,
    principal: Principal,
    body: Bytes,
) -> Result<Json<Catalogue>, ApiError> {
    principal.require(Action::EditCatalogue)?;
    let catalogue: Catalogue = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_catalogue",
            format!("the catalogue cannot be read: {e}"),
        )
    })?;
    let problems = catalogue.problems();
    if !problems.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_catalogue",
            format!(
                "{} problem(s) in the catalogue; nothing was written",
                problems.len()
            ),
        )
        .with_details(json!({ "problems": problems })));
    }
    let audit = AuditContext::of(&principal, &client);
    state
        .store
        .replace_catalogue(&catalogue.categories, &audit, Utc::now())
        .await?;
    Ok(Json(catalogue))
}
