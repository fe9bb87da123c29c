-- Geotagged reports, their append-only events, intake idempotency keys and the dispatch
-- catalogue. Internal tables: not registered in gpkg_contents (see 0003). Times are fixed-width
-- RFC 3339 UTC text, as everywhere in this file.

CREATE TABLE dispatch_catalogue (
  code TEXT PRIMARY KEY NOT NULL CHECK (code <> ''),
  position INTEGER NOT NULL,
  entry TEXT NOT NULL CHECK (json_valid(entry)),
  updated_at TEXT NOT NULL
);

CREATE TABLE reports (
  id TEXT PRIMARY KEY NOT NULL,
  category TEXT NOT NULL,
  description TEXT NOT NULL CHECK (length(description) <= 4000),
  lon REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
  lat REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
  input_crs TEXT NOT NULL CHECK (input_crs IN ('wgs84', 'gcj02', 'bd09')),
  channel TEXT NOT NULL CHECK (channel IN ('hotline', 'app', 'patrol', 'open311', 'other')),
  media TEXT NOT NULL CHECK (json_valid(media)),
  -- Personal data: shown only to staff whose area covers the report.
  reporter TEXT CHECK (reporter IS NULL OR json_valid(reporter)),
  -- The unit chain (district first) as a JSON array of {code, name, level}.
  chain TEXT NOT NULL CHECK (json_valid(chain)),
  unit_code TEXT NOT NULL,
  match TEXT NOT NULL CHECK (match IN ('inside', 'snapped', 'fallback')),
  handler TEXT NOT NULL CHECK (json_valid(handler)),
  queue_unit TEXT NOT NULL,
  assignee TEXT,
  state TEXT NOT NULL CHECK (state IN ('received', 'dispatched', 'accepted', 'handled',
    'verified', 'closed', 'returned', 'reopened', 'merged')),
  merged_into TEXT REFERENCES reports (id),
  accept_due TEXT NOT NULL,
  handle_due TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  -- SHA-256 of the receipt the reporter got at intake: it lets them evaluate without an account.
  receipt_sha256 TEXT
);
CREATE INDEX reports_category_created ON reports (category, created_at);
CREATE INDEX reports_unit ON reports (unit_code);
CREATE INDEX reports_queue ON reports (queue_unit);
CREATE INDEX reports_assignee ON reports (assignee);
CREATE INDEX reports_created ON reports (created_at);

CREATE TABLE report_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  report_id TEXT NOT NULL REFERENCES reports (id),
  at TEXT NOT NULL,
  actor_id INTEGER REFERENCES accounts (id),
  actor TEXT NOT NULL,
  from_state TEXT,
  to_state TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  photos TEXT NOT NULL CHECK (json_valid(photos))
);
CREATE INDEX report_events_report ON report_events (report_id, id);

CREATE TRIGGER report_events_no_update BEFORE UPDATE ON report_events
BEGIN
  SELECT RAISE(ABORT, 'report_events is append-only: UPDATE is not allowed');
END;

CREATE TRIGGER report_events_no_delete BEFORE DELETE ON report_events
BEGIN
  SELECT RAISE(ABORT, 'report_events is append-only: DELETE is not allowed');
END;

-- One intake per key: a retry with the same key gets the stored answer.
CREATE TABLE report_idempotency_keys (
  key TEXT PRIMARY KEY NOT NULL,
  request_sha256 TEXT NOT NULL,
  report_id TEXT NOT NULL REFERENCES reports (id),
  answer TEXT NOT NULL CHECK (json_valid(answer)),
  created_at TEXT NOT NULL
);

-- One row per missed deadline: the scheduler escalates a report at most once per deadline,
-- whichever instance runs it and however often it restarts.
CREATE TABLE report_escalations (
  report_id TEXT NOT NULL REFERENCES reports (id),
  deadline TEXT NOT NULL CHECK (deadline IN ('accept', 'handle')),
  due_at TEXT NOT NULL,
  from_unit TEXT NOT NULL,
  to_unit TEXT NOT NULL,
  at TEXT NOT NULL,
  PRIMARY KEY (report_id, deadline, due_at)
);

-- The reporter's evaluation of a closed report (entered by the hotline on their behalf). A
-- dissatisfied first evaluation reopens the report, once; each report keeps at most one
-- evaluation that reopened it and one that did not.
CREATE TABLE report_evaluations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  report_id TEXT NOT NULL REFERENCES reports (id),
  rating TEXT NOT NULL CHECK (rating IN ('satisfied', 'basically_satisfied', 'dissatisfied')),
  comment TEXT NOT NULL DEFAULT '' CHECK (length(comment) <= 4000),
  reopened INTEGER NOT NULL CHECK (reopened IN (0, 1)),
  actor TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE UNIQUE INDEX report_evaluations_once ON report_evaluations (report_id, reopened);
