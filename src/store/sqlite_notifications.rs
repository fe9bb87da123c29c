//! [`NotificationStore`] on the embedded store.

use async_trait::async_trait;
use sqlx::Row;

use super::notifications::{Notification, NotificationStore, Recipient};
use super::reports::prefix_patterns;
use super::sqlite::SqliteStore;
use super::StoreError;

/// Rows for `?1` (username), `?2` (JSON list of code prefixes, or NULL for every queue), above
/// `?3`, and for department staff `?4` (their department).
const FOR_RECIPIENT: &str = "FROM report_notifications WHERE id > ?3 AND (assignee = ?1 \
     OR ((?2 IS NULL OR EXISTS (SELECT 1 FROM json_each(?2) j WHERE queue_unit LIKE j.value)) \
         AND (?4 IS NULL OR department = ?4)))";

fn patterns(to: &Recipient) -> Option<String> {
    to.scopes
        .as_deref()
        .map(|s| serde_json::Value::from(prefix_patterns(s)).to_string())
}

#[async_trait]
impl NotificationStore for SqliteStore {
    async fn notifications(
        &self,
        to: &Recipient,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT id, report_id, kind, queue_unit, assignee, state, at {FOR_RECIPIENT} \
             ORDER BY id LIMIT ?5"
        ))
        .bind(&to.username)
        .bind(patterns(to))
        .bind(after)
        .bind(&to.department)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let at: String = row.try_get("at")?;
                Ok(Notification {
                    id: row.try_get("id")?,
                    report_id: row.try_get("report_id")?,
                    kind: row.try_get("kind")?,
                    queue_unit: row.try_get("queue_unit")?,
                    assignee: row.try_get("assignee")?,
                    state: row.try_get("state")?,
                    at: chrono::DateTime::parse_from_rfc3339(&at)
                        .map_err(|e| StoreError::Corrupt(format!("report_notifications.at: {e}")))?
                        .to_utc(),
                })
            })
            .collect()
    }

    async fn count_notifications(&self, to: &Recipient, after: i64) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar(&format!("SELECT count(*) {FOR_RECIPIENT}"))
                .bind(&to.username)
                .bind(patterns(to))
                .bind(after)
                .bind(&to.department)
                .fetch_one(self.pool())
                .await?,
        )
    }

    async fn read_up_to(&self, account_id: i64) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT read_up_to FROM notification_reads WHERE account_id = ?1")
                .bind(account_id)
                .fetch_optional(self.pool())
                .await?
                .unwrap_or(0),
        )
    }

    async fn mark_read(&self, account_id: i64, up_to: i64) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO notification_reads (account_id, read_up_to) VALUES (?1, ?2) \
             ON CONFLICT (account_id) DO UPDATE SET read_up_to = max(read_up_to, excluded.read_up_to) \
             RETURNING read_up_to",
        )
        .bind(account_id)
        .bind(up_to)
        .fetch_one(self.pool())
        .await?)
    }
}
