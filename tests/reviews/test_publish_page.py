"""Publishing asks first: a page that says what it freezes; the workspace keeps drafts of what
people type (static/workspace.js), and marks the forms the server sent back as they were posted
so the browser does not take them for saved."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reviews.models import ActionItem, Review
from reviews.services import review_publish
from tests.factories import ActionItemFactory, TimelineEntryFactory
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


def test_a_refused_publish_answers_on_the_publish_page_with_the_reasons_on_top(as_user, review):
    response = as_user("facilitator").post(_publish(review))
    assert response.status_code == 200  # no redirect to a workspace scrolled elsewhere
    page = response.text
    errors = page.index('id="publish-errors"')
    assert 'role="alert" tabindex="-1" autofocus' in page[errors : errors + 200]
    assert errors < page.index("Write the narrative before publishing") < page.index("Ready?")
    assert "Add at least one timeline entry" in page
    review.refresh_from_db()
    assert not review.is_published


def test_error_messages_take_the_focus_and_others_do_not(as_user, review):
    item = ActionItemFactory(review=review)
    client = as_user("facilitator")
    url = reverse("reviews:follow_up_status", args=[item.pk])
    refused = client.post(url, {"status": "nonsense", "next": "/follow-ups/"}, follow=True)
    assert '<li class="error" role="alert" tabindex="-1" autofocus>' in refused.text
    done = client.post(url, {"status": ActionItem.Status.DONE, "next": "/follow-ups/"}, follow=True)
    assert "is now done" in done.text
    assert "autofocus" not in done.text.split('<ul class="messages">')[1].split("</ul>")[0]
