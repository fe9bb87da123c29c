//! The JSON shapes of reports: the public acknowledgement (never the reporter's contact), the
//! staff view (contact included: only staff whose area covers the report reach it), list
//! entries, and GeoJSON features for the map.

use serde_json::{json, Value};

use super::model::{match_str, Report, ReportEvent};
use crate::spatial::Match;

fn rounded(metres: f64) -> f64 {
    (metres * 100.0).round() / 100.0
}

/// The answer to an intake: where the report went, who has it, by when, and likely duplicates.
pub fn acknowledgement(r: &Report, snapped_m: f64, duplicates: &[(f64, Report)]) -> Value {
    json!({
        "id": r.id,
        "state": r.state,
        "category": r.category,
        "channel": r.channel,
        "location": {"lon": r.location.lon, "lat": r.location.lat, "crs": "wgs84"},
        "assigned": r.matched != Match::Fallback,
        "match": match_str(r.matched),
        "distance_m": (r.matched == Match::Snapped).then(|| rounded(snapped_m)),
        "unit": r.chain.last(),
        "chain": r.chain,
        "handler": r.handler,
        "queue_unit": r.queue_unit,
        "assignee": r.assignee,
        "accept_due": r.accept_due,
        "handle_due": r.handle_due,
        "created_at": r.created_at,
        "duplicates": duplicates.iter().map(|(d, o)| json!({
            "id": o.id,
            "state": o.state,
            "distance_m": rounded(*d),
            "created_at": o.created_at,
        })).collect::<Vec<_>>(),
    })
}

/// One report as a list shows it (no contact, no history).
pub fn summary(r: &Report) -> Value {
    json!({
        "id": r.id,
        "state": r.state,
        "category": r.category,
        "channel": r.channel,
        "description": r.description,
        "location": {"lon": r.location.lon, "lat": r.location.lat},
        "unit_code": r.unit_code,
        "assigned": r.matched != Match::Fallback,
        "queue_unit": r.queue_unit,
        "assignee": r.assignee,
        "merged_into": r.merged_into,
        "accept_due": r.accept_due,
        "handle_due": r.handle_due,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    })
}

/// One report in full for staff in its area: contact, chain, media and every event.
pub fn staff_view(r: &Report, events: &[ReportEvent]) -> Value {
    let mut v = summary(r);
    v["input_crs"] = json!(r.input_crs);
    v["match"] = json!(match_str(r.matched));
    v["chain"] = json!(r.chain);
    v["handler"] = json!(r.handler);
    v["media"] = json!(r.media);
    v["reporter"] = r.reporter.clone().unwrap_or(Value::Null);
    v["events"] = json!(events);
    v
}

/// A GeoJSON Point feature of a report for the map (no contact, no description), its point
/// written in `crs` (GCJ-02 lines up with Amap and Tencent base maps).
pub fn feature(r: &Report, crs: crate::spatial::Crs) -> Value {
    let (lon, lat) = crs.from_wgs84(r.location);
    json!({
        "type": "Feature",
        "id": r.id,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "id": r.id,
            "state": r.state,
            "category": r.category,
            "unit_code": r.unit_code,
            "queue_unit": r.queue_unit,
            "assignee": r.assignee,
            "handle_due": r.handle_due,
            "created_at": r.created_at,
        },
    })
}

/// Keeps the map in step with an intake just committed: the heat tiles over the location of
/// its acknowledgement go stale (a replayed answer changes nothing, and dropping them again
/// costs a re-render at most).
pub fn report_filed(state: &crate::AppState, acknowledgement: &Value) {
    let at = &acknowledgement["location"];
    if let (Some(lon), Some(lat)) = (at["lon"].as_f64(), at["lat"].as_f64()) {
        state
            .tiles
            .report_written(crate::spatial::Wgs84 { lon, lat });
    }
}
