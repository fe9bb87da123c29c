//! [`MapTiles`]: the layers, the cache and the rule that keeps them in step with the snapshot.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use wangge_tiles::mvt::encode_tile;
use wangge_tiles::{TileCoord, TileOptions};

use super::cache::{RenderedTile, TileCache, TileKey};
use super::layers::{buffered_wgs84_box, LayerRegistry, TileRequest, TileSource};
use super::units::UnitLayers;
use crate::config::Config;
use crate::spatial::{Bbox, Crs, Snapshot, SnapshotCell};

/// Why a tile could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("no tile layer `{0}`")]
    UnknownSource(u16),
    #[error("rendering the tile failed: {0}")]
    Failed(String),
}

/// The vector tiles of the service: the registered layers and their cache.
///
/// The cache follows the snapshot: [`MapTiles::snapshot_swapped`] is called after every swap
/// (see [`crate::AppState::reload_snapshot`]) and drops exactly the cached tiles over units
/// that were added, removed or changed (code + version, or a count). Tile requests catch up
/// themselves should a swap ever bypass that call.
pub struct MapTiles {
    layers: LayerRegistry,
    cache: TileCache,
    options: TileOptions,
    /// The snapshot the cache was last reconciled with.
    seen: Mutex<Option<Arc<Snapshot>>>,
    seen_version: AtomicU64,
    bounds: Mutex<Option<(u64, Option<Bbox>)>>,
    /// Renders are CPU work: no more at a time than there are cores.
    renders: tokio::sync::Semaphore,
}

const NOT_SEEN: u64 = u64::MAX;

impl MapTiles {
    /// The `units` layer with the configured zooms and a cache of the configured size.
    pub fn new(config: &Config) -> MapTiles {
        let units = UnitLayers::new(config.tile_min_zooms, config.tile_max_zoom);
        MapTiles::with_layers(
            LayerRegistry::new(vec![Arc::new(units)]),
            config.tile_cache_mib.saturating_mul(1024 * 1024),
        )
    }

    pub fn with_layers(layers: LayerRegistry, cache_bytes: usize) -> MapTiles {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        MapTiles {
            layers,
            cache: TileCache::new(cache_bytes),
            options: TileOptions::default(),
            seen: Mutex::new(None),
            seen_version: AtomicU64::new(NOT_SEEN),
            bounds: Mutex::new(None),
            renders: tokio::sync::Semaphore::new(cores),
        }
    }

    pub fn layers(&self) -> &LayerRegistry {
        &self.layers
    }

    pub fn cache(&self) -> &TileCache {
        &self.cache
    }

    pub fn options(&self) -> TileOptions {
        self.options
    }

    /// Reconciles the cache with a snapshot just swapped in: compares it with the previous one
    /// and evicts the tiles over what changed; the rest stay cached. Older snapshots than the
    /// last one seen are ignored. Blocking work (one pass over both snapshots): call it off the
    /// async workers.
    pub fn snapshot_swapped(&self, new: &Arc<Snapshot>) {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        match seen.as_ref() {
            Some(old) if old.version >= new.version => return,
            Some(old) => {
                let mut dropped = 0;
                for (id, source) in self.layers.iter() {
                    let areas = source.changed_areas(old, new);
                    dropped += self.cache.invalidate(Some(id), &areas);
                }
                tracing::debug!(
                    from = old.version,
                    to = new.version,
                    dropped,
                    "tile cache follows the snapshot"
                );
            }
            None => {
                self.cache.clear();
            }
        }
        *seen = Some(new.clone());
        self.seen_version.store(new.version, Ordering::SeqCst);
    }

    /// Drops the cached tiles of layer `source` over `areas` (WGS84), for sources and counts
    /// that follow data other than the snapshot; call it once the change is visible to readers.
    pub fn invalidate(&self, source: &str, areas: &[Bbox]) -> usize {
        match self.layers.find(source) {
            Some((id, _)) => self.cache.invalidate(Some(id), areas),
            None => 0,
        }
    }

    fn is_behind(&self, snapshot: &Snapshot) -> bool {
        let seen = self.seen_version.load(Ordering::SeqCst);
        seen == NOT_SEEN || seen < snapshot.version
    }

    /// The tile from the cache, or rendered from the current snapshot and cached.
    pub async fn tile(
        self: &Arc<Self>,
        snapshots: &SnapshotCell,
        key: TileKey,
    ) -> Result<Arc<RenderedTile>, RenderError> {
        let current = snapshots.load();
        if self.is_behind(&current) {
            let tiles = self.clone();
            tokio::task::spawn_blocking(move || tiles.snapshot_swapped(&current))
                .await
                .map_err(|e| RenderError::Failed(e.to_string()))?;
        }
        if let Some(hit) = self.cache.get(&key) {
            return Ok(hit);
        }
        let _permit = self
            .renders
            .acquire()
            .await
            .map_err(|e| RenderError::Failed(e.to_string()))?;
        // Another request may have rendered it while this one waited for a permit.
        if let Some(hit) = self.cache.peek(&key) {
            return Ok(hit);
        }
        // Read the epoch before the data, so that a swap in between keeps this render out.
        let epoch = self.cache.epoch();
        let snapshot = snapshots.load();
        let tiles = self.clone();
        let rendered = tokio::task::spawn_blocking(move || {
            tiles
                .render(key.source, key.tile, key.crs, &snapshot)
                .map(|mvt| Arc::new(RenderedTile::new(mvt)))
        })
        .await
        .map_err(|e| RenderError::Failed(e.to_string()))??;
        let area = buffered_wgs84_box(key.tile, self.options, key.crs);
        self.cache.insert(key, rendered.clone(), area, epoch);
        Ok(rendered)
    }

    /// Renders one tile of a source without the cache: the encoded MVT.
    pub fn render(
        &self,
        source: u16,
        tile: TileCoord,
        crs: Crs,
        snapshot: &Snapshot,
    ) -> Result<Vec<u8>, RenderError> {
        let (_, layer) = self
            .layers
            .iter()
            .find(|(id, _)| *id == source)
            .ok_or(RenderError::UnknownSource(source))?;
        Ok(render_tile(
            layer.as_ref(),
            tile,
            crs,
            snapshot,
            self.options,
        ))
    }

    /// The WGS84 box of every top-level unit of the snapshot; `None` when it is empty.
    pub fn bounds(&self, snapshot: &Snapshot) -> Option<Bbox> {
        let mut cached = self.bounds.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((version, bounds)) = *cached {
            if version == snapshot.version {
                return bounds;
            }
        }
        let bounds = (0..snapshot.len() as u32)
            .filter(|&i| snapshot.parent_of(i).is_none())
            .map(|i| Bbox::of(&snapshot.unit(i).geometry))
            .fold(Bbox::EMPTY, |acc, b| acc.union(&b));
        let bounds = (!bounds.is_empty()).then_some(bounds);
        *cached = Some((snapshot.version, bounds));
        bounds
    }
}

impl std::fmt::Debug for MapTiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MapTiles")
            .field("layers", &self.layers)
            .field("cache", &self.cache)
            .field("options", &self.options)
            .finish()
    }
}

/// One tile of `source` as encoded MVT bytes, straight from the snapshot (no cache).
pub fn render_tile(
    source: &dyn TileSource,
    tile: TileCoord,
    crs: Crs,
    snapshot: &Snapshot,
    options: TileOptions,
) -> Vec<u8> {
    let request = TileRequest {
        tile,
        crs,
        snapshot,
        options,
    };
    encode_tile(&source.render(&request))
}
