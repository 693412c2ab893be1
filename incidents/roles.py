"""The two roles (Django groups) and the permission rules that need only the incident record.

Facilitators create, run and publish reviews. Responders log incidents and add what they saw
(timeline entries, surprises, difficulties, ownership gaps). Every other logged-in user reads,
and anyone logged in may report a near miss: reporting must cost nothing. Private incidents
are visible only to the people involved (`Incident.objects.visible_to`).

The rules a review decides (the publish freeze, running a review, the survey) are in
`reviews.rules`, which re-exports these: pages above incidents/ and the API ask that module.
"""

from __future__ import annotations

from incidents.models import Incident, sees_every_incident

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
    if not incident.is_private or sees_every_incident(user):
        return True
    return Incident.objects.visible_to(user).filter(pk=incident.pk).exists()


def can_edit_catalog(user) -> bool:
    """Teams and systems: the service catalog is kept by administrators, as in the admin."""
    return user.is_authenticated and user.is_superuser
