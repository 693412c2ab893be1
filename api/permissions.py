"""API permissions: a thin adapter over `reviews/rules.py`, where every rule is asked.

Reading needs a login; what a user may read is decided by the querysets (`visible_to`), so a
private incident someone may not see is a 404, never a 403 that would confirm it exists.
Each viewset answers three questions by calling the shared rules:

    may_create(user)            coarse check before the body is read (e.g. "responders only")
    may_change(user, obj)       update
    may_delete(user, obj)       delete

and, once the body is valid, `check_create(user, validated_data)` for rules that depend on
the parent (the incident a surprise is added to).
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission


class Denied:
    """A refusal with the reason the 403 carries."""

    def __init__(self, message: str):
        self.message = message

    def __bool__(self) -> bool:
        return False


def allow(condition: bool, message: str) -> bool | Denied:
    return True if condition else Denied(message)


class RoleRules(BasePermission):
    message = "You are not allowed to do this."

    def _answer(self, answer) -> bool:
        if isinstance(answer, Denied):
            self.message = answer.message
            return False
        return bool(answer)

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        if request.method in SAFE_METHODS:
            return True
        if getattr(view, "action", None) == "create" or (
            request.method == "POST" and not view.kwargs and hasattr(view, "may_create")
        ):
            return self._answer(view.may_create(request.user))
        return True

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True
        if request.method == "DELETE":
            return self._answer(view.may_delete(request.user, obj))
        return self._answer(view.may_change(request.user, obj))
