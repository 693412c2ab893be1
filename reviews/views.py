"""Review pages: the queue, the workspace, the report, follow-ups, the survey and history.

Every edit in the workspace is a plain form POST that redirects back to its section, so it
works without JavaScript; with htmx (`HX-Request`) the same view answers with the section's
HTML instead, and the page swaps it in place. Permissions come from `reviews.rules`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.forms import ModelChoiceField
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from incidents.models import Incident, Theme
from reviews import selectors, services
from reviews.filters import FollowUpFilter
from reviews.forms import (
    DifficultyForm,
    FollowUpForm,
    FollowUpStatusForm,
    OwnershipGapForm,
    ParticipantForm,
    ScheduleForm,
    SectionForm,
    SurpriseForm,
    SurveyForm,
    ThemeAttachForm,
    ThemeCreateForm,
    TimelineEntryForm,
)
from reviews.markdown import render_markdown, review_markdown
from reviews.models import ActionItem, Review, SurveyResponse
from reviews.rules import (
    can_answer_survey,
    can_contribute_to_incident,
    can_create_review,
    can_run_review,
    can_update_follow_up_status,
    is_facilitator,
)
from reviews.sections import TEXT_SECTIONS, TextSection


@dataclass(frozen=True)
class ItemKind:
    """A list of items in the workspace: timeline entries, surprises, follow-ups..."""

    slug: str
    title: str
    singular: str
    form_class: type
    # "incident": the item hangs off the incident; "review": off the review.
    owner: str
    # "contribute": responders and facilitators; "run": facilitators only.
    permission: str
    related_name: str

    @property
    def key(self) -> str:
        """The name of its list in `selectors.review_items` and in templates."""
        return self.slug.replace("-", "_")


ITEM_KINDS = {
    kind.slug: kind
    for kind in [
        ItemKind(
            "timeline",
            "Timeline",
            "timeline entry",
            TimelineEntryForm,
            "incident",
            "contribute",
            "timeline",
        ),
        ItemKind(
            "surprises",
            "Surprises",
            "surprise",
            SurpriseForm,
            "incident",
            "contribute",
            "surprises",
        ),
        ItemKind(
            "difficulties",
            "Difficulties in understanding",
            "difficulty",
            DifficultyForm,
            "incident",
            "contribute",
            "difficulties",
        ),
        ItemKind(
            "ownership-gaps",
            "Ownership gaps",
            "ownership gap",
            OwnershipGapForm,
            "incident",
            "contribute",
            "ownership_gaps",
        ),
        ItemKind(
            "participants",
            "Participants and interviews",
            "participant",
            ParticipantForm,
            "review",
            "run",
            "participants",
        ),
        ItemKind(
            "follow-ups",
            "Follow-ups",
            "follow-up",
            FollowUpForm,
            "review",
            "run",
            "action_items",
        ),
    ]
}


# --- helpers -------------------------------------------------------------------------------


def _get_review(request: HttpRequest, pk: int) -> Review:
    """The review, or 404 when it does not exist or its incident is private to others."""
    try:
        return selectors.review_for_workspace(review_pk=pk, user=request.user)
    except Review.DoesNotExist:
        raise Http404("No such review.") from None


def _get_review_to_run(request: HttpRequest, pk: int, *, refusal: str) -> Review:
    """The review, when this user may run it (see `can_run_review`); else 404 or 403."""
    review = _get_review(request, pk)
    if not can_run_review(request.user, review):
        raise PermissionDenied(refusal)
    return review


def _may_edit(user, review: Review, permission: str) -> bool:
    if permission == "run":
        return can_run_review(user, review)
    return can_contribute_to_incident(user, review.incident)


def _workspace_url(review: Review, anchor: str = "") -> str:
    url = reverse("reviews:workspace", args=[review.pk])
    return f"{url}#{anchor}" if anchor else url


def _item_queryset(review: Review, kind: ItemKind):
    owner = review.incident if kind.owner == "incident" else review
    return getattr(owner, kind.related_name).all()


def _new_item(review: Review, kind: ItemKind):
    model = kind.form_class._meta.model
    if kind.owner == "incident":
        return model(incident=review.incident)
    return model(review=review)


def _item_form(kind: ItemKind, *, instance=None, data=None, initial=None, choices=None):
    key = instance.pk if instance is not None and instance.pk else "new"
    form = kind.form_class(
        data=data,
        instance=instance,
        initial=initial,
        auto_id=f"id_{kind.slug}_{key}_%s",
    )
    if choices is not None:
        _share_choices(form, choices)
    return form


def _share_choices(form, cache: dict) -> None:
    """Read each select's options once per page, not once per form.

    A workspace renders an edit form for every item; without this each form's team, system
    and person selects would query again, and the page would cost more the longer it is.
    """
    for name, form_field in form.fields.items():
        if isinstance(form_field, ModelChoiceField):
            key = (type(form), name)
            if key not in cache:
                cache[key] = list(form_field.choices)
            form_field.choices = cache[key]


def _section_form(review: Review, section: TextSection, *, data=None, version=None):
    initial = {"text": getattr(review, section.name), "version": version or review.version}
    return SectionForm(
        data=data,
        initial=initial,
        label=section.title,
        help_text=section.help_text,
        auto_id=f"id_{section.name}_%s",
    )


@dataclass
class Bound:
    """A form posted back with errors (or a preview, or a conflict), shown where it belongs."""

    target: str  # a text section's name or an item kind's slug
    form: object
    item_pk: int | None = None
    preview: str = ""
    conflict: services.SectionSave | services.ItemSave | None = None
    seen_change: int | None = None


def _seen_change(request: HttpRequest) -> int | None:
    """The item's newest history id when its edit form was loaded (None: not sent)."""
    try:
        return int(request.POST["seen_change"])
    except (KeyError, ValueError):
        return None


