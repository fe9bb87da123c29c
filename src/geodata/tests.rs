//! The demo dataset's promises: real codes and names, the expected counts, children that cover
//! their parent exactly without overlapping, and the same bytes for the same seed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use geo::{Area, BooleanOps, BoundingRect, MultiPolygon, Rect, Validation};

use super::*;
use crate::units::Level;

const SEED: u64 = 20261126;

fn sources_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/geodata-sources")
}

fn demo() -> &'static [UnitDraft] {
    static DEMO: OnceLock<Vec<UnitDraft>> = OnceLock::new();
    DEMO.get_or_init(|| generate_demo(&sources_dir(), SEED).expect("demo generates"))
}

fn at_level(level: Level) -> Vec<&'static UnitDraft> {
    demo().iter().filter(|u| u.code.level() == level).collect()
}

/// Children of each unit, by the parent's code.
fn families() -> BTreeMap<String, Vec<&'static UnitDraft>> {
    let mut map: BTreeMap<String, Vec<&UnitDraft>> = BTreeMap::new();
    for u in demo() {
        if let Some(parent) = u.code.parent() {
            map.entry(parent.as_str().to_owned()).or_default().push(u);
        }
    }
    map
}

fn by_code() -> BTreeMap<&'static str, &'static UnitDraft> {
    demo().iter().map(|u| (u.code.as_str(), u)).collect()
}

fn boxes_overlap(a: &Rect<f64>, b: &Rect<f64>) -> bool {
    a.min().x <= b.max().x
        && b.min().x <= a.max().x
        && a.min().y <= b.max().y
        && b.min().y <= a.max().y
}

#[test]
fn demo_has_one_district_ten_streets_99_communities_and_about_600_grids() {
    let districts = at_level(Level::District);
    assert_eq!(districts.len(), 1);
    assert_eq!(districts[0].code.as_str(), "350203");
    assert_eq!(districts[0].name, "思明区");
    assert_eq!(at_level(Level::Street).len(), 10);
    assert_eq!(at_level(Level::Community).len(), 99);
    let grids = at_level(Level::Grid).len();
    assert!((550..=650).contains(&grids), "{grids} grids");
}

#[test]
fn streets_and_communities_keep_their_real_codes_and_names() {
    let units = by_code();
    assert_eq!(units["350203001"].name, "厦港街道");
    assert_eq!(units["350203012"].name, "鼓浪屿街道");
    assert_eq!(units["350203001001"].name, "鸿山社区居委会");
    assert_eq!(units["350203001001001"].name, "鸿山社区第1网格");
    assert_eq!(units["35020300100100101"].name, "鸿山社区第1网格第1微网格");
}

#[test]
fn every_grid_has_three_to_six_micro_grids() {
    let families = families();
    for grid in at_level(Level::Grid) {
        let micro = families.get(grid.code.as_str()).map_or(0, |c| c.len());
        assert!(
            (3..=6).contains(&micro),
            "grid {} has {micro} micro-grids",
            grid.code
        );
    }
    assert!(at_level(Level::MicroGrid).len() >= 3 * at_level(Level::Grid).len());
}

#[test]
fn codes_extend_their_parents_code_and_are_numbered_from_one() {
    let units = by_code();
    for u in demo() {
        if let Some(parent) = u.code.parent() {
            assert!(
                units.contains_key(parent.as_str()),
                "{} has no parent",
                u.code
            );
        }
    }
    for (parent, children) in families() {
        let level = children[0].code.level();
        if level == Level::Grid || level == Level::MicroGrid {
            for (i, c) in children.iter().enumerate() {
                let width = level.code_len() - parent.len();
                assert_eq!(c.code.as_str(), format!("{parent}{:0width$}", i + 1));
            }
        }
    }
}

#[test]
fn units_come_in_code_order_with_generated_attributes() {
    let codes: Vec<&str> = demo().iter().map(|u| u.code.as_str()).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(codes, sorted, "codes are unique and sorted");
    for u in &demo()[1..] {
        assert_eq!(
            u.attributes.get("source").and_then(|v| v.as_str()),
            Some("generated")
        );
        assert_eq!(
            u.attributes.get("seed").and_then(|v| v.as_u64()),
            Some(SEED)
        );
        assert_eq!(u.attributes.len(), 2, "{}: {:?}", u.code, u.attributes);
    }
}

