"""Schemathesis against the live schema: every operation, as a superuser with a real token.

Zero server errors and zero responses that break the schema (status code, content type, body),
and a 405 with `Allow` for every method a path does not take. Three phases run: the schema's
examples, the coverage phase (every boundary and invalid value the schema implies, each
property missing or of the wrong type, undeclared methods, wrong media types; deterministic,
about 6,000 requests), and 15 derandomized fuzzing examples per operation (about 1,300). The
schema is loaded at module level from the WSGI app (schemathesis' pytest fixture loader does
not work on pytest 9.2), so the run is repeatable and fits in CI.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis import GenerationMode, openapi
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from config.wsgi import application
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
    SystemFactory,
    TeamFactory,
    ThemeFactory,
    TimelineEntryFactory,
    UserFactory,
)

# The coverage phase has no bound of its own (it enumerates what the schema implies), but it is
# deterministic: its size follows the schema (about 6,000 requests, a minute on SQLite alone).
CONFIG = SchemathesisConfig.from_dict(
    {
        "phases": {"coverage": {"enabled": True}, "stateful": {"enabled": False}},
        "seed": 20260101,
    }
)
schema = openapi.from_wsgi("/api/schema/", application, config=CONFIG)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    unsupported_method,
]


@pytest.fixture
def keep_connection(db):
    """Requests go to the real WSGI handler, whose request_started/finished signals close the
    connection: on PostgreSQL that would end the test's transaction (Django's own test
    client disconnects the same handler)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@dataclass(frozen=True)
class Api:
    token: str
    # What a path parameter of each resource names: an object that exists. Generated values
    # (a random slug or id) would make nearly every detail, update and delete a 404.
    targets: dict[str, str | int]


@pytest.fixture
def api(keep_connection, settings):
    # The write throttle (120 a minute) would answer most of an operation's cases with 429
    # before they reach validation; the login lockout still applies.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"login": "1000000/minute", "write": "1000000/minute"},
    }
    root = UserFactory(username="schemathesis", is_staff=True, is_superuser=True)
    system = SystemFactory(name="api-gateway")
    incident = IncidentFactory(systems=[system])
    review = ReviewFactory(incident=incident)
    near_miss = NearMissFactory(systems=[system])
    _instance, plain = AuthToken.objects.create(user=root)
    return Api(
        token=plain,
        targets={
            "incidents": incident.reference,
            "systems": system.slug,
            "teams": TeamFactory().slug,
            "themes": ThemeFactory(name="Capacity").slug,
            "reviews": review.pk,
            "action-items": ActionItemFactory(review=review).pk,
            "participants": ParticipantFactory(review=review).pk,
            "timeline-entries": TimelineEntryFactory(incident=incident).pk,
            "surprises": SurpriseFactory(incident=incident, system=system).pk,
            "difficulties": DifficultyFactory(incident=None, near_miss=near_miss).pk,
            "ownership-gaps": OwnershipGapFactory(incident=incident).pk,
            "near-misses": near_miss.pk,
            "deployments": DeploymentFactory(system=system).pk,
        },
    )


def _aim_at_existing_objects(case, targets) -> None:
    """A path parameter generated as valid names an object that exists; one generated as
    invalid (the coverage phase's wrong types) stays, to be a 404."""
    path = case.meta.components.get("path") if case.meta is not None else None
    if not case.path_parameters or (path is not None and path.mode == GenerationMode.NEGATIVE):
        return
    resource = case.path.split("/")[3]  # /api/v1/<resource>/{key}/...
    if resource in targets:
        (name,) = case.path_parameters
        case.path_parameters = {name: targets[resource]}


@schema.parametrize()
@settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, api):
    _aim_at_existing_objects(case, api.targets)
    case.call_and_validate(headers={"Authorization": f"Token {api.token}"}, checks=CHECKS)
