//! Builds one district's units, top down: district → streets → communities → grids
//! (→ micro-grids), each level a partition of the one above.

use anyhow::{anyhow, Context};
use geo::{Contains, Coord, MultiPolygon, Polygon};
use serde_json::{Map, Value};

use super::partition::{partition, Params};
use super::rng::{Purpose, SplitMix64};
use crate::units::{UnitCode, UnitDraft};

/// Densities and effort for one kind of dataset.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Profile {
    /// Grids per community, drawn uniformly from this range.
    pub grids_per_community: (usize, usize),
    /// When set, the drawn counts are nudged (within the range) until the district has exactly
    /// this many grids.
    pub grids_in_district: Option<usize>,
    /// Micro-grids per grid, drawn uniformly; none when `None`.
    pub micro_grids_per_grid: Option<(usize, usize)>,
    /// District → streets and street → communities.
    pub upper: Params,
    /// Community → grids.
    pub grids: Params,
    /// Grid → micro-grids.
    pub micro_grids: Params,
}

/// The committed demo: about six grids per community, exactly 600 in the district, 3–6
/// micro-grids per grid, and thorough relaxation (it is small).
pub(crate) const DEMO: Profile = Profile {
    grids_per_community: (4, 8),
    grids_in_district: Some(600),
    micro_grids_per_grid: Some((3, 6)),
    upper: Params {
        samples_per_child: 400,
        iterations: 12,
        balance: true,
    },
    grids: Params {
        samples_per_child: 150,
        iterations: 8,
        balance: true,
    },
    micro_grids: Params {
        samples_per_child: 100,
        iterations: 6,
        balance: true,
    },
};

/// The national benchmark set: 4–8 grids per community (6 on average), no micro-grids, and
/// only as much relaxation as keeps cells compact.
pub(crate) const NATIONAL: Profile = Profile {
    grids_per_community: (4, 8),
    grids_in_district: None,
    micro_grids_per_grid: None,
    upper: Params {
        samples_per_child: 32,
        iterations: 5,
        balance: true,
    },
    grids: Params {
        samples_per_child: 16,
        iterations: 2,
        balance: false,
    },
    micro_grids: Params {
        samples_per_child: 16,
        iterations: 2,
        balance: false,
    },
};

pub(crate) struct DistrictPlan {
    pub code: String,
    pub name: String,
    /// Already repaired.
    pub outline: MultiPolygon<f64>,
    pub attributes: Map<String, Value>,
    /// In code order.
    pub streets: Vec<StreetPlan>,
    /// Streets that take whole parts of the outline: (street code, a point on the part). The
    /// other streets share the remaining parts.
    pub pinned: Vec<(String, Coord<f64>)>,
}

pub(crate) struct StreetPlan {
    pub code: String,
    pub name: String,
    /// `(code, name)` in code order.
    pub communities: Vec<(String, String)>,
}

/// All units of one district in code order (each parent right before its children).
pub(crate) fn build_district(
    plan: &DistrictPlan,
    profile: &Profile,
    seed: u64,
) -> anyhow::Result<Vec<UnitDraft>> {
    let grid_counts = grid_counts(plan, profile, seed);
    let mut units = Vec::new();
    units.push(draft(
        &plan.code,
        &plan.name,
        plan.outline.clone(),
        plan.attributes.clone(),
    )?);

    // Each street and community weighs as many grids as it will hold, so grids come out of
    // similar size across the district. A street without communities weighs an average one.
    let mean_grids = (profile.grids_per_community.0 + profile.grids_per_community.1) as f64 / 2.0;
    let mut first_community = 0;
    let mut street_weights = Vec::with_capacity(plan.streets.len());
    let mut community_ranges = Vec::with_capacity(plan.streets.len());
    for street in &plan.streets {
        let range = first_community..first_community + street.communities.len();
        first_community = range.end;
        let grids: usize = grid_counts[range.clone()].iter().sum();
        street_weights.push(if grids == 0 { mean_grids } else { grids as f64 });
        community_ranges.push(range);
    }
    let streets = split_streets(plan, &street_weights, profile, seed)
        .with_context(|| format!("district {} {}", plan.code, plan.name))?;

    for ((street, street_geometry), range) in plan.streets.iter().zip(streets).zip(community_ranges)
    {
        units.push(draft(
            &street.code,
            &street.name,
            street_geometry.clone(),
            generated(seed),
        )?);
        let counts = &grid_counts[range];
        let weights: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
        let communities = split(
            &street_geometry,
            &weights,
            &profile.upper,
            seed,
            &street.code,
        )
        .with_context(|| format!("street {} {}", street.code, street.name))?;
        for (((code, name), geometry), &count) in
            street.communities.iter().zip(communities).zip(counts)
        {
            units.push(draft(code, name, geometry.clone(), generated(seed))?);
            build_grids(code, name, &geometry, count, profile, seed, &mut units)
                .with_context(|| format!("community {code} {name}"))?;
        }
    }
    Ok(units)
}

