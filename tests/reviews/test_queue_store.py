"""The review queue's stored cues (reviews.WaitingIncident, issue #12): once the months writes
marked are refreshed the queue reads them, in the queue's order, from one index; while a month
is marked it computes them from the records. Either way the queue equals the one computed
from the records alone (`live_only()`), for every viewer and filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboards.rollups.refresh import refresh
from incidents.days import utc_midnight
from incidents.derived import any_marked, live_only
from incidents.models import Incident, Severity
from reviews import queue_store
from reviews.models import Review, WaitingIncident
from reviews.selectors import QueueFilters, needs_review
from reviews.services import review_start
from tests.factories import (
    FacilitatorFactory,
    IncidentFactory,
    ResponderFactory,
    ReviewFactory,
    SystemFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _on(month: int, day: int = 10) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


def _queue(user, **filters) -> list[tuple]:
    entries = needs_review(user=user, filters=QueueFilters(**filters))
    return [(entry.incident.reference, entry.cues, entry.overdue) for entry in entries]


def _reads_the_store(user, **filters) -> bool:
    with CaptureQueriesContext(connection) as queries:
        _queue(user, **filters)
    return any("reviews_waiting_incident" in query["sql"] for query in queries)


def _assert_exact(user, **filters) -> None:
    stored = _queue(user, **filters)
    with live_only():
        assert stored == _queue(user, **filters)


@pytest.fixture
def organisation(db):
    core, edge, data = (TeamFactory(slug=slug) for slug in ("core", "edge", "data"))
    owned = SystemFactory(slug="payments", owner_team=core)
    unowned = SystemFactory(slug="legacy", owner_team=None)
    edge_system = SystemFactory(slug="search", owner_team=edge)
    insider = ResponderFactory(username="insider")
    shapes = [
        {"teams": [core, edge], "severity": Severity.SEV1},
        {"teams": [edge], "systems": [owned], "severity": Severity.SEV3},
        {"systems": [unowned], "severity": Severity.SEV4},
        {"teams": [data], "systems": [edge_system, owned], "severity": Severity.SEV2},
        {"severity": Severity.SEV4},
        {"teams": [core, data], "is_private": True, "severity": Severity.SEV2},
        {"teams": [edge, data], "is_private": True, "severity": Severity.SEV3},
    ]
    incidents = []
    for month in (2, 4, 6):
        for day, shape in enumerate(shapes, start=1):
            incident = IncidentFactory(
                started_at=_on(month, day),
                resolved_at=_on(month, day) + timedelta(hours=3),
                **shape,
            )
            incidents.append(incident)
    incidents[5].responders.add(insider)
    ReviewFactory(incident=incidents[0], status=Review.Status.IN_PROGRESS)
    ReviewFactory(incident=incidents[8], status=Review.Status.NOT_STARTED)
    refresh()
    assert not any_marked()
    return {
        "incidents": incidents,
        "insider": insider,
        "teams": (core, edge, data),
        "systems": (owned, unowned, edge_system),
    }


VIEWERS = ["superuser", "insider", "outsider"]
FILTERS = [
    {},
    {"team": "core"},
    {"team": "edge"},
    {"system": "payments"},
    {"severity": Severity.SEV2},
    {"cue": "first_collaboration"},
    {"cue": "unowned_system"},
    {"cue": "teams"},
    {"overdue": True},
    {"team": "data", "cue": "teams", "overdue": True},
]


def _viewer(organisation, name):
    if name == "insider":
        return organisation["insider"]
    return UserFactory(username=name, is_superuser=name == "superuser")


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: "-".join(map(str, f.values())) or "none")
@pytest.mark.parametrize("viewer", VIEWERS)
def test_after_a_refresh_the_queue_reads_its_stored_cues_and_equals_the_records(
    organisation, viewer, filters
):
    user = _viewer(organisation, viewer)
    assert _reads_the_store(user, **filters)
    _assert_exact(user, **filters)


def test_the_queue_shows_what_is_stored(organisation):
    """Proof the page reads the store: a damaged row moves its incident to the top."""
    root = UserFactory(is_superuser=True)
    last = _queue(root)[-1][0]
    WaitingIncident.objects.filter(incident__reference=last).update(cue_count=9)
    assert _queue(root)[0][0] == last
    with live_only():
        assert _queue(root)[-1][0] == last


def test_while_a_month_is_marked_the_queue_is_computed_from_the_records(organisation):
    root = UserFactory(is_superuser=True)
    # Damaged rows in April, no longer read once a write marks April; the refresh of April
    # replaces them.
    WaitingIncident.objects.filter(started_at__month=4).update(cue_count=9)
    IncidentFactory(started_at=_on(4, 25), teams=list(organisation["teams"][:2]))
    assert any_marked()
    assert not _reads_the_store(root)
    _assert_exact(root)
    refresh()
    assert _reads_the_store(root)
    _assert_exact(root)


def test_an_earlier_incident_takes_the_first_collaboration_from_a_later_one(organisation):
    """A write in one month changes a cue in another: the refresh of the marked month also
    brings every row's first-collaboration cue up to date."""
    root = UserFactory(is_superuser=True)
    ops, web = TeamFactory(slug="ops"), TeamFactory(slug="web")
    later = IncidentFactory(started_at=_on(6, 20), teams=[ops, web])
    refresh()
    assert WaitingIncident.objects.get(pk=later.pk).first_collaboration
    earlier = IncidentFactory(started_at=_on(1, 5), teams=[ops, web])
    refresh()
    assert not WaitingIncident.objects.get(pk=later.pk).first_collaboration
    assert WaitingIncident.objects.get(pk=earlier.pk).first_collaboration
    assert _reads_the_store(root)
    _assert_exact(root, cue="first_collaboration")
    _assert_exact(root)


