//! Facilities over HTTP on both stores: staff CRUD with versions and areas, the public finder
//! (nearby, circle) and its refusals, CSV and GeoJSON imports (GBK, bad rows where they are,
//! re-runs), and the index surviving a restart.

mod common;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use wangge::auth::Role;

/// Micro-grid 35020300100100101 covers [118.0, 118.1] × [24.0, 24.1] in the fixture.
const MICRO_A: &str = "35020300100100101";

fn clinic(name: &str, lon: f64, lat: f64) -> Value {
    json!({"category": "medical", "kind": "health_station", "name": name, "lon": lon, "lat": lat,
           "address": "思明路1号", "opening_hours": "24/7", "capacity": 12, "contact": "0592-2000000"})
}

async fn setup(app: &TestApp) {
    let (s, b) = app.import(&fixture_units(), "").await;
    assert_eq!(s, 200, "{b}");
}

async fn put(app: &TestApp, token: &str, path: &str, body: &Value) -> (u16, Value) {
    let (s, _, b) = app
        .send(Method::PUT, path, Auth::Bearer(token), Some(body))
        .await;
    (s, b)
}

async fn delete(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let (s, _, b) = app
        .send(Method::DELETE, path, Auth::Bearer(token), None)
        .await;
    (s, b)
}

async fn import(
    app: &TestApp,
    token: &str,
    query: &str,
    ctype: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let path = format!("/api/v1/facilities/import{query}");
    app.post_bytes(token, &path, ctype, body).await
}

fn names(b: &Value) -> Vec<String> {
    b["facilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect()
}

store_test!(
    staff_create_update_and_delete_within_their_area_with_versions,
    |app: TestApp| async move {
        setup(&app).await;
        let admin = app.admin_token.clone();
        let (s, created) = app
            .post_as(
                &admin,
                "/api/v1/facilities",
                &clinic("鸿山卫生站", 118.05, 24.05),
            )
            .await;
        assert_eq!(s, 201, "{created}");
        assert_eq!(created["version"], 1);
        assert_eq!(created["units"][4], MICRO_A);
        assert_eq!(created["units"][0], "350203");
        let id = created["id"].as_i64().unwrap();
        let path = format!("/api/v1/facilities/{id}");

        let (s, public) = app.get(&path).await;
        assert_eq!(s, 200, "{public}");
        assert_eq!(public["name"], "鸿山卫生站");

        // The same category + name + address again is a conflict, not a second facility.
        let (s, b) = app
            .post_as(
                &admin,
                "/api/v1/facilities",
                &clinic("鸿山卫生站", 118.06, 24.06),
            )
            .await;
        assert_eq!((s, error_code(&b)), (409, "conflict"), "{b}");

        let mut moved = clinic("鸿山卫生站", 118.25, 24.35);
        moved["version"] = json!(1);
        let (s, after) = put(&app, &admin, &path, &moved).await;
        assert_eq!(s, 200, "{after}");
        assert_eq!(after["version"], 2);
        assert_eq!(after["units"][1], "350203002", "re-assigned on write");
        let (s, b) = put(&app, &admin, &path, &moved).await;
        assert_eq!(
            (s, error_code(&b)),
            (409, "conflict"),
            "a stale version: {b}"
        );

        // A planner of street 1 neither sees the facility (now in street 2) as editable nor
        // creates one there; in its own street it may.
        let planner = app
            .account_with_token("planner-1", Role::Planner, &["350203001"])
            .await;
        let mut back = clinic("鸿山卫生站", 118.05, 24.05);
        back["version"] = json!(2);
        let (s, b) = put(&app, &planner, &path, &back).await;
        assert_eq!((s, error_code(&b)), (404, "not_found"), "{b}");
        let (s, b) = delete(&app, &planner, &path).await;
        assert_eq!(s, 404, "{b}");
        let (s, b) = app
            .post_as(&planner, "/api/v1/facilities", &clinic("东站", 118.3, 24.3))
            .await;
        assert_eq!((s, error_code(&b)), (403, "out_of_scope"), "{b}");
        let (s, b) = app
            .post_as(
                &planner,
                "/api/v1/facilities",
                &clinic("西站", 118.15, 24.15),
            )
            .await;
        assert_eq!(s, 201, "{b}");

        let viewer = app
            .account_with_token("viewer-1", Role::Viewer, &["350203"])
            .await;
        let (s, b) = app
            .post_as(&viewer, "/api/v1/facilities", &clinic("站", 118.15, 24.15))
            .await;
        assert_eq!((s, error_code(&b)), (403, "forbidden"), "{b}");
        let (s, _, b) = app
            .send(
                Method::POST,
                "/api/v1/facilities",
                Auth::None,
                Some(&clinic("站", 118.15, 24.15)),
            )
            .await;
        assert_eq!(s, 401, "{b}");

        let (s, b) = delete(&app, &admin, &path).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(app.get(&path).await.0, 404);
        let (s, audit) = app.get_as(&admin, "/api/v1/audit?object=facility").await;
        assert_eq!(s, 200, "{audit}");
        let actions: Vec<&str> = audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["action"].as_str())
            .filter(|a| a.starts_with("facility."))
            .collect();
        for a in ["facility.create", "facility.update", "facility.delete"] {
            assert!(actions.contains(&a), "{a} missing from {actions:?}");
        }
    }
);

