"""While the database is unreachable the API answers a JSON 503 and the pages a plain 503
page; when it is back, the next request works, with no restart.

The requests go to a connection whose address answers nothing: a port where nothing listens
(PostgreSQL) or a file in a folder that does not exist (SQLite). It replaces the `default`
connection only for the requests; the test's own connection and transaction are untouched.
"""

from __future__ import annotations

import copy
import json
import socket
import wsgiref.util
from contextlib import contextmanager

import pytest
from django.db import connection, connections
from django.db.utils import load_backend
from django.test import Client

from config.wsgi import application
from tests.factories import UserFactory

SESSION = "sessionid=" + "x" * 32  # any session key: reading it needs the database
API_DETAIL = "The database is unavailable; try again in a moment."


def _unreachable(settings_dict: dict, tmp_path) -> dict:
    broken = copy.deepcopy(settings_dict)
    if broken["ENGINE"].endswith("sqlite3"):
        broken["NAME"] = str(tmp_path / "no-such-folder" / "db.sqlite3")
    else:
        with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        broken.update(HOST="127.0.0.1", PORT=str(port))
    return broken


@contextmanager
def _default_connection(settings_dict: dict):
    """Requests use a new `default` connection with these settings while inside."""
    original = connections["default"]
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "default")
    connections["default"] = wrapper
    try:
        yield wrapper
    finally:
        wrapper.close()
        connections["default"] = original


@pytest.fixture
def database_down(db, tmp_path):
    with _default_connection(_unreachable(connection.settings_dict, tmp_path)) as wrapper:
        yield wrapper


def _wsgi_get(path: str, cookie: str = "") -> tuple[int, bytes]:
    """A request through the WSGI application itself, as a server makes it: unlike Django's
    test client it runs the request_started/finished handlers that close broken connections."""
    environ: dict = {"PATH_INFO": path, "HTTP_COOKIE": cookie}
    wsgiref.util.setup_testing_defaults(environ)
    status: list[str] = []
    result = application(environ, lambda line, headers, exc_info=None: status.append(line))
    try:
        body = b"".join(result)
    finally:
        result.close()
    return int(status[0].split()[0]), body


def test_the_api_answers_a_json_503_while_the_database_is_down(database_down):
    client = Client(raise_request_exception=False, HTTP_COOKIE=SESSION)
    response = client.get("/api/v1/incidents/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": API_DETAIL}
    assert response["Retry-After"] == "10"


def test_a_token_request_gets_the_json_503_too(database_down):
    client = Client(raise_request_exception=False, HTTP_AUTHORIZATION="Token " + "a" * 64)
    response = client.get("/api/v1/reports/summary/")
    assert response.status_code == 503
    assert response.json() == {"detail": API_DETAIL}


def test_a_page_answers_a_plain_503_page_rendered_without_the_database(database_down):
    client = Client(raise_request_exception=False, HTTP_COOKIE=SESSION)
    response = client.get("/incidents/")
    assert response.status_code == 503
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Retry-After"] == "10"
    page = response.content.decode()
    assert "<h1>Temporarily unavailable</h1>" in page
    assert 'href="/static/app.css"' in page
    assert "Traceback" not in page


def test_the_admin_answers_the_plain_503_page_too(database_down):
    client = Client(raise_request_exception=False, HTTP_COOKIE=SESSION)
    response = client.get("/admin/incidents/incident/")
    assert response.status_code == 503
    assert "Temporarily unavailable" in response.content.decode()


def test_other_server_errors_under_the_api_are_json_500s(db, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("api.reports.ReportView.filter_bar", broken)
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory())
    response = client.get("/api/v1/reports/summary/")
    assert response.status_code == 500
    assert response.json() == {"detail": "Server error. It has been logged."}


def test_the_next_request_works_once_the_database_is_back(db, tmp_path):
    live = copy.deepcopy(connection.settings_dict)
    with _default_connection(_unreachable(live, tmp_path)) as wrapper:
        status, body = _wsgi_get("/api/v1/incidents/", SESSION)
        assert (status, json.loads(body)) == (503, {"detail": API_DETAIL})
        assert _wsgi_get("/incidents/", SESSION)[0] == 503
        # The database comes back at its address: same process, same connection object.
        wrapper.settings_dict.update(live)
        assert _wsgi_get("/api/v1/incidents/", SESSION)[0] == 401  # the session is unknown
        assert _wsgi_get("/incidents/", SESSION)[0] == 302  # to the login page


@pytest.mark.postgres_only
@pytest.mark.parametrize(("health_checks", "answers"), [(True, [302]), (False, [503, 302])])
def test_a_connection_the_server_dropped_is_replaced_without_a_restart(
    db, health_checks, answers
):
    """What a database restart does to the connections open at the time. With health checks
    (our setting) the next request reconnects; without, it fails as a 503 and the one after
    reconnects (Django closes a connection that raised, when the request ends)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    own = connections["default"]  # `connection` would follow the swap
    assert own.settings_dict["CONN_HEALTH_CHECKS"]
    settings_dict = {**copy.deepcopy(own.settings_dict), "CONN_HEALTH_CHECKS": health_checks}
    with _default_connection(settings_dict) as wrapper:
        assert _wsgi_get("/incidents/", SESSION)[0] == 302
        dropped = wrapper.connection.info.backend_pid
        with own.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [dropped])
        assert [_wsgi_get("/incidents/", SESSION)[0] for _answer in answers] == answers
        assert wrapper.connection.info.backend_pid != dropped
