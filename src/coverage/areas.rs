//! Where an element is out of reach, as the map shows it: the part of a unit outside every
//! facility's walking disc (polygons), H3 cells of households with their reach, and the cells
//! where a new facility would reach the most households that lack the element.

use std::collections::BTreeMap;

use geo::{BooleanOps, ChamberlainDuquetteArea, Intersects, MultiPolygon, Polygon};
use h3o::{CellIndex, LatLng, Resolution};
use serde::Serialize;

use super::analysis::{location, Coverage};
use crate::facilities::{FacilityCategory, FacilityIndex, WalkingTime};
use crate::spatial::crs::Wgs84;
use crate::units::{Unit, UnitCode};

/// Vertices of a walking disc's polygon: the disc is drawn inside the true circle, so that an
/// area shown covered is covered (the chord error of 48 sides is under 0.22 % of the radius).
const DISC_SIDES: usize = 48;

/// A disc of `metres` around `centre` in lon/lat (local equirectangular scale; the error at
/// the sizes of walking discs, about a kilometre, is far under a metre).
fn disc(centre: Wgs84, metres: f64) -> Polygon<f64> {
    let dlat = (metres / crate::facilities::walking::EARTH_RADIUS_M).to_degrees();
    let dlon = dlat / centre.lat.to_radians().cos();
    let ring: Vec<(f64, f64)> = (0..=DISC_SIDES)
        .map(|i| {
            let a = std::f64::consts::TAU * (i % DISC_SIDES) as f64 / DISC_SIDES as f64;
            (centre.lon + dlon * a.cos(), centre.lat + dlat * a.sin())
        })
        .collect();
    Polygon::new(ring.into(), Vec::new())
}

/// The part of `unit` out of reach of every facility of `category`: the unit minus the union
/// of each facility's disc (the straight-line radius its kind's target reaches).
pub fn unreached_area(
    unit: &Unit,
    category: &FacilityCategory,
    index: &FacilityIndex,
    walking: &dyn WalkingTime,
) -> MultiPolygon<f64> {
    let Some(bbox) = geo::BoundingRect::bounding_rect(&unit.geometry) else {
        return MultiPolygon::new(Vec::new());
    };
    let widest = walking.search_radius_m(category.widest_target());
    let centre = Wgs84 {
        lon: (bbox.min().x + bbox.max().x) / 2.0,
        lat: (bbox.min().y + bbox.max().y) / 2.0,
    };
    let half_diagonal = crate::facilities::walking::haversine_m(
        centre,
        Wgs84 {
            lon: bbox.max().x,
            lat: bbox.max().y,
        },
    );
    let discs: Vec<Polygon<f64>> = index
        .within(&category.code, centre, half_diagonal + widest)
        .map(|h| {
            let r = walking.search_radius_m(category.target_for(h.facility.kind.as_deref()));
            disc(h.facility.location, r)
        })
        .filter(|d| d.intersects(&unit.geometry))
        .collect();
    if discs.is_empty() {
        return unit.geometry.clone();
    }
    let reached = geo::unary_union(&discs);
    unit.geometry.difference(&reached)
}

/// Square metres of a lon/lat area (spherical excess). Each ring is measured on its own, so
/// that holes count as holes whatever their orientation (the overlay gives holes clockwise,
/// which a signed sum over the polygon would add).
pub fn area_m2(area: &MultiPolygon<f64>) -> f64 {
    let ring = |r: &geo::LineString<f64>| {
        Polygon::new(r.clone(), Vec::new()).chamberlain_duquette_unsigned_area()
    };
    area.0
        .iter()
        .map(|p| ring(p.exterior()) - p.interiors().iter().map(ring).sum::<f64>())
        .sum()
}

/// One H3 cell of households and how many of them each element reaches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellTally {
    #[serde(serialize_with = "cell_text")]
    pub cell: CellIndex,
    pub households: u32,
    /// Per category of the catalogue, in its order.
    pub covered: Vec<u32>,
}

