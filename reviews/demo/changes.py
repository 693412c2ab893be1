"""The demo's deployments, and the changes behind its incidents.

Drawn after everything else, from a random generator of their own, so adding them left the
rest of the demo as it was (same rows, same primary keys).

- Every system deploys to production at a steady rate by tier, except legacy-cron, which
  records no deployment (the dashboards then fall back to its rate per 30 days, and say so);
  two systems also deploy to staging, which the rates ignore.
- Some incidents name the deployment of their origin system that triggered them; a few were
  triggered by a change whose deployment nobody could name.
- storefront-web (STOREFRONT) moved to continuous delivery: each half-year it deploys five
  times as often as the half-year before, while its incidents grow by half each quarter. So
  its raw incident count rises from one cycle to the next, the top of the systems table by
  count, while its failure rate per change falls: the story DOMAIN.md's "Exposure" is about.
  Its incidents and deployments are placed deterministically along those growth curves (a
  little seeded jitter aside), so the story holds for any quarter after `load_demo` moves the
  data to today.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from incidents.models import Deployment, Incident, IncidentSystem, Severity, System, Team
from reviews.demo.data import ANCHOR, DAYS, STAGING_SYSTEMS, STOREFRONT, UNDEPLOYED_SYSTEMS
from reviews.demo.review import add_review

START = ANCHOR - timedelta(days=DAYS)
QUARTER_DAYS = 365.25 / 4
DEPLOYS_PER_WEEK = {1: 2.0, 2: 1.0, 3: 0.5, 4: 0.25}

# storefront-web: deployments five times as many each half-year (sqrt(5) a quarter), 250 in
# the last quarter; incidents half as many again each quarter, 12 in the last quarter. With
# at least 5 incidents in any quarter of the last three, the count of one quarter exceeds the
# one before by more than rounding can take back.
STOREFRONT_DEPLOY_GROWTH = math.sqrt(5)
STOREFRONT_LAST_QUARTER_DEPLOYS = 250
STOREFRONT_INCIDENT_GROWTH = 1.5
STOREFRONT_LAST_QUARTER_INCIDENTS = 12


def _placed(growth_per_quarter: float, last_quarter: float) -> list[float]:
    """Days after START of events whose rate grows by `growth_per_quarter`, `last_quarter`
    of them in the quarter before ANCHOR: event j where the expected count reaches j + 1/2."""
    rate = math.log(growth_per_quarter) / QUARTER_DAYS
    # Expected events in [0, t]: (a / rate) (e^(rate t) - 1); a fixed by the last quarter's.
    scale = last_quarter / (math.exp(rate * DAYS) * (1 - 1 / growth_per_quarter))
    total = scale * (math.exp(rate * DAYS) - 1)
    return [math.log(1 + (j + 0.5) / scale) / rate for j in range(int(total))]


def _short_sha(rng: random.Random) -> str:
    return f"{rng.getrandbits(48):012x}"


def _jittered(rng: random.Random, day: float, spread: float) -> datetime:
    at = START + timedelta(days=day + rng.uniform(-spread, spread))
    return min(max(at, START), ANCHOR - timedelta(hours=1))


def _steady_deployments(rng: random.Random, systems: list[System]) -> None:
    rows = []
    for system in systems:
        if system.name in UNDEPLOYED_SYSTEMS:
            continue
        environments = ["production"] + (["staging"] if system.name in STAGING_SYSTEMS else [])
        for environment in environments:
            per_day = DEPLOYS_PER_WEEK[system.tier] / 7 if environment == "production" else 1 / 7
            day = rng.expovariate(per_day)
            while day < DAYS:
                rows.append(
                    Deployment(
                        system=system,
                        deployed_at=START + timedelta(days=day),
                        ref=_short_sha(rng),
                        environment=environment,
                        outcome=Deployment.Outcome.ROLLED_BACK
                        if rng.random() < 0.03
                        else Deployment.Outcome.SUCCESS,
                        source=rng.choice([Deployment.Source.GITHUB, Deployment.Source.ARGOCD]),
                    )
                )
                day += rng.expovariate(per_day)
    rows.sort(key=lambda deployment: (deployment.deployed_at, deployment.system.name))
    Deployment.objects.bulk_create(rows)


def _storefront(
    rng: random.Random, teams: dict[str, Team], facilitators, responders
) -> tuple[System, list[Incident]]:
    name, owner, tier = STOREFRONT
    system = System.objects.create(
        name=name,
        slug=name,
        owner_team=teams[owner],
        tier=tier,
        description="The web shop's pages; on continuous delivery since last year.",
    )
    Deployment.objects.bulk_create(
        Deployment(
            system=system,
            deployed_at=_jittered(rng, day, 0.15),
            ref=_short_sha(rng),
            source=Deployment.Source.GITHUB,
        )
        for day in _placed(STOREFRONT_DEPLOY_GROWTH, STOREFRONT_LAST_QUARTER_DEPLOYS)
    )
    incidents = []
    for day in _placed(STOREFRONT_INCIDENT_GROWTH, STOREFRONT_LAST_QUARTER_INCIDENTS):
        started_at = _jittered(rng, day, 0.5)
        detected_at = started_at + timedelta(minutes=rng.randint(3, 40))
        age_days = (ANCHOR - started_at).days
        resolved_at = detected_at + timedelta(minutes=rng.randint(20, 240))
        incident = Incident.objects.create(
            title=rng.choice(
                [
                    "storefront-web serving errors after a release",
                    "Product pages slow on storefront-web",
                    "storefront-web checkout button broken for some browsers",
                ]
            ),
            summary="A storefront-web release misbehaved until it was rolled back or fixed.",
            severity=rng.choices(list(Severity), weights=[2, 10, 50, 38])[0],
            status="closed" if age_days > 30 else "resolved",
            started_at=started_at,
            detected_at=detected_at,
            mitigated_at=resolved_at - timedelta(minutes=10),
            resolved_at=resolved_at,
            lead=rng.choice(responders),
        )
        IncidentSystem.objects.create(
            incident=incident, system=system, role=IncidentSystem.Role.ORIGIN
        )
        incident.teams.add(teams[owner])
        incident.responders.add(incident.lead)
        add_review(rng, incident, [system], facilitators, responders)
        incidents.append(incident)
    return system, incidents


def _causes(rng: random.Random) -> None:
    """Name the deployment behind some incidents: the last production deployment of their
    origin system in the three days before they started."""
    origins = IncidentSystem.objects.filter(role=IncidentSystem.Role.ORIGIN).select_related(
        "incident"
    )
    for role in origins.order_by("incident_id"):
        incident = role.incident
        draw = rng.random()
        storefront = role.system.name == STOREFRONT[0]
        if draw < (0.6 if storefront else 0.3):
            deployment = (
                Deployment.objects.production()
                .filter(
                    system_id=role.system_id,
                    deployed_at__lte=incident.started_at,
                    deployed_at__gte=incident.started_at - timedelta(days=3),
                )
                .order_by("-deployed_at", "-pk")
                .first()
            )
            if deployment is not None:
                incident.caused_by = deployment
                incident.save(update_fields=["caused_by"])
        elif draw < (0.7 if storefront else 0.4):
            incident.triggered_by_change = True
            incident.save(update_fields=["triggered_by_change"])


def add_changes(
    *, seed: int, teams: dict[str, Team], systems: list[System], facilitators, responders
):
    """Deployments for every system, the storefront-web story, and the incidents' causes."""
    rng = random.Random(f"{seed}-changes")
    _steady_deployments(rng, systems)
    _storefront(rng, teams, facilitators, responders)
    _causes(rng)
