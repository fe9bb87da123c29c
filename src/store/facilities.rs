//! The facilities half of the store: single writes with optimistic versions, the import upsert
//! (external id first, then the natural key) and the full read the in-memory index loads. Every
//! write appends its audit entry in the same transaction; an import appends one with its counts.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::StoreError;
use crate::auth::audit::{AuditContext, AuditRecord};
use crate::facilities::model::unit_chain;
use crate::facilities::{Facility, FacilityInput, OpeningHours};
use crate::units::UnitCode;

/// What an import did; `written` holds every facility created or updated, as stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FacilityUpserts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    #[serde(skip)]
    pub written: Vec<Facility>,
}

#[async_trait]
pub trait FacilityStore: Send + Sync {
    /// Every facility, ordered by id.
    async fn facilities(&self) -> Result<Vec<Facility>, StoreError>;

    async fn facility(&self, id: i64) -> Result<Option<Facility>, StoreError>;

    /// Creates one facility (version 1) assigned to `unit`; `Conflict` when its external id or
    /// natural key is taken. Committed with its audit entry before it returns.
    async fn create_facility(
        &self,
        input: &FacilityInput,
        unit: &UnitCode,
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<Facility, StoreError>;

    /// Replaces facility `id` when its stored version is `expected_version` (version + 1);
    /// `None` when there is no such facility, `Conflict` when the version moved on or the new
    /// external id or natural key is another facility's.
    async fn update_facility(
        &self,
        id: i64,
        expected_version: i64,
        input: &FacilityInput,
        unit: &UnitCode,
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<Option<Facility>, StoreError>;

    /// Deletes one facility with its audit entry; `None` when there is no such facility.
    async fn delete_facility(
        &self,
        id: i64,
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<Option<Facility>, StoreError>;

    /// Writes an import in one transaction ([`plan_upserts`] decides each row); one audit entry
    /// `facility.import` labelled `source`. On any error nothing is written.
    async fn upsert_facilities(
        &self,
        rows: &[(FacilityInput, UnitCode)],
        source: &str,
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<FacilityUpserts, StoreError>;
}

pub(crate) const FACILITY_COLUMNS: &str = "id, external_id, category, kind, name, lon, lat, \
     address, opening_hours, capacity, contact, unit_code, version";

/// The columns a write sets from a [`FacilityInput`] and its unit, in binding order.
pub(crate) const WRITTEN_COLUMNS: &str = "external_id, natural_key, category, kind, name, lon, \
     lat, input_crs, address, opening_hours, capacity, contact, unit_code";

/// A facilities row as both stores read it.
pub(crate) struct FacilityRow {
    pub id: i64,
    pub external_id: Option<String>,
    pub category: String,
    pub kind: Option<String>,
    pub name: String,
    pub lon: f64,
    pub lat: f64,
    pub address: Option<String>,
    pub opening_hours: Option<String>,
    pub capacity: Option<i64>,
    pub contact: Option<String>,
    pub unit_code: String,
    pub version: i64,
}

impl FacilityRow {
    pub fn into_facility(self) -> Result<Facility, StoreError> {
        let corrupt =
            |what: String| StoreError::Corrupt(format!("facilities row {}: {what}", self.id));
        let unit = UnitCode::parse(&self.unit_code).map_err(corrupt)?;
        let opening_hours = self
            .opening_hours
            .as_deref()
            .map(OpeningHours::parse)
            .transpose()
            .map_err(|e| corrupt(e.to_string()))?;
        let capacity = self
            .capacity
            .map(u32::try_from)
            .transpose()
            .map_err(|e| corrupt(format!("capacity: {e}")))?;
        Ok(Facility {
            id: self.id,
            external_id: self.external_id,
            category: self.category,
            kind: self.kind,
            name: self.name,
            location: crate::spatial::Wgs84 {
                lon: self.lon,
                lat: self.lat,
            },
            address: self.address,
            opening_hours,
            capacity,
            contact: self.contact,
            units: unit_chain(&unit),
            version: self.version,
        })
    }
}

/// What an import does with one of its rows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Upsert {
    Create,
    /// Overwrite the facility of this id, giving it `version`.
    Update {
        id: i64,
        version: i64,
    },
    Unchanged,
}

/// Decides each import row against what is stored: a row matches the facility of its external
/// id, or else the one of its natural key; a match whose content and unit are the same is left
/// alone. `Conflict` when a row's natural key belongs to another facility than the one it
/// matched, or two rows match the same facility: the import would contradict itself.
pub(crate) fn plan_upserts(
    stored: &[Facility],
    rows: &[(FacilityInput, UnitCode)],
) -> Result<Vec<Upsert>, StoreError> {
    let by_external: HashMap<&str, &Facility> = stored
        .iter()
        .filter_map(|f| f.external_id.as_deref().map(|e| (e, f)))
        .collect();
    let by_key: HashMap<String, &Facility> =
        stored.iter().map(|f| (stored_natural_key(f), f)).collect();
    let mut claimed: HashMap<i64, usize> = HashMap::new();
    let mut plan = Vec::with_capacity(rows.len());
    for (i, (input, unit)) in rows.iter().enumerate() {
        let key = input.natural_key();
        let by_id = input
            .external_id
            .as_deref()
            .and_then(|e| by_external.get(e));
        let found = by_id.or_else(|| by_key.get(&key)).copied();
        if let (Some(f), Some(owner)) = (found, by_key.get(&key)) {
            if owner.id != f.id {
                return Err(StoreError::Conflict(format!(
                    "import row {}: `{}` at `{}` is already facility {}, not facility {}",
                    i + 1,
                    input.name,
                    input.address.as_deref().unwrap_or(""),
                    owner.id,
                    f.id
                )));
            }
        }
        let step = match found {
            None => Upsert::Create,
            Some(f) => {
                if let Some(first) = claimed.insert(f.id, i) {
                    return Err(StoreError::Conflict(format!(
                        "import rows {} and {} are both facility {}",
                        first + 1,
                        i + 1,
                        f.id
                    )));
                }
                if f.same_content(input) && f.unit_code() == Some(unit.as_str()) {
                    Upsert::Unchanged
                } else {
                    Upsert::Update {
                        id: f.id,
                        version: f.version + 1,
                    }
                }
            }
        };
        plan.push(step);
    }
    Ok(plan)
}

fn stored_natural_key(f: &Facility) -> String {
    crate::tabular::natural_key(&[&f.category, &f.name, f.address.as_deref().unwrap_or("")])
}

/// The audit view of a facility (public data, so whole).
fn audit_view(f: &Facility) -> serde_json::Value {
    json!(f)
}

pub(crate) fn create_record(f: &Facility) -> AuditRecord {
    AuditRecord {
        action: "facility.create",
        object_type: "facility",
        object_id: f.id.to_string(),
        before: None,
        after: Some(audit_view(f)),
    }
}

pub(crate) fn update_record(before: &Facility, after: &Facility) -> AuditRecord {
    AuditRecord {
        action: "facility.update",
        object_type: "facility",
        object_id: after.id.to_string(),
        before: Some(audit_view(before)),
        after: Some(audit_view(after)),
    }
}

pub(crate) fn delete_record(f: &Facility) -> AuditRecord {
    AuditRecord {
        action: "facility.delete",
        object_type: "facility",
        object_id: f.id.to_string(),
        before: Some(audit_view(f)),
        after: None,
    }
}

pub(crate) fn import_record(source: &str, rows: usize, done: &FacilityUpserts) -> AuditRecord {
    AuditRecord {
        action: "facility.import",
        object_type: "facility",
        object_id: source.to_owned(),
        before: None,
        after: Some(json!({
            "rows": rows, "created": done.created, "updated": done.updated,
            "unchanged": done.unchanged,
        })),
    }
}

/// The conflict a unique index reports, said in the domain's words; other errors pass.
pub(crate) fn taken(e: sqlx::Error, input: &FacilityInput) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            let what = if d.message().contains("external_id") {
                format!(
                    "external_id `{}` is another facility's",
                    input.external_id.as_deref().unwrap_or("")
                )
            } else {
                format!(
                    "a `{}` facility named `{}` at `{}` exists already",
                    input.category,
                    input.name,
                    input.address.as_deref().unwrap_or("")
                )
            };
            StoreError::Conflict(what)
        }
        _ => StoreError::Database(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spatial::crs::{Crs, Wgs84};

    fn input(external_id: Option<&str>, name: &str) -> FacilityInput {
        FacilityInput {
            external_id: external_id.map(str::to_owned),
            category: "medical".to_owned(),
            kind: None,
            name: name.to_owned(),
            location: Wgs84 {
                lon: 118.1,
                lat: 24.5,
            },
            input_crs: Crs::Wgs84,
            address: Some("思明路1号".to_owned()),
            opening_hours: None,
            capacity: None,
            contact: None,
        }
    }

    fn unit() -> UnitCode {
        UnitCode::parse("350203001001").unwrap()
    }

    #[test]
    fn rows_match_by_external_id_then_natural_key_and_identical_ones_are_left_alone() {
        let a = input(Some("a"), "甲站").into_facility(1, unit_chain(&unit()), 3);
        let b = input(None, "乙站").into_facility(2, unit_chain(&unit()), 1);
        let stored = [a, b];
        let rows = vec![
            (input(Some("a"), "甲站新名"), unit()),
            (input(None, "乙站"), unit()),
            (input(None, "丙站"), unit()),
        ];
        let plan = plan_upserts(&stored, &rows).unwrap();
        assert_eq!(
            plan,
            [
                Upsert::Update { id: 1, version: 4 },
                Upsert::Unchanged,
                Upsert::Create
            ]
        );
        // The natural key is folded: a respaced name finds the same facility and renames it.
        let respaced = vec![(input(None, "乙 站"), unit())];
        assert_eq!(
            plan_upserts(&stored, &respaced).unwrap(),
            [Upsert::Update { id: 2, version: 2 }]
        );
    }

    #[test]
    fn a_row_taking_anothers_natural_key_or_two_rows_of_one_facility_conflict() {
        let a = input(Some("a"), "甲站").into_facility(1, unit_chain(&unit()), 1);
        let b = input(None, "乙站").into_facility(2, unit_chain(&unit()), 1);
        let stored = [a, b];
        let steal = vec![(input(Some("a"), "乙站"), unit())];
        assert!(matches!(
            plan_upserts(&stored, &steal),
            Err(StoreError::Conflict(m)) if m.contains("already facility 2")
        ));
        let twice = vec![(input(None, "乙站"), unit()), (input(None, "乙站"), unit())];
        assert!(matches!(
            plan_upserts(&stored, &twice),
            Err(StoreError::Conflict(m)) if m.contains("rows 1 and 2")
        ));
    }

    #[test]
    fn the_chain_runs_from_the_district_down() {
        assert_eq!(
            unit_chain(&UnitCode::parse("35020300100100101").unwrap()),
            [
                "350203",
                "350203001",
                "350203001001",
                "350203001001001",
                "35020300100100101"
            ]
        );
    }
}
