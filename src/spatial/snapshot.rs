//! The immutable in-memory picture of every current unit: the hierarchy, prepared polygons, an
//! R-tree over all parts and the leaf locator. An edit builds the next snapshot and swaps it in
//! atomically (`SnapshotCell`); readers never wait for writers.

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

use super::locator::{BlockUnits, Fallback, Located, Locator};
use super::prepared::{metres_per_degree_lon, Bbox, PreparedPolygon, METRES_PER_DEGREE_LAT};
use crate::units::{Level, Unit, UnitCode};

type PartEnvelope = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// How the point came to its unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Match {
    /// A leaf unit covers the point.
    Inside,
    /// No unit covers the point; the nearest leaf within the snap tolerance took it.
    Snapped,
    /// Nothing within the tolerance: the smallest unit containing the point (or the configured
    /// fallback unit) holds it, flagged as not assigned.
    Fallback,
}

/// The answer for one point: the chain from the top-level unit down to the unit that holds it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assignment {
    /// Unit indices, top-level first; `len` of them are set.
    chain: [u32; 5],
    len: u8,
    pub matched: Match,
    /// Metres to the unit when snapped.
    pub distance_m: f64,
}

impl Assignment {
    pub fn assigned(&self) -> bool {
        self.matched != Match::Fallback
    }

    pub fn chain_indices(&self) -> &[u32] {
        &self.chain[..self.len as usize]
    }

    /// The smallest unit of the chain.
    pub fn unit_index(&self) -> Option<u32> {
        self.chain_indices().last().copied()
    }
}

/// Tunables of assignment.
#[derive(Debug, Clone)]
pub struct AssignRules {
    /// A point outside every unit snaps to the nearest leaf within this distance.
    pub snap_tolerance_m: f64,
    /// Where points outside everything go (属地兜底); default: the nearest top-level unit.
    pub fallback_unit: Option<UnitCode>,
}

impl Default for AssignRules {
    fn default() -> Self {
        AssignRules {
            snap_tolerance_m: 30.0,
            fallback_unit: None,
        }
    }
}

#[derive(Debug)]
pub struct Snapshot {
    /// Increases by one at every swap; tile caches key on it.
    pub version: u64,
    units: Vec<Unit>,
    parents: Vec<Option<u32>>,
    children: Vec<Vec<u32>>,
    prepared: Vec<PreparedPolygon>,
    by_code: HashMap<UnitCode, u32>,
    parts: RTree<PartEnvelope>,
    /// The parts of leaves only, for snapping.
    leaf_parts: RTree<PartEnvelope>,
    top_level: Vec<u32>,
    locator: Locator,
    rules: AssignRules,
}

impl Snapshot {
    /// Builds a snapshot from current units (any order). A unit whose parent is missing is kept as
    /// a top-level unit.
    pub fn build(mut units: Vec<Unit>, version: u64, rules: AssignRules) -> Snapshot {
        units.sort_by(|a, b| a.code.cmp(&b.code));
        let by_code: HashMap<UnitCode, u32> = units
            .iter()
            .enumerate()
            .map(|(i, u)| (u.code.clone(), i as u32))
            .collect();
        let parents: Vec<Option<u32>> = units
            .iter()
            .map(|u| u.parent.as_ref().and_then(|p| by_code.get(p).copied()))
            .collect();
        let mut children = vec![Vec::new(); units.len()];
        for (i, p) in parents.iter().enumerate() {
            if let Some(p) = p {
                children[*p as usize].push(i as u32);
            }
        }
        let prepared = prepare_all(&units);
        let parts = RTree::bulk_load(
            units
                .iter()
                .enumerate()
                .flat_map(|(i, u)| {
                    u.geometry.0.iter().filter_map(move |p| {
                        let b = Bbox::of(&geo::MultiPolygon(vec![p.clone()]));
                        (!b.is_empty()).then(|| {
                            GeomWithData::new(
                                Rectangle::from_corners([b.min_x, b.min_y], [b.max_x, b.max_y]),
                                i as u32,
                            )
                        })
                    })
                })
                .collect(),
        );
        // Units grouped under their top-level ancestor; indices ascend, so codes ascend.
        let mut groups: HashMap<u32, (Vec<u32>, Vec<u32>)> = HashMap::new();
        for i in 0..units.len() {
            let mut root = i as u32;
            while let Some(p) = parents[root as usize] {
                root = p;
            }
            let (leaves, inner) = groups.entry(root).or_default();
            if children[i].is_empty() {
                leaves.push(i as u32);
            } else {
                inner.push(i as u32);
            }
        }
        let mut groups: Vec<(u32, (Vec<u32>, Vec<u32>))> = groups.into_iter().collect();
        groups.sort_by_key(|(root, _)| *root);
        let blocks: Vec<BlockUnits<'_>> = groups
            .iter()
            .map(|(root, (leaves, inner))| BlockUnits {
                root: *root,
                leaves,
                inner,
            })
            .collect();
        let holder_at = |x: f64, y: f64| smallest_covering(&parts, &prepared, &units, x, y);
        let locator = Locator::build(&prepared, &blocks, rules.snap_tolerance_m, &holder_at);
        drop(blocks);
        let leaf_parts = RTree::bulk_load(
            parts
                .iter()
                .filter(|p| children[p.data as usize].is_empty())
                .cloned()
                .collect(),
        );
        let top_level = (0..units.len() as u32)
            .filter(|&i| parents[i as usize].is_none())
            .collect();
        Snapshot {
            version,
            units,
            parents,
            children,
            prepared,
            by_code,
            parts,
            leaf_parts,
            top_level,
            locator,
            rules,
        }
    }

