//! From lon/lat features to the clipped, simplified, MVT-wound integer geometries of one tile.

use std::fmt;

use geo::MapCoords;
use geo_types::{Coord, MultiPolygon, Point};

use crate::clip::{clip_multi_polygon, ClipRect};
use crate::projection::{round_to_grid, LonLat, TileFrame, DEFAULT_EXTENT};
use crate::simplify::simplify_shared;
use crate::tile::TileCoord;
use crate::winding::orient_for_mvt;

/// How finely a tile is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TileOptions {
    /// Tile-local units per tile side.
    pub extent: u32,
    /// Margin kept around the tile, in tile units, so strokes and labels at the edge of one tile
    /// join those of the next.
    pub buffer: u32,
    /// Simplification tolerance in tile units; `0` only snaps to the grid.
    pub tolerance: f64,
}

impl TileOptions {
    /// A buffer of 1/64 of the tile and a tolerance of one pixel of a 256-pixel tile: for
    /// extent 4096, buffer 64 and tolerance 16.
    pub fn for_extent(extent: u32) -> Self {
        Self {
            extent,
            buffer: extent / 64,
            tolerance: f64::from(extent) / 256.0,
        }
    }
}

impl Default for TileOptions {
    fn default() -> Self {
        Self::for_extent(DEFAULT_EXTENT)
    }
}

type CoordinateTransform<'t> = Box<dyn Fn(f64, f64) -> (f64, f64) + Send + Sync + 't>;

/// Prepares the features of one tile for a [`crate::mvt::LayerBuilder`]: optional coordinate
/// transform, Web Mercator projection into tile units, clipping to the buffered tile, shared
/// simplification of all polygons together, snapping to the integer grid and MVT winding.
///
/// ```
/// use geo_types::{polygon, MultiPolygon};
/// use wangge_tiles::{LonLat, TileCoord, TileOptions, TilePipeline};
///
/// let tile = TileCoord::containing(LonLat::new(116.397, 39.909), 14)?;
/// let cell: MultiPolygon<f64> = polygon![
///     (x: 116.395, y: 39.907), (x: 116.399, y: 39.907), (x: 116.399, y: 39.911), (x: 116.395, y: 39.911)
/// ].into();
/// let pipeline = TilePipeline::new(tile, TileOptions::default());
/// let geometries = pipeline.polygons([&cell]);
/// assert_eq!(geometries[0].0.len(), 1);
/// # Ok::<(), wangge_tiles::TileCoordError>(())
/// ```
pub struct TilePipeline<'t> {
    frame: TileFrame,
    window: ClipRect,
    tolerance: f64,
    transform: Option<CoordinateTransform<'t>>,
}

impl<'t> TilePipeline<'t> {
    pub fn new(tile: TileCoord, options: TileOptions) -> Self {
        let frame = TileFrame::new(tile, options.extent);
        Self {
            frame,
            window: ClipRect::buffered_tile(frame.extent(), options.buffer),
            tolerance: options.tolerance,
            transform: None,
        }
    }

    /// Applies `transform` to every `(lon, lat)` before projecting, e.g. WGS84 → GCJ-02 for
    /// base maps drawn in that datum.
    pub fn with_transform(
        mut self,
        transform: impl Fn(f64, f64) -> (f64, f64) + Send + Sync + 't,
    ) -> Self {
        self.transform = Some(Box::new(transform));
        self
    }

    pub fn frame(&self) -> &TileFrame {
        &self.frame
    }

    /// Tile-local position of a WGS84 position, after the transform.
    pub fn to_tile_local(&self, lon: f64, lat: f64) -> Coord<f64> {
        let (lon, lat) = match &self.transform {
            Some(transform) => transform(lon, lat),
            None => (lon, lat),
        };
        self.frame.lon_lat_to_local(LonLat::new(lon, lat))
    }

