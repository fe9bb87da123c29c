-- The embedded store is a GeoPackage 1.4 (OGC 12-128r19) that QGIS and GDAL open as it is:
-- the three mandatory tables, the mandatory spatial reference systems, and `units` as a
-- registered feature table whose `geom` holds GeoPackage binary MULTIPOLYGONs in EPSG:4326.
-- PRAGMA application_id / user_version are set by the store when it opens the file.

CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL PRIMARY KEY,
  organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL,
  description TEXT
);

INSERT INTO gpkg_spatial_ref_sys
  (srs_name, srs_id, organization, organization_coordsys_id, definition, description)
VALUES
  ('WGS 84 geodetic', 4326, 'EPSG', 4326,
   'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]',
   'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid'),
  ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined',
   'undefined cartesian coordinate reference system'),
  ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined',
   'undefined geographic coordinate reference system');

CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY,
  data_type TEXT NOT NULL,
  identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE,
  min_y DOUBLE,
  max_x DOUBLE,
  max_y DOUBLE,
  srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
);

CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL,
  z TINYINT NOT NULL,
  m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents (table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
);

-- Every version of every unit; the open row of a code has valid_to NULL. Times are RFC 3339 UTC
-- with microseconds ("2024-05-01T08:00:00.000000Z"), fixed width, so text order is time order.
-- The checks repeat what import validation guarantees, so that a bad row fails the whole
-- import transaction instead of entering the record.
CREATE TABLE units (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  geom MULTIPOLYGON NOT NULL,
  code TEXT NOT NULL
    CHECK (length(code) IN (6, 9, 12, 15, 17) AND code NOT GLOB '*[^0-9]*'),
  name TEXT NOT NULL CHECK (name <> ''),
  level TEXT NOT NULL CHECK (
    coalesce(CASE level
      WHEN 'district' THEN 6
      WHEN 'street' THEN 9
      WHEN 'community' THEN 12
      WHEN 'grid' THEN 15
      WHEN 'micro_grid' THEN 17
    END, 0) = length(code)
  ),
  parent_code TEXT CHECK (
    parent_code IS NULL
    OR (length(parent_code) < length(code) AND substr(code, 1, length(parent_code)) = parent_code)
  ),
  version INTEGER NOT NULL CHECK (version >= 1),
  valid_from TEXT NOT NULL,
  valid_to TEXT CHECK (valid_to IS NULL OR valid_to >= valid_from),
  attributes TEXT NOT NULL DEFAULT '{}'
    CHECK (json_valid(attributes) AND json_type(attributes) = 'object'),
  author TEXT NOT NULL,
  CONSTRAINT uk_units_code_version UNIQUE (code, version)
);

CREATE UNIQUE INDEX units_open_code ON units (code) WHERE valid_to IS NULL;
CREATE INDEX units_code_valid_from ON units (code, valid_from);

INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
VALUES ('units', 'features', 'units',
        'Governance units (district to micro-grid), every version; open rows have valid_to NULL',
        4326);

INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m)
VALUES ('units', 'geom', 'MULTIPOLYGON', 4326, 0, 0);
