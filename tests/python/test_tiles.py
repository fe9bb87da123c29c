"""Vector tiles read by an outside decoder (mapbox-vector-tile) and compared with the source
polygons (shapely) within the tile's resolution, and with PostGIS ST_AsMVT(ST_AsMVTGeom(...)) for
the same tiles."""
import gzip
import math
import os
import random
import time

import mapbox_vector_tile
import numpy as np
import prcoords
import pytest
import shapely
from shapely.geometry import box, shape

EXTENT = 4096
BUFFER = 64
# Simplification keeps every boundary within one pixel of a 256-pixel tile (16 units) of the
# source, plus half a unit of rounding to the integer grid.
TOLERANCE = EXTENT / 256 + 1.5
LEVELS = ["district", "street", "community", "grid", "micro_grid"]
MIN_ZOOM = {"district": 8, "street": 11, "community": 13, "grid": 14, "micro_grid": 16}
R = 6378137.0
HALF = math.pi * R
WINDOW = box(-BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER)


def decode(data):
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})


def tile_containing(lon, lat, z):
    n = 2 ** z
    lat_r = math.radians(lat)
    fx = (lon + 180.0) / 360.0
    fy = (1.0 - math.log(math.tan(lat_r) + 1.0 / math.cos(lat_r)) / math.pi) / 2.0
    return z, min(int(fx * n), n - 1), min(int(fy * n), n - 1)


def to_tile(geom, tile, crs="wgs84"):
    """Source lon/lat geometry in the tile's local units (y down), optionally in GCJ-02 first."""
    z, x, y = tile
    size = 2 * HALF / 2 ** z
    west, north = -HALF + x * size, HALF - y * size

    def project(coords):
        lon, lat = coords[:, 0], coords[:, 1]
        if crs == "gcj02":
            moved = [prcoords.wgs_gcj(prcoords.Coords(la, lo)) for lo, la in zip(lon, lat)]
            lon = np.array([m.lon for m in moved])
            lat = np.array([m.lat for m in moved])
        mx = R * np.radians(lon)
        my = R * np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))
        return np.column_stack([(mx - west) / size * EXTENT, (north - my) / size * EXTENT])

    return shapely.transform(geom, project)


def path(tile, crs=None):
    z, x, y = tile
    return f"/tiles/units/{z}/{x}/{y}.mvt" + (f"?crs={crs}" if crs else "")


@pytest.fixture(scope="module")
def units(service):
    fc = service.get("/api/v1/units").json()
    out = {}
    for f in fc["features"]:
        p = f["properties"]
        out[p["code"]] = {"props": p, "geom": shape(f["geometry"])}
    children = {}
    for code, u in out.items():
        parent = u["props"]["parent"]
        if parent:
            children[parent] = children.get(parent, 0) + 1
    for code, u in out.items():
        u["children"] = children.get(code, 0)
    return out


@pytest.fixture(scope="module")
def sample_tiles(units):
    """Tiles with content at z12–z16: under seeded random units' representative points."""
    rng = random.Random(20261126)
    leaves = sorted(c for c in units if len(c) == 17)
    tiles = set()
    for z, n in [(12, 3), (13, 4), (14, 8), (15, 8), (16, 10)]:
        for code in rng.sample(leaves, n):
            p = units[code]["geom"].representative_point()
            tiles.add(tile_containing(p.x, p.y, z))
    # A tile on the district's edge, where units are cut by the buffer.
    district = units["350203"]["geom"]
    west = district.bounds[0]
    p = min(district.exterior.coords if district.geom_type == "Polygon" else
            max(district.geoms, key=lambda g: g.area).exterior.coords, key=lambda c: abs(c[0] - west))
    tiles.add(tile_containing(p[0] + 1e-4, p[1], 15))
    return sorted(tiles)


def features(layer):
    return layer["features"] if layer else []


