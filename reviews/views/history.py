"""What changed in a review and in the lists its workspace shows, and who changed it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from reviews import selectors
from reviews.views.common import get_review


@require_GET
def history(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_review(request, pk)
    changes = selectors.review_history(review=review)
    return render(
        request,
        "reviews/history.html",
        {"review": review, "incident": review.incident, "changes": changes},
    )
