//! Checks an import as a whole before anything is written: each geometry, codes against the
//! hierarchy, children inside their parents and siblings without overlap.

use std::collections::{HashMap, HashSet};

use geo::{BooleanOps, Centroid, ChamberlainDuquetteArea, MultiPolygon};
use serde::Serialize;

use super::prepared::Bbox;
use super::repair::validity_problems;
use crate::units::{UnitCode, UnitDraft};

/// One problem found in an import, with the unit and the place it concerns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// The unit code, when it could be read.
    pub code: Option<String>,
    /// Index of the feature (or row) in the input.
    pub feature: Option<usize>,
    /// Stable machine-readable kind, e.g. `self_intersection`, `sibling_overlap`.
    pub kind: &'static str,
    pub message: String,
    /// A lon/lat where the problem is, when it has one.
    pub location: Option<[f64; 2]>,
}

impl Problem {
    pub fn file(kind: &'static str, message: String) -> Problem {
        Problem {
            code: None,
            feature: None,
            kind,
            message,
            location: None,
        }
    }

    fn unit(code: &UnitCode, feature: usize, kind: &'static str, message: String) -> Problem {
        Problem {
            code: Some(code.to_string()),
            feature: Some(feature),
            kind,
            message,
            location: None,
        }
    }

    fn at(mut self, mp: &MultiPolygon<f64>) -> Problem {
        self.location = mp.centroid().map(|c| [c.x(), c.y()]);
        self
    }
}

/// Tolerances of the "一张网" checks.
#[derive(Debug, Clone, Copy)]
pub struct Tolerances {
    /// Sibling overlap and child-outside-parent areas at or below this many m² are accepted.
    pub overlap_m2: f64,
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances { overlap_m2: 1.0 }
    }
}

pub fn area_m2(mp: &MultiPolygon<f64>) -> f64 {
    mp.chamberlain_duquette_unsigned_area()
}

/// Validates drafts (`feature` = their position in the input) against each other and against the
/// units already stored (`existing`, used for parents not in the file). Returns every problem.
pub fn validate_drafts(
    drafts: &[(usize, UnitDraft)],
    existing: &HashMap<UnitCode, MultiPolygon<f64>>,
    tol: Tolerances,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut seen: HashMap<&UnitCode, usize> = HashMap::new();
    let mut geometry_ok: HashSet<&UnitCode> = HashSet::new();
    let mut repeated: HashSet<usize> = HashSet::new();
    for (feature, d) in drafts {
        if let Some(&first) = seen.get(&d.code) {
            repeated.insert(*feature);
            problems.push(Problem::unit(
                &d.code,
                *feature,
                "duplicate_code",
                format!("code {} appears again (first at feature {first})", d.code),
            ));
            continue;
        }
        seen.insert(&d.code, *feature);
        let geo_problems = validity_problems(&d.geometry);
        if geo_problems.is_empty() {
            geometry_ok.insert(&d.code);
        }
        for (place, what) in geo_problems {
            let mut p = Problem::unit(
                &d.code,
                *feature,
                kind_of(&what),
                format!("{what} ({place})"),
            );
            p.location = parse_near(&place);
            problems.push(p);
        }
    }
    let drafts: Vec<&(usize, UnitDraft)> = drafts
        .iter()
        .filter(|(f, _)| !repeated.contains(f))
        .collect();
    let in_file: HashMap<&UnitCode, &MultiPolygon<f64>> =
        drafts.iter().map(|(_, d)| (&d.code, &d.geometry)).collect();
    // Children inside their parent.
    for (feature, d) in &drafts {
        let Some(parent) = d.code.parent() else {
            continue;
        };
        let parent_geom = in_file
            .get(&parent)
            .copied()
            .or_else(|| existing.get(&parent));
        let Some(parent_geom) = parent_geom else {
            problems.push(Problem::unit(
                &d.code,
                *feature,
                "missing_parent",
                format!(
                    "parent {parent} of {} is neither in the file nor stored",
                    d.code
                ),
            ));
            continue;
        };
        if !geometry_ok.contains(&d.code) {
            continue;
        }
        let outside = d.geometry.difference(parent_geom);
        let area = area_m2(&outside);
        if area > tol.overlap_m2 {
            problems.push(
                Problem::unit(
                    &d.code,
                    *feature,
                    "outside_parent",
                    format!(
                        "{:.1} m² of {} lie outside its parent {parent} (tolerance {} m²)",
                        area, d.code, tol.overlap_m2
                    ),
                )
                .at(&outside),
            );
        }
    }
    // Siblings without overlap.
    let mut by_parent: HashMap<Option<UnitCode>, Vec<(usize, &UnitDraft, Bbox)>> = HashMap::new();
    for (feature, d) in &drafts {
        if geometry_ok.contains(&d.code) {
            by_parent.entry(d.code.parent()).or_default().push((
                *feature,
                d,
                Bbox::of(&d.geometry),
            ));
        }
    }
    for siblings in by_parent.values() {
        for (i, (fa, a, ba)) in siblings.iter().enumerate() {
            for (_, b, bb) in &siblings[i + 1..] {
                if !ba.intersects(bb) {
                    continue;
                }
                let overlap = a.geometry.intersection(&b.geometry);
                let area = area_m2(&overlap);
                if area > tol.overlap_m2 {
                    problems.push(
                        Problem::unit(
                            &a.code,
                            *fa,
                            "sibling_overlap",
                            format!(
                                "{} and {} overlap by {:.1} m² (tolerance {} m²)",
                                a.code, b.code, area, tol.overlap_m2
                            ),
                        )
                        .at(&overlap),
                    );
                }
            }
        }
    }
    problems.sort_by(|a, b| a.feature.cmp(&b.feature).then(a.kind.cmp(b.kind)));
    problems
}

fn kind_of(what: &str) -> &'static str {
    let w = what.to_ascii_lowercase();
    if w.contains("nan") || w.contains("infinite") || w.contains("finite") {
        "non_finite_coordinate"
    } else if w.contains("range") || w.starts_with("longitude") || w.starts_with("latitude") {
        "coordinate_out_of_range"
    } else if w.contains("self") && w.contains("intersect") {
        "self_intersection"
    } else if w.contains("closed") {
        "ring_not_closed"
    } else {
        "invalid_geometry"
    }
}

/// Pulls "near LON,LAT" out of a place description.
fn parse_near(place: &str) -> Option<[f64; 2]> {
    let rest = place.split("near ").nth(1)?;
    let mut it = rest
        .split(|c: char| c == ',' || c.is_whitespace() || c == ')')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<f64>());
    match (it.next(), it.next()) {
        (Some(Ok(x)), Some(Ok(y))) => Some([x, y]),
        _ => None,
    }
}
