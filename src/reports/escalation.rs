//! Escalation: a report past the deadline of its state (accept while it waits for acceptance,
//! handle while it is being handled) moves one level up (micro-grid → grid → community → street
//! → district) to that unit's queue and its responsible staff, with an event and an audit entry.
//! The store keeps one row per missed deadline, so a report is escalated once per deadline,
//! whichever instance runs the scheduler and however often it restarts.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};

use super::catalogue::Handler;
use super::model::{Report, State};
use crate::auth::AuditContext;
use crate::store::reports::{Escalation, ReportFilter};
use crate::store::{Store, StoreError};
use crate::units::Level;
use crate::AppState;

/// Reports looked at per pass (the next pass takes the rest).
const BATCH: u32 = 500;

/// The escalation a missed deadline calls for, or `None` when the report's queue is already at
/// the top (a department's queue is the district's: departments answer to the district).
pub fn escalation_of(report: &Report, now: DateTime<Utc>) -> Option<Escalation> {
    let (deadline, due_at) = if State::AWAITING_ACCEPTANCE.contains(&report.state) {
        ("accept", report.accept_due)
    } else if State::AWAITING_HANDLING.contains(&report.state) {
        ("handle", report.handle_due)
    } else {
        return None;
    };
    if due_at >= now || matches!(report.handler, Handler::Department(_)) {
        return None;
    }
    let to_unit = report.queue_unit.parent()?;
    Some(Escalation {
        report_id: report.id.clone(),
        state: report.state,
        deadline,
        due_at,
        from_unit: report.queue_unit.clone(),
        to_unit,
        assignee: None,
    })
}

/// One pass over the overdue reports; answers how many were escalated.
pub async fn run_once(store: &dyn Store, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let overdue = store
        .reports(&ReportFilter {
            overdue_at: Some(now),
            limit: BATCH,
            ..ReportFilter::default()
        })
        .await?;
    let audit = AuditContext::system("escalation");
    let mut escalated = 0;
    for report in &overdue {
        let Some(mut e) = escalation_of(report, now) else {
            continue;
        };
        let role = match e.to_unit.level() {
            Level::Grid | Level::MicroGrid => crate::auth::Role::GridWorker,
            _ => crate::auth::Role::Dispatcher,
        };
        e.assignee = store
            .responsible_staff(std::slice::from_ref(&e.to_unit), role, None)
            .await?
            .into_iter()
            .next()
            .map(|(username, _)| username);
        if store.escalate(&e, &audit, now).await? {
            tracing::info!(report = %e.report_id, from = %e.from_unit, to = %e.to_unit, "escalated");
            escalated += 1;
        }
    }
    Ok(escalated)
}

/// Runs a pass every `every` for as long as the service runs.
pub fn spawn(state: AppState, every: StdDuration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = run_once(state.store.as_ref(), Utc::now()).await {
                tracing::warn!(error = %e, "escalation pass failed; the next one retries");
            }
        }
    })
}
