//! The facility import, CSV or GeoJSON: every row or feature is read into a [`Draft`], resolved
//! against the catalogue (a category may be given by code, Chinese or English name, or its
//! element 医/养/…; a kind by code or Chinese name), checked, placed on the snapshot within the
//! importer's area and matched against the earlier rows of the same file. A row that fails is
//! reported where it is (line or feature) with the reason; the others still import.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value;

use super::catalogue::FacilityCatalogue;
use super::csv_import::{self, ColumnMapping, Encoding, Field};
use super::hours::OpeningHours;
use super::model::FacilityInput;
use crate::spatial::crs::Crs;
use crate::spatial::Snapshot;
use crate::tabular;
use crate::units::UnitCode;

/// A facility as a file gives it, before the catalogue and the map have had their say.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub external_id: Option<String>,
    pub category: String,
    pub kind: Option<String>,
    pub name: String,
    pub address: Option<String>,
    pub opening_hours: Option<String>,
    pub capacity: Option<u32>,
    pub contact: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub crs: Crs,
}

impl Draft {
    pub fn new(crs: Crs) -> Draft {
        Draft {
            external_id: None,
            category: String::new(),
            kind: None,
            name: String::new(),
            address: None,
            opening_hours: None,
            capacity: None,
            contact: None,
            lon: f64::NAN,
            lat: f64::NAN,
            crs,
        }
    }

    /// The input this draft means, checked against the catalogue; `Err` says why not.
    pub fn resolve(self, catalogue: &FacilityCatalogue) -> Result<FacilityInput, String> {
        let category = catalogue
            .categories
            .iter()
            .find(|c| {
                let given = self.category.trim();
                [&c.code, &c.element, &c.name_zh]
                    .iter()
                    .any(|n| *n == given)
                    || c.name_en.eq_ignore_ascii_case(given)
            })
            .ok_or_else(|| {
                format!(
                    "unknown category `{}` (see /api/v1/facility-categories)",
                    self.category
                )
            })?;
        let kind = self.kind.as_ref().map(|k| {
            category
                .kinds
                .iter()
                .find(|x| x.code == *k || x.name_zh == *k)
                .map_or_else(|| k.clone(), |x| x.code.clone())
        });
        let opening_hours = self
            .opening_hours
            .as_deref()
            .map(OpeningHours::parse)
            .transpose()
            .map_err(|e| e.to_string())?;
        let input = FacilityInput {
            external_id: self.external_id,
            category: category.code.clone(),
            kind,
            name: self.name.trim().to_owned(),
            location: self.crs.to_wgs84(self.lon, self.lat),
            input_crs: self.crs,
            address: self.address,
            opening_hours,
            capacity: self.capacity,
            contact: self.contact,
        };
        input.check(catalogue)?;
        Ok(input)
    }
}

/// Where in the file a row is: its CSV line (the header is line 1) or GeoJSON feature (from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum At {
    Line(u64),
    Feature(usize),
}

/// A row that cannot be imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    #[serde(flatten)]
    pub at: At,
    pub reason: String,
}

/// A file read and checked, ready to write.
#[derive(Debug, Clone)]
pub struct Checked {
    /// `None` for GeoJSON (always UTF-8).
    pub encoding: Option<Encoding>,
    /// The CSV column mapping; empty for GeoJSON.
    pub mapping: Vec<ColumnMapping>,
    pub rows: Vec<(FacilityInput, UnitCode, At)>,
    pub problems: Vec<Problem>,
}

/// What an import reads: the file's format and how to read it.
pub enum Format<'a> {
    Csv {
        encoding: Option<Encoding>,
        overrides: &'a BTreeMap<String, Option<Field>>,
    },
    GeoJson,
}

/// Reads, resolves, places and de-duplicates a whole file. `covers` says whether the importer
/// may write in a unit. `Err` is a problem of the file as a whole, when nothing can be imported.
pub fn check(
    bytes: &[u8],
    format: Format<'_>,
    default_crs: Crs,
    catalogue: &FacilityCatalogue,
    snap: &Snapshot,
    covers: impl Fn(&UnitCode) -> bool,
) -> Result<Checked, String> {
    let (encoding, mapping, drafts, mut problems) = match format {
        Format::Csv {
            encoding,
            overrides,
        } => {
            let table = tabular::read(bytes, encoding, overrides, |m, r| {
                csv_import::row(m, r, default_crs)
            })?;
            let problems = table
                .problems
                .into_iter()
                .map(|p| Problem {
                    at: At::Line(p.line),
                    reason: p.reason,
                })
                .collect();
            let drafts = table
                .rows
                .into_iter()
                .map(|(d, line)| (Ok(d), At::Line(line)))
                .collect();
            (Some(table.encoding), table.mapping, drafts, problems)
        }
        Format::GeoJson => (
            None,
            Vec::new(),
            geojson_drafts(bytes, default_crs)?,
            Vec::new(),
        ),
    };
    let mut rows = Vec::new();
    let mut seen: HashMap<String, At> = HashMap::new();
    for (draft, at) in drafts {
        let placed = draft.and_then(|d| {
            let input = d.resolve(catalogue)?;
            let unit = tabular::place(snap, input.location, &covers)?;
            let keys = [
                input.external_id.as_ref().map(|e| format!("id#{e}")),
                Some(input.natural_key()),
            ];
            if let Some(first) = keys.iter().flatten().find_map(|k| seen.get(k)) {
                return Err(format!("the same facility as {}", describe(*first)));
            }
            for k in keys.into_iter().flatten() {
                seen.insert(k, at);
            }
            Ok((input, unit))
        });
        match placed {
            Ok((input, unit)) => rows.push((input, unit, at)),
            Err(reason) => problems.push(Problem { at, reason }),
        }
    }
    problems.sort_by_key(|p| match p.at {
        At::Line(l) => l,
        At::Feature(f) => f as u64,
    });
    Ok(Checked {
        encoding,
        mapping,
        rows,
        problems,
    })
}

