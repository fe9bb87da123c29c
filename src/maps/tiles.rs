//! [`MapTiles`]: the layers, the cache and the rule that keeps them in step with the snapshot.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use wangge_tiles::mvt::encode_tile;
use wangge_tiles::{LonLatBounds, TileCoord, TileOptions, TileRange};

use super::cache::{RenderedTile, TileCache, TileKey};
use super::facilities::{FacilityPoints, FACILITIES_LAYER};
use super::layers::{
    buffered_wgs84_box, convert_box, LayerFilter, LayerRegistry, TileRequest, TileSource,
};
use super::reports::{ReportHeat, ReportPoints};
use super::units::UnitLayers;
use crate::auth::Principal;
use crate::config::Config;
use crate::facilities::{Facility, FacilityService};
use crate::spatial::{Bbox, Crs, Snapshot, SnapshotCell, Wgs84};
use crate::store::reports::ReportPoint;
use crate::store::{Store, StoreError};

/// Why a tile could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("no tile layer `{0}`")]
    UnknownSource(u16),
    #[error("rendering the tile failed: {0}")]
    Failed(String),
    #[error("reading the tile's reports failed: {0}")]
    Store(#[from] StoreError),
}

/// Who asks for a tile, and with which layer parameters.
#[derive(Debug, Clone, Default)]
pub struct TileAsk {
    /// `None` for the anonymous public.
    pub caller: Option<Principal>,
    pub filter: LayerFilter,
}

