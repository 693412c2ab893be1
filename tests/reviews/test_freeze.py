"""A published review freezes what it is built on, also against a write racing the publication:
the write lands before the review is published, or it is refused and changes nothing.

The pages and the API check the rule before they write; the first tests replay the race one
step at a time (checked while in progress, published by someone else, then written), the last
ones run it for real, in concurrent transactions on PostgreSQL.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.test import Client

from incidents.models import TimelineEntry
from reviews import services
from reviews.freeze import ReviewFrozen
from reviews.models import ActionItem, Review
from reviews.services import review_publish
from reviews.workspace import ITEM_KINDS, item_form
from tests.api.conftest import client_for
from tests.concurrency import at_the_same_moment, concurrent_test
from tests.factories import (
    ActionItemFactory,
    FacilitatorFactory,
    ParticipantFactory,
    ReviewFactory,
    SurpriseFactory,
    ThemeFactory,
    TimelineEntryFactory,
)

# Enough trials that a race window of a few milliseconds is hit; each takes a few.
TRIALS = 20

# A valid new item of each list of the workspace.
NEW_ITEM = {
    "timeline": {"at": "2026-03-01T10:05", "kind": "note", "text": "Alert fired"},
    "surprises": {"expected": "Failover in seconds", "observed": "No failover"},
    "difficulties": {"category": "tooling", "description": "Which graph?", "source": "interview"},
    "ownership-gaps": {"kind": "owner_unclear", "description": "Who owns the queue?"},
    "participants": {"name": "Sam", "role": "responder"},
    "follow-ups": {"title": "Alert on queue depth", "kind": "detective", "status": "open"},
}


def _ready_to_publish(facilitator=None) -> Review:
    review = ReviewFactory(
        facilitator=facilitator,
        status=Review.Status.IN_PROGRESS,
        narrative="The story as agreed.",
    )
    TimelineEntryFactory(incident=review.incident)
    return review


def _published_by_someone_else(review: Review) -> None:
    review_publish(review=Review.objects.get(pk=review.pk), user=FacilitatorFactory())


def _new_item_form(review: Review, slug: str):
    kind = ITEM_KINDS[slug]
    model = kind.form_class._meta.model
    owner = {"incident": review.incident} if kind.owner == "incident" else {"review": review}
    return item_form(kind, instance=model(**owner), data=NEW_ITEM[slug])


def _changed_after_publication(review: Review) -> list:
    """History records of the review saved after the one that published it."""
    records = list(review.history.order_by("history_date", "history_id"))
    first = next(i for i, record in enumerate(records) if record.status == Review.Status.PUBLISHED)
    return records[first + 1 :]


# --- checked before the publication, written after it ------------------------------------------


@pytest.mark.django_db
def test_a_section_save_loaded_before_publication_is_refused():
    review = _ready_to_publish()
    _published_by_someone_else(review)
    with pytest.raises(ReviewFrozen):
        services.review_update_section(
            review=review, section="narrative", text="Rewritten", version=review.version
        )
    stored = Review.objects.get(pk=review.pk)
    assert (stored.narrative, stored.version) == ("The story as agreed.", review.version)
    assert _changed_after_publication(stored) == []


@pytest.mark.django_db
@pytest.mark.parametrize("slug", [slug for slug in NEW_ITEM if slug != "participants"])
def test_an_item_added_after_publication_is_refused(slug):
    review = _ready_to_publish()
    form = _new_item_form(review, slug)
    assert form.is_valid(), form.errors
    model = type(form.instance)
    before = model.objects.count()
    _published_by_someone_else(review)
    with pytest.raises(ReviewFrozen):
        services.item_add(form=form, author=review.facilitator)
    assert model.objects.count() == before


@pytest.mark.django_db
def test_a_participant_is_still_added_after_publication_and_nothing_published_changes():
    # The survey goes to everyone listed: someone forgotten must still be added.
    review = _ready_to_publish()
    form = _new_item_form(review, "participants")
    assert form.is_valid(), form.errors
    _published_by_someone_else(review)
    services.item_add(form=form, author=review.facilitator)
    assert review.participants.get().name == "Sam"
    assert _changed_after_publication(Review.objects.get(pk=review.pk)) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "make_item",
    [
        lambda review: SurpriseFactory(incident=review.incident, observed="As seen"),
        lambda review: ParticipantFactory(review=review, name="As seen", user=None),
        lambda review: ActionItemFactory(review=review, title="As seen"),
    ],
    ids=["surprise", "participant", "follow-up"],
)
def test_an_item_edited_or_deleted_after_publication_is_refused(make_item):
    review = _ready_to_publish()
    item = make_item(review)
    kind = next(k for k in ITEM_KINDS.values() if k.form_class._meta.model is type(item))
    field = {"surprises": "observed", "participants": "name", "follow-ups": "title"}[kind.slug]
    data = {**item_form(kind, instance=item).initial, field: "Rewritten"}
    form = item_form(kind, instance=item, data={k: v for k, v in data.items() if v is not None})
    assert form.is_valid(), form.errors
    seen = services.latest_changes(type(item), [item.pk])[item.pk]
    _published_by_someone_else(review)

    with pytest.raises(ReviewFrozen):
        services.item_save_unless_changed(form=form, seen_change=seen)
    with pytest.raises(ReviewFrozen):
        services.item_delete(item=type(item).objects.get(pk=item.pk))
    assert getattr(type(item).objects.get(pk=item.pk), field) == "As seen"


@pytest.mark.django_db
def test_themes_attached_detached_or_created_after_publication_are_refused():
    review = _ready_to_publish()
    tagged, untagged = ThemeFactory(name="Tagged"), ThemeFactory(name="Untagged")
    tagged.incidents.add(review.incident)
    _published_by_someone_else(review)
    with pytest.raises(ReviewFrozen):
        services.theme_attach(theme=untagged, incident=review.incident)
    with pytest.raises(ReviewFrozen):
        services.theme_detach(theme=tagged, incident=review.incident)
    with pytest.raises(ReviewFrozen):
        services.theme_create(name="New", description="", incident=review.incident)
    assert list(review.incident.themes.values_list("name", flat=True)) == ["Tagged"]
    assert not review.incident.themes.model.objects.filter(name="New").exists()


@pytest.mark.django_db
def test_an_api_edit_or_schedule_after_publication_is_refused_and_does_not_unpublish():
    """The API's edit saves the fields it is sent; from a review read before the publication
    it would write the old status (and no published_at) back."""
    review = _ready_to_publish()
    _published_by_someone_else(review)
    with pytest.raises(ReviewFrozen):
        services.review_update(
            review=review, data={"status": Review.Status.IN_PROGRESS}, version=review.version
        )
    with pytest.raises(ReviewFrozen):
        services.review_schedule(review=review, scheduled_for=None)
    stored = Review.objects.get(pk=review.pk)
    assert stored.is_published
    assert stored.published_at is not None
    assert _changed_after_publication(stored) == []


@pytest.mark.django_db
def test_a_follow_up_status_still_changes_after_publication():
    review = _ready_to_publish()
    item = ActionItemFactory(review=review)
    _published_by_someone_else(review)
    services.follow_up_set_status(action_item=item, status=ActionItem.Status.DONE)
    assert ActionItem.objects.get(pk=item.pk).status == ActionItem.Status.DONE


# --- racing writes (PostgreSQL) ----------------------------------------------------------------


@concurrent_test
def test_a_section_save_racing_publication_lands_before_it_or_is_refused():
    facilitator = FacilitatorFactory()
    violations = []
    for trial in range(TRIALS):
        review = _ready_to_publish(facilitator)
        text = f"Rewritten {trial}"
        published, saved = at_the_same_moment(
            lambda review=review: review_publish(review=review, user=facilitator),
            lambda review=review, text=text: services.review_update_section(
                review=review, section="narrative", text=text, version=1
            ),
        )
        assert published.ok, published.error
        stored = Review.objects.get(pk=review.pk)
        if saved.ok:
            assert saved.value.saved
            # It landed first: the published text is the saved one, nothing changed since.
            if stored.narrative != text or _changed_after_publication(stored):
                violations.append(trial)
        elif not isinstance(saved.error, ReviewFrozen):
            raise saved.error
        elif stored.narrative != "The story as agreed.":
            violations.append(trial)
    assert violations == [], f"narrative rewritten after publication in {len(violations)} trials"


def _add_timeline_entry(review):
    form = _new_item_form(review, "timeline")
    assert form.is_valid()
    return services.item_add(form=form, author=None)


def _edit_follow_up(review):
    item = review.action_items.get()
    kind = ITEM_KINDS["follow-ups"]
    data = {**item_form(kind, instance=item).initial, "title": "Rewritten"}
    form = item_form(kind, instance=item, data={k: v for k, v in data.items() if v is not None})
    assert form.is_valid()
    return services.item_save_unless_changed(form=form, seen_change=None)


def _delete_participant(review):
    return services.item_delete(item=review.participants.get())


@concurrent_test
@pytest.mark.parametrize(
    ("write", "model"),
    [
        (_add_timeline_entry, "incidents.TimelineEntry"),
        (_edit_follow_up, "reviews.ActionItem"),
        (_delete_participant, "reviews.Participant"),
    ],
    ids=["add-timeline-entry", "edit-follow-up", "delete-participant"],
)
def test_an_item_write_racing_publication_lands_before_it_or_is_refused(write, model):
    history = apps.get_model(model).history
    facilitator = FacilitatorFactory()
    late = []
    for trial in range(TRIALS):
        review = _ready_to_publish(facilitator)
        ActionItemFactory(review=review, title="As agreed")
        ParticipantFactory(review=review)
        started = history.order_by("-history_id").values_list("history_id", flat=True).first()
        published, written = at_the_same_moment(
            lambda review=review: review_publish(review=review, user=facilitator),
            lambda review=review: write(review),
        )
        assert published.ok, published.error
        if not written.ok and not isinstance(written.error, ReviewFrozen):
            raise written.error
        changes = list(history.filter(history_id__gt=started or 0))
        assert len(changes) == (1 if written.ok else 0)
        published_at = Review.objects.get(pk=review.pk).published_at
        if any(change.history_date > published_at for change in changes):
            late.append(trial)
    assert late == [], f"written after publication in {len(late)} of {TRIALS} trials"


@concurrent_test
def test_an_api_write_racing_publication_is_a_json_403_when_it_loses(responder):
    """Over HTTP: the loser gets the freeze's reason as JSON, never a 500."""
    facilitator = FacilitatorFactory()
    publisher, writer = client_for(facilitator, token=True), client_for(responder, token=True)
    for _ in range(TRIALS):
        review = _ready_to_publish(facilitator)
        entry = {
            "incident": review.incident.reference,
            "at": review.incident.started_at.isoformat(),
            "text": "Seen at the same moment",
        }
        published, written = at_the_same_moment(
            lambda review=review: publisher.post(f"/api/v1/reviews/{review.pk}/publish/"),
            lambda entry=entry: writer.post("/api/v1/timeline-entries/", entry, format="json"),
        )
        assert published.result().status_code == 200, published.result().content
        answer = written.result()
        assert answer.status_code in (201, 403), answer.content
        if answer.status_code == 403:
            assert "published" in answer.json()["detail"]


