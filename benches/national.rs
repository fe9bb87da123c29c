//! The national benchmark set: every district outline, street and community of the sources with
//! grids below, generated in memory (not timed), then: snapshot build time, resident memory, and
//! assignments per second on one core.
//!
//! cargo bench --bench national                      (whole country)
//! WANGGE_NATIONAL_PROVINCE=35 cargo bench --bench national   (one province, quick)

use std::hint::black_box;
use std::time::Instant;

use wangge::spatial::{AssignRules, Bbox, Snapshot};

fn rss_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(field)).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

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
    println!(
        "generated {} units in {:.1} s (not part of the measure)",
        drafts.len(),
        t.elapsed().as_secs_f64()
    );
    let now = chrono::Utc::now();
    let units: Vec<_> = drafts.into_iter().map(|d| d.into_unit(now)).collect();
    // The generator's scratch memory is freed but kept by the allocator; hand it back so the
    // figures below are what a service holding these units would have resident.
    // SAFETY: malloc_trim only releases free heap pages; no pointer is touched.
    unsafe {
        libc::malloc_trim(0);
    }
    let rss_before = rss_mib("VmRSS:");

    let t = Instant::now();
    let snap = Snapshot::build(units, 1, AssignRules::default());
    let build = t.elapsed().as_secs_f64();
    // SAFETY: as above.
    unsafe {
        libc::malloc_trim(0);
    }
    let rss_after = rss_mib("VmRSS:");
    println!(
        "snapshot of {} units built in {:.1} s; resident memory {:.0} MiB (units alone {:.0} MiB, peak {:.0} MiB)",
        snap.len(),
        build,
        rss_after,
        rss_before,
        rss_mib("VmHWM:")
    );

    // Points spread over the leaves: one in each of a million leaf boxes picked at random.
    let leaves: Vec<Bbox> = snap
        .units()
        .iter()
        .enumerate()
        .filter(|(i, _)| snap.children_of(*i as u32).is_empty())
        .map(|(_, u)| Bbox::of(&u.geometry))
        .collect();
    let mut s: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let pts: Vec<(f64, f64)> = (0..1_000_000)
        .map(|_| {
            let b = &leaves[(next() % leaves.len() as u64) as usize];
            let fx = (next() >> 11) as f64 / (1u64 << 53) as f64;
            let fy = (next() >> 11) as f64 / (1u64 << 53) as f64;
            (
                b.min_x + fx * (b.max_x - b.min_x),
                b.min_y + fy * (b.max_y - b.min_y),
            )
        })
        .collect();
    let mut best = f64::MAX;
    let mut inside = 0usize;
    for _ in 0..3 {
        let t = Instant::now();
        inside = 0;
        for &(x, y) in &pts {
            let a = snap.assign(black_box(x), black_box(y));
            inside += a.assigned() as usize;
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "assignment: {:.2} M points/s on one core ({} points, {} assigned)",
        pts.len() as f64 / best / 1e6,
        pts.len(),
        inside
    );
}
