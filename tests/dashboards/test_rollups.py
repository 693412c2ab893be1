"""Figures read from the monthly rollups equal the figures counted from the records.

An organisation with every shape the cells must get right (incidents touching several systems
and teams, signals naming a system or inheriting their subject's, near misses without a
potential severity, private incidents, a deployment named by a public and a private incident,
records on the first and last instant of a month), rolled up; then every selector, for several
viewers, filters and periods (whole quarters, and a custom range with partial months at both
edges), gives the same values as under `live_only()`.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboards import selectors
from dashboards.models import RollupCell, RollupMonth
from dashboards.periods import DashboardFilters, Period
from dashboards.rollups.refresh import rebuild, refresh
from incidents.days import utc_today
from incidents.derived import live_only
from incidents.models import Difficulty, OwnershipGap, Severity
from reviews.models import ActionItem, Review
from tests.factories import (
    ActionItemFactory,
    DeploymentFactory,
    DifficultyFactory,
    IncidentFactory,
    NearMissFactory,
    OwnershipGapFactory,
    ResponderFactory,
    ReviewFactory,
    SurpriseFactory,
    SurveyResponseFactory,
    SystemFactory,
    TeamFactory,
    ThemeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Q2 = Period.quarter(2026, 2)
EDGES = Period(datetime(2026, 2, 10, tzinfo=UTC), datetime(2026, 5, 20, 12, tzinfo=UTC))
SEVERITIES = [Severity.SEV1, Severity.SEV2, Severity.SEV3, Severity.SEV4]


def _moment(rng: random.Random) -> datetime:
    """A time in January to August 2026, often on a month's first or last instant."""
    month = rng.randint(1, 8)
    first = datetime(2026, month, 1, tzinfo=UTC)
    choice = rng.random()
    if choice < 0.15:
        return first
    if choice < 0.3:
        after = datetime(2026 + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        return after - timedelta(seconds=1)
    return first + timedelta(days=rng.randint(0, 27), hours=rng.randint(0, 23))


def build_organisation(size: int = 60, seed: int = 12) -> dict:
    rng = random.Random(seed)
    teams = [TeamFactory(name=f"Team {i}") for i in range(3)]
    systems = [
        SystemFactory(name=f"sys-{i}", owner_team=teams[i % 3] if i % 4 else None) for i in range(6)
    ]
    themes = [ThemeFactory(name=f"Theme {i}") for i in range(3)]
    insider = ResponderFactory(username="insider")
    deployments = [
        DeploymentFactory(system=systems[i % 5], deployed_at=_moment(rng)) for i in range(40)
    ]
    DeploymentFactory(system=systems[0], deployed_at=_moment(rng), environment="staging")
    incidents = []
    # Follow-ups due around today ("overdue" moves with it): before today's month, earlier
    # in it, today, later, or never. Their own random draws leave the rest as it was.
    follow_ups, today = random.Random(seed + 1), utc_today()
    due_dates = [
        None,
        today - timedelta(days=45),
        today.replace(day=1),
        today,
        today + timedelta(days=10),
    ]
    due_dates.append(today - timedelta(days=1))
    for i in range(size):
        cause = rng.choice(deployments) if rng.random() < 0.3 else None
        incident = IncidentFactory(
            started_at=_moment(rng),
            severity=rng.choice(SEVERITIES),
            systems=rng.sample(systems, rng.randint(0, 3)),
            teams=rng.sample(teams, rng.randint(0, 2)),
            is_private=rng.random() < 0.2,
            caused_by=cause,
            triggered_by_change=cause is not None or rng.random() < 0.2,
        )
        if incident.is_private and rng.random() < 0.5:
            incident.responders.add(insider)
        incidents.append(incident)
        for _ in range(rng.randint(0, 3)):
            SurpriseFactory(incident=incident, system=rng.choice([None, *systems])).themes.add(
                *rng.sample(themes, rng.randint(0, 2))
            )
        if rng.random() < 0.6:
            DifficultyFactory(
                incident=incident,
                system=rng.choice([None, *systems]),
                category=rng.choice(Difficulty.Category.values),
            ).themes.add(*rng.sample(themes, rng.randint(0, 1)))
        if rng.random() < 0.4:
            OwnershipGapFactory(
                incident=incident,
                system=rng.choice([None, *systems]),
                kind=rng.choice(OwnershipGap.Kind.values),
                resolved=rng.random() < 0.5,
            )
        if rng.random() < 0.3:
            themes[i % 3].incidents.add(incident)
        if rng.random() < 0.5:
            review = ReviewFactory(
                incident=incident,
                status=rng.choice([Review.Status.PUBLISHED, Review.Status.IN_PROGRESS]),
                published_at=incident.resolved_at + timedelta(days=2),
            )
            for _ in range(rng.randint(0, 2)):
                SurveyResponseFactory(review=review, learned_something=rng.random() < 0.6)
            for _ in range(follow_ups.randint(0, 3)):
                ActionItemFactory(
                    review=review,
                    owner_team=follow_ups.choice([None, *teams]),
                    due_date=follow_ups.choice(due_dates),
                    status=follow_ups.choice(ActionItem.Status.values),
                )
    # The same deployment behind a public and a private incident: failed once.
    shared = deployments[0]
    for private in (False, True):
        IncidentFactory(started_at=_moment(rng), caused_by=shared, is_private=private)
    for _ in range(size // 2):
        near_miss = NearMissFactory(
            occurred_at=_moment(rng),
            potential_severity=rng.choice(["", *SEVERITIES]),
            systems=rng.sample(systems, rng.randint(0, 2)),
        )
        if rng.random() < 0.4:
            SurpriseFactory(incident=None, near_miss=near_miss, system=rng.choice([None, *systems]))
    return {"teams": teams, "systems": systems, "insider": insider}


FILTERS = [
    {},
    {"team": "team-1"},
    {"system": "sys-1"},
    {"severity": Severity.SEV2},
    {"team": "team-2", "severity": Severity.SEV3},
    {"team": "team-1", "system": "sys-1"},
]


def _figures(user, filters: DashboardFilters, period: Period) -> dict:
    system = "sys-1"
    from incidents.models import System

    return {
        "overview": selectors.dashboard_overview(user=user, period=period, filters=filters),
        "summary": selectors.period_comparison(user=user, period=period, filters=filters),
        "systems": selectors.systems_page(user=user, period=period, filters=filters),
        "themes": selectors.theme_rows(user=user, period=period, filters=filters),
        "changes": selectors.change_summary(user=user, period=period, filters=filters),
        "teams": selectors.team_change_rows(user=user, period=period, filters=filters),
        "trend": selectors.monthly_trends(user=user, filters=filters, end=date(2026, 9, 1)),
        "history": selectors.system_history(
            user=user,
            system=System.objects.get(slug=system),
            filters=filters,
            end=date(2026, 9, 1),
        ),
    }


def differences(rolled, live, path: str = "") -> list[str]:
    """Where two selector results differ, as paths to the differing values (readable
    failures: the results are nested dataclasses)."""
    if dataclasses.is_dataclass(live) and not isinstance(live, type):
        found = []
        for field in dataclasses.fields(live):
            found += differences(
                getattr(rolled, field.name), getattr(live, field.name), f"{path}.{field.name}"
            )
        return found
    if isinstance(live, (list, tuple)) and isinstance(rolled, (list, tuple)):
        if len(live) != len(rolled):
            return [f"{path}: {len(rolled)} items, live {len(live)}"]
        found = []
        for index, (a, b) in enumerate(zip(rolled, live, strict=True)):
            found += differences(a, b, f"{path}[{index}]")
        return found
    if isinstance(live, dict) and isinstance(rolled, dict):
        found = []
        for key in sorted(set(live) | set(rolled), key=str):
            found += differences(rolled.get(key), live.get(key), f"{path}[{key!r}]")
        return found
    return [] if rolled == live else [f"{path}: {rolled!r}, live {live!r}"]


def _assert_same(user, filters: dict, period: Period) -> None:
    dashboard_filters = DashboardFilters(**filters)
    rolled = _figures(user, dashboard_filters, period)
    with live_only():
        live = _figures(user, dashboard_filters, period)
    found = differences(rolled, live)
    assert not found, "\n".join(found[:20])


@pytest.fixture
def organisation(db):
    found = build_organisation()
    assert rebuild() == 8
    return found


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: "-".join(f.values()) or "none")
@pytest.mark.parametrize("viewer", ["superuser", "insider", "outsider"])
@pytest.mark.parametrize("period", [Q2, EDGES], ids=["q2", "partial-months"])
def test_every_figure_from_the_rollups_equals_the_live_count(organisation, viewer, filters, period):
    user = {
        "superuser": UserFactory(username="root", is_superuser=True),
        "insider": organisation["insider"],
        "outsider": UserFactory(username="out"),
    }[viewer]
    _assert_same(user, filters, period)


def test_the_pages_read_the_cells_not_the_records(organisation):
    """Proof the figures above come from the cells: change one and the figure moves."""
    root = UserFactory(username="root", is_superuser=True)
    before = selectors.period_comparison(user=root, period=Q2, filters=DashboardFilters())
    RollupCell.objects.filter(
        measure="incidents", month=date(2026, 5, 1), team=0, system=0, severity=""
    ).update(n=10_000)
    after = selectors.period_comparison(user=root, period=Q2, filters=DashboardFilters())
    assert after.incidents.current > before.incidents.current + 9_000
    with live_only():
        live = selectors.period_comparison(user=root, period=Q2, filters=DashboardFilters())
    assert live.incidents.current == before.incidents.current


def test_follow_ups_are_read_from_the_cells_with_overdue_moving_with_today(organisation):
    root = UserFactory(username="root", is_superuser=True)

    def loop(today=None):
        return selectors.learning_loop(
            user=root, period=Q2, filters=DashboardFilters(), today=today
        )

    before = loop()
    # Tomorrow, a follow-up due today is overdue: the cells (by due month) cannot say so, the
    # live part does.
    due_today = ActionItem.objects.filter(
        status__in=ActionItem.OPEN_STATUSES,
        due_date=utc_today(),
        review__incident__started_at__gte=Q2.start,
        review__incident__started_at__lt=Q2.end,
    ).count()
    assert due_today
    tomorrow = loop(today=utc_today() + timedelta(days=1))
    assert tomorrow.follow_ups_overdue == before.follow_ups_overdue + due_today
    cell = RollupCell.objects.filter(
        measure="follow_ups",
        month__range=(Q2.start.date(), Q2.end.date()),
        key__startswith="open:",
        team=0,
        system=0,
        severity="",
    ).first()
    cell.n += 1_000
    cell.save()
    assert loop().follow_ups_open == before.follow_ups_open + 1_000
    with live_only():
        assert loop() == before


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite sorts every duration in Python"
)
def test_on_postgresql_the_durations_come_from_rank_buckets_without_a_team_or_system(
    organisation,
):
    """Without a team or system filter the period's durations are never sorted: the bins are
    sums of the cells' rank buckets and only the incidents of a few buckets are read; with a
    team filter (no such cells) the period is sorted, as under live_only()."""
    root = UserFactory(username="root", is_superuser=True)

    def queries(**filters):
        with CaptureQueriesContext(connection) as captured:
            selectors.duration_distributions(
                user=root, period=Q2, filters=DashboardFilters(**filters)
            )
        return " ".join(query["sql"] for query in captured.captured_queries)

    assert RollupCell.objects.filter(measure="duration_ranks", month=date(2026, 5, 1)).exists()
    whole = queries()
    assert "WIDTH_BUCKET" in whole
    assert "PERCENTILE_CONT(ARRAY" not in whole
    assert "PERCENTILE_CONT(ARRAY" in queries(team="team-1")


