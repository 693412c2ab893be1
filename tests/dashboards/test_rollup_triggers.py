"""Every write that can change a month's counts marks that month in dashboards_rollup_dirty, in
its own transaction, whatever the path: the ORM, the import (COPY / executemany), a queryset
update, raw SQL, Django's cascades (issue #12; dashboards/rollups/triggers.py). A write that
changes nothing counted marks nothing; a rolled-back write leaves nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

from dashboards.models import RollupCell
from dashboards.rollups import triggers
from incidents.bulk import insert_rows
from incidents.models import (
    Deployment,
    DirtyMonth,
    Incident,
    IncidentSystem,
    NearMiss,
    Severity,
    Surprise,
    Theme,
)
from reviews.models import ActionItem, Review, SurveyResponse
from tests.api.conftest import client_for
from tests.dashboards.conftest import at
from tests.databases import ON_POSTGRES
from tests.factories import (
    ActionItemFactory,
    DeploymentFactory,
    DifficultyFactory,
    IncidentFactory,
    IncidentSystemFactory,
    NearMissFactory,
    OwnershipGapFactory,
    ReviewFactory,
    SurpriseFactory,
    SurveyResponseFactory,
    SystemFactory,
    TeamFactory,
    ThemeFactory,
)

JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)
EVERY_MONTH = None
SIGNAL_FACTORIES = [SurpriseFactory, DifficultyFactory, OwnershipGapFactory]


@contextmanager
def marked() -> Iterator[set]:
    """The months the writes inside the block mark (EVERY_MONTH for a NULL row), read when the
    block ends; the marks of the set-up before it are cleared first."""
    DirtyMonth.objects.all().delete()
    months: set = set()
    yield months
    months.update(DirtyMonth.objects.values_list("month", flat=True))


@pytest.fixture
def march_incident(db):
    return IncidentFactory(started_at=at("2026-03-10"))


# --- incidents ---------------------------------------------------------------------------------


def test_logging_an_incident_marks_the_month_it_started(db):
    with marked() as months:
        IncidentFactory(started_at=at("2026-03-10"))
    assert months == {MAR}


def test_the_month_is_the_utc_month_of_the_start(db):
    with marked() as months:
        IncidentFactory(started_at=at("2026-02-28", 23, 59))
    assert months == {FEB}


def test_an_incident_caused_by_a_deployment_also_marks_the_deployments_month(db):
    deployment = DeploymentFactory(deployed_at=at("2026-01-31", 22))
    with marked() as months:
        IncidentFactory(started_at=at("2026-03-10"), caused_by=deployment)
    assert months == {JAN, MAR}


def test_moving_an_incidents_start_across_a_month_boundary_marks_both_months(db):
    incident = IncidentFactory(started_at=at("2026-02-28", 23, 30))
    with marked() as months:
        incident.started_at = at("2026-03-01", 0, 30)
        incident.save()
    assert months == {FEB, MAR}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("severity", Severity.SEV1),
        ("is_private", True),
        ("triggered_by_change", True),
        # The durations' rank buckets (measure duration_ranks) count the time to detect and
        # to resolve.
        ("detected_at", at("2026-03-10", 0, 7)),
        ("resolved_at", at("2026-03-12")),
    ],
)
def test_changing_what_an_incident_is_counted_as_marks_its_month(march_incident, field, value):
    with marked() as months:
        setattr(march_incident, field, value)
        march_incident.save()
    assert months == {MAR}


def test_making_an_incident_private_and_public_again_marks_its_month(march_incident):
    with marked() as months:
        march_incident.is_private = True
        march_incident.save()
    assert months == {MAR}
    with marked() as months:
        Incident.objects.filter(pk=march_incident.pk).update(is_private=False)
    assert months == {MAR}


def test_naming_a_deployment_in_another_month_as_the_cause_marks_its_month(march_incident):
    january = DeploymentFactory(deployed_at=at("2026-01-15"))
    with marked() as months:
        march_incident.caused_by = january
        march_incident.save()
    assert months == {JAN, MAR}


def test_changing_the_cause_marks_the_old_and_the_new_deployments_months(db):
    january = DeploymentFactory(deployed_at=at("2026-01-15"))
    february = DeploymentFactory(deployed_at=at("2026-02-15"))
    incident = IncidentFactory(started_at=at("2026-03-10"), caused_by=january)
    with marked() as months:
        incident.caused_by = february
        incident.save()
    assert months == {JAN, FEB, MAR}


def test_editing_what_no_count_reads_marks_nothing(march_incident):
    with marked() as months:
        # save() writes every column: only a changed watched column may mark.
        march_incident.title = "Renamed"
        march_incident.summary = "Rewritten"
        march_incident.save()
        march_incident.save()
        Incident.objects.filter(pk=march_incident.pk).update(title="Renamed again")
    assert months == set()


def test_a_queryset_update_marks_the_month_of_every_row_it_changes(db):
    IncidentFactory(started_at=at("2026-01-10"), severity=Severity.SEV2)
    IncidentFactory(started_at=at("2026-02-10"), severity=Severity.SEV1)  # unchanged
    IncidentFactory(started_at=at("2026-03-10"), severity=Severity.SEV3)
    with marked() as months:
        Incident.objects.update(severity=Severity.SEV1)
    assert months == {JAN, MAR}


def test_a_raw_sql_update_marks_the_month(march_incident):
    quote = connection.ops.quote_name
    with marked() as months, connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(Incident._meta.db_table)} "
            f"SET {quote(Incident._meta.get_field('severity').column)} = %s WHERE id = %s",
            [Severity.SEV1, march_incident.pk],
        )
    assert months == {MAR}


def test_deleting_an_incident_with_its_signals_links_and_review_marks_its_months(db):
    deployment = DeploymentFactory(deployed_at=at("2026-02-15"))
    system = SystemFactory()
    incident = IncidentFactory(
        started_at=at("2026-03-10"), caused_by=deployment, systems=[system], teams=[TeamFactory()]
    )
    surprise = SurpriseFactory(incident=incident, system=system)
    difficulty = DifficultyFactory(incident=incident)
    OwnershipGapFactory(incident=incident)
    theme = ThemeFactory()
    theme.incidents.add(incident)
    theme.surprises.add(surprise)
    theme.difficulties.add(difficulty)
    SurveyResponseFactory(review=ReviewFactory(incident=incident, status=Review.Status.PUBLISHED))
    with marked() as months:
        incident.delete()
    assert months == {FEB, MAR}
    assert not Surprise.objects.exists()
    assert not SurveyResponse.objects.exists()
    assert not Theme.incidents.through.objects.exists()


def test_a_rolled_back_write_marks_nothing(march_incident):
    def write_then_fail():
        with transaction.atomic():
            IncidentFactory(started_at=at("2026-01-10"))
            march_incident.delete()
            raise RuntimeError("rolled back")

    with marked() as months, pytest.raises(RuntimeError):
        write_then_fail()
    assert months == set()


@pytest.mark.skipif(not ON_POSTGRES, reason="statement-level triggers: PostgreSQL")
def test_on_postgresql_a_statement_marks_each_month_once(db):
    for day in range(1, 21):
        IncidentFactory(started_at=at(f"2026-03-{day:02}"))
    DirtyMonth.objects.all().delete()
    Incident.objects.update(severity=Severity.SEV1)
    assert list(DirtyMonth.objects.values_list("month", flat=True)) == [MAR]


# --- the import ----------------------------------------------------------------------------------


def test_a_csv_import_marks_the_months_of_the_imported_incidents(responder, settings):
    # Without the refresh that follows a write request, which would clear the marks.
    settings.MIDDLEWARE = [
        name for name in settings.MIDDLEWARE if not name.endswith("RefreshRollupsMiddleware")
    ]
    TeamFactory(name="Checkout")
    SystemFactory(name="payments")
    lines = ["title,started_at,external_id,teams,systems,surprises,difficulties,ownership_gaps"]
    for number, started_at in enumerate(["2026-01-05T10:00:00Z", "2026-03-20T23:00:00Z"]):
        signals = [
            json.dumps([{"expected": "a", "observed": "b", "system": "payments"}]),
            json.dumps([{"category": "tooling", "description": "no logs"}]),
            json.dumps([{"kind": "no_owner", "system": "new-system"}]),
        ]
        cells = [f"Imported {number}", started_at, f"ext-{number}", "checkout"]
        cells += ["payments:origin; new-system", *signals]
        lines.append(",".join('"' + cell.replace('"', '""') + '"' for cell in cells))
    upload = SimpleUploadedFile("incidents.csv", "\n".join(lines).encode(), content_type="text/csv")
    with marked() as months:
        response = client_for(responder).post(
            "/api/v1/incidents/import/", {"file": upload}, format="multipart"
        )
    assert response.status_code == 201, response.json()
    assert len(response.json()["created"]) == 2
    assert IncidentSystem.objects.count() == 4
    assert months == {JAN, MAR}


def test_after_a_csv_import_its_months_are_refreshed(responder):
    TeamFactory(name="Checkout")
    upload = SimpleUploadedFile(
        "incidents.csv",
        b"title,started_at,external_id,teams\nImported,2026-01-05T10:00:00Z,ext-1,checkout\n",
        content_type="text/csv",
    )
    response = client_for(responder).post(
        "/api/v1/incidents/import/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert not DirtyMonth.objects.exists()
    assert (
        RollupCell.objects.get(measure="incidents", month=JAN, team=0, system=0, severity="").n == 1
    )


def test_links_and_signals_written_by_the_imports_bulk_insert_mark_their_incidents_month(
    march_incident,
):
    # What the import writes after its incidents, one COPY (PostgreSQL) or executemany each.
    system, team = SystemFactory(), TeamFactory()
    with marked() as months:
        insert_rows(
            IncidentSystem,
            ["incident", "system", "role"],
            [(march_incident.pk, system.pk, "origin")],
        )
    assert months == {MAR}
    with marked() as months:
        insert_rows(Incident.teams.through, ["incident", "team"], [(march_incident.pk, team.pk)])
    assert months == {MAR}
    with marked() as months:
        insert_rows(
            Surprise,
            ["incident", "expected", "observed", "noticed_by", "notes", "created_at", "updated_at"],
            [(march_incident.pk, "a", "b", "", "", at("2026-03-11"), at("2026-03-11"))],
        )
    assert months == {MAR}


# --- what hangs off an incident --------------------------------------------------------------


def test_linking_and_unlinking_a_team_marks_the_incidents_month(march_incident):
    team = TeamFactory()
    with marked() as months:
        march_incident.teams.add(team)
    assert months == {MAR}
    with marked() as months:
        march_incident.teams.remove(team)
    assert months == {MAR}


def test_moving_a_team_link_to_another_incident_marks_both_months(march_incident):
    march_incident.teams.add(TeamFactory())
    january = IncidentFactory(started_at=at("2026-01-10"))
    with marked() as months:
        Incident.teams.through.objects.update(incident=january)
    assert months == {JAN, MAR}


def test_adding_changing_and_removing_a_system_of_an_incident_marks_its_month(march_incident):
    with marked() as months:
        link = IncidentSystemFactory(incident=march_incident)
    assert months == {MAR}
    with marked() as months:
        link.role = IncidentSystem.Role.ORIGIN
        link.save()
    assert months == {MAR}
    with marked() as months:
        link.delete()
    assert months == {MAR}


def test_moving_a_system_link_to_another_incident_marks_both_months(march_incident):
    link = IncidentSystemFactory(incident=march_incident)
    with marked() as months:
        link.incident = IncidentFactory(started_at=at("2026-01-10"))
        link.save()
    assert months == {JAN, MAR}


@pytest.mark.parametrize("factory", SIGNAL_FACTORIES)
def test_recording_editing_and_deleting_a_signal_marks_its_incidents_month(march_incident, factory):
    with marked() as months:
        signal = factory(incident=march_incident)
    assert months == {MAR}
    with marked() as months:
        signal.system = SystemFactory()
        signal.save()
    assert months == {MAR}
    with marked() as months:
        signal.delete()
    assert months == {MAR}


@pytest.mark.parametrize("factory", SIGNAL_FACTORIES)
def test_moving_a_signal_to_an_incident_in_another_month_marks_both_months(march_incident, factory):
    signal = factory(incident=IncidentFactory(started_at=at("2026-01-10")))
    with marked() as months:
        signal.incident = march_incident
        signal.save()
    assert months == {JAN, MAR}


@pytest.mark.parametrize("factory", SIGNAL_FACTORIES)
def test_a_near_misss_signal_marks_the_month_the_near_miss_occurred(db, factory):
    near_miss = NearMissFactory(occurred_at=at("2026-02-10"))
    with marked() as months:
        signal = factory(incident=None, near_miss=near_miss)
    assert months == {FEB}
    with marked() as months:
        signal.near_miss, signal.incident = None, IncidentFactory(started_at=at("2026-03-10"))
        signal.save()
    assert months == {FEB, MAR}


def test_tagging_an_incident_and_its_signals_with_a_theme_marks_their_months(db):
    theme = ThemeFactory()
    incident = IncidentFactory(started_at=at("2026-03-10"))
    surprise = SurpriseFactory(
        incident=None, near_miss=NearMissFactory(occurred_at=at("2026-01-10"))
    )
    difficulty = DifficultyFactory(incident=IncidentFactory(started_at=at("2026-02-10")))
    for link, record, month in (
        (theme.incidents, incident, MAR),
        (theme.surprises, surprise, JAN),
        (theme.difficulties, difficulty, FEB),
    ):
        with marked() as months:
            link.add(record)
        assert months == {month}
        with marked() as months:
            link.remove(record)
        assert months == {month}


def test_deleting_a_theme_marks_the_months_of_what_it_tagged(db):
    theme = ThemeFactory()
    theme.incidents.add(IncidentFactory(started_at=at("2026-03-10")))
    theme.difficulties.add(DifficultyFactory(incident=IncidentFactory(started_at=at("2026-01-10"))))
    with marked() as months:
        theme.delete()
    assert months == {JAN, MAR}


# --- near misses ---------------------------------------------------------------------------------


def test_reporting_and_deleting_a_near_miss_marks_the_month_it_occurred(db):
    with marked() as months:
        near_miss = NearMissFactory(occurred_at=at("2026-02-10"))
    assert months == {FEB}
    with marked() as months:
        near_miss.delete()
    assert months == {FEB}


def test_moving_a_near_miss_across_a_month_boundary_marks_both_months(db):
    near_miss = NearMissFactory(occurred_at=at("2026-01-31", 23))
    with marked() as months:
        near_miss.occurred_at = at("2026-02-01", 1)
        near_miss.save()
    assert months == {JAN, FEB}


def test_a_near_misss_potential_severity_marks_its_month_and_its_title_nothing(db):
    near_miss = NearMissFactory(occurred_at=at("2026-02-10"), potential_severity=Severity.SEV2)
    with marked() as months:
        near_miss.title = "Renamed"
        near_miss.save()
    assert months == set()
    with marked() as months:
        near_miss.potential_severity = Severity.SEV1
        near_miss.save()
    assert months == {FEB}


def test_linking_and_unlinking_a_near_misss_system_marks_its_month(db):
    near_miss = NearMissFactory(occurred_at=at("2026-02-10"))
    system = SystemFactory()
    with marked() as months:
        near_miss.systems.add(system)
    assert months == {FEB}
    with marked() as months:
        near_miss.systems.clear()
    assert months == {FEB}
    assert NearMiss.systems.through.objects.count() == 0


# --- the catalog and deployments -----------------------------------------------------------------


def test_changing_a_systems_owner_marks_every_month(db):
    system = SystemFactory()
    with marked() as months:
        system.owner_team = TeamFactory(name="New owners")
        system.save()
    assert months == {EVERY_MONTH}


def test_deleting_the_owning_team_marks_every_month(db):
    system = SystemFactory()
    with marked() as months:
        system.owner_team.delete()  # SET_NULL: the system loses its owner
    assert months == {EVERY_MONTH}


def test_editing_a_system_otherwise_marks_nothing(db):
    system = SystemFactory()
    with marked() as months:
        system.description = "Rewritten"
        system.tier = system.Tier.CRITICAL
        system.save()
    assert months == set()


def test_recording_and_deleting_a_deployment_marks_its_month(db):
    with marked() as months:
        deployment = DeploymentFactory(deployed_at=at("2026-01-10"))
    assert months == {JAN}
    with marked() as months:
        deployment.delete()
    assert months == {JAN}


def test_deleting_a_deployment_that_caused_an_incident_marks_both_months(db):
    deployment = DeploymentFactory(deployed_at=at("2026-01-10"))
    IncidentFactory(started_at=at("2026-03-10"), caused_by=deployment)
    with marked() as months:
        deployment.delete()  # SET_NULL on the incident
    assert months == {JAN, MAR}


def test_moving_a_deployment_across_a_month_boundary_marks_both_months(db):
    deployment = DeploymentFactory(deployed_at=at("2026-01-31", 23, 59))
    with marked() as months:
        deployment.deployed_at = at("2026-02-01", 0, 1)
        deployment.save()
    assert months == {JAN, FEB}


@pytest.mark.parametrize(
    ("field", "new_value"), [("environment", lambda: "staging"), ("system", SystemFactory)]
)
def test_changing_where_a_deployment_went_marks_its_month(db, field, new_value):
    deployment = DeploymentFactory(deployed_at=at("2026-01-10"))
    with marked() as months:
        setattr(deployment, field, new_value())
        deployment.save()
    assert months == {JAN}


def test_editing_a_deployments_ref_or_outcome_marks_nothing(db):
    deployment = DeploymentFactory(deployed_at=at("2026-01-10"))
    with marked() as months:
        deployment.ref = "v2"
        deployment.outcome = Deployment.Outcome.FAILURE
        deployment.save()
    assert months == set()


# --- reviews and the learning survey -------------------------------------------------------------


def test_a_reviews_creation_status_and_deletion_mark_its_incidents_month(march_incident):
    with marked() as months:
        review = ReviewFactory(incident=march_incident)
    assert months == {MAR}
    with marked() as months:
        review.narrative = "What happened"
        review.version += 1
        review.save()
    assert months == set()
    with marked() as months:
        review.status = Review.Status.PUBLISHED
        review.save()
    assert months == {MAR}
    with marked() as months:
        # The time to publish's rank bucket (duration_ranks) reads the publication time.
        review.published_at = at("2026-04-02")
        review.save()
    assert months == {MAR}
    with marked() as months:
        review.delete()
    assert months == {MAR}


def test_moving_a_review_to_another_incident_marks_both_months(march_incident):
    review = ReviewFactory(incident=march_incident)
    with marked() as months:
        review.incident = IncidentFactory(started_at=at("2026-01-10"))
        review.save()
    assert months == {JAN, MAR}


def test_a_survey_answer_marks_its_incidents_month_when_what_is_counted_changes(march_incident):
    review = ReviewFactory(incident=march_incident, status=Review.Status.PUBLISHED)
    with marked() as months:
        response = SurveyResponseFactory(review=review)
    assert months == {MAR}
    with marked() as months:
        response.still_unclear = "The retry budget"
        response.would_attend_again = False
        response.save()
    assert months == set()
    with marked() as months:
        response.learned_something = False
        response.save()
    assert months == {MAR}
    with marked() as months:
        response.delete()
    assert months == {MAR}


def test_moving_a_survey_answer_to_another_review_marks_both_months(march_incident):
    response = SurveyResponseFactory(
        review=ReviewFactory(incident=march_incident, status=Review.Status.PUBLISHED)
    )
    other = ReviewFactory(incident=IncidentFactory(started_at=at("2026-01-10")))
    with marked() as months:
        response.review = other
        response.save()
    assert months == {JAN, MAR}


# --- the migration -------------------------------------------------------------------------------


def _installed() -> dict[str, set[str]]:
    """table -> the rollup triggers on it, as the database lists them."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE NOT t.tgisinternal AND t.tgname LIKE %s",
                ["rollup_dirty%"],
            )
        else:
            cursor.execute(
                "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
                ["rollup_dirty%"],
            )
        installed: dict[str, set[str]] = {}
        for table, name in cursor.fetchall():
            installed.setdefault(table, set()).add(name)
        return installed


