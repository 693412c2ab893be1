"""Hand-made admin requests with values no form would send are refused, never a 500.

Django's admin trusts a few values it rendered itself: the ids in an autocomplete field (shown
again when the form has an error), the ids ticked for an action, the version in a history
URL, the year of the date drill-down. A string, a decimal, an id past 64 bits or a NUL there
crashed the page.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from incidents.admin_input import AdminInputMixin, _KnownIdsOnly
from incidents.models import Incident, NearMiss, System
from reviews.models import Review
from tests.factories import IncidentFactory, NearMissFactory, ReviewFactory, TeamFactory
from tests.incidents.test_admin import _incident_form

pytestmark = pytest.mark.django_db

NOT_AN_ID = ["abc", "1.5", "9" * 30, "-" + "9" * 30, "a\x00b"]


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.mark.parametrize("bad", NOT_AN_ID)
def test_a_bad_id_in_an_autocomplete_field_is_a_field_error(admin_client, bad):
    response = admin_client.post(
        reverse("admin:incidents_incident_add"),
        _incident_form(status="investigating", lead=bad, teams=[bad], responders=[bad]),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"lead", "teams", "responders"}
    assert not Incident.objects.exists()


@pytest.mark.parametrize("bad", NOT_AN_ID)
def test_a_bad_id_in_a_foreign_key_autocomplete_of_other_admins_is_a_field_error(
    admin_client, bad
):
    system = admin_client.post(
        reverse("admin:incidents_system_add"), {"name": "Payments", "slug": "pay", "owner_team": bad}
    )
    assert system.status_code == 200
    assert "owner_team" in system.context["adminform"].form.errors
    review = admin_client.post(
        reverse("admin:reviews_review_add"), {"incident": bad, "facilitator": bad}
    )
    assert review.status_code == 200
    assert {"incident", "facilitator"} <= set(review.context["adminform"].form.errors)
    assert not System.objects.exists()
    assert not Review.objects.exists()


def test_a_good_id_next_to_a_bad_one_is_still_shown_selected(admin_client):
    team = TeamFactory(name="Checkout")
    response = admin_client.post(
        reverse("admin:incidents_incident_add"),
        _incident_form(status="investigating", teams=[str(team.pk), "abc"]),
    )
    assert response.status_code == 200
    assert f'<option value="{team.pk}" selected>Checkout</option>' in response.content.decode()


@pytest.mark.parametrize("bad", NOT_AN_ID)
def test_an_action_on_bad_ids_changes_nothing(admin_client, bad):
    incident = IncidentFactory()
    response = admin_client.post(
        reverse("admin:incidents_incident_changelist"),
        {"action": "delete_selected", "_selected_action": [bad, str(incident.pk)], "post": "yes"},
    )
    assert response.status_code == 302
    assert Incident.objects.filter(pk=incident.pk).exists()


def test_an_action_on_good_ids_still_works(admin_client):
    incident = IncidentFactory()
    response = admin_client.post(
        reverse("admin:incidents_incident_changelist"),
        {"action": "delete_selected", "_selected_action": [str(incident.pk)], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Incident.objects.exists()


@pytest.mark.parametrize("version", ["abc", "1.5", "9" * 30])
def test_a_history_version_that_is_not_an_id_is_404(admin_client, version):
    review = ReviewFactory()
    url = reverse("admin:reviews_review_simple_history", args=[review.pk, version])
    assert admin_client.get(url).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"started_at__year": "9" * 30},
        {"started_at__year": "9999"},
        {"started_at__year": "9999", "started_at__month": "12"},
        {"started_at__year": "9999", "started_at__month": "12", "started_at__day": "31"},
    ],
)
def test_a_date_drill_down_past_the_calendar_is_refused_like_any_bad_filter(
    admin_client, query
):
    IncidentFactory()
    response = admin_client.get(reverse("admin:incidents_incident_changelist"), query)
    # The admin's answer to a filter it cannot apply: back to the list with ?e=1.
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_the_near_miss_date_drill_down_is_guarded_too(admin_client):
    NearMissFactory()
    response = admin_client.get(
        reverse("admin:incidents_nearmiss_changelist"), {"occurred_at__year": "9999"}
    )
    assert response.status_code == 302
    assert NearMiss.objects.exists()


def test_every_project_admin_and_inline_guards_its_input(rf, superuser):
    """A new admin that forgets the mixin would bring the 500s back."""
    request = rf.get("/admin/")
    request.user = superuser
    checked = 0
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in {"incidents", "reviews"}:
            continue
        assert isinstance(model_admin, AdminInputMixin), model
        for each in [model_admin, *model_admin.get_inline_instances(request)]:
            assert isinstance(each, AdminInputMixin), each
            for name in each.get_autocomplete_fields(request):
                formfield = each.formfield_for_dbfield(each.model._meta.get_field(name), request)
                if formfield is None:  # a many-to-many through a model of its own
                    continue
                widget = getattr(formfield.widget, "widget", formfield.widget)
                assert isinstance(widget, _KnownIdsOnly), f"{each}.{name}"
                checked += 1
    assert checked > 20
