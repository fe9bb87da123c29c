//! Which households reach each element of the circle within its target: one bit per household
//! and category, computed once over an R-tree of households and then kept up to date by the
//! writes that can change it. A facility write recomputes only its category's bit of the
//! households within reach of its old and new place; a household change recomputes only the
//! households that moved, came or went.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use rstar::primitives::GeomWithData;
use rstar::RTree;
use serde::Serialize;

use crate::facilities::finder::within_target;
use crate::facilities::index::{m_to_chord2, unit_vector};
use crate::facilities::{Facility, FacilityCatalogue, FacilityIndex, WalkingTime};
use crate::spatial::crs::Wgs84;
use crate::store::households::HouseholdLocation;
use crate::units::UnitCode;

/// A household's point on the unit sphere with its position in [`Population::households`].
type HouseholdPoint = GeomWithData<[f64; 3], u32>;

/// The households analysed: sorted by unit code (then id), so that a unit's subtree is one
/// contiguous run, with an R-tree for "which households lie within d metres".
#[derive(Debug, Default)]
pub struct Population {
    households: Vec<HouseholdLocation>,
    tree: RTree<HouseholdPoint>,
}

impl Population {
    pub fn new(mut households: Vec<HouseholdLocation>) -> Population {
        households.sort_by(|a, b| a.unit_code.cmp(&b.unit_code).then(a.id.cmp(&b.id)));
        let points = households
            .iter()
            .enumerate()
            .map(|(i, h)| GeomWithData::new(unit_vector(location(h)), i as u32))
            .collect();
        Population {
            households,
            tree: RTree::bulk_load(points),
        }
    }

    pub fn len(&self) -> usize {
        self.households.len()
    }

    pub fn is_empty(&self) -> bool {
        self.households.is_empty()
    }

    pub fn household(&self, i: usize) -> &HouseholdLocation {
        &self.households[i]
    }

    /// The positions of the households within `unit` (the unit and everything below it).
    pub fn within_unit(&self, unit: &UnitCode) -> std::ops::Range<usize> {
        let code = unit.as_str();
        let start = self
            .households
            .partition_point(|h| h.unit_code.as_str() < code);
        let len =
            self.households[start..].partition_point(|h| h.unit_code.as_str().starts_with(code));
        start..start + len
    }

    /// The positions of the households within `metres` (great circle) of `p`.
    pub fn near(&self, p: Wgs84, metres: f64) -> impl Iterator<Item = usize> + '_ {
        self.tree
            .locate_within_distance(unit_vector(p), m_to_chord2(metres))
            .map(|e| e.data as usize)
    }
}

pub fn location(h: &HouseholdLocation) -> Wgs84 {
    Wgs84 {
        lon: h.lon,
        lat: h.lat,
    }
}

/// Households reached per element, for one unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tally {
    pub households: u32,
    /// Per category of the catalogue, in its order.
    pub covered: Vec<u32>,
}

/// The analysis: for every household of the population, one bit per category of the catalogue
/// (in its order; at most 16 categories), set when a facility lies within target.
#[derive(Debug, Clone)]
pub struct Coverage {
    pub population: Arc<Population>,
    reached: Vec<u16>,
}

pub use crate::facilities::catalogue::MAX_CATEGORIES;

impl Coverage {
    /// Computes every household × category from scratch.
    pub fn compute(
        population: Arc<Population>,
        index: &FacilityIndex,
        catalogue: &FacilityCatalogue,
        walking: &dyn WalkingTime,
    ) -> Coverage {
        let reached = population
            .households
            .iter()
            .map(|h| reached_bits(index, catalogue, walking, location(h)))
            .collect();
        Coverage {
            population,
            reached,
        }
    }

    pub fn reaches(&self, household: usize, category: usize) -> bool {
        self.reached[household] & (1 << category) != 0
    }

