"""The web page of a user's own API tokens: name one and choose its expiry, see when each was
last used, revoke one. The token itself is shown once, on the page that created it; only its
hash is stored (django-rest-knox)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from knox.models import AuthToken

from api.auth import token_create, token_revoke

EXPIRY_CHOICES = [("7", "7 days"), ("30", "30 days"), ("90", "90 days"), ("365", "a year")]


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What the token is for, e.g. “CI export” or “weekly report script”.",
    )
    days = forms.TypedChoiceField(
        label="Expires after", choices=EXPIRY_CHOICES, coerce=int, initial="30"
    )


@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenCreateForm()
    created = None
    if request.method == "POST" and "revoke" in request.POST:
        if token_revoke(user=request.user, token_key=request.POST["revoke"]):
            messages.success(request, "Token revoked: scripts using it are refused from now on.")
        else:
            messages.error(request, "No such token of yours: it may have expired or been revoked.")
        return redirect("api_tokens")
    if request.method == "POST":
        form = TokenCreateForm(request.POST)
        if form.is_valid():
            instance, plain = token_create(
                user=request.user,
                ttl=timedelta(days=form.cleaned_data["days"]),
                name=form.cleaned_data["name"],
            )
            # Shown on this answer only (not a redirect: it would have to be kept somewhere).
            created = {"token": plain, "instance": instance}
            form = TokenCreateForm()
    mine = (
        AuthToken.objects.filter(user=request.user)
        .select_related("label")
        .order_by("-created")
    )
    return render(
        request, "api/tokens.html", {"form": form, "tokens": mine, "created": created}
    )
