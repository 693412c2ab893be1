"""The review's report, its Markdown download, and the learning survey its participants answer
once it is published."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from reviews import selectors, services
from reviews.forms import SurveyForm
from reviews.markdown import review_markdown
from reviews.models import SurveyResponse
from reviews.rules import can_answer_survey
from reviews.sections import TEXT_SECTIONS
from reviews.views.common import get_review


@require_GET
def report(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_review(request, pk)
    context = {
        "review": review,
        "incident": review.incident,
        "items": selectors.review_items(review=review),
        "sections": [
            {"section": section, "text": getattr(review, section.name)}
            for section in TEXT_SECTIONS.values()
        ],
        "survey": selectors.survey_counts(review=review),
        "survey_invitation": selectors.survey_invitation(review=review, user=request.user),
        # Whole, so the facilitator can paste it where the participants talk.
        "survey_url": request.build_absolute_uri(reverse("reviews:survey", args=[review.pk])),
    }
    return render(request, "reviews/report.html", context)


@require_GET
def report_markdown(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_review(request, pk)
    text = review_markdown(review)
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    filename = f"{review.incident.reference}-review.md"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def survey(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_review(request, pk)
    if not can_answer_survey(request.user, review):
        # A page with a way back, not a bare refusal: people reach it from a shared link.
        reason = (
            "The learning survey is for the people who took part in the review."
            if review.is_published
            else "The learning survey opens once the review is published."
        )
        return render(
            request,
            "403.html",
            {
                "exception": reason,
                "back_url": reverse("reviews:report", args=[review.pk]),
                "back_label": f"Read the report of {review.incident.reference}",
            },
            status=403,
        )
    existing = SurveyResponse.objects.filter(review=review, respondent=request.user).first()
    if request.method == "POST":
        form = SurveyForm(request.POST)
        if form.is_valid():
            services.survey_response_submit(
                review=review, respondent=request.user, **form.cleaned_data
            )
            messages.success(request, "Thank you: your answers are saved.")
            return redirect("reviews:report", pk=review.pk)
    elif existing is not None:
        form = SurveyForm(
            initial={
                "learned_something": "yes" if existing.learned_something else "no",
                "would_attend_again": "yes" if existing.would_attend_again else "no",
                "still_unclear": existing.still_unclear,
            }
        )
    else:
        form = SurveyForm()
    return render(
        request,
        "reviews/survey.html",
        {"review": review, "incident": review.incident, "form": form, "existing": existing},
    )
