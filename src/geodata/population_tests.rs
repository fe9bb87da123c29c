//! The demo population's promises: the same bytes for the same seed (and the committed files are
//! them), catalogue kinds only, opening hours that parse, every point inside a micro-grid of the
//! district and inside the community its address names, unique keys, the documented counts and
//! shares, and coverage gaps.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::OnceLock;

use geo::{BoundingRect, Contains, Coord, Rect};

use super::*;
use crate::facilities::{FacilityCatalogue, OpeningHours};
use crate::households::model::{natural_key, Tag};
use crate::spatial::Crs;
use crate::units::Level;

const SEED: u64 = 20261126;

fn geodata_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("geodata")
}

/// The committed demo units.
fn units() -> &'static [UnitDraft] {
    static UNITS: OnceLock<Vec<UnitDraft>> = OnceLock::new();
    UNITS.get_or_init(|| {
        let bytes = std::fs::read(geodata_dir().join("siming.geojson")).expect("demo units");
        let (drafts, problems) = crate::units::geojson::read_drafts(&bytes).expect("GeoJSON");
        assert!(problems.is_empty(), "{problems:?}");
        drafts
    })
}

fn population() -> &'static DemoPopulation {
    static POPULATION: OnceLock<DemoPopulation> = OnceLock::new();
    POPULATION.get_or_init(|| {
        generate_demo_population(units(), DEMO_HOUSEHOLDS, SEED).expect("population generates")
    })
}

fn files(p: &DemoPopulation, seed: u64) -> (String, String) {
    (
        facilities_geojson(&p.facilities, seed).expect("GeoJSON"),
        households_csv(&p.households).expect("CSV"),
    )
}

fn at_level(level: Level) -> Vec<&'static UnitDraft> {
    units().iter().filter(|u| u.code.level() == level).collect()
}

/// The unit of `level` whose interior holds `p`, by bounding box and then geo's `Contains`.
struct Finder {
    units: Vec<(Rect<f64>, &'static UnitDraft)>,
}

impl Finder {
    fn new(level: Level) -> Finder {
        Finder {
            units: at_level(level)
                .into_iter()
                .map(|u| (u.geometry.bounding_rect().expect("outline"), u))
                .collect(),
        }
    }

    fn find(&self, p: Coord<f64>) -> Option<&'static UnitDraft> {
        self.units
            .iter()
            .filter(|(r, _)| {
                r.min().x <= p.x && p.x <= r.max().x && r.min().y <= p.y && p.y <= r.max().y
            })
            .map(|(_, u)| *u)
            .find(|u| u.geometry.contains(&p))
    }
}

fn has_at_most_6_decimals(x: f64) -> bool {
    format!("{x:.6}").parse::<f64>() == Ok(x)
}

/// Expected facilities per kind: (lowest, highest).
fn documented_counts() -> BTreeMap<&'static str, (usize, usize)> {
    BTreeMap::from([
        ("health_centre", (10, 10)),
        ("health_station", (79, 89)),
        ("pharmacy", (300, 300)),
        ("nursing_home", (20, 20)),
        ("day_care", (79, 89)),
        ("kindergarten", (70, 70)),
        ("primary_school", (50, 50)),
        ("middle_school", (25, 25)),
        ("nursery", (60, 60)),
        ("park", (30, 30)),
        ("pocket_park", (150, 150)),
        ("community_canteen", (60, 60)),
        ("market", (40, 40)),
        ("convenience_shop", (500, 500)),
        ("supermarket", (60, 60)),
        ("culture_centre", (10, 10)),
        ("culture_station", (79, 89)),
        ("sports_ground", (60, 60)),
        ("fitness_area", (200, 200)),
        ("street_service_centre", (10, 10)),
        ("community_service_station", (79, 89)),
        ("bus_stop", (600, 600)),
        ("metro_station", (10, 16)),
    ])
}

#[test]
fn same_seed_gives_identical_files_and_another_seed_does_not() {
    let again = generate_demo_population(units(), DEMO_HOUSEHOLDS, SEED).unwrap();
    assert!(files(&again, SEED) == files(population(), SEED));
    let other = generate_demo_population(units(), DEMO_HOUSEHOLDS, SEED + 1).unwrap();
    let (f, h) = files(&other, SEED + 1);
    let (f0, h0) = files(population(), SEED);
    assert!(f != f0 && h != h0, "another seed gave the same files");
}

#[test]
fn committed_files_are_what_the_generator_makes_from_the_committed_units() {
    let (facilities, households) = files(population(), SEED);
    let committed_facilities =
        std::fs::read_to_string(geodata_dir().join("siming-facilities.geojson")).unwrap();
    let committed_households =
        std::fs::read_to_string(geodata_dir().join("siming-households.csv")).unwrap();
    assert!(
        facilities == committed_facilities && households == committed_households,
        "regenerate with `wangge geodata demo-population` (see geodata/README.md)"
    );
}

