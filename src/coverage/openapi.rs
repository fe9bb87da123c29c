//! The coverage paths of the OpenAPI document (`crate::http::openapi`).

use serde_json::{json, Value};

use crate::http::openapi::{error_response, param};

pub fn paths() -> Value {
    let signed_in = json!([{"bearer": []}, {"session": []}]);
    let q = |name: &str, required: bool, schema: Value, description: &str| {
        param(name, "query", required, schema, description)
    };
    let unit = || {
        q(
            "unit",
            true,
            json!({"type": "string"}),
            "A unit code within the caller's area.",
        )
    };
    let category = |required: bool| {
        q(
            "category",
            required,
            json!({"type": "string"}),
            "A category code of /api/v1/facility-categories.",
        )
    };
    let resolution = || {
        q(
            "resolution",
            false,
            json!({"type": "integer", "minimum": 7, "maximum": 11}),
            "H3 resolution (default 9).",
        )
    };
    let errors = || {
        json!({
            "400": error_response("missing_parameter, invalid_unit_code, unknown_category, invalid_resolution"),
            "401": error_response("not signed in"),
            "403": error_response("the role reads no households, or the unit is outside the caller's area"),
            "404": error_response("no such unit"),
        })
    };
    let op = |summary: &str, params: Vec<Value>, ok: &str| {
        let mut responses = errors();
        responses["200"] = json!({"description": ok});
        json!({"get": {"summary": summary, "security": signed_in, "parameters": params, "responses": responses}})
    };
    json!({
        "/api/v1/coverage": op(
            "Share of the unit's households within target of each element, and of each child unit. Staff who read households.",
            vec![unit()], "{unit, households, elements: [{category, covered, share}], children, walking}"),
        "/api/v1/coverage/unreached": op(
            "The unit's households that no facility of the category reaches within target (id, address, room, location; no name or phone).",
            vec![unit(), category(true), q("limit", false, json!({"type": "integer", "minimum": 1, "maximum": 10000}), "Most listed (default 1000).")],
            "{total, truncated, households}"),
        "/api/v1/coverage/areas": op(
            "Per element (or the one named), the part of the unit outside every facility's walking disc, as GeoJSON with its area.",
            vec![unit(), category(false)], "FeatureCollection, one MultiPolygon per element"),
        "/api/v1/coverage/cells": op(
            "The unit's households by H3 cell with the share each element reaches, as GeoJSON.",
            vec![unit(), resolution()], "FeatureCollection of cells"),
        "/api/v1/coverage/candidates": op(
            "H3 cells ranked by how many of the unit's households lacking the element a new facility at the cell's centre would reach.",
            vec![unit(), category(true), q("kind", false, json!({"type": "string"}), "The kind of the new facility (its target counts)."), resolution(),
                 q("limit", false, json!({"type": "integer", "minimum": 1, "maximum": 100}), "Default 10.")],
            "{unreached, candidates: [{cell, at, newly_reached}]}"),
        "/api/v1/coverage/export": op(
            "The coverage table of the unit and every unit below it, as CSV (default) or GeoJSON.",
            vec![unit(), q("format", false, json!({"enum": ["csv", "geojson"]}), "Default csv.")],
            "text/csv or FeatureCollection"),
    })
}
