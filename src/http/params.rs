//! Query-string reading with precise 400s in the one error shape.

use std::collections::HashMap;
use std::str::FromStr;

use super::error::ApiError;
use crate::spatial::Crs;

/// Query parameters by name (the last value wins when a name repeats).
pub struct Params(HashMap<String, String>);

impl Params {
    pub fn parse(raw: Option<&str>) -> Result<Params, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
            .map_err(|e| ApiError::bad_request("invalid_query", format!("query string: {e}")))?;
        Ok(Params(pairs.into_iter().collect()))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name).ok_or_else(|| {
            ApiError::bad_request(
                "missing_parameter",
                format!("query parameter `{name}` is required"),
            )
            .with_details(serde_json::json!({ "parameter": name }))
        })
    }

    pub fn parsed<T: FromStr>(&self, name: &str) -> Result<Option<T>, ApiError>
    where
        T::Err: std::fmt::Display,
    {
        self.get(name)
            .map(|v| {
                v.parse::<T>().map_err(|e| {
                    ApiError::bad_request("invalid_parameter", format!("`{name}={v}`: {e}"))
                        .with_details(serde_json::json!({ "parameter": name }))
                })
            })
            .transpose()
    }

    /// `limit=`: how many entries one page holds, `default` when absent, 1..=`max` when given.
    pub fn limit(&self, default: u32, max: u32) -> Result<u32, ApiError> {
        let limit = self.parsed::<u32>("limit")?.unwrap_or(default);
        if limit == 0 || limit > max {
            return Err(ApiError::bad_request(
                "invalid_parameter",
                format!("`limit` must be 1 to {max}"),
            )
            .with_details(serde_json::json!({ "parameter": "limit" })));
        }
        Ok(limit)
    }

    pub fn flag(&self, name: &str) -> Result<bool, ApiError> {
        Ok(self.parsed::<bool>(name)?.unwrap_or(false))
    }

    pub fn crs(&self) -> Result<Crs, ApiError> {
        Ok(self.parsed::<Crs>("crs")?.unwrap_or_default())
    }

    /// What a body says it is, lower-cased: `format=` when given, else the Content-Type.
    pub fn body_format(&self, headers: &axum::http::HeaderMap) -> String {
        match self.get("format") {
            Some(f) => f.to_ascii_lowercase(),
            None => headers
                .get(axum::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_ascii_lowercase(),
        }
    }
}

/// The query of a table import: `dry_run=`, `crs=` (of rows without one), `encoding=` (`auto`
/// by default) and `mapping=` (header overrides, still to be parsed by the domain).
pub struct ImportQuery<'a> {
    pub dry_run: bool,
    pub crs: Crs,
    pub encoding: Option<crate::tabular::Encoding>,
    pub mapping: &'a str,
}

impl<'a> ImportQuery<'a> {
    pub fn parse(p: &'a Params) -> Result<ImportQuery<'a>, ApiError> {
        Ok(ImportQuery {
            dry_run: p.flag("dry_run")?,
            crs: p.crs()?,
            encoding: match p.get("encoding") {
                None | Some("auto") => None,
                Some(_) => p.parsed("encoding")?,
            },
            mapping: p.get("mapping").unwrap_or(""),
        })
    }
}

/// A longitude/latitude pair checked for being finite numbers in range.
pub fn lon_lat(lon: &str, lat: &str) -> Result<(f64, f64), ApiError> {
    let num = |name: &str, v: &str| -> Result<f64, ApiError> {
        let x: f64 = v.trim().parse().map_err(|_| {
            ApiError::bad_request(
                "invalid_coordinate",
                format!("`{name}` must be a number, got `{v}`"),
            )
            .with_details(serde_json::json!({ "parameter": name }))
        })?;
        if !x.is_finite() {
            return Err(ApiError::bad_request(
                "invalid_coordinate",
                format!("`{name}` must be finite, got `{v}`"),
            )
            .with_details(serde_json::json!({ "parameter": name })));
        }
        Ok(x)
    };
    let (x, y) = (num("lon", lon)?, num("lat", lat)?);
    check_range(x, y)?;
    Ok((x, y))
}

pub fn check_range(lon: f64, lat: f64) -> Result<(), ApiError> {
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return Err(ApiError::bad_request(
            "coordinate_out_of_range",
            format!("lon {lon} is outside -180..180"),
        ));
    }
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err(ApiError::bad_request(
            "coordinate_out_of_range",
            format!("lat {lat} is outside -90..90"),
        ));
    }
    Ok(())
}

/// `bbox=minLon,minLat,maxLon,maxLat`.
pub fn bbox(v: &str) -> Result<crate::spatial::Bbox, ApiError> {
    let parts: Result<Vec<f64>, _> = v.split(',').map(|s| s.trim().parse::<f64>()).collect();
    let bad = || {
        ApiError::bad_request(
            "invalid_bbox",
            format!("bbox `{v}` must be minLon,minLat,maxLon,maxLat with min <= max"),
        )
    };
    match parts.as_deref() {
        Ok([a, b, c, d]) if a <= c && b <= d => {
            check_range(*a, *b)?;
            check_range(*c, *d)?;
            Ok(crate::spatial::Bbox {
                min_x: *a,
                min_y: *b,
                max_x: *c,
                max_y: *d,
            })
        }
        _ => Err(bad()),
    }
}
