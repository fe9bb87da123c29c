//! The in-memory facility index: one R-tree per category over points on the unit sphere, so that
//! the R-tree's Euclidean (chord) ordering is exactly the great-circle ordering and k-nearest by
//! real metres needs no correction. Published atomically: readers load an `Arc` and never wait;
//! a write clones only the tree of the category it touches.
//!
//! Coverage analysis reuses it: `within(category, point, metres)` answers "which facilities of
//! category c lie within d metres" for one point and is `&self`, so many points can be asked in
//! parallel against one loaded index.

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;
use rstar::{ParentNode, PointDistance, RTree, RTreeNode, RTreeObject, AABB};

use super::model::Facility;
use super::walking::EARTH_RADIUS_M;
use crate::spatial::crs::Wgs84;
use crate::spatial::Bbox;

/// A facility found near a point.
#[derive(Debug, Clone)]
pub struct Hit {
    pub facility: Arc<Facility>,
    /// Great-circle distance, metres.
    pub distance_m: f64,
}

#[derive(Debug, Clone)]
struct Entry {
    xyz: [f64; 3],
    facility: Arc<Facility>,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.facility.id == other.facility.id && self.xyz == other.xyz
    }
}

impl RTreeObject for Entry {
    type Envelope = AABB<[f64; 3]>;
    fn envelope(&self) -> Self::Envelope {
        AABB::from_point(self.xyz)
    }
}

impl PointDistance for Entry {
    fn distance_2(&self, p: &[f64; 3]) -> f64 {
        let d = [self.xyz[0] - p[0], self.xyz[1] - p[1], self.xyz[2] - p[2]];
        d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
    }
}