store_test!(
    bad_facility_bodies_get_a_precise_400_and_write_nothing,
    |app: TestApp| async move {
        setup(&app).await;
        let admin = app.admin_token.clone();
        let cases = [
            (
                json!({"category": "spa", "name": "x", "lon": 118.05, "lat": 24.05}),
                "invalid_facility",
            ),
            (
                json!({"category": "医", "kind": "hospital", "name": "x", "lon": 118.05, "lat": 24.05}),
                "invalid_facility",
            ),
            (
                json!({"category": "医", "name": " ", "lon": 118.05, "lat": 24.05}),
                "invalid_facility",
            ),
            (
                json!({"category": "医", "name": "x", "lon": 118.05, "lat": 24.05, "opening_hours": "PH off"}),
                "invalid_facility",
            ),
            (
                json!({"category": "医", "name": "x", "lon": 190.0, "lat": 24.05}),
                "coordinate_out_of_range",
            ),
            (
                json!({"category": "医", "name": "x", "lon": 100.0, "lat": 24.05}),
                "outside_every_unit",
            ),
            (
                json!({"category": "医", "name": "x", "lon": 118.05, "lat": 24.05, "colour": "red"}),
                "invalid_json",
            ),
            (
                json!({"category": "医", "name": "x", "lon": 118.05, "lat": 24.05, "version": 3}),
                "invalid_facility",
            ),
        ];
        for (body, code) in cases {
            let (s, b) = app.post_as(&admin, "/api/v1/facilities", &body).await;
            assert_eq!((s, error_code(&b)), (400, code), "{body} → {b}");
        }
        assert!(app.state.store.facilities().await.unwrap().is_empty());
    }
);

