"""The dashboards as data: /api/v1/reports/{summary,systems,themes,learning-loop}/.

Each report calls the same `dashboards.selectors` function as its page, with the same filter
bar (`dashboards.forms.DashboardForm`: period, start, end, team, system, severity), so the page
and the API cannot disagree. A bad parameter is a 400 here (the page falls back to a default
and shows the error instead).

The selectors return frozen dataclasses; `as_data` turns them into JSON values and
`schema_of` derives the OpenAPI schema from the same type hints, so the documented shape is
the shape sent.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from datetime import date, datetime
from functools import cache
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from api.base import ApiMixin
from api.renderers import CSVRenderer
from dashboards import selectors
from dashboards.forms import DashboardForm
from dashboards.periods import DashboardFilters, Period

# --- dataclass -> JSON ---------------------------------------------------------------------


def _period(period: Period) -> dict[str, Any]:
    return {
        "start": period.start_date.isoformat(),
        "end": period.end_date.isoformat(),
        "kind": period.kind,
        "label": period.label,
        "days": period.days,
    }


_PERIOD_SCHEMA = {
    "type": "object",
    "description": "The half-open UTC interval [start, end): `end` is excluded.",
    "properties": {
        "start": {"type": "string", "format": "date"},
        "end": {"type": "string", "format": "date"},
        "kind": {"type": "string", "enum": ["month", "quarter", "quarter_to_date", "custom"]},
        "label": {"type": "string"},
        "days": {"type": "number"},
    },
    "required": ["start", "end", "kind", "label", "days"],
}


def _properties(cls) -> list[str]:
    return [
        name
        for name, value in vars(cls).items()
        if isinstance(value, property) and not name.startswith("_")
    ]


def as_data(value: Any) -> Any:
    """A selector result as JSON values: dataclass fields plus their public properties."""
    if isinstance(value, Period):
        return _period(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = [field.name for field in dataclasses.fields(value)] + _properties(type(value))
        return {name: as_data(getattr(value, name)) for name in names}
    if isinstance(value, list | tuple):
        return [as_data(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _schema_of_type(hint: Any) -> dict[str, Any]:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in args if arg is not type(None)]
        schema = _schema_of_type(options[0]) if len(options) == 1 else {}
        return {**schema, "nullable": True} if type(None) in args else schema
    if origin in (tuple, list):
        if origin is tuple and args and args[-1] is not Ellipsis:
            items = [_schema_of_type(arg) for arg in args]
            same = all(item == items[0] for item in items)
            return {
                "type": "array",
                "items": items[0] if same else {},
                "minItems": len(items),
                "maxItems": len(items),
            }
        return {"type": "array", "items": _schema_of_type(args[0]) if args else {}}
    if hint is Period:
        return _PERIOD_SCHEMA
    if dataclasses.is_dataclass(hint):
        return schema_of(hint)
    simple = {
        int: {"type": "integer"},
        # Floats may be undefined (an empty period): sent as null rather than NaN.
        float: {"type": "number", "nullable": True},
        str: {"type": "string"},
        bool: {"type": "boolean"},
        date: {"type": "string", "format": "date"},
        datetime: {"type": "string", "format": "date-time"},
    }
    return dict(simple.get(hint, {}))


@cache
def schema_of(cls) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    properties = {
        field.name: _schema_of_type(hints[field.name]) for field in dataclasses.fields(cls)
    }
    for name in _properties(cls):
        returned = typing.get_type_hints(getattr(cls, name).fget).get("return", Any)
        properties[name] = _schema_of_type(returned)
    return {"type": "object", "properties": properties, "required": list(properties)}


def csv_columns(schema: dict[str, Any], prefix: str = "") -> list[str]:
    """The CSV header of rows of this schema, as `api.renderers.flatten` names their cells:
    nested objects become dotted columns. From the type, so a report with no row has it too."""
    columns = []
    for name, value in schema["properties"].items():
        if value.get("type") == "object" and "properties" in value:
            columns += csv_columns(value, f"{prefix}{name}.")
        else:
            columns.append(f"{prefix}{name}")
    return columns


# --- views -----------------------------------------------------------------------------------

FILTER_PARAMETERS = [
    OpenApiParameter(
        "period",
        OpenApiTypes.STR,
        enum=["quarter", "quarter_to_date", "month", "custom"],
        description="Last full quarter (default), this quarter so far (against the same days "
        "of the quarter before), last full month, or custom (`start`, `end`).",
    ),
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day, YYYY-MM-DD (UTC)."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Day after the last (excluded)."),
    OpenApiParameter("team", OpenApiTypes.STR, description="Team slug."),
    OpenApiParameter("system", OpenApiTypes.STR, description="System slug."),
    OpenApiParameter(
        "severity", OpenApiTypes.STR, enum=["SEV1", "SEV2", "SEV3", "SEV4"], description="Severity."
    ),
    OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"]),
]


def _report_schema(**properties: dict[str, Any]) -> dict[str, Any]:
    base = {
        "period": _PERIOD_SCHEMA,
        "previous_period": _PERIOD_SCHEMA,
        "filters": schema_of(DashboardFilters),
    }
    base.update(properties)
    return {"type": "object", "properties": base, "required": list(base)}


def _responses(schema: dict[str, Any]) -> dict:
    return {
        (200, "application/json"): OpenApiResponse(schema),
        (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV"),
    }


class ReportView(ApiMixin, APIView):
    permission_classes = [IsAuthenticated]
    query_params = frozenset(["period", "start", "end", "team", "system", "severity"])
    csv_name = "report"

    def get_renderers(self):
        return [JSONRenderer(), CSVRenderer()]

    def filter_bar(self, request) -> tuple[Period, DashboardFilters]:
        form = DashboardForm(request.query_params)
        if not form.is_valid():
            raise ValidationError(form.errors)
        return form.period_value(), form.filters_value()

    def respond_rows(self, request, selector, row_type):
        """A report that is one row per system or theme: the selector's rows (`row_type`
        each), JSON or CSV."""
        period, filters = self.filter_bar(request)
        rows = as_data(selector(user=request.user, period=period, filters=filters))
        data = {
            "period": _period(period),
            "previous_period": _period(period.previous()),
            "filters": as_data(filters),
            "rows": rows,
        }
        return self.respond(request, data, rows, csv_columns(schema_of(row_type)))

    def respond(self, request, data: dict[str, Any], csv_rows: list[dict[str, Any]], columns):
        csv_data = {"columns": columns, "rows": csv_rows}
        response = Response(csv_data if request.accepted_renderer.format == "csv" else data)
        if request.accepted_renderer.format == "csv":
            response["Content-Disposition"] = f'attachment; filename="{self.csv_name}.csv"'
        return response


MEASURE_COLUMNS = ["measure", "current", "previous", "lower", "upper", "p_value", "verdict"]


def _measure_row(name: str, value) -> dict[str, Any]:
    """One CSV row per counted measure: the numbers the dashboard cards show."""
    values = (name, value.current, value.previous, *value.interval, value.p_value, value.verdict)
    return dict(zip(MEASURE_COLUMNS, values, strict=True))


def _per_change_rows(changes: selectors.ChangeSummary) -> list[dict[str, Any]]:
    """The per-change measures as CSV rows: deployments (a plain count: the exposure), incidents
    per 100 deployments (Garwood) and the change failure rate (Wilson), each with its
    rate-ratio verdict (deployments as the exposure; empty without deployments in a cycle)."""
    rates = changes.rates

    def row(name, current, previous, lower=None, upper=None, comparison=None):
        p_value = comparison.p_value if comparison else None
        verdict = comparison.verdict if comparison else None
        values = (name, current, previous, lower, upper, p_value, verdict)
        return dict(zip(MEASURE_COLUMNS, values, strict=True))

    per_100, share = rates.per_100_deployments, rates.change_failure_rate
    return [
        row("deployments", rates.deployments, rates.deployments_previous),
        row(
            "incidents_per_100_deployments",
            per_100.estimate,
            rates.per_100_deployments_previous.estimate,
            per_100.lower,
            per_100.upper,
            rates.change,
        ),
        row(
            "change_failure_rate",
            share.estimate,
            rates.change_failure_rate_previous.estimate,
            share.lower if rates.exposure_known else None,
            share.upper if rates.exposure_known else None,
            rates.failure_change,
        ),
    ]


class SummaryReport(ReportView):
    csv_name = "summary"

    @extend_schema(
        summary="The overview dashboard: the five signals this period against the last",
        description="Counts with Garwood 95% intervals and rate-ratio verdicts, the share of "
        "incidents with a surprise (Wilson), near misses per incident, difficulties by "
        "category, open ownership gaps, systems without owner, and time to detect / resolve "
        "as median and p90 with sample sizes. `changes`: failure rates per change "
        "(production deployments as the exposure: incidents per 100 deployments, Garwood; "
        "the change failure rate, Wilson; rate-ratio verdicts with deployments as the "
        "exposure), and `changes_by_team` the same per team. CSV: one row per counted "
        "signal, then `deployments`, `incidents_per_100_deployments` and "
        "`change_failure_rate`.",
        parameters=FILTER_PARAMETERS,
        responses=_responses(
            _report_schema(
                summary=schema_of(selectors.Summary),
                durations=schema_of(selectors.Durations),
                changes=schema_of(selectors.ChangeSummary),
                changes_by_team={"type": "array", "items": schema_of(selectors.TeamChangeRow)},
            )
        ),
    )
    def get(self, request):
        period, filters = self.filter_bar(request)
        summary = selectors.period_comparison(user=request.user, period=period, filters=filters)
        durations = selectors.duration_distributions(
            user=request.user, period=period, filters=filters
        )
        changes = selectors.change_summary(user=request.user, period=period, filters=filters)
        teams = selectors.team_change_rows(user=request.user, period=period, filters=filters)
        data = {
            "period": _period(period),
            "previous_period": _period(summary.previous_period),
            "filters": as_data(filters),
            "summary": as_data(summary),
            "durations": as_data(durations),
            "changes": as_data(changes),
            "changes_by_team": as_data(teams),
        }
        rows = [_measure_row(name, getattr(summary, name)) for name in selectors.SIGNALS]
        rows += [
            _measure_row(f"difficulties:{row.key}", row.counts)
            for row in summary.difficulties_by_category
        ]
        rows += _per_change_rows(changes)
        return self.respond(request, data, rows, MEASURE_COLUMNS)


class SystemsReport(ReportView):
    csv_name = "systems"

    @extend_schema(
        summary="Failure rates and signals per system",
        description="One row per system: incidents this and last period, the rate per 30 days "
        "with its Garwood interval, the rate-ratio verdict, the other signals, and the signals "
        "the system is high on. `changes`: its failure rates per change (production "
        "deployments, incidents per 100 deployments with the Garwood interval, the change "
        "failure rate with the Wilson interval, verdicts with deployments as the exposure, "
        "null without deployments in a cycle); `denominator`, `rate` and `verdict_change` "
        "say which rate the row is ranked and compared by (per change when deployments are "
        f"recorded, per 30 days otherwise). {selectors.HIGH_RULE}",
        parameters=FILTER_PARAMETERS,
        responses=_responses(
            _report_schema(rows={"type": "array", "items": schema_of(selectors.SystemRow)})
        ),
    )
    def get(self, request):
        return self.respond_rows(request, selectors.system_rows, selectors.SystemRow)


class ThemesReport(ReportView):
    csv_name = "themes"

    @extend_schema(
        summary="Themes of the codebook: how often each was tagged, this period and last",
        parameters=FILTER_PARAMETERS,
        responses=_responses(
            _report_schema(rows={"type": "array", "items": schema_of(selectors.ThemeRow)})
        ),
    )
    def get(self, request):
        return self.respond_rows(request, selectors.theme_rows, selectors.ThemeRow)


class LearningLoopReport(ReportView):
    csv_name = "learning-loop"

    @extend_schema(
        summary="The learning loop: reviews published, time to publish, follow-ups, survey",
        parameters=FILTER_PARAMETERS,
        responses=_responses(_report_schema(learning_loop=schema_of(selectors.LearningLoop))),
    )
    def get(self, request):
        period, filters = self.filter_bar(request)
        loop = as_data(selectors.learning_loop(user=request.user, period=period, filters=filters))
        data = {
            "period": _period(period),
            "previous_period": _period(period.previous()),
            "filters": as_data(filters),
            "learning_loop": loop,
        }
        return self.respond(request, data, [loop], csv_columns(schema_of(selectors.LearningLoop)))
