-- Households (personal data: staff in scope only). Internal table: not in gpkg_contents.
-- `natural_key` is the normalised address + room (see households::model::natural_key): an import
-- re-run upserts on it instead of creating duplicates. `unit_code` is the smallest unit of the
-- chain at write time; `lon`/`lat` (WGS84) are kept so a later unit edit can re-assign by query.
CREATE TABLE households (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  natural_key TEXT NOT NULL UNIQUE CHECK (natural_key <> ''),
  address TEXT NOT NULL CHECK (address <> ''),
  room TEXT NOT NULL,
  head_name TEXT NOT NULL,
  phone TEXT NOT NULL,
  size INTEGER CHECK (size IS NULL OR size BETWEEN 1 AND 99),
  tags TEXT NOT NULL CHECK (json_valid(tags)),
  lon REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
  lat REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
  input_crs TEXT NOT NULL CHECK (input_crs IN ('wgs84', 'gcj02', 'bd09')),
  unit_code TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX households_unit ON households (unit_code);
