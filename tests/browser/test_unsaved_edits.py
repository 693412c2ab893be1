"""Nothing typed in the workspace is lost: leaving asks first, a closed tab or an ended session
keeps the text in the browser, and the publish page names what is not saved."""

from __future__ import annotations

import pytest

from reviews import services
from reviews.models import Review
from tests.browser.helpers import open_section_form, watched
from tests.factories import ReviewFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LEAVING_IS_STOPPED = """() => {
    const event = new Event("beforeunload", {cancelable: true});
    window.dispatchEvent(event);
    return event.defaultPrevented;
}"""


@pytest.fixture
def review(incident, facilitator_user):
    return ReviewFactory(
        incident=incident, facilitator=facilitator_user, status=Review.Status.IN_PROGRESS
    )


def _type(page, section: str, summary: str, text: str) -> None:
    # Typed key by key, as a person does: the draft is kept on every input event.
    open_section_form(page, section, summary).locator("textarea").press_sequentially(text)


def _drafts(page) -> list[str]:
    """The drafts kept, once htmx has finished the last swap: the workspace forgets a saved
    section's draft when the swap settles, a moment after the new text shows."""
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")
    return page.evaluate(
        "() => Object.keys(localStorage).filter(key => key.startsWith('irt-draft:'))"
    )


def test_text_typed_in_two_sections_survives_a_closed_tab_and_blocks_a_silent_publish(
    page, log_in, facilitator_user, review
):
    log_in(facilitator_user)
    page.goto(f"/reviews/{review.pk}/")
    assert page.evaluate(LEAVING_IS_STOPPED) is False  # nothing typed: leave freely
    _type(page, "narrative", "Write narrative", "The cache deploy finished at 10:02.")
    _type(page, "risks", "Write risks", "Another cache change on a Friday.")
    assert page.evaluate(LEAVING_IS_STOPPED) is True

    # The tab is closed without saving; the workspace opens again in a new one.
    context = page.context
    assert page.csp_violations == []
    page.close()
    page = watched(context.new_page())
    page.goto(f"/reviews/{review.pk}/")
    narrative = page.locator("#section-narrative textarea")
    risks = page.locator("#section-risks textarea")
    assert narrative.input_value() == "The cache deploy finished at 10:02."
    assert risks.input_value() == "Another cache change on a Friday."
    assert narrative.is_visible()
    assert risks.is_visible()
    assert page.locator("#section-narrative .draft-restored").is_visible()
    summary = page.locator("#draft-summary")
    assert summary.is_visible()
    assert summary.locator("li").all_inner_texts() == ["Narrative", "Risks"]

    # Publishing asks first, says what it freezes, and names both unsaved sections.
    page.get_by_role("link", name="Publish review…").click()
    page.wait_for_url("**/publish/")
    unsaved = page.locator("#unsaved-drafts")
    assert unsaved.is_visible()
    assert sorted(unsaved.locator("li a").all_inner_texts()) == ["Narrative", "Risks"]
    assert "Publishing freezes" in page.locator("main").inner_text()
    review.refresh_from_db()
    assert not review.is_published

    # Saving a section forgets its draft; the other one is still kept.
    page.get_by_role("link", name="Back to the workspace").click()
    page.locator("#section-narrative").get_by_role("button", name="Save").click()
    page.locator("#section-narrative .prose", has_text="10:02").wait_for()
    assert len(_drafts(page)) == 1
    page.reload()
    assert len(page.unload_prompts) == 1  # the restored risks are not saved: it asked first
    assert page.locator("#section-narrative .draft-restored").count() == 0
    assert page.locator("#section-risks .draft-restored").count() == 1
    review.refresh_from_db()
    assert review.narrative == "The cache deploy finished at 10:02."
    assert review.risks == ""

    # "Discard it" puts the stored text back and forgets the draft.
    page.locator("#section-risks").get_by_role("button", name="discard it").click()
    assert risks.input_value() == ""
    assert _drafts(page) == []
    assert page.evaluate(LEAVING_IS_STOPPED) is False
    assert page.csp_violations == []


def test_a_restored_draft_does_not_overwrite_what_someone_saved_meanwhile(
    page, log_in, facilitator_user, review
):
    log_in(facilitator_user)
    page.goto(f"/reviews/{review.pk}/")
    _type(page, "narrative", "Write narrative", "My version of the story.")
    services.review_update_section(
        review=review, section="narrative", text="Their version.", version=review.version
    )
    page.reload()
    page.locator("#section-narrative").get_by_role("button", name="Save").click()
    page.locator("#section-narrative .conflict").wait_for()
    review.refresh_from_db()
    assert review.narrative == "Their version."
    # The draft is kept until the person resolves the conflict and saves.
    assert len(_drafts(page)) == 1


def test_a_save_after_the_session_ended_keeps_the_text_and_says_so(
    page, log_in, facilitator_user, review
):
    log_in(facilitator_user)
    page.goto(f"/reviews/{review.pk}/")
    _type(page, "narrative", "Write narrative", "Typed before lunch.")
    page.context.clear_cookies(name="sessionid")  # as if the session had expired
    page.locator("#section-narrative").get_by_role("button", name="Save").click()
    page.locator("#session-lost").wait_for(state="visible")
    assert page.locator("#section-narrative textarea").input_value() == "Typed before lunch."
    assert len(_drafts(page)) == 1
    review.refresh_from_db()
    assert review.narrative == ""
