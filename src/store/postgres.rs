//! The PostGIS store: `units.geom` is geometry(MultiPolygon, 4326) behind a GiST index. Geometry
//! crosses the wire as WKB (`ST_GeomFromWKB` in, `ST_AsBinary` out), attributes as JSON text cast
//! to and from jsonb.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::Row;

use super::unit_rows::{duplicate_code, unit_write_record, OpenRow};
use super::{wkb, ImportOutcome, Store, StoreError};
use crate::auth::audit::AuditContext;
use crate::units::{Level, Unit, UnitCode};

/// Channel notified (payload: the author) when an import changed something, so that other
/// service instances sharing the database can rebuild their snapshots.
pub const UNITS_CHANGED_CHANNEL: &str = "wangge_units_changed";

macro_rules! select_units {
    ($tail:literal) => {
        concat!(
            "SELECT fid, code, name, level, parent_code, ST_AsBinary(geom, 'NDR') AS wkb, \
             version, valid_from, valid_to, attributes::text AS attributes FROM units ",
            $tail
        )
    };
}

/// The PostGIS store. Cheap to clone (a pool handle).
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://...`) and brings the schema up to date. The first
    /// migration creates the postgis extension, which needs a role allowed to do so.
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let pool = PgPoolOptions::new().max_connections(8).connect(url).await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(PostgresStore { pool })
    }

    /// The connection pool, for tests and tools.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn read_geometry(bytes: &[u8], code: &str) -> Result<geo::MultiPolygon<f64>, StoreError> {
    wkb::decode(bytes).map_err(|e| StoreError::Geometry {
        code: code.to_owned(),
        reason: e.to_string(),
    })
}

fn read_attributes(
    text: &str,
    fid: i64,
) -> Result<serde_json::Map<String, serde_json::Value>, StoreError> {
    serde_json::from_str(text).map_err(|e| {
        StoreError::Corrupt(format!(
            "units row fid {fid}: attributes are not a JSON object: {e}"
        ))
    })
}

fn unit_from_row(row: &PgRow) -> Result<Unit, StoreError> {
    let fid: i64 = row.try_get("fid")?;
    let corrupt = |what: String| StoreError::Corrupt(format!("units row fid {fid}: {what}"));
    let code_text: String = row.try_get("code")?;
    let code = UnitCode::parse(&code_text).map_err(corrupt)?;
    let level_text: String = row.try_get("level")?;
    let level: Level = level_text.parse().map_err(corrupt)?;
    let parent = row
        .try_get::<Option<String>, _>("parent_code")?
        .map(|p| UnitCode::parse(&p))
        .transpose()
        .map_err(corrupt)?;
    let wkb: Vec<u8> = row.try_get("wkb")?;
    let attributes: String = row.try_get("attributes")?;
    Ok(Unit {
        geometry: read_geometry(&wkb, &code_text)?,
        name: row.try_get("name")?,
        level,
        parent,
        version: row.try_get("version")?,
        valid_from: row.try_get("valid_from")?,
        valid_to: row.try_get("valid_to")?,
        attributes: read_attributes(&attributes, fid)?,
        code,
    })
}

#[async_trait]
impl Store for PostgresStore {
    fn kind(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn current_units(&self) -> Result<Vec<Unit>, StoreError> {
        sqlx::query(select_units!(
            "WHERE valid_to IS NULL ORDER BY code COLLATE \"C\""
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(unit_from_row)
        .collect()
    }

    async fn units_at(&self, at: DateTime<Utc>) -> Result<Vec<Unit>, StoreError> {
        sqlx::query(select_units!(
            "WHERE valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1) \
             ORDER BY code COLLATE \"C\""
        ))
        .bind(at)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(unit_from_row)
        .collect()
    }

    async fn unit_history(&self, code: &UnitCode) -> Result<Vec<Unit>, StoreError> {
        sqlx::query(select_units!("WHERE code = $1 ORDER BY version"))
            .bind(code.as_str())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(unit_from_row)
            .collect()
    }

    async fn import_units(
        &self,
        units: &[Unit],
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<ImportOutcome, StoreError> {
        if let Some(code) = duplicate_code(units) {
            return Err(StoreError::Database(sqlx::Error::InvalidArgument(format!(
                "unit {code} appears more than once in one import"
            ))));
        }
        let codes: Vec<String> = units.iter().map(|u| u.code.as_str().to_owned()).collect();

        let mut tx = self.pool.begin().await?;
        // Imports from several service instances run one after another, each deciding on what
        // the previous one committed; readers are not blocked (SHARE ROW EXCLUSIVE only conflicts
        // with writers).
        sqlx::query("LOCK TABLE units IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;

        let mut open = HashMap::new();
        let rows = sqlx::query(
            "SELECT fid, code, version, name, parent_code, ST_AsBinary(geom, 'NDR') AS wkb, \
             attributes::text AS attributes FROM units \
             WHERE valid_to IS NULL AND code = ANY($1)",
        )
        .bind(&codes)
        .fetch_all(&mut *tx)
        .await?;
        for row in rows {
            let fid: i64 = row.try_get("fid")?;
            let code: String = row.try_get("code")?;
            let stored_wkb: Vec<u8> = row.try_get("wkb")?;
            let attributes: String = row.try_get("attributes")?;
            let stored = OpenRow {
                fid,
                version: row.try_get("version")?,
                name: row.try_get("name")?,
                parent: row.try_get("parent_code")?,
                // Re-encoded so that the comparison does not depend on how PostGIS writes WKB.
                wkb: wkb::encode(&read_geometry(&stored_wkb, &code)?),
                attributes: read_attributes(&attributes, fid)?,
            };
            open.insert(code, stored);
        }

        let mut outcome = ImportOutcome::default();
        for unit in units {
            let unit_wkb = wkb::encode(&unit.geometry);
            let stored = open.get(unit.code.as_str());
            let version = match stored {
                None => {
                    outcome.created.push(unit.code.clone());
                    1
                }
                Some(row) if !row.differs_from(unit, &unit_wkb) => {
                    outcome.unchanged.push(unit.code.clone());
                    continue;
                }
                Some(row) => {
                    sqlx::query("UPDATE units SET valid_to = $1 WHERE fid = $2")
                        .bind(now)
                        .bind(row.fid)
                        .execute(&mut *tx)
                        .await?;
                    outcome.updated.push(unit.code.clone());
                    row.version + 1
                }
            };
            sqlx::query(
                "INSERT INTO units (geom, code, name, level, parent_code, version, valid_from, \
                 valid_to, attributes, author) \
                 VALUES (ST_GeomFromWKB($1, 4326), $2, $3, $4, $5, $6, $7, NULL, $8::jsonb, $9)",
            )
            .bind(&unit_wkb)
            .bind(unit.code.as_str())
            .bind(&unit.name)
            .bind(unit.level.as_str())
            .bind(unit.parent.as_ref().map(UnitCode::as_str))
            .bind(version)
            .bind(now)
            .bind(serde_json::Value::Object(unit.attributes.clone()).to_string())
            .bind(&audit.actor)
            .execute(&mut *tx)
            .await?;
            let record = unit_write_record(stored, unit, version, &unit_wkb);
            super::postgres_auth::insert_audit(&mut tx, audit, &record, now).await?;
        }

        if !outcome.created.is_empty() || !outcome.updated.is_empty() {
            // Delivered on commit only, so listeners never see a rolled-back import.
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(UNITS_CHANGED_CHANNEL)
                .bind(&audit.actor)
                .execute(&mut *tx)
                .await?;
        }

        tx.commit().await?;
        Ok(outcome)
    }
}
