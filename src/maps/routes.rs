//! Tiles over HTTP: `GET /tiles/{layer}/{z}/{x}/{y}.mvt` (Mapbox Vector Tile 2.1, gzip when
//! accepted, strong ETags, 304 on If-None-Match) and `GET /tiles/{layer}.json` (TileJSON 3.0).

use std::ops::RangeInclusive;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Json;
use serde_json::json;
use wangge_tiles::TileCoord;

use super::cache::{RenderedTile, TileKey};
use super::layers::LayerFilter;
use super::layers::MAX_SERVED_ZOOM;
use super::tilejson;
use super::tiles::{RenderError, TileAsk};
use crate::auth::Principal;
use crate::http::error::ApiError;
use crate::http::params::Params;
use crate::http::Routes;
use crate::spatial::Crs;
use crate::AppState;

/// The media type of Mapbox Vector Tiles (IANA).
pub const MVT_CONTENT_TYPE: &str = "application/vnd.mapbox-vector-tile";

// The router matches whole path segments only, so `{y}.mvt` and `{layer}.json` are read here.
pub fn routes() -> Routes {
    vec![
        ("/tiles/{tileset}", get(tilejson)),
        ("/tiles/{layer}/{z}/{x}/{y_mvt}", get(tile)),
    ]
}

impl From<RenderError> for ApiError {
    fn from(e: RenderError) -> ApiError {
        tracing::error!(error = %e, "tile rendering failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the tile could not be rendered",
        )
    }
}

/// `GET /tiles/{layer}/{z}/{x}/{y}.mvt?crs=wgs84|gcj02` (and `state=`, `category=` for the
/// layers that read them).
async fn tile(
    State(state): State<AppState>,
    principal: Option<Principal>,
    Path((layer, z, x, y_mvt)): Path<(String, String, String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref())?;
    let crs = output_crs(&params)?;
    let (source, found) = find_layer(&state, &layer, principal.as_ref())?;
    let (zooms, per_caller, filters) = (found.zooms(), found.per_caller(), found.filters());
    let filter = layer_filter(&state, &params, filters).await?;
    let tile = tile_address(&z, &x, &y_mvt, zooms)?;
    let key = TileKey { source, tile, crs };
    let ask = TileAsk {
        caller: principal,
        filter,
    };
    let rendered = state
        .tiles
        .tile(&state.snapshot, state.store.as_ref(), key, ask)
        .await?;
    let mut response = tile_response(&rendered, &headers);
    if per_caller {
        // What the tile holds depends on who asks: no shared cache may keep it.
        let h = response.headers_mut();
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
        h.insert(
            header::VARY,
            HeaderValue::from_static("accept-encoding, authorization, cookie"),
        );
    }
    Ok(response)
}

/// The layer parameters (`state`, `category`) of a request, for a layer that reads `accepted`:
/// 400 naming the parameter for one the layer does not read, an unknown state or a category
/// missing from the dispatch catalogue.
async fn layer_filter(
    state: &AppState,
    params: &Params,
    accepted: &[&str],
) -> Result<LayerFilter, ApiError> {
    let list = |name: &str| -> Result<Option<Vec<String>>, ApiError> {
        let Some(value) = params.get(name) else {
            return Ok(None);
        };
        if !accepted.contains(&name) {
            return Err(ApiError::bad_request(
                "invalid_parameter",
                format!("this layer takes no `{name}` parameter"),
            )
            .with_details(json!({ "parameter": name })));
        }
        Ok(Some(
            value
                .split(',')
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .collect(),
        ))
    };
    let bad = |name: &str, message: String| {
        ApiError::bad_request("invalid_parameter", message)
            .with_details(json!({ "parameter": name }))
    };
    let states = list("state")?
        .map(|values| {
            values
                .iter()
                .map(|v| v.parse::<crate::reports::State>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| bad("state", e))
        })
        .transpose()?;
    let categories = list("category")?;
    if let Some(categories) = &categories {
        let known = state.store.catalogue().await?;
        if let Some(unknown) = categories
            .iter()
            .find(|c| !known.iter().any(|k| &k.code == *c))
        {
            return Err(bad(
                "category",
                format!("unknown category `{unknown}`: not in the dispatch catalogue"),
            ));
        }
    }
    Ok(LayerFilter { states, categories })
}