fn cell_text<S: serde::Serializer>(c: &CellIndex, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&c.to_string())
}

/// The cell at `resolution` of a point; `None` for a point H3 refuses (not finite).
pub fn cell_of(p: Wgs84, resolution: Resolution) -> Option<CellIndex> {
    LatLng::new(p.lat, p.lon)
        .ok()
        .map(|ll| ll.to_cell(resolution))
}

/// The households of `unit` by H3 cell, each with the count each element reaches.
pub fn cell_tallies(
    coverage: &Coverage,
    unit: &UnitCode,
    resolution: Resolution,
    categories: usize,
) -> Vec<CellTally> {
    let mut cells: BTreeMap<CellIndex, CellTally> = BTreeMap::new();
    for i in coverage.population.within_unit(unit) {
        let Some(cell) = cell_of(location(coverage.population.household(i)), resolution) else {
            continue;
        };
        let t = cells.entry(cell).or_insert_with(|| CellTally {
            cell,
            households: 0,
            covered: vec![0; categories],
        });
        t.households += 1;
        for (c, n) in t.covered.iter_mut().enumerate() {
            *n += u32::from(coverage.reaches(i, c));
        }
    }
    cells.into_values().collect()
}

/// A place for a new facility and what it would reach.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    #[serde(serialize_with = "cell_text")]
    pub cell: CellIndex,
    /// The cell's centre, where the facility is supposed.
    pub at: Wgs84,
    /// Households of the unit lacking the element that a facility here would reach.
    pub newly_reached: u32,
}

/// The H3 cells (around the unit's unreached households) ranked by how many of those
/// households a facility of category `c` at the cell's centre would reach within `minutes`;
/// most first, then by cell.
pub fn candidates(
    coverage: &Coverage,
    unit: &UnitCode,
    c: usize,
    minutes: f64,
    walking: &dyn WalkingTime,
    resolution: Resolution,
    limit: usize,
) -> Vec<Candidate> {
    let unreached: Vec<usize> = coverage.unreached(unit, c).collect();
    let mut cells: Vec<CellIndex> = unreached
        .iter()
        .filter_map(|&i| cell_of(location(coverage.population.household(i)), resolution))
        .flat_map(|cell| cell.grid_disk::<Vec<_>>(1))
        .collect();
    cells.sort_unstable();
    cells.dedup();
    let is_unreached: std::collections::HashSet<usize> = unreached.iter().copied().collect();
    let radius = walking.search_radius_m(minutes);
    let mut ranked: Vec<Candidate> = cells
        .into_iter()
        .filter_map(|cell| {
            let ll = LatLng::from(cell);
            let at = Wgs84 {
                lon: ll.lng(),
                lat: ll.lat(),
            };
            let newly_reached = coverage
                .population
                .near(at, radius)
                .filter(|i| is_unreached.contains(i))
                .filter(|&i| {
                    let h = location(coverage.population.household(i));
                    let d = crate::facilities::walking::haversine_m(at, h);
                    walking.estimate(at, h, d).minutes <= minutes
                })
                .count() as u32;
            (newly_reached > 0).then_some(Candidate {
                cell,
                at,
                newly_reached,
            })
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.newly_reached
            .cmp(&a.newly_reached)
            .then(a.cell.cmp(&b.cell))
    });
    ranked.truncate(limit);
    ranked
}

