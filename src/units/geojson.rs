//! Units as GeoJSON (RFC 7946): a Feature per unit with its code as id and its record as
//! properties; reading collects every problem instead of stopping at the first.

use geo::{MultiPolygon, Polygon};
use geojson::{Feature, FeatureCollection, Geometry, GeometryValue, JsonObject};
use serde_json::{json, Value};

use super::{Unit, UnitCode, UnitDraft};
use crate::spatial::crs::Crs;
use crate::spatial::validate::Problem;

/// Properties that belong to the unit record itself; every other property is an attribute.
const RECORD_KEYS: [&str; 7] = [
    "code",
    "name",
    "level",
    "parent",
    "version",
    "valid_from",
    "valid_to",
];

/// One feature of a unit; `crs` other than WGS84 converts coordinates for basemaps drawn in it.
pub fn unit_feature(unit: &Unit, crs: Crs) -> Feature {
    let mut props = JsonObject::new();
    props.insert("code".into(), json!(unit.code));
    props.insert("name".into(), json!(unit.name));
    props.insert("level".into(), json!(unit.level));
    props.insert("parent".into(), json!(unit.parent));
    props.insert("version".into(), json!(unit.version));
    props.insert("valid_from".into(), json!(unit.valid_from.to_rfc3339()));
    props.insert(
        "valid_to".into(),
        json!(unit.valid_to.map(|t| t.to_rfc3339())),
    );
    for (k, v) in &unit.attributes {
        if !RECORD_KEYS.contains(&k.as_str()) {
            props.insert(k.clone(), v.clone());
        }
    }
    let geometry = if crs == Crs::Wgs84 {
        unit.geometry.clone()
    } else {
        geo::MapCoords::map_coords(&unit.geometry, |c| {
            let (x, y) = crs.from_wgs84(crate::spatial::Wgs84 { lon: c.x, lat: c.y });
            geo::coord! { x: x, y: y }
        })
    };
    Feature {
        bbox: None,
        geometry: Some(Geometry::new(GeometryValue::from(&geometry))),
        id: Some(geojson::feature::Id::String(unit.code.to_string())),
        properties: Some(props),
        foreign_members: None,
    }
}

/// What the anonymous public sees of a unit: outline, code, name, level, parent and version,
/// without the free attributes (responsible staff, notes).
pub fn outline_feature(unit: &Unit, crs: Crs) -> Feature {
    let mut f = unit_feature(unit, crs);
    if let Some(props) = f.properties.as_mut() {
        props.retain(|k, _| RECORD_KEYS.contains(&k.as_str()));
    }
    f
}

/// A FeatureCollection in which only the units `detailed` says yes to carry their attributes.
pub fn feature_collection_for<'a>(
    units: impl IntoIterator<Item = &'a Unit>,
    crs: Crs,
    detailed: impl Fn(&Unit) -> bool,
) -> Value {
    let fc = FeatureCollection::new(units.into_iter().map(|u| {
        if detailed(u) {
            unit_feature(u, crs)
        } else {
            outline_feature(u, crs)
        }
    }));
    serde_json::to_value(fc).unwrap_or(Value::Null)
}

pub fn feature_collection<'a>(units: impl IntoIterator<Item = &'a Unit>, crs: Crs) -> Value {
    let fc = FeatureCollection::new(units.into_iter().map(|u| unit_feature(u, crs)));
    serde_json::to_value(fc).unwrap_or(Value::Null)
}

