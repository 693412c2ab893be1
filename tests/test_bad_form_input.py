"""Every web form, posted junk in every field, answers with field errors (or a 4xx), never a 500.

The forms are found from the views' own registries (each text section, each workspace list's
form class, the near-miss form's fields...), so a field added later is posted junk too. Each
junk value goes into every field of a form at once, one request per form and value; the
incident admin's change form also gets it in one field at a time, the others valid, so its
model checks run on it.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from api.pages import TokenCreateForm
from dashboards.forms import DashboardForm
from incidents.filters import (
    DeploymentFilter,
    DifficultyFilter,
    NearMissFilter,
    OwnershipGapFilter,
    SurpriseFilter,
)
from incidents.forms import NearMissForm
from incidents.models import Incident
from reviews.filters import FollowUpFilter, IncidentFilter
from reviews.forms import (
    IncidentCauseForm,
    QueueFilterForm,
    ScheduleForm,
    SurveyForm,
    ThemeAttachForm,
    ThemeCreateForm,
)
from reviews.models import Review
from reviews.sections import TEXT_SECTIONS
from reviews.workspace import ITEM_KINDS
from tests.factories import (
    ActionItemFactory,
    DifficultyFactory,
    IncidentFactory,
    OwnershipGapFactory,
    ParticipantFactory,
    ReviewFactory,
    SurpriseFactory,
    SystemFactory,
    ThemeFactory,
    TimelineEntryFactory,
)
from tests.incidents.test_admin import _incident_form

JUNK = {
    "empty": "",
    "oversized": "x" * 100_000,
    "nul": "a\x00b",
    "odd unicode": "\u202e\u0301🔥\U0001d518\ufeff\uffff",
    "huge number": "9" * 40,
    "float": "1e400",
    "bad date": "2026-13-45T25:61",
    "far future": "9999-12-31T23:59:59",
}


def _fields(form_class) -> list[str]:
    return list(form_class.base_fields)


@pytest.fixture
def world(facilitator):
    """A review the facilitator runs, with one item in each list, and a published one they
    facilitated (for the survey)."""
    system = SystemFactory()
    incident = IncidentFactory(systems=[system])
    review = ReviewFactory(
        incident=incident, facilitator=facilitator, status=Review.Status.IN_PROGRESS
    )
    items = {
        "timeline": TimelineEntryFactory(incident=incident),
        "surprises": SurpriseFactory(incident=incident),
        "difficulties": DifficultyFactory(incident=incident),
        "ownership-gaps": OwnershipGapFactory(incident=incident),
        "participants": ParticipantFactory(review=review),
        "follow-ups": ActionItemFactory(review=review),
    }
    assert set(items) == set(ITEM_KINDS), "a new workspace list needs an item here"
    published = ReviewFactory(status=Review.Status.PUBLISHED, facilitator=facilitator)
    ThemeFactory()
    return {"review": review, "items": items, "published": published, "incident": incident}


def _forms(world) -> list[tuple[str, list[str]]]:
    """(url, field names) of every form a facilitator can post."""
    review, items = world["review"], world["items"]
    pk = review.pk
    forms = [
        (
            reverse("reviews:section_save", args=[pk, section]),
            ["text", "version", "action"],
        )
        for section in TEXT_SECTIONS
    ]
    for slug, kind in ITEM_KINDS.items():
        fields = _fields(kind.form_class)
        forms.append((reverse("reviews:item_add", args=[pk, slug]), fields))
        edit = reverse("reviews:item_edit", args=[pk, slug, items[slug].pk])
        forms.append((edit, [*fields, "seen_change"]))
    forms += [
        (reverse("reviews:theme_attach", args=[pk]), _fields(ThemeAttachForm)),
        (reverse("reviews:theme_create", args=[pk]), _fields(ThemeCreateForm)),
        (reverse("reviews:schedule", args=[pk]), _fields(ScheduleForm)),
        (reverse("reviews:cause", args=[pk]), _fields(IncidentCauseForm)),
        (reverse("reviews:survey", args=[world["published"].pk]), _fields(SurveyForm)),
        (
            reverse("reviews:follow_up_status", args=[items["follow-ups"].pk]),
            ["status", "next"],
        ),
        (reverse("incidents:near_miss_new"), _fields(NearMissForm)),
        (reverse("api_tokens"), _fields(TokenCreateForm)),
        (reverse("api_tokens"), ["revoke"]),
    ]
    return forms


@pytest.mark.parametrize("junk", list(JUNK), ids=list(JUNK))
def test_junk_in_every_web_form_is_a_field_error_never_a_500(facilitator, world, junk):
    client = Client()
    client.force_login(facilitator)
    value = JUNK[junk]
    for url, fields in _forms(world):
        # As htmx posts it: the answer is the section with the form's errors.
        response = client.post(url, dict.fromkeys(fields, value), headers={"HX-Request": "true"})
        assert response.status_code < 500, (url, junk)


@pytest.mark.parametrize("junk", list(JUNK), ids=list(JUNK))
def test_junk_in_the_login_forms_is_a_form_error_never_a_500(db, junk):
    # The lockout records a failed login by its username: a NUL must not reach the database.
    value = JUNK[junk]
    client = Client()
    for url in (reverse("login"), reverse("admin:login"), reverse("password_reset")):
        response = client.post(url, {"username": value, "password": value, "email": value})
        assert response.status_code < 500, (url, junk)


@pytest.mark.parametrize("junk", list(JUNK), ids=list(JUNK))
def test_junk_in_every_filter_bar_is_a_form_error_never_a_500(facilitator, world, junk):
    client = Client()
    client.force_login(facilitator)
    dashboard = [*DashboardForm.base_fields, "sort"]
    pages = [
        (reverse("incidents:list"), list(IncidentFilter.base_filters)),
        (reverse("incidents:near_miss_list"), list(NearMissFilter.base_filters)),
        (reverse("incidents:surprise_list"), list(SurpriseFilter.base_filters)),
        (reverse("incidents:difficulty_list"), list(DifficultyFilter.base_filters)),
        (reverse("incidents:ownership_gap_list"), list(OwnershipGapFilter.base_filters)),
        (reverse("incidents:deployment_list"), list(DeploymentFilter.base_filters)),
        (reverse("reviews:follow_ups"), list(FollowUpFilter.base_filters)),
        (reverse("reviews:queue"), _fields(QueueFilterForm)),
        (reverse("dashboards:overview"), dashboard),
        (reverse("dashboards:systems"), dashboard),
        (reverse("dashboards:themes"), dashboard),
    ]
    value = JUNK[junk]
    for url, parameters in pages:
        response = client.get(url, dict.fromkeys([*parameters, "page"], value))
        assert response.status_code < 500, (url, junk)


@pytest.mark.parametrize("junk", list(JUNK), ids=list(JUNK))
def test_junk_in_the_incident_admin_is_a_field_error_never_a_500(superuser, junk):
    client = Client()
    client.force_login(superuser)
    incident = IncidentFactory()
    form = _incident_form()
    value = JUNK[junk]
    add = reverse("admin:incidents_incident_add")
    change = reverse("admin:incidents_incident_change", args=[incident.pk])
    fields = [name for name in form if not name.endswith("_FORMS")]
    for url in (add, change):
        response = client.post(url, {**form, **dict.fromkeys(fields, value)})
        assert response.status_code < 500, (url, junk)
    # One field at a time, the others valid: the model's own checks run too.
    for name in fields:
        response = client.post(change, {**form, name: value})
        assert response.status_code < 500, (name, junk)
    assert Incident.objects.filter(title=JUNK["oversized"]).count() == 0


def test_a_form_body_that_is_not_utf8_is_read_with_replacement_characters(facilitator, world):
    client = Client()
    client.force_login(facilitator)
    url = reverse("reviews:section_save", args=[world["review"].pk, next(iter(TEXT_SECTIONS))])
    response = client.post(
        url,
        b"text=%FF%FE%C0%AF&version=1",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code < 500