def _functions() -> set[str]:
    if connection.vendor != "postgresql":
        return set()
    with connection.cursor() as cursor:
        cursor.execute("SELECT proname FROM pg_proc WHERE proname LIKE %s", ["rollup_dirty%"])
        return {name for (name,) in cursor.fetchall()}


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    ContentType.objects.clear_cache()
    return MigrationExecutor(connection)


def test_every_watched_table_has_its_triggers_after_migrating(db):
    # Also what would catch a later migration that rebuilt a table without them (SQLite
    # remakes a table to alter it, dropping its triggers).
    assert _installed() == triggers.installed_names()


# serialized_rollback: the flush after a transactional test would also drop the groups and
# permissions that data migrations created, which the tests after it rely on.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_removes_and_installs_the_triggers():
    executor = _migrate([("dashboards", "0001_rollup_tables")])
    assert _installed() == {}
    assert _functions() == set()
    with marked() as months:
        IncidentFactory(started_at=at("2026-03-10"))
    assert months == set()

    executor = _migrate([("dashboards", None)])
    assert _installed() == {}
    executor = _migrate(executor.loader.graph.leaf_nodes())
    assert _installed() == triggers.installed_names()
    with marked() as months:
        IncidentFactory(started_at=at("2026-01-10"))
    assert months == {JAN}


