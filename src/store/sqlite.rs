//! The embedded store: one SQLite file that is also a GeoPackage 1.4, so that QGIS opens it as it
//! is. `units.geom` holds GeoPackage binary MULTIPOLYGONs in EPSG:4326; times are RFC 3339 UTC
//! text with microseconds, fixed width, so that comparing text compares time.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use geo::{BoundingRect, Rect};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::Row;

use super::unit_rows::{duplicate_code, unit_write_record, OpenRow};
use super::{gpkg, wkb, ImportOutcome, Store, StoreError};
use crate::auth::audit::AuditContext;
use crate::units::{Level, Unit, UnitCode};

/// 'GPKG' as a big-endian 32-bit integer.
const GPKG_APPLICATION_ID: i64 = 0x4750_4B47;
/// GeoPackage 1.4.0.
const GPKG_USER_VERSION: i64 = 10400;

macro_rules! select_units {
    ($tail:literal) => {
        concat!(
            "SELECT fid, code, name, level, parent_code, geom, version, valid_from, valid_to, \
             attributes FROM units ",
            $tail
        )
    };
}

/// The embedded store. Cheap to clone (a pool handle).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating it on first start) the GeoPackage at `path` and brings its schema up to
    /// date. Every acknowledged write is durable: WAL with `synchronous = FULL`.
    pub async fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        mark_as_geopackage(&pool).await?;
        Ok(SqliteStore { pool })
    }

    /// The connection pool, for tests and tools that read the file directly.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes every connection; the file is checkpointed when the last one closes.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The header fields QGIS and GDAL look at to recognise a GeoPackage. Set outside the migration
/// transaction, and only when they differ, so that opening an up-to-date file writes nothing.
async fn mark_as_geopackage(pool: &SqlitePool) -> Result<(), StoreError> {
    let application_id: i64 = sqlx::query_scalar("PRAGMA application_id")
        .fetch_one(pool)
        .await?;
    if application_id != GPKG_APPLICATION_ID {
        sqlx::query("PRAGMA application_id = 1196444487")
            .execute(pool)
            .await?;
    }
    let user_version: i64 = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(pool)
        .await?;
    if user_version != GPKG_USER_VERSION {
        sqlx::query("PRAGMA user_version = 10400")
            .execute(pool)
            .await?;
    }
    // In WAL mode the new header lives in the -wal file until a checkpoint; GDAL reads the
    // header bytes of the main file to recognise a GeoPackage, so write them there now.
    if application_id != GPKG_APPLICATION_ID || user_version != GPKG_USER_VERSION {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(pool)
            .await?;
    }
    Ok(())
}

/// The stored form of a time: RFC 3339, UTC, microseconds (the precision PostGIS keeps too).
pub(crate) fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse_time(text: &str, fid: i64, column: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("units row fid {fid}: {column} `{text}`: {e}")))
}

