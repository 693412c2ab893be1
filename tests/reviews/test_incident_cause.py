"""The review workspace says what triggered the incident: a deployment of one of its systems,
or a change whose deployment is unknown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from reviews.models import Review
from tests.factories import DeploymentFactory, SystemFactory
from tests.reviews.conftest import HTMX, _url

pytestmark = pytest.mark.django_db


@pytest.fixture
def deployment(incident):
    system = incident.systems.get()
    return DeploymentFactory(
        system=system, ref="deadbeef", deployed_at=incident.started_at - timedelta(hours=2)
    )


def test_a_responder_names_the_deployment_that_caused_the_incident(as_user, review, deployment):
    response = as_user("responder").post(_url(review, "cause"), {"caused_by": deployment.pk})
    assert response.status_code == 302
    review.incident.refresh_from_db()
    assert review.incident.caused_by == deployment
    assert review.incident.triggered_by_change
    page = as_user("reader").get(_url(review)).text
    assert "deadbeef" in page


def test_htmx_answers_with_the_overview_section(as_user, review, deployment):
    response = as_user("facilitator").post(
        _url(review, "cause"), {"triggered_by_change": "on"}, **HTMX
    )
    assert response.status_code == 200
    assert 'id="section-overview"' in response.text
    assert "a change, deployment unknown" in response.text
    review.incident.refresh_from_db()
    assert review.incident.triggered_by_change
    assert review.incident.caused_by is None


def test_only_deployments_of_its_systems_before_it_was_detected_are_offered(
    as_user, review, deployment
):
    other_system = DeploymentFactory(system=SystemFactory(name="elsewhere"))
    later = DeploymentFactory(
        system=deployment.system, deployed_at=review.incident.detected_at + timedelta(hours=1)
    )
    page = as_user("responder").get(_url(review)).text
    select = page[page.index('id="id_cause_caused_by"') :]
    select = select[: select.index("</select>")]
    assert f'value="{deployment.pk}"' in select
    for refused in (other_system, later):
        assert f'value="{refused.pk}"' not in select
        response = as_user("responder").post(_url(review, "cause"), {"caused_by": refused.pk})
        assert response.status_code == 200  # the workspace again, with the field's error
        assert "Select a valid choice" in response.text
    review.incident.refresh_from_db()
    assert review.incident.caused_by is None


def test_a_reader_may_not_set_the_cause(as_user, review, deployment):
    assert "Save cause" not in as_user("reader").get(_url(review)).text
    response = as_user("reader").post(_url(review, "cause"), {"caused_by": deployment.pk})
    assert response.status_code == 403
    review.incident.refresh_from_db()
    assert review.incident.caused_by is None


def test_a_published_review_freezes_the_cause(as_user, review, deployment):
    Review.objects.filter(pk=review.pk).update(
        status=Review.Status.PUBLISHED, published_at=timezone.now()
    )
    response = as_user("responder").post(_url(review, "cause"), {"caused_by": deployment.pk})
    assert response.status_code == 403
    review.incident.refresh_from_db()
    assert review.incident.caused_by is None


def test_an_outsider_cannot_reach_a_private_incidents_cause(as_user, private_review):
    deployment = DeploymentFactory()
    response = as_user("outsider").post(_url(private_review, "cause"), {"caused_by": deployment.pk})
    assert response.status_code == 404


def test_the_incident_page_names_its_cause(as_user, review, deployment):
    incident = review.incident
    incident.caused_by = deployment
    incident.save()
    page = as_user("reader").get(incident.get_absolute_url()).text
    assert f"deployment of {deployment.system.name}" in page
    assert "deadbeef" in page