fn describe(at: At) -> String {
    match at {
        At::Line(l) => format!("line {l}"),
        At::Feature(f) => format!("feature {f}"),
    }
}

/// A row's draft, or why it has none, and where it is.
type DraftAt = (Result<Draft, String>, At);

/// The drafts of a GeoJSON FeatureCollection of points: the properties are named as the CSV
/// fields; a feature's `id` is its external id when the properties name none.
fn geojson_drafts(bytes: &[u8], default_crs: Crs) -> Result<Vec<DraftAt>, String> {
    let doc: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not a JSON document: {e}"))?;
    if doc["type"] != "FeatureCollection" {
        return Err("expected a GeoJSON FeatureCollection".to_owned());
    }
    let features = doc["features"]
        .as_array()
        .ok_or("the FeatureCollection has no `features` array")?;
    Ok(features
        .iter()
        .enumerate()
        .map(|(i, f)| (feature_draft(f, default_crs), At::Feature(i)))
        .collect())
}

fn feature_draft(feature: &Value, default_crs: Crs) -> Result<Draft, String> {
    if feature["geometry"]["type"] != "Point" {
        return Err("geometry is not a Point".to_owned());
    }
    let coords = feature["geometry"]["coordinates"]
        .as_array()
        .filter(|c| c.len() >= 2)
        .ok_or("coordinates are not [lon, lat]")?;
    let number = |v: &Value, what: &str, limit: f64| {
        v.as_f64()
            .filter(|x| x.is_finite() && x.abs() <= limit)
            .ok_or_else(|| format!("{what} {v} is not a number within ±{limit}"))
    };
    let props = feature["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let text = |name: &str| -> Result<Option<String>, String> {
        match props.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(Value::Number(n)) if name == "external_id" || name == "contact" => {
                Ok(Some(n.to_string()))
            }
            Some(other) => Err(format!("property `{name}` is not text: {other}")),
        }
    };
    let mut d = Draft::new(default_crs);
    d.lon = number(&coords[0], "lon", 180.0)?;
    d.lat = number(&coords[1], "lat", 90.0)?;
    d.external_id = match text("external_id")? {
        Some(e) => Some(e),
        None => match &feature["id"] {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        },
    };
    d.category = text("category")?.ok_or("property `category` is missing")?;
    d.kind = text("kind")?;
    d.name = text("name")?.ok_or("property `name` is missing")?;
    d.address = text("address")?;
    d.opening_hours = text("opening_hours")?;
    d.contact = text("contact")?;
    d.capacity = match props.get("capacity") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|c| u32::try_from(c).ok())
                .ok_or_else(|| format!("capacity {v} is not a whole number ≥ 0"))?,
        ),
    };
    if let Some(c) = text("crs")? {
        d.crs = c.parse()?;
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn catalogue() -> FacilityCatalogue {
        FacilityCatalogue::default_catalogue()
    }

    fn draft(category: &str, kind: Option<&str>) -> Draft {
        let mut d = Draft::new(Crs::Wgs84);
        d.category = category.to_owned();
        d.kind = kind.map(str::to_owned);
        d.name = "示例".to_owned();
        d.lon = 118.08;
        d.lat = 24.45;
        d
    }

    #[test]
    fn a_category_resolves_by_code_element_or_either_name_and_a_kind_by_its_chinese_name() {
        for given in ["elderly_care", "养", "Elderly care"] {
            let got = draft(given, None).resolve(&catalogue());
            assert_eq!(
                got.map(|i| i.category),
                Ok("elderly_care".to_owned()),
                "{given}"
            );
        }
        let zh = catalogue().get("education").unwrap().name_zh.clone();
        let kg = draft(&zh, Some("幼儿园")).resolve(&catalogue()).unwrap();
        assert_eq!(kg.kind.as_deref(), Some("kindergarten"));
        let err = draft("医", Some("医院")).resolve(&catalogue()).unwrap_err();
        assert!(
            err.contains("kind `医院` is not a kind of `medical`"),
            "{err}"
        );
        assert!(draft("spa", None)
            .resolve(&catalogue())
            .unwrap_err()
            .contains("unknown category"));
    }

    #[test]
    fn bad_opening_hours_are_refused_with_the_reason() {
        let mut d = draft("medical", None);
        d.opening_hours = Some("Mo-Fr 25:00-26:00".to_owned());
        assert!(d
            .resolve(&catalogue())
            .unwrap_err()
            .contains("opening hours"));
    }

    #[test]
    fn a_feature_needs_a_point_a_category_and_a_name() {
        let f = json!({"type": "Feature", "id": 7, "geometry": {"type": "Point", "coordinates": [118.08, 24.45]},
            "properties": {"category": "医", "name": "站", "capacity": 3}});
        let d = feature_draft(&f, Crs::Wgs84).unwrap();
        assert_eq!((d.external_id.as_deref(), d.capacity), (Some("7"), Some(3)));
        let line = json!({"type": "Feature", "geometry": {"type": "LineString", "coordinates": []}, "properties": {}});
        assert!(feature_draft(&line, Crs::Wgs84)
            .unwrap_err()
            .contains("Point"));
        let nameless = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [118.0, 24.0]},
            "properties": {"category": "医"}});
        assert!(feature_draft(&nameless, Crs::Wgs84)
            .unwrap_err()
            .contains("`name`"));
    }
}
