"""The medians and p90s the overview shows from the rollups' rank buckets are exactly
PostgreSQL's PERCENTILE_CONT over every incident of the period, and "overdue" in today's month
from the cells by due date is exactly the live count.

On PostgreSQL, without a team or system filter, the durations' percentiles no longer sort the
period: the cells count the incidents by rank bucket (measure `duration_ranks`) and only the
buckets the wanted ranks fall in are read (dashboards/selectors/durations.py). These tests
compare every figure with `live_only()`, which sorts everything as before, on shapes where an
off-by-one would show: ties, one or two incidents, ranks on both sides of a bucket edge,
negative and missing durations, partial months at a custom range's edges, private incidents
for a viewer who reads only the public cells, and a severity filter.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboards import selectors
from dashboards.models import RollupCell
from dashboards.periods import DashboardFilters, Period
from dashboards.rollups.cells import RANK_EDGES
from dashboards.rollups.refresh import rebuild
from dashboards.selectors.learning_loop import learning_loop
from incidents.derived import live_only
from incidents.models import Incident, Severity
from reviews.models import ActionItem, Review
from tests.factories import (
    ActionItemFactory,
    IncidentFactory,
    ResponderFactory,
    ReviewFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite sorts every duration in Python"
)

Q2 = Period.quarter(2026, 2)
EDGES = Period(datetime(2026, 3, 20, tzinfo=UTC), datetime(2026, 6, 10, 12, tzinfo=UTC))
MOMENTS = [
    datetime(2026, 3, 25, tzinfo=UTC),  # before Q2, inside EDGES' partial first month
    datetime(2026, 4, 1, tzinfo=UTC),
    datetime(2026, 5, 15, 8, tzinfo=UTC),
    datetime(2026, 6, 5, tzinfo=UTC),  # inside EDGES' partial last month
    datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC),
]


def _incident(started_at, detect_seconds, resolve_seconds, *, private=False, severity=None):
    """An incident detected and resolved so many seconds after it started (None: not yet)."""
    return IncidentFactory(
        started_at=started_at,
        detected_at=None
        if detect_seconds is None
        else started_at + timedelta(seconds=detect_seconds),
        resolved_at=None
        if resolve_seconds is None
        else started_at + timedelta(seconds=resolve_seconds),
        mitigated_at=None,
        is_private=private,
        severity=severity or Severity.SEV3,
    )


def _figures(user, period, **filters):
    """Every duration summary a page shows: detect, resolve, and days to publish."""
    scope = {"user": user, "period": period, "filters": DashboardFilters(**filters)}
    durations = selectors.duration_distributions(**scope)
    return durations, learning_loop(**scope).days_to_publish


def _assert_as_live(viewers, periods=(Q2, EDGES), filters=({}, {"severity": "SEV2"})):
    for user in viewers:
        for period in periods:
            for scope in filters:
                found = _figures(user, period, **scope)
                with live_only():
                    assert found == _figures(user, period, **scope), (user, period, scope)


@pytest.fixture
def viewers():
    insider = ResponderFactory(username="insider")
    return [UserFactory(username="root", is_superuser=True), insider]


@postgresql_only
def test_percentiles_from_the_rank_buckets_equal_the_sorted_ones_on_awkward_shapes(viewers):
    insider = viewers[1]
    # Ties inside one bucket and across months; durations on both sides of a bucket's edge;
    # zero, negative and missing spans.
    edge = RANK_EDGES[120]
    seconds = [600, 600, 600, 601, edge - 1, edge, edge + 1, 0, 0, 86_400, 86_401, 12, 7_000_000]
    for index, value in enumerate(seconds):
        moment = MOMENTS[index % len(MOMENTS)]
        severity = Severity.SEV2 if index % 3 == 0 else Severity.SEV3
        incident = _incident(moment, value, value * 3 + 5, severity=severity)
        if index % 2:
            review = ReviewFactory(incident=incident, status=Review.Status.PUBLISHED)
            review.published_at = incident.resolved_at + timedelta(hours=index * 7 + 1)
            review.save()
    _incident(MOMENTS[2], -30, None)  # bad data: left out, never an error
    _incident(MOMENTS[1], None, 4_000)
    seen = _incident(MOMENTS[2], 5, 50, private=True, severity=Severity.SEV2)
    seen.lead = insider  # a private incident the insider may see: counted live for them
    seen.save()
    _incident(MOMENTS[4], 1, 2, private=True)
    rebuild()
    assert RollupCell.objects.filter(measure="duration_ranks").exists()
    _assert_as_live(viewers)


@postgresql_only
@pytest.mark.parametrize("count", [1, 2, 3, 10])
def test_percentiles_of_very_few_incidents_equal_the_sorted_ones(viewers, count):
    for index in range(count):
        _incident(MOMENTS[1 + index % 3], 60 * (index + 1) ** 2, 3_600 + index)
    rebuild()
    _assert_as_live(viewers)


@postgresql_only
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(MOMENTS),
            st.one_of(st.none(), st.integers(-100, 10**6)),
            st.integers(0, 10**7),
            st.booleans(),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_percentiles_from_the_rank_buckets_equal_the_sorted_ones_for_any_durations(
    viewers, incidents
):
    Incident.objects.all().delete()
    insider = viewers[1]
    for moment, detect, resolve, private in incidents:
        incident = _incident(moment, detect, resolve, private=private)
        if private and resolve % 2:
            incident.lead = insider
            incident.save()
    rebuild()
    _assert_as_live(viewers, filters=({},))


def test_open_follow_ups_due_earlier_in_todays_month_are_overdue_from_the_cells(viewers):
    today = date(2026, 11, 18)
    incident = _incident(datetime(2026, 8, 3, tzinfo=UTC), 60, 600)
    review = ReviewFactory(incident=incident)
    for due, status in (
        (date(2026, 11, 2), ActionItem.Status.OPEN),  # overdue
        (date(2026, 11, 17), ActionItem.Status.IN_PROGRESS),  # overdue
        (date(2026, 11, 18), ActionItem.Status.OPEN),  # due today: not yet
        (date(2026, 11, 30), ActionItem.Status.OPEN),
        (date(2026, 11, 5), ActionItem.Status.DONE),
        (date(2026, 10, 30), ActionItem.Status.OPEN),  # overdue, an earlier month
    ):
        ActionItemFactory(review=review, due_date=due, status=status)
    private = _incident(datetime(2026, 8, 9, tzinfo=UTC), 60, 600, private=True)
    ActionItemFactory(
        review=ReviewFactory(incident=private), due_date=date(2026, 11, 3), status="open"
    )
    rebuild()
    q3 = Period.quarter(2026, 3)
    for user in viewers:
        for filters in (DashboardFilters(), DashboardFilters(severity="SEV3")):
            found = learning_loop(user=user, period=q3, filters=filters, today=today)
            with live_only():
                assert found == learning_loop(user=user, period=q3, filters=filters, today=today)
    found = learning_loop(user=viewers[0], period=q3, filters=DashboardFilters(), today=today)
    assert found.follow_ups_overdue == 4  # three of the public incident's, the private one
    assert RollupCell.objects.filter(measure="follow_ups_open_due", key="2026-11-02").exists()
