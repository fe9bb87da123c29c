//! Point assignment over HTTP: one point, or a batch in GeoJSON, CSV or NDJSON streamed back as
//! NDJSON in input order.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Json;
use futures::StreamExt;
use serde::Serialize;
use serde_json::Value;

use super::{Assignment, Crs, Match, Snapshot};
use crate::http::error::ApiError;
use crate::http::params::{check_range, lon_lat, Params};
use crate::http::Routes;
use crate::units::UnitRef;
use crate::AppState;

pub fn routes() -> Routes {
    vec![
        ("/api/v1/assign", get(assign_one)),
        ("/api/v1/assign/batch", post(assign_batch)),
    ]
}

/// The JSON answer for one point.
#[derive(Debug, Serialize)]
pub struct AssignmentView {
    pub assigned: bool,
    #[serde(rename = "match")]
    pub matched: Match,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    pub wgs84: [f64; 2],
    /// The smallest unit of the chain (the fallback unit when not assigned).
    pub unit: Option<UnitRef>,
    /// District first, down to `unit`.
    pub chain: Vec<UnitRef>,
}

impl AssignmentView {
    pub fn new(snapshot: &Snapshot, a: &Assignment, lon: f64, lat: f64) -> AssignmentView {
        let chain: Vec<UnitRef> = a
            .chain_indices()
            .iter()
            .map(|&i| snapshot.unit(i).as_ref())
            .collect();
        AssignmentView {
            assigned: a.assigned(),
            matched: a.matched,
            distance_m: (a.matched == Match::Snapped)
                .then(|| (a.distance_m * 100.0).round() / 100.0),
            wgs84: [lon, lat],
            unit: chain.last().cloned(),
            chain,
        }
    }
}

async fn assign_one(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Json<AssignmentView>, ApiError> {
    let p = Params::parse(q.as_deref())?;
    let crs = p.crs()?;
    let (lon, lat) = lon_lat(p.required("lon")?, p.required("lat")?)?;
    let w = crs.to_wgs84(lon, lat);
    let snap = state.snapshot.load();
    let a = snap.assign(w.lon, w.lat);
    Ok(Json(AssignmentView::new(&snap, &a, w.lon, w.lat)))
}

/// Which format the batch body is in, from `format=` or the Content-Type.
#[derive(Debug, Clone, Copy, PartialEq)]
enum BatchFormat {
    GeoJson,
    Csv,
    Ndjson,
}

fn batch_format(p: &Params, headers: &HeaderMap) -> Result<BatchFormat, ApiError> {
    let key = p.body_format(headers);
    if key.contains("csv") {
        Ok(BatchFormat::Csv)
    } else if key.contains("ndjson") || key.contains("jsonl") || key.contains("json-seq") {
        Ok(BatchFormat::Ndjson)
    } else if key.contains("json") {
        Ok(BatchFormat::GeoJson)
    } else {
        Err(ApiError::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send GeoJSON (application/geo+json), CSV (text/csv) or NDJSON (application/x-ndjson), or name it with format=geojson|csv|ndjson",
        ))
    }
}

/// One line of the batch answer.
fn answer_line(
    snap: &Snapshot,
    index: usize,
    point: Result<(f64, f64), String>,
    crs: Crs,
) -> Vec<u8> {
    let value = match point.and_then(|(lon, lat)| {
        check_range(lon, lat).map_err(|e| e.message)?;
        Ok((lon, lat))
    }) {
        Ok((lon, lat)) => {
            let w = crs.to_wgs84(lon, lat);
            let a = snap.assign(w.lon, w.lat);
            let mut v = serde_json::to_value(AssignmentView::new(snap, &a, w.lon, w.lat))
                .unwrap_or(Value::Null);
            v["index"] = index.into();
            v
        }
        Err(message) => serde_json::json!({
            "index": index,
            "error": {"code": "invalid_point", "message": message}
        }),
    };
    let mut line = serde_json::to_vec(&value).unwrap_or_default();
    line.push(b'\n');
    line
}

async fn assign_batch(
    State(state): State<AppState>,
    principal: crate::auth::Principal,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    // Single points are public (they read public outlines); bulk work is for accounts.
    principal.require(crate::auth::Action::AssignBatch)?;
    let p = Params::parse(q.as_deref())?;
    let crs = p.crs()?;
    let format = batch_format(&p, &headers)?;
    let snap = state.snapshot.load();
    let limit = state.config.max_batch_body_bytes;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(16);
    match format {
        BatchFormat::GeoJson => {
            let bytes = axum::body::to_bytes(body, limit).await.map_err(too_large)?;
            let points = geojson_points(&bytes)?;
            tokio::spawn(async move {
                for chunk in points.chunks(1024).enumerate() {
                    let (c, pts) = chunk;
                    let mut out = Vec::with_capacity(pts.len() * 200);
                    for (j, pt) in pts.iter().enumerate() {
                        out.extend(answer_line(&snap, c * 1024 + j, pt.clone(), crs));
                    }
                    if tx.send(Ok(Bytes::from(out))).await.is_err() {
                        return;
                    }
                }
            });
        }
        BatchFormat::Csv | BatchFormat::Ndjson => {
            let columns = (
                p.get("lon_column").unwrap_or("lon").to_owned(),
                p.get("lat_column").unwrap_or("lat").to_owned(),
            );
            let stream = body.into_data_stream();
            tokio::spawn(stream_lines(stream, format, columns, snap, crs, limit, tx));
        }
    }
    let body = Body::from_stream(tokio_stream_from(rx));
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response())
}

