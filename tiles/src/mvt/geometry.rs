//! Geometries on the integer tile grid and their MVT command encoding.

use geo_types::{Coord, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};

use super::protobuf::zigzag32;
use crate::winding::twice_signed_area;

/// A feature geometry in integer tile coordinates (y down), as MVT stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TileGeometry {
    Points(MultiPoint<i32>),
    LineStrings(MultiLineString<i32>),
    /// Rings may come in either winding: the encoder orients them as MVT 2.1 requires.
    Polygons(MultiPolygon<i32>),
}

impl TileGeometry {
    /// `true` when there is nothing to draw, e.g. after clipping removed everything.
    pub fn is_empty(&self) -> bool {
        match self {
            Self::Points(p) => p.0.is_empty(),
            Self::LineStrings(l) => l.0.iter().all(|line| line.0.is_empty()),
            Self::Polygons(p) => p.0.is_empty(),
        }
    }
}

impl From<Point<i32>> for TileGeometry {
    fn from(p: Point<i32>) -> Self {
        Self::Points(MultiPoint::new(vec![p]))
    }
}

impl From<MultiPoint<i32>> for TileGeometry {
    fn from(p: MultiPoint<i32>) -> Self {
        Self::Points(p)
    }
}

impl From<LineString<i32>> for TileGeometry {
    fn from(l: LineString<i32>) -> Self {
        Self::LineStrings(MultiLineString::new(vec![l]))
    }
}

impl From<MultiLineString<i32>> for TileGeometry {
    fn from(l: MultiLineString<i32>) -> Self {
        Self::LineStrings(l)
    }
}

impl From<Polygon<i32>> for TileGeometry {
    fn from(p: Polygon<i32>) -> Self {
        Self::Polygons(MultiPolygon::new(vec![p]))
    }
}

impl From<MultiPolygon<i32>> for TileGeometry {
    fn from(p: MultiPolygon<i32>) -> Self {
        Self::Polygons(p)
    }
}

/// The `GeomType` enum of the MVT schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GeomType {
    Point = 1,
    LineString = 2,
    Polygon = 3,
}

const MOVE_TO: u32 = 1;
const LINE_TO: u32 = 2;
const CLOSE_PATH: u32 = 7;

/// Encodes a geometry as MVT commands, or `None` if nothing valid remains. Repeated points,
/// lines of fewer than two distinct points and rings of fewer than three distinct points or of
/// zero area are left out; exterior rings are written with positive and holes with negative
/// surveyor's area (a ring turned round keeps its first point).
pub(crate) fn encode_geometry(geometry: &TileGeometry) -> Option<(GeomType, Vec<u32>)> {
    let mut commands = CommandWriter::default();
    let kind = match geometry {
        TileGeometry::Points(points) => {
            commands.points(points);
            GeomType::Point
        }
        TileGeometry::LineStrings(lines) => {
            for line in lines {
                commands.line(line);
            }
            GeomType::LineString
        }
        TileGeometry::Polygons(polygons) => {
            for polygon in polygons {
                commands.polygon(polygon);
            }
            GeomType::Polygon
        }
    };
    (!commands.out.is_empty()).then_some((kind, commands.out))
}

#[derive(Default)]
struct CommandWriter {
    cursor: Coord<i32>,
    out: Vec<u32>,
}

impl CommandWriter {
    fn command(&mut self, id: u32, count: usize) {
        self.out.push((id & 0x7) | ((count as u32) << 3));
    }

    fn parameters(&mut self, to: Coord<i32>) {
        let (dx, dy) = (
            to.x.wrapping_sub(self.cursor.x),
            to.y.wrapping_sub(self.cursor.y),
        );
        self.out.push(zigzag32(dx));
        self.out.push(zigzag32(dy));
        self.cursor = to;
    }

    fn points(&mut self, points: &MultiPoint<i32>) {
        if points.0.is_empty() {
            return;
        }
        self.command(MOVE_TO, points.0.len());
        for p in points {
            self.parameters(p.0);
        }
    }

    fn line(&mut self, line: &LineString<i32>) {
        let mut points = line.0.clone();
        points.dedup();
        if let [first, rest @ ..] = points.as_slice() {
            if rest.is_empty() {
                return;
            }
            self.path(*first, rest);
        }
    }

    fn path(&mut self, first: Coord<i32>, rest: &[Coord<i32>]) {
        self.command(MOVE_TO, 1);
        self.parameters(first);
        self.command(LINE_TO, rest.len());
        for &p in rest {
            self.parameters(p);
        }
    }

    fn polygon(&mut self, polygon: &Polygon<i32>) {
        let Some(exterior) = mvt_ring(polygon.exterior(), true) else {
            return;
        };
        for ring in std::iter::once(exterior).chain(
            polygon
                .interiors()
                .iter()
                .filter_map(|r| mvt_ring(r, false)),
        ) {
            self.path(ring[0], &ring[1..]);
            self.command(CLOSE_PATH, 1);
        }
    }
}

