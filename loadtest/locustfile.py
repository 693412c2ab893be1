"""Mixed traffic for the load test (loadtest/run.py starts it; see docs/benchmarks.md).

Three kinds of people, as on a real day after an incident:
- readers in the browser: dashboards, lists, an incident's page, the review queue;
- integrations and scripts on the API: list and report reads, near-miss reports, imports;
- facilitators editing review sections through the API (a 409 on a stale version is the
  right answer to a race, not an error).

Every request is checked by status. A 503 is counted under its own name ("503 ...") so the run
can tell "the database was down" from any other failure. Each acknowledged write (201) is
appended to a ledger, which run.py compares with the database afterwards: nothing written twice,
nothing acknowledged and lost.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import uuid

from locust import HttpUser, between, task

TOKENS = os.environ["LOADTEST_TOKENS"].split(",")
REVIEWS = [int(pk) for pk in os.environ["LOADTEST_REVIEWS"].split(",")]
INCIDENTS = os.environ["LOADTEST_INCIDENTS"].split(",")
PASSWORD = os.environ["LOADTEST_PASSWORD"]
READERS = os.environ["LOADTEST_READERS"].split(",")
LEDGER = os.environ["LOADTEST_LEDGER"]
# One prefix per run, so run.py finds exactly this run's writes.
PREFIX = os.environ["LOADTEST_PREFIX"]

_tokens = itertools.cycle(TOKENS)
_readers = itertools.cycle(READERS)


def _record(kind: str, key: str) -> None:
    # One line per acknowledged write; O_APPEND writes of a short line do not interleave.
    with open(LEDGER, "a") as ledger:
        ledger.write(json.dumps({"kind": kind, "key": key}) + "\n")


def _check(response, *expected: int) -> bool:
    if response.status_code in expected:
        response.success()
        return True
    if response.status_code == 503:
        response.failure("503 service unavailable")
    elif response.status_code == 0:
        response.failure(f"no answer: {response.error}")
    else:
        response.failure(f"unexpected {response.status_code}")
    return False


def _read(client, url: str, name: str | None = None) -> None:
    """A GET that must answer 200, counted under `name` (the URL without its variable part)."""
    with client.get(url, name=name or url, catch_response=True) as response:
        _check(response, 200)


class BrowserReader(HttpUser):
    """A logged-in person reading the pages."""

    weight = 3
    wait_time = between(0.5, 2.0)

    def on_start(self):
        page = self.client.get("/accounts/login/", name="/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text or "")
        with self.client.post(
            "/accounts/login/",
            {
                "username": next(_readers),
                "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="/accounts/login/ (POST)",
            catch_response=True,
            allow_redirects=False,
        ) as response:
            _check(response, 302)

    def _get(self, url: str, name: str | None = None) -> None:
        _read(self.client, url, name)

    @task(3)
    def dashboard(self):
        self._get("/dashboard/")

    @task(1)
    def systems_dashboard(self):
        self._get("/dashboard/systems/")

    @task(3)
    def incident_list(self):
        self._get("/incidents/")

    @task(1)
    def incident_search(self):
        self._get("/incidents/?q=api", "/incidents/?q=")

    @task(2)
    def incident_page(self):
        self._get(f"/incidents/{random.choice(INCIDENTS)}/", "/incidents/<ref>/")

    @task(1)
    def near_misses(self):
        self._get("/near-misses/")

    @task(1)
    def review_queue(self):
        self._get("/reviews/")


class ApiClient(HttpUser):
    """A script or an integration with a token: reads, near-miss reports and imports."""

    weight = 2
    wait_time = between(0.5, 2.0)

    def on_start(self):
        self.client.headers["Authorization"] = f"Token {next(_tokens)}"

    @task(4)
    def incidents(self):
        _read(self.client, "/api/v1/incidents/?page_size=50", "/api/v1/incidents/")

    @task(1)
    def summary_report(self):
        _read(self.client, "/api/v1/reports/summary/")

    @task(1)
    def near_miss_list(self):
        _read(self.client, "/api/v1/near-misses/")

    @task(2)
    def report_near_miss(self):
        title = f"{PREFIX} near miss {uuid.uuid4().hex}"
        payload = {
            "title": title,
            "description": "Caught by the canary deploy.",
            "occurred_at": "2026-03-02T09:00:00Z",
            "stopped_by": "automation",
        }
        with self.client.post(
            "/api/v1/near-misses/", json=payload, name="/api/v1/near-misses/ (POST)",
            catch_response=True,
        ) as response:
            if _check(response, 201):
                _record("near_miss", title)

    @task(1)
    def import_incidents(self):
        batch = uuid.uuid4().hex
        rows = [
            {
                "title": f"{PREFIX} imported {batch} {n}",
                "started_at": "2026-02-01T10:00:00Z",
                "external_id": f"{PREFIX}-{batch}-{n}",
                "systems": [{"name": "checkout-api", "role": "origin"}],
            }
            for n in range(5)
        ]
        with self.client.post(
            "/api/v1/incidents/import/", json=rows, name="/api/v1/incidents/import/",
            catch_response=True,
        ) as response:
            if _check(response, 201):
                for row in rows:
                    _record("import", row["external_id"])


class ReviewEditor(HttpUser):
    """A facilitator saving review sections, racing the others on the same reviews."""

    weight = 1
    wait_time = between(1.0, 3.0)

    def on_start(self):
        self.client.headers["Authorization"] = f"Token {TOKENS[0]}"

    @task
    def edit_a_section(self):
        pk = random.choice(REVIEWS)
        with self.client.get(
            f"/api/v1/reviews/{pk}/", name="/api/v1/reviews/<id>/", catch_response=True
        ) as response:
            if not _check(response, 200):
                return
            version = response.json()["version"]
        with self.client.patch(
            f"/api/v1/reviews/{pk}/",
            json={"risks": f"{PREFIX} risk {uuid.uuid4().hex}", "version": version},
            name="/api/v1/reviews/<id>/ (PATCH)",
            catch_response=True,
        ) as response:
            # 409: someone saved since we read; the API refused to overwrite their text.
            _check(response, 200, 409)
