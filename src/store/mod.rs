//! The system of record behind one trait: an embedded SQLite file (a GeoPackage) by default,
//! PostGIS when `DATABASE_URL` says `postgres://`. SQL lives here and in `migrations/`.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::auth::AuditContext;
use crate::units::{Unit, UnitCode};

pub use auth::AuthStore;
pub use facilities::{FacilityStore, FacilityUpserts};
pub use households::HouseholdStore;
pub use notifications::NotificationStore;
pub use reports::{NewReport, ReportStore};

pub mod auth;
pub mod facilities;
pub mod gpkg;
pub mod households;
pub mod notifications;
pub mod postgres;
mod postgres_auth;
mod postgres_facilities;
mod postgres_households;
mod postgres_notifications;
mod postgres_reports;
pub mod reports;
pub mod sqlite;
mod sqlite_auth;
mod sqlite_facilities;
mod sqlite_households;
mod sqlite_notifications;
mod sqlite_reports;
mod unit_rows;
pub mod wkb;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored geometry of unit {code} cannot be read: {reason}")]
    Geometry { code: String, reason: String },
    #[error("stored row is corrupt: {0}")]
    Corrupt(String),
    /// The write contradicts what is stored (a taken name, the last admin); nothing was written.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The transaction of a group commit failed as a whole: none of its writes were stored.
    #[error("the batch transaction failed, nothing of it was written: {0}")]
    Batch(String),
    #[error("unsupported database URL `{0}`: use a file path, sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
}

/// What an import changed, unit by unit.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportOutcome {
    pub created: Vec<UnitCode>,
    pub updated: Vec<UnitCode>,
    pub unchanged: Vec<UnitCode>,
}

#[async_trait]
pub trait Store:
    AuthStore + ReportStore + NotificationStore + HouseholdStore + FacilityStore + Send + Sync
{
    /// Which implementation this is: `sqlite` or `postgres`.
    fn kind(&self) -> &'static str;

    /// Succeeds when the database answers a trivial query.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Every unit whose current row is open (`valid_to IS NULL`), ordered by code.
    async fn current_units(&self) -> Result<Vec<Unit>, StoreError>;

    /// Every unit as it was at `at` (`valid_from <= at < valid_to`), ordered by code.
    async fn units_at(&self, at: DateTime<Utc>) -> Result<Vec<Unit>, StoreError>;

    /// Every version of one unit, oldest first.
    async fn unit_history(&self, code: &UnitCode) -> Result<Vec<Unit>, StoreError>;

    /// Writes validated units in one transaction: a code not yet present is created (version 1);
    /// a present code whose name, parent, geometry or attributes differ gets its open row closed at
    /// `now` and a new row with version + 1; identical units are left alone. The transaction is
    /// committed (durable) before this returns; on any error nothing is written. Each created or
    /// updated unit gets its audit entry (actor, address, before/after) in the same transaction;
    /// the actor is also the rows' `author`.
    async fn import_units(
        &self,
        units: &[Unit],
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<ImportOutcome, StoreError>;
}

/// Opens the store a URL names: `postgres://` or `postgresql://` for PostGIS, anything else is the
/// path of the embedded file (an optional `sqlite://` prefix is accepted). Runs the migrations.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PostgresStore::connect(url).await?))
    } else if url.contains("://") && !url.starts_with("sqlite://") {
        Err(StoreError::UnsupportedUrl(url.to_owned()))
    } else {
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        Ok(Arc::new(sqlite::SqliteStore::open(path).await?))
    }
}
