"""/api/v1/reviews/: start, edit with versions (409 on a conflict), publish, export."""

from __future__ import annotations

import pytest

from reviews.models import Review
from tests.api.conftest import client_for
from tests.factories import (
    FacilitatorFactory,
    IncidentFactory,
    ReviewFactory,
    ThemeFactory,
    TimelineEntryFactory,
)


@pytest.mark.parametrize(
    ("person", "expected"), [("reader", 403), ("responder", 403), ("facilitator", 201)]
)
def test_only_facilitators_start_a_review(db, request, person, expected):
    incident = IncidentFactory()
    response = client_for(request.getfixturevalue(person)).post(
        "/api/v1/reviews/", {"incident": incident.reference}
    )
    assert response.status_code == expected


def test_starting_a_review_lists_the_people_involved(facilitator, responder):
    incident = IncidentFactory(lead=responder)
    response = client_for(facilitator).post(
        "/api/v1/reviews/", {"incident": incident.reference, "narrative": "It began at noon."}
    )
    review = Review.objects.get()
    assert response.json()["status"] == "in_progress"
    assert response.json()["facilitator"] == "fran"
    assert review.narrative == "It began at noon."
    assert list(review.participants.values_list("user__username", flat=True)) == ["rita"]


def test_an_incident_has_one_review(facilitator):
    review = ReviewFactory()
    response = client_for(facilitator).post(
        "/api/v1/reviews/", {"incident": review.incident.reference}
    )
    assert response.status_code == 400
    assert "already has a review" in response.json()["fields"]["incident"][0]


def test_a_stale_version_is_a_409_with_the_current_text(facilitator):
    review = ReviewFactory(facilitator=facilitator, status=Review.Status.IN_PROGRESS)
    client = client_for(facilitator)
    first = client.patch(f"/api/v1/reviews/{review.pk}/", {"narrative": "mine", "version": 1})
    assert first.status_code == 200
    assert first.json()["version"] == 2
    stale = client.patch(f"/api/v1/reviews/{review.pk}/", {"narrative": "theirs", "version": 1})
    assert stale.status_code == 409
    body = stale.json()
    assert body["section"] == "narrative"
    assert body["current_text"] == "mine"
    assert body["version"] == 2
    review.refresh_from_db()
    assert review.narrative == "mine"


def test_editing_another_section_from_an_older_version_is_no_conflict(facilitator):
    review = ReviewFactory(facilitator=facilitator, status=Review.Status.IN_PROGRESS)
    client = client_for(facilitator)
    client.patch(f"/api/v1/reviews/{review.pk}/", {"narrative": "story", "version": 1})
    response = client.patch(f"/api/v1/reviews/{review.pk}/", {"risks": "more", "version": 1})
    assert response.status_code == 200
    review.refresh_from_db()
    assert (review.narrative, review.risks) == ("story", "more")


def test_a_stale_second_section_saves_nothing_of_the_update_and_says_who_wrote_it(facilitator):
    """All or none: the narrative (first in order) would save, the risks are stale."""
    review = ReviewFactory(
        facilitator=facilitator, status=Review.Status.IN_PROGRESS, narrative="N0", risks="R0"
    )
    other = FacilitatorFactory(username="otis", first_name="Otis", last_name="Meyer")
    client_for(other).patch(f"/api/v1/reviews/{review.pk}/", {"risks": "R-otis", "version": 1})
    # Otis's is not the last save: someone else edits another section after him.
    client_for(FacilitatorFactory()).patch(
        f"/api/v1/reviews/{review.pk}/", {"data_reviewed": "logs", "version": 2}
    )
    response = client_for(facilitator).patch(
        f"/api/v1/reviews/{review.pk}/",
        {
            "narrative": "N-mine",
            "risks": "R-mine",
            "scheduled_for": "2026-05-01T10:00:00Z",
            "version": 1,
        },
        format="json",
    )
    assert response.status_code == 409
    body = response.json()
    assert "nothing of this update was saved" in body["detail"]
    assert body["section"] == "risks"
    assert body["current_text"] == "R-otis"
    assert body["changed_by"] == "Otis Meyer"
    stored = Review.objects.get(pk=review.pk)
    assert body["version"] == stored.version == 3
    assert (stored.narrative, stored.risks, stored.scheduled_for) == ("N0", "R-otis", None)
    assert stored.history.count() == 3  # created, Otis, the data reviewed: nothing of mine