/// A point on the unit sphere.
pub(crate) fn unit_vector(p: Wgs84) -> [f64; 3] {
    let (lat, lon) = (p.lat.to_radians(), p.lon.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

/// The smallest axis-aligned box around the unit vectors of every point of a WGS84 box
/// (longitudes clamped to -180..180), grown by a hair for rounding.
fn sphere_envelope(b: Bbox) -> AABB<[f64; 3]> {
    let rad = |deg: f64, limit: f64| deg.clamp(-limit, limit).to_radians();
    let (lon0, lon1) = (rad(b.min_x, 180.0), rad(b.max_x, 180.0));
    let (lat0, lat1) = (rad(b.min_y, 90.0), rad(b.max_y, 90.0));
    let contains = |lo: f64, hi: f64, x: f64| lo <= x && x <= hi;
    use std::f64::consts::FRAC_PI_2;
    // cos is largest at 0 and smallest at the ends on -π..π; sin has its extremes at ±π/2.
    let cos_range = |lo: f64, hi: f64| {
        let top = if contains(lo, hi, 0.0) {
            1.0
        } else {
            lo.cos().max(hi.cos())
        };
        (lo.cos().min(hi.cos()), top)
    };
    let sin_range = |lo: f64, hi: f64| {
        let bottom = if contains(lo, hi, -FRAC_PI_2) {
            -1.0
        } else {
            lo.sin().min(hi.sin())
        };
        let top = if contains(lo, hi, FRAC_PI_2) {
            1.0
        } else {
            lo.sin().max(hi.sin())
        };
        (bottom, top)
    };
    let (c0, c1) = cos_range(lat0, lat1); // cos(lat) ≥ 0
    let product = |(a0, a1): (f64, f64)| {
        let corners = [c0 * a0, c0 * a1, c1 * a0, c1 * a1];
        let lo = corners.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = corners.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lo, hi)
    };
    let (x0, x1) = product(cos_range(lon0, lon1));
    let (y0, y1) = product(sin_range(lon0, lon1));
    let (z0, z1) = (lat0.sin(), lat1.sin());
    const HAIR: f64 = 1e-12;
    AABB::from_corners(
        [x0 - HAIR, y0 - HAIR, z0 - HAIR],
        [x1 + HAIR, y1 + HAIR, z1 + HAIR],
    )
}

/// The squared chord between two unit vectors `metres` apart on the great circle.
pub(crate) fn m_to_chord2(metres: f64) -> f64 {
    let chord = 2.0
        * (metres / EARTH_RADIUS_M / 2.0)
            .min(std::f64::consts::FRAC_PI_2)
            .sin();
    chord * chord
}

/// Great-circle metres from the squared chord between two unit vectors.
pub(crate) fn chord2_to_m(chord2: f64) -> f64 {
    2.0 * EARTH_RADIUS_M * (chord2.sqrt() / 2.0).min(1.0).asin()
}

/// An immutable set of facilities indexed by category.
#[derive(Debug, Clone, Default)]
pub struct FacilityIndex {
    trees: HashMap<String, Arc<RTree<Entry>>>,
    by_id: Arc<HashMap<i64, Arc<Facility>>>,
}

impl FacilityIndex {
    /// Bulk-loads an index (at start, from the store).
    pub fn build(facilities: impl IntoIterator<Item = Facility>) -> FacilityIndex {
        let mut groups: HashMap<String, Vec<Entry>> = HashMap::new();
        let mut by_id = HashMap::new();
        for f in facilities {
            let f = Arc::new(f);
            by_id.insert(f.id, f.clone());
            groups.entry(f.category.clone()).or_default().push(Entry {
                xyz: unit_vector(f.location),
                facility: f,
            });
        }
        FacilityIndex {
            trees: groups
                .into_iter()
                .map(|(c, entries)| (c, Arc::new(RTree::bulk_load(entries))))
                .collect(),
            by_id: Arc::new(by_id),
        }
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn get(&self, id: i64) -> Option<&Arc<Facility>> {
        self.by_id.get(&id)
    }

    /// Every facility, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Facility>> {
        self.by_id.values()
    }

    /// Facilities of a category in increasing distance from `from`, lazily: the caller takes as
    /// many as it needs (k-nearest is `.take(k)`), never a scan.
    pub fn nearest(&self, category: &str, from: Wgs84) -> impl Iterator<Item = Hit> + '_ {
        let q = unit_vector(from);
        self.trees
            .get(category)
            .into_iter()
            .flat_map(move |tree| tree.nearest_neighbor_iter_with_distance_2(&q))
            .map(|(e, d2)| Hit {
                facility: e.facility.clone(),
                distance_m: chord2_to_m(d2),
            })
    }

    /// The `k` facilities of a category nearest to `from`, nearest first.
    pub fn nearest_k(&self, category: &str, from: Wgs84, k: usize) -> Vec<Hit> {
        self.nearest_k_within(category, from, k, f64::INFINITY)
    }

    /// The `k` facilities of a category nearest to `from` and at most `metres` away, nearest
    /// first.
    pub fn nearest_k_within(&self, category: &str, from: Wgs84, k: usize, metres: f64) -> Vec<Hit> {
        let Some(tree) = self.trees.get(category) else {
            return Vec::new();
        };
        let limit = if metres.is_finite() {
            m_to_chord2(metres)
        } else {
            f64::INFINITY
        };
        let mut best = KBest::new(unit_vector(from), k, limit);
        best.visit(tree.root());
        best.found
            .into_iter()
            .map(|(d2, e)| Hit {
                facility: e.facility.clone(),
                distance_m: chord2_to_m(d2),
            })
            .collect()
    }

    /// The facilities of a category within `metres` of `from`, nearest first.
    pub fn within(
        &self,
        category: &str,
        from: Wgs84,
        metres: f64,
    ) -> impl Iterator<Item = Hit> + '_ {
        self.nearest(category, from)
            .take_while(move |h| h.distance_m <= metres)
    }

    /// The facilities of a category inside a WGS84 box (edges included), in no particular
    /// order: the R-tree is asked for the unit-sphere box around it, then each is checked.
    pub fn in_box(&self, category: &str, b: Bbox) -> impl Iterator<Item = &Arc<Facility>> + '_ {
        let envelope = sphere_envelope(b);
        self.trees
            .get(category)
            .into_iter()
            .flat_map(move |tree| tree.locate_in_envelope(&envelope))
            .map(|e| &e.facility)
            .filter(move |f| b.contains(f.location.lon, f.location.lat))
    }

    /// The index with `facility` added, or replacing the one with its id.
    pub fn with(&self, facility: Facility) -> FacilityIndex {
        let mut next = self.without(facility.id);
        let f = Arc::new(facility);
        let mut tree = next
            .trees
            .get(&f.category)
            .map(|t| RTree::clone(t))
            .unwrap_or_default();
        tree.insert(Entry {
            xyz: unit_vector(f.location),
            facility: f.clone(),
        });
        next.trees.insert(f.category.clone(), Arc::new(tree));
        Arc::make_mut(&mut next.by_id).insert(f.id, f);
        next
    }

    /// The index without the facility of this id (the same index when there is none).
    pub fn without(&self, id: i64) -> FacilityIndex {
        let Some(old) = self.by_id.get(&id) else {
            return self.clone();
        };
        let mut next = self.clone();
        if let Some(t) = next.trees.get(&old.category) {
            let mut tree = RTree::clone(t);
            tree.remove(&Entry {
                xyz: unit_vector(old.location),
                facility: old.clone(),
            });
            if tree.size() == 0 {
                next.trees.remove(&old.category);
            } else {
                next.trees.insert(old.category.clone(), Arc::new(tree));
            }
        }
        Arc::make_mut(&mut next.by_id).remove(&id);
        next
    }
}

