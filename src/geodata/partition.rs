//! Cuts a parent outline into children that cover it with no gap and no overlap: a weighted
//! Voronoi (power) diagram of seeds inside the parent, each cell intersected with the parent.
//!
//! 1. Sample points uniformly inside the parent (seeded rejection sampling); the first `n` are the
//!    seeds.
//! 2. A few rounds of relaxation on those samples (Lloyd's algorithm, discretised): every sample
//!    goes to the seed of smallest power distance `|p - s|² - w`; when `balance` is on, each
//!    seed's power `w` grows or shrinks by the share of samples it lacks or has in excess against
//!    its weight (capacity-constrained power diagram, Balzer et al. 2009), so that areas follow
//!    the weights; then each seed moves to the mean of its samples.
//! 3. Each cell is the convex polygon left of a box around the parent after cutting it by the
//!    radical axis (the perpendicular bisector when powers are equal) towards every nearby seed,
//!    nearest first. Only seeds that can still reach the cell are used: once the next seed is so
//!    far that its axis lies beyond the farthest corner of the cell, no later one can cut it, so
//!    large sibling counts cost `n log n`, not `n²` (seeds come from an R-tree above 64 siblings;
//!    samples find their seed through it above 256).
//! 4. A cell wholly inside the parent is the child as it is; otherwise the child is the parent
//!    cut by the half-planes that shaped the cell (see [`super::clip`]: exact to the last bits, so
//!    siblings' areas add up to the parent's), or in a degenerate case the cell intersected with
//!    the parent by geo's BooleanOps. A child may come out in several parts.
//!
//! Distances are measured with longitude scaled by cos(latitude) of the parent's middle, so cells
//! are not stretched east–west. Cells partition the plane, so the children partition the parent;
//! every seed lies strictly inside the parent and inside its own cell, so no child is empty.

use geo::algorithm::orient::Direction;
use geo::{Area, BooleanOps, BoundingRect, Coord, LineString, MultiPolygon, Orient, Polygon, Rect};
use rstar::primitives::GeomWithData;
use rstar::RTree;

use super::clip::{clip_to_half_planes, HalfPlane};
use super::locate::{node_touching_points, Locator};
use super::rng::SplitMix64;

/// Above this many siblings, a cell's neighbours come from an R-tree instead of a full sort.
const CELL_SORT_MAX: usize = 64;
/// Above this many siblings, samples find their seed through the R-tree instead of a scan
/// (an R-tree query costs about as much as scanning a few hundred seeds).
const ASSIGN_SCAN_MAX: usize = 256;
/// How close two seeds' powers may be driven relative to their squared distance; below 1 keeps
/// every seed strictly inside its own cell.
const POWER_LIMIT: f64 = 0.5;
/// Share of the missing or excess area corrected per balancing round.
const BALANCE_RATE: f64 = 0.5;
/// Fresh attempts (new samples from the same stream) before giving up on a parent.
const ATTEMPTS: usize = 4;

/// How hard to work on one partition.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Params {
    /// Sample points per child for the relaxation.
    pub samples_per_child: usize,
    /// Relaxation rounds (Lloyd steps).
    pub iterations: usize,
    /// Steer the cells' areas towards the weights (otherwise weights are ignored and areas
    /// come out roughly equal).
    pub balance: bool,
}

