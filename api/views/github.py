"""/api/v1/integrations/github/: GitHub's `deployment_status` webhook records deployments.

GitHub signs every delivery with the webhook's secret: `X-Hub-Signature-256` is
`sha256=<hex HMAC-SHA256 of the raw body>`. A delivery without a valid signature is refused
(401) before its body is read as JSON, and nothing is stored. Of the deployment statuses, only
`success` to a production environment (GitHub's `production_environment`, or an environment
named production) is a deployment the failure rates count; the others are answered 200 and
ignored, so GitHub does not redeliver them.

The repository names its system: GITHUB_REPOSITORY_SYSTEMS maps `owner/repo` to a system slug,
else the repository's name is taken as the slug. The GitHub deployment's id is the external id,
so a redelivery, or a second `success` status of the same deployment, records nothing new.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers as s
from api.base import ApiMixin
from api.parsers import load_json
from api.schema import ErrorSerializer, ValidationErrorSerializer
from api.views.deployments import WebhookRefused
from incidents.models import PRODUCTION, Deployment, System
from incidents.services import deployment_create_or_get
from incidents.slugs import slug_for

SIGNATURE_HEADER = "X-Hub-Signature-256"


class UnknownSystem(APIException):
    """The delivery is well formed but names a repository that maps to no system: the
    operator must add the system or the mapping, and GitHub shows this answer."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "unknown_system"


def signature_valid(body: bytes, header: str, secret: str) -> bool:
    """GitHub's check: `sha256=` and the hex HMAC-SHA256 of the body under the secret,
    compared in constant time. Never valid without a secret."""
    if not secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.removeprefix("sha256=").encode(), expected.encode())


def _payload(body: bytes, content_type: str) -> dict[str, Any]:
    """The delivery's JSON, sent as JSON or as a form's `payload` field (GitHub offers both)."""
    try:
        text = body.decode("utf-8")
        if content_type.startswith("application/x-www-form-urlencoded"):
            text = parse_qs(text).get("payload", [""])[0]
        payload = load_json(text)
    except ValueError as error:  # not UTF-8, not JSON, nested too deep
        raise ParseError(f"The body is not a JSON payload ({error}).") from error
    if not isinstance(payload, dict):
        raise ParseError("The payload is not a JSON object.")
    return payload


def _field(payload: dict, path: str, kind: type | tuple[type, ...]):
    """payload's value at a dotted path, of `kind`, else a 400 naming the path."""
    value: Any = payload
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise ValidationError({path: ["Missing, or not of the expected type."]})
    return value


def _is_production(deployment: dict, status_: dict) -> bool:
    if deployment.get("production_environment") is True:
        return True
    names = (status_.get("environment"), deployment.get("environment"))
    return any(isinstance(name, str) and name.strip().lower() == PRODUCTION for name in names)


def _system_of(repository: str, name: str) -> System:
    slug = settings.GITHUB_REPOSITORY_SYSTEMS.get(repository.lower()) or slug_for(name)
    system = System.objects.filter(slug=slug).first()
    if system is None:
        raise UnknownSystem(
            f"No system for the repository {repository}: create a system with the slug "
            f"{slug!r}, or map the repository in GITHUB_REPOSITORY_SYSTEMS "
            f"({repository}=<system slug>)."
        )
    return system


def _url(text: str | None) -> str:
    return text if isinstance(text, str) and text.startswith(("https://", "http://")) else ""


