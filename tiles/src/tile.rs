//! Tile addresses (`z/x/y`, XYZ scheme with y growing southwards), their bounds, ranges and
//! pyramid relations.

use std::f64::consts::PI;
use std::fmt;

use crate::projection::{clamp_latitude, LonLat, Mercator, MERCATOR_HALF_WORLD_M};

/// The deepest zoom a [`TileCoord`] accepts.
pub const MAX_ZOOM: u8 = 24;

/// The address of one tile in the XYZ (Google / OSM) scheme: `x` grows eastwards from the
/// antimeridian, `y` southwards from the north edge of Web Mercator.
///
/// Construction validates `z <= MAX_ZOOM` and `x, y < 2^z`, so a `TileCoord` is always a real
/// tile.
///
/// ```
/// use wangge_tiles::TileCoord;
/// let tile = TileCoord::new(1, 1, 0)?;
/// assert_eq!(tile.to_string(), "1/1/0");
/// assert!(TileCoord::new(1, 2, 0).is_err());
/// # Ok::<(), wangge_tiles::TileCoordError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileCoord {
    z: u8,
    x: u32,
    y: u32,
}

/// Why a `z/x/y` triple does not name a tile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileCoordError {
    ZoomTooDeep { z: u8 },
    OutOfRange { z: u8, x: u32, y: u32 },
}

impl fmt::Display for TileCoordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ZoomTooDeep { z } => write!(f, "zoom {z} is deeper than the maximum {MAX_ZOOM}"),
            Self::OutOfRange { z, x, y } => {
                write!(
                    f,
                    "tile {z}/{x}/{y} is outside the 2^{z} x 2^{z} grid of its zoom"
                )
            }
        }
    }
}

impl std::error::Error for TileCoordError {}

/// A box in WGS84 degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LonLatBounds {
    pub west: f64,
    pub south: f64,
    pub east: f64,
    pub north: f64,
}

impl LonLatBounds {
    pub fn new(west: f64, south: f64, east: f64, north: f64) -> Self {
        Self {
            west,
            south,
            east,
            north,
        }
    }

    pub fn centre(&self) -> LonLat {
        LonLat::new(
            (self.west + self.east) / 2.0,
            (self.south + self.north) / 2.0,
        )
    }
}

/// A box in Web Mercator metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MercatorBounds {
    pub min_x: f64,
    pub min_y: f64,
    pub max_x: f64,
    pub max_y: f64,
}

fn tiles_per_side(z: u8) -> u32 {
    1u32 << z
}

fn check_zoom(z: u8) -> Result<(), TileCoordError> {
    if z > MAX_ZOOM {
        Err(TileCoordError::ZoomTooDeep { z })
    } else {
        Ok(())
    }
}

/// Position in the world square as fractions in `[0, 1]`, y growing southwards.
fn world_fraction(p: LonLat) -> (f64, f64) {
    let lat = clamp_latitude(p.lat).to_radians();
    let fx = (p.lon + 180.0) / 360.0;
    let fy = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / PI) / 2.0;
    (fx.clamp(0.0, 1.0), fy.clamp(0.0, 1.0))
}

impl TileCoord {
    /// Validates and builds a tile address.
    pub fn new(z: u8, x: u32, y: u32) -> Result<Self, TileCoordError> {
        check_zoom(z)?;
        let n = tiles_per_side(z);
        if x >= n || y >= n {
            return Err(TileCoordError::OutOfRange { z, x, y });
        }
        Ok(Self { z, x, y })
    }

    pub fn z(&self) -> u8 {
        self.z
    }

    pub fn x(&self) -> u32 {
        self.x
    }

    pub fn y(&self) -> u32 {
        self.y
    }

    /// The tile at zoom `z` containing `p`; positions on a tile edge belong to the tile east /
    /// south of it, and positions beyond the world are clamped onto its border tiles.
    pub fn containing(p: LonLat, z: u8) -> Result<Self, TileCoordError> {
        check_zoom(z)?;
        let n = tiles_per_side(z);
        let (fx, fy) = world_fraction(p);
        let index = |f: f64| ((f * f64::from(n)).floor() as u32).min(n - 1);
        Ok(Self {
            z,
            x: index(fx),
            y: index(fy),
        })
    }

    pub fn bounds_mercator(&self) -> MercatorBounds {
        let size = 2.0 * MERCATOR_HALF_WORLD_M / f64::from(tiles_per_side(self.z));
        let min_x = -MERCATOR_HALF_WORLD_M + f64::from(self.x) * size;
        let max_y = MERCATOR_HALF_WORLD_M - f64::from(self.y) * size;
        MercatorBounds {
            min_x,
            min_y: max_y - size,
            max_x: min_x + size,
            max_y,
        }
    }

