"""The demo's incident record: incidents with their systems, teams, responders and signals
(surprises, difficulties, ownership gaps), and near misses.

Every value comes from the caller's seeded random generator, drawn in a fixed order, so the
same seed writes the same rows with the same primary keys.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from incidents.models import (
    Difficulty,
    Incident,
    IncidentSystem,
    NearMiss,
    OwnershipGap,
    Severity,
    Surprise,
    System,
)
from reviews.demo.data import (
    ANCHOR,
    DIFFICULTY_TEXT,
    EXPECTED_OBSERVED,
    INCIDENT_TITLES,
    NEAR_MISS_TITLES,
    SYSTEMS,
)


def _lognormal_minutes(rng: random.Random, median: float, sigma: float) -> timedelta:
    return timedelta(minutes=max(1.0, rng.lognormvariate(math.log(median), sigma)))


def _weighted_system(rng: random.Random, systems: list[System], fraction_of_period: float):
    """Pick a system; trends shift weight towards the recent or the distant past."""
    weights = []
    for _system, (_, _, _, weight, trend) in zip(systems, SYSTEMS, strict=True):
        weights.append(weight * math.exp(trend * (fraction_of_period - 0.5)))
    return rng.choices(systems, weights=weights)[0]


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method: fine for the small means used here.
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def add_incident(
    rng: random.Random,
    started_at: datetime,
    fraction: float,
    systems,
    teams,
    responder_users,
    themes,
) -> tuple[Incident, list[System]]:
    """One incident and its signals; returns it with the systems it touched (origin first)."""
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
    incident = Incident.objects.create(
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
    )
    roles = [(origin, IncidentSystem.Role.ORIGIN)] + [
        (s, rng.choice([IncidentSystem.Role.IMPACTED, IncidentSystem.Role.CONTRIBUTING]))
        for s in others
    ]
    for system, role in roles:
        IncidentSystem.objects.create(incident=incident, system=system, role=role)
    incident.teams.add(*sorted(involved_teams, key=lambda t: t.name))
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
        surprise = Surprise.objects.create(
            incident=incident,
            system=rng.choice(touched),
            expected=expected,
            observed=observed,
            noticed_at=detected_at + _lognormal_minutes(rng, 20, 0.8),
            noticed_by=rng.choice(responder_users).get_full_name(),
            notes="",
        )
        if rng.random() < 0.6:
            surprise.themes.add(_theme_at(rng.choice(themes), themes, fraction))
    difficulty_rate = 0.6 + (1.5 * fraction if origin.name == "search-indexer" else 0)
    for _ in range(_poisson(rng, difficulty_rate)):
        category = rng.choices(list(Difficulty.Category), weights=[5, 4, 3, 3, 2, 3, 1])[0]
        difficulty = Difficulty.objects.create(
            incident=incident,
            system=rng.choice(touched),
            category=category,
            description=DIFFICULTY_TEXT[category],
            source=rng.choice(list(Difficulty.Source)),
            minutes_lost=rng.choice([None, 5, 10, 15, 30, 45, 90]),
        )
        if rng.random() < 0.5:
            difficulty.themes.add(_theme_at(rng.choice(themes), themes, fraction))
    for system in touched:
        if system.owner_team is None:
            OwnershipGap.objects.create(
                incident=incident,
                system=system,
                kind=OwnershipGap.Kind.NO_OWNER,
                description=f"Nobody owns {system.name}; responders searched chat history.",
                minutes_to_find_owner=rng.choice([15, 30, 60, None]),
                resolved=False,
            )
    if rng.random() < 0.12:
        OwnershipGap.objects.create(
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
    chosen = rng.sample(themes, k=rng.choice([0, 1, 1, 2]))
    incident.themes.add(*{_theme_at(theme, themes, fraction) for theme in chosen})
    return incident, touched


# The first few themes of the codebook are chronic: they come back in every cycle, so the
# themes page has recurring themes to show. Each of the others is a passing concern, seen in a
# stretch of a quarter and a half somewhere on the timeline (`fraction`, 0 to 1), so "recurring"
# has something to separate. Outside its stretch a drawn theme gives way to a chronic one; the
# draw itself is unchanged, so every other record of the demo stays as it was.
CHRONIC_THEMES = 4
PASSING_THEME_SPAN = 0.25


def _theme_at(theme, themes, fraction: float):
    index = themes.index(theme)
    if index < CHRONIC_THEMES:
        return theme
    passing = len(themes) - CHRONIC_THEMES
    start = (index - CHRONIC_THEMES) / passing * (1 - PASSING_THEME_SPAN)
    if start <= fraction < start + PASSING_THEME_SPAN:
        return theme
    return themes[index % CHRONIC_THEMES]


def add_near_miss(
    rng: random.Random, occurred_at: datetime, fraction: float, systems, responder_users
) -> NearMiss:
    title, severity = rng.choice(NEAR_MISS_TITLES)
    anonymous = rng.random() < 0.3
    near_miss = NearMiss.objects.create(
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
    )
    near_miss.systems.add(_weighted_system(rng, systems, fraction))
    if rng.random() < 0.4:
        expected, observed = rng.choice(EXPECTED_OBSERVED)
        Surprise.objects.create(
            incident=None,
            near_miss=near_miss,
            expected=expected,
            observed=observed,
            noticed_by="",
            notes="",
        )
    if rng.random() < 0.3:
        Difficulty.objects.create(
            incident=None,
            near_miss=near_miss,
            category=Difficulty.Category.MISSING_DOCUMENTATION,
            description=DIFFICULTY_TEXT[Difficulty.Category.MISSING_DOCUMENTATION],
        )
    return near_miss
