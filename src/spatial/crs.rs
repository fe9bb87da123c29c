//! Coordinate systems met in China: WGS84/CGCS2000 (storage), GCJ-02 (Amap, Tencent) and BD-09
//! (Baidu). GCJ-02 and BD-09 follow the published algorithms (the "eviltransform"/prcoords
//! family); GCJ-02 → WGS84 has no closed form and is inverted by fixed-point iteration.

use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

/// A WGS84 (EPSG:4326) longitude/latitude in degrees: the only system the store and the snapshot use.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Wgs84 {
    pub lon: f64,
    pub lat: f64,
}

/// A GCJ-02 ("Mars") longitude/latitude in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gcj02 {
    pub lon: f64,
    pub lat: f64,
}

/// A BD-09 (Baidu) longitude/latitude in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bd09 {
    pub lon: f64,
    pub lat: f64,
}

/// The coordinate system an input names with `crs=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Crs {
    #[default]
    Wgs84,
    Gcj02,
    Bd09,
}

impl std::str::FromStr for Crs {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "wgs84" | "epsg:4326" | "cgcs2000" | "epsg:4490" => Ok(Crs::Wgs84),
            "gcj02" | "gcj-02" => Ok(Crs::Gcj02),
            "bd09" | "bd-09" => Ok(Crs::Bd09),
            _ => Err(format!("unknown crs `{s}`: expected wgs84, gcj02 or bd09")),
        }
    }
}

impl Crs {
    pub fn as_str(self) -> &'static str {
        match self {
            Crs::Wgs84 => "wgs84",
            Crs::Gcj02 => "gcj02",
            Crs::Bd09 => "bd09",
        }
    }

    /// Reads `lon, lat` given in this system as WGS84.
    pub fn to_wgs84(self, lon: f64, lat: f64) -> Wgs84 {
        match self {
            Crs::Wgs84 => Wgs84 { lon, lat },
            Crs::Gcj02 => Gcj02 { lon, lat }.to_wgs84(),
            Crs::Bd09 => Bd09 { lon, lat }.to_gcj02().to_wgs84(),
        }
    }

    /// Writes a WGS84 position in this system, as `(lon, lat)`.
    pub fn from_wgs84(self, p: Wgs84) -> (f64, f64) {
        match self {
            Crs::Wgs84 => (p.lon, p.lat),
            Crs::Gcj02 => {
                let g = p.to_gcj02();
                (g.lon, g.lat)
            }
            Crs::Bd09 => {
                let b = p.to_gcj02().to_bd09();
                (b.lon, b.lat)
            }
        }
    }
}

// Krasovsky 1940 ellipsoid, as the GCJ-02 algorithm uses it.
const KRASOVSKY_A: f64 = 6_378_245.0;
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943;
const BD_X_PI: f64 = PI * 3000.0 / 180.0;

/// GCJ-02 leaves coordinates outside mainland China's rough bounding box untouched.
fn outside_china(lon: f64, lat: f64) -> bool {
    !(72.004..=137.8347).contains(&lon) || !(0.8293..=55.8271).contains(&lat)
}

fn delta_lat(x: f64, y: f64) -> f64 {
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn delta_lon(x: f64, y: f64) -> f64 {
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

impl Wgs84 {
    pub fn to_gcj02(self) -> Gcj02 {
        if outside_china(self.lon, self.lat) {
            return Gcj02 {
                lon: self.lon,
                lat: self.lat,
            };
        }
        let d_lat = delta_lat(self.lon - 105.0, self.lat - 35.0);
        let d_lon = delta_lon(self.lon - 105.0, self.lat - 35.0);
        let rad_lat = self.lat / 180.0 * PI;
        let magic = 1.0 - KRASOVSKY_EE * rad_lat.sin().powi(2);
        let sqrt_magic = magic.sqrt();
        let d_lat =
            (d_lat * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI);
        let d_lon = (d_lon * 180.0) / (KRASOVSKY_A / sqrt_magic * rad_lat.cos() * PI);
        Gcj02 {
            lon: self.lon + d_lon,
            lat: self.lat + d_lat,
        }
    }
}

impl Gcj02 {
    /// Inverts [`Wgs84::to_gcj02`] by fixed-point iteration to about 1e-10 degrees (sub-millimetre).
    pub fn to_wgs84(self) -> Wgs84 {
        let mut guess = Wgs84 {
            lon: self.lon,
            lat: self.lat,
        };
        for _ in 0..30 {
            let there = guess.to_gcj02();
            let (d_lon, d_lat) = (there.lon - self.lon, there.lat - self.lat);
            guess.lon -= d_lon;
            guess.lat -= d_lat;
            if d_lon.abs() < 1e-10 && d_lat.abs() < 1e-10 {
                break;
            }
        }
        guess
    }

    pub fn to_bd09(self) -> Bd09 {
        let (x, y) = (self.lon, self.lat);
        let z = (x * x + y * y).sqrt() + 0.00002 * (y * BD_X_PI).sin();
        let theta = y.atan2(x) + 0.000003 * (x * BD_X_PI).cos();
        Bd09 {
            lon: z * theta.cos() + 0.0065,
            lat: z * theta.sin() + 0.006,
        }
    }
}

impl Bd09 {
    /// The published BD-09 → GCJ-02 formula is only an approximate inverse (off by up to about
    /// 1e-6 degrees); a few fixed-point steps against the forward formula make it exact to 1e-10.
    pub fn to_gcj02(self) -> Gcj02 {
        let (x, y) = (self.lon - 0.0065, self.lat - 0.006);
        let z = (x * x + y * y).sqrt() - 0.00002 * (y * BD_X_PI).sin();
        let theta = y.atan2(x) - 0.000003 * (x * BD_X_PI).cos();
        let mut guess = Gcj02 {
            lon: z * theta.cos(),
            lat: z * theta.sin(),
        };
        for _ in 0..10 {
            let there = guess.to_bd09();
            let (d_lon, d_lat) = (there.lon - self.lon, there.lat - self.lat);
            guess.lon -= d_lon;
            guess.lat -= d_lat;
            if d_lon.abs() < 1e-10 && d_lat.abs() < 1e-10 {
                break;
            }
        }
        guess
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcj02_round_trip_is_sub_millimetre_in_xiamen() {
        let p = Wgs84 {
            lon: 118.0894,
            lat: 24.4798,
        };
        let back = p.to_gcj02().to_wgs84();
        assert!((back.lon - p.lon).abs() < 1e-8 && (back.lat - p.lat).abs() < 1e-8);
    }

    #[test]
    fn gcj02_offset_in_xiamen_is_hundreds_of_metres() {
        let p = Wgs84 {
            lon: 118.0894,
            lat: 24.4798,
        };
        let g = p.to_gcj02();
        let metres = ((g.lon - p.lon) * 101_000.0).hypot((g.lat - p.lat) * 111_000.0);
        assert!((300.0..800.0).contains(&metres), "offset {metres} m");
    }

    #[test]
    fn outside_china_is_untouched() {
        let p = Wgs84 {
            lon: 2.35,
            lat: 48.85,
        };
        assert_eq!(p.to_gcj02().lon, 2.35);
    }

    #[test]
    fn unknown_crs_is_named_in_error() {
        assert!("utm50".parse::<Crs>().unwrap_err().contains("utm50"));
    }
}
