//! The contract every `Store` keeps, run against the embedded GeoPackage store always and against
//! PostGIS when `WANGGE_TEST_DATABASE_URL` names a server (each test then gets its own database,
//! created and dropped here). With `CI=true` and no such URL, the PostGIS tests fail instead of
//! skipping.
//!
//! ```sh
//! export WANGGE_TEST_DATABASE_URL="$(scripts/postgis.sh)"
//! cargo test --test store_contract
//! ```

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use futures::FutureExt;
use geo::{polygon, MultiPolygon};
use sqlx::{Connection, Executor, Row};

use wangge::auth::AuditContext;
use wangge::store::postgres::PostgresStore;
use wangge::store::sqlite::SqliteStore;
use wangge::store::{gpkg, ImportOutcome, Store, StoreError};
use wangge::units::{Unit, UnitCode};

// ---------------------------------------------------------------------------------------------
// Harness

async fn on_sqlite<F, Fut>(test: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = SqliteStore::open(dir.path().join("wangge.gpkg"))
        .await
        .expect("open the embedded store");
    test(Arc::new(store)).await;
}

/// The PostGIS server to test against, or `None` to skip (outside CI only).
fn postgres_server() -> Option<String> {
    match std::env::var("WANGGE_TEST_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_owned()),
        _ if std::env::var("CI").as_deref() == Ok("true") => panic!(
            "CI=true but WANGGE_TEST_DATABASE_URL is not set: \
             run `export WANGGE_TEST_DATABASE_URL=\"$(scripts/postgis.sh)\"` first"
        ),
        _ => {
            eprintln!("skipping PostGIS contract test: WANGGE_TEST_DATABASE_URL is not set");
            None
        }
    }
}

/// `url` with its database name replaced by `database` (query parameters kept).
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{}", &base[..path_start], database);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

fn fresh_database_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "wangge_t_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// Runs `test` on a PostgresStore over a database of its own, dropped afterwards even when the
/// test panics.
async fn on_postgres_store<F, Fut>(test: F)
where
    F: FnOnce(PostgresStore) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(server) = postgres_server() else {
        return;
    };
    let name = fresh_database_name();
    let mut admin = sqlx::PgConnection::connect(&server)
        .await
        .unwrap_or_else(|e| panic!("connect to {server}: {e}"));
    // Identifiers cannot be bound; `name` is generated above from digits and a fixed prefix.
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create the test database");
    let url = with_database(&server, &name);
    let outcome = AssertUnwindSafe(async {
        let mut conn = sqlx::PgConnection::connect(&url)
            .await
            .expect("connect to the test database");
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            .await
            .expect("create the postgis extension");
        conn.close().await.expect("close");
        let store = PostgresStore::connect(&url)
            .await
            .expect("open the PostGIS store");
        test(store.clone()).await;
        store.close().await;
    })
    .catch_unwind()
    .await;
    admin
        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
        .await
        .expect("drop the test database");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn on_postgres<F, Fut>(test: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()>,
{
    on_postgres_store(|store| test(Arc::new(store))).await;
}

/// One test per store for each contract function.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::on_sqlite(super::$name).await;
                }
            )*
        }
        mod postgis {
            $(
                #[tokio::test]
                async fn $name() {
                    super::on_postgres(super::$name).await;
                }
            )*
        }
    };
}

contract!(
    created_units_are_current_at_version_1_ordered_by_code,
    identical_reimport_changes_nothing,
    changed_geometry_closes_the_open_row_and_adds_version_2,
    changed_name_parent_or_attributes_each_make_a_new_version,
    import_with_a_failing_unit_writes_nothing,
    duplicate_code_in_one_import_writes_nothing,
    units_at_sees_only_what_was_valid_then,
    geometry_with_holes_and_several_parts_comes_back_exactly,
    ping_and_kind_answer,
);

// ---------------------------------------------------------------------------------------------
// Fixtures

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, day, hour, 0, 0)
        .single()
        .expect("valid time")
}

fn code(s: &str) -> UnitCode {
    UnitCode::parse(s).expect("valid code")
}

/// Sizes and corners in the tests are binary fractions, so extents compare exactly.
fn square(x: f64, y: f64, size: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![polygon![
        (x: x, y: y),
        (x: x + size, y: y),
        (x: x + size, y: y + size),
        (x: x, y: y + size),
    ]])
}

