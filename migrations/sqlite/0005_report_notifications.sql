-- Who must act on a report now. A row is added whenever a report gets an owner (intake), a new
-- owner (dispatch to an assignee, escalation, a whistle to a department, re-assignment after an
-- edit) or comes back to its owner (returned, reopened). Triggers write it, so it is in the same
-- transaction as the change, whichever path made it. Internal table: not in gpkg_contents.
CREATE TABLE report_notifications (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  report_id TEXT NOT NULL REFERENCES reports (id),
  kind TEXT NOT NULL CHECK (kind IN ('new', 'handed_over', 'returned', 'reopened')),
  queue_unit TEXT NOT NULL,
  assignee TEXT,
  -- The handling department, for department reports: only that department's staff are told.
  department TEXT,
  state TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX report_notifications_assignee ON report_notifications (assignee, id);
CREATE INDEX report_notifications_queue ON report_notifications (queue_unit, id);

CREATE TRIGGER report_notify_new AFTER INSERT ON reports
BEGIN
  INSERT INTO report_notifications (report_id, kind, queue_unit, assignee, department, state, at)
  VALUES (NEW.id, 'new', NEW.queue_unit, NEW.assignee, json_extract(NEW.handler, '$.department'), NEW.state, NEW.updated_at);
END;

CREATE TRIGGER report_notify_handed_over AFTER UPDATE OF queue_unit, assignee ON reports
WHEN NEW.queue_unit IS NOT OLD.queue_unit OR NEW.assignee IS NOT OLD.assignee
BEGIN
  INSERT INTO report_notifications (report_id, kind, queue_unit, assignee, department, state, at)
  VALUES (NEW.id, 'handed_over', NEW.queue_unit, NEW.assignee, json_extract(NEW.handler, '$.department'), NEW.state, NEW.updated_at);
END;

CREATE TRIGGER report_notify_back AFTER UPDATE OF state ON reports
WHEN NEW.state IN ('returned', 'reopened') AND NEW.state IS NOT OLD.state
  AND NEW.queue_unit IS OLD.queue_unit AND NEW.assignee IS OLD.assignee
BEGIN
  INSERT INTO report_notifications (report_id, kind, queue_unit, assignee, department, state, at)
  VALUES (NEW.id, NEW.state, NEW.queue_unit, NEW.assignee, json_extract(NEW.handler, '$.department'), NEW.state, NEW.updated_at);
END;

CREATE TRIGGER report_notifications_no_update BEFORE UPDATE ON report_notifications
BEGIN
  SELECT RAISE(ABORT, 'report_notifications is append-only: UPDATE is not allowed');
END;

-- How far each account has read its notifications.
CREATE TABLE notification_reads (
  account_id INTEGER PRIMARY KEY NOT NULL REFERENCES accounts (id),
  read_up_to INTEGER NOT NULL
);
