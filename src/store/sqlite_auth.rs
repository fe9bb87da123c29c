//! [`AuthStore`] on the embedded store. Same tables and rules as PostGIS; times are fixed-width
//! RFC 3339 text (see `sqlite.rs`), so comparing text compares time.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::auth::{
    Account, AccountChange, AuthStore, NewAccount, NewSession, NewToken, SessionRecord,
    SignInFailures, TokenRecord,
};
use super::sqlite::{timestamp, SqliteStore};
use super::StoreError;
use crate::auth::audit::{account_state, AuditContext, AuditEntry, AuditFilter, AuditRecord, Via};
use crate::auth::Role;
use crate::units::UnitCode;

const ACCOUNT_COLUMNS: &str = "a.id, a.username, a.display_name, a.role, a.department, \
     a.password_hash IS NOT NULL AS has_password, a.disabled, a.created_at, a.updated_at";

const TOKEN_COLUMNS: &str = "t.id, t.account_id, a.username AS account, t.name, t.prefix, \
     t.created_at, t.expires_at, t.revoked_at, t.last_used_at";

fn time(text: &str, what: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("{what} `{text}`: {e}")))
}

fn opt_time(text: Option<String>, what: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    text.map(|t| time(&t, what)).transpose()
}

fn unique_violation(e: sqlx::Error, what: String) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::Database(e),
    }
}

/// An account row without its scopes.
fn account_from_row(row: &SqliteRow) -> Result<Account, StoreError> {
    let id: i64 = row.try_get("id")?;
    let role: String = row.try_get("role")?;
    let created: String = row.try_get("created_at")?;
    let updated: String = row.try_get("updated_at")?;
    Ok(Account {
        id,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        role: role
            .parse::<Role>()
            .map_err(|e| StoreError::Corrupt(format!("accounts row {id}: {e}")))?,
        department: row.try_get("department")?,
        scopes: Vec::new(),
        disabled: row.try_get("disabled")?,
        has_password: row.try_get("has_password")?,
        created_at: time(&created, "accounts.created_at")?,
        updated_at: time(&updated, "accounts.updated_at")?,
    })
}

fn scope_code(text: &str, account_id: i64) -> Result<UnitCode, StoreError> {
    UnitCode::parse(text)
        .map_err(|e| StoreError::Corrupt(format!("scope of account {account_id}: {e}")))
}

async fn scopes_of(
    conn: &mut SqliteConnection,
    account_id: i64,
) -> Result<Vec<UnitCode>, StoreError> {
    let codes: Vec<String> = sqlx::query_scalar(
        "SELECT unit_code FROM account_scopes WHERE account_id = ?1 ORDER BY unit_code",
    )
    .bind(account_id)
    .fetch_all(&mut *conn)
    .await?;
    codes.iter().map(|c| scope_code(c, account_id)).collect()
}

async fn with_scopes(
    conn: &mut SqliteConnection,
    mut account: Account,
) -> Result<Account, StoreError> {
    account.scopes = scopes_of(conn, account.id).await?;
    Ok(account)
}

async fn account_by_username(
    conn: &mut SqliteConnection,
    username: &str,
) -> Result<Option<(Account, Option<String>)>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS}, a.password_hash FROM accounts a WHERE a.username = ?1"
    ))
    .bind(username)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let hash: Option<String> = row.try_get("password_hash")?;
    let account = with_scopes(conn, account_from_row(&row)?).await?;
    Ok(Some((account, hash)))
}

async fn account_by_id(conn: &mut SqliteConnection, id: i64) -> Result<Account, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = ?1"
    ))
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    with_scopes(conn, account_from_row(&row)?).await
}

fn token_from_row(row: &SqliteRow) -> Result<TokenRecord, StoreError> {
    let created: String = row.try_get("created_at")?;
    let expires: String = row.try_get("expires_at")?;
    Ok(TokenRecord {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        account: row.try_get("account")?,
        name: row.try_get("name")?,
        prefix: row.try_get("prefix")?,
        created_at: time(&created, "api_tokens.created_at")?,
        expires_at: time(&expires, "api_tokens.expires_at")?,
        revoked_at: opt_time(row.try_get("revoked_at")?, "api_tokens.revoked_at")?,
        last_used_at: opt_time(row.try_get("last_used_at")?, "api_tokens.last_used_at")?,
    })
}

