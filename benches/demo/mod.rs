//! The demo data of `geodata/` as the benches load it: the units' snapshot, the facilities and
//! the households, each placed in its unit as the imports place them.
#![allow(dead_code)] // each bench uses only part of it

use std::collections::BTreeMap;

use wangge::facilities::import::{check, Format};
use wangge::facilities::model::unit_chain;
use wangge::facilities::{Facility, FacilityCatalogue};
use wangge::households::csv_import;
use wangge::spatial::{AssignRules, Crs, Snapshot};
use wangge::store::households::HouseholdLocation;
use wangge::units::geojson::read_drafts;

fn read(name: &str) -> Vec<u8> {
    let path = format!("{}/geodata/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn snapshot() -> Snapshot {
    let (drafts, problems) = read_drafts(&read("siming.geojson")).expect("demo GeoJSON");
    assert!(problems.is_empty(), "{problems:?}");
    let now = chrono::Utc::now();
    let units = drafts
        .into_iter()
        .map(|d| {
            let mut u = d.into_unit(now);
            u.version = 1;
            u
        })
        .collect();
    Snapshot::build(units, 1, AssignRules::default())
}

/// `geodata/siming-facilities.geojson`, ids from 1 in file order.
pub fn facilities(snap: &Snapshot, catalogue: &FacilityCatalogue) -> Vec<Facility> {
    let checked = check(
        &read("siming-facilities.geojson"),
        Format::GeoJson,
        Crs::Wgs84,
        catalogue,
        snap,
        |_| true,
    )
    .expect("demo facilities");
    assert!(checked.problems.is_empty(), "{:?}", checked.problems);
    checked
        .rows
        .into_iter()
        .enumerate()
        .map(|(i, (input, unit, _))| input.into_facility(i as i64 + 1, unit_chain(&unit), 1))
        .collect()
}

/// `geodata/siming-households.csv`, ids from 1 in file order.
pub fn households(snap: &Snapshot) -> Vec<HouseholdLocation> {
    let checked = csv_import::check(
        &read("siming-households.csv"),
        None,
        &BTreeMap::new(),
        Crs::Wgs84,
        |h| csv_import::place_in(snap, h, |_| true),
    )
    .expect("demo households");
    assert!(checked.problems.is_empty(), "{:?}", checked.problems);
    checked
        .rows
        .into_iter()
        .enumerate()
        .map(|(i, (h, unit_code, _))| HouseholdLocation {
            id: i as i64 + 1,
            address: h.address,
            room: h.room,
            lon: h.lon,
            lat: h.lat,
            unit_code,
        })
        .collect()
}
