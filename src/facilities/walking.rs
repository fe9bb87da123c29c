//! Walking time between two points, behind one trait so that a pedestrian road network can
//! replace the straight-line estimate without touching the finder.
//!
//! The default is an estimate: great-circle distance × a detour (circuity) factor ÷ a walking
//! speed. Defaults: 1.2 m/s, a common design walking speed in traffic engineering (healthy adults
//! walk about 1.2–1.4 m/s; the US MUTCD times signals for 3.5 ft/s ≈ 1.07 m/s so that slower
//! walkers are served), and a detour factor of 1.3: studies of street-network circuity (e.g.
//! Levinson & El-Geneidy 2009; Boeing 2019) find network distances about 1.1–1.4 times the
//! straight line in cities, and gated compounds and superblocks of Chinese districts put walks at
//! the long end. Both are configuration (`WANGGE_WALK_SPEED_M_S`, `WANGGE_WALK_DETOUR_FACTOR`).
//! With the defaults, 15 minutes reach about 830 m in a straight line.

use serde::Serialize;

use crate::spatial::crs::Wgs84;

/// Mean Earth radius (IUGG), metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// How long a walk takes, and how the figure was reached.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// Straight-line (great-circle) distance, metres.
    pub distance_m: f64,
    /// Walking minutes by the estimator's method.
    pub minutes: f64,
}

/// A way to reckon walking time.
pub trait WalkingTime: Send + Sync {
    /// Stable name of the method, given in every answer (`straight_line_estimate`).
    fn method(&self) -> &'static str;

    /// The walk from `from` to `to`, given their great-circle distance in metres.
    fn estimate(&self, from: Wgs84, to: Wgs84, distance_m: f64) -> Estimate;

    /// A straight-line radius, in metres, that contains every place reachable within `minutes`:
    /// the finder searches the index within it, then asks `estimate` for each candidate.
    fn search_radius_m(&self, minutes: f64) -> f64;

    /// The method's parameters, shown beside its name so that clients can say how a figure
    /// was reached.
    fn parameters(&self) -> serde_json::Value;
}

/// Straight line × detour factor ÷ walking speed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StraightLine {
    pub speed_m_s: f64,
    pub detour_factor: f64,
}

impl StraightLine {
    pub const DEFAULT_SPEED_M_S: f64 = 1.2;
    pub const DEFAULT_DETOUR_FACTOR: f64 = 1.3;

    /// Refuses speeds and factors that would make nonsense (a factor below 1 would make a walk
    /// shorter than the straight line).
    pub fn new(speed_m_s: f64, detour_factor: f64) -> Result<StraightLine, String> {
        if !(speed_m_s.is_finite() && speed_m_s > 0.0) {
            return Err(format!("walking speed {speed_m_s} m/s must be above 0"));
        }
        if !(detour_factor.is_finite() && detour_factor >= 1.0) {
            return Err(format!("detour factor {detour_factor} must be at least 1"));
        }
        Ok(StraightLine {
            speed_m_s,
            detour_factor,
        })
    }

    pub fn minutes_for(&self, distance_m: f64) -> f64 {
        distance_m * self.detour_factor / self.speed_m_s / 60.0
    }
}

impl Default for StraightLine {
    fn default() -> Self {
        StraightLine {
            speed_m_s: Self::DEFAULT_SPEED_M_S,
            detour_factor: Self::DEFAULT_DETOUR_FACTOR,
        }
    }
}

impl WalkingTime for StraightLine {
    fn method(&self) -> &'static str {
        "straight_line_estimate"
    }

    fn estimate(&self, _from: Wgs84, _to: Wgs84, distance_m: f64) -> Estimate {
        Estimate {
            distance_m,
            minutes: self.minutes_for(distance_m),
        }
    }

    fn search_radius_m(&self, minutes: f64) -> f64 {
        minutes * 60.0 * self.speed_m_s / self.detour_factor
    }

    fn parameters(&self) -> serde_json::Value {
        serde_json::json!({"speed_m_s": self.speed_m_s, "detour_factor": self.detour_factor})
    }
}

/// Great-circle distance in metres (haversine on the mean sphere).
pub fn haversine_m(a: Wgs84, b: Wgs84) -> f64 {
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = la2 - la1;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kilometre_is_about_eighteen_minutes_by_default() {
        let walk = StraightLine::default();
        assert!((walk.minutes_for(1000.0) - 1000.0 * 1.3 / 1.2 / 60.0).abs() < 1e-12);
        assert!((walk.minutes_for(1000.0) - 18.06).abs() < 0.01);
    }

    #[test]
    fn the_search_radius_reaches_exactly_the_minutes_asked() {
        let walk = StraightLine::new(1.4, 1.25).unwrap();
        let r = walk.search_radius_m(15.0);
        assert!((walk.minutes_for(r) - 15.0).abs() < 1e-9);
    }

    #[test]
    fn nonsense_speed_or_factor_is_refused() {
        assert!(StraightLine::new(0.0, 1.3).is_err());
        assert!(StraightLine::new(f64::NAN, 1.3).is_err());
        assert!(StraightLine::new(1.2, 0.9).is_err());
    }

    #[test]
    fn haversine_matches_a_known_distance() {
        // One degree of latitude on the mean sphere.
        let d = haversine_m(
            Wgs84 {
                lon: 118.0,
                lat: 24.0,
            },
            Wgs84 {
                lon: 118.0,
                lat: 25.0,
            },
        );
        assert!(
            (d - EARTH_RADIUS_M.to_radians() * 1.0).abs() < 1e-6 * d,
            "{d}"
        );
    }
}
