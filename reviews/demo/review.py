"""The demo's reviews: for an incident that needs one, its review, participants and survey
answers, timeline and follow-ups, in a state that fits the incident's age.

Every value comes from the caller's seeded random generator, drawn in a fixed order.
"""

from __future__ import annotations

import math
import random
from datetime import timedelta

from incidents.models import Incident, Severity, TimelineEntry
from reviews.demo.data import ANCHOR, DAYS, FOLLOW_UPS
from reviews.models import ActionItem, Participant, Review, SurveyResponse


def add_review(
    rng: random.Random, incident: Incident, touched, facilitator_users, responder_users
) -> Review | None:
    """The incident's review, or None when it does not need one."""
    age_days = (ANCHOR - incident.started_at).days
    # Recent incidents are more often still waiting for, or in, a review.
    needs_review = incident.severity in (Severity.SEV1, Severity.SEV2) or rng.random() < (
        0.6 if age_days <= 40 else 0.35
    )
    if not needs_review:
        return None
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
    review = Review.objects.create(
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
            TimelineEntry.objects.create(
                incident=incident, at=at, kind=kind, text=text, author=rng.choice(responder_users)
            )
    if status in (Review.Status.PUBLISHED, Review.Status.IN_PROGRESS):
        for title, kind in rng.sample(FOLLOW_UPS, k=rng.randint(1, 4)):
            owner = rng.choice(touched).owner_team
            if rng.random() < 0.1:
                owner = None
            due = (published_at or resolved) + timedelta(days=rng.choice([14, 30, 60]))
            done = due < ANCHOR - timedelta(days=rng.randint(-20, 40)) and rng.random() < 0.7
            item = ActionItem.objects.create(
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
    return review


def _participants(rng, review, incident, status, published_at):
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
        Participant.objects.create(
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
            SurveyResponse.objects.create(
                review=review,
                respondent=person,
                learned_something=learned,
                would_attend_again=rng.random() < 0.85,
                still_unclear=rng.choice(["", "", "How the failover decides a node is unhealthy."]),
                submitted_at=min(published_at + timedelta(days=rng.randint(0, 5)), ANCHOR),
            )
    if rng.random() < 0.3:
        Participant.objects.create(
            review=review,
            user=None,
            name="Sam from Customer Support",
            role=Participant.Role.STAKEHOLDER,
            team=None,
        )


def _narrative(incident) -> str:
    return (
        f"## What happened\n\n{incident.summary}\n\n"
        "## How we found out\n\nAn alert fired, but the first responder **could not tell** "
        "which of the two clusters was affected.\n\n"
        "## What helped\n\n- A teammate remembered a similar game day\n- The rollback was quick\n"
    )
