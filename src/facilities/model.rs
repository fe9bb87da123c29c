//! A facility of the circle as the registry keeps it and the finder shows it. The operator's
//! contact is public by design (it is the facility's number, not a person's); nothing personal
//! is kept.

use serde::Serialize;

use super::hours::OpeningHours;
use crate::spatial::crs::Wgs84;

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
