-- Who must act on a report now. A row is added whenever a report gets an owner (intake), a new
-- owner (dispatch to an assignee, escalation, a whistle to a department, re-assignment after an
-- edit) or comes back to its owner (returned, reopened). A trigger writes it, so it is in the
-- same transaction as the change, whichever path made it.
CREATE TABLE report_notifications (
  id BIGSERIAL PRIMARY KEY,
  report_id TEXT NOT NULL REFERENCES reports (id),
  kind TEXT NOT NULL CHECK (kind IN ('new', 'handed_over', 'returned', 'reopened')),
  queue_unit TEXT NOT NULL,
  assignee TEXT,
  -- The handling department, for department reports: only that department's staff are told.
  department TEXT,
  state TEXT NOT NULL,
  at TIMESTAMPTZ NOT NULL
);
CREATE INDEX report_notifications_assignee ON report_notifications (assignee, id);
CREATE INDEX report_notifications_queue ON report_notifications (queue_unit text_pattern_ops, id);

CREATE FUNCTION report_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  what TEXT;
BEGIN
  IF TG_OP = 'INSERT' THEN
    what := 'new';
  ELSIF NEW.queue_unit IS DISTINCT FROM OLD.queue_unit
     OR NEW.assignee IS DISTINCT FROM OLD.assignee THEN
    what := 'handed_over';
  ELSIF NEW.state IN ('returned', 'reopened') AND NEW.state IS DISTINCT FROM OLD.state THEN
    what := NEW.state;
  ELSE
    RETURN NULL;
  END IF;
  INSERT INTO report_notifications (report_id, kind, queue_unit, assignee, department, state, at)
  VALUES (NEW.id, what, NEW.queue_unit, NEW.assignee, NEW.handler->>'department', NEW.state, NEW.updated_at);
  RETURN NULL;
END
$$;

CREATE TRIGGER report_notify AFTER INSERT OR UPDATE ON reports
  FOR EACH ROW EXECUTE FUNCTION report_notify();

CREATE FUNCTION report_notifications_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'report_notifications is append-only: % is not allowed', TG_OP;
END
$$;

CREATE TRIGGER report_notifications_no_update BEFORE UPDATE ON report_notifications
  FOR EACH ROW EXECUTE FUNCTION report_notifications_append_only();

-- How far each account has read its notifications.
CREATE TABLE notification_reads (
  account_id BIGINT PRIMARY KEY REFERENCES accounts (id),
  read_up_to BIGINT NOT NULL
);
