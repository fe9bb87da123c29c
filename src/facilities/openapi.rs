//! The facility paths of the OpenAPI document (`crate::http::openapi`).

use serde_json::{json, Value};

use crate::http::openapi::{error_response, param};

pub fn paths() -> Value {
    let signed_in = json!([{"bearer": []}, {"session": []}]);
    let q = |name: &str, required: bool, schema: Value, description: &str| {
        param(name, "query", required, schema, description)
    };
    let point = || {
        vec![
            q(
                "lon",
                true,
                json!({"type": "number"}),
                "Longitude, -180..180.",
            ),
            q("lat", true, json!({"type": "number"}), "Latitude, -90..90."),
            q(
                "crs",
                false,
                json!({"enum": ["wgs84", "gcj02", "bd09"]}),
                "CRS of lon/lat (default wgs84).",
            ),
        ]
    };
    let mut nearby_params = point();
    nearby_params.extend([
        q(
            "category",
            false,
            json!({"type": "string"}),
            "A category code of /api/v1/facility-categories; all when absent.",
        ),
        q(
            "minutes",
            false,
            json!({"type": "number", "exclusiveMinimum": 0, "maximum": 120}),
            "Only facilities within this many estimated walking minutes.",
        ),
        q(
            "limit",
            false,
            json!({"type": "integer", "minimum": 1, "maximum": 100}),
            "Most facilities listed (default 10).",
        ),
    ]);
    let id = param(
        "id",
        "path",
        true,
        json!({"type": "integer"}),
        "Facility id.",
    );
    let body = json!({"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FacilityBody"}}}});
    json!({
        "/api/v1/facility-categories": {"get": {
            "summary": "The ten elements of the fifteen-minute circle with their walking-time targets and kinds, and the walking estimate's method.",
            "responses": {"200": {"description": "{categories, walking}"}}}},
        "/api/v1/facilities/nearby": {"get": {
            "summary": "The nearest facilities by estimated walking time (k-nearest on an R-tree), each with distance_m, walking_minutes and open_now. Public.",
            "parameters": nearby_params,
            "responses": {"200": {"description": "{from, walking: {method, estimate: true, parameters}, facilities}"},
                "400": error_response("unknown_category, coordinate_out_of_range, invalid_coordinate, minutes_out_of_range, limit_out_of_range")}}},
        "/api/v1/facilities/circle": {"get": {
            "summary": "For a location, which of the ten elements lie within their target (a kind's own target counts) and which are missing, with the nearest of each. Public.",
            "parameters": point(),
            "responses": {"200": {"description": "{from, walking, complete, missing, elements}"},
                "400": error_response("coordinate_out_of_range, invalid_coordinate")}}},
        "/api/v1/facilities": {
            "get": {"summary": "The facilities of a category within a unit as a GeoJSON FeatureCollection (the import reads it back). Public.",
                "parameters": [q("category", false, json!({"type": "string"}), "A category code."),
                    q("unit", false, json!({"type": "string"}), "A unit code: facilities within it.")],
                "responses": {"200": {"description": "FeatureCollection"}, "400": error_response("unknown_category, invalid_unit_code")}},
            "post": {"summary": "Create a facility; its unit chain is assigned from its location. Admins and planners, within their area.",
                "security": signed_in, "requestBody": body,
                "responses": {"201": {"description": "the facility"}, "400": error_response("invalid_json, invalid_facility, outside_every_unit"),
                    "401": error_response("not signed in"), "403": error_response("the role edits no facilities, or the location is outside the caller's area"),
                    "409": error_response("the external id or category + name + address is another facility's")}}},
        "/api/v1/facilities/import": {"post": {
            "summary": "Import facilities from CSV (UTF-8 or GBK, Chinese or English headers) or a GeoJSON FeatureCollection of points. Rows are upserted on external id, then category + name + address, in one transaction with one audit entry; bad rows are reported with line (CSV) or feature (GeoJSON) and reason. Re-runnable.",
            "security": signed_in,
            "parameters": [
                q("format", false, json!({"enum": ["csv", "geojson"]}), "Default: from the Content-Type."),
                q("dry_run", false, json!({"type": "boolean"}), "Check and answer without writing."),
                q("crs", false, json!({"enum": ["wgs84", "gcj02", "bd09"]}), "CRS of rows without a crs (default wgs84)."),
                q("encoding", false, json!({"enum": ["auto", "utf-8", "gbk"]}), "CSV only; default auto."),
                q("mapping", false, json!({"type": "string"}), "CSV header overrides, e.g. `机构名称=name,备注=-`."),
            ],
            "requestBody": {"required": true, "content": {"text/csv": {}, "application/geo+json": {}}},
            "responses": {"200": {"description": "{dry_run, encoding, mapping, rows, valid, created, updated, unchanged, problems: [{line|feature, reason}]}"},
                "400": error_response("unreadable file, missing columns, bad parameter"), "401": error_response("not signed in"),
                "403": error_response("the role edits no facilities"), "409": error_response("the file contradicts what is stored"),
                "415": error_response("neither CSV nor GeoJSON")}}},
        "/api/v1/facilities/{id}": {
            "get": {"summary": "One facility. Public.", "parameters": [id.clone()],
                "responses": {"200": {"description": "the facility"}, "404": error_response("no such facility")}},
            "put": {"summary": "Replace a facility, naming the version read. Admins and planners, within their area (old and new location).",
                "security": signed_in, "parameters": [id.clone()], "requestBody": body,
                "responses": {"200": {"description": "the facility, version + 1"}, "400": error_response("invalid_json, invalid_facility"),
                    "401": error_response("not signed in"), "403": error_response("the role edits no facilities, or the new location is outside the caller's area"),
                    "404": error_response("no such facility, or outside the caller's area"), "409": error_response("the version moved on, or a key is taken")}},
            "delete": {"summary": "Delete a facility (audit-logged). Admins and planners, within their area.",
                "security": signed_in, "parameters": [id],
                "responses": {"200": {"description": "{deleted}"}, "401": error_response("not signed in"),
                    "403": error_response("the role edits no facilities"), "404": error_response("no such facility, or outside the caller's area")}}},
    })
}

/// The request body of a facility create or update.
pub fn body_schema() -> Value {
    json!({"type": "object", "required": ["category", "name", "lon", "lat"], "additionalProperties": false,
        "properties": {
            "external_id": {"type": "string"}, "category": {"type": "string", "description": "code, element (医…) or name"},
            "kind": {"type": "string"}, "name": {"type": "string"}, "lon": {"type": "number"}, "lat": {"type": "number"},
            "crs": {"enum": ["wgs84", "gcj02", "bd09"]}, "address": {"type": "string"},
            "opening_hours": {"type": "string", "description": "OSM opening_hours subset, e.g. `Mo-Fr 08:00-17:30; Sa 08:00-12:00`"},
            "capacity": {"type": "integer", "minimum": 0}, "contact": {"type": "string"},
            "version": {"type": "integer", "description": "the version read; required by PUT"}}})
}
