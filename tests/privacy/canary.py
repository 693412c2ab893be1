"""Private "canary" incidents: every free-text field carries a unique string, so a page that
shows any of it to someone not involved can be caught by searching the answer for the marker.

Each canary string is `<head> <tail>`, both holding MARKER: a search for the head echoes the
head in the page's search box, and is answered as a leak only when something else holding the
marker (the tail, a truncated row) comes back with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.models import Group
from django.utils import timezone
from knox.models import AuthToken

from incidents.models import Incident, IncidentSystem
from incidents.roles import RESPONDERS
from integrations.models import Delivery, Integration, ReminderSent
from reviews.models import Review
from tests.factories import (
    ActionItemFactory,
    DeploymentFactory,
    DifficultyFactory,
    FacilitatorFactory,
    IncidentFactory,
    NearMissFactory,
    OwnershipGapFactory,
    ParticipantFactory,
    ResponderFactory,
    ReviewFactory,
    SurpriseFactory,
    SurveyResponseFactory,
    SystemFactory,
    TeamFactory,
    ThemeFactory,
    TimelineEntryFactory,
    UserFactory,
)

MARKER = "zqcanary"
_FOUND = re.compile(rf"{MARKER}[ht]-([a-z0-9-]+)")
_HEAD = re.compile(rf"{MARKER}h-[a-z0-9-]+")


def secret(key: str) -> str:
    """The canary string of one field: `zqcanaryh-<key> zqcanaryt-<key>`."""
    return f"{head(key)} {MARKER}t-{key}"


def head(key: str) -> str:
    return f"{MARKER}h-{key}"


@dataclass
class Canary:
    """The canaries, the public records around them, and the people involved in them.

    `objects` lists, per model, the records whose pages are walked: the canaries' own
    (private) first, then public ones beside them (the catalog, the theme, a near miss, a
    public incident and its reviews, which share the canaries' system, team and theme)."""

    incidents: list[Incident]
    objects: dict[type, list] = field(default_factory=dict)
    private: set[tuple[str, object]] = field(default_factory=set)
    ties: dict[int, list] = field(default_factory=dict)  # by outsider's id

    @property
    def references(self) -> list[str]:
        return [incident.reference for incident in self.incidents]

    def of(self, model) -> list:
        return self.objects.get(model, [])

    def add(self, *records, private: bool) -> None:
        for record in records:
            self.objects.setdefault(type(record), []).append(record)
            if private:
                self.private.add((record._meta.label, record.pk))

    def is_private(self, obj) -> bool:
        """A canary incident, or a record hanging off one."""
        return obj is not None and (obj._meta.label, obj.pk) in self.private

    def walk_ties_of(self, user) -> None:
        """Walk also the records that tie `user` to the canaries (`_tie`)."""
        self.add(*self.ties.get(user.pk, []), private=True)

    def search_terms(self, model, fields=None) -> list[str]:
        """What one would type to find the first canary record of `model`: the heads of its
        canary strings, and its incident's reference, found in `fields` (lookups such as
        "incident__title"; every field by default). One record is enough: a search runs the
        same for each."""
        if not self.of(model):
            return []  # a model that holds nothing of an incident (e.g. axes' login records)
        obj, terms = self.of(model)[0], set()
        for name in fields or [model_field.name for model_field in model._meta.concrete_fields]:
            value = obj
            for part in name.split("__"):
                value = getattr(value, part, None)
            terms.update(_HEAD.findall(str(value).lower()))
            if value in self.references:
                terms.add(value)
        return sorted(terms)

    def echoes(self, sent: str) -> list[str]:
        """The canary heads and references a request holds (lower case)."""
        sent = sent.lower()
        return _HEAD.findall(sent) + [ref.lower() for ref in self.references if ref.lower() in sent]

    def found_in(self, text: str) -> list[str]:
        """What of the canaries `text` shows: field keys, or references."""
        lowered = text.lower()
        found = sorted(set(_FOUND.findall(lowered)))
        if MARKER in lowered and not found:
            found = [MARKER]
        return found + [ref for ref in self.references if ref.lower() in lowered]


def _texts(prefix: str, *names: str) -> dict[str, str]:
    return {name: secret(f"{prefix}-{name.replace('_', '')}") for name in names}


def _tie(outsider, number: int, incident, review, other_review) -> list:
    """Ties of an outsider to a private incident that do not make them part of it."""
    key = f"out{number}"
    LogEntry.objects.log_actions(
        user_id=outsider.pk, queryset=[incident], action_flag=CHANGE, change_message="Changed."
    )
    return [
        ActionItemFactory(review=review, assignee=outsider, **_texts(f"{key}-ai", "title")),
        ActionItemFactory(review=other_review, assignee=outsider, **_texts(f"{key}-ai2", "title")),
        ParticipantFactory(review=review, user=outsider, **_texts(f"{key}-par", "interview_notes")),
        SurveyResponseFactory(
            review=review, respondent=outsider, **_texts(f"{key}-sv", "still_unclear")
        ),
        TimelineEntryFactory(incident=incident, author=outsider, **_texts(f"{key}-tl", "text")),
    ]


def build_canary(*, outsiders=()) -> Canary:
    """Three private incidents none of `outsiders` is part of: one with a published review
    and everything that hangs off an incident and a review, one whose review is in progress,
    one waiting for a review; and public records sharing their systems, team and theme, so
    pages that list those have something to show.

    The outsiders keep ties to them that do not make them part of an incident (the lead, its
    responders, its facilitator): a follow-up assigned to them, a seat among the review's
    participants, a survey answer, a timeline entry and an admin log entry from before the
    incident was made private. A page about "my" follow-ups or "my" actions must still not
    show them.
    """
    team = TeamFactory(name="Payments team")
    system = SystemFactory(name="ledger", owner_team=team)
    theme = ThemeFactory(name="Expired certificate", description="Certificates nobody renewed.")
    lead, facilitator = UserFactory(username="canary-lead"), FacilitatorFactory(username="cfac")
    involved = ResponderFactory(username="canary-responder")

    # Public, as every deployment: only the incidents that name it as their cause are private.
    deployment = DeploymentFactory(system=system, ref="a1b2c3d4", external_id="ci-run-7")
    published = IncidentFactory(
        is_private=True,
        lead=lead,
        caused_by=deployment,
        source=Incident.Source.PAGERDUTY,
        external_id=secret("inc-externalid"),
        systems=[(system, IncidentSystem.Role.ORIGIN)],
        teams=[team],
        **_texts("inc", "title", "summary", "customer_impact"),
    )
    published.responders.add(involved)
    timeline = TimelineEntryFactory(
        incident=published,
        author=involved,
        evidence_url=f"https://example.com/{head('tl-url')}",
        **_texts("tl", "text"),
    )
    surprise = SurpriseFactory(
        incident=published,
        system=system,
        **_texts("sur", "expected", "observed", "noticed_by", "notes"),
    )
    difficulty = DifficultyFactory(
        incident=published, system=system, **_texts("dif", "description")
    )
    gap = OwnershipGapFactory(incident=published, system=system, **_texts("gap", "description"))
    review = ReviewFactory(
        incident=published,
        facilitator=facilitator,
        status=Review.Status.IN_PROGRESS,
        **_texts(
            "rev",
            "narrative",
            "mitigators",
            "contributors",
            "risks",
            "still_unclear",
            "data_reviewed",
        ),
    )
    follow_up = ActionItemFactory(
        review=review,
        owner_team=team,
        assignee=involved,
        external_url=f"https://example.com/{head('ai-url')}",
        **_texts("ai", "title", "description"),
    )
    named = ParticipantFactory(review=review, user=None, **_texts("par", "name", "interview_notes"))
    interviewed = ParticipantFactory(
        review=review,
        user=involved,
        interviewed_at=timezone.now(),
        **_texts("par2", "interview_notes"),
    )
    # Edited after creation, so history pages have a change to show.
    review.narrative = secret("rev-narrative2")
    review.save()
    review.status, review.published_at = Review.Status.PUBLISHED, timezone.now()
    review.save()
    answer = SurveyResponseFactory(
        review=review, respondent=involved, **_texts("sv", "still_unclear")
    )
    theme.incidents.add(published)
    theme.surprises.add(surprise)
    theme.difficulties.add(difficulty)

    in_progress = IncidentFactory(
        is_private=True,
        lead=lead,
        systems=[system],
        teams=[team],
        **_texts("inc2", "title", "summary"),
    )
    review_in_progress = ReviewFactory(
        incident=in_progress,
        facilitator=facilitator,
        status=Review.Status.SCHEDULED,
        scheduled_for=timezone.now() + timedelta(days=1),
        **_texts("rev2", "narrative"),
    )
    ActionItemFactory(review=review_in_progress, owner_team=None, **_texts("ai2", "title"))
    waiting = IncidentFactory(
        is_private=True, lead=lead, severity="SEV1", systems=[system], **_texts("inc3", "title")
    )

    # What the people involved did in the admin: its log names the incident.
    LogEntry.objects.log_actions(
        user_id=lead.pk, queryset=[published], action_flag=ADDITION, change_message="Added."
    )
    ties = {
        outsider.pk: _tie(outsider, number, published, review, review_in_progress)
        for number, outsider in enumerate(outsiders)
    }
    # An integration opened the published one: its delivery log names the alert group.
    integration = Integration.objects.create(kind=Integration.Kind.ALERTMANAGER, name="Alerts")
    delivery = Delivery.objects.create(
        integration=integration,
        outcome=Delivery.Outcome.CREATED,
        http_status=201,
        incident=published,
        **_texts("dlv", "event_key", "error"),
    )
    canary = Canary(incidents=[published, in_progress, waiting], ties=ties)
    canary.add(
        published,
        in_progress,
        waiting,
        review,
        review_in_progress,
        timeline,
        surprise,
        difficulty,
        gap,
        follow_up,
        named,
        interviewed,
        answer,
        delivery,
        *published.system_roles.all(),
        private=True,
    )

    # Public records beside them, sharing their system, team and theme: their pages must not
    # name the canaries either. One public review is published, one in progress.
    public = IncidentFactory(title="Checkout errors", systems=[system], teams=[team])
    public_review = ReviewFactory(incident=public, status=Review.Status.PUBLISHED)
    theme.incidents.add(public)
    other = IncidentFactory(title="Slow search", systems=[system])
    canary.add(
        public,
        public_review,
        ActionItemFactory(review=public_review, owner_team=team),
        SurpriseFactory(incident=public, system=system),
        other,
        ReviewFactory(incident=other, facilitator=facilitator, status=Review.Status.IN_PROGRESS),
        theme,
        system,
        team,
        deployment,
        NearMissFactory(title="Almost expired", systems=[system]),
        lead,
        Group.objects.get(name=RESPONDERS),
        AuthToken.objects.create(user=lead)[0],
        integration,
        # A team's reminder record names the team and the day, never an incident.
        ReminderSent.objects.create(
            team=team, day=date(2026, 3, 2), channel=ReminderSent.Channel.EMAIL
        ),
        private=False,
    )
    return canary