#[test]
fn every_facility_category_and_kind_is_in_the_catalogue_and_every_kind_has_facilities() {
    let catalogue = FacilityCatalogue::default_catalogue();
    let mut seen = BTreeSet::new();
    for f in &population().facilities {
        let category = catalogue
            .get(&f.category)
            .unwrap_or_else(|| panic!("{}: unknown category {}", f.external_id, f.category));
        assert!(
            category.kinds.iter().any(|k| k.code == f.kind),
            "{}: kind {} is not in {}",
            f.external_id,
            f.kind,
            f.category
        );
        seen.insert(f.kind.as_str());
    }
    for c in &catalogue.categories {
        for k in &c.kinds {
            assert!(
                seen.contains(k.code.as_str()),
                "no facility of kind {}",
                k.code
            );
        }
    }
}

#[test]
fn every_opening_hours_parses() {
    for f in &population().facilities {
        if let Err(e) = OpeningHours::parse(&f.opening_hours) {
            panic!("{} {}: {e}", f.external_id, f.name);
        }
    }
}

#[test]
fn facilities_geojson_is_a_feature_collection_of_points_with_exactly_the_documented_properties() {
    let (text, _) = files(population(), SEED);
    let collection: geojson::FeatureCollection = text.parse().expect("a FeatureCollection");
    assert_eq!(collection.features.len(), population().facilities.len());
    let keys = [
        "external_id",
        "category",
        "kind",
        "name",
        "address",
        "opening_hours",
        "capacity",
        "contact",
        "source",
        "seed",
    ];
    for feature in &collection.features {
        let props = feature.properties.as_ref().expect("properties");
        let found: Vec<&str> = props.keys().map(String::as_str).collect();
        assert_eq!(found, keys);
        assert_eq!(props["source"], "generated");
        assert_eq!(props["seed"], SEED);
        assert!(props["capacity"].is_null() || props["capacity"].is_u64());
        match feature.geometry.as_ref().map(|g| &g.value) {
            Some(geojson::GeometryValue::Point { coordinates }) => {
                let c = coordinates.as_slice();
                assert_eq!(c.len(), 2);
                assert!(c.iter().all(|x| has_at_most_6_decimals(*x)), "{c:?}");
            }
            other => panic!("not a point: {other:?}"),
        }
    }
}

#[test]
fn facility_ids_and_contacts_are_unique_and_contacts_fictional() {
    let mut ids = BTreeSet::new();
    let mut contacts = BTreeSet::new();
    for f in &population().facilities {
        assert!(ids.insert(&f.external_id), "{} twice", f.external_id);
        assert!(
            f.external_id.starts_with(&format!("demo-{}-", f.category)),
            "{}",
            f.external_id
        );
        assert!(contacts.insert(&f.contact), "{} twice", f.contact);
        let digits = f.contact.strip_prefix("0592-200").expect("0592-200xxxx");
        assert!(digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()));
    }
}

#[test]
fn every_point_lies_inside_a_micro_grid_of_the_district() {
    let district = at_level(Level::District)[0];
    let micro_grids = Finder::new(Level::MicroGrid);
    let p = population();
    let points = p
        .facilities
        .iter()
        .map(|f| (f.location, &f.micro_grid))
        .chain(p.households.iter().map(|h| (h.location, &h.micro_grid)));
    let mut checked = BTreeSet::new();
    for (point, micro_grid) in points {
        if !checked.insert((point.x.to_bits(), point.y.to_bits())) {
            continue;
        }
        assert!(has_at_most_6_decimals(point.x) && has_at_most_6_decimals(point.y));
        assert!(
            district.geometry.contains(&point),
            "{point:?} outside the district"
        );
        let found = micro_grids.find(point).map(|u| u.code.as_str());
        assert_eq!(found, Some(micro_grid.as_str()), "{point:?}");
    }
}

#[test]
fn addresses_name_the_street_and_community_the_point_lies_in() {
    let communities = Finder::new(Level::Community);
    let names: BTreeMap<&str, &str> = units()
        .iter()
        .map(|u| (u.code.as_str(), u.name.as_str()))
        .collect();
    let p = population();
    let places = p.facilities.iter().map(|f| (f.location, &f.address)).chain(
        p.households
            .iter()
            .step_by(7)
            .map(|h| (h.location, &h.address)),
    );
    for (point, address) in places {
        let community = communities.find(point).expect("inside a community");
        let street = community.code.parent().expect("a street");
        let expected = format!(
            "思明区{}{}",
            names[street.as_str()],
            hierarchy::community_short_name(&community.name)
        );
        assert!(
            address.starts_with(&expected) && address.ends_with('号'),
            "{address} at {point:?} should start with {expected}"
        );
    }
}

