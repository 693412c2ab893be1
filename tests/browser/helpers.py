"""What several browser tests do on a page."""

from __future__ import annotations


def open_section_form(page, section: str, summary: str):
    """Open a workspace section's <details> form by its summary text (unless it is open)."""
    details = page.locator(f"#section-{section} details", has_text=summary).first
    if details.get_attribute("open") is None:
        details.locator("summary").first.click()
    return details


def watched(page):
    """The page, recording every dialog (`page.dialogs`, each dismissed), every "leave this
    page?" prompt (`page.unload_prompts`, each accepted, so the navigation goes on) and
    everything the Content-Security-Policy blocked (`page.csp_violations`: an inline script or
    style is a defect)."""
    page.set_default_timeout(15_000)
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
