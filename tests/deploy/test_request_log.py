"""One log line per request, with its id, user, method, path, status and duration."""

from __future__ import annotations

import json
import logging
import re
import sys

import pytest
from knox.models import AuthToken

from config.logs import JsonFormatter, RequestIdFilter, TextFormatter, current_request_id

pytestmark = pytest.mark.django_db

REQUEST_LOGGER = "config.request"


def _request_lines(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == REQUEST_LOGGER]


def test_a_request_logs_its_user_method_path_status_and_duration(client, reader, caplog):
    client.force_login(reader)
    caplog.set_level(logging.INFO)

    response = client.get("/incidents/?severity=SEV1")

    (line,) = _request_lines(caplog)
    assert response.status_code == 200
    assert (line.user_id, line.method, line.path, line.status) == (
        reader.pk,
        "GET",
        "/incidents/",  # without the query string, which may hold anything
        200,
    )
    assert line.duration_ms > 0
    assert line.request_id == response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", line.request_id)


def test_an_api_token_request_logs_the_token_user(client, reader, caplog):
    _instance, token = AuthToken.objects.create(user=reader)
    caplog.set_level(logging.INFO)

    response = client.get("/api/v1/incidents/", HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 200
    (line,) = _request_lines(caplog)
    assert (line.user_id, line.path) == (reader.pk, "/api/v1/incidents/")


def test_the_proxy_request_id_is_kept_and_echoed(client, caplog):
    caplog.set_level(logging.INFO)

    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID="a1b2-c3d4")

    assert response["X-Request-ID"] == "a1b2-c3d4"
    (line,) = _request_lines(caplog)
    assert (line.request_id, line.user_id, line.status) == ("a1b2-c3d4", None, 200)


@pytest.mark.parametrize("given", ["two words", "x" * 129, "id\u00e9", ""])
def test_an_unusable_request_id_is_replaced(client, caplog, given):
    caplog.set_level(logging.INFO)

    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID=given)

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    (line,) = _request_lines(caplog)
    assert line.request_id == response["X-Request-ID"]


def test_lines_logged_for_the_request_carry_its_id(client, reader, caplog):
    client.force_login(reader)
    caplog.set_level(logging.INFO)

    response = client.get("/reviews/999999/", HTTP_X_REQUEST_ID="trace-404")

    assert response.status_code == 404
    # Django's own "Not Found" warning, logged after the middleware returned.
    (warning,) = [record for record in caplog.records if record.name == "django.request"]
    assert warning.request_id == "trace-404"
    (line,) = _request_lines(caplog)
    assert (line.status, line.levelname) == (404, "INFO")
    # The id is forgotten once the response is closed: the next line belongs to no request.
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "after", None, None)
    RequestIdFilter().filter(record)
    assert record.request_id is None


def test_probes_are_logged_only_when_they_fail(client, caplog):
    caplog.set_level(logging.INFO)

    client.get("/healthz")
    client.get("/readyz")
    assert _request_lines(caplog) == []

    client.get("/accounts/login/")
    assert len(_request_lines(caplog)) == 1


def _record(message: str, **extra) -> logging.LogRecord:
    record = logging.LogRecord("app", logging.WARNING, __file__, 1, message, None, None)
    record.__dict__.update(extra)
    return record


def test_the_json_format_is_one_object_a_line():
    token = current_request_id.set("req-7")
    try:
        record = _record("quota %s", status=503)
        record.args = ("exceeded\nsecond line",)
        RequestIdFilter().filter(record)
        try:
            raise ValueError("boom")
        except ValueError:
            record.exc_info = sys.exc_info()
        line = JsonFormatter().format(record)
    finally:
        current_request_id.reset(token)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "quota exceeded\nsecond line"
    assert (entry["level"], entry["logger"], entry["request_id"], entry["status"]) == (
        "WARNING",
        "app",
        "req-7",
        503,
    )
    assert "ValueError: boom" in entry["exception"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", entry["time"])


def test_the_text_format_reads_as_a_sentence():
    line = TextFormatter().format(_record("GET /incidents/ 200", request_id="req-8"))
    assert line.endswith("WARNING app: GET /incidents/ 200 [request req-8]")