def deployment_from_github(payload: dict[str, Any]) -> dict[str, Any] | str:
    """A `deployment_status` payload as a deployment's fields, or why it records nothing."""
    status_ = _field(payload, "deployment_status", dict)
    deployment = _field(payload, "deployment", dict)
    state = _field(payload, "deployment_status.state", str)
    deployment_id = _field(payload, "deployment.id", int)
    repository = _field(payload, "repository.full_name", str)
    name = _field(payload, "repository.name", str)
    created_at = _field(payload, "deployment_status.created_at", str)
    try:
        deployed_at = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError({"deployment_status.created_at": ["Not an ISO 8601 time."]}) from None
    if deployed_at.tzinfo is None:
        raise ValidationError({"deployment_status.created_at": ["The time has no offset."]})
    if state != "success":
        return f"Ignored: a {state!r} status (only successful deployments are recorded)."
    if not _is_production(deployment, status_):
        return "Ignored: not a production environment."
    ref = deployment.get("sha") or deployment.get("ref") or ""
    return {
        "system": _system_of(repository, name),
        "deployed_at": deployed_at,
        "ref": str(ref)[:200],
        "environment": PRODUCTION,
        "outcome": Deployment.Outcome.SUCCESS,
        "source": Deployment.Source.GITHUB,
        "external_id": str(deployment_id),
        "url": _url(status_.get("log_url"))
        or _url(status_.get("target_url"))
        or _url(status_.get("environment_url")),
    }


class GitHubWebhook(ApiMixin, APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="GitHub webhook: deployment_status events record production deployments",
        description="Configure a repository (or organisation) webhook with content type "
        "`application/json`, the secret in GITHUB_WEBHOOK_SECRET, and the *Deployment "
        "statuses* event. Signed with `X-Hub-Signature-256`; a delivery without a valid "
        "signature is a 401 and stores nothing. `ping` and other events are answered 200 and "
        "ignored, as are statuses other than `success` and non-production environments. The "
        "repository maps to a system through GITHUB_REPOSITORY_SYSTEMS, else by its name as "
        "a slug (422 when there is none). Redeliveries are idempotent (the GitHub deployment "
        "id is the external id).",
        parameters=[
            OpenApiParameter(
                "X-GitHub-Event",
                OpenApiTypes.STR,
                location=OpenApiParameter.HEADER,
                required=True,
                description="`deployment_status` is recorded; `ping` and the others ignored.",
            ),
            OpenApiParameter(
                SIGNATURE_HEADER,
                OpenApiTypes.STR,
                location=OpenApiParameter.HEADER,
                required=True,
                description="`sha256=` and the hex HMAC-SHA256 of the raw body.",
            ),
        ],
        request={"application/json": OpenApiTypes.OBJECT},
        responses={
            201: s.GitHubWebhookResultSerializer,
            200: OpenApiResponse(
                s.GitHubWebhookResultSerializer,
                description="Ignored (ping, another event or state, not production), or "
                "already recorded.",
            ),
            400: ValidationErrorSerializer,
            401: OpenApiResponse(
                ErrorSerializer,
                description="No signature, a wrong one, or GITHUB_WEBHOOK_SECRET is not set.",
            ),
            422: OpenApiResponse(ErrorSerializer, description="No system for the repository."),
        },
        auth=[],
    )
    def post(self, request):
        # The raw body, before anything parses it: the signature is over these bytes.
        body = request.body
        if not signature_valid(
            body, request.headers.get(SIGNATURE_HEADER, ""), settings.GITHUB_WEBHOOK_SECRET
        ):
            raise WebhookRefused(
                f"The {SIGNATURE_HEADER} signature does not match the webhook secret "
                "(GITHUB_WEBHOOK_SECRET).",
                scheme=SIGNATURE_HEADER,
            )
        event = request.headers.get("X-GitHub-Event", "")
        if not event:
            raise ValidationError({"X-GitHub-Event": ["GitHub names the event in this header."]})
        payload = _payload(body, request.content_type or "")
        if event != "deployment_status":
            return self._answer(False, f"Ignored: the {event!r} event records nothing.")
        found = deployment_from_github(payload)
        if isinstance(found, str):
            return self._answer(False, found)
        deployment, created = deployment_create_or_get(data=found)
        detail = "Recorded." if created else "Already recorded: nothing new."
        return self._answer(True, detail, deployment, created=created)

    def _answer(self, recorded, detail, deployment=None, *, created=False) -> Response:
        body = {
            "recorded": recorded,
            "detail": detail,
            "deployment": s.DeploymentReceiptSerializer(deployment).data if deployment else None,
        }
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
