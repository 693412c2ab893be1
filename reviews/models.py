"""Post-incident reviews: the review document, its participants, follow-ups and learning survey."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone
from simple_history.models import HistoricalRecords

from incidents.days import utc_today
from incidents.formatting import person_name
from incidents.models import Incident, Team, visible_incident_q


class ReviewQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Reviews of the incidents the user may see."""
        return self.filter(visible_incident_q(user, "incident"))

    def published(self):
        return self.filter(status=Review.Status.PUBLISHED)

    def under_way(self):
        """Scheduled or in progress: started, not yet published."""
        return self.filter(status__in=(Review.Status.SCHEDULED, Review.Status.IN_PROGRESS))

    def shown_as(self, status: str, now=None):
        """Those whose status as pages show it (`Review.shown_status`) is `status`."""
        return self.filter(shown_status_q(status, now))

    def meeting_passed(self, now=None):
        return self.filter(meeting_passed_q(now))

    def with_meeting_passed(self, now=None):
        """`overdue`: the meeting has passed (`Review.meeting_passed`), computed by the
        database, as the review queue flags it."""
        return self.annotate(
            overdue=models.ExpressionWrapper(
                meeting_passed_q(now), output_field=models.BooleanField()
            )
        )

    def with_open_follow_ups(self):
        """`open_follow_ups`: how many of each review's follow-ups are open. A subquery, not a
        join and GROUP BY, so the recently published, ordered and cut to a few, count only
        their own follow-ups rather than every review's first."""
        open_items = (
            ActionItem.objects.open()
            .filter(review=models.OuterRef("pk"))
            .order_by()
            .values("review")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        return self.annotate(open_follow_ups=Coalesce(models.Subquery(open_items), 0))

    def survey_open_to(self, user):
        """Published reviews whose learning survey this user may answer: they facilitated it
        or are listed as a participant. Visibility is the caller's (`visible_to`)."""
        if not user.is_authenticated:
            return self.none()
        taking_part = Participant.objects.filter(review=models.OuterRef("pk"), user=user)
        return self.published().filter(
            models.Q(facilitator=user) | models.Q(models.Exists(taking_part))
        )

    def survey_waiting_for(self, user):
        """Of `survey_open_to(user)`, those the user has not answered yet."""
        answered = SurveyResponse.objects.filter(review=models.OuterRef("pk"), respondent=user)
        return self.survey_open_to(user).exclude(models.Exists(answered))


class Review(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        SCHEDULED = "scheduled", "Scheduled"
        IN_PROGRESS = "in_progress", "In progress"
        PUBLISHED = "published", "Published"

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="review")
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="facilitated_reviews",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    narrative = models.TextField(blank=True, help_text="The story of the incident, in Markdown.")
    mitigators = models.TextField("mitigators / what went well", blank=True)
    contributors = models.TextField("contributors and enablers", blank=True)
    risks = models.TextField(blank=True)
    still_unclear = models.TextField(blank=True)
    data_reviewed = models.TextField(
        blank=True, help_text="Dashboards, logs, chat channels and documents looked at."
    )
    # Raised on every save of a section; a save that carries an older version is a conflict.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReviewQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-incident__started_at"]
        indexes = [
            models.Index(fields=["status", "published_at"]),
            # The review queue's blocks of reviews under way (`reviews_under_way`), in their
            # order (ascending puts NULLs last on PostgreSQL), with what their counts and
            # conditions read.
            models.Index(
                fields=["scheduled_for", "id"],
                include=["status", "facilitator"],
                condition=models.Q(status__in=("scheduled", "in_progress")),
                name="review_under_way_order",
            ),
        ]

    def __str__(self) -> str:
        return f"Review of {self.incident.reference}"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def meeting_passed(self) -> bool:
        return self.scheduled_for is not None and self.scheduled_for < timezone.now()

    @property
    def shown_status(self) -> str:
        """The status as pages show it. A scheduled review whose meeting has passed is no
        longer "scheduled": the work goes on after the meeting, so it shows as in progress
        (the stored status moves on with the next edit of the schedule or the publication)."""
        if self.status == self.Status.SCHEDULED and self.meeting_passed:
            return self.Status.IN_PROGRESS
        return self.status

    def get_shown_status_display(self) -> str:
        return self.Status(self.shown_status).label


def meeting_passed_q(now=None) -> models.Q:
    """`Review.meeting_passed` as a condition: a meeting date set, and past."""
    return models.Q(scheduled_for__isnull=False, scheduled_for__lt=now or timezone.now())


def shown_status_q(status: str, now=None) -> models.Q:
    """`Review.shown_status` as a condition: a scheduled review whose meeting has passed shows
    as in progress."""
    now = now or timezone.now()
    scheduled = models.Q(status=Review.Status.SCHEDULED)
    if status == Review.Status.SCHEDULED:
        return scheduled & ~meeting_passed_q(now)
    if status == Review.Status.IN_PROGRESS:
        return models.Q(status=Review.Status.IN_PROGRESS) | (scheduled & meeting_passed_q(now))
    return models.Q(status=status)


def waiting_for_review_q(prefix: str = "") -> models.Q:
    """Incidents waiting for a review: none yet, or one nobody has started. The one definition
    that home's count and the review queue share. `prefix` leads to the incident."""
    return models.Q(**{f"{prefix}review__isnull": True}) | models.Q(
        **{f"{prefix}review__status": Review.Status.NOT_STARTED}
    )


def follow_up_open_q(prefix: str = "") -> models.Q:
    """Open follow-ups, as a condition: usable in filters and in `Count(filter=...)`.
    `prefix` leads to the follow-up from another model (e.g. "action_items__")."""
    return models.Q(**{f"{prefix}status__in": ActionItem.OPEN_STATUSES})


def follow_up_overdue_q(today=None, prefix: str = "") -> models.Q:
    today = today or utc_today()
    return follow_up_open_q(prefix) & models.Q(**{f"{prefix}due_date__lt": today})


class ActionItemQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Follow-ups of the incidents the user may see."""
        return self.filter(visible_incident_q(user, "review__incident"))

    def open(self):
        return self.filter(follow_up_open_q())

    def overdue(self, today=None):
        return self.filter(follow_up_overdue_q(today))

    def unowned(self):
        return self.filter(owner_team__isnull=True)


class ActionItem(models.Model):
    """A follow-up agreed after the review, with an owner team and a due date."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        WONT_DO = "wont_do", "Won't do"

    class Kind(models.TextChoices):
        DETECTIVE = "detective", "Detective"
        PREVENTIVE = "preventive", "Preventive"
        CORRECTIVE = "corrective", "Corrective"
        LEARNING = "learning", "Learning"

    OPEN_STATUSES = (Status.OPEN, Status.IN_PROGRESS)

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="action_items")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_items",
        help_text="Leave empty only if nobody owns it yet: an unowned follow-up is a gap.",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_items",
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CORRECTIVE)
    external_url = models.URLField(blank=True, help_text="The ticket in your tracker.")
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ActionItemQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "follow-up"
        verbose_name_plural = "follow-ups"
        ordering = ["due_date", "pk"]
        indexes = [
            models.Index(fields=["status", "due_date"]),
            models.Index(fields=["completed_at"]),
            # The follow-up list opens on the unfinished ones in this order (overdue ones too):
            # the database reads the page from here, not every open follow-up sorted.
            models.Index(
                fields=["due_date", "id"],
                condition=models.Q(status__in=("open", "in_progress")),
                name="follow_up_open_due",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        # completed_at follows the status so "time to done" is always computable.
        if self.status == self.Status.DONE and self.completed_at is None:
            self.completed_at = timezone.now()
        elif self.status != self.Status.DONE:
            self.completed_at = None
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_date is not None and self.due_date < utc_today()


class Participant(models.Model):
    """Someone who took part in the incident or the review, and whether they were interviewed."""

    class Role(models.TextChoices):
        INCIDENT_LEAD = "incident_lead", "Incident lead"
        RESPONDER = "responder", "Responder"
        OWNER = "owner", "Owner of an affected system"
        STAKEHOLDER = "stakeholder", "Stakeholder"
        OBSERVER = "observer", "Observer"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="review_participations",
    )
    name = models.CharField(max_length=200, blank=True, help_text="For people without an account.")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.RESPONDER)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="review_participations"
    )
    interviewed_at = models.DateTimeField(null=True, blank=True)
    interview_notes = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(user__isnull=True, name=""),
                name="participant_has_user_or_name",
                violation_error_message="Choose a user or type a name.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_role_display()})"

    @property
    def display_name(self) -> str:
        """The typed name, else the account's full name, else its username."""
        return self.name or person_name(self.user)

    @property
    def was_interviewed(self) -> bool:
        return self.interviewed_at is not None


