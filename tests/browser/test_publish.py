"""Publishing in the browser: a refused publish says why where the person is looking."""

from __future__ import annotations

import pytest

from reviews.models import Review
from tests.factories import ReviewFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

IN_VIEW = """element => {
    const box = element.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= window.innerHeight;
}"""


def test_a_refused_publish_shows_its_reasons_on_screen_and_focused(
    page, log_in, facilitator_user, incident
):
    review = ReviewFactory(
        incident=incident, facilitator=facilitator_user, status=Review.Status.IN_PROGRESS
    )
    log_in(facilitator_user)
    page.goto(f"/reviews/{review.pk}/")
    page.get_by_role("link", name="Publish review…").click()
    page.get_by_role("button", name="Publish and freeze the review").click()
    errors = page.locator("#publish-errors")
    errors.wait_for()
    assert "Write the narrative before publishing" in errors.inner_text()
    assert errors.evaluate("element => element === document.activeElement")
    assert errors.evaluate(IN_VIEW)
    review.refresh_from_db()
    assert not review.is_published
    assert page.csp_violations == []
