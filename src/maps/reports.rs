//! The report layers: `reports`, the points of the reports a staff member may see (filtered by
//! state and category, never cached), and `report_heat`, the public heat map of open reports
//! counted on H3 cells whose resolution follows the zoom, cells of fewer than k reports left out.
//!
//! Both read their reports from the store per tile ([`TileSource::reports_wanted`]): a box query
//! on the location index (GiST on PostGIS, `(lon, lat)` on SQLite), so every service replica
//! draws what the store holds and nothing has to be kept in step in memory.

use std::collections::HashMap;
use std::ops::RangeInclusive;

use chrono::{SecondsFormat, Utc};
use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use h3o::{CellIndex, LatLng, Resolution};
use wangge_tiles::mvt::{Layer, LayerBuilder, PropertyValue, TileGeometry};

use super::layers::{TileRequest, TileSource, VectorLayer};
use crate::auth::{Action, Principal};
use crate::reports::State;
use crate::spatial::prepared::{metres_per_degree_lon, METRES_PER_DEGREE_LAT};
use crate::spatial::{Bbox, Wgs84};
use crate::store::reports::{PointQuery, ReportPoint};

/// The URL name and MVT layer name of the staff points.
pub const POINTS_LAYER: &str = "reports";
/// The URL name and MVT layer name of the public heat cells.
pub const HEAT_LAYER: &str = "report_heat";

/// Zooms of the staff points: from a district's streets down to a doorway.
pub const POINT_ZOOMS: RangeInclusive<u8> = 10..=22;
/// Points one staff tile holds at most, the newest first.
pub const MAX_POINTS_PER_TILE: u32 = 10_000;

/// Zooms of the heat cells. Beyond 16 the finest cells (about 350 m across) span several tiles
/// and clients overzoom them.
pub const HEAT_ZOOMS: RangeInclusive<u8> = 8..=16;
/// The finest heat resolution: cells of about 0.1 km², 174 m a side; the next (66 m) would come
/// close to locating a doorway.
pub const FINEST_HEAT_RESOLUTION: Resolution = Resolution::Nine;
/// Reports one heat tile counts at most (a z8 tile spans a whole city and its surroundings).
pub const MAX_HEAT_REPORTS: u32 = 500_000;

/// The MVT feature id of a report: FNV-1a of its id, cut to 53 bits so that JavaScript clients
/// (MapLibre's feature state) hold it exactly. Stable across tiles, zooms and restarts.
pub fn feature_id(report_id: &str) -> u64 {
    let hash = report_id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    hash & ((1 << 53) - 1)
}

/// The area filter of a caller: `None` for admins (everywhere), else their scopes.
fn area_of(caller: &Principal) -> Option<Vec<crate::units::UnitCode>> {
    (!caller.is_admin()).then(|| caller.scopes.clone())
}

/// The `reports` source: staff only, points of the reports located in the caller's area.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportPoints;

impl TileSource for ReportPoints {
    fn id(&self) -> &str {
        POINTS_LAYER
    }

    fn description(&self) -> String {
        "Reports in the caller's area as points (staff only; ?state= and ?category= narrow)"
            .to_owned()
    }

    fn zooms(&self) -> RangeInclusive<u8> {
        POINT_ZOOMS
    }

    fn vector_layers(&self) -> Vec<VectorLayer> {
        let fields = [
            ("id", "String"),
            ("category", "String"),
            ("state", "String"),
            ("overdue", "Boolean"),
            ("queue_unit", "String"),
            ("created_at", "String"),
        ];
        vec![VectorLayer {
            id: POINTS_LAYER.to_owned(),
            description: "one point per report: no reporter, no description".to_owned(),
            minzoom: *POINT_ZOOMS.start(),
            maxzoom: *POINT_ZOOMS.end(),
            fields: fields.iter().map(|(k, t)| ((*k).to_owned(), *t)).collect(),
        }]
    }

    fn visible_to(&self, caller: Option<&Principal>) -> bool {
        caller.is_some_and(|p| p.may(Action::ReadReports))
    }

    fn per_caller(&self) -> bool {
        true
    }

