//! Uncached `units` tiles over the demo district at z12–z16, rendered in-process from the
//! snapshot (criterion), and the same tiles produced by PostGIS with `ST_AsMVT(ST_AsMVTGeom(...))`
//! over a GiST index, timed in the same run; prints the throughput ratio.
//!
//! cargo bench --bench tiles            (PostGIS baseline when WANGGE_BENCH_DATABASE_URL is set)
//!
//! Both sides make the same tiles: one MVT layer per level shown at the zoom (district from 8,
//! street 11, community 13, grid 14, micro-grid 16) with code, name, level, parent, version and
//! children, plus `unit_labels`; extent 4096, buffer 64. PostGIS gets every advantage: geometries
//! stored already projected to EPSG:3857, label points and child counts precomputed.

mod demo;

use std::time::{Duration, Instant};

use criterion::{black_box, Criterion, Throughput};
use wangge::maps::tiles::render_tile;
use wangge::maps::{LevelZooms, UnitLayers};
use wangge::spatial::{Bbox, Crs, Snapshot};
use wangge::units::Level;
use wangge_tiles::{LonLatBounds, TileCoord, TileOptions, TileRange};

/// Every tile at z12–z16 that the district's bounding box touches.
fn demo_tiles(snap: &Snapshot) -> Vec<TileCoord> {
    let b = snap
        .units()
        .iter()
        .fold(Bbox::EMPTY, |acc, u| acc.union(&Bbox::of(&u.geometry)));
    let bounds = LonLatBounds::new(b.min_x, b.min_y, b.max_x, b.max_y);
    (12..=16)
        .flat_map(|z| {
            TileRange::covering(bounds, z)
                .expect("zoom")
                .iter()
                .collect::<Vec<_>>()
        })
        .collect()
}

fn render_all(layers: &UnitLayers, snap: &Snapshot, tiles: &[TileCoord]) -> usize {
    tiles
        .iter()
        .map(|&t| render_tile(layers, t, Crs::Wgs84, snap, TileOptions::default()).len())
        .sum()
}

/// Seconds per pass over `tiles`, best of `runs`, and the bytes written.
fn in_process(
    layers: &UnitLayers,
    snap: &Snapshot,
    tiles: &[TileCoord],
    runs: usize,
) -> (f64, usize) {
    let mut best = Duration::MAX;
    let mut bytes = 0;
    for _ in 0..runs {
        let t = Instant::now();
        bytes = black_box(render_all(layers, snap, tiles));
        best = best.min(t.elapsed());
    }
    (best.as_secs_f64(), bytes)
}

/// The SQL for one tile ($1 = z, $2 = x, $3 = y): a subquery per MVT layer, concatenated.
fn tile_sql() -> String {
    let zooms = LevelZooms::default();
    let columns = "u.id, u.code, u.name, u.level, u.parent, u.version, u.children";
    let mut parts: Vec<String> = Level::ALL
        .iter()
        .map(|level| {
            let name = level.as_str();
            let min_zoom = zooms.min_zoom(*level);
            format!(
                "COALESCE((SELECT ST_AsMVT(q, '{name}', 4096, 'geom', 'id') FROM (\
                   SELECT {columns}, ST_AsMVTGeom(u.geom, t.env, 4096, 64, true) AS geom \
                   FROM bench_tile_units u, t \
                   WHERE $1 >= {min_zoom} AND u.level = '{name}' AND u.geom && t.buf) q), ''::bytea)"
            )
        })
        .collect();
    parts.push(format!(
        "COALESCE((SELECT ST_AsMVT(q, 'unit_labels', 4096, 'geom', 'id') FROM (\
           SELECT {columns}, ST_AsMVTGeom(u.label, t.env, 4096, 64, true) AS geom \
           FROM bench_tile_units u, t \
           WHERE u.min_zoom <= $1 AND u.label && t.buf) q), ''::bytea)"
    ));
    format!(
        "WITH t AS (SELECT ST_TileEnvelope($1, $2, $3) AS env, \
                           ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096) AS buf) \
         SELECT {} FROM t",
        parts.join(" || ")
    )
}

