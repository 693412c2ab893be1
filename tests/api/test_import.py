"""/api/v1/incidents/import/: validated as a whole, all or nothing, errors per row."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from incidents.models import Incident, Surprise, System
from tests.api.conftest import client_for
from tests.factories import IncidentFactory, SystemFactory, TeamFactory

URL = "/api/v1/incidents/import/"


def _row(**overrides):
    return {"title": "Imported", "started_at": "2026-02-01T10:00:00Z", **overrides}


def test_import_creates_incidents_with_systems_and_signals(responder):
    known = SystemFactory(name="payments")
    response = client_for(responder).post(
        URL,
        [
            _row(
                external_id="1",
                systems=[{"name": "payments", "role": "origin"}, {"name": "Fraud scorer"}],
                surprises=[{"expected": "a timeout", "observed": "a hang", "system": "payments"}],
                difficulties=[{"category": "tooling", "description": "no dashboard"}],
                ownership_gaps=[{"kind": "no_owner", "system": "Fraud scorer"}],
            ),
            _row(external_id="2", severity="SEV1"),
        ],
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert len(body["created"]) == 2
    assert body["systems_created"] == ["Fraud scorer"]
    incident = Incident.objects.get(reference=body["created"][0])
    assert incident.source == Incident.Source.IMPORT
    assert {(r.system.name, r.role) for r in incident.system_roles.all()} == {
        ("payments", "origin"),
        ("Fraud scorer", "impacted"),
    }
    assert Surprise.objects.get().system == known
    assert System.objects.get(name="Fraud scorer").owner_team is None
    assert incident.difficulties.count() == incident.ownership_gaps.count() == 1


def test_one_bad_row_imports_nothing_and_names_row_and_field(responder):
    response = client_for(responder).post(
        URL,
        [
            _row(systems=[{"name": "brand-new"}]),
            _row(),
            _row(severity="SEV9", started_at=None),
        ],
    )
    assert response.status_code == 400
    body = response.json()
    assert {(e["row"], e["field"]) for e in body["errors"]} == {(3, "severity"), (3, "started_at")}
    assert body["detail"] == "Nothing was imported: 2 error(s)."
    assert not Incident.objects.exists()
    assert not System.objects.filter(name="brand-new").exists()


def test_nested_errors_name_the_nested_field(responder):
    response = client_for(responder).post(URL, [_row(systems=[{"name": "x", "role": "hero"}])])
    assert response.json()["errors"] == [
        {"row": 1, "field": "systems[0].role", "message": '"hero" is not a valid choice.'}
    ]


def test_model_rules_apply_per_row(responder):
    response = client_for(responder).post(URL, [_row(), _row(detected_at="2026-01-01T00:00:00Z")])
    assert response.json()["errors"][0]["row"] == 2
    assert response.json()["errors"][0]["field"] == "detected_at"


def test_dry_run_reports_without_writing(responder):
    response = client_for(responder).post(
        f"{URL}?dry_run=true", [_row(systems=[{"name": "ghost"}])]
    )
    assert response.status_code == 200
    assert response.json()["dry_run"] is True
    assert response.json()["systems_created"] == ["ghost"]
    assert len(response.json()["created"]) == 1
    assert not Incident.objects.exists()
    assert not System.objects.filter(name="ghost").exists()


def test_rows_already_imported_are_skipped(responder):
    existing = IncidentFactory(source="import", external_id="7")
    response = client_for(responder).post(URL, [_row(external_id="7"), _row(external_id="8")])
    assert response.json()["skipped"] == [{"row": 1, "reference": existing.reference}]
    assert len(response.json()["created"]) == 1


def test_a_skipped_row_names_no_private_incident_the_importer_may_not_see(responder):
    # As the single create's 409: the row is skipped, but the reference stays hidden.
    hidden = IncidentFactory(source="import", external_id="7", is_private=True)
    mine = IncidentFactory(source="import", external_id="8", is_private=True, lead=responder)
    response = client_for(responder).post(URL, [_row(external_id="7"), _row(external_id="8")])
    assert response.status_code == 201
    assert response.json()["skipped"] == [
        {"row": 1, "reference": None},
        {"row": 2, "reference": mine.reference},
    ]
    assert hidden.reference not in response.content.decode()


def test_repeated_external_ids_in_one_file_are_an_error(responder):
    response = client_for(responder).post(URL, [_row(external_id="9"), _row(external_id="9")])
    assert response.status_code == 400
    assert response.json()["errors"][0]["row"] == 2


def test_a_csv_file_imports_the_same_way(responder):
    TeamFactory(name="Checkout")
    text = (
        "title,started_at,severity,systems,teams,surprises\n"
        'Cart empty,2026-02-01T10:00:00Z,SEV2,"cart:origin; db",checkout,'
        '"[{""expected"": ""a"", ""observed"": ""b""}]"\n'
        "Slow search,2026-02-02T10:00:00Z,SEV4,,,\n"
    )
    upload = SimpleUploadedFile("incidents.csv", text.encode(), content_type="text/csv")
    response = client_for(responder).post(URL, {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()
    assert sorted(response.json()["systems_created"]) == ["cart", "db"]
    cart = Incident.objects.get(title="Cart empty")
    assert cart.teams.get().slug == "checkout"
    assert cart.surprises.count() == 1


def test_a_csv_with_a_bad_row_names_it(responder):
    text = "title,started_at,severity\nok,2026-02-01T10:00:00Z,SEV2\nbad,yesterday,SEV2\n"
    upload = SimpleUploadedFile("incidents.csv", text.encode(), content_type="text/csv")
    response = client_for(responder).post(URL, {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"][0]["row"] == 2
    assert response.json()["errors"][0]["field"] == "started_at"


def test_import_needs_a_list(responder):
    response = client_for(responder).post(URL, {"title": "not a list"})
    assert response.status_code == 400
    assert "JSON array" in response.json()["detail"]


def test_readers_cannot_import(reader):
    assert client_for(reader).post(URL, [_row()]).status_code == 403
