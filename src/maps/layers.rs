//! The registry of tile layers served under `/tiles/{layer}/...`. Each layer is a [`TileSource`]:
//! it names its MVT layers (for TileJSON), renders one tile from the data it follows, and says
//! which areas went stale when the snapshot changed. Sources: `units`, the staff `reports`
//! points and the public `report_heat` cells; facilities plug in when their module exists (see
//! docs/architecture.md, "Vector tiles").

use std::ops::RangeInclusive;
use std::sync::Arc;

use wangge_tiles::mvt::Layer;
use wangge_tiles::{Mercator, TileCoord, TileOptions, TilePipeline};

use crate::auth::Principal;
use crate::reports::State;
use crate::spatial::{Bbox, Crs, Snapshot, Wgs84};
use crate::store::reports::{PointQuery, ReportPoint};

/// The deepest zoom any layer serves.
pub const MAX_SERVED_ZOOM: u8 = 22;

/// The layer parameters of a tile request besides `crs`, checked by the route against what the
/// source reads ([`TileSource::filters`]); `None`: not narrowed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LayerFilter {
    /// `state=received,dispatched`
    pub states: Option<Vec<State>>,
    /// `category=noise,litter`: codes of the dispatch catalogue.
    pub categories: Option<Vec<String>>,
}

static NO_FILTER: LayerFilter = LayerFilter {
    states: None,
    categories: None,
};

/// One tile asked of a source: the address, the output coordinate system, the snapshot current
/// when the request came in, who asks with which layer parameters, and the reports the source
/// asked for.
#[derive(Debug, Clone, Copy)]
pub struct TileRequest<'a> {
    pub tile: TileCoord,
    pub crs: Crs,
    pub snapshot: &'a Snapshot,
    pub options: TileOptions,
    /// The caller; `None` for the anonymous public.
    pub caller: Option<&'a Principal>,
    pub filter: &'a LayerFilter,
    /// The reports [`TileSource::reports_wanted`] asked for, read from the store before the
    /// render; empty for sources that want none.
    pub reports: &'a [ReportPoint],
}

impl<'a> TileRequest<'a> {
    /// A request of the anonymous public, without layer parameters or reports.
    pub fn new(
        tile: TileCoord,
        crs: Crs,
        snapshot: &'a Snapshot,
        options: TileOptions,
    ) -> TileRequest<'a> {
        TileRequest {
            tile,
            crs,
            snapshot,
            options,
            caller: None,
            filter: &NO_FILTER,
            reports: &[],
        }
    }

    /// The pipeline for this tile, converting WGS84 to the output system first.
    pub fn pipeline(&self) -> TilePipeline<'static> {
        let pipeline = TilePipeline::new(self.tile, self.options);
        match self.crs {
            Crs::Wgs84 => pipeline,
            crs => pipeline.with_transform(move |lon, lat| crs.from_wgs84(Wgs84 { lon, lat })),
        }
    }

    /// The WGS84 box holding everything that can show in the tile and its buffer.
    pub fn query_box(&self) -> Bbox {
        buffered_wgs84_box(self.tile, self.options, self.crs)
    }
}

/// Degrees added around boxes converted between WGS84 and GCJ-02: the offset between the two
/// varies by far less than this (about 10 m) across a tile.
const DATUM_MARGIN_DEG: f64 = 1e-4;

/// The WGS84 box of a tile grown by its buffer, for a tile drawn in `crs`.
pub fn buffered_wgs84_box(tile: TileCoord, options: TileOptions, crs: Crs) -> Bbox {
    let m = tile.bounds_mercator();
    let pad = (m.max_x - m.min_x) * f64::from(options.buffer) / f64::from(options.extent.max(1));
    let sw = Mercator::new(m.min_x - pad, m.min_y - pad).to_lon_lat();
    let ne = Mercator::new(m.max_x + pad, m.max_y + pad).to_lon_lat();
    let drawn = Bbox {
        min_x: sw.lon,
        min_y: sw.lat,
        max_x: ne.lon,
        max_y: ne.lat,
    };
    match crs {
        Crs::Wgs84 => drawn,
        crs => convert_box(drawn, |lon, lat| {
            let w = crs.to_wgs84(lon, lat);
            (w.lon, w.lat)
        }),
    }
}

