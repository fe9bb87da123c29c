//! Indicators over reports that came in within a time range, per unit, department or worker:
//! intake, on-time acceptance rate, closure rate (结案率), on-time closure rate (按期结案率),
//! rework rate (返工率), satisfaction rate (满意率) and mean hours to close.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value};

use super::catalogue::Handler;
use super::model::{Evaluation, Report, ReportEvent, State};
use crate::units::Level;

/// What the indicators are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// The unit of this level on each report's chain (its smallest unit when the chain is shorter).
    Unit(Level),
    /// The handling department (level handlers: the level's name).
    Department,
    /// The assignee (`null`: still in a unit's queue).
    Worker,
}

#[derive(Debug, Default, Clone)]
struct Tally {
    intake: u64,
    merged: u64,
    accepted: u64,
    accepted_on_time: u64,
    closed: u64,
    closed_on_time: u64,
    handled: u64,
    reworked: u64,
    evaluated: u64,
    satisfied: u64,
    hours_to_close: f64,
}

fn rate(part: u64, whole: u64) -> Value {
    if whole == 0 {
        Value::Null
    } else {
        json!(((part as f64 / whole as f64) * 10_000.0).round() / 10_000.0)
    }
}

impl Tally {
    fn add(&mut self, r: &Report, events: &[&ReportEvent], evaluation: Option<&Evaluation>) {
        self.intake += 1;
        if r.state == State::Merged {
            self.merged += 1;
            return;
        }
        if let Some(a) = events.iter().find(|e| e.to_state == State::Accepted) {
            self.accepted += 1;
            self.accepted_on_time += u64::from(a.at <= r.accept_due);
        }
        if events.iter().any(|e| e.to_state == State::Handled) {
            self.handled += 1;
            self.reworked += u64::from(events.iter().any(|e| e.to_state == State::Reopened));
        }
        if r.state == State::Closed {
            if let Some(c) = events.iter().rev().find(|e| e.to_state == State::Closed) {
                self.closed += 1;
                self.closed_on_time += u64::from(c.at <= r.handle_due);
                self.hours_to_close += (c.at - r.created_at).num_seconds() as f64 / 3600.0;
            }
        }
        if let Some(e) = evaluation {
            self.evaluated += 1;
            self.satisfied += u64::from(e.rating.is_satisfied());
        }
    }

    fn view(&self, key: Value) -> Value {
        let mean = (self.closed > 0)
            .then(|| ((self.hours_to_close / self.closed as f64) * 100.0).round() / 100.0);
        json!({
            "key": key,
            "intake": self.intake,
            "merged": self.merged,
            "closed": self.closed,
            "on_time_acceptance_rate": rate(self.accepted_on_time, self.accepted),
            "closure_rate": rate(self.closed, self.intake - self.merged),
            "on_time_closure_rate": rate(self.closed_on_time, self.closed),
            "rework_rate": rate(self.reworked, self.handled),
            "satisfaction_rate": rate(self.satisfied, self.evaluated),
            "mean_hours_to_close": mean,
        })
    }
}

fn key_of(r: &Report, group: Group) -> Value {
    match group {
        Group::Unit(level) => {
            let unit = r.chain.iter().find(|u| u.level == level).or(r.chain.last());
            unit.map(|u| json!({"code": u.code, "name": u.name}))
                .unwrap_or(Value::Null)
        }
        Group::Department => match &r.handler {
            Handler::Department(d) => json!(d),
            Handler::Level(l) => json!(l.as_str()),
        },
        Group::Worker => json!(r.assignee),
    }
}

/// The indicators of `reports` in total and per group. `events` and `evaluations` may hold
/// those of other reports too; the latest evaluation of a report counts.
pub fn indicators(
    reports: &[Report],
    events: &[(String, ReportEvent)],
    evaluations: &[(String, Evaluation)],
    group: Group,
) -> Value {
    let mut by_report: HashMap<&str, Vec<&ReportEvent>> = HashMap::new();
    for (id, e) in events {
        by_report.entry(id.as_str()).or_default().push(e);
    }
    let latest: HashMap<&str, &Evaluation> =
        evaluations.iter().map(|(id, e)| (id.as_str(), e)).collect();
    let mut total = Tally::default();
    let mut groups: BTreeMap<String, (Value, Tally)> = BTreeMap::new();
    for r in reports {
        let evs = by_report
            .get(r.id.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let ev = latest.get(r.id.as_str()).copied();
        total.add(r, evs, ev);
        let key = key_of(r, group);
        groups
            .entry(key.to_string())
            .or_insert_with(|| (key, Tally::default()))
            .1
            .add(r, evs, ev);
    }
    json!({
        "total": total.view(Value::Null),
        "groups": groups.into_values().map(|(k, t)| t.view(k)).collect::<Vec<_>>(),
    })
}
