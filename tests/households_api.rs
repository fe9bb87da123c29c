//! Households over HTTP on both stores: CSV import (GBK, Chinese headers, bad rows by line,
//! idempotent re-runs, dry runs), the area boundary (404 outside it), no public access, masking.

mod common;
use common::*;
use reqwest::Method;
use serde_json::Value;
use wangge::auth::Role;

const GRID_A: &str = "350203001001001";

const CSV: &str = "地址,房号,户主,联系电话,户人口,经度,纬度,标签\n\
思明路１２号,301,测试甲,138-1234-5678,2,118.05,24.05,独居老人\n\
思明路12号,302,测试乙,13800000002,3,118.051,24.051,\n\
禾祥路1号,101,测试丙,13800000003,1,east,24.05,\n\
湖滨路8号,201,测试丁,13800000004,4,118.15,24.05,低保户、党员中心户\n\
湖滨路9号,202,测试戊,13800000005,2,118.15,24.05,VIP\n";

fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
}

async fn import(app: &TestApp, token: &str, query: &str, body: Vec<u8>) -> (u16, Value) {
    let path = format!("/api/v1/households/import{query}");
    app.post_bytes(token, &path, "text/csv", body).await
}

async fn setup(app: &TestApp) {
    let (s, b) = app.import(&fixture_units(), "").await;
    assert_eq!(s, 200, "{b}");
}

/// Ids of the stored households, by id.
async fn stored(app: &TestApp) -> Vec<(i64, String)> {
    app.state
        .store
        .household_locations()
        .await
        .unwrap()
        .into_iter()
        .map(|l| (l.id, l.unit_code.to_string()))
        .collect()
}

