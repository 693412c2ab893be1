"""Every permission rule, in one module that the review pages, the dashboards, the admin and the
API ask.

The rules that need nothing but the incident record (the two roles, private incidents, the
catalog) are defined in `incidents.roles`, the app below, and re-exported here, as is who sees
the backups' status (`backups.status`, the bottom layer); the rules that a
review decides are defined here. A published review freezes what it is built on
(`published_review_of`): the incident, its timeline and signals, the review itself, its
participants and follow-ups; only adding a participant stays open (`can_add_participant`).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q

from backups.status import can_see_backup_status
from incidents.models import Incident
from incidents.roles import (
    FACILITATORS,
    RESPONDERS,
    can_edit_catalog,
    can_view_incident,
    is_facilitator,
    is_responder,
)
from reviews.models import Review

__all__ = [
    "FACILITATORS",
    "RESPONDERS",
    "can_add_participant",
    "can_answer_survey",
    "can_contribute_to_incident",
    "can_create_review",
    "can_delete_contribution",
    "can_edit_catalog",
    "can_run_review",
    "can_see_backup_status",
    "can_update_follow_up_status",
    "can_view_incident",
    "follow_up_assignees",
    "is_facilitator",
    "is_frozen_for",
    "is_responder",
    "published_review_of",
]


def published_review_of(obj):
    """The published review that freezes `obj` (a review, an incident, or a row hanging off
    either), or None."""
    if obj is None:
        return None
    if isinstance(obj, Review):
        review = obj
    elif hasattr(obj, "review_id"):
        review = obj.review
    else:
        incident = obj if isinstance(obj, Incident) else getattr(obj, "incident", None)
        # A missing reverse one-to-one raises an AttributeError subclass: getattr's default.
        review = getattr(incident, "review", None) if incident is not None else None
    return review if review is not None and review.is_published else None


def is_frozen_for(user, obj) -> bool:
    """A published review freezes `obj` for this user. A superuser may still correct a
    mistake (in the admin and the API alike); everybody else reads."""
    return not user.is_superuser and published_review_of(obj) is not None


def can_contribute_to_incident(user, incident) -> bool:
    """Add or edit timeline entries, surprises, difficulties and ownership gaps.

    A published review freezes what it is built on."""
    return (
        is_responder(user)
        and can_view_incident(user, incident)
        and published_review_of(incident) is None
    )


def can_delete_contribution(user, incident) -> bool:
    """Responders add and correct what they saw; removing it is the facilitator's call.

    `incident` is None for what hangs off a near miss, which no review freezes."""
    if incident is None:
        return is_facilitator(user)
    return is_facilitator(user) and can_contribute_to_incident(user, incident)


def can_run_review(user, review) -> bool:
    """Edit the review's sections, themes, participants and follow-ups; publish it."""
    return (
        is_facilitator(user)
        and can_view_incident(user, review.incident)
        and not review.is_published
    )


def can_create_review(user, incident) -> bool:
    return is_facilitator(user) and can_view_incident(user, incident)


def can_update_follow_up_status(user, action_item) -> bool:
    """Follow-up status stays editable after publication: the work goes on."""
    if not can_view_incident(user, action_item.review.incident):
        return False
    return is_responder(user) or action_item.assignee_id == user.pk


def can_add_participant(user, review) -> bool:
    """Facilitators list participants, also once the review is published: the learning survey
    goes to everyone listed, so someone forgotten must still be added. What participants said
    (their interviews) and everything else stays frozen."""
    return is_facilitator(user) and can_view_incident(user, review.incident)


def follow_up_assignees(*, keep=None):
    """Who may be assigned a follow-up: active people with a role (responders, facilitators)
    and superusers, the people `can_update_follow_up_status` lets move it on. `keep` (a user id)
    stays listed, so editing an older follow-up does not drop its assignee."""
    eligible = Q(is_active=True) & (
        Q(groups__name__in=(FACILITATORS, RESPONDERS)) | Q(is_superuser=True)
    )
    if keep is not None:
        eligible |= Q(pk=keep)
    return get_user_model().objects.filter(eligible).distinct()


def can_answer_survey(user, review) -> bool:
    """The learning survey is for the review's participants and facilitator, once published."""
    if not user.is_authenticated or not review.is_published:
        return False
    if not can_view_incident(user, review.incident):
        return False
    return Review.objects.survey_open_to(user).filter(pk=review.pk).exists()
