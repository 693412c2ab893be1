"""Sessions and knox tokens: 401 JSON without credentials, tokens that expire and are revoked."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.utils import timezone
from knox.models import AuthToken

from tests.api.conftest import client_for


def test_anonymous_api_call_is_401_json_with_token_challenge(db):
    response = client_for(None).get("/api/v1/incidents/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_anonymous_api_call_is_not_redirected_to_the_login_page(db):
    response = client_for(None).get("/api/v1/reports/summary/")
    assert response.status_code == 401
    assert "Location" not in response


@pytest.mark.parametrize(
    "token",
    ["\xff" * 64, "é" * 15 + "a" * 49, "\x00" + "a" * 63, "\x7f" * 64],
    ids=["latin-1", "accented", "nul", "control"],
)
def test_a_token_no_token_could_be_is_a_401_not_a_500(db, token):
    # knox decoded the header as UTF-8 (a UnicodeDecodeError) and looked a NUL up in
    # PostgreSQL (a DataError); tokens are hex.
    response = client_for(None).get("/api/v1/incidents/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_session_login_reads_the_api(reader):
    assert client_for(reader).get("/api/v1/incidents/").status_code == 200


def test_login_returns_a_token_that_authenticates(reader):
    response = client_for(None).post(
        "/api/v1/auth/login/", {"username": "reed", "password": "correct-horse-battery"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "reed"
    assert body["expiry"] is not None
    token_client = client_for(None)
    token_client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert token_client.get("/api/v1/incidents/").status_code == 200


def test_tokens_are_stored_hashed(reader):
    response = client_for(None).post(
        "/api/v1/auth/login/", {"username": "reed", "password": "correct-horse-battery"}
    )
    token = response.json()["token"]
    stored = AuthToken.objects.get(user=reader)
    assert token not in (stored.digest, stored.token_key)
    assert stored.token_key == token[: len(stored.token_key)]


def test_login_with_a_wrong_password_is_a_400_with_a_message(reader):
    response = client_for(None).post(
        "/api/v1/auth/login/", {"username": "reed", "password": "nope"}
    )
    assert response.status_code == 400
    assert response.json()["fields"]["non_field_errors"] == ["Wrong username or password."]


def test_login_can_ask_for_a_shorter_lifetime(reader):
    response = client_for(None).post(
        "/api/v1/auth/login/",
        {"username": "reed", "password": "correct-horse-battery", "ttl_days": 2},
    )
    expiry = AuthToken.objects.get(user=reader).expiry
    assert response.status_code == 200
    assert timedelta(days=1) < expiry - timezone.now() <= timedelta(days=2)


def test_an_expired_token_is_refused_and_deleted(reader):
    instance, token = AuthToken.objects.create(user=reader, expiry=timedelta(days=1))
    AuthToken.objects.filter(pk=instance.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get("/api/v1/incidents/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}
    assert not AuthToken.objects.filter(pk=instance.pk).exists()


def test_logout_revokes_only_the_token_used(reader):
    _first, first = AuthToken.objects.create(user=reader)
    _second, second = AuthToken.objects.create(user=reader)
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert client.get("/api/v1/incidents/").status_code == 401
    other = client_for(None)
    other.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    assert other.get("/api/v1/incidents/").status_code == 200


def test_logout_all_revokes_every_token(reader):
    _first, first = AuthToken.objects.create(user=reader)
    AuthToken.objects.create(user=reader)
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert client.post("/api/v1/auth/logout-all/").status_code == 204
    assert not AuthToken.objects.filter(user=reader).exists()


def test_a_token_deleted_in_the_admin_stops_working(reader):
    instance, token = AuthToken.objects.create(user=reader)
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/teams/").status_code == 200
    instance.delete()
    assert client.get("/api/v1/teams/").status_code == 401


def test_tokens_are_managed_in_the_admin():
    assert AuthToken in admin.site._registry


def test_create_api_token_prints_a_working_token_once(reader):
    out = StringIO()
    call_command("create_api_token", "reed", "--ttl-days", "7", stdout=out)
    token = out.getvalue().strip().splitlines()[0]
    stored = AuthToken.objects.get(user=reader)
    assert timedelta(days=6) < stored.expiry - timezone.now() <= timedelta(days=7)
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/incidents/").status_code == 200


def test_create_api_token_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("create_api_token", "ghost")
