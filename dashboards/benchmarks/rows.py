"""The benchmark's rows: one batch of incidents with everything attached to them.

Each row is a tuple of explicit columns (what the dashboards read), with explicit primary
keys, so the writer can COPY them; `generator` adds the other NOT NULL columns. One seeded
random generator draws every value, so a seed and a size always give the same data.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from incidents.models import (
    Deployment,
    Difficulty,
    Incident,
    IncidentSystem,
    NearMiss,
    OwnershipGap,
    Surprise,
    Theme,
    TimelineEntry,
)
from reviews.models import ActionItem, Review, SurveyResponse

# Every name the benchmark writes starts with it: the refusal to touch other data relies on it.
PREFIX = "bench-"
DAYS = 3 * 365  # incidents spread over three years, ending today
# Production deployments per incident (issue 14 asks for the dashboards at 10 per incident),
# and the share of incidents that name the deployment that caused them.
DEPLOYMENTS_PER_INCIDENT = 10
CAUSED_BY_A_DEPLOYMENT = 0.25

SEVERITIES = ["SEV1", "SEV2", "SEV3", "SEV4"]
CATEGORIES = [choice for choice, _ in Difficulty.Category.choices]
GAP_KINDS = [choice for choice, _ in OwnershipGap.Kind.choices]
ROLES = ["origin", "impacted", "contributing"]

M2M = {
    "incident_teams": Incident.teams.through,
    "near_miss_systems": NearMiss.systems.through,
    "theme_incidents": Theme.incidents.through,
    "theme_surprises": Theme.surprises.through,
    "theme_difficulties": Theme.difficulties.through,
}


def batch_rows(
    rng: random.Random,
    batch: range,
    ids: dict[str, int],
    first: datetime,
    system_ids,
    weights,
    team_ids,
    theme_ids,
    people,
    changes: random.Random,
) -> list:
    """(model, columns, rows) for the incidents numbered `batch`, and as many near misses.

    `ids` holds the last primary key used per table; the rows advance it. Deployments, and
    which incidents they caused, are drawn from `changes`, a generator of their own, so the
    rest of the data is what it was before deployments were benchmarked."""
    incidents, incident_systems, incident_teams = [], [], []
    surprises, difficulties, gaps, timeline = [], [], [], []
    reviews, actions, surveys = [], [], []
    near_misses, near_miss_systems = [], []
    theme_incidents, theme_surprises, theme_difficulties = [], [], []
    deployments, causes = [], []
    created = datetime.now(UTC)
    for pk in batch:
        started = first + timedelta(seconds=rng.uniform(0, DAYS * 86400))
        detected = started + timedelta(minutes=rng.lognormvariate(2.2, 1.2))
        mitigated = detected + timedelta(minutes=rng.lognormvariate(3.7, 1.0))
        resolved = mitigated + timedelta(minutes=rng.lognormvariate(4.5, 1.1))
        incidents.append(
            (
                pk,
                Incident.reference_for(pk),
                f"{PREFIX}incident {pk}",
                rng.choices(SEVERITIES, weights=[5, 15, 45, 35])[0],
                "closed",
                started,
                detected,
                mitigated,
                resolved,
                rng.random() < 0.02,
                created,
                created,
            )
        )
        touched = {rng.choices(system_ids, weights=weights)[0]}
        if rng.random() < 0.5:
            touched.add(rng.choices(system_ids, weights=weights)[0])
        touched = sorted(touched)
        # Its share of deployments, anywhere in the three years, of any system; one of them,
        # now and then, just before it started on its first system, caused it.
        caused_by = None
        for _ in range(DEPLOYMENTS_PER_INCIDENT):
            ids["deployment"] += 1
            deployed = first + timedelta(seconds=changes.uniform(0, DAYS * 86400))
            system = changes.choices(system_ids, weights=weights)[0]
            if caused_by is None and changes.random() < CAUSED_BY_A_DEPLOYMENT:
                caused_by = ids["deployment"]
                deployed = started - timedelta(hours=changes.uniform(0, 48))
                system = touched[0]
            deployments.append((ids["deployment"], system, deployed, created))
        causes.append((caused_by, caused_by is not None))
        for role_index, system in enumerate(touched):
            ids["incident_system"] += 1
            incident_systems.append((ids["incident_system"], pk, system, ROLES[min(role_index, 2)]))
        incident_teams.append((pk, rng.choice(team_ids)))
        if rng.random() < 0.5:
            theme_incidents.append((rng.choice(theme_ids), pk))
        for _ in range(rng.choice((1, 2, 3, 4, 5))):  # about 3 per incident
            ids["surprise"] += 1
            system = rng.choice(touched) if rng.random() < 0.9 else None
            surprises.append((ids["surprise"], pk, None, system, "fast", "slow", created))
            if rng.random() < 0.3:
                theme_surprises.append((rng.choice(theme_ids), ids["surprise"]))
        ids["difficulty"] += 1  # 1 per incident
        difficulties.append(
            (ids["difficulty"], pk, None, rng.choice(touched), rng.choice(CATEGORIES), created)
        )
        if rng.random() < 0.3:
            theme_difficulties.append((rng.choice(theme_ids), ids["difficulty"]))
        if rng.random() < 0.3:  # 0.3 ownership gaps per incident
            ids["gap"] += 1
            gaps.append(
                (
                    ids["gap"],
                    pk,
                    None,
                    rng.choice(touched),
                    rng.choice(GAP_KINDS),
                    rng.random() < 0.4,
                    created,
                )
            )
        ids["timeline"] += 1
        timeline.append((ids["timeline"], pk, detected, "detection", created))
        if rng.random() < 0.5:
            ids["review"] += 1
            published = rng.random() < 0.7
            reviews.append(
                (
                    ids["review"],
                    pk,
                    "published" if published else "in_progress",
                    resolved + timedelta(days=rng.lognormvariate(1.8, 0.6)) if published else None,
                    created,
                )
            )
            ids["action"] += 1
            status = rng.choice(["open", "in_progress", "done", "done"])
            actions.append(
                (
                    ids["action"],
                    ids["review"],
                    None if rng.random() < 0.1 else rng.choice(team_ids),
                    (resolved + timedelta(days=30)).date(),
                    status,
                    resolved + timedelta(days=20) if status == "done" else None,
                    created,
                )
            )
            if published:
                ids["survey"] += 1
                surveys.append(
                    (ids["survey"], ids["review"], rng.choice(people).pk, rng.random() < 0.7)
                )
        # Near misses: about as many as incidents, some with a surprise of their own.
        occurred = first + timedelta(seconds=rng.uniform(0, DAYS * 86400))
        near_misses.append((pk, f"{PREFIX}near miss {pk}", occurred, created))
        near_miss_systems.append((pk, rng.choices(system_ids, weights=weights)[0]))
        if rng.random() < 0.3:
            ids["surprise"] += 1
            surprises.append((ids["surprise"], None, pk, None, "fine", "not", created))
    incidents = [(*row, *cause) for row, cause in zip(incidents, causes, strict=True)]
    return [
        (Deployment, ["id", "system_id", "deployed_at", "created_at"], deployments),
        (
            Incident,
            [
                "id",
                "reference",
                "title",
                "severity",
                "status",
                "started_at",
                "detected_at",
                "mitigated_at",
                "resolved_at",
                "is_private",
                "created_at",
                "updated_at",
                "caused_by_id",
                "triggered_by_change",
            ],
            incidents,
        ),
        (NearMiss, ["id", "title", "occurred_at", "created_at"], near_misses),
        (IncidentSystem, ["id", "incident_id", "system_id", "role"], incident_systems),
        (M2M["incident_teams"], ["incident_id", "team_id"], incident_teams),
        (M2M["near_miss_systems"], ["nearmiss_id", "system_id"], near_miss_systems),
        (
            Surprise,
            [
                "id",
                "incident_id",
                "near_miss_id",
                "system_id",
                "expected",
                "observed",
                "created_at",
            ],
            surprises,
        ),
        (
            Difficulty,
            ["id", "incident_id", "near_miss_id", "system_id", "category", "created_at"],
            difficulties,
        ),
        (
            OwnershipGap,
            [
                "id",
                "incident_id",
                "near_miss_id",
                "system_id",
                "kind",
                "resolved",
                "created_at",
            ],
            gaps,
        ),
        (TimelineEntry, ["id", "incident_id", "at", "kind", "created_at"], timeline),
        (Review, ["id", "incident_id", "status", "published_at", "created_at"], reviews),
        (
            ActionItem,
            [
                "id",
                "review_id",
                "owner_team_id",
                "due_date",
                "status",
                "completed_at",
                "created_at",
            ],
            actions,
        ),
        (
            SurveyResponse,
            ["id", "review_id", "respondent_id", "learned_something"],
            surveys,
        ),
        (M2M["theme_incidents"], ["theme_id", "incident_id"], theme_incidents),
        (M2M["theme_surprises"], ["theme_id", "surprise_id"], theme_surprises),
        (M2M["theme_difficulties"], ["theme_id", "difficulty_id"], theme_difficulties),
    ]
