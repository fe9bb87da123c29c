//! The in-memory tile cache: bounded in bytes, least recently used tiles out first, split into
//! shards so that concurrent requests rarely wait on the same lock. Every entry remembers the
//! WGS84 box its tile draws, so a change evicts exactly the tiles over it and no others.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hash, Hasher, RandomState};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use rstar::primitives::Rectangle;
use rstar::{RTree, AABB};
use wangge_tiles::TileCoord;

use crate::spatial::{Bbox, Crs};

/// One encoded tile, with its gzip form when it has content, and the hash its ETags are made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedTile {
    mvt: Bytes,
    gzip: Option<Bytes>,
    hash: u64,
}

impl RenderedTile {
    /// Wraps an encoded tile, compressing it once for every client that accepts gzip.
    pub fn new(mvt: Vec<u8>) -> RenderedTile {
        let hash = fnv1a(&mvt);
        let gzip = (!mvt.is_empty()).then(|| gzip(&mvt)).flatten();
        RenderedTile {
            mvt: Bytes::from(mvt),
            gzip,
            hash,
        }
    }

    /// The encoded tile; empty when nothing of the layer lies in the tile.
    pub fn mvt(&self) -> &Bytes {
        &self.mvt
    }

    pub fn gzip(&self) -> Option<&Bytes> {
        self.gzip.as_ref()
    }

    /// The strong ETag of one representation: the content hash, marked for the gzip form
    /// (the two representations differ byte for byte, so their strong tags must differ too).
    /// Content-derived, so an unchanged tile keeps its tag across snapshot swaps, evictions and
    /// service replicas.
    pub fn etag(&self, gzipped: bool) -> String {
        if gzipped {
            format!("\"{:016x}-gz\"", self.hash)
        } else {
            format!("\"{:016x}\"", self.hash)
        }
    }

    /// Memory held, for the cache budget.
    pub fn bytes(&self) -> usize {
        self.mvt.len() + self.gzip.as_ref().map_or(0, Bytes::len)
    }
}

fn gzip(data: &[u8]) -> Option<Bytes> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 2),
        flate2::Compression::default(),
    );
    encoder.write_all(data).ok()?;
    encoder.finish().ok().map(Bytes::from)
}

/// 64-bit FNV-1a: stable across builds and machines, unlike the standard library's hasher.
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A cached tile: which source, which address, which output coordinate system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileKey {
    pub source: u16,
    pub tile: TileCoord,
    pub crs: Crs,
}

impl Hash for TileKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.source.hash(state);
        self.tile.hash(state);
        (self.crs as u8).hash(state);
    }
}

/// What the cache did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CacheStats {
    pub entries: usize,
    pub bytes: usize,
    pub hits: u64,
    pub misses: u64,
    /// Tiles pushed out to stay within the budget.
    pub evicted: u64,
    /// Tiles dropped because the data under them changed.
    pub invalidated: u64,
}

/// Bookkeeping per entry (key, box, map and order slots), counted against the budget.
const ENTRY_OVERHEAD: usize = 160;

struct Entry {
    tile: Arc<RenderedTile>,
    area: Bbox,
    bytes: usize,
    tick: u64,
}

#[derive(Default)]
struct Shard {
    entries: HashMap<TileKey, Entry>,
    /// Last use → key; the first is the least recently used.
    order: BTreeMap<u64, TileKey>,
    tick: u64,
    bytes: usize,
}

impl Shard {
    fn remove(&mut self, key: &TileKey) -> Option<Entry> {
        let entry = self.entries.remove(key)?;
        self.order.remove(&entry.tick);
        self.bytes -= entry.bytes;
        Some(entry)
    }
}

/// Invalidation counters kept apart: sources numbered alike modulo this share one. Apart, so
/// that frequent report writes do not keep the renders of unit tiles out of the cache.
const EPOCH_SLOTS: usize = 8;

/// The tile cache. Writers of data call [`TileCache::invalidate`] or [`TileCache::remove`] after
/// their change is visible to readers; a render that started before an invalidation of its
/// source is not stored (see [`TileCache::epoch`]), so no stale tile outlives a change.
pub struct TileCache {
    shards: Box<[Mutex<Shard>]>,
    shard_budget: usize,
    hasher: RandomState,
    epochs: [AtomicU64; EPOCH_SLOTS],
    hits: AtomicU64,
    misses: AtomicU64,
    evicted: AtomicU64,
    invalidated: AtomicU64,
}

fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    // A panic while holding the lock leaves a consistent map (every update is one step).
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

impl TileCache {
    /// A cache of at most `max_bytes` in 16 shards.
    pub fn new(max_bytes: usize) -> TileCache {
        TileCache::with_shards(max_bytes, 16)
    }

