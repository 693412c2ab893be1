"""How an API request proves who it is: knox tokens, first (settings' authentication classes;
sessions come second).

A module of its own, importing no DRF view: DRF reads the authentication classes from the
settings while its views module loads, so a class defined beside views would be a circular
import.
"""

from __future__ import annotations

from knox import auth
from rest_framework.exceptions import AuthenticationFailed

_INVALID_TOKEN = "Invalid token."  # knox's own words for a token it does not know


class TokenAuthentication(auth.TokenAuthentication):
    """knox's, answering a token no knox token could be (tokens are hex) with its usual 401:
    knox decoded any bytes as UTF-8 (a UnicodeDecodeError, a 500) and looked a NUL up in
    PostgreSQL (a DataError)."""

    def authenticate_credentials(self, token: bytes):
        text = token.decode("latin-1")
        if not (text.isascii() and text.isprintable()):
            raise AuthenticationFailed(_INVALID_TOKEN)
        return super().authenticate_credentials(token)