/// Reads drafts from a GeoJSON FeatureCollection (or a single Feature). Returns the drafts that
/// could be read and a problem for each feature that could not.
pub fn read_drafts(text: &[u8]) -> Result<(Vec<UnitDraft>, Vec<Problem>), Problem> {
    let doc: Value = serde_json::from_slice(text).map_err(|e| {
        Problem::file(
            "invalid_json",
            format!(
                "not valid JSON at line {} column {}: {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    let features = match doc.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => match doc.get("features") {
            Some(Value::Array(f)) => f.clone(),
            _ => {
                return Err(Problem::file(
                    "invalid_geojson",
                    "a FeatureCollection needs a `features` array".into(),
                ))
            }
        },
        Some("Feature") => vec![doc],
        other => {
            return Err(Problem::file(
                "invalid_geojson",
                format!("expected a FeatureCollection or a Feature, found type {other:?}"),
            ))
        }
    };
    let mut drafts = Vec::with_capacity(features.len());
    let mut problems = Vec::new();
    for (i, raw) in features.into_iter().enumerate() {
        match read_feature(i, raw) {
            Ok(d) => drafts.push(d),
            Err(p) => problems.push(p),
        }
    }
    Ok((drafts, problems))
}

fn read_feature(index: usize, raw: Value) -> Result<UnitDraft, Problem> {
    let code_hint = raw
        .pointer("/properties/code")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let fail = |kind: &'static str, message: String| Problem {
        code: code_hint.clone(),
        feature: Some(index),
        kind,
        message,
        location: None,
    };
    let feature: Feature = serde_json::from_value(raw.clone())
        .map_err(|e| fail("invalid_geojson", format!("not a GeoJSON Feature: {e}")))?;
    let props = feature.properties.clone().unwrap_or_default();
    let code_str = match props.get("code") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            return Err(fail(
                "missing_code",
                "property `code` (a string of digits) is missing".into(),
            ))
        }
    };
    let code = UnitCode::parse(&code_str).map_err(|m| fail("invalid_code", m))?;
    let name = match props.get("name") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        _ => {
            return Err(fail(
                "missing_name",
                "property `name` is missing or empty".into(),
            ))
        }
    };
    if let Some(parent) = props.get("parent").filter(|v| !v.is_null()) {
        let expected = code.parent().map(|p| p.to_string());
        if parent.as_str() != expected.as_deref() {
            return Err(fail(
                "code_does_not_extend_parent",
                format!(
                    "code {code} does not extend its parent {parent}: a {} code is its parent's code plus {} digits",
                    code.level(),
                    code.level().code_len() - code.level().parent().map_or(0, |l| l.code_len())
                ),
            ));
        }
    }
    if let Some(Value::String(level)) = props.get("level") {
        if level.parse::<super::Level>() != Ok(code.level()) {
            return Err(fail(
                "level_mismatch",
                format!(
                    "level `{level}` does not match the {}-digit code {code} ({})",
                    code.as_str().len(),
                    code.level()
                ),
            ));
        }
    }
    let geometry = match feature.geometry.as_ref().map(|g| &g.value) {
        Some(v @ GeometryValue::MultiPolygon { .. }) => {
            MultiPolygon::<f64>::try_from(v).map_err(|e| fail("invalid_geometry", e.to_string()))?
        }
        Some(v @ GeometryValue::Polygon { .. }) => MultiPolygon(vec![
            Polygon::<f64>::try_from(v).map_err(|e| fail("invalid_geometry", e.to_string()))?
        ]),
        Some(other) => {
            return Err(fail(
                "invalid_geometry",
                format!(
                    "geometry must be a Polygon or MultiPolygon, found {}",
                    other.type_name()
                ),
            ))
        }
        None => return Err(fail("invalid_geometry", "feature has no geometry".into())),
    };
    let attributes = props
        .into_iter()
        .filter(|(k, _)| !RECORD_KEYS.contains(&k.as_str()))
        .collect();
    Ok(UnitDraft {
        code,
        name,
        geometry,
        attributes,
    })
}

/// Drafts (e.g. generated data) as a FeatureCollection ready to import; properties are the code,
/// name, level, parent and the attributes, so the output is deterministic for the same drafts.
pub fn drafts_feature_collection(drafts: &[UnitDraft]) -> Value {
    let features = drafts.iter().map(|d| {
        let mut props = JsonObject::new();
        props.insert("code".into(), json!(d.code));
        props.insert("name".into(), json!(d.name));
        props.insert("level".into(), json!(d.code.level()));
        props.insert("parent".into(), json!(d.code.parent()));
        for (k, v) in &d.attributes {
            if !RECORD_KEYS.contains(&k.as_str()) {
                props.insert(k.clone(), v.clone());
            }
        }
        Feature {
            bbox: None,
            geometry: Some(Geometry::new(GeometryValue::from(&d.geometry))),
            id: Some(geojson::feature::Id::String(d.code.to_string())),
            properties: Some(props),
            foreign_members: None,
        }
    });
    serde_json::to_value(FeatureCollection::new(features)).unwrap_or(Value::Null)
}
