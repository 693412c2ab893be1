"""Factories for every model, in one place, for the tests (the demo data is built without them)."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from backups.models import BackupRun
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
    Theme,
    TimelineEntry,
)
from incidents.roles import FACILITATORS, RESPONDERS
from incidents.slugs import slug_for
from reviews.models import ActionItem, Participant, Review, SurveyResponse


class BaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True
        skip_postgeneration_save = True


def _role_group(name: str) -> Group:
    # A migration creates the role groups, but a transactional test's flush empties the
    # table for the tests after it in the same process; roles are checked by group name.
    return Group.objects.get_or_create(name=name)[0]


class UserFactory(BaseFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        """UserFactory(roles=["Facilitators"]) puts the user in those groups."""
        if create and extracted:
            self.groups.add(*[_role_group(name) for name in extracted])


class FacilitatorFactory(UserFactory):
    roles = factory.PostGeneration(
        lambda user, create, extracted, **kw: create and user.groups.add(_role_group(FACILITATORS))
    )


class ResponderFactory(UserFactory):
    roles = factory.PostGeneration(
        lambda user, create, extracted, **kw: create and user.groups.add(_role_group(RESPONDERS))
    )


class TeamFactory(BaseFactory):
    class Meta:
        model = Team
        django_get_or_create = ["slug"]
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.LazyAttribute(lambda team: slug_for(team.name))
    contact = factory.LazyAttribute(lambda team: f"#{team.slug}")


class SystemFactory(BaseFactory):
    class Meta:
        model = System
        django_get_or_create = ["slug"]
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"system-{n}")
    slug = factory.LazyAttribute(lambda system: slug_for(system.name))
    description = factory.Faker("sentence")
    owner_team = factory.SubFactory(TeamFactory)
    tier = System.Tier.MEDIUM


class DeploymentFactory(BaseFactory):
    class Meta:
        model = Deployment
        skip_postgeneration_save = True

    system = factory.SubFactory(SystemFactory)
    deployed_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=4))
    ref = factory.Sequence(lambda n: f"{n:040x}")
    environment = "production"
    outcome = Deployment.Outcome.SUCCESS
    source = Deployment.Source.MANUAL
    external_id = ""


class IncidentFactory(BaseFactory):
    class Meta:
        model = Incident
        skip_postgeneration_save = True

    title = factory.Faker("sentence", nb_words=6)
    summary = factory.Faker("paragraph")
    severity = Severity.SEV3
    status = Incident.Status.RESOLVED
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=3))
    detected_at = factory.LazyAttribute(
        lambda incident: incident.started_at + timedelta(minutes=10)
    )
    mitigated_at = factory.LazyAttribute(
        lambda incident: incident.detected_at + timedelta(minutes=30)
    )
    resolved_at = factory.LazyAttribute(lambda incident: incident.mitigated_at + timedelta(hours=1))
    lead = None
    customer_impact = ""

    @factory.post_generation
    def systems(self, create, extracted, **kwargs):
        """IncidentFactory(systems=[system, (system, "origin")])."""
        if not create or not extracted:
            return
        for item in extracted:
            system, role = item if isinstance(item, tuple) else (item, IncidentSystem.Role.IMPACTED)
            IncidentSystem.objects.create(incident=self, system=system, role=role)

    @factory.post_generation
    def teams(self, create, extracted, **kwargs):
        if create and extracted:
            self.teams.add(*extracted)


class IncidentSystemFactory(BaseFactory):
    class Meta:
        model = IncidentSystem
        skip_postgeneration_save = True

    incident = factory.SubFactory(IncidentFactory)
    system = factory.SubFactory(SystemFactory)
    role = IncidentSystem.Role.IMPACTED


class NearMissFactory(BaseFactory):
    class Meta:
        model = NearMiss
        skip_postgeneration_save = True

    title = factory.Faker("sentence", nb_words=5)
    description = factory.Faker("paragraph")
    occurred_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=2))
    detected_at = factory.LazyAttribute(
        lambda near_miss: near_miss.occurred_at + timedelta(minutes=5)
    )
    stopped_by = NearMiss.StoppedBy.SAFEGUARD
    worst_credible_outcome = factory.Faker("sentence")
    potential_severity = Severity.SEV2
    reported_by = None

    @factory.post_generation
    def systems(self, create, extracted, **kwargs):
        if create and extracted:
            self.systems.add(*extracted)


class SurpriseFactory(BaseFactory):
    class Meta:
        model = Surprise
        skip_postgeneration_save = True

    incident = factory.SubFactory(IncidentFactory)
    expected = factory.Faker("sentence")
    observed = factory.Faker("sentence")
    noticed_by = factory.Faker("first_name")


class DifficultyFactory(BaseFactory):
    class Meta:
        model = Difficulty
        skip_postgeneration_save = True

    incident = factory.SubFactory(IncidentFactory)
    category = Difficulty.Category.OBSERVABILITY_GAP
    description = factory.Faker("sentence")
    source = Difficulty.Source.DEBRIEF


class OwnershipGapFactory(BaseFactory):
    class Meta:
        model = OwnershipGap
        skip_postgeneration_save = True

    incident = factory.SubFactory(IncidentFactory)
    kind = OwnershipGap.Kind.OWNER_UNCLEAR
    description = factory.Faker("sentence")


class ReviewFactory(BaseFactory):
    class Meta:
        model = Review
        skip_postgeneration_save = True

    incident = factory.SubFactory(IncidentFactory)
    facilitator = None
    status = Review.Status.NOT_STARTED
    narrative = ""


class TimelineEntryFactory(BaseFactory):
    class Meta:
        model = TimelineEntry
        skip_postgeneration_save = True

    incident = factory.SubFactory(IncidentFactory)
    at = factory.LazyAttribute(lambda entry: entry.incident.started_at + timedelta(minutes=5))
    kind = TimelineEntry.Kind.NOTE
    text = factory.Faker("sentence")


class ActionItemFactory(BaseFactory):
    class Meta:
        model = ActionItem
        skip_postgeneration_save = True

    review = factory.SubFactory(ReviewFactory)
    title = factory.Faker("sentence", nb_words=5)
    owner_team = factory.SubFactory(TeamFactory)
    due_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))
    status = ActionItem.Status.OPEN
    kind = ActionItem.Kind.CORRECTIVE


class ThemeFactory(BaseFactory):
    class Meta:
        model = Theme
        django_get_or_create = ["name"]
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Theme {n}")
    description = factory.Faker("sentence")


class ParticipantFactory(BaseFactory):
    class Meta:
        model = Participant
        skip_postgeneration_save = True

    review = factory.SubFactory(ReviewFactory)
    user = factory.SubFactory(UserFactory)
    role = Participant.Role.RESPONDER


class SurveyResponseFactory(BaseFactory):
    class Meta:
        model = SurveyResponse
        skip_postgeneration_save = True

    review = factory.SubFactory(ReviewFactory, status=Review.Status.PUBLISHED)
    respondent = factory.SubFactory(UserFactory)
    learned_something = True
    would_attend_again = True


class BackupRunFactory(BaseFactory):
    class Meta:
        model = BackupRun
        skip_postgeneration_save = True

    taken_at = factory.LazyFunction(timezone.now)
    path = factory.Sequence(lambda n: f"/srv/backups/incidents-{n}.jsonl.gz")
    size = 60_000
    sha256 = "0" * 64
    format_version = 1
    row_counts = factory.LazyFunction(lambda: {"incidents_incident": 3})
