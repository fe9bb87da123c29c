//! In-process nearest-facility queries (k = 5, one category) on the facility index, and a
//! brute-force haversine scan of the same category in the same run; prints the ratio.
//!
//! The demo facility set is not generated yet, so the facilities are synthetic: 1,200 of one
//! category spread uniformly over Siming district's bounding box (more than the district's
//! convenience shops), 5,000 in all over five categories.
//!
//! cargo bench --bench facilities

use std::time::{Duration, Instant};

use criterion::{black_box, Criterion, Throughput};
use wangge::facilities::walking::haversine_m;
use wangge::facilities::{Facility, FacilityIndex};
use wangge::spatial::crs::Wgs84;

const QUERIES: usize = 100_000;
const CATEGORIES: [&str; 5] = ["shopping", "medical", "education", "transport", "dining"];

/// Deterministic points over Siming's bounding box (xorshift, no extra dependency).
fn points(n: usize, seed: u64) -> Vec<Wgs84> {
    let mut s = seed;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| Wgs84 {
            lon: 118.06 + 0.14 * next(),
            lat: 24.42 + 0.10 * next(),
        })
        .collect()
}

fn facilities() -> Vec<Facility> {
    points(5_000, 0x9E37_79B9_7F4A_7C15)
        .into_iter()
        .enumerate()
        .map(|(i, location)| Facility {
            id: i as i64,
            external_id: None,
            category: if i < 1_200 {
                CATEGORIES[0]
            } else {
                CATEGORIES[1 + i % 4]
            }
            .to_owned(),
            kind: None,
            name: format!("facility {i}"),
            location,
            address: None,
            opening_hours: None,
            capacity: None,
            contact: None,
            units: Vec::new(),
            version: 1,
        })
        .collect()
}

fn main() {
    let set = facilities();
    let index = FacilityIndex::build(set.clone());
    let queries = points(QUERIES, 0x2545_F491_4F6C_DD1D);
    let shops: Vec<Wgs84> = set
        .iter()
        .filter(|f| f.category == CATEGORIES[0])
        .map(|f| f.location)
        .collect();

    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let mut group = c.benchmark_group("facilities");
    group.throughput(Throughput::Elements(1));
    let mut i = 0;
    group.bench_function("nearest_k5_index", |b| {
        b.iter(|| {
            i = (i + 1) % QUERIES;
            let hits = index.nearest(CATEGORIES[0], queries[i]).take(5);
            black_box(hits.fold(0.0, |acc, h| acc + h.distance_m))
        })
    });
    group.finish();

    // Same queries, timed straight: the index, then the scan over fewer queries (it is slow).
    let start = Instant::now();
    let mut sum = 0.0;
    for q in &queries {
        sum += index
            .nearest(CATEGORIES[0], *q)
            .take(5)
            .fold(0.0, |acc, h| acc + h.distance_m);
    }
    let index_rate = QUERIES as f64 / start.elapsed().as_secs_f64();
    let scanned = QUERIES / 20;
    let start = Instant::now();
    let mut d: Vec<f64> = Vec::with_capacity(shops.len());
    for q in &queries[..scanned] {
        d.clear();
        d.extend(shops.iter().map(|s| haversine_m(*q, *s)));
        d.select_nth_unstable_by(4, f64::total_cmp);
        d[..5].sort_by(f64::total_cmp);
        sum += d[..5].iter().sum::<f64>();
    }
    let scan_rate = scanned as f64 / start.elapsed().as_secs_f64();
    black_box(sum);
    println!(
        "k=5 nearest of one category ({} facilities): index {:.0}/s, brute-force scan {:.0}/s, ratio {:.0}x",
        shops.len(),
        index_rate,
        scan_rate,
        index_rate / scan_rate
    );
    c.final_summary();
}
