from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from incidents.models import Difficulty, Incident, NearMiss, OwnershipGap, Surprise
from tests.factories import (
    DifficultyFactory,
    IncidentFactory,
    NearMissFactory,
    OwnershipGapFactory,
    SurpriseFactory,
    SystemFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def _incident(**times):
    return Incident(title="Checkout down", started_at=NOW, **times)


def test_incident_in_order_timestamps_are_valid():
    _incident(
        detected_at=NOW + timedelta(minutes=5),
        mitigated_at=NOW + timedelta(minutes=30),
        resolved_at=NOW + timedelta(hours=2),
    ).full_clean()


def test_detected_before_started_is_a_field_error():
    with pytest.raises(ValidationError) as error:
        _incident(detected_at=NOW - timedelta(minutes=1)).full_clean()
    assert error.value.message_dict == {"detected_at": ["Detected at cannot be before started at."]}


def test_mitigated_before_detected_is_a_field_error():
    with pytest.raises(ValidationError) as error:
        _incident(
            detected_at=NOW + timedelta(minutes=10), mitigated_at=NOW + timedelta(minutes=5)
        ).full_clean()
    assert list(error.value.message_dict) == ["mitigated_at"]


def test_resolved_is_checked_against_the_last_set_moment_when_some_are_missing():
    with pytest.raises(ValidationError) as error:
        _incident(
            detected_at=NOW + timedelta(minutes=10), resolved_at=NOW + timedelta(minutes=5)
        ).full_clean()
    assert error.value.message_dict["resolved_at"] == ["Resolved at cannot be before detected at."]


def test_reference_follows_the_primary_key():
    incident = IncidentFactory()
    assert incident.reference == f"INC-{incident.pk:04d}"
    assert Incident.objects.get(pk=incident.pk).reference == incident.reference


def test_durations_are_measured_from_the_start():
    incident = IncidentFactory(
        started_at=NOW,
        detected_at=NOW + timedelta(minutes=4),
        mitigated_at=NOW + timedelta(minutes=20),
        resolved_at=NOW + timedelta(hours=1),
    )
    assert incident.time_to_detect == timedelta(minutes=4)
    assert incident.time_to_mitigate == timedelta(minutes=20)
    assert incident.time_to_resolve == timedelta(hours=1)
    assert (
        IncidentFactory(detected_at=None, mitigated_at=None, resolved_at=None).time_to_resolve
        is None
    )


@pytest.mark.parametrize("model", [Surprise, Difficulty, OwnershipGap])
def test_signal_needs_an_incident_or_a_near_miss_in_the_database(model):
    fields = {
        Surprise: {"expected": "a", "observed": "b"},
        Difficulty: {"category": "tooling", "description": "d"},
        OwnershipGap: {"kind": "owner_unclear"},
    }[model]
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(**fields)


@pytest.mark.parametrize("factory", [SurpriseFactory, DifficultyFactory, OwnershipGapFactory])
def test_signal_cannot_belong_to_both_an_incident_and_a_near_miss(factory):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(incident=IncidentFactory(), near_miss=NearMissFactory())


@pytest.mark.parametrize("factory", [SurpriseFactory, DifficultyFactory, OwnershipGapFactory])
def test_signal_may_belong_to_a_near_miss_alone(factory):
    signal = factory(incident=None, near_miss=NearMissFactory())
    assert signal.subject == signal.near_miss


def test_surprise_needs_expected_and_observed():
    with pytest.raises(IntegrityError), transaction.atomic():
        SurpriseFactory(observed="")
    with pytest.raises(ValidationError) as error:
        Surprise(incident=IncidentFactory(), expected="", observed="it fell over").full_clean()
    assert "expected" in error.value.message_dict


def test_external_id_is_unique_per_source_but_blank_ids_may_repeat():
    IncidentFactory(source="alertmanager", external_id="abc")
    IncidentFactory(source="pagerduty", external_id="abc")
    IncidentFactory(source="alertmanager", external_id="")
    IncidentFactory(source="alertmanager", external_id="")
    with pytest.raises(IntegrityError), transaction.atomic():
        IncidentFactory(source="alertmanager", external_id="abc")


def test_every_model_reads_well_as_text():
    team = TeamFactory(name="Payments")
    system = SystemFactory(name="ledger", owner_team=team)
    incident = IncidentFactory(title="Ledger out of balance")
    near_miss = NearMissFactory(title="Almost dropped a table")
    assert str(team) == "Payments"
    assert str(system) == "ledger"
    assert str(incident) == f"{incident.reference}: Ledger out of balance"
    assert str(near_miss) == "Almost dropped a table"
    assert "Expected" in str(SurpriseFactory(incident=incident))
    assert str(DifficultyFactory(incident=incident)).startswith("Observability gap")
    assert str(OwnershipGapFactory(incident=incident, system=system)) == "Owner unclear (ledger)"


def test_anonymous_near_miss_names_nobody(reader):
    assert NearMissFactory(reported_by=None).reporter_display == "Anonymous"
    assert NearMissFactory(reported_by=reader).reporter_display == reader.get_full_name()


def test_near_miss_detected_before_it_occurred_is_a_field_error():
    near_miss = NearMiss(
        title="t", description="d", occurred_at=NOW, detected_at=NOW - timedelta(minutes=1)
    )
    with pytest.raises(ValidationError) as error:
        near_miss.full_clean()
    assert "detected_at" in error.value.message_dict


# serialized_rollback, as every transactional test here: a plain flush re-creates the content
# types with new ids, which a later serialized_rollback test then cannot load back (PostgreSQL).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
def test_references_stay_unique_when_incidents_are_created_concurrently():
    from django.db import connections

    errors: list[Exception] = []
    barrier = threading.Barrier(8)

    def create_some():
        try:
            barrier.wait()
            for _ in range(10):
                Incident.objects.create(title="Paging storm", started_at=NOW)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create_some) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    references = list(Incident.objects.values_list("reference", flat=True))
    assert len(references) == 80
    assert len(set(references)) == 80
    assert all(re.fullmatch(r"INC-\d{4,}", reference) for reference in references)
