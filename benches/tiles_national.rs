//! Uncached z14 `units` tiles anywhere on the national benchmark set: the set is generated in
//! memory (not timed), then tiles under 2,000 random leaf units (so dense cities weigh as much as
//! they hold) are rendered one by one; prints the distribution of render times.
//!
//! WANGGE_NATIONAL_PROVINCE=35 cargo bench --bench tiles_national   (one province, quick)
//! cargo bench --bench tiles_national                               (whole country)

use std::time::Instant;

use wangge::maps::tiles::render_tile;
use wangge::maps::{LevelZooms, UnitLayers};
use wangge::spatial::{AssignRules, Bbox, Crs, Snapshot};
use wangge_tiles::{LonLat, TileCoord, TileOptions};

const SAMPLES: usize = 2_000;
const ZOOM: u8 = 14;

fn main() {
    let sources = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/geodata-sources");
    let province = std::env::var("WANGGE_NATIONAL_PROVINCE").ok();
    let t = Instant::now();
    let drafts = wangge::geodata::generate_national(
        std::path::Path::new(sources),
        20261126,
        province.as_deref(),
    )
    .expect("generate the national set");
    let now = chrono::Utc::now();
    let units: Vec<_> = drafts.into_iter().map(|d| d.into_unit(now)).collect();
    let snap = Snapshot::build(units, 1, AssignRules::default());
    println!(
        "{} units generated and indexed in {:.1} s (not part of the measure)",
        snap.len(),
        t.elapsed().as_secs_f64()
    );

    let leaves: Vec<Bbox> = (0..snap.len() as u32)
        .filter(|&i| snap.children_of(i).is_empty())
        .map(|i| Bbox::of(&snap.unit(i).geometry))
        .collect();
    let mut s: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let tiles: Vec<TileCoord> = (0..SAMPLES)
        .map(|_| {
            let b = &leaves[(next() % leaves.len() as u64) as usize];
            let fx = (next() >> 11) as f64 / (1u64 << 53) as f64;
            let fy = (next() >> 11) as f64 / (1u64 << 53) as f64;
            let p = LonLat::new(
                b.min_x + fx * (b.max_x - b.min_x),
                b.min_y + fy * (b.max_y - b.min_y),
            );
            TileCoord::containing(p, ZOOM).expect("zoom")
        })
        .collect();

    let layers = UnitLayers::new(LevelZooms::default(), 22);
    let mut times: Vec<(f64, TileCoord, usize)> = tiles
        .iter()
        .map(|&tile| {
            let t = Instant::now();
            let mvt = render_tile(&layers, tile, Crs::Wgs84, &snap, TileOptions::default());
            (t.elapsed().as_secs_f64() * 1e3, tile, mvt.len())
        })
        .collect();
    times.sort_by(|a, b| a.0.total_cmp(&b.0));
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize].0;
    let (worst_ms, worst_tile, worst_bytes) = times[times.len() - 1];
    println!(
        "z{ZOOM} uncached, {} tiles under random leaves: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({worst_tile}, {worst_bytes} bytes); over 20 ms: {}",
        times.len(),
        at(0.5),
        at(0.9),
        at(0.99),
        worst_ms,
        times.iter().filter(|t| t.0 > 20.0).count()
    );
}
