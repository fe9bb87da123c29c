//! The reports half of the store: the dispatch catalogue, reports with their append-only events,
//! intake idempotency keys, and the reads staff lists need. Every write appends its audit entry
//! in the same transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::StoreError;
use crate::auth::audit::{AuditContext, AuditRecord};
use crate::auth::Role;
use crate::reports::catalogue::Category;
use crate::reports::{Evaluation, Report, ReportEvent, State};
use crate::spatial::{Bbox, Wgs84};
use crate::units::UnitCode;

/// An `Idempotency-Key` of an intake and the digest of the request it came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    pub key: String,
    pub request_sha256: String,
}

/// A report to store, with what its intake answers and who sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReport {
    pub report: Report,
    pub key: Option<IdempotencyKey>,
    /// The acknowledgement, kept with the key for replays.
    pub answer: Value,
    pub audit: AuditContext,
}

/// What an intake did.
#[derive(Debug, Clone, PartialEq)]
pub enum Intake {
    /// The report, its first event and its audit entry were committed.
    Created,
    /// The key was used before: nothing was written; the first request's digest and answer.
    Replayed {
        request_sha256: String,
        answer: Value,
    },
}

/// A move of one report from one state to the next, with its event.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub report_id: String,
    /// The state the caller saw; the move fails (returns `None`) if it changed meanwhile.
    pub from: State,
    pub to: State,
    pub note: String,
    pub photos: Vec<String>,
    /// A new assignee, when `Some`.
    pub assignee: Option<Option<String>>,
    /// Set when `to` is `merged`.
    pub merged_into: Option<String>,
}

/// A report handed to another handler by hand.
#[derive(Debug, Clone, PartialEq)]
pub struct Reassignment {
    pub report_id: String,
    /// The state the caller saw (unchanged by the reassignment).
    pub state: State,
    pub handler: crate::reports::Handler,
    pub queue_unit: UnitCode,
    pub assignee: Option<String>,
    pub note: String,
}

impl Reassignment {
    pub(crate) fn record(&self, before: &Report) -> AuditRecord {
        AuditRecord {
            action: "report.reassign",
            object_type: "report",
            object_id: self.report_id.clone(),
            before: Some(serde_json::json!({
                "handler": before.handler,
                "queue_unit": before.queue_unit,
                "assignee": before.assignee,
            })),
            after: Some(serde_json::json!({
                "handler": self.handler,
                "queue_unit": self.queue_unit,
                "assignee": self.assignee,
                "note": self.note,
            })),
        }
    }
}

/// A missed deadline and where it sends the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Escalation {
    pub report_id: String,
    /// The report's state (unchanged by the escalation).
    pub state: State,
    /// `accept` or `handle`.
    pub deadline: &'static str,
    pub due_at: DateTime<Utc>,
    pub from_unit: UnitCode,
    pub to_unit: UnitCode,
    pub assignee: Option<String>,
}

impl Escalation {
    pub fn note(&self) -> String {
        format!(
            "escalated: the {} deadline {} was missed; moved from {} to {}",
            self.deadline,
            self.due_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            self.from_unit,
            self.to_unit
        )
    }

    pub(crate) fn record(&self) -> AuditRecord {
        AuditRecord {
            action: "report.escalate",
            object_type: "report",
            object_id: self.report_id.clone(),
            before: Some(serde_json::json!({ "queue_unit": self.from_unit })),
            after: Some(serde_json::json!({
                "queue_unit": self.to_unit,
                "assignee": self.assignee,
                "deadline": self.deadline,
                "due_at": self.due_at,
            })),
        }
    }
}

/// Which reports to list; every field narrows. Newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportFilter {
    /// Only reports located within one of these units; `None`: everywhere.
    pub within: Option<Vec<UnitCode>>,
    /// Only reports whose queue unit lies within one of these units.
    pub queue_within: Option<Vec<UnitCode>>,
    pub assignee: Option<String>,
    pub states: Option<Vec<State>>,
    pub category: Option<String>,
    /// Created at or after (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Created before.
    pub to: Option<DateTime<Utc>>,
    pub bbox: Option<Bbox>,
    /// Only reports past the deadline of their state at this time.
    pub overdue_at: Option<DateTime<Utc>>,
    pub limit: u32,
    pub offset: u32,
}

