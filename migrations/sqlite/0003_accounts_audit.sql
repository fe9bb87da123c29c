-- Accounts with roles and area scopes, web sessions, API tokens, sign-in failure counters and the
-- append-only audit log. These are internal tables: they are not registered in gpkg_contents, so
-- GDAL and QGIS (which list only registered tables, see 0002) do not show them as layers.
-- Times are RFC 3339 UTC text with microseconds, fixed width, as in `units`. Session ids and API
-- tokens are stored only as SHA-256 hashes; passwords only as argon2id PHC strings.

CREATE TABLE accounts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  username TEXT NOT NULL UNIQUE
    CHECK (length(username) BETWEEN 3 AND 64 AND username NOT GLOB '*[^a-z0-9._-]*'),
  display_name TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL
    CHECK (role IN ('admin', 'planner', 'dispatcher', 'grid_worker', 'department', 'viewer')),
  department TEXT CHECK (department IS NULL OR department <> ''),
  password_hash TEXT,
  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- A scope covers the unit and everything below it (its code is a prefix of theirs).
CREATE TABLE account_scopes (
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  unit_code TEXT NOT NULL
    CHECK (length(unit_code) IN (6, 9, 12, 15, 17) AND unit_code NOT GLOB '*[^0-9]*'),
  PRIMARY KEY (account_id, unit_code)
);

CREATE TABLE sessions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  hash TEXT NOT NULL UNIQUE,
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  ip TEXT
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  name TEXT NOT NULL CHECK (name <> ''),
  prefix TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL CHECK (expires_at > created_at),
  revoked_at TEXT,
  last_used_at TEXT
);
CREATE INDEX api_tokens_account ON api_tokens (account_id);

-- Consecutive failed sign-ins per key (`user:NAME`, `ip:ADDR`) within a window.
CREATE TABLE sign_in_failures (
  key TEXT PRIMARY KEY NOT NULL,
  count INTEGER NOT NULL CHECK (count >= 1),
  first_at TEXT NOT NULL,
  last_at TEXT NOT NULL
);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor_id INTEGER REFERENCES accounts (id),
  actor TEXT NOT NULL,
  via TEXT NOT NULL CHECK (via IN ('session', 'token', 'cli', 'system', 'anonymous')),
  ip TEXT,
  action TEXT NOT NULL,
  object_type TEXT NOT NULL,
  object_id TEXT NOT NULL,
  before TEXT CHECK (before IS NULL OR json_valid(before)),
  after TEXT CHECK (after IS NULL OR json_valid(after))
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, id);

-- Append-only: the service never updates or deletes audit rows, and neither can anything else
-- that goes through SQLite without first dropping these triggers.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE is not allowed');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: DELETE is not allowed');
END;
