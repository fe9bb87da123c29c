//! Import of units: read everything, optionally repair, validate everything, then write all in one
//! transaction or nothing.

use std::collections::HashMap;

use chrono::Utc;
use serde::Serialize;

use super::{geojson::read_drafts, Unit, UnitDraft};
use crate::auth::AuditContext;
use crate::spatial::repair::repair;
use crate::spatial::validate::{validate_drafts, Problem, Tolerances};
use crate::spatial::Snapshot;
use crate::store::{ImportOutcome, Store, StoreError};

#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Fix ring orientation, closing, duplicate points and self-intersections, and say so.
    pub repair: bool,
    /// Validate and report without writing.
    pub dry_run: bool,
    pub tolerances: Tolerances,
}

#[derive(Debug, Clone, Serialize)]
pub struct Repaired {
    pub code: String,
    pub changes: Vec<String>,
}

/// What an import found and did. `written` is false whenever `problems` is not empty.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub features: usize,
    pub repaired: Vec<Repaired>,
    pub problems: Vec<Problem>,
    pub written: bool,
    pub outcome: Option<ImportOutcome>,
}

/// Reads, repairs (when asked) and validates a GeoJSON document of units against the current
/// snapshot. Writes nothing.
pub fn check(text: &[u8], current: &Snapshot, opts: &ImportOptions) -> (Vec<Unit>, ImportReport) {
    let (drafts, mut problems) = match read_drafts(text) {
        Ok(x) => x,
        Err(p) => (Vec::new(), vec![p]),
    };
    let features = drafts.len() + problems.len();
    let mut repaired = Vec::new();
    let drafts: Vec<(usize, UnitDraft)> = drafts
        .into_iter()
        .enumerate()
        .map(|(i, mut d)| {
            if opts.repair {
                let (fixed, changes) = repair(&d.geometry);
                if !changes.is_empty() {
                    repaired.push(Repaired {
                        code: d.code.to_string(),
                        changes,
                    });
                    d.geometry = fixed;
                }
            }
            (i, d)
        })
        .collect();
    let existing: HashMap<_, _> = current
        .units()
        .iter()
        .map(|u| (u.code.clone(), u.geometry.clone()))
        .collect();
    problems.extend(validate_drafts(&drafts, &existing, opts.tolerances));
    let now = Utc::now();
    let units = drafts.into_iter().map(|(_, d)| d.into_unit(now)).collect();
    let report = ImportReport {
        features,
        repaired,
        problems,
        written: false,
        outcome: None,
    };
    (units, report)
}

/// Checks and, when there is no problem and it is not a dry run, writes in one transaction.
pub async fn import(
    store: &dyn Store,
    text: &[u8],
    current: &Snapshot,
    opts: &ImportOptions,
    audit: &AuditContext,
) -> Result<ImportReport, StoreError> {
    let (units, report) = check(text, current, opts);
    write(store, &units, report, opts, audit).await
}

/// Writes what [`check`] accepted, unless it found problems or this is a dry run; the audit
/// entries go in the same transaction.
pub async fn write(
    store: &dyn Store,
    units: &[Unit],
    mut report: ImportReport,
    opts: &ImportOptions,
    audit: &AuditContext,
) -> Result<ImportReport, StoreError> {
    if report.problems.is_empty() && !opts.dry_run {
        report.outcome = Some(store.import_units(units, audit, Utc::now()).await?);
        report.written = true;
    }
    Ok(report)
}