store_test!(
    the_public_finder_lists_the_nearest_by_walking_time_and_the_circle_says_what_is_missing,
    |app: TestApp| async move {
        setup(&app).await;
        let admin = app.admin_token.clone();
        // Due north of (118.05, 24.05): 0.001° of latitude is about 111 m.
        for (name, category, kind, dlat) in [
            ("近站", "medical", "health_station", 0.002),
            ("远站", "medical", "health_station", 0.02),
            ("中心", "medical", "health_centre", 0.004),
            ("幼儿园", "education", "kindergarten", 0.001),
        ] {
            let body = json!({"category": category, "kind": kind, "name": name,
                "lon": 118.05, "lat": 24.05 + dlat, "opening_hours": "Mo-Su 00:00-24:00"});
            let (s, b) = app.post_as(&admin, "/api/v1/facilities", &body).await;
            assert_eq!(s, 201, "{b}");
        }
        let (s, b) = app
            .get("/api/v1/facilities/nearby?lon=118.05&lat=24.05&category=medical&limit=2")
            .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(names(&b), ["近站", "中心"]);
        assert_eq!(b["walking"]["estimate"], true);
        assert_eq!(b["walking"]["method"], "straight_line_estimate");
        let first = &b["facilities"][0];
        let d = first["distance_m"].as_f64().unwrap();
        assert!((d - 222.4).abs() < 1.0, "{d}");
        let minutes = first["walking_minutes"].as_f64().unwrap();
        assert!((minutes - d * 1.3 / 1.2 / 60.0).abs() < 1e-9, "{minutes}");
        assert_eq!(first["open_now"], true);

        // Within 10 minutes (about 554 m in a straight line), every category.
        let (s, b) = app
            .get("/api/v1/facilities/nearby?lon=118.05&lat=24.05&minutes=10")
            .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(names(&b), ["幼儿园", "近站", "中心"]);

        let (s, c) = app
            .get("/api/v1/facilities/circle?lon=118.05&lat=24.05")
            .await;
        assert_eq!(s, 200, "{c}");
        let elements = c["elements"].as_array().unwrap();
        assert_eq!(elements.len(), 10);
        assert_eq!(c["complete"], false);
        let missing: Vec<&str> = c["missing"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect();
        assert!(
            !missing.contains(&"medical") && !missing.contains(&"education"),
            "{missing:?}"
        );
        assert!(missing.contains(&"dining"), "{missing:?}");
        let medical = elements
            .iter()
            .find(|e| e["category"] == "medical")
            .unwrap();
        assert_eq!(medical["within_target"], true);
        assert_eq!(medical["nearest"]["name"], "近站");

        for (query, code) in [
            ("lon=118.05&lat=24.05&category=spa", "unknown_category"),
            ("lon=181&lat=24.05", "coordinate_out_of_range"),
            ("lon=118.05&lat=-91", "coordinate_out_of_range"),
            ("lon=east&lat=24.05", "invalid_coordinate"),
            ("lon=118.05&lat=24.05&minutes=0", "minutes_out_of_range"),
            ("lon=118.05&lat=24.05&minutes=-5", "minutes_out_of_range"),
            ("lon=118.05&lat=24.05&minutes=121", "minutes_out_of_range"),
            ("lon=118.05&lat=24.05&limit=101", "limit_out_of_range"),
            ("lon=118.05&lat=24.05&limit=0", "limit_out_of_range"),
            ("lat=24.05", "missing_parameter"),
        ] {
            let (s, b) = app.get(&format!("/api/v1/facilities/nearby?{query}")).await;
            assert_eq!((s, error_code(&b)), (400, code), "{query} → {b}");
        }
        let (s, b) = app.get("/api/v1/facilities/circle?lon=118.05&lat=95").await;
        assert_eq!((s, error_code(&b)), (400, "coordinate_out_of_range"), "{b}");
    }
);

const CSV: &str = "编号,类别,类型,名称,地址,营业时间,床位,联系电话,经度,纬度\n\
F1,养,老年人日间照料中心,鸿山日间照料中心,思明路1号,Mo-Fr 08:00-17:30,20,0592-2000001,118.05,24.05\n\
F2,养老,nursing_home,坏床位养老院,思明路2号,,many,,118.05,24.06\n\
F3,食,community_canteen,鸿山长者食堂,思明路3号,06:30-19:00,60,,118.15,24.15\n\
F4,spa,,洗浴中心,思明路4号,,,,118.05,24.05\n\
F5,医,health_station,远方卫生站,远方路1号,,,,100.0,24.05\n\
F6,学,幼儿园,鸿山幼儿园,思明路6号,Mo-Fr 07:30-17:30,180,,118.06,24.06\n\
F1,养,day_care,重复一行,思明路9号,,,,118.05,24.05\n";

fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
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
    gbk_csv_imports_good_rows_reports_bad_ones_by_line_and_reruns_idempotently,
    |app: TestApp| async move {
        setup(&app).await;
        let admin = app.admin_token.clone();
        let (s, dry) = import(&app, &admin, "?dry_run=true", "text/csv", gbk(CSV)).await;
        assert_eq!(s, 200, "{dry}");
        assert_eq!(dry["encoding"], "gbk");
        assert_eq!(dry["mapping"][1]["field"], "category");
        assert_eq!(dry["valid"], 3);
        assert_eq!(problem_lines(&dry), [3, 5, 6, 8]);
        assert!(
            app.state.store.facilities().await.unwrap().is_empty(),
            "a dry run wrote"
        );

        let (s, done) = import(&app, &admin, "", "text/csv", gbk(CSV)).await;
        assert_eq!(s, 200, "{done}");
        assert_eq!(
            (done["created"].as_u64(), done["updated"].as_u64()),
            (Some(3), Some(0))
        );
        let reasons: Vec<&str> = done["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["reason"].as_str().unwrap())
            .collect();
        assert!(reasons[0].contains("capacity `many`"), "{reasons:?}");
        assert!(reasons[1].contains("unknown category `spa`"), "{reasons:?}");
        assert!(reasons[2].contains("outside every unit"), "{reasons:?}");
        assert!(
            reasons[3].contains("same facility as line 2"),
            "{reasons:?}"
        );

        // The finder sees the import at once; the kind's Chinese name was resolved.
        let (_, b) = app
            .get("/api/v1/facilities/nearby?lon=118.06&lat=24.06&category=education")
            .await;
        assert_eq!(names(&b), ["鸿山幼儿园"]);
        assert_eq!(b["facilities"][0]["kind"], "kindergarten");

        let (s, again) = import(&app, &admin, "", "text/csv", gbk(CSV)).await;
        assert_eq!(s, 200, "{again}");
        assert_eq!(
            (
                again["created"].as_u64(),
                again["updated"].as_u64(),
                again["unchanged"].as_u64()
            ),
            (Some(0), Some(0), Some(3))
        );
        let renamed = CSV.replace("鸿山长者食堂", "鸿山长者助餐点");
        let (_, third) = import(&app, &admin, "", "text/csv", renamed.into_bytes()).await;
        assert_eq!(
            (third["created"].as_u64(), third["updated"].as_u64()),
            (Some(0), Some(1)),
            "{third}"
        );
        assert_eq!(app.state.store.facilities().await.unwrap().len(), 3);

        // A planner of street 1 cannot import into street 2: that row is refused, not written.
        let planner = app
            .account_with_token("planner-1", Role::Planner, &["350203001"])
            .await;
        let east = "类别,名称,经度,纬度\n医,东部站,118.3,24.3\n";
        let (s, b) = import(&app, &planner, "", "text/csv", east.as_bytes().to_vec()).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["valid"], 0);
        assert!(
            b["problems"][0]["reason"]
                .as_str()
                .unwrap()
                .contains("outside your area"),
            "{b}"
        );

        let (s, b) = import(&app, &admin, "", "text/plain", b"x".to_vec()).await;
        assert_eq!((s, error_code(&b)), (415, "unsupported_media_type"), "{b}");
        let (s, b) = import(
            &app,
            &admin,
            "",
            "text/csv",
            "名称,经度,纬度\nx,1,2\n".into(),
        )
        .await;
        assert_eq!((s, error_code(&b)), (400, "invalid_file"), "{b}");
    }
);

