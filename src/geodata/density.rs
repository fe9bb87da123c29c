//! Where the demo population lives and how well its communities are served: seeded weights that
//! households and facilities are drawn by.
//!
//! Residents per micro-grid follow a few dense cores (old-town centres) that thin out with
//! distance, times a community factor and a micro-grid factor; about one micro-grid in ten is
//! hardly lived in (hills, parks, campuses, offices). Cores are drawn off 鼓浪屿 (Gulangyu), so the
//! island, a car-free place of museums and guesthouses, comes out sparse. A community's service
//! level is drawn independently of its density, so some dense communities are poorly served.

use geo::Coord;

use super::district_tree::DistrictTree;
use super::rng::{Purpose, SplitMix64};
use super::GULANGYU_STREET;

/// Dense cores of the district.
const CORES: usize = 5;
/// Residents weight of a place far from every core, against up to 3 at a core.
const BACKGROUND: f64 = 0.15;
/// Share of micro-grids that are hardly lived in.
const EMPTY_SHARE: f64 = 0.1;
/// Their weight against an ordinary micro-grid's.
const EMPTY_FACTOR: f64 = 0.05;

/// The seeded weights of one district.
pub(crate) struct Density {
    /// Relative residents of each micro-grid (index of [`DistrictTree::micro_grids`]), mean 1.
    pub residents: Vec<f64>,
    /// How well each community is served, 0.3–1.7 (index of [`DistrictTree::communities`]).
    pub service: Vec<f64>,
}

/// A dense core: its weight at the centre and the distance (degrees) at which it halves.
struct Core {
    centre: Coord<f64>,
    peak: f64,
    radius: f64,
}

impl Density {
    /// The weights of `tree` for `seed`.
    pub(crate) fn new(tree: &DistrictTree, seed: u64) -> Density {
        let mut rng = SplitMix64::for_unit(seed, &tree.code, Purpose::Density);
        let cores = draw_cores(tree, &mut rng);
        // Per community: a density factor and, independently, a service level skewed low (a
        // few communities well served, many middling, some poorly).
        let (community_factor, service): (Vec<f64>, Vec<f64>) = tree
            .communities
            .iter()
            .map(|c| {
                let mut r = SplitMix64::for_unit(seed, &c.code, Purpose::Density);
                let factor = 0.6 + 0.8 * r.next_f64();
                let u = r.next_f64();
                (factor, 0.3 + 1.4 * u * u)
            })
            .unzip();
        let mut residents: Vec<f64> = (0..tree.micro_grids.len())
            .map(|m| {
                let grid = &tree.micro_grids[m];
                let mut r = SplitMix64::for_unit(seed, &grid.code, Purpose::Density);
                let here = tree.middle_of(m);
                let from_cores: f64 = cores
                    .iter()
                    .map(|c| {
                        c.peak / (1.0 + tree.distance2(here, c.centre) / (c.radius * c.radius))
                    })
                    .sum();
                let local = if r.chance(EMPTY_SHARE) {
                    EMPTY_FACTOR
                } else {
                    0.4 + 1.2 * r.next_f64()
                };
                (BACKGROUND + from_cores) * community_factor[grid.community] * local
            })
            .collect();
        let mean = residents.iter().sum::<f64>() / residents.len().max(1) as f64;
        if mean > 0.0 {
            for w in &mut residents {
                *w /= mean;
            }
        }
        Density { residents, service }
    }
}

/// Cores centred on micro-grids off Gulangyu, each 1–3 times the background at its centre and
/// halving within 0.6–1.5 km.
fn draw_cores(tree: &DistrictTree, rng: &mut SplitMix64) -> Vec<Core> {
    let mainland: Vec<usize> = (0..tree.micro_grids.len())
        .filter(|&m| tree.street_of(m).code != GULANGYU_STREET)
        .collect();
    (0..CORES)
        .filter_map(|_| {
            let m = *rng.pick(&mainland)?;
            Some(Core {
                centre: tree.middle_of(m),
                peak: 1.0 + 2.0 * rng.next_f64(),
                radius: 0.006 + 0.009 * rng.next_f64(),
            })
        })
        .collect()
}
