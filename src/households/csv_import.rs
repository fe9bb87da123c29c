//! Households from CSV as offices export it: UTF-8 (with or without BOM) or GBK/GB18030, Chinese
//! or English headers mapped to fields (the mapping is shown and can be overridden), coordinates
//! in any of the three CRSs. A row that fails is reported with its line number and reason; the
//! other rows still import.

use std::collections::BTreeMap;

use serde::Serialize;

use super::model::{clean_phone, HouseholdInput, Tag};
use crate::spatial::crs::Crs;
use crate::tabular::{self, coordinate, yes};

pub use crate::tabular::{detect, ColumnMapping, Encoding, RowProblem};

/// The column mapping of a household table.
pub type Mapping = tabular::Mapping<Field>;

/// What a column feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Address,
    Room,
    Name,
    Phone,
    Size,
    Lon,
    Lat,
    Crs,
    Tags,
    /// A yes/no column of one tag (`独居老人`: 是).
    Tag(Tag),
}

impl tabular::Field for Field {
    const REQUIRED: &'static [Field] = &[Field::Address, Field::Lon, Field::Lat];
    const NAMES: &'static str = "address, room, name, phone, size, lon, lat, crs, tags, \
         elderly_alone, party_member_household, low_income";

    fn parse(s: &str) -> Option<Field> {
        let s = s.trim();
        let f = match s {
            "address" => Field::Address,
            "room" => Field::Room,
            "name" => Field::Name,
            "phone" => Field::Phone,
            "size" => Field::Size,
            "lon" => Field::Lon,
            "lat" => Field::Lat,
            "crs" => Field::Crs,
            "tags" => Field::Tags,
            other => Field::Tag(Tag::parse(other)?),
        };
        Some(f)
    }

    fn name(self) -> &'static str {
        match self {
            Field::Address => "address",
            Field::Room => "room",
            Field::Name => "name",
            Field::Phone => "phone",
            Field::Size => "size",
            Field::Lon => "lon",
            Field::Lat => "lat",
            Field::Crs => "crs",
            Field::Tags => "tags",
            Field::Tag(t) => t.as_str(),
        }
    }

    fn from_header(h: &str) -> Option<Field> {
        let lower = h.to_ascii_lowercase();
        ALIASES
            .iter()
            .find(|(alias, _)| *alias == lower)
            .map(|(_, f)| *f)
            .or_else(|| Tag::parse(h).map(Field::Tag))
    }
}

/// Header aliases offices use, compared after trimming and ASCII lower-casing.
const ALIASES: [(&str, Field); 37] = [
    ("地址", Field::Address),
    ("住址", Field::Address),
    ("居住地址", Field::Address),
    ("门牌地址", Field::Address),
    ("address", Field::Address),
    ("门牌", Field::Room),
    ("房号", Field::Room),
    ("室", Field::Room),
    ("门牌号", Field::Room),
    ("room", Field::Room),
    ("unit", Field::Room),
    ("户主", Field::Name),
    ("姓名", Field::Name),
    ("户主姓名", Field::Name),
    ("name", Field::Name),
    ("head", Field::Name),
    ("电话", Field::Phone),
    ("手机", Field::Phone),
    ("联系电话", Field::Phone),
    ("手机号", Field::Phone),
    ("phone", Field::Phone),
    ("人数", Field::Size),
    ("户人口", Field::Size),
    ("人口", Field::Size),
    ("size", Field::Size),
    ("经度", Field::Lon),
    ("lon", Field::Lon),
    ("lng", Field::Lon),
    ("longitude", Field::Lon),
    ("纬度", Field::Lat),
    ("lat", Field::Lat),
    ("latitude", Field::Lat),
    ("坐标系", Field::Crs),
    ("crs", Field::Crs),
    ("标签", Field::Tags),
    ("tags", Field::Tags),
    ("类别", Field::Tags),
];

/// Parses `地址=address,房号=room` into overrides of the household mapping.
pub fn parse_overrides(text: &str) -> Result<BTreeMap<String, Option<Field>>, String> {
    tabular::parse_overrides(text)
}

/// One data row as a household in WGS84; `Err` is the reason it cannot be imported.
pub fn row(
    mapping: &Mapping,
    record: &csv::StringRecord,
    default_crs: Crs,
) -> Result<HouseholdInput, String> {
    let mut h = HouseholdInput {
        address: String::new(),
        room: String::new(),
        head_name: String::new(),
        phone: String::new(),
        size: None,
        tags: Vec::new(),
        lon: f64::NAN,
        lat: f64::NAN,
        input_crs: default_crs,
    };
    let (mut lon, mut lat) = (None, None);
    for (field, cell) in mapping.cells(record) {
        match field {
            Field::Address => h.address = cell.to_owned(),
            Field::Room => h.room = cell.to_owned(),
            Field::Name => h.head_name = cell.to_owned(),
            Field::Phone => h.phone = clean_phone(cell)?,
            Field::Size if cell.is_empty() => {}
            Field::Size => {
                h.size = Some(
                    cell.parse::<i32>()
                        .ok()
                        .filter(|n| (1..=99).contains(n))
                        .ok_or_else(|| format!("size `{cell}` is not a number of people 1–99"))?,
                )
            }
            Field::Lon => lon = Some(coordinate(cell, "lon", 180.0)?),
            Field::Lat => lat = Some(coordinate(cell, "lat", 90.0)?),
            Field::Crs if cell.is_empty() => {}
            Field::Crs => h.input_crs = cell.parse()?,
            Field::Tags => {
                for t in cell
                    .split([';', ',', '，', '、', '|', '；', ' '])
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                {
                    h.tags.push(Tag::parse(t).ok_or_else(|| {
                        format!("unknown tag `{t}` (独居老人, 党员中心户, 低保户)")
                    })?);
                }
            }
            Field::Tag(t) => {
                if yes(cell).ok_or_else(|| {
                    format!("{} `{cell}` is neither yes nor no (是/否)", t.chinese())
                })? {
                    h.tags.push(t);
                }
            }
        }
    }
    if h.address.is_empty() {
        return Err("address is empty".to_owned());
    }
    let (Some(lon), Some(lat)) = (lon, lat) else {
        return Err("lon or lat is empty".to_owned());
    };
    let p = h.input_crs.to_wgs84(lon, lat);
    h.lon = p.lon;
    h.lat = p.lat;
    h.tags.sort();
    h.tags.dedup();
    Ok(h)
}