    fn filters(&self) -> &'static [&'static str] {
        &["state", "category"]
    }

    fn reports_wanted(&self, request: &TileRequest<'_>) -> Option<PointQuery> {
        let caller = request.caller.filter(|c| self.visible_to(Some(c)))?;
        Some(PointQuery {
            bbox: request.query_box(),
            within: area_of(caller),
            states: request.filter.states.clone(),
            categories: request.filter.categories.clone(),
            limit: MAX_POINTS_PER_TILE,
        })
    }

    fn render(&self, request: &TileRequest<'_>) -> Vec<Layer> {
        let Some(caller) = request.caller.filter(|c| self.visible_to(Some(c))) else {
            return Vec::new();
        };
        let now = Utc::now();
        // The store narrowed by area already; checked again so that no other path leaks.
        let shown: Vec<&ReportPoint> = request
            .reports
            .iter()
            .filter(|r| caller.covers(&r.unit_code))
            .collect();
        let points: Vec<geo_types::Point<f64>> = shown
            .iter()
            .map(|r| geo_types::Point::new(r.location.lon, r.location.lat))
            .collect();
        let anchors = request.pipeline().points(&points);
        let mut layer = LayerBuilder::new(POINTS_LAYER, request.options.extent);
        for (report, anchor) in shown.iter().zip(anchors) {
            let Some(anchor) = anchor else { continue };
            let props = [
                ("id", PropertyValue::from(report.id.as_str())),
                ("category", PropertyValue::from(report.category.as_str())),
                ("state", PropertyValue::from(report.state.as_str())),
                ("overdue", PropertyValue::from(report.is_overdue(now))),
                (
                    "queue_unit",
                    PropertyValue::from(report.queue_unit.as_str()),
                ),
                (
                    "created_at",
                    PropertyValue::from(
                        report.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                    ),
                ),
            ];
            layer.add_feature(
                Some(feature_id(&report.id)),
                &TileGeometry::from(anchor),
                props,
            );
        }
        vec![layer.build()]
    }
}

/// The H3 resolution of the heat cells at zoom `z`: two zooms per resolution (z10 → 7,
/// z12 → 8, z14 → 9), never finer than [`FINEST_HEAT_RESOLUTION`].
pub fn heat_resolution(z: u8) -> Resolution {
    let r = (z / 2 + 2).min(u8::from(FINEST_HEAT_RESOLUTION));
    Resolution::try_from(r).unwrap_or(FINEST_HEAT_RESOLUTION)
}

/// The states the heat map counts: open reports, where problems stand now.
pub fn heat_states() -> Vec<State> {
    State::ALL.into_iter().filter(|s| s.is_open()).collect()
}

/// The cell of a location at `resolution`; `None` for coordinates out of range.
pub fn cell_of(at: Wgs84, resolution: Resolution) -> Option<CellIndex> {
    LatLng::new(at.lat, at.lon)
        .ok()
        .map(|p| p.to_cell(resolution))
}

/// A cell's outline in lon/lat, closed.
pub fn cell_polygon(cell: CellIndex) -> Polygon<f64> {
    let mut ring: Vec<Coord<f64>> = cell
        .boundary()
        .iter()
        .map(|p| Coord {
            x: p.lng(),
            y: p.lat(),
        })
        .collect();
    if let Some(&first) = ring.first() {
        ring.push(first);
    }
    Polygon::new(LineString::new(ring), Vec::new())
}

fn cell_box(cell: CellIndex) -> Bbox {
    Bbox::of(&MultiPolygon::new(vec![cell_polygon(cell)]))
}

/// `b` grown by `metres` on every side.
fn grown(b: Bbox, metres: f64) -> Bbox {
    let lat = b.min_y.abs().max(b.max_y.abs()).min(89.0);
    let dx = metres / metres_per_degree_lon(lat).max(1.0);
    let dy = metres / METRES_PER_DEGREE_LAT;
    Bbox {
        min_x: b.min_x - dx,
        min_y: b.min_y - dy,
        max_x: b.max_x + dx,
        max_y: b.max_y + dy,
    }
}

/// Reports per cell at `resolution`, cells in index order.
pub fn count_cells(reports: &[ReportPoint], resolution: Resolution) -> Vec<(CellIndex, u32)> {
    let mut counts: HashMap<CellIndex, u32> = HashMap::new();
    for r in reports {
        if let Some(cell) = cell_of(r.location, resolution) {
            *counts.entry(cell).or_default() += 1;
        }
    }
    let mut cells: Vec<(CellIndex, u32)> = counts.into_iter().collect();
    cells.sort_unstable_by_key(|(c, _)| u64::from(*c));
    cells
}

