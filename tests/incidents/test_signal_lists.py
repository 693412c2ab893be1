"""/surprises/, /difficulties/, /ownership-gaps/: where every dashboard number leads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.models import Difficulty, OwnershipGap
from tests.factories import (
    DifficultyFactory,
    IncidentFactory,
    NearMissFactory,
    OwnershipGapFactory,
    SurpriseFactory,
    SystemFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LISTS = [
    ("incidents:surprise_list", SurpriseFactory),
    ("incidents:difficulty_list", DifficultyFactory),
    ("incidents:ownership_gap_list", OwnershipGapFactory),
]


@pytest.mark.parametrize(("url_name", "factory"), LISTS)
def test_anonymous_visitor_is_sent_to_login(client, url_name, factory):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(("url_name", "factory"), LISTS)
@pytest.mark.parametrize("person", ["reader", "responder", "facilitator"])
def test_each_row_links_to_its_incident_or_near_miss(client, request, person, url_name, factory):
    of_incident = factory(incident=IncidentFactory())
    of_near_miss = factory(incident=None, near_miss=NearMissFactory())
    client.force_login(request.getfixturevalue(person))
    response = client.get(reverse(url_name))
    page = response.content.decode()
    assert response.context["page"].paginator.count == 2
    assert of_incident.incident.get_absolute_url() in page
    assert reverse("incidents:near_miss_detail", args=[of_near_miss.near_miss.pk]) in page


@pytest.mark.parametrize(("url_name", "factory"), LISTS)
def test_signals_of_a_private_incident_are_hidden_and_not_counted(
    client, outsider, url_name, factory
):
    hidden = factory(incident=IncidentFactory(is_private=True, title="Secret"))
    shown = factory(incident=IncidentFactory())
    client.force_login(outsider)
    response = client.get(reverse(url_name))
    page = response.content.decode()
    assert list(response.context["page"]) == [shown]
    assert hidden.incident.reference not in page
    assert response.context["page"].paginator.count == 1


@pytest.mark.parametrize(("url_name", "factory"), LISTS)
def test_people_involved_see_signals_of_their_private_incident(client, url_name, factory):
    hidden = factory(incident=IncidentFactory(is_private=True))
    person = UserFactory()
    hidden.incident.responders.add(person)
    client.force_login(person)
    assert list(client.get(reverse(url_name)).context["page"]) == [hidden]


@pytest.mark.parametrize(("url_name", "factory"), LISTS)
def test_period_is_the_subjects_half_open_utc_interval(client, reader, url_name, factory):
    late_march = factory(
        incident=IncidentFactory(started_at=datetime(2026, 3, 31, 23, 30, tzinfo=UTC))
    )
    near_miss_march = factory(
        incident=None, near_miss=NearMissFactory(occurred_at=datetime(2026, 3, 3, tzinfo=UTC))
    )
    factory(incident=IncidentFactory(started_at=datetime(2026, 4, 1, tzinfo=UTC)))
    client.force_login(reader)
    response = client.get(reverse(url_name), {"start": "2026-01-01", "end": "2026-04-01"})
    assert {row.pk for row in response.context["page"]} == {late_march.pk, near_miss_march.pk}


@pytest.mark.parametrize(("url_name", "factory"), LISTS)
def test_system_team_severity_and_subject_filters(client, reader, url_name, factory):
    team = TeamFactory()
    system = SystemFactory(owner_team=team)
    match = factory(incident=IncidentFactory(severity="SEV1", systems=[system]), system=None)
    factory(incident=IncidentFactory(severity="SEV2", systems=[system]), system=None)
    factory(incident=None, near_miss=NearMissFactory(systems=[system]), system=system)
    factory(incident=IncidentFactory(severity="SEV1"))
    client.force_login(reader)
    params = {"system": system.slug, "team": team.slug, "severity": "SEV1", "subject": "incident"}
    assert list(client.get(reverse(url_name), params).context["page"]) == [match]


def test_difficulty_category_filter(client, reader):
    tooling = DifficultyFactory(category=Difficulty.Category.TOOLING, description="CLI hid errors")
    DifficultyFactory(category=Difficulty.Category.COORDINATION, description="Two war rooms")
    client.force_login(reader)
    response = client.get(reverse("incidents:difficulty_list"), {"category": "tooling"})
    assert list(response.context["page"]) == [tooling]
    assert "Two war rooms" not in response.content.decode()


def test_ownership_gap_kind_and_resolved_filters(client, reader):
    open_gap = OwnershipGapFactory(kind=OwnershipGap.Kind.NO_OWNER, resolved=False)
    OwnershipGapFactory(kind=OwnershipGap.Kind.NO_OWNER, resolved=True)
    OwnershipGapFactory(kind=OwnershipGap.Kind.OWNER_UNREACHABLE, resolved=False)
    client.force_login(reader)
    response = client.get(
        reverse("incidents:ownership_gap_list"), {"kind": "no_owner", "resolved": "false"}
    )
    assert list(response.context["page"]) == [open_gap]


@pytest.mark.parametrize(("url_name", "factory"), LISTS)
def test_a_bad_filter_value_is_shown_and_lists_nothing(client, reader, url_name, factory):
    factory()
    client.force_login(reader)
    response = client.get(reverse(url_name), {"subject": "review", "end": "31/03/2026"})
    page = response.content.decode()
    assert "review is not one of the available choices" in page
    assert "Enter a valid date" in page
    assert list(response.context["page"]) == []


def test_surprise_list_shows_expected_and_observed(client, reader):
    SurpriseFactory(expected="Retries back off", observed="Retries hammered the database")
    client.force_login(reader)
    page = client.get(reverse("incidents:surprise_list")).content.decode()
    assert "Retries back off" in page
    assert "Retries hammered the database" in page


@pytest.mark.parametrize(("url_name", "factory"), LISTS)
def test_query_count_does_not_grow_with_the_rows(client, reader, url_name, factory):
    client.force_login(reader)
    for _ in range(2):
        factory(incident=IncidentFactory(), system=SystemFactory())
        factory(incident=None, near_miss=NearMissFactory())
    with CaptureQueriesContext(connection) as few:
        client.get(reverse(url_name))
    for _ in range(15):
        factory(incident=IncidentFactory(), system=SystemFactory())
        factory(incident=None, near_miss=NearMissFactory())
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse(url_name))
    assert len(response.context["page"]) == 34
    assert len(many) == len(few)
