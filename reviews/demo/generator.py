"""Generate the demo organisation into an empty database, with the ORM, deterministically.

Dates are laid out backwards from a fixed anchor (so fixtures/demo.json is reproducible
byte for byte) and shifted to "now" by `manage.py load_demo`, so dashboards are never empty.
One seeded random generator draws every value in a fixed order, and rows are created in a
fixed order, so primary keys are reproducible too.
"""

from __future__ import annotations

import math
import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import F, OuterRef, Subquery

from incidents.models import (
    Deployment,
    Difficulty,
    Incident,
    NearMiss,
    OwnershipGap,
    Surprise,
    System,
    Team,
    Theme,
    TimelineEntry,
)
from incidents.roles import FACILITATORS, RESPONDERS
from reviews.demo.changes import add_changes
from reviews.demo.data import (
    ANCHOR,
    DAYS,
    FACILITATOR_USERNAMES,
    INCIDENT_COUNT,
    NEAR_MISS_COUNT,
    PEOPLE,
    RESPONDER_USERNAMES,
    SEED,
    SYSTEMS,
    TEAMS,
    THEMES,
)
from reviews.demo.record import add_incident, add_near_miss
from reviews.demo.review import add_review
from reviews.models import ActionItem, Review


def generate(*, seed: int = SEED) -> None:
    """Fill an empty database with the demo organisation."""
    rng = random.Random(seed)

    teams = {
        name: Team.objects.create(name=name, slug=name.lower().replace(" ", "-"), contact=contact)
        for name, contact in TEAMS
    }
    systems = [
        System.objects.create(
            name=name,
            slug=name,
            owner_team=teams[owner] if owner else None,
            tier=tier,
            description=f"The {name.replace('-', ' ')}.",
        )
        for name, owner, tier, _, _ in SYSTEMS
    ]
    users = {
        username: get_user_model().objects.create(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@example.com",
            password="!demo-unusable",  # load_demo sets real passwords for the role accounts
            is_staff=username in {"admin", "facilitator", "responder"},
            is_superuser=username == "admin",
        )
        for username, first, last in PEOPLE
    }
    facilitators = Group.objects.get(name=FACILITATORS)
    responders = Group.objects.get(name=RESPONDERS)
    for username in FACILITATOR_USERNAMES:
        users[username].groups.add(facilitators)
    for username in RESPONDER_USERNAMES:
        users[username].groups.add(responders)
    responder_users = [users[name] for name in RESPONDER_USERNAMES]
    facilitator_users = [users[name] for name in FACILITATOR_USERNAMES]
    themes = [Theme.objects.create(name=name, description=text) for name, text in THEMES]

    start = ANCHOR - timedelta(days=DAYS)
    starts = sorted(
        start + timedelta(seconds=rng.uniform(0, DAYS * 86400 - 86400))
        for _ in range(INCIDENT_COUNT)
    )
    for started_at in starts:
        fraction = (started_at - start) / timedelta(days=DAYS)
        incident, touched = add_incident(
            rng, started_at, fraction, systems, teams, responder_users, themes
        )
        add_review(rng, incident, touched, facilitator_users, responder_users)

    for _ in range(NEAR_MISS_COUNT):
        # Reporting grows as the culture improves: more near misses towards the anchor.
        fraction = math.sqrt(rng.random())
        occurred_at = start + timedelta(days=DAYS * fraction - rng.uniform(0, 1))
        add_near_miss(rng, occurred_at, fraction, systems, responder_users)

    # Last, from a generator of its own: everything above stays as it was before them.
    add_changes(
        seed=seed,
        teams=teams,
        systems=systems,
        facilitators=facilitator_users,
        responders=responder_users,
    )


def settle_record_times() -> None:
    """Give auto-set created/updated times values from the story, not from the generator's clock,
    so the fixture is reproducible and shifts with the other dates."""
    Incident.objects.update(created_at=F("started_at"), updated_at=F("started_at"))
    Deployment.objects.update(created_at=F("deployed_at"))
    NearMiss.objects.update(created_at=F("occurred_at"), updated_at=F("occurred_at"))
    for model in (Surprise, Difficulty, OwnershipGap):
        incident_start = Incident.objects.filter(pk=OuterRef("incident_id")).values("started_at")
        near_miss_time = NearMiss.objects.filter(pk=OuterRef("near_miss_id")).values("occurred_at")
        model.objects.filter(incident__isnull=False).update(
            created_at=Subquery(incident_start), updated_at=Subquery(incident_start)
        )
        model.objects.filter(near_miss__isnull=False).update(
            created_at=Subquery(near_miss_time), updated_at=Subquery(near_miss_time)
        )
    Review.objects.update(created_at=ANCHOR, updated_at=ANCHOR)
    TimelineEntry.objects.update(created_at=ANCHOR)
    ActionItem.objects.update(created_at=ANCHOR, updated_at=ANCHOR)
    get_user_model().objects.update(date_joined=ANCHOR - timedelta(days=DAYS + 30))
