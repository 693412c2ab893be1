"""The OpenID Connect authentication backend: mozilla-django-oidc's code flow, with the ID token
checks it leaves out, and accounts matched on `sub` (config/sso/accounts.py).

mozilla-django-oidc (rather than django-allauth): it is one backend and three views on top of
Django's own login, where allauth brings its own account system (models, login and signup
pages, e-mail flows) that this app does not use. What it does not do, this module does:

- it does not check the ID token's audience (it turns PyJWT's check off) nor its issuer:
  `verify_token` here requires `aud` to be this client (and `azp` when there are several),
  `iss` to be OIDC_ISSUER, and `exp`/`iat` to be present and current;
- it matches users on `email`, which a provider may let people change: here on `sub`;
- errors from the provider (a refused code, a network failure, a malformed answer) escape it
  as exceptions, a 500: here each is a SignInError, a page that says why (config/sso/views.py).

Listed in AUTHENTICATION_BACKENDS only while single sign-on is on: Django loads a signed-in
user's session through it, so turning single sign-on off ends those sessions.
"""

from __future__ import annotations

import hmac
import logging

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from config.sso.accounts import user_sign_in
from config.sso.conf import PROVIDER_TIMEOUT, SignInError, provider_endpoints

logger = logging.getLogger(__name__)

BACKEND = "config.sso.backend.OIDCBackend"
# The clock difference tolerated between the provider and this server.
CLOCK_SKEW_SECONDS = 60
_SIGNING_ALGORITHM = "RS256"
_UNVERIFIED = "The sign-in provider's answer could not be verified. Try signing in again."


def library_setting(name: str, *default):
    """mozilla-django-oidc's settings, from the environment's single sign-on configuration
    (settings.SSO) rather than a second set of Django settings."""
    sso = settings.SSO
    values = {
        "OIDC_RP_CLIENT_ID": sso.client_id,
        "OIDC_RP_CLIENT_SECRET": sso.client_secret,
        "OIDC_RP_SCOPES": sso.scopes,
        "OIDC_RP_SIGN_ALGO": _SIGNING_ALGORITHM,
        "OIDC_USE_NONCE": True,
        # PKCE too: a stolen code is useless without the verifier kept in the session.
        "OIDC_USE_PKCE": True,
        # client_secret_basic: the token endpoint authentication every provider must accept.
        "OIDC_TOKEN_USE_BASIC_AUTH": True,
        "OIDC_TIMEOUT": PROVIDER_TIMEOUT,
        # Kept only to end the provider's session at logout (id_token_hint).
        "OIDC_STORE_ID_TOKEN": sso.logout_at_provider,
        "OIDC_STORE_ACCESS_TOKEN": False,
    }
    if name in values:
        return values[name]
    if default:
        return getattr(settings, name, default[0])
    return getattr(settings, name)


class OIDCBackend(OIDCAuthenticationBackend):
    OIDC_RP_SIGN_ALGO = _SIGNING_ALGORITHM
    OIDC_RP_IDP_SIGN_KEY = None
    get_settings = staticmethod(library_setting)

    def __init__(self, *args, **kwargs):
        # Not the library's: it reads every endpoint here, and Django builds the backends for
        # every permission check and every password login too. The endpoints (perhaps a
        # discovery request) are read only when a sign-in needs them, below.
        self.UserModel = get_user_model()

    @property
    def _endpoints(self):
        return provider_endpoints(settings.SSO)

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self):
        return self._endpoints.token

    @property
    def OIDC_OP_USER_ENDPOINT(self):
        return self._endpoints.userinfo

    @property
    def OIDC_OP_JWKS_ENDPOINT(self):
        return self._endpoints.jwks

    @property
    def OIDC_RP_CLIENT_ID(self):
        return settings.SSO.client_id

    @property
    def OIDC_RP_CLIENT_SECRET(self):
        return settings.SSO.client_secret

    def get_user(self, user_id):
        # The library's skips the is_active check: a deactivated user's session would go on.
        return ModelBackend.get_user(self, user_id)

    def authenticate(self, request, nonce=None, code_verifier=None, **kwargs):
        """Only the sign-in callback calls this, with the nonce it kept in the session; a
        password login asking every backend in turn does not reach the provider."""
        if request is None or nonce is None or settings.SSO is None:
            return None
        try:
            return super().authenticate(request, nonce=nonce, code_verifier=code_verifier)
        except requests.HTTPError as error:
            raise SignInError(
                "The sign-in provider refused this sign-in (it may have expired). Try again.",
                status=400,
                detail=str(error),
            ) from error
        except requests.RequestException as error:
            raise SignInError(
                "The sign-in provider could not be reached. Try again in a moment.",
                status=502,
                detail=repr(error),
            ) from error
        except (SuspiciousOperation, jwt.PyJWTError, KeyError, ValueError, TypeError) as error:
            # A key that is not in the provider's set, a token or answer that does not parse.
            raise SignInError(_UNVERIFIED, status=403, detail=repr(error)) from error

    def verify_token(self, token, **kwargs):
        """The ID token's claims, once its signature (the provider's published keys), issuer,
        audience, expiry and nonce are checked."""
        nonce = kwargs.get("nonce")
        sso = settings.SSO
        if not isinstance(token, str) or nonce is None:
            raise SignInError(_UNVERIFIED, status=403, detail="no ID token, or no nonce to check")
        key = self.retrieve_matching_jwk(token)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[_SIGNING_ALGORITHM],
                audience=sso.client_id,
                issuer=sso.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "aud", "exp", "iat", "sub"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise SignInError(
                "This sign-in has expired. Sign in again (if it keeps happening, check the "
                "server's clock).",
                status=403,
                detail=f"expired ID token: {error}",
            ) from error
        except jwt.PyJWTError as error:
            raise SignInError(_UNVERIFIED, status=403, detail=f"ID token refused: {error!r}") from error
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != sso.client_id:
            # OpenID Connect Core 3.1.3.7: a token for several parties names who it was
            # issued to; it must be this app.
            raise SignInError(_UNVERIFIED, status=403, detail=f"azp={claims.get('azp')!r}")
        if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
            raise SignInError(_UNVERIFIED, status=403, detail="ID token nonce does not match")
        return claims

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims, with the userinfo endpoint's (when the provider has one) on
        top: some providers put the groups in one, some in the other."""
        claims = dict(payload)
        if not self.OIDC_OP_USER_ENDPOINT:
            return claims
        response = requests.get(
            self.OIDC_OP_USER_ENDPOINT,
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=PROVIDER_TIMEOUT,
        )
        response.raise_for_status()
        info = response.json()
        if not isinstance(info, dict) or info.get("sub") != payload["sub"]:
            # OpenID Connect Core 5.3.2: otherwise the answer is about someone else.
            raise SignInError(_UNVERIFIED, status=403, detail="userinfo `sub` differs from the ID token's")
        claims.update(info)
        return claims

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        return user_sign_in(claims=claims, sso=settings.SSO)
