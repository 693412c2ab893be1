"""/api/v1/deployments/: record deployments (one, or many as a JSON array), list, export and
import them; and /api/v1/deployments/webhook/, where a CD tool posts them with a shared token.

Recording is idempotent on (source, external_id) (`incidents.services`): CI retries, and a
deployment posted twice must count once in the failure rates.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers as s
from api.base import ApiMixin
from api.importing import MAX_IMPORT_ROWS, ImportRefused, parse_bool, request_rows, row_errors
from api.parsers import JSONParser
from api.permissions import allow
from api.schema import ErrorSerializer, ValidationErrorSerializer
from api.views.common import FORMAT_PARAMETER, ApiViewSet
from incidents.filters import DeploymentFilter
from incidents.models import Deployment, Incident
from incidents.services import deployment_create_or_get, deployments_record
from reviews import rules

# An import file may be bigger than an ordinary request body (as the incidents' import).
IMPORT_MAX_BYTES = 20 * 1024 * 1024

DEPLOYMENT_OR_LIST = PolymorphicProxySerializer(
    component_name="DeploymentOrList",
    serializers=[s.DeploymentSerializer, s.DeploymentSerializer(many=True)],
    resource_type_field_name=None,
    many=False,
)
CREATED_ONE_OR_MANY = PolymorphicProxySerializer(
    component_name="DeploymentRecorded",
    serializers=[s.DeploymentSerializer, s.DeploymentBulkResultSerializer],
    resource_type_field_name=None,
)


def _refused(errors) -> ImportRefused:
    return ImportRefused(row_errors(errors), "Nothing was recorded: some rows are not valid.")


def validated_rows(serializer_class, rows: list, context: dict) -> list[dict]:
    """Every row valid, or a 400 naming each wrong row and field (nothing is recorded)."""
    if not rows:
        raise ValidationError({"non_field_errors": ["Send at least one deployment."]})
    if len(rows) > MAX_IMPORT_ROWS:
        raise ValidationError({"non_field_errors": [f"At most {MAX_IMPORT_ROWS} rows."]})
    serializer = serializer_class(data=rows, many=True, context=context)
    if not serializer.is_valid():
        raise _refused(serializer.errors)
    return serializer.validated_data


@extend_schema_view(list=extend_schema(parameters=[FORMAT_PARAMETER]))
class DeploymentViewSet(ApiViewSet):
    serializer_class = s.DeploymentSerializer
    filterset_class = DeploymentFilter
    ordering_fields = ["deployed_at", "created_at", "environment", "outcome"]
    ordering = ["-deployed_at"]
    extra_query_params = {"import_deployments": {"dry_run"}}
    csv_name = "deployments"

    def get_queryset(self):
        # The incidents each deployment caused, as far as this user may see them: one query
        # for the page (or per chunk of a CSV export), not one per row.
        visible = Incident.objects.visible_to(self.request.user).only(
            "pk", "reference", "caused_by"
        )
        return Deployment.objects.select_related("system").prefetch_related(
            Prefetch(
                "caused_incidents",
                queryset=visible.order_by("reference"),
                to_attr="visible_caused",
            )
        )

    def paginate_queryset(self, queryset):
        if self.paginator is None:
            return None
        # The filter set again, for the count it may know more cheaply (`count_from_causes`);
        # the backend has already refused any bad filter.
        filterset = DeploymentFilter(self.request.query_params, queryset, request=self.request)
        count = filterset.count_from_causes()
        return self.paginator.paginate_queryset(queryset, self.request, view=self, count=count)

    def may_create(self, user):
        return allow(
            rules.is_responder(user), "Only responders and facilitators record deployments."
        )

    def may_change(self, user, obj):
        return allow(rules.is_responder(user), "Only responders and facilitators edit deployments.")

    def may_delete(self, user, obj):
        # Deleting one unlinks the incidents it caused, reviewed ones included: an
        # administrator's correction, as for the catalog.
        return allow(rules.can_edit_catalog(user), "Only administrators delete deployments.")

    def _serialized(self, pks: list[int]) -> list:
        """The deployments, in this order, as this user may read them."""
        found = {deployment.pk: deployment for deployment in self.get_queryset().filter(pk__in=pks)}
        context = self.get_serializer_context()
        return s.DeploymentSerializer([found[pk] for pk in pks], many=True, context=context).data

    @extend_schema(
        summary="Record a deployment, or many (a JSON array)",
        description="One deployment (an object), or up to 10,000 (an array), all or nothing: "
        "any invalid row and nothing is recorded (400, one entry per row and field). With an "
        "`external_id`, posting the same (source, external_id) again returns the deployment "
        "already recorded (200 for one; counted in `existing` for many) instead of a "
        "duplicate, so CI may retry safely. `source` defaults to `api`. An array is answered "
        "with how many were created and one deployment per row, in order.",
        request=DEPLOYMENT_OR_LIST,
        responses={
            201: CREATED_ONE_OR_MANY,
            200: OpenApiResponse(
                CREATED_ONE_OR_MANY,
                description="Everything posted was already recorded: nothing was created.",
            ),
        },
    )
    def create(self, request, *args, **kwargs):
        context = self.get_serializer_context()
        if isinstance(request.data, list):
            rows = validated_rows(s.DeploymentSerializer, request.data, context)
            recorded = deployments_record(rows=rows, source=Deployment.Source.API)
            created = sum(1 for _deployment, new in recorded if new)
            results = self._serialized([deployment.pk for deployment, _new in recorded])
            body = {"created": created, "existing": len(recorded) - created, "results": results}
            code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
            return Response(body, status=code)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        deployment, created = deployment_create_or_get(data=serializer.validated_data)
        output = s.DeploymentSerializer(self.get_queryset().get(pk=deployment.pk), context=context)
        return Response(
            output.data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers={"Location": f"{request.path}{deployment.pk}/"},
        )

    def perform_update(self, serializer):
        instance, data = serializer.instance, serializer.validated_data
        source = data.get("source", instance.source)
        external_id = data.get("external_id", instance.external_id)
        taken = (
            external_id
            and Deployment.objects.filter(source=source, external_id=external_id)
            .exclude(pk=instance.pk)
            .exists()
        )
        if taken:
            raise ValidationError(
                {
                    "external_id": [
                        "A deployment with this external id already exists for this source."
                    ]
                }
            )
        super().perform_update(serializer)

    @extend_schema(
        summary="Import deployments (JSON array or CSV file), all or nothing",
        description=(
            "POST a JSON array of deployments, or a CSV file as multipart field `file` with "
            "one deployment per row and the same columns (`system` by slug, `deployed_at` in "
            "ISO 8601). At most 10,000 rows. Any invalid row and nothing is recorded (400, one "
            "entry per row and field). `source` defaults to `import`; a row whose (source, "
            "external_id) is already recorded is skipped, so an import can be re-run. "
            "`?dry_run=true` validates and counts without recording anything."
        ),
        request={
            "application/json": s.DeploymentSerializer(many=True),
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            },
        },
        parameters=[OpenApiParameter("dry_run", OpenApiTypes.BOOL, description="Validate only.")],
        responses={
            201: s.DeploymentImportResultSerializer,
            200: OpenApiResponse(
                s.DeploymentImportResultSerializer, description="Dry run: nothing recorded."
            ),
            400: s.ImportErrorSerializer,
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[JSONParser, MultiPartParser],
        max_body_bytes=IMPORT_MAX_BYTES,
    )
    def import_deployments(self, request, format=None):
        dry_run = parse_bool(request.query_params.get("dry_run", "false"), "dry_run")
        columns = [
            name for name, field in s.DeploymentSerializer().fields.items() if not field.read_only
        ]
        rows = request_rows(request, columns=columns, noun="deployments")
        rows = validated_rows(s.DeploymentSerializer, rows, self.get_serializer_context())
        recorded = deployments_record(rows=rows, source=Deployment.Source.IMPORT, dry_run=dry_run)
        created = sum(1 for _deployment, new in recorded if new)
        body = {"dry_run": dry_run, "created": created, "existing": len(recorded) - created}
        code = status.HTTP_200_OK if dry_run else status.HTTP_201_CREATED
        return Response(body, status=code)


# --- the generic webhook ---------------------------------------------------------------------


class WebhookRefused(APIException):
    """401 with the scheme to use: the webhooks authenticate no user, so DRF's own 401 (which
    it turns into a 403 when no authentication class names a scheme) does not fit."""

    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "not_authenticated"

    def __init__(self, detail: str, *, scheme: str):
        super().__init__(detail)
        self.auth_header = scheme


def bearer_token_matches(request, expected: str) -> bool:
    """`Authorization: Bearer <expected>`, compared in constant time; never with no token set."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


