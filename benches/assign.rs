//! In-process assignment on the demo data (criterion), and the same points assigned by PostGIS with
//! one set-based `ST_Covers` join over a GiST index, timed in the same run; prints the ratio.
//!
//! cargo bench --bench assign            (PostGIS baseline when WANGGE_BENCH_DATABASE_URL is set)

mod demo;

use std::time::{Duration, Instant};

use criterion::{black_box, Criterion, Throughput};
use wangge::spatial::Snapshot;

const POINTS: usize = 200_000;

/// Deterministic points over the district's bounding box (xorshift, no extra dependency).
fn points(snap: &Snapshot, n: usize) -> Vec<(f64, f64)> {
    let b = snap
        .units()
        .iter()
        .fold(wangge::spatial::Bbox::EMPTY, |acc, u| {
            acc.union(&wangge::spatial::Bbox::of(&u.geometry))
        });
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            (
                b.min_x + next() * (b.max_x - b.min_x),
                b.min_y + next() * (b.max_y - b.min_y),
            )
        })
        .collect()
}

fn in_process_rate(snap: &Snapshot, pts: &[(f64, f64)]) -> f64 {
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        for &(x, y) in pts {
            black_box(snap.assign(black_box(x), black_box(y)));
        }
        best = best.min(t.elapsed());
    }
    pts.len() as f64 / best.as_secs_f64()
}

async fn postgis_rate(url: &str, snap: &Snapshot, pts: &[(f64, f64)]) -> anyhow::Result<f64> {
    use sqlx::Connection;
    let mut db = sqlx::PgConnection::connect(url).await?;
    sqlx::query("CREATE EXTENSION IF NOT EXISTS postgis")
        .execute(&mut db)
        .await?;
    sqlx::query("DROP TABLE IF EXISTS bench_leaves, bench_points")
        .execute(&mut db)
        .await?;
    sqlx::query("CREATE TABLE bench_leaves (code text, geom geometry(MultiPolygon, 4326))")
        .execute(&mut db)
        .await?;
    let leaves: Vec<&wangge::units::Unit> = snap
        .units()
        .iter()
        .filter(|u| {
            snap.children_of(snap.index_of(&u.code).unwrap_or(0))
                .is_empty()
        })
        .collect();
    for chunk in leaves.chunks(500) {
        let codes: Vec<String> = chunk.iter().map(|u| u.code.to_string()).collect();
        let geoms: Vec<String> = chunk
            .iter()
            .map(|u| {
                serde_json::to_string(&geojson::Geometry::new(geojson::GeometryValue::from(
                    &u.geometry,
                )))
                .unwrap_or_default()
            })
            .collect();
        sqlx::query(
            "INSERT INTO bench_leaves SELECT c, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(g), 4326)) FROM unnest($1::text[], $2::text[]) AS t(c, g)",
        )
        .bind(&codes)
        .bind(&geoms)
        .execute(&mut db)
        .await?;
    }
    let xs: Vec<f64> = pts.iter().map(|p| p.0).collect();
    let ys: Vec<f64> = pts.iter().map(|p| p.1).collect();
    sqlx::query("CREATE TABLE bench_points AS SELECT ordinality AS id, ST_SetSRID(ST_MakePoint(x, y), 4326) AS geom FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS t(x, y)")
        .bind(&xs)
        .bind(&ys)
        .execute(&mut db)
        .await?;
    sqlx::query("CREATE INDEX ON bench_leaves USING gist (geom)")
        .execute(&mut db)
        .await?;
    sqlx::query("ANALYZE bench_leaves").execute(&mut db).await?;
    sqlx::query("ANALYZE bench_points").execute(&mut db).await?;
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM (SELECT p.id, min(l.code) FROM bench_points p JOIN bench_leaves l ON ST_Covers(l.geom, p.geom) GROUP BY p.id) a",
        )
        .fetch_one(&mut db)
        .await?;
        best = best.min(t.elapsed());
        black_box(n);
    }
    sqlx::query("DROP TABLE bench_leaves, bench_points")
        .execute(&mut db)
        .await?;
    Ok(pts.len() as f64 / best.as_secs_f64())
}

fn main() {
    let snap = demo::snapshot();
    let pts = points(&snap, POINTS);

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("assign");
    group.throughput(Throughput::Elements(pts.len() as u64));
    group.sample_size(20);
    group.bench_function("demo_random_points", |b| {
        b.iter(|| {
            for &(x, y) in &pts {
                black_box(snap.assign(black_box(x), black_box(y)));
            }
        })
    });
    group.finish();

    let ours = in_process_rate(&snap, &pts);
    let inside: Vec<(f64, f64)> = pts
        .iter()
        .copied()
        .filter(|&(x, y)| snap.assign(x, y).matched == wangge::spatial::Match::Inside)
        .collect();
    println!(
        "in-process assignment: {:.2} M points/s on one core ({} points over the district's bounding box, {} of them inside a unit)",
        ours / 1e6,
        pts.len(),
        inside.len()
    );
    let ours_inside = in_process_rate(&snap, &inside);
    println!(
        "in-process assignment, points inside units only: {:.2} M points/s on one core",
        ours_inside / 1e6
    );
    match std::env::var("WANGGE_BENCH_DATABASE_URL") {
        Ok(url) => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            for (label, set, rate) in [
                ("bounding-box points", &pts, ours),
                ("points inside units", &inside, ours_inside),
            ] {
                match rt.block_on(postgis_rate(&url, &snap, set)) {
                    Ok(pg) => println!(
                        "PostGIS ST_Covers join (GiST), {label}: {:.3} M points/s; ratio ours/PostGIS = {:.0}x",
                        pg / 1e6,
                        rate / pg
                    ),
                    Err(e) => println!("PostGIS baseline failed: {e}"),
                }
            }
        }
        Err(_) => println!("WANGGE_BENCH_DATABASE_URL not set: no PostGIS baseline"),
    }
    c.final_summary();
}