def polygonal(geom):
    """A decoded polygon made valid, keeping only its areas: clipping leaves zero-width stretches
    along the buffer's edge, which make_valid turns into stray lines."""
    valid = shapely.make_valid(geom)
    if valid.geom_type in ("Polygon", "MultiPolygon"):
        return valid
    return shapely.union_all([g for g in getattr(valid, "geoms", [])
                              if g.geom_type in ("Polygon", "MultiPolygon")])


def directed_distance(a, b):
    """Largest distance from the boundary of `a` (densified) to the boundary of `b`."""
    pts = shapely.points(shapely.get_coordinates(shapely.segmentize(a.boundary, 4.0)))
    if len(pts) == 0:
        return 0.0
    return float(np.max(shapely.distance(pts, b.boundary)))


def lasting_parts(geom):
    """The parts of a clipped source polygon that simplification at this zoom must keep."""
    parts = getattr(geom, "geoms", [geom])
    kept = [p for p in parts if p.geom_type == "Polygon" and not p.buffer(-TOLERANCE).is_empty]
    return shapely.union_all(kept) if kept else None


def check_against_source(tile_bytes, tile, units, crs="wgs84"):
    layers = decode(tile_bytes)
    z = tile[0]
    checked = 0
    for level in LEVELS:
        layer = layers.get(level)
        got = {f["id"]: f for f in features(layer)}
        if z < MIN_ZOOM[level]:
            assert layer is None, f"{level} must not show at z{z}"
            continue
        for code, u in units.items():
            if u["props"]["level"] != level:
                continue
            src = to_tile(u["geom"], tile, crs).intersection(WINDOW)
            fid = int(code)
            if fid not in got:
                assert src.is_empty or lasting_parts(src) is None, \
                    f"{code} missing from {tile} {crs} though it shows there"
                continue
            f = got.pop(fid)
            p = f["properties"]
            assert p["code"] == code and p["name"] == u["props"]["name"] and p["level"] == level
            assert p.get("parent") == u["props"]["parent"]
            assert p["version"] == u["props"]["version"] and p["children"] == u["children"]
            decoded = polygonal(shape(f["geometry"]))
            assert decoded.area > 0
            # Every decoded vertex lies on the source outline (clip edges included)...
            vertices = shapely.points(shapely.get_coordinates(decoded))
            assert float(np.max(shapely.distance(vertices, src.boundary))) <= 1.5, (code, tile)
            # ...and every lasting part of the source is within the tolerance of the tile's.
            lasting = lasting_parts(src)
            if lasting is not None:
                assert directed_distance(lasting, decoded) <= TOLERANCE, (code, tile, crs)
            sym = decoded.symmetric_difference(src).area
            assert sym <= TOLERANCE * max(src.length, 1.0), (code, tile, sym, src.length)
            checked += 1
        assert not got, f"features with no source unit in {level}: {list(got)}"
    return layers, checked


def test_tiles_match_the_source_polygons_within_the_tile_resolution(service, units, sample_tiles):
    total = 0
    for tile in sample_tiles:
        r = service.get(path(tile))
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
        assert r.headers.get("content-encoding") == "gzip"  # requests asks for gzip and inflates
        layers, checked = check_against_source(r.content, tile, units)
        for name, layer in layers.items():
            assert layer["extent"] == EXTENT and layer["version"] == 2
        total += checked
    assert total > 300


def test_labels_lie_inside_their_units(service, units, sample_tiles):
    for tile in sample_tiles:
        layers = decode(service.get(path(tile)).content)
        for f in features(layers.get("unit_labels")):
            code = f["properties"]["code"]
            assert f["id"] == int(code)
            assert MIN_ZOOM[f["properties"]["level"]] <= tile[0]
            pt = shape(f["geometry"])
            assert WINDOW.covers(pt)
            assert to_tile(units[code]["geom"], tile).distance(pt) <= 1.0, (code, tile)


