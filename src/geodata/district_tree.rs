//! The demo units as the population generator sees them: one district, its streets, communities
//! and micro-grids, each micro-grid with its outline, a point locator and its parents. Points are
//! drawn inside micro-grids, so every generated place lies in exactly one unit chain.

use std::ops::Range;

use anyhow::{anyhow, bail, Context};
use geo::{BoundingRect, Contains, Coord, MultiPolygon, Rect};

use super::hierarchy::community_short_name;
use super::locate::Locator;
use super::partition::{cos_deg, sample_inside};
use super::rng::SplitMix64;
use crate::units::{Level, UnitDraft};

/// Rejection-sampling rounds (each up to ten thousand tries) before a unit counts as unusable.
const SAMPLE_ROUNDS: usize = 8;

/// A street (街道) and the communities it holds.
pub(crate) struct Street {
    pub code: String,
    /// The full name, e.g. 厦港街道.
    pub name: String,
    pub geometry: MultiPolygon<f64>,
    /// Indices into [`DistrictTree::communities`].
    pub communities: Range<usize>,
}

/// A community (社区) and its micro-grids.
pub(crate) struct Community {
    pub code: String,
    /// The name as people say it, without the committee suffix: 鸿山社区.
    pub name: String,
    /// The name's stem without 社区 or 村, for naming places after it: 鸿山.
    pub stem: String,
    /// Index into [`DistrictTree::streets`].
    pub street: usize,
    /// Indices into [`DistrictTree::micro_grids`].
    pub micro_grids: Range<usize>,
}

/// A micro-grid (微网格), the unit every generated point is drawn in.
pub(crate) struct MicroGrid {
    pub code: String,
    /// Index into [`DistrictTree::communities`].
    pub community: usize,
    pub geometry: MultiPolygon<f64>,
    locator: Locator,
    rect: Rect<f64>,
}

/// One district read from generated units (streets, communities, grids, micro-grids), every list
/// in code order.
pub(crate) struct DistrictTree {
    pub code: String,
    /// e.g. 思明区.
    pub name: String,
    pub streets: Vec<Street>,
    pub communities: Vec<Community>,
    pub micro_grids: Vec<MicroGrid>,
    /// cos(latitude) at the district's middle: the scale of longitude differences.
    pub lon_scale: f64,
}

impl DistrictTree {
    /// The tree of the one district in `units`, which must reach down to micro-grids.
    pub(crate) fn from_units(units: &[UnitDraft]) -> anyhow::Result<DistrictTree> {
        let mut sorted: Vec<&UnitDraft> = units.iter().collect();
        sorted.sort_by(|a, b| a.code.cmp(&b.code));
        let mut districts = sorted.iter().filter(|u| u.code.level() == Level::District);
        let district = districts
            .next()
            .ok_or_else(|| anyhow!("the units hold no district"))?;
        if let Some(other) = districts.next() {
            bail!(
                "the units hold two districts, {} and {}; the demo population needs one",
                district.code,
                other.code
            );
        }
        let rect = district
            .geometry
            .bounding_rect()
            .ok_or_else(|| anyhow!("district {} has no outline", district.code))?;
        let mut tree = DistrictTree {
            code: district.code.to_string(),
            name: district.name.clone(),
            streets: Vec::new(),
            communities: Vec::new(),
            micro_grids: Vec::new(),
            lon_scale: cos_deg((rect.min().y + rect.max().y) / 2.0),
        };
        for unit in sorted {
            tree.add(unit)
                .with_context(|| format!("unit {} {}", unit.code, unit.name))?;
        }
        if tree.micro_grids.is_empty() {
            bail!(
                "district {} has no micro-grids; generate it with `wangge geodata demo`",
                tree.code
            );
        }
        Ok(tree)
    }

