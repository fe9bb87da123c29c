//! The `units` tile layer: the outlines of every level as one MVT layer per level (`district`,
//! `street`, `community`, `grid`, `micro_grid`), each from its own zoom, and `unit_labels`, one
//! label point inside each unit shown.

use std::borrow::Cow;
use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use arc_swap::ArcSwap;
use geo::{InteriorPoint, MultiPolygon, Point};
use geo_types::Coord;
use wangge_tiles::clip::{clip_multi_polygon, ClipRect};
use wangge_tiles::mvt::{Layer, LayerBuilder, PropertyValue, TileGeometry};

use super::layers::{TileRequest, TileSource, VectorLayer, MAX_SERVED_ZOOM};
use crate::spatial::{Bbox, Snapshot};
use crate::units::{Level, Unit};

/// The name of the label point layer.
pub const LABEL_LAYER: &str = "unit_labels";

/// Properties the outlines carry and the labels leave out: a label needs what it writes (name,
/// counts) and what it is filtered by (code, level).
const OUTLINE_ONLY: [&str; 2] = ["parent", "version"];

/// The first zoom at which each level is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelZooms([u8; 5]);

impl LevelZooms {
    pub fn min_zoom(&self, level: Level) -> u8 {
        self.0[level.depth()]
    }

    /// The shallowest zoom at which any level is drawn.
    pub fn first(&self) -> u8 {
        self.0.iter().copied().min().unwrap_or(0)
    }

    pub fn shows(&self, level: Level, z: u8) -> bool {
        self.min_zoom(level) <= z
    }
}

impl Default for LevelZooms {
    /// Districts from 8, streets from 11, communities from 13, grids from 14, micro-grids from 16.
    fn default() -> Self {
        LevelZooms([8, 11, 13, 14, 16])
    }
}

impl FromStr for LevelZooms {
    type Err = String;

    /// `district=8,street=11,community=13,grid=14,micro_grid=16`; levels left out keep their
    /// default.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut zooms = LevelZooms::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (level, z) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}`: expected level=zoom, e.g. street=11"))?;
            let level: Level = level.trim().parse()?;
            let z: u8 = z
                .trim()
                .parse()
                .map_err(|_| format!("`{part}`: the zoom must be a whole number 0..=22"))?;
            if z > MAX_SERVED_ZOOM {
                return Err(format!(
                    "`{part}`: zoom {z} is deeper than {MAX_SERVED_ZOOM}"
                ));
            }
            zooms.0[level.depth()] = z;
        }
        Ok(zooms)
    }
}

impl fmt::Display for LevelZooms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, level) in Level::ALL.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            write!(f, "{sep}{}={}", level.as_str(), self.min_zoom(*level))?;
        }
        Ok(())
    }
}

/// A figure per unit published as a property of the unit layers. Today: the number of child
/// units. Households, residents and open reports become further counts when their modules exist;
/// a count that follows data other than the snapshot must call
/// [`crate::maps::MapTiles::invalidate`] for the unit's box when its figure changes.
pub trait UnitCount: Send + Sync {
    /// The property name, e.g. `children`.
    fn property(&self) -> &'static str;
    fn description(&self) -> &'static str;
    fn count(&self, snapshot: &Snapshot, unit: u32) -> u64;
}

/// The number of direct child units.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChildUnits;

impl UnitCount for ChildUnits {
    fn property(&self) -> &'static str {
        "children"
    }

    fn description(&self) -> &'static str {
        "number of direct child units"
    }

    fn count(&self, snapshot: &Snapshot, unit: u32) -> u64 {
        snapshot.children_of(unit).len() as u64
    }
}

/// The label points of one snapshot, each computed on first use: finding a point inside a
/// polygon costs far more than drawing it, and every tile the unit touches needs the same one.
struct LabelPoints {
    version: u64,
    points: Vec<OnceLock<Option<Point<f64>>>>,
}

impl LabelPoints {
    fn new(snapshot: &Snapshot) -> LabelPoints {
        LabelPoints {
            version: snapshot.version,
            points: (0..snapshot.len()).map(|_| OnceLock::new()).collect(),
        }
    }

    fn get(&self, snapshot: &Snapshot, unit: u32) -> Option<Point<f64>> {
        *self.points[unit as usize].get_or_init(|| label_point(snapshot.unit(unit)))
    }
}

/// Outlines with more vertices than this are cut down to the tile's neighbourhood (in lon/lat,
/// no trigonometry) before the pipeline projects every vertex.
const PRECLIP_VERTICES: usize = 64;

