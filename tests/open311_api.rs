//! Open311 GeoReport v2 over HTTP on both stores: services are our categories, requests are
//! created form-encoded with an API token as api_key and routed like native reports, reads are
//! public without the reporter's contact, JSON and XML, and refusals in the spec's error shape.

mod common;
use common::*;
use serde_json::{json, Value};
use wangge::auth::Role;

/// A form, the status it gets and words its error description holds.
type Case<'a> = (Vec<(&'a str, &'a str)>, u16, &'a str);

async fn form_post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, String, String) {
    let body = serde_urlencoded::to_string(form).unwrap();
    let res = app
        .client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let ctype = res.headers()["content-type"].to_str().unwrap().to_owned();
    (status, ctype, res.text().await.unwrap())
}

async fn get_text(app: &TestApp, path: &str) -> (u16, String, String) {
    let res = app.client.get(app.url(path)).send().await.unwrap();
    let status = res.status().as_u16();
    let ctype = res.headers()["content-type"].to_str().unwrap().to_owned();
    (status, ctype, res.text().await.unwrap())
}

fn spec_error(body: &str, code: u16) {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    assert_eq!(v[0]["code"], code, "{v}");
    assert!(v[0]["description"].as_str().is_some_and(|d| !d.is_empty()));
}

store_test!(
    open311_services_are_the_catalogue_in_json_and_xml,
    |app: TestApp| async move {
        let (s, ctype, body) = get_text(&app, "/open311/v2/services.json").await;
        assert_eq!(s, 200);
        assert!(ctype.starts_with("application/json"));
        let services: Value = serde_json::from_str(&body).unwrap();
        let noise = services
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["service_code"] == "noise")
            .unwrap();
        assert_eq!(noise["service_name"], "噪声扰民");
        assert_eq!(noise["metadata"], false);
        assert_eq!(noise["type"], "realtime");
        let (s, ctype, body) = get_text(&app, "/open311/v2/services.xml").await;
        assert_eq!(s, 200);
        assert!(ctype.starts_with("text/xml"));
        assert!(body.starts_with("<?xml"));
        assert!(
            body.contains("<service_code>noise</service_code>"),
            "{body}"
        );
        assert!(body.contains("<description>Noise nuisance</description>"));
        let (s, _, body) = get_text(&app, "/open311/v2/services/noise.json").await;
        assert_eq!(s, 200);
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap(),
            json!({"service_code": "noise", "attributes": []})
        );
        let (s, _, body) = get_text(&app, "/open311/v2/services/ufo.json").await;
        assert_eq!(s, 404);
        spec_error(&body, 404);
        let (s, _, body) = get_text(&app, "/open311/v2/services/noise.kml").await;
        assert_eq!(s, 404);
        spec_error(&body, 404);
        let (s, _, body) = get_text(&app, "/open311/v2/discovery.json").await;
        assert_eq!(s, 200);
        let d: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(d["endpoints"][0]["url"], format!("{}/open311/v2", app.base));
        app.stop().await;
    }
);

