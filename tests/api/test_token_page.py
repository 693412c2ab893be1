"""/account/tokens/: a person's own API tokens, named, with their expiry and last use; one is
shown once when created, and revoked with a button."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from api.auth import token_create
from api.models import TokenLabel

pytestmark = pytest.mark.django_db
PAGE = reverse("api_tokens")


def _api_with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _shown_token(html: str) -> str:
    return re.search(r'<code class="token-value">([^<]+)</code>', html).group(1)


def test_a_named_token_is_shown_once_and_works(client, reader):
    client.force_login(reader)
    response = client.post(PAGE, {"name": "weekly report", "days": "90"})
    assert response.status_code == 200
    token = _shown_token(response.text)
    assert "Copy it now: it is not shown again." in response.text
    instance = AuthToken.objects.get(user=reader)
    assert instance.label.name == "weekly report"
    assert timedelta(days=89) < instance.expiry - timezone.now() <= timedelta(days=90)
    assert _api_with(token).get("/api/v1/incidents/").status_code == 200
    page = client.get(PAGE).text
    assert "weekly report" in page
    assert token not in page  # never again
    assert f"<code>{instance.token_key}…</code>" in page


def test_the_page_says_when_each_token_was_last_used(client, reader):
    instance, token = token_create(user=reader, name="ci")
    client.force_login(reader)
    assert "never" in client.get(PAGE).text
    _api_with(token).get("/api/v1/incidents/")
    used = TokenLabel.objects.get(token=instance).last_used_at
    assert used is not None
    assert used.strftime("%Y-%m-%d %H:%M") in client.get(PAGE).text


def test_last_use_is_written_at_most_once_a_minute(reader, django_assert_num_queries):
    _instance, token = token_create(user=reader, name="busy")
    api = _api_with(token)
    api.get("/api/v1/teams/")
    first = TokenLabel.objects.get().last_used_at
    api.get("/api/v1/teams/")
    assert TokenLabel.objects.get().last_used_at == first


def test_revoking_a_token_refuses_it_from_then_on(client, reader):
    instance, token = token_create(user=reader, name="old script")
    client.force_login(reader)
    response = client.post(PAGE, {"revoke": instance.token_key}, follow=True)
    assert "Token revoked" in response.text
    assert not AuthToken.objects.filter(user=reader).exists()
    assert _api_with(token).get("/api/v1/incidents/").status_code == 401


def test_nobody_sees_or_revokes_another_persons_tokens(client, reader, outsider):
    instance, token = token_create(user=outsider, name="otto's secret script")
    client.force_login(reader)
    assert "secret script" not in client.get(PAGE).text
    response = client.post(PAGE, {"revoke": instance.token_key}, follow=True)
    assert "No such token of yours" in response.text
    assert _api_with(token).get("/api/v1/incidents/").status_code == 200


@pytest.mark.parametrize("key", ["a\x00b", "x" * 10_000, ""], ids=["nul", "long", "empty"])
def test_revoking_a_key_no_token_has_says_so_never_a_500(client, reader, key):
    # A NUL made the lookup a DataError on PostgreSQL.
    token_create(user=reader, name="kept")
    client.force_login(reader)
    response = client.post(PAGE, {"revoke": key}, follow=True)
    assert "No such token of yours" in response.text
    assert AuthToken.objects.filter(user=reader).count() == 1


def test_a_token_needs_a_name_and_a_known_expiry(client, reader):
    client.force_login(reader)
    assert "This field is required." in client.post(PAGE, {"name": "", "days": "30"}).text
    assert "Select a valid choice" in client.post(PAGE, {"name": "x", "days": "9999"}).text
    assert not AuthToken.objects.exists()


def test_the_page_needs_a_login_and_its_forms_a_csrf_token(client, reader):
    assert client.get(PAGE).status_code == 302
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(reader)
    assert strict.post(PAGE, {"name": "x", "days": "30"}).status_code == 403


def test_api_logins_and_the_command_name_their_tokens(reader):
    response = APIClient().post(
        "/api/v1/auth/login/", {"username": "reed", "password": "correct-horse-battery"}
    )
    assert response.status_code == 200
    assert AuthToken.objects.get(user=reader).label.name == "API login"
