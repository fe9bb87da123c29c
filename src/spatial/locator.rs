//! The fast path of assignment: for each top-level unit, a dense grid of cells over its leaves.
//! A cell wholly inside one leaf answers with no geometry test; a cell crossed by boundaries lists
//! the few leaves to test, lowest code first. Built once per snapshot.

use super::prepared::{Bbox, PreparedPolygon};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell {
    Outside,
    Inside(u32),
    Candidates { start: u32, len: u32 },
}

/// A dense grid over one block of leaves (the leaves under one top-level unit).
#[derive(Debug)]
struct Block {
    bbox: Bbox,
    nx: usize,
    ny: usize,
    cell_w: f64,
    cell_h: f64,
    cells: Vec<Cell>,
    candidates: Vec<u32>,
}

/// Leaf-polygon locator over all blocks, with a coarse grid to find the blocks a point may be in.
#[derive(Debug)]
pub struct Locator {
    blocks: Vec<Block>,
    coarse: Block,
}

/// Aim for about this many cells per leaf: enough that most cells lie wholly inside one leaf.
const CELLS_PER_LEAF: usize = 8;
const MAX_CELLS_PER_BLOCK: usize = 1 << 24;

impl Locator {
    /// `groups` lists, per top-level unit, the indices (into `polygons`) of its leaves sorted by code.
    pub fn build(polygons: &[PreparedPolygon], groups: &[Vec<u32>]) -> Locator {
        let blocks: Vec<Block> = groups
            .iter()
            .filter(|g| !g.is_empty())
            .map(|leaves| Block::build(polygons, leaves))
            .collect();
        let coarse = Block::coarse(&blocks);
        Locator { blocks, coarse }
    }

    /// The lowest-indexed leaf covering the point (leaf indices are code-ordered), if any.
    #[inline]
    pub fn locate(&self, polygons: &[PreparedPolygon], x: f64, y: f64) -> Option<u32> {
        let mut best: Option<u32> = None;
        for &b in self.coarse.lookup_list(x, y) {
            if let Some(hit) = self.blocks[b as usize].locate(polygons, x, y) {
                best = Some(best.map_or(hit, |cur: u32| cur.min(hit)));
            }
        }
        best
    }
}

impl Block {
    fn build(polygons: &[PreparedPolygon], leaves: &[u32]) -> Block {
        let bbox = leaves
            .iter()
            .fold(Bbox::EMPTY, |acc, &i| acc.union(&polygons[i as usize].bbox));
        let (nx, ny, cell_w, cell_h) = dimensions(&bbox, leaves.len() * CELLS_PER_LEAF);
        let n = nx * ny;
        // Per cell: the leaves whose boundary passes through it, and the leaves covering it whole.
        let mut boundary: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut covering: Vec<Vec<u32>> = vec![Vec::new(); n];
        let idx = |x: f64, y: f64| -> (usize, usize) {
            let cx = (((x - bbox.min_x) / cell_w) as isize).clamp(0, nx as isize - 1) as usize;
            let cy = (((y - bbox.min_y) / cell_h) as isize).clamp(0, ny as isize - 1) as usize;
            (cx, cy)
        };
        let mut touched = vec![false; n];
        for &leaf in leaves {
            let poly = &polygons[leaf as usize];
            let mut marked = Vec::new();
            for (a, b) in poly.segments() {
                // Conservative: every cell of the segment's bbox, widened by one cell so that
                // floating-point rounding at cell borders can never hide a crossing.
                let (x0, y0) = idx(a[0].min(b[0]), a[1].min(b[1]));
                let (x1, y1) = idx(a[0].max(b[0]), a[1].max(b[1]));
                for cy in y0.saturating_sub(1)..=(y1 + 1).min(ny - 1) {
                    for cx in x0.saturating_sub(1)..=(x1 + 1).min(nx - 1) {
                        let c = cy * nx + cx;
                        if !touched[c] {
                            touched[c] = true;
                            marked.push(c);
                            boundary[c].push(leaf);
                        }
                    }
                }
            }
            // Cells in the leaf's bbox not touched by its boundary are wholly in or wholly out.
            let (x0, y0) = idx(poly.bbox.min_x, poly.bbox.min_y);
            let (x1, y1) = idx(poly.bbox.max_x, poly.bbox.max_y);
            for cy in y0..=y1 {
                for cx in x0..=x1 {
                    let c = cy * nx + cx;
                    if touched[c] {
                        continue;
                    }
                    let mx = bbox.min_x + (cx as f64 + 0.5) * cell_w;
                    let my = bbox.min_y + (cy as f64 + 0.5) * cell_h;
                    if poly.covers(mx, my) {
                        covering[c].push(leaf);
                    }
                }
            }
            for c in marked {
                touched[c] = false;
            }
        }
        let mut cells = Vec::with_capacity(n);
        let mut candidates = Vec::new();
        for c in 0..n {
            let cell = match (boundary[c].as_slice(), covering[c].as_slice()) {
                ([], []) => Cell::Outside,
                ([], [only]) => Cell::Inside(*only),
                (b, w) => {
                    let start = candidates.len() as u32;
                    candidates.extend_from_slice(b);
                    candidates.extend_from_slice(w);
                    let slice = &mut candidates[start as usize..];
                    slice.sort_unstable();
                    Cell::Candidates {
                        start,
                        len: slice.len() as u32,
                    }
                }
            };
            cells.push(cell);
        }
        Block {
            bbox,
            nx,
            ny,
            cell_w,
            cell_h,
            cells,
            candidates,
        }
    }