store_test!(
    open311_requests_are_created_with_an_api_key_routed_and_read_back_without_contact,
    |app: TestApp| async move {
        app.import(&fixture_units(), "").await;
        app.create_account("gw-a", Role::GridWorker, &["350203001001001"])
            .await;
        let key = app
            .account_with_token("bridge", Role::Dispatcher, &["350203"])
            .await;
        let form = [
            ("api_key", key.as_str()),
            ("service_code", "noise"),
            ("lat", "24.05"),
            ("long", "118.05"),
            ("description", "施工噪声"),
            ("email", "li.si@example.org"),
            ("phone", "13900000000"),
            ("media_url", "https://img.example.org/2.jpg"),
        ];
        let (s, _, body) = form_post(&app, "/open311/v2/requests.json", &form).await;
        assert_eq!(s, 200, "{body}");
        let created: Value = serde_json::from_str(&body).unwrap();
        let id = created[0]["service_request_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let stored = app.state.store.report(&id).await.unwrap().unwrap();
        assert_eq!(stored.channel.as_str(), "open311");
        assert_eq!(stored.assignee.as_deref(), Some("gw-a"));
        assert_eq!(stored.reporter.unwrap()["phone"], "13900000000");

        let (s, _, body) = get_text(&app, &format!("/open311/v2/requests/{id}.json")).await;
        assert_eq!(s, 200);
        assert!(
            !body.contains("13900000000") && !body.contains("li.si"),
            "{body}"
        );
        let r: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(r[0]["status"], "open");
        assert_eq!(r[0]["service_code"], "noise");
        assert_eq!(r[0]["lat"], 24.05);
        assert_eq!(r[0]["long"], 118.05);
        assert_eq!(r[0]["agency_responsible"], "网格1-1-1");
        assert_eq!(r[0]["expected_datetime"], json!(stored.handle_due));
        assert_eq!(r[0]["media_url"], "https://img.example.org/2.jpg");
        let (s, _, xml) = get_text(&app, &format!("/open311/v2/requests/{id}.xml")).await;
        assert_eq!(s, 200);
        assert!(xml.contains(&format!("<service_request_id>{id}</service_request_id>")));
        let (s, _, body) = get_text(&app, &format!("/open311/v2/tokens/{id}.json")).await;
        assert_eq!(s, 200);
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap()[0]["service_request_id"],
            id.as_str()
        );

        // Closed (and merged) reports are `closed`, with the latest note as status_notes.
        let disp = app.token_for("bridge").await;
        for to in ["dispatched", "accepted", "handled", "verified", "closed"] {
            let (s, b) = app
                .post_as(
                    &disp,
                    &format!("/api/v1/reports/{id}/transitions"),
                    &json!({"to": to, "note": format!("{to} ok")}),
                )
                .await;
            assert_eq!(s, 200, "{b}");
        }
        let (_, _, body) = get_text(&app, "/open311/v2/requests.json?status=closed").await;
        let closed: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(closed[0]["service_request_id"], id.as_str());
        assert_eq!(closed[0]["status_notes"], "closed ok");
        let (_, _, body) = get_text(&app, "/open311/v2/requests.json?status=open").await;
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), json!([]));
        let (_, _, body) =
            get_text(&app, "/open311/v2/requests.json?service_code=sanitation").await;
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), json!([]));
        let (_, _, body) = get_text(
            &app,
            &format!("/open311/v2/requests.json?service_request_id={id},nope"),
        )
        .await;
        assert_eq!(
            serde_json::from_str::<Value>(&body)
                .unwrap()
                .as_array()
                .unwrap()
                .len(),
            1
        );
        app.stop().await;
    }
);

store_test!(
    open311_refusals_use_the_spec_error_shape_and_write_nothing,
    |app: TestApp| async move {
        app.import(&fixture_units(), "").await;
        let key = app
            .account_with_token("bridge", Role::Dispatcher, &["350203"])
            .await;
        let k = key.as_str();
        let cases: Vec<Case> = vec![
            (
                vec![
                    ("service_code", "noise"),
                    ("lat", "24.05"),
                    ("long", "118.05"),
                ],
                403,
                "api_key",
            ),
            (
                vec![
                    ("api_key", "wg_forged"),
                    ("service_code", "noise"),
                    ("lat", "24.05"),
                    ("long", "118.05"),
                ],
                403,
                "invalid",
            ),
            (
                vec![("api_key", k), ("lat", "24.05"), ("long", "118.05")],
                400,
                "service_code",
            ),
            (
                vec![
                    ("api_key", k),
                    ("service_code", "ufo"),
                    ("lat", "24.05"),
                    ("long", "118.05"),
                ],
                400,
                "ufo",
            ),
            (
                vec![("api_key", k), ("service_code", "noise")],
                400,
                "lat and long",
            ),
            (
                vec![
                    ("api_key", k),
                    ("service_code", "noise"),
                    ("address_string", "思明南路"),
                ],
                400,
                "lat and long only",
            ),
            (
                vec![
                    ("api_key", k),
                    ("service_code", "noise"),
                    ("lat", "95"),
                    ("long", "118.05"),
                ],
                400,
                "lat",
            ),
        ];
        for (form, status, words) in cases {
            let (s, ctype, body) = form_post(&app, "/open311/v2/requests.json", &form).await;
            assert_eq!(s, status, "{form:?}: {body}");
            assert!(ctype.starts_with("application/json"));
            spec_error(&body, status);
            assert!(body.contains(words), "{form:?}: {body}");
        }
        let long = "长".repeat(4001);
        let (s, _, body) = form_post(
            &app,
            "/open311/v2/requests.json",
            &[
                ("api_key", k),
                ("service_code", "noise"),
                ("lat", "24.05"),
                ("long", "118.05"),
                ("description", &long),
            ],
        )
        .await;
        assert_eq!(s, 400, "{body}");
        // Malformed form, wrong media type, and XML errors.
        let res = app
            .client
            .post(app.url("/open311/v2/requests.xml"))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 400);
        let xml = res.text().await.unwrap();
        assert!(xml.contains("<errors><error><code>400</code>"), "{xml}");
        let (s, _, body) = get_text(&app, "/open311/v2/requests/R0.json").await;
        assert_eq!(s, 404);
        spec_error(&body, 404);
        let (s, _, body) = get_text(&app, "/open311/v2/requests.json?status=pending").await;
        assert_eq!(s, 400);
        spec_error(&body, 400);
        let (_, _, body) = get_text(&app, "/open311/v2/requests.json").await;
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap(),
            json!([]),
            "nothing written"
        );
        app.stop().await;
    }
);
