//! Reading the source files in `geodata-sources/`: division lists (CSV, some gzipped) and district
//! outlines (GeoJSON, one file or a tarball of one file per city), and matching outlines to codes.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use anyhow::{anyhow, bail, Context};
use flate2::read::GzDecoder;
use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

pub(crate) const DISTRICTS_CSV: &str = "china-districts.csv";
pub(crate) const STREETS_CSV: &str = "china-streets.csv.gz";
pub(crate) const COMMUNITIES_CSV: &str = "china-communities.csv.gz";
pub(crate) const CITY_DISTRICTS_TGZ: &str = "china-city-districts.tgz";
pub(crate) const XIAMEN_GEOJSON: &str = "xiamen-districts.geojson";

/// One row of a division list: code, name and the code of the unit above.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Division {
    pub code: String,
    pub name: String,
    pub parent: String,
}

#[derive(Deserialize)]
struct DistrictRecord {
    code: String,
    name: String,
    #[serde(rename = "cityCode")]
    city_code: String,
}

#[derive(Deserialize)]
struct StreetRecord {
    code: String,
    name: String,
    #[serde(rename = "areaCode")]
    area_code: String,
}

#[derive(Deserialize)]
struct CommunityRecord {
    code: String,
    name: String,
    #[serde(rename = "streetCode")]
    street_code: String,
}

/// Districts (6-digit codes) from `china-districts.csv`; `parent` is the city code.
pub(crate) fn read_districts(sources: &Path) -> anyhow::Result<Vec<Division>> {
    let path = sources.join(DISTRICTS_CSV);
    let file = File::open(&path).with_context(|| format!("opening {}", path.display()))?;
    read_csv(file, &path, |r: DistrictRecord| Division {
        code: r.code,
        name: r.name,
        parent: r.city_code,
    })
}

/// Streets and towns (9 digits) whose code starts with `prefix`; `parent` is the district code.
pub(crate) fn read_streets(sources: &Path, prefix: &str) -> anyhow::Result<Vec<Division>> {
    let path = sources.join(STREETS_CSV);
    let file = File::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let mut rows = read_csv(
        GzDecoder::new(BufReader::new(file)),
        &path,
        |r: StreetRecord| Division {
            code: r.code,
            name: r.name,
            parent: r.area_code,
        },
    )?;
    rows.retain(|d| d.code.starts_with(prefix));
    Ok(rows)
}

/// Communities and villages (12 digits) whose code starts with `prefix`; `parent` is the street.
pub(crate) fn read_communities(sources: &Path, prefix: &str) -> anyhow::Result<Vec<Division>> {
    let path = sources.join(COMMUNITIES_CSV);
    let file = File::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let mut rows = read_csv(
        GzDecoder::new(BufReader::new(file)),
        &path,
        |r: CommunityRecord| Division {
            code: r.code,
            name: r.name,
            parent: r.street_code,
        },
    )?;
    rows.retain(|d| d.code.starts_with(prefix));
    Ok(rows)
}

fn read_csv<R: Read, T: for<'de> Deserialize<'de>>(
    reader: R,
    path: &Path,
    convert: impl Fn(T) -> Division,
) -> anyhow::Result<Vec<Division>> {
    let mut rows = Vec::new();
    for (i, record) in csv::Reader::from_reader(reader)
        .deserialize::<T>()
        .enumerate()
    {
        // +2: one for the header, one because lines count from 1
        let record = record.with_context(|| format!("{} line {}", path.display(), i + 2))?;
        rows.push(convert(record));
    }
    Ok(rows)
}

/// One feature of an outline file.
#[derive(Debug, Clone)]
pub(crate) struct OutlineFeature {
    /// The feature id when there is one (a 6-digit district code in these files).
    pub id: Option<String>,
    pub name: String,
    pub geometry: MultiPolygon<f64>,
}