/// A cell's outline as a GeoJSON polygon ring (closed, counter-clockwise as H3 gives it).
pub fn cell_polygon(cell: CellIndex) -> serde_json::Value {
    let mut ring: Vec<[f64; 2]> = cell
        .boundary()
        .iter()
        .map(|ll| [ll.lng(), ll.lat()])
        .collect();
    if let Some(first) = ring.first().copied() {
        ring.push(first);
    }
    serde_json::json!({"type": "Polygon", "coordinates": [ring]})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facilities::walking::StraightLine;
    use crate::facilities::FacilityCatalogue;
    use geo::{Contains, Point};

    fn clinic(id: i64, lon: f64, lat: f64) -> crate::facilities::Facility {
        crate::facilities::model::sample_facility(id, "medical", None, lon, lat)
    }

    fn square_unit() -> Unit {
        let ring = vec![
            (118.0, 24.0),
            (118.02, 24.0),
            (118.02, 24.02),
            (118.0, 24.02),
            (118.0, 24.0),
        ];
        Unit {
            code: UnitCode::parse("350203001001").unwrap(),
            name: "社区".to_owned(),
            level: crate::units::Level::Community,
            parent: UnitCode::parse("350203001").ok(),
            geometry: MultiPolygon::new(vec![Polygon::new(ring.into(), Vec::new())]),
            version: 1,
            valid_from: chrono::Utc::now(),
            valid_to: None,
            attributes: Default::default(),
        }
    }

    #[test]
    fn the_unreached_area_is_the_unit_outside_every_disc() {
        let cat = FacilityCatalogue::default_catalogue();
        let medical = cat.get("medical").unwrap();
        let walk = StraightLine::default();
        let unit = square_unit();
        let full = area_m2(&unit.geometry);
        let none = unreached_area(&unit, medical, &FacilityIndex::build(vec![]), &walk);
        assert!((area_m2(&none) - full).abs() < 1e-6);
        let index = FacilityIndex::build(vec![clinic(1, 118.005, 24.005)]);
        let left = unreached_area(&unit, medical, &index, &walk);
        // 15 minutes reach 831 m: a disc of about 2.17 km², a quarter of it outside the square.
        let r = walk.search_radius_m(15.0);
        let inside = area_m2(&unit.geometry) - area_m2(&left);
        assert!(
            inside > 1.0e6 && inside < std::f64::consts::PI * r * r,
            "{inside}"
        );
        assert!(!left.contains(&Point::new(118.005, 24.005)));
        assert!(left.contains(&Point::new(118.019, 24.019)));
    }

    #[test]
    fn candidates_rank_the_cell_among_the_unreached_first() {
        use crate::coverage::analysis::Population;
        use crate::store::households::HouseholdLocation;
        use std::sync::Arc;
        let cat = FacilityCatalogue::default_catalogue();
        let walk = StraightLine::default();
        // Thirty households in a cluster, three far off; no clinic anywhere.
        let mut households: Vec<HouseholdLocation> = (0..30)
            .map(|i| HouseholdLocation {
                id: i,
                address: String::new(),
                room: String::new(),
                lon: 118.010 + 0.0001 * (i % 5) as f64,
                lat: 24.010 + 0.0001 * (i / 5) as f64,
                unit_code: UnitCode::parse("350203001001").unwrap(),
            })
            .collect();
        for i in 0..3 {
            households.push(HouseholdLocation {
                id: 100 + i,
                address: String::new(),
                room: String::new(),
                lon: 118.019,
                lat: 24.001 + 0.0001 * i as f64,
                unit_code: UnitCode::parse("350203001001").unwrap(),
            });
        }
        let index = FacilityIndex::build(vec![]);
        let cov = Coverage::compute(Arc::new(Population::new(households)), &index, &cat, &walk);
        let unit = UnitCode::parse("350203001001").unwrap();
        let ranked = candidates(&cov, &unit, 0, 5.0, &walk, Resolution::Nine, 3);
        assert_eq!(ranked[0].newly_reached, 30, "{ranked:?}");
        let centre = ranked[0].at;
        assert!((centre.lon - 118.0102).abs() < 0.004 && (centre.lat - 24.0103).abs() < 0.004);
        let cells = cell_tallies(&cov, &unit, Resolution::Nine, cat.categories.len());
        assert_eq!(cells.iter().map(|c| c.households).sum::<u32>(), 33);
        assert!(cells.iter().all(|c| c.covered[0] == 0));
    }
}
