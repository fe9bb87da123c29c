//! The fast path of assignment: for each top-level unit, a dense grid of cells over its leaves.
//! A cell wholly inside one leaf answers with no geometry test; a cell crossed by leaf boundaries
//! lists the few leaves to test, lowest code first; a cell outside every leaf and away from every
//! unit boundary knows its fallback in advance. Built once per snapshot.

use super::prepared::{metres_per_degree_lon, Bbox, PreparedPolygon, METRES_PER_DEGREE_LAT};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell {
    Inside(u32),
    /// Leaves to test, in code order: `pool[start]` is their count, then the leaves.
    Candidates(u32),
    /// No leaf in the cell, but leaves within the snap tolerance: `pool[start]` is the smallest
    /// unit covering the cell (`NO_UNIT`: none, `UNDECIDED`: a unit boundary crosses the cell),
    /// `pool[start + 1]` the number of leaves within the tolerance, then those leaves.
    NearLeaves(u32),
    /// No leaf within the snap tolerance and no unit boundary in the cell: every point of it has
    /// the same smallest covering unit (`NO_UNIT`: none).
    Held(u32),
    /// No leaf within the snap tolerance, but boundaries of units above the leaves cross the
    /// cell: `pool[start]` is the smallest unit covering the cell's centre (`NO_UNIT`: none),
    /// `pool[start + 1]` the number of crossing units, then those units.
    Crossed(u32),
}

/// A cell packed in 32 bits (3 bits of kind, 29 of payload): random lookups over a district then
/// stay within the CPU caches, which is what the throughput depends on.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PackedCell(u32);

const KIND_SHIFT: u32 = 29;
const PAYLOAD: u32 = (1 << KIND_SHIFT) - 1;

impl PackedCell {
    fn pack(cell: Cell) -> PackedCell {
        let (kind, payload) = match cell {
            Cell::Inside(l) => (0, l),
            Cell::Candidates(start) => (1, start),
            Cell::NearLeaves(start) => (2, start),
            Cell::Held(u) => (3, u & PAYLOAD),
            Cell::Crossed(start) => (4, start),
        };
        debug_assert!(payload <= PAYLOAD || matches!(cell, Cell::Held(NO_UNIT)));
        PackedCell((kind << KIND_SHIFT) | payload)
    }

    #[inline]
    fn unpack(self) -> Cell {
        let payload = self.0 & PAYLOAD;
        match self.0 >> KIND_SHIFT {
            0 => Cell::Inside(payload),
            1 => Cell::Candidates(payload),
            2 => Cell::NearLeaves(payload),
            3 if payload == PAYLOAD => Cell::Held(NO_UNIT),
            3 => Cell::Held(payload),
            _ => Cell::Crossed(payload),
        }
    }
}

/// More units than fit a cell's payload cannot be indexed (536 million).
pub const MAX_UNITS: usize = PAYLOAD as usize;

const NO_UNIT: u32 = u32::MAX;
const UNDECIDED: u32 = u32::MAX - 1;

/// What the fast path knows about a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Located<'a> {
    /// The lowest-coded leaf covering the point.
    Leaf(u32),
    /// No leaf covers the point, but one may be within the snap tolerance; beyond it, the
    /// point falls back as `then` says (`HeldBy`, `Uncovered` or `Undecided`).
    NearLeaf {
        then: Fallback<'a>,
        /// Every leaf within the tolerance of the cell, when known.
        leaves: Option<&'a [u32]>,
    },
    /// No leaf within the snap tolerance.
    Far(Fallback<'a>),
}

/// Where a point no leaf takes falls back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback<'a> {
    /// The smallest unit covering the point.
    HeldBy(u32),
    /// No unit covers the point.
    Uncovered,
    /// The deepest of these covering the point: `centre` (the smallest unit covering the cell's
    /// centre, `u32::MAX` for none) unless it is among `crossing`, and the `crossing` units
    /// (whose boundaries cross the cell) that cover the point.
    Among { centre: u32, crossing: &'a [u32] },
    /// Which unit covers the point needs the slow path.
    Undecided,
}