# --- follow-ups ----------------------------------------------------------------------------------


def test_a_follow_up_marks_its_incidents_month_when_what_is_counted_changes(march_incident):
    review = ReviewFactory(incident=march_incident)
    with marked() as months:
        item = ActionItemFactory(review=review, due_date=date(2026, 4, 1))
    assert months == {MAR}
    with marked() as months:
        item.title = "Add a retry budget"
        item.save()
    assert months == set()
    for field, value in (
        ("status", ActionItem.Status.DONE),
        ("due_date", date(2026, 5, 1)),
        ("owner_team", None),
    ):
        with marked() as months:
            setattr(item, field, value)
            item.save()
        assert months == {MAR}, field
    with marked() as months:
        item.delete()
    assert months == {MAR}


def test_moving_a_follow_up_to_another_review_marks_both_months(march_incident):
    item = ActionItemFactory(review=ReviewFactory(incident=march_incident))
    other = ReviewFactory(incident=IncidentFactory(started_at=at("2026-01-10")))
    with marked() as months:
        ActionItem.objects.filter(pk=item.pk).update(review=other)
    assert months == {JAN, MAR}


def test_deleting_a_follow_ups_owner_team_marks_its_incidents_month(march_incident):
    team = TeamFactory()
    ActionItemFactory(review=ReviewFactory(incident=march_incident), owner_team=team)
    with marked() as months:
        team.delete()
    assert MAR in months
