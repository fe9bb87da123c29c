-- Facilities of the fifteen-minute circle; the same table and rules as the embedded store.
-- `geom` serves spatial queries of later analyses; the finder reads the in-memory index.
CREATE TABLE facilities (
  id BIGSERIAL PRIMARY KEY,
  external_id TEXT UNIQUE CHECK (external_id IS NULL OR external_id <> ''),
  natural_key TEXT NOT NULL UNIQUE CHECK (natural_key <> ''),
  category TEXT NOT NULL,
  kind TEXT,
  name TEXT NOT NULL CHECK (name <> ''),
  lon DOUBLE PRECISION NOT NULL CHECK (lon BETWEEN -180 AND 180),
  lat DOUBLE PRECISION NOT NULL CHECK (lat BETWEEN -90 AND 90),
  geom geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED,
  input_crs TEXT NOT NULL CHECK (input_crs IN ('wgs84', 'gcj02', 'bd09')),
  address TEXT,
  opening_hours TEXT,
  capacity BIGINT CHECK (capacity IS NULL OR capacity >= 0),
  contact TEXT,
  unit_code TEXT NOT NULL,
  version BIGINT NOT NULL CHECK (version >= 1),
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX facilities_unit ON facilities (unit_code text_pattern_ops);
CREATE INDEX facilities_category ON facilities (category);
CREATE INDEX facilities_geom ON facilities USING GIST (geom);
