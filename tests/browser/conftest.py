"""Playwright driving Debian's Chromium against pytest-django's live server.

Playwright's own browser download does not work on these machines, so the tests launch
/usr/bin/chromium. Without it they are skipped, unless REQUIRE_BROWSER=1 (CI), where a
missing browser is a failure.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from incidents.models import Severity
from incidents.roles import FACILITATORS, RESPONDERS
from tests.browser.helpers import WATCHED, watched
from tests.factories import (
    FacilitatorFactory,
    IncidentFactory,
    SystemFactory,
    TeamFactory,
    UserFactory,
)

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
# body are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
# Test runs keep their screenshots out of the work tree; `make screenshots` sets
# SCREENSHOTS_DIR=docs/screenshots to refresh the README's pictures.
SCREENSHOTS_DIR = os.environ.get("SCREENSHOTS_DIR")
PASSWORD = "correct-horse-battery"  # UserFactory's


def migration_data_snapshot() -> str:
    """What the migrations wrote (role groups, permissions, content types), serialised."""
    from django.db import connection

    contents = getattr(connection, "_test_serialized_contents", None)
    return contents if contents is not None else connection.creation.serialize_db_to_string()


def restore_migration_data(django_db_blocker, snapshot: str) -> None:
    """Put the database back to `snapshot` after a transactional test flushed it.

    A live-server test commits its data, so pytest-django flushes every table afterwards.
    Tests that run later in the same worker without a database marker (pytest-django runs
    those after the transactional ones) would then find no role groups.
    """
    from django.core.management import call_command
    from django.db import connection

    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
        connection.creation.deserialize_db_from_string(snapshot)


@pytest.fixture(scope="session", autouse=True)
def _migration_data(django_db_setup, django_db_blocker) -> str:
    # Session-scoped and autouse so it runs before Playwright starts: Playwright's event
    # loop gives the test body another context, where Django sees fresh connection objects.
    with django_db_blocker.unblock():
        return migration_data_snapshot()


@pytest.fixture(scope="module", autouse=True)
def _migration_data_back_after_the_module(_migration_data, django_db_blocker):
    from django.db import connections

    yield
    restore_migration_data(django_db_blocker, _migration_data)
    # Close this context's connections, or PostgreSQL refuses to drop the test database.
    connections.close_all()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
        # Connections opened inside Playwright's context: close them, or PostgreSQL refuses
        # to drop the test database at the end of the session.
        connections.close_all()


@pytest.fixture(autouse=True)
def _no_csp_violation_or_script_error():
    """Every browser test fails on a Content-Security-Policy violation or a script error on any
    page it watched (`helpers.watched`), whether or not it asserts so itself."""
    WATCHED.clear()
    yield
    problems = [
        (page.url if not page.is_closed() else "(closed page)", message)
        for page in WATCHED
        for message in page.csp_violations + page.script_errors
    ]
    WATCHED.clear()
    assert not problems, f"CSP violations or script errors: {problems}"


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server.url)
    page = watched(context.new_page())
    yield page
    context.close()


@pytest.fixture
def log_in(page):
    def log_in_as(user) -> None:
        page.goto("/accounts/login/")
        page.fill("#id_username", user.get_username())
        page.fill("#id_password", PASSWORD)
        page.click("form button[type=submit]")
        page.wait_for_load_state()
        assert "/accounts/login/" not in page.url, "log-in failed"

    return log_in_as


@pytest.fixture
def screenshot(page, tmp_path):
    """screenshot("queue") saves queue.png (the viewport, 1280x800) in SCREENSHOTS_DIR,
    or in the test's temporary folder."""
    folder = Path(SCREENSHOTS_DIR) if SCREENSHOTS_DIR else tmp_path

    def save(name: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return save


# The people and the incident the review tests share.


@pytest.fixture
def facilitator_user(db):
    for name in (FACILITATORS, RESPONDERS):
        Group.objects.get_or_create(name=name)
    return FacilitatorFactory(username="fiona", first_name="Fiona", last_name="Facilitator")


@pytest.fixture
def incident(db):
    payments, platform = TeamFactory(name="Payments"), TeamFactory(name="Platform")
    lead = UserFactory(username="lee", first_name="Lee", last_name="Lead")
    started = timezone.now() - timedelta(days=3)
    incident = IncidentFactory(
        title="Checkout failing after the cache deploy",
        summary="Checkout returned 502 for 40 minutes after a cache cluster change.",
        customer_impact="About 3% of checkouts failed.",
        severity=Severity.SEV2,
        started_at=started,
        lead=lead,
        teams=[payments, platform],
        systems=[
            (SystemFactory(name="checkout", owner_team=payments), "impacted"),
            (SystemFactory(name="edge-cache", owner_team=None), "origin"),
        ],
    )
    incident.responders.add(lead)
    return incident