    pub fn bounds_lon_lat(&self) -> LonLatBounds {
        let b = self.bounds_mercator();
        let sw = Mercator::new(b.min_x, b.min_y).to_lon_lat();
        let ne = Mercator::new(b.max_x, b.max_y).to_lon_lat();
        LonLatBounds::new(sw.lon, sw.lat, ne.lon, ne.lat)
    }

    /// The tile one zoom up that contains this one; `None` at zoom 0.
    pub fn parent(&self) -> Option<Self> {
        let z = self.z.checked_sub(1)?;
        Some(Self {
            z,
            x: self.x / 2,
            y: self.y / 2,
        })
    }

    /// The four tiles one zoom down, in the order NW, NE, SW, SE; `None` at [`MAX_ZOOM`].
    pub fn children(&self) -> Option<[Self; 4]> {
        if self.z >= MAX_ZOOM {
            return None;
        }
        let (z, x, y) = (self.z + 1, self.x * 2, self.y * 2);
        Some([
            Self { z, x, y },
            Self { z, x: x + 1, y },
            Self { z, x, y: y + 1 },
            Self {
                z,
                x: x + 1,
                y: y + 1,
            },
        ])
    }
}

impl fmt::Display for TileCoord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

/// An inclusive rectangle of tiles of one zoom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileRange {
    pub z: u8,
    pub min_x: u32,
    pub min_y: u32,
    pub max_x: u32,
    pub max_y: u32,
}

impl TileRange {
    /// The tiles at zoom `z` that a lon/lat box touches the interior of. A box edge lying exactly
    /// on a tile edge does not pull in the tile beyond it; a degenerate box (a point) still gets
    /// its tile. The box must not cross the antimeridian (west and east are sorted first).
    pub fn covering(bounds: LonLatBounds, z: u8) -> Result<Self, TileCoordError> {
        check_zoom(z)?;
        let n = f64::from(tiles_per_side(z));
        let last = tiles_per_side(z) - 1;
        let (west, east) = (bounds.west.min(bounds.east), bounds.west.max(bounds.east));
        let (south, north) = (
            bounds.south.min(bounds.north),
            bounds.south.max(bounds.north),
        );
        let (fx0, fy0) = world_fraction(LonLat::new(west, north));
        let (fx1, fy1) = world_fraction(LonLat::new(east, south));
        let first_index = |f: f64| ((f * n).floor() as u32).min(last);
        let last_index =
            |f0: u32, f: f64| ((f * n).ceil() as u32).saturating_sub(1).clamp(f0, last);
        let (min_x, min_y) = (first_index(fx0), first_index(fy0));
        Ok(Self {
            z,
            min_x,
            min_y,
            max_x: last_index(min_x, fx1),
            max_y: last_index(min_y, fy1),
        })
    }

    /// Number of tiles in the range (never zero).
    pub fn len(&self) -> u64 {
        u64::from(self.max_x - self.min_x + 1) * u64::from(self.max_y - self.min_y + 1)
    }

    /// Always `false`: a range holds at least one tile.
    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn contains(&self, tile: TileCoord) -> bool {
        tile.z == self.z
            && (self.min_x..=self.max_x).contains(&tile.x)
            && (self.min_y..=self.max_y).contains(&tile.y)
    }

