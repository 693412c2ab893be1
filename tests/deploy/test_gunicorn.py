"""The production configuration, served by a real gunicorn on loopback with DEBUG off."""

from __future__ import annotations

import gzip
import json
import re
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from django.conf import settings

from tests.deploy.conftest import GUNICORN, Server, clean_environment, free_port, start_server

HASHED_CSS = re.compile(r'<link rel="stylesheet" href="(/static/app\.[0-9a-f]{12}\.css)">')


@pytest.fixture(scope="module")
def server(migrated_env, tmp_path_factory) -> Iterator[Server]:
    """One server for the module: the production variables, a public host name as well."""
    env = {**migrated_env, "ALLOWED_HOSTS": "127.0.0.1,incidents.example.com"}
    server = start_server(env, tmp_path_factory.mktemp("gunicorn") / "gunicorn.log")
    yield server
    server.stop()


def test_a_page_is_styled_with_hashed_compressed_static_files(server):
    page = server.get("/accounts/login/")
    assert page.status == 200
    css_url = HASHED_CSS.search(page.body.decode()).group(1)

    css = server.get(css_url)
    assert css.status == 200
    assert css.header("Content-Type").startswith("text/css")
    assert css.body == (settings.BASE_DIR / "static" / "app.css").read_bytes()
    # A hashed name never changes content, so browsers may keep it for good.
    assert "immutable" in css.header("Cache-Control")

    compressed = server.get(css_url, headers={"Accept-Encoding": "gzip"})
    assert compressed.header("Content-Encoding") == "gzip"
    assert gzip.decompress(compressed.body) == css.body
    # Only the hashed names are kept: an unhashed URL would serve a stale file forever.
    assert server.get("/static/app.css").status == 404


def test_probes_answer_a_pod_address_over_plain_http(server):
    kubelet = {"Host": "10.1.2.3:8000", "User-Agent": "kube-probe/1.31"}

    for path in ("/healthz", "/readyz"):
        response = server.get(path, headers=kubelet, behind_tls_proxy=False)
        assert response.status == 200, (path, response.body)
        assert json.loads(response.body)["status"] == "ok"
    # Any other page from that address is refused (host check), and over plain HTTP a
    # permitted host is sent to HTTPS: the probes are the exception, not the rule.
    assert server.get("/accounts/login/", headers=kubelet).status == 400
    redirect = server.get(
        "/accounts/login/", headers={"Host": "incidents.example.com"}, behind_tls_proxy=False
    )
    assert redirect.status == 301
    assert redirect.header("Location") == "https://incidents.example.com/accounts/login/"


def test_https_behind_the_proxy_gets_hsts_and_secure_cookies(server):
    page = server.get("/accounts/login/")
    assert page.status == 200
    assert page.header("Strict-Transport-Security") == "max-age=31536000"
    csrf_cookie = next(
        value for value in page.headers.get_all("Set-Cookie") if value.startswith("csrftoken=")
    )
    assert "Secure" in csrf_cookie


def test_readyz_is_503_until_migrations_are_applied(production_env, start_gunicorn):
    server = start_gunicorn(production_env)

    response = server.get("/readyz")
    assert response.status == 503
    body = json.loads(response.body)
    assert body["status"] == "unavailable"
    assert "not applied" in body["detail"]
    assert server.get("/healthz").status == 200


def test_readyz_is_503_when_the_database_is_unreachable(production_env, start_gunicorn, tmp_path):
    if production_env["DATABASE_URL"].startswith("sqlite"):
        unreachable = f"sqlite:///{tmp_path / 'no-such-folder' / 'db.sqlite3'}"
    else:
        unreachable = f"postgres://postgres@127.0.0.1:{free_port()}/irt?connect_timeout=2"
    server = start_gunicorn({**production_env, "DATABASE_URL": unreachable})

    response = server.get("/readyz")
    assert response.status == 503
    assert json.loads(response.body) == {"status": "unavailable", "detail": "database unreachable"}
    # Alive all the same: restarting the process would not bring the database back.
    assert server.get("/healthz").status == 200


def test_every_line_is_json_with_the_request_fields(server):
    response = server.get("/accounts/login/", headers={"X-Request-ID": "proxy-req-42"})
    generated = server.get("/accounts/login/")

    assert response.header("X-Request-ID") == "proxy-req-42"
    lines = server.log_lines()
    assert lines, "gunicorn wrote nothing"
    entries = [json.loads(line) for line in lines]  # every line, gunicorn's own included
    assert any(entry["logger"] == "gunicorn.error" for entry in entries)
    ours = {"proxy-req-42", generated.header("X-Request-ID")}
    requests = [
        entry
        for entry in entries
        if entry["logger"] == "config.request" and entry["request_id"] in ours
    ]
    assert requests[0] | {"duration_ms": 0} == {
        "time": requests[0]["time"],
        "level": "INFO",
        "logger": "config.request",
        "message": requests[0]["message"],
        "request_id": "proxy-req-42",
        "method": "GET",
        "path": "/accounts/login/",
        "status": 200,
        "duration_ms": 0,
    }
    assert requests[0]["duration_ms"] > 0
    assert requests[1]["request_id"] == generated.header("X-Request-ID")
    assert re.fullmatch(r"[0-9a-f]{32}", requests[1]["request_id"])


def test_gunicorn_reads_its_settings_from_the_environment():
    env = clean_environment(
        GUNICORN_WORKERS="3", GUNICORN_THREADS="8", GUNICORN_TIMEOUT="45", DEBUG="1"
    )
    result = subprocess.run(
        [str(GUNICORN), "-c", "config/gunicorn.conf.py", "--print-config", "config.wsgi"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    printed = dict(
        re.split(r"\s*=\s*", line, maxsplit=1) for line in result.stdout.splitlines() if "=" in line
    )
    assert printed["worker_class"] == "gthread"
    assert (printed["workers"], printed["threads"], printed["timeout"]) == ("3", "8", "45")
    assert printed["control_socket_disable"] == "True"


def test_a_bad_gunicorn_variable_stops_start_up_with_its_name():
    result = subprocess.run(
        [str(GUNICORN), "-c", "config/gunicorn.conf.py", "--check-config", "config.wsgi"],
        cwd=settings.BASE_DIR,
        env=clean_environment(GUNICORN_WORKERS="many"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "GUNICORN_WORKERS='many' is not a whole number" in result.stdout + result.stderr


def test_a_request_longer_than_the_worker_timeout_is_not_killed(production_env, start_gunicorn):
    # A "database" that accepts the connection and never answers: /readyz then takes the
    # connect timeout (6 s), three times GUNICORN_TIMEOUT. A sync worker would be killed
    # mid-request (a 500, "WORKER TIMEOUT"); a gthread worker keeps its heartbeat while a
    # thread waits. One thread, because gunicorn turns a sync worker with threads into gthread.
    # Not a timeout of 1 s: a gthread worker beats once a second when idle (its poll waits 1 s),
    # so on a busy machine a 1 s timeout kills even a healthy worker (it did, in CI).
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        server = start_gunicorn(
            {
                **production_env,
                "GUNICORN_TIMEOUT": "2",
                "GUNICORN_THREADS": "1",
                "DATABASE_URL": f"postgres://x@127.0.0.1:{port}/x?connect_timeout=6",
            }
        )
        started = time.monotonic()
        response = server.get("/readyz")
        elapsed = time.monotonic() - started

    assert elapsed > 4
    assert response.status == 503
    assert json.loads(response.body)["detail"] == "database unreachable"
    assert "WORKER TIMEOUT" not in server.log_path.read_text()