/// The features of a GeoJSON FeatureCollection of (multi)polygons, plain or in ECharts'
/// compressed "UTF8Encoding" form; features without geometry or with an empty one are skipped.
pub(crate) fn read_outlines(bytes: &[u8], what: &str) -> anyhow::Result<Vec<OutlineFeature>> {
    let collection: FeatureCollection =
        serde_json::from_slice(bytes).with_context(|| format!("parsing {what}"))?;
    let mut out = Vec::with_capacity(collection.features.len());
    let scale = collection
        .utf8_encoding
        .then_some(collection.utf8_scale.unwrap_or(1024.0));
    for (i, feature) in collection.features.into_iter().enumerate() {
        let id = feature.id.map(|id| id.to_string());
        let name = feature.properties.and_then(|p| p.name).unwrap_or_default();
        let Some(geometry) = feature.geometry else {
            continue;
        };
        let geometry = geometry.into_multi_polygon(scale).with_context(|| {
            format!(
                "{what}: feature {i} ({} {name})",
                id.as_deref().unwrap_or("no id")
            )
        })?;
        // 蓟州区 (120119) ships as `"coordinates": []`: no outline rather than an empty one.
        if !geometry.0.is_empty() {
            out.push(OutlineFeature { id, name, geometry });
        }
    }
    Ok(out)
}

/// Every `*.geojson` file in the tarball, read in memory, in file-name order.
pub(crate) fn read_outline_tarball(
    path: &Path,
) -> anyhow::Result<Vec<(String, Vec<OutlineFeature>)>> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut archive = tar::Archive::new(GzDecoder::new(BufReader::new(file)));
    let mut files = Vec::new();
    let entries = archive
        .entries()
        .with_context(|| format!("reading {}", path.display()))?;
    for entry in entries {
        let mut entry = entry.with_context(|| format!("reading {}", path.display()))?;
        let name = entry.path()?.to_string_lossy().into_owned();
        if !name.ends_with(".geojson") {
            continue;
        }
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        entry
            .read_to_end(&mut bytes)
            .with_context(|| format!("reading {name} in {}", path.display()))?;
        let what = format!("{name} in {}", path.display());
        let file_name = name.rsplit('/').next().unwrap_or(&name).to_owned();
        files.push((file_name, read_outlines(&bytes, &what)?));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

/// How an outline was tied to a district code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MatchedBy {
    /// The feature id is the district code.
    Code,
    /// The feature id is an old code that became this one (see `RENAMED`).
    Renamed,
    /// The feature's name, or a regular renaming of it (潜山县 → 潜山市, 沙县 → 沙县区,
    /// 横县 → 横州市), is that of exactly one district without an outline in the same city: the
    /// code changed since the outline was drawn, or the feature has no id.
    NameInCity,
    /// As above, within the province (the district moved to another city, e.g. 莱芜 → 济南).
    NameInProvince,
}

impl fmt::Display for MatchedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MatchedBy::Code => "code",
            MatchedBy::Renamed => "renamed code",
            MatchedBy::NameInCity => "name in city",
            MatchedBy::NameInProvince => "name in province",
        })
    }
}

/// One district of `china-districts.csv` with the outline matched to it (not yet repaired).
#[derive(Debug, Clone)]
pub struct DistrictOutline {
    pub code: String,
    pub name: String,
    pub outline: MultiPolygon<f64>,
    pub matched_by: MatchedBy,
    /// `file: feature name (feature id)`, for reports.
    pub source: String,
}

/// The result of tying the outlines in `china-city-districts.tgz` to district codes.
#[derive(Debug, Clone, Default)]
pub struct OutlineMatch {
    /// Matched districts, by code.
    pub outlines: Vec<DistrictOutline>,
    /// Features tied to no district (`file: name (id)`): Hong Kong, Macao and Taiwan, which the
    /// division lists do not cover, and districts merged away since the outlines were drawn.
    pub unmatched: Vec<String>,
    /// Districts of the list that got no outline, as `code name`.
    pub without_outline: Vec<String>,
}

impl OutlineMatch {
    /// How many outlines were matched each way.
    pub fn counts(&self) -> BTreeMap<MatchedBy, usize> {
        let mut counts = BTreeMap::new();
        for o in &self.outlines {
            *counts.entry(o.matched_by).or_insert(0) += 1;
        }
        counts
    }
}

/// Reads every outline in `china-city-districts.tgz` and ties it to a code of
/// `china-districts.csv`: by feature id where the id is a listed code, otherwise by name within
/// the city (the file's city, from its other features), then within the province, taking only
/// unique answers among districts still without an outline.
pub fn match_district_outlines(sources: &Path) -> anyhow::Result<OutlineMatch> {
    let districts = read_districts(sources)?;
    let files = read_outline_tarball(&sources.join(CITY_DISTRICTS_TGZ))?;
    Ok(match_outlines(&districts, files))
}