/// The `report_heat` source: public, open reports counted per H3 cell; cells with fewer than
/// `min_count` reports are left out, so that no single report can be located.
#[derive(Debug, Clone, Copy)]
pub struct ReportHeat {
    min_count: u32,
}

impl ReportHeat {
    /// Publishes cells of at least `min_count` reports (at least 2: one report is never shown).
    pub fn new(min_count: u32) -> ReportHeat {
        ReportHeat {
            min_count: min_count.max(2),
        }
    }

    pub fn min_count(&self) -> u32 {
        self.min_count
    }
}

impl TileSource for ReportHeat {
    fn id(&self) -> &str {
        HEAT_LAYER
    }

    fn description(&self) -> String {
        format!(
            "Open reports counted on H3 cells (resolution 6 to 9 following the zoom); cells of fewer than {} reports are left out",
            self.min_count
        )
    }

    fn zooms(&self) -> RangeInclusive<u8> {
        HEAT_ZOOMS
    }

    fn vector_layers(&self) -> Vec<VectorLayer> {
        vec![VectorLayer {
            id: HEAT_LAYER.to_owned(),
            description: "H3 cells with their number of open reports".to_owned(),
            minzoom: *HEAT_ZOOMS.start(),
            maxzoom: *HEAT_ZOOMS.end(),
            fields: vec![("h3".to_owned(), "String"), ("count".to_owned(), "Number")],
        }]
    }

    fn reports_wanted(&self, request: &TileRequest<'_>) -> Option<PointQuery> {
        // A cell drawn at the tile's edge counts its reports beyond the edge too: the box grows
        // by more than a cell's widest extent (twice its edge, plus the spread of edge lengths).
        let resolution = heat_resolution(request.tile.z());
        Some(PointQuery {
            bbox: grown(request.query_box(), 3.0 * resolution.edge_length_m()),
            within: None,
            states: Some(heat_states()),
            categories: None,
            limit: MAX_HEAT_REPORTS,
        })
    }

    fn render(&self, request: &TileRequest<'_>) -> Vec<Layer> {
        let resolution = heat_resolution(request.tile.z());
        let window = request.query_box();
        let cells: Vec<(CellIndex, u32, MultiPolygon<f64>)> =
            count_cells(request.reports, resolution)
                .into_iter()
                .filter(|(_, n)| *n >= self.min_count)
                .map(|(c, n)| (c, n, MultiPolygon::new(vec![cell_polygon(c)])))
                .filter(|(_, _, g)| Bbox::of(g).intersects(&window))
                .collect();
        // One call for all cells, so that neighbours keep sharing their edges.
        let outlines = request.pipeline().polygons(cells.iter().map(|(_, _, g)| g));
        let mut layer = LayerBuilder::new(HEAT_LAYER, request.options.extent);
        for ((cell, count, _), outline) in cells.iter().zip(outlines) {
            layer.add_feature(
                Some(u64::from(*cell)),
                &TileGeometry::from(outline),
                [
                    ("h3", PropertyValue::from(cell.to_string())),
                    ("count", PropertyValue::from(*count)),
                ],
            );
        }
        vec![layer.build()]
    }

