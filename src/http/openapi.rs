//! The OpenAPI 3.1 document served at `/api/openapi.json`. A test checks that its paths are
//! exactly the router's.

use serde_json::{json, Value};

pub fn param(
    name: &str,
    location: &str,
    required: bool,
    schema: Value,
    description: &str,
) -> Value {
    json!({"name": name, "in": location, "required": required, "schema": schema, "description": description})
}

pub fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

pub fn document() -> Value {
    let mut doc = base_document();
    if let (Some(paths), Value::Object(more)) =
        (doc["paths"].as_object_mut(), access_control_paths())
    {
        paths.extend(more);
    }
    if let (Some(paths), Value::Object(more)) = (doc["paths"].as_object_mut(), report_paths()) {
        paths.extend(more);
    }
    if let (Some(paths), Value::Object(more)) = (doc["paths"].as_object_mut(), open311_paths()) {
        paths.extend(more);
    }
    if let (Some(paths), Value::Object(more)) = (doc["paths"].as_object_mut(), household_paths()) {
        paths.extend(more);
    }
    if let (Some(paths), Value::Object(more)) = (
        doc["paths"].as_object_mut(),
        crate::facilities::openapi::paths(),
    ) {
        paths.extend(more);
    }
    if let (Some(paths), Value::Object(more)) = (
        doc["paths"].as_object_mut(),
        crate::coverage::openapi::paths(),
    ) {
        paths.extend(more);
    }
    doc["components"]["schemas"]["FacilityBody"] = crate::facilities::openapi::body_schema();
    doc
}

/// Households: personal data, staff in scope only; phones masked.
fn household_paths() -> Value {
    let signed_in = json!([{"bearer": []}, {"session": []}]);
    let id = param(
        "id",
        "path",
        true,
        json!({"type": "integer"}),
        "Household id.",
    );
    let q = |name: &str, schema: Value, description: &str| {
        param(name, "query", false, schema, description)
    };
    json!({
        "/api/v1/households/import": {"post": {
            "summary": "Import households from a CSV body (UTF-8 or GBK, Chinese or English headers). Good rows are upserted on address + room in one transaction with one audit entry; bad rows are reported with line and reason. Admins and planners, within their area.",
            "security": signed_in,
            "parameters": [
                q("dry_run", json!({"type": "boolean"}), "Check and answer without writing."),
                q("crs", json!({"enum": ["wgs84", "gcj02", "bd09"]}), "CRS of rows without a crs column (default wgs84)."),
                q("encoding", json!({"enum": ["auto", "utf-8", "gbk"]}), "Default auto: valid UTF-8 is UTF-8, else GB18030."),
                q("mapping", json!({"type": "string"}), "Overrides, e.g. `楼栋地址=address,备注=-`."),
            ],
            "requestBody": {"required": true, "content": {"text/csv": {}}},
            "responses": {"200": {"description": "{dry_run, encoding, mapping, rows, valid, created, updated, problems: [{line, reason}]}"},
                "400": error_response("unreadable file, header without address/lon/lat, bad parameter"),
                "401": error_response("not signed in"), "403": error_response("the role imports no households")}}},
        "/api/v1/households/{id}": {
            "get": {"summary": "One household (phone masked), for staff whose area covers it.", "security": signed_in, "parameters": [id],
                "responses": {"200": {"description": "the household"}, "401": error_response("not signed in"),
                    "403": error_response("the role reads no households"), "404": error_response("no such household, or outside the caller's area")}},
            "delete": {"summary": "Delete one household (audit-logged). Admins and planners, within their area.", "security": signed_in, "parameters": [id],
                "responses": {"200": {"description": "{deleted}"}, "401": error_response("not signed in"),
                    "403": error_response("the role edits no households"), "404": error_response("no such household, or outside the caller's area")}}},
    })
}

/// Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): each path in `.json` and `.xml`;
/// errors in the spec's shape `[{"code", "description"}]`.
fn open311_paths() -> Value {
    let spec_error = |description: &str| -> Value {
        json!({"description": format!("{description}; body [{{code, description}}]"),
            "content": {"application/json": {}, "text/xml": {}}})
    };
    let formats = json!({"application/json": {}, "text/xml": {}});
    let mut paths = serde_json::Map::new();
    for ext in ["json", "xml"] {
        paths.insert(
            format!("/open311/v2/discovery.{ext}"),
            json!({"get": {
            "summary": "Open311 discovery: the endpoint, its specification and formats",
            "responses": {"200": {"description": "discovery", "content": formats.clone()}}}}),
        );
        paths.insert(format!("/open311/v2/services.{ext}"), json!({"get": {
            "summary": "Open311 services: the dispatch catalogue's categories (service_code = category code)",
            "responses": {"200": {"description": "services", "content": formats.clone()}, "503": spec_error("store unavailable")}}}));
        paths.insert(format!("/open311/v2/requests.{ext}"), json!({
            "get": {"summary": "Open311 requests (public, never the reporter's contact): the last 90 days and at most 1000 unless filtered",
                "parameters": [
                    param("service_request_id", "query", false, json!({"type": "string"}), "Comma-separated ids; overrides every other filter."),
                    param("service_code", "query", false, json!({"type": "string"}), "Category code."),
                    param("start_date", "query", false, json!({"type": "string", "format": "date-time"}), "Requested at or after."),
                    param("end_date", "query", false, json!({"type": "string", "format": "date-time"}), "Requested before."),
                    param("status", "query", false, json!({"type": "string"}), "open, closed or both (comma-separated); closed includes merged duplicates.")],
                "responses": {"200": {"description": "service requests", "content": formats.clone()}, "400": spec_error("bad filter")}},
            "post": {"summary": "Create an Open311 service request, form-encoded, with api_key (an API token); rate-limited like native intake",
                "requestBody": {"required": true, "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object",
                    "required": ["api_key", "service_code", "lat", "long"], "properties": {
                        "api_key": {"type": "string"}, "service_code": {"type": "string"}, "lat": {"type": "number"}, "long": {"type": "number"},
                        "description": {"type": "string", "maxLength": 4000}, "media_url": {"type": "string"},
                        "email": {"type": "string"}, "phone": {"type": "string"}, "first_name": {"type": "string"}, "last_name": {"type": "string"},
                        "device_id": {"type": "string"}, "account_id": {"type": "string"}}}}}},
                "responses": {"200": {"description": "[{service_request_id, service_notice, account_id}]", "content": formats.clone()},
                    "400": spec_error("malformed form, unknown service_code, missing or bad lat/long, description too long"),
                    "403": spec_error("api_key missing or invalid"), "429": error_response("too many requests (`rate_limited`)")}}}));
    }
    paths.insert("/open311/v2/services/{code_format}".to_owned(), json!({"get": {
        "summary": "Open311 service definition: `services/{code}.json|xml` (no extra attributes)",
        "parameters": [param("code_format", "path", true, json!({"type": "string"}), "`{service_code}.json` or `.xml`.")],
        "responses": {"200": {"description": "service definition", "content": formats.clone()}, "404": spec_error("no such service")}}}));
    paths.insert("/open311/v2/requests/{id_format}".to_owned(), json!({"get": {
        "summary": "One Open311 service request: `requests/{id}.json|xml`",
        "parameters": [param("id_format", "path", true, json!({"type": "string"}), "`{service_request_id}.json` or `.xml`.")],
        "responses": {"200": {"description": "a list of one request", "content": formats.clone()}, "404": spec_error("no such request")}}}));
    paths.insert("/open311/v2/tokens/{token_format}".to_owned(), json!({"get": {
        "summary": "Open311 token lookup: `tokens/{token}.json|xml`; requests get their id at once, so the token is the id",
        "parameters": [param("token_format", "path", true, json!({"type": "string"}), "`{token}.json` or `.xml`.")],
        "responses": {"200": {"description": "[{service_request_id, token}]", "content": formats}, "404": spec_error("no such token")}}}));
    Value::Object(paths)
}