fn unit(c: &str, name: &str, geometry: MultiPolygon<f64>) -> Unit {
    let code = code(c);
    let mut attributes = serde_json::Map::new();
    attributes.insert("source".into(), serde_json::json!("contract test"));
    attributes.insert("staff".into(), serde_json::json!(["王芳", 3, 0.25]));
    Unit {
        level: code.level(),
        parent: code.parent(),
        code,
        name: name.to_owned(),
        geometry,
        version: 0,
        valid_from: DateTime::<Utc>::UNIX_EPOCH,
        valid_to: None,
        attributes,
    }
}

fn district() -> Unit {
    unit("350203", "思明区", square(118.0, 24.375, 0.25))
}

fn street() -> Unit {
    unit("350203001", "厦港街道", square(118.0625, 24.4375, 0.0625))
}

fn micro_grid() -> Unit {
    unit(
        "35020300100100703",
        "微网格 3",
        square(118.0703125, 24.4453125, 0.0009765625),
    )
}

fn codes(list: &[&str]) -> Vec<UnitCode> {
    list.iter().map(|c| code(c)).collect()
}

/// The fields an import writes as given; version and validity are the store's.
fn assert_same_content(stored: &Unit, given: &Unit) {
    assert_eq!(stored.code, given.code);
    assert_eq!(stored.name, given.name);
    assert_eq!(stored.level, given.level);
    assert_eq!(stored.parent, given.parent);
    assert_eq!(
        stored.geometry, given.geometry,
        "geometry of {}",
        given.code
    );
    assert_eq!(stored.attributes, given.attributes);
}

// ---------------------------------------------------------------------------------------------
// The contract

async fn created_units_are_current_at_version_1_ordered_by_code(store: Arc<dyn Store>) {
    assert!(store.current_units().await.unwrap().is_empty());
    let given = [micro_grid(), district(), street()];
    let outcome = store
        .import_units(&given, &AuditContext::system("tester"), t(1, 8))
        .await
        .unwrap();
    assert_eq!(
        outcome,
        ImportOutcome {
            created: codes(&["35020300100100703", "350203", "350203001"]),
            updated: vec![],
            unchanged: vec![],
        }
    );

    let current = store.current_units().await.unwrap();
    let order: Vec<&str> = current.iter().map(|u| u.code.as_str()).collect();
    assert_eq!(order, ["350203", "350203001", "35020300100100703"]);
    for (stored, given) in current.iter().zip([district(), street(), micro_grid()]) {
        assert_same_content(stored, &given);
        assert_eq!(stored.version, 1);
        assert_eq!(stored.valid_from, t(1, 8));
        assert_eq!(stored.valid_to, None);
    }
}

async fn identical_reimport_changes_nothing(store: Arc<dyn Store>) {
    let given = [district(), street()];
    store
        .import_units(&given, &AuditContext::system("tester"), t(1, 8))
        .await
        .unwrap();
    let outcome = store
        .import_units(&given, &AuditContext::system("tester"), t(2, 8))
        .await
        .unwrap();
    assert_eq!(
        outcome,
        ImportOutcome {
            created: vec![],
            updated: vec![],
            unchanged: codes(&["350203", "350203001"]),
        }
    );
    let history = store.unit_history(&code("350203")).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].valid_from, t(1, 8));
    assert_eq!(history[0].valid_to, None);
}

async fn changed_geometry_closes_the_open_row_and_adds_version_2(store: Arc<dyn Store>) {
    let before = street();
    store
        .import_units(
            &[district(), before.clone()],
            &AuditContext::system("tester"),
            t(1, 8),
        )
        .await
        .unwrap();
    let mut after = street();
    after.geometry = square(118.05, 24.42, 0.06);
    let outcome = store
        .import_units(
            &[district(), after.clone()],
            &AuditContext::system("editor"),
            t(3, 8),
        )
        .await
        .unwrap();
    assert_eq!(outcome.updated, codes(&["350203001"]));
    assert_eq!(outcome.unchanged, codes(&["350203"]));
    assert!(outcome.created.is_empty());

    let history = store.unit_history(&code("350203001")).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].version, 1);
    assert_eq!(history[0].valid_from, t(1, 8));
    assert_eq!(history[0].valid_to, Some(t(3, 8)));
    assert_eq!(history[0].geometry, before.geometry);
    assert_eq!(history[1].version, 2);
    assert_eq!(history[1].valid_from, t(3, 8));
    assert_eq!(history[1].valid_to, None);
    assert_eq!(history[1].geometry, after.geometry);

    let then = store.units_at(t(2, 8)).await.unwrap();
    assert_eq!(then.len(), 2);
    assert_same_content(&then[1], &before);
    assert_eq!(then[1].version, 1);

    let current = store.current_units().await.unwrap();
    assert_same_content(&current[1], &after);
    assert_eq!(current[1].version, 2);
}

