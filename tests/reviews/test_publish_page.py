"""Publishing asks first: a page that says what it freezes; the workspace keeps drafts of what
people type (static/workspace.js), and marks the forms the server sent back as they were posted
so the browser does not take them for saved."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reviews.models import Review
from reviews.services import review_publish
from tests.factories import TimelineEntryFactory
from tests.reviews.conftest import HTMX, _section

pytestmark = pytest.mark.django_db


def _publish(review):
    return reverse("reviews:publish", args=[review.pk])


def _ready(review):
    review.narrative = "The story."
    review.save()
    TimelineEntryFactory(incident=review.incident)
    return review


def test_the_workspace_links_to_the_publish_page_instead_of_publishing_at_once(as_user, review):
    page = as_user("facilitator").get(reverse("reviews:workspace", args=[review.pk])).text
    assert f'href="{_publish(review)}"' in page
    assert f'action="{_publish(review)}"' not in page


def test_the_publish_page_says_what_publishing_freezes_and_what_stays_open(as_user, review):
    response = as_user("facilitator").get(_publish(review))
    assert response.status_code == 200
    page = response.text
    assert "Publishing freezes" in page
    assert "narrative" in page
    assert "timeline" in page
    assert "Stays open" in page
    assert "follow-up" in page
    assert f'<form method="post" action="{_publish(review)}">' in page
    review.refresh_from_db()
    assert not review.is_published  # reading the page publishes nothing


def test_the_publish_page_has_room_for_the_drafts_the_browser_holds(as_user, review, facilitator):
    page = as_user("facilitator").get(_publish(review)).text
    assert 'id="unsaved-drafts"' in page
    assert f'data-draft-scope="{facilitator.pk}:{review.pk}"' in page
    assert "workspace.js" in page


@pytest.mark.parametrize("role", ["responder", "reader"])
def test_only_facilitators_open_the_publish_page(as_user, review, role):
    assert as_user(role).get(_publish(review)).status_code == 403


def test_the_publish_page_of_a_published_review_leads_to_its_report(as_user, review):
    review_publish(review=_ready(review), user=review.facilitator)
    response = as_user("facilitator").get(_publish(review))
    assert response.status_code == 302
    assert response.url == reverse("reviews:report", args=[review.pk])


def test_the_workspace_keeps_drafts_per_user_and_review(as_user, review, facilitator):
    page = as_user("facilitator").get(reverse("reviews:workspace", args=[review.pk])).text
    assert f'data-draft-scope="{facilitator.pk}:{review.pk}"' in page
    assert 'data-draft="Narrative"' in page
    assert 'data-draft="New timeline entry"' in page
    assert "data-bound" not in page  # every form shows what is stored


def test_a_form_sent_back_unsaved_is_marked_so_the_browser_keeps_its_draft(as_user, review):
    client = as_user("facilitator")
    preview = client.post(
        _section(review, "narrative"),
        {"text": "Not saved yet", "version": review.version, "action": "preview"},
        **HTMX,
    )
    assert "data-bound" in preview.text
    saved = client.post(
        _section(review, "narrative"),
        {"text": "Saved", "version": review.version, "action": "save"},
        **HTMX,
    )
    assert "data-bound" not in saved.text
    assert Review.objects.get(pk=review.pk).narrative == "Saved"
