//! Geotagged reports over HTTP on both stores: intake (idempotent, durable, routed, with
//! duplicates), the refusals of bad input, the closed loop with its roles and area boundaries,
//! staff lists, and the dispatch catalogue as data.

mod common;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use wangge::auth::accounts::{self, AccountRequest};
use wangge::auth::password::Password;
use wangge::auth::{AuditContext, Role};

/// Micro-grid 35020300100100101 (grid 350203001001001) of the fixture.
const IN_GRID_A: (f64, f64) = (118.05, 24.05);
/// Micro-grid 35020300100100201 (grid 350203001001002).
const IN_GRID_B: (f64, f64) = (118.15, 24.05);

async fn setup(app: &TestApp) {
    let (s, b) = app.import(&fixture_units(), "").await;
    assert_eq!(s, 200, "{b}");
}

fn report(category: &str, (lon, lat): (f64, f64)) -> Value {
    json!({
        "category": category,
        "description": "楼下装修噪声，晚上十点后仍在施工",
        "location": {"lon": lon, "lat": lat},
        "channel": "app",
        "media": ["https://img.example.org/1.jpg"],
        "reporter": {"name": "李四", "phone": "13900000000"}
    })
}

/// Files a report as `token` (tokens have their own, larger rate limit).
async fn file(app: &TestApp, token: &str, body: &Value) -> Value {
    let (s, b) = app.post_as(token, "/api/v1/reports", body).await;
    assert_eq!(s, 201, "{b}");
    b
}

async fn post_report(
    app: &TestApp,
    key: Option<&str>,
    body: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    post_report_as(app, None, key, body).await
}