def _workspace_context(request: HttpRequest, review: Review, bound: Bound | None = None) -> dict:
    user = request.user
    items = selectors.review_items(review=review)
    can_run = can_run_review(user, review)
    can_contribute = can_contribute_to_incident(user, review.incident)

    sections = []
    for section in TEXT_SECTIONS.values():
        mine = bound if bound and bound.target == section.name else None
        sections.append(
            {
                "section": section,
                "text": getattr(review, section.name),
                "form": mine.form
                if mine
                else (_section_form(review, section) if can_run else None),
                "open": mine is not None or (can_run and not getattr(review, section.name)),
                "preview": mine.preview if mine else "",
                "conflict": mine.conflict if mine else None,
            }
        )

    lists = {}
    choices: dict = {}
    for kind in ITEM_KINDS.values():
        editable = _may_edit(user, review, kind.permission)
        mine = bound if bound and bound.target == kind.slug else None
        rows = []
        model = kind.form_class._meta.model
        seen = (
            services.latest_changes(model, [item.pk for item in items[kind.key]])
            if editable and items[kind.key]
            else {}
        )
        for item in items[kind.key]:
            if mine and mine.item_pk == item.pk:
                rows.append(
                    {
                        "item": item,
                        "form": mine.form,
                        "open": True,
                        "seen_change": mine.seen_change,
                        "conflict": mine.conflict,
                    }
                )
            else:
                form = _item_form(kind, instance=item, choices=choices) if editable else None
                rows.append(
                    {"item": item, "form": form, "open": False, "seen_change": seen.get(item.pk)}
                )
        if mine and mine.item_pk is None:
            add_form, add_open = mine.form, True
        elif editable:
            initial = _add_initial(review, kind, items)
            add_form, add_open = _item_form(kind, initial=initial, choices=choices), False
        else:
            add_form, add_open = None, False
        lists[kind.key] = {
            "kind": kind,
            "rows": rows,
            "editable": editable,
            "add_form": add_form,
            "add_open": add_open,
        }

    for item in items["follow_ups"]:
        item.review = review  # already loaded: spares a query per row
    _attach_status_forms(user, items["follow_ups"])

    theme_bound = bound if bound and bound.target == "themes" else None
    attached = {theme.pk for theme in items["themes"]}
    return {
        "review": review,
        "incident": review.incident,
        "items": items,
        "sections": sections,
        "lists": lists,
        "can_run": can_run,
        "can_contribute": can_contribute,
        "sections_by_name": {entry["section"].name: entry for entry in sections},
        "workspace_next": _workspace_url(review, "section-follow_ups"),
        "theme_attach_form": (
            ThemeAttachForm(auto_id="id_theme_attach_%s")
            if can_run and not (theme_bound and isinstance(theme_bound.form, ThemeAttachForm))
            else (theme_bound.form if theme_bound else None)
        ),
        "theme_create_form": (
            theme_bound.form
            if theme_bound and isinstance(theme_bound.form, ThemeCreateForm)
            else (ThemeCreateForm(auto_id="id_theme_new_%s") if can_run else None)
        ),
        "codebook": Theme.objects.exclude(pk__in=attached),
        "schedule_form": (
            bound.form
            if bound and bound.target == "schedule"
            else ScheduleForm(
                initial={"scheduled_for": review.scheduled_for}, auto_id="id_schedule_%s"
            )
        )
        if can_run
        else None,
    }