/// Splits `parent` into `weights.len()` non-empty children (in the order of `weights`).
pub(crate) fn partition(
    parent: &MultiPolygon<f64>,
    weights: &[f64],
    params: &Params,
    rng: &mut SplitMix64,
) -> Result<Vec<MultiPolygon<f64>>, String> {
    let n = weights.len();
    if n == 0 {
        return Ok(Vec::new());
    }
    if n == 1 {
        return Ok(vec![parent.clone()]);
    }
    if weights.iter().any(|w| !(w.is_finite() && *w > 0.0)) {
        return Err(format!(
            "child weights must be positive numbers: {weights:?}"
        ));
    }
    let rect = parent
        .bounding_rect()
        .ok_or_else(|| "the parent has no points".to_owned())?;
    let k = cos_deg((rect.min().y + rect.max().y) / 2.0);
    let area = parent.unsigned_area() * k;
    if area.is_nan() || area <= 0.0 {
        return Err("the parent has no area".to_owned());
    }
    let locator = Locator::new(parent);
    let noded = node_touching_points(parent, &locator);
    let parent = noded.as_ref().unwrap_or(parent);
    let frame = frame(rect);
    let mut last_error = String::new();
    for _ in 0..ATTEMPTS {
        let samples = sample_inside(&locator, rect, params.samples_per_child.max(4) * n, rng);
        if samples.len() < n {
            last_error = format!(
                "found only {} points inside the parent for {n} children",
                samples.len()
            );
            continue;
        }
        let mut diagram = Diagram {
            seeds: samples[..n].to_vec(),
            power: vec![0.0; n],
            k,
        };
        for _ in 0..params.iterations {
            diagram.relax(&samples, weights, params.balance, area, &locator, rng);
        }
        match diagram.children(parent, &locator, &frame) {
            Ok(children) => return Ok(children),
            Err(e) => last_error = e,
        }
    }
    Err(last_error)
}

struct Diagram {
    seeds: Vec<Coord<f64>>,
    /// Power (squared radius) of each seed, in scaled degrees².
    power: Vec<f64>,
    /// Scale of longitude differences: cos(latitude).
    k: f64,
}

type Indexed = GeomWithData<[f64; 2], usize>;
/// A convex cell (open ring, counter-clockwise) and the half-planes that cut it out of the frame.
type Cell = (Vec<Coord<f64>>, Vec<HalfPlane>);

impl Diagram {
    fn scaled(&self, c: Coord<f64>) -> [f64; 2] {
        [c.x * self.k, c.y]
    }

    fn dist2(&self, a: Coord<f64>, b: Coord<f64>) -> f64 {
        let dx = (a.x - b.x) * self.k;
        let dy = a.y - b.y;
        dx * dx + dy * dy
    }

    fn tree(&self, above: usize) -> Option<RTree<Indexed>> {
        (self.seeds.len() > above).then(|| {
            RTree::bulk_load(
                self.seeds
                    .iter()
                    .enumerate()
                    .map(|(i, s)| Indexed::new(self.scaled(*s), i))
                    .collect(),
            )
        })
    }

    /// The seed of smallest power distance to `p`.
    fn owner(&self, p: Coord<f64>, tree: Option<&RTree<Indexed>>, max_power: f64) -> usize {
        let mut best = (f64::INFINITY, 0);
        match tree {
            None => {
                for (i, s) in self.seeds.iter().enumerate() {
                    let d = self.dist2(p, *s) - self.power[i];
                    if d < best.0 {
                        best = (d, i);
                    }
                }
            }
            Some(tree) => {
                for (item, d2) in tree.nearest_neighbor_iter_with_distance_2(&self.scaled(p)) {
                    if d2 - max_power >= best.0 {
                        break;
                    }
                    let d = d2 - self.power[item.data];
                    if d < best.0 {
                        best = (d, item.data);
                    }
                }
            }
        }
        best.1
    }

