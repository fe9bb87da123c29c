//! Vector tiles of the map layers: the layer registry, the tile cache kept current with the
//! snapshot, and the `/tiles/...` routes (MVT and TileJSON).
pub mod cache;
pub mod facilities;
pub mod layers;
pub mod reports;
pub mod routes;
pub mod tilejson;
pub mod tiles;
pub mod units;

pub use cache::{CacheStats, RenderedTile, TileCache, TileKey};
pub use layers::{LayerFilter, LayerRegistry, TileRequest, TileSource, VectorLayer};
pub use reports::{ReportHeat, ReportPoints};
pub use tiles::{MapTiles, TileAsk};
pub use units::{LevelZooms, UnitLayers};
