-- A small attributes table describing the store, registered in gpkg_contents. Besides saying what
-- wrote the file, it tells GDAL/QGIS (LIST_ALL_TABLES=AUTO) to list only registered tables, so
-- internal tables such as _sqlx_migrations do not show up as layers.
CREATE TABLE wangge_about (
  key TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
);

INSERT INTO wangge_about (key, value) VALUES
  ('application', 'wangge'),
  ('contents', 'units: governance units with full history (valid_from/valid_to)');

INSERT INTO gpkg_contents (table_name, data_type, identifier, description)
VALUES ('wangge_about', 'attributes', 'wangge_about', 'What wrote this GeoPackage');
