"""/incidents/ and /incidents/<reference>/: roles, filters, pagination, query counts, content."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.formatting import format_duration
from incidents.models import Difficulty, IncidentSystem, OwnershipGap
from incidents.templatetags.incident_format import duration
from reviews.models import Review
from tests.factories import (
    DifficultyFactory,
    IncidentFactory,
    OwnershipGapFactory,
    ReviewFactory,
    SurpriseFactory,
    SystemFactory,
    TeamFactory,
    ThemeFactory,
    TimelineEntryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LIST_URL = reverse("incidents:list")


def _listed_references(response) -> list[str]:
    return [incident.reference for incident in response.context["page"]]


@pytest.mark.parametrize("url_name", ["list", "detail"])
def test_anonymous_is_sent_to_login(client, url_name):
    incident = IncidentFactory()
    url = LIST_URL if url_name == "list" else incident.get_absolute_url()
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("person", ["reader", "responder", "facilitator", "superuser"])
def test_every_logged_in_role_reads_the_list_and_a_public_incident(client, request, person):
    incident = IncidentFactory(title="Queue backlog in billing")
    client.force_login(request.getfixturevalue(person))
    assert incident.reference in client.get(LIST_URL).content.decode()
    response = client.get(incident.get_absolute_url())
    assert response.status_code == 200
    assert "Queue backlog in billing" in response.content.decode()


def test_outsider_gets_404_on_a_private_incident_and_never_sees_it_listed_or_counted(
    client, outsider
):
    private = IncidentFactory(is_private=True, title="Leaked credentials")
    IncidentFactory()
    client.force_login(outsider)
    assert client.get(private.get_absolute_url()).status_code == 404
    response = client.get(LIST_URL)
    page = response.content.decode()
    assert private.reference not in page
    assert "Leaked credentials" not in page
    assert response.context["page"].paginator.count == 1
    assert "1 incident." in page


def test_people_involved_see_a_private_incident(client):
    lead = UserFactory()
    private = IncidentFactory(is_private=True, lead=lead)
    client.force_login(lead)
    assert client.get(private.get_absolute_url()).status_code == 200
    assert _listed_references(client.get(LIST_URL)) == [private.reference]


def test_list_filters_by_the_shared_contract(client, reader):
    team = TeamFactory()
    system = SystemFactory(owner_team=team)
    match = IncidentFactory(
        severity="SEV1",
        started_at=datetime(2026, 3, 31, 23, 30, tzinfo=UTC),
        systems=[system],
    )
    IncidentFactory(severity="SEV1", started_at=datetime(2026, 4, 1, tzinfo=UTC), systems=[system])
    IncidentFactory(severity="SEV2", started_at=datetime(2026, 3, 2, tzinfo=UTC), systems=[system])
    client.force_login(reader)
    response = client.get(
        LIST_URL,
        {"start": "2026-01-01", "end": "2026-04-01", "severity": "SEV1", "team": team.slug},
    )
    assert _listed_references(response) == [match.reference]


def test_list_search_and_review_status(client, reader):
    reviewed = ReviewFactory(
        status=Review.Status.PUBLISHED, incident__title="Checkout timeouts"
    ).incident
    unreviewed = IncidentFactory(title="Checkout errors")
    client.force_login(reader)
    assert _listed_references(client.get(LIST_URL, {"q": "checkout", "review_status": "none"})) == [
        unreviewed.reference
    ]
    assert _listed_references(client.get(LIST_URL, {"review_status": "published"})) == [
        reviewed.reference
    ]


def test_a_bad_filter_value_is_a_message_beside_the_filters_and_shows_no_rows(client, reader):
    IncidentFactory(severity="SEV1")
    client.force_login(reader)
    response = client.get(LIST_URL, {"severity": "SEV9", "start": "2026-02-30"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "SEV9 is not one of the available choices" in page
    assert "Enter a valid date" in page
    assert _listed_references(response) == []


def test_list_shows_review_status_systems_and_signal_counts(client, reader):
    system = SystemFactory(name="ledger")
    incident = IncidentFactory(systems=[(system, IncidentSystem.Role.ORIGIN)])
    ReviewFactory(incident=incident, status=Review.Status.IN_PROGRESS)
    SurpriseFactory.create_batch(2, incident=incident)
    DifficultyFactory.create_batch(3, incident=incident)
    OwnershipGapFactory(incident=incident)
    client.force_login(reader)
    response = client.get(LIST_URL)
    row = response.context["page"][0]
    assert (row.surprise_count, row.difficulty_count, row.ownership_gap_count) == (2, 3, 1)
    page = response.content.decode()
    assert "ledger" in page
    assert "In progress" in page
    assert "2 · 3 · 1" in page


def test_list_is_paginated_by_50_in_a_stable_order(client, reader):
    same_moment = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    incidents = [IncidentFactory(started_at=same_moment) for _ in range(51)]
    client.force_login(reader)
    first = client.get(LIST_URL)
    second = client.get(LIST_URL, {"page": 2})
    assert len(first.context["page"]) == 50
    # Ties on started_at break by newest pk, so no row is shown twice or skipped.
    assert _listed_references(second) == [incidents[0].reference]
    assert 'href="?page=2"' in first.content.decode()


def test_pagination_links_keep_the_filters(client, reader):
    for _ in range(51):
        IncidentFactory(severity="SEV2")
    client.force_login(reader)
    page = client.get(LIST_URL, {"severity": "SEV2"}).content.decode()
    assert 'href="?severity=SEV2&amp;page=2"' in page


def _incidents_with_everything(count: int) -> None:
    team = TeamFactory()
    for _ in range(count):
        incident = IncidentFactory(
            teams=[team],
            systems=[SystemFactory(owner_team=team), (SystemFactory(), "origin")],
        )
        ReviewFactory(incident=incident)
        SurpriseFactory(incident=incident)
        DifficultyFactory(incident=incident)


def test_list_query_count_does_not_grow_with_the_rows(client, facilitator):
    client.force_login(facilitator)
    _incidents_with_everything(3)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST_URL)
    _incidents_with_everything(27)
    with CaptureQueriesContext(connection) as many:
        response = client.get(LIST_URL)
    assert len(response.context["page"]) == 30
    assert len(many) == len(few)


def test_list_query_count_has_a_ceiling(client, facilitator, django_assert_max_num_queries):
    _incidents_with_everything(30)
    client.force_login(facilitator)
    with django_assert_max_num_queries(12):
        client.get(LIST_URL)


def test_detail_shows_facts_durations_systems_owners_and_gaps(client, reader):
    owners = TeamFactory(name="Payments")
    owned = SystemFactory(name="payment-gateway", owner_team=owners)
    unowned = SystemFactory(name="legacy-cron", owner_team=None)
    lead = UserFactory(first_name="Lena", last_name="Lead")
    started = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    incident = IncidentFactory(
        started_at=started,
        detected_at=started + timedelta(minutes=12),
        mitigated_at=started + timedelta(hours=1, minutes=5),
        resolved_at=started + timedelta(days=1, hours=2),
        systems=[(owned, IncidentSystem.Role.ORIGIN), (unowned, IncidentSystem.Role.IMPACTED)],
        teams=[owners],
        lead=lead,
    )
    incident.responders.add(UserFactory(first_name="Rob", last_name="Responder"))
    client.force_login(reader)
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "12 min" in page
    assert "1 h 5 min" in page
    assert "1 d 2 h" in page
    assert "payment-gateway" in page
    assert "Payments" in page
    assert "legacy-cron" in page
    assert "No owner: ownership gap" in page
    assert "Lena Lead" in page
    assert "Rob Responder" in page
    assert "Origin" in page


def test_detail_shows_timeline_signals_and_themes(client, reader):
    incident = IncidentFactory()
    TimelineEntryFactory(incident=incident, text="Paged the database team")
    SurpriseFactory(incident=incident, expected="Failover in seconds", observed="Took 20 minutes")
    DifficultyFactory(
        incident=incident,
        category=Difficulty.Category.MISLEADING_SIGNAL,
        description="Dashboard showed green",
    )
    OwnershipGapFactory(
        incident=incident, kind=OwnershipGap.Kind.OWNER_UNREACHABLE, description="Pager silent"
    )
    ThemeFactory(name="Failover assumptions").incidents.add(incident)
    client.force_login(reader)
    page = client.get(incident.get_absolute_url()).content.decode()
    for text in [
        "Paged the database team",
        "Failover in seconds",
        "Took 20 minutes",
        "Misleading signal",
        "Dashboard showed green",
        "Owner unreachable",
        "Pager silent",
        "Failover assumptions",
    ]:
        assert text in page


def test_detail_escapes_user_text(client, reader):
    incident = IncidentFactory(title="<script>alert(1)</script>")
    SurpriseFactory(incident=incident, expected="<img src=x onerror=alert(1)>")
    client.force_login(reader)
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;" in page


def test_detail_links_only_http_evidence(client, reader):
    # Saved directly, as the admin or the API might: the model does not check the scheme.
    incident = IncidentFactory()
    TimelineEntryFactory(incident=incident, text="Bad link", evidence_url="javascript:alert(1)")
    TimelineEntryFactory(incident=incident, text="Good link", evidence_url="https://logs.example/1")
    client.force_login(reader)
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "Bad link" in page
    assert "javascript:" not in page
    assert 'href="https://logs.example/1"' in page


def test_facilitator_may_start_a_review_when_there_is_none(client, facilitator):
    incident = IncidentFactory()
    client.force_login(facilitator)
    page = client.get(incident.get_absolute_url()).content.decode()
    create_url = reverse("reviews:create", args=[incident.reference])
    assert f'action="{create_url}"' in page
    assert "Start the review" in page


@pytest.mark.parametrize("person", ["reader", "responder"])
def test_others_are_not_offered_to_start_a_review(client, request, person):
    incident = IncidentFactory()
    client.force_login(request.getfixturevalue(person))
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "Start the review" not in page
    assert "No review yet" in page


def test_detail_links_to_the_review_workspace(client, reader):
    review = ReviewFactory(status=Review.Status.IN_PROGRESS)
    client.force_login(reader)
    page = client.get(review.incident.get_absolute_url()).content.decode()
    assert reverse("reviews:workspace", args=[review.pk]) in page
    assert "In progress" in page
    assert "Start the review" not in page


def test_detail_links_a_published_review_to_its_report(client, reader):
    review = ReviewFactory(status=Review.Status.PUBLISHED)
    client.force_login(reader)
    page = client.get(review.incident.get_absolute_url()).content.decode()
    assert reverse("reviews:report", args=[review.pk]) in page


def test_unknown_reference_is_404(client, reader):
    client.force_login(reader)
    assert client.get(reverse("incidents:detail", args=["INC-9999"])).status_code == 404


def test_detail_query_count_does_not_grow_with_its_signals(client, facilitator):
    client.force_login(facilitator)
    incident = IncidentFactory(systems=[SystemFactory(), SystemFactory(owner_team=None)])
    ReviewFactory(incident=incident, facilitator=facilitator)

    def add_one_of_each():
        TimelineEntryFactory(incident=incident, author=UserFactory())
        SurpriseFactory(incident=incident, system=SystemFactory())
        DifficultyFactory(incident=incident, system=SystemFactory())
        OwnershipGapFactory(incident=incident, system=SystemFactory(), resolved_by_team=None)
        incident.responders.add(UserFactory())
        ThemeFactory().incidents.add(incident)

    add_one_of_each()
    with CaptureQueriesContext(connection) as few:
        client.get(incident.get_absolute_url())
    for _ in range(10):
        add_one_of_each()
    with CaptureQueriesContext(connection) as many:
        page = client.get(incident.get_absolute_url()).content.decode()
    assert page.count("<time ") == 11
    assert len(many) == len(few)


@pytest.mark.parametrize(
    ("span", "shown"),
    [
        (None, "—"),
        (timedelta(seconds=20), "< 1 min"),
        (timedelta(minutes=45), "45 min"),
        (timedelta(hours=1, minutes=5), "1 h 5 min"),
        (timedelta(hours=3), "3 h"),
        (timedelta(days=2, hours=3, minutes=10), "2 d 3 h"),
        (timedelta(days=1), "1 d"),
        (timedelta(minutes=-5), "—"),
    ],
)
def test_duration_reads_as_people_say_it(span, shown):
    assert duration(span) == shown


def test_duration_of_seconds_reads_like_the_same_timedelta():
    # The dashboards aggregate durations as seconds; they must read like the incident pages.
    assert format_duration(3900.0) == format_duration(timedelta(seconds=3900)) == "1 h 5 min"


def test_start_the_review_button_creates_the_review(client, facilitator):
    incident = IncidentFactory()
    client.force_login(facilitator)
    page = client.get(incident.get_absolute_url()).content.decode()
    action = page.split("Start the review")[0].rsplit('action="', 1)[1].split('"')[0]
    response = client.post(action)
    review = Review.objects.get(incident=incident)
    assert response.status_code == 302
    assert response.url == reverse("reviews:workspace", args=[review.pk])


@pytest.mark.parametrize(
    "name",
    [
        "incidents:list",
        "incidents:near_miss_list",
        "incidents:surprise_list",
        "reviews:follow_ups",
    ],
)
def test_filter_bar_help_texts_carry_the_id_their_fields_point_to(client, reader, name):
    import re

    client.force_login(reader)
    page = client.get(reverse(name)).text
    described = set(re.findall(r'aria-describedby="([^"]+)"', page))
    assert "id_start_helptext" in described
    for target in described:
        assert f'id="{target}"' in page, target


def test_the_signal_columns_short_names_are_spelled_out(client, reader):
    IncidentFactory()
    client.force_login(reader)
    page = client.get(reverse("incidents:list")).content.decode()
    assert (
        '<abbr class="muted" title="surprises · difficulties in understanding · ownership gaps">S·D·O</abbr>'
        in page
    )
    assert "<strong>S</strong> surprises · <strong>D</strong> difficulties in understanding" in page
