"""Reads for the review pages: the queue and what one review's pages show.

Aggregates across reviews (counts, rates, trends) live in `dashboards/selectors/`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from incidents.derived import any_marked, reading_derived
from incidents.formatting import person_name
from incidents.models import (
    Difficulty,
    Incident,
    IncidentSystem,
    OwnershipGap,
    Severity,
    Surprise,
    TimelineEntry,
)
from incidents.scopes import incident_scope, involved_team_count, team_involvements
from reviews.models import (
    ActionItem,
    Participant,
    Review,
    SurveyResponse,
    WaitingIncident,
    shown_status_q,
    waiting_for_review_q,
)
from reviews.rules import can_answer_survey

# No review this many days after an incident was resolved: the memory is fading.
REVIEW_DUE_AFTER = timedelta(days=14)
HIGH_SEVERITIES = (Severity.SEV1, Severity.SEV2)


@dataclass
class QueueEntry:
    incident: Incident
    cues: list[str] = field(default_factory=list)  # what the page says, in CUES order
    cue_keys: frozenset[str] = frozenset()
    overdue: bool = False


@dataclass(frozen=True)
class QueueFilters:
    """The queue's filters; None leaves one out. team, system and severity mean what they mean
    on every list (incidents/scopes.py); `cue` keeps incidents showing that cue (a CUES key);
    `overdue` keeps what is late (see `review_queue`)."""

    team: str | None = None
    system: str | None = None
    severity: str | None = None
    cue: str | None = None
    overdue: bool = False


@dataclass
class ReviewQueue:
    needs_review: QueueEntries | list[QueueEntry]
    mine: list[Review]  # under way, facilitated by the user: the first REVIEWS_SHOWN
    scheduled: list[Review]  # the others, the same
    in_progress: list[Review]
    published: list[Review]
    # How many reviews each block of `reviews_under_way` holds (REVIEW_BLOCKS keys).
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REVIEW_BLOCKS, 0))


# DOMAIN.md's signs that an incident is worth a deep review: key -> what the filter calls it.
CUES = {
    "teams": "Several teams involved",
    "first_collaboration": "First collaboration",
    "unowned_system": "Unowned system",
    "high_severity": "High severity (SEV1, SEV2)",
}


# The first incident of each pair of teams ever involved together: each involvement of a team
# (`team_involvements`) paired with the other teams involved in the same incident, and each
# pair's incidents ranked by start, then primary key. Any later incident of the pair had an
# earlier one, so these are exactly the incidents that brought a pair together for the first
# time. Set-based on purpose: written as a correlated "no earlier incident involves both teams"
# EXISTS, the rule runs once per incident waiting (the queue sorts on it) and PostgreSQL
# re-reads each team's incidents on every row: 50 to 90 seconds a page at 10,000 incidents.
_FIRST_OF_EACH_PAIR = """
    WITH involved (incident_id, team_id, started_at) AS ({involvements})
    SELECT incident_id FROM (
        SELECT one.incident_id, ROW_NUMBER() OVER (
            PARTITION BY one.team_id, other.team_id ORDER BY one.started_at, one.incident_id
        ) AS nth
        FROM involved one
        JOIN involved other ON other.incident_id = one.incident_id AND other.team_id > one.team_id
    ) pairs
    WHERE nth = 1
