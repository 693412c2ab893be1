"""What several browser tests do on a page."""

from __future__ import annotations


def open_section_form(page, section: str, summary: str):
    """Open a workspace section's <details> form by its summary text (unless it is open)."""
    details = page.locator(f"#section-{section} details", has_text=summary).first
    if details.get_attribute("open") is None:
        details.locator("summary").first.click()
    return details


# Every page `watched` in the current test; the browser conftest fails the test when any of them
# met a Content-Security-Policy violation or a script error.
WATCHED: list = []


def watched(page):
    """The page, recording every dialog (`page.dialogs`, each dismissed), every "leave this
    page?" prompt (`page.unload_prompts`, each accepted, so the navigation goes on), everything
    the Content-Security-Policy blocked (`page.csp_violations`: an inline script or style is a
    defect) and every uncaught script error (`page.script_errors`)."""
    WATCHED.append(page)
    page.set_default_timeout(15_000)
    page.script_errors = []
    page.on("pageerror", lambda error: page.script_errors.append(str(error)))
    page.dialogs = []
    page.unload_prompts = []

    def record(dialog):
        if dialog.type == "beforeunload":
            page.unload_prompts.append(page.url)
            dialog.accept()
            return
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    page.csp_violations = []
    page.on(
        "console",
        lambda message: (
            page.csp_violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return page


def log_in_as_demo(page, username: str) -> None:
    """Log in as one of the demo accounts (`load_demo`): their password is `<name>-demo-pass`."""
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"{username}-demo-pass")
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, "log-in failed"


def main_pages() -> list[tuple[str, str]]:
    """(name, path) of every main page over the demo organisation, as its facilitator sees
    them: the review pages open the review with the most in it."""
    from django.db.models import Count

    from reviews.models import Review

    def richest(status):
        return (
            Review.objects.filter(status=status, incident__is_private=False)
            .annotate(entries=Count("incident__timeline"), follow_ups=Count("action_items"))
            .order_by("-entries", "-follow_ups", "pk")
            .first()
        )

    in_progress = richest(Review.Status.IN_PROGRESS)
    published = richest(Review.Status.PUBLISHED)
    return [
        ("home", "/"),
        ("queue", "/reviews/"),
        ("incidents", "/incidents/"),
        ("incident", in_progress.incident.get_absolute_url()),
        ("workspace", f"/reviews/{in_progress.pk}/"),
        ("publish", f"/reviews/{in_progress.pk}/publish/"),
        ("report", f"/reviews/{published.pk}/report/"),
        ("survey", f"/reviews/{published.pk}/survey/"),
        ("history", f"/reviews/{published.pk}/history/"),
        ("dashboard", "/dashboard/"),
        ("systems", "/dashboard/systems/"),
        ("themes", "/dashboard/themes/"),
        ("near-misses", "/near-misses/"),
        ("near-miss-new", "/near-misses/new/"),
        ("surprises", "/surprises/"),
        ("follow-ups", "/follow-ups/"),
        ("api-tokens", "/account/tokens/"),
    ]


def load_demo() -> None:
    """The demo organisation. The role groups first: a transactional test before this one
    flushed the ones the migrations made, and the demo's users name them."""
    from io import StringIO

    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from incidents.roles import FACILITATORS, RESPONDERS

    for name in (FACILITATORS, RESPONDERS):
        Group.objects.get_or_create(name=name)
    call_command("load_demo", stdout=StringIO())
