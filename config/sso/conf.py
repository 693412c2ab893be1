"""Single sign-on settings from the environment, and the provider's endpoints.

Read by config/settings.py at start-up, so nothing here imports models. A bad value stops
start-up with the variable's name, as every other setting does (config/env.py).
"""

from __future__ import annotations

import ipaddress
import os
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_list

# Seconds to wait for the provider (discovery, keys, token, userinfo) before a sign-in fails
# with a page saying so, rather than holding a worker for the system's TCP timeout.
PROVIDER_TIMEOUT = 10
# Discovery documents change rarely; fetched again after this long, or after a failure.
DISCOVERY_TTL = 3600

_ENDPOINT_VARIABLES = {
    "authorization": "OIDC_AUTHORIZATION_ENDPOINT",
    "token": "OIDC_TOKEN_ENDPOINT",
    "jwks": "OIDC_JWKS_URI",
    "userinfo": "OIDC_USERINFO_ENDPOINT",
    "end_session": "OIDC_END_SESSION_ENDPOINT",
}
_REQUIRED_ENDPOINTS = ("authorization", "token", "jwks")


class SignInError(Exception):
    """A sign-in refused or impossible: `message` is shown to the person, `detail` logged."""

    def __init__(self, message: str, *, status: int, detail: str = ""):
        super().__init__(detail or message)
        self.message = message
        self.status = status
        self.detail = detail or message


@dataclass(frozen=True)
class Endpoints:
    authorization: str
    token: str
    jwks: str
    userinfo: str | None = None
    end_session: str | None = None


@dataclass(frozen=True)
class SSOConfig:
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    provider_name: str = "SSO"
    scopes: str = "openid email profile"
    groups_claim: str = "groups"
    # Provider group names per role; None: the role is not managed by single sign-on (it is
    # granted in the admin, and a sign-in leaves it as it is).
    facilitator_groups: frozenset[str] | None = None
    responder_groups: frozenset[str] | None = None
    admin_groups: frozenset[str] | None = None
    # Given in the environment: no discovery request is made.
    endpoints: Endpoints | None = None
    logout_at_provider: bool = False


def env_sso() -> SSOConfig | None:
    """The single sign-on configuration, or None when no OIDC_ISSUER/OIDC_CLIENT_ID is set."""
    issuer = os.environ.get("OIDC_ISSUER", "").strip()
    client_id = os.environ.get("OIDC_CLIENT_ID", "").strip()
    if not issuer and not client_id:
        return None
    if not issuer:
        raise ImproperlyConfigured(
            "OIDC_CLIENT_ID is set but OIDC_ISSUER is not: set OIDC_ISSUER to the provider's "
            "issuer URL (the `iss` of its tokens), e.g. https://sso.example.com/realms/acme."
        )
    _check_url("OIDC_ISSUER", issuer)
    if not client_id:
        raise ImproperlyConfigured("OIDC_ISSUER is set but OIDC_CLIENT_ID is not.")
    client_secret = os.environ.get("OIDC_CLIENT_SECRET", "")
    if not client_secret:
        # The client must prove who it is at the token endpoint; a public client would let
        # anyone who sees a code redeem it.
        raise ImproperlyConfigured(
            "OIDC_CLIENT_SECRET is not set: register the app as a confidential client and "
            "give its secret."
        )
    scopes = " ".join(os.environ.get("OIDC_SCOPES", "openid email profile").split())
    if "openid" not in scopes.split():
        raise ImproperlyConfigured(f"OIDC_SCOPES={scopes!r} must include openid.")
    groups_claim = os.environ.get("OIDC_GROUPS_CLAIM", "groups").strip()
    if not groups_claim:
        raise ImproperlyConfigured("OIDC_GROUPS_CLAIM is empty: name the claim, e.g. groups.")
    return SSOConfig(
        issuer=issuer,
        client_id=client_id,
        client_secret=client_secret,
        provider_name=os.environ.get("OIDC_PROVIDER_NAME", "").strip() or "SSO",
        scopes=scopes,
        groups_claim=groups_claim,
        facilitator_groups=_groups("OIDC_FACILITATOR_GROUPS"),
        responder_groups=_groups("OIDC_RESPONDER_GROUPS"),
        admin_groups=_groups("OIDC_ADMIN_GROUPS"),
        endpoints=_env_endpoints(),
        logout_at_provider=env_bool("OIDC_LOGOUT_AT_PROVIDER", default=False),
    )


