"""Throttles: API logins per client address, writes (POST, PUT, PATCH, DELETE) per user.
Reads are not throttled. Over the rate, DRF answers 429 with Retry-After (JSON, as every error).

Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] ("login", "write"; API_LOGIN_RATE and
API_WRITE_RATE in the environment). The counts live in Django's default cache: a per-process
cache unless REDIS_URL is set, so a deployment with several processes or replicas needs the
shared cache for a rate to hold across them.
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class _ScopedThrottle(SimpleRateThrottle):
    methods: frozenset[str] = frozenset()

    @classmethod
    def applies_to(cls, method: str) -> bool:
        """Whether a request with this method is counted (the schema documents 429 by it)."""
        return method.upper() in cls.methods

    def get_rate(self):
        # Read at each request: DRF's class attribute keeps the rates of import time, which a
        # settings change (a test's override) would not reach.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def allow_request(self, request, view):
        if not self.applies_to(request.method):
            return True
        return super().allow_request(request, view)


class LoginRateThrottle(_ScopedThrottle):
    """API logins per client address (config.login_lockout.client_ip's rule): slows a guesser
    trying many usernames, which the per-username lockout alone would not."""

    scope = "login"
    methods = frozenset({"POST"})

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class WriteRateThrottle(_ScopedThrottle):
    """Writes per user (per address for the anonymous, whom authentication refuses anyway)."""

    scope = "write"
    methods = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            ident = request.user.pk
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
