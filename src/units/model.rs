//! The unit record as stored and served.

use chrono::{DateTime, Utc};
use geo::MultiPolygon;
use serde::{Deserialize, Serialize};

use super::code::{Level, UnitCode};

/// One governance unit (one version of it). An edit closes this row (`valid_to`) and writes a new
/// one with `version + 1`; history is never overwritten.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub code: UnitCode,
    pub name: String,
    pub level: Level,
    pub parent: Option<UnitCode>,
    /// EPSG:4326, longitude/latitude, exterior rings counter-clockwise (RFC 7946).
    pub geometry: MultiPolygon<f64>,
    pub version: i64,
    pub valid_from: DateTime<Utc>,
    pub valid_to: Option<DateTime<Utc>>,
    /// Free attributes (responsible staff, notes, source); a JSON object.
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

/// A unit as read from an import file, before it is validated and given a version.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitDraft {
    pub code: UnitCode,
    pub name: String,
    pub geometry: MultiPolygon<f64>,
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

/// The light row of a unit used in chains and listings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRef {
    pub code: UnitCode,
    pub name: String,
    pub level: Level,
}

impl Unit {
    pub fn as_ref(&self) -> UnitRef {
        UnitRef {
            code: self.code.clone(),
            name: self.name.clone(),
            level: self.level,
        }
    }
}

impl UnitDraft {
    /// The unit this draft becomes, valid from `now`; the store numbers its version.
    pub fn into_unit(self, now: DateTime<Utc>) -> Unit {
        Unit {
            level: self.code.level(),
            parent: self.code.parent(),
            code: self.code,
            name: self.name,
            geometry: self.geometry,
            version: 0,
            valid_from: now,
            valid_to: None,
            attributes: self.attributes,
        }
    }
}
