"""Every main page fits a phone (360 and 390 px wide) without scrolling sideways, and the
navigation folds into a menu there."""

from __future__ import annotations

import pytest

from tests.browser.helpers import load_demo, log_in_as_demo, main_pages, watched

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Against the phone's width, not window.innerWidth: in mobile emulation a page wider than the
# screen widens the layout viewport (the browser zooms out), so innerWidth grows with the page.
FITS = "width => document.scrollingElement.scrollWidth <= width"
# What sticks out, to make a failure readable.
STICKING_OUT = """width => [...document.querySelectorAll('main *')]
    .filter(element => element.getBoundingClientRect().right > width + 1)
    .slice(0, 5)
    .map(element => element.tagName.toLowerCase() + '.' + element.className)"""


@pytest.fixture
def demo(db):
    load_demo()


@pytest.mark.parametrize("width", [360, 390])
def test_every_main_page_fits_a_phone_without_scrolling_sideways(browser, live_server, demo, width):
    context = browser.new_context(
        viewport={"width": width, "height": 800}, base_url=live_server.url, is_mobile=True
    )
    page = watched(context.new_page())
    try:
        log_in_as_demo(page, "facilitator")
        for name, path in main_pages():
            response = page.goto(path)
            assert response.status == 200, path
            assert page.evaluate(FITS, width), (name, page.evaluate(STICKING_OUT, width))
            # Every form and menu opened, as someone editing on the phone would.
            page.evaluate("document.querySelectorAll('main details').forEach(d => d.open = true)")
            assert page.evaluate(FITS, width), (name, "opened", page.evaluate(STICKING_OUT, width))
        assert page.csp_violations == []
    finally:
        context.close()


def test_the_navigation_is_a_menu_on_a_phone_and_a_row_on_a_screen(browser, live_server, demo):
    for width, menu in [(390, True), (1400, False)]:
        context = browser.new_context(
            viewport={"width": width, "height": 800}, base_url=live_server.url
        )
        page = watched(context.new_page())
        try:
            log_in_as_demo(page, "reader")
            follow_ups = page.get_by_role("navigation", name="Main").get_by_role(
                "link", name="Follow-ups"
            )
            menu_button = page.locator(".nav-menu > summary")
            assert menu_button.is_visible() is menu
            if menu:
                assert follow_ups.is_visible() is False
                menu_button.click()
            assert follow_ups.is_visible()
            follow_ups.click()
            page.wait_for_url("**/follow-ups/")
        finally:
            context.close()