/// `post_report` signed in with `token` (anonymous intake is rate-limited per client).
async fn post_report_as(
    app: &TestApp,
    token: Option<&str>,
    key: Option<&str>,
    body: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = app
        .client
        .post(app.url("/api/v1/reports"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
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

async fn move_to(app: &TestApp, token: &str, id: &str, body: Value) -> (u16, Value) {
    app.post_as(token, &format!("/api/v1/reports/{id}/transitions"), &body)
        .await
}

async fn listed(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let (s, b) = app.get_as(token, &format!("/api/v1/reports{query}")).await;
    assert_eq!(s, 200, "{query}: {b}");
    b["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn department(app: &TestApp, username: &str, name: &str, scope: &str) -> String {
    accounts::create(
        app.state.store.as_ref(),
        AccountRequest {
            username: username.to_owned(),
            display_name: None,
            role: Role::Department,
            department: Some(name.to_owned()),
            scopes: vec![scope.parse().unwrap()],
            password: Some(Password::new(PASSWORD)),
        },
        &AuditContext::system("test"),
    )
    .await
    .unwrap();
    app.token_for(username).await
}

store_test!(
    intake_is_durable_routed_to_the_grid_worker_and_acknowledged_with_chain_and_deadlines,
    |app: TestApp| async move {
        setup(&app).await;
        app.create_account("gw-a", Role::GridWorker, &["350203001001001"])
            .await;
        let (s, _, ack) = post_report(&app, None, &report("noise", IN_GRID_A).to_string()).await;
        assert_eq!(s, 201, "{ack}");
        assert_eq!(ack["state"], "received");
        assert_eq!(ack["assigned"], true);
        assert_eq!(ack["unit"]["code"], "35020300100100101");
        let chain: Vec<&str> = ack["chain"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["code"].as_str().unwrap())
            .collect();
        assert_eq!(
            chain,
            [
                "350203",
                "350203001",
                "350203001001",
                "350203001001001",
                "35020300100100101"
            ]
        );
        assert_eq!(ack["queue_unit"], "350203001001001");
        assert_eq!(ack["assignee"], "gw-a");
        assert_eq!(ack["handler"], json!({"level": "grid"}));
        assert!(ack["accept_due"].as_str().unwrap() > ack["created_at"].as_str().unwrap());
        assert!(ack["handle_due"].as_str().unwrap() > ack["accept_due"].as_str().unwrap());
        assert!(
            ack.get("reporter").is_none(),
            "no contact in public answers: {ack}"
        );
        assert!(!ack.to_string().contains("13900000000"));

        // Durable before acknowledged: the store has it, with its first event.
        let id = ack["id"].as_str().unwrap();
        let stored = app.state.store.report(id).await.unwrap().expect("stored");
        assert_eq!(stored.assignee.as_deref(), Some("gw-a"));
        let events = app.state.store.report_events(id).await.unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].to_state.as_str(), "received");
        assert_eq!(events[0].actor, "anonymous");
        let (_, entries) = app
            .get_as(
                &app.admin_token,
                &format!("/api/v1/audit?object=report:{id}"),
            )
            .await;
        assert_eq!(entries["entries"][0]["action"], "report.create");
        assert!(
            !entries.to_string().contains("13900000000"),
            "no contact in the audit log"
        );
        app.stop().await;
    }
);

store_test!(
    without_responsible_staff_a_report_goes_to_the_unit_queue_and_departments_get_theirs,
    |app: TestApp| async move {
        setup(&app).await;
        let hotline = app
            .account_with_token("hotline", Role::Dispatcher, &["350203"])
            .await;
        let ack = file(&app, &hotline, &report("property_dispute", IN_GRID_A)).await;
        assert_eq!(ack["queue_unit"], "350203001001", "the community's queue");
        assert_eq!(ack["assignee"], Value::Null);
        // A grid worker scoped to the micro-grid is the smallest unit's staff: it wins over the grid's.
        app.create_account("gw-grid", Role::GridWorker, &["350203001001001"])
            .await;
        app.create_account("gw-micro", Role::GridWorker, &["35020300100100101"])
            .await;
        let ack = file(&app, &hotline, &report("noise", IN_GRID_A)).await;
        assert_eq!(ack["assignee"], "gw-micro");
        let ack = file(&app, &hotline, &report("noise", IN_GRID_B)).await;
        assert_eq!(ack["assignee"], Value::Null, "nobody in grid B");
        assert_eq!(ack["queue_unit"], "350203001001002");

        department(&app, "scjg", "市场监管", "350203").await;
        department(&app, "traffic", "交警", "350203").await;
        let ack = file(&app, &hotline, &report("food_hygiene", IN_GRID_A)).await;
        assert_eq!(ack["handler"], json!({"department": "市场监管"}));
        assert_eq!(ack["assignee"], "scjg");
        assert_eq!(ack["queue_unit"], "350203");
        let ack = file(&app, &hotline, &report("traffic_safety", IN_GRID_B)).await;
        assert_eq!(ack["assignee"], "traffic");
        app.stop().await;
    }
);

store_test!(
    a_retry_with_the_same_idempotency_key_returns_the_first_answer_and_creates_nothing,
    |app: TestApp| async move {
        setup(&app).await;
        let body = report("noise", IN_GRID_A).to_string();
        let (s1, h1, first) = post_report(&app, Some("k-2026-0001"), &body).await;
        assert_eq!(s1, 201, "{first}");
        assert!(h1.get("idempotent-replayed").is_none());
        let (s2, h2, again) = post_report(&app, Some("k-2026-0001"), &body).await;
        assert_eq!(s2, 201, "{again}");
        assert_eq!(h2["idempotent-replayed"], "true");
        assert_eq!(again, first);
        assert_eq!(listed(&app, &app.admin_token, "").await.len(), 1);

        let other = report("noise", IN_GRID_B).to_string();
        let (s, _, b) = post_report(&app, Some("k-2026-0001"), &other).await;
        assert_eq!((s, error_code(&b)), (422, "idempotency_key_reused"));
        let (s, _, b) = post_report(&app, Some(""), &body).await;
        assert_eq!((s, error_code(&b)), (400, "invalid_idempotency_key"));
        assert_eq!(listed(&app, &app.admin_token, "").await.len(), 1);
        app.stop().await;
    }
);

store_test!(
    concurrent_retries_with_one_key_create_one_report_and_all_get_its_answer,
    |app: TestApp| async move {
        setup(&app).await;
        let body = report("noise", IN_GRID_A).to_string();
        // Sent at once, these land in the same group-commit batches as each other.
        let answers = futures::future::join_all(
            (0..24).map(|_| post_report_as(&app, Some(&app.admin_token), Some("k-burst-1"), &body)),
        )
        .await;
        let first = &answers[0].2;
        for (status, _, answer) in &answers {
            assert_eq!(*status, 201, "{answer}");
            assert_eq!(answer, first, "every retry gets the first answer");
        }
        let replayed = answers
            .iter()
            .filter(|(_, h, _)| h.get("idempotent-replayed").is_some())
            .count();
        assert_eq!(replayed, 23, "exactly one of them created the report");
        assert_eq!(listed(&app, &app.admin_token, "").await.len(), 1);
        app.stop().await;
    }
);

store_test!(
    a_failing_report_in_a_batch_leaves_no_trace_and_the_others_commit,
    |app: TestApp| async move {
        use wangge::store::reports::Intake;
        use wangge::store::NewReport;
        setup(&app).await;
        let filed = file(&app, &app.admin_token, &report("noise", IN_GRID_A)).await;
        let existing = app
            .state
            .store
            .report(filed["id"].as_str().unwrap())
            .await
            .unwrap()
            .unwrap();
        let new = |id: &str, key: Option<&str>| NewReport {
            report: wangge::reports::Report {
                id: id.to_owned(),
                ..existing.clone()
            },
            key: key.map(|k| wangge::store::reports::IdempotencyKey {
                key: k.to_owned(),
                request_sha256: "ab".repeat(32),
            }),
            answer: json!({ "id": id }),
            audit: AuditContext::system("test"),
        };
        let batch = [
            new("R20260101000000000000000A", Some("batch-key")),
            new("R20260101000000000000000B", Some("batch-key")),
            // The id of a stored report: its insert fails inside the batch.
            new(&existing.id, None),
            new("R20260101000000000000000D", None),
        ];
        let results = app.state.store.create_reports(&batch).await.unwrap();
        assert_eq!(results.len(), 4);
        assert_eq!(results[0].as_ref().unwrap(), &Intake::Created);
        assert_eq!(
            results[1].as_ref().unwrap(),
            &Intake::Replayed {
                request_sha256: "ab".repeat(32),
                answer: json!({ "id": "R20260101000000000000000A" }),
            },
            "a key seen earlier in the same batch answers like a stored one"
        );
        assert!(results[2].is_err(), "a duplicate id is refused");
        assert_eq!(results[3].as_ref().unwrap(), &Intake::Created);
        let store = &app.state.store;
        assert!(store
            .report("R20260101000000000000000A")
            .await
            .unwrap()
            .is_some());
        assert!(store
            .report("R20260101000000000000000B")
            .await
            .unwrap()
            .is_none());
        assert!(store
            .report("R20260101000000000000000D")
            .await
            .unwrap()
            .is_some());
        assert_eq!(
            store.report_events(&existing.id).await.unwrap().len(),
            1,
            "the failed report added no event to the stored one"
        );
        app.stop().await;
    }
);

store_test!(
    bad_input_gets_a_precise_4xx_in_the_one_error_shape_and_writes_nothing,
    |app: TestApp| async move {
        setup(&app).await;
        let hotline = app
            .account_with_token("hotline", Role::Dispatcher, &["350203"])
            .await;
        let ok = report("noise", IN_GRID_A);
        let with = |field: &str, value: Value| {
            let mut b = ok.clone();
            b[field] = value;
            b
        };
        let without = |field: &str| {
            let mut b = ok.clone();
            b.as_object_mut().unwrap().remove(field);
            b
        };
        let cases = [
            (with("category", json!("ufo")), 422, "unknown_category"),
            (without("category"), 400, "missing_field"),
            (without("location"), 400, "missing_field"),
            (
                with("location", json!({"lon": 118.05})),
                400,
                "missing_field",
            ),
            (
                with("location", json!({"lon": 200.0, "lat": 24.05})),
                400,
                "coordinate_out_of_range",
            ),
            (
                with("location", json!({"lon": 118.05, "lat": -91.0})),
                400,
                "coordinate_out_of_range",
            ),
            (
                with("location", json!({"lon": "east", "lat": 24.05})),
                400,
                "invalid_field",
            ),
            (
                with(
                    "location",
                    json!({"lon": 118.05, "lat": 24.05, "crs": "utm"}),
                ),
                400,
                "invalid_field",
            ),
            (
                with("description", json!("长".repeat(4001))),
                422,
                "description_too_long",
            ),
            (with("channel", json!("fax")), 422, "unknown_channel"),
            (
                with("media", json!(["file:///etc/passwd"])),
                400,
                "invalid_field",
            ),
            (with("reporter", json!("13900000000")), 400, "invalid_field"),
            (with("priority", json!("high")), 400, "invalid_field"),
        ];
        for (body, status, code) in cases {
            let (s, b) = app.post_as(&hotline, "/api/v1/reports", &body).await;
            assert_eq!((s, error_code(&b)), (status, code), "{body}: {b}");
        }
        let res = app
            .client
            .post(app.url("/api/v1/reports"))
            .bearer_auth(&hotline)
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 400);
        let b: Value = res.json().await.unwrap();
        assert_eq!(error_code(&b), "invalid_json");
        assert!(listed(&app, &app.admin_token, "").await.is_empty());
        let (_, audit) = app
            .get_as(&app.admin_token, "/api/v1/audit?action=report.create")
            .await;
        assert!(audit["entries"].as_array().unwrap().is_empty());

        // 4000 characters (not bytes) are fine, and GCJ-02 input is stored as WGS84.
        let ack = file(
            &app,
            &hotline,
            &with("description", json!("长".repeat(4000))),
        )
        .await;
        assert_eq!(ack["state"], "received");
        let gcj = json!({"lon": 118.05 + 0.0052, "lat": 24.05 - 0.0027, "crs": "gcj02"});
        let ack = file(&app, &hotline, &with("location", gcj)).await;
        let (lon, lat) = (
            ack["location"]["lon"].as_f64().unwrap(),
            ack["location"]["lat"].as_f64().unwrap(),
        );
        assert!(
            (lon - 118.05).abs() < 0.001 && (lat - 24.05).abs() < 0.001,
            "{ack}"
        );
        assert_ne!(lon, 118.05 + 0.0052);
        app.stop().await;
    }
);

store_test!(
    open_reports_of_the_same_category_within_50_m_are_offered_as_duplicates,
    |app: TestApp| async move {
        setup(&app).await;
        let hotline = app
            .account_with_token("hotline", Role::Dispatcher, &["350203"])
            .await;
        let first = file(&app, &hotline, &report("noise", IN_GRID_A)).await;
        assert_eq!(first["duplicates"], json!([]));
        // About 22 m north: a candidate.
        let near = (IN_GRID_A.0, IN_GRID_A.1 + 0.0002);
        let second = file(&app, &hotline, &report("noise", near)).await;
        let dups = second["duplicates"].as_array().unwrap();
        assert_eq!(dups.len(), 1, "{second}");
        assert_eq!(dups[0]["id"], first["id"]);
        let d = dups[0]["distance_m"].as_f64().unwrap();
        assert!((20.0..25.0).contains(&d), "{d}");
        // About 111 m away, or another category: none.
        let far = file(
            &app,
            &hotline,
            &report("noise", (IN_GRID_A.0, IN_GRID_A.1 + 0.001)),
        )
        .await;
        assert_eq!(far["duplicates"], json!([]));
        let other = file(&app, &hotline, &report("sanitation", near)).await;
        assert_eq!(other["duplicates"], json!([]));

        // Merged into the original, the duplicate is no longer open: a new report sees only the original.
        let dispatcher = app
            .account_with_token("disp", Role::Dispatcher, &["350203001"])
            .await;
        let second_id = second["id"].as_str().unwrap();
        let (s, b) = move_to(
            &app,
            &dispatcher,
            second_id,
            json!({"to": "merged", "merged_into": first["id"]}),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["merged_into"], first["id"]);
        let third = file(&app, &hotline, &report("noise", near)).await;
        let ids: Vec<&Value> = third["duplicates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| &d["id"])
            .collect();
        assert_eq!(ids, [&first["id"]]);
        let (s, b) = move_to(
            &app,
            &dispatcher,
            third["id"].as_str().unwrap(),
            json!({"to": "merged"}),
        )
        .await;
        assert_eq!((s, error_code(&b)), (400, "missing_field"));
        let (s, b) = move_to(
            &app,
            &dispatcher,
            third["id"].as_str().unwrap(),
            json!({"to": "merged", "merged_into": third["id"]}),
        )
        .await;
        assert_eq!((s, error_code(&b)), (422, "invalid_merge_target"));
        app.stop().await;
    }
);

store_test!(
    the_closed_loop_moves_only_by_legal_transitions_of_the_right_role_each_an_event,
    |app: TestApp| async move {
        setup(&app).await;
        let gw = app
            .account_with_token("gw-a", Role::GridWorker, &["350203001001001"])
            .await;
        let disp = app
            .account_with_token("disp", Role::Dispatcher, &["350203001"])
            .await;
        let ack = file(&app, &disp, &report("noise", IN_GRID_A)).await;
        let id = ack["id"].as_str().unwrap().to_owned();

        // A grid worker may not dispatch (403); closing from received is illegal (409 + allowed).
        let (s, b) = move_to(&app, &gw, &id, json!({"to": "dispatched"})).await;
        assert_eq!((s, error_code(&b)), (403, "forbidden"));
        let (s, b) = move_to(&app, &disp, &id, json!({"to": "closed"})).await;
        assert_eq!((s, error_code(&b)), (409, "illegal_transition"));
        assert_eq!(b["error"]["details"]["state"], "received");
        assert_eq!(
            b["error"]["details"]["allowed"],
            json!(["dispatched", "merged"])
        );
        let (s, b) = move_to(&app, &disp, &id, json!({"to": "sleeping"})).await;
        assert_eq!((s, error_code(&b)), (400, "invalid_field"));

        let (s, b) = move_to(
            &app,
            &disp,
            &id,
            json!({"to": "dispatched", "assignee": "nobody"}),
        )
        .await;
        assert_eq!((s, error_code(&b)), (422, "invalid_assignee"));
        let (s, b) = move_to(
            &app,
            &disp,
            &id,
            json!({"to": "dispatched", "assignee": "gw-a", "note": "请尽快处理"}),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(
            (b["state"].as_str(), b["assignee"].as_str()),
            (Some("dispatched"), Some("gw-a"))
        );
        // Returned needs a reason, then goes back to dispatch.
        let (s, b) = move_to(&app, &gw, &id, json!({"to": "returned"})).await;
        assert_eq!((s, error_code(&b)), (400, "reason_required"));
        let (s, _) = move_to(
            &app,
            &gw,
            &id,
            json!({"to": "returned", "note": "不属于本网格"}),
        )
        .await;
        assert_eq!(s, 200);
        let (s, b) = move_to(&app, &gw, &id, json!({"to": "accepted"})).await;
        assert_eq!(
            (s, &b["error"]["details"]["allowed"]),
            (409, &json!(["dispatched", "merged"]))
        );
        for (token, body) in [
            (&disp, json!({"to": "dispatched"})),
            (&gw, json!({"to": "accepted"})),
            (
                &gw,
                json!({"to": "handled", "note": "已劝导停工", "photos": ["https://img.example.org/after.jpg"]}),
            ),
        ] {
            let (s, b) = move_to(&app, token, &id, body.clone()).await;
            assert_eq!(s, 200, "{body}: {b}");
        }
        // The grid worker may not verify its own work; the dispatcher sends it back (返工).
        let (s, _) = move_to(&app, &gw, &id, json!({"to": "verified"})).await;
        assert_eq!(s, 403);
        let (s, b) = move_to(&app, &disp, &id, json!({"to": "reopened"})).await;
        assert_eq!((s, error_code(&b)), (400, "reason_required"));
        for (token, body) in [
            (&disp, json!({"to": "reopened", "note": "复查仍有噪声"})),
            (&gw, json!({"to": "handled", "note": "已再次处理"})),
            (&disp, json!({"to": "verified"})),
            (&disp, json!({"to": "closed"})),
        ] {
            let (s, b) = move_to(&app, token, &id, body.clone()).await;
            assert_eq!(s, 200, "{body}: {b}");
        }
        let (s, b) = move_to(&app, &disp, &id, json!({"to": "reopened", "note": "again"})).await;
        assert_eq!((s, &b["error"]["details"]["allowed"]), (409, &json!([])));

        let (s, full) = app.get_as(&disp, &format!("/api/v1/reports/{id}")).await;
        assert_eq!(s, 200);
        assert_eq!(full["state"], "closed");
        assert_eq!(full["assignee"], "gw-a");
        let steps: Vec<(&str, &str)> = full["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["actor"].as_str().unwrap(),
                    e["to_state"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            steps,
            [
                ("disp", "received"),
                ("disp", "dispatched"),
                ("gw-a", "returned"),
                ("disp", "dispatched"),
                ("gw-a", "accepted"),
                ("gw-a", "handled"),
                ("disp", "reopened"),
                ("gw-a", "handled"),
                ("disp", "verified"),
                ("disp", "closed"),
            ]
        );
        assert_eq!(full["events"][2]["note"], "不属于本网格");
        assert_eq!(
            full["events"][5]["photos"],
            json!(["https://img.example.org/after.jpg"])
        );
        let (_, audit) = app
            .get_as(
                &app.admin_token,
                &format!("/api/v1/audit?object=report:{id}&action=report.transition"),
            )
            .await;
        assert_eq!(audit["entries"].as_array().unwrap().len(), 9);
        app.stop().await;
    }
);

store_test!(
    staff_outside_the_area_get_404_and_only_staff_in_scope_see_the_contact,
    |app: TestApp| async move {
        setup(&app).await;
        let gw_a = app
            .account_with_token("gw-a", Role::GridWorker, &["350203001001001"])
            .await;
        let gw_b = app
            .account_with_token("gw-b", Role::GridWorker, &["350203001001002"])
            .await;
        let viewer = app
            .account_with_token("viewer", Role::Viewer, &["350203001"])
            .await;
        let planner = app
            .account_with_token("planner", Role::Planner, &["350203"])
            .await;
        let ack = file(&app, &gw_a, &report("noise", IN_GRID_A)).await;
        let id = ack["id"].as_str().unwrap();
        let path = format!("/api/v1/reports/{id}");

        let (s, b) = app.get_as(&gw_a, &path).await;
        assert_eq!(s, 200);
        assert_eq!(b["reporter"]["phone"], "13900000000");
        let (s, b) = app.get_as(&gw_b, &path).await;
        assert_eq!((s, error_code(&b)), (404, "not_found"));
        let (s, missing) = app
            .get_as(&gw_b, "/api/v1/reports/R20260101FFFFFFFFFFFFFFFF")
            .await;
        assert_eq!(s, 404);
        assert_eq!(
            b["error"]["code"], missing["error"]["code"],
            "same answer as a missing report"
        );
        let (s, _) = move_to(&app, &gw_b, id, json!({"to": "accepted"})).await;
        assert_eq!(s, 404);
        let (s, b) = app.get_as(&viewer, &path).await;
        assert_eq!(s, 200, "viewers read in their area");
        assert_eq!(b["reporter"]["name"], "李四");
        let (s, _) = move_to(&app, &viewer, id, json!({"to": "dispatched"})).await;
        assert_eq!(s, 403, "viewers do not handle");
        let (s, _) = app.get_as(&planner, &path).await;
        assert_eq!(s, 403, "planners read no reports");
        let (s, _, b) = app.send(Method::GET, &path, Auth::None, None).await;
        assert_eq!((s, error_code(&b)), (401, "unauthorized"));
        let (s, _, _) = app
            .send(Method::GET, "/api/v1/reports", Auth::None, None)
            .await;
        assert_eq!(s, 401);
        assert!(listed(&app, &gw_b, "").await.is_empty());
        assert_eq!(listed(&app, &gw_a, "").await, [id]);
        app.stop().await;
    }
);

store_test!(
    staff_lists_filter_by_queue_state_category_time_bbox_and_page,
    |app: TestApp| async move {
        setup(&app).await;
        let gw = app
            .account_with_token("gw-a", Role::GridWorker, &["350203001001001"])
            .await;
        let disp = app
            .account_with_token("disp", Role::Dispatcher, &["350203001"])
            .await;
        let street2 = app
            .account_with_token("disp2", Role::Dispatcher, &["350203002"])
            .await;
        let a = file(&app, &disp, &report("noise", IN_GRID_A)).await;
        let b = file(&app, &disp, &report("property_dispute", IN_GRID_A)).await;
        let c = file(&app, &disp, &report("noise", IN_GRID_B)).await;
        let d = file(&app, &disp, &report("noise", (118.25, 24.05))).await;
        let id = |v: &Value| v["id"].as_str().unwrap().to_owned();

        assert_eq!(listed(&app, &gw, "?queue=mine").await, [id(&a)]);
        assert_eq!(
            listed(&app, &disp, "").await,
            [id(&c), id(&b), id(&a)],
            "newest first, own street only"
        );
        assert_eq!(listed(&app, &street2, "").await, [id(&d)]);
        assert_eq!(
            listed(&app, &disp, "?queue=unit").await,
            [id(&c), id(&b), id(&a)]
        );
        assert_eq!(
            listed(&app, &gw, "?queue=unit").await,
            [id(&a)],
            "the grid queue, not the community's"
        );
        assert_eq!(
            listed(&app, &disp, "?category=property_dispute").await,
            [id(&b)]
        );
        assert_eq!(
            listed(&app, &disp, "?bbox=118.1,24.0,118.2,24.1").await,
            [id(&c)]
        );
        assert_eq!(
            listed(&app, &app.admin_token, "?limit=2").await,
            [id(&d), id(&c)]
        );
        assert_eq!(
            listed(&app, &app.admin_token, "?limit=2&offset=2").await,
            [id(&b), id(&a)]
        );
        let (_, page) = app
            .get_as(&app.admin_token, "/api/v1/reports?limit=2")
            .await;
        assert_eq!(page["next_offset"], 2);
        let created = a["created_at"].as_str().unwrap().replace('+', "%2B");
        assert_eq!(
            listed(&app, &app.admin_token, &format!("?to={created}")).await,
            Vec::<String>::new()
        );
        assert_eq!(
            listed(&app, &app.admin_token, &format!("?from={created}"))
                .await
                .len(),
            4
        );

        move_to(&app, &disp, &id(&a), json!({"to": "dispatched"})).await;
        assert_eq!(listed(&app, &disp, "?state=dispatched").await, [id(&a)]);
        assert_eq!(
            listed(&app, &disp, "?state=received,dispatched")
                .await
                .len(),
            3
        );
        assert!(
            listed(&app, &disp, "?overdue=true").await.is_empty(),
            "nothing is late yet"
        );

        let (s, fc) = app
            .get_as(&disp, "/api/v1/reports?format=geojson&category=noise")
            .await;
        assert_eq!(s, 200);
        assert_eq!(fc["type"], "FeatureCollection");
        let f = &fc["features"][1];
        assert_eq!(
            f["geometry"],
            json!({"type": "Point", "coordinates": [118.05, 24.05]})
        );
        assert_eq!(f["properties"]["id"], a["id"]);
        assert!(f["properties"].get("reporter").is_none());
        let (_, gcj) = app
            .get_as(
                &disp,
                "/api/v1/reports?format=geojson&category=noise&crs=gcj02",
            )
            .await;
        let p = &gcj["features"][1]["geometry"]["coordinates"];
        let (dx, dy) = (
            p[0].as_f64().unwrap() - 118.05,
            p[1].as_f64().unwrap() - 24.05,
        );
        assert!(
            dx.abs() > 1e-4 && dx.abs() < 0.01 && dy.abs() < 0.01,
            "GCJ-02 offset: {p}"
        );

        for bad in [
            "?state=lost",
            "?queue=all",
            "?limit=0",
            "?bbox=1,2",
            "?from=yesterday",
            "?format=kml",
            "?format=geojson&crs=utm",
        ] {
            let (s, b) = app.get_as(&disp, &format!("/api/v1/reports{bad}")).await;
            assert_eq!(s, 400, "{bad}: {b}");
            error_code(&b);
        }
        app.stop().await;
    }
);

store_test!(
    overdue_lists_reports_past_the_deadline_of_their_state,
    |app: TestApp| async move {
        setup(&app).await;
        let disp = app
            .account_with_token("disp", Role::Dispatcher, &["350203"])
            .await;
        let late = file(&app, &disp, &report("noise", IN_GRID_A)).await;
        let on_time = file(&app, &disp, &report("noise", IN_GRID_B)).await;
        // Back-date one report's deadlines in the store, as if it had come in long ago.
        let mut stored = app
            .state
            .store
            .report(late["id"].as_str().unwrap())
            .await
            .unwrap()
            .unwrap();
        stored.id = "R19990101AAAAAAAAAAAAAAAA".to_owned();
        stored.accept_due = chrono::Utc::now() - chrono::Duration::hours(1);
        stored.handle_due = chrono::Utc::now() + chrono::Duration::hours(1);
        app.state
            .store
            .create_report(&stored, None, &json!({}), &AuditContext::system("test"))
            .await
            .unwrap();
        assert_eq!(
            listed(&app, &disp, "?overdue=true").await,
            [stored.id.clone()]
        );
        move_to(&app, &disp, &stored.id, json!({"to": "dispatched"})).await;
        let (s, _) = move_to(&app, &disp, &stored.id, json!({"to": "accepted"})).await;
        assert_eq!(s, 200);
        assert!(
            listed(&app, &disp, "?overdue=true").await.is_empty(),
            "accepted: the handle deadline is ahead"
        );
        let _ = on_time;
        app.stop().await;
    }
);

store_test!(
    admins_edit_the_dispatch_catalogue_and_intake_follows_it,
    |app: TestApp| async move {
        setup(&app).await;
        let (s, cat) = app.get("/api/v1/dispatch-catalogue").await;
        assert_eq!(s, 200);
        let categories = cat["categories"].as_array().unwrap();
        assert!(categories.len() >= 10);
        let noise = categories.iter().find(|c| c["code"] == "noise").unwrap();
        assert_eq!(noise["name_zh"], "噪声扰民");
        assert_eq!(noise["handler"], json!({"level": "grid"}));

        let disp = app
            .account_with_token("disp", Role::Dispatcher, &["350203"])
            .await;
        let mut edited = cat.clone();
        for c in edited["categories"].as_array_mut().unwrap() {
            if c["code"] == "noise" {
                c["handler"] = json!({"level": "community"});
            }
        }
        let (s, _, _) = app
            .send(
                Method::PUT,
                "/api/v1/dispatch-catalogue",
                Auth::Bearer(&disp),
                Some(&edited),
            )
            .await;
        assert_eq!(s, 403);
        let mut broken = edited.clone();
        broken["categories"][0]["accept_hours"] = json!(0);
        broken["categories"][1]["code"] = json!("Bad Code");
        let (s, _, b) = app
            .send(
                Method::PUT,
                "/api/v1/dispatch-catalogue",
                Auth::Bearer(&app.admin_token),
                Some(&broken),
            )
            .await;
        assert_eq!((s, error_code(&b)), (422, "invalid_catalogue"));
        assert_eq!(
            b["error"]["details"]["problems"].as_array().unwrap().len(),
            2,
            "{b}"
        );
        let (_, unchanged) = app.get("/api/v1/dispatch-catalogue").await;
        assert_eq!(unchanged, cat, "nothing written");

        let (s, _, b) = app
            .send(
                Method::PUT,
                "/api/v1/dispatch-catalogue",
                Auth::Bearer(&app.admin_token),
                Some(&edited),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        let (_, now) = app.get("/api/v1/dispatch-catalogue").await;
        assert_eq!(now, edited);
        let ack = file(&app, &disp, &report("noise", IN_GRID_A)).await;
        assert_eq!(
            ack["queue_unit"], "350203001001",
            "noise now goes to the community"
        );
        let (_, audit) = app
            .get_as(&app.admin_token, "/api/v1/audit?action=catalogue.replace")
            .await;
        let entries = audit["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 2, "the first-start seed and the edit");
        assert_eq!(entries[0]["actor"], ADMIN);
        app.stop().await;
    }
);

store_test!(
    anonymous_intake_is_rate_limited_per_address,
    |app: TestApp| async move {
        setup(&app).await;
        let body =
            json!({"category": "ufo", "location": {"lon": 118.05, "lat": 24.05}}).to_string();
        let mut statuses = Vec::new();
        for _ in 0..15 {
            let (s, h, b) = post_report(&app, None, &body).await;
            if s == 429 {
                assert_eq!(error_code(&b), "rate_limited");
                assert!(h.get("retry-after").is_some());
            }
            statuses.push(s);
        }
        assert!(
            statuses.contains(&422) && statuses.contains(&429),
            "{statuses:?}"
        );
        // Reads of the same path are not counted.
        let (s, _) = app.get_as(&app.admin_token, "/api/v1/reports").await;
        assert_eq!(s, 200);
        app.stop().await;
    }
);

store_test!(
    a_missed_deadline_escalates_one_level_up_once_per_deadline,
    |app: TestApp| async move {
        setup(&app).await;
        app.create_account("gw-a", Role::GridWorker, &["350203001001001"])
            .await;
        let community = app
            .account_with_token("disp-c", Role::Dispatcher, &["350203001001"])
            .await;
        let ack = file(&app, &community, &report("noise", IN_GRID_A)).await;
        let store = app.state.store.as_ref();
        let now = chrono::Utc::now();
        assert_eq!(
            wangge::reports::escalation::run_once(store, now)
                .await
                .unwrap(),
            0,
            "nothing is late yet"
        );
        // As if it had come in long ago: both deadlines passed.
        let mut late = store
            .report(ack["id"].as_str().unwrap())
            .await
            .unwrap()
            .unwrap();
        late.id = "R19990101BBBBBBBBBBBBBBBB".to_owned();
        late.accept_due = now - chrono::Duration::hours(2);
        late.handle_due = now - chrono::Duration::hours(1);
        store
            .create_report(&late, None, &json!({}), &AuditContext::system("test"))
            .await
            .unwrap();
        assert_eq!(late.queue_unit.as_str(), "350203001001001");

        let run = |at| wangge::reports::escalation::run_once(store, at);
        assert_eq!(run(now).await.unwrap(), 1);
        assert_eq!(
            run(now).await.unwrap(),
            0,
            "never twice for the same deadline"
        );
        let moved = store.report(&late.id).await.unwrap().unwrap();
        assert_eq!(
            moved.queue_unit.as_str(),
            "350203001001",
            "grid → community"
        );
        assert_eq!(moved.assignee.as_deref(), Some("disp-c"));
        assert_eq!(
            moved.state.as_str(),
            "received",
            "escalation changes the owner, not the state"
        );
        assert_eq!(
            listed(&app, &community, "?queue=mine").await,
            [late.id.clone()]
        );

        // Accepted late, it misses the handle deadline too: one more level up.
        move_to(&app, &community, &late.id, json!({"to": "dispatched"})).await;
        let (s, b) = move_to(&app, &community, &late.id, json!({"to": "accepted"})).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(run(now).await.unwrap(), 1);
        assert_eq!(run(now).await.unwrap(), 0);
        let moved = store.report(&late.id).await.unwrap().unwrap();
        assert_eq!(moved.queue_unit.as_str(), "350203001", "community → street");
        assert_eq!(
            moved.assignee, None,
            "no responsible staff at the street: its queue"
        );
        let events = store.report_events(&late.id).await.unwrap();
        let escalations: Vec<&str> = events
            .iter()
            .filter(|e| e.note.starts_with("escalated"))
            .map(|e| e.note.as_str())
            .collect();
        assert_eq!(escalations.len(), 2, "{events:?}");
        assert!(escalations[0].contains("accept deadline"));
        assert!(escalations[1].contains("handle deadline"));
        let (_, audit) = app
            .get_as(
                &app.admin_token,
                &format!(
                    "/api/v1/audit?action=report.escalate&object=report:{}",
                    late.id
                ),
            )
            .await;
        assert_eq!(audit["entries"].as_array().unwrap().len(), 2);
        app.stop().await;
    }
);

async fn close(app: &TestApp, disp: &str, gw: &str, id: &str) {
    for (token, to) in [
        (disp, "dispatched"),
        (gw, "accepted"),
        (gw, "handled"),
        (disp, "verified"),
        (disp, "closed"),
    ] {
        let (s, b) = move_to(app, token, id, json!({"to": to, "note": "ok"})).await;
        assert_eq!(s, 200, "{to}: {b}");
    }
}

store_test!(
    a_dissatisfied_evaluation_reopens_a_closed_report_once,
    |app: TestApp| async move {
        setup(&app).await;
        let gw = app
            .account_with_token("gw-a", Role::GridWorker, &["350203001001001"])
            .await;
        let disp = app
            .account_with_token("hotline", Role::Dispatcher, &["350203"])
            .await;
        let ack = file(&app, &disp, &report("noise", IN_GRID_A)).await;
        let id = ack["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/reports/{id}/evaluation");

        let (s, b) = app
            .post_as(&disp, &path, &json!({"rating": "satisfied"}))
            .await;
        assert_eq!((s, error_code(&b)), (409, "not_closed"));
        close(&app, &disp, &gw, &id).await;
        let (s, _) = app
            .post_as(&gw, &path, &json!({"rating": "satisfied"}))
            .await;
        assert_eq!(s, 403, "the hotline enters evaluations");
        let (s, b) = app.post_as(&disp, &path, &json!({"rating": "meh"})).await;
        assert_eq!((s, error_code(&b)), (400, "invalid_field"));

        let (s, b) = app
            .post_as(
                &disp,
                &path,
                &json!({"rating": "dissatisfied", "comment": "晚上仍然很吵"}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["state"], "reopened");
        assert_eq!(b["evaluation"]["reopened"], true);
        let last = b["events"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (last["from_state"].as_str(), last["to_state"].as_str()),
            (Some("closed"), Some("reopened"))
        );

        // Handled and closed again: one more evaluation, which never reopens.
        for (token, to) in [(&gw, "handled"), (&disp, "verified"), (&disp, "closed")] {
            let (s, b) = move_to(&app, token, &id, json!({"to": to})).await;
            assert_eq!(s, 200, "{to}: {b}");
        }
        let (s, b) = app
            .post_as(&disp, &path, &json!({"rating": "dissatisfied"}))
            .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["state"], "closed");
        assert_eq!(b["evaluation"]["reopened"], false);
        let (s, b) = app
            .post_as(&disp, &path, &json!({"rating": "satisfied"}))
            .await;
        assert_eq!((s, error_code(&b)), (409, "already_evaluated"));
        let (_, full) = app.get_as(&disp, &format!("/api/v1/reports/{id}")).await;
        let ratings: Vec<&str> = full["evaluations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["rating"].as_str().unwrap())
            .collect();
        assert_eq!(ratings, ["dissatisfied", "dissatisfied"]);
        let other = app
            .account_with_token("hotline2", Role::Dispatcher, &["350203002"])
            .await;
        let (s, _) = app
            .post_as(&other, &path, &json!({"rating": "satisfied"}))
            .await;
        assert_eq!(s, 404, "outside the area");
        app.stop().await;
    }
);

store_test!(
    stats_give_closure_rework_satisfaction_and_on_time_rates_per_group_within_the_area,
    |app: TestApp| async move {
        setup(&app).await;
        let gw = app
            .account_with_token("gw-a", Role::GridWorker, &["350203001001001"])
            .await;
        let gw_b = app
            .account_with_token("gw-b", Role::GridWorker, &["350203001001002"])
            .await;
        let disp = app
            .account_with_token("hotline", Role::Dispatcher, &["350203"])
            .await;
        let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
        let a = id(&file(&app, &disp, &report("noise", IN_GRID_A)).await);
        let b = id(&file(&app, &disp, &report("noise", IN_GRID_A)).await);
        let c = id(&file(&app, &disp, &report("property_dispute", IN_GRID_B)).await);
        let d = id(&file(&app, &disp, &report("noise", IN_GRID_A)).await);
        close(&app, &disp, &gw, &a).await;
        let (s, _) = app
            .post_as(
                &disp,
                &format!("/api/v1/reports/{a}/evaluation"),
                &json!({"rating": "satisfied"}),
            )
            .await;
        assert_eq!(s, 200);
        for (token, body) in [
            (&disp, json!({"to": "dispatched"})),
            (&gw, json!({"to": "accepted"})),
            (&gw, json!({"to": "handled"})),
            (&disp, json!({"to": "reopened", "note": "未处理完"})),
            (&gw, json!({"to": "handled"})),
            (&disp, json!({"to": "verified"})),
            (&disp, json!({"to": "closed"})),
        ] {
            let (s, r) = move_to(&app, token, &b, body).await;
            assert_eq!(s, 200, "{r}");
        }
        let (s, _) = move_to(&app, &disp, &d, json!({"to": "merged", "merged_into": c})).await;
        assert_eq!(s, 200);

        let (s, st) = app
            .get_as(&disp, "/api/v1/stats?group=unit&level=grid")
            .await;
        assert_eq!(s, 200, "{st}");
        let t = &st["total"];
        assert_eq!(
            (
                t["intake"].as_u64(),
                t["merged"].as_u64(),
                t["closed"].as_u64()
            ),
            (Some(4), Some(1), Some(2))
        );
        assert_eq!(t["closure_rate"], 0.6667);
        assert_eq!(t["on_time_acceptance_rate"], 1.0);
        assert_eq!(t["on_time_closure_rate"], 1.0);
        assert_eq!(t["rework_rate"], 0.5);
        assert_eq!(t["satisfaction_rate"], 1.0);
        assert!(t["mean_hours_to_close"].as_f64().unwrap() < 0.1);
        let groups = st["groups"].as_array().unwrap();
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0]["key"]["code"], "350203001001001");
        assert_eq!(groups[0]["intake"], 3);
        assert_eq!(groups[1]["key"]["code"], "350203001001002");
        assert_eq!(
            (groups[1]["intake"].as_u64(), &groups[1]["closure_rate"]),
            (Some(1), &json!(0.0))
        );
        assert_eq!(
            groups[1]["rework_rate"],
            Value::Null,
            "nothing handled: no rate"
        );

        let (_, by_worker) = app.get_as(&disp, "/api/v1/stats?group=worker").await;
        let keys: Vec<&Value> = by_worker["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| &g["key"])
            .collect();
        assert_eq!(keys, [&json!("gw-a"), &Value::Null]);
        let (_, by_department) = app.get_as(&disp, "/api/v1/stats?group=department").await;
        let keys: Vec<&Value> = by_department["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| &g["key"])
            .collect();
        assert_eq!(keys, [&json!("community"), &json!("grid")]);

        let (_, mine) = app.get_as(&gw_b, "/api/v1/stats").await;
        assert_eq!(mine["total"]["intake"], 1, "only the caller's area");
        let (s, b) = app.get_as(&disp, "/api/v1/stats?group=street").await;
        assert_eq!((s, error_code(&b)), (400, "invalid_parameter"));
        let (s, _, _) = app
            .send(Method::GET, "/api/v1/stats", Auth::None, None)
            .await;
        assert_eq!(s, 401);
        app.stop().await;
    }
);

store_test!(
    a_dispatcher_blows_the_whistle_to_a_department_which_then_handles_it,
    |app: TestApp| async move {
        setup(&app).await;
        let gw = app
            .account_with_token("gw-a", Role::GridWorker, &["350203001001001"])
            .await;
        let disp = app
            .account_with_token("disp", Role::Dispatcher, &["350203001"])
            .await;
        let traffic = department(&app, "traffic", "交警", "350203").await;
        let ack = file(&app, &disp, &report("illegal_parking", IN_GRID_A)).await;
        assert_eq!(ack["assignee"], "gw-a");
        let id = ack["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/reports/{id}/whistle");

        let (s, _) = app
            .post_as(&gw, &path, &json!({"department": "交警"}))
            .await;
        assert_eq!(s, 403, "grid workers do not whistle");
        let (s, b) = app.post_as(&disp, &path, &json!({"department": " "})).await;
        assert_eq!((s, error_code(&b)), (400, "invalid_field"));
        let (s, b) = app
            .post_as(
                &disp,
                &path,
                &json!({"department": "交警", "note": "占用消防通道"}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["handler"], json!({"department": "交警"}));
        assert_eq!(b["assignee"], "traffic");
        assert_eq!(b["queue_unit"], "350203");
        assert_eq!(b["state"], "received");
        let note = b["events"].as_array().unwrap().last().unwrap()["note"].clone();
        assert_eq!(note, "吹哨: escalated to 交警: 占用消防通道");
        assert_eq!(
            listed(&app, &traffic, "?queue=mine").await,
            std::slice::from_ref(&id)
        );
        for (token, to) in [
            (&disp, "dispatched"),
            (&traffic, "accepted"),
            (&traffic, "handled"),
        ] {
            let (s, b) = move_to(&app, token, &id, json!({"to": to})).await;
            assert_eq!(s, 200, "{to}: {b}");
        }
        let (_, audit) = app
            .get_as(
                &app.admin_token,
                &format!("/api/v1/audit?action=report.reassign&object=report:{id}"),
            )
            .await;
        assert_eq!(audit["entries"][0]["before"]["assignee"], "gw-a");
        let other = app
            .account_with_token("disp2", Role::Dispatcher, &["350203002"])
            .await;
        let (s, _) = app
            .post_as(&other, &path, &json!({"department": "交警"}))
            .await;
        assert_eq!(s, 404, "outside the area");
        app.stop().await;
    }
);

store_test!(
    without_units_intake_is_refused_and_writes_nothing,
    |app: TestApp| async move {
        let (s, _, b) = post_report(&app, None, &report("noise", IN_GRID_A).to_string()).await;
        assert_eq!((s, error_code(&b)), (503, "no_units"));
        assert!(listed(&app, &app.admin_token, "").await.is_empty());
        app.stop().await;
    }
);

store_test!(
    the_reporter_evaluates_with_the_receipt_of_the_intake_answer,
    |app: TestApp| async move {
        setup(&app).await;
        let gw = app
            .account_with_token("gw-a", Role::GridWorker, &["350203001001001"])
            .await;
        let disp = app
            .account_with_token("hotline", Role::Dispatcher, &["350203"])
            .await;
        let (s, _, ack) = post_report(&app, None, &report("noise", IN_GRID_A).to_string()).await;
        assert_eq!(s, 201);
        let receipt = ack["receipt"].as_str().unwrap().to_owned();
        assert_eq!(receipt.len(), 32);
        let id = ack["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/reports/{id}/evaluation");
        let stored = app.state.store.report(&id).await.unwrap().unwrap();
        assert_ne!(
            stored.receipt_sha256.as_deref(),
            Some(receipt.as_str()),
            "only its digest is kept"
        );
        let (_, full) = app.get_as(&disp, &format!("/api/v1/reports/{id}")).await;
        assert!(!full.to_string().contains(&receipt), "staff never see it");

        let (s, _, b) = app
            .send(
                Method::POST,
                &path,
                Auth::None,
                Some(&json!({"rating": "satisfied"})),
            )
            .await;
        assert_eq!((s, error_code(&b)), (401, "unauthorized"));
        let (s, _, b) = app
            .send(
                Method::POST,
                &path,
                Auth::None,
                Some(&json!({"rating": "satisfied", "receipt": "0".repeat(32)})),
            )
            .await;
        assert_eq!(
            (s, error_code(&b)),
            (404, "not_found"),
            "a wrong receipt: as if missing"
        );
        let (s, _, b) = app
            .send(
                Method::POST,
                &path,
                Auth::None,
                Some(&json!({"rating": "satisfied", "receipt": receipt})),
            )
            .await;
        assert_eq!((s, error_code(&b)), (409, "not_closed"));
        close(&app, &disp, &gw, &id).await;
        let (s, _, b) = app
            .send(Method::POST, &path, Auth::None, Some(&json!({"rating": "basically_satisfied", "comment": "还行", "receipt": receipt})))
            .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["state"], "closed");
        assert_eq!(b["evaluation"]["actor"], "reporter");
        assert!(
            b.get("events").is_none() && b.get("reporter").is_none(),
            "{b}"
        );
        let (s, _, b) = app
            .send(
                Method::POST,
                &path,
                Auth::None,
                Some(&json!({"rating": "satisfied", "receipt": receipt})),
            )
            .await;
        assert_eq!((s, error_code(&b)), (409, "already_evaluated"));
        app.stop().await;
    }
);

store_test!(
    a_report_outside_every_unit_follows_snap_and_fallback_and_is_flagged,
    |app: TestApp| async move {
        setup(&app).await;
        let hotline = app
            .account_with_token("hotline", Role::Dispatcher, &["350203"])
            .await;
        // About 11 m east of the district's eastern edge: snapped to the nearest micro-grid.
        let snapped = file(&app, &hotline, &report("noise", (118.4001, 24.05))).await;
        assert_eq!(
            (snapped["assigned"].as_bool(), snapped["match"].as_str()),
            (Some(true), Some("snapped"))
        );
        assert_eq!(snapped["unit"]["code"], "35020300200100201");
        assert!(snapped["distance_m"].as_f64().unwrap() < 30.0);
        // Far out at sea: the fallback unit (the nearest district), flagged, still in a queue.
        let far = file(&app, &hotline, &report("noise", (118.6, 24.05))).await;
        assert_eq!(
            (far["assigned"].as_bool(), far["match"].as_str()),
            (Some(false), Some("fallback"))
        );
        assert_eq!(far["unit"]["code"], "350203");
        assert_eq!(far["queue_unit"], "350203", "never nowhere");
        let (_, full) = app
            .get_as(
                &hotline,
                &format!("/api/v1/reports/{}", far["id"].as_str().unwrap()),
            )
            .await;
        assert_eq!(
            (full["assigned"].as_bool(), full["match"].as_str()),
            (Some(false), Some("fallback"))
        );
        app.stop().await;
    }
);

/// (kind, report id) of the caller's notifications after `after`.
async fn notified(app: &TestApp, token: &str, after: i64) -> Vec<(String, String)> {
    let (s, b) = app
        .get_as(token, &format!("/api/v1/notifications?after={after}"))
        .await;
    assert_eq!(s, 200, "{b}");
    b["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["kind"].as_str().unwrap().to_owned(),
                n["report_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

store_test!(
    the_new_owner_of_a_report_is_notified_and_nobody_outside_the_area_is,
    |app: TestApp| async move {
        setup(&app).await;
        let gw_a = app
            .account_with_token("gw-a", Role::GridWorker, &["350203001001001"])
            .await;
        let gw_b = app
            .account_with_token("gw-b", Role::GridWorker, &["350203001001002"])
            .await;
        let disp = app
            .account_with_token("disp", Role::Dispatcher, &["350203001"])
            .await;
        let traffic = department(&app, "traffic", "交警", "350203").await;
        let ack = file(&app, &disp, &report("illegal_parking", IN_GRID_A)).await;
        let id = ack["id"].as_str().unwrap().to_owned();
        let new = vec![("new".to_owned(), id.clone())];
        assert_eq!(notified(&app, &gw_a, 0).await, new, "the assignee");
        assert_eq!(
            notified(&app, &disp, 0).await,
            new,
            "the queue is in the dispatcher's area"
        );
        assert!(notified(&app, &gw_b, 0).await.is_empty(), "another grid");
        assert!(
            notified(&app, &traffic, 0).await.is_empty(),
            "not yet theirs"
        );

        let (s, b) = app
            .post_as(
                &disp,
                &format!("/api/v1/reports/{id}/whistle"),
                &json!({"department": "交警", "note": "占用消防通道"}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        let handed = ("handed_over".to_owned(), id.clone());
        assert_eq!(
            notified(&app, &traffic, 0).await,
            std::slice::from_ref(&handed)
        );

        // The unread count follows the read cursor, which only moves forward.
        let (_, feed) = app.get_as(&traffic, "/api/v1/notifications").await;
        assert_eq!(feed["unread"], 1);
        let last = feed["next_after"].as_i64().unwrap();
        let (s, b) = app
            .post_as(
                &traffic,
                "/api/v1/notifications/read",
                &json!({"up_to": last}),
            )
            .await;
        assert_eq!((s, b["unread"].clone()), (200, json!(0)));
        let (_, b) = app
            .post_as(&traffic, "/api/v1/notifications/read", &json!({"up_to": 0}))
            .await;
        assert_eq!(b["read_up_to"], last, "never back");
        let (_, feed) = app.get_as(&traffic, "/api/v1/notifications").await;
        assert!(feed["notifications"].as_array().unwrap().is_empty());

        let (s, b) = app
            .post_as(
                &traffic,
                "/api/v1/notifications/read",
                &json!({"up_to": -1}),
            )
            .await;
        assert_eq!((s, error_code(&b)), (400, "invalid_field"));
        let (s, b) = app.get_as(&traffic, "/api/v1/notifications?limit=0").await;
        assert_eq!((s, error_code(&b)), (400, "invalid_parameter"));
        let (s, _, _) = app
            .send(Method::GET, "/api/v1/notifications", Auth::None, None)
            .await;
        assert_eq!(s, 401);
        app.stop().await;
    }
);