fn read_geometry(blob: &[u8], code: &str) -> Result<geo::MultiPolygon<f64>, StoreError> {
    let decoded = gpkg::decode(blob).map_err(|e| StoreError::Geometry {
        code: code.to_owned(),
        reason: e.to_string(),
    })?;
    if decoded.srs_id != gpkg::SRS_ID_WGS84 {
        return Err(StoreError::Geometry {
            code: code.to_owned(),
            reason: format!("srs_id {} where 4326 is required", decoded.srs_id),
        });
    }
    Ok(decoded.geometry)
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

fn unit_from_row(row: &SqliteRow) -> Result<Unit, StoreError> {
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
    let blob: Vec<u8> = row.try_get("geom")?;
    let valid_from: String = row.try_get("valid_from")?;
    let valid_to: Option<String> = row.try_get("valid_to")?;
    let attributes: String = row.try_get("attributes")?;
    Ok(Unit {
        geometry: read_geometry(&blob, &code_text)?,
        name: row.try_get("name")?,
        level,
        parent,
        version: row.try_get("version")?,
        valid_from: parse_time(&valid_from, fid, "valid_from")?,
        valid_to: valid_to
            .map(|t| parse_time(&t, fid, "valid_to"))
            .transpose()?,
        attributes: read_attributes(&attributes, fid)?,
        code,
    })
}

fn extend(bounds: Option<Rect<f64>>, next: Option<Rect<f64>>) -> Option<Rect<f64>> {
    match (bounds, next) {
        (Some(a), Some(b)) => Some(Rect::new(
            geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
            geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
        )),
        (a, b) => a.or(b),
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn current_units(&self) -> Result<Vec<Unit>, StoreError> {
        sqlx::query(select_units!("WHERE valid_to IS NULL ORDER BY code"))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(unit_from_row)
            .collect()
    }

    async fn units_at(&self, at: DateTime<Utc>) -> Result<Vec<Unit>, StoreError> {
        sqlx::query(select_units!(
            "WHERE valid_from <= ?1 AND (valid_to IS NULL OR valid_to > ?1) ORDER BY code"
        ))
        .bind(timestamp(at))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(unit_from_row)
        .collect()
    }

    async fn unit_history(&self, code: &UnitCode) -> Result<Vec<Unit>, StoreError> {
        sqlx::query(select_units!("WHERE code = ?1 ORDER BY version"))
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
        let now_text = timestamp(now);
        let codes = serde_json::Value::from(
            units
                .iter()
                .map(|u| u.code.as_str().to_owned())
                .collect::<Vec<_>>(),
        )
        .to_string();

        // IMMEDIATE takes the write lock now: a deferred transaction that reads first and writes
        // later can fail with SQLITE_BUSY when another writer commits in between.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;

        let mut open = HashMap::new();
        let rows = sqlx::query(
            "SELECT fid, code, version, name, parent_code, geom, attributes FROM units \
             WHERE valid_to IS NULL AND code IN (SELECT value FROM json_each(?1))",
        )
        .bind(&codes)
        .fetch_all(&mut *tx)
        .await?;
        for row in rows {
            let fid: i64 = row.try_get("fid")?;
            let code: String = row.try_get("code")?;
            let blob: Vec<u8> = row.try_get("geom")?;
            let attributes: String = row.try_get("attributes")?;
            let stored = OpenRow {
                fid,
                version: row.try_get("version")?,
                name: row.try_get("name")?,
                parent: row.try_get("parent_code")?,
                wkb: wkb::encode(&read_geometry(&blob, &code)?),
                attributes: read_attributes(&attributes, fid)?,
            };
            open.insert(code, stored);
        }

        let mut outcome = ImportOutcome::default();
        let mut written_bounds = None;
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
                    sqlx::query("UPDATE units SET valid_to = ?1 WHERE fid = ?2")
                        .bind(&now_text)
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
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8, ?9)",
            )
            .bind(gpkg::encode(&unit.geometry, gpkg::SRS_ID_WGS84))
            .bind(unit.code.as_str())
            .bind(&unit.name)
            .bind(unit.level.as_str())
            .bind(unit.parent.as_ref().map(UnitCode::as_str))
            .bind(version)
            .bind(&now_text)
            .bind(serde_json::Value::Object(unit.attributes.clone()).to_string())
            .bind(&audit.actor)
            .execute(&mut *tx)
            .await?;
            let record = unit_write_record(stored, unit, version, &unit_wkb);
            super::sqlite_auth::insert_audit(&mut tx, audit, &record, now).await?;
            written_bounds = extend(written_bounds, unit.geometry.bounding_rect());
        }

        if let Some(b) = written_bounds {
            // Rows are never deleted, so the extent of the table only grows.
            sqlx::query(
                "UPDATE gpkg_contents SET \
                 min_x = min(coalesce(min_x, ?1), ?1), min_y = min(coalesce(min_y, ?2), ?2), \
                 max_x = max(coalesce(max_x, ?3), ?3), max_y = max(coalesce(max_y, ?4), ?4), \
                 last_change = ?5 \
                 WHERE table_name = 'units'",
            )
            .bind(b.min().x)
            .bind(b.min().y)
            .bind(b.max().x)
            .bind(b.max().y)
            .bind(now.to_rfc3339_opts(SecondsFormat::Millis, true))
            .execute(&mut *tx)
            .await?;
        } else if !outcome.created.is_empty() || !outcome.updated.is_empty() {
            sqlx::query("UPDATE gpkg_contents SET last_change = ?1 WHERE table_name = 'units'")
                .bind(now.to_rfc3339_opts(SecondsFormat::Millis, true))
                .execute(&mut *tx)
                .await?;
        }

        tx.commit().await?;
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn stored_times_are_fixed_width_so_text_order_is_time_order() {
        let a = Utc.with_ymd_and_hms(2024, 5, 1, 8, 0, 0).unwrap();
        let b = a + chrono::Duration::microseconds(1);
        let c = a + chrono::Duration::days(400);
        assert_eq!(timestamp(a), "2024-05-01T08:00:00.000000Z");
        assert_eq!(timestamp(a).len(), timestamp(c).len());
        assert!(timestamp(a) < timestamp(b) && timestamp(b) < timestamp(c));
        assert_eq!(parse_time(&timestamp(b), 1, "valid_from").unwrap(), b);
    }

    #[test]
    fn duplicate_codes_are_found() {
        let unit = |c: &str| Unit {
            code: UnitCode::parse(c).unwrap(),
            name: "x".into(),
            level: Level::District,
            parent: None,
            geometry: geo::MultiPolygon(vec![]),
            version: 0,
            valid_from: Utc::now(),
            valid_to: None,
            attributes: Default::default(),
        };
        let units = [unit("350203"), unit("350206"), unit("350203")];
        assert_eq!(duplicate_code(&units).map(UnitCode::as_str), Some("350203"));
        assert_eq!(duplicate_code(&units[..2]), None);
    }
}
