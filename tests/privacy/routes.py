"""Every URL pattern of the project, read from the resolver, with its path parameters filled
from the canary's records: a new page is walked as soon as it is routed.

Admin pages and API resources are filled from what they are about (the admin's model, the
viewset's model, lookup field and renderers); the site's own pages from `SITE_FILLS`, by URL
name. A
pattern that has parameters and no fill fails the walk, unless `UNFILLED` says why it cannot
be filled.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import URLResolver, get_resolver

from incidents.models import Incident, NearMiss, System, Theme, TimelineEntry
from reviews.models import ActionItem, Review
from reviews.sections import TEXT_SECTIONS
from reviews.workspace import ITEM_KINDS
from tests.privacy.canary import Canary

# Patterns that cannot be filled, with the reason; nothing else is left out.
# django-axes' login-failure records name usernames and addresses, never an incident; only
# superusers reach them, and their lists are walked.
_AXES = "django-axes login records: no incident data, superusers only; the lists are walked"
UNFILLED: dict[str, str] = {
    "admin/axes/accessattempt/<path:object_id>/history/": _AXES,
    "admin/axes/accessattempt/<path:object_id>/delete/": _AXES,
    "admin/axes/accessattempt/<path:object_id>/change/": _AXES,
    "admin/axes/accessattempt/<path:object_id>/": _AXES,
    "admin/axes/accesslog/<path:object_id>/history/": _AXES,
    "admin/axes/accesslog/<path:object_id>/delete/": _AXES,
    "admin/axes/accesslog/<path:object_id>/change/": _AXES,
    "admin/axes/accesslog/<path:object_id>/": _AXES,
    "admin/axes/accessfailurelog/<path:object_id>/history/": _AXES,
    "admin/axes/accessfailurelog/<path:object_id>/delete/": _AXES,
    "admin/axes/accessfailurelog/<path:object_id>/change/": _AXES,
    "admin/axes/accessfailurelog/<path:object_id>/": _AXES,
}


@dataclass(frozen=True)
class Route:
    pattern: str  # as Django joins it (ResolverMatch.route)
    name: str  # "namespace:name", "" when unnamed
    callback: Callable

    @property
    def parameters(self) -> list[str]:
        named = re.findall(r"<(?:\w+:)?(\w+)>", _outside_groups(self.pattern))
        return named + [group for group in _groups(self.pattern) if group]

    @property
    def ignores_who_asks(self) -> bool:
        """An API view that authenticates nobody (the OpenAPI schema, its viewers, the token
        login) answers everyone as it answers someone logged out."""
        view = getattr(self.callback, "cls", None)
        return getattr(view, "authentication_classes", None) == []

    @property
    def positional(self) -> int:
        return sum(1 for group in _groups(self.pattern) if not group)


def all_routes() -> list[Route]:
    routes = []

    def walk(resolver, prefix: str, namespaces: tuple[str, ...]) -> None:
        for entry in resolver.url_patterns:
            pattern = _join(prefix, str(entry.pattern))
            if isinstance(entry, URLResolver):
                inner = (*namespaces, entry.namespace) if entry.namespace else namespaces
                walk(entry, pattern, inner)
            else:
                name = ":".join((*namespaces, entry.name)) if entry.name else ""
                routes.append(Route(pattern, name, entry.callback))

    walk(get_resolver(), "", ())
    return routes


def _join(first: str, second: str) -> str:
    # As django.urls.resolvers.URLResolver._join_route: the second loses its leading ^.
    return second if not first else first + second.removeprefix("^")


def _groups(pattern: str) -> list[str]:
    """The top-level regex groups of pattern, each as its name ("" when positional)."""
    names, depth = [], 0
    for index, char in enumerate(pattern):
        if char == "\\":
            continue
        if char == "(" and (index == 0 or pattern[index - 1] != "\\"):
            if depth == 0:
                named = re.match(r"\(\?P<(\w+)>", pattern[index:])
                names.append(named[1] if named else "")
            depth += 1
        elif char == ")" and pattern[index - 1] != "\\":
            depth -= 1
    return names


def _outside_groups(pattern: str) -> str:
    return re.sub(r"\((?:[^()]|\([^()]*\))*\)", "", pattern)


def fill(pattern: str, values: dict[str, object], positional: tuple = ()) -> str:
    """The URL that `pattern` (route syntax, regex syntax or both) matches with these values."""
    out, index, remaining = [], 0, list(positional)
    while index < len(pattern):
        char = pattern[index]
        if char == "<":
            end = pattern.index(">", index)
            out.append(str(values[pattern[index + 1 : end].split(":")[-1]]))
            index = end + 1
        elif char == "(":
            depth, end = 0, index
            while True:
                if pattern[end] == "\\":
                    end += 2
                    continue
                depth += {"(": 1, ")": -1}.get(pattern[end], 0)
                if depth == 0:
                    break
                end += 1
            named = re.match(r"\(\?P<(\w+)>", pattern[index:])
            out.append(str(values[named[1]] if named else remaining.pop(0)))
            index = end + 1
        elif char == "\\":
            out.append(pattern[index + 1])
            index += 2
        else:
            if char not in "^$?":  # "/?" keeps its slash
                out.append(char)
            index += 1
    return "/" + "".join(out)


# --- how each kind of route is filled ---------------------------------------------------------


@dataclass(frozen=True)
class Fill:
    kwargs: dict
    args: tuple = ()
    subject: object = None  # the record the URL is about, if any


_ADMIN_MODEL = re.compile(r"^admin/(\w+)/(\w+)/")


def _admin_fills(route: Route, canary: Canary) -> list[Fill] | None:
    if not route.pattern.startswith("admin/"):
        return None
    parameters = set(route.parameters)
    if not parameters and not route.positional:
        return [Fill({})]
    if {"content_type_id", "object_id"} <= parameters:  # "view on site"
        # Of the records that have a page to redirect to (for others it is a 404 anyway).
        return [
            Fill(
                {"content_type_id": ContentType.objects.get_for_model(obj).pk, "object_id": obj.pk},
                subject=obj,
            )
            for objects in canary.objects.values()
            for obj in objects
            if hasattr(obj, "get_absolute_url")
        ]
    if "app_label" in parameters:
        labels = sorted({model._meta.app_label for model in admin.site._registry})
        return [Fill({"app_label": label}) for label in labels]
    if "url" in parameters:  # the admin's catch-all
        return [Fill({"url": "nowhere/"})]
    found = _ADMIN_MODEL.match(route.pattern)
    if found is None:
        return None
    objects = canary.of(apps.get_model(found[1], found[2]))
    if not route.name.endswith("_change"):
        # Beside the canaries' records, a public record's change page is enough: its other
        # pages (history, delete) name only itself. A public model's are walked once.
        objects = [obj for obj in objects if canary.is_private(obj)] or objects[:1]
    if route.positional == 2:  # django-simple-history's page of one past version
        return [Fill({}, (obj.pk, _version(obj)), obj) for obj in objects]
    (parameter,) = parameters  # the record's id: `object_id`, or `id` for a password
    return [Fill({parameter: obj.pk}, subject=obj) for obj in objects]


def _version(obj) -> int:
    # A model without history (survey answers) still has the history admin's page routed.
    history = getattr(obj, "history", None)
    return history.latest().history_id if history is not None else 1


def _formats(viewset, actions) -> list[str]:
    return sorted(
        {
            renderer.format
            for action in actions
            for renderer in viewset(action=action).get_renderers()
        }
    )


def _api_fills(route: Route, canary: Canary) -> list[Fill] | None:
    viewset = getattr(route.callback, "cls", None)
    if viewset is None or not hasattr(viewset, "get_extra_actions"):
        return None
    parameters = set(route.parameters)
    model = (
        viewset.queryset.model
        if viewset.queryset is not None
        else viewset.serializer_class.Meta.model
    )
    lookup = viewset.lookup_field
    lookup_kwarg = viewset.lookup_url_kwarg or lookup
    objects = canary.of(model) if lookup_kwarg in parameters else [None]
    formats = [None]
    if "format" in parameters:  # each format the view renders, for one record
        objects, formats = objects[:1], _formats(viewset, route.callback.actions.values())
    return [
        Fill(
            {
                **({lookup_kwarg: getattr(obj, lookup)} if obj is not None else {}),
                **({"format": format_} if format_ else {}),
            },
            subject=obj,
        )
        for obj in objects
        for format_ in formats
    ]


def _each(model, **kwargs_of: Callable) -> Callable[[Canary], list[Fill]]:
    """One fill per canary record of `model`, each parameter read from the record."""
    return lambda canary: [
        Fill({name: read(obj) for name, read in kwargs_of.items()}, subject=obj)
        for obj in canary.of(model)
    ]


def _review_items(canary: Canary) -> list[Fill]:
    fills = []
    for review in canary.of(Review):
        for kind in ITEM_KINDS.values():
            owner = review.incident if kind.owner == "incident" else review
            # One item of each list: the views treat every item of a list alike.
            for item in getattr(owner, kind.related_name).order_by("pk")[:1]:
                kwargs = {"pk": review.pk, "kind_slug": kind.slug, "item_pk": item.pk}
                fills.append(Fill(kwargs, subject=item))
    return fills


def _per_review(**values: list) -> Callable[[Canary], list[Fill]]:
    """One fill per canary review and each value of the other parameter."""
    ((name, choices),) = values.items()
    return lambda canary: [
        Fill({"pk": review.pk, name: choice}, subject=review)
        for review in canary.of(Review)
        for choice in (choices(canary) if callable(choices) else choices)
    ]


def _pk(obj):
    return obj.pk


def _reference(incident):
    return incident.reference


# By URL name (by pattern when unnamed).
SITE_FILLS: dict[str, Callable[[Canary], list[Fill]]] = {
    "incidents:detail": _each(Incident, reference=_reference),
    "incidents:near_miss_detail": _each(NearMiss, pk=_pk),
    "reviews:create": _each(Incident, reference=_reference),
    "reviews:section_save": _per_review(section=list(TEXT_SECTIONS)),
    "reviews:item_add": _per_review(kind_slug=list(ITEM_KINDS)),
    "reviews:item_edit": _review_items,
    "reviews:item_delete": _review_items,
    "reviews:theme_detach": _per_review(theme_pk=lambda canary: [t.pk for t in canary.of(Theme)]),
    "reviews:follow_up_status": _each(ActionItem, item_pk=_pk),
    "dashboards:system_detail": _each(System, slug=lambda system: system.slug),
    # Old admin addresses of the timeline and the codebook, redirected to their new ones.
    "^admin/reviews/(?P<path>(?:theme|timelineentry)/.*)$": lambda canary: [
        Fill({"path": f"{obj._meta.model_name}/{obj.pk}/change/"}, subject=obj)
        for obj in canary.of(Theme) + canary.of(TimelineEntry)
    ],
    # Not about any record, but routed: asked with made-up values.
    "password_reset_confirm": lambda canary: [Fill({"uidb64": "MQ", "token": "set-password"})],
    "api:api-root": lambda canary: [Fill({"format": ".json"})],
    "api/(?P<rest>.*)$": lambda canary: [Fill({"rest": "v1/nowhere/"})],
}


def _site_fills(route: Route, canary: Canary) -> list[Fill] | None:
    key = route.name or route.pattern
    if key in SITE_FILLS:
        return SITE_FILLS[key](canary)
    if not route.parameters and not route.positional:
        return [Fill({})]
    if route.name.startswith("reviews:") and route.parameters == ["pk"]:  # a review's page
        return _each(Review, pk=_pk)(canary)
    return None


@dataclass(frozen=True)
class Walked:
    route: Route
    url: str
    subject: object


def urls_to_walk(canary: Canary) -> tuple[list[Walked], list[Route]]:
    """Every fill of every route, and the routes nothing could fill."""
    walked, unfilled = [], []
    for route in all_routes():
        if route.pattern in UNFILLED:
            continue
        fills = (
            _admin_fills(route, canary) or _api_fills(route, canary) or _site_fills(route, canary)
        )
        if not fills:
            unfilled.append(route)
            continue
        walked += [
            Walked(route, fill(route.pattern, each.kwargs, each.args), each.subject)
            for each in fills
        ]
    return walked, unfilled
