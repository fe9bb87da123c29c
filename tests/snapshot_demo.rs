//! The locator's fast path agrees with a brute-force scan of every leaf on the demo data, at every
//! vertex and edge midpoint (where shared-edge rules bite) and on a lattice of points.

use wangge::spatial::prepared::PreparedPolygon;
use wangge::spatial::{AssignRules, Match, Snapshot};
use wangge::units::geojson::read_drafts;

fn demo() -> Snapshot {
    let text = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/geodata/siming.geojson"
    ))
    .unwrap();
    let (drafts, problems) = read_drafts(&text).unwrap();
    assert!(problems.is_empty());
    let now = chrono::Utc::now();
    Snapshot::build(
        drafts.into_iter().map(|d| d.into_unit(now)).collect(),
        1,
        AssignRules::default(),
    )
}

#[test]
fn fast_path_equals_brute_force_on_vertices_midpoints_and_lattice() {
    let snap = demo();
    let leaves: Vec<(u32, PreparedPolygon)> = (0..snap.len() as u32)
        .filter(|&i| snap.children_of(i).is_empty())
        .map(|i| (i, PreparedPolygon::new(&snap.unit(i).geometry)))
        .collect();
    let brute = |x: f64, y: f64| leaves.iter().find(|(_, p)| p.covers(x, y)).map(|(i, _)| *i);
    let mut points = Vec::new();
    for (_, p) in &leaves {
        for (a, b) in p.segments() {
            points.push((a[0], a[1]));
            points.push(((a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0));
        }
    }
    let bbox = leaves
        .iter()
        .fold(wangge::spatial::Bbox::EMPTY, |acc, (_, p)| {
            acc.union(&p.bbox)
        });
    for i in 0..200 {
        for j in 0..200 {
            points.push((
                bbox.min_x + (bbox.max_x - bbox.min_x) * i as f64 / 199.0,
                bbox.min_y + (bbox.max_y - bbox.min_y) * j as f64 / 199.0,
            ));
        }
    }
    let mut wrong = Vec::new();
    for &(x, y) in &points {
        let a = snap.assign(x, y);
        let fast = (a.matched == Match::Inside)
            .then(|| a.unit_index())
            .flatten();
        let slow = brute(x, y);
        if fast != slow {
            wrong.push((
                x,
                y,
                fast.map(|i| snap.unit(i).code.to_string()),
                slow.map(|i| snap.unit(i).code.to_string()),
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} differ, e.g. {:?}",
        wrong.len(),
        points.len(),
        &wrong[..wrong.len().min(5)]
    );
}

#[test]
fn snapping_equals_brute_force_nearest_leaf_within_tolerance() {
    let snap = demo();
    let all: Vec<PreparedPolygon> = (0..snap.len() as u32)
        .map(|i| PreparedPolygon::new(&snap.unit(i).geometry))
        .collect();
    let leaves: Vec<(u32, PreparedPolygon)> = (0..snap.len() as u32)
        .filter(|&i| snap.children_of(i).is_empty())
        .map(|i| (i, PreparedPolygon::new(&snap.unit(i).geometry)))
        .collect();
    let bbox = leaves
        .iter()
        .fold(wangge::spatial::Bbox::EMPTY, |acc, (_, p)| {
            acc.union(&p.bbox)
        });
    let (mut snapped, mut checked) = (0, 0);
    for i in 0..150 {
        for j in 0..150 {
            let x = bbox.min_x - 0.001 + (bbox.max_x - bbox.min_x + 0.002) * i as f64 / 149.0;
            let y = bbox.min_y - 0.001 + (bbox.max_y - bbox.min_y + 0.002) * j as f64 / 149.0;
            if leaves.iter().any(|(_, p)| p.covers(x, y)) {
                continue;
            }
            checked += 1;
            let brute = leaves
                .iter()
                .map(|(i, p)| (*i, p.boundary_distance_m(x, y)))
                .filter(|(_, d)| *d <= 30.0)
                .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            let a = snap.assign(x, y);
            match brute {
                Some((leaf, d)) => {
                    snapped += 1;
                    assert_eq!(a.matched, Match::Snapped, "({x},{y})");
                    assert_eq!(a.unit_index(), Some(leaf), "({x},{y})");
                    assert!((a.distance_m - d).abs() < 1e-9);
                }
                None => {
                    assert_eq!(a.matched, Match::Fallback, "({x},{y})");
                    // The smallest unit covering the point, else the (only) top-level unit.
                    let holder = (0..snap.len() as u32)
                        .filter(|&u| all[u as usize].covers(x, y))
                        .max_by_key(|&u| (snap.unit(u).level, std::cmp::Reverse(u)))
                        .unwrap_or(0);
                    assert_eq!(a.unit_index(), Some(holder), "({x},{y})");
                }
            }
        }
    }
    assert!(
        snapped > 20 && checked > 3_000,
        "{snapped} snapped of {checked}"
    );
}
