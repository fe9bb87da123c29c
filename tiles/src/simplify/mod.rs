//! Simplification of all polygons of one tile together, so that neighbours that share a
//! boundary still share it, vertex for vertex, afterwards: no gaps, no overlaps.
//!
//! The polygons are snapped to the integer tile grid, cut into arcs between junctions
//! ([`topology`]), every arc is simplified once ([`douglas_peucker`]) and every ring is rebuilt
//! from its simplified arcs, so both sides of a shared edge use the same vertex sequence.

mod douglas_peucker;
mod topology;

use geo_types::{Coord, LineString, MultiPolygon, Polygon};

use crate::winding::twice_signed_area;
use douglas_peucker::douglas_peucker;
use topology::{ArcUse, Topology};

type GridPoint = (i32, i32);

/// A polygon of arcs: its exterior first, then its holes.
type ArcPolygon = Vec<Vec<ArcUse>>;

/// Simplifies the polygons of one tile together. `polygons` are in tile-local units (see
/// [`crate::TileFrame`]), `tolerance` is in the same units (about one pixel, `extent / 256`, is
/// a good choice; `0` only snaps to the grid). The result has one entry per input, in order;
/// an entry is empty when everything of that feature collapsed.
///
/// Rings keep the orientation they came with; rings that collapse (fewer than three distinct
/// vertices or zero area) are dropped, and with an exterior its holes. Boundaries are shared
/// only where the input shares them vertex for vertex, as adjacent grid cells cut from one
/// partition do.
///
/// ```
/// use geo_types::{polygon, MultiPolygon};
/// let left = polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 11.4, y: 50.0), (x: 10.0, y: 100.0), (x: 0.0, y: 100.0)];
/// let right = polygon![(x: 10.0, y: 0.0), (x: 99.0, y: 0.0), (x: 99.0, y: 100.0), (x: 10.0, y: 100.0), (x: 11.4, y: 50.0)];
/// let out = wangge_tiles::simplify_shared(&[left.into(), right.into()], 2.0);
/// // The one-unit bend of the shared edge is gone from both sides.
/// assert_eq!(out[0].0[0].exterior().0.len(), 5);
/// assert_eq!(out[1].0[0].exterior().0.len(), 5);
/// ```
pub fn simplify_shared(polygons: &[MultiPolygon<f64>], tolerance: f64) -> Vec<MultiPolygon<i32>> {
    let snapped: Vec<Vec<Vec<Vec<GridPoint>>>> = polygons.iter().map(snap_multi_polygon).collect();
    let all_rings: Vec<Vec<GridPoint>> = snapped.iter().flatten().flatten().cloned().collect();
    let mut topology = Topology::new(&all_rings);
    let features: Vec<Vec<ArcPolygon>> = snapped
        .iter()
        .map(|feature| {
            feature
                .iter()
                .map(|rings| rings.iter().map(|ring| topology.cut(ring)).collect())
                .collect()
        })
        .collect();
    let simplified: Vec<Vec<GridPoint>> = topology
        .arcs()
        .iter()
        .map(|arc| douglas_peucker(arc, tolerance))
        .collect();
    features
        .iter()
        .map(|feature| {
            feature
                .iter()
                .filter_map(|polygon| rebuild_polygon(polygon, &simplified))
                .collect()
        })
        .collect()
}

fn snap_multi_polygon(polygons: &MultiPolygon<f64>) -> Vec<Vec<Vec<GridPoint>>> {
    polygons
        .iter()
        .filter_map(|polygon| {
            let exterior = snap_ring(polygon.exterior())?;
            let holes = polygon.interiors().iter().filter_map(snap_ring);
            Some(std::iter::once(exterior).chain(holes).collect())
        })
        .collect()
}

/// The ring on the integer grid as an open cycle, or `None` if it collapses there.
fn snap_ring(ring: &LineString<f64>) -> Option<Vec<GridPoint>> {
    let points: Vec<GridPoint> = ring
        .0
        .iter()
        .map(|c| (c.x.round() as i32, c.y.round() as i32))
        .collect();
    tidy_ring(points)
}

/// Removes repeated points and spikes (`a b a`) from an open cycle, `None` if fewer than
/// three vertices or no area remain.
fn tidy_ring(points: Vec<GridPoint>) -> Option<Vec<GridPoint>> {
    let mut ring: Vec<GridPoint> = Vec::with_capacity(points.len());
    for p in points {
        if ring.last() == Some(&p) {
            continue;
        }
        if ring.len() >= 2 && ring[ring.len() - 2] == p {
            ring.pop();
            continue;
        }
        ring.push(p);
    }
    while ring.len() >= 3 {
        let n = ring.len();
        if ring[n - 1] == ring[0] || ring[n - 2] == ring[0] {
            ring.pop();
        } else if ring[n - 1] == ring[1] {
            ring.remove(0);
        } else {
            break;
        }
    }
    (ring.len() >= 3 && twice_signed_area(&to_coords(&ring)) != 0).then_some(ring)
}

fn rebuild_polygon(polygon: &[Vec<ArcUse>], arcs: &[Vec<GridPoint>]) -> Option<Polygon<i32>> {
    let (exterior, holes) = polygon.split_first()?;
    let exterior = rebuild_ring(exterior, arcs)?;
    let holes = holes
        .iter()
        .filter_map(|ring| rebuild_ring(ring, arcs))
        .collect();
    Some(Polygon::new(exterior, holes))
}

fn rebuild_ring(uses: &[ArcUse], arcs: &[Vec<GridPoint>]) -> Option<LineString<i32>> {
    let mut points: Vec<GridPoint> = Vec::new();
    for step in uses {
        let arc = arcs.get(step.arc)?;
        // Each arc starts where the previous one ended.
        let skip = usize::from(!points.is_empty());
        if step.reversed {
            points.extend(arc.iter().rev().skip(skip));
        } else {
            points.extend(arc.iter().skip(skip));
        }
    }
    let ring = tidy_ring(points)?;
    let mut line = LineString::new(to_coords(&ring));
    line.close();
    Some(line)
}

fn to_coords(points: &[GridPoint]) -> Vec<Coord<i32>> {
    points.iter().map(|&(x, y)| Coord { x, y }).collect()
}

#[cfg(test)]
mod tests;
