"""Single sign-on is configured from OIDC_* variables; a bad one stops start-up, named."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.sso.conf import Endpoints, env_local_login, env_sso
from tests.test_settings import _start

GOOD = {
    "OIDC_ISSUER": "https://sso.example.com/realms/acme",
    "OIDC_CLIENT_ID": "incidents",
    "OIDC_CLIENT_SECRET": "s3cret",
}


@pytest.fixture
def environment(monkeypatch):
    def set_variables(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)

    for name in [*GOOD, "OIDC_AUTHORIZATION_ENDPOINT", "OIDC_TOKEN_ENDPOINT", "OIDC_JWKS_URI",
                 "OIDC_USERINFO_ENDPOINT", "OIDC_SCOPES", "OIDC_FACILITATOR_GROUPS",
                 "OIDC_RESPONDER_GROUPS", "OIDC_ADMIN_GROUPS", "OIDC_PROVIDER_NAME",
                 "OIDC_GROUPS_CLAIM", "OIDC_LOGOUT_AT_PROVIDER", "LOCAL_LOGIN"]:
        monkeypatch.delenv(name, raising=False)
    return set_variables


def test_without_oidc_variables_single_sign_on_is_off_and_passwords_work(environment):
    assert env_sso() is None
    assert env_local_login(None) is True


def test_the_variables_are_read(environment):
    environment(
        **GOOD,
        OIDC_PROVIDER_NAME="Acme Keycloak",
        OIDC_FACILITATOR_GROUPS="facilitators, /incidents/leads",
        OIDC_RESPONDER_GROUPS="oncall",
        OIDC_ADMIN_GROUPS="tracker-admins",
        OIDC_GROUPS_CLAIM="roles",
    )
    sso = env_sso()
    assert sso.issuer == GOOD["OIDC_ISSUER"]
    assert sso.provider_name == "Acme Keycloak"
    assert sso.facilitator_groups == {"facilitators", "/incidents/leads"}
    assert sso.responder_groups == {"oncall"}
    assert sso.admin_groups == {"tracker-admins"}
    assert sso.groups_claim == "roles"
    assert sso.scopes == "openid email profile"
    assert sso.endpoints is None, "discovered from the issuer"
    assert "s3cret" not in repr(sso)


def test_a_role_without_its_variable_is_not_managed_by_single_sign_on(environment):
    environment(**GOOD)
    sso = env_sso()
    assert (sso.facilitator_groups, sso.responder_groups, sso.admin_groups) == (None, None, None)


def test_explicit_endpoints_replace_discovery(environment):
    environment(
        **GOOD,
        OIDC_AUTHORIZATION_ENDPOINT="https://sso.example.com/auth",
        OIDC_TOKEN_ENDPOINT="https://sso.example.com/token",
        OIDC_JWKS_URI="https://sso.example.com/keys",
    )
    assert env_sso().endpoints == Endpoints(
        authorization="https://sso.example.com/auth",
        token="https://sso.example.com/token",
        jwks="https://sso.example.com/keys",
    )


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"OIDC_CLIENT_ID": "x"}, "OIDC_CLIENT_ID is set but OIDC_ISSUER is not"),
        ({**GOOD, "OIDC_ISSUER": "http://sso.example.com"}, "OIDC_ISSUER='http://sso.example.com' is not an https:// URL"),
        ({**GOOD, "OIDC_ISSUER": "sso.example.com"}, "OIDC_ISSUER='sso.example.com' is not an https:// URL"),
        ({**GOOD, "OIDC_CLIENT_SECRET": ""}, "OIDC_CLIENT_SECRET is not set"),
        ({**GOOD, "OIDC_SCOPES": "email profile"}, "OIDC_SCOPES='email profile' must include openid"),
        ({**GOOD, "OIDC_TOKEN_ENDPOINT": "https://sso.example.com/token"}, "OIDC_AUTHORIZATION_ENDPOINT, OIDC_JWKS_URI not set"),
        ({**GOOD, "OIDC_LOGOUT_AT_PROVIDER": "sometimes"}, "OIDC_LOGOUT_AT_PROVIDER='sometimes' is not a boolean"),
    ],
)
def test_a_bad_value_names_its_variable(environment, variables, message):
    environment(**variables)
    with pytest.raises(ImproperlyConfigured, match=message):
        env_sso()


def test_a_provider_on_this_machine_may_use_plain_http(environment):
    environment(**{**GOOD, "OIDC_ISSUER": "http://127.0.0.1:8080/realms/dev"})
    assert env_sso().issuer == "http://127.0.0.1:8080/realms/dev"


def test_passwords_off_without_single_sign_on_stops_start_up():
    result = _start(LOCAL_LOGIN="0")
    assert result.returncode != 0
    assert "LOCAL_LOGIN is off but single sign-on is not configured" in result.stderr


def test_a_bad_issuer_stops_start_up_with_its_name():
    result = _start(**{**GOOD, "OIDC_ISSUER": "ftp://sso.example.com"})
    assert result.returncode != 0
    assert "OIDC_ISSUER='ftp://sso.example.com' is not an https:// URL" in result.stderr


def test_start_up_with_single_sign_on_and_no_passwords_makes_no_request_to_the_provider():
    # The provider is unreachable (nothing listens on port 9): start-up does not ask it.
    result = _start(
        "check", OIDC_ISSUER="http://127.0.0.1:9", OIDC_CLIENT_ID="x", OIDC_CLIENT_SECRET="y",
        LOCAL_LOGIN="0",
    )
    assert result.returncode == 0, result.stderr
