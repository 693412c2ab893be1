"""/api/v1/deployments/: record one or many (idempotently), list with filters, CSV, import;
and the cause of a private incident stays private (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from incidents.models import Deployment
from tests.api.conftest import client_for
from tests.concurrency import at_the_same_moment, concurrent_test
from tests.factories import DeploymentFactory, IncidentFactory, SystemFactory, TeamFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/deployments/"


@pytest.fixture
def system(db):
    return SystemFactory(name="checkout-api", owner_team=TeamFactory(name="Checkout"))


def _one(**overrides):
    return {
        "system": "checkout-api",
        "deployed_at": "2026-03-01T10:00:00Z",
        "ref": "f95f852bd8fc",
        "external_id": "run-1",
        **overrides,
    }


def _csv(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode())))


# --- recording -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "expected"),
    [("reader", 403), ("responder", 201), ("facilitator", 201), ("superuser", 201)],
)
def test_who_may_record_a_deployment(request, system, person, expected):
    response = client_for(request.getfixturevalue(person)).post(URL, _one())
    assert response.status_code == expected
    assert Deployment.objects.count() == (1 if expected == 201 else 0)


def test_posting_the_same_external_id_again_returns_the_deployment_recorded(responder, system):
    client = client_for(responder)
    first = client.post(URL, _one())
    again = client.post(URL, _one(ref="changed"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["ref"] == "f95f852bd8fc"
    assert first.json()["source"] == "api"
    assert first["Location"].endswith(f"/deployments/{first.json()['id']}/")
    assert Deployment.objects.count() == 1


def test_an_array_records_many_all_or_nothing_and_says_what_was_new(responder, system):
    client = client_for(responder)
    rows = [_one(external_id=f"run-{n}") for n in range(3)]
    response = client.post(URL, rows, format="json")
    assert response.status_code == 201
    assert (response.json()["created"], response.json()["existing"]) == (3, 0)
    assert [row["external_id"] for row in response.json()["results"]] == [
        "run-0",
        "run-1",
        "run-2",
    ]
    retry = client.post(URL, [*rows, _one(external_id="run-3")], format="json")
    assert retry.status_code == 201
    assert (retry.json()["created"], retry.json()["existing"]) == (1, 3)
    again = client.post(URL, rows, format="json")
    assert again.status_code == 200
    assert Deployment.objects.count() == 4


def test_one_bad_row_and_nothing_of_the_array_is_recorded(responder, system):
    rows = [_one(external_id="ok"), _one(system="nowhere", external_id="bad")]
    response = client_for(responder).post(URL, rows, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["row"] == 2
    assert response.json()["errors"][0]["field"] == "system"
    assert not Deployment.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("system", "nowhere"),
        ("deployed_at", "yesterday"),
        ("deployed_at", "2999-01-01T00:00:00Z"),
        ("outcome", "exploded"),
        ("environment", "   "),
        ("url", "javascript:alert(1)"),
        ("ref", "x" * 201),
        ("ref", "nul\x00byte"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_records_nothing(responder, system, field, value):
    response = client_for(responder).post(URL, _one(**{field: value}), format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not Deployment.objects.exists()


@pytest.mark.parametrize("body", [[], "just text", 42, [1, 2]])
def test_a_body_that_is_not_deployments_is_a_400(responder, system, body):
    response = client_for(responder).post(URL, body, format="json")
    assert response.status_code == 400
    assert not Deployment.objects.exists()


def test_the_environment_is_stored_lower_case(responder, system):
    response = client_for(responder).post(URL, _one(environment="Staging"))
    assert response.json()["environment"] == "staging"


def test_an_edit_may_not_take_another_deployments_external_id(responder, system):
    DeploymentFactory(system=system, source="api", external_id="taken")
    mine = DeploymentFactory(system=system, source="api", external_id="mine")
    response = client_for(responder).patch(f"{URL}{mine.pk}/", {"external_id": "taken"})
    assert response.status_code == 400
    assert "external_id" in response.json()["fields"]


@pytest.mark.parametrize(("person", "expected"), [("facilitator", 403), ("superuser", 204)])
def test_only_administrators_delete_deployments(request, system, person, expected):
    deployment = DeploymentFactory(system=system)
    response = client_for(request.getfixturevalue(person)).delete(f"{URL}{deployment.pk}/")
    assert response.status_code == expected


@concurrent_test
def test_the_same_deployment_posted_twice_at_once_is_recorded_once(responder):
    SystemFactory(name="checkout-api")
    client_a, client_b = client_for(responder), client_for(responder)
    outcomes = at_the_same_moment(
        lambda: client_a.post(URL, _one(), format="json"),
        lambda: client_b.post(URL, [_one()], format="json"),
    )
    statuses = sorted(outcome.result().status_code for outcome in outcomes)
    assert statuses in ([200, 201], [201, 201])
    assert Deployment.objects.count() == 1


# --- reading ---------------------------------------------------------------------------------


def test_the_list_filters_by_system_team_environment_and_period(reader, system):
    other = SystemFactory(name="ledger", owner_team=TeamFactory(name="Payments"))
    march = datetime(2026, 3, 10, tzinfo=UTC)
    kept = DeploymentFactory(system=system, deployed_at=march)
    DeploymentFactory(system=system, deployed_at=march, environment="staging")
    DeploymentFactory(system=system, deployed_at=march - timedelta(days=30))
    DeploymentFactory(system=other, deployed_at=march)
    client = client_for(reader)
    query = {
        "team": "checkout",
        "environment": "production",
        "start": "2026-03-01",
        "end": "2026-04-01",
    }
    response = client.get(URL, query)
    assert [row["id"] for row in response.json()["results"]] == [kept.pk]
    assert client.get(URL, {"system": "ledger"}).json()["count"] == 1
    assert client.get(URL, {"system": "nowhere"}).status_code == 400
    assert client.get(URL, {"start": "2026-04-01", "end": "2026-03-01"}).status_code == 400
    assert client.get(URL, {"colour": "red"}).status_code == 400


def test_the_list_downloads_as_csv(reader, system):
    DeploymentFactory(system=system, ref="=cmd|' /C calc'!A0")
    response = client_for(reader).get(URL, {"format": "csv"})
    rows = _csv(response)
    assert rows[0]["system"] == "checkout-api"
    assert rows[0]["ref"].startswith("'=")


def test_a_private_incidents_cause_is_shown_only_to_those_who_may_see_it(reader, responder, system):
    deployment = DeploymentFactory(system=system)
    secret = IncidentFactory(is_private=True, lead=responder, caused_by=deployment)
    public = IncidentFactory(caused_by=deployment)
    seen_by_reader = client_for(reader).get(f"{URL}{deployment.pk}/").json()
    assert seen_by_reader["caused_incidents"] == [public.reference]
    seen_by_lead = client_for(responder).get(f"{URL}{deployment.pk}/").json()
    assert sorted(seen_by_lead["caused_incidents"]) == sorted([public.reference, secret.reference])
    # Filtering on the cause answers as the list shows it: nothing of the private one.
    only_private = DeploymentFactory(system=system)
    IncidentFactory(is_private=True, lead=responder, caused_by=only_private)
    failed = {"caused": "yes"}
    assert [r["id"] for r in client_for(reader).get(URL, failed).json()["results"]] == [
        deployment.pk
    ]
    assert client_for(responder).get(URL, failed).json()["count"] == 2
    csv_text = b"".join(client_for(reader).get(URL, {"format": "csv"}).streaming_content)
    assert secret.reference.encode() not in csv_text


def test_severity_narrows_the_incidents_a_deployment_caused(reader, system):
    major = DeploymentFactory(system=system)
    minor = DeploymentFactory(system=system)
    IncidentFactory(severity="SEV1", caused_by=major)
    IncidentFactory(severity="SEV4", caused_by=minor)
    client = client_for(reader)
    assert [r["id"] for r in client.get(URL, {"severity": "SEV1"}).json()["results"]] == [major.pk]
    not_major = client.get(URL, {"severity": "SEV1", "caused": "no"}).json()["results"]
    assert [r["id"] for r in not_major] == [minor.pk]


CAUSE_FILTERS = [
    {"severity": "SEV1"},
    {"severity": "SEV2"},
    {"caused": "yes"},
    {"caused": "yes", "severity": "SEV1"},
    {"caused": "no"},
    {"caused": "no", "severity": "SEV1"},
    {"severity": "SEV1", "environment": "production"},
    {"severity": "SEV1", "system": "checkout-api"},
    {"caused": "yes", "start": "2026-03-02"},
]


@pytest.mark.parametrize("filters", CAUSE_FILTERS, ids=lambda f: "-".join(f.values()))
@pytest.mark.parametrize("person", ["reader", "responder", "superuser"])
def test_the_count_of_deployments_filtered_by_their_incidents_is_exact(
    request, system, filters, person
):
    """With only `caused=yes` and `severity`, the count is read from the incidents that name
    the deployments (each counted once, however many incidents name it; a private incident
    counts only for who may see it); with any other filter, from the deployments. Either way
    it is the number of deployments the pages list."""
    user = request.getfixturevalue(person)
    other = SystemFactory(name="search")
    moments = [datetime(2026, 3, day, tzinfo=UTC) for day in (1, 3)]
    twice = DeploymentFactory(system=system, deployed_at=moments[0])
    hidden = DeploymentFactory(system=system, deployed_at=moments[1])
    elsewhere = DeploymentFactory(system=other, deployed_at=moments[1], environment="staging")
    DeploymentFactory.create_batch(3, system=system, deployed_at=moments[1])
    IncidentFactory(severity="SEV1", caused_by=twice)
    IncidentFactory(severity="SEV1", caused_by=twice)
    IncidentFactory(severity="SEV2", caused_by=twice)
    IncidentFactory(severity="SEV1", caused_by=elsewhere)
    secret = IncidentFactory(severity="SEV1", caused_by=hidden, is_private=True)
    if person == "responder":
        secret.responders.add(user)
    client = client_for(user)
    listed = []
    page = client.get(URL, {**filters, "page_size": 2}).json()
    count = page["count"]
    listed += page["results"]
    while page["next"]:
        page = client.get(page["next"]).json()
        listed += page["results"]
    assert count == len(listed) == len({row["id"] for row in listed})


def test_counting_deployments_by_severity_reads_the_incidents_not_the_deployments(reader, system):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    IncidentFactory(severity="SEV1", caused_by=DeploymentFactory(system=system))
    with CaptureQueriesContext(connection) as captured:
        assert client_for(reader).get(URL, {"severity": "SEV1"}).json()["count"] == 1
    counts = [query["sql"] for query in captured if "COUNT(" in query["sql"]]
    assert len(counts) == 1
    assert 'FROM "incidents_incident"' in counts[0].split("WHERE")[0]


def test_the_list_costs_the_same_few_queries_for_many_deployments(reader, system):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client_for(reader).get(URL).status_code == 200
        return len(captured.captured_queries)

    for _ in range(3):
        IncidentFactory(caused_by=DeploymentFactory(system=system))
    few = queries()
    for _ in range(20):
        IncidentFactory(caused_by=DeploymentFactory(system=system))
    assert queries() == few


# --- import ----------------------------------------------------------------------------------


def test_a_csv_file_imports_idempotently(responder, system):
    text = (
        "system,deployed_at,ref,environment,outcome,external_id\n"
        "checkout-api,2026-03-01T10:00:00Z,abc,production,success,d-1\n"
        "checkout-api,2026-03-02T10:00:00Z,def,production,rolled_back,d-2\n"
    )
    client = client_for(responder)

    def upload(**query):
        path = URL + "import/" + ("?dry_run=true" if query else "")
        file = SimpleUploadedFile("deployments.csv", text.encode(), content_type="text/csv")
        return client.post(path, {"file": file}, format="multipart")

    dry = upload(dry_run=True)
    assert dry.status_code == 200
    assert dry.json() == {"dry_run": True, "created": 2, "existing": 0}
    assert not Deployment.objects.exists()
    assert upload().json() == {"dry_run": False, "created": 2, "existing": 0}
    assert upload().json() == {"dry_run": False, "created": 0, "existing": 2}
    assert set(Deployment.objects.values_list("source", flat=True)) == {"import"}
    assert Deployment.objects.get(external_id="d-2").outcome == "rolled_back"


def test_an_import_with_a_bad_row_or_column_records_nothing(responder, system):
    client = client_for(responder)
    bad_row = (
        "system,deployed_at\ncheckout-api,2026-03-01T10:00:00Z\nnowhere,2026-03-01T10:00:00Z\n"
    )
    bad_column = "system,deployed_at,colour\ncheckout-api,2026-03-01T10:00:00Z,red\n"
    for text in (bad_row, bad_column):
        file = SimpleUploadedFile("d.csv", text.encode(), content_type="text/csv")
        response = client.post(URL + "import/", {"file": file}, format="multipart")
        assert response.status_code == 400
        assert response.json()["errors"]
    assert not Deployment.objects.exists()


def test_deployed_at_in_the_near_future_is_clock_skew_not_a_mistake(responder, system):
    soon = (timezone.now() + timedelta(minutes=2)).isoformat()
    assert client_for(responder).post(URL, _one(deployed_at=soon)).status_code == 201
