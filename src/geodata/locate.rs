//! Fast point-in-polygon and "convex polygon wholly inside" tests against one parent outline,
//! which the partition asks thousands of times: the parent's edges are bucketed into horizontal
//! bands, so a test looks only at the edges of the bands it touches.

use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo::{Coord, LineString, MultiPolygon, Polygon};

pub(crate) struct Locator {
    edges: Vec<[Coord<f64>; 2]>,
    /// (polygon, ring, index of the edge's first point) of each edge.
    origin: Vec<(u32, u32, u32)>,
    bands: Vec<Vec<u32>>,
    y0: f64,
    band_height: f64,
}

impl Locator {
    pub(crate) fn new(parent: &MultiPolygon<f64>) -> Locator {
        let mut edges = Vec::new();
        let mut origin = Vec::new();
        for (pi, polygon) in parent.0.iter().enumerate() {
            for (ri, ring) in std::iter::once(polygon.exterior())
                .chain(polygon.interiors())
                .enumerate()
            {
                for (k, w) in ring.0.windows(2).enumerate() {
                    if w[0] != w[1] {
                        edges.push([w[0], w[1]]);
                        origin.push((pi as u32, ri as u32, k as u32));
                    }
                }
            }
        }
        let (mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY);
        for e in &edges {
            for c in e {
                y0 = y0.min(c.y);
                y1 = y1.max(c.y);
            }
        }
        let count = (edges.len() / 4).clamp(1, 4096);
        let height = if y1 > y0 {
            (y1 - y0) / count as f64
        } else {
            1.0
        };
        let mut locator = Locator {
            edges,
            origin,
            bands: vec![Vec::new(); count],
            y0,
            band_height: height,
        };
        for (i, e) in locator.edges.iter().enumerate() {
            let (lo, hi) = locator.band_range(e[0].y.min(e[1].y), e[0].y.max(e[1].y));
            for band in &mut locator.bands[lo..=hi] {
                band.push(i as u32);
            }
        }
        locator
    }

    fn band_range(&self, ymin: f64, ymax: f64) -> (usize, usize) {
        let last = self.bands.len() - 1;
        // Truncation is floor for the non-negative values that reach it (and avoids a libm call
        // in the innermost loop of sampling).
        let band = |y: f64| {
            let b = (y - self.y0) / self.band_height;
            if b >= 0.0 {
                (b as usize).min(last)
            } else {
                0
            }
        };
        (band(ymin), band(ymax))
    }

    /// Even-odd crossing test over all rings: inside an exterior and outside its holes.
    pub(crate) fn contains(&self, p: Coord<f64>) -> bool {
        let (band, _) = self.band_range(p.y, p.y);
        let mut inside = false;
        for &i in &self.bands[band] {
            let [a, b] = self.edges[i as usize];
            if (a.y > p.y) != (b.y > p.y) {
                let x = a.x + (p.y - a.y) / (b.y - a.y) * (b.x - a.x);
                if p.x < x {
                    inside = !inside;
                }
            }
        }
        inside
    }

    /// True when the convex, counter-clockwise polygon `cell` (open ring) lies inside the parent:
    /// no parent edge comes near it and one of its points is inside. Edges that merely touch the
    /// cell count as crossing, so the answer errs towards "no".
    pub(crate) fn contains_convex(&self, cell: &[Coord<f64>]) -> bool {
        let Some(&first) = cell.first() else {
            return false;
        };
        let (mut x0, mut y0, mut x1, mut y1) = (first.x, first.y, first.x, first.y);
        for c in cell {
            x0 = x0.min(c.x);
            x1 = x1.max(c.x);
            y0 = y0.min(c.y);
            y1 = y1.max(c.y);
        }
        let tolerance = 1e-12 * ((x1 - x0) + (y1 - y0));
        let (lo, hi) = self.band_range(y0, y1);
        for band in &self.bands[lo..=hi] {
            for &i in band {
                let [a, b] = self.edges[i as usize];
                if a.x.max(b.x) < x0 - tolerance
                    || a.x.min(b.x) > x1 + tolerance
                    || a.y.max(b.y) < y0 - tolerance
                    || a.y.min(b.y) > y1 + tolerance
                {
                    continue;
                }
                if segment_meets_convex(a, b, cell, tolerance) {
                    return false;
                }
            }
        }
        self.contains(first)
    }
}