    /// A grid over the blocks' boxes whose cells list the blocks they may fall in.
    fn coarse(blocks: &[Block]) -> Block {
        let bbox = blocks.iter().fold(Bbox::EMPTY, |acc, b| acc.union(&b.bbox));
        let (nx, ny, cell_w, cell_h) = dimensions(&bbox, (blocks.len() * 64).max(1));
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); nx * ny];
        for (i, b) in blocks.iter().enumerate() {
            let x0 = ((b.bbox.min_x - bbox.min_x) / cell_w).floor().max(0.0) as usize;
            let y0 = ((b.bbox.min_y - bbox.min_y) / cell_h).floor().max(0.0) as usize;
            let x1 = (((b.bbox.max_x - bbox.min_x) / cell_w) as usize).min(nx - 1);
            let y1 = (((b.bbox.max_y - bbox.min_y) / cell_h) as usize).min(ny - 1);
            for cy in y0..=y1 {
                for cx in x0..=x1 {
                    lists[cy * nx + cx].push(i as u32);
                }
            }
        }
        let mut cells = Vec::with_capacity(lists.len());
        let mut candidates = Vec::new();
        for l in lists {
            cells.push(Cell::Candidates {
                start: candidates.len() as u32,
                len: l.len() as u32,
            });
            candidates.extend(l);
        }
        Block {
            bbox,
            nx,
            ny,
            cell_w,
            cell_h,
            cells,
            candidates,
        }
    }

    #[inline]
    fn cell_at(&self, x: f64, y: f64) -> Option<Cell> {
        if !self.bbox.contains(x, y) {
            return None;
        }
        let cx = (((x - self.bbox.min_x) / self.cell_w) as usize).min(self.nx - 1);
        let cy = (((y - self.bbox.min_y) / self.cell_h) as usize).min(self.ny - 1);
        Some(self.cells[cy * self.nx + cx])
    }

    #[inline]
    fn lookup_list(&self, x: f64, y: f64) -> &[u32] {
        match self.cell_at(x, y) {
            Some(Cell::Candidates { start, len }) => {
                &self.candidates[start as usize..(start + len) as usize]
            }
            _ => &[],
        }
    }

    #[inline]
    fn locate(&self, polygons: &[PreparedPolygon], x: f64, y: f64) -> Option<u32> {
        match self.cell_at(x, y)? {
            Cell::Outside => None,
            Cell::Inside(leaf) => Some(leaf),
            Cell::Candidates { start, len } => self.candidates
                [start as usize..(start + len) as usize]
                .iter()
                .copied()
                .find(|&leaf| polygons[leaf as usize].covers(x, y)),
        }
    }
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
