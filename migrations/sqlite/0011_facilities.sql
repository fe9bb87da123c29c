-- Facilities of the fifteen-minute circle (public data: no person is kept). `natural_key` is
-- category + name + address folded; an import matches on `external_id` first, then on it.
-- `unit_code` is the smallest unit of the chain at write time.
CREATE TABLE facilities (
  id INTEGER PRIMARY KEY,
  external_id TEXT UNIQUE CHECK (external_id IS NULL OR external_id <> ''),
  natural_key TEXT NOT NULL UNIQUE CHECK (natural_key <> ''),
  category TEXT NOT NULL,
  kind TEXT,
  name TEXT NOT NULL CHECK (name <> ''),
  lon REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
  lat REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
  input_crs TEXT NOT NULL CHECK (input_crs IN ('wgs84', 'gcj02', 'bd09')),
  address TEXT,
  opening_hours TEXT,
  capacity INTEGER CHECK (capacity IS NULL OR capacity >= 0),
  contact TEXT,
  unit_code TEXT NOT NULL,
  version INTEGER NOT NULL CHECK (version >= 1),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX facilities_unit ON facilities (unit_code);
CREATE INDEX facilities_category ON facilities (category);
