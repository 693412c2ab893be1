"""The home page: it shows reviews as well as incidents, so it lives here, above incidents/."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from incidents.models import Incident
from reviews import rules, selectors
from reviews.models import Review

HOME_LIST_SIZE = 8
# The newest few: a facilitator may owe many, and the card must not push the rest away.
SURVEYS_SHOWN = 3


def home(request: HttpRequest) -> HttpResponse:
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
    surveys = Review.objects.survey_waiting_for(user).filter(incident__in=visible)
    context["surveys_waiting_count"] = surveys.count()
    context["surveys_waiting_more"] = max(0, context["surveys_waiting_count"] - SURVEYS_SHOWN)
    context["surveys_waiting"] = surveys.select_related("incident").order_by(
        "-published_at", "-pk"
    )[:SURVEYS_SHOWN]
    if context["is_facilitator"]:
        # The queue's "Reviews you facilitate": under way, theirs. The first few, and whether
        # there are more (one row more is read rather than counting them all).
        mine = list(
            Review.objects.filter(facilitator=user, incident__in=visible)
            .under_way()
            .select_related("incident")
            .order_by("scheduled_for", "-incident__started_at")[: HOME_LIST_SIZE + 1]
        )
        context["my_reviews"] = mine[:HOME_LIST_SIZE]
        context["my_reviews_more"] = len(mine) > HOME_LIST_SIZE
        # The queue's list, in the queue's order: the same count on both pages. Counted and
        # sliced by the database, as the queue pages it.
        waiting = selectors.needs_review(user=user)
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