fn build_grids(
    community_code: &str,
    community_name: &str,
    geometry: &MultiPolygon<f64>,
    count: usize,
    profile: &Profile,
    seed: u64,
    units: &mut Vec<UnitDraft>,
) -> anyhow::Result<()> {
    let short = community_short_name(community_name);
    let grids = split(
        geometry,
        &vec![1.0; count],
        &profile.grids,
        seed,
        community_code,
    )?;
    for (g, grid_geometry) in grids.into_iter().enumerate() {
        let grid_code = format!("{community_code}{:03}", g + 1);
        let grid_name = format!("{short}第{}网格", g + 1);
        units.push(draft(
            &grid_code,
            &grid_name,
            grid_geometry.clone(),
            generated(seed),
        )?);
        let Some((lo, hi)) = profile.micro_grids_per_grid else {
            continue;
        };
        let micro_count =
            SplitMix64::for_unit(seed, &grid_code, Purpose::ChildCount).range_inclusive(lo, hi);
        let micro = split(
            &grid_geometry,
            &vec![1.0; micro_count],
            &profile.micro_grids,
            seed,
            &grid_code,
        )
        .with_context(|| format!("grid {grid_code}"))?;
        for (m, micro_geometry) in micro.into_iter().enumerate() {
            units.push(draft(
                &format!("{grid_code}{:02}", m + 1),
                &format!("{grid_name}第{}微网格", m + 1),
                micro_geometry,
                generated(seed),
            )?);
        }
    }
    Ok(())
}

/// The district cut into its streets: pinned streets take their parts whole, the others share
/// the rest by weight.
fn split_streets(
    plan: &DistrictPlan,
    weights: &[f64],
    profile: &Profile,
    seed: u64,
) -> anyhow::Result<Vec<MultiPolygon<f64>>> {
    if plan.pinned.is_empty() {
        return split(&plan.outline, weights, &profile.upper, seed, &plan.code);
    }
    let mut owner: Vec<Option<usize>> = vec![None; plan.outline.0.len()];
    for (code, point) in &plan.pinned {
        let street = plan
            .streets
            .iter()
            .position(|s| &s.code == code)
            .ok_or_else(|| anyhow!("pinned street {code} is not in the district"))?;
        let part = plan
            .outline
            .0
            .iter()
            .position(|p| p.contains(point))
            .ok_or_else(|| anyhow!("no part of the outline contains the point pinned to {code}"))?;
        owner[part] = Some(street);
    }
    let mut parts: Vec<Vec<Polygon<f64>>> = vec![Vec::new(); plan.streets.len()];
    let mut rest = Vec::new();
    for (polygon, owner) in plan.outline.0.iter().zip(&owner) {
        match owner {
            Some(street) => parts[*street].push(polygon.clone()),
            None => rest.push(polygon.clone()),
        }
    }
    let free: Vec<usize> = (0..plan.streets.len())
        .filter(|&i| parts[i].is_empty())
        .collect();
    let free_weights: Vec<f64> = free.iter().map(|&i| weights[i]).collect();
    let shared = split(
        &MultiPolygon(rest),
        &free_weights,
        &profile.upper,
        seed,
        &plan.code,
    )?;
    let mut out: Vec<MultiPolygon<f64>> = parts.into_iter().map(MultiPolygon).collect();
    for (i, geometry) in free.into_iter().zip(shared) {
        out[i] = geometry;
    }
    Ok(out)
}