async fn changed_name_parent_or_attributes_each_make_a_new_version(store: Arc<dyn Store>) {
    store
        .import_units(
            &[district(), street()],
            &AuditContext::system("tester"),
            t(1, 8),
        )
        .await
        .unwrap();

    let mut renamed = street();
    renamed.name = "厦港街道（新）".into();
    let outcome = store
        .import_units(&[renamed.clone()], &AuditContext::system("tester"), t(2, 8))
        .await
        .unwrap();
    assert_eq!(outcome.updated, codes(&["350203001"]));

    let mut annotated = renamed.clone();
    annotated
        .attributes
        .insert("phone".into(), serde_json::json!("0592-1234567"));
    let outcome = store
        .import_units(
            &[annotated.clone()],
            &AuditContext::system("tester"),
            t(3, 8),
        )
        .await
        .unwrap();
    assert_eq!(outcome.updated, codes(&["350203001"]));

    let mut orphaned = annotated.clone();
    orphaned.parent = None;
    let outcome = store
        .import_units(
            &[orphaned.clone()],
            &AuditContext::system("tester"),
            t(4, 8),
        )
        .await
        .unwrap();
    assert_eq!(outcome.updated, codes(&["350203001"]));

    let history = store.unit_history(&code("350203001")).await.unwrap();
    let versions: Vec<i64> = history.iter().map(|u| u.version).collect();
    assert_eq!(versions, [1, 2, 3, 4]);
    assert_eq!(history[1].name, renamed.name);
    assert_eq!(history[2].attributes, annotated.attributes);
    assert_eq!(history[3].parent, None);
    assert!(history[..3].iter().all(|u| u.valid_to.is_some()));
    assert_eq!(history[3].valid_to, None);
    // The district was not part of these imports and stays at version 1.
    assert_eq!(store.unit_history(&code("350203")).await.unwrap().len(), 1);
}

async fn import_with_a_failing_unit_writes_nothing(store: Arc<dyn Store>) {
    store
        .import_units(&[district()], &AuditContext::system("tester"), t(1, 8))
        .await
        .unwrap();

    let mut moved = district();
    moved.geometry = square(118.0, 24.4, 0.3);
    // Passes through the type system but breaks the table's check (a unit has a name).
    let mut nameless = street();
    nameless.name = String::new();
    let err = store
        .import_units(
            &[moved, nameless, micro_grid()],
            &AuditContext::system("tester"),
            t(2, 8),
        )
        .await;
    match err {
        Err(StoreError::Database(sqlx::Error::Database(e))) => assert!(
            e.is_check_violation(),
            "expected the table's name check to fail, got {e}"
        ),
        other => panic!("import with a nameless unit must fail in the database, got {other:?}"),
    }

    let current = store.current_units().await.unwrap();
    assert_eq!(current.len(), 1);
    assert_same_content(&current[0], &district());
    let history = store.unit_history(&code("350203")).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].valid_to, None);
    assert!(store
        .unit_history(&code("35020300100100703"))
        .await
        .unwrap()
        .is_empty());
}

async fn duplicate_code_in_one_import_writes_nothing(store: Arc<dyn Store>) {
    let mut again = street();
    again.name = "又一个".into();
    let err = store
        .import_units(
            &[district(), street(), again],
            &AuditContext::system("tester"),
            t(1, 8),
        )
        .await;
    match err {
        Err(e) => assert!(e.to_string().contains("350203001"), "{e}"),
        Ok(outcome) => panic!("a code twice in one import must fail, got {outcome:?}"),
    }
    assert!(store.current_units().await.unwrap().is_empty());
}

