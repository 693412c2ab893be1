"""The review queue: what needs a review, most worth a deep review first; starting a review."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import Severity
from reviews.models import ActionItem, Participant, Review
from reviews.selectors import REVIEWS_SHOWN, first_collaboration_ids, review_queue
from reviews.views.home import HOME_LIST_SIZE
from tests.factories import (
    ActionItemFactory,
    IncidentFactory,
    ReviewFactory,
    SystemFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
QUEUE = reverse("reviews:queue")


def _needs_review(user):
    return [entry.incident for entry in review_queue(user=user).needs_review]


@pytest.mark.parametrize("role", ["facilitator", "responder", "reader"])
def test_everyone_logged_in_sees_the_queue(as_user, role):
    IncidentFactory(title="Disk full on db-1")
    response = as_user(role).get(QUEUE)
    assert response.status_code == 200
    assert "Disk full on db-1" in response.text


def test_anonymous_visitor_is_sent_to_log_in(as_user):
    response = as_user("anonymous").get(QUEUE)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_private_incident_is_not_queued_for_an_outsider(as_user, responder):
    private = IncidentFactory(is_private=True, title="Leaked token")
    private.responders.add(responder)
    assert "Leaked token" not in as_user("outsider").get(QUEUE).text
    assert "Leaked token" in as_user("responder").get(QUEUE).text


def test_only_facilitators_get_the_start_button(as_user):
    incident = IncidentFactory()
    start = reverse("reviews:create", args=[incident.reference])
    assert start in as_user("facilitator").get(QUEUE).text
    assert start not in as_user("responder").get(QUEUE).text
    assert start not in as_user("reader").get(QUEUE).text


def test_incidents_with_a_started_review_leave_the_needs_review_list(reader):
    waiting = IncidentFactory()
    not_started = ReviewFactory(status=Review.Status.NOT_STARTED).incident
    ReviewFactory(status=Review.Status.IN_PROGRESS)
    assert set(_needs_review(reader)) == {waiting, not_started}


def test_queue_puts_the_incidents_with_most_cues_first(reader):
    alone = TeamFactory()
    quiet = IncidentFactory(severity=Severity.SEV4, teams=[alone])
    severe = IncidentFactory(severity=Severity.SEV1, teams=[alone])
    unowned = SystemFactory(owner_team=None)
    a, b = TeamFactory(), TeamFactory()
    many = IncidentFactory(severity=Severity.SEV2, teams=[a, b], systems=[unowned])
    assert _needs_review(reader) == [many, severe, quiet]
    cues = review_queue(user=reader).needs_review[0].cues
    assert cues == ["2 teams involved", "First collaboration", "Unowned system", "SEV2"]


def test_teams_owning_a_touched_system_count_as_involved(reader):
    owner = TeamFactory()
    IncidentFactory(teams=[TeamFactory()], systems=[SystemFactory(owner_team=owner)])
    assert "2 teams involved" in review_queue(user=reader).needs_review[0].cues


def test_first_collaboration_is_a_pair_of_teams_never_seen_together_before():
    a, b, c = TeamFactory(), TeamFactory(), TeamFactory()
    now = timezone.now()
    first = IncidentFactory(teams=[a, b], started_at=now - timedelta(days=30))
    again = IncidentFactory(teams=[a, b], started_at=now - timedelta(days=20))
    new_pair = IncidentFactory(teams=[a, b, c], started_at=now - timedelta(days=10))
    solo = IncidentFactory(teams=[c], started_at=now - timedelta(days=5))
    candidates = {first.pk, again.pk, new_pair.pk, solo.pk}
    assert candidates.intersection(first_collaboration_ids()) == {first.pk, new_pair.pk}


def test_teams_owning_the_systems_touched_make_a_first_collaboration_too():
    a, b = TeamFactory(), TeamFactory()
    now = timezone.now()
    first = IncidentFactory(
        teams=[b], systems=[SystemFactory(owner_team=a)], started_at=now - timedelta(days=10)
    )
    again = IncidentFactory(
        systems=[SystemFactory(owner_team=b), SystemFactory(owner_team=a)],
        started_at=now - timedelta(days=5),
    )
    assert {first.pk, again.pk}.intersection(first_collaboration_ids()) == {first.pk}


def test_of_two_incidents_starting_together_the_one_recorded_first_is_the_first_collaboration():
    a, b = TeamFactory(), TeamFactory()
    started = timezone.now() - timedelta(days=2)
    earlier = IncidentFactory(teams=[a, b], started_at=started)
    later = IncidentFactory(teams=[a, b], started_at=started)
    assert {earlier.pk, later.pk}.intersection(first_collaboration_ids()) == {earlier.pk}


def test_a_team_counts_once_however_it_is_involved(reader):
    payments, search = TeamFactory(), TeamFactory()
    IncidentFactory(
        teams=[payments],
        systems=[
            SystemFactory(owner_team=payments),
            SystemFactory(owner_team=search),
            SystemFactory(owner_team=search),
        ],
    )
    assert review_queue(user=reader).needs_review[0].cues[0] == "2 teams involved"


def test_no_team_ever_worked_with_another_so_no_first_collaboration(as_user):
    IncidentFactory(title="Alone", teams=[TeamFactory()])
    IncidentFactory(title="Nobody")
    assert _listed(as_user("reader"), cue="first_collaboration") == set()
    assert _listed(as_user("reader")) == {"Alone", "Nobody"}


def test_overdue_incidents_and_reviews_are_flagged(as_user, reader):
    old = timezone.now() - timedelta(days=30)
    IncidentFactory(title="Old and forgotten", started_at=old, severity="SEV2")
    IncidentFactory(title="Old but quiet", started_at=old, severity="SEV4")
    IncidentFactory(title="Fresh", severity="SEV1")
    late = ReviewFactory(
        status=Review.Status.SCHEDULED, scheduled_for=timezone.now() - timedelta(days=1)
    )
    queue = review_queue(user=reader)
    assert {entry.incident.title: entry.overdue for entry in queue.needs_review} == {
        "Old and forgotten": True,
        "Old but quiet": False,
        "Fresh": False,
    }
    # Its meeting has passed: no longer "scheduled", in progress and late.
    assert (queue.scheduled, queue.in_progress) == ([], [late])
    assert queue.in_progress[0].overdue
    assert as_user("reader").get(QUEUE).text.count("overdue-pill") == 2


def test_scheduled_in_progress_and_published_reviews_are_listed(reader):
    scheduled = ReviewFactory(status=Review.Status.SCHEDULED)
    running = ReviewFactory(status=Review.Status.IN_PROGRESS)
    published = ReviewFactory(status=Review.Status.PUBLISHED, published_at=timezone.now())
    queue = review_queue(user=reader)
    assert (queue.scheduled, queue.in_progress, queue.published) == (
        [scheduled],
        [running],
        [published],
    )


def test_queue_costs_the_same_number_of_queries_however_long_it_is(
    as_user, django_assert_num_queries
):
    client = as_user("facilitator")
    teams = [TeamFactory() for _ in range(3)]

    def add_incidents(count):
        for _ in range(count):
            IncidentFactory(teams=teams, systems=[SystemFactory(owner_team=None)])
            ReviewFactory(status=Review.Status.IN_PROGRESS)
            ReviewFactory(status=Review.Status.PUBLISHED, published_at=timezone.now())

    add_incidents(2)
    client.get(QUEUE)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(QUEUE)
    add_incidents(8)
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(QUEUE)


# --- starting a review -------------------------------------------------------------------------


def test_facilitator_starts_a_review_with_the_people_involved(as_user, facilitator):
    lead, helper = UserFactory(), UserFactory()
    incident = IncidentFactory(lead=lead)
    incident.responders.add(helper, lead)
    response = as_user("facilitator").post(reverse("reviews:create", args=[incident.reference]))
    review = Review.objects.get(incident=incident)
    assert response.status_code == 302
    assert response.url == reverse("reviews:workspace", args=[review.pk])
    assert (review.facilitator, review.status) == (facilitator, Review.Status.IN_PROGRESS)
    roles = {(p.user, p.role) for p in review.participants.all()}
    assert roles == {(lead, Participant.Role.INCIDENT_LEAD), (helper, Participant.Role.RESPONDER)}


def test_starting_a_not_started_review_picks_it_up(as_user, facilitator):
    review = ReviewFactory(status=Review.Status.NOT_STARTED)
    as_user("facilitator").post(reverse("reviews:create", args=[review.incident.reference]))
    review.refresh_from_db()
    assert (review.status, review.facilitator) == (Review.Status.IN_PROGRESS, facilitator)
    assert Review.objects.count() == 1


@pytest.mark.parametrize("role", ["responder", "reader"])
def test_only_facilitators_start_reviews(as_user, role):
    incident = IncidentFactory()
    response = as_user(role).post(reverse("reviews:create", args=[incident.reference]))
    assert response.status_code == 403
    assert not Review.objects.exists()


def test_outsider_cannot_start_a_review_of_a_private_incident(as_user):
    from tests.factories import FacilitatorFactory

    incident = IncidentFactory(is_private=True)
    client = as_user("anonymous")
    client.force_login(FacilitatorFactory())
    response = client.post(reverse("reviews:create", args=[incident.reference]))
    assert response.status_code == 404
    assert not Review.objects.exists()


def test_starting_a_review_needs_post_and_a_csrf_token(as_user):
    incident = IncidentFactory()
    url = reverse("reviews:create", args=[incident.reference])
    assert as_user("facilitator").get(url).status_code == 405
    assert as_user("facilitator", enforce_csrf_checks=True).post(url).status_code == 403
    assert not Review.objects.exists()


def test_reviews_under_way_count_only_their_open_follow_ups(superuser):
    under_way = ReviewFactory(status=Review.Status.IN_PROGRESS)
    for status in [ActionItem.Status.OPEN, ActionItem.Status.IN_PROGRESS, ActionItem.Status.DONE]:
        ActionItemFactory(review=under_way, status=status)
    [shown] = review_queue(user=superuser).in_progress
    assert shown.open_follow_ups == 2


# --- at scale: one definition with home, filters, paging, the user's own first -----------------


HOME = reverse("incidents:home")


def test_home_and_the_queue_count_the_same_incidents_waiting(as_user, facilitator):
    IncidentFactory(title="No review at all")
    ReviewFactory(status=Review.Status.NOT_STARTED, incident__title="Review not started")
    ReviewFactory(status=Review.Status.IN_PROGRESS, incident__title="Under way")
    client = as_user("facilitator")
    home = client.get(HOME)
    queue = client.get(QUEUE)
    assert home.context["waiting_count"] == queue.context["page"].paginator.count == 2
    for title in ("No review at all", "Review not started"):
        assert title in home.text
        assert title in queue.text


def test_home_lists_the_waiting_incidents_in_the_queues_order(as_user, facilitator):
    alone = TeamFactory()
    quiet = IncidentFactory(severity=Severity.SEV4, teams=[alone])
    severe = IncidentFactory(severity=Severity.SEV1, teams=[alone])
    many = IncidentFactory(severity=Severity.SEV3, teams=[TeamFactory(), TeamFactory()])
    client = as_user("facilitator")
    home = [entry.incident for entry in client.get(HOME).context["waiting"]]
    queue = [entry.incident for entry in client.get(QUEUE).context["page"].object_list]
    assert home == queue == [many, severe, quiet]


def _listed(client, **params) -> set[str]:
    page = client.get(QUEUE, params).context["page"]
    return {entry.incident.title for entry in page.object_list}


def test_the_queue_filters_by_team_system_severity_cue_and_overdue(as_user):
    payments, search = TeamFactory(name="Payments"), TeamFactory(name="Search")
    checkout = SystemFactory(name="checkout", owner_team=payments)
    old = timezone.now() - timedelta(days=30)
    IncidentFactory(title="Checkout down", systems=[checkout], severity=Severity.SEV1)
    IncidentFactory(title="Index stale", teams=[search], severity=Severity.SEV3)
    IncidentFactory(
        title="Both, long ago",
        teams=[payments, search],
        severity=Severity.SEV3,
        started_at=old,
        resolved_at=old,
    )
    client = as_user("reader")
    assert _listed(client, team="payments") == {"Checkout down", "Both, long ago"}
    assert _listed(client, system="checkout") == {"Checkout down"}
    assert _listed(client, severity="SEV3") == {"Index stale", "Both, long ago"}
    assert _listed(client, cue="teams") == {"Both, long ago"}
    assert _listed(client, cue="high_severity") == {"Checkout down"}
    assert _listed(client, overdue="true") == {"Both, long ago"}
    assert _listed(client, team="search", cue="first_collaboration") == {"Both, long ago"}


def test_a_bad_queue_filter_shows_nothing_and_says_why(as_user):
    IncidentFactory(title="Disk full")
    response = as_user("reader").get(QUEUE, {"cue": "bogus", "team": "nobody"})
    assert response.status_code == 200
    assert "Disk full" not in response.text
    assert "Select a valid choice" in response.text


def test_the_queue_pages_the_incidents_waiting_and_keeps_the_filters(as_user):
    for _ in range(30):
        IncidentFactory(severity=Severity.SEV2)
    client = as_user("reader")
    first = client.get(QUEUE, {"severity": "SEV2"})
    assert len(first.context["page"].object_list) == 25
    assert "?severity=SEV2&amp;page=2" in first.text
    second = client.get(QUEUE, {"severity": "SEV2", "page": 2})
    assert len(second.context["page"].object_list) == 5


def test_the_facilitators_own_reviews_come_first(as_user, facilitator):
    theirs = ReviewFactory(status=Review.Status.IN_PROGRESS, incident__title="Theirs")
    mine = ReviewFactory(
        status=Review.Status.SCHEDULED, facilitator=facilitator, incident__title="Mine"
    )
    response = as_user("facilitator").get(QUEUE)
    queue = response.context["queue"]
    assert (queue.mine, queue.scheduled, queue.in_progress) == ([mine], [], [theirs])
    page = response.text
    assert page.index("Reviews you facilitate") < page.index("Needs a review")
    assert page.index("Mine") < page.index("Theirs")


def test_a_review_whose_meeting_has_passed_no_longer_says_scheduled(as_user, facilitator):
    past = ReviewFactory(
        status=Review.Status.SCHEDULED,
        facilitator=facilitator,
        scheduled_for=timezone.now() - timedelta(days=3),
        incident__title="Met on Monday",
    )
    coming = ReviewFactory(
        status=Review.Status.SCHEDULED, scheduled_for=timezone.now() + timedelta(days=3)
    )
    assert past.get_shown_status_display() == "In progress"
    assert coming.get_shown_status_display() == "Scheduled"
    client = as_user("facilitator")
    workspace = client.get(reverse("reviews:workspace", args=[past.pk])).text
    assert '<span class="pill review-in_progress">In progress</span>' in workspace
    assert "Scheduled" not in client.get(past.incident.get_absolute_url()).text
    assert "meeting was" in client.get(reverse("incidents:home")).text


# --- reviews under way: a few per block, counted, the rest a click away -----------------------


def _under_way(count, **fields):
    fields.setdefault("status", Review.Status.IN_PROGRESS)
    return [ReviewFactory(**fields) for _ in range(count)]


def test_each_block_shows_its_first_reviews_and_counts_them_all(as_user):
    running = _under_way(REVIEWS_SHOWN + 2)
    response = as_user("reader").get(QUEUE)
    queue = response.context["queue"]
    assert queue.counts == {"mine": 0, "scheduled": 0, "in_progress": REVIEWS_SHOWN + 2}
    assert queue.in_progress == running[:REVIEWS_SHOWN]  # meeting date, then creation order
    assert f"See all {REVIEWS_SHOWN + 2}" in response.text
    assert f'<span class="count">{REVIEWS_SHOWN + 2}</span>' in response.text


def test_a_block_that_shows_everything_has_no_see_all_link(as_user):
    _under_way(2)
    assert "See all" not in as_user("reader").get(QUEUE).text


def test_see_all_pages_through_one_block(as_user, monkeypatch):
    monkeypatch.setattr("reviews.views.queue.QUEUE_PAGE_SIZE", 5)
    running = _under_way(7)
    _under_way(1, status=Review.Status.SCHEDULED, incident__title="Meeting next week")
    client = as_user("reader")
    first = client.get(QUEUE, {"block": "in_progress"})
    assert list(first.context["page"].object_list) == running[:5]
    assert "?block=in_progress&amp;page=2" in first.text
    assert "Meeting next week" not in first.text  # only the block asked for
    second = client.get(QUEUE, {"block": "in_progress", "page": 2})
    assert list(second.context["page"].object_list) == running[5:]


def test_the_facilitators_own_reviews_are_counted_apart_and_listed_first(as_user, facilitator):
    mine = _under_way(REVIEWS_SHOWN + 1, facilitator=facilitator)
    theirs = _under_way(3, status=Review.Status.SCHEDULED, facilitator=UserFactory())
    queue = as_user("facilitator").get(QUEUE).context["queue"]
    assert queue.counts == {"mine": REVIEWS_SHOWN + 1, "scheduled": 3, "in_progress": 0}
    assert (queue.mine, queue.scheduled) == (mine[:REVIEWS_SHOWN], theirs)
    page = as_user("facilitator").get(QUEUE, {"block": "mine"}).context["page"]
    assert list(page.object_list) == mine


def test_the_filters_apply_to_the_blocks_and_their_counts(as_user):
    past = timezone.now() - timedelta(days=1)
    late = _under_way(2, status=Review.Status.SCHEDULED, scheduled_for=past)
    _under_way(2, status=Review.Status.SCHEDULED, scheduled_for=timezone.now() + timedelta(1))
    severe = _under_way(1, incident__severity=Severity.SEV1)
    client = as_user("reader")
    overdue = client.get(QUEUE, {"overdue": "true"}).context["queue"]
    # A meeting that has passed: in progress as shown, and late.
    assert overdue.counts == {"mine": 0, "scheduled": 0, "in_progress": 2}
    assert overdue.in_progress == late
    assert all(review.overdue for review in overdue.in_progress)
    sev1 = client.get(QUEUE, {"severity": "SEV1"}).context["queue"]
    assert (sev1.counts["in_progress"], sev1.in_progress) == (1, severe)
    assert client.get(QUEUE, {"cue": "teams"}).context["queue"].counts["scheduled"] == 0
    block = client.get(QUEUE, {"block": "in_progress", "overdue": "true"}).context["page"]
    assert list(block.object_list) == late


def test_filtering_a_block_page_stays_on_that_block(as_user):
    _under_way(1)
    client = as_user("reader")
    page = client.get(QUEUE, {"block": "in_progress"}).text
    assert '<input type="hidden" name="block" value="in_progress">' in page
    assert "Clear filters" not in page  # the block is not a filter
    filtered = client.get(QUEUE, {"block": "in_progress", "severity": "SEV1"}).text
    assert f'<a href="{QUEUE}?block=in_progress">Clear filters</a>' in filtered


def test_private_reviews_under_way_are_neither_shown_nor_counted_to_outsiders(as_user, responder):
    private = IncidentFactory(is_private=True, title="Leaked token")
    private.responders.add(responder)
    ReviewFactory(incident=private, status=Review.Status.IN_PROGRESS)
    for name, expected in [("outsider", 0), ("responder", 1)]:
        client = as_user(name)
        assert client.get(QUEUE).context["queue"].counts["in_progress"] == expected
        block = client.get(QUEUE, {"block": "in_progress"})
        assert ("Leaked token" in block.text) == bool(expected)


def test_home_lists_the_first_of_the_facilitators_reviews_and_links_to_the_rest(
    as_user, facilitator
):
    _under_way(HOME_LIST_SIZE + 1, facilitator=facilitator)
    response = as_user("facilitator").get(HOME)
    assert len(response.context["my_reviews"]) == HOME_LIST_SIZE
    assert f"{QUEUE}?block=mine" in response.text
