//! Access control over HTTP on both stores: who may read and write what, where; sign-in and
//! tokens; the audit log; rate limits; headers. Each role's boundary is proven with real
//! requests, the refusals included.

mod common;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use wangge::auth::Role;

fn codes(fc: &Value) -> Vec<String> {
    fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["code"].as_str().unwrap().to_owned())
        .collect()
}

/// The fixture, with responsible staff (an attribute) on every unit.
fn fixture_with_staff() -> Value {
    let mut doc = fixture_units();
    for f in doc["features"].as_array_mut().unwrap() {
        f["properties"]["staff"] = json!("王芳 13800000000");
    }
    doc
}

fn rename(code: &str, name: &str, fixture: &Value) -> Value {
    let mut f = fixture["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["code"] == code)
        .unwrap()
        .clone();
    f["properties"]["name"] = json!(name);
    f
}

fn collection(features: Vec<Value>) -> Value {
    json!({"type": "FeatureCollection", "features": features})
}

async fn audit(app: &TestApp, query: &str) -> Vec<Value> {
    let (s, body) = app
        .get_as(&app.admin_token, &format!("/api/v1/audit{query}"))
        .await;
    assert_eq!(s, 200, "{body}");
    body["entries"].as_array().unwrap().clone()
}

store_test!(
    the_public_reads_outlines_and_names_and_nothing_else,
    |app: TestApp| async move {
        let (s, _) = app.import(&fixture_with_staff(), "").await;
        assert_eq!(s, 200);
        let (s, f) = app.get("/api/v1/units/350203001").await;
        assert_eq!(s, 200);
        assert_eq!(f["properties"]["name"], "街道1");
        assert!(f["geometry"].is_object());
        assert!(f["properties"].get("staff").is_none(), "{f}");
        let (_, fc) = app.get("/api/v1/units?level=street").await;
        assert_eq!(codes(&fc), ["350203001", "350203002"]);
        assert!(fc["features"][0]["properties"].get("staff").is_none());
        let (s, _) = app.get("/api/v1/assign?lon=118.05&lat=24.05").await;
        assert_eq!(s, 200, "single points are public");

        for (method, path) in [
            (Method::GET, "/api/v1/auth/me"),
            (Method::GET, "/api/v1/accounts"),
            (Method::POST, "/api/v1/accounts"),
            (Method::GET, "/api/v1/accounts/test-admin"),
            (Method::GET, "/api/v1/tokens"),
            (Method::POST, "/api/v1/tokens"),
            (Method::DELETE, "/api/v1/tokens/1"),
            (Method::GET, "/api/v1/audit"),
            (Method::POST, "/api/v1/units/import"),
            (Method::POST, "/api/v1/assign/batch"),
        ] {
            let (s, h, b) = app
                .send(method.clone(), path, Auth::None, Some(&json!({})))
                .await;
            assert_eq!(s, 401, "{method} {path}: {b}");
            assert_eq!(error_code(&b), "unauthorized");
            assert!(h["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer"));
        }
        app.stop().await;
    }
);

store_test!(
    signed_in_accounts_see_attributes_only_within_their_area,
    |app: TestApp| async move {
        app.import(&fixture_with_staff(), "").await;
        let viewer = app
            .account_with_token("viewer1", Role::Viewer, &["350203001"])
            .await;
        let (_, f) = app.get_as(&viewer, "/api/v1/units/350203001001").await;
        assert_eq!(f["properties"]["staff"], "王芳 13800000000");
        let (_, f) = app.get_as(&viewer, "/api/v1/units/350203002").await;
        assert!(f["properties"].get("staff").is_none(), "outside the area");
        let (_, f) = app.get_as(&viewer, "/api/v1/units/350203").await;
        assert!(
            f["properties"].get("staff").is_none(),
            "the parent is outside"
        );
        let (_, fc) = app
            .get_as(&app.admin_token, "/api/v1/units?level=street")
            .await;
        assert!(fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["properties"]["staff"].is_string()));
        app.stop().await;
    }
);

