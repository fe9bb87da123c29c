//! Demo facilities of the fifteen-minute circle for the demo district: every kind of the
//! facility catalogue, placed inside micro-grids by the plans of [`super::facility_plans`],
//! named and addressed after where they lie, written as a GeoJSON FeatureCollection of points.

use std::collections::BTreeSet;

use anyhow::{anyhow, bail, Context};
use geo::Coord;
use serde_json::json;

use super::address::{address, Roads};
use super::density::Density;
use super::district_tree::{round_coord, DistrictTree};
use super::facility_names::{facility_name, metro_station_name, NamingSite};
use super::facility_plans::{plan_for, KindPlan, Placement};
use super::rng::{Purpose, SplitMix64};
use super::GULANGYU_STREET;
use crate::facilities::FacilityCatalogue;

/// Fictional public telephone numbers: 0592-2000000 … 0592-2009999, one per facility.
const CONTACT_FIRST: u32 = 2_000_000;
const CONTACT_COUNT: usize = 10_000;
/// Samples drawn in a street to find its middle.
const STREET_MIDDLE_SAMPLES: usize = 200;
/// Metro lines start and end at least this far apart (degrees of latitude, about 4 km).
const LINE_MIN_LENGTH: f64 = 0.04;

/// One generated facility, as the facilities GeoJSON carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoFacility {
    /// `demo-<category>-<NNNN>`, numbered within the category.
    pub external_id: String,
    /// A category code of the catalogue, e.g. `medical`.
    pub category: String,
    /// A kind code of that category, e.g. `health_station`.
    pub kind: String,
    pub name: String,
    /// 思明区厦港街道鸿山社区榕岭路12号: the street and community it lies in, a made-up road.
    pub address: String,
    /// Opening hours in the subset `facilities::OpeningHours` accepts.
    pub opening_hours: String,
    /// Places, beds or seats, for kinds that count them.
    pub capacity: Option<u32>,
    /// A fictional public telephone number, 0592-200xxxx.
    pub contact: String,
    /// WGS84, rounded to 6 decimals.
    pub location: Coord<f64>,
    /// The micro-grid it lies in.
    pub micro_grid: String,
}

/// Every facility of the demo, kind by kind in catalogue order.
pub(crate) fn generate_facilities(
    tree: &DistrictTree,
    density: &Density,
    roads: &mut Roads,
    seed: u64,
) -> anyhow::Result<Vec<DemoFacility>> {
    let catalogue = FacilityCatalogue::default_catalogue();
    let mut out = Vec::new();
    let mut used = Used::default();
    for category in &catalogue.categories {
        let mut numbered = 0;
        for kind in &category.kinds {
            let plan = plan_for(&kind.code).ok_or_else(|| {
                anyhow!(
                    "no demo plan for facility kind {}/{}",
                    category.code,
                    kind.code
                )
            })?;
            let sites = place(tree, density, &kind.code, &plan, seed)
                .with_context(|| format!("placing {}/{}", category.code, kind.code))?;
            let mut describe = Describe {
                tree,
                roads: &mut *roads,
                plan: &plan,
                category: &category.code,
                kind: &kind.code,
                used: &mut used,
            };
            for (ordinal, site) in sites.into_iter().enumerate() {
                numbered += 1;
                out.push(describe.facility(site, ordinal + 1, numbered)?);
            }
        }
    }
    Ok(out)
}

/// The facilities as an RFC 7946 FeatureCollection, one feature per line (so that a
/// regenerated file diffs line by line), properties in a fixed order; `seed` is the one they
/// were generated with, recorded on every feature.
pub fn facilities_geojson(facilities: &[DemoFacility], seed: u64) -> anyhow::Result<String> {
    let mut text = String::from("{\"type\":\"FeatureCollection\",\"features\":[\n");
    for (i, f) in facilities.iter().enumerate() {
        let feature = json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [f.location.x, f.location.y]},
            "properties": {
                "external_id": f.external_id,
                "category": f.category,
                "kind": f.kind,
                "name": f.name,
                "address": f.address,
                "opening_hours": f.opening_hours,
                "capacity": f.capacity,
                "contact": f.contact,
                "source": "generated",
                "seed": seed,
            },
        });
        text.push_str(&serde_json::to_string(&feature)?);
        text.push_str(if i + 1 == facilities.len() {
            "\n"
        } else {
            ",\n"
        });
    }
    text.push_str("]}\n");
    Ok(text)
}

/// Where one facility goes, with the stream that decides the rest of it.
struct Site {
    micro_grid: usize,
    location: Coord<f64>,
    rng: SplitMix64,
    /// Named by the generator (metro stations); otherwise named by kind.
    name: Option<String>,
}

