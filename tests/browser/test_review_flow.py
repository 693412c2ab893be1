"""A facilitator runs a whole review in the browser, and review text never runs as script."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from reviews.models import ActionItem, Review
from tests.browser.helpers import open_section_form as _open
from tests.factories import ActionItemFactory, IncidentFactory, ReviewFactory

pytestmark = [
    pytest.mark.browser,
    # The live server answers from other threads, so the data must be committed; the
    # serialised rollback puts back what the migrations created (the role groups).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _add(page, section: str, summary: str, fields: dict[str, str], selects=None):
    details = _open(page, section, summary)
    form = details.locator("form").first
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    for name, value in (selects or {}).items():
        form.locator(f"select[name={name}]").select_option(label=value)
    count = page.locator(f"#section-{section} li.item").count()
    form.locator("button[type=submit]").click()
    page.locator(f"#section-{section} li.item").nth(count).wait_for()


def test_facilitator_runs_a_whole_review_to_a_published_report(
    page, log_in, screenshot, facilitator_user, incident
):
    log_in(facilitator_user)

    page.goto("/reviews/")
    row = page.locator("table.queue tr", has_text=incident.title)
    assert "First collaboration" in row.inner_text()
    assert "Unowned system" in row.inner_text()

    # Open the incident from the queue, then come back and start its review.
    with page.expect_navigation() as opened:
        row.get_by_role("link", name=incident.reference).click()
    assert opened.value.status == 200
    page.goto("/reviews/")
    page.locator("table.queue tr", has_text=incident.title).get_by_role(
        "button", name="Start review"
    ).click()
    page.wait_for_url("**/reviews/*/")
    review = Review.objects.get(incident=incident)
    assert review.status == Review.Status.IN_PROGRESS

    # The narrative, saved in place.
    narrative = _open(page, "narrative", "Write narrative")
    narrative.locator("textarea").fill(
        "At 10:02 the **cache deploy** finished; checkout started to fail.\n\n"
        "- Payments saw 502s\n- Platform rolled back"
    )
    narrative.get_by_role("button", name="Save").click()
    page.locator("#section-narrative .prose strong", has_text="cache deploy").wait_for()

    start = incident.started_at
    for minutes, kind, text in [
        (2, "Detection", "Checkout 502 alert fired"),
        (40, "Repair", "Platform rolled back the cache change"),
    ]:
        _add(
            page,
            "timeline",
            "Add a timeline entry",
            {"at": (start + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M"), "text": text},
            {"kind": kind},
        )
    _add(
        page,
        "surprises",
        "Add a surprise",
        {"expected": "The cache fails open", "observed": "Checkout hard-failed on cache misses"},
    )
    _add(
        page,
        "difficulties",
        "Add a difficulty",
        {"description": "The cache dashboard showed green throughout"},
        {"category": "Misleading signal"},
    )
    _add(
        page,
        "ownership_gaps",
        "Add an ownership gap",
        {"description": "Nobody owns edge-cache; took 15 minutes to find who could roll back"},
        {"kind": "No owner in catalog"},
    )
    due = (timezone.localdate() + timedelta(days=14)).isoformat()
    _add(
        page,
        "follow_ups",
        "Add a follow-up",
        {"title": "Make checkout fail open on cache errors", "due_date": due},
        {"owner_team": "Payments", "kind": "Preventive"},
    )

    page.get_by_role("link", name="Publish review…").click()
    page.wait_for_url("**/publish/")
    assert "Publishing freezes" in page.locator("main").inner_text()
    page.get_by_role("button", name="Publish and freeze the review").click()
    page.wait_for_url("**/report/")
    report = page.locator("article.report").inner_text()
    for expected in [
        "cache deploy",
        "Checkout 502 alert fired",
        "Platform rolled back the cache change",
        "The cache fails open",
        "Checkout hard-failed on cache misses",
        "The cache dashboard showed green throughout",
        "Nobody owns edge-cache",
        "Make checkout fail open on cache errors",
    ]:
        assert expected in report, expected
    review.refresh_from_db()
    assert review.is_published

    page.goto(f"/reviews/{review.pk}/history/")
    assert "Checkout 502 alert fired" in page.locator("table.history").inner_text()
    screenshot("history")
    older = ReviewFactory(
        incident=IncidentFactory(title="Search index stale"), status=Review.Status.PUBLISHED
    )
    ActionItemFactory(review=older, title="Decide who owns edge-cache", owner_team=None)
    ActionItemFactory(
        review=older,
        title="Alert on index lag",
        due_date=timezone.localdate() - timedelta(days=5),
        status=ActionItem.Status.IN_PROGRESS,
    )
    page.goto("/follow-ups/")
    listed = page.locator("table.follow-ups").inner_text()
    assert "Make checkout fail open" in listed
    assert "Unowned" in listed
    assert page.dialogs == []
    assert page.csp_violations == []


def test_script_in_the_narrative_shows_as_text_and_never_runs(
    page, log_in, facilitator_user, incident
):
    review = ReviewFactory(
        incident=incident, facilitator=facilitator_user, status=Review.Status.IN_PROGRESS
    )
    payload = (
        "<img src=x onerror=alert('img')> <script>alert('script')</script> "
        "<svg onload=alert('svg')></svg> [click me](javascript:alert('link'))"
    )
    log_in(facilitator_user)
    page.goto(f"/reviews/{review.pk}/")
    narrative = _open(page, "narrative", "Write narrative")
    narrative.locator("textarea").fill(payload)
    narrative.get_by_role("button", name="Preview").click()
    page.locator("#section-narrative .preview").wait_for()
    narrative = _open(page, "narrative", "narrative")
    narrative.get_by_role("button", name="Save").click()
    page.locator("#section-narrative > .prose").wait_for()
    prose = page.locator("#section-narrative > .prose")
    assert "<img src=x onerror=alert('img')>" in prose.inner_text()
    assert "<script>alert('script')</script>" in prose.inner_text()
    assert prose.locator("img, script, svg").count() == 0
    link = prose.get_by_text("click me")
    assert link.get_attribute("href") is None
    link.click()
    page.reload()
    page.goto(f"/reviews/{review.pk}/report/")
    page.wait_for_load_state()
    assert "<script>alert('script')</script>" in page.locator("#report-narrative").inner_text()
    page.wait_for_timeout(300)
    assert page.dialogs == []
    assert page.csp_violations == []


def test_the_workspace_works_with_javascript_switched_off(
    browser, live_server, facilitator_user, incident
):
    review = ReviewFactory(
        incident=incident, facilitator=facilitator_user, status=Review.Status.IN_PROGRESS
    )
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, base_url=live_server.url, java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.fill("#id_username", facilitator_user.get_username())
        page.fill("#id_password", "correct-horse-battery")
        page.click("form button[type=submit]")
        page.goto(f"/reviews/{review.pk}/")
        narrative = _open(page, "narrative", "Write narrative")
        narrative.locator("textarea").fill("Told **without** JavaScript.")
        narrative.get_by_role("button", name="Save").click()
        page.wait_for_url(f"**/reviews/{review.pk}/#section-narrative")
        assert "Narrative saved." in page.locator(".messages").inner_text()
        assert page.locator("#section-narrative .prose strong").inner_text() == "without"

        details = _open(page, "timeline", "Add a timeline entry")
        details.locator("[name=text]").fill("Pager went off")
        details.locator("button[type=submit]").click()
        page.wait_for_url(f"**/reviews/{review.pk}/#section-timeline")
        assert "Pager went off" in page.locator("#section-timeline").inner_text()
    finally:
        context.close()
    review.refresh_from_db()
    assert review.narrative == "Told **without** JavaScript."
    assert review.incident.timeline.get().text == "Pager went off"