pub(crate) fn match_outlines(
    districts: &[Division],
    files: Vec<(String, Vec<OutlineFeature>)>,
) -> OutlineMatch {
    let by_code: HashMap<&str, &Division> =
        districts.iter().map(|d| (d.code.as_str(), d)).collect();
    let mut by_name: HashMap<&str, Vec<&Division>> = HashMap::new();
    for d in districts {
        by_name.entry(d.name.as_str()).or_default().push(d);
    }
    let mut claimed: HashSet<String> = HashSet::new();
    let mut result = OutlineMatch::default();

    // Pass 1: ids that are listed codes.
    let mut pending: Vec<(usize, OutlineFeature)> = Vec::new();
    let mut file_city: Vec<Option<String>> = Vec::new();
    for (fi, (file, features)) in files.iter().enumerate() {
        let mut votes: BTreeMap<String, usize> = BTreeMap::new();
        for f in features {
            if let Some(d) = f.id.as_deref().and_then(|id| by_code.get(id)) {
                *votes.entry(d.code[..4].to_owned()).or_insert(0) += 1;
            } else if let Some([d]) = by_name.get(f.name.as_str()).map(|v| v.as_slice()) {
                *votes.entry(d.code[..4].to_owned()).or_insert(0) += 1;
            }
        }
        file_city.push(
            votes
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
                .map(|(city, _)| city),
        );
        for f in features {
            let source = describe(file, f);
            match f.id.as_deref().and_then(|id| by_code.get(id)) {
                Some(d) if claimed.insert(d.code.clone()) => {
                    result.outlines.push(DistrictOutline {
                        code: d.code.clone(),
                        name: d.name.clone(),
                        outline: f.geometry.clone(),
                        matched_by: MatchedBy::Code,
                        source,
                    });
                }
                Some(_) => result
                    .unmatched
                    .push(format!("{source}: code already has an outline")),
                None => pending.push((fi, f.clone())),
            }
        }
    }

    // Pass 2: renamed codes, then names within the city, then within the province.
    for (fi, f) in pending {
        let source = describe(&files[fi].0, &f);
        let renamed = f.id.as_deref().and_then(|id| {
            RENAMED
                .iter()
                .find(|(old, new)| *old == id && !claimed.contains(*new))
                .and_then(|(_, new)| by_code.get(new))
        });
        if let Some(d) = renamed {
            claimed.insert(d.code.clone());
            result.outlines.push(DistrictOutline {
                code: d.code.clone(),
                name: d.name.clone(),
                outline: f.geometry,
                matched_by: MatchedBy::Renamed,
                source,
            });
            continue;
        }
        let id_city =
            f.id.as_deref()
                .filter(|id| id.len() == 6 && id.bytes().all(|b| b.is_ascii_digit()))
                .map(|id| id[..4].to_owned());
        let city = id_city.or_else(|| file_city[fi].clone());
        let Some(city) = city else {
            result.unmatched.push(source);
            continue;
        };
        let province = city[..2].to_owned();
        let found = find_by_name(districts, &claimed, &f.name, &city)
            .map(|d| (d, MatchedBy::NameInCity))
            .or_else(|| {
                find_by_name(districts, &claimed, &f.name, &province)
                    .map(|d| (d, MatchedBy::NameInProvince))
            });
        match found {
            Some((d, how)) => {
                claimed.insert(d.code.clone());
                result.outlines.push(DistrictOutline {
                    code: d.code.clone(),
                    name: d.name.clone(),
                    outline: f.geometry,
                    matched_by: how,
                    source,
                });
            }
            None => result.unmatched.push(source),
        }
    }
    result.outlines.sort_by(|a, b| a.code.cmp(&b.code));
    result.without_outline = districts
        .iter()
        .filter(|d| !claimed.contains(&d.code))
        .map(|d| format!("{} {}", d.code, d.name))
        .collect();
    result
}

fn describe(file: &str, f: &OutlineFeature) -> String {
    format!(
        "{file}: {} ({})",
        f.name,
        f.id.as_deref().unwrap_or("no id")
    )
}

/// One-to-one renamings since the outlines were drawn whose names follow no pattern
/// (old code, new code), from the State Council's approvals 2017–2020.
const RENAMED: [(&str, &str); 10] = [
    ("130526", "130505"), // 任县 → 任泽区
    ("140227", "140215"), // 大同县 → 云州区
    ("140421", "140404"), // 长治县 → 上党区
    ("340221", "340210"), // 芜湖县 → 湾沚区
    ("360421", "360404"), // 九江县 → 柴桑区
    ("361121", "361104"), // 上饶县 → 广信区
    ("371202", "370116"), // 莱城区 → 莱芜区
    ("430221", "430212"), // 株洲县 → 渌口区
    ("511521", "511504"), // 宜宾县 → 叙州区
    ("542421", "540602"), // 那曲县 → 色尼区
];

