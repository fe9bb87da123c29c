//! Which column of a table feeds which field of a domain: headers matched by the domain's aliases
//! (Chinese or English), overridden by the client (`地址=address,备注=-`), and shown back.

use std::collections::BTreeMap;

use serde::Serialize;

/// The fields one kind of table (households, facilities) has.
pub trait Field: Copy + Eq + 'static {
    /// The field's name in overrides and in the mapping shown.
    fn name(self) -> &'static str;
    /// The field a name in an override means.
    fn parse(name: &str) -> Option<Self>;
    /// The field a header feeds by the domain's aliases (trimmed; ASCII compared lower-cased).
    fn from_header(header: &str) -> Option<Self>;
    /// Fields without which no row can be read.
    const REQUIRED: &'static [Self];
    /// The field names, listed in the refusal of an unknown one.
    const NAMES: &'static str;
}

/// One column and the field it feeds (`None`: ignored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnMapping {
    pub column: String,
    pub field: Option<&'static str>,
}

/// Parses `地址=address,房号=room` (also `;` or newlines between pairs) into overrides; a field
/// of `-` or `ignore` drops the column.
pub fn parse_overrides<F: Field>(text: &str) -> Result<BTreeMap<String, Option<F>>, String> {
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
            f => Some(F::parse(f).ok_or_else(|| {
                format!("mapping `{pair}`: unknown field `{f}` ({}, -)", F::NAMES)
            })?),
        };
        out.insert(column.trim().to_owned(), field);
    }
    Ok(out)
}

/// Which column feeds which field.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping<F> {
    fields: Vec<Option<F>>,
    pub shown: Vec<ColumnMapping>,
}

impl<F: Field> Mapping<F> {
    /// Maps each header by the overrides first, then the aliases; `Err` when a field has two
    /// columns or a required field has none.
    pub fn new(
        headers: &csv::StringRecord,
        overrides: &BTreeMap<String, Option<F>>,
    ) -> Result<Mapping<F>, String> {
        let fields: Vec<Option<F>> = headers
            .iter()
            .map(|h| {
                let h = h.trim();
                match overrides.get(h) {
                    Some(f) => *f,
                    None => F::from_header(h),
                }
            })
            .collect();
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
        let missing: Vec<&str> = F::REQUIRED
            .iter()
            .filter(|f| !fields.contains(&Some(**f)))
            .map(|f| f.name())
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

    /// The field of each column, in column order.
    pub fn fields(&self) -> &[Option<F>] {
        &self.fields
    }

    /// The mapped cells of a row, trimmed, with their field.
    pub fn cells<'r>(
        &'r self,
        record: &'r csv::StringRecord,
    ) -> impl Iterator<Item = (F, &'r str)> + 'r {
        record
            .iter()
            .zip(&self.fields)
            .filter_map(|(cell, f)| f.map(|f| (f, cell.trim())))
    }
}

/// A longitude or latitude cell: a finite number within ±`limit`.
pub fn coordinate(cell: &str, what: &str, limit: f64) -> Result<f64, String> {
    cell.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && v.abs() <= limit)
        .ok_or_else(|| format!("{what} `{cell}` is not a number within ±{limit}"))
}

/// A yes/no cell as offices write it (是/否, 1/0, yes/no, √); `None` when it is neither.
pub fn yes(cell: &str) -> Option<bool> {
    match cell.to_ascii_lowercase().as_str() {
        "是" | "1" | "y" | "yes" | "true" | "√" | "✓" | "有" => Some(true),
        "" | "否" | "0" | "n" | "no" | "false" | "无" => Some(false),
        _ => None,
    }
}

/// Text folded for a natural key: full-width ASCII forms folded to ASCII, every kind of
/// whitespace dropped, ASCII lower-cased, so that `思明路１２号 B栋` and `思明路12号b栋` match.
pub fn fold_key(s: &str, out: &mut String) {
    for c in s.chars() {
        let c = match c as u32 {
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        if !c.is_whitespace() {
            out.push(c.to_ascii_lowercase());
        }
    }
}

/// The parts folded ([`fold_key`]) and joined with `#`.
pub fn natural_key(parts: &[&str]) -> String {
    let mut key = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            key.push('#');
        }
        fold_key(p, &mut key);
    }
    key
}
