//! A polygon laid out flat for fast, exact "covers" tests (boundary included), the test every
//! assignment ends with.

use geo::{BoundingRect, MultiPolygon};
use robust::{orient2d, Coord};

/// Axis-aligned box in lon/lat degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bbox {
    pub min_x: f64,
    pub min_y: f64,
    pub max_x: f64,
    pub max_y: f64,
}

impl Bbox {
    pub const EMPTY: Bbox = Bbox {
        min_x: f64::INFINITY,
        min_y: f64::INFINITY,
        max_x: f64::NEG_INFINITY,
        max_y: f64::NEG_INFINITY,
    };

    pub fn contains(&self, x: f64, y: f64) -> bool {
        x >= self.min_x && x <= self.max_x && y >= self.min_y && y <= self.max_y
    }

    pub fn intersects(&self, o: &Bbox) -> bool {
        self.min_x <= o.max_x
            && o.min_x <= self.max_x
            && self.min_y <= o.max_y
            && o.min_y <= self.max_y
    }

    pub fn union(&self, o: &Bbox) -> Bbox {
        Bbox {
            min_x: self.min_x.min(o.min_x),
            min_y: self.min_y.min(o.min_y),
            max_x: self.max_x.max(o.max_x),
            max_y: self.max_y.max(o.max_y),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.min_x > self.max_x || self.min_y > self.max_y
    }

    /// Metres from the point to the box (0 inside), in a local equirectangular projection.
    pub fn distance_m(&self, x: f64, y: f64) -> f64 {
        let dx = (self.min_x - x).max(x - self.max_x).max(0.0) * metres_per_degree_lon(y);
        let dy = (self.min_y - y).max(y - self.max_y).max(0.0) * METRES_PER_DEGREE_LAT;
        (dx * dx + dy * dy).sqrt()
    }

    pub fn of(mp: &MultiPolygon<f64>) -> Bbox {
        mp.bounding_rect().map_or(Bbox::EMPTY, |r| Bbox {
            min_x: r.min().x,
            min_y: r.min().y,
            max_x: r.max().x,
            max_y: r.max().y,
        })
    }
}

/// Every edge of a multipolygon (all rings, holes included) as a flat segment list, with a
/// horizontal band index for polygons with many edges. Holes need no special treatment: the
/// crossing count over every ring is inside-ness under the even-odd rule, which equals the
/// non-zero rule for valid polygons.
#[derive(Debug, Clone)]
pub struct PreparedPolygon {
    pub bbox: Bbox,
    /// The rings' vertices, each ring closed (first point repeated at its end).
    points: Vec<[f64; 2]>,
    /// One past the last point of each ring.
    ring_ends: Vec<u32>,
    bands: Option<Bands>,
}

/// Edges bucketed by horizontal band, so a test only looks at the edges whose y-range can
/// contain the point's y.
#[derive(Debug, Clone)]
struct Bands {
    min_y: f64,
    per_unit_y: f64,
    /// `offsets[i]..offsets[i + 1]` indexes `edges` for band i.
    offsets: Vec<u32>,
    edges: Vec<u32>,
}

/// Below this many edges a linear scan is as fast as a band lookup.
const BANDED_FROM_EDGES: usize = 32;
const EDGES_PER_BAND: usize = 8;

impl PreparedPolygon {
    pub fn new(mp: &MultiPolygon<f64>) -> PreparedPolygon {
        let mut points = Vec::new();
        let mut ring_ends = Vec::new();
        for poly in mp {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                let pts = &ring.0;
                if pts.len() < 2 {
                    continue;
                }
                points.extend(pts.iter().map(|c| [c.x, c.y]));
                if pts.first() != pts.last() {
                    points.push([pts[0].x, pts[0].y]);
                }
                ring_ends.push(points.len() as u32);
            }
        }
        points.shrink_to_fit();
        let mut p = PreparedPolygon {
            bbox: Bbox::of(mp),
            points,
            ring_ends,
            bands: None,
        };
        if p.edge_count() >= BANDED_FROM_EDGES {
            p.bands = Some(Bands::build(&p));
        }
        p
    }

