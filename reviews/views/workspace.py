"""The workspace, and every edit in it: text sections, item lists, themes and the incident's
cause.

Each edit is a POST answered by `render_section`: the section's HTML for htmx, else back to
the workspace. What the page shows is built in `reviews.workspace`.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from incidents.models import Theme
from reviews import services
from reviews.forms import IncidentCauseForm, SectionForm, ThemeAttachForm, ThemeCreateForm
from reviews.markdown import render_markdown
from reviews.models import Review
from reviews.rules import can_contribute_to_incident, can_delete_contribution, can_run_review
from reviews.sections import TEXT_SECTIONS
from reviews.views.common import (
    HtmxHttpRequest,
    get_review,
    get_review_to_run,
    render_section,
)
from reviews.workspace import (
    ITEM_KINDS,
    Bound,
    ItemKind,
    item_form,
    may_add,
    may_edit,
    section_form,
    workspace_context,
)


@require_GET
def workspace(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_review(request, pk)
    return render(request, "reviews/workspace.html", workspace_context(request, review))


@require_POST
def section_save(request: HtmxHttpRequest, pk: int, section: str) -> HttpResponse:
    text_section = TEXT_SECTIONS.get(section)
    if text_section is None:
        raise Http404("No such section.")
    review = get_review_to_run(
        request, pk, refusal="Only the review's facilitators edit this section."
    )
    form = section_form(review, text_section, data=request.POST)
    if not form.is_valid():
        return render_section(request, review, section, Bound(section, form))
    text, version = form.cleaned_data["text"], form.cleaned_data["version"]
    if request.POST.get("action") == "preview":
        return render_section(
            request, review, section, Bound(section, form, preview=render_markdown(text))
        )
    result = services.review_update_section(
        review=review, section=section, text=text, version=version
    )
    if not result.saved:
        # Keep the person's text in the box, and carry the version they have now seen,
        # so saving again is a deliberate choice to replace the other text.
        fresh = SectionForm(
            data={"text": text, "version": result.review.version},
            label=text_section.title,
            help_text=text_section.help_text,
            auto_id=f"id_{section}_%s",
        )
        fresh.is_valid()
        return render_section(
            request, result.review, section, Bound(section, fresh, conflict=result)
        )
    if not request.htmx:
        messages.success(request, f"{text_section.title} saved.")
    return render_section(request, get_review(request, pk), section)


def _item_kind(kind_slug: str) -> ItemKind:
    kind = ITEM_KINDS.get(kind_slug)
    if kind is None:
        raise Http404("No such list.")
    return kind


def _check_item_permission(request, review: Review, kind: ItemKind) -> None:
    if not may_edit(request.user, review, kind.permission):
        raise PermissionDenied(f"You may not change the {kind.title.lower()} of this review.")


def _item_queryset(review: Review, kind: ItemKind):
    owner = review.incident if kind.owner == "incident" else review
    return getattr(owner, kind.related_name).all()


def _new_item(review: Review, kind: ItemKind):
    model = kind.form_class._meta.model
    if kind.owner == "incident":
        return model(incident=review.incident)
    return model(review=review)


def _seen_change(request: HttpRequest) -> int | None:
    """The item's newest history id when its edit form was loaded (None: not sent)."""
    try:
        return int(request.POST["seen_change"])
    except (KeyError, ValueError):
        return None


@require_POST
def item_add(request: HtmxHttpRequest, pk: int, kind_slug: str) -> HttpResponse:
    review = get_review(request, pk)
    kind = _item_kind(kind_slug)
    if not may_add(request.user, review, kind):
        raise PermissionDenied(f"You may not add to the {kind.title.lower()} of this review.")
    form = item_form(kind, instance=_new_item(review, kind), data=request.POST)
    if not form.is_valid():
        return render_section(request, review, kind.key, Bound(kind.slug, form))
    services.item_add(form=form, author=request.user)
    if not request.htmx:
        messages.success(request, f"Added the {kind.singular}.")
    # Keep the add form open: people usually add several entries in a row.
    return render_section(request, review, kind.key, keep_adding=True)