def test_neighbouring_micro_grids_share_boundaries_without_gaps_or_overlaps(service, units):
    district = units["350203"]["geom"]
    window_lonlat = None
    # The first z16 tile near the demo point whose buffered square lies wholly inside the district.
    z, x0, y0 = tile_containing(118.0894, 24.4798, 16)
    for dx in range(-3, 4):
        for dy in range(-3, 4):
            tile = (z, x0 + dx, y0 + dy)
            if to_tile(district, tile).contains(WINDOW):
                window_lonlat = tile
                break
        if window_lonlat:
            break
    assert window_lonlat, "no interior tile found"
    layers = decode(service.get(path(window_lonlat)).content)
    polys = [shape(f["geometry"]) for f in layers["micro_grid"]["features"]]
    assert len(polys) >= 2
    # Where one neighbour has a vertex on the other's edge (a T-junction), rounding that vertex
    # to the integer grid leaves a sliver under one unit wide (1/16 pixel, about 1/7 m at z16):
    # allowed, anything wider is a visible gap or overlap.
    # Clip edges belong to one polygon only, so simplification may cut the buffer's corners:
    # gaps count inside the tile proper, the part a map draws.
    union = shapely.union_all(polys)
    gaps = box(0, 0, EXTENT, EXTENT).difference(union)
    assert gaps.buffer(-1.0).is_empty, f"gap wider than 2 units: {gaps.buffer(-1.0).area}"
    for i, a in enumerate(polys):
        for b in polys[i + 1:]:
            overlap = a.intersection(b)
            assert overlap.buffer(-1.0).is_empty, f"overlap wider than 2 units: {overlap.area}"
    total = sum(p.area for p in polys)
    assert abs(total - union.area) < 1e-3 * WINDOW.area


def test_gcj02_tiles_match_the_source_moved_by_prcoords(service, units):
    # Tiles addressed in GCJ-02: pick them where the GCJ-02 positions of units fall.
    rng = random.Random(7)
    leaves = sorted(c for c in units if len(c) == 17)
    for code in rng.sample(leaves, 4):
        p = units[code]["geom"].representative_point()
        g = prcoords.wgs_gcj(prcoords.Coords(p.y, p.x))
        for z in (14, 16):
            tile = tile_containing(g.lon, g.lat, z)
            r = service.get(path(tile, "gcj02"))
            assert r.status_code == 200
            _, checked = check_against_source(r.content, tile, units, crs="gcj02")
            assert checked >= 1
            plain = decode(service.get(path(tile)).content)
            assert decode(r.content) != plain


