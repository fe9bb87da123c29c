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

    pub fn of(mp: &MultiPolygon<f64>) -> Bbox {
        mp.bounding_rect().map_or(Bbox::EMPTY, |r| Bbox {
            min_x: r.min().x,
            min_y: r.min().y,
            max_x: r.max().x,
            max_y: r.max().y,
        })
    }
}

/// All rings of a multipolygon as one vertex array with ring boundaries. Holes need no special
/// treatment: the crossing count over every ring is inside-ness under the even-odd rule, which
/// equals the non-zero rule for valid polygons.
#[derive(Debug, Clone)]
pub struct PreparedPolygon {
    pub bbox: Bbox,
    points: Vec<[f64; 2]>,
    /// `ring_ends[i]` is one past the last point of ring i (each ring stored closed).
    ring_ends: Vec<u32>,
}

impl PreparedPolygon {
    pub fn new(mp: &MultiPolygon<f64>) -> PreparedPolygon {
        let mut points = Vec::new();
        let mut ring_ends = Vec::new();
        for poly in mp {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                if ring.0.len() < 2 {
                    continue;
                }
                points.extend(ring.0.iter().map(|c| [c.x, c.y]));
                if ring.0.first() != ring.0.last() {
                    points.push([ring.0[0].x, ring.0[0].y]);
                }
                ring_ends.push(points.len() as u32);
            }
        }
        PreparedPolygon {
            bbox: Bbox::of(mp),
            points,
            ring_ends,
        }
    }

    /// True when the point lies inside the polygon or on its boundary, decided with exact
    /// orientation predicates so that a point on a shared edge is covered by both neighbours.
    pub fn covers(&self, x: f64, y: f64) -> bool {
        if !self.bbox.contains(x, y) {
            return false;
        }
        let mut inside = false;
        let mut start = 0usize;
        for &end in &self.ring_ends {
            let ring = &self.points[start..end as usize];
            for seg in ring.windows(2) {
                let (a, b) = (seg[0], seg[1]);
                let (lo_y, hi_y) = if a[1] < b[1] {
                    (a[1], b[1])
                } else {
                    (b[1], a[1])
                };
                if y < lo_y || y > hi_y || x > a[0].max(b[0]) {
                    continue;
                }
                let o = orient2d(
                    Coord { x: a[0], y: a[1] },
                    Coord { x: b[0], y: b[1] },
                    Coord { x, y },
                );
                if o == 0.0 {
                    if x >= a[0].min(b[0]) {
                        return true; // on the segment
                    }
                    continue;
                }
                // Half-open rule: an edge counts when it crosses the horizontal through y with one
                // end strictly above; the crossing is right of the point when the point is on the
                // left of an upward edge or on the right of a downward one.
                if (a[1] > y) != (b[1] > y) {
                    let upward = b[1] > a[1];
                    if (upward && o > 0.0) || (!upward && o < 0.0) {
                        inside = !inside;
                    }
                }
            }
            start = end as usize;
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
        let kx = metres_per_degree_lon(y);
        let ky = METRES_PER_DEGREE_LAT;
        let mut best = f64::INFINITY;
        let mut start = 0usize;
        for &end in &self.ring_ends {
            for seg in self.points[start..end as usize].windows(2) {
                let (ax, ay) = ((seg[0][0] - x) * kx, (seg[0][1] - y) * ky);
                let (bx, by) = ((seg[1][0] - x) * kx, (seg[1][1] - y) * ky);
                best = best.min(point_segment_distance(ax, ay, bx, by));
            }
            start = end as usize;
        }
        best
    }

    pub fn vertex_count(&self) -> usize {
        self.points.len()
    }

    /// Every segment as `(a, b)`, for index building.
    pub fn segments(&self) -> impl Iterator<Item = ([f64; 2], [f64; 2])> + '_ {
        let mut start = 0usize;
        self.ring_ends.iter().flat_map(move |&end| {
            let ring = &self.points[start..end as usize];
            start = end as usize;
            ring.windows(2).map(|w| (w[0], w[1]))
        })
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
    (ax + t * dx).hypot(ay + t * dy)
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
    fn distance_is_in_metres() {
        let p = square_with_hole();
        let d = p.distance_m(4.001, 2.0);
        assert!((d - 0.001 * metres_per_degree_lon(2.0)).abs() < 1e-6);
    }
}
