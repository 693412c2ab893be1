"""Failure rates per change (dashboards.selectors.changes): known values for the statistics,
properties that must hold for any counts, and the selectors against hand-built data (SQLite
and PostgreSQL), private incidents included."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboards import selectors
from dashboards.periods import DashboardFilters
from dashboards.stats import FEWER, NO_CHANGE
from tests.dashboards.conftest import ALL, Q3, at
from tests.dashboards.test_stats import _brute_force_binomtest
from tests.factories import (
    DeploymentFactory,
    IncidentFactory,
    SystemFactory,
    TeamFactory,
    UserFactory,
)

counts = st.integers(min_value=0, max_value=5000)


def _rates(deployments, incidents, failed=0, previous=(0, 0, 0)):
    return selectors.change_rates_of(
        deployments=deployments,
        incidents=incidents,
        failed=failed,
        deployments_previous=previous[0],
        incidents_previous=previous[1],
        failed_previous=previous[2],
    )


# --- the statistics: known values -------------------------------------------------------------


def test_incidents_per_100_deployments_carry_the_garwood_interval_of_the_count():
    rates = _rates(deployments=200, incidents=10)
    # Garwood 95% for 10 events is 4.795 to 18.39 (R: poisson.test(10)$conf.int).
    assert rates.per_100_deployments.estimate == pytest.approx(5.0)
    assert rates.per_100_deployments.lower == pytest.approx(4.795 / 2, rel=1e-3)
    assert rates.per_100_deployments.upper == pytest.approx(18.39 / 2, rel=1e-3)


def test_the_change_failure_rate_carries_the_wilson_interval():
    rates = _rates(deployments=200, incidents=10, failed=8)
    # Wilson 95% for 8 of 200 (R: prop.test(8, 200, correct = FALSE)$conf.int).
    assert rates.change_failure_rate.estimate == pytest.approx(0.04)
    assert rates.change_failure_rate.lower == pytest.approx(0.02041, rel=1e-3)
    assert rates.change_failure_rate.upper == pytest.approx(0.07693, rel=1e-3)


def test_more_incidents_from_five_times_the_deployments_is_fewer_per_change():
    # 10 incidents over 100 deployments, then 12 over 500: the raw count rose, but given 22
    # incidents, 500/600 of them were expected in the second period (binom.test(12, 22, 5/6)).
    rates = _rates(deployments=500, incidents=12, previous=(100, 10, 0))
    assert rates.change.verdict == FEWER
    assert rates.change.p_value == pytest.approx(_brute_force_binomtest(12, 22, 5 / 6))
    assert rates.change.p_value == pytest.approx(0.001518, rel=1e-3)
    assert rates.per_100_deployments.estimate == pytest.approx(2.4)
    assert rates.per_100_deployments_previous.estimate == pytest.approx(10.0)


def test_failed_deployments_compare_with_deployments_as_the_exposure():
    rates = _rates(deployments=400, incidents=6, failed=4, previous=(100, 6, 5))
    assert rates.failure_change.p_value == pytest.approx(_brute_force_binomtest(4, 9, 0.8))
    assert rates.failure_change.verdict == FEWER


def test_without_deployments_in_either_period_there_is_no_per_change_verdict():
    assert _rates(deployments=0, incidents=4, previous=(50, 2, 1)).change is None
    assert _rates(deployments=50, incidents=4, previous=(0, 2, 0)).change is None
    empty = _rates(deployments=0, incidents=0)
    assert not empty.exposure_known
    assert empty.per_100_deployments.estimate is None
    assert empty.change_failure_rate.estimate is None
    assert (empty.change_failure_rate.lower, empty.change_failure_rate.upper) == (0.0, 1.0)


# --- the statistics: properties ---------------------------------------------------------------


@given(
    deployments=st.integers(min_value=1, max_value=5000),
    incidents=counts,
    factor=st.integers(min_value=2, max_value=10),
)
def test_doubling_incidents_and_deployments_keeps_the_rate_and_narrows_its_interval(
    deployments, incidents, factor
):
    small = _rates(deployments=deployments, incidents=incidents).per_100_deployments
    large = _rates(
        deployments=deployments * factor, incidents=incidents * factor
    ).per_100_deployments
    assert large.estimate == pytest.approx(small.estimate)
    assert large.upper - large.lower < small.upper - small.lower


@given(
    deployments=st.integers(min_value=1, max_value=5000),
    incidents=counts,
    factor=st.integers(min_value=2, max_value=10),
)
def test_the_same_rate_per_change_in_both_cycles_is_no_change_however_busier(
    deployments, incidents, factor
):
    # Five times the deployments and five times the incidents: exactly the rate of before.
    rates = _rates(
        deployments=deployments * factor,
        incidents=incidents * factor,
        previous=(deployments, incidents, 0),
    )
    assert rates.change.verdict == NO_CHANGE


@given(incidents=counts, failed_previous=counts, incidents_previous=counts)
def test_zero_deployments_never_divides_by_zero(incidents, failed_previous, incidents_previous):
    rates = _rates(
        deployments=0,
        incidents=incidents,
        previous=(failed_previous, incidents_previous, failed_previous),
    )
    assert rates.per_100_deployments.estimate is None
    assert rates.change_failure_rate.estimate is None
    assert rates.change is None
    assert rates.failure_change is None


@given(deployments=counts, data=st.data())
def test_the_change_failure_rate_lies_inside_its_interval(deployments, data):
    failed = data.draw(st.integers(min_value=0, max_value=deployments))
    share = _rates(deployments=deployments, incidents=0, failed=failed).change_failure_rate
    assert 0.0 <= share.lower <= (share.estimate if deployments else 0.5) <= share.upper <= 1.0


# --- the selectors ----------------------------------------------------------------------------


@pytest.fixture
def checkout(db):
    return SystemFactory(name="checkout", owner_team=TeamFactory(name="Shop"))


def _deploy(system, day, n=1, **kwargs):
    return [DeploymentFactory(system=system, deployed_at=at(day), **kwargs) for _ in range(n)]


@pytest.mark.django_db
def test_a_systems_row_counts_production_deployments_and_the_ones_that_caused_incidents(
    superuser, checkout
):
    deployments = _deploy(checkout, "2026-08-03", n=10)
    _deploy(checkout, "2026-08-03", n=5, environment="staging")
    _deploy(checkout, "2026-05-03", n=4)
    _deploy(checkout, "2026-08-03", outcome="failure")  # a failed deploy still changed prod
    first = IncidentFactory(started_at=at("2026-08-04"), systems=[checkout])
    first.caused_by = deployments[0]
    first.save()
    # Two incidents of one deployment: one failed deployment.
    IncidentFactory(started_at=at("2026-08-05"), systems=[checkout], caused_by=deployments[0])
    IncidentFactory(started_at=at("2026-08-06"), systems=[checkout])
    IncidentFactory(started_at=at("2026-05-06"), systems=[checkout])
    (row,) = selectors.system_rows(user=superuser, period=Q3, filters=ALL)
    changes = row.changes
    assert (changes.deployments, changes.deployments_previous) == (11, 4)
    assert (changes.incidents, changes.incidents_previous) == (3, 1)
    assert (changes.failed_deployments, changes.failed_deployments_previous) == (1, 0)
    assert changes.per_100_deployments.estimate == pytest.approx(3 / 11 * 100)
    assert changes.change_failure_rate.estimate == pytest.approx(1 / 11)
    assert row.exposure_known
    assert row.denominator == "per 100 deployments"
    assert row.rate == changes.per_100_deployments
    assert row.compared_per_change
    assert row.verdict_change == changes.change


@pytest.mark.django_db
def test_a_system_without_deployments_falls_back_to_the_rate_per_30_days(superuser, checkout):
    IncidentFactory(started_at=at("2026-08-04"), systems=[checkout])
    _deploy(checkout, "2026-05-03")  # last cycle only: no per-change comparison either
    (row,) = selectors.system_rows(user=superuser, period=Q3, filters=ALL)
    assert not row.exposure_known
    assert row.denominator == "per 30 days"
    assert row.rate == row.failure_rate
    assert not row.compared_per_change
    assert row.verdict_change == row.change


@pytest.mark.django_db
def test_a_private_incidents_cause_counts_only_for_those_who_may_see_it(checkout):
    lead, outsider = UserFactory(username="lead"), UserFactory(username="outsider")
    (deployment,) = _deploy(checkout, "2026-08-03")
    IncidentFactory(
        started_at=at("2026-08-04"),
        systems=[checkout],
        is_private=True,
        lead=lead,
        caused_by=deployment,
    )
    for user, failed, incidents in ((lead, 1, 1), (outsider, 0, 0)):
        (row,) = selectors.system_rows(user=user, period=Q3, filters=ALL)
        assert row.changes.failed_deployments == failed
        assert row.changes.incidents == incidents
        summary = selectors.change_summary(user=user, period=Q3, filters=ALL)
        assert summary.rates.failed_deployments == failed
        assert summary.rates.incidents == incidents
        (team,) = selectors.team_change_rows(user=user, period=Q3, filters=ALL)
        assert team.changes.failed_deployments == failed
        assert team.changes.incidents == incidents


@pytest.mark.django_db
def test_the_severity_filter_keeps_the_deployments_but_only_failures_of_that_severity(
    superuser, checkout
):
    major, minor, _calm = _deploy(checkout, "2026-08-03", n=3)
    IncidentFactory(
        started_at=at("2026-08-04"), systems=[checkout], severity="SEV1", caused_by=major
    )
    IncidentFactory(
        started_at=at("2026-08-04"), systems=[checkout], severity="SEV4", caused_by=minor
    )
    sev1 = DashboardFilters(severity="SEV1")
    summary = selectors.change_summary(user=superuser, period=Q3, filters=sev1)
    assert summary.rates.deployments == 3
    assert summary.rates.failed_deployments == 1
    assert summary.rates.incidents == 1


@pytest.mark.django_db
def test_the_organisations_rate_counts_only_incidents_of_systems_that_deployed(superuser, checkout):
    quiet = SystemFactory(name="legacy-cron", owner_team=None)
    _deploy(checkout, "2026-08-03", n=20)
    _deploy(checkout, "2026-05-03", n=10)
    IncidentFactory(started_at=at("2026-08-04"), systems=[checkout])
    IncidentFactory(started_at=at("2026-08-04"), systems=[checkout, quiet])
    IncidentFactory(started_at=at("2026-08-05"), systems=[quiet])
    IncidentFactory(started_at=at("2026-08-05"), systems=[quiet], triggered_by_change=True)
    summary = selectors.change_summary(user=superuser, period=Q3, filters=ALL)
    assert summary.rates.incidents == 2
    assert summary.incidents_without_deployments == 2
    assert summary.changes_without_deployment == 1
    assert summary.rates.per_100_deployments.estimate == pytest.approx(10.0)
    assert summary.rates.deployments_previous == 10


@pytest.mark.django_db
def test_team_rows_count_the_deployments_and_incidents_of_the_systems_each_team_owns(
    superuser, checkout
):
    shop = checkout.owner_team
    cart = SystemFactory(name="cart", owner_team=shop)
    ledger = SystemFactory(name="ledger", owner_team=TeamFactory(name="Money"))
    _deploy(checkout, "2026-08-03", n=3)
    _deploy(cart, "2026-08-03", n=2)
    _deploy(ledger, "2026-08-03", n=4)
    IncidentFactory(started_at=at("2026-08-04"), systems=[checkout, cart])  # one, not two
    IncidentFactory(started_at=at("2026-08-04"), systems=[ledger], teams=[shop])  # not Shop's
    rows = {
        row.slug: row.changes
        for row in selectors.team_change_rows(user=superuser, period=Q3, filters=ALL)
    }
    assert (rows["shop"].deployments, rows["shop"].incidents) == (5, 1)
    assert (rows["money"].deployments, rows["money"].incidents) == (4, 1)
    only = selectors.team_change_rows(
        user=superuser, period=Q3, filters=DashboardFilters(team="money")
    )
    assert [row.slug for row in only] == ["money"]
    summary = selectors.change_summary(
        user=superuser, period=Q3, filters=DashboardFilters(team="shop")
    )
    assert (summary.rates.deployments, summary.rates.incidents) == (5, 1)


@pytest.mark.django_db
def test_act_here_ranks_incidents_per_change_where_deployments_are_recorded(superuser):
    owner = TeamFactory(name="Owners")
    systems = [SystemFactory(name=f"s{i}", owner_team=owner) for i in range(8)]
    busy, fragile = systems[0], systems[1]
    _deploy(busy, "2026-08-01", n=100)
    _deploy(fragile, "2026-08-01", n=4)
    for system in systems[2:5]:
        _deploy(system, "2026-08-01", n=10)
    for _ in range(6):
        IncidentFactory(started_at=at("2026-08-02"), systems=[busy])
    for _ in range(3):
        IncidentFactory(started_at=at("2026-08-02"), systems=[fragile])
    for system in systems[2:5]:
        for _ in range(3):
            IncidentFactory(started_at=at("2026-08-02"), systems=[system])
    rows = {row.slug: row for row in selectors.system_rows(user=superuser, period=Q3, filters=ALL)}
    # By count, busy (6) is the top; per change, it is the lowest (6 per 100 against 30-75).
    assert "incidents" not in rows["s0"].high_on
    assert "incidents" in rows["s1"].high_on


@pytest.mark.django_db
def test_a_systems_history_shows_deployments_and_incidents_month_by_month(superuser, checkout):
    (deployment,) = _deploy(checkout, "2026-08-03")
    _deploy(checkout, "2026-09-03", n=4)
    _deploy(checkout, "2026-09-03", environment="staging")
    IncidentFactory(started_at=at("2026-08-04"), systems=[checkout], caused_by=deployment)
    history = selectors.system_history(user=superuser, system=checkout, end=Q3.end_date, months=3)
    months = {month.month.month: month for month in history.changes}
    assert set(months) == {7, 8, 9}
    assert (months[8].deployments, months[8].failed_deployments, months[8].incidents) == (1, 1, 1)
    assert months[8].per_100_deployments.estimate == pytest.approx(100.0)
    assert (months[9].deployments, months[9].incidents) == (4, 0)
    assert months[7].per_100_deployments.estimate is None


@pytest.mark.django_db
def test_deployments_outside_the_two_periods_are_not_counted(superuser, checkout):
    _deploy(checkout, "2026-10-01")  # the day after Q3 ends
    DeploymentFactory(system=checkout, deployed_at=at("2026-04-01", 0) - timedelta(seconds=1))
    (row,) = selectors.system_rows(user=superuser, period=Q3, filters=ALL)
    assert (row.changes.deployments, row.changes.deployments_previous) == (0, 0)


@pytest.mark.django_db
def test_the_incident_list_counts_what_the_per_change_rates_count(client, superuser, checkout):
    quiet = SystemFactory(name="quiet", owner_team=checkout.owner_team)
    (deployment,) = _deploy(checkout, "2026-08-03")
    _deploy(checkout, "2026-05-03")
    IncidentFactory(started_at=at("2026-08-04"), systems=[checkout], caused_by=deployment)
    IncidentFactory(started_at=at("2026-08-04"), systems=[quiet], triggered_by_change=True)
    IncidentFactory(started_at=at("2026-05-04"), systems=[checkout])
    client.force_login(superuser)
    period = Q3.query_params()

    def listed(**params) -> int:
        response = client.get("/incidents/", {**period, **params})
        assert response.status_code == 200
        return response.context["page"].paginator.count

    for filters in (ALL, DashboardFilters(team="shop"), DashboardFilters(system="quiet")):
        summary = selectors.change_summary(user=superuser, period=Q3, filters=filters)
        assert listed(deployed="yes", **filters.query_params()) == summary.rates.incidents
        assert (
            listed(cause="change", **filters.query_params()) == summary.changes_without_deployment
        )
    assert listed(cause="deployment") == 1
    assert listed(cause="none") == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "filters",
    [ALL, DashboardFilters(team="shop"), DashboardFilters(system="cart", severity="SEV1")],
    ids=["all", "team", "system-severity"],
)
def test_the_systems_page_sharing_its_scan_counts_as_each_selector_alone(
    superuser, checkout, filters
):
    cart = SystemFactory(name="cart", owner_team=checkout.owner_team)
    ledger = SystemFactory(name="ledger", owner_team=TeamFactory(name="Money"))
    for system, n in ((checkout, 4), (cart, 2), (ledger, 3)):
        deployments = _deploy(system, "2026-08-03", n=n) + _deploy(system, "2026-05-03", n=n)
        IncidentFactory(
            started_at=at("2026-08-04"), systems=[system], severity="SEV1", caused_by=deployments[0]
        )
    page = selectors.systems_page(user=superuser, period=Q3, filters=filters)
    assert page.systems == selectors.system_rows(user=superuser, period=Q3, filters=filters)
    assert page.teams == selectors.team_change_rows(user=superuser, period=Q3, filters=filters)
