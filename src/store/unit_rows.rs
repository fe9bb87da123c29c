//! What both stores share when importing units: the open row of a code, the change test and the
//! audit record of a write.

use std::collections::HashSet;

use crate::auth::audit::{unit_state, AuditRecord};
use crate::units::{Unit, UnitCode};

/// The open row of a code, as much of it as deciding "changed or not" needs.
pub(crate) struct OpenRow {
    pub fid: i64,
    pub version: i64,
    pub name: String,
    pub parent: Option<String>,
    pub wkb: Vec<u8>,
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

impl OpenRow {
    pub fn differs_from(&self, unit: &Unit, unit_wkb: &[u8]) -> bool {
        self.name != unit.name
            || self.parent.as_deref() != unit.parent.as_ref().map(UnitCode::as_str)
            || self.wkb != unit_wkb
            || self.attributes != unit.attributes
    }
}

pub(crate) fn duplicate_code(units: &[Unit]) -> Option<&UnitCode> {
    let mut seen = HashSet::new();
    units.iter().map(|u| &u.code).find(|c| !seen.insert(*c))
}

/// The audit record of writing `unit` as `version` over the open row `stored` (none: created).
pub(crate) fn unit_write_record(
    stored: Option<&OpenRow>,
    unit: &Unit,
    version: i64,
    unit_wkb: &[u8],
) -> AuditRecord {
    AuditRecord {
        action: if stored.is_some() {
            "unit.update"
        } else {
            "unit.create"
        },
        object_type: "unit",
        object_id: unit.code.to_string(),
        before: stored.map(|row| {
            unit_state(
                row.version,
                &row.name,
                row.parent.as_deref(),
                &row.attributes,
                &row.wkb,
            )
        }),
        after: Some(unit_state(
            version,
            &unit.name,
            unit.parent.as_ref().map(UnitCode::as_str),
            &unit.attributes,
            unit_wkb,
        )),
    }
}