"""


def first_collaboration_ids() -> list[int]:
    """The incidents that brought together a pair of teams (involved as
    `incident_involves_team` says) that no earlier incident involved together, in one query.

    Earlier is by start, then by primary key, so of two incidents starting the same minute
    only the first is a first collaboration. Every incident counts as history, private ones
    too: only the yes/no cue is shown. There is at most one per pair of teams, so the list is
    as long as the catalog allows, whatever the history: the queue's query carries it as it is
    rather than ranking every involvement again for its count, its order and its filter.
    """
    involvements, params = team_involvements().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(_FIRST_OF_EACH_PAIR.format(involvements=involvements), params)
        return [incident_id for (incident_id,) in cursor.fetchall()]


# Each cue as a condition on the fields `with_cue_inputs` annotates (and `WaitingIncident`
# stores under the same names): the page's labels, the filter, the order and "overdue" all
# read these, so they cannot disagree.
_CUE_CONDITIONS = {
    "teams": Q(team_count__gte=2),
    "first_collaboration": Q(first_collaboration=True),
    "unowned_system": Q(touches_unowned_system=True),
    "high_severity": Q(severity__in=HIGH_SEVERITIES),
}


def with_cue_inputs(incidents: QuerySet, *, first_collaborations: list[int]) -> QuerySet:
    """`incidents` with what their cues read, computed by the database: `team_count`,
    `first_collaboration`, `touches_unowned_system`, and how many cues they show
    (`cue_count`). `first_collaborations`: `first_collaboration_ids()`. What
    `WaitingIncident` stores, and what the queue computes live while a month is marked."""
    unowned = IncidentSystem.objects.filter(incident=OuterRef("pk"), system__owner_team=None)
    # An empty IN compiles to a bare 0, which PostgreSQL will not store as a boolean.
    first = (
        ExpressionWrapper(Q(pk__in=first_collaborations), output_field=BooleanField())
        if first_collaborations
        else Value(False)
    )
    incidents = incidents.annotate(
        team_count=involved_team_count(),
        first_collaboration=first,
        touches_unowned_system=Exists(unowned),
    )
    shown = [Case(When(condition, then=1), default=0) for condition in _CUE_CONDITIONS.values()]
    return incidents.annotate(cue_count=sum(shown[1:], start=shown[0]))


def _with_cues(rows: QuerySet, *, due_before: datetime) -> QuerySet:
    """`rows` (incidents `with_cue_inputs`, or `WaitingIncident`s) with their cues
    (`cue_<key>` for each CUES key) and `overdue`: the queue sorts and filters on them, so
    only the page shown is read."""
    flags = {
        f"cue_{key}": ExpressionWrapper(condition, output_field=BooleanField())
        for key, condition in _CUE_CONDITIONS.items()
    }
    # Only an incident worth a deep review can be late for one: a quiet SEV4 that nobody
    # reviews is a choice, not a backlog.
    late = Q(cue_count__gte=1, resolved_at__isnull=False, resolved_at__lte=due_before)
    return rows.annotate(**flags, overdue=ExpressionWrapper(late, output_field=BooleanField()))


def _queue_entry(row, incident: Incident) -> QueueEntry:
    """The entry of a row read with `_with_cues`, about `incident`."""
    says = {
        "teams": f"{row.team_count} teams involved",
        "first_collaboration": "First collaboration",
        "unowned_system": "Unowned system",
        "high_severity": incident.severity,
    }
    cues = {key: says[key] for key in CUES if getattr(row, f"cue_{key}")}
    return QueueEntry(
        incident=incident,
        cues=list(cues.values()),
        cue_keys=frozenset(cues),
        overdue=row.overdue,
    )


class QueueEntries:
    """The incidents waiting for a review, in the queue's order, read a slice at a time:
    `count()` is one query, each slice one query for its rows (a Paginator's page, home's
    first few). Iterating reads them all, for the callers that want them all.

    `rows` are incidents (computed live) or `WaitingIncident`s with their incident (stored).
    """

    def __init__(self, rows: QuerySet, *, stored: bool):
        self._rows = rows
        self._incident = (lambda row: row.incident) if stored else (lambda row: row)

    def _entry(self, row) -> QueueEntry:
        return _queue_entry(row, self._incident(row))

    def count(self) -> int:
        return self._rows.count()

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._entry(row) for row in self._rows[index]]
        return self._entry(self._rows[index])

    def __iter__(self):
        return (self._entry(row) for row in self._rows)


def _waiting_stored(*, user, filters: QueueFilters) -> QuerySet:
    """The stored rows (`WaitingIncident`) the user may see that match `filters`: current
    only while no month is marked (`needs_review`)."""
    rows = WaitingIncident.objects.visible_to(user).select_related("incident")
    if filters.severity:
        rows = rows.filter(severity=filters.severity)
    return rows.filter(incident_scope("incident", team=filters.team, system=filters.system))


def _waiting_live(*, user, filters: QueueFilters) -> QuerySet:
    """The incidents waiting that the user may see and that match `filters`, with their cue
    inputs computed from the records."""
    waiting = (
        Incident.objects.visible_to(user)
        .filter(waiting_for_review_q())
        .filter(incident_scope(team=filters.team, system=filters.system, severity=filters.severity))
    )
    return with_cue_inputs(waiting, first_collaborations=first_collaboration_ids())


def needs_review(*, user, filters: QueueFilters | None = None) -> QueueEntries:
    """Incidents waiting for a review (`waiting_for_review_q`) that the user may see, with their
    cues, most worth a deep review first: the queue's list and home's.

    The order: most cues first, then the more severe, then the newest (the primary key breaks
    ties, so pages never shuffle). Overdue: worth a deep review (a cue) and resolved
    REVIEW_DUE_AFTER ago or more. Cues, order and filters are computed by the database.

    The cues come from `WaitingIncident` when no write has marked a month since it was
    computed (a page is then the first rows of an index, and its count reads the stored rows
    alone): three queries (whether any month is marked, the count, the rows). While a month
    is marked, or under `live_only()`, they are computed from the records, which reads every
    incident waiting: four queries (the first collaborations too).
    """
    filters = filters or QueueFilters()
    stored = reading_derived() and not any_marked()
    if stored:
        rows = _waiting_stored(user=user, filters=filters)
    else:
        rows = _waiting_live(user=user, filters=filters)
    rows = _with_cues(rows, due_before=timezone.now() - REVIEW_DUE_AFTER)
    if filters.cue:
        rows = rows.filter(_CUE_CONDITIONS[filters.cue])
    if filters.overdue:
        rows = rows.filter(overdue=True)
    return QueueEntries(
        rows.order_by("-cue_count", "severity", "-started_at", "-pk"), stored=stored
    )


# The reviews under way, in the queue's blocks: the user's own first, then the others by the
# status shown. Each block shows its first REVIEWS_SHOWN and says how many it holds; the rest
# are a click away (`?block=<key>`, paged).
REVIEW_BLOCKS = {
    "mine": "Reviews you facilitate",
    "scheduled": "Scheduled",
    "in_progress": "In progress",
}
REVIEWS_SHOWN = 10


def _reviews_in_scope(*, user, filters: QueueFilters) -> QuerySet:
    """Reviews of the incidents the user may see that match the queue's team, system and
    severity filters."""
    return Review.objects.visible_to(user).filter(
        incident_scope(
            "incident", team=filters.team, system=filters.system, severity=filters.severity
        )
    )


def _under_way(*, user, filters: QueueFilters) -> tuple[QuerySet, dict[str, Q]]:
    """The reviews under way the queue may show, and the condition of each of its blocks."""
    now = timezone.now()
    reviews = _reviews_in_scope(user=user, filters=filters).under_way()
    if filters.cue:
        reviews = reviews.none()
    if filters.overdue:
        reviews = reviews.meeting_passed(now)
    # Never true without a user: nobody facilitates as the anonymous user.
    mine = Q(facilitator=user) if user.is_authenticated else Q(pk__isnull=True)
    conditions = {
        "mine": mine,
        "scheduled": ~mine & shown_status_q(Review.Status.SCHEDULED, now),
        "in_progress": ~mine & shown_status_q(Review.Status.IN_PROGRESS, now),
    }
    return reviews.with_meeting_passed(now), conditions


def reviews_under_way(*, user, filters: QueueFilters | None = None) -> dict[str, QuerySet]:
    """The queue's blocks of reviews under way (REVIEW_BLOCKS), each a QuerySet in the page's
    order (meeting date, then primary key), filtered and split by the database: read a slice
    or a page of one at a time.

    `mine`: facilitated by the user. The others by the status shown (`Review.shown_status`):
    a meeting that has passed is no longer "scheduled". Each review is `overdue` when its
    meeting has passed; `filters.overdue` keeps only those, and `filters.cue` (about incidents
    not yet reviewed) keeps none.
    """
    reviews, conditions = _under_way(user=user, filters=filters or QueueFilters())
    reviews = (
        reviews.select_related("incident", "facilitator")
        .with_open_follow_ups()
        .order_by(F("scheduled_for").asc(nulls_last=True), "pk")
    )
    return {key: reviews.filter(condition) for key, condition in conditions.items()}


def reviews_under_way_counts(*, user, filters: QueueFilters | None = None) -> dict[str, int]:
    """How many reviews each block of `reviews_under_way` holds, in one query."""
    reviews, conditions = _under_way(user=user, filters=filters or QueueFilters())
    return reviews.aggregate(
        **{key: Count("pk", filter=condition) for key, condition in conditions.items()}
    )


def review_queue(
    *, user, filters: QueueFilters | None = None, published_limit: int = 20
) -> ReviewQueue:
    """What the review queue shows the user, in a fixed number of queries, whatever the
    history.

    Incidents waiting for a review first (`needs_review`, read a page at a time), then the
    reviews under way (`reviews_under_way`): the first REVIEWS_SHOWN of each block, with how
    many each holds; then the recently published (none with `filters.cue` or
    `filters.overdue`).
    """
    filters = filters or QueueFilters()
    blocks = reviews_under_way(user=user, filters=filters)
    counts = reviews_under_way_counts(user=user, filters=filters)
    # Read even when counted empty: the page costs the same queries whatever the data.
    shown = {key: list(blocks[key][:REVIEWS_SHOWN]) for key in REVIEW_BLOCKS}
    published = (
        []
        if filters.cue or filters.overdue
        else list(
            _reviews_in_scope(user=user, filters=filters)
            .published()
            .select_related("incident", "facilitator")
            .with_open_follow_ups()
            .order_by("-published_at")[:published_limit]
        )
    )
    return ReviewQueue(
        needs_review=needs_review(user=user, filters=filters),
        mine=shown["mine"],
        scheduled=shown["scheduled"],
        in_progress=shown["in_progress"],
        published=published,
        counts=counts,
    )


def review_for_workspace(*, review_pk: int, user) -> Review:
    """The review with its incident, or Review.DoesNotExist when the user may not see it."""
    return Review.objects.select_related(
        "incident", "incident__lead", "incident__caused_by__system", "facilitator"
    ).get(pk=review_pk, incident__in=Incident.objects.visible_to(user))


def review_items(*, review: Review) -> dict:
    """Everything the workspace and the report list, each in one query."""
    incident = review.incident
    return {
        "timeline": list(TimelineEntry.objects.filter(incident=incident).select_related("author")),
        "surprises": list(incident.surprises.select_related("system")),
        "difficulties": list(incident.difficulties.select_related("system")),
        "ownership_gaps": list(
            incident.ownership_gaps.select_related("system", "resolved_by_team")
        ),
        "themes": list(incident.themes.all()),
        "participants": list(
            Participant.objects.filter(review=review).select_related("user", "team")
        ),
        "follow_ups": list(
            ActionItem.objects.filter(review=review).select_related("owner_team", "assignee")
        ),
        "systems": list(
            incident.system_roles.select_related("system__owner_team").order_by("system__name")
        ),
        "teams": list(incident.teams.all()),
    }


@dataclass(frozen=True)
class SurveyInvitation:
    """Whether the user is asked to answer the review's learning survey, and whether they have."""

    open: bool
    answered_at: datetime | None = None

    @property
    def waiting(self) -> bool:
        return self.open and self.answered_at is None