/// A k-nearest search: depth first, children nearest first, pruning every node farther than
/// the k-th best so far. It keeps the best on the stack of the call and allocates only the answer,
/// where rstar's nearest-neighbour iterator keeps every seen node and leaf in a heap; for small k
/// that is about twice as fast (see `docs/benchmarks.md`).
struct KBest<'t> {
    query: [f64; 3],
    k: usize,
    /// Squared chord beyond which nothing is wanted.
    limit: f64,
    /// Nearest first, at most `k`.
    found: Vec<(f64, &'t Entry)>,
}

/// Children of a node sorted on the stack; rstar's nodes hold at most 6 (its default
/// parameters), any beyond this are visited unsorted, which is slower but as exact.
const SORTED_CHILDREN: usize = 16;

impl<'t> KBest<'t> {
    fn new(query: [f64; 3], k: usize, limit: f64) -> KBest<'t> {
        KBest {
            query,
            k,
            limit,
            found: Vec::with_capacity(k.min(128)),
        }
    }

    /// The squared chord beyond which no entry can enter the answer.
    fn worst(&self) -> f64 {
        if self.found.len() < self.k {
            self.limit
        } else {
            self.found.last().map_or(self.limit, |f| f.0)
        }
    }

    fn offer(&mut self, d2: f64, entry: &'t Entry) {
        if self.k == 0 || d2 > self.worst() {
            return;
        }
        if self.found.len() == self.k {
            if d2 == self.worst() {
                return;
            }
            self.found.pop();
        }
        let at = self.found.partition_point(|f| f.0 <= d2);
        self.found.insert(at, (d2, entry));
    }

    fn visit(&mut self, node: &'t ParentNode<Entry>) {
        let children = node.children();
        let mut order = [(0.0_f64, 0_usize); SORTED_CHILDREN];
        let mut n = 0;
        for (i, child) in children.iter().enumerate() {
            match child {
                RTreeNode::Leaf(e) => self.offer(e.distance_2(&self.query), e),
                RTreeNode::Parent(p) => {
                    let d2 = p.envelope().distance_2(&self.query);
                    if d2 > self.worst() {
                        continue;
                    }
                    if n < SORTED_CHILDREN {
                        order[n] = (d2, i);
                        n += 1;
                    } else {
                        self.visit(p);
                    }
                }
            }
        }
        let order = &mut order[..n];
        order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        for &(d2, i) in order.iter() {
            if d2 > self.worst() {
                break;
            }
            if let RTreeNode::Parent(p) = &children[i] {
                self.visit(p);
            }
        }
    }
}

/// The current index, swapped atomically on every write.
#[derive(Debug, Default)]
pub struct FacilityIndexCell {
    current: ArcSwap<FacilityIndex>,
    /// Serialises writers so that none loses another's change.
    writer: std::sync::Mutex<()>,
}

impl FacilityIndexCell {
    pub fn new(index: FacilityIndex) -> FacilityIndexCell {
        FacilityIndexCell {
            current: ArcSwap::from_pointee(index),
            writer: std::sync::Mutex::new(()),
        }
    }

