//! The principal: the account a request acts for, however it signed in (session cookie or API
//! token), with its role and area scopes. One extractor resolves both; handlers check what the
//! principal may do in one call ([`Principal::authorise`] or [`Principal::require`]).

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::client::same_origin;
use super::roles::{Action, Role};
use super::{sessions, tokens};
use crate::http::error::ApiError;
use crate::store::auth::Account;
use crate::units::UnitCode;
use crate::AppState;

/// How the principal proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Credential {
    Session { id: i64, expires_at: DateTime<Utc> },
    Token { id: i64, expires_at: DateTime<Utc> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub account_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub department: Option<String>,
    /// Each covers the unit and everything below it; admins act everywhere regardless.
    pub scopes: Vec<UnitCode>,
    pub credential: Credential,
}

impl Principal {
    pub fn new(account: Account, credential: Credential) -> Principal {
        Principal {
            account_id: account.id,
            username: account.username,
            display_name: account.display_name,
            role: account.role,
            department: account.department,
            scopes: account.scopes,
            credential,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn may(&self, action: Action) -> bool {
        self.role.may(action)
    }

    /// Whether `code` lies in the principal's area: within one of its scopes (admins: anywhere).
    pub fn covers(&self, code: &UnitCode) -> bool {
        self.is_admin() || self.scopes.iter().any(|s| code.is_within(s))
    }

    /// The role check: 403 when the role may not do `action` anywhere. The answer does not
    /// depend on any object, so it tells nothing about what exists.
    pub fn require(&self, action: Action) -> Result<(), ApiError> {
        if self.may(action) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!("the role {} may not do this", self.role),
            ))
        }
    }

    /// The role and area check for one object located at `code`: 403 when the role may not do
    /// `action`; when the object lies outside the principal's scopes, `missing()`: the very
    /// answer a missing object gets (404), so that scopes are no oracle of what exists.
    pub fn authorise(
        &self,
        action: Action,
        code: &UnitCode,
        missing: impl FnOnce() -> ApiError,
    ) -> Result<(), ApiError> {
        self.require(action)?;
        if self.covers(code) {
            Ok(())
        } else {
            Err(missing())
        }
    }

    /// The role and area check for a set of codes the client itself named (an import): 403
    /// naming those of them outside the principal's scopes. Nothing but the client's own codes is
    /// named, so the refusal says nothing about what exists.
    pub fn authorise_all<'a>(
        &self,
        action: Action,
        codes: impl IntoIterator<Item = &'a UnitCode>,
    ) -> Result<(), ApiError> {
        self.require(action)?;
        let mut outside: Vec<&UnitCode> = codes.into_iter().filter(|c| !self.covers(c)).collect();
        if outside.is_empty() {
            return Ok(());
        }
        outside.sort();
        outside.dedup();
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "out_of_scope",
            format!(
                "{} unit(s) lie outside your area ({}); nothing was written",
                outside.len(),
                self.scopes
                    .iter()
                    .map(UnitCode::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .with_details(serde_json::json!({ "outside": outside })))
    }

    pub fn via_session(&self) -> bool {
        matches!(self.credential, Credential::Session { .. })
    }
}

/// What a request's credentials resolve to.
enum Resolved {
    Principal(Principal),
    Anonymous,
    /// A session cookie that no longer names a live session: anonymous on public routes.
    StaleSession,
}

fn unauthorized(code: &'static str, message: &str) -> Response {
    let mut res = ApiError::new(StatusCode::UNAUTHORIZED, code, message).into_response();
    res.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"wangge\""),
    );
    res
}

/// Token last-use times are refreshed at most this often, to keep reads from writing.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::minutes(5);

