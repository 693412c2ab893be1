"""Scheduling the review meeting, and publishing the review."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from reviews import selectors, services
from reviews.forms import ScheduleForm
from reviews.rules import can_run_review
from reviews.views.common import HtmxHttpRequest, get_review, get_review_to_run, render_section
from reviews.workspace import Bound


@require_POST
def schedule(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    review = get_review_to_run(request, pk, refusal="Only facilitators schedule reviews.")
    form = ScheduleForm(request.POST, auto_id="id_schedule_%s")
    if not form.is_valid():
        return render_section(request, review, "overview", Bound("schedule", form))
    services.review_schedule(review=review, scheduled_for=form.cleaned_data["scheduled_for"])
    return render_section(request, get_review(request, pk), "overview")


@require_http_methods(["GET", "POST"])
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what publishing freezes, and the button that does it; POST: publish.

    Publishing cannot be undone from the pages, so it is a page of its own rather than a
    button beside the sections: the person reads what it freezes (and, in the browser, which
    edits they have not saved) before they commit."""
    review = get_review(request, pk)
    if request.method == "GET" and review.is_published:
        return redirect("reviews:report", pk=review.pk)
    if not can_run_review(request.user, review):
        raise PermissionDenied("Only facilitators publish reviews.")
    if request.method == "POST":
        try:
            services.review_publish(review=review, user=request.user)
        except ValidationError as error:
            # Refused: the same page again, the reasons on top and focused, where the person
            # is looking (not a workspace reloaded at a section, with them off-screen).
            return _publish_page(request, review, errors=error.messages)
        messages.success(request, "Published. The report is ready to share.")
        return redirect("reviews:report", pk=review.pk)
    return _publish_page(request, review)


def _publish_page(request: HttpRequest, review, *, errors=()) -> HttpResponse:
    context = {
        "review": review,
        "incident": review.incident,
        "items": selectors.review_items(review=review),
        "errors": errors,
    }
    return render(request, "reviews/publish.html", context)
