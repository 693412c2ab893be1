"""Incident-record pages: near misses, the lists of signals, and deployments.

Every list starts from `visible_to(request.user)`, then applies the shared filter contract
(incidents/filters.py), so a number on a dashboard and the list it links to count the same rows.
The pages that show incidents together with their reviews (home, the incident list, an
incident's page) are in `reviews.views`: this app knows nothing of reviews.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import F, Prefetch
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from incidents.filters import (
    DeploymentFilter,
    DifficultyFilter,
    NearMissFilter,
    OwnershipGapFilter,
    SurpriseFilter,
)
from incidents.forms import NearMissForm
from incidents.models import Deployment, Difficulty, Incident, NearMiss, OwnershipGap, Surprise
from incidents.paging import filtered_page
from incidents.services import near_miss_report


def near_miss_list(request):
    near_misses = (
        NearMiss.objects.select_related("reported_by")
        .prefetch_related("systems")
        .order_by("-occurred_at", "-pk")
    )
    filterset, page = filtered_page(request, NearMissFilter, near_misses)
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
    filterset, page = filtered_page(request, filterset_class, signals)
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


def deployment_list(request):
    """The deployments a failure rate per change counts (the dashboards link here), each with
    the incidents that name it as their cause, as far as this user may see them."""
    visible = Incident.objects.visible_to(request.user).only("pk", "reference", "caused_by")
    deployments = (
        Deployment.objects.select_related("system")
        .prefetch_related(
            Prefetch(
                "caused_incidents", queryset=visible.order_by("reference"), to_attr="visible_caused"
            )
        )
        .order_by("-deployed_at", "-pk")
    )
    filterset, page = filtered_page(request, DeploymentFilter, deployments)
    return render(request, "incidents/deployment_list.html", {"filter": filterset, "page": page})
