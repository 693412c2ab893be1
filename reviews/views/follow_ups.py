"""Every follow-up the user may see, filtered, and updating one's status from there or from the
workspace: the status stays editable after publication, because the work goes on."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from incidents.paging import filtered_page
from reviews import services
from reviews.filters import FollowUpFilter
from reviews.forms import FollowUpStatusForm
from reviews.models import ActionItem
from reviews.rules import can_update_follow_up_status
from reviews.views.common import HtmxHttpRequest
from reviews.workspace import attach_status_forms


@require_GET
def follow_ups(request: HttpRequest) -> HttpResponse:
    queryset = (
        ActionItem.objects.visible_to(request.user)
        .select_related("review__incident", "owner_team", "assignee")
        .order_by("due_date", "pk")
    )
    data = request.GET
    if not data.get("status"):
        # The page opens on the work still to do; "Any status" (status=all) shows everything.
        data = data.copy()
        data["status"] = FollowUpFilter.UNFINISHED
    filterset, page = filtered_page(request, FollowUpFilter, queryset, data=data)
    attach_status_forms(request.user, page.object_list)
    return render(
        request,
        "reviews/follow_ups.html",
        {"filter": filterset, "page": page, "next": request.get_full_path()},
    )


def _local_path(request: HttpRequest, url: str) -> str:
    """url when it is a path on this site ("/..."), else "": never another host, a scheme,
    or a relative word that the browser would resolve against the current page."""
    if url.startswith("/") and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


@require_POST
def follow_up_status(request: HtmxHttpRequest, item_pk: int) -> HttpResponse:
    item = get_object_or_404(
        ActionItem.objects.visible_to(request.user).select_related(
            "review__incident", "owner_team", "assignee"
        ),
        pk=item_pk,
    )
    if not can_update_follow_up_status(request.user, item):
        raise PermissionDenied("You may not change this follow-up's status.")
    form = FollowUpStatusForm(request.POST, instance=item, auto_id=f"id_status_{item.pk}_%s")
    saved = form.is_valid()
    if saved:
        with transaction.atomic():
            item = services.follow_up_set_status(
                action_item=item, status=form.cleaned_data["status"]
            )
        form = FollowUpStatusForm(instance=item, auto_id=f"id_status_{item.pk}_%s")
    next_url = _local_path(request, request.POST.get("next", "")) or reverse("reviews:follow_ups")
    if request.htmx:
        return render(
            request,
            "reviews/includes/follow_up_status.html",
            {"item": item, "form": form, "next": next_url},
        )
    # `saved`, not form.is_valid(): the form was replaced by an unbound one, never valid.
    if saved:
        messages.success(request, f"“{item.title}” is now {item.get_status_display().lower()}.")
    else:
        messages.error(request, "Choose a valid status.")
    # Not redirect(): it would read a bare word such as "abc" as a view name to reverse.
    return HttpResponseRedirect(next_url)
