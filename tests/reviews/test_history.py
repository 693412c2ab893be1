"""The history page: who changed what in a review and its items, when, field by field."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from reviews.selectors import review_history
from tests.factories import ActionItemFactory, ResponderFactory, TeamFactory

pytestmark = pytest.mark.django_db


def _history(review):
    return reverse("reviews:history", args=[review.pk])


def _save_section(client, review, section, text, version):
    url = reverse("reviews:section_save", args=[review.pk, section])
    return client.post(url, {"text": text, "version": version})


def test_history_lists_field_level_changes_with_who_and_what(as_user, review, facilitator):
    client = as_user("facilitator")
    _save_section(client, review, "narrative", "First draft", 1)
    _save_section(client, review, "narrative", "Second draft", 2)
    page = client.get(_history(review)).text
    assert "<del>First draft</del>" in page
    assert "<ins>Second draft</ins>" in page
    assert facilitator.get_full_name() in page


def test_history_covers_the_items_of_the_review(as_user, review, responder):
    client = as_user("responder")
    at = (review.incident.started_at + timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M")
    client.post(
        reverse("reviews:item_add", args=[review.pk, "timeline"]),
        {"at": at, "kind": "note", "text": "Paged"},
    )
    client.post(
        reverse("reviews:item_add", args=[review.pk, "surprises"]),
        {"expected": "Quiet", "observed": "Loud"},
    )
    item = ActionItemFactory(review=review, title="Add alert")
    item.status = "done"
    item.save()
    changes = review_history(review=review)
    summary = {(change.what, change.action) for change in changes}
    assert {("Timeline entry", "added"), ("Surprise", "added"), ("Follow-up", "changed")} <= summary
    status_change = next(c for c in changes if c.what == "Follow-up" and c.action == "changed")
    assert status_change.changes == [("status", "Open", "Done")]
    timeline = next(c for c in changes if c.what == "Timeline entry")
    assert timeline.who == responder.get_full_name()


def test_changes_that_touch_no_visible_field_are_left_out(review):
    review.save()  # only updated_at moves
    assert [change.action for change in review_history(review=review)] == ["added"]


def test_history_is_newest_first(as_user, review):
    client = as_user("facilitator")
    _save_section(client, review, "risks", "one", 1)
    _save_section(client, review, "risks", "two", 2)
    changes = review_history(review=review)
    assert [c.when for c in changes] == sorted((c.when for c in changes), reverse=True)


@pytest.mark.parametrize("role", ["facilitator", "responder", "reader"])
def test_everyone_who_sees_the_review_reads_its_history(as_user, review, role):
    assert as_user(role).get(_history(review)).status_code == 200


def test_history_of_a_private_review_is_404_for_an_outsider(as_user, private_review):
    assert as_user("outsider").get(_history(private_review)).status_code == 404


def test_anonymous_visitor_is_sent_to_log_in(as_user, review):
    assert as_user("anonymous").get(_history(review)).status_code == 302


def test_history_names_people_and_teams_not_their_ids(as_user, review):
    item = ActionItemFactory(review=review, assignee=None, owner_team=None)
    item.assignee = ResponderFactory(username="dk", first_name="Dana", last_name="Kim")
    item.owner_team = TeamFactory(name="Payments")
    item.save()
    page = as_user("reader").get(_history(review)).text
    assert "<ins>Dana Kim</ins>" in page
    assert "<ins>Payments</ins>" in page
    assert f"#{item.assignee.pk}" not in page
