//! Test harness: starts the real service on a real store (a fresh SQLite file, or a fresh PostGIS
//! database on the server `WANGGE_TEST_DATABASE_URL` names) and talks HTTP to it.
#![allow(dead_code)]

use std::net::SocketAddr;

use serde_json::{json, Value};
use wangge::auth::accounts::{self, AccountRequest};
use wangge::auth::password::Password;
use wangge::auth::{AuditContext, Role};
use wangge::config::Config;
use wangge::store::auth::Account;
use wangge::AppState;

/// The account the harness creates on start; its API token is `TestApp::admin_token`.
pub const ADMIN: &str = "test-admin";
/// The password of every account the harness creates.
pub const PASSWORD: &str = "grid-test-password-1";

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StoreKind {
    Sqlite,
    Postgres,
}

/// A PostGIS server URL for tests, or `None` to skip. In CI a missing server is a failure.
pub fn postgres_server() -> Option<String> {
    match std::env::var("WANGGE_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but WANGGE_TEST_DATABASE_URL is not set: PostGIS tests must run in CI")
        }
        _ => {
            eprintln!("WANGGE_TEST_DATABASE_URL not set: skipping the PostGIS run of this test");
            None
        }
    }
}

/// A fresh database with PostGIS on the test server; dropped by [`drop_database`].
pub async fn fresh_postgres_database(server: &str) -> (String, String) {
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(server)
        .await
        .expect("connect to the PostGIS test server");
    let name = format!(
        "wangge_t_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create test database");
    let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(server);
    let url = format!("{base}/{name}");
    (url, name)
}

pub async fn drop_database(server: &str, name: &str) {
    use sqlx::Connection;
    if let Ok(mut admin) = sqlx::PgConnection::connect(server).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin)
            .await;
    }
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub kind: StoreKind,
    /// The store's URL (a file path for SQLite), for tests that look at the tables themselves.
    pub database_url: String,
    /// An API token of the admin account the harness creates on start.
    pub admin_token: String,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
    server: tokio::task::JoinHandle<()>,
}

impl TestApp {
    /// Starts the service on a new store of the given kind; `None` when PostGIS is not available
    /// outside CI.
    pub async fn start(kind: StoreKind) -> Option<TestApp> {
        TestApp::start_with(kind, |_| {}).await
    }

    pub async fn start_with(kind: StoreKind, tweak: impl FnOnce(&mut Config)) -> Option<TestApp> {
        let dir = tempfile::tempdir().expect("tempdir");
        let (url, pg) = match kind {
            StoreKind::Sqlite => (dir.path().join("test.gpkg").display().to_string(), None),
            StoreKind::Postgres => {
                let server = postgres_server()?;
                let (url, name) = fresh_postgres_database(&server).await;
                (url, Some((server, name)))
            }
        };
        let mut config = Config::for_database(&url);
        config.sign_in_failure_delay_ms = 10;
        config.web_dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("web");
        tweak(&mut config);
        let state = AppState::open(config).await.expect("open the store");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = state
            .router()
            .into_make_service_with_connect_info::<SocketAddr>();
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        let mut app = TestApp {
            addr,
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            state,
            kind,
            database_url: url,
            admin_token: String::new(),
            _dir: dir,
            pg,
            server,
        };
        app.create_account(ADMIN, Role::Admin, &[]).await;
        app.admin_token = app.token_for(ADMIN).await;
        Some(app)
    }

    /// Creates an account with [`PASSWORD`] directly in the store (as the command line does).
    pub async fn create_account(&self, username: &str, role: Role, scopes: &[&str]) -> Account {
        let request = AccountRequest {
            username: username.to_owned(),
            display_name: None,
            role,
            department: (role == Role::Department).then(|| "城市管理".to_owned()),
            scopes: scopes.iter().map(|s| s.parse().unwrap()).collect(),
            password: Some(Password::new(PASSWORD)),
        };
        accounts::create(
            self.state.store.as_ref(),
            request,
            &AuditContext::system("test"),
        )
        .await
        .unwrap_or_else(|e| panic!("create account {username}: {e}"))
    }

    /// Issues an API token for an existing account directly in the store.
    pub async fn token_for(&self, username: &str) -> String {
        let account = self
            .state
            .store
            .account(username)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no account {username}"));
        let issued = wangge::auth::routes::issue(
            &self.state,
            account.id,
            "test",
            None,
            &AuditContext::system("test"),
        )
        .await
        .unwrap_or_else(|e| panic!("token for {username}: {e:?}"));
        issued["token"].as_str().unwrap().to_owned()
    }

    /// An account of `role` scoped to `scopes` and its API token.
    pub async fn account_with_token(&self, username: &str, role: Role, scopes: &[&str]) -> String {
        self.create_account(username, role, scopes).await;
        self.token_for(username).await
    }

