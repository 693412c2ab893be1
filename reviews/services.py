"""Writes that span several rows or need care: starting, editing and publishing a review.

Views call these with keyword arguments; each runs in one transaction, so a failure leaves
nothing half-written.

Every write to what a published review freezes runs inside `reviews.freeze.unless_published`,
so a write racing the publication lands before it or is refused (`ReviewFrozen`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from incidents.formatting import person_name
from incidents.models import Incident, Theme
from reviews.freeze import ReviewFrozen, unless_published
from reviews.models import ActionItem, Participant, Review, SurveyResponse
from reviews.sections import TEXT_SECTIONS

# A save that lost the race only because another section moved the version on is retried
# this many times before it is reported as a conflict.
_SECTION_SAVE_ATTEMPTS = 5


@transaction.atomic
def review_start(*, incident: Incident, facilitator) -> Review:
    """Open the review of an incident (or pick up a not-started one) and list who was there.

    The incident's lead and responders become participants, so the facilitator starts with
    the people to interview and the survey knows whom to ask.
    """
    review, _ = Review.objects.select_for_update().get_or_create(incident=incident)
    if review.status == Review.Status.NOT_STARTED:
        review.status = Review.Status.IN_PROGRESS
    if review.facilitator_id is None:
        review.facilitator = facilitator
    review.save()

    already = set(review.participants.exclude(user=None).values_list("user_id", flat=True))
    people = []
    if incident.lead_id:
        people.append((incident.lead, Participant.Role.INCIDENT_LEAD))
    people += [(user, Participant.Role.RESPONDER) for user in incident.responders.all()]
    for user, role in people:
        if user.pk not in already:
            already.add(user.pk)
            Participant.objects.create(review=review, user=user, role=role)
    return review


@dataclass(frozen=True)
class SectionSave:
    """The outcome of saving one text section: saved, or refused because someone else won."""

    saved: bool
    review: Review
    # On a conflict: what is stored now, and who stored it when.
    current_text: str = ""
    changed_by: str = ""
    changed_at: datetime | None = None


def _section_text_at(review: Review, section: str, version: int) -> str | None:
    """The section's text as it was at `version`, from the review's history (None: unknown)."""
    record = review.history.filter(version=version).order_by("-history_date", "-history_id").first()
    return None if record is None else getattr(record, section)


def review_update_section(*, review: Review, section: str, text: str, version: int) -> SectionSave:
    """Save one text section unless someone changed it since `version` was loaded.

    The gate is a conditional `UPDATE ... WHERE version = <seen>`: of two simultaneous saves
    from the same version only one can match, the other is refused. A save from an older
    version still goes through when the history shows this section untouched since then
    (another section moved the version on), so people editing different sections never
    block each other.

    A published review is not saved (`ReviewFrozen`): the status is part of the same
    conditional UPDATE. Publishing holds the row lock until it commits and PostgreSQL then
    re-checks the condition on the committed row, so a save racing the publication either
    lands before it or matches nothing.
    """
    if section not in TEXT_SECTIONS:
        raise ValueError(f"Not a text section: {section}")
    for _ in range(_SECTION_SAVE_ATTEMPTS):
        current = Review.objects.get(pk=review.pk)
        if current.is_published:
            raise ReviewFrozen
        if current.version != version:
            seen = _section_text_at(current, section, version)
            if seen is None or seen != getattr(current, section):
                return _conflict(current, section, version)
        with transaction.atomic():
            claimed = (
                Review.objects.filter(pk=review.pk, version=current.version)
                .exclude(status=Review.Status.PUBLISHED)
                .update(version=F("version") + 1)
            )
            if not claimed:
                continue  # someone saved, or published, in between: look again
            saved = Review.objects.get(pk=review.pk)
            setattr(saved, section, text)
            # save() (not update()) so django-simple-history records who changed what.
            saved.save()
        return SectionSave(saved=True, review=saved)
    return _conflict(Review.objects.get(pk=review.pk), section, version)


def _conflict(current: Review, section: str, seen_version: int) -> SectionSave:
    """A refused save of `section`: what is stored now and who stored it.

    "Who" is whoever wrote the section's current text, not whoever saved the review last:
    someone may have edited another section since."""
    text = getattr(current, section)
    newer = (
        current.history.filter(version__gt=seen_version)
        .order_by("-history_date", "-history_id")
        .select_related("history_user")
    )
    record = None
    for candidate in newer:
        if getattr(candidate, section) != text:
            break
        record = candidate  # the text was already this: the change is this record or older
    if record is None:
        record = current.history.order_by("-history_date", "-history_id").first()
    return SectionSave(
        saved=False,
        review=current,
        current_text=text,
        changed_by=person_name(record.history_user) if record is not None else "",
        changed_at=record.history_date if record else current.updated_at,
    )


@dataclass(frozen=True)
class ItemSave:
    """The outcome of saving an edited item: saved, or refused because it changed meanwhile."""

    saved: bool
    item: object
    latest_change: int | None = None
    changed_by: str = ""
    changed_at: datetime | None = None


def latest_changes(model, pks) -> dict[int, int]:
    """The newest history id of each item: what an edit form was loaded at."""
    rows = model.history.filter(id__in=list(pks)).values("id").annotate(latest=Max("history_id"))
    return {row["id"]: row["latest"] for row in rows}


def item_save_unless_changed(*, form, seen_change: int | None) -> ItemSave:
    """Save an edited timeline entry, signal, participant or follow-up, unless someone else
    saved it after the form was loaded (its newest history record is not the one seen).

    The row is locked while checking, so of two saves from the same version one is refused;
    a published review refuses it (`unless_published`).
    """
    item = form.instance
    model = type(item)
    with unless_published(item):
        model.objects.select_for_update().filter(pk=item.pk).first()
        latest = (
            model.history.filter(id=item.pk)
            .select_related("history_user")
            .order_by("-history_id")
            .first()
        )
        if seen_change is not None and latest is not None and latest.history_id != seen_change:
            user = latest.history_user
            return ItemSave(
                saved=False,
                item=model.objects.get(pk=item.pk),
                latest_change=latest.history_id,
                changed_by=person_name(user),
                changed_at=latest.history_date,
            )
        form.save()
    return ItemSave(saved=True, item=item)


def item_add(*, form, author):
    """Add the timeline entry, signal, participant or follow-up of a valid form, unless a
    published review freezes where it goes; whoever adds a timeline entry is its author.

    A participant is added even to a published review (`rules.can_add_participant`): the
    learning survey goes to everyone listed, and nothing already published changes."""
    item = form.save(commit=False)
    if hasattr(item, "author_id") and item.author_id is None:
        item.author = author
    if isinstance(item, Participant):
        with transaction.atomic():
            item.save()
            form.save_m2m()
        return item
    with unless_published(item):
        item.save()
        form.save_m2m()
    return item


def item_delete(*, item) -> None:
    """Delete an item, unless a published review freezes it (history keeps a copy)."""
    with unless_published(item):
        item.delete()


def incident_set_cause(*, form) -> Incident:
    """Save the incident's cause (`IncidentCauseForm`), unless a published review freezes
    the incident."""
    incident = form.save(commit=False)
    with unless_published(incident):
        incident.save(update_fields=["caused_by", "triggered_by_change", "updated_at"])
    return incident


@transaction.atomic
def review_publish(*, review: Review, user) -> Review:
    """Publish: the review becomes a read-only report. Needs a narrative and a timeline."""
    review = Review.objects.select_for_update().get(pk=review.pk)
    errors = []
    if not review.narrative.strip():
        errors.append("Write the narrative before publishing: the story is the review.")
    if not review.incident.timeline.exists():
        errors.append("Add at least one timeline entry before publishing.")
    if review.is_published:
        errors.append("This review is already published.")
    if errors:
        raise ValidationError(errors)
    review.status = Review.Status.PUBLISHED
    review.published_at = timezone.now()
    if review.facilitator_id is None:
        review.facilitator = user
    review.save()
    return review


@transaction.atomic
def review_schedule(*, review: Review, scheduled_for: datetime | None) -> Review:
    """Set (or clear) when the review meeting happens; a not-started review becomes scheduled."""
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.is_published:
        raise ReviewFrozen
    review.scheduled_for = scheduled_for
    if scheduled_for and review.status == Review.Status.NOT_STARTED:
        review.status = Review.Status.SCHEDULED
    review.save()
    return review


class SectionConflict(Exception):
    """Someone changed a text section since the version the writer loaded: nothing of the
    update was saved (`review_update` is all or nothing). `outcome` says what is stored now,
    and who stored it."""

    def __init__(self, *, section: str, outcome: SectionSave):
        super().__init__(f"Someone changed the {section} since you loaded it.")
        self.section = section
        self.outcome = outcome


def review_update(*, review: Review, data: dict[str, Any], version: int) -> None:
    """Apply an edit of several fields at once, all of it or nothing: text sections through
    the versioned save (`review_update_section`), the schedule through `review_schedule`, the
    other review fields directly, `themes` to the incident.

    One section that conflicts (SectionConflict) rolls back the sections saved before it, and
    the conflict then describes what is stored once they are rolled back.
    """
    try:
        _review_update(review=review, data=data, version=version)
    except SectionConflict as conflict:
        now = Review.objects.get(pk=review.pk)
        raise SectionConflict(
            section=conflict.section, outcome=_conflict(now, conflict.section, version)
        ) from None


@transaction.atomic
def _review_update(*, review: Review, data: dict[str, Any], version: int) -> None:
    data = dict(data)
    themes = data.pop("themes", None)
    # Locked until the end: every part below sees the same review, and a publication waits
    # (or has happened, and the whole update is refused).
    stored = Review.objects.select_for_update().get(pk=review.pk)
    if stored.is_published:
        raise ReviewFrozen
    for section in TEXT_SECTIONS:
        if section not in data:
            continue
        text = data.pop(section)
        if text == getattr(stored, section):
            continue  # unchanged: no new version, and no conflict over text nobody edited
        outcome = review_update_section(review=review, section=section, text=text, version=version)
        if not outcome.saved:
            raise SectionConflict(section=section, outcome=outcome)
    if "scheduled_for" in data:
        review_schedule(review=review, scheduled_for=data.pop("scheduled_for"))
    if data:
        current = Review.objects.get(pk=review.pk)
        for name, value in data.items():
            setattr(current, name, value)
        current.save()
    if themes is not None:
        review.incident.themes.set(themes)


@transaction.atomic
def review_create(*, incident: Incident, facilitator, data: dict[str, Any]) -> Review:
    """Start the review of an incident (`review_start`) with its first edits
    (`review_update`), together or not at all."""
    review = review_start(incident=incident, facilitator=facilitator)
    review_update(review=review, data=data, version=review.version)
    return review


def theme_create(*, name: str, description: str, incident: Incident) -> Theme:
    """Add a theme to the shared codebook and tag the incident with it.

    A theme of the same name (or slug) created at the same moment is a field error on `name`,
    as it is when it already exists."""
    with unless_published(incident):
        try:
            with transaction.atomic():  # a savepoint: the clash must not break the transaction
                theme = Theme.objects.create(name=name, description=description)
        except IntegrityError:
            raise ValidationError(
                {"name": "The codebook already has this theme: attach it instead."}
            ) from None
        theme.incidents.add(incident)
    return theme


def theme_attach(*, theme: Theme, incident: Incident) -> None:
    """Tag the incident with a codebook theme, unless its review is published."""
    with unless_published(incident):
        theme.incidents.add(incident)


def theme_detach(*, theme: Theme, incident: Incident) -> None:
    with unless_published(incident):
        theme.incidents.remove(incident)


@transaction.atomic
def survey_response_submit(
    *,
    review: Review,
    respondent,
    learned_something: bool,
    would_attend_again: bool,
    still_unclear: str,
) -> SurveyResponse:
    """One answer per person; answering again replaces the earlier answer."""
    response, _ = SurveyResponse.objects.update_or_create(
        review=review,
        respondent=respondent,
        defaults={
            "learned_something": learned_something,
            "would_attend_again": would_attend_again,
            "still_unclear": still_unclear,
            "submitted_at": timezone.now(),
        },
    )
    return response


@transaction.atomic
def follow_up_set_status(*, action_item: ActionItem, status: str) -> ActionItem:
    """Set a follow-up's status (completed_at follows), still allowed once the review is
    published: the work goes on.

    Only the status changes: the row is re-read under lock, so the rest of `action_item`, as
    loaded when the request began, is not written back over an edit saved meanwhile. The
    caller's object is refreshed to what is stored."""
    current = ActionItem.objects.select_for_update().get(pk=action_item.pk)
    current.status = status
    current.save()  # save(), not update(): completed_at and the history follow
    action_item.refresh_from_db()
    return action_item