/// A point to insert into the edge named by (polygon, ring, index of its first point).
type EdgeInsert = ((u32, u32, u32), Coord<f64>);

/// `parent` with every vertex that lies inside an edge of another ring (a hole touching its
/// exterior, two parts touching) inserted into that edge, or `None` when there is none. Valid
/// geometry allows such touching points; made explicit, they stay exact when a cut later
/// shortens the edge, where a computed end point would move the edge off the touching point.
pub(crate) fn node_touching_points(
    parent: &MultiPolygon<f64>,
    locator: &Locator,
) -> Option<MultiPolygon<f64>> {
    // (polygon, ring, edge) → points to insert
    let mut inserts: Vec<EdgeInsert> = Vec::new();
    for polygon in &parent.0 {
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            for &v in ring.0.iter().skip(1) {
                let (band, _) = locator.band_range(v.y, v.y);
                for &i in &locator.bands[band] {
                    let [a, b] = locator.edges[i as usize];
                    if v == a
                        || v == b
                        || v.x < a.x.min(b.x)
                        || v.x > a.x.max(b.x)
                        || v.y < a.y.min(b.y)
                        || v.y > a.y.max(b.y)
                    {
                        continue;
                    }
                    if RobustKernel::orient2d(a, b, v) == Orientation::Collinear {
                        inserts.push((locator.origin[i as usize], v));
                    }
                }
            }
        }
    }
    if inserts.is_empty() {
        return None;
    }
    inserts.sort_by(|x, y| {
        x.0.cmp(&y.0)
            .then(x.1.x.total_cmp(&y.1.x))
            .then(x.1.y.total_cmp(&y.1.y))
    });
    inserts.dedup();
    let mut polygons = parent.0.clone();
    let mut start = 0;
    while start < inserts.len() {
        let (pi, ri, _) = inserts[start].0;
        let end = start + inserts[start..].partition_point(|x| (x.0 .0, x.0 .1) == (pi, ri));
        let polygon = &polygons[pi as usize];
        let ring = if ri == 0 {
            polygon.exterior()
        } else {
            &polygon.interiors()[ri as usize - 1]
        };
        let noded = insert_points(ring, &inserts[start..end]);
        let (mut exterior, mut interiors) = polygon.clone().into_inner();
        if ri == 0 {
            exterior = noded;
        } else {
            interiors[ri as usize - 1] = noded;
        }
        polygons[pi as usize] = Polygon::new(exterior, interiors);
        start = end;
    }
    Some(MultiPolygon(polygons))
}

/// `ring` with points inserted into the edges named (by their first point's index), each edge's
/// points in order along it.
fn insert_points(ring: &LineString<f64>, inserts: &[EdgeInsert]) -> LineString<f64> {
    let mut out = Vec::with_capacity(ring.0.len() + inserts.len());
    let mut next = 0;
    for (k, &p) in ring.0.iter().enumerate() {
        out.push(p);
        let from = next;
        while next < inserts.len() && inserts[next].0 .2 as usize == k {
            next += 1;
        }
        let mut points: Vec<Coord<f64>> = inserts[from..next].iter().map(|x| x.1).collect();
        let along = |c: &Coord<f64>| (c.x - p.x).abs() + (c.y - p.y).abs();
        points.sort_by(|a, b| along(a).total_cmp(&along(b)));
        out.extend(points);
    }
    LineString(out)
}