store_test!(
    geojson_imports_convert_gcj02_and_report_bad_features_by_index,
    |app: TestApp| async move {
        setup(&app).await;
        let admin = app.admin_token.clone();
        let doc = json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": "p1", "geometry": {"type": "Point", "coordinates": [118.055, 24.047]},
             "properties": {"category": "游", "kind": "pocket_park", "name": "鸿山口袋公园", "crs": "gcj02"}},
            {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[118.0, 24.0], [118.1, 24.1]]},
             "properties": {"category": "游", "name": "步道"}},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [118.06, 24.06]},
             "properties": {"category": "行", "kind": "bus_stop", "name": "思明路站", "capacity": -1}},
        ]});
        let (s, b) = import(
            &app,
            &admin,
            "",
            "application/geo+json",
            doc.to_string().into_bytes(),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["created"], 1);
        let features: Vec<u64> = b["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["feature"].as_u64().unwrap())
            .collect();
        assert_eq!(features, [1, 2]);
        let stored = app.state.store.facilities().await.unwrap();
        assert_eq!(stored[0].external_id.as_deref(), Some("p1"));
        let shift =
            (stored[0].location.lon - 118.055).abs() + (stored[0].location.lat - 24.047).abs();
        assert!(shift > 1e-4, "GCJ-02 was not converted");

        // The listing is GeoJSON the import reads back: a re-import changes nothing.
        let (s, listed) = app
            .get("/api/v1/facilities?category=recreation&unit=350203001")
            .await;
        assert_eq!(s, 200, "{listed}");
        assert_eq!(listed["features"].as_array().unwrap().len(), 1);
        let (_, again) = import(
            &app,
            &admin,
            "?format=geojson",
            "application/json",
            listed.to_string().into_bytes(),
        )
        .await;
        assert_eq!(
            (again["unchanged"].as_u64(), again["updated"].as_u64()),
            (Some(1), Some(0)),
            "{again}"
        );
        let (s, b) = app.get("/api/v1/facilities?category=spa").await;
        assert_eq!((s, error_code(&b)), (400, "unknown_category"), "{b}");
    }
);

store_test!(
    written_facilities_are_found_again_after_a_restart,
    |app: TestApp| async move {
        setup(&app).await;
        let (s, b) = app
            .post_as(
                &app.admin_token,
                "/api/v1/facilities",
                &clinic("留存站", 118.05, 24.05),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        let config = (*app.state.config).clone();
        let reopened = wangge::AppState::open(config).await.unwrap();
        let index = reopened.facilities.index.load();
        assert_eq!(index.len(), 1);
        let p = wangge::spatial::Wgs84 {
            lon: 118.05,
            lat: 24.05,
        };
        let hit = index.nearest("medical", p).next().unwrap();
        assert_eq!(hit.facility.name, "留存站");
        assert_eq!(
            hit.facility.opening_hours.as_ref().unwrap().to_string(),
            "24/7"
        );
    }
);