async fn resolve(parts: &Parts, state: &AppState) -> Result<Resolved, Response> {
    if let Some(p) = parts.extensions.get::<Principal>() {
        return Ok(Resolved::Principal(p.clone()));
    }
    let now = Utc::now();
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let bearer = value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim());
        let Some(secret) = bearer else {
            return Err(unauthorized(
                "unauthorized",
                "use `Authorization: Bearer <API token>`",
            ));
        };
        let found = if tokens::looks_like_token(secret) {
            state
                .store
                .token(&tokens::digest(secret), now)
                .await
                .map_err(|e| ApiError::from(e).into_response())?
        } else {
            None
        };
        let Some((token, account)) = found else {
            return Err(unauthorized(
                "invalid_token",
                "the API token is unknown, expired or revoked",
            ));
        };
        if token.last_used_at.is_none_or(|t| now - t > TOUCH_EVERY) {
            if let Err(e) = state.store.touch_token(token.id, now).await {
                tracing::warn!(token = token.id, error = %e, "could not note token use");
            }
        }
        let credential = Credential::Token {
            id: token.id,
            expires_at: token.expires_at,
        };
        return Ok(Resolved::Principal(Principal::new(account, credential)));
    }
    let Some(id) = sessions::read_cookie(&parts.headers) else {
        return Ok(Resolved::Anonymous);
    };
    let found = state
        .store
        .session(&tokens::digest(id), now)
        .await
        .map_err(|e| ApiError::from(e).into_response())?;
    let Some((session, account)) = found else {
        return Ok(Resolved::StaleSession);
    };
    // Cookies ride along with any request the browser makes; writes must come from our pages.
    if !same_origin(&parts.method, &parts.headers, &state.config) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_origin_request",
            "signed-in writes must come from this site's own pages; other origins use API tokens",
        )
        .into_response());
    }
    let credential = Credential::Session {
        id: session.id,
        expires_at: session.expires_at,
    };
    Ok(Resolved::Principal(Principal::new(account, credential)))
}

/// A route that takes `Principal` needs a signed-in account: 401 otherwise.
impl FromRequestParts<AppState> for Principal {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match resolve(parts, state).await? {
            Resolved::Principal(p) => {
                parts.extensions.insert(p.clone());
                Ok(p)
            }
            Resolved::Anonymous => Err(unauthorized(
                "unauthorized",
                "sign in, or send `Authorization: Bearer <API token>`",
            )),
            Resolved::StaleSession => Err(unauthorized(
                "session_expired",
                "the session has ended: sign in again",
            )),
        }
    }
}

/// A route that takes `Option<Principal>` is public and shows more to those signed in. A bad
/// API token is still refused (the client should know); a stale session cookie is anonymous.
impl OptionalFromRequestParts<AppState> for Principal {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Response> {
        match resolve(parts, state).await? {
            Resolved::Principal(p) => {
                parts.extensions.insert(p.clone());
                Ok(Some(p))
            }
            Resolved::Anonymous | Resolved::StaleSession => Ok(None),
        }
    }
}

/// Resolves the principal of a request outside a handler (the rate limiter): `None` for the
/// anonymous and for bad credentials, which the handler refuses itself.
pub async fn peek(parts: &Parts, state: &AppState) -> Option<Principal> {
    match resolve(parts, state).await {
        Ok(Resolved::Principal(p)) => Some(p),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, scopes: &[&str]) -> Principal {
        Principal {
            account_id: 1,
            username: "zhang".into(),
            display_name: String::new(),
            role,
            department: None,
            scopes: scopes.iter().map(|s| s.parse().unwrap()).collect(),
            credential: Credential::Token {
                id: 1,
                expires_at: Utc::now(),
            },
        }
    }

    fn code(s: &str) -> UnitCode {
        s.parse().unwrap()
    }

    #[test]
    fn a_scope_covers_its_unit_and_everything_below() {
        let p = principal(Role::Planner, &["350203001"]);
        assert!(p.covers(&code("350203001")));
        assert!(p.covers(&code("35020300100100101")));
        assert!(!p.covers(&code("350203002")));
        assert!(!p.covers(&code("350203")), "not the parent");
        assert!(principal(Role::Admin, &[]).covers(&code("350206")));
    }

    #[test]
    fn out_of_area_objects_get_the_missing_answer_and_wrong_roles_403() {
        let worker = principal(Role::GridWorker, &["350203001001001"]);
        let missing = || ApiError::not_found("no report 7");
        let e = worker
            .authorise(Action::HandleReports, &code("350203001001002"), missing)
            .unwrap_err();
        assert_eq!((e.status, e.code), (StatusCode::NOT_FOUND, "not_found"));
        assert!(worker
            .authorise(Action::HandleReports, &code("35020300100100102"), missing)
            .is_ok());
        let e = worker
            .authorise(Action::EditUnits, &code("350203001001001"), missing)
            .unwrap_err();
        assert_eq!(e.status, StatusCode::FORBIDDEN);
    }

    #[test]
    fn a_set_outside_the_area_names_only_the_outsiders() {
        let p = principal(Role::Planner, &["350203001"]);
        let codes = [code("350203001001"), code("350203002"), code("350203")];
        let e = p.authorise_all(Action::EditUnits, &codes).unwrap_err();
        assert_eq!(e.code, "out_of_scope");
        assert_eq!(
            e.details.unwrap()["outside"],
            serde_json::json!(["350203", "350203002"])
        );
        assert!(p.authorise_all(Action::EditUnits, &codes[..1]).is_ok());
    }
}