    pub fn load(&self) -> Arc<FacilityIndex> {
        self.current.load_full()
    }

    pub fn replace(&self, index: FacilityIndex) {
        let _w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        self.current.store(Arc::new(index));
    }

    /// Inserts or replaces one facility.
    pub fn upsert(&self, facility: Facility) {
        let _w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let next = self.current.load().with(facility);
        self.current.store(Arc::new(next));
    }

    pub fn remove(&self, id: i64) {
        let _w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let next = self.current.load().without(id);
        self.current.store(Arc::new(next));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facilities::walking::haversine_m;
    use rand::{Rng, SeedableRng};
    use rstar::Envelope;

    fn facility(id: i64, category: &str, lon: f64, lat: f64) -> Facility {
        crate::facilities::model::sample_facility(id, category, None, lon, lat)
    }

    fn random_set(rng: &mut impl Rng, n: i64) -> Vec<Facility> {
        (0..n)
            .map(|i| {
                let cat = if i % 3 == 0 { "medical" } else { "education" };
                facility(
                    i,
                    cat,
                    rng.gen_range(118.0..118.2),
                    rng.gen_range(24.4..24.55),
                )
            })
            .collect()
    }

    fn brute_force(set: &[Facility], category: &str, p: Wgs84, k: usize) -> Vec<(i64, f64)> {
        let mut all: Vec<(i64, f64)> = set
            .iter()
            .filter(|f| f.category == category)
            .map(|f| (f.id, haversine_m(p, f.location)))
            .collect();
        all.sort_by(|a, b| a.1.total_cmp(&b.1));
        all.truncate(k);
        all
    }

    #[test]
    fn k_nearest_matches_a_brute_force_haversine_scan() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let set = random_set(&mut rng, 3000);
        let index = FacilityIndex::build(set.clone());
        for _ in 0..500 {
            let p = Wgs84 {
                lon: rng.gen_range(117.95..118.25),
                lat: rng.gen_range(24.35..24.6),
            };
            for cat in ["medical", "education"] {
                let got: Vec<Hit> = index.nearest(cat, p).take(5).collect();
                let want = brute_force(&set, cat, p, 5);
                assert_eq!(got.len(), 5);
                for (g, w) in got.iter().zip(&want) {
                    assert!(
                        (g.distance_m - w.1).abs() < 1e-3,
                        "{} vs {}",
                        g.distance_m,
                        w.1
                    );
                    // Equal distances may come in either order; otherwise the same facility.
                    if (g.distance_m - w.1).abs() > 1e-9 || g.facility.id == w.0 {
                        continue;
                    }
                    assert_eq!(g.facility.id, w.0);
                }
                let ids: Vec<i64> = got.iter().map(|h| h.facility.id).collect();
                let want_ids: Vec<i64> = want.iter().map(|w| w.0).collect();
                assert_eq!(ids, want_ids, "at {p:?} in {cat}");
            }
        }
    }

