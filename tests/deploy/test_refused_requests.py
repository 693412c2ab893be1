"""Bad requests through a real gunicorn with DEBUG off: under /api/ every refusal is a JSON 4xx,
whether Django refuses the request before any view (handler400/404 in config/errors.py) or
the API does; a body over the upload limit is a 413, on a page too.

(Bytes that are not ASCII in the request line never reach Django: gunicorn answers those 400
itself.)"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator

import pytest

from tests.deploy.conftest import Server, start_server

LIMIT = 2_621_440  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE, which the settings keep


@pytest.fixture(scope="module")
def server(migrated_env, tmp_path_factory) -> Iterator[Server]:
    server = start_server(migrated_env, tmp_path_factory.mktemp("gunicorn") / "gunicorn.log")
    yield server
    server.stop()


def _json(response, status: int) -> str:
    assert response.status == status, response.body[:300]
    assert response.header("Content-Type") == "application/json"
    return json.loads(response.body)["detail"]


def test_a_host_not_served_here_is_a_json_400_that_does_not_repeat_it(server):
    response = server.get("/api/v1/incidents/", headers={"Host": "evil.example"})
    assert "Host header" in _json(response, 400)
    assert b"evil.example" not in response.body


def test_too_many_query_parameters_is_a_json_400(server):
    # One short name repeated, so the request line stays under gunicorn's own limit.
    response = server.get("/api/v1/incidents/?" + "p&" * 1001)
    assert "Too many parameters" in _json(response, 400)


def test_broken_percent_encoding_in_the_path_is_a_json_404(server):
    assert "No API endpoint" in _json(server.get("/api/v1/%FF%FE/"), 404)


def test_an_undeclared_method_is_a_json_405_with_allow(server):
    response = server.request("TRACE", "/api/v1/incidents/")
    assert "not allowed" in _json(response, 405)
    assert "GET" in response.header("Allow")


def test_bodies_the_api_cannot_read_are_json_4xx(server):
    login = "/api/v1/auth/login/"
    as_json = {"Content-Type": "application/json"}
    too_large = server.request("POST", login, body="x" * (LIMIT + 1), headers=as_json)
    assert f"larger than {LIMIT} bytes" in _json(too_large, 413)
    assert "JSON parse error" in _json(
        server.request("POST", login, body="{", headers=as_json), 400
    )
    form = server.request(
        "POST",
        login,
        body="username=a&password=b",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert "Send application/json" in _json(form, 415)


def _raw(server, request_line: bytes, headers: bytes, body: bytes = b"") -> tuple[bytes, bytes]:
    """Send bytes http.client would refuse to; the status line and the body of the answer."""
    request = (
        request_line
        + f"\r\nHost: 127.0.0.1:{server.port}\r\n".encode()
        + b"X-Forwarded-Proto: https\r\nConnection: close\r\n"
        + headers
        + b"\r\n"
        + body
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, payload = answer.partition(b"\r\n\r\n")
    return head.split(b"\r\n", 1)[0], payload


def test_a_chunked_body_is_a_json_411(server):
    body = b'{"username": "a", "password": "b"}'
    status, payload = _raw(
        server,
        b"POST /api/v1/auth/login/ HTTP/1.1",
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n",
        f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n",
    )
    assert status.startswith(b"HTTP/1.1 411")
    assert "Content-Length" in json.loads(payload)["detail"]


def test_a_token_header_with_bytes_no_token_has_is_a_json_401(server):
    status, payload = _raw(
        server,
        b"GET /api/v1/incidents/ HTTP/1.1",
        b"Authorization: Token " + b"\xff" * 64 + b"\r\n",
    )
    assert status.startswith(b"HTTP/1.1 401")
    assert json.loads(payload) == {"detail": "Invalid token."}


def test_a_page_form_over_the_upload_limit_is_a_413_page(server):
    page = server.get("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body.decode()).group(1)
    response = server.request(
        "POST",
        "/accounts/login/",
        body="csrfmiddlewaretoken=" + token + "&username=" + "x" * LIMIT,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"{server.origin}/accounts/login/",
        },
        cookies=page.cookies(),
    )
    assert response.status == 413
    assert response.header("Content-Type").startswith("text/html")
