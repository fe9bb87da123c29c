//! [`FacilityStore`] on the embedded store. Same table and rules as PostGIS.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::query::Query;
use sqlx::sqlite::{Sqlite, SqliteArguments, SqliteRow};
use sqlx::{Row, SqliteConnection};

use super::facilities::{
    create_record, delete_record, import_record, plan_upserts, taken, update_record, FacilityRow,
    FacilityStore, FacilityUpserts, Upsert, FACILITY_COLUMNS, WRITTEN_COLUMNS,
};
use super::sqlite::{timestamp, SqliteStore};
use super::sqlite_auth::insert_audit;
use super::StoreError;
use crate::auth::audit::AuditContext;
use crate::facilities::{Facility, FacilityInput};
use crate::units::UnitCode;

fn facility_from_row(row: &SqliteRow) -> Result<Facility, StoreError> {
    FacilityRow {
        id: row.try_get("id")?,
        external_id: row.try_get("external_id")?,
        category: row.try_get("category")?,
        kind: row.try_get("kind")?,
        name: row.try_get("name")?,
        lon: row.try_get("lon")?,
        lat: row.try_get("lat")?,
        address: row.try_get("address")?,
        opening_hours: row.try_get("opening_hours")?,
        capacity: row.try_get("capacity")?,
        contact: row.try_get("contact")?,
        unit_code: row.try_get("unit_code")?,
        version: row.try_get("version")?,
    }
    .into_facility()
}

async fn select(conn: &mut SqliteConnection, id: i64) -> Result<Option<Facility>, StoreError> {
    sqlx::query(&format!(
        "SELECT {FACILITY_COLUMNS} FROM facilities WHERE id = ?1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(facility_from_row)
    .transpose()
}

async fn select_all(conn: &mut SqliteConnection) -> Result<Vec<Facility>, StoreError> {
    sqlx::query(&format!(
        "SELECT {FACILITY_COLUMNS} FROM facilities ORDER BY id"
    ))
    .fetch_all(conn)
    .await?
    .iter()
    .map(facility_from_row)
    .collect()
}

/// The input's columns, bound to parameters 1 to 13 in [`WRITTEN_COLUMNS`] order.
fn bind_input<'q>(
    query: Query<'q, Sqlite, SqliteArguments<'q>>,
    f: &'q FacilityInput,
    unit: &'q UnitCode,
) -> Query<'q, Sqlite, SqliteArguments<'q>> {
    query
        .bind(&f.external_id)
        .bind(f.natural_key())
        .bind(&f.category)
        .bind(&f.kind)
        .bind(&f.name)
        .bind(f.location.lon)
        .bind(f.location.lat)
        .bind(f.input_crs.as_str())
        .bind(&f.address)
        .bind(f.opening_hours.as_ref().map(ToString::to_string))
        .bind(f.capacity.map(i64::from))
        .bind(&f.contact)
        .bind(unit.as_str())
}

async fn insert(
    conn: &mut SqliteConnection,
    f: &FacilityInput,
    unit: &UnitCode,
    now: &str,
) -> Result<Facility, StoreError> {
    let sql = format!(
        "INSERT INTO facilities ({WRITTEN_COLUMNS}, version, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 1, ?14, ?14) RETURNING {FACILITY_COLUMNS}"
    );
    let row = bind_input(sqlx::query(&sql), f, unit)
        .bind(now)
        .fetch_one(conn)
        .await
        .map_err(|e| taken(e, f))?;
    facility_from_row(&row)
}

async fn overwrite(
    conn: &mut SqliteConnection,
    id: i64,
    version: i64,
    f: &FacilityInput,
    unit: &UnitCode,
    now: &str,
) -> Result<Facility, StoreError> {
    let sql = format!(
        "UPDATE facilities SET external_id = ?1, natural_key = ?2, category = ?3, kind = ?4, name = ?5, lon = ?6, lat = ?7, input_crs = ?8, address = ?9, opening_hours = ?10, capacity = ?11, contact = ?12, unit_code = ?13, \
         version = ?14, updated_at = ?15 WHERE id = ?16 RETURNING {FACILITY_COLUMNS}"
    );
    let row = bind_input(sqlx::query(&sql), f, unit)
        .bind(version)
        .bind(now)
        .bind(id)
        .fetch_one(conn)
        .await
        .map_err(|e| taken(e, f))?;
    facility_from_row(&row)
}

#[async_trait]
impl FacilityStore for SqliteStore {
    async fn facilities(&self) -> Result<Vec<Facility>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        select_all(&mut conn).await
    }

    async fn facility(&self, id: i64) -> Result<Option<Facility>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        select(&mut conn, id).await
    }

    async fn create_facility(
        &self,
        input: &FacilityInput,
        unit: &UnitCode,
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<Facility, StoreError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let created = insert(&mut tx, input, unit, &timestamp(now)).await?;
        insert_audit(&mut tx, audit, &create_record(&created), now).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn update_facility(
        &self,
        id: i64,
        expected_version: i64,
        input: &FacilityInput,
        unit: &UnitCode,
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<Option<Facility>, StoreError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let Some(before) = select(&mut tx, id).await? else {
            return Ok(None);
        };
        if before.version != expected_version {
            return Err(StoreError::Conflict(format!(
                "facility {id} is at version {}, not {expected_version}: read it again",
                before.version
            )));
        }
        let after = overwrite(
            &mut tx,
            id,
            before.version + 1,
            input,
            unit,
            &timestamp(now),
        )
        .await?;
        insert_audit(&mut tx, audit, &update_record(&before, &after), now).await?;
        tx.commit().await?;
        Ok(Some(after))
    }

    async fn delete_facility(
        &self,
        id: i64,
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<Option<Facility>, StoreError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let Some(row) = sqlx::query(&format!(
            "DELETE FROM facilities WHERE id = ?1 RETURNING {FACILITY_COLUMNS}"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(None);
        };
        let gone = facility_from_row(&row)?;
        insert_audit(&mut tx, audit, &delete_record(&gone), now).await?;
        tx.commit().await?;
        Ok(Some(gone))
    }

    async fn upsert_facilities(
        &self,
        rows: &[(FacilityInput, UnitCode)],
        source: &str,
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<FacilityUpserts, StoreError> {
        let now_text = timestamp(now);
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let stored = select_all(&mut tx).await?;
        let plan = plan_upserts(&stored, rows)?;
        let mut done = FacilityUpserts::default();
        for ((input, unit), step) in rows.iter().zip(plan) {
            match step {
                Upsert::Create => {
                    done.written
                        .push(insert(&mut tx, input, unit, &now_text).await?);
                    done.created += 1;
                }
                Upsert::Update { id, version } => {
                    done.written
                        .push(overwrite(&mut tx, id, version, input, unit, &now_text).await?);
                    done.updated += 1;
                }
                Upsert::Unchanged => done.unchanged += 1,
            }
        }
        insert_audit(
            &mut tx,
            audit,
            &import_record(source, rows.len(), &done),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(done)
    }
}
