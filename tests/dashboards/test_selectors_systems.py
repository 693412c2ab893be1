"""The systems and themes tables of dashboards.selectors against hand-built data (SQLite and
PostgreSQL): counts per system and theme, and the flags they raise."""

from __future__ import annotations

from datetime import date

import pytest

from dashboards import selectors
from dashboards.periods import DashboardFilters
from incidents.models import OwnershipGap, Severity
from reviews.models import ActionItem
from tests.dashboards.conftest import ALL, Q3, at, summary
from tests.factories import (
    ActionItemFactory,
    DifficultyFactory,
    IncidentFactory,
    NearMissFactory,
    OwnershipGapFactory,
    ReviewFactory,
    SurpriseFactory,
    SystemFactory,
    TeamFactory,
    ThemeFactory,
)


@pytest.mark.django_db
def test_system_rows_count_each_signal_and_flag_systems_high_on_several(superuser):
    owner = TeamFactory(name="Owners")
    systems = [SystemFactory(name=f"s{i}", owner_team=owner) for i in range(8)]
    hot, orphan = systems[0], SystemFactory(name="orphan", owner_team=None)
    for _ in range(4):
        incident = IncidentFactory(started_at=at("2026-08-01"), systems=[hot])
        SurpriseFactory(incident=incident, system=hot)
        DifficultyFactory(incident=incident, system=hot)
    IncidentFactory(started_at=at("2026-05-01"), systems=[hot])
    incident = IncidentFactory(started_at=at("2026-08-01"), systems=[orphan, systems[1]])
    OwnershipGapFactory(incident=incident, system=orphan, kind=OwnershipGap.Kind.NO_OWNER)
    NearMissFactory(occurred_at=at("2026-08-02"), systems=[hot, orphan])
    rows = {row.slug: row for row in selectors.system_rows(user=superuser, period=Q3, filters=ALL)}
    assert len(rows) == 9
    assert (rows["s0"].incidents, rows["s0"].incidents_previous) == (4, 1)
    assert (rows["s0"].surprises, rows["s0"].difficulties, rows["s0"].near_misses) == (4, 4, 1)
    assert rows["s0"].failure_rate.estimate == pytest.approx(4 / 92 * 30)
    assert rows["s0"].high_on == ("incidents", "surprises", "difficulties")
    assert rows["s0"].act_here
    assert (rows["orphan"].incidents, rows["orphan"].ownership_gaps) == (1, 1)
    assert not rows["orphan"].has_owner
    assert not rows["orphan"].act_here  # one record per signal is not "high"
    assert rows["s5"].incidents == 0
    assert rows["s5"].failure_rate.lower == 0
    only = selectors.system_rows(user=superuser, period=Q3, filters=DashboardFilters(system="s0"))
    assert [row.slug for row in only] == ["s0"]


@pytest.mark.django_db
def test_theme_rows_rank_by_carriers_and_flag_recurring_themes(superuser):
    retry, cache, flag = (ThemeFactory(name=name) for name in ("Retry", "Cache", "Flag"))
    now = IncidentFactory(started_at=at("2026-08-01"))
    before = IncidentFactory(started_at=at("2026-05-01"))
    retry.incidents.add(now, before)
    retry.surprises.add(SurpriseFactory(incident=now))
    cache.difficulties.add(DifficultyFactory(incident=now), DifficultyFactory(incident=now))
    cache.difficulties.add(DifficultyFactory(incident=now))
    flag.incidents.add(before)
    rows = selectors.theme_rows(user=superuser, period=Q3, filters=ALL)
    assert [(row.name, row.total, row.total_previous) for row in rows] == [
        ("Cache", 3, 0),
        ("Retry", 2, 1),
        ("Flag", 0, 1),
    ]
    # Carried in this cycle and the one before only: twice is not yet a recurring pattern.
    assert [row.recurring for row in rows] == [False, False, False]
    assert [row.cycles_seen for row in rows] == [1, 2, 1]


