"""Login lockout (django-axes) on the web login and the admin login: after LOGIN_FAILURE_LIMIT
wrong passwords for one username from one address, that pair is refused with a 429 page until
the cool-off passes or a superuser unlocks it; a successful login resets the count.

The API login's lockout (JSON) is in tests/api/test_login_lockout.py. Time is moved by dating
the recorded failures back past the cool-off (`cool_off_passes`), never by sleeping.
"""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from tests.conftest import cool_off_passes

WEB_LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
RIGHT = "correct-horse-battery"  # tests/factories.py UserFactory's password


def log_in(client: Client, path: str, username: str, password: str, **extra):
    return client.post(path, {"username": username, "password": password}, **extra)


def fail_times(client: Client, path: str, username: str, times: int, **extra) -> list[int]:
    return [log_in(client, path, username, "wrong", **extra).status_code for _ in range(times)]


def without_csrf_tokens(content: bytes) -> str:
    """A page's text without its CSRF tokens, which are masked afresh for every response."""
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", content.decode())


def is_logged_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


def test_defaults_lock_after_five_failures_for_fifteen_minutes():
    limit_and_cool_off = (settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME)
    assert limit_and_cool_off == (5, timedelta(minutes=15))


@pytest.mark.parametrize(
    ("path", "username"), [(WEB_LOGIN, "reed"), (ADMIN_LOGIN, "root")], ids=["web", "admin"]
)
def test_twenty_wrong_passwords_lock_the_right_one_out_until_the_cool_off_passes(
    reader, superuser, path, username
):
    client = Client()
    codes = fail_times(client, path, username, 20)
    # The form answers the first failures; from the limit on, the lockout page does.
    assert codes[: settings.AXES_FAILURE_LIMIT - 1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert set(codes[settings.AXES_FAILURE_LIMIT - 1 :]) == {429}

    locked = log_in(client, path, username, RIGHT)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session

    cool_off_passes()
    assert is_logged_in(log_in(client, path, username, RIGHT))


def test_the_lockout_page_says_why_and_when_to_retry(reader):
    client = Client()
    fail_times(client, WEB_LOGIN, "reed", settings.AXES_FAILURE_LIMIT)
    response = log_in(client, WEB_LOGIN, "reed", RIGHT)
    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60)
    page = response.content.decode()
    assert "Too many failed logins" in page
    assert "15 minutes" in page
    assert "ask an administrator to unlock" in page


def test_a_locked_out_answer_is_the_same_for_the_right_and_a_wrong_password(reader):
    client = Client()
    fail_times(client, WEB_LOGIN, "reed", settings.AXES_FAILURE_LIMIT)
    wrong = log_in(client, WEB_LOGIN, "reed", "still-wrong")
    right = log_in(client, WEB_LOGIN, "reed", RIGHT)
    assert right.status_code == wrong.status_code == 429
    assert without_csrf_tokens(right.content) == without_csrf_tokens(wrong.content)


def test_an_unknown_username_is_locked_out_like_a_real_one(reader):
    """Otherwise the lockout itself would tell which usernames exist."""
    client = Client()
    assert fail_times(client, WEB_LOGIN, "nobody", 6)[-1] == 429
    assert fail_times(client, WEB_LOGIN, "reed", 6)[-1] == 429


def test_a_successful_login_resets_the_count(reader):
    client = Client()
    below_limit = settings.AXES_FAILURE_LIMIT - 1
    assert set(fail_times(client, WEB_LOGIN, "reed", below_limit)) == {200}
    assert is_logged_in(log_in(client, WEB_LOGIN, "reed", RIGHT))
    client.logout()
    assert set(fail_times(client, WEB_LOGIN, "reed", below_limit)) == {200}
    assert is_logged_in(log_in(client, WEB_LOGIN, "reed", RIGHT))


def test_the_lock_holds_one_username_from_one_address_only(reader, responder):
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    fail_times(attacker, WEB_LOGIN, "reed", 20)
    # The same person from their own address, and another user from the attacker's address.
    assert is_logged_in(log_in(Client(REMOTE_ADDR="198.51.100.1"), WEB_LOGIN, "reed", RIGHT))
    assert is_logged_in(log_in(Client(REMOTE_ADDR="203.0.113.7"), WEB_LOGIN, "rita", RIGHT))


def test_a_forged_forwarded_for_header_does_not_escape_the_lock(reader):
    """With no trusted proxy (TRUSTED_PROXY_COUNT=0) the address is the connection's."""
    client = Client()
    for n in range(20):
        log_in(client, WEB_LOGIN, "reed", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    response = log_in(client, WEB_LOGIN, "reed", RIGHT, HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_client_is_the_forwarded_address(reader, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = Client(REMOTE_ADDR="10.0.0.1")
    fail_times(proxy, WEB_LOGIN, "reed", 20, HTTP_X_FORWARDED_FOR="203.0.113.7")
    locked = log_in(proxy, WEB_LOGIN, "reed", RIGHT, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert locked.status_code == 429
    other = log_in(proxy, WEB_LOGIN, "reed", RIGHT, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert is_logged_in(other)


def test_a_superuser_unlocks_in_the_admin(reader, superuser):
    client = Client()
    fail_times(client, WEB_LOGIN, "reed", 20)
    attempt = AccessAttempt.objects.get(username="reed")

    admin = Client()
    admin.force_login(superuser)
    assert admin.get("/admin/axes/accessattempt/").status_code == 200
    deleted = admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302

    assert is_logged_in(log_in(client, WEB_LOGIN, "reed", RIGHT))


def test_axes_reset_unlocks_everyone(reader):
    client = Client()
    fail_times(client, WEB_LOGIN, "reed", 20)
    call_command("axes_reset", stdout=StringIO())
    assert is_logged_in(log_in(client, WEB_LOGIN, "reed", RIGHT))


def test_failures_do_not_leak_from_one_test_to_the_next(reader):
    """In module order this runs after the lockouts above: it fails if their recorded
    failures survived them (the database is rolled back after each test)."""
    assert not AccessAttempt.objects.exists()
    assert is_logged_in(log_in(Client(), WEB_LOGIN, "reed", RIGHT))


@pytest.mark.parametrize(
    ("path", "data"),
    [(WEB_LOGIN, None), (ADMIN_LOGIN, None), ("/api/v1/auth/login/", "json")],
    ids=["web", "admin", "api"],
)
def test_a_username_longer_than_any_is_counted_and_locked_not_a_500(db, path, data):
    # The failure's record holds 255 characters of username: a longer one made its insert a
    # DataError (a 500) on PostgreSQL. No account has one (usernames stop at 150).
    username = "x" * 100_000
    client = Client()
    credentials = {"username": username, "password": "wrong"}
    if data == "json":
        codes = [
            client.post(path, credentials, content_type="application/json").status_code
            for _ in range(settings.AXES_FAILURE_LIMIT)
        ]
    else:
        codes = [
            client.post(path, credentials).status_code for _ in range(settings.AXES_FAILURE_LIMIT)
        ]
    assert codes[-1] == 429
    assert all(code < 500 for code in codes)
    length = AccessAttempt._meta.get_field("username").max_length
    assert AccessAttempt.objects.get().username == username[:length]