fn problem_lines(b: &Value) -> Vec<u64> {
    b["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["line"].as_u64().unwrap())
        .collect()
}

store_test!(
    gbk_csv_with_chinese_headers_imports_good_rows_reports_bad_ones_by_line_and_reruns_idempotently,
    |app: TestApp| async move {
        setup(&app).await;
        let admin = app.admin_token.clone();

        let (s, dry) = import(&app, &admin, "?dry_run=true", gbk(CSV)).await;
        assert_eq!(s, 200, "{dry}");
        assert_eq!(dry["encoding"], "gbk");
        assert_eq!(dry["mapping"][3]["column"], "联系电话");
        assert_eq!(dry["mapping"][3]["field"], "phone");
        assert_eq!(dry["valid"], 3);
        assert_eq!(dry["created"], 0);
        assert_eq!(problem_lines(&dry), [4, 6]);
        assert!(stored(&app).await.is_empty(), "a dry run wrote");

        let (s, first) = import(&app, &admin, "", gbk(CSV)).await;
        assert_eq!(s, 200, "{first}");
        assert_eq!(
            (first["created"].as_u64(), first["updated"].as_u64()),
            (Some(3), Some(0))
        );
        assert!(first["problems"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("lon `east`"));
        assert!(first["problems"][1]["reason"]
            .as_str()
            .unwrap()
            .contains("VIP"));
        let after_first = stored(&app).await;
        assert_eq!(after_first.len(), 3);

        // The same file again, in UTF-8 and with the address written half-width: nothing new.
        let (s, again) = import(&app, &admin, "", CSV.replace("１２", "12").into_bytes()).await;
        assert_eq!(s, 200, "{again}");
        assert_eq!(again["encoding"], "utf-8");
        assert_eq!(
            (again["created"].as_u64(), again["updated"].as_u64()),
            (Some(0), Some(3))
        );
        assert_eq!(stored(&app).await, after_first);
    }
);

store_test!(
    a_file_without_coordinates_or_with_a_bad_mapping_is_refused_whole,
    |app: TestApp| async move {
        setup(&app).await;
        let admin = app.admin_token.clone();
        let (s, b) = import(&app, &admin, "", "地址,房号\n思明路1号,1\n".into()).await;
        assert_eq!((s, error_code(&b)), (400, "invalid_csv"), "{b}");
        let (s, b) = import(&app, &admin, "?mapping=地址%3Dstreet", CSV.into()).await;
        assert_eq!((s, error_code(&b)), (400, "invalid_mapping"), "{b}");
        // An override names a column the aliases do not know.
        let renamed = CSV.replacen("地址", "楼栋", 1);
        let (s, b) = import(&app, &admin, "?mapping=楼栋%3Daddress", renamed.into()).await;
        assert_eq!((s, b["valid"].as_u64()), (200, Some(3)), "{b}");
    }
);

store_test!(
    households_are_for_staff_in_scope_only_and_phones_leave_masked,
    |app: TestApp| async move {
        setup(&app).await;
        let (s, b) = import(&app, &app.admin_token, "", gbk(CSV)).await;
        assert_eq!(s, 200, "{b}");
        let rows = stored(&app).await;
        let in_a = rows.iter().find(|(_, u)| u.starts_with(GRID_A)).unwrap().0;
        let in_b = rows.iter().find(|(_, u)| !u.starts_with(GRID_A)).unwrap().0;

        let worker = app
            .account_with_token("gw-a", Role::GridWorker, &[GRID_A])
            .await;
        let (s, h) = app
            .get_as(&worker, &format!("/api/v1/households/{in_a}"))
            .await;
        assert_eq!(s, 200, "{h}");
        assert_eq!(h["phone"], "138****5678");
        assert_eq!(h["tags"], serde_json::json!(["elderly_alone"]));
        let (s, outside) = app
            .get_as(&worker, &format!("/api/v1/households/{in_b}"))
            .await;
        let (s2, missing) = app.get_as(&worker, "/api/v1/households/999999").await;
        assert_eq!((s, s2), (404, 404));
        assert_eq!(error_code(&outside), error_code(&missing));

        let (s, _, b) = app
            .send(
                Method::GET,
                &format!("/api/v1/households/{in_a}"),
                Auth::None,
                None,
            )
            .await;
        assert_eq!((s, error_code(&b)), (401, "unauthorized"), "{b}");
        let (s, b) = import(&app, "", "", CSV.into()).await;
        assert_eq!(s, 401, "{b}");

        let dept = app
            .account_with_token("dept", Role::Department, &["350203"])
            .await;
        let (s, b) = app
            .get_as(&dept, &format!("/api/v1/households/{in_a}"))
            .await;
        assert_eq!((s, error_code(&b)), (403, "forbidden"));
        let (s, b) = import(&app, &worker, "", CSV.into()).await;
        assert_eq!((s, error_code(&b)), (403, "forbidden"));
        let (s, _, _) = app
            .send(
                Method::DELETE,
                &format!("/api/v1/households/{in_a}"),
                Auth::Bearer(&worker),
                None,
            )
            .await;
        assert_eq!(s, 403);

        // A planner of grid A: rows elsewhere are problems, not writes.
        let planner = app
            .account_with_token("planner-a", Role::Planner, &[GRID_A])
            .await;
        let (s, b) = import(&app, &planner, "?dry_run=true", CSV.into()).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(problem_lines(&b), [4, 5, 6]);
        assert!(b["problems"][1]["reason"]
            .as_str()
            .unwrap()
            .contains("outside your area"));

        // No public answer names a household.
        for path in ["/api/v1/units", "/api/v1/assign?lon=118.05&lat=24.05"] {
            let (_, body) = app.get(path).await;
            let text = body.to_string();
            assert!(
                !text.contains("测试甲") && !text.contains("5678"),
                "{path}: {text}"
            );
        }

        let (s, _, b) = app
            .send(
                Method::DELETE,
                &format!("/api/v1/households/{in_a}"),
                Auth::Bearer(&planner),
                None,
            )
            .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["deleted"]["phone"], "138****5678");
        let (s, _) = app
            .get_as(&worker, &format!("/api/v1/households/{in_a}"))
            .await;
        assert_eq!(s, 404);
    }
);

store_test!(
    unit_counts_include_the_units_below_and_are_shown_to_household_readers_in_scope_only,
    |app: TestApp| async move {
        setup(&app).await;
        let (s, b) = import(&app, &app.admin_token, "", gbk(CSV)).await;
        assert_eq!(s, 200, "{b}");
        let (s, community) = app
            .get_as(&app.admin_token, "/api/v1/units/350203001001")
            .await;
        assert_eq!(s, 200, "{community}");
        let c = &community["properties"]["counts"];
        assert_eq!(
            (c["households"].as_i64(), c["people"].as_i64()),
            (Some(3), Some(9)),
            "{c}"
        );
        assert_eq!(
            (c["elderly_alone"].as_i64(), c["low_income"].as_i64()),
            (Some(1), Some(1))
        );

        let worker = app
            .account_with_token("gw-a", Role::GridWorker, &[GRID_A])
            .await;
        let (_, grid) = app
            .get_as(&worker, &format!("/api/v1/units/{GRID_A}"))
            .await;
        assert_eq!(grid["properties"]["counts"]["households"], 2, "{grid}");
        assert_eq!(grid["properties"]["counts"]["people"], 5);
        let (_, above) = app.get_as(&worker, "/api/v1/units/350203001001").await;
        assert!(above["properties"].get("counts").is_none(), "{above}");
        let dept = app
            .account_with_token("dept", Role::Department, &["350203"])
            .await;
        let (_, d) = app.get_as(&dept, &format!("/api/v1/units/{GRID_A}")).await;
        assert!(d["properties"].get("counts").is_none(), "{d}");
        let (_, public) = app.get(&format!("/api/v1/units/{GRID_A}")).await;
        assert!(public["properties"].get("counts").is_none(), "{public}");
    }
);