/// The `units` source.
pub struct UnitLayers {
    zooms: LevelZooms,
    max_zoom: u8,
    counts: Vec<Box<dyn UnitCount>>,
    labels: ArcSwap<LabelPoints>,
}

impl UnitLayers {
    /// Levels from their `zooms` down to `max_zoom` (at most 22), with the child count.
    pub fn new(zooms: LevelZooms, max_zoom: u8) -> UnitLayers {
        UnitLayers {
            zooms,
            max_zoom: max_zoom.min(MAX_SERVED_ZOOM),
            counts: vec![Box::new(ChildUnits)],
            labels: ArcSwap::from_pointee(LabelPoints {
                version: u64::MAX,
                points: Vec::new(),
            }),
        }
    }

    /// The label points of `snapshot`: shared while it is the newest seen, private otherwise.
    fn labels_for(&self, snapshot: &Snapshot) -> Arc<LabelPoints> {
        let current = self.labels.load_full();
        if current.version == snapshot.version && current.points.len() == snapshot.len() {
            return current;
        }
        let fresh = Arc::new(LabelPoints::new(snapshot));
        if current.version == u64::MAX || current.version < snapshot.version {
            self.labels.store(fresh.clone());
        }
        fresh
    }

    /// Adds a count published with every unit.
    pub fn with_count(mut self, count: Box<dyn UnitCount>) -> UnitLayers {
        self.counts.push(count);
        self
    }

    pub fn level_zooms(&self) -> LevelZooms {
        self.zooms
    }

    fn properties(&self, snapshot: &Snapshot, index: u32) -> Vec<(&'static str, PropertyValue)> {
        let unit = snapshot.unit(index);
        let mut props = Vec::with_capacity(5 + self.counts.len());
        props.push(("code", PropertyValue::from(unit.code.as_str())));
        props.push(("name", PropertyValue::from(unit.name.as_str())));
        props.push(("level", PropertyValue::from(unit.level.as_str())));
        if let Some(parent) = &unit.parent {
            props.push(("parent", PropertyValue::from(parent.as_str())));
        }
        props.push(("version", PropertyValue::from(unit.version)));
        for count in &self.counts {
            let n = count.count(snapshot, index);
            props.push((count.property(), PropertyValue::from(n)));
        }
        props
    }

    fn fields(&self) -> Vec<(String, &'static str)> {
        let mut fields: Vec<(String, &'static str)> = ["code", "name", "level", "parent"]
            .into_iter()
            .map(|f| (f.to_owned(), "String"))
            .collect();
        fields.push(("version".to_owned(), "Number"));
        fields.extend(
            self.counts
                .iter()
                .map(|c| (c.property().to_owned(), "Number")),
        );
        fields
    }

    /// What a tile shows of a unit: its version and counts (the code is the key).
    fn differs(&self, old: &Snapshot, i: u32, new: &Snapshot, j: u32) -> bool {
        old.unit(i).version != new.unit(j).version
            || self
                .counts
                .iter()
                .any(|c| c.count(old, i) != c.count(new, j))
    }
}

/// The MVT feature id of a unit: its code read as a number (codes are at most 17 digits).
pub fn feature_id(unit: &Unit) -> Option<u64> {
    unit.code.as_str().parse().ok()
}

/// Where a unit's label goes: a point inside it (on its widest part).
pub fn label_point(unit: &Unit) -> Option<Point<f64>> {
    unit.geometry.interior_point()
}

fn vertex_count(geometry: &MultiPolygon<f64>) -> usize {
    geometry
        .0
        .iter()
        .map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>())
        .sum()
}

/// A large outline cut to `near` (lon/lat), which holds the tile and its buffer with a wide
/// margin: the pipeline then projects and clips only what lies around the tile. The pieces
/// inside the tile are the original segments, so the result is the same; the margin keeps the
/// cut edges, straight in lon/lat but not in Web Mercator, well outside the drawn window.
fn near_tile<'g>(geometry: &'g MultiPolygon<f64>, near: &ClipRect) -> Cow<'g, MultiPolygon<f64>> {
    if vertex_count(geometry) <= PRECLIP_VERTICES {
        Cow::Borrowed(geometry)
    } else {
        Cow::Owned(clip_multi_polygon(geometry, near))
    }
}

impl TileSource for UnitLayers {
    fn id(&self) -> &str {
        "units"
    }

    fn description(&self) -> String {
        format!(
            "Grid-governance units: outlines per level ({}) and label points",
            self.zooms
        )
    }