    pub fn empty() -> Snapshot {
        Snapshot::build(Vec::new(), 0, AssignRules::default())
    }

    pub fn rules(&self) -> &AssignRules {
        &self.rules
    }

    pub fn len(&self) -> usize {
        self.units.len()
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    pub fn units(&self) -> &[Unit] {
        &self.units
    }

    pub fn unit(&self, index: u32) -> &Unit {
        &self.units[index as usize]
    }

    pub fn get(&self, code: &UnitCode) -> Option<&Unit> {
        self.by_code.get(code).map(|&i| &self.units[i as usize])
    }

    pub fn index_of(&self, code: &UnitCode) -> Option<u32> {
        self.by_code.get(code).copied()
    }

    pub fn children_of(&self, index: u32) -> &[u32] {
        &self.children[index as usize]
    }

    pub fn parent_of(&self, index: u32) -> Option<u32> {
        self.parents[index as usize]
    }

    /// Units whose bounding box intersects the given box, in code order.
    pub fn in_bbox(&self, bbox: Bbox) -> Vec<u32> {
        let env = AABB::from_corners([bbox.min_x, bbox.min_y], [bbox.max_x, bbox.max_y]);
        let mut hits: Vec<u32> = self
            .parts
            .locate_in_envelope_intersecting(&env)
            .map(|p| p.data)
            .collect();
        hits.sort_unstable();
        hits.dedup();
        hits
    }

    /// Assigns a WGS84 point: the leaf covering it (lowest code on shared edges), else the nearest
    /// leaf within the snap tolerance, else the fallback.
    #[inline]
    pub fn assign(&self, lon: f64, lat: f64) -> Assignment {
        match self.locator.locate(&self.prepared, lon, lat) {
            Located::Leaf(leaf) => self.chain_of(leaf, Match::Inside, 0.0),
            Located::NearLeaf { then, leaves } => {
                let tolerance = self.rules.snap_tolerance_m;
                let nearest = match leaves {
                    Some(list) => self.nearest_of(list, lon, lat, tolerance),
                    None => self.nearest_leaf_within(lon, lat, tolerance),
                };
                match nearest {
                    Some((leaf, d)) => self.chain_of(leaf, Match::Snapped, d),
                    None => self.fall_back(lon, lat, then),
                }
            }
            Located::Far(then) => self.fall_back(lon, lat, then),
        }
    }

    fn fall_back(&self, lon: f64, lat: f64, how: Fallback) -> Assignment {
        match how {
            Fallback::HeldBy(unit) => self.chain_of(unit, Match::Fallback, 0.0),
            Fallback::Uncovered => self.fallback(lon, lat, None),
            Fallback::Undecided => self.fallback(lon, lat, self.smallest_covering(lon, lat)),
            Fallback::Among { centre, crossing } => {
                let whole = (centre != u32::MAX && !crossing.contains(&centre)).then_some(centre);
                let holder = crossing
                    .iter()
                    .copied()
                    .filter(|&u| self.prepared[u as usize].covers(lon, lat))
                    .chain(whole)
                    .max_by_key(|&u| (self.units[u as usize].level, std::cmp::Reverse(u)));
                self.fallback(lon, lat, holder)
            }
        }
    }

    /// Beyond the snap tolerance: the smallest unit covering the point, else the configured
    /// fallback unit, else the nearest top-level unit; never assigned.
    fn fallback(&self, lon: f64, lat: f64, holder: Option<u32>) -> Assignment {
        let holder = holder
            .or_else(|| {
                self.rules
                    .fallback_unit
                    .as_ref()
                    .and_then(|c| self.index_of(c))
            })
            .or_else(|| self.nearest_top_level(lon, lat));
        match holder {
            Some(u) => self.chain_of(u, Match::Fallback, 0.0),
            None => Assignment {
                chain: [0; 5],
                len: 0,
                matched: Match::Fallback,
                distance_m: 0.0,
            },
        }
    }

    fn chain_of(&self, unit: u32, matched: Match, distance_m: f64) -> Assignment {
        let mut rev = [0u32; 5];
        let mut len = 0usize;
        let mut cur = Some(unit);
        while let Some(u) = cur {
            if len == 5 {
                break;
            }
            rev[len] = u;
            len += 1;
            cur = self.parents[u as usize];
        }
        let mut chain = [0u32; 5];
        for i in 0..len {
            chain[i] = rev[len - 1 - i];
        }
        Assignment {
            chain,
            len: len as u8,
            matched,
            distance_m,
        }
    }

    /// The nearest of the given leaves (code order) within `metres`, lowest code on ties.
    fn nearest_of(&self, leaves: &[u32], lon: f64, lat: f64, metres: f64) -> Option<(u32, f64)> {
        let mut best: Option<(u32, f64)> = None;
        for &i in leaves {
            let d = self.prepared[i as usize].boundary_distance_m(lon, lat);
            if d <= metres && best.is_none_or(|(_, bd)| d < bd) {
                best = Some((i, d));
            }
        }
        best
    }

    fn nearest_leaf_within(&self, lon: f64, lat: f64, metres: f64) -> Option<(u32, f64)> {
        if metres <= 0.0 {
            return None;
        }
        let dx = metres / metres_per_degree_lon(lat).max(1.0);
        let dy = metres / METRES_PER_DEGREE_LAT;
        let env = AABB::from_corners([lon - dx, lat - dy], [lon + dx, lat + dy]);
        let mut best: Option<(u32, f64)> = None;
        for part in self.leaf_parts.locate_in_envelope_intersecting(&env) {
            let i = part.data;
            // Called when no leaf covers the point: the distance to the boundary is the distance.
            let d = self.prepared[i as usize].boundary_distance_m(lon, lat);
            if d <= metres && best.is_none_or(|(bi, bd)| d < bd || (d == bd && i < bi)) {
                best = Some((i, d));
            }
        }
        best
    }

    fn smallest_covering(&self, lon: f64, lat: f64) -> Option<u32> {
        smallest_covering(&self.parts, &self.prepared, &self.units, lon, lat)
    }

    fn nearest_top_level(&self, lon: f64, lat: f64) -> Option<u32> {
        match self.top_level.as_slice() {
            [] => None,
            [only] => Some(*only),
            many => {
                // Nearest boxes first; stop once a box is farther than the best exact distance.
                let mut by_box: Vec<(f64, u32)> = many
                    .iter()
                    .map(|&i| (self.prepared[i as usize].bbox.distance_m(lon, lat), i))
                    .collect();
                by_box.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let mut best: Option<(f64, u32)> = None;
                for (box_d, i) in by_box {
                    if best.is_some_and(|(d, _)| box_d > d) {
                        break;
                    }
                    let d = self.prepared[i as usize].distance_m(lon, lat);
                    if best.is_none_or(|(bd, bi)| d < bd || (d == bd && i < bi)) {
                        best = Some((d, i));
                    }
                }
                best.map(|(_, i)| i)
            }
        }
    }

    /// Units of a level, in code order.
    pub fn at_level(&self, level: Level) -> impl Iterator<Item = u32> + '_ {
        (0..self.units.len() as u32).filter(move |&i| self.units[i as usize].level == level)
    }
}

