//! Point assignment over HTTP on both stores: the chain, the shared-edge rule, snapping, the
//! fallback, CRS inputs, batches in three formats and bad input.

mod common;
use common::*;
use serde_json::Value;

async fn ready(app: &TestApp) {
    let (status, report) = app.import(&fixture_units(), "").await;
    assert_eq!(status, 200, "{report}");
}

fn chain_codes(a: &Value) -> Vec<&str> {
    a["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect()
}

store_test!(interior_point_gets_whole_chain, |app: TestApp| async move {
    ready(&app).await;
    let (status, a) = app.get("/api/v1/assign?lon=118.25&lat=24.33").await;
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["assigned"], true);
    assert_eq!(a["match"], "inside");
    assert_eq!(
        chain_codes(&a),
        [
            "350203",
            "350203002",
            "350203002002",
            "350203002002001",
            "35020300200200102"
        ]
    );
    assert_eq!(a["unit"]["level"], "micro_grid");
    app.stop().await;
});

store_test!(
    point_on_shared_edge_goes_to_lowest_code,
    |app: TestApp| async move {
        ready(&app).await;
        // x = 118.1 is the edge between grids 001 and 002 of community 350203001001.
        let (_, a) = app.get("/api/v1/assign?lon=118.1&lat=24.05").await;
        assert_eq!(a["unit"]["code"], "35020300100100101");
        // The corner of four micro-grids in two grids.
        let (_, a) = app.get("/api/v1/assign?lon=118.1&lat=24.1").await;
        assert_eq!(a["unit"]["code"], "35020300100100101");
        // The street boundary.
        let (_, a) = app.get("/api/v1/assign?lon=118.2&lat=24.35").await;
        assert_eq!(a["unit"]["code"], "35020300100200202");
        app.stop().await;
    }
);

store_test!(
    point_just_outside_snaps_and_says_how_far,
    |app: TestApp| async move {
        ready(&app).await;
        // About 10 m south of the district.
        let (_, a) = app.get("/api/v1/assign?lon=118.05&lat=23.99991").await;
        assert_eq!(a["assigned"], true);
        assert_eq!(a["match"], "snapped");
        let d = a["distance_m"].as_f64().unwrap();
        assert!((9.0..11.0).contains(&d), "distance {d}");
        assert_eq!(a["unit"]["code"], "35020300100100101");
        app.stop().await;
    }
);

store_test!(
    point_far_outside_falls_back_unassigned,
    |app: TestApp| async move {
        ready(&app).await;
        let (_, a) = app.get("/api/v1/assign?lon=118.05&lat=23.9").await;
        assert_eq!(a["assigned"], false);
        assert_eq!(a["match"], "fallback");
        assert_eq!(chain_codes(&a), ["350203"]);
        app.stop().await;
    }
);

store_test!(
    gcj02_and_bd09_inputs_are_converted,
    |app: TestApp| async move {
        ready(&app).await;
        use wangge::spatial::{Crs, Wgs84};
        let p = Wgs84 {
            lon: 118.25,
            lat: 24.33,
        };
        for crs in [Crs::Gcj02, Crs::Bd09] {
            let (x, y) = crs.from_wgs84(p);
            let (_, a) = app
                .get(&format!(
                    "/api/v1/assign?lon={x}&lat={y}&crs={}",
                    crs.as_str()
                ))
                .await;
            assert_eq!(a["unit"]["code"], "35020300200200102", "{crs:?}");
            let w = a["wgs84"].as_array().unwrap();
            // BD-09's published formulas are inverse to each other to about 1e-6 degrees (0.1 m).
            assert!(
                (w[0].as_f64().unwrap() - p.lon).abs() < 1e-6,
                "{crs:?}: {w:?}"
            );
            assert!(
                (w[1].as_f64().unwrap() - p.lat).abs() < 1e-6,
                "{crs:?}: {w:?}"
            );
        }
        app.stop().await;
    }
);