/// The box of the corners and edge midpoints of `b` after `f`, grown by [`DATUM_MARGIN_DEG`]:
/// enough for the smooth, nearly constant datum shifts between WGS84 and GCJ-02 or BD-09.
pub fn convert_box(b: Bbox, f: impl Fn(f64, f64) -> (f64, f64)) -> Bbox {
    let (mx, my) = ((b.min_x + b.max_x) / 2.0, (b.min_y + b.max_y) / 2.0);
    let samples = [
        (b.min_x, b.min_y),
        (mx, b.min_y),
        (b.max_x, b.min_y),
        (b.max_x, my),
        (b.max_x, b.max_y),
        (mx, b.max_y),
        (b.min_x, b.max_y),
        (b.min_x, my),
    ];
    let mut out = Bbox::EMPTY;
    for (x, y) in samples {
        let (x, y) = f(x, y);
        out = out.union(&Bbox {
            min_x: x,
            min_y: y,
            max_x: x,
            max_y: y,
        });
    }
    Bbox {
        min_x: out.min_x - DATUM_MARGIN_DEG,
        min_y: out.min_y - DATUM_MARGIN_DEG,
        max_x: out.max_x + DATUM_MARGIN_DEG,
        max_y: out.max_y + DATUM_MARGIN_DEG,
    }
}

/// One MVT layer of a source as TileJSON 3.0 describes it in `vector_layers`.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorLayer {
    pub id: String,
    pub description: String,
    pub minzoom: u8,
    pub maxzoom: u8,
    /// Property name and its type as TileJSON tools expect it (`String`, `Number`, `Boolean`).
    pub fields: Vec<(String, &'static str)>,
}

/// A layer of `/tiles/{id}/{z}/{x}/{y}.mvt`.
///
/// A source renders from data it can reach: the snapshot in the request, or data of its own
/// module captured when the source is built. Sources that follow the snapshot report what a
/// swap changed through [`TileSource::changed_areas`]; sources that follow other data (facilities,
/// reports, household counts) call [`crate::maps::MapTiles::invalidate`] when that data changes.
pub trait TileSource: Send + Sync {
    /// The name in the URL, e.g. `units`.
    fn id(&self) -> &str;

    /// What the layer shows, for TileJSON.
    fn description(&self) -> String;

    /// The zooms served; addresses outside get 404.
    fn zooms(&self) -> RangeInclusive<u8>;

    /// The MVT layers a tile of this source may hold.
    fn vector_layers(&self) -> Vec<VectorLayer>;

    /// The MVT layers of one tile; layers without features are left out when encoding.
    fn render(&self, request: &TileRequest<'_>) -> Vec<Layer>;

    /// WGS84 boxes whose tiles are stale after the snapshot went from `old` to `new`.
    fn changed_areas(&self, old: &Snapshot, new: &Snapshot) -> Vec<Bbox> {
        let _ = (old, new);
        Vec::new()
    }

    /// Whether `caller` (`None`: the anonymous public) may see the layer at all. To a caller who
    /// may not, the layer does not exist: its tiles and TileJSON answer 404 `unknown_layer` as
    /// a missing layer's do, and it is left out of the layers that answer lists.
    fn visible_to(&self, caller: Option<&Principal>) -> bool {
        let _ = caller;
        true
    }

    /// Whether a tile depends on who asks (their area): such tiles are rendered for every
    /// request and never cached.
    fn per_caller(&self) -> bool {
        false
    }

    /// The query parameters the layer reads besides `crs` (`state`, `category`); others are
    /// refused with 400.
    fn filters(&self) -> &'static [&'static str] {
        &[]
    }

