//! The notifications half of the store: report notifications (written by triggers whenever a
//! report gets an owner or comes back to one, see the migrations) and each account's read cursor.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::StoreError;
use crate::units::UnitCode;

/// A report that someone must now act on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notification {
    pub id: i64,
    pub report_id: String,
    /// `new`, `handed_over`, `returned` or `reopened`.
    pub kind: String,
    pub queue_unit: String,
    pub assignee: Option<String>,
    /// The report's state right after the change.
    pub state: String,
    pub at: DateTime<Utc>,
}

/// Whose notifications: those naming the account as assignee, and those of the queues of units
/// within its scopes (every queue when `scopes` is `None`, for admins). A department's staff
/// hear of queued reports only when their department handles them.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipient {
    pub username: String,
    pub scopes: Option<Vec<UnitCode>>,
    pub department: Option<String>,
}

#[async_trait]
pub trait NotificationStore: Send + Sync {
    /// Notifications for `to` with an id above `after`, oldest first, at most `limit`.
    async fn notifications(
        &self,
        to: &Recipient,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError>;

    /// How many notifications for `to` have an id above `after`.
    async fn count_notifications(&self, to: &Recipient, after: i64) -> Result<i64, StoreError>;

    /// The id up to which the account has read (0 when it never marked any).
    async fn read_up_to(&self, account_id: i64) -> Result<i64, StoreError>;

    /// Moves the account's read cursor forward to `up_to` (never back); answers the cursor.
    async fn mark_read(&self, account_id: i64, up_to: i64) -> Result<i64, StoreError>;
}
