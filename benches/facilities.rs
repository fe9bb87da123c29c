//! The facility finder and the coverage analysis on the demo data of `geodata/` (2,610
//! facilities, 30,000 households), each beside baselines timed in the same run:
//!
//! - k = 5 nearest of one category (the largest, so the deepest tree) from every household's
//!   location: the index's k-best search, the previous version (rstar's nearest-neighbour
//!   iterator, `.take(5)`) and a brute-force haversine scan with a partial sort;
//! - the full coverage analysis (every household × every element): `Coverage::compute` and a
//!   brute-force scan of every facility of each element for every household.
//!
//! cargo bench --bench facilities

mod demo;

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{black_box, Criterion, Throughput};
use wangge::coverage::analysis::{Coverage, Population};
use wangge::facilities::walking::haversine_m;
use wangge::facilities::{Facility, FacilityCatalogue, FacilityIndex, StraightLine};
use wangge::spatial::crs::Wgs84;

/// The best of `runs` timings of `f`, with its last result.
fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        out = Some(black_box(f()));
        best = best.min(t.elapsed());
    }
    (best, out.expect("at least one run"))
}

fn per_second(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn largest_category(facilities: &[Facility]) -> String {
    let mut counts = std::collections::HashMap::<&str, usize>::new();
    for f in facilities {
        *counts.entry(f.category.as_str()).or_default() += 1;
    }
    let (c, _) = counts
        .into_iter()
        .max_by_key(|(c, n)| (*n, std::cmp::Reverse(*c)))
        .expect("demo facilities");
    c.to_owned()
}

/// Every household × element by scanning every facility: the rule said plainly.
fn brute_force_coverage(
    from: &[Wgs84],
    facilities: &[Facility],
    catalogue: &FacilityCatalogue,
    walking: &StraightLine,
) -> Vec<u16> {
    from.iter()
        .map(|p| {
            let mut bits = 0u16;
            for (c, category) in catalogue.categories.iter().enumerate() {
                let reached = facilities.iter().any(|f| {
                    f.category == category.code
                        && walking.minutes_for(haversine_m(*p, f.location))
                            <= category.target_for(f.kind.as_deref())
                });
                if reached {
                    bits |= 1 << c;
                }
            }
            bits
        })
        .collect()
}

fn main() {
    let snap = demo::snapshot();
    let catalogue = FacilityCatalogue::default_catalogue();
    let walking = StraightLine::default();
    let facilities = demo::facilities(&snap, &catalogue);
    let households = demo::households(&snap);
    let index = FacilityIndex::build(facilities.clone());
    let category = largest_category(&facilities);
    let queries: Vec<Wgs84> = households
        .iter()
        .map(wangge::coverage::analysis::location)
        .collect();
    let of_category: Vec<Wgs84> = facilities
        .iter()
        .filter(|f| f.category == category)
        .map(|f| f.location)
        .collect();

    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let mut group = c.benchmark_group("facilities");
    group.throughput(Throughput::Elements(1));
    let mut i = 0;
    group.bench_function("nearest_k5", |b| {
        b.iter(|| {
            i = (i + 1) % queries.len();
            let hits = index.nearest_k(&category, queries[i], 5);
            black_box(hits.iter().fold(0.0, |acc, h| acc + h.distance_m))
        })
    });
    group.bench_function("nearest_k5_iterator_previous", |b| {
        b.iter(|| {
            i = (i + 1) % queries.len();
            let hits = index.nearest(&category, queries[i]).take(5);
            black_box(hits.fold(0.0, |acc, h| acc + h.distance_m))
        })
    });
    group.finish();

    // The same queries in straight loops, the scan over a twentieth of them (it is slow).
    let (k_best, _) = best_of(3, || {
        queries
            .iter()
            .map(|q| index.nearest_k(&category, *q, 5).len())
            .sum::<usize>()
    });
    let (iterator, _) = best_of(3, || {
        queries
            .iter()
            .map(|q| index.nearest(&category, *q).take(5).count())
            .sum::<usize>()
    });
    let scanned = &queries[..queries.len() / 20];
    let (scan, _) = best_of(3, || {
        let mut d: Vec<f64> = Vec::with_capacity(of_category.len());
        let mut sum = 0.0;
        for q in scanned {
            d.clear();
            d.extend(of_category.iter().map(|s| haversine_m(*q, *s)));
            d.select_nth_unstable_by(4, f64::total_cmp);
            d[..5].sort_by(f64::total_cmp);
            sum += d[..5].iter().sum::<f64>();
        }
        sum
    });
    let (k_best, iterator, scan) = (
        per_second(queries.len(), k_best),
        per_second(queries.len(), iterator),
        per_second(scanned.len(), scan),
    );
    println!(
        "k=5 nearest `{category}` ({} facilities) from {} household locations: \
         k-best {k_best:.0}/s, previous iterator {iterator:.0}/s ({:.2}x), \
         brute-force scan {scan:.0}/s ({:.0}x)",
        of_category.len(),
        queries.len(),
        k_best / iterator,
        k_best / scan,
    );

    // The full analysis, as the service computes it on first use (population included).
    let (analysis, coverage) = best_of(5, || {
        let population = Arc::new(Population::new(households.clone()));
        Coverage::compute(population, &index, &catalogue, &walking)
    });
    let population = &coverage.population;
    let in_order: Vec<Wgs84> = (0..population.len())
        .map(|h| wangge::coverage::analysis::location(population.household(h)))
        .collect();
    let (scan, want) = best_of(1, || {
        brute_force_coverage(&in_order, &facilities, &catalogue, &walking)
    });
    let agree = (0..population.len()).all(|h| {
        (0..catalogue.categories.len()).all(|c| coverage.reaches(h, c) == (want[h] & (1 << c) != 0))
    });
    assert!(agree, "the analysis and the scan disagree");
    println!(
        "full coverage of the demo district ({} households × {} elements, {} facilities): \
         analysis {:.0} ms, brute-force scan {:.0} ms ({:.0}x); every bit agrees",
        population.len(),
        catalogue.categories.len(),
        facilities.len(),
        analysis.as_secs_f64() * 1e3,
        scan.as_secs_f64() * 1e3,
        scan.as_secs_f64() / analysis.as_secs_f64(),
    );
    c.final_summary();
}
