//! Vector tiles over HTTP on both stores: MVT layers, ids and properties, gzip, ETags and 304,
//! bad addresses, TileJSON, GCJ-02 output, and a re-import that evicts exactly the tiles over
//! the unit it changed.

mod common;
use common::*;
use serde_json::{json, Map, Value};
use wangge::maps::TileKey;
use wangge::spatial::{Crs, Wgs84};
use wangge_tiles::{LonLat, TileCoord, TileFrame};

/// A small MVT reader: layers with their features' ids, properties and raw geometry commands.
mod mvt {
    use serde_json::{Map, Value};

    pub struct Feature {
        pub id: Option<u64>,
        pub properties: Map<String, Value>,
        pub kind: u64,
        pub geometry: Vec<u32>,
    }

    pub struct Layer {
        pub name: String,
        pub extent: u64,
        pub features: Vec<Feature>,
    }

    struct Reader<'a>(&'a [u8], usize);

    enum Field<'a> {
        Varint(u64),
        Fixed64(u64),
        Fixed32(u32),
        Bytes(&'a [u8]),
    }

    impl<'a> Reader<'a> {
        fn done(&self) -> bool {
            self.1 >= self.0.len()
        }
        fn varint(&mut self) -> u64 {
            let mut v = 0u64;
            for shift in (0..64).step_by(7) {
                let b = self.0[self.1];
                self.1 += 1;
                v |= u64::from(b & 0x7f) << shift;
                if b < 0x80 {
                    break;
                }
            }
            v
        }
        fn take(&mut self, n: usize) -> &'a [u8] {
            let s = &self.0[self.1..self.1 + n];
            self.1 += n;
            s
        }
        fn field(&mut self) -> (u64, Field<'a>) {
            let key = self.varint();
            let f = match key & 7 {
                0 => Field::Varint(self.varint()),
                1 => Field::Fixed64(u64::from_le_bytes(self.take(8).try_into().unwrap())),
                2 => {
                    let n = self.varint() as usize;
                    Field::Bytes(self.take(n))
                }
                5 => Field::Fixed32(u32::from_le_bytes(self.take(4).try_into().unwrap())),
                w => panic!("wire type {w}"),
            };
            (key >> 3, f)
        }
    }

    fn packed(b: &[u8]) -> Vec<u32> {
        let mut r = Reader(b, 0);
        let mut out = Vec::new();
        while !r.done() {
            out.push(r.varint() as u32);
        }
        out
    }

    fn value(b: &[u8]) -> Value {
        let mut r = Reader(b, 0);
        let mut v = Value::Null;
        while !r.done() {
            v = match r.field() {
                (1, Field::Bytes(s)) => Value::from(String::from_utf8(s.to_vec()).unwrap()),
                (2, Field::Fixed32(f)) => Value::from(f64::from(f32::from_bits(f))),
                (3, Field::Fixed64(d)) => Value::from(f64::from_bits(d)),
                (4 | 5, Field::Varint(i)) => Value::from(i),
                (6, Field::Varint(z)) => Value::from(((z >> 1) as i64) ^ -((z & 1) as i64)),
                (7, Field::Varint(b)) => Value::from(b != 0),
                _ => panic!("unexpected value field"),
            };
        }
        v
    }

    pub fn decode(bytes: &[u8]) -> Vec<Layer> {
        let mut tile = Reader(bytes, 0);
        let mut layers = Vec::new();
        while !tile.done() {
            let (3, Field::Bytes(layer)) = tile.field() else {
                panic!("a tile holds only layers")
            };
            let mut r = Reader(layer, 0);
            let (mut name, mut extent) = (String::new(), 4096);
            let (mut keys, mut values, mut raw) = (Vec::new(), Vec::new(), Vec::new());
            while !r.done() {
                match r.field() {
                    (1, Field::Bytes(s)) => name = String::from_utf8(s.to_vec()).unwrap(),
                    (2, Field::Bytes(f)) => raw.push(f),
                    (3, Field::Bytes(k)) => keys.push(String::from_utf8(k.to_vec()).unwrap()),
                    (4, Field::Bytes(v)) => values.push(value(v)),
                    (5, Field::Varint(e)) => extent = e,
                    (15, Field::Varint(v)) => assert_eq!(v, 2, "MVT version 2"),
                    _ => panic!("unexpected layer field"),
                }
            }
            let features = raw
                .into_iter()
                .map(|f| {
                    let mut r = Reader(f, 0);
                    let mut feature = Feature {
                        id: None,
                        properties: Map::new(),
                        kind: 0,
                        geometry: Vec::new(),
                    };
                    while !r.done() {
                        match r.field() {
                            (1, Field::Varint(id)) => feature.id = Some(id),
                            (2, Field::Bytes(tags)) => {
                                for kv in packed(tags).chunks(2) {
                                    feature.properties.insert(
                                        keys[kv[0] as usize].clone(),
                                        values[kv[1] as usize].clone(),
                                    );
                                }
                            }
                            (3, Field::Varint(k)) => feature.kind = k,
                            (4, Field::Bytes(g)) => feature.geometry = packed(g),
                            _ => panic!("unexpected feature field"),
                        }
                    }
                    feature
                })
                .collect();
            layers.push(Layer {
                name,
                extent,
                features,
            });
        }
        layers
    }

    /// The position of a point feature.
    pub fn point(f: &Feature) -> (i64, i64) {
        assert_eq!(f.kind, 1, "a point");
        let zz = |v: u32| i64::from((v >> 1) as i32 ^ -((v & 1) as i32));
        (zz(f.geometry[1]), zz(f.geometry[2]))
    }
}

