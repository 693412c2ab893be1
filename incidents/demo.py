"""The demo organisation: a believable company, generated deterministically with the factories.

Dates are laid out backwards from a fixed anchor (so fixtures/demo.json is reproducible
byte for byte) and shifted to "now" by `manage.py load_demo`, so dashboards are never empty.

The data is built to tell stories a reviewer can act on:
- checkout-api surprised people a lot a year ago; follow-ups landed and it calms down;
- search-indexer gets worse in the last two quarters (more incidents, more difficulties);
- four systems have no owner, and incidents touching them come with ownership gaps;
- near-miss reporting grows over time as the culture improves.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

from incidents.models import (
    Difficulty,
    IncidentSystem,
    NearMiss,
    OwnershipGap,
    Severity,
    System,
    TimelineEntry,
)
from reviews.models import ActionItem, Participant, Review

ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)
SEED = 20260101
DAYS = 548  # about 18 months
INCIDENT_COUNT = 150
NEAR_MISS_COUNT = 70

TEAMS = [
    ("Payments", "#payments-oncall"),
    ("Checkout", "#checkout"),
    ("Identity", "identity@example.com"),
    ("Platform", "#platform-sre"),
    ("Data", "#data-eng"),
    ("Search", "#search"),
    ("Mobile", "#mobile"),
    ("Customer Support", "support-leads@example.com"),
]

# name, owner team (None: nobody owns it), tier, relative incident weight, trend
# trend > 0: incidents become more frequent towards the anchor; < 0: less frequent.
SYSTEMS = [
    ("checkout-api", "Checkout", 1, 6.0, -1.2),
    ("cart-service", "Checkout", 2, 2.0, 0.0),
    ("payment-gateway", "Payments", 1, 4.0, 0.0),
    ("ledger", "Payments", 1, 1.5, 0.0),
    ("fraud-scoring", "Payments", 2, 1.5, 0.0),
    ("auth-service", "Identity", 1, 3.0, 0.0),
    ("session-store", "Identity", 2, 1.5, 0.0),
    ("sso-bridge", None, 2, 1.5, 0.3),
    ("kubernetes-platform", "Platform", 1, 3.0, 0.0),
    ("dns", "Platform", 1, 1.0, 0.0),
    ("cdn-edge", "Platform", 1, 1.5, 0.0),
    ("ci-pipeline", "Platform", 3, 1.5, 0.0),
    ("secrets-vault", "Platform", 1, 0.8, 0.0),
    ("legacy-cron", None, 3, 2.0, 0.0),
    ("event-bus", "Data", 1, 2.0, 0.0),
    ("warehouse-etl", "Data", 3, 1.5, 0.0),
    ("feature-flags", None, 2, 1.5, 0.5),
    ("search-indexer", "Search", 2, 2.5, 2.2),
    ("search-api", "Search", 2, 1.5, 1.0),
    ("mobile-bff", "Mobile", 2, 2.0, 0.0),
    ("push-notifications", "Mobile", 3, 1.0, 0.0),
    ("image-resizer", None, 4, 1.0, 0.0),
    ("email-sender", "Customer Support", 3, 1.0, 0.0),
    ("support-portal", "Customer Support", 3, 0.8, 0.0),
    ("status-page", "Platform", 2, 0.5, 0.0),
]

PEOPLE = [
    ("admin", "Ada", "Admin"),
    ("facilitator", "Farah", "Okafor"),
    ("responder", "Ravi", "Patel"),
    ("reader", "Rosa", "Lindqvist"),
    ("mchen", "Mei", "Chen"),
    ("jdoe", "Jordan", "Doe"),
    ("aalvarez", "Ana", "Alvarez"),
    ("bnakamura", "Ben", "Nakamura"),
    ("ckowalski", "Celina", "Kowalski"),
    ("dobi", "Daniel", "Obi"),
    ("eschmidt", "Eva", "Schmidt"),
    ("fmartin", "Felix", "Martin"),
    ("gsingh", "Gita", "Singh"),
    ("hkim", "Hana", "Kim"),
]
FACILITATOR_USERNAMES = ["facilitator", "mchen", "eschmidt"]
RESPONDER_USERNAMES = [
    "responder",
    "jdoe",
    "aalvarez",
    "bnakamura",
    "ckowalski",
    "dobi",
    "fmartin",
    "gsingh",
    "hkim",
]

THEMES = [
    ("Config change", "A configuration change, not a code deploy, set things off."),
    ("Expired certificate", "Something trivial that expires, and nobody owned the renewal."),
    ("Retry storm", "Clients retried and multiplied the load."),
    ("Alert fatigue", "The alert fired but was ignored or lost among others."),
    ("Dashboard misread", "A dashboard said something other than what was happening."),
    ("Capacity", "Resources ran out: connections, disk, memory, quotas."),
    ("Third-party dependency", "A vendor or upstream service misbehaved."),
    ("Runbook gap", "The runbook was missing, out of date or wrong."),
    ("Cache behaviour", "Caches hid or amplified the problem."),
    ("Data migration", "A schema or data migration behaved unexpectedly."),
    ("Feature flag", "A flag flip or a stale flag."),
    ("Hand-off", "Work crossed teams and context was lost."),
]

INCIDENT_TITLES = [
    "Elevated 5xx on {system}",
    "{system} latency above SLO",
    "{system} unavailable for some customers",
    "Queue backlog growing in {system}",
    "Partial outage of {system} after deploy",
    "{system} returning stale data",
    "Certificate expiry broke calls to {system}",
    "Connection pool exhaustion in {system}",
    "{system} crash-looping after config change",
    "Disk full on {system} nodes",
    "Retry storm against {system}",
    "Wrong results served by {system}",
]

EXPECTED_OBSERVED = [
    (
        "The failover would take over within seconds",
        "Failover waited for a health check that never ran",
    ),
    ("The alert would page the owning team", "The alert went to a channel nobody watches"),
    ("A config change only affects new pods", "Running pods reloaded the config live"),
    ("Retries are capped at three", "Each layer retried three times: 27 calls per request"),
    ("The dashboard shows all regions", "The dashboard silently showed only eu-west"),
    (
        "Rolling back the deploy fixes it",
        "The bad data had already been written; rollback changed nothing",
    ),
    (
        "The cache absorbs a backend outage",
        "Cache entries expired together and the backend got the full load",
    ),
    ("The certificate renews automatically", "Auto-renewal had been disabled during a migration"),
    ("The flag was off everywhere", "The flag was on for 5% of traffic since a test last year"),
    ("The queue drains after the fix", "The consumer had a poison message and never caught up"),
]

DIFFICULTY_TEXT = {
    Difficulty.Category.OBSERVABILITY_GAP: "No metric showed the queue depth per consumer.",
    Difficulty.Category.MISLEADING_SIGNAL: "Error rate looked flat because failed requests were retried and succeeded.",
    Difficulty.Category.UNFAMILIAR_SYSTEM: "Nobody on call had worked on this service before.",
    Difficulty.Category.MISSING_DOCUMENTATION: "The runbook described the old deployment layout.",
    Difficulty.Category.TOOLING: "The log search timed out on the time window we needed.",
    Difficulty.Category.COORDINATION: "Two teams worked on the same hypothesis without knowing it.",
    Difficulty.Category.OTHER: "It took a while to agree on what 'healthy' meant here.",
}

NEAR_MISS_TITLES = [
    ("Almost deleted the production bucket", Severity.SEV1),
    ("Migration would have locked the orders table", Severity.SEV1),
    ("Certificate 2 days from expiry found by chance", Severity.SEV2),
    ("Deploy to wrong cluster stopped by a guard", Severity.SEV2),
    ("Disk at 94% on the primary database", Severity.SEV2),
    ("Feature flag about to be enabled for all users", Severity.SEV3),
    ("Backup job silently failing for a week", Severity.SEV2),
    ("Rate limit misconfigured in staging, caught before prod", Severity.SEV3),
    ("DNS TTL change almost cut off the API", Severity.SEV2),
    ("Secrets rotation would have broken the payment flow", Severity.SEV1),
]

FOLLOW_UPS = [
    ("Add an alert on queue depth per consumer", ActionItem.Kind.DETECTIVE),
    ("Cap retries at the edge only", ActionItem.Kind.PREVENTIVE),
    ("Write a runbook for failover", ActionItem.Kind.LEARNING),
    ("Automate certificate renewal checks", ActionItem.Kind.PREVENTIVE),
    ("Fix the regional filter on the dashboard", ActionItem.Kind.CORRECTIVE),
    ("Game day on the cache stampede", ActionItem.Kind.LEARNING),
    ("Find an owner for the system", ActionItem.Kind.CORRECTIVE),
    ("Add a guard against deploying to the wrong cluster", ActionItem.Kind.PREVENTIVE),
    ("Remove stale feature flags", ActionItem.Kind.CORRECTIVE),
    ("Share the incident story at the engineering all-hands", ActionItem.Kind.LEARNING),
]


def _lognormal_minutes(rng: random.Random, median: float, sigma: float) -> timedelta:
    return timedelta(minutes=max(1.0, rng.lognormvariate(math.log(median), sigma)))


def _weighted_system(rng: random.Random, systems: list[System], fraction_of_period: float):
    """Pick a system; trends shift weight towards the recent or the distant past."""
    weights = []
    for _system, (_, _, _, weight, trend) in zip(systems, SYSTEMS, strict=True):
        weights.append(weight * math.exp(trend * (fraction_of_period - 0.5)))
    return rng.choices(systems, weights=weights)[0]


def generate(*, seed: int = SEED) -> None:
    """Fill an empty database with the demo organisation."""
    import factory.random

    from tests import factories as f

    rng = random.Random(seed)
    factory.random.reseed_random(seed)

    teams = {
        name: f.TeamFactory(name=name, slug=name.lower().replace(" ", "-"), contact=contact)
        for name, contact in TEAMS
    }
    systems = [
        f.SystemFactory(
            name=name,
            slug=name,
            owner_team=teams[owner] if owner else None,
            tier=tier,
            description=f"The {name.replace('-', ' ')}.",
        )
        for name, owner, tier, _, _ in SYSTEMS
    ]
    users = {}
    for username, first, last in PEOPLE:
        user = f.UserFactory(username=username, first_name=first, last_name=last)
        user.password = "!demo-unusable"  # load_demo sets real passwords for the role accounts
        user.is_staff = username in {"admin", "facilitator", "responder"}
        user.is_superuser = username == "admin"
        user.save()
        users[username] = user
    from django.contrib.auth.models import Group

    facilitators = Group.objects.get(name="Facilitators")
    responders = Group.objects.get(name="Responders")
    for username in FACILITATOR_USERNAMES:
        users[username].groups.add(facilitators)
    for username in RESPONDER_USERNAMES:
        users[username].groups.add(responders)
    responder_users = [users[name] for name in RESPONDER_USERNAMES]
    facilitator_users = [users[name] for name in FACILITATOR_USERNAMES]
    themes = [f.ThemeFactory(name=name, description=text) for name, text in THEMES]

    start = ANCHOR - timedelta(days=DAYS)
    starts = sorted(
        start + timedelta(seconds=rng.uniform(0, DAYS * 86400 - 86400))
        for _ in range(INCIDENT_COUNT)
    )
    for number, started_at in enumerate(starts, start=1):
        fraction = (started_at - start) / timedelta(days=DAYS)
        _incident(
            rng,
            number,
            started_at,
            fraction,
            systems,
            teams,
            users,
            responder_users,
            facilitator_users,
            themes,
        )

    for _ in range(NEAR_MISS_COUNT):
        # Reporting grows as the culture improves: more near misses towards the anchor.
        fraction = math.sqrt(rng.random())
        occurred_at = start + timedelta(days=DAYS * fraction - rng.uniform(0, 1))
        _near_miss(rng, occurred_at, fraction, systems, responder_users, themes)


def _incident(
    rng,
    number,
    started_at,
    fraction,
    systems,
    teams,
    users,
    responder_users,
    facilitator_users,
    themes,
):
    from tests import factories as f

    origin = _weighted_system(rng, systems, fraction)
    others = rng.sample([s for s in systems if s != origin], k=rng.choice([0, 0, 1, 1, 2, 3]))
    severity = rng.choices(list(Severity), weights=[5, 15, 45, 35])[0]
    detected_at = started_at + _lognormal_minutes(rng, 9, 1.2)
    mitigated_at = detected_at + _lognormal_minutes(rng, 40, 1.0)
    resolved_at = mitigated_at + _lognormal_minutes(rng, 90, 1.1)
    age_days = (ANCHOR - started_at).days
    status = "closed" if age_days > 30 else "resolved"
    if age_days < 3:
        status = rng.choice(["investigating", "mitigated"])
        resolved_at = None if status == "investigating" else resolved_at
        mitigated_at = None if status == "investigating" else mitigated_at
    if status == "mitigated":
        resolved_at = None

    involved_teams = {s.owner_team for s in [origin, *others] if s.owner_team}
    if rng.random() < 0.15:
        involved_teams.add(teams["Customer Support"])
    lead = rng.choice(responder_users)
    incident = f.IncidentFactory(
        title=rng.choice(INCIDENT_TITLES).format(system=origin.name),
        summary=(
            f"{origin.name} misbehaved"
            + (
                f" and {len(others)} other system{'s' if len(others) > 1 else ''} were affected"
                if others
                else ""
            )
            + ". Customers saw errors or slow pages until the change was rolled back."
        ),
        severity=severity,
        status=status,
        started_at=started_at,
        detected_at=detected_at,
        mitigated_at=mitigated_at,
        resolved_at=resolved_at,
        lead=lead,
        customer_impact=rng.choice(
            [
                "",
                "Checkout errors for about 3% of users.",
                "Logins failed for some mobile users.",
                "Search results were out of date.",
            ]
        ),
        is_private=rng.random() < 0.04,
        systems=[(origin, IncidentSystem.Role.ORIGIN)]
        + [
            (s, rng.choice([IncidentSystem.Role.IMPACTED, IncidentSystem.Role.CONTRIBUTING]))
            for s in others
        ],
        teams=sorted(involved_teams, key=lambda t: t.name),
    )
    incident.responders.add(lead, *rng.sample(responder_users, k=rng.randint(0, 2)))
    touched = [origin, *others]

    # Surprises: checkout-api surprised people a lot, less so after its follow-ups landed.
    surprise_rate = 0.7
    if origin.name == "checkout-api":
        surprise_rate = 2.2 if fraction < 0.55 else 0.4
    if origin.name == "search-indexer":
        surprise_rate = 0.6 + 1.6 * fraction
    for _ in range(_poisson(rng, surprise_rate)):
        expected, observed = rng.choice(EXPECTED_OBSERVED)
        surprise = f.SurpriseFactory(
            incident=incident,
            system=rng.choice(touched),
            expected=expected,
            observed=observed,
            noticed_at=detected_at + _lognormal_minutes(rng, 20, 0.8),
            noticed_by=rng.choice(responder_users).get_full_name(),
            notes="",
        )
        if rng.random() < 0.6:
            surprise.themes.add(rng.choice(themes))
    difficulty_rate = 0.6 + (1.5 * fraction if origin.name == "search-indexer" else 0)
    for _ in range(_poisson(rng, difficulty_rate)):
        category = rng.choices(list(Difficulty.Category), weights=[5, 4, 3, 3, 2, 3, 1])[0]
        difficulty = f.DifficultyFactory(
            incident=incident,
            system=rng.choice(touched),
            category=category,
            description=DIFFICULTY_TEXT[category],
            source=rng.choice(list(Difficulty.Source)),
            minutes_lost=rng.choice([None, 5, 10, 15, 30, 45, 90]),
        )
        if rng.random() < 0.5:
            difficulty.themes.add(rng.choice(themes))
    for system in touched:
        if system.owner_team is None:
            f.OwnershipGapFactory(
                incident=incident,
                system=system,
                kind=OwnershipGap.Kind.NO_OWNER,
                description=f"Nobody owns {system.name}; responders searched chat history.",
                minutes_to_find_owner=rng.choice([15, 30, 60, None]),
                resolved=False,
            )
    if rng.random() < 0.12:
        f.OwnershipGapFactory(
            incident=incident,
            system=origin,
            kind=rng.choice(
                [
                    OwnershipGap.Kind.OWNER_UNREACHABLE,
                    OwnershipGap.Kind.OWNER_UNCLEAR,
                    OwnershipGap.Kind.RESPONDERS_NOT_OWNERS,
                ]
            ),
            description="The page went to a team that had handed the service over.",
            minutes_to_find_owner=rng.choice([10, 20, 40]),
            resolved=rng.random() < 0.5,
        )
    incident.themes.add(*rng.sample(themes, k=rng.choice([0, 1, 1, 2])))

    _review(rng, incident, fraction, touched, facilitator_users, responder_users)


def _review(rng, incident, fraction, touched, facilitator_users, responder_users):
    from tests import factories as f

    age_days = (ANCHOR - incident.started_at).days
    # Recent incidents are more often still waiting for, or in, a review.
    needs_review = incident.severity in (Severity.SEV1, Severity.SEV2) or rng.random() < (
        0.6 if age_days <= 40 else 0.35
    )
    if not needs_review:
        return
    if age_days > 60:
        status = rng.choices([Review.Status.PUBLISHED, Review.Status.IN_PROGRESS], [9, 1])[0]
    elif age_days > 30:
        status = rng.choice(
            [Review.Status.PUBLISHED, Review.Status.IN_PROGRESS, Review.Status.SCHEDULED]
        )
    else:
        # Cycle, so the most recent reviews always cover every early state.
        early = [Review.Status.NOT_STARTED, Review.Status.SCHEDULED, Review.Status.IN_PROGRESS]
        status = early[incident.pk % 3]
    resolved = incident.resolved_at or incident.started_at
    published_at = None
    if status == Review.Status.PUBLISHED:
        published_at = resolved + timedelta(days=rng.lognormvariate(math.log(6), 0.6))
        published_at = min(published_at, ANCHOR - timedelta(hours=1))
    scheduled_for = (
        resolved + timedelta(days=rng.randint(2, 6)) if status != "not_started" else None
    )
    review = f.ReviewFactory(
        incident=incident,
        facilitator=rng.choice(facilitator_users) if status != "not_started" else None,
        status=status,
        scheduled_for=scheduled_for,
        published_at=published_at,
        narrative=_narrative(incident) if status in ("published", "in_progress") else "",
        mitigators="The on-call engineer recognised the pattern from a game day."
        if published_at
        else "",
        contributors="A config change rolled out to all regions at once." if published_at else "",
        risks="The same retry pattern exists in two other services." if published_at else "",
        still_unclear="Why the health check passed during the outage." if published_at else "",
        data_reviewed="Service dashboard, deploy log, incident channel." if published_at else "",
    )
    _participants(rng, review, incident, status, published_at)
    moments = [
        (incident.detected_at, TimelineEntry.Kind.DETECTION, "Alert fired; on-call acknowledged."),
        (
            incident.detected_at + timedelta(minutes=7),
            TimelineEntry.Kind.DIAGNOSIS,
            "Spotted the error spike on the service dashboard.",
        ),
        (incident.mitigated_at, TimelineEntry.Kind.REPAIR, "Rolled back the config change."),
        (incident.resolved_at, TimelineEntry.Kind.KEY_MOMENT, "Error rate back to baseline."),
    ]
    for at, kind, text in moments:
        if at is not None and status != Review.Status.NOT_STARTED:
            f.TimelineEntryFactory(
                incident=incident, at=at, kind=kind, text=text, author=rng.choice(responder_users)
            )
    if status in (Review.Status.PUBLISHED, Review.Status.IN_PROGRESS):
        for title, kind in rng.sample(FOLLOW_UPS, k=rng.randint(1, 4)):
            owner = rng.choice(touched).owner_team
            if rng.random() < 0.1:
                owner = None
            due = (published_at or resolved) + timedelta(days=rng.choice([14, 30, 60]))
            done = due < ANCHOR - timedelta(days=rng.randint(-20, 40)) and rng.random() < 0.7
            item = f.ActionItemFactory(
                review=review,
                title=title,
                kind=kind,
                owner_team=owner,
                assignee=rng.choice(responder_users) if owner and rng.random() < 0.7 else None,
                due_date=due.date(),
                status=ActionItem.Status.DONE
                if done
                else rng.choice(
                    [ActionItem.Status.OPEN, ActionItem.Status.OPEN, ActionItem.Status.IN_PROGRESS]
                ),
                external_url=f"https://tracker.example.com/browse/OPS-{rng.randint(100, 999)}",
            )
            if done:
                ActionItem.objects.filter(pk=item.pk).update(
                    completed_at=min(due, ANCHOR) - timedelta(days=rng.randint(0, 10))
                )


def _participants(rng, review, incident, status, published_at):
    from tests import factories as f

    if status == Review.Status.NOT_STARTED:
        return
    people = [incident.lead, *incident.responders.all()]
    teams = list(incident.teams.all()) or [None]
    seen = set()
    for person in people:
        if person is None or person.pk in seen:
            continue
        seen.add(person.pk)
        interviewed = status != Review.Status.SCHEDULED and rng.random() < 0.7
        f.ParticipantFactory(
            review=review,
            user=person,
            role=Participant.Role.INCIDENT_LEAD
            if person == incident.lead
            else Participant.Role.RESPONDER,
            team=rng.choice(teams),
            interviewed_at=(incident.resolved_at or incident.started_at)
            + timedelta(days=rng.randint(1, 3))
            if interviewed
            else None,
            interview_notes="Walked through the first 20 minutes on the timeline."
            if interviewed
            else "",
        )
        if published_at and rng.random() < 0.6:
            # Later reviews teach more: the learning share rises over the period.
            learned = rng.random() < 0.45 + 0.4 * (
                published_at - (ANCHOR - timedelta(days=DAYS))
            ) / timedelta(days=DAYS)
            f.SurveyResponseFactory(
                review=review,
                respondent=person,
                learned_something=learned,
                would_attend_again=rng.random() < 0.85,
                still_unclear=rng.choice(["", "", "How the failover decides a node is unhealthy."]),
                submitted_at=min(published_at + timedelta(days=rng.randint(0, 5)), ANCHOR),
            )
    if rng.random() < 0.3:
        f.ParticipantFactory(
            review=review,
            user=None,
            name="Sam from Customer Support",
            role=Participant.Role.STAKEHOLDER,
            team=None,
        )


def _near_miss(rng, occurred_at, fraction, systems, responder_users, themes):
    from tests import factories as f

    title, severity = rng.choice(NEAR_MISS_TITLES)
    anonymous = rng.random() < 0.3
    near_miss = f.NearMissFactory(
        title=title,
        description="Caught before customers noticed; could have been a long outage.",
        occurred_at=occurred_at,
        detected_at=occurred_at + _lognormal_minutes(rng, 30, 1.0),
        detection_method=rng.choice(
            ["Code review", "Alert", "Manual check", "Canary", "By chance"]
        ),
        detected_by=rng.choice(["On-call engineer", "A new joiner", "Automated guard", "QA"]),
        stopped_by=rng.choices(list(NearMiss.StoppedBy), weights=[4, 4, 3, 2, 1])[0],
        worst_credible_outcome="Hours of checkout downtime and data loss.",
        potential_severity=severity,
        contributing_factors="Time pressure; a confusing CLI flag.",
        narrative="I'm so glad nobody noticed that. Here is what happened, step by step.",
        reported_by=None if anonymous else rng.choice(responder_users),
        systems=[_weighted_system(rng, systems, fraction)],
    )
    if rng.random() < 0.4:
        expected, observed = rng.choice(EXPECTED_OBSERVED)
        f.SurpriseFactory(
            incident=None,
            near_miss=near_miss,
            expected=expected,
            observed=observed,
            noticed_by="",
            notes="",
        )
    if rng.random() < 0.3:
        f.DifficultyFactory(
            incident=None,
            near_miss=near_miss,
            category=Difficulty.Category.MISSING_DOCUMENTATION,
            description=DIFFICULTY_TEXT[Difficulty.Category.MISSING_DOCUMENTATION],
        )


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method: fine for the small means used here.
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _narrative(incident) -> str:
    return (
        f"## What happened\n\n{incident.summary}\n\n"
        "## How we found out\n\nAn alert fired, but the first responder **could not tell** "
        "which of the two clusters was affected.\n\n"
        "## What helped\n\n- A teammate remembered a similar game day\n- The rollback was quick\n"
    )


def settle_record_times() -> None:
    """Give auto-set created/updated times values from the story, not from the generator's clock,
    so the fixture is reproducible and shifts with the other dates."""
    from django.db.models import F, OuterRef, Subquery

    from incidents.models import Incident, Surprise

    Incident.objects.update(created_at=F("started_at"), updated_at=F("started_at"))
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
    from django.contrib.auth import get_user_model

    get_user_model().objects.update(date_joined=ANCHOR - timedelta(days=DAYS + 30))
