"""Database expressions the selectors need that Django lacks, or computes row by row in Python
on SQLite: the UTC month of a timestamp, seconds between timestamps, PostgreSQL's percentiles
and the rank buckets of durations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.contrib.postgres.fields import ArrayField
from django.db.models import Aggregate, CharField, DurationField, FloatField, Func, IntegerField

from dashboards.rollups.cells import rank_bucket_sql


class _PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate for several fractions at once (one sort for all of
    them); works on intervals, so no epoch conversion. A list, one interval per fraction."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fractions)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fractions: Sequence[float], **extra):
        array = "ARRAY[" + ", ".join(f"{float(fraction)!r}::float8" for fraction in fractions) + "]"
        super().__init__(
            expression, fractions=array, output_field=ArrayField(DurationField()), **extra
        )


class _RankBucket(Func):
    """The rank bucket of `end - start` (PostgreSQL only; dashboards/rollups/cells.py)."""

    arg_joiner = " - "
    template = rank_bucket_sql("%(expressions)s")
    output_field = IntegerField()


class _SqliteSeconds(Func):
    """Seconds between two timestamps with SQLite's native julianday(), rounded to the
    millisecond. Django's own datetime subtraction on SQLite calls back into Python for every
    row, which costs several times more on large periods."""

    template = "ROUND((julianday(%(expressions)s)) * 86400.0, 3)"
    arg_joiner = ") - julianday("
    output_field = FloatField()


class _MonthOf(Func):
    """The UTC calendar month of a timestamp, computed natively by the database (TruncMonth
    on SQLite calls back into Python for every row): "YYYY-MM" text on SQLite, the month's
    first instant on PostgreSQL (date_trunc is cheaper than formatting every row)."""

    output_field = CharField()

    def as_sql(self, compiler, connection, **extra_context):
        # SQLite stores UTC timestamps as "YYYY-MM-DD HH:MM:SS": the month is the prefix.
        return super().as_sql(
            compiler, connection, template="SUBSTR(%(expressions)s, 1, 7)", **extra_context
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="DATE_TRUNC('month', %(expressions)s AT TIME ZONE 'UTC')::date",
            **extra_context,
        )


def _as_date(month) -> date:
    """A _MonthOf value as the month's first day, whatever the database returned."""
    if isinstance(month, date):
        return month.replace(day=1)
    return date.fromisoformat(f"{str(month)[:7]}-01")
