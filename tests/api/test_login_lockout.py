"""The API login's lockout (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one
username from one address, a JSON 429 with Retry-After, whatever the password, until the
cool-off passes. Web and admin logins: tests/test_login_lockout.py."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from tests.api.conftest import client_for
from tests.conftest import cool_off_passes

LOGIN = "/api/v1/auth/login/"
RIGHT = "correct-horse-battery"  # tests/factories.py UserFactory's password


@pytest.fixture(autouse=True)
def _login_throttle_out_of_the_way(settings):
    # The login throttle (per address) would answer 429 before the lockout counts 20 failures;
    # these tests are about the lockout. tests/api/test_throttling.py tests the throttle.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "login": "1000/minute",
        },
    }


def log_in(client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def test_twenty_wrong_passwords_lock_the_api_login_until_the_cool_off_passes(reader):
    client = client_for(None)
    codes = [log_in(client, "reed", "wrong").status_code for _ in range(20)]
    assert codes[: settings.AXES_FAILURE_LIMIT - 1] == [400] * (settings.AXES_FAILURE_LIMIT - 1)
    assert set(codes[settings.AXES_FAILURE_LIMIT - 1 :]) == {429}

    locked = log_in(client, "reed", RIGHT)
    assert locked.status_code == 429
    assert "token" not in locked.json()

    cool_off_passes()
    accepted = log_in(client, "reed", RIGHT)
    assert accepted.status_code == 200
    assert accepted.json()["token"]


def test_a_locked_out_api_login_is_json_saying_why_with_retry_after(reader):
    client = client_for(None)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "reed", "wrong")
    response = log_in(client, "reed", RIGHT)
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == str(15 * 60)
    assert response.json() == {
        "detail": "Too many failed logins for this username from your address. Try again in "
        "15 minutes, or ask an administrator to unlock it."
    }


def test_a_locked_out_api_login_is_the_same_for_the_right_and_a_wrong_password(reader):
    client = client_for(None)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "reed", "wrong")
    wrong = log_in(client, "reed", "still-wrong")
    right = log_in(client, "reed", RIGHT)
    assert (right.status_code, right.json()) == (wrong.status_code, wrong.json())


def test_a_successful_api_login_resets_the_count(reader):
    client = client_for(None)
    for _ in range(2):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert log_in(client, "reed", "wrong").status_code == 400
        assert log_in(client, "reed", RIGHT).status_code == 200


def test_web_and_api_failures_count_together(reader):
    """One lock per username and address, whichever door the guesses come through."""
    web = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        web.post("/accounts/login/", {"username": "reed", "password": "wrong"})
    assert log_in(client_for(None), "reed", RIGHT).status_code == 429
