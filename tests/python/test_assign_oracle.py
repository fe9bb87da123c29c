"""Assignment checked against an independent implementation: shapely (GEOS) `covers` with the
lowest-code rule, on 100,000 random points plus every vertex and edge midpoint of the demo's
leaf units."""
import json
import random

import shapely
from shapely.geometry import shape

from conftest import DEMO_UNITS


def load_leaves():
    doc = json.loads(DEMO_UNITS.read_text(encoding="utf-8"))
    units = {f["properties"]["code"]: f for f in doc["features"]}
    parents = {c[: {9: 6, 12: 9, 15: 12, 17: 15}[len(c)]] for c in units if len(c) > 6}
    leaves = sorted(c for c in units if c not in parents)
    geoms = [shape(units[c]["geometry"]) for c in leaves]
    return leaves, geoms


def expected_leaf(tree, leaves, geoms, points):
    """Per point: the lowest leaf code whose polygon covers it, or None."""
    pts = shapely.points(points)
    idx_pt, idx_geom = tree.query(pts, predicate="covered_by")
    best = [None] * len(points)
    for p, g in zip(idx_pt, idx_geom):
        code = leaves[g]
        if best[p] is None or code < best[p]:
            best[p] = code
    return best


def assign_batch(service, points):
    body = "".join(json.dumps({"lon": x, "lat": y}) + "\n" for x, y in points)
    r = service.post("/api/v1/assign/batch", data=body.encode(),
                     headers={"content-type": "application/x-ndjson"})
    assert r.status_code == 200, r.text[:500]
    lines = [json.loads(l) for l in r.text.splitlines()]
    assert [l["index"] for l in lines] == list(range(len(points)))
    return lines


def compare(service, points):
    leaves, geoms = load_leaves()
    tree = shapely.STRtree(geoms)
    expected = expected_leaf(tree, leaves, geoms, points)
    answers = assign_batch(service, points)
    wrong = []
    for p, e, a in zip(points, expected, answers):
        if e is not None:
            ok = a["match"] == "inside" and a["unit"]["code"] == e
        else:
            ok = a["match"] != "inside"
        if not ok:
            wrong.append((p, e, a.get("match"), (a.get("unit") or {}).get("code")))
    return wrong, sum(e is not None for e in expected)


def test_100k_random_points_agree_with_shapely(service):
    leaves, geoms = load_leaves()
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    rng = random.Random(20261126)
    pad = 0.005
    points = [(rng.uniform(minx - pad, maxx + pad), rng.uniform(miny - pad, maxy + pad))
              for _ in range(100_000)]
    wrong, covered = compare(service, points)
    assert covered > 30_000, "many random points should fall inside the district"
    assert not wrong, f"{len(wrong)} disagreements, e.g. {wrong[:5]}"


def test_every_vertex_and_edge_midpoint_agrees_with_shapely(service):
    leaves, geoms = load_leaves()
    points = []
    for g in geoms:
        for poly in getattr(g, "geoms", [g]):
            for ring in [poly.exterior, *poly.interiors]:
                cs = list(ring.coords)
                for (x0, y0), (x1, y1) in zip(cs, cs[1:]):
                    points.append((x0, y0))
                    points.append(((x0 + x1) / 2, (y0 + y1) / 2))
    assert len(points) > 10_000
    wrong, _ = compare(service, points)
    assert not wrong, f"{len(wrong)} of {len(points)} disagree, e.g. {wrong[:5]}"