def test_etag_and_gzip_seen_from_outside(service):
    tile = tile_containing(118.0894, 24.4798, 15)
    r = service.get(path(tile), headers={"Accept-Encoding": "gzip"}, stream=True)
    raw = r.raw.read(decode_content=False)
    assert r.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(raw) == service.get(path(tile), headers={"Accept-Encoding": "identity"}).content
    again = service.get(path(tile), headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""


# --- the same tiles from PostGIS --------------------------------------------------------------

def postgis_tile_sql():
    cols = "u.id, u.code, u.name, u.level, u.parent, u.version, u.children"
    parts = [
        f"COALESCE((SELECT ST_AsMVT(q, '{level}', 4096, 'geom', 'id') FROM ("
        f" SELECT {cols}, ST_AsMVTGeom(u.geom, t.env, 4096, 64, true) AS geom"
        f" FROM tile_units u, t WHERE %(z)s >= {MIN_ZOOM[level]} AND u.level = '{level}'"
        f" AND u.geom && t.buf) q), ''::bytea)"
        for level in LEVELS
    ]
    return ("WITH t AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS env,"
            " ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 64.0 / 4096) AS buf) SELECT "
            + " || ".join(parts) + " FROM t")


@pytest.fixture(scope="module")
def postgis(units):
    psycopg = pytest.importorskip("psycopg")
    server = os.environ.get("WANGGE_TEST_DATABASE_URL")
    if not server:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but WANGGE_TEST_DATABASE_URL is not set")
        pytest.skip("WANGGE_TEST_DATABASE_URL not set: no PostGIS comparison")
    name = f"wangge_pytiles_{os.getpid()}_{int(time.time())}"
    base = server.rsplit("/", 1)[0]
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        with psycopg.connect(f"{base}/{name}", autocommit=True) as db:
            db.execute("CREATE EXTENSION postgis")
            db.execute("CREATE TABLE tile_units (id bigint, code text, name text, level text,"
                       " parent text, version bigint, children bigint,"
                       " geom geometry(MultiPolygon, 3857))")
            with db.cursor() as cur:
                cur.executemany(
                    "INSERT INTO tile_units VALUES (%s, %s, %s, %s, %s, %s, %s,"
                    " ST_Transform(ST_Multi(ST_SetSRID(ST_GeomFromText(%s), 4326)), 3857))",
                    [(int(c), c, u["props"]["name"], u["props"]["level"], u["props"]["parent"],
                      u["props"]["version"], u["children"], u["geom"].wkt) for c, u in units.items()])
            db.execute("CREATE INDEX ON tile_units USING gist (geom)")
            db.execute("ANALYZE tile_units")
            yield db
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_tiles_agree_with_postgis_st_asmvt(service, units, sample_tiles, postgis):
    sql = postgis_tile_sql()
    compared = 0
    for tile in sample_tiles:
        z, x, y = tile
        theirs = decode(bytes(postgis.execute(sql, {"z": z, "x": x, "y": y}).fetchone()[0]))
        ours = decode(service.get(path(tile)).content)
        for level in LEVELS:
            a = {f["id"]: f for f in features(ours.get(level))}
            b = {f["id"]: f for f in features(theirs.get(level))}
            # A unit only one side draws must be one that collapses at this zoom.
            for fid in set(a) ^ set(b):
                src = to_tile(units[str(fid)]["geom"], tile).intersection(WINDOW)
                assert lasting_parts(src) is None, (level, fid, tile)
            for fid in set(a) & set(b):
                pa, pb = a[fid]["properties"], b[fid]["properties"]
                for key in ("code", "name", "level", "version", "children"):
                    assert pa[key] == pb[key], (fid, key)
                assert pa.get("parent") == pb.get("parent")
                ga = polygonal(shape(a[fid]["geometry"]))
                gb = polygonal(shape(b[fid]["geometry"]))
                src = to_tile(units[str(fid)]["geom"], tile).intersection(WINDOW)
                assert abs(ga.area - gb.area) <= TOLERANCE * max(src.length, 1.0), \
                    (fid, tile, ga.area, gb.area)
                assert ga.symmetric_difference(gb).area <= 2 * TOLERANCE * max(src.length, 1.0)
                compared += 1
    assert compared > 300


# The report layers: staff points and public H3 heat cells, against the `h3` package.

import h3
from shapely.geometry import Point, Polygon

SPOT = (118.0894, 24.4798)
ALONE = (118.1010, 24.4700)
MIN_COUNT = 3


@pytest.fixture(scope="module")
def filed(service):
    """Reports filed through the public intake: three at SPOT, one ALONE."""
    out = []
    for i, (lon, lat) in enumerate([SPOT] * MIN_COUNT + [ALONE]):
        r = service.session.post(
            service.base + "/api/v1/reports", timeout=60,
            headers={"Origin": service.base},
            json={"category": "noise", "description": "checker", "channel": "app",
                  "location": {"lon": lon + i * 1e-6, "lat": lat}})
        assert r.status_code == 201, r.text
        out.append(r.json())
    return out


def report_tile(service, layer, tile, signed_in=True):
    z, x, y = tile
    path = f"/tiles/{layer}/{z}/{x}/{y}.mvt"
    if signed_in:
        return service.session.get(service.base + path, timeout=60)
    return service.get(path)


def test_report_points_lie_where_the_reports_are(service, filed):
    for z in (12, 16, 20):
        for report in filed:
            lon, lat = report["location"]["lon"], report["location"]["lat"]
            tile = tile_containing(lon, lat, z)
            r = report_tile(service, "reports", tile)
            assert r.status_code == 200, r.text
            features = decode(r.content)["reports"]["features"]
            mine = [f for f in features if f["properties"]["id"] == report["id"]]
            assert len(mine) == 1, (z, report["id"])
            f = mine[0]
            assert set(f["properties"]) == {"id", "category", "state", "overdue", "queue_unit", "created_at"}
            assert f["properties"]["queue_unit"] == report["queue_unit"]
            want = to_tile(Point(lon, lat), tile)
            got = shape(f["geometry"])
            assert got.distance(want) <= 0.75, (z, got, want)
        assert report_tile(service, "reports", tile, signed_in=False).status_code == 404


def test_heat_cells_are_the_h3_cells_of_the_reports_and_never_fewer_than_k(service, filed):
    for z in (10, 12, 14, 16):
        res = min(9, z // 2 + 2)
        tile = tile_containing(*SPOT, z)
        r = report_tile(service, "report_heat", tile, signed_in=False)
        assert r.status_code == 200, r.text
        layer = decode(r.content).get("report_heat", {"features": []})
        cells = {f["properties"]["h3"]: f for f in layer["features"]}
        assert all(f["properties"]["count"] >= MIN_COUNT for f in cells.values())
        assert all(set(f["properties"]) == {"h3", "count"} for f in cells.values())
        spot = h3.latlng_to_cell(SPOT[1], SPOT[0], res)
        assert spot in cells, (z, spot, list(cells))
        assert cells[spot]["properties"]["count"] >= MIN_COUNT
        alone = h3.latlng_to_cell(ALONE[1], ALONE[0], res)
        if alone != spot:
            assert alone not in cells, "a cell of one report is never shown"
        outline = Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(spot)])
        want = to_tile(outline, tile).intersection(WINDOW)
        got = shape(cells[spot]["geometry"])
        assert got.hausdorff_distance(want) <= TOLERANCE, (z, got.wkt, want.wkt)