fn too_large(e: axum::Error) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        format!("request body could not be read whole: {e}"),
    )
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// Reads CSV or NDJSON line by line as it arrives and answers each line as soon as it is read.
async fn stream_lines(
    mut stream: axum::body::BodyDataStream,
    format: BatchFormat,
    (lon_col, lat_col): (String, String),
    snap: Arc<Snapshot>,
    crs: Crs,
    limit: usize,
    tx: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
) {
    let mut pending: Vec<u8> = Vec::new();
    let mut columns: Option<Result<(usize, usize), String>> = None;
    let mut index = 0usize;
    let mut total = 0usize;
    let mut handle = |line: &[u8], out: &mut Vec<u8>| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        match format {
            BatchFormat::Csv => match &columns {
                None => columns = Some(csv_header(line, &lon_col, &lat_col)),
                Some(Err(e)) => {
                    out.extend(answer_line(&snap, index, Err(e.clone()), crs));
                    index += 1;
                }
                Some(Ok(cols)) => {
                    out.extend(answer_line(&snap, index, csv_point(line, *cols), crs));
                    index += 1;
                }
            },
            _ => {
                out.extend(answer_line(&snap, index, ndjson_point(line), crs));
                index += 1;
            }
        }
    };
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                return;
            }
        };
        total += chunk.len();
        if total > limit {
            let _ = tx
                .send(Ok(Bytes::from(format!(
                    "{{\"error\":{{\"code\":\"body_too_large\",\"message\":\"batch body exceeds {limit} bytes; answers stop here\"}}}}\n"
                ))))
                .await;
            return;
        }
        pending.extend_from_slice(&chunk);
        let mut out = Vec::new();
        let mut start = 0;
        while let Some(pos) = pending[start..].iter().position(|&b| b == b'\n') {
            handle(&pending[start..start + pos], &mut out);
            start += pos + 1;
        }
        pending.drain(..start);
        if !out.is_empty() && tx.send(Ok(Bytes::from(out))).await.is_err() {
            return;
        }
    }
    let mut out = Vec::new();
    if !pending.is_empty() {
        handle(&pending, &mut out);
    }
    if let Some(Err(e)) = &columns {
        if index == 0 {
            out.extend(
                format!(
                    "{}\n",
                    serde_json::json!({"error": {"code": "invalid_csv_header", "message": e}})
                )
                .into_bytes(),
            );
        }
    }
    if !out.is_empty() {
        let _ = tx.send(Ok(Bytes::from(out))).await;
    }
}

fn csv_fields(line: &[u8]) -> Vec<String> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line);
    r.records()
        .next()
        .and_then(Result::ok)
        .map(|rec| rec.iter().map(|s| s.trim().to_owned()).collect())
        .unwrap_or_default()
}

fn csv_header(line: &[u8], lon: &str, lat: &str) -> Result<(usize, usize), String> {
    let fields = csv_fields(line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line));
    let find = |name: &str| {
        fields
            .iter()
            .position(|f| f.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                format!(
                    "CSV header has no column `{name}` (columns: {})",
                    fields.join(",")
                )
            })
    };
    Ok((find(lon)?, find(lat)?))
}

fn csv_point(line: &[u8], (lon_i, lat_i): (usize, usize)) -> Result<(f64, f64), String> {
    let fields = csv_fields(line);
    let get = |i: usize, name: &str| -> Result<f64, String> {
        let v = fields
            .get(i)
            .ok_or_else(|| format!("row has no `{name}` column"))?;
        let x: f64 = v
            .parse()
            .map_err(|_| format!("`{name}` must be a number, got `{v}`"))?;
        x.is_finite()
            .then_some(x)
            .ok_or_else(|| format!("`{name}` must be finite"))
    };
    Ok((get(lon_i, "lon")?, get(lat_i, "lat")?))
}

fn ndjson_point(line: &[u8]) -> Result<(f64, f64), String> {
    let v: Value = serde_json::from_slice(line).map_err(|e| format!("not JSON: {e}"))?;
    point_of(&v)
}

/// A point from `{"lon":..,"lat":..}`, `[lon, lat]`, a GeoJSON Point or a Feature holding one.
fn point_of(v: &Value) -> Result<(f64, f64), String> {
    let num = |x: Option<&Value>, name: &str| {
        x.and_then(Value::as_f64)
            .ok_or_else(|| format!("`{name}` is missing or not a number"))
    };
    if let Some(geom) = v.get("geometry") {
        return point_of(geom);
    }
    if v.get("type").and_then(Value::as_str) == Some("Point") {
        let c = v
            .get("coordinates")
            .and_then(Value::as_array)
            .ok_or("Point without coordinates")?;
        return Ok((num(c.first(), "lon")?, num(c.get(1), "lat")?));
    }
    if let Some(arr) = v.as_array() {
        return Ok((num(arr.first(), "lon")?, num(arr.get(1), "lat")?));
    }
    if v.get("type").is_some() {
        return Err(format!("expected a Point, found {}", v["type"]));
    }
    Ok((num(v.get("lon"), "lon")?, num(v.get("lat"), "lat")?))
}

fn geojson_points(bytes: &[u8]) -> Result<Vec<Result<(f64, f64), String>>, ApiError> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("body is not JSON: {e}")))?;
    match v.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => Ok(v["features"]
            .as_array()
            .map(|fs| fs.iter().map(point_of).collect())
            .unwrap_or_default()),
        Some("MultiPoint") => Ok(v["coordinates"]
            .as_array()
            .map(|cs| cs.iter().map(point_of).collect())
            .unwrap_or_default()),
        Some("GeometryCollection") => Ok(v["geometries"]
            .as_array()
            .map(|gs| gs.iter().map(point_of).collect())
            .unwrap_or_default()),
        Some(_) => Ok(vec![point_of(&v)]),
        None => Err(ApiError::bad_request(
            "invalid_geojson",
            "expected a GeoJSON FeatureCollection, MultiPoint, GeometryCollection or Point",
        )),
    }
}
