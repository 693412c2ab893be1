"""The OpenAPI schema's name for the token authentication: knox's (`knoxApiToken`), which
TrackedTokenAuthentication is. Registered when the app is ready (api.apps)."""

from __future__ import annotations

from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme


class TrackedTokenScheme(KnoxTokenScheme):
    target_class = "api.authentication.TrackedTokenAuthentication"