/// The places of every facility of one kind.
fn place(
    tree: &DistrictTree,
    density: &Density,
    kind: &str,
    plan: &KindPlan,
    seed: u64,
) -> anyhow::Result<Vec<Site>> {
    let stream =
        |unit: &str| SplitMix64::for_unit(seed, &format!("{unit}/{kind}"), Purpose::Facilities);
    let mut sites = Vec::new();
    match plan.placement {
        Placement::StreetCentre => {
            for (s, street) in tree.streets.iter().enumerate() {
                let mut rng = stream(&street.code);
                let (micro_grid, location) = street_middle(tree, s, &mut rng)?;
                sites.push(Site::new(micro_grid, location, rng));
            }
        }
        Placement::PerStreet => {
            for (s, street) in tree.streets.iter().enumerate() {
                let mut rng = stream(&street.code);
                let range = tree.micro_grids_of_street(s);
                let m = pick_weighted(range, |m| density.residents[m], &mut rng);
                let location = tree.point_in(m, &mut rng)?;
                sites.push(Site::new(m, location, rng));
            }
        }
        Placement::PerCommunity { without } => {
            let gaps = communities_without(tree, density, kind, without, seed);
            for (c, community) in tree.communities.iter().enumerate() {
                if gaps.contains(&c) || community.micro_grids.is_empty() {
                    continue;
                }
                let mut rng = stream(&community.code);
                let m = pick_weighted(
                    community.micro_grids.clone(),
                    |m| density.residents[m],
                    &mut rng,
                );
                let location = tree.point_in(m, &mut rng)?;
                sites.push(Site::new(m, location, rng));
            }
        }
        Placement::District { count, follow } => {
            let mut rng = stream(&tree.code);
            let weight = |m: usize| {
                let service = density.service[tree.micro_grids[m].community];
                follow * density.residents[m] * service + (1.0 - follow)
            };
            let cumulative = running_sums((0..tree.micro_grids.len()).map(weight));
            for _ in 0..count {
                let m = rng.pick_cumulative(&cumulative);
                let location = tree.point_in(m, &mut rng)?;
                // Each facility's details come from a stream of its own draw, so that a change
                // in naming does not move the places.
                let own = SplitMix64::new(rng.next_u64());
                sites.push(Site::new(m, location, own));
            }
        }
        Placement::Lines { stations } => {
            let mut rng = stream(&tree.code);
            for (l, &count) in stations.iter().enumerate() {
                sites.extend(metro_line(tree, l + 1, count, &mut rng)?);
            }
        }
    }
    Ok(sites)
}

impl Site {
    fn new(micro_grid: usize, location: Coord<f64>, rng: SplitMix64) -> Site {
        Site {
            micro_grid,
            location,
            rng,
            name: None,
        }
    }
}

/// The sample of street `s` nearest the mean of its samples (its middle, but inside it), with
/// the micro-grid it lies in.
fn street_middle(
    tree: &DistrictTree,
    s: usize,
    rng: &mut SplitMix64,
) -> anyhow::Result<(usize, Coord<f64>)> {
    let mut samples = tree.samples_in_street(s, STREET_MIDDLE_SAMPLES, rng);
    if samples.is_empty() {
        bail!("street {} has no room for a facility", tree.streets[s].code);
    }
    let n = samples.len() as f64;
    let mean = Coord {
        x: samples.iter().map(|p| p.x).sum::<f64>() / n,
        y: samples.iter().map(|p| p.y).sum::<f64>() / n,
    };
    samples.sort_by(|a, b| {
        tree.distance2(*a, mean)
            .total_cmp(&tree.distance2(*b, mean))
    });
    let range = tree.micro_grids_of_street(s);
    samples
        .into_iter()
        .map(round_coord)
        .find_map(|p| tree.micro_grid_at(p, range.clone()).map(|m| (m, p)))
        .ok_or_else(|| {
            anyhow!(
                "street {}: no sample lies in a micro-grid",
                tree.streets[s].code
            )
        })
}

/// `count` stations evenly along a straight line between two micro-grids of the main island at
/// least [`LINE_MIN_LENGTH`] apart; a station off every micro-grid, or in a community the line
/// already serves, is left out.
fn metro_line(
    tree: &DistrictTree,
    line: usize,
    count: usize,
    rng: &mut SplitMix64,
) -> anyhow::Result<Vec<Site>> {
    let mainland: Vec<usize> = (0..tree.micro_grids.len())
        .filter(|&m| tree.street_of(m).code != GULANGYU_STREET)
        .collect();
    let mut ends = None;
    for _ in 0..100 {
        let (Some(&a), Some(&b)) = (rng.pick(&mainland), rng.pick(&mainland)) else {
            break;
        };
        let (a, b) = (tree.middle_of(a), tree.middle_of(b));
        if tree.distance2(a, b) >= LINE_MIN_LENGTH * LINE_MIN_LENGTH {
            ends = Some((a, b));
            break;
        }
    }
    let (a, b) =
        ends.ok_or_else(|| anyhow!("no two places far enough apart for metro line {line}"))?;
    let mut served = BTreeSet::new();
    let mut sites = Vec::new();
    for i in 0..count {
        let t = (i as f64 + 0.5) / count as f64;
        let p = round_coord(Coord {
            x: a.x + t * (b.x - a.x),
            y: a.y + t * (b.y - a.y),
        });
        let Some(m) = tree.micro_grid_at(p, 0..tree.micro_grids.len()) else {
            continue;
        };
        let community = tree.micro_grids[m].community;
        if !served.insert(community) {
            continue;
        }
        let mut site = Site::new(m, p, SplitMix64::new(rng.next_u64()));
        site.name = Some(metro_station_name(line, &tree.communities[community].stem));
        sites.push(site);
    }
    Ok(sites)
}

