//! [`HouseholdStore`] on the embedded store. Same table and rules as PostGIS.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::households::{
    code_range, delete_record, import_record, tags_json, HouseholdCounts, HouseholdLocation,
    HouseholdRow, HouseholdStore, Upserted, HOUSEHOLD_COLUMNS,
};
use super::sqlite::{timestamp, SqliteStore};
use super::sqlite_auth::insert_audit;
use super::StoreError;
use crate::auth::audit::AuditContext;
use crate::households::{Household, HouseholdInput};
use crate::units::UnitCode;

fn time(row: &SqliteRow, column: &str) -> Result<DateTime<Utc>, StoreError> {
    let text: String = row.try_get(column)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("households.{column} `{text}`: {e}")))
}

fn household_from_row(row: &SqliteRow) -> Result<Household, StoreError> {
    let tags: String = row.try_get("tags")?;
    HouseholdRow {
        id: row.try_get("id")?,
        address: row.try_get("address")?,
        room: row.try_get("room")?,
        head_name: row.try_get("head_name")?,
        phone: row.try_get("phone")?,
        size: row.try_get("size")?,
        tags: serde_json::from_str(&tags)
            .map_err(|e| StoreError::Corrupt(format!("households.tags `{tags}`: {e}")))?,
        lon: row.try_get("lon")?,
        lat: row.try_get("lat")?,
        input_crs: row.try_get("input_crs")?,
        unit_code: row.try_get("unit_code")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    }
    .into_household()
}

#[async_trait]
impl HouseholdStore for SqliteStore {
    async fn upsert_households(
        &self,
        rows: &[(HouseholdInput, UnitCode)],
        source: &str,
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<Upserted, StoreError> {
        let now_text = timestamp(now);
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        // Writers are serialised (BEGIN IMMEDIATE), so an id above this one was created here.
        let max_before: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM households")
            .fetch_one(&mut *tx)
            .await?;
        let mut created = HashSet::new();
        let mut done = Upserted::default();
        for (h, unit) in rows {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO households (natural_key, address, room, head_name, phone, size, \
                 tags, lon, lat, input_crs, unit_code, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12) \
                 ON CONFLICT (natural_key) DO UPDATE SET address = excluded.address, \
                 room = excluded.room, head_name = excluded.head_name, phone = excluded.phone, \
                 size = excluded.size, tags = excluded.tags, lon = excluded.lon, \
                 lat = excluded.lat, input_crs = excluded.input_crs, \
                 unit_code = excluded.unit_code, updated_at = excluded.updated_at \
                 RETURNING id",
            )
            .bind(h.natural_key())
            .bind(&h.address)
            .bind(&h.room)
            .bind(&h.head_name)
            .bind(&h.phone)
            .bind(h.size)
            .bind(tags_json(&h.tags).to_string())
            .bind(h.lon)
            .bind(h.lat)
            .bind(h.input_crs.as_str())
            .bind(unit.as_str())
            .bind(&now_text)
            .fetch_one(&mut *tx)
            .await?;
            if id > max_before && created.insert(id) {
                done.created += 1;
            } else {
                done.updated += 1;
            }
        }
        insert_audit(
            &mut tx,
            audit,
            &import_record(source, rows.len(), done),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(done)
    }

    async fn household(&self, id: i64) -> Result<Option<Household>, StoreError> {
        sqlx::query(&format!(
            "SELECT {HOUSEHOLD_COLUMNS} FROM households WHERE id = ?1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(household_from_row)
        .transpose()
    }

    async fn delete_household(
        &self,
        id: i64,
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<Option<Household>, StoreError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let Some(row) = sqlx::query(&format!(
            "DELETE FROM households WHERE id = ?1 RETURNING {HOUSEHOLD_COLUMNS}"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(None);
        };
        let household = household_from_row(&row)?;
        insert_audit(&mut tx, audit, &delete_record(&household), now).await?;
        tx.commit().await?;
        Ok(Some(household))
    }

    async fn household_counts(&self, unit: &UnitCode) -> Result<HouseholdCounts, StoreError> {
        let (from, to) = code_range(unit);
        let row = sqlx::query(
            "SELECT COUNT(*), COALESCE(SUM(size), 0), \
                 COALESCE(SUM(CASE WHEN instr(tags, '\"elderly_alone\"') > 0 THEN 1 ELSE 0 END), 0), \
                 COALESCE(SUM(CASE WHEN instr(tags, '\"party_member_household\"') > 0 THEN 1 ELSE 0 END), 0), \
                 COALESCE(SUM(CASE WHEN instr(tags, '\"low_income\"') > 0 THEN 1 ELSE 0 END), 0) \
                 FROM households WHERE unit_code >= ?1 AND unit_code < ?2",
        )
        .bind(from)
        .bind(to)
        .fetch_one(self.pool())
        .await?;
        Ok(HouseholdCounts {
            households: row.try_get(0)?,
            people: row.try_get(1)?,
            elderly_alone: row.try_get(2)?,
            party_member_household: row.try_get(3)?,
            low_income: row.try_get(4)?,
        })
    }

    async fn household_locations(&self) -> Result<Vec<HouseholdLocation>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, address, room, lon, lat, unit_code FROM households ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let code: String = r.try_get("unit_code")?;
                Ok(HouseholdLocation {
                    id: r.try_get("id")?,
                    address: r.try_get("address")?,
                    room: r.try_get("room")?,
                    lon: r.try_get("lon")?,
                    lat: r.try_get("lat")?,
                    unit_code: UnitCode::parse(&code)
                        .map_err(|e| StoreError::Corrupt(format!("households.unit_code: {e}")))?,
                })
            })
            .collect()
    }
}