const MVT: &str = "application/vnd.mapbox-vector-tile";

fn tile_at(lon: f64, lat: f64, z: u8) -> TileCoord {
    TileCoord::containing(LonLat::new(lon, lat), z).unwrap()
}

fn path(t: TileCoord) -> String {
    format!("/tiles/units/{}/{}/{}.mvt", t.z(), t.x(), t.y())
}

async fn fetch(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = app.client.get(app.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

async fn etag_of(app: &TestApp, path: &str) -> String {
    let res = fetch(app, path, &[]).await;
    assert_eq!(res.status(), 200, "{path}");
    res.headers()["etag"].to_str().unwrap().to_owned()
}

fn layer<'a>(layers: &'a [mvt::Layer], name: &str) -> &'a mvt::Layer {
    layers
        .iter()
        .find(|l| l.name == name)
        .unwrap_or_else(|| panic!("no layer {name}"))
}

fn feature(l: &mvt::Layer, id: u64) -> &mvt::Feature {
    l.features
        .iter()
        .find(|f| f.id == Some(id))
        .unwrap_or_else(|| panic!("no feature {id} in {}", l.name))
}

store_test!(
    tile_holds_a_layer_per_level_with_code_ids_and_properties,
    |app: TestApp| async move {
        app.import(&fixture_units(), "").await;
        let res = fetch(&app, &path(tile_at(118.05, 24.05, 16)), &[]).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], MVT);
        assert!(res.headers().get("content-encoding").is_none());
        let layers = mvt::decode(&res.bytes().await.unwrap());
        let names: Vec<&str> = layers.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "district",
                "street",
                "community",
                "grid",
                "micro_grid",
                "unit_labels"
            ]
        );
        assert!(layers.iter().all(|l| l.extent == 4096));
        let micro = feature(layer(&layers, "micro_grid"), 35020300100100101);
        assert_eq!(micro.kind, 3, "polygon");
        let expected: Map<String, Value> = serde_json::from_value(json!({
            "code": "35020300100100101", "name": "微网格1-1-1-1", "level": "micro_grid",
            "parent": "350203001001001", "version": 1, "children": 0
        }))
        .unwrap();
        assert_eq!(micro.properties, expected);
        let district = feature(layer(&layers, "district"), 350203);
        assert_eq!(district.properties["children"], 2);
        assert!(district.properties.get("parent").is_none());
        assert_eq!(
            feature(layer(&layers, "grid"), 350203001001001).properties["children"],
            2
        );
        let label = feature(layer(&layers, "unit_labels"), 35020300100100101);
        let (x, y) = mvt::point(label);
        assert!((0..=4096).contains(&x) && (0..=4096).contains(&y));

        // Levels come in at their zooms: at 12 only the district and the streets.
        let res = fetch(&app, &path(tile_at(118.05, 24.05, 12)), &[]).await;
        let layers = mvt::decode(&res.bytes().await.unwrap());
        let names: Vec<&str> = layers.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(
            names,
            ["district", "street"],
            "no label point falls in this tile"
        );

        // Nothing there: an empty tile, still a tile.
        let res = fetch(&app, &path(tile_at(100.0, 40.0, 12)), &[]).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], MVT);
        assert!(res.bytes().await.unwrap().is_empty());
        app.stop().await;
    }
);