/// The communities that go without a facility of `kind`: `share` of them, rounded, drawn
/// without replacement and more often where the service level is low.
fn communities_without(
    tree: &DistrictTree,
    density: &Density,
    kind: &str,
    share: f64,
    seed: u64,
) -> BTreeSet<usize> {
    let n = tree.communities.len();
    let wanted = ((n as f64 * share).round() as usize).min(n);
    let mut rng = SplitMix64::for_unit(
        seed,
        &format!("{}/{kind}", tree.code),
        Purpose::FacilityGaps,
    );
    let mut weights: Vec<f64> = density.service.iter().map(|s| 2.0 - s).collect();
    let mut gaps = BTreeSet::new();
    while gaps.len() < wanted {
        let c = rng.pick_cumulative(&running_sums(weights.iter().copied()));
        weights[c] = 0.0;
        gaps.insert(c);
    }
    gaps
}

/// An index of `range` drawn by `weight`.
fn pick_weighted(
    range: std::ops::Range<usize>,
    weight: impl Fn(usize) -> f64,
    rng: &mut SplitMix64,
) -> usize {
    let start = range.start;
    start + rng.pick_cumulative(&running_sums(range.map(weight)))
}

fn running_sums(weights: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut total = 0.0;
    weights
        .map(|w| {
            total += w.max(0.0);
            total
        })
        .collect()
}

/// Names and numbers already given out: each kind's names and every contact are unique.
#[derive(Default)]
struct Used {
    names: BTreeSet<(String, String)>,
    contacts: BTreeSet<u32>,
}

/// Fills in a placed facility: address, name, hours, capacity, contact.
struct Describe<'a> {
    tree: &'a DistrictTree,
    roads: &'a mut Roads,
    plan: &'a KindPlan,
    category: &'a str,
    kind: &'a str,
    used: &'a mut Used,
}

impl Describe<'_> {
    /// The `ordinal`-th facility of its kind and the `numbered`-th of its category.
    fn facility(
        &mut self,
        site: Site,
        ordinal: usize,
        numbered: usize,
    ) -> anyhow::Result<DemoFacility> {
        let Site {
            micro_grid,
            location,
            mut rng,
            name,
        } = site;
        let tree = self.tree;
        let community = tree.micro_grids[micro_grid].community;
        let c = &tree.communities[community];
        // Numbers come from the road's counter, which buildings share: no facility has the
        // address of a building elsewhere.
        let (road, number) = self
            .roads
            .next_building(community, &mut rng)
            .ok_or_else(|| anyhow!("community {} has no roads", c.code))?;
        let naming = NamingSite {
            district: &tree.name,
            street: &tree.streets[c.street].name,
            community: &c.name,
            community_stem: &c.stem,
            road: &road,
            ordinal,
        };
        let name = match name {
            Some(name) => name,
            None => self.unique_name(&naming, &mut rng),
        };
        let hours = rng.pick(self.plan.hours).copied().unwrap_or("24/7");
        let capacity = self.plan.capacity.map(|(lo, hi, step)| {
            let steps = ((hi - lo) / step.max(1)) as usize;
            lo + step * rng.range_inclusive(0, steps) as u32
        });
        Ok(DemoFacility {
            external_id: format!("demo-{}-{numbered:04}", self.category),
            category: self.category.to_owned(),
            kind: self.kind.to_owned(),
            name,
            address: address(tree, community, &road, number),
            opening_hours: hours.to_owned(),
            capacity,
            contact: self.unique_contact(&mut rng)?,
            location,
            micro_grid: tree.micro_grids[micro_grid].code.clone(),
        })
    }

    /// A name no other facility of the kind has: a few fresh draws, then the road appended.
    fn unique_name(&mut self, naming: &NamingSite, rng: &mut SplitMix64) -> String {
        let mut name = String::new();
        for _ in 0..6 {
            name = facility_name(self.kind, naming, rng);
            if self.claim(&name) {
                return name;
            }
        }
        let mut k = 1;
        loop {
            let candidate = if k == 1 {
                format!("{name}（{}）", naming.road.name)
            } else {
                format!("{name}（{}{k}）", naming.road.name)
            };
            if self.claim(&candidate) {
                return candidate;
            }
            k += 1;
        }
    }

    fn claim(&mut self, name: &str) -> bool {
        self.used
            .names
            .insert((self.kind.to_owned(), name.to_owned()))
    }

    fn unique_contact(&mut self, rng: &mut SplitMix64) -> anyhow::Result<String> {
        if self.used.contacts.len() >= CONTACT_COUNT {
            bail!("more facilities than fictional telephone numbers ({CONTACT_COUNT})");
        }
        loop {
            let number = CONTACT_FIRST + rng.range_inclusive(0, CONTACT_COUNT - 1) as u32;
            if self.used.contacts.insert(number) {
                return Ok(format!("0592-{number}"));
            }
        }
    }
}