impl Fallback<'_> {
    fn of_holder(unit: u32) -> Fallback<'static> {
        match unit {
            NO_UNIT => Fallback::Uncovered,
            UNDECIDED => Fallback::Undecided,
            unit => Fallback::HeldBy(unit),
        }
    }
}

/// A dense grid over one block (the units under one top-level unit).
#[derive(Debug)]
struct Block {
    bbox: Bbox,
    nx: usize,
    ny: usize,
    cell_w: f64,
    cell_h: f64,
    cells: Vec<PackedCell>,
    /// Candidate lists, each its length followed by the leaves.
    pool: Vec<u32>,
}

/// The units of one block: its top-level unit, its leaves (code order) and the units above them.
pub struct BlockUnits<'a> {
    pub root: u32,
    pub leaves: &'a [u32],
    pub inner: &'a [u32],
}

/// The slow answer to "which is the smallest unit covering this point", shared by the builders.
pub type HolderAt<'a> = &'a (dyn Fn(f64, f64) -> Option<u32> + Sync);

/// Leaf-polygon locator over all blocks, with a coarse grid to find the blocks a point may be in.
#[derive(Debug)]
pub struct Locator {
    blocks: Vec<Block>,
    /// Per coarse cell, the blocks whose box it meets.
    coarse: Block,
}

/// Cells per leaf: with cells a twentieth of a leaf across, most points fall in a cell wholly
/// inside one leaf and need no geometry test. Large datasets get fewer, within a memory budget.
const MAX_CELLS_PER_LEAF: usize = 400;
const MIN_CELLS_PER_LEAF: usize = 16;
const CELL_BUDGET: usize = 64 << 20;
const MAX_CELLS_PER_BLOCK: usize = 1 << 24;

