"""Who may do what: the two roles (Django groups) and every permission rule, in one place.

Facilitators create, run and publish reviews. Responders log incidents and add what they saw
(timeline entries, surprises, difficulties, ownership gaps). Every other logged-in user reads,
and anyone logged in may report a near miss: reporting must cost nothing. Private incidents
are visible only to the people involved (`Incident.objects.visible_to`). A published review
freezes what it is built on (`published_review_of`). Pages, admin and API all ask these.
"""

from __future__ import annotations

FACILITATORS = "Facilitators"
RESPONDERS = "Responders"


def _group_names(user) -> frozenset[str]:
    # Cached on the user object: a page asks several times, the database answers once.
    if not hasattr(user, "_role_group_names"):
        user._role_group_names = frozenset(user.groups.values_list("name", flat=True))
    return user._role_group_names


def is_facilitator(user) -> bool:
    """Facilitators create, run and publish reviews."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or FACILITATORS in _group_names(user)


def is_responder(user) -> bool:
    """Responders log incidents and add what they saw; facilitators may do that too."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or bool({RESPONDERS, FACILITATORS} & _group_names(user))


def can_view_incident(user, incident) -> bool:
    from incidents.models import Incident

    if not incident.is_private or user.is_superuser:
        return True
    return Incident.objects.visible_to(user).filter(pk=incident.pk).exists()


def published_review_of(obj):
    """The published review that freezes `obj` (a review, an incident, or a row hanging off
    either), or None."""
    from incidents.models import Incident
    from reviews.models import Review

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


def can_contribute_to_incident(user, incident) -> bool:
    """Add or edit timeline entries, surprises, difficulties and ownership gaps.

    A published review freezes what it is built on."""
    return (
        is_responder(user)
        and can_view_incident(user, incident)
        and published_review_of(incident) is None
    )


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


def can_answer_survey(user, review) -> bool:
    """The learning survey is for the review's participants and facilitator, once published."""
    if not user.is_authenticated or not review.is_published:
        return False
    if not can_view_incident(user, review.incident):
        return False
    return review.facilitator_id == user.pk or review.participants.filter(user=user).exists()


def can_edit_catalog(user) -> bool:
    """Teams and systems: the service catalog is kept by administrators, as in the admin."""
    return user.is_authenticated and user.is_superuser