async fn units_at_sees_only_what_was_valid_then(store: Arc<dyn Store>) {
    store
        .import_units(&[district()], &AuditContext::system("tester"), t(1, 8))
        .await
        .unwrap();
    store
        .import_units(
            &[district(), street()],
            &AuditContext::system("tester"),
            t(5, 8),
        )
        .await
        .unwrap();

    assert!(store.units_at(t(1, 7)).await.unwrap().is_empty());
    let first: Vec<String> = store
        .units_at(t(1, 8))
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.code.to_string())
        .collect();
    assert_eq!(first, ["350203"]);
    let later: Vec<String> = store
        .units_at(t(5, 8))
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.code.to_string())
        .collect();
    assert_eq!(later, ["350203", "350203001"]);
    // Just before a change the old row is valid, at the change the new one (half-open interval).
    let mut renamed = district();
    renamed.name = "思明".into();
    store
        .import_units(&[renamed], &AuditContext::system("tester"), t(6, 8))
        .await
        .unwrap();
    let just_before = store
        .units_at(t(6, 8) - Duration::microseconds(1))
        .await
        .unwrap();
    assert_eq!(just_before[0].name, "思明区");
    assert_eq!(store.units_at(t(6, 8)).await.unwrap()[0].name, "思明");
    assert!(store
        .unit_history(&code("350206"))
        .await
        .unwrap()
        .is_empty());
}

async fn geometry_with_holes_and_several_parts_comes_back_exactly(store: Arc<dyn Store>) {
    let mut island = district();
    island.geometry = MultiPolygon(vec![
        polygon!(
            exterior: [
                (x: 118.0, y: 24.4),
                (x: 118.2, y: 24.4),
                (x: 118.2, y: 24.6),
                (x: 118.0, y: 24.6),
            ],
            interiors: [[
                (x: 118.05, y: 24.45),
                (x: 118.05, y: 24.5),
                (x: 118.1, y: 24.5),
                (x: 118.1, y: 24.45),
            ]],
        ),
        polygon![
            (x: 118.0 + std::f64::consts::FRAC_1_SQRT_2 / 10.0, y: 24.3),
            (x: 118.3, y: 24.3),
            (x: 118.3, y: 24.3 + std::f64::consts::PI / 100.0),
        ],
    ]);
    store
        .import_units(&[island.clone()], &AuditContext::system("tester"), t(1, 8))
        .await
        .unwrap();
    let current = store.current_units().await.unwrap();
    assert_eq!(current[0].geometry, island.geometry);
    let again = store
        .import_units(&[island], &AuditContext::system("tester"), t(2, 8))
        .await
        .unwrap();
    assert_eq!(again.unchanged, codes(&["350203"]));
}

async fn ping_and_kind_answer(store: Arc<dyn Store>) {
    store.ping().await.unwrap();
    assert!(["sqlite", "postgres"].contains(&store.kind()));
}

// ---------------------------------------------------------------------------------------------
// Store-specific checks

