//! Made-up street addresses of the demo population: each community gets a few seeded road names,
//! and an address names the district, street and community a place lies in, then a road and a
//! number: 思明区厦港街道鸿山社区榕岭路12号.

use super::district_tree::DistrictTree;
use super::names::{road, Road};
use super::rng::{Purpose, SplitMix64};

/// Roads per community, drawn uniformly.
const ROADS_PER_COMMUNITY: (usize, usize) = (4, 7);

/// The made-up roads of every community of a district, each with the last building number it
/// handed out, so that buildings along a road get distinct, rising numbers.
pub(crate) struct Roads {
    /// Per community (index of [`DistrictTree::communities`]): its roads and their last numbers.
    roads: Vec<Vec<(Road, u32)>>,
}

impl Roads {
    /// Distinct road names for every community of `tree`.
    pub(crate) fn new(tree: &DistrictTree, seed: u64) -> Roads {
        let roads = tree
            .communities
            .iter()
            .map(|c| {
                let mut rng = SplitMix64::for_unit(seed, &c.code, Purpose::Roads);
                let count = rng.range_inclusive(ROADS_PER_COMMUNITY.0, ROADS_PER_COMMUNITY.1);
                let mut list: Vec<(Road, u32)> = Vec::with_capacity(count);
                // The lists of name parts are long, so a few redraws always find new names.
                for _ in 0..count * 20 {
                    if list.len() == count {
                        break;
                    }
                    let r = road(&mut rng);
                    if list.iter().all(|(known, _)| known.stem != r.stem) {
                        list.push((r, 0));
                    }
                }
                list
            })
            .collect();
        Roads { roads }
    }

    /// A new building (or facility) on a road of community `c`: the road and the next free
    /// number, 1–6 past the last one (numbers skip, as they do where lots were merged).
    pub(crate) fn next_building(&mut self, c: usize, rng: &mut SplitMix64) -> Option<(Road, u32)> {
        let list = self.roads.get_mut(c)?;
        if list.is_empty() {
            return None;
        }
        let i = rng.range_inclusive(0, list.len() - 1);
        list[i].1 += rng.range_inclusive(1, 6) as u32;
        Some(list[i].clone())
    }
}

/// 思明区厦港街道鸿山社区榕岭路12号: district, street, community, road and number.
pub(crate) fn address(tree: &DistrictTree, community: usize, road: &Road, number: u32) -> String {
    let c = &tree.communities[community];
    let street = &tree.streets[c.street];
    format!(
        "{}{}{}{}{number}号",
        tree.name, street.name, c.name, road.name
    )
}
