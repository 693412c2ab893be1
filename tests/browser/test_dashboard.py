"""The dashboard on a touch screen and from the keyboard: a verdict's p-value is one tap or one
key away, not behind a hover."""

from __future__ import annotations

import pytest

from dashboards.periods import Period
from incidents.days import utc_today
from tests.browser.helpers import watched
from tests.factories import IncidentFactory, NearMissFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def reader(db):
    start = Period.last_full_quarter(utc_today()).start
    for _ in range(3):
        IncidentFactory(started_at=start)
        NearMissFactory(occurred_at=start)
    return UserFactory(username="reed")


def _log_in(page, user):
    page.goto("/accounts/login/")
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", "correct-horse-battery")
    page.click("form button[type=submit]")
    page.wait_for_load_state()


def test_a_tap_on_a_verdict_shows_its_p_value(browser, live_server, reader):
    context = browser.new_context(
        viewport={"width": 390, "height": 800},
        base_url=live_server.url,
        has_touch=True,
        is_mobile=True,
    )
    page = watched(context.new_page())
    try:
        _log_in(page, reader)
        page.goto("/dashboard/")
        verdict = page.locator(".signal-card details.verdict").first
        p_value = verdict.locator(".verdict-p")
        assert not p_value.is_visible()
        verdict.locator("summary").tap()
        assert p_value.is_visible()
        assert p_value.inner_text().startswith("p = ")
        assert page.csp_violations == []
    finally:
        context.close()


def test_the_keyboard_reaches_a_verdicts_p_value(page, reader):
    _log_in(page, reader)
    page.goto("/dashboard/")
    verdict = page.locator(".signal-card details.verdict").first
    verdict.locator("summary").focus()
    page.keyboard.press("Enter")
    assert verdict.locator(".verdict-p").is_visible()