/// The one unclaimed district under `prefix` called `name`, or failing that the one whose name
/// is a regular renaming of it: the same without the final 县/市/区 (潜山县 → 潜山市), the name
/// with 区 added (沙县 → 沙县区), or 县 becoming 州市 (横县 → 横州市).
fn find_by_name<'a>(
    districts: &'a [Division],
    claimed: &HashSet<String>,
    name: &str,
    prefix: &str,
) -> Option<&'a Division> {
    let candidates = || {
        districts
            .iter()
            .filter(move |d| d.code.starts_with(prefix) && !claimed.contains(&d.code))
    };
    let exact: Vec<&Division> = candidates().filter(|d| d.name == name).collect();
    if let [d] = exact.as_slice() {
        return Some(d);
    }
    if !exact.is_empty() {
        return None;
    }
    let stem = name_stem(name);
    let with_zhou = format!("{stem}州");
    let similar: Vec<&Division> = candidates()
        .filter(|d| {
            let other = name_stem(&d.name);
            (other == stem && stem.chars().count() >= 2)
                || other == name
                || (name.ends_with('县') && other == with_zhou)
        })
        .collect();
    match similar.as_slice() {
        [d] => Some(d),
        _ => None,
    }
}

fn name_stem(name: &str) -> &str {
    name.strip_suffix(['县', '市', '区']).unwrap_or(name)
}

#[derive(Deserialize)]
struct FeatureCollection {
    features: Vec<Feature>,
    /// ECharts' compressed variant: rings are strings (see [`decode_ring`]).
    #[serde(rename = "UTF8Encoding", default)]
    utf8_encoding: bool,
    #[serde(rename = "UTF8Scale", default)]
    utf8_scale: Option<f64>,
}

#[derive(Deserialize)]
struct Feature {
    #[serde(default)]
    id: Option<FeatureId>,
    #[serde(default)]
    properties: Option<Properties>,
    #[serde(default)]
    geometry: Option<Geometry>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum FeatureId {
    Text(String),
    Number(u64),
}

impl fmt::Display for FeatureId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeatureId::Text(s) => f.write_str(s),
            FeatureId::Number(n) => write!(f, "{n}"),
        }
    }
}

