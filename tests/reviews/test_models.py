from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from reviews.models import ActionItem
from tests.factories import ActionItemFactory, ReviewFactory, ThemeFactory, TimelineEntryFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def test_done_follow_up_records_when_it_was_completed():
    item = ActionItemFactory()
    assert item.completed_at is None
    item.status = ActionItem.Status.DONE
    item.save()
    assert item.completed_at is not None
    item.status = ActionItem.Status.OPEN
    item.save()
    assert item.completed_at is None


def test_overdue_means_open_and_past_its_due_date():
    late = ActionItemFactory(due_date=TODAY - timedelta(days=1))
    ActionItemFactory(due_date=TODAY - timedelta(days=1), status=ActionItem.Status.DONE)
    ActionItemFactory(due_date=TODAY)
    assert list(ActionItem.objects.overdue()) == [late]
    assert late.is_overdue


def test_unowned_follow_ups_are_found():
    unowned = ActionItemFactory(owner_team=None)
    ActionItemFactory()
    assert list(ActionItem.objects.unowned()) == [unowned]


def test_review_models_read_well_as_text():
    review = ReviewFactory()
    assert str(review) == f"Review of {review.incident.reference}"
    assert str(ThemeFactory(name="Retry storm")) == "Retry storm"
    entry = TimelineEntryFactory(text="Alert fired")
    assert str(entry).endswith("Note: Alert fired")
    assert str(ActionItemFactory(title="Add an alert")) == "Add an alert"


def test_review_changes_are_kept_in_history():
    review = ReviewFactory(narrative="first")
    review.narrative = "second"
    review.save()
    assert [h.narrative for h in review.history.all()] == ["second", "first"]