def test_a_systems_new_owner_updates_the_cues_of_every_month(organisation):
    root = UserFactory(is_superuser=True)
    owned, unowned, _ = organisation["systems"]
    unowned.owner_team = organisation["teams"][2]
    unowned.save()
    owned.owner_team = None
    owned.save()
    refresh()
    assert _reads_the_store(root)
    for filters in ({}, {"cue": "unowned_system"}, {"team": "data"}, {"cue": "teams"}):
        _assert_exact(root, **filters)


def test_starting_a_review_takes_the_incident_out_of_the_stored_queue(organisation):
    root = UserFactory(is_superuser=True)
    incident = organisation["incidents"][3]
    assert WaitingIncident.objects.filter(pk=incident.pk).exists()
    review_start(incident=incident, facilitator=FacilitatorFactory())
    refresh()
    assert not WaitingIncident.objects.filter(pk=incident.pk).exists()
    assert incident.reference not in [reference for reference, *_ in _queue(root)]
    _assert_exact(root)


def test_editing_an_incident_moves_it_in_the_stored_queue(organisation):
    root = UserFactory(is_superuser=True)
    incident = organisation["incidents"][4]
    incident.severity = Severity.SEV1
    incident.started_at = _on(7)
    incident.resolved_at = None
    incident.save()
    incident.teams.add(*organisation["teams"][:2])
    refresh()
    assert _reads_the_store(root)
    _assert_exact(root)
    _assert_exact(root, overdue=True)


def test_an_incident_deleted_by_any_path_leaves_the_stored_queue(organisation):
    root = UserFactory(is_superuser=True)
    gone = organisation["incidents"][2]
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {Incident.systems.through._meta.db_table} WHERE incident_id = %s",
            [gone.pk],
        )
        cursor.execute(f"DELETE FROM {Incident._meta.db_table} WHERE id = %s", [gone.pk])
    assert not _reads_the_store(root)
    refresh()
    assert not WaitingIncident.objects.filter(pk=gone.pk).exists()
    _assert_exact(root)


def test_rollups_check_compares_the_stored_cues_with_the_records(organisation):
    call_command("rollups", "--check")
    incident = organisation["incidents"][1]
    WaitingIncident.objects.filter(pk=incident.pk).update(team_count=7)
    with pytest.raises(CommandError, match="differences"):
        call_command("rollups", "--check")


def test_a_refresh_meets_an_incident_moved_into_its_months_after_it_read_its_marks(organisation):
    """A write that commits between the refresh's DELETE of a month's rows and its INSERT
    (here: the incident moved, then only the new month recomputed) finds the row of the
    incident's old month still there: the refresh replaces it rather than failing on the
    primary key. The write's own marks keep the queue live until the next refresh."""
    moved = organisation["incidents"][1]  # started in February, waiting
    Incident.objects.filter(pk=moved.pk).update(started_at=_on(6, 25))
    queue_store.compute(utc_midnight(_on(6, 1).date()), utc_midnight(_on(7, 1).date()))
    assert WaitingIncident.objects.get(pk=moved.pk).started_at == _on(6, 25)
    refresh()
    _assert_exact(UserFactory(is_superuser=True))
