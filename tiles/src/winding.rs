//! Ring orientation on the integer tile grid, as MVT 2.1 defines it: by the surveyor's formula
//! in tile coordinates (y down), exterior rings have positive area and holes negative area.

use geo_types::{Coord, LineString, MultiPolygon, Polygon};

/// Twice the signed area of a ring by the surveyor's formula, exact in `i64`. The ring may be
/// given closed (last point equal to the first) or open.
///
/// ```
/// use geo_types::{coord, LineString};
/// // Clockwise on screen (y down): an exterior ring.
/// let ring = LineString::new(vec![coord! { x: 0, y: 0 }, coord! { x: 10, y: 0 }, coord! { x: 10, y: 10 }]);
/// assert_eq!(wangge_tiles::winding::twice_signed_area(&ring.0), 100);
/// ```
pub fn twice_signed_area(ring: &[Coord<i32>]) -> i64 {
    let Some(&last) = ring.last() else {
        return 0;
    };
    let mut previous = last;
    let mut sum = 0i64;
    for &c in ring {
        sum += i64::from(previous.x) * i64::from(c.y) - i64::from(c.x) * i64::from(previous.y);
        previous = c;
    }
    sum
}

/// Returns the polygons with exteriors of positive and holes of negative area, dropping
/// rings of zero area (and the holes of a polygon whose exterior is dropped).
pub fn orient_for_mvt(polygons: &MultiPolygon<i32>) -> MultiPolygon<i32> {
    polygons.iter().filter_map(orient_polygon).collect()
}

fn orient_polygon(polygon: &Polygon<i32>) -> Option<Polygon<i32>> {
    let exterior = oriented_ring(polygon.exterior(), true)?;
    let interiors = polygon
        .interiors()
        .iter()
        .filter_map(|ring| oriented_ring(ring, false))
        .collect();
    Some(Polygon::new(exterior, interiors))
}

fn oriented_ring(ring: &LineString<i32>, exterior: bool) -> Option<LineString<i32>> {
    let area = twice_signed_area(&ring.0);
    if area == 0 {
        return None;
    }
    let mut points = ring.0.clone();
    if (area > 0) != exterior {
        points.reverse();
    }
    Some(LineString::new(points))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    #[test]
    fn clockwise_on_screen_is_positive() {
        let ring = [
            Coord { x: 0, y: 0 },
            Coord { x: 10, y: 0 },
            Coord { x: 10, y: 10 },
            Coord { x: 0, y: 10 },
        ];
        assert_eq!(twice_signed_area(&ring), 200);
        let mut reversed = ring;
        reversed.reverse();
        assert_eq!(twice_signed_area(&reversed), -200);
    }

    #[test]
    fn closing_point_does_not_change_the_area() {
        let open = [
            Coord { x: 3, y: 6 },
            Coord { x: 8, y: 12 },
            Coord { x: 20, y: 34 },
        ];
        let closed = [open[0], open[1], open[2], open[0]];
        assert_eq!(twice_signed_area(&open), twice_signed_area(&closed));
        assert_eq!(twice_signed_area(&open), 38);
    }

    #[test]
    fn orientation_makes_exterior_positive_and_holes_negative() {
        let wrong = polygon!(
            exterior: [(x: 0, y: 0), (x: 0, y: 10), (x: 10, y: 10), (x: 10, y: 0)],
            interiors: [[(x: 2, y: 2), (x: 4, y: 2), (x: 4, y: 4), (x: 2, y: 4)]],
        );
        let fixed = orient_for_mvt(&MultiPolygon::new(vec![wrong]));
        let polygon = &fixed.0[0];
        assert!(twice_signed_area(&polygon.exterior().0) > 0);
        assert!(twice_signed_area(&polygon.interiors()[0].0) < 0);
    }

    #[test]
    fn zero_area_rings_are_dropped() {
        let flat = polygon![(x: 0, y: 0), (x: 5, y: 5), (x: 10, y: 10)];
        assert!(orient_for_mvt(&MultiPolygon::new(vec![flat])).0.is_empty());
        let flat_hole = polygon!(
            exterior: [(x: 0, y: 0), (x: 10, y: 0), (x: 10, y: 10), (x: 0, y: 10)],
            interiors: [[(x: 1, y: 1), (x: 2, y: 2), (x: 3, y: 3)]],
        );
        let fixed = orient_for_mvt(&MultiPolygon::new(vec![flat_hole]));
        assert!(fixed.0[0].interiors().is_empty());
    }
}
