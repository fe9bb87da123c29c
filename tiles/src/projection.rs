//! Coordinates on the globe (WGS84 lon/lat), on the Web Mercator plane (EPSG:3857) and inside
//! one tile (tile-local units, y pointing down).

use std::f64::consts::PI;

use geo_types::Coord;

use crate::tile::TileCoord;

/// WGS84 semi-major axis, the sphere radius of Web Mercator.
pub const EARTH_RADIUS_M: f64 = 6_378_137.0;

/// Half the width of the Web Mercator square, in metres (`π · R`).
pub const MERCATOR_HALF_WORLD_M: f64 = PI * EARTH_RADIUS_M;

/// The latitude at which Web Mercator becomes a square (≈ ±85.0511°); latitudes are clamped to it.
pub const MAX_LATITUDE: f64 = 85.051_128_779_806_59;

/// Tile-local units per tile side used when no other extent is asked for.
pub const DEFAULT_EXTENT: u32 = 4096;

/// Pixels per tile side assumed by [`metres_per_pixel`].
pub const TILE_SIZE_PX: f64 = 256.0;

/// A WGS84 position in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LonLat {
    pub lon: f64,
    pub lat: f64,
}

/// A Web Mercator (EPSG:3857) position in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mercator {
    pub x: f64,
    pub y: f64,
}

impl LonLat {
    pub fn new(lon: f64, lat: f64) -> Self {
        Self { lon, lat }
    }

    /// Projects to Web Mercator; the latitude is clamped to ±[`MAX_LATITUDE`] first.
    ///
    /// ```
    /// use wangge_tiles::LonLat;
    /// let m = LonLat::new(180.0, 0.0).to_mercator();
    /// assert!((m.x - 20_037_508.342_789_244).abs() < 1e-6);
    /// ```
    pub fn to_mercator(self) -> Mercator {
        let lat = clamp_latitude(self.lat).to_radians();
        Mercator {
            x: EARTH_RADIUS_M * self.lon.to_radians(),
            y: EARTH_RADIUS_M * (PI / 4.0 + lat / 2.0).tan().ln(),
        }
    }
}

impl Mercator {
    pub fn new(x: f64, y: f64) -> Self {
        Self { x, y }
    }

    /// Unprojects to WGS84 degrees.
    pub fn to_lon_lat(self) -> LonLat {
        LonLat {
            lon: (self.x / EARTH_RADIUS_M).to_degrees(),
            lat: (2.0 * (self.y / EARTH_RADIUS_M).exp().atan() - PI / 2.0).to_degrees(),
        }
    }
}

/// Clamps a latitude to the range Web Mercator can represent.
pub fn clamp_latitude(lat: f64) -> f64 {
    lat.clamp(-MAX_LATITUDE, MAX_LATITUDE)
}

/// Ground size of one pixel of a [`TILE_SIZE_PX`]-pixel tile at `zoom` (fractional zooms
/// allowed) and latitude `lat` in degrees.
///
/// ```
/// let m = wangge_tiles::metres_per_pixel(0.0, 0.0);
/// assert!((m - 156_543.033_928).abs() < 1e-3);
/// ```
pub fn metres_per_pixel(zoom: f64, lat: f64) -> f64 {
    let world_m = 2.0 * MERCATOR_HALF_WORLD_M;
    clamp_latitude(lat).to_radians().cos() * world_m / (TILE_SIZE_PX * zoom.exp2())
}

/// The affine map between Web Mercator and the tile-local coordinates of one tile:
/// `(0, 0)` is the tile's north-west corner and `(extent, extent)` its south-east corner.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TileFrame {
    tile: TileCoord,
    extent: u32,
    west_m: f64,
    north_m: f64,
    units_per_metre: f64,
}

impl TileFrame {
    /// A frame for `tile` with `extent` units per side; an extent of 0 is treated as 1.
    pub fn new(tile: TileCoord, extent: u32) -> Self {
        let extent = extent.max(1);
        let bounds = tile.bounds_mercator();
        Self {
            tile,
            extent,
            west_m: bounds.min_x,
            north_m: bounds.max_y,
            units_per_metre: f64::from(extent) / (bounds.max_x - bounds.min_x),
        }
    }

    pub fn tile(&self) -> TileCoord {
        self.tile
    }

    pub fn extent(&self) -> u32 {
        self.extent
    }

    pub fn mercator_to_local(&self, m: Mercator) -> Coord<f64> {
        Coord {
            x: (m.x - self.west_m) * self.units_per_metre,
            y: (self.north_m - m.y) * self.units_per_metre,
        }
    }

    pub fn local_to_mercator(&self, c: Coord<f64>) -> Mercator {
        Mercator {
            x: self.west_m + c.x / self.units_per_metre,
            y: self.north_m - c.y / self.units_per_metre,
        }
    }

    pub fn lon_lat_to_local(&self, p: LonLat) -> Coord<f64> {
        self.mercator_to_local(p.to_mercator())
    }

