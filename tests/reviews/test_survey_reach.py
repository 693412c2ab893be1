"""The learning survey is easy to reach: the people it waits for are told so on the home page,
the workspace and the report; the report shows its whole address; a refusal is a page with a
way back; participants can still be added once the review is published, so the survey reaches
someone forgotten."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reviews.models import Participant, Review, SurveyResponse
from reviews.services import review_publish
from tests.factories import (
    IncidentFactory,
    ParticipantFactory,
    ReviewFactory,
    SurveyResponseFactory,
    TimelineEntryFactory,
)
from tests.reviews.conftest import HTMX, _add

pytestmark = pytest.mark.django_db
HOME = reverse("incidents:home")
WAITS = "A learning survey waits for you"


def _published(review):
    review.narrative = "The story."
    review.save()
    TimelineEntryFactory(incident=review.incident)
    return review_publish(review=review, user=review.facilitator)


def _survey(review):
    return reverse("reviews:survey", args=[review.pk])


def _report(review):
    return reverse("reviews:report", args=[review.pk])


def test_home_tells_a_participant_that_a_survey_waits_until_they_answer(as_user, review, responder):
    _published(review)
    ParticipantFactory(review=review, user=responder)
    client = as_user("responder")
    page = client.get(HOME).text
    assert WAITS in page
    assert f'href="{_survey(review)}"' in page
    SurveyResponseFactory(review=review, respondent=responder)
    assert WAITS not in client.get(HOME).text


def test_home_invites_nobody_to_a_survey_that_is_not_theirs_or_not_open(as_user, review, responder):
    ParticipantFactory(review=review, user=responder)  # not published yet
    _published(ReviewFactory(status=Review.Status.IN_PROGRESS))  # published, not theirs
    assert WAITS not in as_user("responder").get(HOME).text
    assert WAITS not in as_user("reader").get(HOME).text


def test_home_names_no_survey_of_a_private_incident_the_participant_may_not_see(as_user, reader):
    review = ReviewFactory(
        incident=IncidentFactory(is_private=True, title="Leaked token"),
        status=Review.Status.IN_PROGRESS,
    )
    _published(review)
    ParticipantFactory(review=review, user=reader)
    page = as_user("reader").get(HOME).text
    assert "Leaked token" not in page
    assert WAITS not in page


def test_the_workspace_and_the_report_tell_a_participant_that_a_survey_waits(
    as_user, review, responder
):
    _published(review)
    ParticipantFactory(review=review, user=responder)
    client = as_user("responder")
    for url in (reverse("reviews:workspace", args=[review.pk]), _report(review)):
        page = client.get(url).text
        assert WAITS in page, url
        assert f'href="{_survey(review)}"' in page


def test_after_answering_the_button_says_edit_your_answer(as_user, review, responder):
    _published(review)
    ParticipantFactory(review=review, user=responder)
    client = as_user("responder")
    assert "Answer the learning survey" in client.get(_report(review)).text
    client.post(_survey(review), {"learned_something": "yes", "would_attend_again": "yes"})
    page = client.get(_report(review)).text
    assert "Edit your answer" in page
    assert "Answer the learning survey" not in page
    assert WAITS not in page
    assert "Save your new answer" in client.get(_survey(review)).text


def test_the_report_links_the_surveys_whole_address(as_user, review):
    _published(review)
    page = as_user("reader").get(_report(review)).text
    address = f"http://testserver{_survey(review)}"
    assert f'<a href="{address}">{address}</a>' in page


def test_someone_who_did_not_take_part_gets_a_page_with_a_way_back(as_user, review):
    _published(review)
    response = as_user("reader").get(_survey(review))
    assert response.status_code == 403
    page = response.text
    assert "You may not open this page" in page
    assert "for the people who took part" in page
    assert f'href="{_report(review)}"' in page
    assert 'class="topbar"' in page  # the site around it, not a bare refusal


def test_any_refusal_is_the_same_styled_page(as_user, review):
    response = as_user("reader").post(reverse("reviews:publish", args=[review.pk]))
    assert response.status_code == 403
    assert "You may not open this page" in response.text
    assert "Only facilitators publish reviews." in response.text
    assert f'href="{HOME}"' in response.text


def test_the_facilitator_adds_a_forgotten_participant_after_publishing(as_user, review, reader):
    _published(review)
    client = as_user("facilitator")
    assert (
        _add(review, "participants")
        in client.get(reverse("reviews:workspace", args=[review.pk])).text
    )
    response = client.post(
        _add(review, "participants"), {"user": reader.pk, "role": "stakeholder"}, **HTMX
    )
    assert response.status_code == 200
    assert Participant.objects.filter(review=review, user=reader).exists()
    assert WAITS in as_user("reader").get(HOME).text
    answers = {"learned_something": "yes", "would_attend_again": "no"}
    assert as_user("reader").post(_survey(review), answers).status_code == 302
    assert SurveyResponse.objects.filter(review=review, respondent=reader).exists()


def test_published_participants_stay_frozen_but_for_adding(as_user, review, reader):
    participant = ParticipantFactory(review=review, interview_notes="Said the dashboard lied")
    _published(review)
    client = as_user("facilitator")
    edit = reverse("reviews:item_edit", args=[review.pk, "participants", participant.pk])
    delete = reverse("reviews:item_delete", args=[review.pk, "participants", participant.pk])
    assert client.post(edit, {"name": "x", "role": "observer"}).status_code == 403
    assert client.post(delete).status_code == 403
    participant.refresh_from_db()
    assert participant.interview_notes == "Said the dashboard lied"
    # Responders add what they saw, not people, before or after.
    added = as_user("responder").post(_add(review, "participants"), {"name": "Dana"})
    assert added.status_code == 403


def test_the_publish_checklist_mentions_participants(as_user, review):
    ParticipantFactory(review=review)
    page = as_user("facilitator").get(reverse("reviews:workspace", args=[review.pk])).text
    assert "Participants</a> (1): the learning survey goes to them" in page
    publish_page = as_user("facilitator").get(reverse("reviews:publish", args=[review.pk])).text
    assert "adding participants" in publish_page


def test_home_lists_the_newest_three_surveys_and_counts_the_rest(as_user, responder):
    for _ in range(5):
        review = ReviewFactory(status=Review.Status.IN_PROGRESS)
        _published(review)
        ParticipantFactory(review=review, user=responder)
    page = as_user("responder").get(HOME).text
    assert "5 learning surveys wait for you" in page
    assert page.count("Answer the survey of") == 3
    assert "And 2 older ones" in page