def test_facility_points_are_the_registry_in_the_tile_and_its_buffer(service):
    everything = service.get("/api/v1/facilities").json()["features"]
    assert len(everything) > 1000, "the demo facilities are loaded"
    by_id = {f["id"]: f for f in everything}
    for z in (13, 15):
        lon, lat = everything[0]["geometry"]["coordinates"]
        tile = tile_containing(lon, lat, z)
        r = service.get("/tiles/facilities/%d/%d/%d.mvt" % tile)
        assert r.status_code == 200, r.text
        layers = decode(r.content)
        drawn, on_edge = 0, 0
        for f in everything:
            p = f["properties"]
            at = to_tile(Point(*f["geometry"]["coordinates"]), tile)
            if WINDOW.buffer(-1).contains(at):
                shown = [g for g in layers.get(p["category"], {"features": []})["features"]
                         if g["id"] == f["id"]]
                assert len(shown) == 1, (z, f["id"], p["name"])
                assert shape(shown[0]["geometry"]).distance(at) <= 0.75
                drawn += 1
            elif WINDOW.buffer(1).contains(at):
                on_edge += 1  # within a unit of the buffer's edge: either way is right
            else:
                assert all(g["id"] != f["id"] for l in layers.values() for g in l["features"])
        total = sum(len(l["features"]) for l in layers.values())
        assert drawn <= total <= drawn + on_edge, (z, drawn, on_edge, total)
        assert drawn > 20, (z, drawn)
        for name, layer in layers.items():
            for g in layer["features"]:
                source = by_id[g["id"]]["properties"]
                assert g["properties"]["category"] == name == source["category"]
                assert g["properties"]["name"] == source["name"]
                assert "contact" not in g["properties"] and "capacity" not in g["properties"]