/// Prepared polygons of every unit, in order, built on every core.
fn prepare_all(units: &[Unit]) -> Vec<PreparedPolygon> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = units.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = units
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|u| PreparedPolygon::new(&u.geometry))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// The deepest unit covering the point (lowest code among equals).
fn smallest_covering(
    parts: &RTree<PartEnvelope>,
    prepared: &[PreparedPolygon],
    units: &[Unit],
    lon: f64,
    lat: f64,
) -> Option<u32> {
    parts
        .locate_all_at_point(&[lon, lat])
        .map(|p| p.data)
        .filter(|&i| prepared[i as usize].covers(lon, lat))
        .max_by_key(|&i| (units[i as usize].level, std::cmp::Reverse(i)))
}

/// The shared, atomically swappable current snapshot.
#[derive(Debug)]
pub struct SnapshotCell(ArcSwap<Snapshot>);

impl SnapshotCell {
    pub fn new(s: Snapshot) -> SnapshotCell {
        SnapshotCell(ArcSwap::from_pointee(s))
    }

    pub fn load(&self) -> Arc<Snapshot> {
        self.0.load_full()
    }

    /// Replaces the snapshot with one built from `units`, numbered one past the current one.
    pub fn rebuild(&self, units: Vec<Unit>) -> Arc<Snapshot> {
        let cur = self.load();
        let next = Arc::new(Snapshot::build(units, cur.version + 1, cur.rules.clone()));
        self.0.store(next.clone());
        next
    }
}
