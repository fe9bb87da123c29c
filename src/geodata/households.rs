//! Demo households for the demo district: a sample spread over micro-grids by their residents
//! weight and clustered in buildings (households of a building share its address and point and
//! differ by room), with made-up heads of household, fictional phones, sizes and tags, written
//! as the CSV that `wangge households import` reads.

use std::collections::BTreeSet;

use anyhow::{anyhow, Context};
use geo::Coord;

use super::address::{address, Roads};
use super::density::Density;
use super::district_tree::DistrictTree;
use super::names::person_name;
use super::rng::{Purpose, SplitMix64};
use crate::households::model::Tag;

/// The committed demo's households: about 1 in 13 of Siming's roughly 400,000.
pub const DEMO_HOUSEHOLDS: usize = 30_000;

/// Fictional mobile numbers: 19900000000 … 19900009999 (numbers may repeat between households).
const PHONE_PREFIX: &str = "1990000";
/// Households of one building in the sample, drawn uniformly (a real building holds about 13
/// times as many).
const HOUSEHOLDS_PER_BUILDING: (usize, usize) = (2, 10);
/// Share of buildings that are high-rises (11–33 floors); the others have 4–8.
const HIGH_RISE_SHARE: f64 = 0.55;
/// Shares of household sizes 1 … 6, in percent (shaped after China's 2020 census: about a
/// quarter live alone, 2.6 people on average).
const SIZE_PERCENT: [u32; 6] = [24, 30, 22, 13, 7, 4];
/// Shares of tagged households: elderly living alone (always 1 person), party-member
/// households (党员中心户), low-income households (低保户).
const ELDERLY_ALONE_SHARE: f64 = 0.035;
const PARTY_MEMBER_SHARE: f64 = 0.02;
const LOW_INCOME_SHARE: f64 = 0.01;

/// One generated household, as a row of the households CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoHousehold {
    /// The building: 思明区厦港街道鸿山社区榕岭路12号.
    pub address: String,
    /// Unit, floor and room: 3-502.
    pub room: String,
    /// The head of household, made up.
    pub name: String,
    /// A fictional mobile number, 1990000xxxx.
    pub phone: String,
    /// People, 1–6.
    pub size: u32,
    /// In `Tag` order.
    pub tags: Vec<Tag>,
    /// The building's point, WGS84 rounded to 6 decimals.
    pub location: Coord<f64>,
    /// The micro-grid it lies in.
    pub micro_grid: String,
}

/// `count` households over the micro-grids of `tree`, micro-grid by micro-grid in code order.
pub(crate) fn generate_households(
    tree: &DistrictTree,
    density: &Density,
    roads: &mut Roads,
    count: usize,
    seed: u64,
) -> anyhow::Result<Vec<DemoHousehold>> {
    let quotas = quotas(&density.residents, count);
    let mut out = Vec::with_capacity(count);
    for (m, &quota) in quotas.iter().enumerate() {
        let grid = &tree.micro_grids[m];
        let mut rng = SplitMix64::for_unit(seed, &grid.code, Purpose::Households);
        let mut left = quota;
        while left > 0 {
            let placed = building(tree, roads, m, left, &mut rng, &mut out)
                .with_context(|| format!("micro-grid {}", grid.code))?;
            left -= placed;
        }
    }
    Ok(out)
}

/// Adds one building of micro-grid `m` with up to `left` households; returns how many.
fn building(
    tree: &DistrictTree,
    roads: &mut Roads,
    m: usize,
    left: usize,
    rng: &mut SplitMix64,
    out: &mut Vec<DemoHousehold>,
) -> anyhow::Result<usize> {
    let community = tree.micro_grids[m].community;
    let (road, number) = roads.next_building(community, rng).ok_or_else(|| {
        anyhow!(
            "community {} has no roads",
            tree.communities[community].code
        )
    })?;
    let address = address(tree, community, &road, number);
    let location = tree.point_in(m, rng)?;
    let floors = if rng.chance(HIGH_RISE_SHARE) {
        rng.range_inclusive(11, 33)
    } else {
        rng.range_inclusive(4, 8)
    };
    let units = rng.range_inclusive(1, 4);
    let per_floor = rng.range_inclusive(2, 4);
    // At most half the rooms, so that free rooms are quick to find.
    let households = rng
        .range_inclusive(HOUSEHOLDS_PER_BUILDING.0, HOUSEHOLDS_PER_BUILDING.1)
        .min(left)
        .min(floors * units * per_floor / 2);
    let mut rooms = BTreeSet::new();
    while rooms.len() < households {
        let room = format!(
            "{}-{}{:02}",
            rng.range_inclusive(1, units),
            rng.range_inclusive(1, floors),
            rng.range_inclusive(1, per_floor)
        );
        if !rooms.insert(room.clone()) {
            continue;
        }
        out.push(household(
            address.clone(),
            room,
            location,
            &tree.micro_grids[m].code,
            rng,
        ));
    }
    Ok(households)
}

