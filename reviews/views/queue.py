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
from reviews.models import Review
from reviews.rules import can_create_review, is_facilitator
from reviews.workspace import workspace_url

QUEUE_PAGE_SIZE = 25


@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET)
    block = request.GET.get("block")
    if block in selectors.REVIEW_BLOCKS:
        return _review_block(request, form, block)
    if form.is_valid():
        review_queue = selectors.review_queue(user=request.user, filters=form.filters_value())
    else:
        # A bad filter shows nothing rather than everything (as every list does).
        review_queue = selectors.ReviewQueue([], [], [], [], [])
    counts = review_queue.counts
    review_blocks = [
        ("Scheduled", review_queue.scheduled, "scheduled", counts["scheduled"]),
        ("In progress", review_queue.in_progress, "in_progress", counts["in_progress"]),
        ("Recently published", review_queue.published, "published", None),
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


def _review_block(request: HttpRequest, form: QueueFilterForm, block: str) -> HttpResponse:
    """One block of reviews under way, all of it, a page at a time (`?block=<key>&page=N`)."""
    if form.is_valid():
        reviews = selectors.reviews_under_way(user=request.user, filters=form.filters_value())
        rows = reviews[block]
    else:
        rows = Review.objects.none()
    page = Paginator(rows, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reviews/queue_block.html",
        {
            "page": page,
            "block": block,
            "title": selectors.REVIEW_BLOCKS[block],
            "filter": {"form": form, "errors": form.errors},
            "keep": {"block": block},  # applying or clearing filters stays on this block
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