    /// The polygons of the tile, one entry per feature in input order; an entry is empty when
    /// the feature lies outside the buffered tile or collapses at this zoom. All features of
    /// one layer should go through one call so their shared boundaries stay shared.
    pub fn polygons<'a>(
        &self,
        features: impl IntoIterator<Item = &'a MultiPolygon<f64>>,
    ) -> Vec<MultiPolygon<i32>> {
        let clipped: Vec<MultiPolygon<f64>> = features
            .into_iter()
            .map(|feature| {
                let local = feature.map_coords(|c| self.to_tile_local(c.x, c.y));
                clip_multi_polygon(&local, &self.window)
            })
            .collect();
        simplify_shared(&clipped, self.tolerance)
            .iter()
            .map(orient_for_mvt)
            .collect()
    }

    /// The points of the tile, one entry per feature in input order; `None` when outside the
    /// buffered tile.
    pub fn points<'a>(
        &self,
        features: impl IntoIterator<Item = &'a Point<f64>>,
    ) -> Vec<Option<Point<i32>>> {
        features
            .into_iter()
            .map(|p| {
                let local = self.to_tile_local(p.x(), p.y());
                self.window
                    .contains(local)
                    .then(|| Point(round_to_grid(local)))
            })
            .collect()
    }
}

impl fmt::Debug for TilePipeline<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TilePipeline")
            .field("frame", &self.frame)
            .field("window", &self.window)
            .field("tolerance", &self.tolerance)
            .field(
                "transform",
                &self.transform.as_ref().map(|_| "Fn(lon, lat)"),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mvt::decode::decode_tile;
    use crate::mvt::{encode_tile, LayerBuilder, PropertyValue, TileGeometry};
    use crate::winding::twice_signed_area;
    use geo::{Area, BooleanOps};
    use geo_types::{coord, point, polygon, LineString, Polygon};

    /// Tile 15/26958/12407, which holds the Forbidden City.
    fn tile() -> TileCoord {
        TileCoord::containing(LonLat::new(116.397, 39.916), 15).expect("zoom ok")
    }

    /// Two cells west and east of `split_lon`, the shared edge bent by ~1 m noise at many
    /// vertices, together spanning more than the tile.
    fn neighbouring_cells(split_lon: f64) -> (MultiPolygon<f64>, MultiPolygon<f64>) {
        let (south, north) = (39.90, 39.93);
        let shared: Vec<Coord<f64>> = (0..=300)
            .map(|k| {
                let lat = south + (north - south) * f64::from(k) / 300.0;
                let wobble = if k % 2 == 0 {
                    0.0
                } else {
                    0.000_002 * f64::from(k % 7)
                };
                coord! { x: split_lon + wobble, y: lat }
            })
            .collect();
        let mut west = vec![
            coord! { x: 116.35, y: north },
            coord! { x: 116.35, y: south },
        ];
        west.extend(shared.iter().copied());
        let mut east = vec![
            coord! { x: 116.45, y: south },
            coord! { x: 116.45, y: north },
        ];
        east.extend(shared.iter().rev().copied());
        let cell = |ring: Vec<Coord<f64>>| {
            MultiPolygon::new(vec![Polygon::new(LineString::new(ring), vec![])])
        };
        (cell(west), cell(east))
    }

    fn to_f64(p: &MultiPolygon<i32>) -> MultiPolygon<f64> {
        p.map_coords(|c| coord! { x: f64::from(c.x), y: f64::from(c.y) })
    }

    #[test]
    fn default_options_are_extent_4096_buffer_64_and_one_pixel_tolerance() {
        let options = TileOptions::default();
        assert_eq!(
            (options.extent, options.buffer, options.tolerance),
            (4096, 64, 16.0)
        );
    }

    #[test]
    fn neighbouring_cells_come_out_clipped_wound_and_still_sharing_their_edge() {
        let centre = tile().bounds_lon_lat().centre();
        let (west, east) = neighbouring_cells(centre.lon);
        let out = TilePipeline::new(tile(), TileOptions::default()).polygons([&west, &east]);

        for feature in &out {
            let polygon = &feature.0[0];
            assert!(
                twice_signed_area(&polygon.exterior().0) > 0,
                "exterior must be positive"
            );
            for c in &polygon.exterior().0 {
                assert!(
                    (-64..=4160).contains(&c.x) && (-64..=4160).contains(&c.y),
                    "{c:?} outside the buffer"
                );
            }
            assert!(
                polygon.exterior().0.len() < 20,
                "the wobble is simplified away"
            );
        }
        let (a, b) = (to_f64(&out[0]), to_f64(&out[1]));
        let union = a.union(&b);
        assert!((a.unsigned_area() + b.unsigned_area() - union.unsigned_area()).abs() < 1e-6);
        assert!(
            (union.unsigned_area() - 4224.0 * 4224.0).abs() < 1e-6,
            "no gap between the cells"
        );
    }

    #[test]
    fn holes_are_wound_negative() {
        let b = tile().bounds_lon_lat();
        let (w, e, s, n) = (b.west, b.east, b.south, b.north);
        let (dx, dy) = ((e - w) / 4.0, (n - s) / 4.0);
        // Both rings given counter-clockwise in lon/lat (the GeoJSON habit).
        let holed: MultiPolygon<f64> = polygon!(
            exterior: [(x: w, y: s), (x: e, y: s), (x: e, y: n), (x: w, y: n)],
            interiors: [[(x: w + dx, y: s + dy), (x: e - dx, y: s + dy), (x: e - dx, y: n - dy), (x: w + dx, y: n - dy)]],
        )
        .into();
        let out = TilePipeline::new(tile(), TileOptions::default()).polygons([&holed]);
        let polygon = &out[0].0[0];
        assert!(twice_signed_area(&polygon.exterior().0) > 0);
        assert!(twice_signed_area(&polygon.interiors()[0].0) < 0);
    }

    #[test]
    fn features_outside_the_tile_come_out_empty_in_place() {
        let far: MultiPolygon<f64> =
            polygon![(x: 121.4, y: 31.2), (x: 121.5, y: 31.2), (x: 121.5, y: 31.3)].into();
        let (west, _) = neighbouring_cells(tile().bounds_lon_lat().centre().lon);
        let out = TilePipeline::new(tile(), TileOptions::default()).polygons([&far, &west]);
        assert!(out[0].0.is_empty());
        assert_eq!(out[1].0.len(), 1);
    }

    #[test]
    fn points_in_the_buffer_are_kept_and_beyond_it_dropped() {
        let b = tile().bounds_lon_lat();
        let c = b.centre();
        let step = (b.east - b.west) / 4096.0;
        let pipeline = TilePipeline::new(tile(), TileOptions::default());
        let points = [
            point! { x: c.lon, y: c.lat },
            point! { x: b.west - 30.0 * step, y: c.lat },
            point! { x: b.west - 100.0 * step, y: c.lat },
        ];
        let out = pipeline.points(&points);
        let centre = out[0].expect("centre is inside");
        assert!(
            (centre.x() - 2048).abs() <= 1 && (centre.y() - 2048).abs() <= 30,
            "{centre:?}"
        );
        assert_eq!(out[1].map(|p| p.x()), Some(-30));
        assert_eq!(out[2], None);
    }

    #[test]
    fn transform_hook_runs_before_projection() {
        let b = tile().bounds_lon_lat();
        let width = b.east - b.west;
        let shift_east = move |lon: f64, lat: f64| (lon + width / 2.0, lat);
        let pipeline = TilePipeline::new(tile(), TileOptions::default()).with_transform(shift_east);
        let west_edge = point! { x: b.west, y: b.centre().lat };
        let moved = pipeline.points([&west_edge])[0].expect("inside");
        assert_eq!(moved.x(), 2048);
        assert!(format!("{pipeline:?}").contains("Fn(lon, lat)"));
    }

    #[test]
    fn pipeline_output_encodes_and_decodes_unchanged() {
        let (west, east) = neighbouring_cells(tile().bounds_lon_lat().centre().lon);
        let out = TilePipeline::new(tile(), TileOptions::default()).polygons([&west, &east]);
        let mut layer = LayerBuilder::new("units", 4096);
        for (id, geometry) in out.iter().enumerate() {
            let geometry = TileGeometry::from(geometry.clone());
            layer.add_feature(
                Some(id as u64),
                &geometry,
                [("code", PropertyValue::from(id as u64))],
            );
        }
        let decoded = decode_tile(&encode_tile(&[layer.build()])).expect("decodes");
        let features = &decoded[0].features;
        assert_eq!(features.len(), 2);
        for (feature, original) in features.iter().zip(&out) {
            assert_eq!(
                feature.geometry(),
                Ok(TileGeometry::Polygons(original.clone()))
            );
        }
    }
}
