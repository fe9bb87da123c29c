//! Signing in with a password. Failed attempts are counted per username and per client address
//! in the store (so every service instance sees them); each failure is answered late, and after
//! a few in a row further attempts are refused for a while that doubles with each failure.

use std::net::IpAddr;

use axum::http::HeaderValue;
use chrono::{DateTime, Duration, Utc};

use super::accounts::normalise_username;
use super::audit::{AuditContext, AuditRecord};
use super::client::ClientInfo;
use super::password::{self, Password};
use super::principal::{Credential, Principal};
use super::{sessions, tokens};
use crate::store::auth::{Account, NewSession, SessionRecord, SignInFailures};
use crate::store::StoreError;
use crate::AppState;

/// Failures older than this are forgotten.
pub const WINDOW: Duration = Duration::minutes(15);
/// Failures of one username allowed before attempts are refused for a while.
pub const USERNAME_FREE_FAILURES: u32 = 5;
/// Failures from one address allowed before its attempts are refused for a while (higher: many
/// people may share an office's address).
pub const ADDRESS_FREE_FAILURES: u32 = 20;
/// The first refusal lasts this long and each further failure doubles it...
const FIRST_BLOCK_SECS: i64 = 15;
/// ...up to this.
const LONGEST_BLOCK_SECS: i64 = 15 * 60;

/// Until when attempts of a key with these failures are refused, if they are.
pub fn blocked_until(
    failures: &SignInFailures,
    free: u32,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if failures.count < free || now - failures.last_at > WINDOW {
        return None;
    }
    let doublings = (failures.count - free).min(16);
    let secs = (FIRST_BLOCK_SECS << doublings).min(LONGEST_BLOCK_SECS);
    let until = failures.last_at + Duration::seconds(secs);
    (until > now).then_some(until)
}

fn username_key(name: &str) -> String {
    format!("user:{name}")
}

