"""The incident list and an incident's page: both show the incident's review (the list also
filters by its status), so they live here, above incidents/.

Their URL names stay in the `incidents` namespace (`incidents:list`, `incidents:detail`): see
`incident_urlpatterns` in reviews/urls.py and config/urls.py.
"""

from __future__ import annotations

from django.db.models import Case, Prefetch, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from incidents.models import Incident, IncidentSystem
from incidents.paging import filtered_page
from reviews import rules
from reviews.filters import IncidentFilter
from reviews.models import Review

# The origin first: it is where the story starts.
ORIGIN_FIRST = Case(When(role=IncidentSystem.Role.ORIGIN, then=Value(0)), default=Value(1))


def incident_list(request: HttpRequest) -> HttpResponse:
    incidents = (
        Incident.objects.visible_to(request.user)
        .with_signal_counts()
        .select_related("review")
        .prefetch_related(
            Prefetch(
                "system_roles",
                queryset=IncidentSystem.objects.select_related("system").order_by(
                    ORIGIN_FIRST, "system__name"
                ),
            )
        )
        .order_by("-started_at", "-pk")
    )
    filterset, page = filtered_page(request, IncidentFilter, incidents)
    # Private incidents count only for the people who may see them: the total says so.
    private = (
        page.paginator.object_list.filter(is_private=True).count() if page.paginator.count else 0
    )
    return render(
        request,
        "incidents/incident_list.html",
        {"filter": filterset, "page": page, "private_count": private},
    )


def incident_detail(request: HttpRequest, reference: str) -> HttpResponse:
    incident = get_object_or_404(
        Incident.objects.visible_to(request.user)
        .select_related("lead", "review__facilitator", "caused_by__system")
        .prefetch_related(
            Prefetch(
                "system_roles",
                queryset=IncidentSystem.objects.select_related("system__owner_team").order_by(
                    ORIGIN_FIRST, "role", "system__name"
                ),
            ),
            "teams",
            "responders",
            "themes",
            "timeline__author",
            "surprises__system",
            "difficulties__system",
            "ownership_gaps__system",
            "ownership_gaps__resolved_by_team",
        ),
        reference=reference,
    )
    try:
        review = incident.review
    except Review.DoesNotExist:
        review = None
    context = {
        "incident": incident,
        "review": review,
        "can_start_review": review is None and rules.can_create_review(request.user, incident),
    }
    return render(request, "incidents/incident_detail.html", context)
