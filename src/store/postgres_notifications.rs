//! [`NotificationStore`] on PostGIS.

use async_trait::async_trait;
use sqlx::Row;

use super::notifications::{Notification, NotificationStore, Recipient};
use super::postgres::PostgresStore;
use super::reports::prefix_patterns;
use super::StoreError;

/// Rows for `$1` (username), `$2` (code prefixes, or NULL for every queue), above `$3`, and for
/// department staff `$4` (their department).
const FOR_RECIPIENT: &str = "FROM report_notifications WHERE id > $3 AND (assignee = $1 \
     OR (($2::text[] IS NULL OR queue_unit LIKE ANY ($2)) \
         AND ($4::text IS NULL OR department = $4)))";

#[async_trait]
impl NotificationStore for PostgresStore {
    async fn notifications(
        &self,
        to: &Recipient,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT id, report_id, kind, queue_unit, assignee, state, at {FOR_RECIPIENT} \
             ORDER BY id LIMIT $5"
        ))
        .bind(&to.username)
        .bind(to.scopes.as_deref().map(prefix_patterns))
        .bind(after)
        .bind(&to.department)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Notification {
                    id: row.try_get("id")?,
                    report_id: row.try_get("report_id")?,
                    kind: row.try_get("kind")?,
                    queue_unit: row.try_get("queue_unit")?,
                    assignee: row.try_get("assignee")?,
                    state: row.try_get("state")?,
                    at: row.try_get("at")?,
                })
            })
            .collect()
    }

    async fn count_notifications(&self, to: &Recipient, after: i64) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar(&format!("SELECT count(*) {FOR_RECIPIENT}"))
                .bind(&to.username)
                .bind(to.scopes.as_deref().map(prefix_patterns))
                .bind(after)
                .bind(&to.department)
                .fetch_one(self.pool())
                .await?,
        )
    }

    async fn read_up_to(&self, account_id: i64) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT read_up_to FROM notification_reads WHERE account_id = $1")
                .bind(account_id)
                .fetch_optional(self.pool())
                .await?
                .unwrap_or(0),
        )
    }

    async fn mark_read(&self, account_id: i64, up_to: i64) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO notification_reads (account_id, read_up_to) VALUES ($1, $2) \
             ON CONFLICT (account_id) DO UPDATE \
             SET read_up_to = greatest(notification_reads.read_up_to, excluded.read_up_to) \
             RETURNING read_up_to",
        )
        .bind(account_id)
        .bind(up_to)
        .fetch_one(self.pool())
        .await?)
    }
}
