"""The review workspace: who may see and edit what, in place (htmx) and as plain form posts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import Surprise, TimelineEntry
from reviews.models import ActionItem, Review
from tests.factories import (
    ActionItemFactory,
    SurpriseFactory,
    ThemeFactory,
    TimelineEntryFactory,
)
from tests.reviews.conftest import HTMX

pytestmark = pytest.mark.django_db


def _url(review, name="workspace", *args):
    return reverse(f"reviews:{name}", args=[review.pk, *args])


def _section(review, section):
    return reverse("reviews:section_save", args=[review.pk, section])


def _add(review, kind):
    return reverse("reviews:item_add", args=[review.pk, kind])


def _timeline_data(review, text="Alert fired", **extra):
    at = review.incident.started_at + timedelta(minutes=7)
    return {"at": at.strftime("%Y-%m-%dT%H:%M"), "kind": "detection", "text": text, **extra}


# --- who sees the workspace ------------------------------------------------------------------


@pytest.mark.parametrize("role", ["facilitator", "responder", "reader"])
def test_everyone_logged_in_reads_the_workspace(as_user, review, role):
    response = as_user(role).get(_url(review))
    assert response.status_code == 200
    assert "Checkout errors after deploy" in response.text


def test_anonymous_visitor_is_sent_to_log_in(as_user, review):
    response = as_user("anonymous").get(_url(review))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_outsider_gets_404_for_a_private_incidents_review(as_user, private_review):
    assert as_user("outsider").get(_url(private_review)).status_code == 404
    assert as_user("responder").get(_url(private_review)).status_code == 200
    assert as_user("facilitator").get(_url(private_review)).status_code == 200


def test_facilitator_sees_editors_reader_sees_none(as_user, review):
    facilitator_page = as_user("facilitator").get(_url(review)).text
    reader_page = as_user("reader").get(_url(review)).text
    assert _section(review, "narrative") in facilitator_page
    assert _add(review, "timeline") in facilitator_page
    assert _section(review, "narrative") not in reader_page
    assert _add(review, "timeline") not in reader_page


def test_responder_sees_signal_forms_but_not_the_facilitators(as_user, review):
    page = as_user("responder").get(_url(review)).text
    for kind in ["timeline", "surprises", "difficulties", "ownership-gaps"]:
        assert _add(review, kind) in page
    assert _add(review, "follow-ups") not in page
    assert _section(review, "narrative") not in page


# --- text sections ------------------------------------------------------------------------------


def test_plain_post_saves_a_section_and_redirects_to_its_anchor(as_user, review):
    response = as_user("facilitator").post(
        _section(review, "narrative"), {"text": "We *saw* 502s.", "version": review.version}
    )
    assert response.status_code == 302
    assert response.url == _url(review) + "#section-narrative"
    review.refresh_from_db()
    assert review.narrative == "We *saw* 502s."
    assert review.version == 2


def test_htmx_post_returns_the_section_partial(as_user, review):
    response = as_user("facilitator").post(
        _section(review, "risks"), {"text": "Another deploy", "version": 1}, **HTMX
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section class="section card" id="section-risks"')
    assert "<html" not in response.text
    assert 'name="version" value="2"' in response.text
    review.refresh_from_db()
    assert review.risks == "Another deploy"


def test_preview_renders_sanitised_markdown_without_saving(as_user, review):
    response = as_user("facilitator").post(
        _section(review, "narrative"),
        {"text": "**bold** <script>alert(1)</script>", "version": 1, "action": "preview"},
        **HTMX,
    )
    assert "<strong>bold</strong>" in response.text
    assert "<script>alert(1)" not in response.text
    review.refresh_from_db()
    assert review.narrative == ""


def test_narrative_is_shown_sanitised(as_user, review):
    review.narrative = "<img src=x onerror=alert(1)> [x](javascript:alert(1)) **ok**"
    review.save()
    page = as_user("reader").get(_url(review)).text
    prose = page.split('<div class="prose">')[1].split("</div>")[0]
    assert "<strong>ok</strong>" in prose
    assert "&lt;img src=x onerror=alert(1)&gt;" in prose  # shown as text
    assert "<img" not in prose
    assert "javascript:" not in prose


def test_second_save_from_the_same_version_is_a_conflict_and_loses_nothing(as_user, review):
    alice = as_user("facilitator")
    first = alice.post(_section(review, "narrative"), {"text": "First story", "version": 1})
    assert first.status_code == 302
    second = alice.post(
        _section(review, "narrative"), {"text": "Second story", "version": 1}, **HTMX
    )
    assert second.status_code == 200
    assert "someone else changed this section" in second.text
    assert "First story" in second.text  # the other person's text, shown
    assert "Second story" in second.text  # yours, kept in the box
    assert 'name="version" value="2"' in second.text
    review.refresh_from_db()
    assert review.narrative == "First story"
    assert review.version == 2


def test_conflict_without_javascript_shows_the_whole_page_with_both_texts(as_user, review):
    client = as_user("facilitator")
    client.post(_section(review, "narrative"), {"text": "First story", "version": 1})
    response = client.post(_section(review, "narrative"), {"text": "Mine", "version": 1})
    assert response.status_code == 200
    assert "<html" in response.text
    assert "First story" in response.text
    assert "Mine" in response.text
    review.refresh_from_db()
    assert review.narrative == "First story"


def test_saving_again_after_seeing_the_conflict_replaces_the_text(as_user, review):
    client = as_user("facilitator")
    client.post(_section(review, "narrative"), {"text": "First", "version": 1})
    client.post(_section(review, "narrative"), {"text": "Merged", "version": 2})
    review.refresh_from_db()
    assert review.narrative == "Merged"


def test_an_older_version_still_saves_a_section_nobody_else_touched(as_user, review):
    client = as_user("facilitator")
    client.post(_section(review, "narrative"), {"text": "Story", "version": 1})
    response = client.post(_section(review, "risks"), {"text": "Risky", "version": 1})
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.narrative, review.risks, review.version) == ("Story", "Risky", 3)


def test_section_save_is_kept_in_history_with_the_user(as_user, review, facilitator):
    as_user("facilitator").post(_section(review, "contributors"), {"text": "Config", "version": 1})
    latest = review.history.first()
    assert latest.contributors == "Config"
    assert latest.history_user == facilitator


def test_over_long_section_text_is_refused_on_the_field(as_user, review):
    response = as_user("facilitator").post(
        _section(review, "narrative"), {"text": "x" * 20_001, "version": 1}, **HTMX
    )
    assert "at most 20000 characters" in response.text
    review.refresh_from_db()
    assert review.narrative == ""


@pytest.mark.parametrize("role", ["responder", "reader"])
def test_only_facilitators_edit_text_sections(as_user, review, role):
    response = as_user(role).post(_section(review, "narrative"), {"text": "x", "version": 1})
    assert response.status_code == 403
    review.refresh_from_db()
    assert review.narrative == ""


def test_outsider_cannot_even_find_a_private_review_to_edit(as_user, private_review):
    response = as_user("outsider").post(
        _section(private_review, "narrative"), {"text": "x", "version": 1}
    )
    assert response.status_code == 404


def test_unknown_section_is_404(as_user, review):
    assert as_user("facilitator").post(_section(review, "version"), {}).status_code == 404


def test_section_saves_need_a_csrf_token(as_user, review):
    client = as_user("facilitator", enforce_csrf_checks=True)
    response = client.post(_section(review, "narrative"), {"text": "x", "version": 1})
    assert response.status_code == 403
    review.refresh_from_db()
    assert review.narrative == ""


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


# --- themes -----------------------------------------------------------------------------------


def test_facilitator_attaches_detaches_and_creates_themes(as_user, review):
    client = as_user("facilitator")
    theme = ThemeFactory(name="Retry storm")
    response = client.post(_url(review, "theme_attach"), {"theme": theme.pk}, **HTMX)
    assert "Retry storm" in response.text
    assert list(review.incident.themes.all()) == [theme]
    client.post(reverse("reviews:theme_detach", args=[review.pk, theme.pk]))
    assert not review.incident.themes.exists()
    client.post(_url(review, "theme_create"), {"name": "Stale cache", "description": ""})
    assert [t.name for t in review.incident.themes.all()] == ["Stale cache"]


def test_duplicate_theme_names_are_refused_on_the_field(as_user, review):
    ThemeFactory(name="Retry storm")
    response = as_user("facilitator").post(
        _url(review, "theme_create"), {"name": "retry-storm"}, **HTMX
    )
    assert "already has this theme" in response.text


def test_reader_cannot_tag_themes(as_user, review):
    theme = ThemeFactory()
    assert (
        as_user("reader").post(_url(review, "theme_attach"), {"theme": theme.pk}).status_code == 403
    )
    assert as_user("responder").post(_url(review, "theme_create"), {"name": "X"}).status_code == 403


# --- published reviews ---------------------------------------------------------------------------


def test_published_review_is_read_only_except_follow_up_status(as_user, review):
    item = ActionItemFactory(review=review)
    SurpriseFactory(incident=review.incident)
    review.status = Review.Status.PUBLISHED
    review.save()
    facilitator = as_user("facilitator")
    page = facilitator.get(_url(review)).text
    assert _section(review, "narrative") not in page
    assert _add(review, "timeline") not in page
    assert reverse("reviews:follow_up_status", args=[item.pk]) in page
    assert (
        facilitator.post(_section(review, "narrative"), {"text": "x", "version": 1}).status_code
        == 403
    )
    assert (
        as_user("responder").post(_add(review, "timeline"), _timeline_data(review)).status_code
        == 403
    )
    response = facilitator.post(
        reverse("reviews:follow_up_status", args=[item.pk]), {"status": "done"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "done"


def test_schedule_sets_the_meeting_and_marks_a_new_review_scheduled(as_user, incident, facilitator):
    from tests.factories import ReviewFactory

    review = ReviewFactory(incident=incident, facilitator=facilitator)
    response = as_user("facilitator").post(
        _url(review, "schedule"), {"scheduled_for": "2030-05-01T14:00"}, **HTMX
    )
    assert response.status_code == 200
    review.refresh_from_db()
    assert review.status == Review.Status.SCHEDULED
    assert review.scheduled_for.year == 2030


def test_workspace_query_count_does_not_grow_with_items(
    as_user, review, django_assert_max_num_queries
):
    client = as_user("facilitator")
    for _ in range(3):
        TimelineEntryFactory(incident=review.incident)
        ActionItemFactory(review=review)
        SurpriseFactory(incident=review.incident)
    client.get(_url(review))
    with django_assert_max_num_queries(40) as few:
        client.get(_url(review))
    for _ in range(10):
        TimelineEntryFactory(incident=review.incident)
        ActionItemFactory(review=review)
        SurpriseFactory(incident=review.incident)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(_url(review))


def test_preview_without_javascript_shows_the_whole_page_and_saves_nothing(as_user, review):
    response = as_user("facilitator").post(
        _section(review, "narrative"), {"text": "# Draft", "version": 1, "action": "preview"}
    )
    assert response.status_code == 200
    assert "<html" in response.text
    assert "Preview (not saved yet)" in response.text
    review.refresh_from_db()
    assert review.narrative == ""


def test_htmx_saves_also_refresh_the_publish_checklist(as_user, review):
    response = as_user("facilitator").post(
        _section(review, "narrative"), {"text": "Story", "version": 1}, **HTMX
    )
    assert 'id="publish-box" hx-swap-oob="true"' in response.text
    assert "✓ Narrative" in response.text


def _seen_change(page_html: str, entry) -> str:
    marker = f'action="{reverse("reviews:item_edit", args=[entry.incident.review.pk, "timeline", entry.pk])}"'
    form = page_html.split(marker, 1)[1]
    return form.split('name="seen_change" value="', 1)[1].split('"', 1)[0]


def test_two_edits_of_the_same_item_from_one_version_the_second_conflicts(as_user, review):
    entry = TimelineEntryFactory(incident=review.incident, text="Original")
    edit = reverse("reviews:item_edit", args=[review.pk, "timeline", entry.pk])
    alice, bob = as_user("facilitator"), as_user("responder")
    seen = _seen_change(alice.get(_url(review)).text, entry)
    assert seen == _seen_change(bob.get(_url(review)).text, entry)

    first = alice.post(edit, _timeline_data(review, text="Alice's words", seen_change=seen))
    assert first.status_code == 302
    second = bob.post(edit, _timeline_data(review, text="Bob's words", seen_change=seen), **HTMX)
    assert "someone else changed this timeline entry" in second.text
    assert "Alice&#x27;s words" in second.text  # theirs, in the list
    assert "Bob&#x27;s words" in second.text  # yours, still in the form
    entry.refresh_from_db()
    assert entry.text == "Alice's words"

    newest = second.text.split('name="seen_change" value="', 1)[1].split('"', 1)[0]
    assert newest != seen
    bob.post(edit, _timeline_data(review, text="Bob's words", seen_change=newest))
    entry.refresh_from_db()
    assert entry.text == "Bob's words"


def test_every_field_description_the_forms_point_to_exists(as_user, review):
    import re

    page = as_user("facilitator").get(_url(review)).text
    described = set(re.findall(r'aria-describedby="([^"]+)"', page))
    assert described, "the workspace's forms have help texts"
    for target in described:
        assert f'id="{target}"' in page, target
