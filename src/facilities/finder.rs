//! The public finder over the facility index: the nearest facilities by walking time from a
//! point, and the circle check (which of the elements lie within their target). It reads only
//! the in-memory index, never the store, so that answers stay cheap.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::catalogue::{FacilityCatalogue, FacilityCategory, MAX_MINUTES};
use super::index::{FacilityIndex, Hit};
use super::model::Facility;
use super::walking::WalkingTime;
use crate::http::error::ApiError;
use crate::spatial::crs::Wgs84;

/// Most facilities one `nearby` answer lists.
pub const MAX_LIMIT: usize = 100;
/// Facilities listed when the query names no limit.
pub const DEFAULT_LIMIT: usize = 10;

/// What the finder refuses, each with its stable error code.
#[derive(Debug, Clone, PartialEq)]
pub enum FinderError {
    UnknownCategory(String),
    CoordinatesOutOfRange { lon: f64, lat: f64 },
    MinutesOutOfRange(f64),
    LimitOutOfRange(usize),
}

impl FinderError {
    pub fn code(&self) -> &'static str {
        match self {
            FinderError::UnknownCategory(_) => "unknown_category",
            FinderError::CoordinatesOutOfRange { .. } => "coordinate_out_of_range",
            FinderError::MinutesOutOfRange(_) => "minutes_out_of_range",
            FinderError::LimitOutOfRange(_) => "limit_out_of_range",
        }
    }
}

impl std::fmt::Display for FinderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FinderError::UnknownCategory(c) => {
                write!(
                    f,
                    "unknown facility category `{c}`: see /api/v1/facility-categories"
                )
            }
            FinderError::CoordinatesOutOfRange { lon, lat } => write!(
                f,
                "lon {lon}, lat {lat}: lon must lie in -180..180 and lat in -90..90"
            ),
            FinderError::MinutesOutOfRange(m) => {
                write!(f, "minutes {m}: must be above 0 and at most {MAX_MINUTES}")
            }
            FinderError::LimitOutOfRange(l) => {
                write!(f, "limit {l}: must be 1 to {MAX_LIMIT}")
            }
        }
    }
}

impl From<FinderError> for ApiError {
    fn from(e: FinderError) -> ApiError {
        ApiError::bad_request(e.code(), e.to_string())
    }
}

/// A checked `nearby` query.
#[derive(Debug, Clone, PartialEq)]
pub struct NearbyQuery {
    pub from: Wgs84,
    /// One category, or every category when absent.
    pub category: Option<String>,
    /// Only facilities within this many walking minutes.
    pub minutes: Option<f64>,
    pub limit: usize,
}

impl NearbyQuery {
    /// Checks every part of a query against the catalogue.
    pub fn new(
        catalogue: &FacilityCatalogue,
        from: Wgs84,
        category: Option<String>,
        minutes: Option<f64>,
        limit: Option<usize>,
    ) -> Result<NearbyQuery, FinderError> {
        check_point(from)?;
        if let Some(c) = &category {
            if catalogue.get(c).is_none() {
                return Err(FinderError::UnknownCategory(c.clone()));
            }
        }
        if let Some(m) = minutes {
            if !(m > 0.0 && m <= MAX_MINUTES) {
                return Err(FinderError::MinutesOutOfRange(m));
            }
        }
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(FinderError::LimitOutOfRange(limit));
        }
        Ok(NearbyQuery {
            from,
            category,
            minutes,
            limit,
        })
    }
}

/// Refuses coordinates that are no place on Earth.
pub fn check_point(p: Wgs84) -> Result<(), FinderError> {
    if p.lon.is_finite() && p.lat.is_finite() && p.lon.abs() <= 180.0 && p.lat.abs() <= 90.0 {
        Ok(())
    } else {
        Err(FinderError::CoordinatesOutOfRange {
            lon: p.lon,
            lat: p.lat,
        })
    }
}

/// A facility as the finder lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    #[serde(flatten)]
    pub facility: std::sync::Arc<Facility>,
    /// Great-circle distance, metres.
    pub distance_m: f64,
    /// Estimated walking minutes (see the answer's `walking.method`).
    pub walking_minutes: f64,
    /// Whether it is open at the time of the answer; `null` when its hours are not known.
    pub open_now: Option<bool>,
}

fn found(walking: &dyn WalkingTime, from: Wgs84, hit: Hit, now: DateTime<Utc>) -> Found {
    let estimate = walking.estimate(from, hit.facility.location, hit.distance_m);
    Found {
        open_now: hit
            .facility
            .opening_hours
            .as_ref()
            .map(|h| h.is_open_at(now)),
        facility: hit.facility,
        distance_m: estimate.distance_m,
        walking_minutes: estimate.minutes,
    }
}