    /// The tiles row by row, north to south, west to east.
    pub fn iter(&self) -> impl Iterator<Item = TileCoord> + '_ {
        let z = self.z;
        (self.min_y..=self.max_y)
            .flat_map(move |y| (self.min_x..=self.max_x).map(move |x| TileCoord { z, x, y }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::projection::MAX_LATITUDE;

    fn tile(z: u8, x: u32, y: u32) -> TileCoord {
        TileCoord::new(z, x, y).expect("valid tile")
    }

    #[test]
    fn zoom_deeper_than_24_is_rejected() {
        assert_eq!(
            TileCoord::new(25, 0, 0),
            Err(TileCoordError::ZoomTooDeep { z: 25 })
        );
        assert!(TileCoord::new(24, (1 << 24) - 1, 0).is_ok());
    }

    #[test]
    fn x_or_y_outside_the_zoom_grid_is_rejected() {
        assert_eq!(
            TileCoord::new(2, 4, 0),
            Err(TileCoordError::OutOfRange { z: 2, x: 4, y: 0 })
        );
        assert!(TileCoord::new(2, 0, 4).is_err());
        assert!(TileCoord::new(0, 1, 0).is_err());
        assert!(TileCoord::new(0, 0, 0).is_ok());
    }

    #[test]
    fn error_message_names_the_tile() {
        let err = TileCoord::new(3, 9, 1).expect_err("out of range");
        assert!(err.to_string().contains("3/9/1"), "{err}");
    }

    #[test]
    fn zoom_zero_tile_covers_the_mercator_world() {
        let b = tile(0, 0, 0).bounds_lon_lat();
        assert!((b.west + 180.0).abs() < 1e-9 && (b.east - 180.0).abs() < 1e-9);
        assert!((b.north - MAX_LATITUDE).abs() < 1e-9 && (b.south + MAX_LATITUDE).abs() < 1e-9);
        let m = tile(0, 0, 0).bounds_mercator();
        assert!((m.max_x - MERCATOR_HALF_WORLD_M).abs() < 1e-6);
        assert!((m.min_y + MERCATOR_HALF_WORLD_M).abs() < 1e-6);
    }

    #[test]
    fn tile_y_grows_southwards() {
        let north = tile(1, 0, 0).bounds_lon_lat();
        let south = tile(1, 0, 1).bounds_lon_lat();
        assert!(north.south.abs() < 1e-9 && north.north > 85.0);
        assert!(south.north.abs() < 1e-9 && south.south < -85.0);
    }

    #[test]
    fn tiananmen_lies_in_tile_10_843_388() {
        let t = TileCoord::containing(LonLat::new(116.391_2, 39.907_3), 10).expect("zoom ok");
        assert_eq!(t, tile(10, 843, 388));
        let b = t.bounds_lon_lat();
        assert!(b.west <= 116.391_2 && 116.391_2 < b.east);
        assert!(b.south < 39.907_3 && 39.907_3 <= b.north);
    }

    #[test]
    fn positions_beyond_the_world_fall_into_border_tiles() {
        let t = TileCoord::containing(LonLat::new(180.0, -90.0), 3).expect("zoom ok");
        assert_eq!(t, tile(3, 7, 7));
        let t = TileCoord::containing(LonLat::new(-200.0, 90.0), 3).expect("zoom ok");
        assert_eq!(t, tile(3, 0, 0));
    }

    #[test]
    fn parent_and_children_are_inverse() {
        let t = tile(7, 101, 44);
        let children = t.children().expect("not at max zoom");
        assert_eq!(children[0], tile(8, 202, 88));
        assert_eq!(children[3], tile(8, 203, 89));
        for child in children {
            assert_eq!(child.parent(), Some(t));
        }
        assert_eq!(tile(0, 0, 0).parent(), None);
        assert_eq!(tile(24, 5, 5).children(), None);
    }

    #[test]
    fn children_exactly_tile_their_parent() {
        let t = tile(5, 26, 12);
        let p = t.bounds_mercator();
        let [nw, _, _, se] = t.children().expect("children").map(|c| c.bounds_mercator());
        assert!((nw.min_x - p.min_x).abs() < 1e-6 && (nw.max_y - p.max_y).abs() < 1e-6);
        assert!((se.max_x - p.max_x).abs() < 1e-6 && (se.min_y - p.min_y).abs() < 1e-6);
        assert!((nw.max_x - se.min_x).abs() < 1e-6);
    }

    #[test]
    fn whole_world_at_zoom_2_is_16_tiles() {
        let world = LonLatBounds::new(-180.0, -90.0, 180.0, 90.0);
        let range = TileRange::covering(world, 2).expect("zoom ok");
        assert_eq!(range.len(), 16);
        assert_eq!(range.iter().count(), 16);
        assert_eq!(range.iter().next(), Some(tile(2, 0, 0)));
    }

    #[test]
    fn range_edge_on_a_tile_edge_does_not_include_the_next_tile() {
        // At zoom 1 the tile edges are the prime meridian and the equator.
        let ne_quarter = LonLatBounds::new(0.0, 0.0, 180.0, 85.0);
        let range = TileRange::covering(ne_quarter, 1).expect("zoom ok");
        assert_eq!(range.iter().collect::<Vec<_>>(), vec![tile(1, 1, 0)]);
    }

    #[test]
    fn range_of_a_point_is_its_tile() {
        let p = LonLat::new(116.391_2, 39.907_3);
        let range = TileRange::covering(LonLatBounds::new(p.lon, p.lat, p.lon, p.lat), 14)
            .expect("zoom ok");
        assert_eq!(range.len(), 1);
        assert!(range.contains(TileCoord::containing(p, 14).expect("zoom ok")));
    }

    #[test]
    fn range_covers_every_tile_containing_a_corner() {
        let bounds = LonLatBounds::new(116.2, 39.8, 116.6, 40.05);
        let range = TileRange::covering(bounds, 12).expect("zoom ok");
        for (lon, lat) in [(116.2, 39.8), (116.6, 40.05), (116.2, 40.05), (116.6, 39.8)] {
            let t = TileCoord::containing(LonLat::new(lon, lat), 12).expect("zoom ok");
            assert!(range.contains(t), "{t} not in {range:?}");
        }
        assert_eq!(range.len(), range.iter().count() as u64);
        assert!(range.len() > 1);
    }
}