    #[test]
    fn the_k_best_search_agrees_with_the_nearest_iterator_on_bulk_loaded_and_grown_trees() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(17);
        let set = random_set(&mut rng, 2500);
        let bulk = FacilityIndex::build(set.clone());
        // Grown one insert at a time, as writes grow it: other node shapes than a bulk load's.
        let grown = set
            .iter()
            .take(700)
            .fold(FacilityIndex::default(), |ix, f| ix.with(f.clone()));
        for _ in 0..300 {
            let p = Wgs84 {
                lon: rng.gen_range(117.95..118.25),
                lat: rng.gen_range(24.35..24.6),
            };
            for index in [&bulk, &grown] {
                for k in [1, 5, 37] {
                    let want: Vec<f64> = index
                        .nearest("medical", p)
                        .take(k)
                        .map(|h| h.distance_m)
                        .collect();
                    let got: Vec<f64> = index
                        .nearest_k("medical", p, k)
                        .iter()
                        .map(|h| h.distance_m)
                        .collect();
                    assert_eq!(got, want, "k = {k} at {p:?}");
                    let radius = 1500.0;
                    let within: Vec<f64> = index
                        .nearest_k_within("medical", p, k, radius)
                        .iter()
                        .map(|h| h.distance_m)
                        .collect();
                    let want: Vec<f64> = want.into_iter().filter(|d| *d <= radius).collect();
                    assert_eq!(within, want, "k = {k} within {radius} m at {p:?}");
                }
            }
        }
        assert!(bulk.nearest_k("medical", ORIGIN_OF_NOTHING, 0).is_empty());
        assert!(bulk.nearest_k("spa", ORIGIN_OF_NOTHING, 5).is_empty());
    }

    #[test]
    fn a_box_finds_exactly_what_a_scan_finds() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(23);
        let set = random_set(&mut rng, 3000);
        let index = FacilityIndex::build(set.clone());
        for _ in 0..300 {
            let (x, y) = (rng.gen_range(117.95..118.25), rng.gen_range(24.35..24.6));
            let (w, h) = (rng.gen_range(0.0..0.08), rng.gen_range(0.0..0.08));
            let b = Bbox {
                min_x: x,
                min_y: y,
                max_x: x + w,
                max_y: y + h,
            };
            let mut got: Vec<i64> = index.in_box("education", b).map(|f| f.id).collect();
            got.sort_unstable();
            let want: Vec<i64> = set
                .iter()
                .filter(|f| f.category == "education")
                .filter(|f| b.contains(f.location.lon, f.location.lat))
                .map(|f| f.id)
                .collect();
            assert_eq!(got, want, "{b:?}");
        }
    }

    #[test]
    fn the_sphere_box_holds_every_point_of_boxes_anywhere_on_earth() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(29);
        for _ in 0..2000 {
            let (x0, x1) = (rng.gen_range(-180.0..180.0), rng.gen_range(-180.0..180.0));
            let (y0, y1) = (rng.gen_range(-90.0..90.0), rng.gen_range(-90.0..90.0));
            let b = Bbox {
                min_x: f64::min(x0, x1),
                min_y: f64::min(y0, y1),
                max_x: f64::max(x0, x1),
                max_y: f64::max(y0, y1),
            };
            let env = sphere_envelope(b);
            for _ in 0..20 {
                let p = Wgs84 {
                    lon: rng.gen_range(b.min_x..=b.max_x),
                    lat: rng.gen_range(b.min_y..=b.max_y),
                };
                assert!(env.contains_point(&unit_vector(p)), "{p:?} in {b:?}");
            }
        }
    }

    const ORIGIN_OF_NOTHING: Wgs84 = Wgs84 { lon: 0.0, lat: 0.0 };

    #[test]
    fn within_stops_at_the_radius() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let set = random_set(&mut rng, 2000);
        let index = FacilityIndex::build(set.clone());
        let p = Wgs84 {
            lon: 118.1,
            lat: 24.47,
        };
        let got: Vec<i64> = index
            .within("education", p, 800.0)
            .map(|h| h.facility.id)
            .collect();
        let want: Vec<i64> = brute_force(&set, "education", p, usize::MAX)
            .into_iter()
            .take_while(|w| w.1 <= 800.0)
            .map(|w| w.0)
            .collect();
        assert!(!want.is_empty());
        assert_eq!(got, want);
    }

    #[test]
    fn a_write_moves_a_facility_and_leaves_earlier_loads_untouched() {
        let cell = FacilityIndexCell::new(FacilityIndex::build(vec![
            facility(1, "medical", 118.10, 24.47),
            facility(2, "medical", 118.12, 24.47),
        ]));
        let before = cell.load();
        let p = Wgs84 {
            lon: 118.121,
            lat: 24.47,
        };
        cell.upsert(facility(2, "education", 118.121, 24.47));
        let after = cell.load();
        assert_eq!(before.nearest("medical", p).next().unwrap().facility.id, 2);
        assert_eq!(after.nearest("medical", p).next().unwrap().facility.id, 1);
        assert_eq!(after.nearest("education", p).next().unwrap().facility.id, 2);
        assert_eq!(after.len(), 2);
        cell.remove(2);
        assert_eq!(cell.load().nearest("education", p).count(), 0);
        assert_eq!(cell.load().len(), 1);
    }
}