/// `GET /tiles/{layer}.json?crs=wgs84|gcj02`.
async fn tilejson(
    State(state): State<AppState>,
    principal: Option<Principal>,
    Path(tileset): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Some(layer) = tileset.strip_suffix(".json") else {
        return Err(ApiError::not_found(format!(
            "no resource /tiles/{tileset}: TileJSON is at /tiles/{{layer}}.json"
        )));
    };
    let crs = output_crs(&Params::parse(query.as_deref())?)?;
    let (_, source) = find_layer(&state, layer, principal.as_ref())?;
    let snapshot = state.snapshot.load();
    let bounds = state.tiles.bounds(&snapshot);
    let base = base_url(state.config.public_url.as_deref(), &headers);
    let doc = tilejson::document(source.as_ref(), &base, crs, bounds);
    Ok((
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))],
        Json(doc),
    )
        .into_response())
}

/// The layer called `layer` if the caller may see it; a layer hidden from the caller answers as
/// a missing one, and the known layers listed are those the caller may see.
fn find_layer<'a>(
    state: &'a AppState,
    layer: &str,
    caller: Option<&Principal>,
) -> Result<(u16, &'a std::sync::Arc<dyn super::TileSource>), ApiError> {
    let layers = state.tiles.layers();
    layers
        .find(layer)
        .filter(|(_, s)| s.visible_to(caller))
        .ok_or_else(|| {
            let known: Vec<String> = layers
                .iter()
                .filter(|(_, s)| s.visible_to(caller))
                .map(|(_, s)| s.id().to_owned())
                .collect();
            ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_layer",
                format!("no tile layer `{layer}`"),
            )
            .with_details(json!({ "layer": layer, "layers": known }))
        })
}

/// Tiles are drawn in WGS84 or, for base maps drawn in it, GCJ-02.
fn output_crs(params: &Params) -> Result<Crs, ApiError> {
    match params.crs()? {
        Crs::Bd09 => Err(ApiError::bad_request(
            "unsupported_crs",
            "tiles are drawn in wgs84 or gcj02: Baidu maps use a tiling of their own, not XYZ Web Mercator",
        )
        .with_details(json!({ "parameter": "crs" }))),
        crs => Ok(crs),
    }
}

/// Reads `z`, `x` and `{y}.mvt`: malformed → 400; a tile that does not exist or a zoom the
/// layer does not serve → 404.
fn tile_address(
    z: &str,
    x: &str,
    y_mvt: &str,
    zooms: RangeInclusive<u8>,
) -> Result<TileCoord, ApiError> {
    let malformed = |what: String| {
        ApiError::bad_request(
            "invalid_tile_address",
            format!("{what}: expected /tiles/{{layer}}/{{z}}/{{x}}/{{y}}.mvt with whole numbers"),
        )
    };
    let number = |name: &str, v: &str| -> Result<u32, ApiError> {
        if v.is_empty() || v.len() > 10 || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed(format!("`{v}` is not a valid {name}")));
        }
        v.parse::<u32>()
            .map_err(|_| malformed(format!("`{v}` is not a valid {name}")))
    };
    let y = y_mvt
        .strip_suffix(".mvt")
        .ok_or_else(|| malformed(format!("`{y_mvt}` does not end in .mvt")))?;
    let (z, x, y) = (number("zoom", z)?, number("x", x)?, number("y", y)?);
    let out_of_range = |message: String| {
        ApiError::new(StatusCode::NOT_FOUND, "tile_out_of_range", message).with_details(json!({
            "z": z, "x": x, "y": y, "minzoom": zooms.start(), "maxzoom": zooms.end()
        }))
    };
    let zoom = u8::try_from(z)
        .ok()
        .filter(|z| *z <= MAX_SERVED_ZOOM && zooms.contains(z))
        .ok_or_else(|| {
            out_of_range(format!(
                "zoom {z} is outside this layer's zooms {}..={}",
                zooms.start(),
                zooms.end()
            ))
        })?;
    TileCoord::new(zoom, x, y).map_err(|e| out_of_range(e.to_string()))
}