def _incident_cells(private: bool) -> int:
    return sum(
        RollupCell.objects.filter(
            measure="incidents", team=0, system=0, severity="", private=private
        ).values_list("n", flat=True)
    )


def test_public_cells_count_no_private_incident_and_private_cells_count_them(organisation):
    from incidents.models import Incident

    private = Incident.objects.filter(is_private=True).count()
    assert _incident_cells(private=False) == Incident.objects.filter(is_private=False).count()
    assert _incident_cells(private=True) == private > 0


def test_only_a_viewer_who_sees_every_incident_reads_the_private_cells(organisation):
    """A private cell damaged: the superuser's figure moves, a responder's and an outsider's
    do not (they count the private incidents they may see live)."""
    root = UserFactory(username="root", is_superuser=True)
    others = [organisation["insider"], UserFactory(username="outsider")]

    def incidents(user) -> int:
        return selectors.period_comparison(
            user=user, period=Q2, filters=DashboardFilters()
        ).incidents.current

    before = {user.pk: incidents(user) for user in [root, *others]}
    cell = RollupCell.objects.filter(
        measure="incidents",
        month__range=(Q2.start.date(), Q2.end.date()),
        team=0,
        system=0,
        severity="",
        private=True,
    ).first()
    cell.n = 10_000
    cell.save()
    assert incidents(root) > before[root.pk] + 9_000
    for user in others:
        assert incidents(user) == before[user.pk]


