"""/near-misses/, /near-misses/new/ and /near-misses/<pk>/: the low-friction report and anonymity."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents.models import NearMiss
from tests.factories import (
    DifficultyFactory,
    IncidentFactory,
    NearMissFactory,
    SurpriseFactory,
    SystemFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NEW_URL = reverse("incidents:near_miss_new")
LIST_URL = reverse("incidents:near_miss_list")


def _form_data(**overrides) -> dict:
    occurred = timezone.now() - timedelta(hours=2)
    data = {
        "title": "Almost dropped the orders table",
        "description": "A migration ran against production instead of staging.",
        "occurred_at": occurred.strftime("%Y-%m-%dT%H:%M"),
        "stopped_by": NearMiss.StoppedBy.SAFEGUARD,
        "worst_credible_outcome": "A day of lost orders.",
    }
    data.update(overrides)
    return data


def _main(response) -> str:
    """The page body without the top bar, which names whoever is logged in."""
    html = response.content.decode()
    return html[html.index("<main>") : html.index("</main>")]


@pytest.mark.parametrize("url", [LIST_URL, NEW_URL])
def test_anonymous_visitor_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_anonymous_visitor_cannot_post_a_report(client):
    response = client.post(NEW_URL, _form_data())
    assert response.status_code == 302
    assert not NearMiss.objects.exists()


@pytest.mark.parametrize("person", ["reader", "responder", "facilitator"])
def test_any_logged_in_user_may_report_a_near_miss(client, request, person):
    user = request.getfixturevalue(person)
    system = SystemFactory()
    client.force_login(user)
    response = client.post(NEW_URL, _form_data(systems=[system.pk]))
    near_miss = NearMiss.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("incidents:near_miss_detail", args=[near_miss.pk])
    assert near_miss.reported_by == user
    assert list(near_miss.systems.all()) == [system]


def test_form_asks_what_stopped_it_without_a_preselected_answer(client, reader):
    client.force_login(reader)
    page = client.get(NEW_URL).content.decode()
    assert '<option value="" selected>Choose one</option>' in page


def test_form_defaults_when_to_now(client, reader):
    client.force_login(reader)
    response = client.get(NEW_URL)
    initial = response.context["form"].initial["occurred_at"]
    assert abs(timezone.now() - initial) < timedelta(minutes=2)
    assert initial.strftime("%Y-%m-%dT%H:%M") in response.content.decode()


def test_named_report_shows_the_reporter(client, reader):
    client.force_login(reader)
    near_miss_url = client.post(NEW_URL, _form_data()).url
    client.force_login(UserFactory())
    assert reader.get_full_name() in _main(client.get(near_miss_url))
    assert reader.get_full_name() in _main(client.get(LIST_URL))


def test_anonymous_report_stores_no_reporter_and_names_nobody_anywhere(client):
    reporter = UserFactory(username="whistleblower", first_name="Wanda", last_name="Blower")
    client.force_login(reporter)
    response = client.post(NEW_URL, _form_data(anonymous="on"), follow=True)
    near_miss = NearMiss.objects.get()
    assert near_miss.reported_by is None
    # The confirmation page the reporter lands on says thank you, and names nobody.
    confirmation = _main(response)
    assert "recorded anonymously" in confirmation
    assert "Anonymous" in confirmation
    for name in ["whistleblower", "Wanda", "Blower"]:
        assert name not in confirmation
    # Anyone else reading the pages sees no trace of who sent it.
    client.force_login(UserFactory(username="colleague"))
    for url in [LIST_URL, reverse("incidents:near_miss_detail", args=[near_miss.pk])]:
        page = client.get(url).content.decode()
        assert "Anonymous" in page
        for name in ["whistleblower", "Wanda", "Blower"]:
            assert name not in page


@pytest.mark.parametrize(
    ("missing", "label"),
    [
        ("title", "title"),
        ("description", "description"),
        ("occurred_at", "occurred_at"),
        ("worst_credible_outcome", "worst_credible_outcome"),
        ("stopped_by", "stopped_by"),
    ],
)
def test_required_fields_get_field_errors(client, reader, missing, label):
    client.force_login(reader)
    response = client.post(NEW_URL, _form_data(**{missing: ""}))
    assert response.status_code == 200
    assert label in response.context["form"].errors
    assert not NearMiss.objects.exists()


def test_detected_before_occurred_is_a_field_error(client, reader):
    client.force_login(reader)
    occurred = timezone.now() - timedelta(hours=2)
    data = _form_data(
        occurred_at=occurred.strftime("%Y-%m-%dT%H:%M"),
        detected_at=(occurred - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
    )
    response = client.post(NEW_URL, data)
    assert response.status_code == 200
    assert "detected_at" in response.context["form"].errors
    assert "cannot be before" in response.content.decode()
    assert not NearMiss.objects.exists()


def test_occurred_in_the_future_is_a_field_error(client, reader):
    client.force_login(reader)
    tomorrow = timezone.now() + timedelta(days=1)
    response = client.post(NEW_URL, _form_data(occurred_at=tomorrow.strftime("%Y-%m-%dT%H:%M")))
    assert "occurred_at" in response.context["form"].errors
    assert not NearMiss.objects.exists()


def test_over_long_title_and_unknown_choice_are_field_errors(client, reader):
    client.force_login(reader)
    response = client.post(NEW_URL, _form_data(title="x" * 201, stopped_by="wishful thinking"))
    errors = response.context["form"].errors
    assert "title" in errors
    assert "stopped_by" in errors
    assert not NearMiss.objects.exists()


def test_unknown_system_is_a_field_error_and_nothing_is_saved(client, reader):
    client.force_login(reader)
    response = client.post(NEW_URL, _form_data(systems=["999999"]))
    assert "systems" in response.context["form"].errors
    assert not NearMiss.objects.exists()


@pytest.mark.parametrize(
    "value",
    ["99999999999999999999", str(2**63), str(-(2**63) - 1), str(2**63 - 1), "0", "-1", "1.5"],
)
def test_system_id_out_of_any_database_range_is_a_field_error(client, reader, value):
    # 99999999999999999999 does not fit SQLite's integer: querying it raised OverflowError.
    SystemFactory()
    client.force_login(reader)
    response = client.post(NEW_URL, _form_data(systems=[value]))
    assert response.status_code == 200
    assert "systems" in response.context["form"].errors
    assert not NearMiss.objects.exists()


def test_csrf_is_enforced_on_the_report(reader):
    client = Client(enforce_csrf_checks=True)
    client.force_login(reader)
    response = client.post(NEW_URL, _form_data())
    assert response.status_code == 403
    assert not NearMiss.objects.exists()


def test_report_with_the_csrf_token_is_accepted(reader):
    client = Client(enforce_csrf_checks=True)
    client.force_login(reader)
    form_page = client.get(NEW_URL).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form_page).group(1)
    response = client.post(NEW_URL, _form_data(csrfmiddlewaretoken=token))
    assert response.status_code == 302
    assert NearMiss.objects.count() == 1


def test_list_filters_by_period_system_team_and_potential_severity(client, reader):
    team = TeamFactory()
    system = SystemFactory(owner_team=team)
    match = NearMissFactory(
        title="Nearly expired cert",
        occurred_at=datetime(2026, 3, 31, 23, 30, tzinfo=UTC),
        systems=[system],
        potential_severity="SEV1",
    )
    NearMissFactory(title="Later", occurred_at=datetime(2026, 4, 1, tzinfo=UTC), systems=[system])
    NearMissFactory(title="Elsewhere", occurred_at=datetime(2026, 3, 5, tzinfo=UTC))
    client.force_login(reader)
    params = {"start": "2026-03-01", "end": "2026-04-01", "team": team.slug, "severity": "SEV1"}
    response = client.get(LIST_URL, params)
    assert list(response.context["page"]) == [match]
    response = client.get(LIST_URL, {"system": system.slug, "severity": "SEV4"})
    assert list(response.context["page"]) == []


def test_list_bad_filter_shows_a_message(client, reader):
    NearMissFactory()
    client.force_login(reader)
    response = client.get(LIST_URL, {"start": "yesterday"})
    assert "Enter a valid date" in response.content.decode()
    assert list(response.context["page"]) == []


def test_list_is_paginated(client, reader):
    NearMissFactory.create_batch(51)
    client.force_login(reader)
    assert len(client.get(LIST_URL).context["page"]) == 50
    assert len(client.get(LIST_URL, {"page": 2}).context["page"]) == 1


def test_detail_shows_the_report_its_systems_owners_and_signals(client, reader):
    owned = SystemFactory(name="cert-manager", owner_team=TeamFactory(name="Platform"))
    unowned = SystemFactory(name="old-cron", owner_team=None)
    near_miss = NearMissFactory(
        description="The renewal job had silently stopped.",
        worst_credible_outcome="Every API call failing TLS.",
        systems=[owned, unowned],
    )
    SurpriseFactory(
        incident=None, near_miss=near_miss, expected="Renewal is automatic", observed="It was not"
    )
    DifficultyFactory(incident=None, near_miss=near_miss, description="No alert on renewal age")
    client.force_login(reader)
    page = client.get(reverse("incidents:near_miss_detail", args=[near_miss.pk])).content.decode()
    for text in [
        "The renewal job had silently stopped.",
        "Every API call failing TLS.",
        "cert-manager",
        "Platform",
        "old-cron",
        "No owner: ownership gap",
        "Renewal is automatic",
        "It was not",
        "No alert on renewal age",
    ]:
        assert text in page


def test_detail_of_unknown_near_miss_is_404(client, reader):
    client.force_login(reader)
    assert client.get(reverse("incidents:near_miss_detail", args=[424242])).status_code == 404


def test_near_miss_signals_are_not_mixed_with_incidents(client, reader):
    near_miss = NearMissFactory()
    SurpriseFactory(incident=IncidentFactory(), expected="Belongs to an incident")
    client.force_login(reader)
    page = client.get(reverse("incidents:near_miss_detail", args=[near_miss.pk])).content.decode()
    assert "Belongs to an incident" not in page


def test_reporters_are_named_by_their_full_name(client, reader):
    reporter = UserFactory(username="sam", first_name="Sam", last_name="Ito")
    NearMissFactory(title="Almost dropped the table", reported_by=reporter)
    client.force_login(reader)
    page = client.get(LIST_URL).content.decode()
    assert "Sam Ito" in page
    assert ">sam<" not in page