/// Report intake, the closed loop, staff lists and the dispatch catalogue.
fn report_paths() -> Value {
    let signed_in = json!([{"bearer": []}, {"session": []}]);
    let id = param(
        "id",
        "path",
        true,
        json!({"type": "string"}),
        "The report's id.",
    );
    let q = |name: &str, schema: Value, description: &str| {
        param(name, "query", false, schema, description)
    };
    json!({
        "/api/v1/reports": {
            "post": {
                "summary": "File a report (public, rate-limited). Committed before it is answered; the answer carries the unit chain, the assignee or queue unit, the deadlines and likely duplicates (open reports of the same category nearby and recent); never the reporter's contact",
                "parameters": [param("Idempotency-Key", "header", false, json!({"type": "string", "maxLength": 255}),
                    "A retry with the same key and body answers the first answer (header Idempotent-Replayed: true) and creates nothing; the same key with another body is 422 `idempotency_key_reused`.")],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewReport"}}}},
                "responses": {"201": {"description": "the acknowledgement: id, state, chain, unit, assigned, match, handler, queue_unit, assignee, accept_due, handle_due, duplicates, and `receipt` (shown once: the reporter's proof for evaluating)"},
                    "400": error_response("unreadable body, missing field (`missing_field`), bad field (`invalid_field`), coordinate out of range, bad Idempotency-Key"),
                    "422": error_response("unknown category (`unknown_category`, details list the known), unknown channel, description over 4000 characters, key reused for another request"),
                    "429": error_response("too many reports from this address or token (`rate_limited`); see Retry-After"),
                    "503": error_response("no units loaded (`no_units`), or the store failed; nothing was written")}},
            "get": {
                "summary": "Reports in the caller's area, newest first (staff); JSON or GeoJSON for the map",
                "security": signed_in.clone(),
                "parameters": [
                    q("queue", json!({"type": "string", "enum": ["mine", "unit"]}), "`mine`: assigned to the caller; `unit`: queued at units within the caller's scopes (subunits included)."),
                    q("state", json!({"type": "string"}), "Comma-separated states."),
                    q("category", json!({"type": "string"}), "Category code."),
                    q("from", json!({"type": "string", "format": "date-time"}), "Created at or after."),
                    q("to", json!({"type": "string", "format": "date-time"}), "Created before."),
                    q("bbox", json!({"type": "string"}), "minLon,minLat,maxLon,maxLat (WGS84)."),
                    q("overdue", json!({"type": "boolean"}), "Only reports past the deadline of their state (accept or handle)."),
                    q("limit", json!({"type": "integer", "default": 50, "maximum": 500}), "Reports per page."),
                    q("offset", json!({"type": "integer", "default": 0}), "Skip so many (`next_offset` of the previous page)."),
                    q("format", json!({"type": "string", "enum": ["json", "geojson"]}), "`geojson`: a FeatureCollection of points."),
                    q("crs", json!({"type": "string", "enum": ["wgs84", "gcj02", "bd09"], "default": "wgs84"}), "Coordinate system of the GeoJSON points.")
                ],
                "responses": {"200": {"description": "{reports, limit, offset, next_offset} or a GeoJSON FeatureCollection", "content": {"application/json": {}, "application/geo+json": {}}},
                    "400": error_response("bad filter"), "401": error_response("not signed in"), "403": error_response("the role reads no reports")}}},
        "/api/v1/reports/{id}": {"get": {
            "summary": "One report with its events and the reporter's contact (staff whose area covers it)",
            "security": signed_in.clone(), "parameters": [id.clone()],
            "responses": {"200": {"description": "the report"}, "401": error_response("not signed in"),
                "403": error_response("the role reads no reports"), "404": error_response("no such report, or outside the caller's area")}}},
        "/api/v1/reports/{id}/transitions": {"post": {
            "summary": "Move a report along the closed loop: received → dispatched → accepted → handled → verified → closed; returned (reason required) → dispatched; reopened (reason required) → handled; merged into an original. Dispatchers dispatch, verify, reopen, close and merge; grid workers, departments and dispatchers accept, handle and return. Each move is an event and an audit entry",
            "security": signed_in.clone(), "parameters": [id],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["to"], "properties": {
                "to": {"type": "string", "enum": ["dispatched", "accepted", "handled", "verified", "closed", "returned", "reopened", "merged"]},
                "note": {"type": "string", "maxLength": 4000}, "photos": {"type": "array", "items": {"type": "string", "format": "uri"}},
                "assignee": {"type": "string", "description": "on dispatch: the handler's username"},
                "merged_into": {"type": "string", "description": "on merge: the original report's id"}}}}}},
            "responses": {"200": {"description": "the report after the move, with its events"},
                "400": error_response("bad body, or a return/reopen without reason (`reason_required`)"),
                "403": error_response("the role may not make this move"), "404": error_response("no such report, or outside the caller's area"),
                "409": error_response("not allowed from the report's state (`illegal_transition`; details: state and allowed next states)"),
                "422": error_response("bad assignee or merge target")}}},
        "/api/v1/reports/{id}/evaluation": {"post": {
            "summary": "The reporter's evaluation of a closed report (满意/基本满意/不满意): by the reporter with the `receipt` of the intake answer (public, rate-limited; a wrong receipt is 404), or by the hotline (dispatchers) on their behalf. A dissatisfied first evaluation reopens the report (返工) once; after it is closed again one more evaluation is taken, which never reopens it",
            "security": signed_in.clone(), "parameters": [param("id", "path", true, json!({"type": "string"}), "The report's id.")],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["rating"], "properties": {
                "rating": {"type": "string", "enum": ["satisfied", "basically_satisfied", "dissatisfied"]},
                "comment": {"type": "string", "maxLength": 4000},
                "receipt": {"type": "string", "description": "the `receipt` of the intake answer"}}}}}},
            "responses": {"200": {"description": "the report after the evaluation, and the evaluation"},
                "400": error_response("bad body or rating"), "401": error_response("neither receipt nor account"),
                "403": error_response("signed in but not a dispatcher, without receipt"), "429": error_response("too many attempts (`rate_limited`)"),
                "404": error_response("no such report, or outside the caller's area"),
                "409": error_response("not closed (`not_closed`), or evaluated already (`already_evaluated`)")}}},
        "/api/v1/reports/{id}/whistle": {"post": {
            "summary": "Escalate an open report by hand to a department (吹哨, dispatchers): the department's staff on the report's unit chain (smallest unit first) takes it, or the department's queue at the top unit; the state is unchanged; an event and an audit entry",
            "security": signed_in.clone(), "parameters": [param("id", "path", true, json!({"type": "string"}), "The report's id.")],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["department"], "properties": {
                "department": {"type": "string", "maxLength": 64}, "note": {"type": "string"}}}}}},
            "responses": {"200": {"description": "the report after the escalation, with its events"},
                "400": error_response("bad body or department"), "403": error_response("not a dispatcher"),
                "404": error_response("no such report, or outside the caller's area"), "409": error_response("closed or merged (`not_open`)")}}},
        "/api/v1/stats": {"get": {
            "summary": "Indicators of the reports that came in within from..to in the caller's area, in total and per group: intake, merged, closed, on_time_acceptance_rate, closure_rate (结案率), on_time_closure_rate (按期结案率), rework_rate (返工率), satisfaction_rate (满意率), mean_hours_to_close; rates are null without a denominator",
            "security": signed_in.clone(),
            "parameters": [
                q("from", json!({"type": "string", "format": "date-time"}), "Came in at or after."),
                q("to", json!({"type": "string", "format": "date-time"}), "Came in before."),
                q("group", json!({"type": "string", "enum": ["unit", "department", "worker"], "default": "unit"}), "Group by unit (at `level`), handling department, or assignee."),
                q("level", json!({"type": "string", "enum": ["district", "street", "community", "grid", "micro_grid"], "default": "street"}), "The unit level of `group=unit`."),
                q("category", json!({"type": "string"}), "Only this category.")],
            "responses": {"200": {"description": "{total, groups: [...], from, to, truncated}"}, "400": error_response("bad parameter"),
                "401": error_response("not signed in"), "403": error_response("the role reads no reports")}}},
        "/api/v1/notifications": {"get": {
            "summary": "Reports put in the caller's hands (as assignee, or in the queue of a unit within the caller's area): kind new, handed_over (dispatched, escalated, whistled, re-assigned), returned or reopened; oldest first after `after`",
            "security": signed_in.clone(),
            "parameters": [
                q("after", json!({"type": "integer", "minimum": 0}), "Only notifications with a larger id; default: what the caller has read."),
                q("limit", json!({"type": "integer", "minimum": 1, "maximum": 500, "default": 50}), "At most this many.")],
            "responses": {"200": {"description": "{notifications: [{id, report_id, kind, queue_unit, assignee, state, at}], unread, read_up_to, next_after}"},
                "400": error_response("bad parameter"), "401": error_response("not signed in"), "403": error_response("the role reads no reports")}}},
        "/api/v1/notifications/read": {"post": {
            "summary": "Mark the caller's notifications read up to an id (the cursor only moves forward)",
            "security": signed_in.clone(),
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["up_to"], "properties": {"up_to": {"type": "integer", "minimum": 0}}}}}},
            "responses": {"200": {"description": "{read_up_to, unread}"}, "400": error_response("bad body"),
                "401": error_response("not signed in"), "403": error_response("the role reads no reports")}}},
        "/api/v1/dispatch-catalogue": {
            "get": {"summary": "The dispatch catalogue: categories (zh/en names), who handles each (a level or a department), accept and handle deadlines in working hours",
                "responses": {"200": {"description": "{categories: [...]}"}}},
            "put": {"summary": "Replace the dispatch catalogue (admins); checked whole, audited",
                "security": signed_in,
                "requestBody": {"required": true, "content": {"application/json": {}}},
                "responses": {"200": {"description": "the catalogue now"}, "401": error_response("not signed in"),
                    "403": error_response("not an admin"), "422": error_response("invalid catalogue (`invalid_catalogue`; details list the problems)")}}}
    })
}

