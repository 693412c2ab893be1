"""The workspace's item lists (timeline, signals, participants, follow-ups): who adds, edits and
deletes them, and what a form refuses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import Surprise, TimelineEntry
from reviews.models import ActionItem
from tests.factories import (
    ActionItemFactory,
    TimelineEntryFactory,
)
from tests.reviews.conftest import HTMX, _add, _timeline_data, _url

pytestmark = pytest.mark.django_db


# --- items ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["facilitator", "responder"])
def test_facilitators_and_responders_add_timeline_entries(as_user, review, role):
    response = as_user(role).post(_add(review, "timeline"), _timeline_data(review))
    assert response.status_code == 302
    assert response.url.endswith("#section-timeline")
    entry = TimelineEntry.objects.get(incident=review.incident)
    assert entry.text == "Alert fired"
    assert entry.author.username == {"facilitator": "fran", "responder": "rita"}[role]


def test_htmx_add_returns_the_list_with_the_new_entry(as_user, review):
    response = as_user("responder").post(
        _add(review, "timeline"), _timeline_data(review, text="Paged on-call"), **HTMX
    )
    assert response.status_code == 200
    assert 'id="section-timeline"' in response.text
    assert "Paged on-call" in response.text
    assert "<html" not in response.text


def test_reader_may_not_add_to_the_timeline(as_user, review):
    response = as_user("reader").post(_add(review, "timeline"), _timeline_data(review))
    assert response.status_code == 403
    assert not TimelineEntry.objects.exists()


def test_responder_may_not_add_follow_ups_or_participants(as_user, review):
    client = as_user("responder")
    follow_up = {"title": "Add alert", "kind": "corrective", "status": "open"}
    assert client.post(_add(review, "follow-ups"), follow_up).status_code == 403
    assert (
        client.post(_add(review, "participants"), {"name": "Ann", "role": "observer"}).status_code
        == 403
    )
    assert not ActionItem.objects.exists()


def test_timeline_entry_is_edited_and_deleted_in_place(as_user, review):
    entry = TimelineEntryFactory(incident=review.incident, text="Old")
    client = as_user("responder")
    edit = reverse("reviews:item_edit", args=[review.pk, "timeline", entry.pk])
    response = client.post(edit, _timeline_data(review, text="New"), **HTMX)
    assert "New" in response.text
    entry.refresh_from_db()
    assert entry.text == "New"
    delete = reverse("reviews:item_delete", args=[review.pk, "timeline", entry.pk])
    assert client.post(delete).status_code == 403  # responders add and correct, not remove
    assert delete not in client.get(_url(review)).text
    assert as_user("facilitator").post(delete).status_code == 302
    assert not TimelineEntry.objects.filter(pk=entry.pk).exists()
    assert [h.history_type for h in TimelineEntry.history.filter(id=entry.pk)] == ["-", "~", "+"]


def test_items_of_another_incident_cannot_be_edited_through_this_review(as_user, review):
    other = TimelineEntryFactory(text="Elsewhere")
    edit = reverse("reviews:item_edit", args=[review.pk, "timeline", other.pk])
    assert as_user("facilitator").post(edit, _timeline_data(review)).status_code == 404
    other.refresh_from_db()
    assert other.text == "Elsewhere"


def test_surprise_needs_expected_and_observed(as_user, review):
    response = as_user("responder").post(
        _add(review, "surprises"), {"expected": "Failover in 30s", "observed": ""}, **HTMX
    )
    assert "Say what actually happened." in response.text
    assert not Surprise.objects.exists()


def test_surprise_is_added_with_expected_and_observed(as_user, review):
    as_user("responder").post(
        _add(review, "surprises"), {"expected": "Failover in 30s", "observed": "It took 20 min"}
    )
    surprise = Surprise.objects.get()
    assert (surprise.incident, surprise.observed) == (review.incident, "It took 20 min")


def test_difficulty_and_ownership_gap_are_added(as_user, review):
    client = as_user("responder")
    client.post(
        _add(review, "difficulties"),
        {"category": "misleading_signal", "description": "Green dashboard", "source": "debrief"},
    )
    client.post(_add(review, "ownership-gaps"), {"kind": "owner_unclear", "description": "Who?"})
    assert review.incident.difficulties.get().description == "Green dashboard"
    assert review.incident.ownership_gaps.get().kind == "owner_unclear"


def test_ownership_gap_taken_by_a_team_must_be_marked_resolved(as_user, review):
    team = review.incident.teams.first()
    response = as_user("responder").post(
        _add(review, "ownership-gaps"),
        {"kind": "no_owner", "resolved_by_team": team.pk},
        **HTMX,
    )
    assert "Mark the gap resolved" in response.text
    assert not review.incident.ownership_gaps.exists()


def test_new_follow_up_due_in_the_past_is_refused(as_user, review):
    yesterday = timezone.localdate() - timedelta(days=1)
    response = as_user("facilitator").post(
        _add(review, "follow-ups"),
        {"title": "Alert", "kind": "corrective", "status": "open", "due_date": yesterday},
        **HTMX,
    )
    assert "cannot be due in the past" in response.text
    assert not ActionItem.objects.exists()


def test_existing_overdue_follow_up_can_still_be_edited(as_user, review):
    item = ActionItemFactory(review=review, due_date=timezone.localdate() - timedelta(days=3))
    edit = reverse("reviews:item_edit", args=[review.pk, "follow-ups", item.pk])
    data = {
        "title": "Renamed",
        "kind": "corrective",
        "status": "in_progress",
        "due_date": item.due_date,
    }
    assert as_user("facilitator").post(edit, data).status_code == 302
    item.refresh_from_db()
    assert (item.title, item.status) == ("Renamed", "in_progress")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "not a url", "ftp://files.example/x"])
def test_links_must_be_http_or_https(as_user, review, url):
    response = as_user("facilitator").post(
        _add(review, "follow-ups"),
        {"title": "Alert", "kind": "corrective", "status": "open", "external_url": url},
        **HTMX,
    )
    assert "Enter a valid URL." in response.text
    assert not ActionItem.objects.exists()


def test_over_long_item_text_is_refused(as_user, review):
    response = as_user("responder").post(
        _add(review, "timeline"), _timeline_data(review, text="x" * 5001), **HTMX
    )
    assert "at most 5000 characters" in response.text
    assert not TimelineEntry.objects.exists()


def test_invalid_item_without_javascript_shows_the_page_with_field_errors(as_user, review):
    response = as_user("responder").post(_add(review, "surprises"), {"expected": "x"})
    assert response.status_code == 200
    assert "<html" in response.text
    assert "Say what actually happened." in response.text


def test_participant_needs_a_user_or_a_name(as_user, review):
    response = as_user("facilitator").post(
        _add(review, "participants"), {"role": "observer"}, **HTMX
    )
    assert "Choose a user or type a name." in response.text
    assert not review.participants.exists()


def test_participant_with_interview_is_added(as_user, review, responder):
    as_user("facilitator").post(
        _add(review, "participants"),
        {
            "user": responder.pk,
            "role": "responder",
            "interviewed_at": "2026-01-02T10:00",
            "interview_notes": "Saw the alert first",
        },
    )
    participant = review.participants.get()
    assert participant.user == responder
    assert participant.was_interviewed


def test_follow_up_is_added_with_owner_and_due_date(as_user, review):
    team = review.incident.teams.first()
    due = timezone.localdate() + timedelta(days=10)
    as_user("facilitator").post(
        _add(review, "follow-ups"),
        {
            "title": "Alert on 5xx",
            "owner_team": team.pk,
            "due_date": due,
            "kind": "detective",
            "status": "open",
            "external_url": "https://tracker.example/T-1",
        },
    )
    item = ActionItem.objects.get()
    assert (item.review, item.owner_team, item.due_date) == (review, team, due)


def test_item_posts_need_a_csrf_token(as_user, review):
    client = as_user("responder", enforce_csrf_checks=True)
    assert client.post(_add(review, "timeline"), _timeline_data(review)).status_code == 403
    assert not TimelineEntry.objects.exists()
