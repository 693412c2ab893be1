"""Verdicts say whether a change is good news: more near misses reported and more survey
learning are, more incidents, surprises, difficulties and ownership gaps are not; and the
p-value is there on a tap or from the keyboard, not on hover alone."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dashboards import selectors
from dashboards.stats import FEWER, MORE, NO_CHANGE, Comparison
from dashboards.templatetags.dashboard_tags import verdict
from tests.dashboards.conftest import ALL, Q3, at
from tests.factories import (
    IncidentFactory,
    NearMissFactory,
    ParticipantFactory,
    ReviewFactory,
    SurveyResponseFactory,
)

MORE_CHANGE = Comparison(current=20, previous=2, p_value=0.0001, verdict=MORE)
FEWER_CHANGE = Comparison(current=2, previous=20, p_value=0.0001, verdict=FEWER)
SAME = Comparison(current=3, previous=2, p_value=0.7, verdict=NO_CHANGE)


@pytest.mark.parametrize(
    ("comparison", "more_is", "colour"),
    [
        (MORE_CHANGE, "bad", "verdict-worse"),
        (FEWER_CHANGE, "bad", "verdict-better"),
        (MORE_CHANGE, "good", "verdict-better"),
        (FEWER_CHANGE, "good", "verdict-worse"),
        (SAME, "good", "verdict-same"),
    ],
)
def test_a_verdict_is_coloured_by_what_more_means(comparison, more_is, colour):
    html = verdict(comparison, more_is=more_is)
    assert colour in html
    # Not by colour alone: the words say it to a screen reader too.
    if colour != "verdict-same":
        assert f'<span class="visually-hidden">, {colour.removeprefix("verdict-")}</span>' in html


def test_near_miss_reports_and_survey_learning_are_the_measures_where_more_is_good():
    assert {"near_misses", "learned_something"} == selectors.MORE_IS_GOOD


@pytest.mark.django_db
def test_more_near_misses_shows_as_good_news_and_more_incidents_as_bad(client, reader):
    for day in range(1, 21):
        IncidentFactory(started_at=at(f"2026-08-{day:02d}"))
        NearMissFactory(occurred_at=at(f"2026-08-{day:02d}"))
    client.force_login(reader)
    page = client.get(reverse("dashboards:overview"), {"start": "2026-07-01", "end": "2026-10-01"})
    html = page.content.decode()
    incidents = html.split("<h3>Incidents</h3>")[1].split("</article>")[0]
    near_misses = html.split("<h3>Near misses</h3>")[1].split("</article>")[0]
    assert "verdict-more verdict-worse" in incidents
    assert "verdict-more verdict-better" in near_misses


@pytest.mark.django_db
def test_survey_learning_is_compared_with_the_previous_period(superuser):
    def answers(day, learned):
        review = ReviewFactory(incident=IncidentFactory(started_at=at(day)))
        for did_learn in learned:
            participant = ParticipantFactory(review=review)
            SurveyResponseFactory(
                review=review, respondent=participant.user, learned_something=did_learn
            )

    answers("2026-05-01", [False] * 18 + [True] * 2)
    answers("2026-08-01", [True] * 18 + [False] * 2)
    loop = selectors.learning_loop(user=superuser, period=Q3, filters=ALL)
    assert (loop.learned_something.successes, loop.learned_something.n) == (18, 20)
    assert (loop.learned_something_previous.successes, loop.learned_something_previous.n) == (2, 20)
    assert loop.learned_something_change.verdict == MORE
    assert "verdict-more verdict-better" in verdict(loop.learned_something_change, "share", "good")
