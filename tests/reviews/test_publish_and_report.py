"""Publishing a review, its printable report, the Markdown download and the learning survey."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from reviews.models import Review, SurveyResponse
from reviews.services import review_publish
from tests.factories import (
    ActionItemFactory,
    DifficultyFactory,
    OwnershipGapFactory,
    ParticipantFactory,
    SurpriseFactory,
    SurveyResponseFactory,
    ThemeFactory,
    TimelineEntryFactory,
)

pytestmark = pytest.mark.django_db


def _ready(review):
    review.narrative = "The **story**."
    review.save()
    TimelineEntryFactory(incident=review.incident, text="Alert fired")
    return review


def _published(review):
    _ready(review)
    return review_publish(review=review, user=review.facilitator)


# --- publishing --------------------------------------------------------------------------------


def test_publish_needs_a_narrative_and_a_timeline(review, facilitator):
    with pytest.raises(ValidationError) as error:
        review_publish(review=review, user=facilitator)
    assert len(error.value.messages) == 2
    review.refresh_from_db()
    assert review.status == Review.Status.IN_PROGRESS
    assert review.published_at is None


def test_publish_sets_status_and_time(review, facilitator):
    published = _published(review)
    assert published.status == Review.Status.PUBLISHED
    assert published.published_at is not None


def test_publishing_twice_is_refused(review, facilitator):
    _published(review)
    with pytest.raises(ValidationError):
        review_publish(review=review, user=facilitator)


def test_facilitator_publishes_from_the_workspace_and_lands_on_the_report(as_user, review):
    _ready(review)
    response = as_user("facilitator").post(reverse("reviews:publish", args=[review.pk]))
    assert response.status_code == 302
    assert response.url == reverse("reviews:report", args=[review.pk])
    review.refresh_from_db()
    assert review.is_published


def test_publishing_an_unready_review_explains_what_is_missing(as_user, review):
    client = as_user("facilitator")
    response = client.post(reverse("reviews:publish", args=[review.pk]), follow=True)
    assert "Write the narrative before publishing" in response.text
    assert "Add at least one timeline entry" in response.text
    review.refresh_from_db()
    assert not review.is_published


@pytest.mark.parametrize("role", ["responder", "reader"])
def test_only_facilitators_publish(as_user, review, role):
    _ready(review)
    assert as_user(role).post(reverse("reviews:publish", args=[review.pk])).status_code == 403
    review.refresh_from_db()
    assert not review.is_published


def test_publishing_needs_a_csrf_token(as_user, review):
    _ready(review)
    client = as_user("facilitator", enforce_csrf_checks=True)
    assert client.post(reverse("reviews:publish", args=[review.pk])).status_code == 403


# --- the report ---------------------------------------------------------------------------------


def _full_review(review):
    _published(review)
    TimelineEntryFactory(incident=review.incident, text="Rolled back")
    SurpriseFactory(incident=review.incident, expected="Failover", observed="Nothing happened")
    DifficultyFactory(incident=review.incident, description="Dashboard was green")
    OwnershipGapFactory(incident=review.incident, description="Nobody owned the cron")
    ActionItemFactory(review=review, title="Alert on queue depth", owner_team=None)
    ParticipantFactory(review=review, user=None, name="Dana from support")
    ThemeFactory(name="Stale dashboards").incidents.add(review.incident)
    review.mitigators = "Support noticed early."
    review.save()
    return review


def test_report_shows_everything_the_review_holds(as_user, review):
    _full_review(review)
    page = as_user("reader").get(reverse("reviews:report", args=[review.pk])).text
    for text in [
        "<strong>story</strong>",
        "Alert fired",
        "Rolled back",
        "Nothing happened",
        "Dashboard was green",
        "Nobody owned the cron",
        "Alert on queue depth",
        "nobody (gap)",
        "Dana from support",
        "Stale dashboards",
        "Support noticed early.",
    ]:
        assert text in page, text


def test_report_is_printable_without_the_page_chrome(as_user, review):
    _published(review)
    page = as_user("reader").get(reverse("reviews:report", args=[review.pk])).text
    assert "reviews.css" in page
    assert "data-print" in page
    css = (settings.BASE_DIR / "static" / "reviews.css").read_text()
    assert "@media print" in css


def test_report_sanitises_review_text(as_user, review):
    review.narrative = "<script>alert(1)</script><svg onload=alert(1)> fine"
    review.save()
    page = as_user("reader").get(reverse("reviews:report", args=[review.pk])).text
    assert "<script>alert(1)" not in page
    assert "<svg" not in page
    assert "fine" in page


def test_private_report_is_404_for_an_outsider(as_user, private_review):
    assert (
        as_user("outsider").get(reverse("reviews:report", args=[private_review.pk])).status_code
        == 404
    )
    assert (
        as_user("outsider")
        .get(reverse("reviews:report_markdown", args=[private_review.pk]))
        .status_code
        == 404
    )


def test_anonymous_visitor_is_sent_to_log_in_for_the_report(as_user, review):
    assert as_user("anonymous").get(reverse("reviews:report", args=[review.pk])).status_code == 302


def test_markdown_download_is_an_attachment_with_the_whole_review(as_user, review):
    _full_review(review)
    response = as_user("reader").get(reverse("reviews:report_markdown", args=[review.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/markdown")
    reference = review.incident.reference
    assert response["Content-Disposition"] == f'attachment; filename="{reference}-review.md"'
    text = response.content.decode()
    assert text.startswith(f"# {reference}: ")
    for expected in [
        "The **story**.",
        "Alert fired",
        "Nothing happened",
        "Alert on queue depth",
        "Stale dashboards",
        "Dana from support",
        "## Learning survey",
    ]:
        assert expected in text, expected


def test_report_counts_the_survey_answers(as_user, review):
    _published(review)
    SurveyResponseFactory(
        review=review,
        learned_something=True,
        would_attend_again=False,
        still_unclear="Who owns the cron?",
    )
    SurveyResponseFactory(review=review, learned_something=False, would_attend_again=False)
    page = as_user("reader").get(reverse("reviews:report", args=[review.pk])).text
    assert "<strong>2</strong> answers" in page
    assert "<strong>1</strong> learned something" in page
    assert "<strong>0</strong> would come" in page
    assert "Who owns the cron?" in page


# --- the learning survey ---------------------------------------------------------------------


def _survey(review):
    return reverse("reviews:survey", args=[review.pk])


def test_participant_answers_the_survey_once_and_may_change_it(as_user, review, responder):
    _published(review)
    ParticipantFactory(review=review, user=responder)
    client = as_user("responder")
    assert client.get(_survey(review)).status_code == 200
    answers = {"learned_something": "yes", "would_attend_again": "no", "still_unclear": "Retries"}
    assert client.post(_survey(review), answers).status_code == 302
    client.post(_survey(review), {**answers, "would_attend_again": "yes"})
    response = SurveyResponse.objects.get(review=review, respondent=responder)
    assert (response.learned_something, response.would_attend_again) == (True, True)
    assert 'value="yes"' in client.get(_survey(review)).text


def test_survey_answers_are_required(as_user, review, responder):
    _published(review)
    ParticipantFactory(review=review, user=responder)
    response = as_user("responder").post(_survey(review), {"still_unclear": "x"})
    assert response.status_code == 200
    assert "This field is required." in response.text
    assert not SurveyResponse.objects.exists()


def test_people_who_did_not_take_part_cannot_answer(as_user, review):
    _published(review)
    assert as_user("reader").get(_survey(review)).status_code == 403
    assert (
        as_user("reader")
        .post(_survey(review), {"learned_something": "yes", "would_attend_again": "yes"})
        .status_code
        == 403
    )


def test_survey_opens_only_once_the_review_is_published(as_user, review, responder):
    ParticipantFactory(review=review, user=responder)
    assert as_user("responder").get(_survey(review)).status_code == 403


def test_survey_link_is_shown_to_participants_on_the_report(as_user, review, responder):
    _published(review)
    ParticipantFactory(review=review, user=responder)
    page = as_user("responder").get(reverse("reviews:report", args=[review.pk])).text
    assert f'href="{_survey(review)}"' in page


def test_survey_needs_a_csrf_token(as_user, review, facilitator):
    _published(review)
    client = as_user("facilitator", enforce_csrf_checks=True)
    response = client.post(
        _survey(review), {"learned_something": "yes", "would_attend_again": "yes"}
    )
    assert response.status_code == 403
