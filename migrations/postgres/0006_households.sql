-- Households (personal data: staff in scope only); the same table and rules as the embedded
-- store. `natural_key` is the normalised address + room: an import re-run upserts on it.
-- `unit_code` is the smallest unit of the chain at write time; `geom` lets a later unit edit
-- re-assign by a spatial query.
CREATE TABLE households (
  id BIGSERIAL PRIMARY KEY,
  natural_key TEXT NOT NULL UNIQUE CHECK (natural_key <> ''),
  address TEXT NOT NULL CHECK (address <> ''),
  room TEXT NOT NULL,
  head_name TEXT NOT NULL,
  phone TEXT NOT NULL,
  size INTEGER CHECK (size IS NULL OR size BETWEEN 1 AND 99),
  tags JSONB NOT NULL,
  lon DOUBLE PRECISION NOT NULL CHECK (lon BETWEEN -180 AND 180),
  lat DOUBLE PRECISION NOT NULL CHECK (lat BETWEEN -90 AND 90),
  geom geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED,
  input_crs TEXT NOT NULL CHECK (input_crs IN ('wgs84', 'gcj02', 'bd09')),
  unit_code TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX households_unit ON households (unit_code text_pattern_ops);
CREATE INDEX households_geom ON households USING GIST (geom);
