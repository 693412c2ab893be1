"""/metrics: the five signals, the incidents and the learning loop in Prometheus' text format,
for a Prometheus integration's bearer token (authorization.credentials in a scrape config).

A custom collector computes every series at scrape time from `selectors.current_totals` (a
fixed number of queries, however much is recorded), through the official prometheus-client,
so the exposition format is its, not ours. Each metric is a gauge: a count of records now,
which goes down when a record is deleted or a follow-up done; Prometheus keeps the history
(`increase(...[30d])`, `delta`). Private incidents are counted, never named: the only labels
are severities, statuses, categories, kinds and system slugs (bounded, see the selector).
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector
from rest_framework.renderers import BaseRenderer
from rest_framework.views import APIView

from api.base import ApiMixin
from api.integration_auth import IntegrationAuthenticated, PrometheusTokenAuthentication
from api.schema import ErrorSerializer
from dashboards import selectors

PREFIX = "incident_tracker"


class SignalsCollector(Collector):
    def collect(self):
        totals = selectors.current_totals()

        def gauge(name, documentation, labels=(), rows=None, value=None):
            family = GaugeMetricFamily(f"{PREFIX}_{name}", documentation, labels=list(labels))
            if rows is None:
                family.add_metric([], value)
            for *label_values, count in rows or ():
                family.add_metric([str(v) for v in label_values], count)
            return family

        yield gauge(
            "incidents",
            "Incidents recorded, by severity and status.",
            ("severity", "status"),
            totals.incidents,
        )
        yield gauge("near_misses", "Near misses recorded.", value=totals.near_misses)
        yield gauge(
            "surprises", "Surprises recorded (incidents' and near misses').", value=totals.surprises
        )
        yield gauge(
            "difficulties",
            "Difficulties in understanding recorded, by category.",
            ("category",),
            totals.difficulties_by_category,
        )
        yield gauge(
            "ownership_gaps_open",
            "Ownership gaps not yet resolved, by kind.",
            ("kind",),
            totals.open_ownership_gaps_by_kind,
        )
        yield gauge(
            "follow_ups",
            "Follow-ups (action items), by status.",
            ("status",),
            totals.follow_ups_by_status,
        )
        yield gauge(
            "follow_ups_overdue",
            "Open follow-ups past their due date.",
            value=totals.follow_ups_overdue,
        )
        yield gauge(
            "follow_ups_unowned", "Open follow-ups no team owns.", value=totals.follow_ups_unowned
        )
        yield gauge(
            "reviews", "Post-incident reviews, by status.", ("status",), totals.reviews_by_status
        )
        per_system = {
            "incidents": "Incidents that touched the system.",
            "near_misses": "Near misses that touched the system.",
            "surprises": "Surprises about the system.",
            "difficulties": "Difficulties in understanding about the system.",
        }
        note = (
            f" The {selectors.SYSTEMS_LIMIT} systems with the most incidents by slug; the rest "
            f'summed as system="{selectors.OTHER_SYSTEMS}"; signals naming no system as system="".'
        )
        for field, documentation in per_system.items():
            yield gauge(
                f"system_{field}",
                documentation + note,
                ("system",),
                [(row.system, getattr(row, field)) for row in totals.systems],
            )


class PrometheusTextRenderer(BaseRenderer):
    """Lets content negotiation accept what Prometheus asks for (the view writes the body)."""

    media_type = "text/plain"
    format = "txt"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class MetricsView(ApiMixin, APIView):
    authentication_classes = [PrometheusTokenAuthentication]
    permission_classes = [IntegrationAuthenticated]
    throttle_classes: list = []

    def get_renderers(self):
        # Errors are JSON whatever was asked (ApiMixin); the metrics are text only.
        return [PrometheusTextRenderer()]

    @extend_schema(
        summary="Prometheus metrics: the five signals, incidents, follow-ups, reviews",
        description=(
            "Prometheus text exposition format (0.0.4), computed at scrape time. Authenticate "
            "with a Prometheus integration's token (scrape config: `authorization: "
            "{credentials: <token>}`). Gauges: incidents by severity and status, near misses, "
            "surprises, difficulties by category, open ownership gaps by kind, follow-ups by "
            "status, overdue and unowned, reviews by status, and per system (at most "
            f"{selectors.SYSTEMS_LIMIT} systems, the rest as `{selectors.OTHER_SYSTEMS}`). "
            "Private incidents are counted, never named."
        ),
        responses={
            (200, "text/plain"): OpenApiResponse(
                OpenApiTypes.STR, description="Prometheus text format"
            ),
            (401, "application/json"): OpenApiResponse(
                ErrorSerializer, description="No token, or not a Prometheus integration's."
            ),
        },
        tags=["metrics"],
    )
    def get(self, request):
        registry = CollectorRegistry(auto_describe=False)
        registry.register(SignalsCollector())
        # 0.0.4, the text format every Prometheus 2 reads: the metric names here are all
        # classic ones, for which the client's newer 1.0.0 output is the same text.
        response = HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_PLAIN_0_0_4)
        response["Cache-Control"] = "no-store"
        return response