async fn token_by_id(
    conn: &mut SqliteConnection,
    id: i64,
) -> Result<Option<TokenRecord>, StoreError> {
    sqlx::query(&format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN accounts a ON a.id = t.account_id \
         WHERE t.id = ?1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(token_from_row)
    .transpose()
}

fn json_text(v: &Option<Value>) -> Option<String> {
    v.as_ref().map(Value::to_string)
}

/// Appends one audit entry on `conn`, inside the caller's transaction.
pub(crate) async fn insert_audit(
    conn: &mut SqliteConnection,
    audit: &AuditContext,
    record: &AuditRecord,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_id, actor, via, ip, action, object_type, object_id, \
         before, after) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .bind(timestamp(now))
    .bind(audit.actor_id)
    .bind(&audit.actor)
    .bind(audit.via.as_str())
    .bind(&audit.ip)
    .bind(record.action)
    .bind(record.object_type)
    .bind(&record.object_id)
    .bind(json_text(&record.before))
    .bind(json_text(&record.after))
    .execute(conn)
    .await?;
    Ok(())
}

fn audit_from_row(row: &SqliteRow) -> Result<AuditEntry, StoreError> {
    let id: i64 = row.try_get("id")?;
    let corrupt = |what: String| StoreError::Corrupt(format!("audit_log row {id}: {what}"));
    let at: String = row.try_get("at")?;
    let via: String = row.try_get("via")?;
    let json = |column: &str| -> Result<Option<Value>, StoreError> {
        let text: Option<String> = row.try_get(column)?;
        text.map(|t| serde_json::from_str(&t).map_err(|e| corrupt(format!("{column}: {e}"))))
            .transpose()
    };
    Ok(AuditEntry {
        id,
        at: time(&at, "audit_log.at")?,
        actor_id: row.try_get("actor_id")?,
        actor: row.try_get("actor")?,
        via: Via::parse(&via).ok_or_else(|| corrupt(format!("via `{via}`")))?,
        ip: row.try_get("ip")?,
        action: row.try_get("action")?,
        object_type: row.try_get("object_type")?,
        object_id: row.try_get("object_id")?,
        before: json("before")?,
        after: json("after")?,
    })
}

#[async_trait]
impl AuthStore for SqliteStore {
    async fn create_account(
        &self,
        new: &NewAccount,
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<Account, StoreError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO accounts (username, display_name, role, department, password_hash, \
             disabled, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?6) RETURNING id",
        )
        .bind(&new.username)
        .bind(&new.display_name)
        .bind(new.role.as_str())
        .bind(&new.department)
        .bind(&new.password_hash)
        .bind(timestamp(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| unique_violation(e, format!("username `{}` is taken", new.username)))?;
        for code in &new.scopes {
            sqlx::query("INSERT INTO account_scopes (account_id, unit_code) VALUES (?1, ?2)")
                .bind(id)
                .bind(code.as_str())
                .execute(&mut *tx)
                .await?;
        }
        let account = account_by_id(&mut tx, id).await?;
        let record = AuditRecord {
            action: "account.create",
            object_type: "account",
            object_id: account.username.clone(),
            before: None,
            after: Some(account_state(&account)),
        };
        insert_audit(&mut tx, audit, &record, now).await?;
        tx.commit().await?;
        Ok(account)
    }

