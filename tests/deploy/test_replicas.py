"""Two gunicorn replicas on one PostgreSQL database serve one user as if they were one.

A load balancer sends a user's requests to any replica; this only works if nothing a request
leaves behind stays in a replica's memory or disk. SQLite is one file on one machine, so the
test needs PostgreSQL (CI runs the suite on both).
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest

from tests.deploy.conftest import ON_POSTGRES, Response, Server, manage

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not ON_POSTGRES, reason="replicas share a PostgreSQL database"),
]

SITE = "incidents.example.com"
PASSWORD = "replica-test-pass-1"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HASHED_CSS = re.compile(r'href="(/static/app\.[0-9a-f]{12}\.css)"')


class Browser:
    """One user's cookies, sent to whichever replica the load balancer picks."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def visit(self, server: Server, method: str, path: str, form: dict | None = None) -> Response:
        headers = {"Host": SITE}
        body = None
        if form is not None:
            headers |= {
                "Origin": f"https://{SITE}",
                "Content-Type": "application/x-www-form-urlencoded",
            }
            body = urlencode(form)
        response = server.request(method, path, headers=headers, body=body, cookies=self.cookies)
        for name, value in response.cookies().items():
            if value in {"", '""'}:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response

    def csrf_token(self, server: Server, path: str) -> str:
        return CSRF_FIELD.search(self.visit(server, "GET", path).body.decode()).group(1)


@pytest.fixture(scope="module")
def replica_env(migrated_env) -> dict[str, str]:
    create_user = (
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user('replica-user', password='{PASSWORD}')"
    )
    manage("shell", "--no-imports", "-c", create_user, env=migrated_env)
    return {**migrated_env, "ALLOWED_HOSTS": SITE}


def test_a_session_started_on_one_replica_is_used_and_ended_on_the_other(
    replica_env, start_gunicorn
):
    first, second = start_gunicorn(replica_env), start_gunicorn(replica_env)
    browser = Browser()

    token = browser.csrf_token(first, "/accounts/login/")
    login = browser.visit(
        first,
        "POST",
        "/accounts/login/",
        {"csrfmiddlewaretoken": token, "username": "replica-user", "password": PASSWORD},
    )
    assert login.status == 302, login.body[:2000]
    session_id = browser.cookies["sessionid"]

    # The other replica knows the session: the page is served, to that user.
    home = browser.visit(second, "GET", "/")
    assert home.status == 200
    assert '<span class="who">replica-user</span>' in home.body.decode()
    # ...and only because of the session: without its cookie, that replica sends to the login.
    anonymous = second.get("/", headers={"Host": SITE})
    assert (anonymous.status, anonymous.header("Location")) == (302, "/accounts/login/?next=/")

    # Logging out on the second ends the session on the first too: it lived in the database.
    logout = browser.visit(
        second,
        "POST",
        "/accounts/logout/",
        {"csrfmiddlewaretoken": browser.csrf_token(second, "/")},
    )
    assert logout.status == 302
    after = first.get("/", headers={"Host": SITE}, cookies={"sessionid": session_id})
    assert (after.status, after.header("Location")) == (302, "/accounts/login/?next=/")


def test_each_replica_is_live_ready_and_serves_the_same_static_files(replica_env, start_gunicorn):
    replicas = [start_gunicorn(replica_env), start_gunicorn(replica_env)]

    stylesheets = []
    for replica in replicas:
        for probe in ("/healthz", "/readyz"):
            response = replica.get(probe, behind_tls_proxy=False)
            # /readyz adds the backups' status beside "status" (tests/backups/test_status.py).
            assert (response.status, json.loads(response.body)["status"]) == (200, "ok")
        page = replica.get("/accounts/login/", headers={"Host": SITE})
        css_url = HASHED_CSS.search(page.body.decode()).group(1)
        css = replica.get(css_url, headers={"Host": SITE})
        assert css.status == 200
        assert css.header("Content-Type").startswith("text/css")
        stylesheets.append((css_url, css.body))
    assert stylesheets[0] == stylesheets[1]
