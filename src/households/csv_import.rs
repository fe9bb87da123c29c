//! Households from CSV as offices export it: UTF-8 (with or without BOM) or GBK/GB18030, Chinese
//! or English headers mapped to fields (the mapping is shown and can be overridden), coordinates
//! in any of the three CRSs. A row that fails is reported with its line number and reason; the
//! other rows still import.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;

use super::model::{clean_phone, HouseholdInput, Tag};
use crate::spatial::crs::Crs;

/// How the bytes were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Encoding {
    #[serde(rename = "utf-8")]
    Utf8,
    /// GB18030, the superset of GBK that Excel writes on Chinese Windows.
    #[serde(rename = "gbk")]
    Gbk,
}

impl std::str::FromStr for Encoding {
    type Err = String;
    fn from_str(s: &str) -> Result<Encoding, String> {
        match s.to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Ok(Encoding::Utf8),
            "gbk" | "gb18030" | "gb2312" => Ok(Encoding::Gbk),
            _ => Err(format!(
                "unknown encoding `{s}`: expected auto, utf-8 or gbk"
            )),
        }
    }
}

/// Valid UTF-8 (a BOM is dropped) is UTF-8; anything else is read as GB18030.
pub fn detect(bytes: &[u8]) -> Encoding {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if std::str::from_utf8(body).is_ok() {
        Encoding::Utf8
    } else {
        Encoding::Gbk
    }
}

/// The text of `bytes` in `encoding`; `Err` names the first byte offset that is not valid in it.
pub fn decode(bytes: &[u8], encoding: Encoding) -> Result<Cow<'_, str>, String> {
    match encoding {
        Encoding::Utf8 => {
            let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            std::str::from_utf8(body)
                .map(Cow::Borrowed)
                .map_err(|e| format!("not UTF-8 at byte {}", e.valid_up_to()))
        }
        Encoding::Gbk => {
            let (text, had_errors) = encoding_rs::GB18030
                .decode_without_bom_handling_and_without_replacement(bytes)
                .map(|t| (t, false))
                .unwrap_or_else(|| (Cow::Borrowed(""), true));
            if had_errors {
                Err("not GBK/GB18030 either".to_owned())
            } else {
                Ok(text)
            }
        }
    }
}

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

impl Field {
    pub fn parse(s: &str) -> Option<Field> {
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

    pub fn name(self) -> &'static str {
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

/// One column and the field it feeds (`None`: ignored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnMapping {
    pub column: String,
    pub field: Option<&'static str>,
}

/// Which column feeds which field.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    fields: Vec<Option<Field>>,
    pub shown: Vec<ColumnMapping>,
}

/// Parses `地址=address,房号=room` (also `;` or newlines between pairs) into overrides; a field
/// of `-` or `ignore` drops the column.
pub fn parse_overrides(text: &str) -> Result<BTreeMap<String, Option<Field>>, String> {
    let mut out = BTreeMap::new();
    for pair in text
        .split([',', ';', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (column, field) = pair
            .split_once('=')
            .ok_or_else(|| format!("mapping `{pair}` is not COLUMN=FIELD"))?;
        let field = match field.trim() {
            "-" | "ignore" => None,
            f => Some(Field::parse(f).ok_or_else(|| {
                format!(
                    "mapping `{pair}`: unknown field `{f}` (address, room, name, phone, size, \
                     lon, lat, crs, tags, elderly_alone, party_member_household, low_income, -)"
                )
            })?),
        };
        out.insert(column.trim().to_owned(), field);
    }
    Ok(out)
}

impl Mapping {
    /// Maps each header by the overrides first, then the aliases; `Err` when a field has two
    /// columns or address, lon or lat has none.
    pub fn new(
        headers: &csv::StringRecord,
        overrides: &BTreeMap<String, Option<Field>>,
    ) -> Result<Mapping, String> {
        let mut fields = Vec::with_capacity(headers.len());
        for h in headers.iter() {
            let h = h.trim();
            let field = match overrides.get(h) {
                Some(f) => *f,
                None => {
                    let lower = h.to_ascii_lowercase();
                    ALIASES
                        .iter()
                        .find(|(alias, _)| *alias == lower)
                        .map(|(_, f)| *f)
                        .or_else(|| Tag::parse(h).map(Field::Tag))
                }
            };
            fields.push(field);
        }
        for (i, f) in fields.iter().enumerate() {
            if let Some(f) = f {
                if fields[..i].contains(&Some(*f)) {
                    return Err(format!(
                        "two columns map to `{}`: override one with mapping COLUMN=-",
                        f.name()
                    ));
                }
            }
        }
        let missing: Vec<&str> = [Field::Address, Field::Lon, Field::Lat]
            .into_iter()
            .filter(|f| !fields.contains(&Some(*f)))
            .map(Field::name)
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "no column for {}: name it with mapping COLUMN=FIELD",
                missing.join(", ")
            ));
        }
        let shown = headers
            .iter()
            .zip(&fields)
            .map(|(h, f)| ColumnMapping {
                column: h.trim().to_owned(),
                field: f.map(Field::name),
            })
            .collect();
        Ok(Mapping { fields, shown })
    }

    /// One data row as a household in WGS84; `Err` is the reason it cannot be imported.
    pub fn row(
        &self,
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
        for (cell, field) in record.iter().zip(&self.fields) {
            let cell = cell.trim();
            let Some(field) = field else { continue };
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
                            .ok_or_else(|| {
                                format!("size `{cell}` is not a number of people 1–99")
                            })?,
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
                        h.tags.push(*t);
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
}

fn coordinate(cell: &str, what: &str, limit: f64) -> Result<f64, String> {
    cell.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && v.abs() <= limit)
        .ok_or_else(|| format!("{what} `{cell}` is not a number within ±{limit}"))
}