#[test]
fn children_areas_sum_to_their_parents_area() {
    let units = by_code();
    let mut worst = 0.0f64;
    for (parent, children) in families() {
        let a = units[parent.as_str()].geometry.unsigned_area();
        let sum: f64 = children.iter().map(|c| c.geometry.unsigned_area()).sum();
        let relative = ((sum - a) / a).abs();
        worst = worst.max(relative);
        assert!(
            relative < 1e-9,
            "{parent}: children {sum}, parent {a}, relative {relative}"
        );
    }
    eprintln!("worst relative area difference: {worst:e}");
}

#[test]
fn siblings_do_not_overlap() {
    let units = by_code();
    let families = families();
    // Every pair of streets and of communities; grids and micro-grids in every 7th family.
    for (k, (parent, children)) in families.iter().enumerate() {
        let level = children[0].code.level();
        if level >= Level::Grid && k % 7 != 0 {
            continue;
        }
        let a = units[parent.as_str()].geometry.unsigned_area();
        let boxes: Vec<_> = children
            .iter()
            .map(|c| c.geometry.bounding_rect())
            .collect();
        for i in 0..children.len() {
            for j in i + 1..children.len() {
                let (Some(bi), Some(bj)) = (boxes[i], boxes[j]) else {
                    panic!("empty child under {parent}");
                };
                if !boxes_overlap(&bi, &bj) {
                    continue;
                }
                let overlap = children[i]
                    .geometry
                    .intersection(&children[j].geometry)
                    .unsigned_area();
                assert!(
                    overlap < 1e-10 * a,
                    "{} and {} overlap by {overlap} (parent area {a})",
                    children[i].code,
                    children[j].code
                );
            }
        }
    }
}

#[test]
fn children_lie_inside_their_parent_and_are_valid() {
    let units = by_code();
    for (k, (parent, children)) in families().iter().enumerate() {
        if children[0].code.level() >= Level::Grid && k % 5 != 0 {
            continue;
        }
        let p: &MultiPolygon<f64> = &units[parent.as_str()].geometry;
        let a = p.unsigned_area();
        for c in children {
            assert!(
                c.geometry.is_valid(),
                "{}: {:?}",
                c.code,
                c.geometry.validation_errors()
            );
            assert!(!c.geometry.0.is_empty());
            // BooleanOps measures only to about 2^-29 of the extent, hence the tolerance.
            let outside = c.geometry.difference(p).unsigned_area();
            assert!(
                outside < 1e-8 * a,
                "{} sticks out of {parent} by {outside}",
                c.code
            );
        }
    }
}

#[test]
fn district_outline_is_repaired_and_valid() {
    let district = at_level(Level::District)[0];
    assert!(
        district.geometry.is_valid(),
        "{:?}",
        district.geometry.validation_errors()
    );
    assert!(crate::spatial::repair::validity_problems(&district.geometry).is_empty());
    // Siming has three parts: Xiamen island's south-west, Gulangyu and an islet.
    assert_eq!(district.geometry.0.len(), 3);
}

#[test]
fn gulangyu_street_is_the_island_of_gulangyu() {
    let units = by_code();
    let street = &units["350203012"].geometry;
    let district = &units["350203"].geometry;
    let island = district
        .0
        .iter()
        .find(|p| {
            geo::Contains::contains(
                *p,
                &geo::Coord {
                    x: 118.0668,
                    y: 24.4461,
                },
            )
        })
        .expect("the outline has Gulangyu");
    assert_eq!(street.0, vec![island.clone()]);
}

#[test]
fn same_seed_gives_identical_output_and_another_seed_does_not() {
    let again = generate_demo(&sources_dir(), SEED).unwrap();
    assert!(again == demo(), "same seed, different output");
    let other = generate_demo(&sources_dir(), SEED + 1).unwrap();
    assert!(!other.is_empty());
    let differs = other
        .iter()
        .zip(demo())
        .any(|(a, b)| a.geometry != b.geometry);
    assert!(differs, "another seed gave the same geometry");
}