def env_local_login(sso: SSOConfig | None) -> bool:
    """LOCAL_LOGIN: whether usernames and passwords log in (web, admin, API token login)."""
    local_login = env_bool("LOCAL_LOGIN", default=True)
    if not local_login and sso is None:
        raise ImproperlyConfigured(
            "LOCAL_LOGIN is off but single sign-on is not configured (OIDC_ISSUER, "
            "OIDC_CLIENT_ID, OIDC_CLIENT_SECRET): nobody could log in."
        )
    return local_login


def _groups(name: str) -> frozenset[str] | None:
    groups = env_list(name, [])
    return frozenset(groups) if groups else None


def _env_endpoints() -> Endpoints | None:
    given = {
        key: os.environ.get(variable, "").strip() for key, variable in _ENDPOINT_VARIABLES.items()
    }
    if not any(given.values()):
        return None
    missing = [_ENDPOINT_VARIABLES[key] for key in _REQUIRED_ENDPOINTS if not given[key]]
    if missing:
        raise ImproperlyConfigured(
            f"{', '.join(missing)} not set: give every endpoint ({', '.join(_ENDPOINT_VARIABLES[k] for k in _REQUIRED_ENDPOINTS)}), "
            "or none and let the app read them from the issuer's discovery document."
        )
    for key, url in given.items():
        if url:
            _check_url(_ENDPOINT_VARIABLES[key], url)
    return Endpoints(**{key: url or None for key, url in given.items()})


def _check_url(name: str, url: str) -> None:
    # Codes, tokens and the keys that check them travel over these: HTTPS, except to a
    # provider on this very machine.
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return
    raise ImproperlyConfigured(
        f"{name}={url!r} is not an https:// URL (plain http only for a provider on this "
        "machine: localhost, 127.0.0.1, [::1])."
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_discovered: dict[str, tuple[float, Endpoints]] = {}
_discovery_lock = threading.Lock()


def provider_endpoints(sso: SSOConfig) -> Endpoints:
    """The endpoints given in the environment, or those the issuer's discovery document names
    (fetched at the first sign-in, not at start-up: a provider that is down must not stop the
    app, nor `manage.py migrate`)."""
    if sso.endpoints is not None:
        return sso.endpoints
    with _discovery_lock:
        cached = _discovered.get(sso.issuer)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        endpoints = _discover(sso.issuer)
        _discovered[sso.issuer] = (time.monotonic() + DISCOVERY_TTL, endpoints)
        return endpoints


def _discover(issuer: str) -> Endpoints:
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=PROVIDER_TIMEOUT)
        response.raise_for_status()
        document = response.json()
        found = Endpoints(
            authorization=document["authorization_endpoint"],
            token=document["token_endpoint"],
            jwks=document["jwks_uri"],
            userinfo=document.get("userinfo_endpoint"),
            end_session=document.get("end_session_endpoint"),
        )
    except (requests.RequestException, ValueError, KeyError, TypeError) as error:
        raise SignInError(
            "The sign-in provider could not be reached. Try again in a moment.",
            status=502,
            detail=f"discovery at {url} failed: {error!r}",
        ) from error
    # OpenID Connect Discovery 4.3: the document must name the issuer it was asked about,
    # or its tokens would be checked against the wrong `iss` (a trailing slash counts).
    if document.get("issuer") != issuer:
        raise SignInError(
            "Single sign-on is misconfigured; the server log says how.",
            status=502,
            detail=f"OIDC_ISSUER={issuer!r} but the provider's discovery document says "
            f"issuer={document.get('issuer')!r}",
        )
    return found