fn yes(cell: &str) -> Option<bool> {
    match cell.to_ascii_lowercase().as_str() {
        "是" | "1" | "y" | "yes" | "true" | "√" | "✓" | "有" => Some(true),
        "" | "否" | "0" | "n" | "no" | "false" | "无" => Some(false),
        _ => None,
    }
}

/// The smallest unit `snap` assigns a household to, when `covers` allows it; the reason otherwise.
pub fn place_in(
    snap: &crate::spatial::Snapshot,
    h: &HouseholdInput,
    covers: impl Fn(&crate::units::UnitCode) -> bool,
) -> Result<crate::units::UnitCode, String> {
    let code = snap
        .assign(h.lon, h.lat)
        .unit_index()
        .map(|i| snap.unit(i).code.clone())
        .ok_or_else(|| format!("({}, {}) lies outside every unit", h.lon, h.lat))?;
    if covers(&code) {
        Ok(code)
    } else {
        Err(format!("unit {code} lies outside your area"))
    }
}

/// A row that cannot be imported: its line in the file (the header is line 1) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    pub line: u64,
    pub reason: String,
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
    let encoding = encoding.unwrap_or_else(|| detect(bytes));
    let text = decode(bytes, encoding)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("header line: {e}"))?
        .clone();
    let mapping = Mapping::new(&headers, overrides)?;
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(line, csv::Position::line);
                if record.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                match mapping.row(&record, default_crs).and_then(|h| {
                    let placed = place(&h)?;
                    Ok((h, placed))
                }) {
                    Ok((h, placed)) => rows.push((h, placed, line)),
                    Err(reason) => problems.push(RowProblem { line, reason }),
                }
            }
            Err(e) => problems.push(RowProblem {
                line: e.position().map_or(line, csv::Position::line),
                reason: format!("unreadable row: {e}"),
            }),
        }
    }
    Ok(Checked {
        encoding,
        mapping: mapping.shown,
        rows,
        problems,
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
        assert_eq!(zh.fields, en.fields);
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
    fn gbk_bytes_are_detected_and_decoded_and_utf8_with_bom_is_utf8() {
        let (gbk, _, _) = encoding_rs::GBK.encode("地址,经度\n思明路1号,118.1\n");
        assert_eq!(detect(&gbk), Encoding::Gbk);
        assert_eq!(
            decode(&gbk, Encoding::Gbk).unwrap(),
            "地址,经度\n思明路1号,118.1\n"
        );
        let bom = "\u{FEFF}地址".as_bytes();
        assert_eq!(detect(bom), Encoding::Utf8);
        assert_eq!(decode(bom, Encoding::Utf8).unwrap(), "地址");
        assert!(decode(&gbk, Encoding::Utf8).is_err());
    }

    #[test]
    fn rows_convert_their_crs_and_collect_tags_from_both_kinds_of_column() {
        let m = Mapping::new(
            &headers(&["地址", "经度", "纬度", "坐标系", "标签", "独居老人"]),
            &BTreeMap::new(),
        )
        .unwrap();
        let h = m
            .row(
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
        let bad = m.row(
            &headers(&["思明路1号", "east", "24.5", "", "", ""]),
            Crs::Wgs84,
        );
        assert!(bad.unwrap_err().contains("lon `east`"));
    }
}
