"""/api/v1/integrations/: the receivers integrations post to (Alertmanager's webhook,
PagerDuty's v3 webhook). Each authenticates the integration, checks the payload, applies it
through `integrations.services` and logs the delivery (the admin shows the log), a refused
one too, with its error. A refused payload stores no incident data."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import APIView

from api.base import ApiMixin
from api.exceptions import _first_message
from api.integration_auth import (
    AlertmanagerTokenAuthentication,
    IntegrationAuthenticated,
    PagerDutySignatureAuthentication,
)
from api.parsers import JSONParser
from api.schema import ErrorSerializer
from api.serializers.integrations import (
    AlertmanagerNotificationSerializer,
    PagerDutyWebhookSerializer,
    WebhookResultSerializer,
)
from integrations.models import Delivery, Integration
from integrations.services import (
    Applied,
    alertmanager_notification_apply,
    delivery_record,
    pagerduty_event_apply,
)

# Alertmanager's notifications are small (max_alerts caps them); anything bigger is refused
# with 413 before it is read.
WEBHOOK_MAX_BYTES = 1024 * 1024


class _Receiver(ApiMixin, APIView):
    permission_classes = [IntegrationAuthenticated]
    parser_classes = [JSONParser]
    # Alertmanager and PagerDuty send what happens, in bursts: throttling them would lose it.
    throttle_classes: list = []
    max_body_bytes = WEBHOOK_MAX_BYTES

    def initial(self, request, *args, **kwargs):
        # Who is posting first, so a refused body (too large, too deep) is logged against the
        # integration that sent it.
        self.perform_authentication(request)
        super().initial(request, *args, **kwargs)

    def event_key(self, request) -> str:
        return ""

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        integration = getattr(self.request, "_auth", None)
        if isinstance(integration, Integration) and isinstance(exc, APIException):
            detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
            fields = response.data.get("fields") if isinstance(response.data, dict) else None
            delivery_record(
                integration=integration,
                outcome=Delivery.Outcome.REJECTED,
                http_status=response.status_code,
                error=f"{detail} {fields}" if fields else str(detail or _first_message(exc.detail)),
                event_key=self.event_key(self.request),
            )
        return response

    def answer(self, integration: Integration, applied: Applied, event_key: str) -> Response:
        delivery_record(
            integration=integration,
            outcome=applied.outcome,
            http_status=200,
            event_key=event_key,
            incident=applied.incidents[0] if applied.incidents else None,
        )
        result = {
            "outcome": applied.outcome,
            # The sender is no person: it is told nothing about an incident made private.
            "incidents": [i.reference for i in applied.incidents if not i.is_private],
        }
        return Response(WebhookResultSerializer(result).data)


class AlertmanagerWebhook(_Receiver):
    authentication_classes = [AlertmanagerTokenAuthentication]

    def event_key(self, request) -> str:
        data = getattr(request, "_full_data", None)
        return str(data.get("groupKey", "")) if isinstance(data, dict) else ""

    @extend_schema(
        summary="Receive an Alertmanager notification (webhook_config, payload version 4)",
        description=(
            "Point an Alertmanager `webhook_configs` entry here with "
            "`http_config.authorization.credentials` set to an Alertmanager integration's "
            "token. A firing group opens an incident, or joins the open incident of the same "
            "groupKey; each alert firing becomes one timeline entry (with its generatorURL); "
            "once every firing of the incident has resolved it is mitigated at the latest "
            "endsAt. A firing that starts after the group's incident was mitigated opens a new "
            "incident. Repeats, retries and replays change nothing, and deliveries arriving "
            "out of order give the same incidents as in order. The alert's `service` label "
            "(configurable) names the system, created without an owner when unknown; the "
            "`severity` label maps to a severity."
        ),
        request=AlertmanagerNotificationSerializer,
        responses={
            200: WebhookResultSerializer,
            401: OpenApiResponse(
                ErrorSerializer, description="No token, or not an active integration's."
            ),
        },
        tags=["integrations"],
    )
    def post(self, request):
        serializer = AlertmanagerNotificationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        notification = serializer.notification()
        applied = alertmanager_notification_apply(
            integration=request.auth, notification=notification
        )
        return self.answer(request.auth, applied, notification.group_key)


class PagerDutyWebhook(_Receiver):
    authentication_classes = [PagerDutySignatureAuthentication]

    def event_key(self, request) -> str:
        data = getattr(request, "_full_data", None)
        event = data.get("event") if isinstance(data, dict) else None
        return str(event.get("id", "")) if isinstance(event, dict) else ""

    @extend_schema(
        summary="Receive a PagerDuty v3 webhook event",
        description=(
            "Add a PagerDuty v3 webhook subscription pointing here and paste its signing "
            "secret into a PagerDuty integration in the admin. Every delivery must carry "
            "`X-PagerDuty-Signature` (one or more `v1=` HMAC-SHA256 signatures of the raw "
            "body, several while a secret is rotated). `incident.triggered` opens an incident "
            "(the PagerDuty incident's id is its external id), `incident.resolved` mitigates "
            "it, `incident.reopened` reopens it, `incident.acknowledged` adds a timeline "
            "entry, `incident.priority_updated` sets its severity through the mapping; the "
            "latest event by `occurred_at` decides, whatever the order of arrival. Each event "
            "id is applied once. Other event types are answered `ignored`."
        ),
        request=PagerDutyWebhookSerializer,
        responses={
            200: WebhookResultSerializer,
            401: OpenApiResponse(
                ErrorSerializer,
                description="No signature, or none made with a PagerDuty integration's secret.",
            ),
        },
        tags=["integrations"],
    )
    def post(self, request):
        serializer = PagerDutyWebhookSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = serializer.incident_event()
        event_id = serializer.validated_data["event"]["id"]
        if event is None:
            return self.answer(request.auth, Applied(outcome=Delivery.Outcome.IGNORED), event_id)
        applied = pagerduty_event_apply(integration=request.auth, event=event)
        return self.answer(request.auth, applied, event_id)
