//! The rules of accounts: usernames, which roles need scopes or a department, scope lists
//! without redundancy, and the checks shared by the API and the command line.

use chrono::Utc;

use super::audit::AuditContext;
use super::password::{self, Password};
use super::roles::Role;
use crate::store::auth::{Account, AccountChange, NewAccount};
use crate::store::{Store, StoreError};
use crate::units::UnitCode;

/// Why an account request is refused (a 400 over HTTP, a message at the command line).
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A username: 3 to 64 of `a-z 0-9 . _ -`, compared in lower case.
pub fn normalise_username(raw: &str) -> Result<String, AccountError> {
    let name = raw.trim().to_lowercase();
    let ok = (3..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(name)
    } else {
        Err(AccountError::Invalid(format!(
            "username `{raw}`: use 3 to 64 of a-z, 0-9, `.`, `_` and `-`"
        )))
    }
}

/// Scopes sorted, without duplicates and without codes another scope already covers.
pub fn normalise_scopes(mut scopes: Vec<UnitCode>) -> Vec<UnitCode> {
    scopes.sort();
    scopes.dedup();
    let all = scopes.clone();
    scopes.retain(|c| !all.iter().any(|o| o != c && c.is_within(o)));
    scopes
}

/// The whole-account rules, checked on the state an account would have after a write.
fn check_shape(
    role: Role,
    scopes: &[UnitCode],
    department: Option<&str>,
) -> Result<(), AccountError> {
    if role.needs_scope() && scopes.is_empty() {
        return Err(AccountError::Invalid(format!(
            "a {role} account needs at least one scope (a unit code: the unit and all below it)"
        )));
    }
    if role == Role::Department && department.is_none_or(|d| d.trim().is_empty()) {
        return Err(AccountError::Invalid(
            "a department account needs its department".to_owned(),
        ));
    }
    Ok(())
}

/// An account as asked for; `password: None` makes a token-only (integration) account.
#[derive(Debug, Clone)]
pub struct AccountRequest {
    pub username: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub department: Option<String>,
    pub scopes: Vec<UnitCode>,
    pub password: Option<Password>,
}

pub async fn create(
    store: &dyn Store,
    req: AccountRequest,
    audit: &AuditContext,
) -> Result<Account, AccountError> {
    let username = normalise_username(&req.username)?;
    let scopes = normalise_scopes(req.scopes);
    let department = req
        .department
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    check_shape(req.role, &scopes, department.as_deref())?;
    let password_hash = match req.password {
        Some(p) => {
            password::check_policy(&p, &username).map_err(AccountError::Invalid)?;
            Some(
                password::hash_async(p)
                    .await
                    .map_err(AccountError::Invalid)?,
            )
        }
        None => None,
    };
    let new = NewAccount {
        display_name: req.display_name.unwrap_or_default().trim().to_owned(),
        username,
        role: req.role,
        department,
        scopes,
        password_hash,
    };
    Ok(store.create_account(&new, audit, Utc::now()).await?)
}

/// A change as asked for: each `Some` replaces; `department: Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct AccountUpdate {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub department: Option<Option<String>>,
    pub scopes: Option<Vec<UnitCode>>,
    pub password: Option<Password>,
    pub disabled: Option<bool>,
}

/// Applies `update` to the account `username`; `Ok(None)` when there is no such account.
pub async fn update(
    store: &dyn Store,
    username: &str,
    update: AccountUpdate,
    audit: &AuditContext,
) -> Result<Option<Account>, AccountError> {
    let Some(current) = store.account(username).await? else {
        return Ok(None);
    };
    let scopes = update.scopes.map(normalise_scopes);
    let department = update
        .department
        .map(|d| d.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty()));
    let role = update.role.unwrap_or(current.role);
    check_shape(
        role,
        scopes.as_deref().unwrap_or(&current.scopes),
        match &department {
            Some(d) => d.as_deref(),
            None => current.department.as_deref(),
        },
    )?;
    let password_hash = match update.password {
        Some(p) => {
            password::check_policy(&p, &current.username).map_err(AccountError::Invalid)?;
            Some(
                password::hash_async(p)
                    .await
                    .map_err(AccountError::Invalid)?,
            )
        }
        None => None,
    };
    let change = AccountChange {
        display_name: update.display_name.map(|d| d.trim().to_owned()),
        role: update.role,
        department,
        scopes,
        password_hash,
        disabled: update.disabled,
    };
    if change.is_empty() {
        return Ok(Some(current));
    }
    Ok(store
        .update_account(&current.username, &change, audit, Utc::now())
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(list: &[&str]) -> Vec<UnitCode> {
        list.iter().map(|c| c.parse().unwrap()).collect()
    }

    #[test]
    fn usernames_are_lower_case_and_plain() {
        assert_eq!(normalise_username(" Zhang.San ").unwrap(), "zhang.san");
        assert!(normalise_username("ab").is_err());
        assert!(normalise_username("张三").is_err());
        assert!(normalise_username("a b c").is_err());
    }

    #[test]
    fn scopes_below_another_scope_are_dropped() {
        assert_eq!(
            normalise_scopes(codes(&[
                "350203002",
                "350203001001",
                "350203001",
                "350203002"
            ])),
            codes(&["350203001", "350203002"])
        );
    }

    #[test]
    fn roles_other_than_admin_need_a_scope_and_departments_a_name() {
        assert!(check_shape(Role::Admin, &[], None).is_ok());
        assert!(check_shape(Role::Viewer, &[], None).is_err());
        let s = codes(&["350203"]);
        assert!(check_shape(Role::Department, &s, None).is_err());
        assert!(check_shape(Role::Department, &s, Some("城管")).is_ok());
    }
}
