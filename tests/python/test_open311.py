"""Open311 GeoReport v2 seen from outside: the JSON answers of the running service validate
against the JSON Schemas of the open311/schema-validation project (../shared/open311-schemas),
and a request created form-encoded with an api_key reads back as the spec describes."""
import json
import os
from pathlib import Path

import pytest
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SCHEMAS = Path(os.environ.get(
    "WANGGE_OPEN311_SCHEMAS",
    Path(__file__).resolve().parents[3] / "shared" / "open311-schemas"))
# A point in the demo data (Siming district, Xiamen).
LON, LAT = 118.0894, 24.4798


def load(name):
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validators():
    if not SCHEMAS.is_dir():
        pytest.skip(f"no Open311 schemas at {SCHEMAS} (set WANGGE_OPEN311_SCHEMAS)")
    names = ["request.json", "requests.json", "service.json", "services.json",
             "service-definition.json"]
    registry = Registry().with_resources(
        (name, Resource.from_contents(load(name), default_specification=DRAFT4)) for name in names)
    return {name: Draft4Validator(load(name), registry=registry,
                                  format_checker=Draft4Validator.FORMAT_CHECKER)
            for name in names}


@pytest.fixture(scope="module")
def api_key(service):
    r = service.post("/api/v1/tokens", json={"name": "open311 checker", "expires_in_days": 1})
    assert r.status_code == 201, r.text
    return r.json()["token"]


def test_services_and_service_definitions_match_the_schemas(service, validators):
    r = service.get("/open311/v2/services.json")
    assert r.status_code == 200
    services = r.json()
    validators["services.json"].validate(services)
    codes = [s["service_code"] for s in services]
    assert "noise" in codes and "food_hygiene" in codes
    for code in codes[:3]:
        d = service.get(f"/open311/v2/services/{code}.json")
        assert d.status_code == 200
        validators["service-definition.json"].validate(d.json())


def test_a_created_request_reads_back_valid_and_without_contact(service, validators, api_key):
    form = {"api_key": api_key, "service_code": "noise", "lat": str(LAT), "long": str(LON),
            "description": "checker: noise at night", "email": "checker@example.org",
            "media_url": "https://img.example.org/checker.jpg"}
    r = service.post("/open311/v2/requests.json", data=form)
    assert r.status_code == 200, r.text
    created = r.json()
    assert isinstance(created[0]["service_request_id"], str)
    rid = created[0]["service_request_id"]

    one = service.get(f"/open311/v2/requests/{rid}.json")
    assert one.status_code == 200
    validators["requests.json"].validate(one.json())
    request = one.json()[0]
    validators["request.json"].validate(request)
    assert request["status"] == "open"
    assert abs(request["lat"] - LAT) < 1e-9 and abs(request["long"] - LON) < 1e-9
    assert request["expected_datetime"]
    assert "checker@example.org" not in one.text

    listed = service.get("/open311/v2/requests.json", params={"service_code": "noise"})
    assert listed.status_code == 200
    validators["requests.json"].validate(listed.json())
    assert rid in [x["service_request_id"] for x in listed.json()]
    token = service.get(f"/open311/v2/tokens/{rid}.json")
    assert token.json()[0]["service_request_id"] == rid


def test_refusals_have_the_spec_error_shape(service, api_key):
    for form, status in [
        ({"service_code": "noise", "lat": str(LAT), "long": str(LON)}, 403),
        ({"api_key": api_key, "service_code": "no_such_service", "lat": str(LAT), "long": str(LON)}, 400),
        ({"api_key": api_key, "service_code": "noise"}, 400),
    ]:
        r = service.post("/open311/v2/requests.json", data=form)
        assert r.status_code == status, r.text
        body = r.json()
        assert body[0]["code"] == status and body[0]["description"]
    r = service.get("/open311/v2/requests/no-such-request.json")
    assert r.status_code == 404 and r.json()[0]["code"] == 404
