"""GCJ-02 and BD-09 conversions checked against an independent implementation (prcoords)."""
import random

import prcoords


def sample_points(n=300, seed=7):
    rng = random.Random(seed)
    # Mainland China, where the offsets apply.
    return [(rng.uniform(98.0, 134.0), rng.uniform(18.5, 53.0)) for _ in range(n)]


def test_gcj02_input_is_read_back_to_wgs84(service):
    for lon, lat in sample_points():
        g = prcoords.wgs_gcj(prcoords.Coords(lat, lon))
        r = service.get("/api/v1/assign", params={"lon": repr(g.lon), "lat": repr(g.lat), "crs": "gcj02"})
        assert r.status_code == 200
        w = r.json()["wgs84"]
        assert abs(w[0] - lon) < 1e-7 and abs(w[1] - lat) < 1e-7, (lon, lat, w)


def test_bd09_input_is_read_back_to_wgs84(service):
    for lon, lat in sample_points(seed=8):
        b = prcoords.wgs_bd(prcoords.Coords(lat, lon))
        r = service.get("/api/v1/assign", params={"lon": repr(b.lon), "lat": repr(b.lat), "crs": "bd09"})
        w = r.json()["wgs84"]
        assert abs(w[0] - lon) < 1e-7 and abs(w[1] - lat) < 1e-7, (lon, lat, w)


def test_gcj02_output_matches_prcoords(service):
    wgs = service.get("/api/v1/units/350203").json()
    gcj = service.get("/api/v1/units/350203", params={"crs": "gcj02"}).json()
    a = wgs["geometry"]["coordinates"][0][0]
    b = gcj["geometry"]["coordinates"][0][0]
    assert len(a) == len(b)
    for (lon, lat), (glon, glat) in zip(a, b):
        ref = prcoords.wgs_gcj(prcoords.Coords(lat, lon))
        assert abs(ref.lon - glon) < 1e-9 and abs(ref.lat - glat) < 1e-9
