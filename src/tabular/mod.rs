//! Tables as offices export them, shared by the household and facility imports: CSV in UTF-8 or
//! GBK (detected), headers mapped to a domain's fields by aliases and overrides, every row read
//! with its line number so that a bad one is reported where it is, and rows placed on the
//! snapshot (the unit a location is assigned to, within the importer's area).

pub mod encoding;
pub mod mapping;

use std::collections::BTreeMap;

use serde::Serialize;

pub use encoding::{decode, detect, Encoding};
pub use mapping::{
    coordinate, fold_key, natural_key, parse_overrides, yes, ColumnMapping, Field, Mapping,
};

use crate::spatial::{Snapshot, Wgs84};
use crate::units::UnitCode;

/// A row that cannot be imported: its line in the file (the header is line 1) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    pub line: u64,
    pub reason: String,
}

/// A CSV file read row by row.
#[derive(Debug, Clone)]
pub struct Table<T> {
    pub encoding: Encoding,
    pub mapping: Vec<ColumnMapping>,
    /// What `row` made of each good row, with the row's line.
    pub rows: Vec<(T, u64)>,
    pub problems: Vec<RowProblem>,
}

/// Reads a whole CSV file: decodes it (`encoding`, or detected), maps its header, and gives
/// every non-blank row to `row`, which answers what the row is or why it cannot be imported.
/// `Err` is a problem of the file as a whole (encoding, header), when nothing can be imported.
pub fn read<F: Field, T>(
    bytes: &[u8],
    encoding: Option<Encoding>,
    overrides: &BTreeMap<String, Option<F>>,
    mut row: impl FnMut(&Mapping<F>, &csv::StringRecord) -> Result<T, String>,
) -> Result<Table<T>, String> {
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
                match row(&mapping, &record) {
                    Ok(t) => rows.push((t, line)),
                    Err(reason) => problems.push(RowProblem { line, reason }),
                }
            }
            Err(e) => problems.push(RowProblem {
                line: e.position().map_or(line, csv::Position::line),
                reason: format!("unreadable row: {e}"),
            }),
        }
    }
    Ok(Table {
        encoding,
        mapping: mapping.shown,
        rows,
        problems,
    })
}

/// The smallest unit `snap` assigns `point` to (inside it or snapped to it), when `covers` allows
/// it; the reason otherwise.
pub fn place(
    snap: &Snapshot,
    point: Wgs84,
    covers: impl Fn(&UnitCode) -> bool,
) -> Result<UnitCode, String> {
    let assignment = snap.assign(point.lon, point.lat);
    // A fallback holds what lies outside every unit; an import refuses such a row instead.
    let code = Some(assignment)
        .filter(|a| a.assigned())
        .and_then(|a| a.unit_index())
        .map(|i| snap.unit(i).code.clone())
        .ok_or_else(|| format!("({}, {}) lies outside every unit", point.lon, point.lat))?;
    if covers(&code) {
        Ok(code)
    } else {
        Err(format!("unit {code} lies outside your area"))
    }
}
