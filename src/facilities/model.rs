//! A facility of the circle as the registry keeps it and the finder shows it. The operator's
//! contact is public by design (it is the facility's number, not a person's); nothing personal
//! is kept.

use serde::Serialize;

use super::catalogue::FacilityCatalogue;
use super::finder::check_point;
use super::hours::OpeningHours;
use crate::spatial::crs::{Crs, Wgs84};
use crate::tabular::natural_key;
use crate::units::UnitCode;

/// One facility: a place of one category of the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Facility {
    pub id: i64,
    /// The importer's own key, when the source has one; imports match on it before the natural
    /// key (category + name + address).
    pub external_id: Option<String>,
    /// A category code of the catalogue, e.g. `education`.
    pub category: String,
    /// A kind code within the category, e.g. `kindergarten`.
    pub kind: Option<String>,
    pub name: String,
    /// Stored in WGS84.
    pub location: Wgs84,
    pub address: Option<String>,
    pub opening_hours: Option<OpeningHours>,
    /// Places, beds or seats, as the category counts them.
    pub capacity: Option<u32>,
    /// The operator's public contact (telephone).
    pub contact: Option<String>,
    /// The unit chain the location was assigned to on write, district first.
    pub units: Vec<String>,
    pub version: i64,
}

/// A facility as a write gives it (create, update, one import row), in WGS84.
#[derive(Debug, Clone, PartialEq)]
pub struct FacilityInput {
    pub external_id: Option<String>,
    pub category: String,
    pub kind: Option<String>,
    pub name: String,
    pub location: Wgs84,
    /// The CRS the client gave the location in (kept for the record).
    pub input_crs: Crs,
    pub address: Option<String>,
    pub opening_hours: Option<OpeningHours>,
    pub capacity: Option<u32>,
    pub contact: Option<String>,
}

/// Longest name, address or contact accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 200;

impl FacilityInput {
    /// Category, name and address folded: an import without external ids matches on it.
    pub fn natural_key(&self) -> String {
        natural_key(&[
            &self.category,
            &self.name,
            self.address.as_deref().unwrap_or(""),
        ])
    }

    /// Every problem of the input against the catalogue, joined; `Ok` when it can be written.
    pub fn check(&self, catalogue: &FacilityCatalogue) -> Result<(), String> {
        let mut problems = Vec::new();
        match catalogue.get(&self.category) {
            None => problems.push(format!(
                "unknown category `{}` (see /api/v1/facility-categories)",
                self.category
            )),
            Some(c) => {
                if let Some(k) = &self.kind {
                    if !c.kinds.iter().any(|x| &x.code == k) {
                        let known: Vec<&str> = c.kinds.iter().map(|x| x.code.as_str()).collect();
                        problems.push(format!(
                            "kind `{k}` is not a kind of `{}` ({})",
                            c.code,
                            known.join(", ")
                        ));
                    }
                }
            }
        }
        if self.name.trim().is_empty() {
            problems.push("name is empty".to_owned());
        }
        let texts = [
            ("name", Some(&self.name)),
            ("address", self.address.as_ref()),
            ("contact", self.contact.as_ref()),
            ("external_id", self.external_id.as_ref()),
        ];
        for (what, text) in texts {
            if text.is_some_and(|t| t.chars().count() > MAX_TEXT_CHARS) {
                problems.push(format!("{what} is longer than {MAX_TEXT_CHARS} characters"));
            }
        }
        if self
            .external_id
            .as_deref()
            .is_some_and(|e| e.trim().is_empty())
        {
            problems.push("external_id is empty (leave it out instead)".to_owned());
        }
        if let Err(e) = check_point(self.location) {
            problems.push(e.to_string());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }

    /// The stored facility this input makes, with its id, unit chain and version.
    pub fn into_facility(self, id: i64, units: Vec<String>, version: i64) -> Facility {
        Facility {
            id,
            external_id: self.external_id,
            category: self.category,
            kind: self.kind,
            name: self.name,
            location: self.location,
            address: self.address,
            opening_hours: self.opening_hours,
            capacity: self.capacity,
            contact: self.contact,
            units,
            version,
        }
    }
}

impl Facility {
    /// Whether writing `input` over this facility would change nothing (an import re-run).
    pub fn same_content(&self, input: &FacilityInput) -> bool {
        self.external_id == input.external_id
            && self.category == input.category
            && self.kind == input.kind
            && self.name == input.name
            && self.location == input.location
            && self.address == input.address
            && self.opening_hours == input.opening_hours
            && self.capacity == input.capacity
            && self.contact == input.contact
    }

    /// The smallest unit of the chain, the one the facility was assigned to.
    pub fn unit_code(&self) -> Option<&str> {
        self.units.last().map(String::as_str)
    }
}

/// The chain of codes from the district down to `code` (codes extend their parent's).
pub fn unit_chain(code: &UnitCode) -> Vec<String> {
    let mut chain = vec![code.to_string()];
    let mut at = code.parent();
    while let Some(c) = at {
        chain.push(c.to_string());
        at = c.parent();
    }
    chain.reverse();
    chain
}

/// A facility with only what tests of the index and the analyses look at.
#[cfg(test)]
pub(crate) fn sample_facility(
    id: i64,
    category: &str,
    kind: Option<&str>,
    lon: f64,
    lat: f64,
) -> Facility {
    Facility {
        id,
        external_id: None,
        category: category.to_owned(),
        kind: kind.map(str::to_owned),
        name: format!("f{id}"),
        location: Wgs84 { lon, lat },
        address: None,
        opening_hours: None,
        capacity: None,
        contact: None,
        units: Vec::new(),
        version: 1,
    }
}