    /// A cache of at most `max_bytes` split evenly in `shards` (at least one).
    pub fn with_shards(max_bytes: usize, shards: usize) -> TileCache {
        let shards = shards.max(1);
        TileCache {
            shards: (0..shards).map(|_| Mutex::new(Shard::default())).collect(),
            shard_budget: max_bytes / shards,
            hasher: RandomState::new(),
            epochs: Default::default(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            evicted: AtomicU64::new(0),
            invalidated: AtomicU64::new(0),
        }
    }

    fn shard(&self, key: &TileKey) -> &Mutex<Shard> {
        let i = self.hasher.hash_one(key) as usize % self.shards.len();
        &self.shards[i]
    }

    /// The cached tile, marked as just used; counted as a hit or a miss.
    pub fn get(&self, key: &TileKey) -> Option<Arc<RenderedTile>> {
        let found = self.peek(key);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// The cached tile, marked as just used, without counting a hit or a miss.
    pub fn peek(&self, key: &TileKey) -> Option<Arc<RenderedTile>> {
        let mut shard = lock(self.shard(key));
        let shard = &mut *shard;
        shard.tick += 1;
        let tick = shard.tick;
        let entry = shard.entries.get_mut(key)?;
        shard.order.remove(&entry.tick);
        entry.tick = tick;
        shard.order.insert(tick, *key);
        Some(entry.tile.clone())
    }

    /// Whether the tile is cached, without counting a hit or changing its place.
    pub fn contains(&self, key: &TileKey) -> bool {
        lock(self.shard(key)).entries.contains_key(key)
    }

    /// Read before taking the data a tile of `source` is rendered from, and hand to
    /// [`TileCache::insert`].
    pub fn epoch(&self, source: u16) -> u64 {
        self.epoch_slot(source).load(Ordering::SeqCst)
    }

    fn epoch_slot(&self, source: u16) -> &AtomicU64 {
        &self.epochs[usize::from(source) % EPOCH_SLOTS]
    }

    /// Marks renders in flight of `source` (every source when `None`) as too old to store.
    fn bump(&self, source: Option<u16>) {
        match source {
            Some(s) => {
                self.epoch_slot(s).fetch_add(1, Ordering::SeqCst);
            }
            None => {
                for e in &self.epochs {
                    e.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
    }

    /// Stores a tile rendered from data read after `epoch` was taken; refused (returns `false`)
    /// when an invalidation came in between, or when the tile alone exceeds a shard's budget.
    /// `area` is the WGS84 box the tile draws, buffer included.
    pub fn insert(&self, key: TileKey, tile: Arc<RenderedTile>, area: Bbox, epoch: u64) -> bool {
        let bytes = tile.bytes() + ENTRY_OVERHEAD;
        if bytes > self.shard_budget {
            return false;
        }
        let mut shard = lock(self.shard(&key));
        // Checked under the shard lock: an invalidation bumps the epoch before it takes the
        // shard locks, so it either sees this entry or this insert sees the new epoch.
        if self.epoch(key.source) != epoch {
            return false;
        }
        shard.remove(&key);
        while shard.bytes + bytes > self.shard_budget {
            let Some((_, oldest)) = shard.order.pop_first() else {
                break;
            };
            if let Some(entry) = shard.entries.remove(&oldest) {
                shard.bytes -= entry.bytes;
                self.evicted.fetch_add(1, Ordering::Relaxed);
            }
        }
        shard.tick += 1;
        let tick = shard.tick;
        shard.order.insert(tick, key);
        shard.bytes += bytes;
        shard.entries.insert(
            key,
            Entry {
                tile,
                area,
                bytes,
                tick,
            },
        );
        true
    }

    /// Drops the tiles of `source` (every source when `None`) whose box meets one of `areas`
    /// (WGS84); returns how many. Renders in flight are not stored afterwards.
    pub fn invalidate(&self, source: Option<u16>, areas: &[Bbox]) -> usize {
        self.bump(source);
        if areas.is_empty() {
            return 0;
        }
        let index = RTree::bulk_load(
            areas
                .iter()
                .map(|b| Rectangle::from_corners([b.min_x, b.min_y], [b.max_x, b.max_y]))
                .collect(),
        );
        let touched = |area: &Bbox| {
            let env = AABB::from_corners([area.min_x, area.min_y], [area.max_x, area.max_y]);
            index.locate_in_envelope_intersecting(&env).next().is_some()
        };
        self.drop_where(|key, area| source.is_none_or(|s| s == key.source) && touched(area))
    }

    /// Drops every tile; renders in flight are not stored afterwards.
    pub fn clear(&self) -> usize {
        self.bump(None);
        self.drop_where(|_, _| true)
    }

    /// Drops exactly these tiles of `source` (keys of other sources are skipped); renders in
    /// flight of `source` are not stored afterwards. Costs a lookup per key, however many tiles
    /// are cached: for writers that know which tiles they touch.
    pub fn remove(&self, source: u16, keys: &[TileKey]) -> usize {
        self.bump(Some(source));
        let mut dropped = 0;
        for key in keys.iter().filter(|k| k.source == source) {
            if lock(self.shard(key)).remove(key).is_some() {
                dropped += 1;
            }
        }
        self.invalidated
            .fetch_add(dropped as u64, Ordering::Relaxed);
        dropped
    }

    fn drop_where(&self, doomed: impl Fn(&TileKey, &Bbox) -> bool) -> usize {
        let mut dropped = 0;
        for shard in self.shards.iter() {
            let mut shard = lock(shard);
            let keys: Vec<TileKey> = shard
                .entries
                .iter()
                .filter(|(k, e)| doomed(k, &e.area))
                .map(|(k, _)| *k)
                .collect();
            for key in keys {
                shard.remove(&key);
                dropped += 1;
            }
        }
        self.invalidated
            .fetch_add(dropped as u64, Ordering::Relaxed);
        dropped
    }

    pub fn stats(&self) -> CacheStats {
        let (mut entries, mut bytes) = (0, 0);
        for shard in self.shards.iter() {
            let shard = lock(shard);
            entries += shard.entries.len();
            bytes += shard.bytes;
        }
        CacheStats {
            entries,
            bytes,
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            evicted: self.evicted.load(Ordering::Relaxed),
            invalidated: self.invalidated.load(Ordering::Relaxed),
        }
    }
}

impl std::fmt::Debug for TileCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TileCache")
            .field("shards", &self.shards.len())
            .field("shard_budget", &self.shard_budget)
            .field("stats", &self.stats())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(x: u32) -> TileKey {
        TileKey {
            source: 0,
            tile: TileCoord::new(10, x, 0).expect("tile"),
            crs: Crs::Wgs84,
        }
    }

    fn tile(len: usize) -> Arc<RenderedTile> {
        Arc::new(RenderedTile::new(vec![7; len]))
    }

    fn area(x: f64) -> Bbox {
        Bbox {
            min_x: x,
            min_y: 0.0,
            max_x: x + 1.0,
            max_y: 1.0,
        }
    }

    #[test]
    fn least_recently_used_goes_first_when_over_budget() {
        let each = tile(1000).bytes() + ENTRY_OVERHEAD;
        let cache = TileCache::with_shards(3 * each, 1);
        for x in 0..3 {
            assert!(cache.insert(key(x), tile(1000), area(f64::from(x)), cache.epoch(0)));
        }
        assert!(cache.get(&key(0)).is_some());
        assert!(cache.insert(key(3), tile(1000), area(3.0), cache.epoch(0)));
        assert!(cache.contains(&key(0)), "recently used, kept");
        assert!(!cache.contains(&key(1)), "least recently used, evicted");
        let stats = cache.stats();
        assert_eq!((stats.entries, stats.evicted), (3, 1));
        assert!(stats.bytes <= 3 * each);
    }

    #[test]
    fn invalidation_drops_only_tiles_over_the_changed_area() {
        let cache = TileCache::new(1 << 20);
        for x in 0..10 {
            cache.insert(key(x), tile(10), area(f64::from(x) * 10.0), cache.epoch(0));
        }
        let dropped = cache.invalidate(Some(0), &[area(20.5)]);
        assert_eq!(dropped, 1);
        assert!(!cache.contains(&key(2)));
        assert!(cache.contains(&key(1)) && cache.contains(&key(3)));
        assert_eq!(cache.invalidate(Some(1), &[area(30.5)]), 0, "other source");
    }

    #[test]
    fn a_render_started_before_an_invalidation_is_not_stored() {
        let cache = TileCache::new(1 << 20);
        let before = cache.epoch(0);
        cache.invalidate(None, &[area(500.0)]);
        assert!(!cache.insert(key(1), tile(10), area(0.0), before));
        assert!(cache.insert(key(1), tile(10), area(0.0), cache.epoch(0)));
    }

    #[test]
    fn an_invalidation_of_one_source_keeps_renders_of_another() {
        let cache = TileCache::new(1 << 20);
        let (units, heat) = (cache.epoch(0), cache.epoch(1));
        cache.invalidate(Some(1), &[area(500.0)]);
        assert!(cache.insert(key(1), tile(10), area(0.0), units));
        let mut other = key(2);
        other.source = 1;
        assert!(!cache.insert(other, tile(10), area(0.0), heat));
    }

    #[test]
    fn removing_keys_drops_those_tiles_of_that_source_only() {
        let cache = TileCache::new(1 << 20);
        for x in 0..4 {
            cache.insert(key(x), tile(10), area(0.0), cache.epoch(0));
        }
        let mut foreign = key(3);
        foreign.source = 1;
        assert_eq!(cache.remove(0, &[key(1), key(2), foreign, key(9)]), 2);
        assert!(cache.contains(&key(0)) && cache.contains(&key(3)));
        assert!(!cache.contains(&key(1)) && !cache.contains(&key(2)));
        assert_eq!(cache.stats().invalidated, 2);
    }

    #[test]
    fn etags_follow_content_and_differ_per_encoding() {
        let a = RenderedTile::new(vec![1, 2, 3]);
        let b = RenderedTile::new(vec![1, 2, 3]);
        let c = RenderedTile::new(vec![1, 2, 4]);
        assert_eq!(a.etag(false), b.etag(false));
        assert_ne!(a.etag(false), c.etag(false));
        assert_ne!(a.etag(false), a.etag(true));
        assert!(a.etag(true).starts_with('"') && a.etag(true).ends_with('"'));
        assert!(RenderedTile::new(Vec::new()).gzip().is_none());
    }
}
