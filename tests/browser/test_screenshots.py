"""Screenshots of the main pages over the demo organisation, for the README.

`make screenshots` writes them to docs/screenshots/ (1280x800 PNG, and one at 390x844 for a
phone); commit them when the pages change. In an ordinary test run they go to a temporary folder.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from reviews.models import Review

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _richest(reviews):
    return (
        reviews.filter(incident__is_private=False)
        .annotate(
            entries=Count("incident__timeline", distinct=True),
            signals=Count("incident__surprises", distinct=True),
            follow_ups=Count("action_items", distinct=True),
        )
        .order_by("-entries", "-signals", "-follow_ups", "pk")
        .first()
    )


def test_screenshots_of_the_main_pages(page, screenshot):
    call_command("load_demo", stdout=StringIO())
    page.goto("/accounts/login/")
    page.fill("#id_username", "facilitator")
    page.fill("#id_password", "facilitator-demo-pass")
    page.click("form button[type=submit]")
    page.wait_for_load_state()

    in_progress = _richest(Review.objects.filter(status=Review.Status.IN_PROGRESS))
    published = _richest(Review.objects.filter(status=Review.Status.PUBLISHED))

    pages = [
        ("/reviews/", "queue", None),
        (f"/reviews/{in_progress.pk}/", "workspace", None),
        (f"/reviews/{in_progress.pk}/", "workspace-signals", "#section-timeline"),
        (f"/reviews/{published.pk}/report/", "report", None),
        ("/follow-ups/", "follow-ups", None),
        ("/incidents/", "incidents", None),
        (in_progress.incident.get_absolute_url(), "incident-detail", None),
        ("/dashboard/", "dashboard", None),
    ]
    for path, name, anchor in pages:
        response = page.goto(path)
        assert response.status == 200, path
        if anchor:
            page.locator(anchor).evaluate("element => element.scrollIntoView()")
            page.evaluate("window.scrollBy(0, -16)")
        assert screenshot(name).stat().st_size > 10_000
    # And on a phone (390 px): the menu, the sections as chips, the publish box.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.goto(f"/reviews/{in_progress.pk}/").status == 200
    assert screenshot("workspace-phone").stat().st_size > 10_000
    assert page.dialogs == []
    assert page.csp_violations == []
