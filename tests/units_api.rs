//! Units over HTTP on both stores: import validates everything before writing anything, reads and
//! listings as GeoJSON, versions and history.

mod common;
use common::*;
use serde_json::{json, Value};

fn codes(fc: &Value) -> Vec<String> {
    fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["code"].as_str().unwrap().to_owned())
        .collect()
}

store_test!(import_then_list_and_read, |app: TestApp| async move {
    let (status, report) = app.import(&fixture_units(), "").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["written"], true);
    assert_eq!(report["outcome"]["created"].as_array().unwrap().len(), 31);

    let (status, fc) = app.get("/api/v1/units?level=street").await;
    assert_eq!(status, 200);
    assert_eq!(codes(&fc), ["350203001", "350203002"]);

    let (_, fc) = app.get("/api/v1/units?parent=350203001").await;
    assert_eq!(codes(&fc), ["350203001001", "350203001002"]);

    let (_, fc) = app
        .get("/api/v1/units?level=micro_grid&bbox=118.01,24.01,118.02,24.02")
        .await;
    assert_eq!(codes(&fc), ["35020300100100101"]);

    let res = app
        .client
        .get(app.url("/api/v1/units/350203002"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/geo+json");
    assert_eq!(res.headers()["etag"], "\"350203002-v1\"");
    let f: Value = res.json().await.unwrap();
    assert_eq!(f["type"], "Feature");
    assert_eq!(f["id"], "350203002");
    assert_eq!(f["properties"]["name"], "街道2");
    assert_eq!(f["properties"]["level"], "street");
    assert_eq!(f["properties"]["parent"], "350203");
    assert_eq!(f["geometry"]["type"], "MultiPolygon");
    app.stop().await;
});

store_test!(
    reimport_changes_version_and_keeps_history,
    |app: TestApp| async move {
        app.import(&fixture_units(), "").await;
        let (status, report) = app.import(&fixture_units(), "").await;
        assert_eq!(status, 200);
        assert_eq!(report["outcome"]["unchanged"].as_array().unwrap().len(), 31);

        let renamed = json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"code": "350203001", "name": "厦港街道"},
             "geometry": {"type": "Polygon", "coordinates": [[[118.0,24.0],[118.2,24.0],[118.2,24.4],[118.0,24.4],[118.0,24.0]]]}}
        ]});
        let (status, report) = app.import(&renamed, "").await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["outcome"]["updated"], json!(["350203001"]));
        let (_, f) = app.get("/api/v1/units/350203001").await;
        assert_eq!(f["properties"]["version"], 2);
        assert_eq!(f["properties"]["name"], "厦港街道");
        let history = app
            .state
            .store
            .unit_history(&"350203001".parse().unwrap())
            .await
            .unwrap();
        assert_eq!(history.len(), 2);
        assert!(history[0].valid_to.is_some() && history[1].valid_to.is_none());
        assert_eq!(history[0].name, "街道1");
        app.stop().await;
    }
);

