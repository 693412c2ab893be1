"""Scheduling the review meeting, and publishing the review."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from reviews import services
from reviews.forms import ScheduleForm
from reviews.views.common import HtmxHttpRequest, get_review, get_review_to_run, render_section
from reviews.workspace import Bound, workspace_url


@require_POST
def schedule(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    review = get_review_to_run(request, pk, refusal="Only facilitators schedule reviews.")
    form = ScheduleForm(request.POST, auto_id="id_schedule_%s")
    if not form.is_valid():
        return render_section(request, review, "overview", Bound("schedule", form))
    services.review_schedule(review=review, scheduled_for=form.cleaned_data["scheduled_for"])
    return render_section(request, get_review(request, pk), "overview")


@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_review_to_run(request, pk, refusal="Only facilitators publish reviews.")
    try:
        services.review_publish(review=review, user=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(workspace_url(review, "section-overview"))
    messages.success(request, "Published. The report is ready to share.")
    return redirect("reviews:report", pk=review.pk)
