//! Mapbox Vector Tile 2.1 encoding: a small protobuf writer, geometry commands, layers.

#[cfg(test)]
pub(crate) mod decode;
mod geometry;
mod layer;
mod protobuf;
#[cfg(test)]
mod tests;

pub use geometry::TileGeometry;
pub use layer::{encode_tile, Layer, LayerBuilder, PropertyValue, MVT_VERSION};
