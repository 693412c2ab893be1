"""Counts from dashboards.selectors against hand-built data (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dashboards import selectors
from dashboards.periods import DashboardFilters, Period
from dashboards.stats import FEWER, MORE, NO_CHANGE, duration_summary
from incidents.models import Difficulty, OwnershipGap, Severity
from reviews.models import ActionItem, Review
from tests.dashboards.conftest import ALL, Q3, at, summary
from tests.factories import (
    ActionItemFactory,
    DifficultyFactory,
    IncidentFactory,
    NearMissFactory,
    OwnershipGapFactory,
    ReviewFactory,
    SurpriseFactory,
    SurveyResponseFactory,
    SystemFactory,
    TeamFactory,
    ThemeFactory,
    UserFactory,
)


@pytest.mark.django_db
def test_incident_at_2330_utc_on_the_last_day_of_a_quarter_is_in_that_quarter(superuser):
    IncidentFactory(started_at=at("2026-09-30", 23, 30))
    IncidentFactory(started_at=at("2026-10-01", 0, 0))  # first instant of Q4: not in Q3
    IncidentFactory(started_at=at("2026-06-30", 23, 59))  # Q2, the previous cycle
    result = summary(superuser)
    assert (result.incidents.current, result.incidents.previous) == (1, 1)


@pytest.mark.django_db
def test_signals_belong_to_the_period_of_their_incident_or_near_miss(superuser):
    in_q3 = IncidentFactory(started_at=at("2026-08-10"))
    in_q2 = IncidentFactory(started_at=at("2026-05-10"))
    near_miss = NearMissFactory(occurred_at=at("2026-07-02"))
    SurpriseFactory.create_batch(2, incident=in_q3)  # created "now", counted in Q3
    SurpriseFactory(incident=None, near_miss=near_miss)
    SurpriseFactory(incident=in_q2)
    DifficultyFactory(incident=in_q3, category=Difficulty.Category.TOOLING)
    DifficultyFactory(incident=in_q2, category=Difficulty.Category.TOOLING)
    DifficultyFactory(incident=None, near_miss=near_miss)
    OwnershipGapFactory(incident=in_q3, kind=OwnershipGap.Kind.NO_OWNER)
    OwnershipGapFactory(incident=in_q3, kind=OwnershipGap.Kind.OWNER_UNCLEAR, resolved=True)
    result = summary(superuser)
    assert (result.surprises.current, result.surprises.previous) == (3, 1)
    assert (result.difficulties.current, result.difficulties.previous) == (2, 1)
    tooling = {row.key: row for row in result.difficulties_by_category}["tooling"]
    assert (tooling.counts.current, tooling.counts.previous) == (1, 1)
    assert result.ownership_gaps.current == 2
    assert result.open_ownership_gaps == 1
    assert [(kind.key, kind.count) for kind in result.open_ownership_gaps_by_kind] == [
        ("no_owner", 1)
    ]
    assert (result.near_misses.current, result.near_misses.previous) == (1, 0)
    share = result.incidents_with_surprise
    assert (share.current.successes, share.current.n) == (1, 1)
    assert (share.previous.successes, share.previous.n) == (1, 1)


@pytest.mark.django_db
def test_empty_periods_give_no_data_without_dividing_by_zero(superuser):
    IncidentFactory(started_at=at("2020-01-01"))  # far outside both periods
    result = summary(superuser)
    assert result.is_empty
    assert result.incidents.verdict == NO_CHANGE
    assert result.incidents.interval[0] == 0
    assert result.incidents_with_surprise.current.estimate is None
    assert result.near_miss_ratio.estimate is None
    loop = selectors.learning_loop(user=superuser, period=Q3, filters=ALL)
    assert loop.incidents == 0
    assert loop.published_share.estimate is None
    assert loop.days_to_publish.median is None
    assert loop.learned_something.estimate is None
    durations = selectors.duration_distributions(user=superuser, period=Q3, filters=ALL)
    assert durations.time_to_detect.n == 0
    assert durations.time_to_resolve.median is None
    assert durations.time_to_resolve.small_sample
    assert selectors.theme_rows(user=superuser, period=Q3, filters=ALL) == ()


@pytest.mark.django_db
def test_private_incidents_count_only_for_those_who_may_see_them(outsider, responder):
    lead = UserFactory(username="lee")
    private = IncidentFactory(started_at=at("2026-08-01"), is_private=True, lead=lead)
    private.responders.add(responder)
    SurpriseFactory(incident=private)
    IncidentFactory(started_at=at("2026-08-02"))
    for user, expected_incidents, expected_surprises in (
        (outsider, 1, 0),
        (lead, 2, 1),
        (responder, 2, 1),
    ):
        result = summary(user)
        assert result.incidents.current == expected_incidents, user
        assert result.surprises.current == expected_surprises, user


@pytest.mark.django_db
def test_private_incidents_stay_out_of_system_and_theme_rows_for_outsiders(outsider, superuser):
    system = SystemFactory(name="vault")
    theme = ThemeFactory(name="Secrets")
    private = IncidentFactory(started_at=at("2026-08-01"), is_private=True, systems=[system])
    theme.incidents.add(private)
    theme.surprises.add(SurpriseFactory(incident=private, system=system))
    rows = {row.slug: row for row in selectors.system_rows(user=outsider, period=Q3, filters=ALL)}
    assert (rows["vault"].incidents, rows["vault"].surprises) == (0, 0)
    themes = selectors.theme_rows(user=outsider, period=Q3, filters=ALL)
    assert themes[0].total == 0
    assert selectors.theme_rows(user=superuser, period=Q3, filters=ALL)[0].total == 2


@pytest.mark.django_db
def test_filters_by_team_system_and_severity(superuser):
    search = TeamFactory(name="Search")
    indexer = SystemFactory(name="indexer", owner_team=search)
    other = SystemFactory(name="other")
    IncidentFactory(started_at=at("2026-08-01"), systems=[indexer], severity=Severity.SEV1)
    IncidentFactory(started_at=at("2026-08-02"), systems=[other], teams=[search])
    IncidentFactory(started_at=at("2026-08-03"), systems=[other], severity=Severity.SEV1)
    NearMissFactory(occurred_at=at("2026-08-04"), systems=[indexer])
    NearMissFactory(occurred_at=at("2026-08-04"), systems=[other])
    assert summary(superuser, DashboardFilters(team="search")).incidents.current == 2
    assert summary(superuser, DashboardFilters(team="search")).near_misses.current == 1
    assert summary(superuser, DashboardFilters(system="indexer")).incidents.current == 1
    assert summary(superuser, DashboardFilters(severity="SEV1")).incidents.current == 2
    assert (
        summary(superuser, DashboardFilters(severity="SEV1", system="other")).incidents.current == 1
    )


@pytest.mark.django_db
def test_counts_compare_with_the_previous_cycle_using_the_rate_ratio_test(superuser):
    for day in range(30):
        IncidentFactory(started_at=at("2026-07-01") + timedelta(days=day))
    for day in range(15):
        IncidentFactory(started_at=at("2026-04-01") + timedelta(days=day))
    result = summary(superuser)
    assert result.incidents.verdict == MORE  # 30 vs 15 over 92 vs 91 days
    assert result.incidents.p_value < 0.05
    reversed_result = summary(superuser, period=Period.quarter(2026, 4).previous().previous())
    assert reversed_result.incidents.current == 15
    assert summary(superuser, period=Period.quarter(2026, 4)).incidents.verdict == FEWER


@pytest.mark.django_db
def test_unowned_systems_that_appeared_in_incidents_are_listed(superuser):
    orphan = SystemFactory(name="orphan", owner_team=None)
    SystemFactory(name="lonely", owner_team=None)  # no incident: not listed
    IncidentFactory.create_batch(2, started_at=at("2026-08-01"), systems=[orphan])
    result = summary(superuser)
    assert [(s.slug, s.incidents) for s in result.unowned_systems] == [("orphan", 2)]


@pytest.mark.django_db
def test_learning_loop_counts_reviews_follow_ups_and_survey(superuser):
    team = TeamFactory(name="Core")
    resolved = at("2026-08-01", 14)
    incident = IncidentFactory(started_at=at("2026-08-01", 10), resolved_at=resolved)
    review = ReviewFactory(
        incident=incident,
        status=Review.Status.PUBLISHED,
        published_at=resolved + timedelta(days=4),
    )
    ReviewFactory(incident=IncidentFactory(started_at=at("2026-08-05")))  # not published
    ActionItemFactory(review=review, status=ActionItem.Status.DONE, owner_team=team)
    ActionItemFactory(review=review, status=ActionItem.Status.OPEN, due_date=date(2020, 1, 1))
    ActionItemFactory(review=review, status=ActionItem.Status.IN_PROGRESS, owner_team=None)
    SurveyResponseFactory(review=review, learned_something=True)
    SurveyResponseFactory(review=review, learned_something=False)
    loop = selectors.learning_loop(user=superuser, period=Q3, filters=ALL)
    assert (loop.incidents, loop.reviews_published) == (2, 1)
    assert loop.days_to_publish.median == pytest.approx(4 * 86400)
    assert (loop.follow_ups_done, loop.follow_ups_open, loop.follow_ups_in_progress) == (1, 1, 1)
    assert (loop.follow_ups_overdue, loop.follow_ups_unowned) == (1, 1)
    assert (loop.learned_something.successes, loop.learned_something.n) == (1, 2)
    owned = selectors.learning_loop(
        user=superuser, period=Q3, filters=DashboardFilters(team="core")
    )
    assert (owned.follow_ups_done, owned.follow_ups_open, owned.follow_ups_unowned) == (1, 0, 0)


@pytest.mark.django_db
def test_duration_distributions_match_the_python_summary_on_every_database(superuser):
    minutes = [1, 3, 4, 9, 12, 30, 45, 90, 200, 2000]
    for index, minute in enumerate(minutes):
        start = at("2026-08-01") + timedelta(hours=index)
        IncidentFactory(
            started_at=start,
            detected_at=start + timedelta(minutes=minute),
            mitigated_at=start + timedelta(minutes=minute),
            resolved_at=None if index == 0 else start + timedelta(minutes=minute * 3),
        )
    durations = selectors.duration_distributions(user=superuser, period=Q3, filters=ALL)
    expected_detect = duration_summary([m * 60 for m in minutes])
    expected_resolve = duration_summary([m * 180 for m in minutes[1:]])
    for got, expected in (
        (durations.time_to_detect, expected_detect),
        (durations.time_to_resolve, expected_resolve),
    ):
        assert got.n == expected.n
        assert got.median == pytest.approx(expected.median)
        assert got.p90 == pytest.approx(expected.p90)
        assert got.log_histogram_bins == expected.log_histogram_bins
        assert got.small_sample


@pytest.mark.django_db
def test_monthly_trends_fill_empty_months_with_zero(superuser):
    IncidentFactory(started_at=at("2026-09-30", 23, 30))
    incident = IncidentFactory(started_at=at("2026-07-15"))
    SurpriseFactory(incident=incident)
    NearMissFactory(occurred_at=at("2026-08-01"))
    trend = selectors.monthly_trends(user=superuser, filters=ALL, months=3, end=date(2026, 10, 1))
    assert trend.months == (date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1))
    assert trend.incidents == (1, 0, 1)
    assert trend.near_misses == (0, 1, 0)
    assert trend.surprises == (1, 0, 0)
    assert trend.ownership_gaps == (0, 0, 0)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "filters",
    [
        ALL,
        DashboardFilters(team="search"),
        DashboardFilters(system="indexer"),
        DashboardFilters(severity="SEV1"),
        DashboardFilters(team="search", severity="SEV3"),
    ],
)
def test_dashboard_counts_equal_the_list_filtersets_with_the_same_parameters(filters, outsider):
    from incidents.filters import (
        DifficultyFilter,
        NearMissFilter,
        OwnershipGapFilter,
        SurpriseFilter,
    )
    from incidents.models import Difficulty as D
    from incidents.models import Incident, NearMiss, Surprise
    from incidents.models import OwnershipGap as G
    from reviews.filters import IncidentFilter

    search = TeamFactory(name="Search")
    indexer = SystemFactory(name="indexer", owner_team=search)
    other = SystemFactory(name="other", owner_team=None)
    for index, (severity, systems, private) in enumerate(
        [
            (Severity.SEV1, [indexer], False),
            (Severity.SEV3, [other], False),
            (Severity.SEV3, [indexer, other], False),
            (Severity.SEV1, [other], True),
            (Severity.SEV3, [], False),
        ]
    ):
        incident = IncidentFactory(
            started_at=at("2026-07-01") + timedelta(days=20 * index),
            severity=severity,
            systems=systems,
            is_private=private,
        )
        SurpriseFactory(incident=incident, system=None)
        SurpriseFactory(incident=incident, system=indexer)
        DifficultyFactory(incident=incident, system=other)
        OwnershipGapFactory(incident=incident, system=None)
        near_miss = NearMissFactory(
            occurred_at=at("2026-07-03") + timedelta(days=20 * index),
            systems=systems,
            potential_severity=severity,
        )
        SurpriseFactory(incident=None, near_miss=near_miss, system=None)
        DifficultyFactory(incident=None, near_miss=near_miss, system=indexer)
    result = summary(outsider, filters)
    params = {**Q3.query_params(), **filters.query_params()}

    def listed(filterset, queryset, **extra):
        found = filterset({**params, **extra}, queryset=queryset)
        assert found.is_valid(), found.errors
        return found.qs.count()

    incidents = Incident.objects.visible_to(outsider)
    assert result.incidents.current == listed(IncidentFilter, incidents)
    assert result.incidents_with_surprise.current.successes == listed(
        IncidentFilter, incidents, has="surprise"
    )
    assert result.near_misses.current == listed(NearMissFilter, NearMiss.objects.all())
    assert result.surprises.current == listed(SurpriseFilter, Surprise.objects.visible_to(outsider))
    assert result.difficulties.current == listed(DifficultyFilter, D.objects.visible_to(outsider))
    assert result.ownership_gaps.current == listed(
        OwnershipGapFilter, G.objects.visible_to(outsider)
    )
    assert result.open_ownership_gaps == listed(
        OwnershipGapFilter, G.objects.visible_to(outsider), resolved="false"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "filters",
    [ALL, DashboardFilters(team="owners"), DashboardFilters(system="s1", severity="SEV3")],
)
def test_the_overview_bundle_agrees_with_each_selector_called_alone(filters, outsider):
    owner = TeamFactory(name="Owners")
    systems = [SystemFactory(name=f"s{i}", owner_team=owner if i else None) for i in range(4)]
    for index in range(12):
        incident = IncidentFactory(
            started_at=at("2026-04-03") + timedelta(days=15 * index),
            systems=systems[index % 3 : index % 3 + 2],
            is_private=index == 5,
        )
        SurpriseFactory(incident=incident, system=systems[index % 4] if index % 3 else None)
        DifficultyFactory(incident=incident, system=systems[(index + 1) % 4])
        OwnershipGapFactory(incident=incident, system=systems[0], resolved=index % 2 == 0)
        near_miss = NearMissFactory(
            occurred_at=at("2026-05-01") + timedelta(days=9 * index), systems=[systems[1]]
        )
        SurpriseFactory(incident=None, near_miss=near_miss, system=None)
    bundle = selectors.dashboard_overview(user=outsider, period=Q3, filters=filters)
    assert bundle.summary == selectors.period_comparison(user=outsider, period=Q3, filters=filters)
    assert bundle.systems == selectors.system_rows(user=outsider, period=Q3, filters=filters)
    assert bundle.trend == selectors.monthly_trends(
        user=outsider, filters=filters, end=date(2026, 10, 1)
    )
    assert bundle.summary.surprises.current > 0 or filters.system


def test_within_merges_contiguous_periods_into_one_range():
    from django.db.models import Q

    from dashboards.selectors.scope import _within

    assert _within("at", Q3, Q3.previous()) == Q(at__gte=Q3.previous().start, at__lt=Q3.end)
    apart = _within("at", Q3, Period.quarter(2026, 1))
    assert len(apart.children) == 2