    /// The reports a tile needs, read from the store into [`TileRequest::reports`] before the
    /// render; `None` for sources drawn from the snapshot alone.
    fn reports_wanted(&self, request: &TileRequest<'_>) -> Option<PointQuery> {
        let _ = request;
        None
    }

    /// Where a tile goes stale when a report at `at` is written (filed, or moved into or out of
    /// the states the layer shows): WGS84 boxes with the zooms they matter at. The cache drops
    /// the tiles over them at those zooms, looked up by address, for sources whose tiles follow
    /// reports and are cached.
    fn areas_touched_by_report(&self, at: Wgs84) -> Vec<(RangeInclusive<u8>, Bbox)> {
        let _ = at;
        Vec::new()
    }
}

/// The tile layers of the service, looked up by name.
#[derive(Clone)]
pub struct LayerRegistry {
    sources: Vec<Arc<dyn TileSource>>,
}

impl LayerRegistry {
    /// The sources, in the order TileJSON and the cache number them. Ids must be unique: the
    /// first of a repeated id wins.
    pub fn new(sources: Vec<Arc<dyn TileSource>>) -> LayerRegistry {
        LayerRegistry { sources }
    }

    /// The source called `id` and its number (the cache keys on the number).
    pub fn find(&self, id: &str) -> Option<(u16, &Arc<dyn TileSource>)> {
        self.sources
            .iter()
            .enumerate()
            .find(|(_, s)| s.id() == id)
            .and_then(|(i, s)| Some((u16::try_from(i).ok()?, s)))
    }

    pub fn iter(&self) -> impl Iterator<Item = (u16, &Arc<dyn TileSource>)> {
        self.sources
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((u16::try_from(i).ok()?, s)))
    }

    pub fn len(&self) -> usize {
        self.sources.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }
}

impl std::fmt::Debug for LayerRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.sources.iter().map(|s| s.id().to_owned()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wangge_tiles::LonLat;

    #[test]
    fn buffered_box_grows_the_tile_by_the_buffer() {
        let tile = TileCoord::containing(LonLat::new(118.09, 24.48), 14).expect("zoom ok");
        let b = tile.bounds_lon_lat();
        let q = buffered_wgs84_box(tile, TileOptions::default(), Crs::Wgs84);
        let pad = (b.east - b.west) * 64.0 / 4096.0;
        assert!((q.min_x - (b.west - pad)).abs() < 1e-9);
        assert!((q.max_x - (b.east + pad)).abs() < 1e-9);
        assert!(q.min_y < b.south && q.max_y > b.north);
    }

    #[test]
    fn gcj02_tile_box_in_wgs84_is_the_tile_box_moved_back_by_the_datum_offset() {
        let tile = TileCoord::containing(LonLat::new(118.09, 24.48), 14).expect("zoom ok");
        let own = buffered_wgs84_box(tile, TileOptions::default(), Crs::Wgs84);
        let gcj = buffered_wgs84_box(tile, TileOptions::default(), Crs::Gcj02);
        let centre = Wgs84 {
            lon: (own.min_x + own.max_x) / 2.0,
            lat: (own.min_y + own.max_y) / 2.0,
        };
        let (glon, glat) = Crs::Gcj02.from_wgs84(centre);
        let (dx, dy) = (glon - centre.lon, glat - centre.lat);
        assert!(
            dx.abs() > 1e-3,
            "the offset in Xiamen is hundreds of metres"
        );
        for (got, want) in [
            (gcj.min_x, own.min_x - dx),
            (gcj.max_x, own.max_x - dx),
            (gcj.min_y, own.min_y - dy),
            (gcj.max_y, own.max_y - dy),
        ] {
            assert!(
                (got - want).abs() < 1.5 * DATUM_MARGIN_DEG,
                "{got} vs {want}"
            );
        }
    }
}
