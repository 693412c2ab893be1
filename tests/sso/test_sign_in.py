"""Single sign-on end to end: the live server and a real OpenID Connect provider (conftest),
a person going through the provider's login and consent forms with requests.Session."""

from __future__ import annotations

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from incidents.roles import FACILITATORS, RESPONDERS
from tests.sso.conftest import REQUEST_TIMEOUT, app_environment, forms, sign_in

pytestmark = [
    # The live server answers from other threads, so the data must be committed; the
    # migrations' role groups are put back for the tests after this module.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migration_data_back_after_the_module"),
]

User = get_user_model()
ALICE = {
    "email": "alice@example.com",
    "email_verified": True,
    "given_name": "Alice",
    "family_name": "Liddell",
    "preferred_username": "alice",
}


def _roles(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def test_first_sign_in_creates_the_user_with_the_mapped_role(oidc, live_server):
    oidc.account("alice-sub-1", **ALICE, groups=["incident-facilitators", "everyone"])
    browser = requests.Session()

    page = sign_in(browser, live_server.url, "alice-sub-1", next_path="/reviews/")

    assert page.status_code == 200
    assert page.url == f"{live_server.url}/reviews/"
    alice = User.objects.get(username="alice-sub-1")
    assert (alice.email, alice.first_name, alice.last_name) == ("alice@example.com", "Alice", "Liddell")
    assert _roles(alice) == {FACILITATORS}
    # Facilitators and responders work in the admin too; nobody is made a superuser.
    assert alice.is_staff
    assert not alice.is_superuser
    assert not alice.has_usable_password()
    home = browser.get(f"{live_server.url}/", timeout=REQUEST_TIMEOUT)
    assert "Hello, Alice" in home.text


def test_a_role_taken_away_at_the_provider_is_lost_at_the_next_sign_in(oidc, live_server):
    oidc.account("alice-sub-2", **ALICE, groups=["incident-facilitators", "oncall"])
    browser = requests.Session()
    sign_in(browser, live_server.url, "alice-sub-2")
    alice = User.objects.get(username="alice-sub-2")
    assert _roles(alice) == {FACILITATORS, RESPONDERS}
    # A group single sign-on does not manage, given in the admin, stays.
    alice.groups.add(Group.objects.create(name="Auditors"))
    _log_out(browser, live_server)
    assert browser.get(f"{live_server.url}/", timeout=REQUEST_TIMEOUT).url.startswith(
        f"{live_server.url}/accounts/login/"
    ), "logout ends the session here"

    # Moved out of the facilitators' group at the provider, renamed too.
    oidc.account("alice-sub-2", **{**ALICE, "family_name": "Hargreaves"}, groups=["oncall"])
    page = sign_in(browser, live_server.url, "alice-sub-2")

    assert page.status_code == 200
    alice.refresh_from_db()
    assert _roles(alice) == {RESPONDERS, "Auditors"}
    assert alice.last_name == "Hargreaves"
    assert User.objects.filter(username__startswith="alice").count() == 1


def _assert_refused(browser, page, live_server, words: str) -> None:
    assert page.url.startswith(f"{live_server.url}/oidc/callback/")
    assert page.status_code == 403
    assert words in page.text
    assert not User.objects.filter(username="mallory").exists(), "no user is created"
    home = browser.get(f"{live_server.url}/", timeout=REQUEST_TIMEOUT)
    assert home.url.startswith(f"{live_server.url}/accounts/login/"), "nobody is signed in"


def test_an_id_token_minted_for_another_client_is_refused(oidc, live_server):
    oidc.write(
        accounts={"mallory": {"groups": ["incident-facilitators"]}},
        idTokenClaimsOverride={"aud": "other"},
    )
    browser = requests.Session()
    page = sign_in(browser, live_server.url, "mallory")
    _assert_refused(browser, page, live_server, "could not be verified")


def test_an_expired_id_token_is_refused(oidc, live_server):
    # The provider's clock ten minutes behind: its ID tokens (a minute's life) arrive expired.
    oidc.write(accounts={"mallory": {}}, clockOffsetSeconds=-600)
    browser = requests.Session()
    page = sign_in(browser, live_server.url, "mallory")
    _assert_refused(browser, page, live_server, "This sign-in has expired")


def test_an_id_token_from_another_issuer_is_refused(oidc, sso_environment, live_server):
    # The app expects another issuer than the one that signs the tokens it is given.
    oidc.account("mallory")
    sso_environment(
        OIDC_ISSUER=f"{oidc.issuer}/someone-else",
        OIDC_CLIENT_ID="tracker",
        OIDC_CLIENT_SECRET="tracker-secret",
        OIDC_AUTHORIZATION_ENDPOINT=f"{oidc.issuer}/auth",
        OIDC_TOKEN_ENDPOINT=f"{oidc.issuer}/token",
        OIDC_JWKS_URI=f"{oidc.issuer}/jwks",
    )
    browser = requests.Session()
    page = sign_in(browser, live_server.url, "mallory")
    _assert_refused(browser, page, live_server, "could not be verified")


def test_refused_sign_ins_do_not_lock_anyone_out(oidc, live_server, settings):
    """The login lockout counts wrong passwords; refused single sign-ons are not that, and a
    lockout of this address or username does not stop the next good sign-in."""
    settings.AXES_FAILURE_LIMIT = 2
    oidc.write(accounts={"alice-sub-3": ALICE}, idTokenClaimsOverride={"aud": "other"})
    browser = requests.Session()
    for _ in range(3):
        assert sign_in(browser, live_server.url, "alice-sub-3").status_code == 403
    # The same username locked out for passwords from this address, too.
    browser.get(f"{live_server.url}/accounts/login/", timeout=REQUEST_TIMEOUT)
    for _ in range(2):
        locked = browser.post(
            f"{live_server.url}/accounts/login/",
            data={"username": "alice-sub-3", "password": "wrong"},
            headers={"X-CSRFToken": browser.cookies["csrftoken"]},
            timeout=REQUEST_TIMEOUT,
        )
    assert locked.status_code == 429

    oidc.write(accounts={"alice-sub-3": ALICE})
    page = sign_in(browser, live_server.url, "alice-sub-3")

    assert page.status_code == 200
    assert page.url == f"{live_server.url}/"
    assert User.objects.filter(username="alice-sub-3").exists()


def _log_out(browser, live_server):
    return browser.post(
        f"{live_server.url}/accounts/logout/",
        headers={"X-CSRFToken": browser.cookies["csrftoken"]},
        timeout=REQUEST_TIMEOUT,
    )


def test_logout_can_end_the_session_at_the_provider_too(oidc, sso_environment, live_server):
    sso_environment(**app_environment(oidc, OIDC_LOGOUT_AT_PROVIDER="1"))
    oidc.account("alice-sub-4", **ALICE)
    browser = requests.Session()
    sign_in(browser, live_server.url, "alice-sub-4")

    # The provider asks to confirm (its own page); yes: back to the app's login page.
    confirm = _log_out(browser, live_server)
    assert confirm.url.startswith(f"{oidc.issuer}/session/end")
    [(action, fields)] = forms(confirm)
    page = browser.post(action, data={**fields, "logout": "yes"}, timeout=REQUEST_TIMEOUT)

    assert page.url == f"{live_server.url}/accounts/login/"
    assert "Sign in with Test SSO" in page.text
    # Signed out in both places: the next sign-in asks for the login at the provider again.
    again = browser.get(f"{live_server.url}/oidc/authenticate/", timeout=REQUEST_TIMEOUT)
    assert [fields.get("prompt") for _, fields in forms(again)] == ["login"]
