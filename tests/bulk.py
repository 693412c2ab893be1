"""Many rows in a few inserts, for the query-count tests: a list page must cost the same number
of queries for a handful of rows as for a thousand.

`bulk_history(count)` adds `count` incidents in the shapes the lists and the review queue care
about (several teams, owned and unowned systems, signals, reviews in every state, follow-ups
open and overdue, near misses, deployments that caused incidents, private incidents), with
`bulk_create`: one insert per row, as the factories do, would take minutes at the sizes that
matter. Ten incidents already hold every shape, so every filter the tests use keeps some rows;
calling it again adds more of the same.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import (
    Deployment,
    Difficulty,
    Incident,
    IncidentSystem,
    NearMiss,
    OwnershipGap,
    Severity,
    Surprise,
    System,
    Team,
)
from reviews.models import ActionItem, Review

SEVERITIES = [Severity.SEV1, Severity.SEV2, Severity.SEV3, Severity.SEV4]
REVIEWED = [Review.Status.IN_PROGRESS, Review.Status.SCHEDULED, Review.Status.PUBLISHED]
_serial = count(1)


def queries_to_get(client, url: str) -> int:
    """How many queries a GET of `url` costs. It must answer 200 and, on a list, list something:
    an empty page skips the queries that read its rows, and would compare with nothing."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    page = (response.context or {}).get("page")
    if page is not None:
        assert page.paginator.count, f"{url} lists nothing"
    if isinstance(getattr(response, "data", None), dict) and "count" in response.data:
        assert response.data["count"], f"{url} lists nothing"
    return len(queries.captured_queries)


def _catalog() -> tuple[list[Team], list[System]]:
    """Four teams (slugs bulk-team-0..3) and six systems (bulk-system-0..5), 0 and 3 unowned."""
    teams = [Team.objects.get_or_create(name=f"Bulk team {i}")[0] for i in range(4)]
    systems = [
        System.objects.get_or_create(
            name=f"bulk-system-{i}", defaults={"owner_team": teams[i % 4] if i % 3 else None}
        )[0]
        for i in range(6)
    ]
    return teams, systems


def _review_status(i: int) -> str | None:
    """One incident in three has no review, one a review nobody started (both wait for one in
    the queue), one a review under way or published."""
    if i % 3 == 2:
        return None
    if i % 3 == 1:
        return Review.Status.NOT_STARTED
    return REVIEWED[(i // 3) % 3]


def bulk_history(count: int) -> list[Incident]:
    """`count` more incidents, with their systems, teams, signals, reviews, follow-ups, a near
    miss and a deployment each."""
    teams, systems = _catalog()
    now = timezone.now()
    serials = [next(_serial) for _ in range(count)]
    # Spread over three months, so that some were resolved long enough ago to be overdue.
    starts = [
        now - timedelta(days=1 + (i * 7) % 90, minutes=serial) for i, serial in enumerate(serials)
    ]
    deployments = Deployment.objects.bulk_create(
        Deployment(
            system=systems[i % 6], deployed_at=started - timedelta(minutes=30), ref=f"bulk-{serial}"
        )
        for i, (serial, started) in enumerate(zip(serials, starts, strict=True))
    )
    incidents = Incident.objects.bulk_create(
        Incident(
            reference=f"BULK-{serial}",
            title=f"Bulk incident {serial}",
            severity=SEVERITIES[i % 4],
            status=Incident.Status.RESOLVED,
            started_at=started,
            detected_at=started + timedelta(minutes=5),
            resolved_at=started + timedelta(hours=2),
            is_private=i % 10 == 9,
            caused_by=deployments[i] if i % 4 == 0 else None,
            triggered_by_change=i % 4 == 0,
        )
        for i, (serial, started) in enumerate(zip(serials, starts, strict=True))
    )
    listed = Incident.teams.through
    listed.objects.bulk_create(
        listed(incident_id=incident.pk, team_id=teams[(i + step) % 4].pk)
        for i, incident in enumerate(incidents)
        for step in range(1 + i % 3)
    )
    IncidentSystem.objects.bulk_create(
        IncidentSystem(incident=incident, system=systems[(i + step) % 6], role=role)
        for i, incident in enumerate(incidents)
        for step, role in enumerate([IncidentSystem.Role.ORIGIN, IncidentSystem.Role.IMPACTED])
    )
    Surprise.objects.bulk_create(
        Surprise(incident=incident, system=systems[i % 6], expected="up", observed="down")
        for i, incident in enumerate(incidents)
    )
    Difficulty.objects.bulk_create(
        Difficulty(
            incident=incident,
            category=Difficulty.Category.OBSERVABILITY_GAP,
            description="No dashboard",
        )
        for incident in incidents
    )
    OwnershipGap.objects.bulk_create(
        OwnershipGap(incident=incident, system=systems[i % 6], kind=OwnershipGap.Kind.OWNER_UNCLEAR)
        for i, incident in enumerate(incidents)
    )
    statuses = [_review_status(i) for i in range(count)]
    reviews = Review.objects.bulk_create(
        Review(
            incident=incident,
            status=status,
            scheduled_for=now + timedelta(days=2) if status == Review.Status.SCHEDULED else None,
            published_at=now - timedelta(hours=1) if status == Review.Status.PUBLISHED else None,
        )
        for incident, status in zip(incidents, statuses, strict=True)
        if status is not None
    )
    # Follow-ups on the reviews under way or published, owned by each team in turn.
    reviewed = [review for review in reviews if review.status != Review.Status.NOT_STARTED]
    ActionItem.objects.bulk_create(
        ActionItem(
            review=review,
            title=f"Follow-up {n} of review {review.pk}",
            owner_team=teams[i % 4] if n else None,
            due_date=(now + timedelta(days=7 - 10 * n)).date(),  # the second one overdue
        )
        for i, review in enumerate(reviewed)
        for n in range(2)
    )
    near_misses = NearMiss.objects.bulk_create(
        NearMiss(
            title=f"Bulk near miss {incident.pk}",
            description="Caught in time",
            occurred_at=incident.started_at + timedelta(hours=1),
            potential_severity=incident.severity,
        )
        for incident in incidents
    )
    NearMiss.systems.through.objects.bulk_create(
        NearMiss.systems.through(nearmiss_id=near_miss.pk, system_id=systems[i % 6].pk)
        for i, near_miss in enumerate(near_misses)
    )
    Surprise.objects.bulk_create(
        Surprise(near_miss=near_miss, expected="quiet", observed="alarm")
        for near_miss in near_misses
    )
    return incidents
