//! The households half of the store: upserts on the natural key (address + room), reads, deletes
//! and the location stream later analyses load. Every write appends its audit entry in the same
//! transaction; a batch upsert appends one entry with its counts, not one per row.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::StoreError;
use crate::auth::audit::{AuditContext, AuditRecord};
use crate::households::model::mask_phone;
use crate::households::{Household, HouseholdInput, Tag};
use crate::spatial::crs::Crs;
use crate::units::UnitCode;

/// What a batch upsert did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Upserted {
    pub created: u64,
    pub updated: u64,
}

/// One household's location, unit and address, for in-memory analyses (coverage) and
/// re-assignment. No name, phone or tag: analyses need none.
#[derive(Debug, Clone, PartialEq)]
pub struct HouseholdLocation {
    pub id: i64,
    pub address: String,
    pub room: String,
    pub lon: f64,
    pub lat: f64,
    pub unit_code: UnitCode,
}

/// Households, people and tagged households within a unit (the unit and everything below it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct HouseholdCounts {
    pub households: i64,
    /// The sum of the sizes given (households without a size count none).
    pub people: i64,
    pub elderly_alone: i64,
    pub party_member_household: i64,
    pub low_income: i64,
}

/// The code range of `code` and everything below it: codes are digits, and `:` sorts after `9`.
pub(crate) fn code_range(code: &UnitCode) -> (String, String) {
    (code.as_str().to_owned(), format!("{code}:"))
}

#[async_trait]
pub trait HouseholdStore: Send + Sync {
    /// Writes `rows` (each with the unit it was assigned to) in one transaction: a natural key
    /// not yet stored is created, a stored one is overwritten (its id kept). One audit entry
    /// `household.import` labelled `source` records the counts. Committed before it returns; on
    /// any error nothing is written.
    async fn upsert_households(
        &self,
        rows: &[(HouseholdInput, UnitCode)],
        source: &str,
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<Upserted, StoreError>;

    async fn household(&self, id: i64) -> Result<Option<Household>, StoreError>;

    /// Deletes one household with its audit entry (before: the household, phone masked); `None`
    /// when there is no such household.
    async fn delete_household(
        &self,
        id: i64,
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<Option<Household>, StoreError>;

    /// The counts of the households assigned within `unit`, read in one query.
    async fn household_counts(&self, unit: &UnitCode) -> Result<HouseholdCounts, StoreError>;

    /// Every household's location and unit, ordered by id.
    async fn household_locations(&self) -> Result<Vec<HouseholdLocation>, StoreError>;
}

pub(crate) const HOUSEHOLD_COLUMNS: &str = "id, address, room, head_name, phone, size, tags, lon, \
     lat, input_crs, unit_code, created_at, updated_at";

/// A households row as both stores read it (tags as JSON text).
pub(crate) struct HouseholdRow {
    pub id: i64,
    pub address: String,
    pub room: String,
    pub head_name: String,
    pub phone: String,
    pub size: Option<i32>,
    pub tags: serde_json::Value,
    pub lon: f64,
    pub lat: f64,
    pub input_crs: String,
    pub unit_code: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl HouseholdRow {
    pub fn into_household(self) -> Result<Household, StoreError> {
        let corrupt =
            |what: String| StoreError::Corrupt(format!("households row {}: {what}", self.id));
        let tags: Vec<Tag> =
            serde_json::from_value(self.tags.clone()).map_err(|e| corrupt(format!("tags: {e}")))?;
        let input_crs: Crs = self.input_crs.parse().map_err(corrupt)?;
        let unit_code = UnitCode::parse(&self.unit_code).map_err(corrupt)?;
        Ok(Household {
            id: self.id,
            address: self.address,
            room: self.room,
            head_name: self.head_name,
            phone: self.phone,
            size: self.size,
            tags,
            lon: self.lon,
            lat: self.lat,
            input_crs,
            unit_code,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

pub(crate) fn tags_json(tags: &[Tag]) -> serde_json::Value {
    json!(tags)
}

pub(crate) fn import_record(source: &str, rows: usize, done: Upserted) -> AuditRecord {
    AuditRecord {
        action: "household.import",
        object_type: "household",
        object_id: source.to_owned(),
        before: None,
        after: Some(json!({"rows": rows, "created": done.created, "updated": done.updated})),
    }
}

pub(crate) fn delete_record(h: &Household) -> AuditRecord {
    AuditRecord {
        action: "household.delete",
        object_type: "household",
        object_id: h.id.to_string(),
        before: Some(json!({
            "address": h.address, "room": h.room, "unit_code": h.unit_code,
            "phone": mask_phone(&h.phone),
        })),
        after: None,
    }
}
