//! The `facilities` tile layer: the facilities of the circle as points, one MVT layer per
//! category of the catalogue (named by its code), drawn from the live facility index. Public:
//! facilities are public places and their points carry nothing personal.
//!
//! Its tiles are cached like the units'; every facility write drops the tiles over the old and
//! the new place ([`crate::maps::MapTiles::facilities_written`]).

use std::ops::RangeInclusive;
use std::sync::Arc;

use wangge_tiles::mvt::{Layer, LayerBuilder, PropertyValue, TileGeometry};

use super::layers::{TileRequest, TileSource, VectorLayer};
use crate::facilities::{Facility, FacilityCatalogue, FacilityIndexCell};

/// The URL name of the layer.
pub const FACILITIES_LAYER: &str = "facilities";

/// From a whole district (about 650 facilities in a z12 tile of Siming) down to a doorway.
pub const FACILITY_ZOOMS: RangeInclusive<u8> = 12..=22;

pub struct FacilityPoints {
    catalogue: FacilityCatalogue,
    index: Arc<FacilityIndexCell>,
}

impl FacilityPoints {
    pub fn new(catalogue: FacilityCatalogue, index: Arc<FacilityIndexCell>) -> FacilityPoints {
        FacilityPoints { catalogue, index }
    }
}

fn properties(f: &Facility, element: &str) -> Vec<(&'static str, PropertyValue)> {
    let mut props = vec![
        ("id", PropertyValue::from(f.id)),
        ("name", PropertyValue::from(f.name.as_str())),
        ("category", PropertyValue::from(f.category.as_str())),
        ("element", PropertyValue::from(element)),
    ];
    if let Some(kind) = &f.kind {
        props.push(("kind", PropertyValue::from(kind.as_str())));
    }
    if let Some(hours) = &f.opening_hours {
        props.push(("opening_hours", PropertyValue::from(hours.as_str())));
    }
    props
}

impl TileSource for FacilityPoints {
    fn id(&self) -> &str {
        FACILITIES_LAYER
    }

    fn description(&self) -> String {
        "Facilities of the fifteen-minute circle (一刻钟幸福圈) as points, one layer per category"
            .to_owned()
    }

    fn zooms(&self) -> RangeInclusive<u8> {
        FACILITY_ZOOMS
    }

    fn vector_layers(&self) -> Vec<VectorLayer> {
        let fields = [
            ("id", "Number"),
            ("name", "String"),
            ("category", "String"),
            ("element", "String"),
            ("kind", "String"),
            ("opening_hours", "String"),
        ];
        self.catalogue
            .categories
            .iter()
            .map(|c| VectorLayer {
                id: c.code.clone(),
                description: format!("{} {} ({})", c.element, c.name_zh, c.name_en),
                minzoom: *FACILITY_ZOOMS.start(),
                maxzoom: *FACILITY_ZOOMS.end(),
                fields: fields.iter().map(|(k, t)| ((*k).to_owned(), *t)).collect(),
            })
            .collect()
    }

    fn render(&self, request: &TileRequest<'_>) -> Vec<Layer> {
        let index = self.index.load();
        let area = request.query_box();
        let pipeline = request.pipeline();
        self.catalogue
            .categories
            .iter()
            .map(|c| {
                let mut found: Vec<&Arc<Facility>> = index.in_box(&c.code, area).collect();
                found.sort_unstable_by_key(|f| f.id);
                let points: Vec<geo_types::Point<f64>> = found
                    .iter()
                    .map(|f| geo_types::Point::new(f.location.lon, f.location.lat))
                    .collect();
                let mut layer = LayerBuilder::new(&c.code, request.options.extent);
                for (f, anchor) in found.iter().zip(pipeline.points(&points)) {
                    let Some(anchor) = anchor else { continue };
                    layer.add_feature(
                        u64::try_from(f.id).ok(),
                        &TileGeometry::from(anchor),
                        properties(f, &c.element),
                    );
                }
                layer.build()
            })
            .collect()
    }
}