def survey_invitation(*, review: Review, user) -> SurveyInvitation:
    """What the review's pages tell the user about its survey (two queries at most)."""
    if not can_answer_survey(user, review):
        return SurveyInvitation(open=False)
    answered = (
        SurveyResponse.objects.filter(review=review, respondent=user)
        .values_list("submitted_at", flat=True)
        .first()
    )
    return SurveyInvitation(open=True, answered_at=answered)


@dataclass(frozen=True)
class SurveyCounts:
    responses: int
    learned_something: int
    would_attend_again: int
    still_unclear: list[str]


def survey_counts(*, review: Review) -> SurveyCounts:
    responses = SurveyResponse.objects.filter(review=review)
    totals = responses.aggregate(
        responses=Count("pk"),
        learned=Count("pk", filter=Q(learned_something=True)),
        again=Count("pk", filter=Q(would_attend_again=True)),
    )
    unclear = [text for text in responses.values_list("still_unclear", flat=True) if text.strip()]
    return SurveyCounts(
        responses=totals["responses"],
        learned_something=totals["learned"],
        would_attend_again=totals["again"],
        still_unclear=unclear,
    )


@dataclass
class HistoryChange:
    """One saved change to a review or one of its items, with the fields it changed."""

    when: object
    who: str
    what: str
    item: str
    action: str
    changes: list[tuple[str, str, str]]


