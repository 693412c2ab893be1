"""/api/v1/integrations/github/: GitHub's deployment_status webhook, signed with
X-Hub-Signature-256 (HMAC-SHA256 of the raw body).

The payload is the example of GitHub's webhook documentation (deployment_status, created),
trimmed of URLs that nothing reads; the signature is computed here with a known secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
from rest_framework.test import APIClient

from api.views.github import signature_valid
from incidents.models import Deployment
from tests.concurrency import at_the_same_moment, concurrent_test
from tests.factories import SystemFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/integrations/github/"
SECRET = "correct horse battery staple"
EXAMPLE = json.loads((Path(__file__).parent / "payloads" / "github_deployment_status.json").read_text())


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.GITHUB_WEBHOOK_SECRET = SECRET
    settings.GITHUB_REPOSITORY_SYSTEMS = {}


def _sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _deliver(payload=EXAMPLE, *, event="deployment_status", signature=None, body=None, **extra):
    body = body if body is not None else json.dumps(payload).encode()
    headers = {"HTTP_X_GITHUB_EVENT": event, "HTTP_X_GITHUB_DELIVERY": "72d3162e-cc78-11e3"}
    headers["HTTP_X_HUB_SIGNATURE_256"] = signature if signature is not None else _sign(body)
    content_type = extra.pop("content_type", "application/json")
    return APIClient().post(URL, body, content_type=content_type, **headers, **extra)


def _with(path: str, value):
    payload = json.loads(json.dumps(EXAMPLE))
    *parents, last = path.split(".")
    target = payload
    for part in parents:
        target = target[part]
    target[last] = value
    return payload


def test_the_signature_check_matches_githubs_documented_example():
    # docs.github.com, "Validating webhook deliveries": this secret and body give this digest.
    body, secret = b"Hello, World!", "It's a Secret to Everybody"
    digest = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert signature_valid(body, f"sha256={digest}", secret)
    assert not signature_valid(body + b" ", f"sha256={digest}", secret)
    assert not signature_valid(body, f"sha1={digest}", secret)
    assert not signature_valid(body, f"sha256={digest}", "")


def test_githubs_example_records_a_production_deployment_of_the_repositorys_system():
    system = SystemFactory(name="hello-world")
    response = _deliver()
    assert response.status_code == 201
    assert response.json()["recorded"] is True
    deployment = Deployment.objects.get()
    assert deployment.system == system
    assert deployment.source == "github"
    assert deployment.external_id == "145988746"
    assert deployment.ref == "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
    assert deployment.environment == "production"
    assert deployment.deployed_at == datetime(2019, 5, 15, 15, 20, 55, tzinfo=UTC)


def test_redeliveries_and_later_statuses_of_the_same_deployment_record_nothing_new():
    SystemFactory(name="hello-world")
    assert _deliver().status_code == 201
    assert _deliver().status_code == 200
    later = _with("deployment_status.id", 209916999)
    response = _deliver(later)
    assert response.status_code == 200
    assert response.json()["detail"].startswith("Already recorded")
    assert Deployment.objects.count() == 1


def test_the_mapping_names_the_system_of_a_repository(settings):
    settings.GITHUB_REPOSITORY_SYSTEMS = {"codertocat/hello-world": "checkout-api"}
    system = SystemFactory(name="checkout-api")
    assert _deliver().status_code == 201
    assert Deployment.objects.get().system == system


def test_a_repository_without_a_system_is_a_422_that_says_how_to_map_it():
    response = _deliver()
    assert response.status_code == 422
    assert "GITHUB_REPOSITORY_SYSTEMS" in response.json()["detail"]
    assert not Deployment.objects.exists()


@pytest.mark.parametrize(
    "signature",
    ["", "sha256=", "sha256=" + "0" * 64, "sha1=abc", None],
    ids=["missing", "empty", "wrong", "sha1", "other-secret"],
)
def test_a_delivery_without_a_valid_signature_is_a_401_and_stores_nothing(signature):
    SystemFactory(name="hello-world")
    body = json.dumps(EXAMPLE).encode()
    sent = _sign(body, "another secret") if signature is None else signature
    response = _deliver(body=body, signature=sent)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "X-Hub-Signature-256"
    assert not Deployment.objects.exists()


def test_a_tampered_body_fails_the_signature():
    SystemFactory(name="hello-world")
    body = json.dumps(EXAMPLE).encode()
    tampered = body.replace(b"145988746", b"145988747")
    assert _deliver(body=tampered, signature=_sign(body)).status_code == 401
    assert not Deployment.objects.exists()


def test_no_secret_configured_refuses_every_delivery(settings):
    settings.GITHUB_WEBHOOK_SECRET = ""
    SystemFactory(name="hello-world")
    body = json.dumps(EXAMPLE).encode()
    assert _deliver(body=body, signature=_sign(body, "")).status_code == 401
    assert not Deployment.objects.exists()


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (_with("deployment_status.state", "failure"), "'failure' status"),
        (_with("deployment_status.state", "pending"), "'pending' status"),
        # The status names the environment it reached: production, so recorded.
        (_with("deployment.environment", "staging"), None),
    ],
)
def test_only_successful_production_deployments_are_recorded(payload, reason):
    SystemFactory(name="hello-world")
    response = _deliver(payload)
    if reason is None:
        assert response.status_code == 201
        return
    assert response.status_code == 200
    assert reason in response.json()["detail"]
    assert not Deployment.objects.exists()


def test_a_staging_deployment_is_ignored():
    SystemFactory(name="hello-world")
    staging = _with("deployment_status.environment", "staging")
    staging["deployment"]["environment"] = "staging"
    response = _deliver(staging)
    assert response.status_code == 200
    assert response.json() == {
        "recorded": False,
        "detail": "Ignored: not a production environment.",
        "deployment": None,
    }
    flagged = json.loads(json.dumps(staging))
    flagged["deployment"]["production_environment"] = True
    assert _deliver(flagged).status_code == 201


def test_ping_and_other_events_are_answered_and_ignored():
    SystemFactory(name="hello-world")
    assert _deliver({"zen": "Keep it logically awesome.", "hook_id": 1}, event="ping").status_code == 200
    assert _deliver(event="push").json()["recorded"] is False
    assert not Deployment.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", None),
        (b"[1, 2]", None),
        (json.dumps(_with("deployment.id", "145988746")).encode(), "deployment.id"),
        (json.dumps(_with("deployment.id", True)).encode(), "deployment.id"),
        (json.dumps(_with("repository.full_name", None)).encode(), "repository.full_name"),
        (json.dumps(_with("deployment_status.created_at", "yesterday")).encode(), "deployment_status.created_at"),
        (json.dumps(_with("deployment_status.created_at", "2019-05-15T15:20:55")).encode(), "deployment_status.created_at"),
        (b"{" * 100 + b"}" * 100, None),
    ],
)
def test_a_malformed_delivery_is_a_400_and_stores_nothing(body, field):
    SystemFactory(name="hello-world")
    response = _deliver(body=body)
    assert response.status_code == 400
    if field:
        assert field in response.json()["fields"]
    assert not Deployment.objects.exists()


def test_a_delivery_without_its_event_header_is_a_400():
    body = json.dumps(EXAMPLE).encode()
    response = APIClient().post(
        URL, body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=_sign(body)
    )
    assert response.status_code == 400


def test_a_form_encoded_delivery_is_read_from_its_payload_field():
    SystemFactory(name="hello-world")
    body = urlencode({"payload": json.dumps(EXAMPLE)}).encode()
    response = _deliver(body=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 201


@concurrent_test
def test_two_redeliveries_at_the_same_moment_record_one_deployment(settings):
    settings.GITHUB_WEBHOOK_SECRET = SECRET
    settings.GITHUB_REPOSITORY_SYSTEMS = {}
    SystemFactory(name="hello-world")
    outcomes = at_the_same_moment(_deliver, _deliver, _deliver)
    statuses = sorted(outcome.result().status_code for outcome in outcomes)
    assert statuses[0] in (200, 201)
    assert set(statuses) <= {200, 201}
    assert Deployment.objects.count() == 1
