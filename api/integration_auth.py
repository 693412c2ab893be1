"""How integrations authenticate: a bearer token this app issued (Alertmanager's webhook, a
Prometheus scrape), or PagerDuty's signature over the raw body. Either way the request's
`auth` is the Integration and its user stays anonymous: an integration is no person, acts
under no role, and is never the author of anything it writes.

A request without the credential, or with a wrong one, is a 401 (`IntegrationAuthenticated`).
"""

from __future__ import annotations

import hashlib
import hmac

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission

from integrations.models import Integration

SIGNATURE_HEADER = "X-PagerDuty-Signature"


class IntegrationTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <token>` of an active integration of `kind`."""

    kind: str = ""

    def authenticate(self, request):
        scheme, _, token = get_authorization_header(request).decode("latin-1").partition(" ")
        if scheme.lower() != "bearer":
            return None
        integration = Integration.objects.by_token(kind=self.kind, token=token.strip())
        if integration is None:
            raise AuthenticationFailed("Unknown or revoked token.")
        return AnonymousUser(), integration

    def authenticate_header(self, request):
        return 'Bearer realm="integrations"'


class AlertmanagerTokenAuthentication(IntegrationTokenAuthentication):
    kind = Integration.Kind.ALERTMANAGER


class PrometheusTokenAuthentication(IntegrationTokenAuthentication):
    kind = Integration.Kind.PROMETHEUS


def signatures_match(secret: str, body: bytes, header: str) -> bool:
    """Whether one of the header's `v1=` signatures is the HMAC-SHA256 of the body under the
    secret. PagerDuty sends several, comma-separated, while a secret is being rotated."""
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    signatures = [part.strip() for part in header.split(",")]
    return any(
        hmac.compare_digest(expected, signature.removeprefix("v1="))
        for signature in signatures
        if signature.startswith("v1=")
    )


class PagerDutySignatureAuthentication(BaseAuthentication):
    """`X-PagerDuty-Signature` made with the signing secret of an active PagerDuty
    integration (each is tried: there are few)."""

    def authenticate(self, request):
        header = request.META.get("HTTP_X_PAGERDUTY_SIGNATURE", "")
        if not header:
            return None
        body = request._request.body  # the raw bytes: the signature is over them, unparsed
        for integration in Integration.objects.active().filter(kind=Integration.Kind.PAGERDUTY):
            if integration.signing_secret and signatures_match(
                integration.signing_secret, body, header
            ):
                return AnonymousUser(), integration
        raise AuthenticationFailed("No signature matches a PagerDuty integration's secret.")

    def authenticate_header(self, request):
        return f'{SIGNATURE_HEADER} realm="integrations"'


class IntegrationAuthenticated(BasePermission):
    """The request came from an integration (its `auth`); else DRF answers 401."""

    def has_permission(self, request, view):
        return isinstance(request.auth, Integration)


class _BearerScheme(OpenApiAuthenticationExtension):
    kind_label = ""

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": f"The token of {self.kind_label} integration, issued (and shown "
            "once) in the admin under Integrations.",
        }


class AlertmanagerTokenScheme(_BearerScheme):
    target_class = AlertmanagerTokenAuthentication
    name = "alertmanagerToken"
    kind_label = "an Alertmanager"


class PrometheusTokenScheme(_BearerScheme):
    target_class = PrometheusTokenAuthentication
    name = "prometheusToken"
    kind_label = "a Prometheus"


class PagerDutySignatureScheme(OpenApiAuthenticationExtension):
    target_class = PagerDutySignatureAuthentication
    name = "pagerDutySignature"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": SIGNATURE_HEADER,
            "description": "`v1=` HMAC-SHA256 signatures of the raw body, comma-separated, "
            "made with the webhook subscription's secret (PagerDuty v3 webhooks).",
        }
