-- Reports by box (duplicate candidates at intake, map tiles) read an R*Tree of their locations:
-- the (lon, lat) index of 0008 only narrowed a scan to a band of longitude, and intake's
-- category index scanned every report of the category in the duplicate window.
-- The report id rides along as an auxiliary column, so the index never depends on rowids, which
-- VACUUM may renumber; its own key is `entry`, so that `id` stays the report's in a join. Reports are never deleted and never move; the triggers keep it exact if
-- that ever changes.
CREATE VIRTUAL TABLE reports_rtree USING rtree(entry, min_x, max_x, min_y, max_y, +report_id TEXT);

INSERT INTO reports_rtree (min_x, max_x, min_y, max_y, report_id)
  SELECT lon, lon, lat, lat, id FROM reports;

CREATE TRIGGER reports_rtree_insert AFTER INSERT ON reports
BEGIN
  INSERT INTO reports_rtree (min_x, max_x, min_y, max_y, report_id)
    VALUES (new.lon, new.lon, new.lat, new.lat, new.id);
END;

CREATE TRIGGER reports_rtree_move AFTER UPDATE OF lon, lat ON reports
BEGIN
  UPDATE reports_rtree SET min_x = new.lon, max_x = new.lon, min_y = new.lat, max_y = new.lat
    WHERE report_id = new.id;
END;

CREATE TRIGGER reports_rtree_delete AFTER DELETE ON reports
BEGIN
  DELETE FROM reports_rtree WHERE report_id = old.id;
END;

DROP INDEX reports_location;
