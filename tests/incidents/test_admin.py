"""The admin is where incidents are logged: every page renders, bad input changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident, Surprise
from tests.factories import (
    ActionItemFactory,
    DifficultyFactory,
    IncidentFactory,
    NearMissFactory,
    OwnershipGapFactory,
    ParticipantFactory,
    ReviewFactory,
    SurpriseFactory,
    SurveyResponseFactory,
    SystemFactory,
    ThemeFactory,
    TimelineEntryFactory,
)

pytestmark = pytest.mark.django_db
PROJECT_APPS = {"incidents", "reviews"}
PROJECT_MODELS = [model for model in admin.site._registry if model._meta.app_label in PROJECT_APPS]


@pytest.fixture
def one_of_everything():
    system = SystemFactory()
    incident = IncidentFactory(systems=[system])
    review = ReviewFactory(incident=incident)
    SurpriseFactory(incident=incident, system=system)
    DifficultyFactory(incident=incident)
    OwnershipGapFactory(incident=incident)
    TimelineEntryFactory(incident=incident)
    ActionItemFactory(review=review)
    ParticipantFactory(review=review)
    SurveyResponseFactory(review=review)
    ThemeFactory().incidents.add(incident)
    NearMissFactory(systems=[system])


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_project_model_is_registered():
    names = {model._meta.model_name for model in PROJECT_MODELS}
    assert names >= {
        "team",
        "system",
        "incident",
        "nearmiss",
        "surprise",
        "difficulty",
        "ownershipgap",
        "review",
        "timelineentry",
        "actionitem",
        "theme",
    }


@pytest.mark.parametrize("model", PROJECT_MODELS, ids=lambda m: m._meta.model_name)
def test_changelist_add_and_change_pages_render_for_staff(
    client, superuser, one_of_everything, model
):
    client.force_login(superuser)
    assert client.get(_url(model, "changelist")).status_code == 200
    assert client.get(_url(model, "add")).status_code == 200
    instance = model._default_manager.first()
    assert client.get(_url(model, "change", instance.pk)).status_code == 200


def test_responder_can_open_the_incident_add_page(client, responder):
    client.force_login(responder)
    assert client.get(_url(Incident, "add")).status_code == 200


def test_system_changelist_filters_systems_without_owner(client, superuser):
    SystemFactory(name="orphan", owner_team=None)
    SystemFactory(name="owned")
    client.force_login(superuser)
    response = client.get(_url(SystemFactory._meta.model, "changelist"), {"has_owner": "no"})
    assert [s.name for s in response.context["cl"].result_list] == ["orphan"]


def _incident_form(**overrides):
    started = timezone.now() - timedelta(hours=3)
    data = {
        "title": "Checkout errors",
        "summary": "",
        "severity": "SEV2",
        "status": "resolved",
        "started_at_0": started.strftime("%Y-%m-%d"),
        "started_at_1": started.strftime("%H:%M:%S"),
        "detected_at_0": started.strftime("%Y-%m-%d"),
        "detected_at_1": (started + timedelta(minutes=5)).strftime("%H:%M:%S"),
        "source": "manual",
        "external_id": "",
        "customer_impact": "",
    }
    for prefix in ["system_roles", "timeline", "surprises", "difficulties", "ownership_gaps"]:
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data.update(overrides)
    return data


def test_incident_with_a_surprise_is_logged_on_one_page(client, responder):
    client.force_login(responder)
    response = client.post(
        _url(Incident, "add"),
        _incident_form(
            **{
                "surprises-TOTAL_FORMS": "1",
                "surprises-0-expected": "Failover within seconds",
                "surprises-0-observed": "Failover never happened",
            }
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    incident = Incident.objects.get()
    assert incident.reference.startswith("INC-")
    assert incident.surprises.get().observed == "Failover never happened"


def test_out_of_order_times_show_a_field_error_and_save_nothing(client, responder):
    client.force_login(responder)
    started = timezone.now() - timedelta(hours=3)
    response = client.post(
        _url(Incident, "add"),
        _incident_form(
            **{
                "detected_at_1": (started - timedelta(hours=1)).strftime("%H:%M:%S"),
                "surprises-TOTAL_FORMS": "1",
                "surprises-0-expected": "x",
                "surprises-0-observed": "y",
            }
        ),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["detected_at"] == [
        "Detected at cannot be before started at."
    ]
    assert Incident.objects.count() == 0
    assert Surprise.objects.count() == 0


def test_surprise_without_observed_is_a_field_error_in_the_inline(client, responder):
    client.force_login(responder)
    response = client.post(
        _url(Incident, "add"),
        _incident_form(**{"surprises-TOTAL_FORMS": "1", "surprises-0-expected": "x"}),
    )
    assert response.status_code == 200
    surprise_formset = next(
        f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "surprises"
    )
    assert "observed" in surprise_formset.formset.forms[0].errors
    assert Incident.objects.count() == 0


def test_private_incident_is_hidden_in_the_admin_from_uninvolved_staff(client, responder):
    private = IncidentFactory(is_private=True, title="Credential leak")
    client.force_login(responder)
    response = client.get(_url(Incident, "changelist"))
    assert b"Credential leak" not in response.content
    assert client.get(_url(Incident, "change", private.pk)).status_code == 302


def test_anonymous_near_miss_shows_no_reporter_in_the_admin_list(client, superuser):
    NearMissFactory(title="Almost dropped the table", reported_by=None)
    client.force_login(superuser)
    response = client.get(_url(NearMissFactory._meta.model, "changelist"))
    assert b"Anonymous" in response.content