    /// One round: assign samples, rebalance powers, move seeds to their samples' mean.
    fn relax(
        &mut self,
        samples: &[Coord<f64>],
        weights: &[f64],
        balance: bool,
        area: f64,
        locator: &Locator,
        rng: &mut SplitMix64,
    ) {
        let n = self.seeds.len();
        let tree = self.tree(ASSIGN_SCAN_MAX);
        let max_power = self.power.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut count = vec![0usize; n];
        let mut sum = vec![(0.0f64, 0.0f64); n];
        let owners: Vec<usize> = samples
            .iter()
            .map(|p| self.owner(*p, tree.as_ref(), max_power))
            .collect();
        for (p, &i) in samples.iter().zip(&owners) {
            count[i] += 1;
            sum[i].0 += p.x;
            sum[i].1 += p.y;
        }
        if balance {
            let total: f64 = weights.iter().sum();
            let m = samples.len() as f64;
            for i in 0..n {
                let target = m * weights[i] / total;
                let missing = (target - count[i] as f64) / m * area;
                // Moving a radical axis by δ/(2d) shifts about (π/2)·δ of area into the cell.
                self.power[i] += BALANCE_RATE * missing * 2.0 / std::f64::consts::PI;
            }
        }
        let previous = self.seeds.clone();
        for i in 0..n {
            if count[i] == 0 {
                continue;
            }
            let mean = Coord {
                x: sum[i].0 / count[i] as f64,
                y: sum[i].1 / count[i] as f64,
            };
            self.seeds[i] = if locator.contains(mean) {
                mean
            } else {
                // The mean of a crescent may fall outside it; the nearest own sample does not.
                samples
                    .iter()
                    .zip(&owners)
                    .filter(|(_, &o)| o == i)
                    .map(|(p, _)| *p)
                    .min_by(|a, b| self.dist2(*a, mean).total_cmp(&self.dist2(*b, mean)))
                    .unwrap_or(previous[i])
            };
        }
        self.keep_seeds_distinct(samples, rng);
        self.limit_power();
    }

    fn keep_seeds_distinct(&mut self, samples: &[Coord<f64>], rng: &mut SplitMix64) {
        let mut seen = std::collections::HashSet::new();
        for i in 0..self.seeds.len() {
            for _ in 0..100 {
                if seen.insert((self.seeds[i].x.to_bits(), self.seeds[i].y.to_bits())) {
                    break;
                }
                self.seeds[i] = samples[rng.range_inclusive(0, samples.len() - 1)];
            }
        }
    }

    /// Scales all powers down until no seed's power exceeds a neighbour's by more than
    /// `POWER_LIMIT` times their squared distance, which keeps each seed inside its own cell.
    fn limit_power(&mut self) {
        let n = self.seeds.len();
        let mean = self.power.iter().sum::<f64>() / n as f64;
        for w in &mut self.power {
            *w -= mean;
        }
        let mut factor = 1.0f64;
        let check = |i: usize, j: usize, factor: &mut f64| {
            let dw = (self.power[i] - self.power[j]).abs();
            let allowed = POWER_LIMIT * self.dist2(self.seeds[i], self.seeds[j]);
            if dw > allowed {
                *factor = factor.min(allowed / dw);
            }
        };
        match self.tree(CELL_SORT_MAX) {
            None => {
                for i in 0..n {
                    for j in i + 1..n {
                        check(i, j, &mut factor);
                    }
                }
            }
            Some(tree) => {
                for i in 0..n {
                    let s = [self.seeds[i].x * self.k, self.seeds[i].y];
                    for item in tree.nearest_neighbor_iter(&s).take(25) {
                        if item.data != i {
                            check(i, item.data, &mut factor);
                        }
                    }
                }
            }
        }
        if factor < 1.0 {
            for w in &mut self.power {
                *w *= factor;
            }
        }
    }

    /// The children: every cell cut to the parent. Powers are halved and the cells rebuilt if a
    /// seed would fall outside its own cell (a far neighbour the limit above did not look at).
    fn children(
        &mut self,
        parent: &MultiPolygon<f64>,
        locator: &Locator,
        frame: &[Coord<f64>],
    ) -> Result<Vec<MultiPolygon<f64>>, String> {
        let cells = loop {
            match self.cells(frame) {
                Some(cells) => break cells,
                None if self.power.iter().any(|w| *w != 0.0) => {
                    for w in &mut self.power {
                        *w = if w.abs() < 1e-300 { 0.0 } else { *w * 0.5 };
                    }
                }
                None => return Err("two seeds coincide".to_owned()),
            }
        };
        let mut children = Vec::with_capacity(cells.len());
        for (i, (cell, planes)) in cells.into_iter().enumerate() {
            let mut child = if locator.contains_convex(&cell) {
                MultiPolygon(vec![Polygon::new(LineString(closed(cell)), vec![])])
            } else {
                match clip_to_half_planes(parent, &planes) {
                    Ok(cut) => cut,
                    Err(reason) => {
                        tracing::debug!(seed = ?self.seeds[i], reason, "degenerate cut: intersecting with BooleanOps");
                        let cell = Polygon::new(LineString(closed(cell)), vec![]);
                        cell.intersection(parent).orient(Direction::Default)
                    }
                }
            };
            child.0.retain(|p| p.unsigned_area() > 0.0);
            if child.0.is_empty() {
                return Err(format!(
                    "child {} (seed {:.6},{:.6}) came out empty",
                    i + 1,
                    self.seeds[i].x,
                    self.seeds[i].y
                ));
            }
            children.push(child);
        }
        Ok(children)
    }

