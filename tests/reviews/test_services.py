"""Review services: starting, and saving sections so that concurrent edits lose nothing."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection

from incidents.models import Theme
from reviews.models import Review
from reviews.services import (
    SectionConflict,
    review_start,
    review_update,
    review_update_section,
    theme_create,
)
from tests.browser.conftest import migration_data_snapshot, restore_migration_data
from tests.concurrency import at_the_same_moment, concurrent_test
from tests.factories import IncidentFactory, ReviewFactory, UserFactory


@pytest.mark.django_db
def test_review_start_is_idempotent_about_participants(facilitator):
    lead = UserFactory()
    incident = IncidentFactory(lead=lead)
    incident.responders.add(lead)
    first = review_start(incident=incident, facilitator=facilitator)
    again = review_start(incident=incident, facilitator=UserFactory())
    assert first.pk == again.pk
    assert again.facilitator == facilitator  # the first facilitator keeps the review
    assert [p.user for p in again.participants.all()] == [lead]


@pytest.mark.django_db
def test_saves_from_the_same_version_one_wins_one_conflicts():
    review = ReviewFactory()
    first = review_update_section(review=review, section="narrative", text="A", version=1)
    second = review_update_section(review=review, section="narrative", text="B", version=1)
    assert first.saved
    assert not second.saved
    assert second.current_text == "A"
    review.refresh_from_db()
    assert (review.narrative, review.version) == ("A", 2)


@pytest.mark.django_db
def test_other_sections_changing_do_not_block_a_save():
    review = ReviewFactory()
    review_update_section(review=review, section="narrative", text="A", version=1)
    result = review_update_section(review=review, section="risks", text="R", version=1)
    assert result.saved
    assert result.review.narrative == "A"


@pytest.mark.django_db
def test_a_theme_created_twice_is_a_field_error_not_an_integrity_error():
    """The workspace's form refuses a taken name; this is the other request of a race, which
    passed the form before the first one's theme existed."""
    incident = IncidentFactory()
    theme_create(name="Retry storms", description="", incident=incident)
    with pytest.raises(ValidationError) as error:
        theme_create(name="Retry storms", description="again", incident=IncidentFactory())
    assert list(error.value.message_dict) == ["name"]
    assert Theme.objects.get().incidents.get() == incident


@pytest.mark.django_db
def test_unknown_section_is_a_programming_error():
    with pytest.raises(ValueError, match="Not a text section"):
        review_update_section(review=ReviewFactory(), section="status", text="x", version=1)


@pytest.fixture(scope="module")
def _migration_data_back_after_the_module(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        snapshot = migration_data_snapshot()
    yield
    restore_migration_data(django_db_blocker, snapshot)


@pytest.mark.usefixtures("_migration_data_back_after_the_module")
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_saves_from_two_connections_cannot_both_win():
    review = ReviewFactory()
    barrier = threading.Barrier(4)
    results: list = []

    def save(text: str) -> None:
        try:
            barrier.wait()
            results.append(
                review_update_section(review=review, section="narrative", text=text, version=1)
            )
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=save, args=(f"text {n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 4
    winners = [result for result in results if result.saved]
    assert len(winners) == 1
    stored = Review.objects.get(pk=review.pk)
    assert stored.version == 2
    assert stored.narrative == winners[0].review.narrative
    assert all(r.current_text == stored.narrative for r in results if not r.saved)


@concurrent_test
def test_concurrent_multi_section_updates_save_all_of_one_or_none_of_it():
    """Two API edits from the same version: one saves every section it carries, the other
    conflicts and saves none (its first section is not left behind)."""
    partial = []
    for trial in range(20):
        review = ReviewFactory(status=Review.Status.IN_PROGRESS)
        mine = {"narrative": f"N-mine {trial}", "risks": f"R-mine {trial}"}
        theirs = {"risks": f"R-theirs {trial}"}
        outcomes = at_the_same_moment(
            lambda review=review, data=mine: review_update(review=review, data=data, version=1),
            lambda review=review, data=theirs: review_update(review=review, data=data, version=1),
        )
        assert [o.ok for o in outcomes].count(True) == 1
        assert all(o.ok or isinstance(o.error, SectionConflict) for o in outcomes)
        stored = Review.objects.get(pk=review.pk)
        if outcomes[0].ok:
            expected = (mine["narrative"], mine["risks"], 3)  # a version per section
        else:
            expected = ("", theirs["risks"], 2)
        if (stored.narrative, stored.risks, stored.version) != expected:
            partial.append(trial)
    assert partial == [], f"an edit was saved in part in {len(partial)} trials"