@pytest.mark.django_db
def test_a_theme_recurs_when_carried_now_and_in_two_of_the_three_cycles_before(superuser):
    def carried(theme, *days):
        for day in days:
            theme.incidents.add(IncidentFactory(started_at=at(day)))

    recurring, skipped, twice, gone = (
        ThemeFactory(name=name) for name in ("Recurring", "Skipped", "Twice", "Gone")
    )
    # Q3 2026 is this cycle; Q2, Q1 2026 and Q4 2025 the three before.
    carried(recurring, "2026-08-01", "2026-05-01", "2026-02-01", "2025-11-01")
    carried(skipped, "2026-08-01", "2026-02-01", "2025-11-01")  # not last cycle, still 3 of 4
    carried(twice, "2026-08-01", "2026-05-01", "2025-05-01")  # the third is too long ago
    carried(gone, "2026-05-01", "2026-02-01", "2025-11-01")  # not this cycle: nothing to act on
    rows = {row.name: row for row in selectors.theme_rows(user=superuser, period=Q3, filters=ALL)}
    assert {name: row.recurring for name, row in rows.items()} == {
        "Recurring": True,
        "Skipped": True,
        "Twice": False,
        "Gone": False,
    }
    assert rows["Recurring"].cycles_seen == selectors.RECURRING_CYCLES == 4


@pytest.mark.django_db
def test_system_history_lists_the_systems_records_and_open_follow_ups(superuser):
    system = SystemFactory(name="ledger")
    elsewhere = SystemFactory(name="elsewhere")
    incident = IncidentFactory(started_at=at("2026-08-01"), systems=[system])
    IncidentFactory(started_at=at("2026-08-01"), systems=[elsewhere])
    review = ReviewFactory(incident=incident)
    open_item = ActionItemFactory(review=review)
    ActionItemFactory(review=review, status=ActionItem.Status.DONE)
    NearMissFactory(occurred_at=at("2026-08-03"), systems=[system])
    history = selectors.system_history(
        user=superuser, system=system, months=3, end=date(2026, 10, 1)
    )
    assert history.incidents == (incident,)
    assert len(history.near_misses) == 1
    assert history.open_follow_ups == (open_item,)
    assert history.trend.incidents == (0, 1, 0)


@pytest.mark.django_db
def test_a_signal_naming_no_system_counts_for_the_systems_its_subject_touched(superuser):
    api, db = SystemFactory(name="api"), SystemFactory(name="db")
    incident = IncidentFactory(started_at=at("2026-08-01"), systems=[api, db])
    SurpriseFactory(incident=incident, system=None)  # inherited by api and db
    SurpriseFactory(incident=incident, system=api)
    near_miss = NearMissFactory(occurred_at=at("2026-08-02"), systems=[db])
    SurpriseFactory(incident=None, near_miss=near_miss, system=None)
    rows = {row.slug: row for row in selectors.system_rows(user=superuser, period=Q3, filters=ALL)}
    assert (rows["api"].surprises, rows["db"].surprises) == (2, 2)
    assert summary(superuser, DashboardFilters(system="api")).surprises.current == 2
    assert summary(superuser, DashboardFilters(system="db")).surprises.current == 2


@pytest.mark.django_db
def test_severity_filter_on_signals_uses_the_incidents_severity(superuser):
    incident = IncidentFactory(started_at=at("2026-08-01"), severity=Severity.SEV2)
    SurpriseFactory(incident=incident)
    near_miss = NearMissFactory(occurred_at=at("2026-08-02"), potential_severity=Severity.SEV2)
    SurpriseFactory(incident=None, near_miss=near_miss)
    result = summary(superuser, DashboardFilters(severity="SEV2"))
    assert result.surprises.current == 1
    assert result.near_misses.current == 1  # near misses by their potential severity


@pytest.mark.django_db
def test_system_rows_remember_which_systems_were_flagged_last_cycle(superuser):
    owner = TeamFactory(name="Owners")
    SystemFactory.create_batch(7, owner_team=owner)
    calmer = SystemFactory(name="calmer", owner_team=owner)
    for _ in range(4):  # busy in Q2 on three signals, quiet in Q3
        incident = IncidentFactory(started_at=at("2026-05-01"), systems=[calmer])
        SurpriseFactory(incident=incident, system=calmer)
        DifficultyFactory(incident=incident, system=None)  # inherited from the incident
    IncidentFactory(started_at=at("2026-08-01"), systems=[calmer])
    row = {r.slug: r for r in selectors.system_rows(user=superuser, period=Q3, filters=ALL)}[
        "calmer"
    ]
    assert row.high_on_previous == ("incidents", "surprises", "difficulties")
    assert row.flagged_previously
    assert not row.act_here
    assert (row.surprises_previous, row.surprises) == (4, 0)
    assert (row.difficulties_previous, row.incidents_previous, row.incidents) == (4, 4, 1)