/// A report as map tiles draw it: where it is, what it is about and how far along it is.
/// Nothing personal (no reporter, no description, no assignee) is read at all.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportPoint {
    pub id: String,
    pub location: Wgs84,
    pub category: String,
    pub state: State,
    /// The smallest unit of the report's chain, for area checks.
    pub unit_code: UnitCode,
    pub queue_unit: UnitCode,
    pub accept_due: DateTime<Utc>,
    pub handle_due: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl ReportPoint {
    /// Whether the deadline of its state (accept while waiting for acceptance, handle while
    /// being handled) has passed at `now`; the rule of [`ReportFilter::overdue_at`].
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        if State::AWAITING_ACCEPTANCE.contains(&self.state) {
            self.accept_due < now
        } else if State::AWAITING_HANDLING.contains(&self.state) {
            self.handle_due < now
        } else {
            false
        }
    }
}

/// Which report points a map tile needs; every field but `bbox` and `limit` narrows when set.
#[derive(Debug, Clone, PartialEq)]
pub struct PointQuery {
    /// Reports located in this WGS84 box (edges included).
    pub bbox: Bbox,
    /// Only reports located within one of these units; `None`: everywhere.
    pub within: Option<Vec<UnitCode>>,
    pub states: Option<Vec<State>>,
    pub categories: Option<Vec<String>>,
    /// At most this many, newest first.
    pub limit: u32,
}

#[async_trait]
pub trait ReportStore: Send + Sync {
    /// The dispatch catalogue in its stored order.
    async fn catalogue(&self) -> Result<Vec<Category>, StoreError>;

