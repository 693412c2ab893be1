"""Reads for the reminders (`manage.py send_reminders`): what each team is told is due.

Nothing here defines "overdue" or "to schedule" anew: the follow-ups are the follow-up list's
(`ActionItem.objects.overdue()`, `.open().unowned()`), the reviews the review queue's overdue
entries (`needs_review`), so a digest and the page it links to always list the same things.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django.db.models import Q
from django.urls import reverse

from incidents.models import Team
from incidents.scopes import incident_involves_team
from reviews.models import ActionItem
from reviews.selectors import QueueFilters, needs_review


@dataclass(frozen=True)
class DigestItem:
    title: str
    detail: str
    path: str  # the page to act on, made absolute with SITE_URL when sent


@dataclass(frozen=True)
class DigestSection:
    heading: str
    named: list[DigestItem]
    # Items of private incidents: counted, never named. A digest goes to a whole team, and
    # not everyone on it may see a private incident (`Incident.objects.visible_to`).
    private: int
    list_path: str  # the filtered list that shows them all (to those who may see them)

    @property
    def total(self) -> int:
        return len(self.named) + self.private


@dataclass(frozen=True)
class TeamDigest:
    team: Team
    day: date
    sections: list[DigestSection]

    @property
    def total(self) -> int:
        return sum(section.total for section in self.sections)


class _EveryIncident:
    """Who `needs_review` answers for: every incident, private ones too, so that they are
    counted. Their names are left out of the digest (`DigestSection.private`)."""

    is_superuser = True
    is_authenticated = True
    pk = None


def _query(path: str, **params: str) -> str:
    return f"{path}?{urlencode(params)}"


def _follow_up_section(heading: str, follow_ups, list_path: str) -> DigestSection:
    named, private = [], 0
    for item in follow_ups.select_related("review__incident").order_by("due_date", "pk"):
        incident = item.review.incident
        if incident.is_private:
            private += 1
            continue
        due = f"due {item.due_date:%Y-%m-%d}" if item.due_date else "no due date"
        named.append(
            DigestItem(
                title=item.title,
                detail=f"{due}, {incident.reference}",
                path=reverse("reviews:workspace", args=[item.review_id]),
            )
        )
    return DigestSection(heading=heading, named=named, private=private, list_path=list_path)


def team_digest(*, team: Team, today: date) -> TeamDigest:
    """What is due for the team on `today` (sections with nothing in them left out).

    - Overdue follow-ups the team owns: a follow-up is the team's by its owner team, as on
      the follow-up list and the dashboards.
    - Unowned open follow-ups of incidents the team is involved in (listed on, or owning a
      system touched: `incident_involves_team`): having no owner, they reach the teams that
      could take them.
    - Incidents the team is involved in whose review is overdue in the review queue: waiting
      for a review, worth a deep review, resolved `REVIEW_DUE_AFTER` ago or more.
    """
    follow_ups = reverse("reviews:follow_ups")
    overdue = _follow_up_section(
        "Overdue follow-ups",
        ActionItem.objects.overdue(today).filter(owner_team=team),
        _query(follow_ups, team=team.slug, overdue="true"),
    )
    unowned = _follow_up_section(
        "Unowned follow-ups",
        ActionItem.objects.open()
        .unowned()
        .filter(incident_involves_team(team, "review__incident")),
        _query(follow_ups, team="none"),
    )
    named, private = [], 0
    for entry in needs_review(
        user=_EveryIncident(), filters=QueueFilters(team=team.slug, overdue=True)
    ):
        incident = entry.incident
        if incident.is_private:
            private += 1
            continue
        resolved = f"resolved {incident.resolved_at:%Y-%m-%d}"
        named.append(
            DigestItem(
                title=f"{incident.reference}: {incident.title}",
                detail=", ".join(dict.fromkeys([incident.severity, resolved, *entry.cues])),
                path=incident.get_absolute_url(),
            )
        )
    reviews = DigestSection(
        heading="Reviews to schedule",
        named=named,
        private=private,
        list_path=_query(reverse("reviews:queue"), team=team.slug, overdue="true"),
    )
    sections = [section for section in (overdue, unowned, reviews) if section.total]
    return TeamDigest(team=team, day=today, sections=sections)


def reminder_digests(*, today: date) -> list[TeamDigest]:
    """The digest of every team with a reminder address or webhook and something due."""
    teams = Team.objects.exclude(Q(notify_email="") & Q(notify_webhook_url="")).order_by("name")
    digests = [team_digest(team=team, today=today) for team in teams]
    return [digest for digest in digests if digest.total]