store_test!(
    bad_points_get_400_with_the_error_shape,
    |app: TestApp| async move {
        ready(&app).await;
        for (query, code) in [
            ("lat=24.3", "missing_parameter"),
            ("lon=118.2", "missing_parameter"),
            ("lon=abc&lat=24.3", "invalid_coordinate"),
            ("lon=NaN&lat=24.3", "invalid_coordinate"),
            ("lon=inf&lat=24.3", "invalid_coordinate"),
            ("lon=181&lat=24.3", "coordinate_out_of_range"),
            ("lon=118&lat=-91", "coordinate_out_of_range"),
            ("lon=118&lat=24&crs=utm50", "invalid_parameter"),
        ] {
            let (status, body) = app.get(&format!("/api/v1/assign?{query}")).await;
            assert_eq!(status, 400, "{query}: {body}");
            assert_eq!(error_code(&body), code, "{query}");
        }
        app.stop().await;
    }
);

async fn batch(app: &TestApp, query: &str, ctype: &str, body: String) -> (u16, Vec<Value>) {
    let res = app
        .client
        .post(app.url(&format!("/api/v1/assign/batch{query}")))
        .bearer_auth(&app.admin_token)
        .header("content-type", ctype)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    if status != 200 {
        return (
            status,
            vec![serde_json::from_str(&text).unwrap_or(Value::String(text))],
        );
    }
    (
        status,
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
    )
}

store_test!(
    batch_answers_stream_back_in_order_for_each_format,
    |app: TestApp| async move {
        ready(&app).await;
        let csv = "id,x,y\n1,118.25,24.33\n2,abc,24.1\n3,118.05,24.05\n".to_owned();
        let (status, lines) = batch(&app, "?lon_column=x&lat_column=y", "text/csv", csv).await;
        assert_eq!(status, 200);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["unit"]["code"], "35020300200200102");
        assert_eq!(lines[1]["error"]["code"], "invalid_point");
        assert_eq!(lines[2]["unit"]["code"], "35020300100100101");
        assert_eq!(
            lines
                .iter()
                .map(|l| l["index"].as_u64().unwrap())
                .collect::<Vec<_>>(),
            [0, 1, 2]
        );

        let nd =
            "{\"lon\":118.25,\"lat\":24.33}\n{\"type\":\"Point\",\"coordinates\":[118.05,24.05]}\n"
                .to_owned();
        let (_, lines) = batch(&app, "", "application/x-ndjson", nd).await;
        assert_eq!(lines[1]["unit"]["code"], "35020300100100101");

        let fc = serde_json::json!({"type": "FeatureCollection", "features": (0..3000).map(|i| {
        serde_json::json!({"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [118.0 + 0.4 * (i as f64) / 3000.0, 24.33]}})
    }).collect::<Vec<_>>()});
        let (_, lines) = batch(&app, "", "application/geo+json", fc.to_string()).await;
        assert_eq!(lines.len(), 3000);
        assert!(lines.iter().enumerate().all(|(i, l)| l["index"] == i));
        assert_eq!(lines[2999]["chain"][1]["code"], "350203002");

        let (status, body) = batch(&app, "", "text/plain", "x".into()).await;
        assert_eq!(status, 415);
        assert_eq!(error_code(&body[0]), "unsupported_media_type");
        app.stop().await;
    }
);

#[tokio::test]
async fn oversized_batch_body_gets_413() {
    let app = TestApp::start_with(StoreKind::Sqlite, |c| c.max_batch_body_bytes = 1000)
        .await
        .unwrap();
    // The fixture is larger than this limit, so it goes in through the library, not HTTP.
    let opts = wangge::units::import::ImportOptions::default();
    let text = fixture_units().to_string();
    let snap = app.state.snapshot.load();
    let report = wangge::units::import::import(
        app.state.store.as_ref(),
        text.as_bytes(),
        &snap,
        &opts,
        &wangge::auth::AuditContext::system("test"),
    )
    .await
    .unwrap();
    assert!(report.written);
    app.state.reload_snapshot().await.unwrap();
    let fc = format!(
        "{{\"type\":\"FeatureCollection\",\"features\":[{}]}}",
        "{}".repeat(600)
    );
    let (status, body) = batch(&app, "", "application/geo+json", fc).await;
    assert_eq!(status, 413);
    assert_eq!(error_code(&body[0]), "body_too_large");
    let (status, body) = app.get("/api/v1/assign?lon=118.25&lat=24.33").await;
    assert_eq!(status, 200, "{body}");
    app.stop().await;
}
