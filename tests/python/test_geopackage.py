"""The embedded store is a GeoPackage that GDAL (the library QGIS reads it with) opens as it is."""
import pytest

pytestmark = pytest.mark.filterwarnings("error")  # a GDAL warning about the file is a failure
import pyogrio


def test_units_layer_opens_in_gdal_with_all_demo_units(service):
    layers = {name: geom for name, geom in pyogrio.list_layers(service.database)}
    assert layers.get("units") in ("MultiPolygon", "MULTIPOLYGON"), layers
    info = pyogrio.read_info(service.database, layer="units")
    assert info["crs"] == "EPSG:4326"
    assert info["geometry_type"].lower() == "multipolygon"
    assert info["features"] > 3000
    for field in ("code", "name", "level", "parent_code", "version", "valid_from", "valid_to"):
        assert field in list(info["fields"]), info["fields"]


def test_geometries_read_back_through_gdal_match_the_api(service):
    meta, _fids, geoms, fields = pyogrio.raw.read(
        service.database, layer="units", where="code = '350203'", return_fids=True)
    assert len(geoms) == 1
    import shapely
    ours = shapely.from_wkb(geoms[0])
    api = service.get("/api/v1/units/350203").json()
    assert ours.equals(shapely.geometry.shape(api["geometry"]))