#[derive(Deserialize)]
struct Properties {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct Geometry {
    #[serde(rename = "type")]
    kind: String,
    coordinates: Nested,
    #[serde(rename = "encodeOffsets", default)]
    encode_offsets: Option<Nested>,
}

/// GeoJSON coordinates of any depth (or ECharts' encoded ring strings), read without an
/// intermediate `serde_json::Value`.
enum Nested {
    Number(f64),
    Text(String),
    List(Vec<Nested>),
}

impl<'de> Deserialize<'de> for Nested {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Nested, D::Error> {
        struct NestedVisitor;
        impl<'de> Visitor<'de> for NestedVisitor {
            type Value = Nested;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number, a string or an array of coordinates")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Nested, E> {
                Ok(Nested::Number(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Nested, E> {
                Ok(Nested::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Nested, E> {
                Ok(Nested::Number(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Nested, E> {
                Ok(Nested::Text(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Nested, E> {
                Ok(Nested::Text(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Nested, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Nested::List(items))
            }
        }
        deserializer.deserialize_any(NestedVisitor)
    }
}

impl Geometry {
    /// `scale`: the quantisation of ECharts-encoded files, `None` for plain GeoJSON.
    fn into_multi_polygon(self, scale: Option<f64>) -> anyhow::Result<MultiPolygon<f64>> {
        let encoding = match scale {
            Some(scale) => Some((
                scale,
                self.encode_offsets
                    .ok_or_else(|| anyhow!("encoded geometry without encodeOffsets"))?,
            )),
            None => None,
        };
        match self.kind.as_str() {
            "Polygon" => Ok(MultiPolygon(
                polygon(self.coordinates, encoding)?.into_iter().collect(),
            )),
            // Some files hold empty polygons (`[]`) inside a MultiPolygon: they are skipped.
            "MultiPolygon" => {
                let polygons = list(self.coordinates, "multipolygon")?;
                let mut offsets = per_item(encoding, polygons.len())?;
                let mut out = Vec::new();
                for p in polygons {
                    let encoding = offsets
                        .as_mut()
                        .and_then(|(scale, o)| o.next().map(|o| (*scale, o)));
                    out.extend(polygon(p, encoding)?);
                }
                Ok(MultiPolygon(out))
            }
            other => bail!("geometry type {other}: expected Polygon or MultiPolygon"),
        }
    }
}

/// Splits encodeOffsets into one entry per polygon or ring.
fn per_item(
    encoding: Option<(f64, Nested)>,
    count: usize,
) -> anyhow::Result<Option<(f64, std::vec::IntoIter<Nested>)>> {
    let Some((scale, offsets)) = encoding else {
        return Ok(None);
    };
    let offsets = list(offsets, "encodeOffsets")?;
    if offsets.len() != count {
        bail!("{} encodeOffsets for {count} items", offsets.len());
    }
    Ok(Some((scale, offsets.into_iter())))
}

fn list(n: Nested, what: &str) -> anyhow::Result<Vec<Nested>> {
    match n {
        Nested::List(items) => Ok(items),
        Nested::Number(_) => Err(anyhow!("expected an array for a {what}, found a number")),
        Nested::Text(_) => Err(anyhow!("expected an array for a {what}, found a string")),
    }
}

/// `None` for a polygon without rings.
fn polygon(n: Nested, encoding: Option<(f64, Nested)>) -> anyhow::Result<Option<Polygon<f64>>> {
    let rings = list(n, "polygon")?;
    let mut offsets = per_item(encoding, rings.len())?;
    let mut decoded = Vec::with_capacity(rings.len());
    for r in rings {
        let origin = offsets
            .as_mut()
            .and_then(|(scale, o)| o.next().map(|o| (*scale, o)));
        let ring = match (r, origin) {
            (Nested::Text(text), Some((scale, origin))) => decode_ring(&text, origin, scale)?,
            (Nested::Text(_), None) => bail!("encoded ring in a file not marked UTF8Encoding"),
            (r, _) => LineString(
                list(r, "ring")?
                    .into_iter()
                    .map(position)
                    .collect::<anyhow::Result<Vec<Coord<f64>>>>()?,
            ),
        };
        decoded.push(ring);
    }
    let mut rings = decoded.into_iter();
    let Some(exterior) = rings.next() else {
        return Ok(None);
    };
    Ok(Some(Polygon::new(exterior, rings.collect())))
}

/// One ring of ECharts' "UTF8Encoding" (echarts `decodePolygon`): pairs of UTF-16 code units,
/// each minus 64, zig-zag decoded, are deltas from the previous point, starting at `origin`;
/// coordinates are the integers divided by `scale` (1024).
fn decode_ring(text: &str, origin: Nested, scale: f64) -> anyhow::Result<LineString<f64>> {
    let origin = list(origin, "encodeOffsets")?;
    let (mut x, mut y) = match origin.as_slice() {
        [Nested::Number(x), Nested::Number(y), ..] => (*x as i64, *y as i64),
        _ => bail!("encodeOffsets must be pairs of numbers"),
    };
    let units: Vec<u16> = text.encode_utf16().collect();
    if !units.len().is_multiple_of(2) {
        bail!("encoded ring has an odd number of characters");
    }
    let zigzag = |u: u16| {
        let v = i64::from(u) - 64;
        (v >> 1) ^ -(v & 1)
    };
    let mut coords = Vec::with_capacity(units.len() / 2);
    for pair in units.chunks(2) {
        x += zigzag(pair[0]);
        y += zigzag(pair[1]);
        coords.push(Coord {
            x: x as f64 / scale,
            y: y as f64 / scale,
        });
    }
    Ok(LineString(coords))
}

fn position(n: Nested) -> anyhow::Result<Coord<f64>> {
    match list(n, "position")?.as_slice() {
        [Nested::Number(x), Nested::Number(y), ..] => Ok(Coord { x: *x, y: *y }),
        _ => bail!("a position must start with two numbers"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn division(code: &str, name: &str) -> Division {
        Division {
            code: code.to_owned(),
            name: name.to_owned(),
            parent: code[..4].to_owned(),
        }
    }

    fn feature(id: Option<&str>, name: &str) -> OutlineFeature {
        OutlineFeature {
            id: id.map(str::to_owned),
            name: name.to_owned(),
            geometry: MultiPolygon(vec![]),
        }
    }

    #[test]
    fn outlines_match_by_code_then_by_name_in_city_then_province() {
        let districts = vec![
            division("340209", "弋江区"),
            division("340882", "潜山市"),
            division("130902", "新华区"),
            division("130105", "新华区"),
            division("130921", "沧县"),
            division("370117", "钢城区"),
            division("350203", "思明区"),
            division("350405", "沙县区"),
            division("450181", "横州市"),
            division("361104", "广信区"),
        ];
        let files = vec![
            (
                "an1_hui1.geojson".to_owned(),
                vec![
                    feature(Some("340203"), "弋江区"),
                    feature(Some("340824"), "潜山县"),
                ],
            ),
            (
                "cang1_zhou1.geojson".to_owned(),
                vec![feature(None, "沧县"), feature(None, "新华区")],
            ),
            (
                "lai2_wu2.geojson".to_owned(),
                vec![feature(Some("371203"), "钢城区")],
            ),
            (
                "misc.geojson".to_owned(),
                vec![
                    feature(Some("350427"), "沙县"),
                    feature(Some("450127"), "横县"),
                    feature(Some("361121"), "上饶县"),
                ],
            ),
            (
                "xia4_men2.geojson".to_owned(),
                vec![feature(Some("350203"), "思明区"), feature(None, "金門縣")],
            ),
        ];
        let m = match_outlines(&districts, files);
        let got: Vec<(&str, MatchedBy)> = m
            .outlines
            .iter()
            .map(|o| (o.code.as_str(), o.matched_by))
            .collect();
        assert_eq!(
            got,
            vec![
                ("130902", MatchedBy::NameInCity),
                ("130921", MatchedBy::NameInCity),
                ("340209", MatchedBy::NameInCity),
                ("340882", MatchedBy::NameInCity),
                ("350203", MatchedBy::Code),
                ("350405", MatchedBy::NameInCity),
                ("361104", MatchedBy::Renamed),
                ("370117", MatchedBy::NameInProvince),
                ("450181", MatchedBy::NameInCity),
            ]
        );
        assert_eq!(
            m.unmatched,
            vec!["xia4_men2.geojson: 金門縣 (no id)".to_owned()]
        );
        assert_eq!(m.without_outline, vec!["130105 新华区".to_owned()]);
    }

    #[test]
    fn echarts_encoded_rings_are_decoded() {
        // 黄浦区, Shanghai, as china-city-districts.tgz ships it.
        let text = r#"{"type":"FeatureCollection","UTF8Encoding":true,"features":[
            {"id":"310101","type":"Feature","properties":{"name":"黄浦区"},"geometry":{"type":"Polygon",
             "coordinates":["@@AHV@BDCPEPLENFHCJHFBNCAGBGXWFIBGCGMUKKCCcGCDGBALCPIAAPGR"],
             "encodeOffsets":[[124373,31970]]}},
            {"id":"x","type":"Feature","properties":{"name":"m"},"geometry":{"type":"MultiPolygon",
             "coordinates":[["@@AHV@BD"],[]],"encodeOffsets":[[[124373,31970]],[]]}}
        ]}"#;
        let f = read_outlines(text.as_bytes(), "test").unwrap();
        let ring = &f[0].geometry.0[0].exterior().0;
        assert_eq!(ring.len(), 29);
        assert_eq!(
            ring[0],
            Coord {
                x: 121.4580078125,
                y: 31.220703125
            }
        );
        assert_eq!(
            ring[1],
            Coord {
                x: 121.45703125,
                y: 31.224609375
            }
        );
        assert_eq!(
            ring[3],
            Coord {
                x: 121.46875,
                y: 31.2265625
            }
        );
        assert_eq!(ring[28], ring[0]);
        assert_eq!(f[1].geometry.0.len(), 1);
    }

    #[test]
    fn geojson_polygons_and_multipolygons_are_read() {
        let text = br#"{"type":"FeatureCollection","features":[
            {"type":"Feature","id":"350203","properties":{"name":"A","cp":[1,2]},
             "geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}},
            {"type":"Feature","id":350205,"properties":{"name":"B"},
             "geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[],[[[5,5],[6,5],[6,6.5],[5,5]]]]}},
            {"type":"Feature","properties":{"name":"C"},"geometry":null}
        ]}"#;
        let f = read_outlines(text, "test").unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].id.as_deref(), Some("350203"));
        assert_eq!(f[1].id.as_deref(), Some("350205"));
        assert_eq!(f[1].geometry.0.len(), 2);
        assert_eq!(f[1].geometry.0[1].exterior().0[2], Coord { x: 6.0, y: 6.5 });
    }
}