fn address_key(ip: Option<IpAddr>) -> String {
    ip.map_or_else(|| "ip:unknown".to_owned(), |ip| format!("ip:{ip}"))
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("wrong username or password")]
    Invalid,
    #[error("too many failed sign-ins: try again in {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    #[error("the new password is refused: {0}")]
    Policy(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A successful sign-in: the session and the cookie that carries it.
pub struct SignedIn {
    pub account: Account,
    pub session: SessionRecord,
    pub cookie: HeaderValue,
}

impl SignedIn {
    pub fn principal(&self) -> Principal {
        Principal::new(
            self.account.clone(),
            Credential::Session {
                id: self.session.id,
                expires_at: self.session.expires_at,
            },
        )
    }
}

/// Refuses at once while the username or the address is blocked.
async fn check_blocks(
    state: &AppState,
    keys: &[(&str, u32)],
    now: DateTime<Utc>,
) -> Result<(), SignInError> {
    let mut until = None;
    for (key, free) in keys {
        if let Some(f) = state.store.sign_in_failures(key).await? {
            until = until.max(blocked_until(&f, *free, now));
        }
    }
    match until {
        Some(t) => Err(SignInError::Throttled {
            retry_after_secs: u64::try_from((t - now).num_seconds().max(1)).unwrap_or(1),
        }),
        None => Ok(()),
    }
}

/// Counts, records and logs a failure (never the password), then answers late.
async fn fail(
    state: &AppState,
    client: &ClientInfo,
    username: &str,
    keys: &[(&str, u32)],
) -> SignInError {
    let now = Utc::now();
    let mut count = 0;
    for (key, _) in keys {
        match state.store.record_sign_in_failure(key, now, WINDOW).await {
            Ok(f) => count = count.max(f.count),
            Err(e) => return e.into(),
        }
    }
    tracing::warn!(username, ip = ?client.ip, failures = count, "failed sign-in");
    let record = AuditRecord {
        action: "auth.login_failed",
        object_type: "account",
        object_id: username.to_owned(),
        before: None,
        after: Some(serde_json::json!({ "consecutive_failures": count })),
    };
    if let Err(e) = state
        .store
        .append_audit(&AuditContext::anonymous(client), &record, now)
        .await
    {
        return e.into();
    }
    tokio::time::sleep(std::time::Duration::from_millis(
        state.config.sign_in_failure_delay_ms,
    ))
    .await;
    SignInError::Invalid
}

/// Checks the password of `username` and checks nothing else out loud: a missing account, a
/// disabled one, one without a password and a wrong password all get [`SignInError::Invalid`],
/// after the same work.
async fn check_password(
    state: &AppState,
    username: &str,
    password: Password,
) -> Result<Option<Account>, StoreError> {
    let found = state.store.credentials(username).await?;
    let (account, hash) = match found {
        Some((a, Some(h))) if !a.disabled => (Some(a), h),
        _ => (None, password::decoy_hash().to_owned()),
    };
    let ok = password::verify_async(password, hash).await;
    Ok(account.filter(|_| ok))
}

/// Signs in with a password and starts a session.
pub async fn sign_in(
    state: &AppState,
    client: &ClientInfo,
    raw_username: &str,
    password: Password,
) -> Result<SignedIn, SignInError> {
    let now = Utc::now();
    let username = normalise_username(raw_username).unwrap_or_else(|_| {
        raw_username
            .trim()
            .to_lowercase()
            .chars()
            .take(64)
            .collect()
    });
    let user_key = username_key(&username);
    let addr_key = address_key(client.ip);
    let keys = [
        (user_key.as_str(), USERNAME_FREE_FAILURES),
        (addr_key.as_str(), ADDRESS_FREE_FAILURES),
    ];
    check_blocks(state, &keys, now).await?;
    let Some(account) = check_password(state, &username, password).await? else {
        return Err(fail(state, client, &username, &keys).await);
    };
    // The address count is left to expire: clearing it on success would let one valid account
    // reset the count between guesses at others.
    state.store.clear_sign_in_failures(&user_key).await?;
    let id = sessions::new_id();
    let hours = i64::from(state.config.session_hours);
    let new = NewSession {
        hash: tokens::digest(&id),
        account_id: account.id,
        created_at: now,
        expires_at: now + Duration::hours(hours),
    };
    let audit = AuditContext {
        actor_id: Some(account.id),
        actor: account.username.clone(),
        via: super::Via::Session,
        ip: client.ip.map(|ip| ip.to_string()),
    };
    let session = state.store.create_session(&new, &audit).await?;
    let cookie = sessions::set_cookie(&id, hours * 3600, client.tls)
        .ok_or_else(|| StoreError::Corrupt("session id is not a valid header".to_owned()))?;
    tracing::info!(username = %account.username, ip = ?client.ip, "signed in");
    Ok(SignedIn {
        account,
        session,
        cookie,
    })
}

/// Changes one's own password, proving the current one (failures count like sign-ins). Ends
/// every session of the account, the current one included.
pub async fn change_password(
    state: &AppState,
    client: &ClientInfo,
    principal: &Principal,
    current: Password,
    new: Password,
) -> Result<Account, SignInError> {
    let now = Utc::now();
    let user_key = username_key(&principal.username);
    let addr_key = address_key(client.ip);
    let keys = [
        (user_key.as_str(), USERNAME_FREE_FAILURES),
        (addr_key.as_str(), ADDRESS_FREE_FAILURES),
    ];
    check_blocks(state, &keys, now).await?;
    if check_password(state, &principal.username, current)
        .await?
        .is_none()
    {
        return Err(fail(state, client, &principal.username, &keys).await);
    }
    let update = super::accounts::AccountUpdate {
        password: Some(new),
        ..Default::default()
    };
    let audit = AuditContext::of(principal, client);
    match super::accounts::update(state.store.as_ref(), &principal.username, update, &audit).await {
        Ok(Some(account)) => Ok(account),
        Ok(None) => Err(SignInError::Invalid),
        Err(super::accounts::AccountError::Invalid(m)) => Err(SignInError::Policy(m)),
        Err(super::accounts::AccountError::Store(e)) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failures(count: u32, last_at: DateTime<Utc>) -> SignInFailures {
        SignInFailures {
            count,
            first_at: last_at,
            last_at,
        }
    }

    #[test]
    fn a_few_failures_block_nothing() {
        let now = Utc::now();
        assert_eq!(blocked_until(&failures(4, now), 5, now), None);
    }

    #[test]
    fn blocks_start_at_fifteen_seconds_and_double_up_to_fifteen_minutes() {
        let now = Utc::now();
        let block = |n| (blocked_until(&failures(n, now), 5, now).unwrap() - now).num_seconds();
        assert_eq!(block(5), 15);
        assert_eq!(block(6), 30);
        assert_eq!(block(9), 240);
        assert_eq!(block(12), 900);
        assert_eq!(block(40), 900);
    }

    #[test]
    fn a_block_ends() {
        let then = Utc::now() - Duration::seconds(20);
        assert_eq!(blocked_until(&failures(5, then), 5, Utc::now()), None);
        assert!(blocked_until(&failures(6, then), 5, Utc::now()).is_some());
    }
}