    /// The analysis after facility writes: each change is a facility's place before and
    /// after (either absent: created, deleted); `index` is the facility index after them all.
    /// Only the changed category's bit of the households within reach of either place is
    /// computed again.
    pub fn after_facility_writes<'f>(
        &self,
        changes: impl IntoIterator<Item = (Option<&'f Facility>, Option<&'f Facility>)>,
        index: &FacilityIndex,
        catalogue: &FacilityCatalogue,
        walking: &dyn WalkingTime,
    ) -> Coverage {
        let mut next = self.clone();
        for (before, after) in changes {
            for f in [before, after].into_iter().flatten() {
                let Some(c) = catalogue
                    .categories
                    .iter()
                    .position(|c| c.code == f.category)
                else {
                    continue;
                };
                let category = &catalogue.categories[c];
                let reach = walking.search_radius_m(category.widest_target());
                for i in self.population.near(f.location, reach) {
                    let p = location(&self.population.households[i]);
                    let hit = within_target(index, category, walking, p).is_some();
                    next.reached[i] = (next.reached[i] & !(1 << c)) | (u16::from(hit) << c);
                }
            }
        }
        next
    }

    /// The analysis of a new population (households imported, moved or deleted): households
    /// whose place is unchanged keep their bits; only the others are computed.
    pub fn after_household_change(
        &self,
        population: Arc<Population>,
        index: &FacilityIndex,
        catalogue: &FacilityCatalogue,
        walking: &dyn WalkingTime,
    ) -> (Coverage, usize) {
        let known: HashMap<i64, usize> = self
            .population
            .households
            .iter()
            .enumerate()
            .map(|(i, h)| (h.id, i))
            .collect();
        let mut computed = 0;
        let reached = population
            .households
            .iter()
            .map(|h| match known.get(&h.id) {
                Some(&i) if same_place(&self.population.households[i], h) => self.reached[i],
                _ => {
                    computed += 1;
                    reached_bits(index, catalogue, walking, location(h))
                }
            })
            .collect();
        (
            Coverage {
                population,
                reached,
            },
            computed,
        )
    }

    /// The tally of `unit` and of every unit below it that holds households, by code.
    pub fn tallies(&self, unit: &UnitCode, categories: usize) -> BTreeMap<String, Tally> {
        let mut out: BTreeMap<String, Tally> = BTreeMap::new();
        let floor = unit.as_str().len();
        for i in self.population.within_unit(unit) {
            let h = &self.population.households[i];
            let mut at = Some(h.unit_code.clone());
            while let Some(code) = at {
                if code.as_str().len() < floor {
                    break;
                }
                let t = out.entry(code.to_string()).or_insert_with(|| Tally {
                    households: 0,
                    covered: vec![0; categories],
                });
                t.households += 1;
                for (c, n) in t.covered.iter_mut().enumerate() {
                    *n += u32::from(self.reaches(i, c));
                }
                at = code.parent();
            }
        }
        out
    }

    /// The households within `unit` that no facility of category `c` reaches.
    pub fn unreached(&self, unit: &UnitCode, c: usize) -> impl Iterator<Item = usize> + '_ {
        self.population
            .within_unit(unit)
            .filter(move |&i| !self.reaches(i, c))
    }
}

fn same_place(a: &HouseholdLocation, b: &HouseholdLocation) -> bool {
    a.lon == b.lon && a.lat == b.lat && a.unit_code == b.unit_code
}

