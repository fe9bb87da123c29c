"""Access control seen from outside: the demo admin signs in, the public is refused what is not
public, and the internal tables of the GeoPackage stay invisible to GDAL."""
import pytest
import requests

pytestmark = pytest.mark.filterwarnings("error")
import pyogrio


def test_the_demo_admin_signs_in_with_a_strict_http_only_cookie(service):
    r = requests.post(service.base + "/api/v1/auth/login", timeout=60,
                      json={"username": "admin", "password": "checker-demo-password"})
    assert r.status_code == 200, r.text
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    me = service.session.get(service.base + "/api/v1/auth/me", timeout=60).json()
    assert me["role"] == "admin"


def test_the_public_reads_units_but_not_accounts_or_batches(service):
    assert service.get("/api/v1/units/350203").status_code == 200
    for path in ("/api/v1/accounts", "/api/v1/audit", "/api/v1/tokens"):
        r = service.get(path)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized", path
    r = requests.post(service.base + "/api/v1/assign/batch", data=b"118.1,24.5\n",
                      headers={"content-type": "text/csv"}, timeout=60)
    assert r.status_code == 401


def test_internal_tables_are_not_geopackage_layers(service):
    layers = {name for name, _ in pyogrio.list_layers(service.database)}
    for internal in ("accounts", "account_scopes", "sessions", "api_tokens",
                     "sign_in_failures", "audit_log"):
        assert internal not in layers, layers
    assert "units" in layers
