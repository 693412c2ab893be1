"""The review queue (incidents waiting for a review, reviews scheduled, in progress and
recently published), and starting a review of an incident."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from incidents.models import Incident
from reviews import selectors, services
from reviews.forms import QueueFilterForm
from reviews.rules import can_create_review, is_facilitator
from reviews.workspace import workspace_url

QUEUE_PAGE_SIZE = 25


@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET)
    if form.is_valid():
        review_queue = selectors.review_queue(user=request.user, filters=form.filters_value())
    else:
        # A bad filter shows nothing rather than everything (as every list does).
        review_queue = selectors.ReviewQueue([], [], [], [], [])
    review_blocks = [
        ("Scheduled", review_queue.scheduled, "scheduled"),
        ("In progress", review_queue.in_progress, "in-progress"),
        ("Recently published", review_queue.published, "published"),
    ]
    page = Paginator(review_queue.needs_review, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reviews/queue.html",
        {
            "queue": review_queue,
            "page": page,
            "filter": {"form": form, "errors": form.errors},
            "review_blocks": review_blocks,
            # Creating a review is a facilitator's job; a private incident in the queue is
            # one the user may already see, so the role alone decides.
            "can_start": is_facilitator(request.user),
        },
    )


@require_POST
def review_create(request: HttpRequest, reference: str) -> HttpResponse:
    incident = get_object_or_404(Incident.objects.visible_to(request.user), reference=reference)
    if not can_create_review(request.user, incident):
        raise PermissionDenied("Only facilitators start reviews.")
    review = services.review_start(incident=incident, facilitator=request.user)
    messages.success(request, f"Review of {incident.reference} started.")
    return redirect(workspace_url(review))