/// The nearest facilities by estimated walking time, nearest first.
///
/// Candidates come from the index in straight-line order: the `limit` nearest of each category
/// asked, or, with `minutes`, all within the estimator's search radius. For the straight-line
/// estimate that order is the walking order, so the answer is exact.
pub fn nearby(
    index: &FacilityIndex,
    catalogue: &FacilityCatalogue,
    walking: &dyn WalkingTime,
    query: &NearbyQuery,
    now: DateTime<Utc>,
) -> Vec<Found> {
    let categories: Vec<&str> = match &query.category {
        Some(c) => vec![c.as_str()],
        None => catalogue
            .categories
            .iter()
            .map(|c| c.code.as_str())
            .collect(),
    };
    let mut out: Vec<Found> = Vec::new();
    for category in categories {
        let hits = match query.minutes {
            Some(m) => index.nearest_k_within(
                category,
                query.from,
                query.limit,
                walking.search_radius_m(m),
            ),
            None => index.nearest_k(category, query.from, query.limit),
        };
        out.extend(
            hits.into_iter()
                .map(|h| found(walking, query.from, h, now))
                .filter(|f| query.minutes.is_none_or(|m| f.walking_minutes <= m)),
        );
    }
    out.sort_by(|a, b| {
        a.walking_minutes
            .total_cmp(&b.walking_minutes)
            .then(a.facility.id.cmp(&b.facility.id))
    });
    out.truncate(query.limit);
    out
}

/// One element of the circle at a location.
#[derive(Debug, Clone, Serialize)]
pub struct ElementReach {
    pub category: String,
    pub element: String,
    pub name_zh: String,
    pub name_en: String,
    pub target_minutes: f64,
    /// Some facility of the element lies within its own (kind's) target.
    pub within_target: bool,
    /// The first facility within its target, or else the nearest; `null` when there is none.
    pub nearest: Option<Found>,
}

/// The nearest facility of `category` within its own (kind's) walking target of `from`.
pub fn within_target(
    index: &FacilityIndex,
    category: &FacilityCategory,
    walking: &dyn WalkingTime,
    from: Wgs84,
) -> Option<Hit> {
    index
        .within(
            &category.code,
            from,
            walking.search_radius_m(category.widest_target()),
        )
        .find(|h| {
            let minutes = walking
                .estimate(from, h.facility.location, h.distance_m)
                .minutes;
            minutes <= category.target_for(h.facility.kind.as_deref())
        })
}

