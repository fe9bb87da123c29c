-- Geotagged reports, their append-only events, intake idempotency keys and the dispatch
-- catalogue; the same tables and rules as the embedded store.

CREATE TABLE dispatch_catalogue (
  code TEXT PRIMARY KEY CHECK (code <> ''),
  position INTEGER NOT NULL,
  entry JSONB NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE reports (
  id TEXT PRIMARY KEY,
  category TEXT NOT NULL,
  description TEXT NOT NULL CHECK (char_length(description) <= 4000),
  lon DOUBLE PRECISION NOT NULL CHECK (lon BETWEEN -180 AND 180),
  lat DOUBLE PRECISION NOT NULL CHECK (lat BETWEEN -90 AND 90),
  geom geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED,
  input_crs TEXT NOT NULL CHECK (input_crs IN ('wgs84', 'gcj02', 'bd09')),
  channel TEXT NOT NULL CHECK (channel IN ('hotline', 'app', 'patrol', 'open311', 'other')),
  media JSONB NOT NULL,
  -- Personal data: shown only to staff whose area covers the report.
  reporter JSONB,
  -- The unit chain (district first) as a JSON array of {code, name, level}.
  chain JSONB NOT NULL,
  unit_code TEXT NOT NULL,
  match TEXT NOT NULL CHECK (match IN ('inside', 'snapped', 'fallback')),
  handler JSONB NOT NULL,
  queue_unit TEXT NOT NULL,
  assignee TEXT,
  state TEXT NOT NULL CHECK (state IN ('received', 'dispatched', 'accepted', 'handled',
    'verified', 'closed', 'returned', 'reopened', 'merged')),
  merged_into TEXT REFERENCES reports (id),
  accept_due TIMESTAMPTZ NOT NULL,
  handle_due TIMESTAMPTZ NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  -- SHA-256 of the receipt the reporter got at intake: it lets them evaluate without an account.
  receipt_sha256 TEXT
);
CREATE INDEX reports_category_created ON reports (category, created_at);
CREATE INDEX reports_unit ON reports (unit_code text_pattern_ops);
CREATE INDEX reports_queue ON reports (queue_unit text_pattern_ops);
CREATE INDEX reports_assignee ON reports (assignee);
CREATE INDEX reports_created ON reports (created_at);
CREATE INDEX reports_geom ON reports USING gist (geom);

CREATE TABLE report_events (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  report_id TEXT NOT NULL REFERENCES reports (id),
  at TIMESTAMPTZ NOT NULL,
  actor_id BIGINT REFERENCES accounts (id),
  actor TEXT NOT NULL,
  from_state TEXT,
  to_state TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  photos JSONB NOT NULL
);
CREATE INDEX report_events_report ON report_events (report_id, id);

CREATE FUNCTION wangge_report_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'report_events is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER report_events_no_update_or_delete BEFORE UPDATE OR DELETE ON report_events
  FOR EACH ROW EXECUTE FUNCTION wangge_report_events_append_only();

CREATE TRIGGER report_events_no_truncate BEFORE TRUNCATE ON report_events
  FOR EACH STATEMENT EXECUTE FUNCTION wangge_report_events_append_only();

-- One intake per key: a retry with the same key gets the stored answer.
CREATE TABLE report_idempotency_keys (
  key TEXT PRIMARY KEY,
  request_sha256 TEXT NOT NULL,
  report_id TEXT NOT NULL REFERENCES reports (id),
  answer JSONB NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
);

-- One row per missed deadline: the scheduler escalates a report at most once per deadline,
-- whichever instance runs it and however often it restarts.
CREATE TABLE report_escalations (
  report_id TEXT NOT NULL REFERENCES reports (id),
  deadline TEXT NOT NULL CHECK (deadline IN ('accept', 'handle')),
  due_at TIMESTAMPTZ NOT NULL,
  from_unit TEXT NOT NULL,
  to_unit TEXT NOT NULL,
  at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (report_id, deadline, due_at)
);

-- The reporter's evaluation of a closed report (entered by the hotline on their behalf). A
-- dissatisfied first evaluation reopens the report, once; each report keeps at most one
-- evaluation that reopened it and one that did not.
CREATE TABLE report_evaluations (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  report_id TEXT NOT NULL REFERENCES reports (id),
  rating TEXT NOT NULL CHECK (rating IN ('satisfied', 'basically_satisfied', 'dissatisfied')),
  comment TEXT NOT NULL DEFAULT '' CHECK (char_length(comment) <= 4000),
  reopened BOOLEAN NOT NULL,
  actor TEXT NOT NULL,
  at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX report_evaluations_once ON report_evaluations (report_id, reopened);
