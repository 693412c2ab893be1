"""What the review pages share: the review the user may see or run, and the answer to an edit
in the workspace (the section's HTML for htmx, else back to the workspace)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django_htmx.middleware import HtmxDetails

from reviews import selectors
from reviews.models import Review
from reviews.rules import can_run_review
from reviews.sections import TEXT_SECTIONS
from reviews.workspace import Bound, workspace_context, workspace_url


class HtmxHttpRequest(HttpRequest):
    """A request that went through django-htmx's middleware (the type django-htmx suggests)."""

    htmx: HtmxDetails


def get_review(request: HttpRequest, pk: int) -> Review:
    """The review, or 404 when it does not exist or its incident is private to others."""
    try:
        return selectors.review_for_workspace(review_pk=pk, user=request.user)
    except Review.DoesNotExist:
        raise Http404("No such review.") from None


def get_review_to_run(request: HttpRequest, pk: int, *, refusal: str) -> Review:
    """The review, when this user may run it (see `can_run_review`); else 404 or 403."""
    review = get_review(request, pk)
    if not can_run_review(request.user, review):
        raise PermissionDenied(refusal)
    return review


def render_section(
    request: HtmxHttpRequest,
    review: Review,
    anchor: str,
    bound: Bound | None = None,
    *,
    keep_adding: bool = False,
) -> HttpResponse:
    """htmx: the section's HTML to swap in; a plain POST: back to the workspace's section,
    or the whole workspace again when the form has something to show (errors, a conflict)."""
    if not request.htmx and bound is None:
        return redirect(workspace_url(review, f"section-{anchor}"))
    context = workspace_context(request, review, bound)
    if not request.htmx:
        return render(request, "reviews/workspace.html", context)
    if keep_adding and anchor in context["lists"]:
        context["lists"][anchor]["add_open"] = True
    if anchor in TEXT_SECTIONS:
        context["entry"] = context["sections_by_name"][anchor]
        return render(request, "reviews/sections/text.html", context)
    if anchor in context["lists"]:
        context["list"] = context["lists"][anchor]
        return render(request, "reviews/sections/items.html", context)
    return render(request, f"reviews/sections/{anchor}.html", context)