store_test!(
    import_with_any_problem_writes_nothing_and_names_each,
    |app: TestApp| async move {
        let mut doc = fixture_units();
        let features = doc["features"].as_array_mut().unwrap();
        // A micro-grid poking out of its grid, overlapping its sibling, a duplicate code, a code that
        // does not extend its parent, a self-intersecting bow-tie and an out-of-range coordinate.
        assert_eq!(features[7]["properties"]["code"], "35020300100100201");
        features[7]["geometry"] = json!({"type": "Polygon", "coordinates": [[[118.1,24.0],[118.2,24.0],[118.2,24.15],[118.1,24.15],[118.1,24.0]]]});
        features[8]["geometry"] = json!({"type": "Polygon", "coordinates": [[[118.1,24.1],[118.25,24.1],[118.25,24.2],[118.1,24.2],[118.1,24.1]]]});
        features.push(features[3].clone());
        features.push(json!({"type": "Feature", "properties": {"code": "35020300100100199", "name": "x", "parent": "350203001001002"},
        "geometry": {"type": "Polygon", "coordinates": [[[118.0,24.0],[118.01,24.0],[118.01,24.01],[118.0,24.01],[118.0,24.0]]]}}));
        features.push(json!({"type": "Feature", "properties": {"code": "350203009", "name": "bow"},
        "geometry": {"type": "Polygon", "coordinates": [[[118.0,24.0],[118.1,24.1],[118.1,24.0],[118.0,24.1],[118.0,24.0]]]}}));
        features.push(json!({"type": "Feature", "properties": {"code": "350203008", "name": "far"},
        "geometry": {"type": "Polygon", "coordinates": [[[118.0,24.0],[190.0,24.0],[190.0,24.1],[118.0,24.0]]]}}));
        let (status, body) = app.import(&doc, "").await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(error_code(&body), "invalid_units");
        let problems = body["error"]["details"]["problems"].as_array().unwrap();
        let kinds: Vec<(&str, &str)> = problems
            .iter()
            .map(|p| {
                (
                    p["code"].as_str().unwrap_or("-"),
                    p["kind"].as_str().unwrap(),
                )
            })
            .collect();
        for expected in [
            ("35020300100100202", "outside_parent"),
            ("35020300100100201", "sibling_overlap"),
            ("350203001001001", "duplicate_code"),
            ("35020300100100199", "code_does_not_extend_parent"),
            ("350203009", "self_intersection"),
            ("350203008", "coordinate_out_of_range"),
        ] {
            assert!(
                kinds.contains(&expected),
                "missing {expected:?} in {kinds:?}"
            );
        }
        assert!(problems
            .iter()
            .filter(|p| p["kind"] == "outside_parent")
            .all(|p| p["location"].is_array()));
        let (_, fc) = app.get("/api/v1/units").await;
        assert_eq!(
            fc["features"].as_array().unwrap().len(),
            0,
            "nothing written"
        );
        app.stop().await;
    }
);

store_test!(
    repair_fixes_orientation_and_closing_and_says_so,
    |app: TestApp| async move {
        let mut doc = fixture_units();
        // Clockwise exterior, and an unclosed ring is not valid GeoJSON: the crate rejects it at parse
        // time, so reverse the district ring only.
        let ring = doc["features"][0]["geometry"]["coordinates"][0]
            .as_array_mut()
            .unwrap();
        ring.reverse();
        let (status, report) = app.import(&doc, "?repair=true").await;
        assert_eq!(status, 200, "{report}");
        let repaired = report["repaired"].as_array().unwrap();
        assert_eq!(repaired[0]["code"], "350203");
        assert!(!repaired[0]["changes"].as_array().unwrap().is_empty());
        app.stop().await;
    }
);

store_test!(dry_run_writes_nothing, |app: TestApp| async move {
    let (status, report) = app.import(&fixture_units(), "?dry_run=true").await;
    assert_eq!(status, 200);
    assert_eq!(report["written"], false);
    let (_, fc) = app.get("/api/v1/units").await;
    assert!(fc["features"].as_array().unwrap().is_empty());
    app.stop().await;
});

store_test!(
    http_import_needs_a_signed_in_account,
    |app: TestApp| async move {
        let res = app
            .client
            .post(app.url("/api/v1/units/import"))
            .body(fixture_units().to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        let body: Value = res.json().await.unwrap();
        assert_eq!(error_code(&body), "unauthorized");
        app.stop().await;
    }
);

store_test!(
    bad_unit_requests_get_the_error_shape,
    |app: TestApp| async move {
        app.import(&fixture_units(), "").await;
        let (s, b) = app.get("/api/v1/units/12345").await;
        assert_eq!((s, error_code(&b)), (400, "invalid_code"));
        let (s, b) = app.get("/api/v1/units/350203999").await;
        assert_eq!((s, error_code(&b)), (404, "not_found"));
        let (s, b) = app.get("/api/v1/units?level=province").await;
        assert_eq!((s, error_code(&b)), (400, "invalid_parameter"));
        let (s, b) = app.get("/api/v1/units?bbox=1,2,3").await;
        assert_eq!((s, error_code(&b)), (400, "invalid_bbox"));
        let (s, b) = app.get("/api/v1/nothing-here").await;
        assert_eq!((s, error_code(&b)), (404, "not_found"));
        let (s, _) = app.get("/readyz").await;
        assert_eq!(s, 200);
        app.stop().await;
    }
);