/// The smallest unit `snap` assigns a household to, when `covers` allows it; the reason otherwise.
pub fn place_in(
    snap: &crate::spatial::Snapshot,
    h: &HouseholdInput,
    covers: impl Fn(&crate::units::UnitCode) -> bool,
) -> Result<crate::units::UnitCode, String> {
    let point = crate::spatial::Wgs84 {
        lon: h.lon,
        lat: h.lat,
    };
    tabular::place(snap, point, covers)
}

/// A CSV file read and checked, ready to write.
#[derive(Debug, Clone)]
pub struct Checked<U> {
    pub encoding: Encoding,
    pub mapping: Vec<ColumnMapping>,
    /// The good rows with what `place` made of them, and their line.
    pub rows: Vec<(HouseholdInput, U, u64)>,
    pub problems: Vec<RowProblem>,
}

/// Reads a whole CSV file: decodes it (`encoding` or detected), maps its header, checks every
/// row and places each good one with `place` (its unit, or why it has none). `Err` is a problem
/// of the file as a whole (encoding, header), when nothing can be imported.
pub fn check<U>(
    bytes: &[u8],
    encoding: Option<Encoding>,
    overrides: &BTreeMap<String, Option<Field>>,
    default_crs: Crs,
    mut place: impl FnMut(&HouseholdInput) -> Result<U, String>,
) -> Result<Checked<U>, String> {
    let table = tabular::read(bytes, encoding, overrides, |mapping, record| {
        let h = row(mapping, record, default_crs)?;
        let placed = place(&h)?;
        Ok((h, placed))
    })?;
    Ok(Checked {
        encoding: table.encoding,
        mapping: table.mapping,
        rows: table
            .rows
            .into_iter()
            .map(|((h, placed), line)| (h, placed, line))
            .collect(),
        problems: table.problems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cols: &[&str]) -> csv::StringRecord {
        csv::StringRecord::from(cols.to_vec())
    }

    #[test]
    fn chinese_and_english_headers_map_to_the_same_fields() {
        let zh = Mapping::new(
            &headers(&[
                "住址",
                "房号",
                "户主",
                "手机",
                "户人口",
                "经度",
                "纬度",
                "低保户",
            ]),
            &BTreeMap::new(),
        )
        .unwrap();
        let en = Mapping::new(
            &headers(&[
                "Address",
                "room",
                "name",
                "phone",
                "size",
                "lon",
                "lat",
                "low_income",
            ]),
            &BTreeMap::new(),
        )
        .unwrap();
        assert_eq!(zh.fields(), en.fields());
        assert_eq!(zh.shown[7].field, Some("low_income"));
    }

    #[test]
    fn overrides_win_over_aliases_and_unknown_columns_are_ignored() {
        let o = parse_overrides("楼栋地址=address, 地址=-").unwrap();
        let m = Mapping::new(&headers(&["地址", "楼栋地址", "经度", "纬度", "备注"]), &o).unwrap();
        assert_eq!(m.shown[0].field, None);
        assert_eq!(m.shown[1].field, Some("address"));
        assert_eq!(m.shown[4].field, None);
        assert!(parse_overrides("地址=street")
            .unwrap_err()
            .contains("unknown field"));
    }

    #[test]
    fn a_mapping_without_coordinates_or_with_two_addresses_is_refused() {
        let none = BTreeMap::new();
        assert!(Mapping::new(&headers(&["地址", "经度"]), &none)
            .unwrap_err()
            .contains("lat"));
        assert!(
            Mapping::new(&headers(&["地址", "住址", "经度", "纬度"]), &none)
                .unwrap_err()
                .contains("two columns")
        );
    }

    #[test]
    fn rows_convert_their_crs_and_collect_tags_from_both_kinds_of_column() {
        let m = Mapping::new(
            &headers(&["地址", "经度", "纬度", "坐标系", "标签", "独居老人"]),
            &BTreeMap::new(),
        )
        .unwrap();
        let h = row(
            &m,
            &headers(&[
                "思明路1号",
                "118.1",
                "24.5",
                "gcj02",
                "低保户、党员中心户",
                "是",
            ]),
            Crs::Wgs84,
        )
        .unwrap();
        assert_eq!(h.input_crs, Crs::Gcj02);
        assert!((h.lon - 118.1).abs() > 1e-4, "GCJ-02 was not converted");
        assert_eq!(
            h.tags,
            [Tag::ElderlyAlone, Tag::PartyMemberHousehold, Tag::LowIncome]
        );
        let bad = row(
            &m,
            &headers(&["思明路1号", "east", "24.5", "", "", ""]),
            Crs::Wgs84,
        );
        assert!(bad.unwrap_err().contains("lon `east`"));
    }
}
