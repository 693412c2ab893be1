"""/follow-ups/: every follow-up the user may see, filtered, with status editable in place."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reviews.forms import FollowUpForm
from reviews.models import ActionItem
from reviews.services import follow_up_set_status
from tests.factories import (
    ActionItemFactory,
    IncidentFactory,
    ResponderFactory,
    ReviewFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
LIST = reverse("reviews:follow_ups")
TODAY = timezone.localdate()
HTMX = {"HTTP_HX_REQUEST": "true"}


def _status(item):
    return reverse("reviews:follow_up_status", args=[item.pk])


@pytest.mark.parametrize("role", ["facilitator", "responder", "reader"])
def test_everyone_logged_in_sees_follow_ups(as_user, role):
    ActionItemFactory(title="Alert on queue depth")
    response = as_user(role).get(LIST)
    assert response.status_code == 200
    assert "Alert on queue depth" in response.text


def test_anonymous_visitor_is_sent_to_log_in(as_user):
    assert as_user("anonymous").get(LIST).status_code == 302


def test_follow_ups_of_a_private_incident_are_hidden_from_outsiders(as_user, private_review):
    ActionItemFactory(review=private_review, title="Rotate the token")
    assert "Rotate the token" not in as_user("outsider").get(LIST).text
    assert "Rotate the token" in as_user("responder").get(LIST).text


def test_unowned_follow_ups_are_flagged(as_user):
    ActionItemFactory(owner_team=None, title="Nobody's job")
    page = as_user("reader").get(LIST).text
    assert "is-unowned" in page
    assert '<span class="gap">Unowned</span>' in page


def _titles(client, **params):
    response = client.get(LIST, params)
    assert response.status_code == 200
    return {item.title for item in response.context["page"].object_list}


def test_filters_by_team_status_and_overdue(as_user):
    payments = TeamFactory(name="Payments")
    ActionItemFactory(title="Owned", owner_team=payments)
    ActionItemFactory(title="Unowned", owner_team=None)
    ActionItemFactory(title="Done", status=ActionItem.Status.DONE)
    ActionItemFactory(title="Late", due_date=TODAY - timedelta(days=2))
    client = as_user("reader")
    assert _titles(client, team="payments") == {"Owned"}
    assert _titles(client, team="none") == {"Unowned"}
    assert _titles(client, status="done") == {"Done"}
    assert _titles(client, overdue="true") == {"Late"}


def test_filters_by_the_incidents_period(as_user):
    now = timezone.now()
    old = ReviewFactory(incident=IncidentFactory(started_at=now - timedelta(days=100)))
    ActionItemFactory(review=old, title="Old")
    ActionItemFactory(title="Recent")
    start = (now - timedelta(days=30)).date().isoformat()
    assert _titles(as_user("reader"), start=start) == {"Recent"}


def test_bad_filter_values_are_form_errors_not_500s(as_user):
    response = as_user("reader").get(LIST, {"team": "no-such-team", "start": "yesterday"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert "Enter a valid date." in response.text


@pytest.mark.parametrize(
    ("role", "allowed"), [("facilitator", True), ("responder", True), ("reader", False)]
)
def test_status_is_editable_by_those_allowed(as_user, role, allowed):
    item = ActionItemFactory()
    response = as_user(role).post(_status(item), {"status": "in_progress", "next": LIST})
    item.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert response.url == LIST
        assert item.status == "in_progress"
    else:
        assert response.status_code == 403
        assert item.status == "open"


def test_assignee_may_update_their_own_follow_up(as_user, reader):
    item = ActionItemFactory(assignee=reader)
    as_user("reader").post(_status(item), {"status": "done"})
    item.refresh_from_db()
    assert item.status == "done"
    assert item.completed_at is not None


def test_status_update_with_htmx_returns_the_control(as_user):
    item = ActionItemFactory()
    response = as_user("responder").post(_status(item), {"status": "done", "next": LIST}, **HTMX)
    assert response.status_code == 200
    assert f'id="follow-up-status-{item.pk}"' in response.text
    assert '<option value="done" selected>' in response.text
    assert "<html" not in response.text


def test_a_status_set_without_javascript_says_it_is_set(as_user):
    item = ActionItemFactory(title="Alert on lag")
    response = as_user("responder").post(
        _status(item), {"status": "done", "next": LIST}, follow=True
    )
    assert "“Alert on lag” is now done." in response.text
    assert "Choose a valid status." not in response.text


def test_bad_status_is_refused(as_user):
    item = ActionItemFactory()
    as_user("responder").post(_status(item), {"status": "finished"})
    item.refresh_from_db()
    assert item.status == "open"


def test_redirect_after_status_update_stays_on_this_site(as_user):
    item = ActionItemFactory()
    response = as_user("responder").post(
        _status(item), {"status": "done", "next": "https://evil.example/"}
    )
    assert response.url == LIST


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("abc", LIST),  # once read as a view name: NoReverseMatch, a 500
        ("//evil.example", LIST),
        ("/\\evil.example", LIST),
        ("http://testserver/follow-ups/", LIST),
        (f"{LIST}?team=none", f"{LIST}?team=none"),
    ],
)
def test_redirect_after_status_update_goes_only_to_a_local_path(as_user, next_url, expected):
    item = ActionItemFactory()
    response = as_user("responder").post(_status(item), {"status": "done", "next": next_url})
    assert response.status_code == 302
    assert response.url == expected
    item.refresh_from_db()
    assert item.status == "done"


def test_outsider_cannot_touch_a_private_follow_up(as_user, private_review):
    item = ActionItemFactory(review=private_review)
    assert as_user("outsider").post(_status(item), {"status": "done"}).status_code == 404


def test_status_update_needs_a_csrf_token(as_user):
    item = ActionItemFactory()
    client = as_user("responder", enforce_csrf_checks=True)
    assert client.post(_status(item), {"status": "done"}).status_code == 403
    item.refresh_from_db()
    assert item.status == "open"


def test_list_query_count_does_not_grow_with_rows(as_user, django_assert_max_num_queries):
    client = as_user("responder")
    for _ in range(3):
        ActionItemFactory()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(LIST)
    with CaptureQueriesContext(connection) as small:
        client.get(LIST)
    for _ in range(10):
        ActionItemFactory()
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(LIST)


def test_list_query_count_does_not_grow_with_rows_of_a_private_incident(
    as_user, private_review, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user("responder")
    ActionItemFactory(review=private_review)
    client.get(LIST)
    with CaptureQueriesContext(connection) as one_row:
        client.get(LIST)
    for _ in range(10):
        ActionItemFactory(review=private_review)
    with django_assert_max_num_queries(len(one_row.captured_queries)):
        response = client.get(LIST)
    assert response.text.count('id="id_status_') == 11


def test_page_links_keep_the_filters(as_user):
    ActionItemFactory.create_batch(51, status=ActionItem.Status.OPEN)
    page = as_user("reader").get(LIST, {"status": "open"}).text
    assert "?status=open&amp;page=2" in page


def test_a_status_change_keeps_what_others_saved_since_the_follow_up_was_loaded():
    """The status form sends only the status: the rest of the row, as loaded when the request
    began, must not be written back over an edit saved in the meantime."""
    item = ActionItemFactory(title="Alert on queue depth")
    loaded = ActionItem.objects.get(pk=item.pk)
    edited = ActionItem.objects.get(pk=item.pk)
    edited.title = "Alert on queue depth and age"
    edited.save()
    changed = follow_up_set_status(action_item=loaded, status=ActionItem.Status.DONE)
    stored = ActionItem.objects.get(pk=item.pk)
    assert (stored.title, stored.status) == ("Alert on queue depth and age", "done")
    assert stored.completed_at is not None
    assert (changed.title, changed.status) == (stored.title, stored.status)


def test_the_page_opens_on_the_follow_ups_still_to_do(as_user):
    ActionItemFactory(title="Still open", status="open")
    ActionItemFactory(title="Under way", status="in_progress")
    ActionItemFactory(title="Done last year", status="done")
    client = as_user("reader")
    page = client.get(LIST).text
    assert "Still open" in page
    assert "Under way" in page
    assert "Done last year" not in page
    assert '<option value="unfinished" selected>Open or in progress</option>' in page
    every = client.get(LIST, {"status": "all"}).text
    assert "Done last year" in every
    assert "Still open" not in client.get(LIST, {"status": "done"}).text


def test_the_assignee_is_chosen_by_full_name_among_people_who_may_own_follow_ups(
    as_user, review, facilitator
):
    ResponderFactory(username="dk", first_name="Dana", last_name="Kim")
    reader = UserFactory(username="rr", first_name="Reed", last_name="Reader")
    ResponderFactory(username="gone", is_active=False)
    choices = dict(FollowUpForm().fields["assignee"].choices)
    labels = set(choices.values())
    assert "Dana Kim (dk)" in labels
    assert "Reed Reader (rr)" not in labels
    assert not any("gone" in label for label in labels)
    # An old follow-up keeps its assignee, even one who may no longer be chosen.
    item = ActionItemFactory(review=review, assignee=reader)
    kept = dict(FollowUpForm(instance=item).fields["assignee"].choices)
    assert "Reed Reader (rr)" in set(kept.values())
