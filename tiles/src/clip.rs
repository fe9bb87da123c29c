//! Clipping of tile-local geometries to the tile square grown by a buffer.

use geo::BoundingRect;
use geo_types::{Coord, LineString, MultiLineString, MultiPoint, MultiPolygon, Polygon, Rect};

/// An axis-aligned clip window in tile-local units (y down), edges inclusive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClipRect {
    pub min: Coord<f64>,
    pub max: Coord<f64>,
}

/// Where a geometry's bounding box lies relative to a [`ClipRect`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlap {
    /// Nothing of the geometry can be inside: skip it.
    Outside,
    /// All of it is inside: keep it as it is.
    Inside,
    /// It has to be clipped.
    Crossing,
}

impl ClipRect {
    pub fn new(min: Coord<f64>, max: Coord<f64>) -> Self {
        Self { min, max }
    }

    /// The square `[-buffer, extent + buffer]²`, e.g. `buffered_tile(4096, 64)`.
    pub fn buffered_tile(extent: u32, buffer: u32) -> Self {
        let lo = -f64::from(buffer);
        let hi = f64::from(extent) + f64::from(buffer);
        Self::new(Coord { x: lo, y: lo }, Coord { x: hi, y: hi })
    }

    pub fn contains(&self, c: Coord<f64>) -> bool {
        self.min.x <= c.x && c.x <= self.max.x && self.min.y <= c.y && c.y <= self.max.y
    }

    /// The fast test run before any clipping: compares bounding boxes only.
    pub fn overlap(&self, bbox: Rect<f64>) -> Overlap {
        let (lo, hi) = (bbox.min(), bbox.max());
        if hi.x < self.min.x || lo.x > self.max.x || hi.y < self.min.y || lo.y > self.max.y {
            Overlap::Outside
        } else if self.contains(lo) && self.contains(hi) {
            Overlap::Inside
        } else {
            Overlap::Crossing
        }
    }
}

/// Keeps the points inside the window (edges included).
pub fn clip_points(points: &MultiPoint<f64>, rect: &ClipRect) -> MultiPoint<f64> {
    points
        .iter()
        .filter(|p| rect.contains(p.0))
        .copied()
        .collect()
}

/// Cuts a line string into the pieces that run inside the window.
pub fn clip_line_string(line: &LineString<f64>, rect: &ClipRect) -> MultiLineString<f64> {
    match line.bounding_rect().map(|b| rect.overlap(b)) {
        None | Some(Overlap::Outside) => return MultiLineString::new(vec![]),
        Some(Overlap::Inside) if line.0.len() >= 2 => {
            return MultiLineString::new(vec![line.clone()])
        }
        _ => {}
    }
    let mut pieces = Vec::new();
    let mut current: Vec<Coord<f64>> = Vec::new();
    for segment in line.lines() {
        let Some((t0, t1)) = liang_barsky(segment.start, segment.end, rect) else {
            flush_piece(&mut current, &mut pieces);
            continue;
        };
        let entry = lerp(segment.start, segment.end, t0);
        if t0 > 0.0 || current.is_empty() {
            flush_piece(&mut current, &mut pieces);
            current.push(entry);
        }
        current.push(lerp(segment.start, segment.end, t1));
        if t1 < 1.0 {
            flush_piece(&mut current, &mut pieces);
        }
    }
    flush_piece(&mut current, &mut pieces);
    MultiLineString::new(pieces)
}

pub fn clip_multi_line_string(
    lines: &MultiLineString<f64>,
    rect: &ClipRect,
) -> MultiLineString<f64> {
    lines
        .iter()
        .flat_map(|line| clip_line_string(line, rect).0)
        .collect()
}

fn flush_piece(current: &mut Vec<Coord<f64>>, pieces: &mut Vec<LineString<f64>>) {
    current.dedup();
    if current.len() >= 2 {
        pieces.push(LineString::new(std::mem::take(current)));
    }
    current.clear();
}

fn lerp(a: Coord<f64>, b: Coord<f64>, t: f64) -> Coord<f64> {
    if t == 0.0 {
        a
    } else if t == 1.0 {
        b
    } else {
        Coord {
            x: a.x + t * (b.x - a.x),
            y: a.y + t * (b.y - a.y),
        }
    }
}