fn household(
    address: String,
    room: String,
    location: Coord<f64>,
    micro_grid: &str,
    rng: &mut SplitMix64,
) -> DemoHousehold {
    let name = person_name(rng);
    let phone = format!("{PHONE_PREFIX}{:04}", rng.range_inclusive(0, 9999));
    let mut size = household_size(rng);
    let mut tags = Vec::new();
    if rng.chance(ELDERLY_ALONE_SHARE) {
        tags.push(Tag::ElderlyAlone);
        size = 1;
    }
    if rng.chance(PARTY_MEMBER_SHARE) {
        tags.push(Tag::PartyMemberHousehold);
    }
    if rng.chance(LOW_INCOME_SHARE) {
        tags.push(Tag::LowIncome);
    }
    DemoHousehold {
        address,
        room,
        name,
        phone,
        size,
        tags,
        location,
        micro_grid: micro_grid.to_owned(),
    }
}

fn household_size(rng: &mut SplitMix64) -> u32 {
    let total: u32 = SIZE_PERCENT.iter().sum();
    let mut target = rng.range_inclusive(0, total as usize - 1) as u32;
    for (i, share) in SIZE_PERCENT.iter().enumerate() {
        if target < *share {
            return i as u32 + 1;
        }
        target -= share;
    }
    1
}

/// `count` split by `weights` (largest remainders; ties to the lower index), so the parts add
/// up to `count` exactly.
fn quotas(weights: &[f64], count: usize) -> Vec<usize> {
    let total: f64 = weights.iter().map(|w| w.max(0.0)).sum();
    if weights.is_empty() || total <= 0.0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights
        .iter()
        .map(|w| w.max(0.0) / total * count as f64)
        .collect();
    let mut parts: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let given: usize = parts.iter().sum();
    let mut by_remainder: Vec<usize> = (0..weights.len()).collect();
    by_remainder.sort_by(|&a, &b| {
        let (ra, rb) = (exact[a] - parts[a] as f64, exact[b] - parts[b] as f64);
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &i in by_remainder
        .iter()
        .cycle()
        .take(count.saturating_sub(given))
    {
        parts[i] += 1;
    }
    parts
}

/// The households as CSV with the header `address,room,name,phone,size,lon,lat,tags` (tags
/// separated by `;`, in the spelling `Tag::parse` reads).
pub fn households_csv(households: &[DemoHousehold]) -> anyhow::Result<String> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    writer.write_record([
        "address", "room", "name", "phone", "size", "lon", "lat", "tags",
    ])?;
    for h in households {
        let tags: Vec<&str> = h.tags.iter().map(|t| t.as_str()).collect();
        writer.write_record([
            h.address.as_str(),
            &h.room,
            &h.name,
            &h.phone,
            &h.size.to_string(),
            &format!("{:.6}", h.location.x),
            &format!("{:.6}", h.location.y),
            &tags.join(";"),
        ])?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| anyhow!("writing the households CSV: {e}"))?;
    Ok(String::from_utf8(bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_add_up_to_the_count_and_follow_the_weights() {
        let q = quotas(&[1.0, 2.0, 0.0, 1.0], 10);
        assert_eq!(q.iter().sum::<usize>(), 10);
        assert_eq!(q[2], 0);
        assert!(q[1] >= q[0] && q[1] >= q[3], "{q:?}");
        assert_eq!(quotas(&[0.0, 0.0], 5), vec![0, 0]);
    }

    #[test]
    fn household_sizes_are_one_to_six() {
        let mut rng = SplitMix64::new(4);
        let sizes: BTreeSet<u32> = (0..2000).map(|_| household_size(&mut rng)).collect();
        assert_eq!(sizes, (1..=6).collect());
    }
}
