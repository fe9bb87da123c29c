//! Access control over HTTP: sign-in and sign-out, the signed-in account, accounts (admins),
//! API tokens, and the audit log (admins).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::json;

use super::accounts::{self, AccountError, AccountRequest, AccountUpdate};
use super::audit::{AuditContext, AuditFilter};
use super::client::{same_origin, ClientInfo};
use super::password::Password;
use super::principal::Principal;
use super::roles::{Action, Role};
use super::signin::{self, SignInError};
use super::{sessions, tokens};
use crate::http::error::ApiError;
use crate::http::params::Params;
use crate::http::Routes;
use crate::store::auth::{Account, NewToken};
use crate::units::UnitCode;
use crate::AppState;

pub fn routes() -> Routes {
    vec![
        ("/api/v1/auth/login", post(login)),
        ("/api/v1/auth/logout", post(logout)),
        ("/api/v1/auth/me", get(me)),
        ("/api/v1/auth/password", post(change_password)),
        ("/api/v1/accounts", get(list_accounts).post(create_account)),
        (
            "/api/v1/accounts/{username}",
            get(get_account).patch(update_account),
        ),
        ("/api/v1/tokens", get(list_tokens).post(issue_token)),
        ("/api/v1/tokens/{id}", get(get_token).delete(revoke_token)),
        ("/api/v1/audit", get(read_audit)),
    ]
}

/// Entries per page of the audit log unless `limit` says otherwise, and the most it may say.
const AUDIT_PAGE: u32 = 100;
const AUDIT_PAGE_MAX: u32 = 1000;

fn json_body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request("invalid_body", format!("request body: {e}")))
}

/// Absent → `None`; `null` → `Some(None)`; a value → `Some(Some(v))`.
fn double_option<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> ApiError {
        match e {
            AccountError::Invalid(m) => ApiError::bad_request("invalid_account", m),
            AccountError::Store(e) => e.into(),
        }
    }
}

impl IntoResponse for SignInError {
    fn into_response(self) -> Response {
        match self {
            SignInError::Invalid => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "wrong username or password",
            )
            .into_response(),
            SignInError::Throttled { retry_after_secs } => {
                let mut res = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "sign_in_throttled",
                    self.to_string(),
                )
                .with_details(json!({ "retry_after_s": retry_after_secs }))
                .into_response();
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                res
            }
            SignInError::Policy(m) => ApiError::bad_request("invalid_password", m).into_response(),
            SignInError::Store(e) => ApiError::from(e).into_response(),
        }
    }
}

fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    username: String,
    password: Password,
}

/// `POST /api/v1/auth/login {"username", "password"}`: starts a web session (cookie).
async fn login(
    State(state): State<AppState>,
    client: ClientInfo,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    // A sign-in form posted from another site would sign the victim in as the attacker.
    if !same_origin(&Method::POST, &headers, &state.config) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_origin_request",
            "sign in from this site's own pages",
        )
        .into_response());
    }
    let req: LoginRequest = json_body(&body).map_err(IntoResponse::into_response)?;
    let signed = signin::sign_in(&state, &client, &req.username, req.password)
        .await
        .map_err(IntoResponse::into_response)?;
    let body = json!({
        "account": signed.principal(),
        "session": { "expires_at": signed.session.expires_at },
    });
    let mut res = no_store(Json(body).into_response());
    res.headers_mut().insert(header::SET_COOKIE, signed.cookie);
    Ok(res)
}

/// `POST /api/v1/auth/logout`: ends the web session (and forgets the cookie either way).
async fn logout(
    State(state): State<AppState>,
    client: ClientInfo,
    headers: HeaderMap,
    principal: Option<Principal>,
) -> Result<Response, ApiError> {
    let mut ended = false;
    if let Some(p) = &principal {
        if !p.via_session() {
            return Err(ApiError::bad_request(
                "not_a_session",
                "API tokens do not sign out: revoke the token (DELETE /api/v1/tokens/{id})",
            ));
        }
        if let Some(id) = sessions::read_cookie(&headers) {
            let audit = AuditContext::of(p, &client);
            ended = state
                .store
                .delete_session(&tokens::digest(id), &audit, Utc::now())
                .await?;
        }
    }
    let mut res = no_store(Json(json!({ "signed_out": ended })).into_response());
    res.headers_mut()
        .insert(header::SET_COOKIE, sessions::clear_cookie(client.tls));
    Ok(res)
}