/// Parameter interval `[t0, t1]` of segment `a → b` inside the window, if any.
fn liang_barsky(a: Coord<f64>, b: Coord<f64>, rect: &ClipRect) -> Option<(f64, f64)> {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let mut t0: f64 = 0.0;
    let mut t1: f64 = 1.0;
    for (p, q) in [
        (-dx, a.x - rect.min.x),
        (dx, rect.max.x - a.x),
        (-dy, a.y - rect.min.y),
        (dy, rect.max.y - a.y),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    (t0 <= t1).then_some((t0, t1))
}

/// Clips a polygon ring by ring (Sutherland–Hodgman against each window edge). Returns `None`
/// when the exterior vanishes; holes that vanish are dropped.
///
/// Where a concave polygon leaves and re-enters the window, the result runs along the window
/// edge; such zero-width stretches lie in the buffer, outside the visible tile.
pub fn clip_polygon(polygon: &Polygon<f64>, rect: &ClipRect) -> Option<Polygon<f64>> {
    match rect.overlap(polygon.exterior().bounding_rect()?) {
        Overlap::Outside => return None,
        Overlap::Inside => return Some(polygon.clone()),
        Overlap::Crossing => {}
    }
    let exterior = clip_ring(polygon.exterior(), rect)?;
    let interiors = polygon
        .interiors()
        .iter()
        .filter_map(|ring| clip_ring(ring, rect))
        .collect();
    Some(Polygon::new(exterior, interiors))
}

pub fn clip_multi_polygon(polygons: &MultiPolygon<f64>, rect: &ClipRect) -> MultiPolygon<f64> {
    polygons
        .iter()
        .filter_map(|polygon| clip_polygon(polygon, rect))
        .collect()
}

#[derive(Clone, Copy)]
enum WindowEdge {
    Left(f64),
    Right(f64),
    Top(f64),
    Bottom(f64),
}

impl WindowEdge {
    fn keeps(self, c: Coord<f64>) -> bool {
        match self {
            Self::Left(x) => c.x >= x,
            Self::Right(x) => c.x <= x,
            Self::Top(y) => c.y >= y,
            Self::Bottom(y) => c.y <= y,
        }
    }

    /// The crossing of segment `a b` with the edge line. The endpoints are put in a fixed order
    /// first so that two neighbours walking a shared edge in opposite directions get the very
    /// same point, keeping their shared boundary shared after clipping.
    fn crossing(self, a: Coord<f64>, b: Coord<f64>) -> Coord<f64> {
        let (a, b) = if (a.x, a.y) <= (b.x, b.y) {
            (a, b)
        } else {
            (b, a)
        };
        match self {
            Self::Left(x) | Self::Right(x) => Coord {
                x,
                y: a.y + (x - a.x) / (b.x - a.x) * (b.y - a.y),
            },
            Self::Top(y) | Self::Bottom(y) => Coord {
                x: a.x + (y - a.y) / (b.y - a.y) * (b.x - a.x),
                y,
            },
        }
    }
}

fn clip_ring(ring: &LineString<f64>, rect: &ClipRect) -> Option<LineString<f64>> {
    let mut points: Vec<Coord<f64>> = ring.0.clone();
    if points.len() > 1 && points.first() == points.last() {
        points.pop();
    }
    for edge in [
        WindowEdge::Left(rect.min.x),
        WindowEdge::Right(rect.max.x),
        WindowEdge::Top(rect.min.y),
        WindowEdge::Bottom(rect.max.y),
    ] {
        points = clip_ring_to_edge(&points, edge);
        if points.is_empty() {
            return None;
        }
    }
    points.dedup();
    if points.len() > 1 && points.first() == points.last() {
        points.pop();
    }
    if points.len() < 3 {
        return None;
    }
    if twice_signed_area(&points) == 0.0 {
        return None;
    }
    let mut closed = LineString::new(points);
    closed.close();
    Some(closed)
}

fn twice_signed_area(ring: &[Coord<f64>]) -> f64 {
    let Some(&last) = ring.last() else {
        return 0.0;
    };
    let mut previous = last;
    let mut sum = 0.0;
    for &c in ring {
        sum += previous.x * c.y - c.x * previous.y;
        previous = c;
    }
    sum
}

fn clip_ring_to_edge(points: &[Coord<f64>], edge: WindowEdge) -> Vec<Coord<f64>> {
    let Some(&last) = points.last() else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(points.len() + 4);
    let mut previous = last;
    for &current in points {
        match (edge.keeps(previous), edge.keeps(current)) {
            (true, true) => out.push(current),
            (true, false) => out.push(edge.crossing(previous, current)),
            (false, true) => {
                out.push(edge.crossing(previous, current));
                out.push(current);
            }
            (false, false) => {}
        }
        previous = current;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{coord, line_string, point, polygon, Area};

    fn window() -> ClipRect {
        ClipRect::buffered_tile(4096, 64)
    }

    fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon<f64> {
        polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1), (x: x0, y: y0)]
    }

    #[test]
    fn buffered_tile_window_extends_beyond_the_extent() {
        let w = window();
        assert_eq!(w.min, coord! { x: -64.0, y: -64.0 });
        assert_eq!(w.max, coord! { x: 4160.0, y: 4160.0 });
    }

    #[test]
    fn bbox_wholly_outside_is_skipped() {
        let far = square(5000.0, 5000.0, 6000.0, 6000.0);
        let bbox = far.bounding_rect().expect("non-empty");
        assert_eq!(window().overlap(bbox), Overlap::Outside);
        assert_eq!(clip_polygon(&far, &window()), None);
    }

    #[test]
    fn polygon_wholly_inside_is_kept_unchanged() {
        let inside = square(10.0, 10.0, 20.0, 30.0);
        assert_eq!(clip_polygon(&inside, &window()), Some(inside));
    }

    #[test]
    fn points_in_the_buffer_are_kept_and_beyond_it_dropped() {
        let points = MultiPoint::new(vec![
            point! { x: -64.0, y: 0.0 },
            point! { x: 4100.0, y: 2000.0 },
            point! { x: -64.5, y: 0.0 },
            point! { x: 10.0, y: 9000.0 },
        ]);
        let kept = clip_points(&points, &window());
        assert_eq!(kept.0.len(), 2);
    }

    #[test]
    fn line_crossing_the_window_is_cut_at_the_buffer_edge() {
        let line = line_string![(x: -200.0, y: 100.0), (x: 200.0, y: 100.0), (x: 200.0, y: 300.0)];
        let clipped = clip_line_string(&line, &window());
        assert_eq!(clipped.0.len(), 1);
        assert_eq!(
            clipped.0[0],
            line_string![(x: -64.0, y: 100.0), (x: 200.0, y: 100.0), (x: 200.0, y: 300.0)]
        );
    }

    #[test]
    fn line_leaving_and_reentering_becomes_two_pieces() {
        let line = line_string![
            (x: 0.0, y: 0.0), (x: 0.0, y: 5000.0), (x: 100.0, y: 5000.0), (x: 100.0, y: 0.0)
        ];
        let clipped = clip_line_string(&line, &window());
        assert_eq!(
            clipped.0,
            vec![
                line_string![(x: 0.0, y: 0.0), (x: 0.0, y: 4160.0)],
                line_string![(x: 100.0, y: 4160.0), (x: 100.0, y: 0.0)],
            ]
        );
    }

    #[test]
    fn line_passing_outside_is_dropped() {
        let line = line_string![(x: -500.0, y: -100.0), (x: -100.0, y: -500.0)];
        assert!(clip_line_string(&line, &window()).0.is_empty());
    }

    #[test]
    fn polygon_covering_the_tile_becomes_the_buffered_square() {
        let huge = square(-10_000.0, -10_000.0, 10_000.0, 10_000.0);
        let clipped = clip_polygon(&huge, &window()).expect("covers the tile");
        assert_eq!(clipped.unsigned_area(), 4224.0 * 4224.0);
        assert_eq!(clipped.exterior().0.len(), 5);
    }

    #[test]
    fn hole_outside_the_window_vanishes_and_hole_inside_stays() {
        let polygon = Polygon::new(
            square(-1000.0, 0.0, 1000.0, 1000.0).exterior().clone(),
            vec![
                square(-900.0, 100.0, -800.0, 200.0).exterior().clone(),
                square(100.0, 100.0, 200.0, 200.0).exterior().clone(),
            ],
        );
        let clipped = clip_polygon(&polygon, &window()).expect("overlaps");
        assert_eq!(clipped.interiors().len(), 1);
        assert_eq!(clipped.unsigned_area(), 1064.0 * 1000.0 - 100.0 * 100.0);
    }

    #[test]
    fn multipolygon_keeps_only_the_parts_that_overlap() {
        let mp = MultiPolygon::new(vec![
            square(-500.0, -500.0, -100.0, -100.0),
            square(4000.0, 4000.0, 4500.0, 4500.0),
        ]);
        let clipped = clip_multi_polygon(&mp, &window());
        assert_eq!(clipped.0.len(), 1);
        assert_eq!(clipped.unsigned_area(), 160.0 * 160.0);
    }

    #[test]
    fn clipped_area_equals_the_geometric_intersection() {
        use geo::BooleanOps;
        let triangle =
            polygon![(x: -300.0, y: 2000.0), (x: 2000.0, y: -700.0), (x: 4500.0, y: 4400.0)];
        let clipped = clip_polygon(&triangle, &window()).expect("overlaps");
        let w = window();
        let reference = triangle.intersection(&Rect::new(w.min, w.max).to_polygon());
        let (a, b) = (clipped.unsigned_area(), reference.unsigned_area());
        assert!((a - b).abs() < 1e-9 * b, "{a} vs {b}");
    }

    #[test]
    fn neighbours_cut_by_the_window_get_the_same_cut_point() {
        // A shared edge crossing the window edge, walked in opposite directions by A and B.
        let (p, q) = (
            coord! { x: -300.3, y: 17.7 },
            coord! { x: 500.9, y: 1234.1 },
        );
        let a = Polygon::new(
            LineString::new(vec![p, q, coord! { x: -300.3, y: 1500.0 }, p]),
            vec![],
        );
        let b = Polygon::new(
            LineString::new(vec![q, p, coord! { x: 900.0, y: -50.0 }, q]),
            vec![],
        );
        let ca = clip_polygon(&a, &window()).expect("overlaps");
        let cb = clip_polygon(&b, &window()).expect("overlaps");
        let on_left_edge = |poly: &Polygon<f64>| -> Vec<Coord<f64>> {
            poly.exterior()
                .0
                .iter()
                .copied()
                .filter(|c| c.x == -64.0 && c.y < 1000.0)
                .collect()
        };
        let cut_a = on_left_edge(&ca);
        assert!(!cut_a.is_empty());
        assert!(
            cut_a.iter().any(|c| on_left_edge(&cb).contains(c)),
            "{cut_a:?}"
        );
    }
}
