-- Accounts with roles and area scopes, web sessions, API tokens, sign-in failure counters and the
-- append-only audit log; the same tables and rules as the embedded store. Session ids and API
-- tokens are stored only as SHA-256 hashes; passwords only as argon2id PHC strings.

CREATE TABLE accounts (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username TEXT NOT NULL UNIQUE
    CHECK (length(username) BETWEEN 3 AND 64 AND username ~ '^[a-z0-9._-]+$'),
  display_name TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL
    CHECK (role IN ('admin', 'planner', 'dispatcher', 'grid_worker', 'department', 'viewer')),
  department TEXT CHECK (department IS NULL OR department <> ''),
  password_hash TEXT,
  disabled BOOLEAN NOT NULL DEFAULT false,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);

-- A scope covers the unit and everything below it (its code is a prefix of theirs).
CREATE TABLE account_scopes (
  account_id BIGINT NOT NULL REFERENCES accounts (id),
  unit_code TEXT NOT NULL
    CHECK (length(unit_code) IN (6, 9, 12, 15, 17) AND unit_code ~ '^[0-9]+$'),
  PRIMARY KEY (account_id, unit_code)
);

CREATE TABLE sessions (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  account_id BIGINT NOT NULL REFERENCES accounts (id),
  created_at TIMESTAMPTZ NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL,
  ip TEXT
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE api_tokens (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id BIGINT NOT NULL REFERENCES accounts (id),
  name TEXT NOT NULL CHECK (name <> ''),
  prefix TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_at TIMESTAMPTZ NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL CHECK (expires_at > created_at),
  revoked_at TIMESTAMPTZ,
  last_used_at TIMESTAMPTZ
);
CREATE INDEX api_tokens_account ON api_tokens (account_id);

-- Consecutive failed sign-ins per key (`user:NAME`, `ip:ADDR`) within a window.
CREATE TABLE sign_in_failures (
  key TEXT PRIMARY KEY,
  count INTEGER NOT NULL CHECK (count >= 1),
  first_at TIMESTAMPTZ NOT NULL,
  last_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE audit_log (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at TIMESTAMPTZ NOT NULL,
  actor_id BIGINT REFERENCES accounts (id),
  actor TEXT NOT NULL,
  via TEXT NOT NULL CHECK (via IN ('session', 'token', 'cli', 'system', 'anonymous')),
  ip TEXT,
  action TEXT NOT NULL,
  object_type TEXT NOT NULL,
  object_id TEXT NOT NULL,
  before JSONB,
  after JSONB
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, id);

-- Append-only: rows can be inserted and read, never changed or removed, whoever is connected
-- (short of a superuser dropping the trigger, which the service never does).
CREATE FUNCTION wangge_audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION wangge_audit_log_append_only();

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION wangge_audit_log_append_only();

REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
