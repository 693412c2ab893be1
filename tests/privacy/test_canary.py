"""Nothing of a private incident reaches anyone who is not part of it, on any page.

Every routed URL (read from the resolver, tests/privacy/routes.py) is asked for with the ids,
references and slugs of private "canary" incidents and what hangs off them, then every list
with a search box, and the admin's autocomplete, are searched for their strings, as each role
that is not involved in them: a staff responder, a staff facilitator who is not their
facilitator, a plain reader, and someone not logged in. Any answer that holds a canary string
or reference (in its body or headers) fails, as does a 500, or a request that changed
anything. The same walk as a superuser must find them, so the walk does reach them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlencode

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.urls import resolve
from knox.models import AuthToken

from incidents.models import Incident
from tests.privacy.routes import UNFILLED, all_routes, urls_to_walk

pytestmark = pytest.mark.django_db
ROLES = ["responder", "facilitator", "reader", "anonymous"]


def test_every_routed_url_is_walked(canary):
    walked, unfilled = urls_to_walk(canary)
    assert not unfilled, (
        "Fill these patterns' parameters in tests/privacy/routes.py, or list them in "
        f"UNFILLED with the reason: {[route.pattern for route in unfilled]}"
    )
    patterns = {route.pattern for route in all_routes()}
    assert set(UNFILLED) <= patterns, "UNFILLED names a pattern that is no longer routed"
    for each in walked:
        assert resolve(each.url).route == each.route.pattern, each.url
    assert {each.route.pattern for each in walked} == patterns - set(UNFILLED)


@pytest.mark.parametrize("role", ROLES)
def test_nothing_of_a_private_incident_reaches_anyone_not_involved(client, canary, role, request):
    user = None if role == "anonymous" else request.getfixturevalue(role)
    if user is not None:
        canary.walk_ties_of(user)
    before = _row_counts()
    answers = _walk(client, canary, user, post=True)
    problems = [
        f"{answer.url} ({answer.status}): {', '.join(answer.found) or 'server error'}"
        for answer in answers
        if answer.found or answer.status >= 500
    ]
    assert not problems, f"{len(problems)} answers to {role}:\n" + "\n".join(problems)
    assert _row_counts() == before, "a request by someone not involved changed something"


def test_the_walk_finds_the_canaries_where_a_superuser_may_see_them(client, canary, superuser):
    # A walk that never reached the canaries would find nothing to anyone. As a superuser
    # (reading only), every page about one of their records that names it shows them, and
    # every search box finds them by one of their strings.
    answers = _walk(
        client,
        canary,
        superuser,
        post=False,
        only=lambda each: canary.is_private(each.subject) or not each.route.parameters,
    )
    about_them = [answer for answer in answers if canary.is_private(answer.subject)]
    assert not [answer.url for answer in about_them if answer.status == 404], "a fill missed"
    missed = [
        answer.url
        for answer in about_them
        if answer.status == 200 and canary.found_in(str(answer.subject)) and not answer.found
    ]
    assert not missed, "\n".join(missed)
    found_by_search: dict[str, bool] = {}
    for answer in answers:
        if answer.searched:
            box = re.sub(r"(q|term)=[^&]*", "", answer.url)
            found_by_search[box] = found_by_search.get(box, False) or bool(answer.found)
    private_models = {apps.get_model(label) for label, _ in canary.private}
    private_lists = {
        f"/admin/{model._meta.app_label}/{model._meta.model_name}/?"
        for model in private_models
        if model in admin.site._registry
    }
    assert {"/incidents/?", *private_lists} <= set(found_by_search)
    assert all(found_by_search.values()), [
        box for box, found in found_by_search.items() if not found
    ]


@dataclass(frozen=True)
class Answer:
    url: str
    status: int
    found: list[str]  # what of the canaries it shows, beyond what the request itself said
    subject: object = None
    searched: bool = False


def _walk(client, canary, user, *, post: bool, only=None) -> list[Answer]:
    """Every walked URL (`only` those it keeps), then every search its lists offer, as
    `user`. With `post`, a URL that answers GET with 405 (a form's target) is posted to,
    empty, unless it is about a public record."""
    client.raise_request_exception = False  # a 500 is an answer to list
    if user is not None:
        client.force_login(user)
    walked, _ = urls_to_walk(canary)
    if user is not None:  # walked once, logged out
        walked = [each for each in walked if not each.route.ignores_who_asks]
    walked = [each for each in walked if only is None or only(each)]
    queue = [(each.url, each.subject, each.route.pattern) for each in walked]
    queue += [(url, None, None) for url in _autocompletes(canary)]  # (url, subject, pattern)
    seen, post_only, answers = set(), set(), []
    while queue:
        url, subject, pattern = queue.pop(0)
        public = subject is not None and not canary.is_private(subject)
        # A form's target about a public record is not posted to (the user may well change
        # it), so its GET, a 405 once already, would say nothing more.
        if url in seen or (public and pattern in post_only):
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code == 405:
            post_only.add(pattern)
            if post and not public:  # posted to, empty
                response = client.post(url)
                if user is not None:  # the post may have been a logout
                    client.force_login(user)
        text = _answer_text(response).lower()
        queue += [(search, None, None) for search in _searches_from(url, text, canary)]
        # What the request itself said (a reference in the path, a searched term) may come
        # back as it was sent: the page then shows that, not the incident.
        for sent in canary.echoes(unquote(url)):
            text = text.replace(sent, "")
        found = canary.found_in(text)
        answers.append(Answer(url, response.status_code, found, subject, searched=not pattern))
    return answers


_CHANGELIST = re.compile(r"^/admin/(\w+)/(\w+)/$")


def _searches_from(url: str, text: str, canary) -> list[str]:
    """A list with a search box (`name="q"`) is searched for every canary string it could
    find: the admin's by its search fields, the site's (the incident list) by every canary
    string of the incidents, and their references."""
    if "?" in url or 'name="q"' not in text:
        return []
    changelist = _CHANGELIST.match(url)
    if changelist:
        model = apps.get_model(changelist[1], changelist[2])
        terms = canary.search_terms(model, admin.site._registry[model].search_fields)
    else:
        terms = canary.search_terms(Incident)
    return [f"{url}?{urlencode({'q': term})}" for term in terms]


def _autocompletes(canary) -> list[str]:
    """The admin's autocomplete (what its search-as-you-type boxes ask), for every field
    that has one, searched for the canary strings its target's admin searches."""
    urls = []
    for model_admin in admin.site._registry.values():
        for source in [model_admin, *model_admin.inlines]:
            for name in source.autocomplete_fields:
                remote = source.model._meta.get_field(name).related_model
                fields = admin.site._registry[remote].search_fields
                for term in canary.search_terms(remote, fields):
                    query = {
                        "app_label": source.model._meta.app_label,
                        "model_name": source.model._meta.model_name,
                        "field_name": name,
                        "term": term,
                    }
                    urls.append(f"/admin/autocomplete/?{urlencode(query)}")
    return urls


def _answer_text(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    headers = "\n".join(f"{name}: {value}" for name, value in response.items())
    return headers + "\n" + body.decode("utf-8", errors="replace")


# Derived from the records, not records: the refresh after a refused write may recompute them.
DERIVED = {"incidents.DirtyMonth", "reviews.WaitingIncident"}


def _row_counts() -> dict[str, int]:
    models = [
        *apps.get_app_config("incidents").get_models(),
        *apps.get_app_config("reviews").get_models(),
        LogEntry,
        AuthToken,
    ]
    return {
        model._meta.label: model._default_manager.count()
        for model in models
        if model._meta.label not in DERIVED
    }
