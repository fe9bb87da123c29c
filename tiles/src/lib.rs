//! Tile maths, clipping, shared-boundary simplification and Mapbox Vector Tile 2.1 encoding
//! for wangge. No I/O: geometries in, bytes out.
//!
//! The usual path for one tile of one layer:
//!
//! ```
//! use geo_types::{polygon, MultiPolygon};
//! use wangge_tiles::mvt::{encode_tile, LayerBuilder, PropertyValue, TileGeometry};
//! use wangge_tiles::{LonLat, TileCoord, TileOptions, TilePipeline};
//!
//! let tile = TileCoord::new(14, 13489, 6207)?;
//! let cells: Vec<(u64, MultiPolygon<f64>)> = vec![(
//!     1,
//!     polygon![(x: 116.38, y: 39.90), (x: 116.40, y: 39.90), (x: 116.40, y: 39.92), (x: 116.38, y: 39.92)].into(),
//! )];
//! let pipeline = TilePipeline::new(tile, TileOptions::default());
//! let geometries = pipeline.polygons(cells.iter().map(|(_, g)| g));
//! let mut layer = LayerBuilder::new("units", TileOptions::default().extent);
//! for ((id, _), geometry) in cells.iter().zip(geometries) {
//!     let code = PropertyValue::from(format!("unit-{id}"));
//!     layer.add_feature(Some(*id), &TileGeometry::from(geometry), [("code", code)]);
//! }
//! let bytes: Vec<u8> = encode_tile(&[layer.build()]);
//! assert!(!bytes.is_empty());
//! # Ok::<(), wangge_tiles::TileCoordError>(())
//! ```
//!
//! Modules: [`tile`] (addresses, bounds, ranges), [`projection`] (WGS84, Web Mercator and
//! tile-local coordinates), [`clip`], [`simplify`], [`winding`], [`mvt`] and [`pipeline`].

pub mod clip;
mod fast_hash;
pub mod mvt;
pub mod pipeline;
pub mod projection;
pub mod simplify;
pub mod tile;
pub mod winding;

pub use pipeline::{TileOptions, TilePipeline};
pub use projection::{metres_per_pixel, LonLat, Mercator, TileFrame, DEFAULT_EXTENT, MAX_LATITUDE};
pub use simplify::simplify_shared;
pub use tile::{LonLatBounds, MercatorBounds, TileCoord, TileCoordError, TileRange, MAX_ZOOM};
