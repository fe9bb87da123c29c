//! The access-control half of the store: accounts and their scopes, web sessions, API tokens,
//! sign-in failure counters and the audit log. Every write here also appends its audit entry in
//! the same transaction, so there is no change without its record.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::StoreError;
use crate::auth::audit::{AuditContext, AuditEntry, AuditFilter, AuditRecord};
use crate::auth::Role;
use crate::units::UnitCode;

/// An account as the service sees it (never its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub department: Option<String>,
    /// Sorted; each covers the unit and everything below it.
    pub scopes: Vec<UnitCode>,
    pub disabled: bool,
    /// False for integration accounts that only use API tokens.
    pub has_password: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An account to create; validated by `auth::accounts` before it gets here.
#[derive(Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub department: Option<String>,
    pub scopes: Vec<UnitCode>,
    /// argon2id PHC string, or none for a token-only account.
    pub password_hash: Option<String>,
}

/// A change to an account: each `Some` field replaces the stored value.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AccountChange {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub department: Option<Option<String>>,
    pub scopes: Option<Vec<UnitCode>>,
    /// A new argon2id PHC string; ends the account's sessions.
    pub password_hash: Option<String>,
    /// Disabling ends the account's sessions; its tokens stop working while it is disabled.
    pub disabled: Option<bool>,
}

impl AccountChange {
    pub fn is_empty(&self) -> bool {
        *self == AccountChange::default()
    }
}

/// Hash material kept out of `Debug` output, so that it never reaches a log by accident.
impl std::fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccount")
            .field("username", &self.username)
            .field("role", &self.role)
            .field("scopes", &self.scopes)
            .field("has_password", &self.password_hash.is_some())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for AccountChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountChange")
            .field("role", &self.role)
            .field("scopes", &self.scopes)
            .field("disabled", &self.disabled)
            .field("new_password", &self.password_hash.is_some())
            .finish_non_exhaustive()
    }
}

/// A web session to store (its id only as a hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub hash: String,
    pub account_id: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionRecord {
    pub id: i64,
    pub account_id: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// An API token to store (only its hash; `prefix` is the first characters, to recognise it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    pub account_id: i64,
    pub name: String,
    pub prefix: String,
    pub hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRecord {
    pub id: i64,
    pub account_id: i64,
    /// The username of the account.
    pub account: String,
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Consecutive failed sign-ins of one key within the counting window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInFailures {
    pub count: u32,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
}

#[async_trait]
pub trait AuthStore: Send + Sync {
    /// Creates an account with its scopes. A taken username is [`StoreError::Conflict`].
    async fn create_account(
        &self,
        new: &NewAccount,
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<Account, StoreError>;

    /// Applies `change`; `None` when there is no such account. A change that would leave no
    /// enabled admin is [`StoreError::Conflict`] and writes nothing. A new password or disabling
    /// ends the account's sessions in the same transaction.
    async fn update_account(
        &self,
        username: &str,
        change: &AccountChange,
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<Option<Account>, StoreError>;

    async fn account(&self, username: &str) -> Result<Option<Account>, StoreError>;

    /// Every account, ordered by username.
    async fn accounts(&self) -> Result<Vec<Account>, StoreError>;

    async fn account_count(&self) -> Result<i64, StoreError>;

    /// The account and its password hash, for signing in.
    async fn credentials(
        &self,
        username: &str,
    ) -> Result<Option<(Account, Option<String>)>, StoreError>;

    /// Stores a session (and deletes expired ones), recording the sign-in.
    async fn create_session(
        &self,
        new: &NewSession,
        audit: &AuditContext,
    ) -> Result<SessionRecord, StoreError>;

    /// The live session with this hash and its enabled account.
    async fn session(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(SessionRecord, Account)>, StoreError>;

    /// Ends a session, recording the sign-out; false when there was none.
    async fn delete_session(
        &self,
        hash: &str,
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    async fn create_token(
        &self,
        new: &NewToken,
        audit: &AuditContext,
    ) -> Result<TokenRecord, StoreError>;

    /// The unrevoked, unexpired token with this hash and its enabled account.
    async fn token(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(TokenRecord, Account)>, StoreError>;

    async fn token_by_id(&self, id: i64) -> Result<Option<TokenRecord>, StoreError>;

    /// Tokens of one account, or of all accounts; newest first.
    async fn tokens(&self, account_id: Option<i64>) -> Result<Vec<TokenRecord>, StoreError>;

    /// Revokes a token (a revoked one stays as it was); `None` when there is no such token.
    async fn revoke_token(
        &self,
        id: i64,
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<Option<TokenRecord>, StoreError>;

    /// Notes that a token was used (not audited: it is not a change of anything).
    async fn touch_token(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError>;

    /// Counts a failed sign-in of `key`; a count whose last failure is older than `window`
    /// starts again at one.
    async fn record_sign_in_failure(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window: chrono::Duration,
    ) -> Result<SignInFailures, StoreError>;

    async fn sign_in_failures(&self, key: &str) -> Result<Option<SignInFailures>, StoreError>;

    async fn clear_sign_in_failures(&self, key: &str) -> Result<(), StoreError>;

    /// Appends one entry on its own, for events that change nothing else (a failed sign-in).
    async fn append_audit(
        &self,
        audit: &AuditContext,
        record: &AuditRecord,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Entries matching `filter`, newest first, at most `filter.limit`.
    async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError>;
}
