"""The admin's answer to a value a unique constraint refuses: the form again, with the error
on the field, and nothing saved (never the database's IntegrityError)."""

from __future__ import annotations

import pytest

from incidents.models import Incident, IncidentSystem, System, Team, Theme
from reviews.models import SurveyResponse
from tests.factories import (
    IncidentFactory,
    ReviewFactory,
    SurveyResponseFactory,
    SystemFactory,
    TeamFactory,
    ThemeFactory,
    UserFactory,
)
from tests.incidents.test_admin import _incident_form, _url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("model", "existing", "posted", "field"),
    [
        (
            Team,
            {"name": "Payments", "slug": "payments"},
            {"name": "Payments", "slug": "p2"},
            "name",
        ),
        (
            Team,
            {"name": "Payments", "slug": "payments"},
            {"name": "P2", "slug": "payments"},
            "slug",
        ),
        (
            System,
            {"name": "checkout", "slug": "checkout"},
            {"name": "checkout", "slug": "c2"},
            "name",
        ),
        (
            System,
            {"name": "checkout", "slug": "checkout"},
            {"name": "c2", "slug": "checkout"},
            "slug",
        ),
        (Theme, {"name": "Retries", "slug": "retries"}, {"name": "Retries", "slug": "r2"}, "name"),
        (Theme, {"name": "Retries", "slug": "retries"}, {"name": "R2", "slug": "retries"}, "slug"),
    ],
    ids=["team-name", "team-slug", "system-name", "system-slug", "theme-name", "theme-slug"],
)
def test_a_taken_name_or_slug_is_a_field_error(client, superuser, model, existing, posted, field):
    factory = {Team: TeamFactory, System: SystemFactory, Theme: ThemeFactory}[model]
    factory(**existing)
    client.force_login(superuser)
    response = client.post(
        _url(model, "add"), {"description": "", "contact": "", "tier": 3, **posted}
    )
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert model.objects.count() == 1


def test_another_incidents_external_id_is_a_field_error(client, responder):
    IncidentFactory(source="alertmanager", external_id="alert-1")
    client.force_login(responder)
    response = client.post(
        _url(Incident, "add"), _incident_form(source="alertmanager", external_id="alert-1")
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "An incident with this external id already exists for this source."
    ]
    assert Incident.objects.count() == 1


def test_a_system_twice_in_one_incident_is_an_inline_error(client, responder):
    system = SystemFactory(name="checkout")
    client.force_login(responder)
    response = client.post(
        _url(Incident, "add"),
        _incident_form(
            **{
                "system_roles-TOTAL_FORMS": "2",
                "system_roles-0-system": system.pk,
                "system_roles-0-role": "origin",
                "system_roles-1-system": system.pk,
                "system_roles-1-role": "impacted",
            }
        ),
    )
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.non_form_errors() == [
        "Please correct the duplicate data for system."
    ]
    assert not Incident.objects.exists()
    assert not IncidentSystem.objects.exists()


def test_a_second_survey_answer_from_the_same_person_is_refused(client, superuser):
    review, person = ReviewFactory(), UserFactory()
    SurveyResponseFactory(review=review, respondent=person)
    client.force_login(superuser)
    response = client.post(
        _url(SurveyResponse, "add"),
        {
            "review": review.pk,
            "respondent": person.pk,
            "learned_something": "on",
            "still_unclear": "",
            "submitted_at_0": "2026-01-01",
            "submitted_at_1": "10:00:00",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "Survey response with this Review and Respondent already exists."
    ]
    assert SurveyResponse.objects.count() == 1