/// The output systems tiles are drawn in (BD-09 is refused: Baidu tiles are not XYZ).
const TILE_CRSES: [Crs; 2] = [Crs::Wgs84, Crs::Gcj02];

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
    /// The `units` layer with the configured zooms, the staff `reports` points, the public
    /// `report_heat` cells and `facilities` points, and a cache of the configured size.
    pub fn new(config: &Config, facilities: &FacilityService) -> MapTiles {
        let units = UnitLayers::new(config.tile_min_zooms, config.tile_max_zoom);
        let heat = ReportHeat::new(config.report_heat_min_count);
        let points = FacilityPoints::new(facilities.catalogue.clone(), facilities.index.clone());
        MapTiles::with_layers(
            LayerRegistry::new(vec![
                Arc::new(units),
                Arc::new(ReportPoints),
                Arc::new(heat),
                Arc::new(points),
            ]),
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

    /// Drops the cached `facilities` tiles over the places facilities were written at: each
    /// change is a facility before and after (either absent: created, deleted). Call it once the
    /// index holds the writes.
    pub fn facilities_written(&self, changes: &[(Option<Facility>, Option<Facility>)]) -> usize {
        let areas: Vec<Bbox> = changes
            .iter()
            .flat_map(|(before, after)| [before, after])
            .flatten()
            .map(|f| Bbox {
                min_x: f.location.lon,
                min_y: f.location.lat,
                max_x: f.location.lon,
                max_y: f.location.lat,
            })
            .collect();
        self.invalidate(FACILITIES_LAYER, &areas)
    }

    /// Drops the cached tiles a report at `at` shows in, for every cached source whose tiles
    /// follow reports ([`TileSource::areas_touched_by_report`]): call it once a report is filed
    /// or changes state, after the write committed. Looks the tiles up by address (a few dozen),
    /// whatever the size of the cache.
    pub fn report_written(&self, at: Wgs84) -> usize {
        let mut dropped = 0;
        for (id, source) in self.layers.iter() {
            let areas = source.areas_touched_by_report(at);
            if areas.is_empty() || source.per_caller() {
                continue;
            }
            let keys = self.keys_over(id, &areas);
            dropped += self.cache.remove(id, &keys);
        }
        dropped
    }

    /// The keys of the tiles of `source`, in every output system, whose buffered box meets one
    /// of `areas` at the zooms given with it.
    fn keys_over(
        &self,
        source: u16,
        areas: &[(std::ops::RangeInclusive<u8>, Bbox)],
    ) -> Vec<TileKey> {
        let mut keys = Vec::new();
        let share = f64::from(self.options.buffer) / f64::from(self.options.extent.max(1));
        for (zooms, wgs) in areas {
            for crs in TILE_CRSES {
                let b = match crs {
                    Crs::Wgs84 => *wgs,
                    crs => convert_box(*wgs, |lon, lat| crs.from_wgs84(Wgs84 { lon, lat })),
                };
                for z in zooms.clone() {
                    // The buffer, and a little more so that boxes meeting at an edge count.
                    let pad = 360.0 / f64::from(1u32 << z.min(30)) * (share + 0.01);
                    let bounds = LonLatBounds::new(
                        b.min_x - pad,
                        b.min_y - pad,
                        b.max_x + pad,
                        b.max_y + pad,
                    );
                    let Ok(range) = TileRange::covering(bounds, z) else {
                        continue;
                    };
                    keys.extend(range.iter().map(|tile| TileKey { source, tile, crs }));
                }
            }
        }
        keys
    }

    fn is_behind(&self, snapshot: &Snapshot) -> bool {
        let seen = self.seen_version.load(Ordering::SeqCst);
        seen == NOT_SEEN || seen < snapshot.version
    }

    fn source(&self, id: u16) -> Result<Arc<dyn TileSource>, RenderError> {
        self.layers
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, s)| s.clone())
            .ok_or(RenderError::UnknownSource(id))
    }

    /// The tile from the cache, or rendered from the current snapshot (and the store's reports,
    /// for sources that want them) and cached; tiles of per-caller sources are rendered for
    /// every request and never cached.
    pub async fn tile(
        self: &Arc<Self>,
        snapshots: &SnapshotCell,
        store: &dyn Store,
        key: TileKey,
        ask: TileAsk,
    ) -> Result<Arc<RenderedTile>, RenderError> {
        let current = snapshots.load();
        if self.is_behind(&current) {
            let tiles = self.clone();
            tokio::task::spawn_blocking(move || tiles.snapshot_swapped(&current))
                .await
                .map_err(|e| RenderError::Failed(e.to_string()))?;
        }
        let source = self.source(key.source)?;
        let cached = !source.per_caller();
        if cached {
            if let Some(hit) = self.cache.get(&key) {
                return Ok(hit);
            }
        }
        // Read the epoch before the data, so that a change in between keeps this render out.
        let epoch = self.cache.epoch(key.source);
        let snapshot = snapshots.load();
        let options = self.options;
        let wanted = source.reports_wanted(&TileRequest {
            caller: ask.caller.as_ref(),
            filter: &ask.filter,
            ..TileRequest::new(key.tile, key.crs, &snapshot, options)
        });
        let reports: Vec<ReportPoint> = match wanted {
            Some(query) => store.report_points(&query).await?,
            None => Vec::new(),
        };
        let _permit = self
            .renders
            .acquire()
            .await
            .map_err(|e| RenderError::Failed(e.to_string()))?;
        // Another request may have rendered it while this one waited for a permit.
        if cached {
            if let Some(hit) = self.cache.peek(&key) {
                return Ok(hit);
            }
        }
        let rendered = tokio::task::spawn_blocking(move || {
            let request = TileRequest {
                caller: ask.caller.as_ref(),
                filter: &ask.filter,
                reports: &reports,
                ..TileRequest::new(key.tile, key.crs, &snapshot, options)
            };
            Arc::new(RenderedTile::new(encode_tile(&source.render(&request))))
        })
        .await
        .map_err(|e| RenderError::Failed(e.to_string()))?;
        if cached {
            let area = buffered_wgs84_box(key.tile, self.options, key.crs);
            self.cache.insert(key, rendered.clone(), area, epoch);
        }
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
    encode_tile(&source.render(&TileRequest::new(tile, crs, snapshot, options)))
}
