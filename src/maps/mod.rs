//! Vector tiles of the map layers: the layer registry, the tile cache kept current with the
//! snapshot, and the `/tiles/...` routes (MVT and TileJSON).
pub mod cache;
pub mod layers;
pub mod routes;
pub mod tilejson;
pub mod tiles;
pub mod units;

pub use cache::{CacheStats, RenderedTile, TileCache, TileKey};
pub use layers::{LayerRegistry, TileRequest, TileSource, VectorLayer};
pub use tiles::MapTiles;
pub use units::{LevelZooms, UnitLayers};
