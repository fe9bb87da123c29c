//! TileJSON 3.0.0 documents (<https://github.com/mapbox/tilejson-spec/tree/master/3.0.0>) for the
//! tile layers.

use serde_json::{json, Map, Value};

use super::layers::{convert_box, TileSource};
use crate::spatial::{Bbox, Crs, Wgs84};

/// Web Mercator's latitude limit, the default bounds of TileJSON.
const WORLD: [f64; 4] = [-180.0, -85.051_128_779_806_59, 180.0, 85.051_128_779_806_59];

/// The TileJSON of `source`: `base_url` is prefixed to the tile URL template (empty for a
/// relative template), `bounds` are the WGS84 bounds of the data, converted to `crs` as the
/// tiles are.
pub fn document(source: &dyn TileSource, base_url: &str, crs: Crs, bounds: Option<Bbox>) -> Value {
    let zooms = source.zooms();
    let (minzoom, maxzoom) = (*zooms.start(), *zooms.end());
    let query = match crs {
        Crs::Wgs84 => String::new(),
        crs => format!("?crs={}", crs.as_str()),
    };
    let template = format!(
        "{}/tiles/{}/{{z}}/{{x}}/{{y}}.mvt{query}",
        base_url.trim_end_matches('/'),
        source.id()
    );
    let bounds = bounds.map(|b| match crs {
        Crs::Wgs84 => b,
        crs => convert_box(b, |lon, lat| crs.from_wgs84(Wgs84 { lon, lat })),
    });
    let (bounds, center) = match bounds {
        Some(b) => {
            let centre_zoom = minzoom.saturating_add(4).min(maxzoom);
            (
                [b.min_x, b.min_y, b.max_x, b.max_y],
                json!([
                    (b.min_x + b.max_x) / 2.0,
                    (b.min_y + b.max_y) / 2.0,
                    centre_zoom
                ]),
            )
        }
        None => (WORLD, json!([0.0, 0.0, minzoom])),
    };
    let vector_layers: Vec<Value> = source
        .vector_layers()
        .into_iter()
        .map(|l| {
            let fields: Map<String, Value> = l
                .fields
                .into_iter()
                .map(|(name, kind)| (name, Value::from(kind)))
                .collect();
            json!({
                "id": l.id,
                "description": l.description,
                "minzoom": l.minzoom,
                "maxzoom": l.maxzoom,
                "fields": fields,
            })
        })
        .collect();
    json!({
        "tilejson": "3.0.0",
        "name": source.id(),
        "description": source.description(),
        "version": "1.0.0",
        "scheme": "xyz",
        "tiles": [template],
        "minzoom": minzoom,
        "maxzoom": maxzoom,
        "bounds": bounds,
        "center": center,
        "vector_layers": vector_layers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maps::units::{LevelZooms, UnitLayers};

    #[test]
    fn document_has_the_required_members_and_a_template_per_crs() {
        let units = UnitLayers::new(LevelZooms::default(), 22);
        let b = Bbox {
            min_x: 118.0,
            min_y: 24.4,
            max_x: 118.2,
            max_y: 24.5,
        };
        let doc = document(&units, "http://example.org/", Crs::Wgs84, Some(b));
        assert_eq!(doc["tilejson"], "3.0.0");
        assert_eq!(
            doc["tiles"][0],
            "http://example.org/tiles/units/{z}/{x}/{y}.mvt"
        );
        assert_eq!(
            (doc["minzoom"].as_u64(), doc["maxzoom"].as_u64()),
            (Some(8), Some(22))
        );
        assert_eq!(doc["bounds"], json!([118.0, 24.4, 118.2, 24.5]));
        let ids: Vec<&str> = doc["vector_layers"]
            .as_array()
            .map(|a| a.iter().filter_map(|l| l["id"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(
            ids,
            [
                "district",
                "street",
                "community",
                "grid",
                "micro_grid",
                "unit_labels"
            ]
        );
        assert_eq!(doc["vector_layers"][1]["minzoom"], 11);
        assert_eq!(doc["vector_layers"][0]["fields"]["children"], "Number");

        let gcj = document(&units, "", Crs::Gcj02, Some(b));
        assert_eq!(gcj["tiles"][0], "/tiles/units/{z}/{x}/{y}.mvt?crs=gcj02");
        assert!(
            gcj["bounds"][0].as_f64() > Some(118.0),
            "GCJ-02 lies east in Xiamen"
        );
    }
}