impl Locator {
    /// `snap_m` is the snap tolerance in metres; `holder_at` answers the smallest unit covering a
    /// point (the slow path), used once per cell that is away from every boundary.
    pub fn build(
        polygons: &[PreparedPolygon],
        groups: &[BlockUnits<'_>],
        snap_m: f64,
        holder_at: HolderAt<'_>,
    ) -> Locator {
        let leaves: usize = groups.iter().map(|g| g.leaves.len()).sum();
        let per_leaf = (CELL_BUDGET / leaves.max(1)).clamp(MIN_CELLS_PER_LEAF, MAX_CELLS_PER_LEAF);
        let groups: Vec<&BlockUnits<'_>> = groups.iter().filter(|g| !g.leaves.is_empty()).collect();
        // Blocks are independent: build them on every core, then put them back in order.
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(groups.len().max(1));
        let mut built: Vec<(usize, Block)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let groups = &groups;
                    scope.spawn(move || {
                        (t..groups.len())
                            .step_by(threads)
                            .map(|i| {
                                (
                                    i,
                                    Block::build(polygons, groups[i], snap_m, per_leaf, holder_at),
                                )
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        built.sort_by_key(|(i, _)| *i);
        let blocks: Vec<Block> = built.into_iter().map(|(_, b)| b).collect();
        let coarse = Block::coarse(&blocks);
        Locator { blocks, coarse }
    }

    #[inline]
    pub fn locate(&self, polygons: &[PreparedPolygon], x: f64, y: f64) -> Located<'_> {
        let blocks = self.coarse.lookup_list(x, y);
        if let [only] = blocks {
            return self.blocks[*only as usize].locate(polygons, x, y);
        }
        // Blocks overlap only along shared borders: the lowest leaf wins; otherwise leave the
        // fallback to the slow path unless only one block has anything to say.
        // Lists ascend by block and a lower block's leaves all have lower codes than a higher
        // block's, so the first block with a leaf has the lowest one.
        let mut leaf: Option<u32> = None;
        let mut near = false;
        let mut answers = 0;
        let mut only = Located::Far(Fallback::Uncovered);
        for &b in blocks {
            match self.blocks[b as usize].locate(polygons, x, y) {
                Located::Leaf(l) => {
                    leaf = Some(l);
                    break;
                }
                Located::Far(Fallback::Uncovered) => {}
                other => {
                    near |= matches!(other, Located::NearLeaf { .. });
                    answers += 1;
                    only = other;
                }
            }
        }
        match (leaf, answers) {
            (Some(l), _) => Located::Leaf(l),
            (None, 0 | 1) => only,
            (None, _) if near => Located::NearLeaf {
                then: Fallback::Undecided,
                leaves: None,
            },
            (None, _) => Located::Far(Fallback::Undecided),
        }
    }
}

/// Maps lon/lat to cell indices of a grid; the same monotone formula at build and query time, so
/// every point of a segment falls in a cell of the segment's index range.
#[derive(Clone, Copy)]
struct Raster {
    bbox: Bbox,
    nx: usize,
    ny: usize,
    cell_w: f64,
    cell_h: f64,
}

impl Raster {
    #[inline]
    fn col(&self, x: f64) -> usize {
        (((x - self.bbox.min_x) / self.cell_w).max(0.0) as usize).min(self.nx - 1)
    }

    #[inline]
    fn row(&self, y: f64) -> usize {
        (((y - self.bbox.min_y) / self.cell_h).max(0.0) as usize).min(self.ny - 1)
    }

    /// Calls `f` with each cell index of the box spanned by a and b.
    fn for_cells(&self, a: [f64; 2], b: [f64; 2], mut f: impl FnMut(usize)) {
        let (x0, x1) = (self.col(a[0].min(b[0])), self.col(a[0].max(b[0])));
        let (y0, y1) = (self.row(a[1].min(b[1])), self.row(a[1].max(b[1])));
        for cy in y0..=y1 {
            for cx in x0..=x1 {
                f(cy * self.nx + cx);
            }
        }
    }

    /// Calls `f` with each cell the segment a–b passes through (and, at cell borders, possibly a
    /// neighbour): column by column, the rows between the segment's heights at the column's
    /// edges, widened by a hair so rounding can never drop a cell the segment touches.
    fn for_segment(&self, a: [f64; 2], b: [f64; 2], mut f: impl FnMut(usize)) {
        const HAIR: f64 = 1e-9;
        let (lo, hi) = if a[0] <= b[0] { (a, b) } else { (b, a) };
        let (c0, c1) = (self.col(lo[0]), self.col(hi[0]));
        let dx = hi[0] - lo[0];
        for cx in c0..=c1 {
            let (y_start, y_end) = if c0 == c1 || dx == 0.0 {
                (lo[1], hi[1])
            } else {
                let x_left = (self.bbox.min_x + cx as f64 * self.cell_w - HAIR).max(lo[0]);
                let x_right = (self.bbox.min_x + (cx + 1) as f64 * self.cell_w + HAIR).min(hi[0]);
                let at = |x: f64| lo[1] + (hi[1] - lo[1]) * ((x - lo[0]) / dx);
                (at(x_left), at(x_right))
            };
            let (r0, r1) = (
                self.row(y_start.min(y_end) - HAIR),
                self.row(y_start.max(y_end) + HAIR),
            );
            for cy in r0..=r1 {
                f(cy * self.nx + cx);
            }
        }
    }

    fn centre(&self, c: usize) -> (f64, f64) {
        let (cx, cy) = (c % self.nx, c / self.nx);
        (
            self.bbox.min_x + (cx as f64 + 0.5) * self.cell_w,
            self.bbox.min_y + (cy as f64 + 0.5) * self.cell_h,
        )
    }
}

impl Block {
    fn build(
        polygons: &[PreparedPolygon],
        units: &BlockUnits<'_>,
        snap_m: f64,
        cells_per_leaf: usize,
        holder_at: HolderAt<'_>,
    ) -> Block {
        let leaves_bbox = units
            .leaves
            .iter()
            .chain(units.inner)
            .fold(Bbox::EMPTY, |acc, &i| acc.union(&polygons[i as usize].bbox));
        // Widened by the snap tolerance, so a point outside the grid is surely far from every leaf.
        let lat = leaves_bbox.max_y.abs().max(leaves_bbox.min_y.abs());
        let margin_y = snap_m / METRES_PER_DEGREE_LAT;
        let margin_x = snap_m / metres_per_degree_lon(lat).max(1.0);
        let bbox = Bbox {
            min_x: leaves_bbox.min_x - margin_x,
            min_y: leaves_bbox.min_y - margin_y,
            max_x: leaves_bbox.max_x + margin_x,
            max_y: leaves_bbox.max_y + margin_y,
        };
        let (nx, ny, cell_w, cell_h) = dimensions(&bbox, units.leaves.len() * cells_per_leaf);
        let grid = Raster {
            bbox,
            nx,
            ny,
            cell_w,
            cell_h,
        };
        let n = nx * ny;
        // (cell, leaf, whole): the leaves whose boundary passes through a cell (whole = false) and
        // the leaves covering a cell whole (whole = true); sorted by cell afterwards.
        let mut marks: Vec<(u32, u32, bool)> = Vec::new();
        let mut near = vec![false; n];
        let mut touched = vec![false; n];
        let reach_x = (margin_x / cell_w).ceil() as usize + 1;
        let reach_y = (margin_y / cell_h).ceil() as usize + 1;
        for &leaf in units.leaves {
            let poly = &polygons[leaf as usize];
            let mut marked = Vec::new();
            for (a, b) in poly.segments() {
                grid.for_segment(a, b, |c| {
                    if !touched[c] {
                        touched[c] = true;
                        marked.push(c);
                        marks.push((c as u32, leaf, false));
                    }
                });
            }
            // Cells in the leaf's bbox not touched by its boundary are wholly in or wholly out.
            let b = &poly.bbox;
            grid.for_cells([b.min_x, b.min_y], [b.max_x, b.max_y], |c| {
                if !touched[c] {
                    let (mx, my) = grid.centre(c);
                    if poly.covers(mx, my) {
                        marks.push((c as u32, leaf, true));
                    }
                }
            });
            for c in marked {
                touched[c] = false;
                let (cx, cy) = (c % nx, c / nx);
                for ry in cy.saturating_sub(reach_y)..=(cy + reach_y).min(ny - 1) {
                    for rx in cx.saturating_sub(reach_x)..=(cx + reach_x).min(nx - 1) {
                        near[ry * nx + rx] = true;
                    }
                }
            }
        }
        drop(touched);
        // Cells crossed by the boundary of a unit above the leaves: (cell, unit) once per unit.
        let mut crossed = vec![false; n];
        let mut crossings: Vec<(u32, u32)> = Vec::new();
        for &unit in units.inner {
            let first = crossings.len();
            for (a, b) in polygons[unit as usize].segments() {
                grid.for_segment(a, b, |c| {
                    crossed[c] = true;
                    crossings.push((c as u32, unit));
                });
            }
            crossings[first..].sort_unstable();
            let mut kept = first;
            for i in first..crossings.len() {
                if i == first || crossings[i] != crossings[kept - 1] {
                    crossings[kept] = crossings[i];
                    kept += 1;
                }
            }
            crossings.truncate(kept);
        }
        crossings.sort_unstable();
        marks.sort_unstable();
        let mut near_cells: Vec<(usize, u32)> = Vec::new();
        let mut cells = Vec::with_capacity(n);
        let mut pool = Vec::new();
        let mut next = 0usize;
        for c in 0..n {
            let start = next;
            while next < marks.len() && marks[next].0 as usize == c {
                next += 1;
            }
            let here = &marks[start..next];
            // Outside the top-level unit nothing of this block covers the point; inside it, a
            // cell no leaf takes is a gap, rare enough for the slow answer.
            let holder = || {
                let (mx, my) = grid.centre(c);
                if polygons[units.root as usize].covers(mx, my) {
                    holder_at(mx, my).unwrap_or(NO_UNIT)
                } else {
                    NO_UNIT
                }
            };
            let cell = match here {
                [] if near[c] => {
                    let held = if crossed[c] { UNDECIDED } else { holder() };
                    near_cells.push((c, held));
                    Cell::Inside(0) // replaced below, once the leaves near it are known
                }
                [] if crossed[c] => {
                    let (mx, my) = grid.centre(c);
                    let lo = crossings.partition_point(|&(cell, _)| (cell as usize) < c);
                    let hi = crossings.partition_point(|&(cell, _)| (cell as usize) <= c);
                    let start = pool.len() as u32;
                    pool.push(holder_at(mx, my).unwrap_or(NO_UNIT));
                    pool.push((hi - lo) as u32);
                    pool.extend(crossings[lo..hi].iter().map(|&(_, unit)| unit));
                    Cell::Crossed(start)
                }
                [] => Cell::Held(holder()),
                [(_, leaf, true)] => Cell::Inside(*leaf),
                _ => {
                    let start = pool.len();
                    pool.push(here.len() as u32);
                    pool.extend(here.iter().map(|m| m.1));
                    pool[start + 1..].sort_unstable();
                    Cell::Candidates(start as u32)
                }
            };
            cells.push(PackedCell::pack(cell));
        }
        let near_lists = leaves_near_cells(polygons, units.leaves, &grid, &near_cells, snap_m);
        for ((c, held), leaves) in near_cells.iter().zip(near_lists) {
            let start = pool.len() as u32;
            pool.push(*held);
            pool.push(leaves.len() as u32);
            pool.extend(leaves);
            cells[*c] = PackedCell::pack(Cell::NearLeaves(start));
        }
        Block {
            bbox,
            nx,
            ny,
            cell_w,
            cell_h,
            cells,
            pool,
        }
    }

    /// A grid over the blocks' boxes whose cells list the blocks they may fall in.
    fn coarse(blocks: &[Block]) -> Block {
        let bbox = blocks.iter().fold(Bbox::EMPTY, |acc, b| acc.union(&b.bbox));
        let (nx, ny, cell_w, cell_h) = dimensions(&bbox, (blocks.len() * 64).max(1));
        let grid = Raster {
            bbox,
            nx,
            ny,
            cell_w,
            cell_h,
        };
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); nx * ny];
        for (i, b) in blocks.iter().enumerate() {
            let (lo, hi) = ([b.bbox.min_x, b.bbox.min_y], [b.bbox.max_x, b.bbox.max_y]);
            grid.for_cells(lo, hi, |c| lists[c].push(i as u32));
        }
        let mut cells = Vec::with_capacity(lists.len());
        let mut pool = Vec::new();
        for l in lists {
            cells.push(PackedCell::pack(Cell::Candidates(pool.len() as u32)));
            pool.push(l.len() as u32);
            pool.extend(l);
        }
        Block {
            bbox,
            nx,
            ny,
            cell_w,
            cell_h,
            cells,
            pool,
        }
    }

    #[inline]
    fn cell_at(&self, x: f64, y: f64) -> Option<Cell> {
        if !self.bbox.contains(x, y) {
            return None;
        }
        let cx = (((x - self.bbox.min_x) / self.cell_w).max(0.0) as usize).min(self.nx - 1);
        let cy = (((y - self.bbox.min_y) / self.cell_h).max(0.0) as usize).min(self.ny - 1);
        Some(self.cells[cy * self.nx + cx].unpack())
    }

    #[inline]
    fn list(&self, start: u32) -> &[u32] {
        let start = start as usize;
        let len = self.pool[start] as usize;
        &self.pool[start + 1..start + 1 + len]
    }

    #[inline]
    fn lookup_list(&self, x: f64, y: f64) -> &[u32] {
        match self.cell_at(x, y) {
            Some(Cell::Candidates(start)) => self.list(start),
            _ => &[],
        }
    }

    #[inline]
    fn locate(&self, polygons: &[PreparedPolygon], x: f64, y: f64) -> Located<'_> {
        match self.cell_at(x, y) {
            // The grid spans every unit of the block and the snap margin around it.
            None => Located::Far(Fallback::Uncovered),
            Some(Cell::Inside(leaf)) => Located::Leaf(leaf),
            Some(Cell::Candidates(start)) => self
                .list(start)
                .iter()
                .copied()
                .find(|&leaf| polygons[leaf as usize].covers(x, y))
                // Candidates' boundaries pass through the cell: a leaf is near by definition.
                .map_or(
                    Located::NearLeaf {
                        then: Fallback::Undecided,
                        leaves: None,
                    },
                    Located::Leaf,
                ),
            Some(Cell::NearLeaves(start)) => {
                let start = start as usize;
                let len = self.pool[start + 1] as usize;
                Located::NearLeaf {
                    then: Fallback::of_holder(self.pool[start]),
                    leaves: Some(&self.pool[start + 2..start + 2 + len]),
                }
            }
            Some(Cell::Held(unit)) => Located::Far(Fallback::of_holder(unit)),
            Some(Cell::Crossed(start)) => {
                let start = start as usize;
                let len = self.pool[start + 1] as usize;
                Located::Far(Fallback::Among {
                    centre: self.pool[start],
                    crossing: &self.pool[start + 2..start + 2 + len],
                })
            }
        }
    }
}

/// For each cell of `near_cells`, the leaves (in code order) with an edge that may come within
/// `snap_m` of some point of the cell: a conservative bound, the distance from the edge to the
/// cell's centre less the cell's half-diagonal.
fn leaves_near_cells(
    polygons: &[PreparedPolygon],
    leaves: &[u32],
    grid: &Raster,
    near_cells: &[(usize, u32)],
    snap_m: f64,
) -> Vec<Vec<u32>> {
    let mut slot = vec![u32::MAX; grid.nx * grid.ny];
    for (i, (c, _)) in near_cells.iter().enumerate() {
        slot[*c] = i as u32;
    }
    let mut lists: Vec<Vec<u32>> = vec![Vec::new(); near_cells.len()];
    let mid_lat = (grid.bbox.min_y + grid.bbox.max_y) / 2.0;
    let (kx, ky) = (metres_per_degree_lon(mid_lat), METRES_PER_DEGREE_LAT);
    let half_diagonal = ((grid.cell_w * kx).powi(2) + (grid.cell_h * ky).powi(2)).sqrt() / 2.0;
    // Generous: the scale is taken at mid-latitude, so widen the reach by a tenth.
    let (mx, my) = (snap_m * 1.1 / kx, snap_m * 1.1 / ky);
    for &leaf in leaves {
        for (a, b) in polygons[leaf as usize].segments() {
            let lo = [a[0].min(b[0]) - mx, a[1].min(b[1]) - my];
            let hi = [a[0].max(b[0]) + mx, a[1].max(b[1]) + my];
            grid.for_cells(lo, hi, |c| {
                let i = slot[c];
                if i == u32::MAX || lists[i as usize].last() == Some(&leaf) {
                    return;
                }
                let (cx, cy) = grid.centre(c);
                let d = segment_distance_m(a, b, cx, cy, kx, ky);
                if d - half_diagonal <= snap_m * 1.1 {
                    lists[i as usize].push(leaf);
                }
            });
        }
    }
    lists
}

fn segment_distance_m(a: [f64; 2], b: [f64; 2], x: f64, y: f64, kx: f64, ky: f64) -> f64 {
    let (ax, ay) = ((a[0] - x) * kx, (a[1] - y) * ky);
    let (dx, dy) = ((b[0] - a[0]) * kx, (b[1] - a[1]) * ky);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
    };
    let (px, py) = (ax + t * dx, ay + t * dy);
    (px * px + py * py).sqrt()
}

/// Grid dimensions for about `target` cells of roughly square shape on the ground.
fn dimensions(bbox: &Bbox, target: usize) -> (usize, usize, f64, f64) {
    let target = target.clamp(1, MAX_CELLS_PER_BLOCK) as f64;
    let mid_lat = (bbox.min_y + bbox.max_y) / 2.0;
    let w = (bbox.max_x - bbox.min_x).max(1e-9) * mid_lat.to_radians().cos().max(0.01);
    let h = (bbox.max_y - bbox.min_y).max(1e-9);
    let side = (w * h / target).sqrt();
    let nx = ((w / side).ceil() as usize).max(1);
    let ny = ((h / side).ceil() as usize).max(1);
    let cell_w = (bbox.max_x - bbox.min_x).max(1e-9) / nx as f64;
    let cell_h = h / ny as f64;
    (nx, ny, cell_w, cell_h)
}