#[test]
fn facility_counts_per_kind_are_within_the_documented_ranges() {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &population().facilities {
        *counts.entry(f.kind.as_str()).or_default() += 1;
    }
    let documented = documented_counts();
    assert_eq!(
        counts.keys().collect::<Vec<_>>(),
        documented.keys().collect::<Vec<_>>()
    );
    for (kind, (lo, hi)) in documented {
        let n = counts[kind];
        assert!((lo..=hi).contains(&n), "{kind}: {n} not in {lo}..={hi}");
    }
    let total = population().facilities.len();
    assert!((2_500..=2_700).contains(&total), "{total} facilities");
}

#[test]
fn some_communities_lack_each_community_level_facility() {
    let communities = Finder::new(Level::Community);
    let all = at_level(Level::Community).len();
    for kind in [
        "health_station",
        "day_care",
        "culture_station",
        "community_service_station",
    ] {
        let served: BTreeSet<&str> = population()
            .facilities
            .iter()
            .filter(|f| f.kind == kind)
            .map(|f| {
                communities
                    .find(f.location)
                    .expect("in a community")
                    .code
                    .as_str()
            })
            .collect();
        let without = all - served.len();
        assert!(
            (all / 10..=all / 5).contains(&without),
            "{kind}: {without} of {all} communities without"
        );
    }
}

#[test]
fn households_have_unique_natural_keys_and_the_documented_count_sizes_and_phones() {
    let households = &population().households;
    assert_eq!(households.len(), DEMO_HOUSEHOLDS);
    let mut keys = BTreeSet::new();
    let mut buildings: BTreeMap<&str, usize> = BTreeMap::new();
    for h in households {
        assert!(
            keys.insert(natural_key(&h.address, &h.room)),
            "{} {} twice",
            h.address,
            h.room
        );
        *buildings.entry(&h.address).or_default() += 1;
        assert!((1..=6).contains(&h.size));
        let digits = h.phone.strip_prefix("1990000").expect("1990000xxxx");
        assert!(digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()));
        let name = h.name.chars().count();
        assert!((2..=4).contains(&name), "{}", h.name);
    }
    let shared = buildings.values().filter(|&&n| n > 1).count();
    assert!(
        shared * 2 > buildings.len(),
        "households should share buildings"
    );
    let people: u32 = households.iter().map(|h| h.size).sum();
    let mean = f64::from(people) / households.len() as f64;
    assert!((2.4..=2.8).contains(&mean), "mean household size {mean}");
}

#[test]
fn tags_are_on_the_documented_small_shares_and_elderly_alone_live_alone() {
    let households = &population().households;
    let share = |tag: Tag| {
        households.iter().filter(|h| h.tags.contains(&tag)).count() as f64 / households.len() as f64
    };
    assert!((0.025..=0.045).contains(&share(Tag::ElderlyAlone)));
    assert!((0.012..=0.028).contains(&share(Tag::PartyMemberHousehold)));
    assert!((0.005..=0.015).contains(&share(Tag::LowIncome)));
    for h in households
        .iter()
        .filter(|h| h.tags.contains(&Tag::ElderlyAlone))
    {
        assert_eq!(h.size, 1, "{} {}", h.address, h.room);
    }
}

#[test]
fn households_are_denser_in_some_micro_grids_than_in_others() {
    let mut per_grid: BTreeMap<&str, usize> = BTreeMap::new();
    for h in &population().households {
        *per_grid.entry(&h.micro_grid).or_default() += 1;
    }
    let micro_grids = at_level(Level::MicroGrid).len();
    let empty = micro_grids - per_grid.len();
    let busiest = per_grid.values().copied().max().unwrap_or(0);
    let mean = DEMO_HOUSEHOLDS / micro_grids;
    assert!(empty > 0, "every micro-grid has households");
    assert!(
        busiest > 4 * mean,
        "busiest micro-grid {busiest}, mean {mean}"
    );
}

#[test]
fn households_csv_imports_without_a_problem() {
    let (_, csv) = files(population(), SEED);
    assert!(csv.starts_with("address,room,name,phone,size,lon,lat,tags\n"));
    let checked = crate::households::csv_import::check(
        csv.as_bytes(),
        None,
        &BTreeMap::new(),
        Crs::Wgs84,
        |_| Ok(()),
    )
    .expect("the file reads");
    assert_eq!(checked.problems, vec![]);
    assert_eq!(checked.rows.len(), DEMO_HOUSEHOLDS);
    for ((read, _, _), made) in checked.rows.iter().zip(&population().households) {
        assert_eq!(read.address, made.address);
        assert_eq!(read.tags, made.tags);
        assert_eq!(read.size, Some(made.size as i32));
        assert_eq!((read.lon, read.lat), (made.location.x, made.location.y));
    }
}

#[test]
fn a_district_without_micro_grids_is_refused() {
    let upper: Vec<UnitDraft> = units()
        .iter()
        .filter(|u| u.code.level() <= Level::Grid)
        .cloned()
        .collect();
    let err = generate_demo_population(&upper, 10, SEED).unwrap_err();
    assert!(err.to_string().contains("no micro-grids"), "{err}");
}