_HISTORY_ACTIONS = {"+": "added", "~": "changed", "-": "deleted"}
_HISTORY_SKIP_FIELDS = {"version", "updated_at", "created_at", "completed_at"}


def _history_sources(review: Review):
    incident = review.incident_id
    return [
        ("Review", Review.history.filter(id=review.pk)),
        ("Timeline entry", TimelineEntry.history.filter(incident_id=incident)),
        ("Surprise", Surprise.history.filter(incident_id=incident)),
        ("Difficulty", Difficulty.history.filter(incident_id=incident)),
        ("Ownership gap", OwnershipGap.history.filter(incident_id=incident)),
        ("Participant", Participant.history.filter(review_id=review.pk).select_related("user")),
        ("Follow-up", ActionItem.history.filter(review_id=review.pk)),
    ]


def _item_label(record) -> str:
    """What a reader recognises the item by, read from the record itself (no extra query)."""
    model = record.instance_type
    if model is Review:
        return "the review"
    if model is TimelineEntry:
        return f"{record.at:%Y-%m-%d %H:%M} {record.text[:60]}"
    if model is Participant:
        return record.name or person_name(record.user)
    if model is ActionItem:
        return record.title[:80]
    if hasattr(record, "expected"):
        return f"expected {record.expected[:60]!r}"
    if hasattr(record, "category"):
        return record.description[:80]
    return record.get_kind_display()


