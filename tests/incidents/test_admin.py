"""The admin is where incidents are logged: every page renders, bad input changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident, Surprise
from reviews.models import Review
from tests.factories import (
    ActionItemFactory,
    DeploymentFactory,
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
    incident = IncidentFactory(systems=[system], caused_by=DeploymentFactory(system=system))
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
        "deployment",
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
    # Noon yesterday: the form takes a date and a time apart, so a start late in the evening
    # would put "five minutes later" on the same date but earlier in the day (it did, in CI
    # at 03:00 UTC).
    started = (timezone.now() - timedelta(days=1)).replace(
        hour=12, minute=0, second=0, microsecond=0
    )
    data = {
        "title": "Checkout errors",
        "summary": "",
        "severity": "SEV2",
        "status": "resolved",
        "started_at_0": started.strftime("%Y-%m-%d"),
        "started_at_1": started.strftime("%H:%M:%S"),
        "detected_at_0": started.strftime("%Y-%m-%d"),
        "detected_at_1": (started + timedelta(minutes=5)).strftime("%H:%M:%S"),
        # A resolved incident needs its resolved time (Incident.clean).
        "resolved_at_0": (started + timedelta(minutes=50)).strftime("%Y-%m-%d"),
        "resolved_at_1": (started + timedelta(minutes=50)).strftime("%H:%M:%S"),
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
    # Noon yesterday: the form takes a date and a time apart, so a start late in the evening
    # would put "five minutes later" on the same date but earlier in the day (it did, in CI
    # at 03:00 UTC).
    started = (timezone.now() - timedelta(days=1)).replace(
        hour=12, minute=0, second=0, microsecond=0
    )
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


# The admin is as private, and as frozen after publication, as the web UI and the API.


def test_posting_the_id_of_a_hidden_incident_attaches_nothing_to_it(client, facilitator):
    private = IncidentFactory(is_private=True)
    client.force_login(facilitator)
    response = client.post(
        reverse("admin:reviews_review_add"),
        {
            "incident": private.pk,
            "facilitator": facilitator.pk,
            "status": "not_started",
            "participants-TOTAL_FORMS": "0",
            "participants-INITIAL_FORMS": "0",
            "action_items-TOTAL_FORMS": "0",
            "action_items-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "incident" in response.context["adminform"].form.errors
    assert not Review.objects.exists()


def test_history_of_a_private_review_is_404_for_outsiders(client, facilitator, superuser):
    review = ReviewFactory(incident=IncidentFactory(is_private=True, title="Credential leak"))
    version = review.history.first().history_id
    client.force_login(facilitator)
    history = reverse("admin:reviews_review_history", args=[review.pk])
    assert client.get(history).status_code == 404
    assert client.get(f"{history}{version}/").status_code == 404
    client.force_login(superuser)
    assert client.get(history).status_code == 200


def test_theme_form_hides_private_incidents_and_keeps_their_links(client, facilitator):
    private = IncidentFactory(is_private=True, title="Credential leak")
    public = IncidentFactory(title="Checkout errors")
    theme = ThemeFactory(name="Expired certificate")
    theme.incidents.add(private, public)
    client.force_login(facilitator)
    url = reverse("admin:incidents_theme_change", args=[theme.pk])
    assert b"Credential leak" not in client.get(url).content
    response = client.post(
        url, {"name": theme.name, "slug": theme.slug, "description": "", "incidents": []}
    )
    assert response.status_code == 302
    assert list(theme.incidents.all()) == [private]


def test_read_only_theme_page_shows_only_the_incidents_and_signals_one_may_see(
    client, responder
):
    # A responder may only view themes: the page shows its links as read-only text, which
    # must leave out a private incident they are not part of, and its surprises and
    # difficulties, as the editable form does.
    private = IncidentFactory(is_private=True, title="Credential leak")
    public = IncidentFactory(title="Checkout errors")
    theme = ThemeFactory(name="Expired certificate")
    theme.incidents.add(private, public)
    theme.surprises.add(
        SurpriseFactory(incident=private, expected="Vault sealed"), SurpriseFactory(incident=public)
    )
    theme.difficulties.add(DifficultyFactory(incident=private, description="Rotated keys"))
    client.force_login(responder)
    response = client.get(reverse("admin:incidents_theme_change", args=[theme.pk]))
    assert response.status_code == 200
    assert b"Checkout errors" in response.content
    for hidden in (private.reference, "Credential leak", "Vault sealed", "Rotated keys"):
        assert hidden.encode() not in response.content, hidden


def test_view_on_site_of_a_private_incident_is_404_for_outsiders(client, responder):
    # The admin's "view on site" link redirects to the incident's page, whose address names
    # it: only for an incident the user may see.
    from django.contrib.contenttypes.models import ContentType

    private = IncidentFactory(is_private=True)
    public = IncidentFactory()
    kind = ContentType.objects.get_for_model(Incident).pk
    client.force_login(responder)
    response = client.get(reverse("admin:view_on_site", args=[kind, private.pk]))
    assert response.status_code == 404
    assert private.reference not in str(response.headers)
    response = client.get(reverse("admin:view_on_site", args=[kind, public.pk]))
    assert response.status_code == 302
    assert response["Location"].endswith(public.get_absolute_url())


def test_recent_actions_leave_out_incidents_one_may_no_longer_see(client, responder):
    # The admin's home lists one's own recent actions by the record's name at the time: an
    # incident made private since, without them, must drop out of it.
    from django.contrib.admin.models import CHANGE, DELETION, LogEntry

    hidden = IncidentFactory(title="Credential leak")
    shown = IncidentFactory(title="Checkout errors")
    deleted = IncidentFactory(title="Duplicate page")
    LogEntry.objects.log_actions(responder.pk, [hidden, shown], CHANGE, change_message="")
    LogEntry.objects.log_actions(responder.pk, [deleted], DELETION, change_message="")
    hidden.is_private = True
    hidden.save()
    deleted.delete()
    client.force_login(responder)
    page = client.get(reverse("admin:index")).content
    assert b"Checkout errors" in page
    assert b"Duplicate page" in page  # gone, but they deleted it themselves
    assert b"Credential leak" not in page
    assert hidden.reference.encode() not in page


def test_anonymous_near_miss_logged_in_the_admin_leaves_no_trace_of_who(client, responder):
    from django.contrib.admin.models import LogEntry

    client.force_login(responder)
    when = timezone.now() - timedelta(hours=1)
    response = client.post(
        reverse("admin:incidents_nearmiss_add"),
        {
            "title": "Almost dropped the orders table",
            "description": "Caught in review",
            "occurred_at_0": when.strftime("%Y-%m-%d"),
            "occurred_at_1": when.strftime("%H:%M:%S"),
            "stopped_by": "person",
            **{
                f"{prefix}-{suffix}": "0"
                for prefix in ("surprises", "difficulties", "ownership_gaps")
                for suffix in ("TOTAL_FORMS", "INITIAL_FORMS")
            },
        },
    )
    assert response.status_code == 302
    near_miss = NearMissFactory._meta.model.objects.get()
    assert near_miss.is_anonymous
    assert not LogEntry.objects.filter(object_id=str(near_miss.pk)).exists()


def test_a_published_review_freezes_its_timeline_in_the_admin(client, responder, superuser):
    incident = IncidentFactory()
    ReviewFactory(incident=incident, status=Review.Status.PUBLISHED)
    entry = TimelineEntryFactory(incident=incident, text="Alert fired")
    url = reverse("admin:incidents_timelineentry_change", args=[entry.pk])
    client.force_login(responder)
    form = {
        "incident": incident.pk,
        "at_0": entry.at.strftime("%Y-%m-%d"),
        "at_1": entry.at.strftime("%H:%M:%S"),
        "kind": "note",
        "text": "Edited after publication",
    }
    assert client.post(url, form).status_code == 403
    entry.refresh_from_db()
    assert entry.text == "Alert fired"
    incident_page = client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    assert not incident_page.context["has_change_permission"]
    client.force_login(superuser)
    assert client.post(url, form).status_code == 302