    /// Every seed's convex cell within `frame` with the half-planes that cut it, or `None` when
    /// a seed lies outside its own cell.
    fn cells(&self, frame: &[Coord<f64>]) -> Option<Vec<Cell>> {
        let n = self.seeds.len();
        let tree = self.tree(CELL_SORT_MAX);
        let max_power = self.power.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut cells = Vec::with_capacity(n);
        let mut order: Vec<(f64, usize)> = Vec::with_capacity(n);
        for i in 0..n {
            let s = self.seeds[i];
            let neighbours: Box<dyn Iterator<Item = (usize, f64)> + '_> = match &tree {
                None => {
                    order.clear();
                    order.extend(
                        (0..n)
                            .filter(|&j| j != i)
                            .map(|j| (self.dist2(s, self.seeds[j]), j)),
                    );
                    order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                    Box::new(order.iter().map(|&(d2, j)| (j, d2)))
                }
                Some(tree) => Box::new(
                    tree.nearest_neighbor_iter_with_distance_2(&self.scaled(s))
                        .filter(move |(item, _)| item.data != i)
                        .map(|(item, d2)| (item.data, d2)),
                ),
            };
            let mut cell = frame.to_vec();
            let mut planes = Vec::new();
            let mut reach2 = self.farthest2(s, &cell);
            for (j, d2) in neighbours {
                // No seed at distance ≥ d can cut the cell once its axis lies beyond the cell's
                // farthest corner: the axis is at least (d² − (max power − own power)) / 2d away.
                let d = d2.sqrt();
                let axis = (d2 - (max_power - self.power[i])) / (2.0 * d);
                if axis > 0.0 && axis * axis >= reach2 {
                    break;
                }
                let room = d2 + self.power[i] - self.power[j];
                if room.is_nan() || room <= 0.0 {
                    return None;
                }
                let e = Coord {
                    x: (self.seeds[j].x - s.x) * self.k,
                    y: self.seeds[j].y - s.y,
                };
                // 2 q·e ≤ |e|² + w_i − w_j with q = scaled(p − s): the power radical axis.
                let plane = HalfPlane {
                    origin: s,
                    nx: 2.0 * self.k * e.x,
                    ny: 2.0 * e.y,
                    c: room,
                };
                let Some(cut) = clip_convex(&cell, &plane) else {
                    continue;
                };
                if cut.len() < 3 {
                    return None;
                }
                cell = cut;
                planes.push(plane);
                reach2 = self.farthest2(s, &cell);
            }
            cells.push((cell, planes));
        }
        Some(cells)
    }

    fn farthest2(&self, s: Coord<f64>, cell: &[Coord<f64>]) -> f64 {
        cell.iter().map(|c| self.dist2(s, *c)).fold(0.0, f64::max)
    }
}