fn reached_bits(
    index: &FacilityIndex,
    catalogue: &FacilityCatalogue,
    walking: &dyn WalkingTime,
    p: Wgs84,
) -> u16 {
    catalogue
        .categories
        .iter()
        .take(MAX_CATEGORIES)
        .enumerate()
        .filter(|(_, c)| within_target(index, c, walking, p).is_some())
        .fold(0, |bits, (i, _)| bits | (1 << i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facilities::model::sample_facility as facility;
    use crate::facilities::walking::StraightLine;
    use rand::{Rng, SeedableRng};

    fn household(id: i64, unit: &str, lon: f64, lat: f64) -> HouseholdLocation {
        HouseholdLocation {
            id,
            address: format!("路{id}号"),
            room: String::new(),
            lon,
            lat,
            unit_code: UnitCode::parse(unit).unwrap(),
        }
    }

    fn random_world(seed: u64) -> (Vec<HouseholdLocation>, Vec<Facility>) {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let units = ["350203001001001", "350203001002001", "350203002001001"];
        let households = (0..2000)
            .map(|i| {
                household(
                    i,
                    units[i as usize % 3],
                    rng.gen_range(118.06..118.12),
                    rng.gen_range(24.44..24.50),
                )
            })
            .collect();
        let cats = ["medical", "education", "dining"];
        let kinds = [None, Some("kindergarten"), Some("community_canteen")];
        let facilities = (0..60)
            .map(|i| {
                let c = i as usize % 3;
                facility(
                    i,
                    cats[c],
                    kinds[c],
                    rng.gen_range(118.06..118.12),
                    rng.gen_range(24.44..24.50),
                )
            })
            .collect();
        (households, facilities)
    }

    /// The rule said plainly: some facility of the category within its kind's target, by a
    /// scan of every facility.
    fn brute(
        h: &HouseholdLocation,
        facilities: &[Facility],
        cat: &FacilityCatalogue,
        c: usize,
    ) -> bool {
        let walk = StraightLine::default();
        let category = &cat.categories[c];
        facilities.iter().any(|f| {
            f.category == category.code && {
                let d = crate::facilities::walking::haversine_m(location(h), f.location);
                walk.minutes_for(d) <= category.target_for(f.kind.as_deref())
            }
        })
    }

    #[test]
    fn every_bit_matches_a_scan_of_every_facility() {
        let (households, facilities) = random_world(3);
        let cat = FacilityCatalogue::default_catalogue();
        let walk = StraightLine::default();
        let index = FacilityIndex::build(facilities.clone());
        let cov = Coverage::compute(Arc::new(Population::new(households)), &index, &cat, &walk);
        let mut reached = 0;
        for i in 0..cov.population.len() {
            for c in 0..cat.categories.len() {
                let want = brute(cov.population.household(i), &facilities, &cat, c);
                assert_eq!(cov.reaches(i, c), want, "household {i}, category {c}");
                reached += usize::from(want);
            }
        }
        assert!(
            reached > 500,
            "the test world reaches too little: {reached}"
        );
    }

    #[test]
    fn a_facility_write_updates_only_what_it_changes_and_agrees_with_a_fresh_computation() {
        let (households, mut facilities) = random_world(5);
        let cat = FacilityCatalogue::default_catalogue();
        let walk = StraightLine::default();
        let population = Arc::new(Population::new(households));
        let mut index = FacilityIndex::build(facilities.clone());
        let mut cov = Coverage::compute(population.clone(), &index, &cat, &walk);
        // Move one, delete one, add one.
        let before = facilities[0].clone();
        facilities[0].location = Wgs84 {
            lon: 118.09,
            lat: 24.47,
        };
        index = index.with(facilities[0].clone());
        cov =
            cov.after_facility_writes([(Some(&before), Some(&facilities[0]))], &index, &cat, &walk);
        let gone = facilities.remove(1);
        index = index.without(gone.id);
        cov = cov.after_facility_writes([(Some(&gone), None)], &index, &cat, &walk);
        let new = facility(999, "dining", None, 118.07, 24.45);
        facilities.push(new.clone());
        index = index.with(new.clone());
        cov = cov.after_facility_writes([(None, Some(&new))], &index, &cat, &walk);
        let fresh = Coverage::compute(population, &index, &cat, &walk);
        assert_eq!(cov.reached, fresh.reached);
    }

    #[test]
    fn a_household_change_computes_only_the_households_that_moved_or_came() {
        let (mut households, facilities) = random_world(9);
        let cat = FacilityCatalogue::default_catalogue();
        let walk = StraightLine::default();
        let index = FacilityIndex::build(facilities);
        let cov = Coverage::compute(
            Arc::new(Population::new(households.clone())),
            &index,
            &cat,
            &walk,
        );
        households[10].lat += 0.01;
        households.remove(20);
        households.push(household(5000, "350203001001001", 118.1, 24.47));
        let (next, computed) = cov.after_household_change(
            Arc::new(Population::new(households.clone())),
            &index,
            &cat,
            &walk,
        );
        assert_eq!(computed, 2);
        let fresh = Coverage::compute(Arc::new(Population::new(households)), &index, &cat, &walk);
        assert_eq!(next.reached, fresh.reached);
    }

    #[test]
    fn tallies_add_up_from_grids_to_the_district() {
        let (households, facilities) = random_world(13);
        let cat = FacilityCatalogue::default_catalogue();
        let walk = StraightLine::default();
        let index = FacilityIndex::build(facilities);
        let cov = Coverage::compute(Arc::new(Population::new(households)), &index, &cat, &walk);
        let n = cat.categories.len();
        let t = cov.tallies(&UnitCode::parse("350203").unwrap(), n);
        assert_eq!(t["350203"].households, 2000);
        let streets: u32 = ["350203001", "350203002"]
            .iter()
            .map(|s| t[*s].covered[0])
            .sum();
        assert_eq!(streets, t["350203"].covered[0]);
        let street = cov.tallies(&UnitCode::parse("350203001").unwrap(), n);
        assert!(!street.contains_key("350203"));
        assert_eq!(street["350203001"], t["350203001"]);
        let unreached = cov
            .unreached(&UnitCode::parse("350203001").unwrap(), 0)
            .count() as u32;
        assert_eq!(
            unreached,
            t["350203001"].households - t["350203001"].covered[0]
        );
    }

    #[test]
    fn near_finds_exactly_the_households_within_the_radius() {
        let (households, _) = random_world(17);
        let population = Population::new(households);
        let p = Wgs84 {
            lon: 118.09,
            lat: 24.47,
        };
        let mut got: Vec<usize> = population.near(p, 700.0).collect();
        got.sort();
        let want: Vec<usize> = (0..population.len())
            .filter(|&i| {
                crate::facilities::walking::haversine_m(p, location(population.household(i)))
                    <= 700.0
            })
            .collect();
        assert!(!want.is_empty());
        assert_eq!(got, want);
    }
}