    /// Any request; `auth` is a bearer token or a session cookie. Answers status, headers and the
    /// body as JSON (or a JSON string when it is not JSON).
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        auth: Auth<'_>,
        body: Option<&Value>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut req = self.client.request(method, self.url(path));
        req = match auth {
            Auth::None => req,
            Auth::Bearer(t) => req.bearer_auth(t),
            Auth::Session(s) => req.header("cookie", format!("wangge_session={}", s.id)),
        };
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        (
            status,
            headers,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get_as(&self, token: &str, path: &str) -> (u16, Value) {
        let (s, _, b) = self
            .send(reqwest::Method::GET, path, Auth::Bearer(token), None)
            .await;
        (s, b)
    }

    /// Posts a raw body of `content_type` with a bearer token; the status and the JSON answer.
    pub async fn post_bytes(
        &self,
        token: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (u16, Value) {
        let res = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap())
    }

    pub async fn post_as(&self, token: &str, path: &str, body: &Value) -> (u16, Value) {
        let (s, _, b) = self
            .send(reqwest::Method::POST, path, Auth::Bearer(token), Some(body))
            .await;
        (s, b)
    }

    /// Signs in with a password; the session, or the refusal's status and body.
    pub async fn sign_in(&self, username: &str, password: &str) -> Result<Session, (u16, Value)> {
        let (status, headers, body) = self
            .send(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                Auth::None,
                Some(&json!({"username": username, "password": password})),
            )
            .await;
        if status != 200 {
            return Err((status, body));
        }
        let cookie = headers["set-cookie"].to_str().unwrap().to_owned();
        let id = cookie
            .split(';')
            .next()
            .and_then(|kv| kv.strip_prefix("wangge_session="))
            .unwrap()
            .to_owned();
        Ok(Session { id, cookie, body })
    }

    /// Imports a GeoJSON document over HTTP with `token`.
    pub async fn import_as(&self, token: &str, doc: &Value, query: &str) -> (u16, Value) {
        let res = self
            .client
            .post(self.url(&format!("/api/v1/units/import{query}")))
            .bearer_auth(token)
            .header("content-type", "application/geo+json")
            .body(doc.to_string())
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let res = self.client.get(self.url(path)).send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Imports a GeoJSON document over HTTP with the admin's token.
    pub async fn import(&self, doc: &Value, query: &str) -> (u16, Value) {
        self.import_as(&self.admin_token, doc, query).await
    }

    pub async fn stop(self) {
        self.server.abort();
        if let Some((server, name)) = &self.pg {
            drop_database(server, name).await;
        }
    }
}

/// How a test request proves who it is.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    None,
    Bearer(&'a str),
    Session(&'a Session),
}

/// A signed-in web session: the cookie's value, the whole `Set-Cookie` header, the answer.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub cookie: String,
    pub body: Value,
}

/// Asserts the one error shape and returns its code.
pub fn error_code(body: &Value) -> &str {
    let e = body
        .get("error")
        .unwrap_or_else(|| panic!("no `error` in {body}"));
    assert!(
        e["message"].as_str().is_some_and(|m| !m.is_empty()),
        "error without message: {body}"
    );
    e["code"]
        .as_str()
        .unwrap_or_else(|| panic!("error without code: {body}"))
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]})
}

fn feature(code: &str, name: &str, geometry: Value) -> Value {
    json!({"type": "Feature", "properties": {"code": code, "name": name}, "geometry": geometry})
}

/// A small, exactly tiled hierarchy on a lon/lat grid near Xiamen: district 350203 covering
/// [118.0, 118.4] × [24.0, 24.4], split in two streets (west/east), each in two communities
/// (south/north), each community in two grids (west/east), each grid in two micro-grids
/// (south/north). Codes ascend west→east and south→north.
pub fn fixture_units() -> Value {
    // Coordinates in tenths of a degree, divided once, so that shared edges are bit-identical.
    let t = |tenths: i32| f64::from(tenths) / 10.0;
    let r = |x0: i32, y0: i32, x1: i32, y1: i32| rect(t(x0), t(y0), t(x1), t(y1));
    let mut features = vec![feature("350203", "思明区", r(1180, 240, 1184, 244))];
    for (s, sx) in [(1, 1180), (2, 1182)] {
        let street = format!("350203{s:03}");
        features.push(feature(
            &street,
            &format!("街道{s}"),
            r(sx, 240, sx + 2, 244),
        ));
        for (c, cy) in [(1, 240), (2, 242)] {
            let community = format!("{street}{c:03}");
            features.push(feature(
                &community,
                &format!("社区{s}-{c}"),
                r(sx, cy, sx + 2, cy + 2),
            ));
            for (g, gx) in [(1, sx), (2, sx + 1)] {
                let grid = format!("{community}{g:03}");
                features.push(feature(
                    &grid,
                    &format!("网格{s}-{c}-{g}"),
                    r(gx, cy, gx + 1, cy + 2),
                ));
                for (m, my) in [(1, cy), (2, cy + 1)] {
                    let micro = format!("{grid}{m:02}");
                    features.push(feature(
                        &micro,
                        &format!("微网格{s}-{c}-{g}-{m}"),
                        r(gx, my, gx + 1, my + 1),
                    ));
                }
            }
        }
    }
    json!({"type": "FeatureCollection", "features": features})
}

/// Runs the body once per store: `store_test!(name, |app| async move { ... });`
#[macro_export]
macro_rules! store_test {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                if let Some(app) = TestApp::start(StoreKind::Sqlite).await {
                    ($body)(app).await;
                }
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(app) = TestApp::start(StoreKind::Postgres).await {
                    ($body)(app).await;
                }
            }
        }
    };
}
