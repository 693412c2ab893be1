"""Streaming CSV exports: rows leave as they are read, so memory does not grow with the rows.

Two kinds:

- every list endpoint in CSV (`?format=csv`): the list's serializer over the filtered queryset,
  read in chunks with `.iterator(chunk_size=...)` (prefetches run once per chunk);
- `/incidents/export/` and `/near-misses/export/`: flat rows with their signal counts, one SQL
  query with subqueries (`values_list` + server-side cursor on PostgreSQL), no per-row query,
  no model instances; fast enough to compare with PostgreSQL's own COPY (see bench_api).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from django.db.models import Aggregate, CharField, Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Concat
from rest_framework import serializers

from api.renderers import Echo, csv_writer, flatten
from incidents.models import (
    Difficulty,
    IncidentSystem,
    NearMiss,
    OwnershipGap,
    Surprise,
    TimelineEntry,
)

CHUNK_SIZE = 2000


def _batched(iterable: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


def serializer_columns(serializer: serializers.Serializer) -> list[str]:
    """The CSV header of a serializer: nested single objects become dotted columns."""
    columns = []
    for name, field in serializer.fields.items():
        if getattr(field, "write_only", False):
            continue
        if isinstance(field, serializers.Serializer):
            columns.extend(f"{name}.{sub}" for sub in serializer_columns(field))
        else:
            columns.append(name)
    return columns


def stream_serialized_csv(queryset, serializer_class, context: dict[str, Any]) -> Iterator[str]:
    writer = csv_writer(Echo())
    header = serializer_columns(serializer_class(context=context))
    yield writer.writerow(header)
    chunk_size = 500
    for chunk in _batched(queryset.iterator(chunk_size=chunk_size), chunk_size):
        data = serializer_class(chunk, many=True, context=context).data
        yield "".join(
            writer.writerow([flat.get(column, "") for column in header])
            for flat in map(flatten, data)
        )


def stream_rows_csv(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """Header, then rows in chunks: one yield per chunk keeps the per-row overhead small."""
    writer = csv_writer(Echo())
    yield writer.writerow(header)
    for chunk in _batched(rows, CHUNK_SIZE):
        yield "".join(map(writer.writerow, chunk))


class GroupConcat(Aggregate):
    """'; '-joined strings: STRING_AGG on PostgreSQL, GROUP_CONCAT on SQLite."""

    function = "GROUP_CONCAT"
    output_field = CharField()

    def as_sql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, template="%(function)s(%(expressions)s, '; ')", **extra_context
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            function="STRING_AGG",
            template="%(function)s(%(expressions)s, '; ')",
            **extra_context,
        )


def _count(model, ref: str):
    rows = model.objects.filter(**{ref: OuterRef("pk")}).order_by().values(ref)
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")), 0)


def _incident_systems():
    rows = (
        IncidentSystem.objects.filter(incident=OuterRef("pk"))
        .order_by()
        .values("incident")
        .annotate(names=GroupConcat(Concat("system__slug", Value(":"), "role")))
        .values("names")
    )
    return Coalesce(Subquery(rows, output_field=CharField()), Value(""))


def _near_miss_systems():
    through = NearMiss.systems.through
    rows = (
        through.objects.filter(nearmiss=OuterRef("pk"))
        .order_by()
        .values("nearmiss")
        .annotate(names=GroupConcat("system__slug"))
        .values("names")
    )
    return Coalesce(Subquery(rows, output_field=CharField()), Value(""))


INCIDENT_EXPORT_COLUMNS = [
    "reference",
    "title",
    "severity",
    "status",
    "started_at",
    "detected_at",
    "mitigated_at",
    "resolved_at",
    "is_private",
    "source",
    "external_id",
    "review_status",
    "systems",
    "timeline_entry_count",
    "surprise_count",
    "difficulty_count",
    "ownership_gap_count",
]

NEAR_MISS_EXPORT_COLUMNS = [
    "id",
    "title",
    "occurred_at",
    "detected_at",
    "stopped_by",
    "potential_severity",
    "detection_method",
    "detected_by",
    "reporter",
    "systems",
    "surprise_count",
    "difficulty_count",
    "ownership_gap_count",
]


def _selected(columns: list[str]) -> list[str]:
    # `systems` is the many-to-many field's name, so its annotation goes by another.
    return ["system_list" if column == "systems" else column for column in columns]


def incident_export_queryset(queryset):
    """One row per incident, its signal counts by subquery (the same counts as the incident
    list page): a values_list, ordered by pk."""
    return (
        queryset.with_signal_counts()
        .annotate(
            review_status=Coalesce("review__status", Value("none")),
            system_list=_incident_systems(),
            timeline_entry_count=_count(TimelineEntry, "incident"),
        )
        .order_by("pk")
        .values_list(*_selected(INCIDENT_EXPORT_COLUMNS))
    )


def near_miss_export_queryset(queryset):
    # reported_by is NULL for an anonymous report, so `reporter` is empty: nothing to hide.
    return (
        queryset.annotate(
            reporter=Coalesce("reported_by__username", Value("")),
            system_list=_near_miss_systems(),
            surprise_count=_count(Surprise, "near_miss"),
            difficulty_count=_count(Difficulty, "near_miss"),
            ownership_gap_count=_count(OwnershipGap, "near_miss"),
        )
        .order_by("pk")
        .values_list(*_selected(NEAR_MISS_EXPORT_COLUMNS))
    )


def stream_export(values_queryset, header: list[str]) -> Iterator[str]:
    return stream_rows_csv(header, values_queryset.iterator(chunk_size=CHUNK_SIZE))