    /// True when the point lies inside the polygon or on its boundary, decided with exact
    /// orientation predicates so that a point on a shared edge is covered by both neighbours.
    #[inline]
    pub fn covers(&self, x: f64, y: f64) -> bool {
        if !self.bbox.contains(x, y) {
            return false;
        }
        let mut inside = false;
        match &self.bands {
            None => {
                for ring in self.rings() {
                    for w in ring.windows(2) {
                        match crossing(w[0], w[1], x, y) {
                            Crossing::OnBoundary => return true,
                            Crossing::Right => inside = !inside,
                            Crossing::None => {}
                        }
                    }
                }
            }
            Some(b) => {
                for &i in b.edges_near(y) {
                    let i = i as usize;
                    match crossing(self.points[i], self.points[i + 1], x, y) {
                        Crossing::OnBoundary => return true,
                        Crossing::Right => inside = !inside,
                        Crossing::None => {}
                    }
                }
            }
        }
        inside
    }

    /// Distance in metres from the point to the polygon's boundary (0 when covered), using a local
    /// equirectangular projection: accurate to well under a metre over the tens of metres it is
    /// used for (snapping).
    pub fn distance_m(&self, x: f64, y: f64) -> f64 {
        if self.covers(x, y) {
            return 0.0;
        }
        self.boundary_distance_m(x, y)
    }

    /// Distance in metres from the point to the nearest edge, inside or out.
    pub fn boundary_distance_m(&self, x: f64, y: f64) -> f64 {
        let kx = metres_per_degree_lon(y);
        let ky = METRES_PER_DEGREE_LAT;
        self.segments()
            .map(|(a, b)| {
                point_segment_distance(
                    (a[0] - x) * kx,
                    (a[1] - y) * ky,
                    (b[0] - x) * kx,
                    (b[1] - y) * ky,
                )
            })
            .fold(f64::INFINITY, f64::min)
    }

    pub fn edge_count(&self) -> usize {
        self.points.len() - self.ring_ends.len()
    }

    fn rings(&self) -> impl Iterator<Item = &[[f64; 2]]> + '_ {
        let starts = std::iter::once(0).chain(self.ring_ends.iter().map(|&e| e as usize));
        starts
            .zip(self.ring_ends.iter())
            .map(|(s, &e)| &self.points[s..e as usize])
    }

    /// Every edge as `(a, b)`, for index building.
    pub fn segments(&self) -> impl Iterator<Item = ([f64; 2], [f64; 2])> + '_ {
        self.rings()
            .flat_map(|r| r.windows(2).map(|w| (w[0], w[1])))
    }

    /// Every edge as the index of its first point (the edge runs to the next point).
    fn edge_starts(&self) -> impl Iterator<Item = usize> + '_ {
        let starts = std::iter::once(0).chain(self.ring_ends.iter().map(|&e| e as usize));
        starts
            .zip(self.ring_ends.iter())
            .flat_map(|(s, &e)| s..(e as usize).saturating_sub(1))
    }
}

enum Crossing {
    None,
    Right,
    OnBoundary,
}

/// How edge `seg` relates to the horizontal ray from (x, y) towards +x. Half-open rule: an edge
/// counts when one end is strictly above y; the crossing is right of the point when the point is
/// on the left of an upward edge or on the right of a downward one.
#[inline]
fn crossing(a: [f64; 2], b: [f64; 2], x: f64, y: f64) -> Crossing {
    let ([ax, ay], [bx, by]) = (a, b);
    let (lo_y, hi_y) = if ay < by { (ay, by) } else { (by, ay) };
    if y < lo_y || y > hi_y || x > ax.max(bx) {
        return Crossing::None;
    }
    let o = orient2d(
        Coord { x: ax, y: ay },
        Coord { x: bx, y: by },
        Coord { x, y },
    );
    if o == 0.0 {
        return if x >= ax.min(bx) {
            Crossing::OnBoundary
        } else {
            Crossing::None
        };
    }
    if (ay > y) != (by > y) {
        let upward = by > ay;
        if (upward && o > 0.0) || (!upward && o < 0.0) {
            return Crossing::Right;
        }
    }
    Crossing::None
}

