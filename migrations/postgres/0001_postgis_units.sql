-- PostGIS system of record. Same columns and rules as the embedded GeoPackage store.
CREATE EXTENSION IF NOT EXISTS postgis;

-- Every version of every unit; the open row of a code has valid_to NULL. There is no
-- ST_IsValid check: import validates and repairs, and nearly-valid coarse outlines must load.
-- The other checks repeat what import validation guarantees, so that a bad row fails the whole
-- import transaction instead of entering the record.
CREATE TABLE units (
  fid BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  geom geometry(MultiPolygon, 4326) NOT NULL,
  code TEXT NOT NULL
    CHECK (length(code) IN (6, 9, 12, 15, 17) AND code ~ '^[0-9]+$'),
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
  version BIGINT NOT NULL CHECK (version >= 1),
  valid_from TIMESTAMPTZ NOT NULL,
  valid_to TIMESTAMPTZ CHECK (valid_to IS NULL OR valid_to >= valid_from),
  attributes JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
  author TEXT NOT NULL,
  CONSTRAINT uk_units_code_version UNIQUE (code, version)
);

CREATE UNIQUE INDEX units_open_code ON units (code) WHERE valid_to IS NULL;
CREATE INDEX units_code_valid_from ON units (code, valid_from);
CREATE INDEX units_geom ON units USING GIST (geom);