fn tile_response(tile: &RenderedTile, headers: &HeaderMap) -> Response {
    let gzip = tile.gzip().filter(|_| accepts_gzip(headers));
    let etag = tile.etag(gzip.is_some());
    // Weak comparison (RFC 9110 §13.1.2): either representation's tag means "unchanged".
    let unchanged = if_none_match(headers, &[tile.etag(false), tile.etag(true)]);
    let mut response = if unchanged {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let body = gzip.unwrap_or(tile.mvt()).clone();
        let mut r = Response::new(Body::from(body));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(MVT_CONTENT_TYPE),
        );
        if gzip.is_some() {
            r.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        r
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    // Edits must show at once: clients revalidate, and a 304 costs next to nothing.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// Whether `Accept-Encoding` allows gzip (RFC 9110 §12.5.3): `gzip`/`x-gzip` or `*` with a
/// q-value above zero; an explicit `gzip;q=0` wins over `*`.
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    let (mut gzip, mut any) = (None, None);
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            match coding.as_str() {
                "gzip" | "x-gzip" => gzip = Some(q),
                "*" => any = Some(q),
                _ => {}
            }
        }
    }
    gzip.or(any).is_some_and(|q| q > 0.0)
}

/// Whether `If-None-Match` names one of `etags` (or is `*`).
pub fn if_none_match(headers: &HeaderMap, etags: &[String]) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| {
            let t = t.strip_prefix("W/").unwrap_or(t);
            t == "*" || etags.iter().any(|e| e == t)
        })
}

/// The scheme and host clients reach the service under: the configured public URL, else
/// `http://` and the request's `Host`, else empty (relative URLs). Forwarded headers are not
/// read: behind a proxy, set `WANGGE_PUBLIC_URL`.
fn base_url(configured: Option<&str>, headers: &HeaderMap) -> String {
    if let Some(url) = configured {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]_".contains(&b))
        });
    host.map(|h| format!("http://{h}")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn gzip_is_chosen_only_when_accepted_with_a_positive_q() {
        assert!(accepts_gzip(&headers(&[(
            "accept-encoding",
            "gzip, deflate, br"
        )])));
        assert!(accepts_gzip(&headers(&[(
            "accept-encoding",
            "br;q=1.0, GZIP;q=0.5"
        )])));
        assert!(accepts_gzip(&headers(&[("accept-encoding", "*")])));
        assert!(!accepts_gzip(&headers(&[(
            "accept-encoding",
            "gzip;q=0, *"
        )])));
        assert!(!accepts_gzip(&headers(&[("accept-encoding", "identity")])));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn if_none_match_compares_weakly_and_accepts_lists_and_star() {
        let tags = ["\"abc\"".to_owned(), "\"abc-gz\"".to_owned()];
        assert!(if_none_match(
            &headers(&[("if-none-match", "\"x\", W/\"abc\"")]),
            &tags
        ));
        assert!(if_none_match(&headers(&[("if-none-match", "*")]), &tags));
        assert!(!if_none_match(
            &headers(&[("if-none-match", "\"abcd\"")]),
            &tags
        ));
        assert!(!if_none_match(&HeaderMap::new(), &tags));
    }

    #[test]
    fn tile_addresses_are_checked_for_form_and_range() {
        let zooms = 8..=22;
        let t = tile_address("14", "13505", "7003.mvt", zooms.clone()).expect("valid");
        assert_eq!((t.z(), t.x(), t.y()), (14, 13505, 7003));
        let status = |z: &str, x: &str, y: &str| {
            tile_address(z, x, y, zooms.clone())
                .map(|_| 200)
                .unwrap_or_else(|e| e.status.as_u16())
        };
        assert_eq!(status("14", "1", "2.pbf"), 400);
        assert_eq!(status("14", "-1", "2.mvt"), 400);
        assert_eq!(status("a", "1", "2.mvt"), 400);
        assert_eq!(status("14", "1", ".mvt"), 400);
        assert_eq!(status("14", "1", "99999999999.mvt"), 400);
        assert_eq!(status("7", "1", "2.mvt"), 404);
        assert_eq!(status("23", "1", "2.mvt"), 404);
        assert_eq!(status("300", "1", "2.mvt"), 404);
        assert_eq!(status("14", "16384", "2.mvt"), 404);
        assert_eq!(status("14", "1", "16384.mvt"), 404);
    }

    #[test]
    fn base_url_prefers_configuration_then_the_host_header() {
        assert_eq!(
            base_url(Some("https://maps.example/"), &HeaderMap::new()),
            "https://maps.example"
        );
        let h = headers(&[("host", "10.0.0.1:8080"), ("x-forwarded-proto", "https")]);
        assert_eq!(base_url(None, &h), "http://10.0.0.1:8080");
        assert_eq!(base_url(None, &headers(&[("host", "evil\"host")])), "");
        assert_eq!(base_url(None, &HeaderMap::new()), "");
    }
}
