"""/api/v1/deployments/webhook/: a CD tool (Argo CD, a deploy script) posts deployments with
a bearer token (DEPLOY_WEBHOOK_TOKEN)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from incidents.models import Deployment
from tests.factories import SystemFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/deployments/webhook/"
TOKEN = "s3cret-deploy-token"


@pytest.fixture(autouse=True)
def _token(settings):
    settings.DEPLOY_WEBHOOK_TOKEN = TOKEN


@pytest.fixture
def system(db):
    return SystemFactory(name="checkout-api")


def _post(body, token=TOKEN, scheme="Bearer"):
    client = APIClient()
    if token is not None:
        client.credentials(HTTP_AUTHORIZATION=f"{scheme} {token}")
    return client.post(URL, body, format="json")


def test_a_deployment_is_recorded_now_when_no_time_is_sent(system):
    response = _post({"system": "checkout-api", "ref": "v1.4.2", "external_id": "argo-1"})
    assert response.status_code == 201
    assert response.json()["created"] == 1
    deployment = Deployment.objects.get()
    assert (deployment.source, deployment.environment) == ("webhook", "production")
    assert "caused_incidents" not in response.json()["results"][0]


def test_a_retried_delivery_records_nothing_new(system):
    body = {"system": "checkout-api", "external_id": "argo-1", "deployed_at": "2026-03-01T10:00:00Z"}
    assert _post(body).status_code == 201
    retry = _post(body)
    assert retry.status_code == 200
    assert (retry.json()["created"], retry.json()["existing"]) == (0, 1)
    assert Deployment.objects.count() == 1


def test_an_array_is_recorded_all_or_nothing(system):
    good = {"system": "checkout-api", "external_id": "a"}
    assert _post([good, {"system": "nowhere"}]).status_code == 400
    assert not Deployment.objects.exists()
    assert _post([good, {**good, "external_id": "b"}]).json()["created"] == 2


@pytest.mark.parametrize(
    ("token", "scheme"),
    [(None, "Bearer"), ("wrong", "Bearer"), (TOKEN, "Token"), ("", "Bearer")],
    ids=["missing", "wrong", "other-scheme", "empty"],
)
def test_a_missing_or_wrong_token_is_a_401_and_stores_nothing(system, token, scheme):
    response = _post({"system": "checkout-api"}, token=token, scheme=scheme)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert not Deployment.objects.exists()


def test_no_token_configured_refuses_everyone(settings, system):
    settings.DEPLOY_WEBHOOK_TOKEN = ""
    assert _post({"system": "checkout-api"}, token="").status_code == 401
    assert not Deployment.objects.exists()


def test_malformed_json_is_a_400(system):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    response = client.post(URL, b"{not json", content_type="application/json")
    assert response.status_code == 400
    assert not Deployment.objects.exists()


def test_the_documented_curl_one_liner_works(system):
    """README's curl example, run through the test client: the same headers and body."""
    readme = (Path(django_settings.BASE_DIR) / "README.md").read_text()
    command = re.search(r"curl[^\n]*deployments/webhook/[^\n]*(?:\n\s+[^\n]*)*", readme)[0]
    words = shlex.split(command.replace("\\\n", " "))
    headers = [words[i + 1] for i, word in enumerate(words) if word == "-H"]
    body = json.loads(words[words.index("-d") + 1])
    assert "Authorization: Bearer $DEPLOY_WEBHOOK_TOKEN" in headers
    response = _post(body)
    assert response.status_code == 201, response.json()


def test_the_argocd_template_posts_a_deployment_the_webhook_records(system):
    """docs/integrations/argocd.md: its template's body, with Argo CD's fields filled in as
    Argo CD would, is a deployment the webhook records; sent again, nothing new."""
    import yaml

    doc = (Path(django_settings.BASE_DIR) / "docs" / "integrations" / "argocd.md").read_text()
    config = yaml.safe_load(re.search(r"```yaml\n(apiVersion: v1\n.*?)```", doc, re.DOTALL)[1])
    service = yaml.safe_load(config["data"]["service.webhook.incident-tracker"])
    assert service["url"].endswith("/api/v1/deployments/webhook/")
    assert {"name": "Authorization", "value": "Bearer $incident-tracker-token"} in service[
        "headers"
    ]
    template = yaml.safe_load(config["data"]["template.incident-tracker-deployment"])
    body = template["webhook"]["incident-tracker"]["body"]
    values = {
        ".app.metadata.name": "checkout-api",
        ".app.status.operationState.finishedAt": "2026-03-01T10:00:00Z",
        ".app.status.operationState.syncResult.revision": "f95f852bd8fc",
    }
    filled = re.sub(r"\{\{(.*?)\}\}", lambda found: values[found[1].strip()], body)
    assert _post(json.loads(filled)).status_code == 201
    assert _post(json.loads(filled)).status_code == 200
    deployment = Deployment.objects.get()
    assert (deployment.source, deployment.external_id) == (
        "argocd",
        "checkout-api/2026-03-01T10:00:00Z",
    )
