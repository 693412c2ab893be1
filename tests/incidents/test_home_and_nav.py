"""The home page sends each role where its work is; the navigation bar; log in and out."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from reviews.models import Review
from tests.factories import IncidentFactory, ReviewFactory, UserFactory

pytestmark = pytest.mark.django_db

HOME_URL = reverse("incidents:home")


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(HOME_URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_facilitator_sees_their_open_reviews_and_incidents_waiting_for_one(client, facilitator):
    mine = ReviewFactory(
        facilitator=facilitator, status=Review.Status.IN_PROGRESS, incident__title="Mine to run"
    )
    ReviewFactory(
        facilitator=facilitator, status=Review.Status.PUBLISHED, incident__title="Mine, done"
    )
    ReviewFactory(status=Review.Status.IN_PROGRESS, incident__title="Someone else's")
    waiting = IncidentFactory(title="Nobody reviewed me")
    client.force_login(facilitator)
    response = client.get(HOME_URL)
    assert list(response.context["my_reviews"]) == [mine]
    assert [entry.incident for entry in response.context["waiting"]] == [waiting]
    page = response.content.decode()
    assert reverse("reviews:workspace", args=[mine.pk]) in page
    assert "Nobody reviewed me" in page
    assert reverse("reviews:queue") in page


def test_facilitator_waiting_list_leaves_out_private_incidents_they_may_not_see(
    client, facilitator
):
    IncidentFactory(is_private=True, title="Not for you")
    client.force_login(facilitator)
    response = client.get(HOME_URL)
    assert response.context["waiting_count"] == 0
    assert "Not for you" not in response.content.decode()


def test_responder_sees_their_recent_incidents_and_the_near_miss_link(client, responder):
    led = IncidentFactory(lead=responder, title="I led this")
    helped = IncidentFactory(title="I helped here")
    helped.responders.add(responder)
    IncidentFactory(title="Not mine")
    client.force_login(responder)
    response = client.get(HOME_URL)
    assert set(response.context["my_incidents"]) == {led, helped}
    page = response.content.decode()
    assert "Not mine" not in page
    assert reverse("incidents:near_miss_new") in page
    assert "Reviews you facilitate" not in page


def test_reader_sees_published_reviews_and_the_dashboards(client, reader):
    published = ReviewFactory(
        status=Review.Status.PUBLISHED,
        published_at=timezone.now(),
        incident__title="Lessons from the DNS outage",
    )
    ReviewFactory(status=Review.Status.IN_PROGRESS, incident__title="Still being written")
    ReviewFactory(
        status=Review.Status.PUBLISHED,
        incident__is_private=True,
        incident__title="Private lessons",
    )
    client.force_login(reader)
    response = client.get(HOME_URL)
    page = response.content.decode()
    assert list(response.context["published_reviews"]) == [published]
    assert "Lessons from the DNS outage" in page
    assert reverse("reviews:report", args=[published.pk]) in page
    assert "Still being written" not in page
    assert "Private lessons" not in page
    assert reverse("dashboards:overview") in page
    assert "Reviews you facilitate" not in page
    assert "Your recent incidents" not in page
    # Anyone may report a near miss; readers get a quieter link than responders' big button.
    assert reverse("incidents:near_miss_new") in page


@pytest.mark.parametrize(
    "url_name",
    [
        "incidents:home",
        "incidents:list",
        "reviews:queue",
        "reviews:follow_ups",
        "incidents:near_miss_list",
        "dashboards:overview",
        "api:docs",
    ],
)
def test_navigation_links_every_area(client, reader, url_name):
    client.force_login(reader)
    nav = client.get(HOME_URL).content.decode().split('<nav aria-label="Main"')[1]
    nav = nav.split("</nav>")[0]
    assert f'href="{reverse(url_name)}"' in nav


def test_admin_link_is_for_staff_only(client, reader, superuser):
    admin_link = f'href="{reverse("admin:index")}"'
    client.force_login(reader)
    assert admin_link not in client.get(HOME_URL).content.decode()
    client.force_login(superuser)
    assert admin_link in client.get(HOME_URL).content.decode()


def test_navigation_marks_the_current_page(client, reader):
    client.force_login(reader)
    page = client.get(reverse("incidents:near_miss_list")).content.decode()
    assert f'href="{reverse("incidents:near_miss_list")}" aria-current="page"' in page
    assert f'href="{reverse("incidents:list")}" aria-current="page"' not in page


def test_login_page_logs_in_and_sends_home(client):
    UserFactory(username="newbie")
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert 'name="username"' in page.content.decode()
    response = client.post(
        reverse("login"), {"username": "newbie", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert response.url == HOME_URL


def test_wrong_password_is_a_message_not_an_error(client):
    UserFactory(username="newbie")
    response = client.post(reverse("login"), {"username": "newbie", "password": "nope"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_login_redirects_to_the_page_asked_for(client):
    UserFactory(username="newbie")
    target = reverse("incidents:near_miss_new")
    response = client.post(
        reverse("login") + f"?next={target}",
        {"username": "newbie", "password": "correct-horse-battery", "next": target},
    )
    assert response.url == target


def test_logout_is_a_post_and_ends_the_session(client, reader):
    client.force_login(reader)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(HOME_URL).status_code == 302


def test_favicon_is_served_without_a_login(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("favicon.svg")