store_test!(
    gzip_is_sent_only_to_clients_that_accept_it,
    |app: TestApp| async move {
        app.import(&fixture_units(), "").await;
        let p = path(tile_at(118.05, 24.05, 14));
        let plain = fetch(&app, &p, &[]).await;
        let plain_etag = plain.headers()["etag"].clone();
        let plain = plain.bytes().await.unwrap();
        let res = fetch(&app, &p, &[("accept-encoding", "br, gzip;q=0.8")]).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-encoding"], "gzip");
        assert_eq!(res.headers()["content-type"], MVT);
        assert_eq!(res.headers()["vary"], "accept-encoding");
        assert_ne!(
            res.headers()["etag"],
            plain_etag,
            "strong tags differ per encoding"
        );
        let body = res.bytes().await.unwrap();
        let mut unzipped = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut unzipped)
            .unwrap();
        assert_eq!(unzipped, plain);
        let refused = fetch(&app, &p, &[("accept-encoding", "gzip;q=0")]).await;
        assert!(refused.headers().get("content-encoding").is_none());
        app.stop().await;
    }
);

store_test!(
    if_none_match_with_the_etag_gets_304,
    |app: TestApp| async move {
        app.import(&fixture_units(), "").await;
        let p = path(tile_at(118.05, 24.05, 14));
        let etag = etag_of(&app, &p).await;
        assert!(
            etag.starts_with('"') && !etag.starts_with("W/"),
            "strong: {etag}"
        );
        let res = fetch(&app, &p, &[("if-none-match", &etag)]).await;
        assert_eq!(res.status(), 304);
        assert_eq!(res.headers()["etag"], etag.as_str());
        assert!(res.bytes().await.unwrap().is_empty());
        let list = format!("\"nope\", W/{etag}");
        assert_eq!(
            fetch(&app, &p, &[("if-none-match", &list)]).await.status(),
            304
        );
        let other = fetch(&app, &p, &[("if-none-match", "\"0000\"")]).await;
        assert_eq!(other.status(), 200);
        // The same tile again is served from the cache with the same tag.
        assert_eq!(etag_of(&app, &p).await, etag);
        assert!(app.state.tiles.cache().stats().hits >= 3);
        app.stop().await;
    }
);

store_test!(
    bad_tile_addresses_get_400_or_404_in_the_error_shape,
    |app: TestApp| async move {
        app.import(&fixture_units(), "").await;
        for (p, status, code) in [
            ("/tiles/roads/14/13505/7003.mvt", 404, "unknown_layer"),
            ("/tiles/units/7/105/55.mvt", 404, "tile_out_of_range"),
            ("/tiles/units/23/1/1.mvt", 404, "tile_out_of_range"),
            ("/tiles/units/14/16384/7003.mvt", 404, "tile_out_of_range"),
            ("/tiles/units/14/13505/16384.mvt", 404, "tile_out_of_range"),
            (
                "/tiles/units/14/13505/7003.png",
                400,
                "invalid_tile_address",
            ),
            ("/tiles/units/14/abc/7003.mvt", 400, "invalid_tile_address"),
            ("/tiles/units/-1/0/0.mvt", 400, "invalid_tile_address"),
            (
                "/tiles/units/14/13505/7003.mvt?crs=bd09",
                400,
                "unsupported_crs",
            ),
            (
                "/tiles/units/14/13505/7003.mvt?crs=utm50",
                400,
                "invalid_parameter",
            ),
            ("/tiles/units/14/13505.mvt", 404, "not_found"),
            ("/tiles/roads.json", 404, "unknown_layer"),
            ("/tiles/units", 404, "not_found"),
        ] {
            let (got, body) = app.get(p).await;
            assert_eq!(got, status, "{p}: {body}");
            assert_eq!(error_code(&body), code, "{p}: {body}");
        }
        app.stop().await;
    }
);