    /// Adds one unit; its parents come before it in code order.
    fn add(&mut self, unit: &UnitDraft) -> anyhow::Result<()> {
        let code = unit.code.as_str();
        let parent = unit.code.parent();
        let parent = parent.as_ref().map_or("", |p| p.as_str());
        match unit.code.level() {
            Level::District | Level::Grid => {}
            Level::Street => {
                if parent != self.code {
                    bail!("street outside district {}", self.code);
                }
                let next = self.communities.len();
                self.streets.push(Street {
                    code: code.to_owned(),
                    name: unit.name.clone(),
                    geometry: unit.geometry.clone(),
                    communities: next..next,
                });
            }
            Level::Community => {
                let street = self
                    .streets
                    .len()
                    .checked_sub(1)
                    .filter(|&s| self.streets[s].code == parent)
                    .ok_or_else(|| anyhow!("its street {parent} is missing"))?;
                let name = community_short_name(&unit.name);
                let stem = name
                    .strip_suffix("社区")
                    .or_else(|| name.strip_suffix('村'))
                    .filter(|s| !s.is_empty())
                    .unwrap_or(&name)
                    .to_owned();
                let next = self.micro_grids.len();
                self.communities.push(Community {
                    code: code.to_owned(),
                    name,
                    stem,
                    street,
                    micro_grids: next..next,
                });
                self.streets[street].communities.end = self.communities.len();
            }
            Level::MicroGrid => {
                let community = self
                    .communities
                    .len()
                    .checked_sub(1)
                    .filter(|&c| parent.starts_with(self.communities[c].code.as_str()))
                    .ok_or_else(|| anyhow!("its community is missing"))?;
                let rect = unit
                    .geometry
                    .bounding_rect()
                    .ok_or_else(|| anyhow!("empty outline"))?;
                self.micro_grids.push(MicroGrid {
                    code: code.to_owned(),
                    community,
                    locator: Locator::new(&unit.geometry),
                    geometry: unit.geometry.clone(),
                    rect,
                });
                self.communities[community].micro_grids.end = self.micro_grids.len();
            }
        }
        Ok(())
    }

    /// The street a micro-grid lies in.
    pub(crate) fn street_of(&self, micro_grid: usize) -> &Street {
        &self.streets[self.communities[self.micro_grids[micro_grid].community].street]
    }

    /// A point strictly inside micro-grid `m`, already on the 6-decimal grid the files are
    /// written in (so that rounding cannot move it onto an edge or out).
    pub(crate) fn point_in(&self, m: usize, rng: &mut SplitMix64) -> anyhow::Result<Coord<f64>> {
        let grid = &self.micro_grids[m];
        for _ in 0..SAMPLE_ROUNDS {
            for p in sample_inside(&grid.locator, grid.rect, 1, rng) {
                let p = round_coord(p);
                if grid.geometry.contains(&p) {
                    return Ok(p);
                }
            }
        }
        bail!("found no point inside micro-grid {}", grid.code)
    }

    /// Up to `count` points uniformly inside street `s` (not rounded).
    pub(crate) fn samples_in_street(
        &self,
        s: usize,
        count: usize,
        rng: &mut SplitMix64,
    ) -> Vec<Coord<f64>> {
        let street = &self.streets[s];
        match street.geometry.bounding_rect() {
            Some(rect) => sample_inside(&Locator::new(&street.geometry), rect, count, rng),
            None => Vec::new(),
        }
    }

    /// The micro-grid whose interior holds `p`, among `candidates`.
    pub(crate) fn micro_grid_at(&self, p: Coord<f64>, candidates: Range<usize>) -> Option<usize> {
        candidates.into_iter().find(|&m| {
            let grid = &self.micro_grids[m];
            grid.rect.contains(&p) && grid.locator.contains(p) && grid.geometry.contains(&p)
        })
    }

    /// The micro-grids of street `s`.
    pub(crate) fn micro_grids_of_street(&self, s: usize) -> Range<usize> {
        let communities = &self.streets[s].communities;
        if communities.is_empty() {
            return 0..0;
        }
        self.communities[communities.start].micro_grids.start
            ..self.communities[communities.end - 1].micro_grids.end
    }

    /// Squared distance in degrees of latitude (longitude scaled by cos(latitude)).
    pub(crate) fn distance2(&self, a: Coord<f64>, b: Coord<f64>) -> f64 {
        let dx = (a.x - b.x) * self.lon_scale;
        let dy = a.y - b.y;
        dx * dx + dy * dy
    }

    /// The middle of micro-grid `m`'s bounding box: where its density is measured.
    pub(crate) fn middle_of(&self, m: usize) -> Coord<f64> {
        self.micro_grids[m].rect.center()
    }
}

/// A coordinate rounded to 6 decimals (about 0.1 m), as the files carry it.
pub(crate) fn round_coord(p: Coord<f64>) -> Coord<f64> {
    Coord {
        x: (p.x * 1e6).round() / 1e6,
        y: (p.y * 1e6).round() / 1e6,
    }
}