UNAUTHORIZED = OpenApiResponse(
    ErrorSerializer, description="No token, a wrong one, or DEPLOY_WEBHOOK_TOKEN is not set."
)


class DeploymentWebhook(ApiMixin, APIView):
    """A CD tool (Argo CD, Flux, a deploy script) reports a deployment as it happens."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Record deployments from a CD tool (bearer token)",
        description="The body is one deployment or an array of them, as for "
        "`POST /api/v1/deployments/`, except that `deployed_at` may be left out (now) and "
        "`source` defaults to `webhook`. Send `Authorization: Bearer $DEPLOY_WEBHOOK_TOKEN`. "
        "Idempotent on (source, external_id): a retried delivery records nothing new. "
        "All or nothing: an invalid row and nothing is recorded.",
        request=PolymorphicProxySerializer(
            component_name="WebhookDeploymentOrList",
            serializers=[s.WebhookDeploymentSerializer, s.WebhookDeploymentSerializer(many=True)],
            resource_type_field_name=None,
            many=False,
        ),
        responses={
            201: s.DeploymentWebhookResultSerializer,
            200: OpenApiResponse(
                s.DeploymentWebhookResultSerializer, description="Already recorded: nothing new."
            ),
            400: ValidationErrorSerializer,
            401: UNAUTHORIZED,
        },
        auth=[],
    )
    def post(self, request):
        if not bearer_token_matches(request, settings.DEPLOY_WEBHOOK_TOKEN):
            raise WebhookRefused(
                "Send Authorization: Bearer with the deployment webhook's token "
                "(DEPLOY_WEBHOOK_TOKEN).",
                scheme="Bearer",
            )
        data = request.data
        rows = validated_rows(
            s.WebhookDeploymentSerializer,
            data if isinstance(data, list) else [data],
            {"request": request},
        )
        recorded = deployments_record(rows=rows, source=Deployment.Source.WEBHOOK)
        created = sum(1 for _deployment, new in recorded if new)
        body = {
            "created": created,
            "existing": len(recorded) - created,
            "results": s.DeploymentReceiptSerializer(
                [deployment for deployment, _new in recorded], many=True
            ).data,
        }
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
