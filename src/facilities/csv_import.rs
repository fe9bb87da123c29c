//! Facilities from CSV as offices export them: UTF-8 or GBK, Chinese or English headers mapped to
//! fields (shown, overridable), coordinates in any of the three CRSs. Each row becomes a
//! [`Draft`]; the import ([`super::import`]) checks and places it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::import::Draft;
use crate::spatial::crs::Crs;
use crate::tabular::{self, coordinate};

pub use crate::tabular::{ColumnMapping, Encoding};

/// The column mapping of a facility table.
pub type Mapping = tabular::Mapping<Field>;

/// What a column feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    ExternalId,
    Category,
    Kind,
    Name,
    Address,
    OpeningHours,
    Capacity,
    Contact,
    Lon,
    Lat,
    Crs,
}

const FIELDS: [(Field, &str); 11] = [
    (Field::ExternalId, "external_id"),
    (Field::Category, "category"),
    (Field::Kind, "kind"),
    (Field::Name, "name"),
    (Field::Address, "address"),
    (Field::OpeningHours, "opening_hours"),
    (Field::Capacity, "capacity"),
    (Field::Contact, "contact"),
    (Field::Lon, "lon"),
    (Field::Lat, "lat"),
    (Field::Crs, "crs"),
];

impl tabular::Field for Field {
    const REQUIRED: &'static [Field] = &[Field::Category, Field::Name, Field::Lon, Field::Lat];
    const NAMES: &'static str = "external_id, category, kind, name, address, opening_hours, \
         capacity, contact, lon, lat, crs";

    fn parse(s: &str) -> Option<Field> {
        FIELDS.iter().find(|(_, n)| *n == s.trim()).map(|(f, _)| *f)
    }

    fn name(self) -> &'static str {
        FIELDS
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("", |(_, n)| n)
    }

    fn from_header(h: &str) -> Option<Field> {
        let lower = h.to_ascii_lowercase();
        Field::parse(&lower).or_else(|| {
            ALIASES
                .iter()
                .find(|(alias, _)| *alias == lower)
                .map(|(_, f)| *f)
        })
    }
}

/// Header aliases offices use besides the field names, compared after trimming and ASCII
/// lower-casing.
const ALIASES: [(&str, Field); 30] = [
    ("编号", Field::ExternalId),
    ("设施编号", Field::ExternalId),
    ("id", Field::ExternalId),
    ("类别", Field::Category),
    ("分类", Field::Category),
    ("设施类别", Field::Category),
    ("类型", Field::Kind),
    ("设施类型", Field::Kind),
    ("名称", Field::Name),
    ("设施名称", Field::Name),
    ("地址", Field::Address),
    ("详细地址", Field::Address),
    ("开放时间", Field::OpeningHours),
    ("营业时间", Field::OpeningHours),
    ("hours", Field::OpeningHours),
    ("容量", Field::Capacity),
    ("床位", Field::Capacity),
    ("床位数", Field::Capacity),
    ("座位数", Field::Capacity),
    ("学位数", Field::Capacity),
    ("电话", Field::Contact),
    ("联系电话", Field::Contact),
    ("phone", Field::Contact),
    ("经度", Field::Lon),
    ("lng", Field::Lon),
    ("longitude", Field::Lon),
    ("纬度", Field::Lat),
    ("latitude", Field::Lat),
    ("坐标系", Field::Crs),
    ("srs", Field::Crs),
];

/// Parses `名称=name,备注=-` into overrides of the facility mapping.
pub fn parse_overrides(text: &str) -> Result<BTreeMap<String, Option<Field>>, String> {
    tabular::parse_overrides(text)
}

/// One data row as a draft; `Err` is the reason it cannot be read.
pub fn row(
    mapping: &Mapping,
    record: &csv::StringRecord,
    default_crs: Crs,
) -> Result<Draft, String> {
    let mut d = Draft::new(default_crs);
    let (mut lon, mut lat) = (None, None);
    let text = |cell: &str| (!cell.is_empty()).then(|| cell.to_owned());
    for (field, cell) in mapping.cells(record) {
        match field {
            Field::ExternalId => d.external_id = text(cell),
            Field::Category => d.category = cell.to_owned(),
            Field::Kind => d.kind = text(cell),
            Field::Name => d.name = cell.to_owned(),
            Field::Address => d.address = text(cell),
            Field::OpeningHours => d.opening_hours = text(cell),
            Field::Capacity if cell.is_empty() => {}
            Field::Capacity => {
                d.capacity = Some(
                    cell.parse::<u32>()
                        .map_err(|_| format!("capacity `{cell}` is not a whole number ≥ 0"))?,
                )
            }
            Field::Contact => d.contact = text(cell),
            Field::Lon => lon = Some(coordinate(cell, "lon", 180.0)?),
            Field::Lat => lat = Some(coordinate(cell, "lat", 90.0)?),
            Field::Crs if cell.is_empty() => {}
            Field::Crs => d.crs = cell.parse()?,
        }
    }
    let (Some(lon), Some(lat)) = (lon, lat) else {
        return Err("lon or lat is empty".to_owned());
    };
    d.lon = lon;
    d.lat = lat;
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cols: &[&str]) -> csv::StringRecord {
        csv::StringRecord::from(cols.to_vec())
    }

    #[test]
    fn chinese_and_english_headers_map_to_the_same_fields() {
        let none = BTreeMap::new();
        let zh = Mapping::new(
            &headers(&[
                "编号",
                "类别",
                "类型",
                "名称",
                "地址",
                "营业时间",
                "床位",
                "联系电话",
                "经度",
                "纬度",
            ]),
            &none,
        )
        .unwrap();
        let en = Mapping::new(
            &headers(&[
                "ID", "category", "kind", "Name", "address", "hours", "capacity", "phone", "lng",
                "lat",
            ]),
            &none,
        )
        .unwrap();
        assert_eq!(zh.fields(), en.fields());
        assert!(Mapping::new(&headers(&["名称", "经度", "纬度"]), &none)
            .unwrap_err()
            .contains("category"));
    }

    #[test]
    fn a_row_reads_its_cells_and_refuses_a_bad_capacity() {
        let m = Mapping::new(
            &headers(&["类别", "名称", "床位", "经度", "纬度", "坐标系"]),
            &BTreeMap::new(),
        )
        .unwrap();
        let d = row(
            &m,
            &headers(&["养", "鸿山养老院", "40", "118.08", "24.45", "gcj02"]),
            Crs::Wgs84,
        )
        .unwrap();
        assert_eq!(
            (d.category.as_str(), d.capacity, d.crs),
            ("养", Some(40), Crs::Gcj02)
        );
        let bad = row(
            &m,
            &headers(&["养", "x", "many", "118.08", "24.45", ""]),
            Crs::Wgs84,
        );
        assert!(bad.unwrap_err().contains("capacity `many`"));
    }
}