    fn zooms(&self) -> RangeInclusive<u8> {
        self.zooms.first()..=self.max_zoom
    }

    fn vector_layers(&self) -> Vec<VectorLayer> {
        let fields = self.fields();
        let mut layers: Vec<VectorLayer> = Level::ALL
            .iter()
            .map(|&level| VectorLayer {
                id: level.as_str().to_owned(),
                description: format!("{} ({}) outlines", level.as_str(), level.chinese()),
                minzoom: self.zooms.min_zoom(level),
                maxzoom: self.max_zoom,
                fields: fields.clone(),
            })
            .collect();
        layers.push(VectorLayer {
            id: LABEL_LAYER.to_owned(),
            description: "a label point inside each unit drawn at this zoom".to_owned(),
            minzoom: self.zooms.first(),
            maxzoom: self.max_zoom,
            fields: fields
                .into_iter()
                .filter(|(k, _)| !OUTLINE_ONLY.contains(&k.as_str()))
                .collect(),
        });
        layers
    }

    fn render(&self, request: &TileRequest<'_>) -> Vec<Layer> {
        let z = request.tile.z();
        let snap = request.snapshot;
        let mut by_level: [Vec<u32>; 5] = Default::default();
        if Level::ALL.iter().any(|&l| self.zooms.shows(l, z)) {
            for i in snap.in_bbox(request.query_box()) {
                let level = snap.unit(i).level;
                if self.zooms.shows(level, z) {
                    by_level[level.depth()].push(i);
                }
            }
        }
        let pipeline = request.pipeline();
        let extent = request.options.extent;
        let q = request.query_box();
        let (mx, my) = ((q.max_x - q.min_x) / 2.0, (q.max_y - q.min_y) / 2.0);
        let near = ClipRect::new(
            Coord {
                x: q.min_x - mx,
                y: q.min_y - my,
            },
            Coord {
                x: q.max_x + mx,
                y: q.max_y + my,
            },
        );
        let label_points = self.labels_for(snap);
        let mut layers = Vec::with_capacity(Level::ALL.len() + 1);
        let mut labels = LayerBuilder::new(LABEL_LAYER, extent);
        for level in Level::ALL {
            let members = &by_level[level.depth()];
            if members.is_empty() {
                continue;
            }
            let cut: Vec<Cow<MultiPolygon<f64>>> = members
                .iter()
                .map(|&i| near_tile(&snap.unit(i).geometry, &near))
                .collect();
            // One call per level, so that neighbours keep sharing their simplified boundary.
            let outlines = pipeline.polygons(cut.iter().map(|g| g.as_ref()));
            let points: Vec<Option<Point<f64>>> =
                members.iter().map(|&i| label_points.get(snap, i)).collect();
            let anchors = pipeline.points(points.iter().flatten());
            let mut anchors = anchors.into_iter();
            let mut layer = LayerBuilder::new(level.as_str(), extent);
            for ((&i, outline), point) in members.iter().zip(outlines).zip(&points) {
                let unit = snap.unit(i);
                let anchor = point.and_then(|_| anchors.next().flatten());
                if outline.0.is_empty() && anchor.is_none() {
                    continue;
                }
                let props = self.properties(snap, i);
                if let Some(anchor) = anchor {
                    labels.add_feature(
                        feature_id(unit),
                        &TileGeometry::from(anchor),
                        props
                            .iter()
                            .filter(|(k, _)| !OUTLINE_ONLY.contains(k))
                            .cloned(),
                    );
                }
                layer.add_feature(feature_id(unit), &TileGeometry::from(outline), props);
            }
            layers.push(layer.build());
        }
        layers.push(labels.build());
        layers
    }