/// The part of a convex polygon (open ring, counter-clockwise) inside `plane`
/// (Sutherland–Hodgman), or `None` when the plane does not cut it.
fn clip_convex(cell: &[Coord<f64>], plane: &HalfPlane) -> Option<Vec<Coord<f64>>> {
    let values: Vec<f64> = cell.iter().map(|c| plane.value(*c)).collect();
    if values.iter().all(|v| *v <= 0.0) {
        return None;
    }
    let n = cell.len();
    let mut out = Vec::with_capacity(n + 1);
    for i in 0..n {
        let j = (i + 1) % n;
        let (p, q, fp, fq) = (cell[i], cell[j], values[i], values[j]);
        if fp <= 0.0 {
            out.push(p);
        }
        if (fp < 0.0 && fq > 0.0) || (fp > 0.0 && fq < 0.0) {
            let t = fp / (fp - fq);
            out.push(Coord {
                x: p.x + t * (q.x - p.x),
                y: p.y + t * (q.y - p.y),
            });
        }
    }
    out.dedup();
    while out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    Some(out)
}

fn closed(mut ring: Vec<Coord<f64>>) -> Vec<Coord<f64>> {
    if let Some(&first) = ring.first() {
        ring.push(first);
    }
    ring
}

/// A counter-clockwise box a little larger than `rect`, the starting shape of every cell.
fn frame(rect: Rect<f64>) -> Vec<Coord<f64>> {
    let margin = 1e-3 * rect.width().max(rect.height()) + 1e-9;
    let (x0, y0) = (rect.min().x - margin, rect.min().y - margin);
    let (x1, y1) = (rect.max().x + margin, rect.max().y + margin);
    vec![
        Coord { x: x0, y: y0 },
        Coord { x: x1, y: y0 },
        Coord { x: x1, y: y1 },
        Coord { x: x0, y: y1 },
    ]
}

/// Up to `count` points uniformly inside the parent, by rejection from its bounding box.
pub(crate) fn sample_inside(
    locator: &Locator,
    rect: Rect<f64>,
    count: usize,
    rng: &mut SplitMix64,
) -> Vec<Coord<f64>> {
    let mut out = Vec::with_capacity(count);
    let tries = 64 * count + 10_000;
    for _ in 0..tries {
        let p = Coord {
            x: rect.min().x + rng.next_f64() * rect.width(),
            y: rect.min().y + rng.next_f64() * rect.height(),
        };
        if locator.contains(p) {
            out.push(p);
            if out.len() == count {
                break;
            }
        }
    }
    out
}

