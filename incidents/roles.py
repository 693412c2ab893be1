"""The two roles, as Django groups. Every other logged-in user reads.

One place answers "may this person do that?" so pages, admin and API agree.
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
