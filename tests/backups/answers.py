"""What the API answers a token: every report over the dashboards' periods, the incident
list, and published reviews' Markdown. The round trip asks the source database in the test
and the restored one in a `manage.py shell` of its own, with the same token (restored, as
stored: hashed)."""

from __future__ import annotations

from datetime import timedelta

from rest_framework.test import APIClient

from incidents.days import utc_today

REPORTS = ("summary", "systems", "themes", "learning-loop")


def _periods() -> list[str]:
    """The pages' two presets, and the longest custom range a report takes (five years),
    which holds every demo record."""
    end = utc_today() + timedelta(days=1)
    start = end - timedelta(days=366 * 5)
    return ["period=quarter", "period=month", f"period=custom&start={start}&end={end}"]


def api_answers(token: str, review_ids: list[int]) -> dict[str, list]:
    """path -> [status, body] (JSON, or the text of a Markdown export)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    paths = [f"/api/v1/reports/{report}/?{period}" for report in REPORTS for period in _periods()]
    paths += ["/api/v1/incidents/?page_size=500", "/api/v1/action-items/?page_size=500"]
    answers = {}
    for path in paths:
        response = client.get(path)
        answers[path] = [response.status_code, response.json()]
    for review in review_ids:
        path = f"/api/v1/reviews/{review}/export/?format=md"
        response = client.get(path)
        answers[path] = [response.status_code, response.content.decode()]
    return answers