@concurrent_test
def test_an_admin_save_racing_publication_lands_before_it_or_is_refused(responder):
    """A staff responder adds a timeline entry in the admin as the facilitator publishes."""
    facilitator = FacilitatorFactory()
    admin = Client()
    admin.force_login(responder)
    late = []
    for trial in range(TRIALS):
        review = _ready_to_publish(facilitator)
        at = review.incident.started_at
        entry = {
            "incident": review.incident.pk,
            "at_0": at.strftime("%Y-%m-%d"),
            "at_1": at.strftime("%H:%M:%S"),
            "kind": "note",
            "text": f"Seen in trial {trial}",
            "evidence_url": "",
        }
        published, added = at_the_same_moment(
            lambda review=review: review_publish(review=review, user=facilitator),
            lambda entry=entry: admin.post("/admin/incidents/timelineentry/add/", entry),
        )
        assert published.ok, published.error
        # Refused: a 403, or the form no longer offers the incident (a published one).
        answer = added.result()
        assert answer.status_code in (302, 403, 200), answer.status_code
        saved = TimelineEntry.history.filter(text=f"Seen in trial {trial}")
        assert saved.exists() == (answer.status_code == 302)
        published_at = Review.objects.get(pk=review.pk).published_at
        if saved.filter(history_date__gt=published_at).exists():
            late.append(trial)
    assert late == [], f"added after publication in {len(late)} of {TRIALS} trials"