/// Sign-in, accounts, tokens and the audit log (kept apart: one `json!` literal of every path
/// exceeds the macro's recursion limit).
fn access_control_paths() -> Value {
    let signed_in = json!([{"bearer": []}, {"session": []}]);
    let admin = |summary: &str| -> String { format!("{summary} (admins)") };
    let username = param(
        "username",
        "path",
        true,
        json!({"type": "string"}),
        "The account's username.",
    );
    let token_id = param(
        "id",
        "path",
        true,
        json!({"type": "integer"}),
        "The token's id.",
    );
    json!({
        "/api/v1/auth/login": {"post": {
            "summary": "Sign in with username and password: sets the session cookie (HttpOnly, SameSite=Strict, Secure over TLS). Rate-limited per client address",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object",
                "required": ["username", "password"], "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}}}},
            "responses": {"200": {"description": "signed in: the principal and the session's expiry"},
                "400": error_response("unreadable body"), "401": error_response("wrong username or password (`invalid_credentials`)"),
                "403": error_response("posted from another origin"),
                "429": error_response("too many attempts (`rate_limited`) or failed sign-ins (`sign_in_throttled`); see Retry-After")}}},
        "/api/v1/auth/logout": {"post": {
            "summary": "End the web session and clear its cookie",
            "responses": {"200": {"description": "signed out"}, "400": error_response("an API token cannot sign out")}}},
        "/api/v1/auth/me": {"get": {
            "summary": "The account the request acts for: role, scopes, credential",
            "security": signed_in.clone(),
            "responses": {"200": {"description": "the principal"}, "401": error_response("not signed in")}}},
        "/api/v1/auth/password": {"post": {
            "summary": "Change one's own password (ends every session of the account)",
            "security": signed_in.clone(),
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object",
                "required": ["current_password", "new_password"], "properties": {"current_password": {"type": "string"}, "new_password": {"type": "string"}}}}}},
            "responses": {"200": {"description": "changed"}, "400": error_response("new password refused"),
                "401": error_response("wrong current password"), "429": error_response("too many failures")}}},
        "/api/v1/accounts": {
            "get": {"summary": admin("Every account"), "security": signed_in.clone(),
                "responses": {"200": {"description": "{accounts: [...]}"}, "401": error_response("not signed in"), "403": error_response("not an admin")}},
            "post": {"summary": admin("Create an account; without `password` it signs in with API tokens only"), "security": signed_in.clone(),
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewAccount"}}}},
                "responses": {"201": {"description": "the account"}, "400": error_response("invalid account or password"),
                    "401": error_response("not signed in"), "403": error_response("not an admin"), "409": error_response("username taken")}}},
        "/api/v1/accounts/{username}": {
            "get": {"summary": admin("One account, with its current run of failed sign-ins"), "security": signed_in.clone(),
                "parameters": [username.clone()],
                "responses": {"200": {"description": "the account"}, "403": error_response("not an admin"), "404": error_response("no such account")}},
            "patch": {"summary": admin("Change role, scopes, department, display name, password or disabled; a new password or disabling ends its sessions"),
                "security": signed_in.clone(), "parameters": [username],
                "requestBody": {"required": true, "content": {"application/json": {}}},
                "responses": {"200": {"description": "the account"}, "400": error_response("invalid change"),
                    "403": error_response("not an admin"), "404": error_response("no such account"),
                    "409": error_response("it would leave no enabled admin")}}},
        "/api/v1/tokens": {
            "get": {"summary": "One's own API tokens (admins: everyone's, or `account`'s)", "security": signed_in.clone(),
                "parameters": [param("account", "query", false, json!({"type": "string"}), "Username (admins, for other accounts).")],
                "responses": {"200": {"description": "{tokens: [...]} without secrets"}, "401": error_response("not signed in")}},
            "post": {"summary": "Issue an API token, shown once in the answer; only from a web session (admins may issue for `account`)",
                "security": [{"session": []}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["name"],
                    "properties": {"name": {"type": "string"}, "expires_in_days": {"type": "integer", "default": 90}, "account": {"type": "string"}}}}}},
                "responses": {"201": {"description": "the token (`token`) and its record"}, "400": error_response("bad name or expiry"),
                    "403": error_response("requested with a token, or for another account without being admin")}}},
        "/api/v1/tokens/{id}": {
            "get": {"summary": "One token (one's own; admins: any)", "security": signed_in.clone(), "parameters": [token_id.clone()],
                "responses": {"200": {"description": "the token record"}, "404": error_response("no such token, or not one's own")}},
            "delete": {"summary": "Revoke a token (one's own; admins: any); the record stays", "security": signed_in.clone(), "parameters": [token_id],
                "responses": {"200": {"description": "the revoked token record"}, "404": error_response("no such token, or not one's own")}}},
        "/api/v1/audit": {"get": {
            "summary": admin("The append-only audit log, newest first: who, when, from where, what, before/after"),
            "security": signed_in,
            "parameters": [
                param("actor", "query", false, json!({"type": "string"}), "Username (or `cli:...`, `demo`, `anonymous`)."),
                param("object", "query", false, json!({"type": "string"}), "`unit`, `account`, `token`, `session`, or TYPE:ID such as `unit:350203001`."),
                param("action", "query", false, json!({"type": "string"}), "e.g. `unit.update`, `account.create`, `token.revoke`, `auth.login_failed`."),
                param("from", "query", false, json!({"type": "string", "format": "date-time"}), "From this time (inclusive)."),
                param("to", "query", false, json!({"type": "string", "format": "date-time"}), "Before this time."),
                param("limit", "query", false, json!({"type": "integer", "default": 100, "maximum": 1000}), "Entries per page."),
                param("before", "query", false, json!({"type": "integer"}), "Only entries older than this id (`next_before` of the previous page).")
            ],
            "responses": {"200": {"description": "{entries: [...], next_before}"}, "400": error_response("bad filter"),
                "401": error_response("not signed in"), "403": error_response("not an admin")}}}
    })
}

