"""The per-change figures on the dashboard pages and the deployments list they link to: every
count links to a list of exactly the records it counts, and a private incident's cause shows
only to those who may see the incident."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from tests.dashboards.conftest import at
from tests.factories import (
    DeploymentFactory,
    IncidentFactory,
    SystemFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
Q3 = {"start": "2026-07-01", "end": "2026-10-01"}


def _count_links(response) -> list[tuple[str, int]]:
    """(href, number) of every count link on the page."""
    return [
        (unescape(href), int(number))
        for href, number in re.findall(
            r'<a href="([^"]+)" class="count-link">(\d+)</a>', response.content.decode()
        )
    ]


def _listed(client, href: str) -> int:
    response = client.get(href)
    assert response.status_code == 200, href
    return response.context["page"].paginator.count


@pytest.fixture
def world(db):
    """Checkout deploys often, the ledger rarely, legacy-cron never; one private incident was
    caused by a checkout deployment."""
    shop, money = TeamFactory(name="Shop"), TeamFactory(name="Money")
    checkout = SystemFactory(name="checkout-api", owner_team=shop)
    ledger = SystemFactory(name="ledger", owner_team=money)
    cron = SystemFactory(name="legacy-cron", owner_team=None)
    lead = UserFactory(username="lead")
    checkout_deploys = [
        DeploymentFactory(system=checkout, deployed_at=at("2026-08-01"), ref=f"c{n}")
        for n in range(20)
    ]
    DeploymentFactory(system=checkout, deployed_at=at("2026-05-01"), ref="old")
    DeploymentFactory(system=checkout, deployed_at=at("2026-08-01"), environment="staging")
    ledger_deploy = DeploymentFactory(system=ledger, deployed_at=at("2026-08-02"), ref="l1")
    IncidentFactory(started_at=at("2026-08-03"), systems=[checkout], caused_by=checkout_deploys[0])
    IncidentFactory(started_at=at("2026-08-03"), systems=[ledger], caused_by=ledger_deploy)
    IncidentFactory(started_at=at("2026-08-04"), systems=[cron], triggered_by_change=True)
    secret = IncidentFactory(
        started_at=at("2026-08-05"),
        systems=[checkout],
        is_private=True,
        lead=lead,
        caused_by=checkout_deploys[1],
        title="Leaked signing key",
    )
    return {"lead": lead, "secret": secret, "checkout": checkout}


@pytest.mark.parametrize("page", ["dashboards:overview", "dashboards:systems"])
@pytest.mark.parametrize("who", ["superuser", "reader", "lead"])
def test_every_per_change_count_links_to_a_list_of_exactly_what_it_counts(
    client, world, request, page, who
):
    user = world["lead"] if who == "lead" else request.getfixturevalue(who)
    client.force_login(user)
    response = client.get(reverse(page), Q3)
    links = [
        (href, number)
        for href, number in _count_links(response)
        if "/deployments/" in href or "deployed=" in href or "cause=" in href
    ]
    assert len(links) >= 4
    for href, number in links:
        assert _listed(client, href) == number, href


def test_the_systems_page_shows_rates_per_change_and_says_when_there_are_none(
    client, superuser, world
):
    client.force_login(superuser)
    page = client.get(reverse("dashboards:systems"), Q3).content.decode()
    assert "Incidents / 100 deployments" in page
    assert "Change failure rate" in page
    assert "no deployments recorded: per 30 days only" in page  # legacy-cron
    assert "Failure rates per change, by team" in page


def test_the_systems_page_ranks_by_the_rate_per_change(client, superuser, world):
    client.force_login(superuser)
    rows = client.get(reverse("dashboards:systems"), {**Q3, "sort": "-per_change"}).context["rows"]
    # ledger: 1 incident in 1 deployment; checkout: 2 in 20; legacy-cron: none recorded, last.
    assert [row.slug for row in rows] == ["ledger", "checkout-api", "legacy-cron"]
    rows = client.get(reverse("dashboards:systems"), {**Q3, "sort": "deployments"}).context["rows"]
    assert [row.slug for row in rows] == ["legacy-cron", "ledger", "checkout-api"]


def test_the_overview_shows_the_change_failure_rate_with_interval_and_verdict(
    client, superuser, world
):
    client.force_login(superuser)
    page = client.get(reverse("dashboards:overview"), Q3).content.decode()
    section = page[page.index('id="changes"') :]
    section = section[: section.index("</section>")]
    # 3 of 21 production deployments caused an incident (the private one included).
    assert "14.3%" in section
    assert "of 21 deployments caused an incident" in section
    assert "95%" in section
    assert 'class="verdict' in section
    assert "name no deployment" in section or "names no deployment" in section


def test_a_private_incidents_cause_is_not_revealed_to_those_who_may_not_see_it(
    client, reader, world
):
    secret = world["secret"]
    client.force_login(reader)
    overview = client.get(reverse("dashboards:overview"), Q3).content.decode()
    assert "of 21 deployments caused an incident" in overview
    assert "9.5%" in overview  # 2 of 21: the private incident's deployment is no failure here
    listing = client.get(reverse("incidents:deployment_list"), {**Q3, "caused": "yes"})
    assert listing.context["page"].paginator.count == 2
    everything = client.get(reverse("incidents:deployment_list")).content.decode()
    assert secret.reference not in everything
    assert "Leaked signing key" not in everything

    client.force_login(world["lead"])
    mine = client.get(reverse("incidents:deployment_list")).content.decode()
    assert secret.reference in mine


def test_a_systems_page_shows_deployments_and_incidents_by_month(client, superuser, world):
    client.force_login(superuser)
    response = client.get(
        reverse("dashboards:system_detail", args=["checkout-api"]),
        {"end": "2026-10-01", "start": "2026-07-01"},
    )
    page = response.content.decode()
    assert "Deployments and incidents by month" in page
    section = page[page.index('id="changes"') :]
    august = section[section.index(">Aug 2026<") :]
    august = august[: august.index("</tr>")]
    links = _count_links_from(august)
    assert [number for _href, number in links] == [20, 2, 2]
    for href, number in links:
        assert _listed(client, href) == number


def _count_links_from(html: str) -> list[tuple[str, int]]:
    return [
        (unescape(href), int(number))
        for href, number in re.findall(r'<a href="([^"]+)" class="count-link">(\d+)</a>', html)
    ]


def test_the_deployments_list_needs_a_login_and_filters(client, reader, world):
    url = reverse("incidents:deployment_list")
    assert client.get(url).status_code == 302
    client.force_login(reader)
    assert _listed(client, f"{url}?system=checkout-api&environment=production") == 21
    assert _listed(client, f"{url}?team=money") == 1
    assert _listed(client, f"{url}?environment=staging") == 1
    # A filter that cannot apply shows nothing rather than everything.
    response = client.get(url, {"system": "nowhere"})
    assert response.context["page"].paginator.count == 0
    assert "Fix the filter" in response.content.decode()