store_test!(
    tilejson_describes_zooms_bounds_and_fields,
    |app: TestApp| async move {
        app.import(&fixture_units(), "").await;
        let (status, doc) = app.get("/tiles/units.json").await;
        assert_eq!(status, 200, "{doc}");
        assert_eq!(doc["tilejson"], "3.0.0");
        assert_eq!(
            doc["tiles"][0],
            format!("http://{}/tiles/units/{{z}}/{{x}}/{{y}}.mvt", app.addr)
        );
        assert_eq!(
            (doc["minzoom"].as_u64(), doc["maxzoom"].as_u64()),
            (Some(8), Some(22))
        );
        let bounds: Vec<f64> = serde_json::from_value(doc["bounds"].clone()).unwrap();
        for (got, want) in bounds.iter().zip([118.0, 24.0, 118.4, 24.4]) {
            assert!((got - want).abs() < 1e-9, "{bounds:?}");
        }
        let layers = doc["vector_layers"].as_array().unwrap();
        let zooms: Vec<(&str, u64)> = layers
            .iter()
            .map(|l| (l["id"].as_str().unwrap(), l["minzoom"].as_u64().unwrap()))
            .collect();
        assert_eq!(
            zooms,
            [
                ("district", 8),
                ("street", 11),
                ("community", 13),
                ("grid", 14),
                ("micro_grid", 16),
                ("unit_labels", 8)
            ]
        );
        for field in ["code", "name", "level", "parent", "version", "children"] {
            assert!(layers[4]["fields"].get(field).is_some(), "{field}");
        }
        let (_, gcj) = app.get("/tiles/units.json?crs=gcj02").await;
        assert!(gcj["tiles"][0]
            .as_str()
            .unwrap()
            .ends_with(".mvt?crs=gcj02"));
        assert_ne!(gcj["bounds"], doc["bounds"]);
        app.stop().await;
    }
);

store_test!(
    gcj02_tiles_are_drawn_shifted_by_the_datum_offset,
    |app: TestApp| async move {
        app.import(&fixture_units(), "").await;
        // Grid 350203001001001 ([118.0, 118.1] × [24.0, 24.2]) is drawn from z14; its label
        // point, moved to GCJ-02, lands a few hundred metres away in the same z14 tile.
        let id = 350203001001001;
        let snap = app.state.snapshot.load();
        let unit = snap.get(&"350203001001001".parse().unwrap()).unwrap();
        let p = wangge::maps::units::label_point(unit).unwrap();
        let g = Crs::Gcj02.from_wgs84(Wgs84 {
            lon: p.x(),
            lat: p.y(),
        });
        let t = tile_at((p.x() + g.0) / 2.0, (p.y() + g.1) / 2.0, 14);
        let wgs = fetch(&app, &path(t), &[]).await;
        let wgs_etag = wgs.headers()["etag"].clone();
        let wgs = mvt::decode(&wgs.bytes().await.unwrap());
        let gcj = fetch(&app, &format!("{}?crs=gcj02", path(t)), &[]).await;
        assert_eq!(gcj.status(), 200);
        assert_ne!(gcj.headers()["etag"], wgs_etag);
        let gcj = mvt::decode(&gcj.bytes().await.unwrap());

        let frame = TileFrame::new(t, 4096);
        let want_wgs = frame.lon_lat_to_grid(LonLat::new(p.x(), p.y()));
        let want_gcj = frame.lon_lat_to_grid(LonLat::new(g.0, g.1));
        let got_wgs = mvt::point(feature(layer(&wgs, "unit_labels"), id));
        let got_gcj = mvt::point(feature(layer(&gcj, "unit_labels"), id));
        assert_eq!(got_wgs, (i64::from(want_wgs.x), i64::from(want_wgs.y)));
        assert_eq!(got_gcj, (i64::from(want_gcj.x), i64::from(want_gcj.y)));
        assert!(
            (got_gcj.0 - got_wgs.0).abs() > 100,
            "hundreds of metres east or west"
        );
        let keys = [Crs::Wgs84, Crs::Gcj02].map(|crs| TileKey {
            source: 0,
            tile: t,
            crs,
        });
        assert!(keys.iter().all(|k| app.state.tiles.cache().contains(k)));
        app.stop().await;
    }
);

