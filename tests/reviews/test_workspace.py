"""The review workspace: who may see and edit what, in place (htmx) and as plain form posts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reviews.models import Review
from tests.factories import (
    ActionItemFactory,
    SurpriseFactory,
    ThemeFactory,
    TimelineEntryFactory,
)
from tests.reviews.conftest import HTMX, _add, _section, _timeline_data, _url

pytestmark = pytest.mark.django_db


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
    narrative = reverse("reviews:workspace", args=[review.pk]) + "#section-narrative"
    assert f'<li class="ok">✓ <a href="{narrative}">Narrative</a>' in response.text


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
