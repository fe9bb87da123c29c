//! The OpenAPI 3.1 document served at `/api/openapi.json`. A test checks that its paths are
//! exactly the router's.

use serde_json::{json, Value};

fn param(name: &str, location: &str, required: bool, schema: Value, description: &str) -> Value {
    json!({"name": name, "in": location, "required": required, "schema": schema, "description": description})
}

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

pub fn document() -> Value {
    let crs = param(
        "crs",
        "query",
        false,
        json!({"type": "string", "enum": ["wgs84", "gcj02", "bd09"], "default": "wgs84"}),
        "Coordinate system of the input (and of GeoJSON output where it applies).",
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "wangge",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Grid-governance (网格化管理) units, point assignment and more. Errors: {\"error\": {\"code\", \"message\", \"details\"}}."
        },
        "paths": {
            "/healthz": {"get": {"summary": "Liveness", "responses": {"200": {"description": "alive"}}}},
            "/readyz": {"get": {"summary": "Readiness: store reachable and snapshot loaded",
                "responses": {"200": {"description": "ready"}, "503": {"description": "not ready"}}}},
            "/api/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1"}}}},
            "/api/v1/units": {"get": {
                "summary": "Current units as a GeoJSON FeatureCollection",
                "parameters": [
                    param("level", "query", false, json!({"type": "string", "enum": ["district", "street", "community", "grid", "micro_grid"]}), "Only units of this level."),
                    param("parent", "query", false, json!({"type": "string", "pattern": "^[0-9]{6,17}$"}), "Only the direct children of this unit."),
                    param("bbox", "query", false, json!({"type": "string"}), "minLon,minLat,maxLon,maxLat (WGS84)."),
                    crs.clone()
                ],
                "responses": {"200": {"description": "FeatureCollection", "content": {"application/geo+json": {}}},
                    "400": error_response("bad parameter"), "404": error_response("unknown parent")}}},
            "/api/v1/units/{code}": {"get": {
                "summary": "One current unit as a GeoJSON Feature (ETag: its version)",
                "parameters": [param("code", "path", true, json!({"type": "string"}), "6/9/12/15/17-digit unit code."), crs.clone()],
                "responses": {"200": {"description": "Feature", "content": {"application/geo+json": {}}},
                    "400": error_response("malformed code"), "404": error_response("no such unit")}}},
            "/api/v1/units/import": {"post": {
                "summary": "Import units from a GeoJSON FeatureCollection: validated whole, written in one transaction or not at all",
                "security": [{"bearer": []}],
                "parameters": [
                    param("repair", "query", false, json!({"type": "boolean"}), "Repair ring orientation, closing, duplicate points and self-intersections, and report each change."),
                    param("dry_run", "query", false, json!({"type": "boolean"}), "Validate only.")
                ],
                "requestBody": {"required": true, "content": {"application/geo+json": {}}},
                "responses": {"200": {"description": "import report"}, "401": error_response("no or wrong token"),
                    "403": error_response("HTTP imports disabled"), "413": error_response("body too large"),
                    "422": error_response("problems found; details list each with unit code and location")}}},
            "/api/v1/assign": {"get": {
                "summary": "Assign a point to its unit chain (district → micro-grid)",
                "parameters": [
                    param("lon", "query", true, json!({"type": "number", "minimum": -180, "maximum": 180}), "Longitude."),
                    param("lat", "query", true, json!({"type": "number", "minimum": -90, "maximum": 90}), "Latitude."),
                    crs.clone()
                ],
                "responses": {"200": {"description": "assignment", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Assignment"}}}},
                    "400": error_response("missing, non-numeric, non-finite or out-of-range coordinate, or unknown crs")}}},
            "/api/v1/assign/batch": {"post": {
                "summary": "Assign many points; answers stream back as NDJSON in input order",
                "parameters": [
                    crs,
                    param("format", "query", false, json!({"type": "string", "enum": ["geojson", "csv", "ndjson"]}), "Input format when the Content-Type does not say it."),
                    param("lon_column", "query", false, json!({"type": "string", "default": "lon"}), "CSV column of longitudes."),
                    param("lat_column", "query", false, json!({"type": "string", "default": "lat"}), "CSV column of latitudes.")
                ],
                "requestBody": {"required": true, "content": {"application/geo+json": {}, "text/csv": {}, "application/x-ndjson": {}}},
                "responses": {"200": {"description": "one JSON line per input point, with `index`; a bad point gets an `error` line", "content": {"application/x-ndjson": {}}},
                    "400": error_response("unreadable body"), "413": error_response("body too large"), "415": error_response("unknown format")}}}
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object",
                    "required": ["code", "message"], "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {}}}}},
                "UnitRef": {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}, "level": {"type": "string"}}},
                "Assignment": {"type": "object", "required": ["assigned", "match", "chain"], "properties": {
                    "assigned": {"type": "boolean"},
                    "match": {"type": "string", "enum": ["inside", "snapped", "fallback"]},
                    "distance_m": {"type": "number", "description": "present when snapped"},
                    "wgs84": {"type": "array", "items": {"type": "number"}},
                    "unit": {"$ref": "#/components/schemas/UnitRef"},
                    "chain": {"type": "array", "items": {"$ref": "#/components/schemas/UnitRef"}}}}
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    #[test]
    fn document_paths_are_exactly_the_routes() {
        let doc = super::document();
        let documented: BTreeSet<String> =
            doc["paths"].as_object().unwrap().keys().cloned().collect();
        let routed: BTreeSet<String> = crate::http::all_routes()
            .into_iter()
            .map(|(p, _)| p.to_owned())
            .collect();
        assert_eq!(documented, routed);
    }
}