    fn areas_touched_by_report(&self, at: Wgs84) -> Vec<(RangeInclusive<u8>, Bbox)> {
        let mut areas: Vec<(RangeInclusive<u8>, Bbox)> = Vec::new();
        for z in HEAT_ZOOMS {
            let Some(cell) = cell_of(at, heat_resolution(z)) else {
                continue;
            };
            let b = cell_box(cell);
            match areas.last_mut() {
                Some((zooms, last)) if *last == b => *zooms = *zooms.start()..=z,
                _ => areas.push((z..=z, b)),
            }
        }
        areas
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spatial::{AssignRules, Crs, Snapshot};
    use crate::units::UnitCode;
    use chrono::Duration;
    use wangge_tiles::mvt::encode_tile;
    use wangge_tiles::{LonLat, TileCoord, TileOptions};

    fn point(id: &str, lon: f64, lat: f64, state: State) -> ReportPoint {
        let now = Utc::now();
        ReportPoint {
            id: id.to_owned(),
            location: Wgs84 { lon, lat },
            category: "noise".to_owned(),
            state,
            unit_code: UnitCode::parse("35020300100100101").expect("code"),
            queue_unit: UnitCode::parse("350203001001001").expect("code"),
            accept_due: now - Duration::hours(1),
            handle_due: now + Duration::hours(1),
            created_at: now,
        }
    }

    #[test]
    fn resolution_follows_the_zoom_and_stops_at_nine() {
        let got: Vec<u8> = [8, 10, 11, 12, 14, 16, 22]
            .map(|z| u8::from(heat_resolution(z)))
            .to_vec();
        assert_eq!(got, [6, 7, 7, 8, 9, 9, 9]);
        assert!(FINEST_HEAT_RESOLUTION.edge_length_m() > 100.0);
    }

    #[test]
    fn report_feature_ids_are_stable_and_fit_javascript_numbers() {
        assert_eq!(
            feature_id("R20261204ABCDEF0123456789"),
            feature_id("R20261204ABCDEF0123456789")
        );
        assert_ne!(feature_id("R1"), feature_id("R2"));
        assert!(feature_id("R20261204FFFFFFFFFFFFFFFF") < 1 << 53);
    }

    #[test]
    fn overdue_follows_the_deadline_of_the_state() {
        let now = Utc::now();
        assert!(point("a", 118.0, 24.0, State::Received).is_overdue(now));
        assert!(!point("a", 118.0, 24.0, State::Accepted).is_overdue(now));
        assert!(!point("a", 118.0, 24.0, State::Closed).is_overdue(now));
    }

    #[test]
    fn cells_below_the_minimum_are_left_out_and_counts_are_whole() {
        let heat = ReportHeat::new(3);
        let snap = Snapshot::build(Vec::new(), 1, AssignRules::default());
        let tile = TileCoord::containing(LonLat::new(118.05, 24.05), 12).expect("zoom");
        // Three reports a few metres apart (one cell), and one alone far from them.
        let reports = vec![
            point("a", 118.05, 24.05, State::Received),
            point("b", 118.05001, 24.05001, State::Received),
            point("c", 118.04999, 24.05002, State::Accepted),
            point("d", 118.07, 24.07, State::Received),
        ];
        let mut request = TileRequest::new(tile, Crs::Wgs84, &snap, TileOptions::default());
        request.reports = &reports;
        let layers = heat.render(&request);
        assert_eq!(layers[0].feature_count(), 1, "the lone report is not shown");
        let cells = count_cells(&reports, heat_resolution(12));
        let shown: Vec<u32> = cells.iter().map(|(_, n)| *n).filter(|n| *n >= 3).collect();
        assert_eq!(shown, [3]);
        request.reports = &reports[..2];
        assert!(encode_tile(&heat.render(&request)).is_empty());
        assert_eq!(
            ReportHeat::new(1).min_count(),
            2,
            "one report is never shown"
        );
    }

    #[test]
    fn a_report_touches_its_cell_at_each_resolution() {
        let at = Wgs84 {
            lon: 118.05,
            lat: 24.05,
        };
        let areas = ReportHeat::new(3).areas_touched_by_report(at);
        let zooms: Vec<(u8, u8)> = areas.iter().map(|(z, _)| (*z.start(), *z.end())).collect();
        assert_eq!(zooms, [(8, 9), (10, 11), (12, 13), (14, 16)]);
        for (_, b) in &areas {
            assert!(b.contains(at.lon, at.lat));
        }
        assert!(areas[0].1.max_x - areas[0].1.min_x > areas[3].1.max_x - areas[3].1.min_x);
    }

    #[test]
    fn points_need_a_caller_who_reads_reports() {
        let snap = Snapshot::build(Vec::new(), 1, AssignRules::default());
        let tile = TileCoord::containing(LonLat::new(118.05, 24.05), 14).expect("zoom");
        let request = TileRequest::new(tile, Crs::Wgs84, &snap, TileOptions::default());
        assert!(ReportPoints.reports_wanted(&request).is_none());
        assert!(ReportPoints.render(&request).is_empty());
        assert!(!ReportPoints.visible_to(None));
    }
}