store_test!(
    a_session_and_a_token_resolve_to_the_same_principal,
    |app: TestApp| async move {
        app.create_account("planner1", Role::Planner, &["350203001", "350203002001"])
            .await;
        let token = app.token_for("planner1").await;
        let session = app.sign_in("Planner1", PASSWORD).await.unwrap();
        for part in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
            assert!(session.cookie.contains(part), "{}", session.cookie);
        }
        assert!(!session.cookie.contains("Secure"), "plain HTTP");
        assert_eq!(session.body["account"]["username"], "planner1");

        let (s, _, by_session) = app
            .send(
                Method::GET,
                "/api/v1/auth/me",
                Auth::Session(&session),
                None,
            )
            .await;
        assert_eq!(s, 200);
        let (s, by_token) = app.get_as(&token, "/api/v1/auth/me").await;
        assert_eq!(s, 200);
        for field in ["account_id", "username", "role", "scopes", "department"] {
            assert_eq!(by_session[field], by_token[field], "{field}");
        }
        assert_eq!(by_token["role"], "planner");
        assert_eq!(by_token["scopes"], json!(["350203001", "350203002001"]));
        assert_eq!(by_session["credential"]["kind"], "session");
        assert_eq!(by_token["credential"]["kind"], "token");

        let (s, _, b) = app
            .send(
                Method::GET,
                "/api/v1/auth/me",
                Auth::Bearer("wg_nonsense"),
                None,
            )
            .await;
        assert_eq!((s, error_code(&b)), (401, "invalid_token"));
        app.stop().await;
    }
);

