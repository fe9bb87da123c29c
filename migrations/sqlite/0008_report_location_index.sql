-- Map tiles read reports by box: an index on the location narrows the scan to the box's band
-- of longitude (PostGIS has its GiST index on the generated point instead).
CREATE INDEX reports_location ON reports (lon, lat);