def test_one_request_saves_several_sections_and_skips_unchanged_text(facilitator):
    review = ReviewFactory(
        facilitator=facilitator, status=Review.Status.IN_PROGRESS, narrative="kept"
    )
    response = client_for(facilitator).patch(
        f"/api/v1/reviews/{review.pk}/",
        {"narrative": "kept", "risks": "more", "mitigators": "paging", "version": 1},
    )
    assert response.status_code == 200
    review.refresh_from_db()
    assert (review.narrative, review.risks, review.mitigators) == ("kept", "more", "paging")
    assert review.version == 3  # one new version per changed section, none for the narrative


def test_themes_tag_the_incident(facilitator):
    review = ReviewFactory(status=Review.Status.IN_PROGRESS)
    theme = ThemeFactory(name="Capacity")
    response = client_for(facilitator).patch(
        f"/api/v1/reviews/{review.pk}/", {"themes": [theme.slug]}
    )
    assert response.json()["themes"] == ["capacity"]
    assert list(review.incident.themes.all()) == [theme]


def test_publish_needs_a_narrative_and_a_timeline(facilitator):
    review = ReviewFactory(status=Review.Status.IN_PROGRESS)
    client = client_for(facilitator)
    refused = client.post(f"/api/v1/reviews/{review.pk}/publish/")
    assert refused.status_code == 400
    assert "narrative" in refused.json()["detail"]
    review.narrative = "What happened"
    review.save()
    TimelineEntryFactory(incident=review.incident)
    published = client.post(f"/api/v1/reviews/{review.pk}/publish/")
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    assert published.json()["published_at"] is not None


def test_status_published_is_not_writable_directly(facilitator):
    review = ReviewFactory(status=Review.Status.IN_PROGRESS)
    response = client_for(facilitator).patch(
        f"/api/v1/reviews/{review.pk}/", {"status": "published"}
    )
    assert response.status_code == 400


def test_a_published_review_is_read_only(facilitator):
    review = ReviewFactory(status=Review.Status.PUBLISHED)
    response = client_for(facilitator).patch(f"/api/v1/reviews/{review.pk}/", {"risks": "x"})
    assert response.status_code == 403
    assert response.json()["detail"] == "A published review is read-only."


def _published(**kwargs) -> Review:
    review = ReviewFactory(status=Review.Status.PUBLISHED, narrative="The **story**.", **kwargs)
    TimelineEntryFactory(incident=review.incident, text="Pager fired")
    return review


def test_a_published_review_exports_as_markdown(reader):
    review = _published()
    response = client_for(reader).get(f"/api/v1/reviews/{review.pk}/export/?format=md")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    text = response.content.decode()
    assert text.startswith(f"# {review.incident.reference}: ")
    assert "The **story**." in text
    assert "Pager fired" in text


def test_the_markdown_export_is_the_report_page_download(reader):
    review = _published()
    client = client_for(reader)
    api = client.get(f"/api/v1/reviews/{review.pk}/export/?format=md").content
    page = client.get(f"/reviews/{review.pk}/report.md").content
    assert api == page


def test_a_published_review_exports_as_json(reader):
    review = _published()
    body = client_for(reader).get(f"/api/v1/reviews/{review.pk}/export/").json()
    assert body["narrative"] == "The **story**."
    assert body["incident"]["reference"] == review.incident.reference
    assert body["incident"]["timeline"][0]["text"] == "Pager fired"


def test_an_unpublished_review_does_not_export(reader):
    review = ReviewFactory(status=Review.Status.IN_PROGRESS)
    response = client_for(reader).get(f"/api/v1/reviews/{review.pk}/export/?format=md")
    assert response.status_code == 409
    assert response["Content-Type"] == "application/json"


def test_reviews_of_private_incidents_are_hidden(outsider):
    review = ReviewFactory(incident=IncidentFactory(is_private=True))
    client = client_for(outsider)
    assert client.get("/api/v1/reviews/").json()["count"] == 0
    assert client.get(f"/api/v1/reviews/{review.pk}/export/").status_code == 404


def test_reviews_filter_by_status(reader):
    published = ReviewFactory(status=Review.Status.PUBLISHED)
    ReviewFactory(status=Review.Status.SCHEDULED)
    body = client_for(reader).get("/api/v1/reviews/?status=published").json()
    assert [item["id"] for item in body["results"]] == [published.pk]