/// Loads the snapshot's units into PostGIS (EPSG:3857, GiST), then times every tile one after
/// the other on one connection: seconds per pass (best of `runs`) and bytes.
async fn postgis(
    url: &str,
    snap: &Snapshot,
    tiles: &[TileCoord],
    runs: usize,
) -> anyhow::Result<(f64, usize, Vec<(u8, f64)>)> {
    use sqlx::Connection;
    let mut db = sqlx::PgConnection::connect(url).await?;
    sqlx::query("CREATE EXTENSION IF NOT EXISTS postgis")
        .execute(&mut db)
        .await?;
    sqlx::query("DROP TABLE IF EXISTS bench_tile_units")
        .execute(&mut db)
        .await?;
    sqlx::query(
        "CREATE TABLE bench_tile_units (id bigint, code text, name text, level text, parent text, \
         version bigint, children bigint, min_zoom int, geom geometry(MultiPolygon, 3857), \
         label geometry(Point, 3857))",
    )
    .execute(&mut db)
    .await?;
    let zooms = LevelZooms::default();
    let all: Vec<u32> = (0..snap.len() as u32).collect();
    for chunk in all.chunks(500) {
        let units: Vec<_> = chunk.iter().map(|&i| snap.unit(i)).collect();
        let ids: Vec<i64> = units
            .iter()
            .map(|u| u.code.as_str().parse().unwrap_or(0))
            .collect();
        let codes: Vec<String> = units.iter().map(|u| u.code.to_string()).collect();
        let names: Vec<String> = units.iter().map(|u| u.name.clone()).collect();
        let levels: Vec<String> = units.iter().map(|u| u.level.as_str().to_owned()).collect();
        let parents: Vec<Option<String>> = units
            .iter()
            .map(|u| u.parent.as_ref().map(|p| p.to_string()))
            .collect();
        let versions: Vec<i64> = units.iter().map(|u| u.version).collect();
        let children: Vec<i64> = chunk
            .iter()
            .map(|&i| snap.children_of(i).len() as i64)
            .collect();
        let min_zooms: Vec<i32> = units
            .iter()
            .map(|u| i32::from(zooms.min_zoom(u.level)))
            .collect();
        let geoms: Vec<String> = units
            .iter()
            .map(|u| {
                serde_json::to_string(&geojson::Geometry::new(geojson::GeometryValue::from(
                    &u.geometry,
                )))
                .unwrap_or_default()
            })
            .collect();
        sqlx::query(
            "INSERT INTO bench_tile_units (id, code, name, level, parent, version, children, min_zoom, geom) \
             SELECT id, code, name, level, parent, version, children, min_zoom, \
                    ST_Transform(ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(g), 4326)), 3857) \
             FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], \
                         $7::bigint[], $8::int[], $9::text[]) \
                  AS t(id, code, name, level, parent, version, children, min_zoom, g)",
        )
        .bind(&ids)
        .bind(&codes)
        .bind(&names)
        .bind(&levels)
        .bind(&parents)
        .bind(&versions)
        .bind(&children)
        .bind(&min_zooms)
        .bind(&geoms)
        .execute(&mut db)
        .await?;
    }
    sqlx::query("UPDATE bench_tile_units SET label = ST_PointOnSurface(geom)")
        .execute(&mut db)
        .await?;
    sqlx::query("CREATE INDEX ON bench_tile_units USING gist (geom)")
        .execute(&mut db)
        .await?;
    sqlx::query("CREATE INDEX ON bench_tile_units USING gist (label)")
        .execute(&mut db)
        .await?;
    sqlx::query("ANALYZE bench_tile_units")
        .execute(&mut db)
        .await?;
    let sql = tile_sql();
    let mut best = Duration::MAX;
    let mut bytes = 0usize;
    let mut per_zoom: Vec<(u8, f64)> = Vec::new();
    for _ in 0..runs {
        let mut zoom_times: std::collections::BTreeMap<u8, Duration> = Default::default();
        let t = Instant::now();
        bytes = 0;
        for tile in tiles {
            let started = Instant::now();
            let mvt: Vec<u8> = sqlx::query_scalar(&sql)
                .bind(i32::from(tile.z()))
                .bind(tile.x() as i32)
                .bind(tile.y() as i32)
                .fetch_one(&mut db)
                .await?;
            *zoom_times.entry(tile.z()).or_default() += started.elapsed();
            bytes += mvt.len();
        }
        let elapsed = t.elapsed();
        if elapsed < best {
            best = elapsed;
            per_zoom = zoom_times
                .into_iter()
                .map(|(z, d)| (z, d.as_secs_f64()))
                .collect();
        }
    }
    sqlx::query("DROP TABLE bench_tile_units")
        .execute(&mut db)
        .await?;
    Ok((best.as_secs_f64(), bytes, per_zoom))
}

