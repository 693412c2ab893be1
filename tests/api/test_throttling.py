"""DRF throttles: the API login per client address, writes (POST/PUT/PATCH/DELETE, the import
included) per user; reads are not throttled. Over the rate: a JSON 429 with Retry-After."""

from __future__ import annotations

import pytest
import yaml
from django.conf import settings

from tests.api.conftest import client_for
from tests.factories import SystemFactory

LOGIN = "/api/v1/auth/login/"


@pytest.fixture
def rates(settings):
    """Sets the throttle rates for one test (the defaults are too high to reach quickly)."""

    def set_rates(**scoped):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                **scoped,
            },
        }

    return set_rates


def assert_throttled(response):
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json()["detail"].startswith("Request was throttled.")


def test_default_rates():
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {
        "login": "10/minute",
        "write": "120/minute",
    }


def test_api_logins_over_the_rate_are_429_whatever_the_password(reader, rates):
    rates(login="3/minute")
    client = client_for(None)
    for _ in range(3):
        assert client.post(LOGIN, {"username": "reed", "password": "wrong"}).status_code == 400
    assert_throttled(client.post(LOGIN, {"username": "reed", "password": "correct-horse-battery"}))


def test_the_login_rate_counts_per_client_address(reader, rates):
    rates(login="1/minute")
    body = {"username": "reed", "password": "correct-horse-battery"}
    assert client_for(None).post(LOGIN, body, REMOTE_ADDR="203.0.113.7").status_code == 200
    assert_throttled(client_for(None).post(LOGIN, body, REMOTE_ADDR="203.0.113.7"))
    assert client_for(None).post(LOGIN, body, REMOTE_ADDR="198.51.100.1").status_code == 200


def test_a_forged_forwarded_for_header_does_not_reset_the_login_rate(reader, rates):
    rates(login="1/minute")
    body = {"username": "reed", "password": "correct-horse-battery"}
    client = client_for(None)
    assert client.post(LOGIN, body, HTTP_X_FORWARDED_FOR="192.0.2.1").status_code == 200
    assert_throttled(client.post(LOGIN, body, HTTP_X_FORWARDED_FOR="192.0.2.2"))


def test_writes_over_the_rate_are_429_with_retry_after(superuser, rates):
    rates(write="2/minute")
    client = client_for(superuser, token=True)
    assert client.post("/api/v1/systems/", {"name": "one"}).status_code == 201
    assert client.patch("/api/v1/systems/one/", {"description": "x"}).status_code == 200
    assert_throttled(client.post("/api/v1/systems/", {"name": "two"}))
    assert_throttled(client.delete("/api/v1/systems/one/"))


def test_the_import_counts_as_a_write(responder, rates):
    rates(write="1/minute")
    client = client_for(responder)
    row = {"title": "Imported", "started_at": "2026-02-01T10:00:00Z"}
    assert client.post("/api/v1/incidents/import/?dry_run=true", [row]).status_code == 200
    assert_throttled(client.post("/api/v1/incidents/import/?dry_run=true", [row]))


def test_reads_are_not_throttled(reader, rates):
    rates(write="1/minute")
    SystemFactory(name="payments")
    client = client_for(reader)
    for _ in range(5):
        assert client.get("/api/v1/systems/").status_code == 200
        assert client.get("/api/v1/reports/summary/").status_code == 200


def test_the_write_rate_counts_per_user(superuser, facilitator, rates):
    rates(write="1/minute")
    assert client_for(superuser).post("/api/v1/themes/", {"name": "Capacity"}).status_code == 201
    assert_throttled(client_for(superuser).post("/api/v1/themes/", {"name": "Alerting"}))
    # Another user from the same address still writes.
    assert client_for(facilitator).post("/api/v1/themes/", {"name": "Alerting"}).status_code == 201


@pytest.mark.parametrize("run", ["first", "second"])
def test_throttle_counts_do_not_leak_between_tests(reader, rates, run):
    """Both runs start from an empty count: the second fails if the first's login is
    still counted (same address, same process)."""
    rates(login="1/minute")
    body = {"username": "reed", "password": "correct-horse-battery"}
    assert client_for(None).post(LOGIN, body).status_code == 200
    assert_throttled(client_for(None).post(LOGIN, body))


def test_throttled_operations_document_429_with_retry_after(db):
    schema = yaml.safe_load(client_for(None).get("/api/schema/").content)
    paths = schema["paths"]
    for method, path in [
        ("post", "/api/v1/auth/login/"),
        ("post", "/api/v1/incidents/"),
        ("post", "/api/v1/incidents/import/"),
        ("patch", "/api/v1/reviews/{id}/"),
        ("delete", "/api/v1/systems/{slug}/"),
    ]:
        too_many = paths[path][method]["responses"]["429"]
        assert "Retry-After" in too_many["headers"], (method, path)
        assert too_many["content"]["application/json"]["schema"]["$ref"].endswith("Error")
    for path in ["/api/v1/incidents/", "/api/v1/reports/summary/"]:
        assert "429" not in paths[path]["get"]["responses"]