/// The ring as an open vertex list with the winding MVT wants, or `None` if degenerate.
fn mvt_ring(ring: &LineString<i32>, exterior: bool) -> Option<Vec<Coord<i32>>> {
    let mut points = ring.0.clone();
    points.dedup();
    while points.len() > 1 && points.first() == points.last() {
        points.pop();
    }
    if points.len() < 3 {
        return None;
    }
    let area = twice_signed_area(&points);
    if area == 0 {
        return None;
    }
    if (area > 0) != exterior {
        points[1..].reverse();
    }
    Some(points)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{line_string, point, polygon};

    fn commands(geometry: impl Into<TileGeometry>) -> Vec<u32> {
        encode_geometry(&geometry.into())
            .map(|(_, c)| c)
            .unwrap_or_default()
    }

    // The worked examples of the MVT 2.1 specification, section 4.3.5.

    #[test]
    fn spec_example_point() {
        assert_eq!(commands(point! { x: 25, y: 17 }), vec![9, 50, 34]);
    }

    #[test]
    fn spec_example_multi_point() {
        let points = MultiPoint::new(vec![point! { x: 5, y: 7 }, point! { x: 3, y: 2 }]);
        assert_eq!(commands(points), vec![17, 10, 14, 3, 9]);
    }

    #[test]
    fn spec_example_linestring() {
        let line = line_string![(x: 2, y: 2), (x: 2, y: 10), (x: 10, y: 10)];
        assert_eq!(commands(line), vec![9, 4, 4, 18, 0, 16, 16, 0]);
    }

    #[test]
    fn spec_example_multi_linestring() {
        let lines = MultiLineString::new(vec![
            line_string![(x: 2, y: 2), (x: 2, y: 10), (x: 10, y: 10)],
            line_string![(x: 1, y: 1), (x: 3, y: 5)],
        ]);
        assert_eq!(
            commands(lines),
            vec![9, 4, 4, 18, 0, 16, 16, 0, 9, 17, 17, 10, 4, 8]
        );
    }

    #[test]
    fn spec_example_polygon() {
        let polygon = polygon![(x: 3, y: 6), (x: 8, y: 12), (x: 20, y: 34), (x: 3, y: 6)];
        assert_eq!(commands(polygon), vec![9, 6, 12, 18, 10, 12, 24, 44, 15]);
    }

    fn spec_multi_polygon() -> MultiPolygon<i32> {
        MultiPolygon::new(vec![
            polygon![(x: 0, y: 0), (x: 10, y: 0), (x: 10, y: 10), (x: 0, y: 10), (x: 0, y: 0)],
            polygon!(
                exterior: [(x: 11, y: 11), (x: 20, y: 11), (x: 20, y: 20), (x: 11, y: 20), (x: 11, y: 11)],
                interiors: [[(x: 13, y: 13), (x: 13, y: 17), (x: 17, y: 17), (x: 17, y: 13), (x: 13, y: 13)]],
            ),
        ])
    }

    const SPEC_MULTI_POLYGON: [u32; 33] = [
        9, 0, 0, 26, 20, 0, 0, 20, 19, 0, 15, 9, 22, 2, 26, 18, 0, 0, 18, 17, 0, 15, 9, 4, 13, 26,
        0, 8, 8, 0, 0, 7, 15,
    ];

    #[test]
    fn spec_example_multi_polygon() {
        assert_eq!(commands(spec_multi_polygon()), SPEC_MULTI_POLYGON.to_vec());
    }

    #[test]
    fn wrongly_wound_rings_are_turned_round_keeping_their_first_point() {
        let mut flipped = spec_multi_polygon();
        for polygon in flipped.0.iter_mut() {
            polygon.exterior_mut(|ring| ring.0[1..].reverse());
            polygon.interiors_mut(|rings| rings.iter_mut().for_each(|r| r.0[1..].reverse()));
        }
        assert_ne!(flipped, spec_multi_polygon());
        assert_eq!(commands(flipped), SPEC_MULTI_POLYGON.to_vec());
    }

    #[test]
    fn repeated_points_never_give_a_zero_length_line_to() {
        let line =
            line_string![(x: 2, y: 2), (x: 2, y: 2), (x: 2, y: 10), (x: 10, y: 10), (x: 10, y: 10)];
        assert_eq!(commands(line), vec![9, 4, 4, 18, 0, 16, 16, 0]);
        let polygon =
            polygon![(x: 3, y: 6), (x: 8, y: 12), (x: 8, y: 12), (x: 20, y: 34), (x: 3, y: 6)];
        assert_eq!(commands(polygon), vec![9, 6, 12, 18, 10, 12, 24, 44, 15]);
    }

    #[test]
    fn degenerate_parts_are_left_out_and_empty_geometries_give_nothing() {
        assert_eq!(
            encode_geometry(&MultiPoint::<i32>::new(vec![]).into()),
            None
        );
        assert_eq!(
            encode_geometry(&line_string![(x: 1, y: 1), (x: 1, y: 1)].into()),
            None
        );
        let flat = polygon![(x: 0, y: 0), (x: 5, y: 5), (x: 10, y: 10)];
        assert_eq!(encode_geometry(&flat.into()), None);
        let with_flat_hole = polygon!(
            exterior: [(x: 3, y: 6), (x: 8, y: 12), (x: 20, y: 34)],
            interiors: [[(x: 5, y: 9), (x: 6, y: 10), (x: 7, y: 11)]],
        );
        assert_eq!(
            commands(with_flat_hole),
            vec![9, 6, 12, 18, 10, 12, 24, 44, 15]
        );
    }

    #[test]
    fn geometry_kind_follows_the_variant() {
        let kinds = [
            encode_geometry(&point! { x: 1, y: 1 }.into()).map(|(k, _)| k),
            encode_geometry(&line_string![(x: 0, y: 0), (x: 1, y: 1)].into()).map(|(k, _)| k),
            encode_geometry(&polygon![(x: 0, y: 0), (x: 4, y: 0), (x: 4, y: 4)].into())
                .map(|(k, _)| k),
        ];
        assert_eq!(
            kinds,
            [
                Some(GeomType::Point),
                Some(GeomType::LineString),
                Some(GeomType::Polygon)
            ]
        );
    }

    #[test]
    fn emptiness_is_reported() {
        assert!(TileGeometry::Polygons(MultiPolygon::new(vec![])).is_empty());
        assert!(!TileGeometry::from(point! { x: 0, y: 0 }).is_empty());
    }
}