@require_POST
def item_edit(request: HtmxHttpRequest, pk: int, kind_slug: str, item_pk: int) -> HttpResponse:
    review = get_review(request, pk)
    kind = _item_kind(kind_slug)
    _check_item_permission(request, review, kind)
    item = get_object_or_404(_item_queryset(review, kind), pk=item_pk)
    form = item_form(kind, instance=item, data=request.POST)
    seen = _seen_change(request)
    if not form.is_valid():
        bound = Bound(kind.slug, form, item_pk=item.pk, seen_change=seen)
        return render_section(request, review, kind.key, bound)
    result = services.item_save_unless_changed(form=form, seen_change=seen)
    if not result.saved:
        # Their version is shown in the list; the person's edits stay in the open form,
        # which now carries the newest change, so saving again is a deliberate overwrite.
        bound = Bound(
            kind.slug, form, item_pk=item.pk, conflict=result, seen_change=result.latest_change
        )
        return render_section(request, review, kind.key, bound)
    if not request.htmx:
        messages.success(request, f"Saved the {kind.singular}.")
    return render_section(request, review, kind.key)


def _may_delete(user, review: Review, kind: ItemKind) -> bool:
    """What hangs off the incident is a contribution (`can_delete_contribution` decides); the
    review's own lists, participants and follow-ups, are part of running it."""
    if kind.owner == "incident":
        return can_delete_contribution(user, review.incident)
    return can_run_review(user, review)


@require_POST
def item_delete(request: HtmxHttpRequest, pk: int, kind_slug: str, item_pk: int) -> HttpResponse:
    kind = _item_kind(kind_slug)
    # Responders add and correct what they saw; removing it is the facilitator's call
    # (history keeps a copy either way).
    review = get_review(request, pk)
    if not _may_delete(request.user, review, kind):
        raise PermissionDenied(f"Only facilitators delete {kind.title.lower()}.")
    item = get_object_or_404(_item_queryset(review, kind), pk=item_pk)
    services.item_delete(item=item)
    if not request.htmx:
        messages.success(request, f"Deleted the {kind.singular}.")
    return render_section(request, review, kind.key)


@require_POST
def theme_attach(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    review = get_review_to_run(request, pk, refusal="Only facilitators tag reviews with themes.")
    form = ThemeAttachForm(request.POST, auto_id="id_theme_attach_%s")
    if not form.is_valid():
        return render_section(request, review, "themes", Bound("themes", form))
    services.theme_attach(theme=form.cleaned_data["theme"], incident=review.incident)
    return render_section(request, review, "themes")


@require_POST
def theme_detach(request: HtmxHttpRequest, pk: int, theme_pk: int) -> HttpResponse:
    review = get_review_to_run(request, pk, refusal="Only facilitators tag reviews with themes.")
    theme = get_object_or_404(Theme, pk=theme_pk)
    services.theme_detach(theme=theme, incident=review.incident)
    return render_section(request, review, "themes")


@require_POST
def theme_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    review = get_review_to_run(request, pk, refusal="Only facilitators add themes to the codebook.")
    form = ThemeCreateForm(request.POST, auto_id="id_theme_new_%s")
    if not form.is_valid():
        return render_section(request, review, "themes", Bound("themes", form))
    try:
        services.theme_create(
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
            incident=review.incident,
        )
    except ValidationError as error:  # the same theme, created at the same moment
        form.add_error(None, error)
        return render_section(request, review, "themes", Bound("themes", form))
    return render_section(request, review, "themes")


@require_POST
def cause_save(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """What triggered the incident: who may add what they saw (responders, facilitators)
    may say which change it was."""
    review = get_review(request, pk)
    if not can_contribute_to_incident(request.user, review.incident):
        raise PermissionDenied("You may not change what caused this incident.")
    form = IncidentCauseForm(request.POST, instance=review.incident, auto_id="id_cause_%s")
    if not form.is_valid():
        return render_section(request, review, "overview", Bound("cause", form))
    services.incident_set_cause(form=form)
    if not request.htmx:
        messages.success(request, "Saved what caused the incident.")
    return render_section(request, get_review(request, pk), "overview")
