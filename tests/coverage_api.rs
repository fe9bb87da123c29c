//! Coverage over HTTP on both stores: shares by unit, the households out of reach, areas,
//! cells, candidates and exports; kept up to date by facility and household writes; staff in
//! their area only.

mod common;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use wangge::auth::Role;

const COMMUNITY: &str = "350203001001";

/// Ten households near (118.05, 24.05) and five near (118.15, 24.15), all in community
/// 350203001001 (street 1, south).
fn households_csv() -> String {
    let mut csv = String::from("address,room,name,phone,size,lon,lat\n");
    for i in 0..10 {
        csv += &format!(
            "甲路{i}号,101,测试,,2,{},24.05\n",
            118.05 + 0.0002 * f64::from(i)
        );
    }
    for i in 0..5 {
        csv += &format!(
            "乙路{i}号,101,测试,,2,{},24.15\n",
            118.15 + 0.0002 * f64::from(i)
        );
    }
    csv
}

fn clinic(name: &str, lon: f64, lat: f64) -> Value {
    json!({"category": "medical", "name": name, "lon": lon, "lat": lat})
}

fn medical(body: &Value) -> (u64, Option<f64>) {
    let e = body["elements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["category"] == "medical")
        .unwrap();
    (e["covered"].as_u64().unwrap(), e["share"].as_f64())
}

store_test!(
    coverage_follows_facility_and_household_writes_within_the_callers_area,
    |app: TestApp| async move {
        let (s, b) = app.import(&fixture_units(), "").await;
        assert_eq!(s, 200, "{b}");
        let admin = app.admin_token.clone();
        let (s, b) = app
            .post_bytes(
                &admin,
                "/api/v1/households/import",
                "text/csv",
                households_csv().into_bytes(),
            )
            .await;
        assert_eq!((s, b["created"].as_u64()), (200, Some(15)), "{b}");
        let path = format!("/api/v1/coverage?unit={COMMUNITY}");
        let (s, before) = app.get_as(&admin, &path).await;
        assert_eq!(s, 200, "{before}");
        assert_eq!(before["households"], 15);
        assert_eq!(medical(&before), (0, Some(0.0)));
        assert_eq!(before["children"].as_array().unwrap().len(), 2);

        // A clinic beside the first cluster reaches its ten households, not the other five.
        let (s, c) = app
            .post_as(
                &admin,
                "/api/v1/facilities",
                &clinic("甲站", 118.051, 24.051),
            )
            .await;
        assert_eq!(s, 201, "{c}");
        let (_, after) = app.get_as(&admin, &path).await;
        let (covered, share) = medical(&after);
        assert_eq!(covered, 10, "{after}");
        assert!((share.unwrap() - 10.0 / 15.0).abs() < 1e-9);

        let (s, u) = app
            .get_as(
                &admin,
                &format!("/api/v1/coverage/unreached?unit={COMMUNITY}&category=medical"),
            )
            .await;
        assert_eq!(s, 200, "{u}");
        assert_eq!(u["total"], 5);
        assert!(u["households"][0]["address"]
            .as_str()
            .unwrap()
            .starts_with("乙路"));
        assert!(
            u["households"][0].get("phone").is_none()
                && u["households"][0].get("head_name").is_none()
        );

        let (s, c2) = app
            .get_as(
                &admin,
                &format!("/api/v1/coverage/candidates?unit={COMMUNITY}&category=medical"),
            )
            .await;
        assert_eq!(s, 200, "{c2}");
        assert_eq!(c2["unreached"], 5);
        assert_eq!(c2["candidates"][0]["newly_reached"], 5, "{c2}");
        let at = &c2["candidates"][0]["at"];
        assert!((at["lon"].as_f64().unwrap() - 118.15).abs() < 0.01, "{c2}");

        let (s, areas) = app
            .get_as(
                &admin,
                &format!("/api/v1/coverage/areas?unit={COMMUNITY}&category=medical"),
            )
            .await;
        assert_eq!(s, 200, "{areas}");
        let share = areas["features"][0]["properties"]["unreached_share"]
            .as_f64()
            .unwrap();
        assert!(
            share > 0.9 && share < 1.0,
            "one disc of ~2 km² in a community of ~440 km²: {share}"
        );

        let (s, cells) = app
            .get_as(
                &admin,
                &format!("/api/v1/coverage/cells?unit={COMMUNITY}&resolution=8"),
            )
            .await;
        assert_eq!(s, 200, "{cells}");
        let total: u64 = cells["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["households"].as_u64().unwrap())
            .sum();
        assert_eq!(total, 15);

        // Moving the second cluster's households next to the clinic is seen at once.
        let moved = households_csv()
            .replace(",118.15", ",118.05")
            .replace(",24.15", ",24.0505");
        let (s, b) = app
            .post_bytes(
                &admin,
                "/api/v1/households/import",
                "text/csv",
                moved.into_bytes(),
            )
            .await;
        assert_eq!((s, b["updated"].as_u64()), (200, Some(15)), "{b}");
        let (_, moved) = app.get_as(&admin, &path).await;
        assert_eq!(medical(&moved).0, 15, "{moved}");

        // Deleting the clinic leaves the element unreached again.
        let id = c["id"].as_i64().unwrap();
        let (s, _, b) = app
            .send(
                Method::DELETE,
                &format!("/api/v1/facilities/{id}"),
                Auth::Bearer(&admin),
                None,
            )
            .await;
        assert_eq!(s, 200, "{b}");
        let (_, gone) = app.get_as(&admin, &path).await;
        assert_eq!(medical(&gone).0, 0, "{gone}");

        let res = app
            .client
            .get(app.url(&format!("/api/v1/coverage/export?unit={COMMUNITY}")))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        let csv = res.text().await.unwrap();
        let mut lines = csv.lines();
        assert!(lines
            .next()
            .unwrap()
            .starts_with("code,name,level,households,medical_covered,medical_share"));
        assert!(
            lines
                .next()
                .unwrap()
                .starts_with("350203001001,社区1-1,community,15,0,0.0000"),
            "{csv}"
        );
        assert_eq!(
            csv.lines().count(),
            1 + 1 + 2 + 4,
            "the community, 2 grids, 4 micro-grids"
        );
        let (s, g) = app
            .get_as(
                &admin,
                &format!("/api/v1/coverage/export?unit={COMMUNITY}&format=geojson"),
            )
            .await;
        assert_eq!(s, 200, "{g}");
        assert_eq!(g["features"].as_array().unwrap().len(), 7);

        // Area and role: a planner of street 2 sees nothing of street 1; the public nothing.
        let planner = app
            .account_with_token("planner-2", Role::Planner, &["350203002"])
            .await;
        let (s, b) = app.get_as(&planner, &path).await;
        assert_eq!((s, error_code(&b)), (403, "out_of_scope"), "{b}");
        let (s, b) = app.get(&path).await;
        assert_eq!(s, 401, "{b}");
        let department = app
            .account_with_token("dept", Role::Department, &["350203"])
            .await;
        let (s, b) = app.get_as(&department, &path).await;
        assert_eq!((s, error_code(&b)), (403, "forbidden"), "{b}");
        for (query, code) in [
            ("unit=350203001001&category=spa", "unknown_category"),
            ("unit=12", "invalid_unit_code"),
            ("category=medical", "missing_parameter"),
            ("unit=350203001001&resolution=3", "invalid_resolution"),
        ] {
            let route = if query.contains("resolution") {
                "cells"
            } else {
                "unreached"
            };
            let (s, b) = app
                .get_as(&admin, &format!("/api/v1/coverage/{route}?{query}"))
                .await;
            assert_eq!((s, error_code(&b)), (400, code), "{query} → {b}");
        }
        let (s, b) = app.get_as(&admin, "/api/v1/coverage?unit=350203009").await;
        assert_eq!((s, error_code(&b)), (404, "not_found"), "{b}");
    }
);
