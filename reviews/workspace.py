"""What the review workspace shows: its lists of items and the context its template renders.

`ITEM_KINDS` is the registry of the workspace's lists (timeline entries, surprises,
follow-ups...): where each one's items hang, which form edits them and who may change them.
`workspace_context` builds what `reviews/workspace.html` renders, and what each section that
htmx swaps in renders, with a form posted back with errors (`Bound`) in its place. The views
are in `reviews.views.workspace`; this module renders nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.forms import ModelChoiceField
from django.http import HttpRequest
from django.urls import reverse

from incidents.models import Theme
from incidents.signal_kinds import SIGNAL_KINDS
from reviews import selectors, services
from reviews.forms import (
    DifficultyForm,
    FollowUpForm,
    FollowUpStatusForm,
    IncidentCauseForm,
    OwnershipGapForm,
    ParticipantForm,
    ScheduleForm,
    SectionForm,
    SurpriseForm,
    ThemeAttachForm,
    ThemeCreateForm,
    TimelineEntryForm,
)
from reviews.models import Review
from reviews.rules import (
    can_add_participant,
    can_contribute_to_incident,
    can_run_review,
    can_update_follow_up_status,
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
            SIGNAL_KINDS["surprises"].label,
            "surprise",
            SurpriseForm,
            "incident",
            "contribute",
            "surprises",
        ),
        ItemKind(
            "difficulties",
            SIGNAL_KINDS["difficulties"].label,
            "difficulty",
            DifficultyForm,
            "incident",
            "contribute",
            "difficulties",
        ),
        ItemKind(
            "ownership-gaps",
            SIGNAL_KINDS["ownership_gaps"].label,
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


@dataclass
class Bound:
    """A form posted back with errors (or a preview, or a conflict), shown where it belongs."""

    target: str  # a text section's name or an item kind's slug
    form: object
    item_pk: int | None = None
    preview: str = ""
    conflict: services.SectionSave | services.ItemSave | None = None
    seen_change: int | None = None


def may_edit(user, review: Review, permission: str) -> bool:
    if permission == "run":
        return can_run_review(user, review)
    return can_contribute_to_incident(user, review.incident)


def may_add(user, review: Review, kind: ItemKind) -> bool:
    """Adding is editing, except that participants may still be added once published."""
    if kind.slug == "participants":
        return can_add_participant(user, review)
    return may_edit(user, review, kind.permission)


def workspace_url(review: Review, anchor: str = "") -> str:
    url = reverse("reviews:workspace", args=[review.pk])
    return f"{url}#{anchor}" if anchor else url


def item_form(kind: ItemKind, *, instance=None, data=None, initial=None, choices=None):
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


def section_form(review: Review, section: TextSection, *, data=None, version=None):
    initial = {"text": getattr(review, section.name), "version": version or review.version}
    return SectionForm(
        data=data,
        initial=initial,
        label=section.title,
        help_text=section.help_text,
        auto_id=f"id_{section.name}_%s",
    )


def workspace_context(request: HttpRequest, review: Review, bound: Bound | None = None) -> dict:
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
                "form": mine.form if mine else (section_form(review, section) if can_run else None),
                "open": mine is not None or (can_run and not getattr(review, section.name)),
                "preview": mine.preview if mine else "",
                "conflict": mine.conflict if mine else None,
            }
        )

    lists = {}
    choices: dict = {}
    for kind in ITEM_KINDS.values():
        editable = may_edit(user, review, kind.permission)
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
                form = item_form(kind, instance=item, choices=choices) if editable else None
                rows.append(
                    {"item": item, "form": form, "open": False, "seen_change": seen.get(item.pk)}
                )
        if mine and mine.item_pk is None:
            add_form, add_open = mine.form, True
        elif may_add(user, review, kind):
            initial = _add_initial(review, kind, items)
            add_form, add_open = item_form(kind, initial=initial, choices=choices), False
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
    attach_status_forms(user, items["follow_ups"])

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
        "can_add_participant": can_add_participant(user, review),
        "survey_invitation": (
            selectors.survey_invitation(review=review, user=user) if review.is_published else None
        ),
        "sections_by_name": {entry["section"].name: entry for entry in sections},
        "workspace_next": workspace_url(review, "section-follow_ups"),
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
        "cause_form": (
            bound.form
            if bound and bound.target == "cause"
            else IncidentCauseForm(instance=review.incident, auto_id="id_cause_%s")
        )
        if can_contribute
        else None,
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


def attach_status_forms(user, items) -> None:
    """A status form on each follow-up the user may update, else None (in the workspace and on
    the follow-ups page).

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