class SurveyResponse(models.Model):
    """The short learning survey sent to participants after a review is published."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="survey_responses")
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_responses"
    )
    learned_something = models.BooleanField("Did you learn something that will change your work?")
    would_attend_again = models.BooleanField("Would you come to another review?")
    still_unclear = models.TextField("What is still unclear?", blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "respondent"], name="one_survey_response_per_person"
            ),
        ]
        indexes = [models.Index(fields=["submitted_at"])]

    def __str__(self) -> str:
        return f"Survey for {self.review.incident.reference} by {self.respondent}"


class WaitingIncidentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Those of the incidents the user may see."""
        return self.filter(visible_incident_q(user, "incident"))


class WaitingIncident(models.Model):
    """An incident waiting for a review (`waiting_for_review_q`) with the cues the review
    queue sorts and filters on, stored so that a page of the queue reads an index rather than
    computing the cues of every incident waiting (reviews/queue_store.py).

    Derived from the records and kept exact as the dashboards' rollups are: every write that
    can change a row marks its incident's month (`incidents.DirtyMonth`), the queue computes
    its cues live while any month is marked, and the refresh after the write recomputes the
    marked months' rows. The fields are named as the live computation's annotations
    (`reviews.selectors.with_cue_inputs`), so the same conditions read either.
    """

    # No database constraint: the rows are recomputed by month, and an incident deleted by
    # any path (raw SQL included) only marks its month, whose rows the next refresh replaces.
    incident = models.OneToOneField(
        Incident,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    team_count = models.PositiveSmallIntegerField()
    first_collaboration = models.BooleanField()
    touches_unowned_system = models.BooleanField()
    cue_count = models.PositiveSmallIntegerField()
    # The incident's, as of the last computation: what the queue sorts and filters on.
    severity = models.CharField(max_length=8)
    started_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True)

    objects = WaitingIncidentQuerySet.as_manager()

    class Meta:
        db_table = "reviews_waiting_incident"
        indexes = [
            # The queue's order (`needs_review`): a page is the first rows of this index.
            models.Index(
                models.F("cue_count").desc(),
                "severity",
                models.F("started_at").desc(),
                models.F("incident").desc(),
                name="waiting_incident_queue_order",
            ),
            # A refresh replaces the rows of the marked months.
            models.Index(fields=["started_at"], name="waiting_incident_started"),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} waiting ({self.cue_count} cues)"