/// `GET /api/v1/auth/me`: the principal the request acts for.
async fn me(principal: Principal) -> Response {
    no_store(Json(principal).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordChange {
    current_password: Password,
    new_password: Password,
}

/// `POST /api/v1/auth/password {"current_password", "new_password"}`: ends every session.
async fn change_password(
    State(state): State<AppState>,
    client: ClientInfo,
    principal: Principal,
    body: Bytes,
) -> Result<Response, Response> {
    let req: PasswordChange = json_body(&body).map_err(IntoResponse::into_response)?;
    signin::change_password(
        &state,
        &client,
        &principal,
        req.current_password,
        req.new_password,
    )
    .await
    .map_err(IntoResponse::into_response)?;
    let mut res = no_store(Json(json!({ "password_changed": true })).into_response());
    res.headers_mut()
        .insert(header::SET_COOKIE, sessions::clear_cookie(client.tls));
    Ok(res)
}

fn no_account(username: &str) -> ApiError {
    ApiError::not_found(format!("no account `{username}`"))
}

/// `GET /api/v1/accounts`: every account (admins).
async fn list_accounts(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Response, ApiError> {
    principal.require(Action::ManageAccounts)?;
    let accounts = state.store.accounts().await?;
    Ok(no_store(
        Json(json!({ "accounts": accounts })).into_response(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAccountBody {
    username: String,
    #[serde(default)]
    display_name: Option<String>,
    role: Role,
    #[serde(default)]
    department: Option<String>,
    #[serde(default)]
    scopes: Vec<UnitCode>,
    /// Absent: a token-only account (integrations).
    #[serde(default)]
    password: Option<Password>,
}

/// `POST /api/v1/accounts`: creates an account (admins).
async fn create_account(
    State(state): State<AppState>,
    client: ClientInfo,
    principal: Principal,
    body: Bytes,
) -> Result<Response, ApiError> {
    principal.require(Action::ManageAccounts)?;
    let req: NewAccountBody = json_body(&body)?;
    let request = AccountRequest {
        username: req.username,
        display_name: req.display_name,
        role: req.role,
        department: req.department,
        scopes: req.scopes,
        password: req.password,
    };
    let audit = AuditContext::of(&principal, &client);
    let account = accounts::create(state.store.as_ref(), request, &audit).await?;
    let location = format!("/api/v1/accounts/{}", account.username);
    let mut res = (StatusCode::CREATED, Json(account)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(no_store(res))
}

/// An account with its current run of failed sign-ins, for admins.
async fn account_view(state: &AppState, account: Account) -> Result<serde_json::Value, ApiError> {
    let failures = state
        .store
        .sign_in_failures(&format!("user:{}", account.username))
        .await?;
    let mut view = serde_json::to_value(&account).unwrap_or_default();
    view["failed_sign_ins"] = json!({
        "count": failures.map_or(0, |f| f.count),
        "last_at": failures.map(|f| f.last_at),
    });
    Ok(view)
}

/// `GET /api/v1/accounts/{username}` (admins).
async fn get_account(
    State(state): State<AppState>,
    principal: Principal,
    Path(username): Path<String>,
) -> Result<Response, ApiError> {
    principal.require(Action::ManageAccounts)?;
    let account = state
        .store
        .account(&username)
        .await?
        .ok_or_else(|| no_account(&username))?;
    let view = account_view(&state, account).await?;
    Ok(no_store(Json(view).into_response()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountPatch {
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    role: Option<Role>,
    #[serde(default, deserialize_with = "double_option")]
    department: Option<Option<String>>,
    #[serde(default)]
    scopes: Option<Vec<UnitCode>>,
    #[serde(default)]
    password: Option<Password>,
    #[serde(default)]
    disabled: Option<bool>,
}

/// `PATCH /api/v1/accounts/{username}`: changes role, scopes, department, name, password, or
/// disables (admins). A new password or disabling ends the account's sessions.
async fn update_account(
    State(state): State<AppState>,
    client: ClientInfo,
    principal: Principal,
    Path(username): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    principal.require(Action::ManageAccounts)?;
    let req: AccountPatch = json_body(&body)?;
    let update = AccountUpdate {
        display_name: req.display_name,
        role: req.role,
        department: req.department,
        scopes: req.scopes,
        password: req.password,
        disabled: req.disabled,
    };
    let audit = AuditContext::of(&principal, &client);
    let account = accounts::update(state.store.as_ref(), &username, update, &audit)
        .await?
        .ok_or_else(|| no_account(&username))?;
    let view = account_view(&state, account).await?;
    Ok(no_store(Json(view).into_response()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTokenBody {
    name: String,
    #[serde(default)]
    expires_in_days: Option<u32>,
    /// Another account's username (admins only); default: one's own.
    #[serde(default)]
    account: Option<String>,
}

/// `POST /api/v1/tokens {"name", "expires_in_days", "account"}`: issues a token, shown once in
/// the answer. Only from a signed-in web session (a token never mints another).
async fn issue_token(
    State(state): State<AppState>,
    client: ClientInfo,
    principal: Principal,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !principal.via_session() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "session_required",
            "tokens are issued from a signed-in web session or the command line, \
             never with another token",
        ));
    }
    let req: NewTokenBody = json_body(&body)?;
    let account_id = match req.account.as_deref() {
        Some(other) if other != principal.username => {
            principal.require(Action::ManageAccounts)?;
            let account = state
                .store
                .account(other)
                .await?
                .ok_or_else(|| no_account(other))?;
            if account.disabled {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "account_disabled",
                    format!("account `{other}` is disabled"),
                ));
            }
            account.id
        }
        _ => principal.account_id,
    };
    let audit = AuditContext::of(&principal, &client);
    let issued = issue(&state, account_id, &req.name, req.expires_in_days, &audit).await?;
    Ok(no_store(
        (StatusCode::CREATED, Json(issued)).into_response(),
    ))
}

/// Issues a token for `account_id`, checking name and lifetime; the answer holds the secret.
pub async fn issue(
    state: &AppState,
    account_id: i64,
    name: &str,
    days: Option<u32>,
    audit: &AuditContext,
) -> Result<serde_json::Value, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::bad_request(
            "invalid_token_name",
            "a token needs a name of 1 to 100 characters (what uses it)",
        ));
    }
    let max = state.config.token_max_days;
    let days = days.unwrap_or(tokens::DEFAULT_DAYS.min(max));
    if days == 0 || days > max {
        return Err(ApiError::bad_request(
            "invalid_expiry",
            format!("expires_in_days must be 1 to {max}"),
        ));
    }
    let token = tokens::issue();
    let now = Utc::now();
    let new = NewToken {
        account_id,
        name: name.to_owned(),
        prefix: token.prefix.clone(),
        hash: token.hash.clone(),
        created_at: now,
        expires_at: now + Duration::days(i64::from(days)),
    };
    let record = state.store.create_token(&new, audit).await?;
    let mut body = serde_json::to_value(&record).unwrap_or_default();
    body["token"] = json!(token.secret);
    body["note"] = json!("the token is shown only now: store it as a secret");
    Ok(body)
}

/// `GET /api/v1/tokens?account=`: one's own tokens; admins: everyone's, or one account's.
async fn list_tokens(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    let account_id = match p.get("account") {
        Some(name) if name != principal.username => {
            principal.require(Action::ManageAccounts)?;
            Some(
                state
                    .store
                    .account(name)
                    .await?
                    .ok_or_else(|| no_account(name))?
                    .id,
            )
        }
        Some(_) => Some(principal.account_id),
        None if principal.may(Action::ManageAccounts) => None,
        None => Some(principal.account_id),
    };
    let tokens = state.store.tokens(account_id).await?;
    Ok(no_store(Json(json!({ "tokens": tokens })).into_response()))
}

fn token_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>().map_err(|_| {
        ApiError::bad_request("invalid_token_id", format!("`{raw}` is not a token id"))
    })
}

/// The token `id` if the principal may see it: its own, or any for admins. Another account's
/// token is as missing as one that does not exist.
async fn visible_token(
    state: &AppState,
    principal: &Principal,
    id: i64,
) -> Result<crate::store::auth::TokenRecord, ApiError> {
    let missing = || ApiError::not_found(format!("no token {id}"));
    let token = state.store.token_by_id(id).await?.ok_or_else(missing)?;
    if token.account_id == principal.account_id || principal.may(Action::ManageAccounts) {
        Ok(token)
    } else {
        Err(missing())
    }
}

/// `GET /api/v1/tokens/{id}`.
async fn get_token(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let token = visible_token(&state, &principal, token_id(&id)?).await?;
    Ok(no_store(Json(token).into_response()))
}

/// `DELETE /api/v1/tokens/{id}`: revokes (the record stays, with `revoked_at`).
async fn revoke_token(
    State(state): State<AppState>,
    client: ClientInfo,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = token_id(&id)?;
    visible_token(&state, &principal, id).await?;
    let audit = AuditContext::of(&principal, &client);
    let token = state
        .store
        .revoke_token(id, &audit, Utc::now())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no token {id}")))?;
    Ok(no_store(Json(token).into_response()))
}

fn time_param(p: &Params, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    p.get(name)
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| {
                    ApiError::bad_request(
                        "invalid_parameter",
                        format!("`{name}={v}`: an RFC 3339 time is needed ({e})"),
                    )
                    .with_details(json!({ "parameter": name }))
                })
        })
        .transpose()
}

/// `GET /api/v1/audit?actor=&object=TYPE[:ID]&action=&from=&to=&limit=&before=` (admins):
/// newest first; `next_before` continues with older entries.
async fn read_audit(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    principal.require(Action::ReadAudit)?;
    let p = Params::parse(q.as_deref())?;
    let (object_type, object_id) = match p.get("object") {
        Some(o) => match o.split_once(':') {
            Some((t, id)) => (Some(t.to_owned()), Some(id.to_owned())),
            None => (Some(o.to_owned()), None),
        },
        None => (None, None),
    };
    let limit = p.limit(AUDIT_PAGE, AUDIT_PAGE_MAX)?;
    let filter = AuditFilter {
        actor: p.get("actor").map(str::to_owned),
        object_type,
        object_id,
        action: p.get("action").map(str::to_owned),
        from: time_param(&p, "from")?,
        to: time_param(&p, "to")?,
        before_id: p.parsed::<i64>("before")?,
        limit,
    };
    let entries = state.store.audit_entries(&filter).await?;
    let next_before = (entries.len() == limit as usize)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    Ok(no_store(
        Json(json!({ "entries": entries, "next_before": next_before })).into_response(),
    ))
}