fn per_zoom_in_process(
    layers: &UnitLayers,
    snap: &Snapshot,
    tiles: &[TileCoord],
) -> Vec<(u8, usize, f64)> {
    (12..=16)
        .map(|z| {
            let at: Vec<TileCoord> = tiles.iter().copied().filter(|t| t.z() == z).collect();
            let (secs, _) = in_process(layers, snap, &at, 5);
            (z, at.len(), secs)
        })
        .collect()
}

fn main() {
    let snap = demo::snapshot();
    let tiles = demo_tiles(&snap);
    let layers = UnitLayers::new(LevelZooms::default(), 22);

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("tiles");
    group.throughput(Throughput::Elements(tiles.len() as u64));
    group.sample_size(10);
    group.bench_function("demo_units_z12_z16_uncached", |b| {
        b.iter(|| render_all(&layers, &snap, &tiles))
    });
    group.finish();

    let (ours, ours_bytes) = in_process(&layers, &snap, &tiles, 5);
    let ours_rate = tiles.len() as f64 / ours;
    println!(
        "in-process uncached units tiles: {} tiles (z12–z16) in {:.1} ms, {:.0} tiles/s on one core, {:.2} MB",
        tiles.len(),
        ours * 1e3,
        ours_rate,
        ours_bytes as f64 / 1e6
    );
    let ours_by_zoom = per_zoom_in_process(&layers, &snap, &tiles);
    match std::env::var("WANGGE_BENCH_DATABASE_URL") {
        Ok(url) => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            match rt.block_on(postgis(&url, &snap, &tiles, 3)) {
                Ok((pg, pg_bytes, pg_by_zoom)) => {
                    let pg_rate = tiles.len() as f64 / pg;
                    println!(
                        "PostGIS ST_AsMVT(ST_AsMVTGeom) over GiST: {:.1} ms, {:.0} tiles/s on one connection, {:.2} MB",
                        pg * 1e3,
                        pg_rate,
                        pg_bytes as f64 / 1e6
                    );
                    println!("ratio ours/PostGIS = {:.1}x", ours_rate / pg_rate);
                    println!("zoom  tiles  ours ms/tile  PostGIS ms/tile  ratio");
                    for ((z, n, ours), (_, pg)) in ours_by_zoom.iter().zip(&pg_by_zoom) {
                        let (o, p) = (ours * 1e3 / *n as f64, pg * 1e3 / *n as f64);
                        println!("{z:>4}  {n:>5}  {o:>12.3}  {p:>15.3}  {:>5.1}x", p / o);
                    }
                }
                Err(e) => println!("PostGIS baseline failed: {e}"),
            }
        }
        Err(_) => {
            println!("WANGGE_BENCH_DATABASE_URL not set: no PostGIS baseline");
            for (z, n, secs) in &ours_by_zoom {
                println!("z{z}: {n} tiles, {:.3} ms/tile", secs * 1e3 / *n as f64);
            }
        }
    }
    c.final_summary();
}