store_test!(
    reimport_of_one_unit_evicts_only_the_tiles_over_it,
    |app: TestApp| async move {
        app.import(&fixture_units(), "").await;
        // Micro-grid 35020300100100101 covers [118.0, 118.1] × [24.0, 24.1].
        // Micro-grids are drawn from z16.
        let over = tile_at(118.05, 24.05, 16);
        let neighbour = tile_at(118.05, 24.15, 16);
        let far = tile_at(118.35, 24.35, 16);
        let key = |tile, crs| TileKey {
            source: 0,
            tile,
            crs,
        };
        let gcj_over = format!("{}?crs=gcj02", path(over));
        let before_over = etag_of(&app, &path(over)).await;
        let before_gcj = etag_of(&app, &gcj_over).await;
        let before_neighbour = etag_of(&app, &path(neighbour)).await;
        let before_far = etag_of(&app, &path(far)).await;

        let renamed = json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"code": "35020300100100101", "name": "鸿山一号"},
             "geometry": {"type": "Polygon", "coordinates": [[[118.0,24.0],[118.1,24.0],[118.1,24.1],[118.0,24.1],[118.0,24.0]]]}}
        ]});
        let (status, report) = app.import(&renamed, "").await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["outcome"]["updated"], json!(["35020300100100101"]));

        let cache = app.state.tiles.cache();
        assert!(
            !cache.contains(&key(over, Crs::Wgs84)),
            "over the unit: evicted"
        );
        assert!(
            !cache.contains(&key(over, Crs::Gcj02)),
            "GCJ-02 copy: evicted"
        );
        assert!(
            cache.contains(&key(neighbour, Crs::Wgs84)),
            "beyond its box: kept"
        );
        assert!(cache.contains(&key(far, Crs::Wgs84)), "far away: kept");

        let res = fetch(&app, &path(over), &[("if-none-match", &before_over)]).await;
        assert_eq!(res.status(), 200, "changed tile is sent again");
        let after_over = res.headers()["etag"].to_str().unwrap().to_owned();
        assert_ne!(after_over, before_over);
        let layers = mvt::decode(&res.bytes().await.unwrap());
        let micro = feature(layer(&layers, "micro_grid"), 35020300100100101);
        assert_eq!(micro.properties["name"], "鸿山一号");
        assert_eq!(micro.properties["version"], 2);
        assert_ne!(etag_of(&app, &gcj_over).await, before_gcj);

        let res = fetch(&app, &path(far), &[("if-none-match", &before_far)]).await;
        assert_eq!(res.status(), 304, "the far tile keeps its ETag");
        assert_eq!(etag_of(&app, &path(neighbour)).await, before_neighbour);
        app.stop().await;
    }
);

// The report layers: staff points in the caller's area, the public heat cells.

/// Micro-grid 35020300100100101 (grid 350203001001001) of the fixture.
const IN_GRID_A: (f64, f64) = (118.05, 24.05);
/// Grid 350203001001002, in the same z10 tile as `IN_GRID_A`.
const IN_GRID_B: (f64, f64) = (118.12, 24.05);

fn report_path(layer: &str, t: TileCoord, query: &str) -> String {
    format!("/tiles/{layer}/{}/{}/{}.mvt{query}", t.z(), t.x(), t.y())
}

async fn file_report(app: &TestApp, category: &str, (lon, lat): (f64, f64)) -> Value {
    let body = json!({
        "category": category, "description": "门口堆满垃圾", "channel": "app",
        "location": {"lon": lon, "lat": lat}, "reporter": {"phone": "13900000000"}
    });
    let (s, b) = app
        .post_as(&app.admin_token, "/api/v1/reports", &body)
        .await;
    assert_eq!(s, 201, "{b}");
    b
}

/// The decoded layer `name` of a tile fetched as `token` (empty when the tile lacks it).
async fn features_as(app: &TestApp, token: &str, p: &str) -> Vec<mvt::Feature> {
    let res = fetch(app, p, &[("authorization", &format!("Bearer {token}"))]).await;
    assert_eq!(res.status(), 200, "{p}");
    let name = p.split('/').nth(2).unwrap().to_owned();
    mvt::decode(&res.bytes().await.unwrap())
        .into_iter()
        .find(|l| l.name == name)
        .map(|l| l.features)
        .unwrap_or_default()
}

