"""How API requests authenticate with a token: django-rest-knox's, noting each token's last
use for the tokens page, and answering a token no knox token could be with knox's 401. A module
of its own, importing no DRF view: DRF's settings import it while `rest_framework.views` is
still loading."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from knox.auth import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from api.models import TokenLabel

# Last use is written at most this often per token: a write per request would cost more than
# the answer is worth.
LAST_USE_RESOLUTION = timedelta(minutes=1)
_INVALID_TOKEN = "Invalid token."  # knox's own words for a token it does not know


class TrackedTokenAuthentication(TokenAuthentication):
    """Knox's token authentication, noting when each token was last used (to the minute)."""

    def authenticate_credentials(self, token):
        # Tokens are hex: knox decoded any bytes as UTF-8 (a UnicodeDecodeError, a 500) and
        # looked a NUL up in PostgreSQL (a DataError).
        text = token.decode("latin-1")
        if not (text.isascii() and text.isprintable()):
            raise AuthenticationFailed(_INVALID_TOKEN)
        user, auth_token = super().authenticate_credentials(token)
        now = timezone.now()
        TokenLabel.objects.filter(pk=auth_token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USE_RESOLUTION)
        ).update(last_used_at=now)
        return user, auth_token