#[tokio::test]
async fn sqlite_file_is_a_geopackage_with_units_registered() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wangge.gpkg");
    let store = SqliteStore::open(&path).await.unwrap();
    store
        .import_units(
            &[district(), micro_grid()],
            &AuditContext::system("tester"),
            t(1, 8),
        )
        .await
        .unwrap();
    store.close().await;
    // Opening again must migrate nothing and keep the data.
    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(store.current_units().await.unwrap().len(), 2);
    store.close().await;

    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let application_id: i64 = sqlx::query_scalar("PRAGMA application_id")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(application_id, 0x4750_4B47, "'GPKG'");
    let user_version: i64 = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(user_version, 10400);
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(journal, "wal");
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(integrity, "ok");
    let fk_violations = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert!(fk_violations.is_empty());

    let srs: Vec<i64> = sqlx::query_scalar(
        "SELECT srs_id FROM gpkg_spatial_ref_sys WHERE srs_id IN (4326, -1, 0) ORDER BY srs_id",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(srs, [-1, 0, 4326]);
    let org: (String, i64) = sqlx::query_as(
        "SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys \
         WHERE srs_id = 4326",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(org, ("EPSG".to_owned(), 4326));

    let contents = sqlx::query(
        "SELECT data_type, srs_id, min_x, min_y, max_x, max_y, last_change FROM gpkg_contents \
         WHERE table_name = 'units'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(contents.get::<String, _>("data_type"), "features");
    assert_eq!(contents.get::<i64, _>("srs_id"), 4326);
    let bounds: [f64; 4] = [
        contents.get("min_x"),
        contents.get("min_y"),
        contents.get("max_x"),
        contents.get("max_y"),
    ];
    assert_eq!(bounds, [118.0, 24.375, 118.25, 24.625]);
    assert_eq!(
        contents.get::<String, _>("last_change"),
        "2024-05-01T08:00:00.000Z"
    );

    let columns: (String, String, i64, i64, i64) = sqlx::query_as(
        "SELECT column_name, geometry_type_name, srs_id, z, m FROM gpkg_geometry_columns \
         WHERE table_name = 'units'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        columns,
        ("geom".to_owned(), "MULTIPOLYGON".to_owned(), 4326, 0, 0)
    );

    let geom_type: String =
        sqlx::query_scalar("SELECT type FROM pragma_table_info('units') WHERE name = 'geom'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(geom_type, "MULTIPOLYGON");
    let fid_pk: i64 =
        sqlx::query_scalar("SELECT pk FROM pragma_table_info('units') WHERE name = 'fid'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(fid_pk, 1);

    let rows = sqlx::query("SELECT code, level, geom, valid_from FROM units ORDER BY code")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    let micro = &rows[1];
    assert_eq!(micro.get::<String, _>("level"), "micro_grid");
    assert_eq!(
        micro.get::<String, _>("valid_from"),
        "2024-05-01T08:00:00.000000Z"
    );
    let blob: Vec<u8> = micro.get("geom");
    assert_eq!(&blob[..2], b"GP");
    let decoded = gpkg::decode(&blob).unwrap();
    assert_eq!(decoded.srs_id, 4326);
    assert_eq!(decoded.geometry, micro_grid().geometry);
}

#[tokio::test]
async fn sqlite_contents_extent_grows_with_imports() {
    on_sqlite_store(|store| async move {
        store
            .import_units(&[street()], &AuditContext::system("tester"), t(1, 8))
            .await
            .unwrap();
        store
            .import_units(&[district()], &AuditContext::system("tester"), t(2, 8))
            .await
            .unwrap();
        let bounds: (f64, f64, f64, f64) = sqlx::query_as(
            "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = 'units'",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(bounds, (118.0, 24.375, 118.25, 24.625));
    })
    .await;
}

async fn on_sqlite_store<F, Fut>(test: F)
where
    F: FnOnce(SqliteStore) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = SqliteStore::open(dir.path().join("wangge.gpkg"))
        .await
        .expect("open the embedded store");
    test(store).await;
}

#[tokio::test]
async fn postgis_schema_has_typed_geometry_and_gist_index() {
    on_postgres_store(|store| async move {
        store
            .import_units(
                &[district(), micro_grid()],
                &AuditContext::system("tester"),
                t(1, 8),
            )
            .await
            .unwrap();
        let typ: (String, i32) = sqlx::query_as(
            "SELECT type, srid FROM geometry_columns \
             WHERE f_table_name = 'units' AND f_geometry_column = 'geom'",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(typ, ("MULTIPOLYGON".to_owned(), 4326));
        let gist: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_indexes WHERE tablename = 'units' \
             AND indexdef ILIKE '%USING gist (geom)%'",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(gist, 1);
        let levels: Vec<String> = sqlx::query_scalar("SELECT level FROM units ORDER BY code")
            .fetch_all(store.pool())
            .await
            .unwrap();
        assert_eq!(levels, ["district", "micro_grid"]);
        let (author, attrs_type): (String, String) = sqlx::query_as(
            "SELECT author, jsonb_typeof(attributes) FROM units WHERE code = '350203'",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!((author.as_str(), attrs_type.as_str()), ("tester", "object"));
    })
    .await;
}

#[test]
fn database_name_is_replaced_in_urls() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:54329/wangge_test", "x"),
        "postgres://postgres@127.0.0.1:54329/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(
        with_database("postgres://h:5432", "x"),
        "postgres://h:5432/x"
    );
}

#[test]
fn postgis_tests_fail_in_ci_without_a_server_and_skip_elsewhere() {
    let run = |ci: Option<&str>| {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap());
        child
            .args([
                "postgis::ping_and_kind_answer",
                "--exact",
                "--test-threads=1",
            ])
            .env_remove("WANGGE_TEST_DATABASE_URL")
            .env_remove("CI");
        if let Some(ci) = ci {
            child.env("CI", ci);
        }
        child.output().unwrap()
    };
    let in_ci = run(Some("true"));
    assert!(!in_ci.status.success(), "must fail under CI=true");
    assert!(String::from_utf8_lossy(&in_ci.stdout).contains("WANGGE_TEST_DATABASE_URL is not set"));
    let elsewhere = run(None);
    assert!(elsewhere.status.success(), "must skip outside CI");
}