    /// Stores `categories` when the catalogue is empty (first start); true when it did.
    async fn seed_catalogue(
        &self,
        categories: &[Category],
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Replaces the whole catalogue (validated by the caller), audited.
    async fn replace_catalogue(
        &self,
        categories: &[Category],
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Stores new reports in one committed transaction (group commit): each report with its
    /// first event (→ received), its audit entry, and its key with its answer when given. Each
    /// report is written under its own savepoint, so one that fails leaves no trace and does not
    /// undo the others; a key seen before (in the store or earlier in `batch`) writes nothing and
    /// answers what the first request got. The outer error is the transaction's own (begin or
    /// commit): then nothing of the batch is written.
    async fn create_reports(
        &self,
        batch: &[NewReport],
    ) -> Result<Vec<Result<Intake, StoreError>>, StoreError>;

    /// [`ReportStore::create_reports`] for one report.
    async fn create_report(
        &self,
        report: &Report,
        key: Option<&IdempotencyKey>,
        answer: &Value,
        audit: &AuditContext,
    ) -> Result<Intake, StoreError> {
        let new = NewReport {
            report: report.clone(),
            key: key.cloned(),
            answer: answer.clone(),
            audit: audit.clone(),
        };
        let mut answers = self.create_reports(std::slice::from_ref(&new)).await?;
        answers.pop().unwrap_or_else(|| {
            Err(StoreError::Corrupt(
                "a batch of one report was answered with no result".into(),
            ))
        })
    }

    /// The stored answer of an idempotency key: the request's digest and the answer.
    async fn idempotent_answer(&self, key: &str) -> Result<Option<(String, Value)>, StoreError>;

    async fn report(&self, id: &str) -> Result<Option<Report>, StoreError>;

    /// The events of a report, oldest first.
    async fn report_events(&self, id: &str) -> Result<Vec<ReportEvent>, StoreError>;

    /// Open reports of `category` with their location in `bbox`, created at or after `since`.
    async fn open_reports_near(
        &self,
        category: &str,
        bbox: Bbox,
        since: DateTime<Utc>,
    ) -> Result<Vec<Report>, StoreError>;

    /// Applies a transition with its event and audit entry; `None` when the report is missing
    /// or no longer in `from` (nothing written).
    async fn transition(
        &self,
        change: &Transition,
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<Option<Report>, StoreError>;

    async fn reports(&self, filter: &ReportFilter) -> Result<Vec<Report>, StoreError>;

    /// Records an evaluation of a closed report, audited; with `reopen`, the report goes from
    /// closed to reopened with an event in the same transaction. `None` (nothing written) when
    /// the report is not closed; [`StoreError::Conflict`] when an evaluation of that kind exists.
    async fn evaluate(
        &self,
        report_id: &str,
        evaluation: &Evaluation,
        audit: &AuditContext,
    ) -> Result<Option<Report>, StoreError>;

    /// Evaluations of these reports, oldest first: (report id, evaluation).
    async fn evaluations_of(&self, ids: &[String])
        -> Result<Vec<(String, Evaluation)>, StoreError>;

    /// Events of these reports, oldest first: (report id, event).
    async fn events_of(&self, ids: &[String]) -> Result<Vec<(String, ReportEvent)>, StoreError>;

    /// Hands a report to another handler by hand (a dispatcher's 吹哨 to a department): new
    /// handler, queue unit and assignee, with an event and an audit entry. `None` (nothing
    /// written) when the report is no longer in `reassignment.state`.
    async fn reassign(
        &self,
        reassignment: &Reassignment,
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<Option<Report>, StoreError>;

    /// Moves a report whose deadline was missed to a higher unit's queue, with its event and
    /// audit entry; false (nothing written) when that deadline was escalated before.
    async fn escalate(
        &self,
        escalation: &Escalation,
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// The points of reports for a map tile, newest first (created_at, then id, descending).
    async fn report_points(&self, query: &PointQuery) -> Result<Vec<ReportPoint>, StoreError>;

    /// Enabled accounts of `role` (and `department`, for department accounts) with a scope that
    /// is exactly one of `codes`: (username, that scope), in username order.
    async fn responsible_staff(
        &self,
        codes: &[UnitCode],
        role: Role,
        department: Option<&str>,
    ) -> Result<Vec<(String, UnitCode)>, StoreError>;
}

/// `code%` patterns of the units given (codes are digits only, so nothing needs escaping).
pub(crate) fn prefix_patterns(codes: &[UnitCode]) -> Vec<String> {
    codes.iter().map(|c| format!("{}%", c.as_str())).collect()
}

/// A report row as both stores read it (JSON columns as text), before it is checked.
pub(crate) struct ReportRow {
    pub id: String,
    pub category: String,
    pub description: String,
    pub lon: f64,
    pub lat: f64,
    pub input_crs: String,
    pub channel: String,
    pub media: String,
    pub reporter: Option<String>,
    pub chain: String,
    pub unit_code: String,
    pub matched: String,
    pub handler: String,
    pub queue_unit: String,
    pub assignee: Option<String>,
    pub state: String,
    pub merged_into: Option<String>,
    pub accept_due: DateTime<Utc>,
    pub handle_due: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub receipt_sha256: Option<String>,
}

impl ReportRow {
    pub fn into_report(self) -> Result<Report, StoreError> {
        let id = self.id;
        let corrupt = |what: String| StoreError::Corrupt(format!("reports row {id}: {what}"));
        let json = |column: &str, text: &str| -> Result<Value, StoreError> {
            serde_json::from_str(text).map_err(|e| corrupt(format!("{column}: {e}")))
        };
        let code = |column: &str, text: &str| {
            UnitCode::parse(text).map_err(|e| corrupt(format!("{column}: {e}")))
        };
        let media: Vec<String> = serde_json::from_value(json("media", &self.media)?)
            .map_err(|e| corrupt(format!("media: {e}")))?;
        let chain = serde_json::from_value(json("chain", &self.chain)?)
            .map_err(|e| corrupt(format!("chain: {e}")))?;
        let handler = serde_json::from_value(json("handler", &self.handler)?)
            .map_err(|e| corrupt(format!("handler: {e}")))?;
        Ok(Report {
            category: self.category,
            description: self.description,
            location: crate::spatial::Wgs84 {
                lon: self.lon,
                lat: self.lat,
            },
            input_crs: self.input_crs.parse().map_err(corrupt)?,
            channel: self.channel.parse().map_err(corrupt)?,
            media,
            reporter: self
                .reporter
                .as_deref()
                .map(|r| json("reporter", r))
                .transpose()?,
            chain,
            unit_code: code("unit_code", &self.unit_code)?,
            matched: crate::reports::model::parse_match(&self.matched).map_err(corrupt)?,
            handler,
            queue_unit: code("queue_unit", &self.queue_unit)?,
            assignee: self.assignee,
            state: self.state.parse().map_err(corrupt)?,
            merged_into: self.merged_into,
            accept_due: self.accept_due,
            handle_due: self.handle_due,
            created_at: self.created_at,
            updated_at: self.updated_at,
            receipt_sha256: self.receipt_sha256,
            id,
        })
    }
}

/// A report point row as both stores read it, before it is checked.
pub(crate) struct PointRow {
    pub id: String,
    pub category: String,
    pub lon: f64,
    pub lat: f64,
    pub state: String,
    pub unit_code: String,
    pub queue_unit: String,
    pub accept_due: DateTime<Utc>,
    pub handle_due: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// The columns a [`PointRow`] is read from.
pub(crate) const POINT_COLUMNS: &str =
    "id, category, lon, lat, state, unit_code, queue_unit, accept_due, handle_due, created_at";

impl PointRow {
    pub fn into_point(self) -> Result<ReportPoint, StoreError> {
        let id = self.id;
        let corrupt = |what: String| StoreError::Corrupt(format!("reports row {id}: {what}"));
        let code = |column: &str, text: &str| {
            UnitCode::parse(text).map_err(|e| corrupt(format!("{column}: {e}")))
        };
        Ok(ReportPoint {
            location: Wgs84 {
                lon: self.lon,
                lat: self.lat,
            },
            category: self.category,
            state: self.state.parse().map_err(corrupt)?,
            unit_code: code("unit_code", &self.unit_code)?,
            queue_unit: code("queue_unit", &self.queue_unit)?,
            accept_due: self.accept_due,
            handle_due: self.handle_due,
            created_at: self.created_at,
            id,
        })
    }
}

/// An event row as both stores read it.
pub(crate) struct EventRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub note: String,
    pub photos: String,
}

impl EventRow {
    pub fn into_event(self) -> Result<ReportEvent, StoreError> {
        let id = self.id;
        let corrupt = |what: String| StoreError::Corrupt(format!("report_events row {id}: {what}"));
        Ok(ReportEvent {
            id,
            at: self.at,
            actor: self.actor,
            from_state: self
                .from_state
                .as_deref()
                .map(str::parse)
                .transpose()
                .map_err(corrupt)?,
            to_state: self.to_state.parse().map_err(corrupt)?,
            note: self.note,
            photos: serde_json::from_str(&self.photos)
                .map_err(|e| corrupt(format!("photos: {e}")))?,
        })
    }
}

/// The JSON columns of a report as text: media, reporter, chain, handler.
pub(crate) fn json_columns(r: &Report) -> (String, Option<String>, String, String) {
    (
        serde_json::Value::from(r.media.clone()).to_string(),
        r.reporter.as_ref().map(Value::to_string),
        serde_json::to_string(&r.chain).unwrap_or_else(|_| "[]".to_owned()),
        serde_json::to_string(&r.handler).unwrap_or_else(|_| "{}".to_owned()),
    )
}

/// The audit entry of an intake. The reporter's contact stays out of the log.
pub(crate) fn created_record(r: &Report) -> AuditRecord {
    AuditRecord {
        action: "report.create",
        object_type: "report",
        object_id: r.id.clone(),
        before: None,
        after: Some(serde_json::json!({
            "state": r.state,
            "category": r.category,
            "channel": r.channel,
            "unit_code": r.unit_code,
            "queue_unit": r.queue_unit,
            "assignee": r.assignee,
        })),
    }
}

/// The audit entry of a transition.
pub(crate) fn transition_record(t: &Transition, after: &Report) -> AuditRecord {
    AuditRecord {
        action: "report.transition",
        object_type: "report",
        object_id: t.report_id.clone(),
        before: Some(serde_json::json!({ "state": t.from })),
        after: Some(serde_json::json!({
            "state": after.state,
            "note": t.note,
            "assignee": after.assignee,
            "merged_into": after.merged_into,
        })),
    }
}

/// Catalogue entries as stored: code, position, entry JSON text.
pub(crate) fn catalogue_rows(categories: &[Category]) -> Vec<(String, i32, String)> {
    categories
        .iter()
        .enumerate()
        .map(|(i, c)| {
            (
                c.code.clone(),
                i as i32,
                serde_json::to_string(c).unwrap_or_else(|_| "{}".to_owned()),
            )
        })
        .collect()
}

pub(crate) fn catalogue_record(categories: &[Category], before: Option<Value>) -> AuditRecord {
    AuditRecord {
        action: "catalogue.replace",
        object_type: "catalogue",
        object_id: "dispatch".to_owned(),
        before,
        after: Some(serde_json::json!({ "categories": categories })),
    }
}

pub(crate) fn read_category(text: &str, code: &str) -> Result<Category, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("dispatch_catalogue row {code}: {e}")))
}

pub(crate) fn evaluation_record(report_id: &str, e: &Evaluation) -> AuditRecord {
    AuditRecord {
        action: "report.evaluate",
        object_type: "report",
        object_id: report_id.to_owned(),
        before: None,
        after: Some(serde_json::json!({
            "rating": e.rating,
            "comment": e.comment,
            "reopened": e.reopened,
        })),
    }
}

pub(crate) fn read_evaluation(
    rating: &str,
    comment: String,
    reopened: bool,
    actor: String,
    at: DateTime<Utc>,
) -> Result<Evaluation, StoreError> {
    Ok(Evaluation {
        rating: rating
            .parse()
            .map_err(|e: String| StoreError::Corrupt(format!("report_evaluations: {e}")))?,
        comment,
        reopened,
        actor,
        at,
    })
}

/// The event a write appends.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NewEvent<'a> {
    pub from: Option<State>,
    pub to: State,
    pub note: &'a str,
    pub photos: &'a [String],
}

impl<'a> NewEvent<'a> {
    pub fn of(t: &'a Transition) -> NewEvent<'a> {
        NewEvent {
            from: Some(t.from),
            to: t.to,
            note: &t.note,
            photos: &t.photos,
        }
    }
}