def _add_initial(review: Review, kind: ItemKind, items: dict) -> dict:
    if kind.slug == "timeline":
        last = items["timeline"][-1].at if items["timeline"] else review.incident.started_at
        return {"at": last}
    return {}


def _render_section(
    request: HttpRequest,
    review: Review,
    anchor: str,
    bound: Bound | None = None,
    *,
    keep_adding: bool = False,
) -> HttpResponse:
    """htmx: the section's HTML to swap in; a plain POST: back to the workspace's section,
    or the whole workspace again when the form has something to show (errors, a conflict)."""
    if not request.htmx and bound is None:
        return redirect(_workspace_url(review, f"section-{anchor}"))
    context = _workspace_context(request, review, bound)
    if not request.htmx:
        return render(request, "reviews/workspace.html", context)
    if keep_adding and anchor in context["lists"]:
        context["lists"][anchor]["add_open"] = True
    if anchor in TEXT_SECTIONS:
        context["entry"] = context["sections_by_name"][anchor]
        return render(request, "reviews/sections/text.html", context)
    if anchor in context["lists"]:
        context["list"] = context["lists"][anchor]
        return render(request, "reviews/sections/items.html", context)
    return render(request, f"reviews/sections/{anchor}.html", context)


# --- pages ---------------------------------------------------------------------------------


@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    review_queue = selectors.review_queue(user=request.user)
    review_blocks = [
        ("Scheduled", review_queue.scheduled, "scheduled"),
        ("In progress", review_queue.in_progress, "in-progress"),
        ("Recently published", review_queue.published, "published"),
    ]
    return render(
        request,
        "reviews/queue.html",
        {
            "queue": review_queue,
            "review_blocks": review_blocks,
            # Creating a review is a facilitator's job; a private incident in the queue is
            # one the user may already see, so the role alone decides.
            "can_start": is_facilitator(request.user),
        },
    )


@require_POST
def review_create(request: HttpRequest, reference: str) -> HttpResponse:
    incident = get_object_or_404(Incident.objects.visible_to(request.user), reference=reference)
    if not can_create_review(request.user, incident):
        raise PermissionDenied("Only facilitators start reviews.")
    review = services.review_start(incident=incident, facilitator=request.user)
    messages.success(request, f"Review of {incident.reference} started.")
    return redirect(_workspace_url(review))


@require_GET
def workspace(request: HttpRequest, pk: int) -> HttpResponse:
    review = _get_review(request, pk)
    return render(request, "reviews/workspace.html", _workspace_context(request, review))