/// cos of an angle in degrees by its Taylor series: only IEEE basic operations, so the result
/// (and the generated data) is the same on every platform, unlike libm's `cos`.
pub(crate) fn cos_deg(degrees: f64) -> f64 {
    let x = degrees.clamp(-89.0, 89.0) * (std::f64::consts::PI / 180.0);
    let x2 = x * x;
    let (mut term, mut sum) = (1.0f64, 1.0f64);
    for k in 1..=14u32 {
        term *= -x2 / f64::from((2 * k - 1) * (2 * k));
        sum += term;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, Validation};

    fn params() -> Params {
        Params {
            samples_per_child: 100,
            iterations: 6,
            balance: true,
        }
    }

    fn assert_partition(parent: &MultiPolygon<f64>, children: &[MultiPolygon<f64>]) {
        let total: f64 = children.iter().map(|c| c.unsigned_area()).sum();
        let a = parent.unsigned_area();
        assert!(
            ((total - a) / a).abs() < 1e-9,
            "children cover {total}, parent {a}"
        );
        for (i, c) in children.iter().enumerate() {
            assert!(c.unsigned_area() > 0.0);
            assert!(c.is_valid(), "child {i}: {:?}", c.validation_errors());
            for d in &children[i + 1..] {
                assert!(c.intersection(d).unsigned_area() < 1e-12 * a);
            }
        }
    }

    #[test]
    fn cos_deg_matches_std() {
        for d in [0.0, 18.2, 24.45, 39.9, 53.5] {
            assert!((cos_deg(d) - f64::to_radians(d).cos()).abs() < 1e-15);
        }
    }

    #[test]
    fn convex_clip_keeps_the_inner_side() {
        let square = vec![
            Coord { x: 0., y: 0. },
            Coord { x: 2., y: 0. },
            Coord { x: 2., y: 2. },
            Coord { x: 0., y: 2. },
        ];
        let plane = |nx: f64, ny: f64, c: f64| HalfPlane {
            origin: Coord { x: 0., y: 0. },
            nx,
            ny,
            c,
        };
        let half = clip_convex(&square, &plane(1., 0., 1.)).unwrap();
        assert_eq!(half.len(), 4);
        let poly = Polygon::new(LineString(closed(half)), vec![]);
        assert_eq!(poly.signed_area(), 2.0);
        // a line through two corners must not create duplicate vertices
        let triangle = clip_convex(&square, &plane(1., 1., 2.)).unwrap();
        assert_eq!(triangle.len(), 3);
        assert!(clip_convex(&square, &plane(1., 0., 5.)).is_none());
    }

    #[test]
    fn square_with_hole_is_split_into_children_without_gap_or_overlap() {
        let parent = MultiPolygon(vec![polygon!(
            exterior: [(x: 118.0, y: 24.0), (x: 118.1, y: 24.0), (x: 118.1, y: 24.1), (x: 118.0, y: 24.1), (x: 118.0, y: 24.0)],
            interiors: [[(x: 118.04, y: 24.04), (x: 118.04, y: 24.06), (x: 118.06, y: 24.06), (x: 118.06, y: 24.04), (x: 118.04, y: 24.04)]],
        )]);
        let mut rng = SplitMix64::new(1);
        let children = partition(&parent, &[1.0; 7], &params(), &mut rng).unwrap();
        assert_eq!(children.len(), 7);
        assert_partition(&parent, &children);
    }

    #[test]
    fn weights_steer_areas() {
        let parent = MultiPolygon(vec![polygon![
            (x: 118.0, y: 24.0), (x: 118.1, y: 24.0), (x: 118.1, y: 24.1), (x: 118.0, y: 24.1), (x: 118.0, y: 24.0)
        ]]);
        let weights = [1.0, 1.0, 4.0, 2.0];
        let mut rng = SplitMix64::new(9);
        let children = partition(&parent, &weights, &params(), &mut rng).unwrap();
        assert_partition(&parent, &children);
        let a = parent.unsigned_area();
        for (c, w) in children.iter().zip(weights) {
            let share = c.unsigned_area() / a;
            let want = w / 8.0;
            assert!(
                (share - want).abs() < 0.5 * want,
                "share {share}, wanted {want}"
            );
        }
    }

    #[test]
    fn many_siblings_use_the_index_and_still_partition() {
        let parent = MultiPolygon(vec![polygon![
            (x: 100.0, y: 40.0), (x: 101.0, y: 40.0), (x: 100.5, y: 40.4), (x: 101.0, y: 41.0), (x: 100.0, y: 41.0), (x: 100.0, y: 40.0)
        ]]);
        let mut rng = SplitMix64::new(3);
        let weights: Vec<f64> = (0..150).map(|i| 1.0 + (i % 3) as f64).collect();
        let p = Params {
            samples_per_child: 20,
            iterations: 3,
            balance: true,
        };
        let children = partition(&parent, &weights, &p, &mut rng).unwrap();
        assert_eq!(children.len(), 150);
        let total: f64 = children.iter().map(|c| c.unsigned_area()).sum();
        let a = parent.unsigned_area();
        assert!(((total - a) / a).abs() < 1e-9);
    }

    #[test]
    fn a_separate_island_belongs_to_some_child() {
        let parent = MultiPolygon(vec![
            polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 0., y: 1.), (x: 0., y: 0.)],
            polygon![(x: 2., y: 0.), (x: 2.1, y: 0.), (x: 2.1, y: 0.1), (x: 2., y: 0.1), (x: 2., y: 0.)],
        ]);
        let mut rng = SplitMix64::new(5);
        let children = partition(&parent, &[1.0; 3], &params(), &mut rng).unwrap();
        assert_partition(&parent, &children);
    }
}
