"""The login pages with single sign-on off, on, and on with passwords turned off (LOCAL_LOGIN=0);
the sign-in callback's refusals that need no provider to answer. The provider's side is in
test_sign_in.py."""

from __future__ import annotations

import pytest
from django.urls import reverse

from api.auth import token_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # UserFactory's
# Nothing listens on port 9: a test that reached the provider would fail with a 502 page.
UNREACHABLE = "http://127.0.0.1:9"


@pytest.fixture
def sso_on(sso_environment):
    def configure(**extra: str):
        return sso_environment(
            OIDC_ISSUER=UNREACHABLE,
            OIDC_CLIENT_ID="incidents",
            OIDC_CLIENT_SECRET="s",
            OIDC_PROVIDER_NAME="Acme SSO",
            OIDC_AUTHORIZATION_ENDPOINT=f"{UNREACHABLE}/auth",
            OIDC_TOKEN_ENDPOINT=f"{UNREACHABLE}/token",
            OIDC_JWKS_URI=f"{UNREACHABLE}/jwks",
            **extra,
        )

    return configure


def test_without_single_sign_on_the_login_page_has_only_the_password_form(client, sso_environment):
    sso_environment()
    page = client.get(reverse("login")).content.decode()
    assert 'name="password"' in page
    assert "Sign in with" not in page
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404


def test_with_single_sign_on_the_login_page_offers_both(client, sso_on):
    sso_on()
    page = client.get(reverse("login") + "?next=/reviews/").content.decode()
    assert "Sign in with Acme SSO" in page
    assert 'href="/oidc/authenticate/?next=/reviews/"' in page
    assert 'name="password"' in page


def test_sign_in_starts_at_the_provider_with_state_nonce_and_pkce(client, sso_on):
    sso_on()
    response = client.get("/oidc/authenticate/?next=/reviews/")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{UNREACHABLE}/auth?")
    for parameter in ("state=", "nonce=", "code_challenge=", "code_challenge_method=S256",
                      "client_id=incidents", "redirect_uri=http%3A%2F%2Ftestserver%2Foidc%2Fcallback%2F"):
        assert parameter in location


def test_with_passwords_off_the_web_login_has_no_password_form_and_refuses_one(client, sso_on):
    sso_on(LOCAL_LOGIN="0")
    user = UserFactory(username="pat")
    page = client.get(reverse("login")).content.decode()
    assert "Sign in with Acme SSO" in page
    assert 'name="password"' not in page

    response = client.post(reverse("login"), {"username": "pat", "password": PASSWORD})

    assert response.status_code == 403
    assert "Password login is turned off here: sign in with Acme SSO." in response.content.decode()
    assert "_auth_user_id" not in client.session
    user.refresh_from_db()
    assert user.last_login is None


def test_with_passwords_off_the_admin_login_sends_to_the_login_page_and_refuses_a_password(client, sso_on):
    sso_on(LOCAL_LOGIN="0")
    UserFactory(username="root", is_staff=True, is_superuser=True)

    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/"

    response = client.post("/admin/login/", {"username": "root", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_with_single_sign_on_the_admin_login_offers_it_beside_the_password(client, sso_on):
    sso_on()
    page = client.get("/admin/login/?next=/admin/").content.decode()
    assert "Sign in with Acme SSO" in page
    assert 'name="password"' in page


def test_with_passwords_off_the_api_password_login_is_refused_but_tokens_work(client, sso_on):
    sso_on(LOCAL_LOGIN="0")
    user = UserFactory(username="pat")

    response = client.post(
        "/api/v1/auth/login/", {"username": "pat", "password": PASSWORD}, content_type="application/json"
    )

    assert response.status_code == 403
    assert "Password login is turned off" in response.json()["detail"]
    _, token = token_create(user=user)
    response = client.get("/api/v1/incidents/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("", 400, "Start again from the login page"),
        ("?code=abc&state=never-started", 400, "Start again from the login page"),
        ("?error=access_denied&error_description=Call+555-0100+now", 403, "did not sign you in."),
    ],
)
def test_a_callback_that_this_browser_did_not_start_is_refused_with_a_page(client, sso_on, query, status, words):
    sso_on()
    response = client.get("/oidc/callback/" + query)
    assert response.status_code == status
    page = response.content.decode()
    assert words in page
    assert "555" not in page, "the provider's (or a forged link's) words are not shown"


def test_a_used_state_cannot_be_replayed(client, sso_on):
    sso_on()
    location = client.get("/oidc/authenticate/")["Location"]
    state = location.split("state=")[1].split("&")[0]
    # The provider is unreachable: the first use fails there (502), and uses the state up.
    first = client.get(f"/oidc/callback/?code=abc&state={state}")
    assert first.status_code == 502
    second = client.get(f"/oidc/callback/?code=abc&state={state}")
    assert second.status_code == 400


def test_an_unreachable_provider_is_a_page_saying_so(client, sso_environment):
    sso_environment(OIDC_ISSUER=UNREACHABLE, OIDC_CLIENT_ID="i", OIDC_CLIENT_SECRET="s")
    response = client.get("/oidc/authenticate/")
    assert response.status_code == 502
    assert "could not be reached" in response.content.decode()