@require_POST
def section_save(request: HttpRequest, pk: int, section: str) -> HttpResponse:
    text_section = TEXT_SECTIONS.get(section)
    if text_section is None:
        raise Http404("No such section.")
    review = _get_review_to_run(
        request, pk, refusal="Only the review's facilitators edit this section."
    )
    form = _section_form(review, text_section, data=request.POST)
    if not form.is_valid():
        return _render_section(request, review, section, Bound(section, form))
    text, version = form.cleaned_data["text"], form.cleaned_data["version"]
    if request.POST.get("action") == "preview":
        return _render_section(
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
        return _render_section(
            request, result.review, section, Bound(section, fresh, conflict=result)
        )
    if not request.htmx:
        messages.success(request, f"{text_section.title} saved.")
    return _render_section(request, _get_review(request, pk), section)


def _item_kind(kind_slug: str) -> ItemKind:
    kind = ITEM_KINDS.get(kind_slug)
    if kind is None:
        raise Http404("No such list.")
    return kind


def _check_item_permission(request, review: Review, kind: ItemKind) -> None:
    if not _may_edit(request.user, review, kind.permission):
        raise PermissionDenied(f"You may not change the {kind.title.lower()} of this review.")


@require_POST
def item_add(request: HttpRequest, pk: int, kind_slug: str) -> HttpResponse:
    review = _get_review(request, pk)
    kind = _item_kind(kind_slug)
    _check_item_permission(request, review, kind)
    form = _item_form(kind, instance=_new_item(review, kind), data=request.POST)
    if not form.is_valid():
        return _render_section(request, review, kind.key, Bound(kind.slug, form))
    item = form.save(commit=False)
    if hasattr(item, "author_id") and item.author_id is None:
        item.author = request.user
    item.save()
    if not request.htmx:
        messages.success(request, f"Added the {kind.singular}.")
    # Keep the add form open: people usually add several entries in a row.
    return _render_section(request, review, kind.key, keep_adding=True)


@require_POST
def item_edit(request: HttpRequest, pk: int, kind_slug: str, item_pk: int) -> HttpResponse:
    review = _get_review(request, pk)
    kind = _item_kind(kind_slug)
    _check_item_permission(request, review, kind)
    item = get_object_or_404(_item_queryset(review, kind), pk=item_pk)
    form = _item_form(kind, instance=item, data=request.POST)
    seen = _seen_change(request)
    if not form.is_valid():
        bound = Bound(kind.slug, form, item_pk=item.pk, seen_change=seen)
        return _render_section(request, review, kind.key, bound)
    result = services.item_save_unless_changed(form=form, seen_change=seen)
    if not result.saved:
        # Their version is shown in the list; the person's edits stay in the open form,
        # which now carries the newest change, so saving again is a deliberate overwrite.
        bound = Bound(
            kind.slug, form, item_pk=item.pk, conflict=result, seen_change=result.latest_change
        )
        return _render_section(request, review, kind.key, bound)
    if not request.htmx:
        messages.success(request, f"Saved the {kind.singular}.")
    return _render_section(request, review, kind.key)


@require_POST
def item_delete(request: HttpRequest, pk: int, kind_slug: str, item_pk: int) -> HttpResponse:
    kind = _item_kind(kind_slug)
    # Responders add and correct what they saw; removing it is the facilitator's call
    # (history keeps a copy either way).
    review = _get_review_to_run(
        request, pk, refusal=f"Only facilitators delete {kind.title.lower()}."
    )
    item = get_object_or_404(_item_queryset(review, kind), pk=item_pk)
    item.delete()
    if not request.htmx:
        messages.success(request, f"Deleted the {kind.singular}.")
    return _render_section(request, review, kind.key)


@require_POST
def theme_attach(request: HttpRequest, pk: int) -> HttpResponse:
    review = _get_review_to_run(request, pk, refusal="Only facilitators tag reviews with themes.")
    form = ThemeAttachForm(request.POST, auto_id="id_theme_attach_%s")
    if not form.is_valid():
        return _render_section(request, review, "themes", Bound("themes", form))
    form.cleaned_data["theme"].incidents.add(review.incident)
    return _render_section(request, review, "themes")


@require_POST
def theme_detach(request: HttpRequest, pk: int, theme_pk: int) -> HttpResponse:
    review = _get_review_to_run(request, pk, refusal="Only facilitators tag reviews with themes.")
    theme = get_object_or_404(Theme, pk=theme_pk)
    theme.incidents.remove(review.incident)
    return _render_section(request, review, "themes")


@require_POST
def theme_create(request: HttpRequest, pk: int) -> HttpResponse:
    review = _get_review_to_run(
        request, pk, refusal="Only facilitators add themes to the codebook."
    )
    form = ThemeCreateForm(request.POST, auto_id="id_theme_new_%s")
    if not form.is_valid():
        return _render_section(request, review, "themes", Bound("themes", form))
    services.theme_create(
        name=form.cleaned_data["name"],
        description=form.cleaned_data["description"],
        incident=review.incident,
    )
    return _render_section(request, review, "themes")


@require_POST
def schedule(request: HttpRequest, pk: int) -> HttpResponse:
    review = _get_review_to_run(request, pk, refusal="Only facilitators schedule reviews.")
    form = ScheduleForm(request.POST, auto_id="id_schedule_%s")
    if not form.is_valid():
        return _render_section(request, review, "overview", Bound("schedule", form))
    services.review_schedule(review=review, scheduled_for=form.cleaned_data["scheduled_for"])
    return _render_section(request, _get_review(request, pk), "overview")


@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    review = _get_review_to_run(request, pk, refusal="Only facilitators publish reviews.")
    try:
        services.review_publish(review=review, user=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(_workspace_url(review, "section-overview"))
    messages.success(request, "Published. The report is ready to share.")
    return redirect("reviews:report", pk=review.pk)


@require_GET
def report(request: HttpRequest, pk: int) -> HttpResponse:
    review = _get_review(request, pk)
    context = {
        "review": review,
        "incident": review.incident,
        "items": selectors.review_items(review=review),
        "sections": [
            {"section": section, "text": getattr(review, section.name)}
            for section in TEXT_SECTIONS.values()
        ],
        "survey": selectors.survey_counts(review=review),
        "can_answer_survey": can_answer_survey(request.user, review),
    }
    return render(request, "reviews/report.html", context)


@require_GET
def report_markdown(request: HttpRequest, pk: int) -> HttpResponse:
    review = _get_review(request, pk)
    text = review_markdown(review)
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    filename = f"{review.incident.reference}-review.md"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def survey(request: HttpRequest, pk: int) -> HttpResponse:
    review = _get_review(request, pk)
    if not can_answer_survey(request.user, review):
        raise PermissionDenied("The survey is for the review's participants, once it is published.")
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


@require_GET
def history(request: HttpRequest, pk: int) -> HttpResponse:
    review = _get_review(request, pk)
    changes = selectors.review_history(review=review)
    return render(
        request,
        "reviews/history.html",
        {"review": review, "incident": review.incident, "changes": changes},
    )


def _attach_status_forms(user, items) -> None:
    """A status form on each follow-up the user may update, else None.

    For a private incident every `can_update_follow_up_status` call is a visibility query. Its
    answer depends only on the incident and on whether the user is the assignee, so ask once per
    such pair instead of once per row.
    """
    allowed: dict[tuple[int, bool], bool] = {}
    for item in items:
        key = (item.review.incident_id, item.assignee_id == user.pk)
        if key not in allowed:
            allowed[key] = can_update_follow_up_status(user, item)
        item.status_form = (
            FollowUpStatusForm(instance=item, auto_id=f"id_status_{item.pk}_%s")
            if allowed[key]
            else None
        )


@require_GET
def follow_ups(request: HttpRequest) -> HttpResponse:
    visible = Incident.objects.visible_to(request.user)
    queryset = (
        ActionItem.objects.filter(review__incident__in=visible)
        .select_related("review__incident", "owner_team", "assignee")
        .order_by("due_date", "pk")
    )
    filterset = FollowUpFilter(request.GET, queryset=queryset)
    items = filterset.qs if filterset.is_valid() else queryset.none()
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    _attach_status_forms(request.user, page.object_list)
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
def follow_up_status(request: HttpRequest, item_pk: int) -> HttpResponse:
    visible = Incident.objects.visible_to(request.user)
    item = get_object_or_404(
        ActionItem.objects.select_related("review__incident", "owner_team", "assignee"),
        pk=item_pk,
        review__incident__in=visible,
    )
    if not can_update_follow_up_status(request.user, item):
        raise PermissionDenied("You may not change this follow-up's status.")
    form = FollowUpStatusForm(request.POST, instance=item, auto_id=f"id_status_{item.pk}_%s")
    if form.is_valid():
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
    if form.is_valid():
        messages.success(request, f"“{item.title}” is now {item.get_status_display().lower()}.")
    else:
        messages.error(request, "Choose a valid status.")
    # Not redirect(): it would read a bare word such as "abc" as a view name to reverse.
    return HttpResponseRedirect(next_url)