    pub fn local_to_lon_lat(&self, c: Coord<f64>) -> LonLat {
        self.local_to_mercator(c).to_lon_lat()
    }

    /// Tile-local position rounded to the integer grid that MVT geometries live on.
    pub fn lon_lat_to_grid(&self, p: LonLat) -> Coord<i32> {
        round_to_grid(self.lon_lat_to_local(p))
    }
}

/// Rounds a tile-local coordinate to the integer grid, saturating at the `i32` range.
pub fn round_to_grid(c: Coord<f64>) -> Coord<i32> {
    Coord {
        x: c.x.round() as i32,
        y: c.y.round() as i32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn mercator_corners_match_epsg_3857() {
        let ne = LonLat::new(180.0, MAX_LATITUDE).to_mercator();
        assert!(close(ne.x, MERCATOR_HALF_WORLD_M, 1e-6));
        assert!(close(ne.y, MERCATOR_HALF_WORLD_M, 1e-6));
        let origin = LonLat::new(0.0, 0.0).to_mercator();
        assert!(close(origin.x, 0.0, 1e-9) && close(origin.y, 0.0, 1e-9));
    }

    #[test]
    fn latitude_beyond_mercator_limit_is_clamped() {
        let pole = LonLat::new(10.0, 90.0).to_mercator();
        let limit = LonLat::new(10.0, MAX_LATITUDE).to_mercator();
        assert_eq!(pole, limit);
        let south = LonLat::new(10.0, -89.0).to_mercator();
        assert!(close(south.y, -MERCATOR_HALF_WORLD_M, 1e-6));
    }

    #[test]
    fn lon_lat_survives_a_round_trip_through_mercator() {
        for &(lon, lat) in &[
            (116.391_2, 39.907_3),
            (-73.98, 40.75),
            (0.0, -33.9),
            (179.9, 85.0),
        ] {
            let back = LonLat::new(lon, lat).to_mercator().to_lon_lat();
            assert!(close(back.lon, lon, 1e-9) && close(back.lat, lat, 1e-9));
        }
    }

    #[test]
    fn tiananmen_projects_to_its_epsg_3857_position() {
        // Reference computed independently (pyproj-style spherical formula).
        let m = LonLat::new(116.391_2, 39.907_3).to_mercator();
        assert!(close(m.x, 12_956_609.117, 1e-3), "{m:?}");
        assert!(close(m.y, 4_852_480.498, 1e-3), "{m:?}");
    }

    #[test]
    fn metres_per_pixel_halves_with_each_zoom_and_shrinks_with_latitude() {
        assert!(close(metres_per_pixel(0.0, 0.0), 156_543.033_928_041, 1e-6));
        assert!(close(
            metres_per_pixel(1.0, 0.0),
            78_271.516_964_020_5,
            1e-6
        ));
        assert!(close(
            metres_per_pixel(3.0, 60.0),
            156_543.033_928_041 / 16.0,
            1e-6
        ));
    }

    #[test]
    fn tile_corners_map_to_zero_and_extent() {
        let tile = TileCoord::new(10, 843, 388).expect("valid tile");
        let frame = TileFrame::new(tile, 4096);
        let b = tile.bounds_lon_lat();
        let nw = frame.lon_lat_to_local(LonLat::new(b.west, b.north));
        let se = frame.lon_lat_to_local(LonLat::new(b.east, b.south));
        assert!(close(nw.x, 0.0, 1e-6) && close(nw.y, 0.0, 1e-6), "{nw:?}");
        assert!(
            close(se.x, 4096.0, 1e-6) && close(se.y, 4096.0, 1e-6),
            "{se:?}"
        );
    }

    #[test]
    fn tile_local_y_points_south() {
        let tile = TileCoord::new(12, 3372, 1552).expect("valid tile");
        let frame = TileFrame::new(tile, 4096);
        let c = tile.bounds_lon_lat().centre();
        let north = frame.lon_lat_to_local(LonLat::new(c.lon, c.lat + 0.001));
        let south = frame.lon_lat_to_local(LonLat::new(c.lon, c.lat - 0.001));
        assert!(north.y < south.y);
    }

    #[test]
    fn tile_local_survives_a_round_trip_to_lon_lat() {
        let tile = TileCoord::new(18, 215_837, 99_333).expect("valid tile");
        let frame = TileFrame::new(tile, 4096);
        for &(x, y) in &[(0.0, 0.0), (2048.5, 17.25), (-64.0, 4160.0)] {
            let c = Coord { x, y };
            let back = frame.lon_lat_to_local(frame.local_to_lon_lat(c));
            assert!(close(back.x, x, 1e-6) && close(back.y, y, 1e-6), "{back:?}");
        }
    }

    #[test]
    fn grid_rounding_is_to_nearest() {
        assert_eq!(
            round_to_grid(Coord { x: 1.49, y: -1.5 }),
            Coord { x: 1, y: -2 }
        );
    }
}