impl Bands {
    fn build(polygon: &PreparedPolygon) -> Bands {
        let bbox = &polygon.bbox;
        let n = (polygon.edge_count() / EDGES_PER_BAND).max(1);
        let height = (bbox.max_y - bbox.min_y).max(f64::MIN_POSITIVE);
        let per_unit_y = n as f64 / height;
        let band = |y: f64| (((y - bbox.min_y) * per_unit_y) as usize).min(n - 1);
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); n];
        for i in polygon.edge_starts() {
            let (a, b) = (polygon.points[i], polygon.points[i + 1]);
            let (lo, hi) = (a[1].min(b[1]), a[1].max(b[1]));
            for list in &mut lists[band(lo)..=band(hi)] {
                list.push(i as u32);
            }
        }
        let mut offsets = Vec::with_capacity(n + 1);
        let mut edges = Vec::new();
        offsets.push(0);
        for l in lists {
            edges.extend(l);
            offsets.push(edges.len() as u32);
        }
        Bands {
            min_y: bbox.min_y,
            per_unit_y,
            offsets,
            edges,
        }
    }

    /// The edges whose y-range may contain `y` (the caller has checked y is within the bbox).
    #[inline]
    fn edges_near(&self, y: f64) -> &[u32] {
        let n = self.offsets.len() - 1;
        let b = (((y - self.min_y) * self.per_unit_y).max(0.0) as usize).min(n - 1);
        &self.edges[self.offsets[b] as usize..self.offsets[b + 1] as usize]
    }
}

pub const METRES_PER_DEGREE_LAT: f64 = 111_320.0;

pub fn metres_per_degree_lon(lat: f64) -> f64 {
    METRES_PER_DEGREE_LAT * lat.to_radians().cos()
}

/// Distance from the origin to segment a–b.
fn point_segment_distance(ax: f64, ay: f64, bx: f64, by: f64) -> f64 {
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
    };
    let (px, py) = (ax + t * dx, ay + t * dy);
    (px * px + py * py).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, MultiPolygon};

    fn square_with_hole() -> PreparedPolygon {
        let p = polygon!(
            exterior: [(x: 0.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 4.0), (x: 0.0, y: 4.0)],
            interiors: [[(x: 1.0, y: 1.0), (x: 1.0, y: 2.0), (x: 2.0, y: 2.0), (x: 2.0, y: 1.0)]],
        );
        PreparedPolygon::new(&MultiPolygon(vec![p]))
    }

    #[test]
    fn boundary_points_are_covered() {
        let p = square_with_hole();
        for (x, y) in [
            (0.0, 0.0),
            (4.0, 4.0),
            (2.0, 0.0),
            (0.0, 3.0),
            (4.0, 0.5),
            (1.0, 1.5),
            (1.5, 2.0),
        ] {
            assert!(p.covers(x, y), "({x},{y}) on the boundary");
        }
    }

    #[test]
    fn holes_and_outside_are_not_covered() {
        let p = square_with_hole();
        assert!(!p.covers(1.5, 1.5));
        assert!(!p.covers(-0.1, 2.0));
        assert!(!p.covers(2.0, 4.0000001));
        assert!(p.covers(3.0, 3.0));
    }

    #[test]
    fn banded_polygon_answers_like_a_linear_scan() {
        // A 200-gon star: many edges, so the band index is used.
        let pts: Vec<(f64, f64)> = (0..200)
            .map(|i| {
                let a = i as f64 / 200.0 * std::f64::consts::TAU;
                let r = if i % 2 == 0 { 1.0 } else { 0.6 };
                (r * a.cos(), r * a.sin())
            })
            .collect();
        let mp = MultiPolygon(vec![geo::Polygon::new(pts.clone().into(), vec![])]);
        let p = PreparedPolygon::new(&mp);
        assert!(p.bands.is_some());
        use geo::Covers;
        for i in 0..100 {
            for j in 0..100 {
                let (x, y) = (-1.1 + 0.022 * i as f64, -1.1 + 0.022 * j as f64);
                assert_eq!(
                    p.covers(x, y),
                    mp.covers(&geo::Point::new(x, y)),
                    "({x},{y})"
                );
            }
        }
        for &(x, y) in &pts {
            assert!(p.covers(x, y));
        }
    }

    #[test]
    fn distance_is_in_metres() {
        let p = square_with_hole();
        let d = p.distance_m(4.001, 2.0);
        assert!((d - 0.001 * metres_per_degree_lon(2.0)).abs() < 1e-6);
    }
}
