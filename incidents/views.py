"""Incident pages: home, incidents, near misses and the lists of signals.

Every list starts from `visible_to(request.user)`, then applies the shared filter contract
(incidents/filters.py), so a number on a dashboard and the list it links to count the same rows.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, Exists, F, OuterRef, Prefetch, Q, Value, When
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from incidents.filters import DifficultyFilter, NearMissFilter, OwnershipGapFilter, SurpriseFilter
from incidents.forms import NearMissForm
from incidents.models import (
    Difficulty,
    Incident,
    IncidentSystem,
    NearMiss,
    OwnershipGap,
    Surprise,
)
from incidents.services import near_miss_report
from reviews import rules
from reviews.filters import IncidentFilter
from reviews.models import Review

PAGE_SIZE = 50
# The origin first: it is where the story starts.
ORIGIN_FIRST = Case(When(role=IncidentSystem.Role.ORIGIN, then=Value(0)), default=Value(1))
HOME_LIST_SIZE = 8


def _filtered_page(request, filterset_class, queryset):
    """The filter form and the requested page of what it keeps.

    A bad filter value shows no rows rather than quietly ignoring the filter: a list that
    claims to be filtered must never show more than was asked for."""
    filterset = filterset_class(request.GET, queryset=queryset)
    rows = filterset.qs if filterset.is_valid() else queryset.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return filterset, page


def incident_list(request):
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
    filterset, page = _filtered_page(request, IncidentFilter, incidents)
    return render(request, "incidents/incident_list.html", {"filter": filterset, "page": page})


def incident_detail(request, reference):
    incident = get_object_or_404(
        Incident.objects.visible_to(request.user)
        .select_related("lead", "review__facilitator")
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


def near_miss_list(request):
    near_misses = (
        NearMiss.objects.select_related("reported_by")
        .prefetch_related("systems")
        .order_by("-occurred_at", "-pk")
    )
    filterset, page = _filtered_page(request, NearMissFilter, near_misses)
    return render(request, "incidents/near_miss_list.html", {"filter": filterset, "page": page})


# Any logged-in user may report a near miss, not only responders: the point is low friction,
# and near misses are reported far less often than they happen (DOMAIN.md).
@require_http_methods(["GET", "POST"])
def near_miss_new(request):
    form = NearMissForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        anonymous = form.cleaned_data["anonymous"]
        near_miss = near_miss_report(
            reporter=request.user, anonymous=anonymous, data=form.cleaned_data
        )
        messages.success(
            request,
            "Thank you: the near miss is recorded"
            + (" anonymously; your name is not stored with it." if anonymous else "."),
        )
        return redirect("incidents:near_miss_detail", pk=near_miss.pk)
    return render(request, "incidents/near_miss_form.html", {"form": form})


def near_miss_detail(request, pk):
    near_miss = get_object_or_404(
        NearMiss.objects.select_related("reported_by").prefetch_related(
            "systems__owner_team",
            "surprises__system",
            "difficulties__system",
            "ownership_gaps__system",
        ),
        pk=pk,
    )
    return render(request, "incidents/near_miss_detail.html", {"near_miss": near_miss})


def _signal_list(request, *, model, filterset_class, template):
    signals = (
        model.objects.visible_to(request.user)
        .select_related("incident", "near_miss", "system")
        # Newest subject first, as on the incident and near-miss lists.
        .order_by(Coalesce(F("incident__started_at"), F("near_miss__occurred_at")).desc(), "-pk")
    )
    filterset, page = _filtered_page(request, filterset_class, signals)
    return render(request, template, {"filter": filterset, "page": page})


def surprise_list(request):
    return _signal_list(
        request,
        model=Surprise,
        filterset_class=SurpriseFilter,
        template="incidents/surprise_list.html",
    )


def difficulty_list(request):
    return _signal_list(
        request,
        model=Difficulty,
        filterset_class=DifficultyFilter,
        template="incidents/difficulty_list.html",
    )


def ownership_gap_list(request):
    return _signal_list(
        request,
        model=OwnershipGap,
        filterset_class=OwnershipGapFilter,
        template="incidents/ownership_gap_list.html",
    )


def home(request):
    """Send each role where its work is: reviews to run, incidents to add to, reports to read."""
    user = request.user
    visible = Incident.objects.visible_to(user)
    context = {
        "is_facilitator": rules.is_facilitator(user),
        "is_responder": rules.is_responder(user),
        "published_reviews": Review.objects.filter(
            status=Review.Status.PUBLISHED, incident__in=visible
        )
        .select_related("incident")
        .order_by("-published_at", "-pk")[:HOME_LIST_SIZE],
    }
    if context["is_facilitator"]:
        context["my_reviews"] = (
            Review.objects.filter(facilitator=user, incident__in=visible)
            .exclude(status=Review.Status.PUBLISHED)
            .select_related("incident")
            .order_by("scheduled_for", "-incident__started_at")
        )
        waiting = visible.filter(review__isnull=True).order_by("-started_at", "-pk")
        context["waiting_count"] = waiting.count()
        context["waiting"] = waiting[:HOME_LIST_SIZE]
    if context["is_responder"]:
        involved = Incident.responders.through.objects.filter(incident=OuterRef("pk"), user=user)
        context["my_incidents"] = (
            visible.filter(Q(lead=user) | Q(Exists(involved)))
            .select_related("review")
            .order_by("-started_at", "-pk")[:HOME_LIST_SIZE]
        )
    return render(request, "home.html", context)