/// Grids per community, in the order of the communities in the plan.
fn grid_counts(plan: &DistrictPlan, profile: &Profile, seed: u64) -> Vec<usize> {
    let (lo, hi) = profile.grids_per_community;
    let n: usize = plan.streets.iter().map(|s| s.communities.len()).sum();
    let mut rng = SplitMix64::for_unit(seed, &plan.code, Purpose::ChildCount);
    let mut counts: Vec<usize> = (0..n).map(|_| rng.range_inclusive(lo, hi)).collect();
    if let (Some(total), true) = (profile.grids_in_district, n > 0) {
        let total = total.clamp(n * lo, n * hi);
        let mut sum: usize = counts.iter().sum();
        while sum != total {
            let i = rng.range_inclusive(0, n - 1);
            if sum < total && counts[i] < hi {
                counts[i] += 1;
                sum += 1;
            } else if sum > total && counts[i] > lo {
                counts[i] -= 1;
                sum -= 1;
            }
        }
    }
    counts
}

fn split(
    parent: &MultiPolygon<f64>,
    weights: &[f64],
    params: &Params,
    seed: u64,
    parent_code: &str,
) -> anyhow::Result<Vec<MultiPolygon<f64>>> {
    let mut rng = SplitMix64::for_unit(seed, parent_code, Purpose::Partition);
    partition(parent, weights, params, &mut rng).map_err(|e| {
        anyhow!(
            "cannot split {parent_code} into {} parts: {e}",
            weights.len()
        )
    })
}

fn draft(
    code: &str,
    name: &str,
    geometry: MultiPolygon<f64>,
    attributes: Map<String, Value>,
) -> anyhow::Result<UnitDraft> {
    Ok(UnitDraft {
        code: UnitCode::parse(code).map_err(|e| anyhow!(e))?,
        name: name.to_owned(),
        geometry,
        attributes,
    })
}

/// `{"source": "generated", "seed": seed}`: nothing else, in particular no made-up people.
pub(crate) fn generated(seed: u64) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("source".to_owned(), Value::from("generated"));
    m.insert("seed".to_owned(), Value::from(seed));
    m
}

/// The community's name without its committee suffix, for naming its grids:
/// 鸿山社区居委会 → 鸿山社区, 前进村村委会 → 前进村, 王庄村民委员会 → 王庄村.
pub(crate) fn community_short_name(name: &str) -> String {
    const SUFFIXES: [(&str, &str); 5] = [
        ("村民委员会", "村"),
        ("居民委员会", ""),
        ("村委会", "村"),
        ("居委会", ""),
        ("委员会", ""),
    ];
    for (suffix, replacement) in SUFFIXES {
        if let Some(stem) = name.strip_suffix(suffix) {
            if stem.is_empty() {
                break;
            }
            if stem.ends_with(replacement) {
                return stem.to_owned();
            }
            return format!("{stem}{replacement}");
        }
    }
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committee_suffixes_are_dropped_from_grid_names() {
        assert_eq!(community_short_name("鸿山社区居委会"), "鸿山社区");
        assert_eq!(
            community_short_name("大北家园社区居民委员会"),
            "大北家园社区"
        );
        assert_eq!(community_short_name("前进村村委会"), "前进村");
        assert_eq!(community_short_name("王庄村委会"), "王庄村");
        assert_eq!(community_short_name("王庄村民委员会"), "王庄村");
        assert_eq!(community_short_name("东风生活区"), "东风生活区");
        assert_eq!(community_short_name("居委会"), "居委会");
    }
}
