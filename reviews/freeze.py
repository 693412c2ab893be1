"""The freeze under concurrency: a published review freezes what it is built on (the rule is
`rules.published_review_of`), also against a write that races the publication.

The pages and the API ask the rule before they write, but a publication can commit between
their check and their write. So every write to a frozen thing also re-checks it inside
`unless_published`, holding the review's row lock, the lock `review_publish` takes: the write
lands before the publication (which then sees it), or it finds the review published and is
refused (`ReviewFrozen`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied
from django.db import transaction

from incidents.models import Incident
from reviews.models import Review


class ReviewFrozen(PermissionDenied):
    """The review was published after the writer was allowed to write: the write is refused.

    A PermissionDenied, so a page answers 403 and the API a JSON 403, as they do when the
    review is already published when the request arrives."""

    def __init__(self):
        super().__init__(
            "This review has just been published: it and what it is built on are read-only now."
        )


def _freezing_review(obj):
    """The review row that would freeze `obj` (a review, an incident, or a row hanging off
    either, as in `rules.published_review_of`), as a queryset: empty when nothing can."""
    if obj is None:
        return Review.objects.none()
    if isinstance(obj, Review):
        return Review.objects.filter(pk=obj.pk)
    if getattr(obj, "review_id", None) is not None:
        return Review.objects.filter(pk=obj.review_id)
    incident_id = obj.pk if isinstance(obj, Incident) else getattr(obj, "incident_id", None)
    if incident_id is None:
        return Review.objects.none()  # a near miss's signal: no review freezes it
    return Review.objects.filter(incident_id=incident_id)


@contextmanager
def unless_published(obj, *, by=None) -> Iterator[Review | None]:
    """A transaction for a write to `obj`, refused (`ReviewFrozen`) when a published review
    freezes it. A superuser writing (`by`) may still correct a frozen record, as
    `rules.is_frozen_for` lets them; the lock is taken all the same.

    The review's row stays locked until the transaction ends. `review_publish` takes the same
    lock, so publishing waits for the write and then sees it, or the write waits for the
    publication and then finds the review published. Yields the locked review (None: none).
    """
    with transaction.atomic():
        review = _freezing_review(obj).select_for_update().first()
        if review is not None and review.is_published and not getattr(by, "is_superuser", False):
            raise ReviewFrozen
        yield review