@dataclass
class _Related:
    """A related row (a person, a team, a system) named once they are all read: see
    `_name_related`."""

    model: type
    pk: int

    def __str__(self) -> str:
        return getattr(self, "name", f"#{self.pk}")


def _display(record, field_name: str) -> str | _Related:
    field_object = record.instance_type._meta.get_field(field_name)
    value = getattr(record, field_object.attname)
    if value is None or value == "":
        return "(empty)"
    if field_object.choices:
        return str(dict(field_object.flatchoices).get(value, value))
    if field_object.is_relation:
        return _Related(field_object.related_model, value)
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M} UTC"
    return str(value)


def review_history(*, review: Review, limit: int = 500) -> list[HistoryChange]:
    """Who changed what and when, across the review and every item hanging off it.

    Field-level diffs come from comparing each historical record with the one before it of
    the same item, so the page costs one query per kind of item, not one per change.
    """
    changes: list[HistoryChange] = []
    for label, records in _history_sources(review):
        previous_by_item: dict[int, object] = {}
        for record in records.select_related("history_user").order_by("history_date", "history_id"):
            previous = previous_by_item.get(record.id)
            diffs = []
            if previous is not None and record.history_type == "~":
                delta = record.diff_against(previous)
                for change in delta.changes:
                    if change.field in _HISTORY_SKIP_FIELDS:
                        continue
                    verbose = record.instance_type._meta.get_field(change.field).verbose_name
                    diffs.append(
                        (
                            str(verbose),
                            _display(previous, change.field),
                            _display(record, change.field),
                        )
                    )
                if not diffs:
                    previous_by_item[record.id] = record
                    continue  # nothing a reader would see changed
            user = record.history_user
            changes.append(
                HistoryChange(
                    when=record.history_date,
                    who=person_name(user, default="system"),
                    what=label,
                    item=_item_label(record),
                    action=_HISTORY_ACTIONS.get(record.history_type, record.history_type),
                    changes=diffs,
                )
            )
            previous_by_item[record.id] = record
    changes.sort(key=lambda change: change.when, reverse=True)
    changes = changes[:limit]
    _name_related(changes)
    return changes


def _name_related(changes: list[HistoryChange]) -> None:
    """Name every related row the changes mention (an assignee by full name, a team by name),
    one query per kind of row; one deleted since keeps its id."""
    User = get_user_model()
    wanted: dict[type, list[_Related]] = defaultdict(list)
    for change in changes:
        for _field, old, new in change.changes:
            for value in (old, new):
                if isinstance(value, _Related):
                    wanted[value.model].append(value)
    for model, values in wanted.items():
        found = model._default_manager.in_bulk({value.pk for value in values})
        for value in values:
            row = found.get(value.pk)
            if row is not None:
                value.name = person_name(row) if model is User else str(row)
    for change in changes:
        change.changes = [(field, str(old), str(new)) for field, old, new in change.changes]