fn base_document() -> Value {
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
                "summary": "Import units from a GeoJSON FeatureCollection: validated whole, written in one transaction or not at all (admins; planners within their scopes)",
                "security": [{"bearer": []}, {"session": []}],
                "parameters": [
                    param("repair", "query", false, json!({"type": "boolean"}), "Repair ring orientation, closing, duplicate points and self-intersections, and report each change."),
                    param("dry_run", "query", false, json!({"type": "boolean"}), "Validate only.")
                ],
                "requestBody": {"required": true, "content": {"application/geo+json": {}}},
                "responses": {"200": {"description": "import report"}, "401": error_response("not signed in, or a bad token"),
                    "403": error_response("the role may not edit units (`forbidden`), or units outside the account's scopes (`out_of_scope`, details list them)"), "413": error_response("body too large"),
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
                "summary": "Assign many points; answers stream back as NDJSON in input order (signed-in accounts)",
                "security": [{"bearer": []}, {"session": []}],
                "parameters": [
                    crs,
                    param("format", "query", false, json!({"type": "string", "enum": ["geojson", "csv", "ndjson"]}), "Input format when the Content-Type does not say it."),
                    param("lon_column", "query", false, json!({"type": "string", "default": "lon"}), "CSV column of longitudes."),
                    param("lat_column", "query", false, json!({"type": "string", "default": "lat"}), "CSV column of latitudes.")
                ],
                "requestBody": {"required": true, "content": {"application/geo+json": {}, "text/csv": {}, "application/x-ndjson": {}}},
                "responses": {"200": {"description": "one JSON line per input point, with `index`; a bad point gets an `error` line", "content": {"application/x-ndjson": {}}},
                    "400": error_response("unreadable body"), "413": error_response("body too large"), "415": error_response("unknown format")}}},
            "/tiles/{tileset}": {"get": {
                "summary": "TileJSON 3.0 of a tile layer: `/tiles/{layer}.json` (tile URL template, zooms, bounds, vector_layers with fields)",
                "parameters": [
                    param("tileset", "path", true, json!({"type": "string", "pattern": "^[a-z_]+\\.json$"}), "`{layer}.json`, e.g. `units.json`."),
                    param("crs", "query", false, json!({"type": "string", "enum": ["wgs84", "gcj02"], "default": "wgs84"}), "Coordinate system the tiles are drawn in.")
                ],
                "responses": {"200": {"description": "TileJSON 3.0.0", "content": {"application/json": {}}},
                    "400": error_response("unknown or unsupported crs"), "404": error_response("unknown layer, or not `{layer}.json`")}}},
            "/tiles/{layer}/{z}/{x}/{y_mvt}": {"get": {
                "summary": "One vector tile: `/tiles/{layer}/{z}/{x}/{y}.mvt`, Mapbox Vector Tile 2.1 (extent 4096), gzip when accepted, strong ETag",
                "description": "Layer `units`: MVT layers `district` (from z8), `street` (11), `community` (13), `grid` (14), `micro_grid` (16) with outlines, and `unit_labels` with a label point per unit; properties code, name, level, parent, version, children; feature id = the code as a number. Zooms are configurable; see the TileJSON. Layer `reports` (z10-22, staff who read reports; to others it does not exist: 404 `unknown_layer`): a point per report in the caller's area, properties id, category, state, overdue, queue_unit, created_at, feature id = FNV-1a of the report id cut to 53 bits; never cached. Layer `report_heat` (z8-16, public): open reports counted on H3 cells (resolution 6 at z8 to 9 from z14), properties h3 and count, cells of fewer than `WANGGE_REPORT_HEAT_MIN_COUNT` (3) reports left out.",
                "parameters": [
                    param("layer", "path", true, json!({"type": "string"}), "Tile layer, e.g. `units`."),
                    param("z", "path", true, json!({"type": "integer", "minimum": 0, "maximum": 22}), "Zoom, within the layer's minzoom..maxzoom."),
                    param("x", "path", true, json!({"type": "integer", "minimum": 0}), "Column, 0..2^z-1."),
                    param("y_mvt", "path", true, json!({"type": "string", "pattern": "^[0-9]+\\.mvt$"}), "`{y}.mvt`: row 0..2^z-1 (XYZ, from the north)."),
                    param("crs", "query", false, json!({"type": "string", "enum": ["wgs84", "gcj02"], "default": "wgs84"}), "Draw in GCJ-02 to line up with base maps drawn in it (Amap, Tencent)."),
                    param("state", "query", false, json!({"type": "string"}), "Layer `reports` only: comma-separated states, e.g. `received,dispatched`."),
                    param("category", "query", false, json!({"type": "string"}), "Layer `reports` only: comma-separated catalogue categories."),
                    param("If-None-Match", "header", false, json!({"type": "string"}), "ETag of a copy held: 304 when unchanged."),
                    param("Accept-Encoding", "header", false, json!({"type": "string"}), "`gzip` gets the tile gzip-compressed.")
                ],
                "responses": {"200": {"description": "the tile (empty when nothing lies in it)", "content": {"application/vnd.mapbox-vector-tile": {}}},
                    "304": {"description": "unchanged since the ETag given in If-None-Match"},
                    "400": error_response("malformed address, unsupported crs, or a bad or unknown `state`/`category`"),
                    "404": error_response("unknown layer, zoom outside the layer's range, or x/y outside the zoom's grid")}}}
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "An API token (`wg_...`)"},
                "session": {"type": "apiKey", "in": "cookie", "name": "wangge_session", "description": "The web session of POST /api/v1/auth/login"}},
            "schemas": {
                "NewAccount": {"type": "object", "required": ["username", "role"], "properties": {
                    "username": {"type": "string", "pattern": "^[a-z0-9._-]{3,64}$"},
                    "display_name": {"type": "string"},
                    "role": {"type": "string", "enum": ["admin", "planner", "dispatcher", "grid_worker", "department", "viewer"]},
                    "department": {"type": "string", "description": "required for department accounts"},
                    "scopes": {"type": "array", "items": {"type": "string"}, "description": "unit codes; each covers the unit and all below it; required but for admins"},
                    "password": {"type": "string", "minLength": 10}}},
                "NewReport": {"type": "object", "required": ["category", "location"], "properties": {
                    "category": {"type": "string", "description": "a code of the dispatch catalogue"},
                    "description": {"type": "string", "maxLength": 4000},
                    "location": {"type": "object", "required": ["lon", "lat"], "properties": {
                        "lon": {"type": "number", "minimum": -180, "maximum": 180}, "lat": {"type": "number", "minimum": -90, "maximum": 90},
                        "crs": {"type": "string", "enum": ["wgs84", "gcj02", "bd09"], "default": "wgs84"}}},
                    "channel": {"type": "string", "enum": ["hotline", "app", "patrol", "open311", "other"], "default": "other"},
                    "media": {"type": "array", "maxItems": 10, "items": {"type": "string", "format": "uri"}},
                    "reporter": {"type": "object", "description": "contact (personal data): shown only to staff whose area covers the report"}}},
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
