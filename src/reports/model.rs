//! A report as stored: where it is (WGS84 and its unit chain), what it is about, who handles it,
//! where it stands in the closed loop, and its events.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::catalogue::Handler;
use crate::spatial::{Crs, Match, Wgs84};
use crate::units::{UnitCode, UnitRef};

/// How a report reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The 12345 hotline, entered by an operator.
    Hotline,
    /// Snap-and-report from a phone.
    App,
    /// A grid worker on patrol.
    Patrol,
    /// Any Open311 GeoReport v2 client.
    Open311,
    Other,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::Hotline,
        Channel::App,
        Channel::Patrol,
        Channel::Open311,
        Channel::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Hotline => "hotline",
            Channel::App => "app",
            Channel::Patrol => "patrol",
            Channel::Open311 => "open311",
            Channel::Other => "other",
        }
    }
}

impl std::str::FromStr for Channel {
    type Err = String;
    fn from_str(s: &str) -> Result<Channel, String> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                format!("unknown channel `{s}`: expected hotline, app, patrol, open311 or other")
            })
    }
}

/// Where a report stands in the closed loop (after GB/T 30428).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Received,
    Dispatched,
    Accepted,
    Handled,
    Verified,
    Closed,
    /// 退回: the handler sent it back to dispatch, with a reason.
    Returned,
    /// 返工: verification failed; back to the handler.
    Reopened,
    /// A duplicate, followed up through the report it was merged into.
    Merged,
}

impl State {
    pub const ALL: [State; 9] = [
        State::Received,
        State::Dispatched,
        State::Accepted,
        State::Handled,
        State::Verified,
        State::Closed,
        State::Returned,
        State::Reopened,
        State::Merged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Received => "received",
            State::Dispatched => "dispatched",
            State::Accepted => "accepted",
            State::Handled => "handled",
            State::Verified => "verified",
            State::Closed => "closed",
            State::Returned => "returned",
            State::Reopened => "reopened",
            State::Merged => "merged",
        }
    }

    /// Still waiting for someone: neither closed nor merged away.
    pub fn is_open(self) -> bool {
        !matches!(self, State::Closed | State::Merged)
    }

    /// States whose clock is the accept deadline.
    pub const AWAITING_ACCEPTANCE: [State; 3] =
        [State::Received, State::Dispatched, State::Returned];
    /// States whose clock is the handle deadline.
    pub const AWAITING_HANDLING: [State; 2] = [State::Accepted, State::Reopened];
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for State {
    type Err = String;
    fn from_str(s: &str) -> Result<State, String> {
        State::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown state `{s}`: expected one of {}",
                    State::ALL.map(State::as_str).join(", ")
                )
            })
    }
}

/// Reads the stored name of a [`Match`].
pub fn parse_match(s: &str) -> Result<Match, String> {
    match s {
        "inside" => Ok(Match::Inside),
        "snapped" => Ok(Match::Snapped),
        "fallback" => Ok(Match::Fallback),
        _ => Err(format!("unknown match `{s}`")),
    }
}

pub fn match_str(m: Match) -> &'static str {
    match m {
        Match::Inside => "inside",
        Match::Snapped => "snapped",
        Match::Fallback => "fallback",
    }
}

/// One report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub id: String,
    pub category: String,
    pub description: String,
    pub location: Wgs84,
    /// The system the reporter's coordinates came in (stored converted to WGS84).
    pub input_crs: Crs,
    pub channel: Channel,
    /// Photo and video URLs.
    pub media: Vec<String>,
    /// Personal data (name, phone...): shown only to staff whose area covers the report.
    pub reporter: Option<Value>,
    /// District first, down to `unit_code`.
    pub chain: Vec<UnitRef>,
    /// The smallest unit of the chain: where the report lies, for area checks.
    pub unit_code: UnitCode,
    pub matched: Match,
    pub handler: Handler,
    /// The unit whose queue holds the report when nobody in particular is assigned.
    pub queue_unit: UnitCode,
    /// Username of the responsible staff member, if any.
    pub assignee: Option<String>,
    pub state: State,
    pub merged_into: Option<String>,
    pub accept_due: DateTime<Utc>,
    pub handle_due: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// SHA-256 (hex) of the receipt the reporter got at intake; never shown.
    pub receipt_sha256: Option<String>,
}

/// One step of a report's history (append-only).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub from_state: Option<State>,
    pub to_state: State,
    pub note: String,
    pub photos: Vec<String>,
}

/// The reporter's judgement of a closed report (满意 / 基本满意 / 不满意).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Satisfied,
    BasicallySatisfied,
    Dissatisfied,
}

impl Rating {
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Satisfied => "satisfied",
            Rating::BasicallySatisfied => "basically_satisfied",
            Rating::Dissatisfied => "dissatisfied",
        }
    }

    /// Satisfied or basically satisfied: counts towards the satisfaction rate.
    pub fn is_satisfied(self) -> bool {
        self != Rating::Dissatisfied
    }
}

impl std::str::FromStr for Rating {
    type Err = String;
    fn from_str(s: &str) -> Result<Rating, String> {
        [
            Rating::Satisfied,
            Rating::BasicallySatisfied,
            Rating::Dissatisfied,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
        .ok_or_else(|| {
            format!("unknown rating `{s}`: expected satisfied, basically_satisfied or dissatisfied")
        })
    }
}

/// One evaluation of a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub rating: Rating,
    pub comment: String,
    /// Whether it reopened the report (a dissatisfied first evaluation).
    pub reopened: bool,
    pub actor: String,
    pub at: DateTime<Utc>,
}