/// Cyrus–Beck: does segment `a`–`b` meet the closed convex counter-clockwise polygon `cell`
/// (grown by `tolerance`)?
fn segment_meets_convex(a: Coord<f64>, b: Coord<f64>, cell: &[Coord<f64>], tolerance: f64) -> bool {
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    let n = cell.len();
    for k in 0..n {
        let p = cell[k];
        let q = cell[(k + 1) % n];
        let (ex, ey) = (q.x - p.x, q.y - p.y);
        let len = (ex * ex + ey * ey).sqrt();
        if len == 0.0 {
            continue;
        }
        // g(t) = cross(e, a + t (b - a) - p) / |e| >= -tolerance keeps the point on the inner side.
        let g0 = (ex * (a.y - p.y) - ey * (a.x - p.x)) / len + tolerance;
        let g1 = (ex * (b.y - p.y) - ey * (b.x - p.x)) / len + tolerance;
        if g0 < 0.0 && g1 < 0.0 {
            return false;
        }
        if g0 < 0.0 {
            t0 = t0.max(g0 / (g0 - g1));
        } else if g1 < 0.0 {
            t1 = t1.min(g0 / (g0 - g1));
        }
        if t0 > t1 {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{coord, polygon};

    fn square_with_hole_and_slit() -> MultiPolygon<f64> {
        // A 10×10 square with a hole at (6..8, 6..8) and a thin notch reaching in from the south
        // along x = 3.
        MultiPolygon(vec![polygon!(
            exterior: [
                (x: 0., y: 0.), (x: 2.9, y: 0.), (x: 2.9, y: 5.), (x: 3.1, y: 5.), (x: 3.1, y: 0.),
                (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 10.), (x: 0., y: 0.)
            ],
            interiors: [[(x: 6., y: 6.), (x: 6., y: 8.), (x: 8., y: 8.), (x: 8., y: 6.), (x: 6., y: 6.)]],
        )])
    }

    #[test]
    fn a_hole_corner_on_an_exterior_edge_becomes_a_vertex_of_that_edge() {
        let parent = MultiPolygon(vec![polygon!(
            exterior: [(x: 0., y: 0.), (x: 4., y: 0.), (x: 4., y: 4.), (x: 0., y: 4.), (x: 0., y: 0.)],
            interiors: [[(x: 2., y: 0.), (x: 1., y: 2.), (x: 3., y: 2.), (x: 2., y: 0.)]],
        )]);
        let l = Locator::new(&parent);
        let noded = node_touching_points(&parent, &l).unwrap();
        assert_eq!(
            noded.0[0].exterior().0,
            vec![
                coord! { x: 0., y: 0. },
                coord! { x: 2., y: 0. },
                coord! { x: 4., y: 0. },
                coord! { x: 4., y: 4. },
                coord! { x: 0., y: 4. },
                coord! { x: 0., y: 0. },
            ]
        );
        assert_eq!(noded.0[0].interiors(), parent.0[0].interiors());
        assert!(node_touching_points(&noded, &Locator::new(&noded)).is_none());
    }

    #[test]
    fn points_in_holes_and_notches_are_outside() {
        let l = Locator::new(&square_with_hole_and_slit());
        assert!(l.contains(coord! { x: 1., y: 1. }));
        assert!(l.contains(coord! { x: 5., y: 9. }));
        assert!(!l.contains(coord! { x: 7., y: 7. }));
        assert!(!l.contains(coord! { x: 3., y: 2. }));
        assert!(!l.contains(coord! { x: 11., y: 2. }));
    }

    #[test]
    fn convex_cell_crossed_by_a_notch_is_not_inside() {
        let l = Locator::new(&square_with_hole_and_slit());
        let square = |x0: f64, y0: f64, x1: f64, y1: f64| {
            vec![
                coord! { x: x0, y: y0 },
                coord! { x: x1, y: y0 },
                coord! { x: x1, y: y1 },
                coord! { x: x0, y: y1 },
            ]
        };
        assert!(l.contains_convex(&square(0.5, 0.5, 2.5, 2.5)));
        // all corners inside, but the notch runs through it
        assert!(!l.contains_convex(&square(1., 1., 5., 4.)));
        // contains the hole entirely
        assert!(!l.contains_convex(&square(5., 5., 9., 9.)));
        // inside the hole
        assert!(!l.contains_convex(&square(6.5, 6.5, 7.5, 7.5)));
        // sticks out
        assert!(!l.contains_convex(&square(9., 9., 11., 11.)));
    }
}