def test_a_month_marked_by_a_write_is_counted_live_until_refreshed(organisation):
    from incidents.models import DirtyMonth

    root = UserFactory(username="root", is_superuser=True)
    RollupCell.objects.filter(measure="incidents", month=date(2026, 5, 1)).update(n=10_000)
    DirtyMonth.objects.create(month=date(2026, 5, 1))
    _assert_same(root, {}, Q2)  # the damaged month is not read
    assert refresh() == 1
    assert RollupMonth.objects.filter(month=date(2026, 5, 1)).exists()
    _assert_same(root, {}, Q2)
    assert not RollupCell.objects.filter(n=10_000).exists()


def test_resolving_or_publishing_in_a_computed_month_keeps_the_durations_exact(organisation):
    """The durations' rank buckets read the detection, resolution and publication times: a
    change to any of them marks the month, so the medians and bins stay those of the records."""
    from incidents.models import Incident

    root = UserFactory(username="root", is_superuser=True)
    incident = Incident.objects.filter(
        started_at__gte=Q2.start, started_at__lt=Q2.end, resolved_at__isnull=False, review=None
    ).first()
    review = ReviewFactory(
        incident=incident,
        status=Review.Status.PUBLISHED,
        published_at=incident.resolved_at + timedelta(days=3),
    )
    refresh()
    incident.resolved_at = incident.started_at + timedelta(days=30)
    incident.detected_at = incident.started_at + timedelta(hours=20)
    incident.save()
    _assert_same(root, {}, Q2)
    refresh()
    Review.objects.filter(pk=review.pk).update(
        published_at=incident.resolved_at + timedelta(days=40)
    )
    _assert_same(root, {}, Q2)