store_test!(logout_ends_the_session, |app: TestApp| async move {
    let session = app.sign_in(ADMIN, PASSWORD).await.unwrap();
    let (s, h, b) = app
        .send(
            Method::POST,
            "/api/v1/auth/logout",
            Auth::Session(&session),
            None,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["signed_out"], true);
    assert!(h["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    let (s, _, b) = app
        .send(
            Method::GET,
            "/api/v1/auth/me",
            Auth::Session(&session),
            None,
        )
        .await;
    assert_eq!((s, error_code(&b)), (401, "session_expired"));
    // A stale cookie on a public route is just anonymous.
    let (s, _, _) = app
        .send(Method::GET, "/api/v1/units", Auth::Session(&session), None)
        .await;
    assert_eq!(s, 200);
    let actions: Vec<String> = audit(&app, "?object=session")
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, ["auth.logout", "auth.login"]);
    app.stop().await;
});

store_test!(
    failed_sign_ins_are_alike_counted_audited_and_then_throttled,
    |app: TestApp| async move {
        app.create_account("worker1", Role::GridWorker, &["350203001001001"])
            .await;
        let (s1, b1) = app
            .sign_in("worker1", "wrong-password-1")
            .await
            .unwrap_err();
        let (s2, b2) = app.sign_in("nobody", "wrong-password-1").await.unwrap_err();
        assert_eq!((s1, s2), (401, 401));
        assert_eq!(b1, b2, "no hint whether the account exists");
        assert_eq!(error_code(&b1), "invalid_credentials");
        for _ in 0..4 {
            app.sign_in("worker1", "wrong-password-2")
                .await
                .unwrap_err();
        }
        let (s, b) = app.sign_in("worker1", PASSWORD).await.unwrap_err();
        assert_eq!((s, error_code(&b)), (429, "sign_in_throttled"), "{b}");
        assert!(b["error"]["details"]["retry_after_s"].as_u64().unwrap() >= 1);
        // Another account from the same address is not blocked yet.
        app.sign_in(ADMIN, PASSWORD).await.unwrap();

        let (_, account) = app
            .get_as(&app.admin_token, "/api/v1/accounts/worker1")
            .await;
        assert_eq!(account["failed_sign_ins"]["count"], 5);
        let failed = audit(&app, "?action=auth.login_failed&object=account:worker1").await;
        assert_eq!(failed.len(), 5);
        assert_eq!(failed[0]["actor"], "anonymous");
        assert_eq!(failed[0]["ip"], "127.0.0.1");
        assert!(!failed[0].to_string().contains("wrong-password"));
        app.stop().await;
    }
);

store_test!(
    changing_ones_password_needs_the_old_one_and_ends_sessions,
    |app: TestApp| async move {
        app.create_account("viewer1", Role::Viewer, &["350203"])
            .await;
        let session = app.sign_in("viewer1", PASSWORD).await.unwrap();
        let change =
            |current: &str, new: &str| json!({"current_password": current, "new_password": new});
        let (s, _, b) = app
            .send(
                Method::POST,
                "/api/v1/auth/password",
                Auth::Session(&session),
                Some(&change("not-the-password", "a-new-password-9")),
            )
            .await;
        assert_eq!((s, error_code(&b)), (401, "invalid_credentials"));
        let (s, _, b) = app
            .send(
                Method::POST,
                "/api/v1/auth/password",
                Auth::Session(&session),
                Some(&change(PASSWORD, "short")),
            )
            .await;
        assert_eq!((s, error_code(&b)), (400, "invalid_password"));
        let (s, _, b) = app
            .send(
                Method::POST,
                "/api/v1/auth/password",
                Auth::Session(&session),
                Some(&change(PASSWORD, "a-new-password-9")),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        let (s, _, _) = app
            .send(
                Method::GET,
                "/api/v1/auth/me",
                Auth::Session(&session),
                None,
            )
            .await;
        assert_eq!(s, 401, "sessions ended");
        app.sign_in("viewer1", PASSWORD).await.unwrap_err();
        app.sign_in("viewer1", "a-new-password-9").await.unwrap();
        app.stop().await;
    }
);

store_test!(
    tokens_are_shown_once_kept_as_hashes_and_stop_when_revoked_or_expired,
    |app: TestApp| async move {
        app.create_account("dispatcher1", Role::Dispatcher, &["350203"])
            .await;
        let session = app.sign_in("dispatcher1", PASSWORD).await.unwrap();
        let (s, _, issued) = app
            .send(
                Method::POST,
                "/api/v1/tokens",
                Auth::Session(&session),
                Some(&json!({"name": "12345 hotline bridge", "expires_in_days": 30})),
            )
            .await;
        assert_eq!(s, 201, "{issued}");
        let secret = issued["token"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("wg_") && secret.len() == 46);
        assert!(secret.starts_with(issued["prefix"].as_str().unwrap()));
        let id = issued["id"].as_i64().unwrap();

        let (s, me) = app.get_as(&secret, "/api/v1/auth/me").await;
        assert_eq!((s, me["username"].as_str()), (200, Some("dispatcher1")));
        let (_, list) = app.get_as(&secret, "/api/v1/tokens").await;
        let list = list["tokens"].as_array().unwrap();
        assert_eq!(list.len(), 1, "only its own");
        assert!(!serde_json::to_string(&list).unwrap().contains(&secret[3..]));
        assert!(list[0]["last_used_at"].is_string());
        let all = audit(&app, "").await;
        assert!(!serde_json::to_string(&all).unwrap().contains(&secret[3..]));

        // A token never mints another.
        let (s, b) = app
            .post_as(&secret, "/api/v1/tokens", &json!({"name": "x"}))
            .await;
        assert_eq!((s, error_code(&b)), (403, "session_required"));
        // Lifetimes are bounded.
        let (s, _, b) = app
            .send(
                Method::POST,
                "/api/v1/tokens",
                Auth::Session(&session),
                Some(&json!({"name": "forever", "expires_in_days": 100000})),
            )
            .await;
        assert_eq!((s, error_code(&b)), (400, "invalid_expiry"));

        let (s, _, revoked) = app
            .send(
                Method::DELETE,
                &format!("/api/v1/tokens/{id}"),
                Auth::Bearer(&secret),
                None,
            )
            .await;
        assert_eq!(s, 200, "{revoked}");
        assert!(revoked["revoked_at"].is_string());
        let (s, b) = app.get_as(&secret, "/api/v1/auth/me").await;
        assert_eq!((s, error_code(&b)), (401, "invalid_token"));
        let entry = &audit(&app, &format!("?object=token:{id}&action=token.revoke")).await[0];
        assert_eq!(entry["actor"], "dispatcher1");
        assert_eq!(entry["via"], "token");
        assert!(entry["before"]["revoked_at"].is_null());
        assert!(entry["after"]["revoked_at"].is_string());

        // An expired token is refused like an unknown one.
        let account = app
            .state
            .store
            .account("dispatcher1")
            .await
            .unwrap()
            .unwrap();
        let old = wangge::auth::tokens::issue();
        let now = chrono::Utc::now();
        app.state
            .store
            .create_token(
                &wangge::store::auth::NewToken {
                    account_id: account.id,
                    name: "old".into(),
                    prefix: old.prefix.clone(),
                    hash: old.hash.clone(),
                    created_at: now - chrono::Duration::days(31),
                    expires_at: now - chrono::Duration::days(1),
                },
                &wangge::auth::AuditContext::system("test"),
            )
            .await
            .unwrap();
        let (s, b) = app.get_as(&old.secret, "/api/v1/auth/me").await;
        assert_eq!((s, error_code(&b)), (401, "invalid_token"));
        app.stop().await;
    }
);

store_test!(
    another_accounts_token_is_as_missing_as_no_token,
    |app: TestApp| async move {
        let viewer = app
            .account_with_token("viewer1", Role::Viewer, &["350203"])
            .await;
        let (_, mine) = app
            .get_as(&app.admin_token, "/api/v1/tokens?account=test-admin")
            .await;
        let admin_token_id = mine["tokens"][0]["id"].as_i64().unwrap();
        let (s1, b1) = app
            .get_as(&viewer, &format!("/api/v1/tokens/{admin_token_id}"))
            .await;
        let (s2, b2) = app.get_as(&viewer, "/api/v1/tokens/999999").await;
        assert_eq!((s1, s2), (404, 404));
        assert_eq!(error_code(&b1), error_code(&b2));
        let (s, _, _) = app
            .send(
                Method::DELETE,
                &format!("/api/v1/tokens/{admin_token_id}"),
                Auth::Bearer(&viewer),
                None,
            )
            .await;
        assert_eq!(s, 404);
        let (s, _) = app.get_as(&app.admin_token, "/api/v1/auth/me").await;
        assert_eq!(s, 200, "still valid");
        let (s, b) = app
            .get_as(&viewer, "/api/v1/tokens?account=test-admin")
            .await;
        assert_eq!((s, error_code(&b)), (403, "forbidden"));
        app.stop().await;
    }
);

store_test!(each_role_meets_its_boundaries, |app: TestApp| async move {
    app.import(&fixture_units(), "").await;
    let doc = collection(vec![rename("350203001001", "改名社区", &fixture_units())]);
    let points = "{\"lon\":118.05,\"lat\":24.05}\n".to_owned();
    for (name, role) in [
        ("planner1", Role::Planner),
        ("dispatcher1", Role::Dispatcher),
        ("worker1", Role::GridWorker),
        ("dept1", Role::Department),
        ("viewer1", Role::Viewer),
    ] {
        let token = app.account_with_token(name, role, &["350203001"]).await;
        for path in [
            "/api/v1/accounts",
            "/api/v1/audit",
            "/api/v1/accounts/test-admin",
        ] {
            let (s, b) = app.get_as(&token, path).await;
            assert_eq!((s, error_code(&b)), (403, "forbidden"), "{name} GET {path}");
        }
        let (s, _) = app
            .post_as(
                &token,
                "/api/v1/accounts",
                &json!({"username": "sneaky", "role": "admin", "password": "long-enough-pw"}),
            )
            .await;
        assert_eq!(s, 403, "{name} creates an account");
        let (s, b) = app.import_as(&token, &doc, "").await;
        if role == Role::Planner {
            assert_eq!(s, 200, "{name}: {b}");
        } else {
            assert_eq!((s, error_code(&b)), (403, "forbidden"), "{name} imports");
        }
        let res = app
            .client
            .post(app.url("/api/v1/assign/batch"))
            .bearer_auth(&token)
            .header("content-type", "application/x-ndjson")
            .body(points.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{name} assigns a batch");
    }
    let (s, _) = app.get_as(&app.admin_token, "/api/v1/audit").await;
    assert_eq!(s, 200);
    assert!(app.state.store.account("sneaky").await.unwrap().is_none());
    app.stop().await;
});

store_test!(
    a_planner_imports_within_its_scopes_only_and_all_or_nothing,
    |app: TestApp| async move {
        let fixture = fixture_units();
        app.import(&fixture, "").await;
        let planner = app
            .account_with_token("planner1", Role::Planner, &["350203001"])
            .await;
        let (s, b) = app
            .import_as(
                &planner,
                &collection(vec![rename("350203001002", "鸿山社区", &fixture)]),
                "",
            )
            .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["outcome"]["updated"], json!(["350203001002"]));

        let mixed = collection(vec![
            rename("350203001001", "改名一", &fixture),
            rename("350203002001", "改名二", &fixture),
            rename("350203", "改名区", &fixture),
        ]);
        let (s, b) = app.import_as(&planner, &mixed, "").await;
        assert_eq!((s, error_code(&b)), (403, "out_of_scope"), "{b}");
        assert_eq!(
            b["error"]["details"]["outside"],
            json!(["350203", "350203002001"])
        );
        let (s, b) = app.import_as(&planner, &mixed, "?dry_run=true").await;
        assert_eq!(s, 403, "{b}");
        for code in ["350203001001", "350203002001", "350203"] {
            let (_, f) = app.get(&format!("/api/v1/units/{code}")).await;
            assert_eq!(f["properties"]["version"], 1, "{code} untouched");
        }
        // A planner of one street cannot edit another street's units.
        let other = app
            .account_with_token("planner2", Role::Planner, &["350203002"])
            .await;
        let (s, _) = app
            .import_as(
                &other,
                &collection(vec![rename("350203001", "x", &fixture)]),
                "",
            )
            .await;
        assert_eq!(s, 403);
        let (_, f) = app.get("/api/v1/units/350203001").await;
        assert_eq!(f["properties"]["name"], "街道1");
        app.stop().await;
    }
);

store_test!(
    every_unit_write_is_audited_with_who_where_and_before_after,
    |app: TestApp| async move {
        let start = chrono::Utc::now();
        let fixture = fixture_units();
        app.import(&fixture, "?dry_run=true").await;
        assert!(
            audit(&app, "?object=unit").await.is_empty(),
            "a dry run writes nothing"
        );
        app.import(&fixture, "").await;
        let created = audit(&app, "?object=unit&action=unit.create&limit=1000").await;
        assert_eq!(created.len(), 31);
        let e = &created[0];
        assert_eq!(e["actor"], ADMIN);
        assert_eq!(e["via"], "token");
        assert_eq!(e["ip"], "127.0.0.1");
        assert!(e["before"].is_null());
        assert_eq!(e["after"]["version"], 1);
        assert_eq!(e["after"]["geometry_sha256"].as_str().unwrap().len(), 64);

        app.import(&fixture, "").await;
        assert_eq!(
            audit(&app, "?object=unit&limit=1000").await.len(),
            31,
            "unchanged: none"
        );

        let session = app.sign_in(ADMIN, PASSWORD).await.unwrap();
        let res = app
            .client
            .post(app.url("/api/v1/units/import"))
            .header("cookie", format!("wangge_session={}", session.id))
            .header("content-type", "application/geo+json")
            .body(collection(vec![rename("350203001", "厦港街道", &fixture)]).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let history = audit(&app, "?object=unit:350203001").await;
        assert_eq!(history.len(), 2);
        let update = &history[0];
        assert_eq!(update["action"], "unit.update");
        assert_eq!(update["via"], "session");
        assert_eq!(update["before"]["name"], "街道1");
        assert_eq!(update["after"]["name"], "厦港街道");
        assert_eq!(update["after"]["version"], 2);
        assert_eq!(
            update["before"]["geometry_sha256"],
            update["after"]["geometry_sha256"]
        );

        // Filters: actor, time, paging.
        assert_eq!(audit(&app, "?actor=nobody").await.len(), 0);
        let at = update["at"].as_str().unwrap();
        let q = format!("?object=unit&from={}", at.replace('+', "%2B"));
        assert_eq!(audit(&app, &q).await.len(), 1);
        let q = format!("?object=unit&limit=1000&to={}", at.replace('+', "%2B"));
        assert_eq!(audit(&app, &q).await.len(), 31);
        let q = format!(
            "?from={}",
            (start - chrono::Duration::days(1))
                .to_rfc3339()
                .replace('+', "%2B")
        );
        assert!(audit(&app, &q).await.len() > 32);
        let (_, page) = app
            .get_as(&app.admin_token, "/api/v1/audit?object=unit&limit=10")
            .await;
        let next = page["next_before"].as_i64().unwrap();
        let older = audit(&app, &format!("?object=unit&limit=1000&before={next}")).await;
        assert_eq!(older.len(), 22);
        let (s, b) = app
            .get_as(&app.admin_token, "/api/v1/audit?from=yesterday")
            .await;
        assert_eq!((s, error_code(&b)), (400, "invalid_parameter"));
        let author: Vec<_> = app
            .state
            .store
            .unit_history(&"350203001".parse().unwrap())
            .await
            .unwrap();
        assert_eq!(author.len(), 2);
        app.stop().await;
    }
);

store_test!(
    admins_manage_accounts_and_every_change_is_audited,
    |app: TestApp| async move {
        let (s, created) = app
            .post_as(
                &app.admin_token,
                "/api/v1/accounts",
                &json!({"username": "Zhang.San", "display_name": "张三", "role": "grid_worker",
                        "scopes": ["350203001001001", "350203001001"], "password": "zhang-san-password"}),
            )
            .await;
        assert_eq!(s, 201, "{created}");
        assert_eq!(created["username"], "zhang.san");
        assert_eq!(
            created["scopes"],
            json!(["350203001001"]),
            "covered scopes fold"
        );
        assert!(created.get("password_hash").is_none());
        let (s, b) = app
            .post_as(
                &app.admin_token,
                "/api/v1/accounts",
                &json!({"username": "zhang.san", "role": "viewer", "scopes": ["350203"]}),
            )
            .await;
        assert_eq!((s, error_code(&b)), (409, "conflict"));
        for bad in [
            json!({"username": "li", "role": "viewer", "scopes": ["350203"]}),
            json!({"username": "li.si", "role": "viewer"}),
            json!({"username": "li.si", "role": "department", "scopes": ["350203"]}),
            json!({"username": "li.si", "role": "viewer", "scopes": ["350203"], "password": "short"}),
            json!({"username": "li.si", "role": "root", "scopes": ["350203"]}),
            json!({"username": "li.si", "role": "viewer", "scopes": ["3502"]}),
        ] {
            let (s, b) = app
                .post_as(&app.admin_token, "/api/v1/accounts", &bad)
                .await;
            assert_eq!(s, 400, "{bad}: {b}");
        }
        let worker = app
            .sign_in("zhang.san", "zhang-san-password")
            .await
            .unwrap();
        let worker_token = app.token_for("zhang.san").await;

        let (s, _, patched) = app
            .send(
                Method::PATCH,
                "/api/v1/accounts/zhang.san",
                Auth::Bearer(&app.admin_token),
                Some(&json!({"role": "dispatcher", "scopes": ["350203001"]})),
            )
            .await;
        assert_eq!(s, 200, "{patched}");
        assert_eq!(patched["role"], "dispatcher");
        let (_, me) = app.get_as(&worker_token, "/api/v1/auth/me").await;
        assert_eq!(me["role"], "dispatcher", "takes effect at once");

        let (s, _, b) = app
            .send(
                Method::PATCH,
                "/api/v1/accounts/zhang.san",
                Auth::Bearer(&app.admin_token),
                Some(&json!({"disabled": true})),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        let (s, _) = app.get_as(&worker_token, "/api/v1/auth/me").await;
        assert_eq!(s, 401, "a disabled account's token stops");
        let (s, _, _) = app
            .send(Method::GET, "/api/v1/auth/me", Auth::Session(&worker), None)
            .await;
        assert_eq!(s, 401, "and its sessions end");
        app.sign_in("zhang.san", "zhang-san-password")
            .await
            .unwrap_err();

        // The last enabled admin stays.
        let (s, _, b) = app
            .send(
                Method::PATCH,
                "/api/v1/accounts/test-admin",
                Auth::Bearer(&app.admin_token),
                Some(&json!({"disabled": true})),
            )
            .await;
        assert_eq!((s, error_code(&b)), (409, "conflict"));
        let (s, _, b) = app
            .send(
                Method::PATCH,
                "/api/v1/accounts/test-admin",
                Auth::Bearer(&app.admin_token),
                Some(&json!({"role": "viewer", "scopes": ["350203"]})),
            )
            .await;
        assert_eq!((s, error_code(&b)), (409, "conflict"));
        let (s, _, _) = app
            .send(
                Method::PATCH,
                "/api/v1/accounts/nobody",
                Auth::Bearer(&app.admin_token),
                Some(&json!({"disabled": true})),
            )
            .await;
        assert_eq!(s, 404);
        let (s, _, b) = app
            .send(
                Method::PATCH,
                "/api/v1/accounts/zhang.san",
                Auth::Bearer(&app.admin_token),
                Some(&json!({"scope": ["350203"]})),
            )
            .await;
        assert_eq!(
            (s, error_code(&b)),
            (400, "invalid_body"),
            "typos are not ignored"
        );

        let entries = audit(&app, "?object=account:zhang.san").await;
        let actions: Vec<&str> = entries
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "auth.login_failed",
                "account.update",
                "account.update",
                "account.create"
            ]
        );
        assert_eq!(entries[2]["before"]["role"], "grid_worker");
        assert_eq!(entries[2]["after"]["role"], "dispatcher");
        assert_eq!(entries[1]["after"]["disabled"], true);
        assert_eq!(entries[1]["actor"], ADMIN);
        let text = serde_json::to_string(&audit(&app, "?limit=1000").await).unwrap();
        assert!(!text.contains("argon2") && !text.contains("zhang-san-password"));
        let (_, list) = app.get_as(&app.admin_token, "/api/v1/accounts").await;
        let names: Vec<&str> = list["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["username"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["test-admin", "zhang.san"]);
        app.stop().await;
    }
);

store_test!(
    the_audit_log_cannot_be_changed_or_deleted,
    |app: TestApp| async move {
        app.import(&fixture_units(), "").await;
        let before = audit(&app, "?limit=1000").await.len();
        assert!(before > 31);
        for method in [Method::PUT, Method::PATCH, Method::DELETE, Method::POST] {
            let (s, _, _) = app
                .send(
                    method.clone(),
                    "/api/v1/audit",
                    Auth::Bearer(&app.admin_token),
                    Some(&json!({})),
                )
                .await;
            assert_eq!(s, 405, "{method}");
        }
        let attempts = [
            "UPDATE audit_log SET actor = 'someone else'",
            "DELETE FROM audit_log",
        ];
        match app.kind {
            StoreKind::Sqlite => {
                use sqlx::Connection;
                let mut conn =
                    sqlx::SqliteConnection::connect(&format!("sqlite://{}", app.database_url))
                        .await
                        .unwrap();
                for sql in attempts {
                    let e = sqlx::query(sql).execute(&mut conn).await.unwrap_err();
                    assert!(e.to_string().contains("append-only"), "{sql}: {e}");
                }
            }
            StoreKind::Postgres => {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&app.database_url)
                    .await
                    .unwrap();
                for sql in attempts.into_iter().chain(["TRUNCATE audit_log"]) {
                    let e = sqlx::query(sql).execute(&mut conn).await.unwrap_err();
                    assert!(e.to_string().contains("append-only"), "{sql}: {e}");
                }
            }
        }
        assert_eq!(audit(&app, "?limit=1000").await.len(), before);
        app.stop().await;
    }
);

store_test!(
    signed_in_writes_from_other_origins_are_refused,
    |app: TestApp| async move {
        let session = app.sign_in(ADMIN, PASSWORD).await.unwrap();
        let res = app
            .client
            .post(app.url("/api/v1/tokens"))
            .header("cookie", format!("wangge_session={}", session.id))
            .header("origin", "https://evil.example")
            .header("content-type", "application/json")
            .body(json!({"name": "stolen"}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        let b: Value = res.json().await.unwrap();
        assert_eq!(error_code(&b), "cross_origin_request");
        let res = app
            .client
            .post(app.url("/api/v1/tokens"))
            .header("cookie", format!("wangge_session={}", session.id))
            .header("origin", app.base.clone())
            .header("content-type", "application/json")
            .body(json!({"name": "mine"}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "same origin");
        let res = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .header("origin", "https://evil.example")
            .header("content-type", "application/json")
            .body(json!({"username": ADMIN, "password": PASSWORD}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "no sign-in from other sites");
        app.stop().await;
    }
);

#[tokio::test]
async fn sign_in_is_rate_limited_per_address_and_tokens_have_their_own_bucket() {
    let app = TestApp::start_with(StoreKind::Sqlite, |c| {
        c.rate_limit_address_per_minute = 1;
        c.rate_limit_address_burst = 2;
    })
    .await
    .unwrap();
    for _ in 0..2 {
        let (s, _) = app.sign_in("nobody", "wrong-password-1").await.unwrap_err();
        assert_eq!(s, 401);
    }
    let (s, h, b) = app
        .send(
            Method::POST,
            "/api/v1/auth/login",
            Auth::None,
            Some(&json!({"username": ADMIN, "password": PASSWORD})),
        )
        .await;
    assert_eq!((s, error_code(&b)), (429, "rate_limited"), "{b}");
    let retry: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Reads of a limited path are not counted; a valid token has its own bucket.
    let (s, _, _) = app
        .send(Method::GET, "/api/v1/auth/login", Auth::None, None)
        .await;
    assert_eq!(s, 405);
    let (s, _, b) = app
        .send(
            Method::POST,
            "/api/v1/auth/login",
            Auth::Bearer(&app.admin_token),
            Some(&json!({"username": ADMIN, "password": PASSWORD})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    app.stop().await;
}

#[tokio::test]
async fn cookies_are_secure_and_hsts_is_on_over_tls() {
    let app = TestApp::start_with(StoreKind::Sqlite, |c| {
        c.public_url = Some("https://wangge.example.org".into());
    })
    .await
    .unwrap();
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(json!({"username": ADMIN, "password": PASSWORD}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("; Secure"));
    assert!(res.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .contains("max-age="));
    app.stop().await;

    // Behind a trusted proxy, its X-Forwarded-Proto counts; from anyone else it does not.
    for (trusted, secure) in [(true, true), (false, false)] {
        let app = TestApp::start_with(StoreKind::Sqlite, |c| {
            if trusted {
                c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
            }
        })
        .await
        .unwrap();
        let res = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-proto", "https")
            .header("x-forwarded-for", "203.0.113.9")
            .header("content-type", "application/json")
            .body(json!({"username": ADMIN, "password": PASSWORD}).to_string())
            .send()
            .await
            .unwrap();
        let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert_eq!(cookie.contains("; Secure"), secure, "{cookie}");
        let login = &audit(&app, "?action=auth.login").await[0];
        let ip = if trusted { "203.0.113.9" } else { "127.0.0.1" };
        assert_eq!(login["ip"], ip);
        app.stop().await;
    }
}

#[tokio::test]
async fn security_headers_are_set_and_cors_is_closed_unless_configured() {
    let app = TestApp::start(StoreKind::Sqlite).await.unwrap();
    let res = app
        .client
        .get(app.url("/api/v1/units"))
        .header("origin", "https://elsewhere.example")
        .send()
        .await
        .unwrap();
    let h = res.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(
        h["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'"
    );
    assert!(h.get("access-control-allow-origin").is_none());
    assert!(h.get("strict-transport-security").is_none(), "plain HTTP");
    let res = app.client.get(app.url("/")).send().await.unwrap();
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let res = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["cache-control"], "no-store");
    app.stop().await;

    let app = TestApp::start_with(StoreKind::Sqlite, |c| {
        c.cors_origins = vec!["https://app.example.org".into()];
    })
    .await
    .unwrap();
    for (origin, allowed) in [
        ("https://app.example.org", true),
        ("https://evil.example", false),
    ] {
        let res = app
            .client
            .request(Method::OPTIONS, app.url("/api/v1/units/import"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization")
            .send()
            .await
            .unwrap();
        let acao = res.headers().get("access-control-allow-origin");
        assert_eq!(acao.is_some(), allowed, "{origin}");
        assert!(res
            .headers()
            .get("access-control-allow-credentials")
            .is_none());
    }
    app.stop().await;
}

/// Everything the service logs while people sign in, fail, issue and use tokens.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn passwords_and_tokens_never_reach_the_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    // The test runtime has one thread, which the server shares.
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = TestApp::start(StoreKind::Sqlite).await.unwrap();
    app.sign_in(ADMIN, "a-wrong-password-77").await.unwrap_err();
    let session = app.sign_in(ADMIN, PASSWORD).await.unwrap();
    let (_, _, issued) = app
        .send(
            Method::POST,
            "/api/v1/tokens",
            Auth::Session(&session),
            Some(&json!({"name": "logged?"})),
        )
        .await;
    let secret = issued["token"].as_str().unwrap().to_owned();
    app.get_as(&secret, "/api/v1/auth/me").await;
    app.get_as(
        "wg_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "/api/v1/auth/me",
    )
    .await;
    app.post_as(
        &app.admin_token,
        "/api/v1/accounts",
        &json!({"username": "li.si", "role": "viewer", "scopes": ["350203"],
                "password": "li-si-password-55"}),
    )
    .await;
    let admin_token = app.admin_token.clone();
    app.stop().await;
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("failed sign-in"), "the failure is logged");
    for secret in [
        PASSWORD,
        "a-wrong-password-77",
        "li-si-password-55",
        &secret[3..],
        &admin_token[3..],
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        &session.id,
    ] {
        assert!(!log.contains(secret), "`{secret}` is in the log");
    }
}