    fn changed_areas(&self, old: &Snapshot, new: &Snapshot) -> Vec<Bbox> {
        let (a, b) = (old.units(), new.units());
        let (mut i, mut j) = (0usize, 0usize);
        let mut areas = Vec::new();
        // Both snapshots list their units in code order: one merge pass finds what changed.
        while i < a.len() || j < b.len() {
            match (a.get(i), b.get(j)) {
                (Some(u), Some(v)) if u.code == v.code => {
                    if self.differs(old, i as u32, new, j as u32) {
                        areas.push(Bbox::of(&u.geometry));
                        areas.push(Bbox::of(&v.geometry));
                    }
                    i += 1;
                    j += 1;
                }
                (Some(u), Some(v)) if u.code > v.code => {
                    areas.push(Bbox::of(&v.geometry));
                    j += 1;
                }
                (Some(u), _) => {
                    areas.push(Bbox::of(&u.geometry));
                    i += 1;
                }
                (None, Some(v)) => {
                    areas.push(Bbox::of(&v.geometry));
                    j += 1;
                }
                (None, None) => break,
            }
        }
        areas.retain(|b| !b.is_empty());
        areas
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spatial::AssignRules;
    use crate::units::UnitCode;
    use geo::polygon;
    use wangge_tiles::{LonLat, TileCoord, TileOptions};

    fn unit(code: &str, x0: f64, y0: f64, x1: f64, y1: f64, version: i64) -> Unit {
        let code = UnitCode::parse(code).expect("code");
        Unit {
            level: code.level(),
            parent: code.parent(),
            name: format!("unit {code}"),
            code,
            geometry: polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)]
                .into(),
            version,
            valid_from: chrono::Utc::now(),
            valid_to: None,
            attributes: Default::default(),
        }
    }

    fn snapshot(units: Vec<Unit>) -> Snapshot {
        Snapshot::build(units, 1, AssignRules::default())
    }

    fn two_streets(east_version: i64) -> Vec<Unit> {
        vec![
            unit("350203", 118.0, 24.4, 118.2, 24.5, 1),
            unit("350203001", 118.0, 24.4, 118.1, 24.5, 1),
            unit("350203002", 118.1, 24.4, 118.2, 24.5, east_version),
        ]
    }

    #[test]
    fn level_zooms_parse_overrides_and_keep_defaults() {
        let z: LevelZooms = "street=12, micro_grid=17".parse().expect("parses");
        assert_eq!(z.min_zoom(Level::Street), 12);
        assert_eq!(z.min_zoom(Level::MicroGrid), 17);
        assert_eq!(z.min_zoom(Level::Grid), 14);
        assert_eq!(z.to_string().parse::<LevelZooms>(), Ok(z));
        assert!("street=23".parse::<LevelZooms>().is_err());
        assert!("block=3".parse::<LevelZooms>().is_err());
        assert!("street:3".parse::<LevelZooms>().is_err());
    }

    #[test]
    fn streets_are_drawn_from_their_zoom_with_code_ids_and_counts() {
        let layers = UnitLayers::new(LevelZooms::default(), 22);
        let snap = snapshot(two_streets(1));
        let render = |z| {
            let tile = TileCoord::containing(LonLat::new(118.1, 24.45), z).expect("zoom");
            let request = TileRequest::new(
                tile,
                crate::spatial::Crs::Wgs84,
                &snap,
                TileOptions::default(),
            );
            layers
                .render(&request)
                .into_iter()
                .filter(|l| !l.is_empty())
                .map(|l| (l.name().to_owned(), l.feature_count()))
                .collect::<Vec<_>>()
        };
        assert_eq!(render(7), vec![]);
        assert_eq!(
            render(10),
            vec![("district".to_owned(), 1), (LABEL_LAYER.to_owned(), 1)]
        );
        let at_12 = render(12);
        assert!(at_12.contains(&("street".to_owned(), 2)), "{at_12:?}");
        assert!(at_12.iter().any(|(n, c)| n == LABEL_LAYER && *c >= 1));
        assert_eq!(feature_id(snap.unit(0)), Some(350203));
        assert_eq!(ChildUnits.count(&snap, 0), 2);
    }

    #[test]
    fn a_new_version_marks_its_old_and_new_box_and_its_parent_stays() {
        let layers = UnitLayers::new(LevelZooms::default(), 22);
        let old = snapshot(two_streets(1));
        let new = snapshot(two_streets(2));
        let areas = layers.changed_areas(&old, &new);
        assert_eq!(areas.len(), 2);
        assert!(areas.iter().all(|b| b.min_x == 118.1 && b.max_x == 118.2));
        assert!(layers.changed_areas(&old, &old).is_empty());
    }

    #[test]
    fn an_added_child_changes_its_parents_count_and_so_its_box() {
        let layers = UnitLayers::new(LevelZooms::default(), 22);
        let mut units = two_streets(1);
        let old = snapshot(units.clone());
        units.push(unit("350203002001", 118.1, 24.4, 118.15, 24.45, 1));
        let new = snapshot(units);
        let areas = layers.changed_areas(&old, &new);
        // The community itself, and its street twice (old and new box) for the count.
        assert_eq!(areas.len(), 3);
        assert!(areas.iter().any(|b| b.max_x == 118.15));
        let removed = layers.changed_areas(&new, &old);
        assert_eq!(removed.len(), 3);
    }
}