/// For each element of the catalogue, whether a facility lies within its target.
pub fn circle(
    index: &FacilityIndex,
    catalogue: &FacilityCatalogue,
    walking: &dyn WalkingTime,
    from: Wgs84,
    now: DateTime<Utc>,
) -> Vec<ElementReach> {
    catalogue
        .categories
        .iter()
        .map(|c| {
            let within =
                within_target(index, c, walking, from).map(|h| found(walking, from, h, now));
            let (within_target, nearest) = match within {
                Some(f) => (true, Some(f)),
                None => (
                    false,
                    index
                        .nearest_k(&c.code, from, 1)
                        .pop()
                        .map(|h| found(walking, from, h, now)),
                ),
            };
            ElementReach {
                category: c.code.clone(),
                element: c.element.clone(),
                name_zh: c.name_zh.clone(),
                name_en: c.name_en.clone(),
                target_minutes: c.target_minutes,
                within_target,
                nearest,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facilities::hours::OpeningHours;
    use crate::facilities::walking::StraightLine;

    const ORIGIN: Wgs84 = Wgs84 {
        lon: 118.09,
        lat: 24.48,
    };

    /// A facility `metres` due north of the origin.
    fn north(id: i64, category: &str, kind: Option<&str>, metres: f64) -> Facility {
        let lat = ORIGIN.lat + (metres / crate::facilities::walking::EARTH_RADIUS_M).to_degrees();
        Facility {
            id,
            external_id: None,
            category: category.to_owned(),
            kind: kind.map(str::to_owned),
            name: format!("f{id}"),
            location: Wgs84 {
                lon: ORIGIN.lon,
                lat,
            },
            address: None,
            opening_hours: (id % 2 == 0).then(|| OpeningHours::parse("24/7").unwrap()),
            capacity: None,
            contact: None,
            units: Vec::new(),
            version: 1,
        }
    }

    fn query(category: Option<&str>, minutes: Option<f64>, limit: Option<usize>) -> NearbyQuery {
        NearbyQuery::new(
            &FacilityCatalogue::default_catalogue(),
            ORIGIN,
            category.map(str::to_owned),
            minutes,
            limit,
        )
        .unwrap()
    }

    #[test]
    fn nearby_lists_the_nearest_of_a_category_with_minutes_and_open_now() {
        let index = FacilityIndex::build(vec![
            north(1, "medical", None, 900.0),
            north(2, "medical", None, 300.0),
            north(3, "education", None, 100.0),
            north(4, "medical", None, 600.0),
        ]);
        let walk = StraightLine::default();
        let cat = FacilityCatalogue::default_catalogue();
        let got = nearby(
            &index,
            &cat,
            &walk,
            &query(Some("medical"), None, Some(2)),
            Utc::now(),
        );
        let ids: Vec<i64> = got.iter().map(|f| f.facility.id).collect();
        assert_eq!(ids, [2, 4]);
        assert!(
            (got[0].distance_m - 300.0).abs() < 0.01,
            "{}",
            got[0].distance_m
        );
        assert!((got[0].walking_minutes - walk.minutes_for(300.0)).abs() < 1e-6);
        assert_eq!(got[0].open_now, Some(true));
        let all = nearby(&index, &cat, &walk, &query(None, None, Some(3)), Utc::now());
        let ids: Vec<i64> = all.iter().map(|f| f.facility.id).collect();
        assert_eq!(ids, [3, 2, 4]);
        assert_eq!(all[0].open_now, None, "no hours, no answer");
    }

    #[test]
    fn nearby_with_minutes_leaves_out_what_is_further() {
        let index = FacilityIndex::build(vec![
            north(1, "medical", None, 500.0),
            north(2, "medical", None, 900.0),
        ]);
        let walk = StraightLine::default();
        let cat = FacilityCatalogue::default_catalogue();
        // 10 minutes reach 10 * 60 * 1.2 / 1.3 ≈ 554 m.
        let got = nearby(
            &index,
            &cat,
            &walk,
            &query(None, Some(10.0), None),
            Utc::now(),
        );
        let ids: Vec<i64> = got.iter().map(|f| f.facility.id).collect();
        assert_eq!(ids, [1]);
    }

    #[test]
    fn circle_uses_each_kinds_own_target() {
        // A kindergarten 8 minutes away misses its 5-minute target; a middle school at the same
        // distance meets its 15-minute one.
        let m8 = 8.0 * 60.0 * 1.2 / 1.3;
        let walk = StraightLine::default();
        let cat = FacilityCatalogue::default_catalogue();
        let kg = FacilityIndex::build(vec![north(1, "education", Some("kindergarten"), m8)]);
        let reach = circle(&kg, &cat, &walk, ORIGIN, Utc::now());
        let education = reach.iter().find(|r| r.category == "education").unwrap();
        assert!(!education.within_target);
        assert_eq!(education.nearest.as_ref().unwrap().facility.id, 1);
        let ms = FacilityIndex::build(vec![north(1, "education", Some("middle_school"), m8)]);
        let reach = circle(&ms, &cat, &walk, ORIGIN, Utc::now());
        let education = reach.iter().find(|r| r.category == "education").unwrap();
        assert!(education.within_target);
        assert_eq!(reach.len(), 10);
        let medical = reach.iter().find(|r| r.category == "medical").unwrap();
        assert!(!medical.within_target && medical.nearest.is_none());
    }

    #[test]
    fn bad_queries_get_their_precise_code() {
        let cat = FacilityCatalogue::default_catalogue();
        let q = |p: Wgs84, c: Option<&str>, m: Option<f64>, l: Option<usize>| {
            NearbyQuery::new(&cat, p, c.map(str::to_owned), m, l)
                .unwrap_err()
                .code()
        };
        assert_eq!(q(ORIGIN, Some("spa"), None, None), "unknown_category");
        let far = Wgs84 {
            lon: 181.0,
            lat: 24.0,
        };
        assert_eq!(q(far, None, None, None), "coordinate_out_of_range");
        let nan = Wgs84 {
            lon: 118.0,
            lat: f64::NAN,
        };
        assert_eq!(q(nan, None, None, None), "coordinate_out_of_range");
        assert_eq!(q(ORIGIN, None, Some(0.0), None), "minutes_out_of_range");
        assert_eq!(q(ORIGIN, None, Some(120.5), None), "minutes_out_of_range");
        assert_eq!(q(ORIGIN, None, None, Some(101)), "limit_out_of_range");
        assert_eq!(q(ORIGIN, None, None, Some(0)), "limit_out_of_range");
        assert!(NearbyQuery::new(&cat, ORIGIN, None, Some(120.0), Some(100)).is_ok());
    }
}