    async fn update_account(
        &self,
        username: &str,
        change: &AccountChange,
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<Option<Account>, StoreError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let Some((before, _)) = account_by_username(&mut tx, username).await? else {
            return Ok(None);
        };
        sqlx::query(
            "UPDATE accounts SET display_name = coalesce(?1, display_name), \
             role = coalesce(?2, role), \
             department = CASE WHEN ?3 THEN ?4 ELSE department END, \
             password_hash = coalesce(?5, password_hash), \
             disabled = coalesce(?6, disabled), updated_at = ?7 WHERE id = ?8",
        )
        .bind(&change.display_name)
        .bind(change.role.map(Role::as_str))
        .bind(change.department.is_some())
        .bind(change.department.clone().flatten())
        .bind(&change.password_hash)
        .bind(change.disabled)
        .bind(timestamp(now))
        .bind(before.id)
        .execute(&mut *tx)
        .await?;
        if let Some(scopes) = &change.scopes {
            sqlx::query("DELETE FROM account_scopes WHERE account_id = ?1")
                .bind(before.id)
                .execute(&mut *tx)
                .await?;
            for code in scopes {
                sqlx::query("INSERT INTO account_scopes (account_id, unit_code) VALUES (?1, ?2)")
                    .bind(before.id)
                    .bind(code.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        if change.password_hash.is_some() || change.disabled == Some(true) {
            sqlx::query("DELETE FROM sessions WHERE account_id = ?1")
                .bind(before.id)
                .execute(&mut *tx)
                .await?;
        }
        let admins: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM accounts WHERE role = 'admin' AND disabled = 0",
        )
        .fetch_one(&mut *tx)
        .await?;
        if admins == 0 {
            return Err(StoreError::Conflict(format!(
                "changing `{username}` would leave no enabled admin"
            )));
        }
        let after = account_by_id(&mut tx, before.id).await?;
        let mut after_state = account_state(&after);
        if change.password_hash.is_some() {
            after_state["password_changed"] = Value::Bool(true);
        }
        let record = AuditRecord {
            action: "account.update",
            object_type: "account",
            object_id: after.username.clone(),
            before: Some(account_state(&before)),
            after: Some(after_state),
        };
        insert_audit(&mut tx, audit, &record, now).await?;
        tx.commit().await?;
        Ok(Some(after))
    }

    async fn account(&self, username: &str) -> Result<Option<Account>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        Ok(account_by_username(&mut conn, username)
            .await?
            .map(|(a, _)| a))
    }

    async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        let rows = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a ORDER BY a.username"
        ))
        .fetch_all(&mut *conn)
        .await?;
        let mut scopes: HashMap<i64, Vec<UnitCode>> = HashMap::new();
        for row in
            sqlx::query("SELECT account_id, unit_code FROM account_scopes ORDER BY unit_code")
                .fetch_all(&mut *conn)
                .await?
        {
            let id: i64 = row.try_get("account_id")?;
            let code: String = row.try_get("unit_code")?;
            scopes.entry(id).or_default().push(scope_code(&code, id)?);
        }
        rows.iter()
            .map(|row| {
                let mut a = account_from_row(row)?;
                a.scopes = scopes.remove(&a.id).unwrap_or_default();
                Ok(a)
            })
            .collect()
    }

    async fn account_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM accounts")
            .fetch_one(self.pool())
            .await?)
    }

    async fn credentials(
        &self,
        username: &str,
    ) -> Result<Option<(Account, Option<String>)>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        account_by_username(&mut conn, username).await
    }

    async fn create_session(
        &self,
        new: &NewSession,
        audit: &AuditContext,
    ) -> Result<SessionRecord, StoreError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at <= ?1")
            .bind(timestamp(new.created_at))
            .execute(&mut *tx)
            .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO sessions (hash, account_id, created_at, expires_at, ip) \
             VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
        )
        .bind(&new.hash)
        .bind(new.account_id)
        .bind(timestamp(new.created_at))
        .bind(timestamp(new.expires_at))
        .bind(&audit.ip)
        .fetch_one(&mut *tx)
        .await?;
        let session = SessionRecord {
            id,
            account_id: new.account_id,
            created_at: new.created_at,
            expires_at: new.expires_at,
        };
        let record = AuditRecord {
            action: "auth.login",
            object_type: "session",
            object_id: id.to_string(),
            before: None,
            after: Some(serde_json::to_value(&session).unwrap_or_default()),
        };
        insert_audit(&mut tx, audit, &record, new.created_at).await?;
        tx.commit().await?;
        Ok(session)
    }

    async fn session(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(SessionRecord, Account)>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS}, s.id AS session_id, s.created_at AS session_created, \
             s.expires_at AS session_expires FROM sessions s JOIN accounts a ON a.id = s.account_id \
             WHERE s.hash = ?1 AND s.expires_at > ?2 AND a.disabled = 0"
        ))
        .bind(hash)
        .bind(timestamp(now))
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let account = with_scopes(&mut conn, account_from_row(&row)?).await?;
        let created: String = row.try_get("session_created")?;
        let expires: String = row.try_get("session_expires")?;
        let session = SessionRecord {
            id: row.try_get("session_id")?,
            account_id: account.id,
            created_at: time(&created, "sessions.created_at")?,
            expires_at: time(&expires, "sessions.expires_at")?,
        };
        Ok(Some((session, account)))
    }

    async fn delete_session(
        &self,
        hash: &str,
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let id: Option<i64> =
            sqlx::query_scalar("DELETE FROM sessions WHERE hash = ?1 RETURNING id")
                .bind(hash)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(id) = id else { return Ok(false) };
        let record = AuditRecord {
            action: "auth.logout",
            object_type: "session",
            object_id: id.to_string(),
            before: None,
            after: None,
        };
        insert_audit(&mut tx, audit, &record, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn create_token(
        &self,
        new: &NewToken,
        audit: &AuditContext,
    ) -> Result<TokenRecord, StoreError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (account_id, name, prefix, hash, created_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
        )
        .bind(new.account_id)
        .bind(&new.name)
        .bind(&new.prefix)
        .bind(&new.hash)
        .bind(timestamp(new.created_at))
        .bind(timestamp(new.expires_at))
        .fetch_one(&mut *tx)
        .await?;
        let token = token_by_id(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("token {id} vanished")))?;
        let record = AuditRecord {
            action: "token.issue",
            object_type: "token",
            object_id: id.to_string(),
            before: None,
            after: Some(serde_json::to_value(&token).unwrap_or_default()),
        };
        insert_audit(&mut tx, audit, &record, new.created_at).await?;
        tx.commit().await?;
        Ok(token)
    }

    async fn token(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(TokenRecord, Account)>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN accounts a ON a.id = t.account_id \
             WHERE t.hash = ?1 AND t.revoked_at IS NULL AND t.expires_at > ?2 AND a.disabled = 0"
        ))
        .bind(hash)
        .bind(timestamp(now))
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let token = token_from_row(&row)?;
        let account = account_by_id(&mut conn, token.account_id).await?;
        Ok(Some((token, account)))
    }

    async fn token_by_id(&self, id: i64) -> Result<Option<TokenRecord>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        token_by_id(&mut conn, id).await
    }

    async fn tokens(&self, account_id: Option<i64>) -> Result<Vec<TokenRecord>, StoreError> {
        sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN accounts a ON a.id = t.account_id \
             WHERE ?1 IS NULL OR t.account_id = ?1 ORDER BY t.id DESC"
        ))
        .bind(account_id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(token_from_row)
        .collect()
    }

    async fn revoke_token(
        &self,
        id: i64,
        audit: &AuditContext,
        now: DateTime<Utc>,
    ) -> Result<Option<TokenRecord>, StoreError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let Some(before) = token_by_id(&mut tx, id).await? else {
            return Ok(None);
        };
        if before.revoked_at.is_some() {
            return Ok(Some(before));
        }
        sqlx::query("UPDATE api_tokens SET revoked_at = ?1 WHERE id = ?2")
            .bind(timestamp(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let after = token_by_id(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("token {id} vanished")))?;
        let record = AuditRecord {
            action: "token.revoke",
            object_type: "token",
            object_id: id.to_string(),
            before: Some(serde_json::to_value(&before).unwrap_or_default()),
            after: Some(serde_json::to_value(&after).unwrap_or_default()),
        };
        insert_audit(&mut tx, audit, &record, now).await?;
        tx.commit().await?;
        Ok(Some(after))
    }

    async fn touch_token(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query("UPDATE api_tokens SET last_used_at = ?1 WHERE id = ?2")
            .bind(timestamp(now))
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn record_sign_in_failure(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window: chrono::Duration,
    ) -> Result<SignInFailures, StoreError> {
        let row = sqlx::query(
            "INSERT INTO sign_in_failures (key, count, first_at, last_at) VALUES (?1, 1, ?2, ?2) \
             ON CONFLICT (key) DO UPDATE SET \
             count = CASE WHEN last_at < ?3 THEN 1 ELSE count + 1 END, \
             first_at = CASE WHEN last_at < ?3 THEN ?2 ELSE first_at END, \
             last_at = ?2 \
             RETURNING count, first_at, last_at",
        )
        .bind(key)
        .bind(timestamp(now))
        .bind(timestamp(now - window))
        .fetch_one(self.pool())
        .await?;
        failures_from_row(&row)
    }

    async fn sign_in_failures(&self, key: &str) -> Result<Option<SignInFailures>, StoreError> {
        sqlx::query("SELECT count, first_at, last_at FROM sign_in_failures WHERE key = ?1")
            .bind(key)
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(failures_from_row)
            .transpose()
    }

    async fn clear_sign_in_failures(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sign_in_failures WHERE key = ?1")
            .bind(key)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn append_audit(
        &self,
        audit: &AuditContext,
        record: &AuditRecord,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut conn = self.pool().acquire().await?;
        insert_audit(&mut conn, audit, record, now).await
    }

    async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        sqlx::query(
            "SELECT id, at, actor_id, actor, via, ip, action, object_type, object_id, before, \
             after FROM audit_log \
             WHERE (?1 IS NULL OR actor = ?1) AND (?2 IS NULL OR object_type = ?2) \
             AND (?3 IS NULL OR object_id = ?3) AND (?4 IS NULL OR action = ?4) \
             AND (?5 IS NULL OR at >= ?5) AND (?6 IS NULL OR at < ?6) \
             AND (?7 IS NULL OR id < ?7) \
             ORDER BY id DESC LIMIT ?8",
        )
        .bind(&filter.actor)
        .bind(&filter.object_type)
        .bind(&filter.object_id)
        .bind(&filter.action)
        .bind(filter.from.map(timestamp))
        .bind(filter.to.map(timestamp))
        .bind(filter.before_id)
        .bind(i64::from(filter.limit))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(audit_from_row)
        .collect()
    }
}

fn failures_from_row(row: &SqliteRow) -> Result<SignInFailures, StoreError> {
    let count: i64 = row.try_get("count")?;
    let first: String = row.try_get("first_at")?;
    let last: String = row.try_get("last_at")?;
    Ok(SignInFailures {
        count: u32::try_from(count).unwrap_or(u32::MAX),
        first_at: time(&first, "sign_in_failures.first_at")?,
        last_at: time(&last, "sign_in_failures.last_at")?,
    })
}