fn ids(features: &[mvt::Feature]) -> Vec<String> {
    let mut ids: Vec<String> = features
        .iter()
        .map(|f| f.properties["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

store_test!(
    report_points_show_only_the_callers_area_narrowed_by_state_and_category,
    |app: TestApp| async move {
        app.import(&fixture_units(), "").await;
        let a1 = file_report(&app, "noise", IN_GRID_A).await;
        let a2 = file_report(&app, "sanitation", IN_GRID_A).await;
        let b1 = file_report(&app, "noise", IN_GRID_B).await;
        let id = |r: &Value| r["id"].as_str().unwrap().to_owned();
        let worker = app
            .account_with_token("gw.a", wangge::auth::Role::GridWorker, &["350203001001001"])
            .await;
        let t = tile_at(IN_GRID_A.0, IN_GRID_A.1, 10);
        assert_eq!(t, tile_at(IN_GRID_B.0, IN_GRID_B.1, 10));
        let p = report_path("reports", t, "");

        let all = features_as(&app, &app.admin_token, &p).await;
        assert_eq!(ids(&all), sorted(vec![id(&a1), id(&a2), id(&b1)]));
        let mine = features_as(&app, &worker, &p).await;
        assert_eq!(ids(&mine), sorted(vec![id(&a1), id(&a2)]), "grid A only");

        // Properties: these and nothing personal; positions where the reports are.
        let f = mine
            .iter()
            .find(|f| f.properties["id"] == a1["id"])
            .unwrap();
        let keys: Vec<&str> = f.properties.keys().map(String::as_str).collect();
        assert_eq!(
            sorted(keys.iter().map(|k| k.to_string()).collect()),
            sorted(
                [
                    "category",
                    "created_at",
                    "id",
                    "overdue",
                    "queue_unit",
                    "state"
                ]
                .map(String::from)
                .to_vec()
            )
        );
        assert_eq!(f.properties["state"], "received");
        assert_eq!(f.properties["category"], "noise");
        assert_eq!(f.properties["overdue"], false);
        assert_eq!(f.properties["queue_unit"], a1["queue_unit"]);
        assert_eq!(f.id, Some(wangge::maps::reports::feature_id(&id(&a1))));
        let want = TileFrame::new(t, 4096).lon_lat_to_grid(LonLat::new(IN_GRID_A.0, IN_GRID_A.1));
        assert_eq!(mvt::point(f), (i64::from(want.x), i64::from(want.y)));

        let narrowed = |q: &'static str| report_path("reports", t, q);
        assert_eq!(
            ids(&features_as(&app, &app.admin_token, &narrowed("?category=noise")).await),
            sorted(vec![id(&a1), id(&b1)])
        );
        assert_eq!(
            ids(&features_as(
                &app,
                &app.admin_token,
                &narrowed("?category=noise,sanitation&state=received,closed")
            )
            .await)
            .len(),
            3
        );
        assert!(
            features_as(&app, &app.admin_token, &narrowed("?state=closed"))
                .await
                .is_empty()
        );

        for (q, parameter) in [
            ("?state=done", "state"),
            ("?category=fireworks", "category"),
            ("?category=noise,fireworks", "category"),
        ] {
            let (s, b) = app.get_as(&app.admin_token, &narrowed(q)).await;
            assert_eq!((s, error_code(&b)), (400, "invalid_parameter"), "{q}: {b}");
            assert_eq!(b["error"]["details"]["parameter"], parameter);
        }
        let heat = report_path("report_heat", t, "?state=received");
        let (s, b) = app.get(&heat).await;
        assert_eq!((s, error_code(&b)), (400, "invalid_parameter"), "{b}");

        // No right to read reports, or nobody: the layer does not exist.
        let planner = app
            .account_with_token("planner.a", wangge::auth::Role::Planner, &["350203"])
            .await;
        for token in [None, Some(planner.as_str())] {
            for path in [p.clone(), "/tiles/reports.json".to_owned()] {
                let (s, b) = match token {
                    Some(t) => app.get_as(t, &path).await,
                    None => app.get(&path).await,
                };
                assert_eq!((s, error_code(&b)), (404, "unknown_layer"), "{path}: {b}");
                let known = b["error"]["details"]["layers"].as_array().unwrap();
                assert!(!known.contains(&json!("reports")), "{b}");
                let (_, missing) = match token {
                    Some(t) => app.get_as(t, "/tiles/roads.json").await,
                    None => app.get("/tiles/roads.json").await,
                };
                assert_eq!(
                    missing["error"]["details"]["layers"],
                    b["error"]["details"]["layers"]
                );
            }
        }
        let (s, doc) = app.get_as(&worker, "/tiles/reports.json").await;
        assert_eq!(s, 200, "{doc}");
        assert_eq!(
            (doc["minzoom"].as_u64(), doc["maxzoom"].as_u64()),
            (Some(10), Some(22))
        );
        let res = fetch(&app, &p, &[("authorization", &format!("Bearer {worker}"))]).await;
        assert_eq!(res.headers()["cache-control"], "private, no-cache");
        app.stop().await;
    }
);

store_test!(
    report_tiles_follow_intake_and_transitions_at_once,
    |app: TestApp| async move {
        app.import(&fixture_units(), "").await;
        let t = tile_at(IN_GRID_A.0, IN_GRID_A.1, 14);
        let points = report_path("reports", t, "");
        let heat = report_path("report_heat", t, "");
        let first = file_report(&app, "noise", IN_GRID_A).await;
        let near = (IN_GRID_A.0 + 0.00001, IN_GRID_A.1);
        file_report(&app, "noise", near).await;
        assert_eq!(features_as(&app, &app.admin_token, &points).await.len(), 2);
        assert!(
            features_as(&app, &app.admin_token, &heat).await.is_empty(),
            "2 < k"
        );

        let third = file_report(&app, "noise", near).await;
        assert_eq!(features_as(&app, &app.admin_token, &points).await.len(), 3);
        let cells = features_as(&app, &app.admin_token, &heat).await;
        assert_eq!(cells.len(), 1);
        assert_eq!(cells[0].properties["count"], 3);
        let before = etag_of(&app, &heat).await;
        let key = TileKey {
            source: 2,
            tile: t,
            crs: Crs::Wgs84,
        };
        assert!(
            app.state.tiles.cache().contains(&key),
            "heat tiles are cached"
        );

        file_report(&app, "sanitation", near).await;
        assert!(
            !app.state.tiles.cache().contains(&key),
            "intake evicts the tile"
        );
        let res = fetch(&app, &heat, &[("if-none-match", &before)]).await;
        assert_eq!(res.status(), 200, "never the stale tile");
        let cells = features_as(&app, &app.admin_token, &heat).await;
        assert_eq!(cells[0].properties["count"], 4);

        let (s, b) = app
            .post_as(
                &app.admin_token,
                &format!(
                    "/api/v1/reports/{}/transitions",
                    third["id"].as_str().unwrap()
                ),
                &json!({"to": "merged", "merged_into": first["id"]}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        let cells = features_as(&app, &app.admin_token, &heat).await;
        assert_eq!(
            cells[0].properties["count"], 3,
            "merged reports are not open"
        );
        let shown = features_as(&app, &app.admin_token, &points).await;
        let merged = shown
            .iter()
            .find(|f| f.properties["id"] == third["id"])
            .unwrap();
        assert_eq!(merged.properties["state"], "merged");
        app.stop().await;
    }
);

store_test!(
    heat_cells_hold_at_least_k_reports_and_count_every_report_in_them,
    |app: TestApp| async move {
        app.import(&fixture_units(), "").await;
        // Three reports in one spot, two in another, one alone.
        let spots = [(118.05, 24.05, 3), (118.07, 24.07, 2), (118.02, 24.12, 1)];
        for (lon, lat, n) in spots {
            for _ in 0..n {
                file_report(&app, "noise", (lon, lat)).await;
            }
        }
        for z in [10u8, 12, 14] {
            let t = tile_at(118.05, 24.05, z);
            let cells =
                features_as(&app, &app.admin_token, &report_path("report_heat", t, "")).await;
            let resolution = wangge::maps::reports::heat_resolution(z);
            for f in &cells {
                assert_eq!(f.kind, 3, "polygons");
                assert!(f.properties["count"].as_u64().unwrap() >= 3);
                let keys = sorted(f.properties.keys().cloned().collect());
                assert_eq!(keys, ["count", "h3"]);
            }
            let total: u64 = cells
                .iter()
                .map(|f| f.properties["count"].as_u64().unwrap())
                .sum();
            // Every report whose cell is shown is counted in it.
            let in_shown: u64 = spots
                .iter()
                .filter(|(lon, lat, _)| {
                    let cell = wangge::maps::reports::cell_of(
                        Wgs84 {
                            lon: *lon,
                            lat: *lat,
                        },
                        resolution,
                    )
                    .unwrap()
                    .to_string();
                    cells.iter().any(|f| f.properties["h3"] == cell.as_str())
                })
                .map(|(_, _, n)| *n as u64)
                .sum();
            assert_eq!(total, in_shown, "z{z}");
            assert!(total >= 3, "z{z}: the spot of three is shown");
            if z == 14 {
                assert_eq!(cells.len(), 1, "z14: only the spot of three");
            }
        }
        let (s, doc) = app.get("/tiles/report_heat.json").await;
        assert_eq!(s, 200, "{doc}");
        assert_eq!(
            doc["vector_layers"][0]["fields"],
            json!({"h3": "String", "count": "Number"})
        );
        app.stop().await;
    }
);

fn facilities_path(t: TileCoord) -> String {
    format!("/tiles/facilities/{}/{}/{}.mvt", t.z(), t.x(), t.y())
}

/// The features of category layer `name` in a public `facilities` tile (empty layers are left
/// out of tiles).
async fn facility_features(app: &TestApp, t: TileCoord, name: &str) -> Vec<mvt::Feature> {
    let res = fetch(app, &facilities_path(t), &[]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], MVT);
    let layers = mvt::decode(&res.bytes().await.unwrap());
    layers
        .into_iter()
        .find(|l| l.name == name)
        .map(|l| l.features)
        .unwrap_or_default()
}

store_test!(
    facilities_layer_draws_each_category_and_follows_every_write,
    |app: TestApp| async move {
        app.import(&fixture_units(), "").await;
        let (s, doc) = app.get("/tiles/facilities.json").await;
        assert_eq!(s, 200, "{doc}");
        let layer_ids: Vec<&str> = doc["vector_layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_str().unwrap())
            .collect();
        assert_eq!(layer_ids.len(), 10, "one layer per element: {layer_ids:?}");
        assert!(layer_ids.contains(&"medical") && layer_ids.contains(&"dining"));
        assert_eq!(doc["minzoom"], 12);

        let (lon, lat) = (118.0512, 24.0487);
        let here = tile_at(lon, lat, 16);
        let there = tile_at(118.25, 24.35, 16);
        // Cached while empty: the write must drop it.
        assert!(facility_features(&app, here, "medical").await.is_empty());
        let body = json!({"category": "medical", "kind": "health_station", "name": "鸿山卫生站",
            "lon": lon, "lat": lat, "address": "思明路1号", "opening_hours": "08:00-17:30",
            "contact": "0592-2000000"});
        let (s, created) = app
            .post_as(&app.admin_token, "/api/v1/facilities", &body)
            .await;
        assert_eq!(s, 201, "{created}");
        let id = created["id"].as_u64().unwrap();

        let found = facility_features(&app, here, "medical").await;
        assert_eq!(found.len(), 1);
        let f = &found[0];
        assert_eq!(f.id, Some(id));
        assert_eq!(f.properties["name"], "鸿山卫生站");
        assert_eq!(f.properties["element"], "医");
        assert_eq!(f.properties["kind"], "health_station");
        assert_eq!(f.properties["opening_hours"], "08:00-17:30");
        assert!(f.properties.get("contact").is_none(), "{:?}", f.properties);
        let want = TileFrame::new(here, 4096).lon_lat_to_grid(LonLat::new(lon, lat));
        assert_eq!(mvt::point(f), (i64::from(want.x), i64::from(want.y)));
        assert!(facility_features(&app, here, "dining").await.is_empty());

        let mut moved = body.clone();
        moved["lon"] = json!(118.25);
        moved["lat"] = json!(24.35);
        moved["version"] = json!(1);
        let path = format!("/api/v1/facilities/{id}");
        let token = app.admin_token.clone();
        let (s, _, b) = app
            .send(
                reqwest::Method::PUT,
                &path,
                Auth::Bearer(&token),
                Some(&moved),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        assert!(facility_features(&app, here, "medical").await.is_empty());
        assert_eq!(facility_features(&app, there, "medical").await.len(), 1);

        let (s, _, b) = app
            .send(reqwest::Method::DELETE, &path, Auth::Bearer(&token), None)
            .await;
        assert_eq!(s, 200, "{b}");
        assert!(facility_features(&app, there, "medical").await.is_empty());
        app.stop().await;
    }
);
