"""An Alertmanager notification (webhook payload version 4) applied to the incidents.

What an incident is, here. An alert *firing* is one alert (its fingerprint) from one startsAt;
Alertmanager keeps the startsAt while the alert keeps firing, and a re-fire after it resolved
has a new one. The firings of one alert group (its groupKey) whose times overlap are one
incident: it starts at the earliest startsAt, is investigating while any of its firings is
open, and is mitigated at the latest endsAt once all have resolved.

So a firing that starts after the group's incident was mitigated (a re-fire after resolve)
opens a NEW incident rather than reopening the old one: the old one's review and its place in
the failure rates stay as they were, and each episode counts once. A firing that starts while
an incident of the group is open, or before it was mitigated, joins it.

Because the incidents are computed from the firings' own times, never from when a delivery
arrived, the same firings give the same incidents in any order: a resolved notification that
arrives before the firing one opens the incident already mitigated, and the firing one then
only confirms it; a repeat (repeat_interval, a retry, a replay) of a firing already recorded
adds nothing, not even a timeline entry. A firing that joined an incident only because another
firing seemed still open, until a late resolution said it had ended before, is moved (with its
timeline entries) to an incident of its own, as in-order delivery would have had it. One case
is left as it is: a late firing whose span covers two incidents that in-order delivery would
have made one joins the earlier of them; they are not merged (nothing written by people on
the later one is thrown away).

An incident someone resolved or closed by hand, or whose published review froze it, takes no
new firings (they open a new incident); a frozen incident is not changed at all.

Concurrent deliveries of one group apply one after the other: each locks the group's row
(`AlertGroup`, created once, its unique constraint settling a race) for its transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Min, Q

from incidents.models import Incident, IncidentSystem, TimelineEntry
from incidents.services import incident_create_or_get, incident_save
from integrations.models import AlertGroup, Integration, ReceivedAlert
from integrations.services.common import Applied, frozen_incident_ids, system_named

FIRING, RESOLVED = "firing", "resolved"
# An incident's status that new firings may still join (not resolved or closed by hand).
_JOINABLE = (Incident.Status.INVESTIGATING, Incident.Status.MITIGATED)
_URL = URLValidator(schemes=["http", "https"])
_TITLE_LENGTH = Incident._meta.get_field("title").max_length
_URL_LENGTH = TimelineEntry._meta.get_field("evidence_url").max_length


@dataclass(frozen=True)
class Alert:
    status: str  # "firing" or "resolved"
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None  # when it resolved; None while firing
    generator_url: str
    fingerprint: str

    @property
    def name(self) -> str:
        return self.labels.get("alertname") or "alert"

    @property
    def summary(self) -> str:
        return self.annotations.get("summary") or self.annotations.get("description") or ""


@dataclass(frozen=True)
class Notification:
    group_key: str
    status: str
    group_labels: dict[str, str]
    common_annotations: dict[str, str]
    alerts: tuple[Alert, ...]
    external_url: str = ""


def fingerprint_of(labels: dict[str, str]) -> str:
    """For a payload without fingerprints (Alertmanager before 0.19): one from the labels,
    which is what Alertmanager's own fingerprint is made of."""
    text = "\x00".join(f"{name}\x00{value}" for name, value in sorted(labels.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class _Episode:
    """An incident of the group, as its firings place it in time."""

    incident: Incident
    start: datetime
    end: datetime | None  # None while a firing is open
    joinable: bool
    frozen: bool
    systems: set[int] = field(default_factory=set)

    def overlaps(self, alert: Alert) -> bool:
        alert_end = alert.ends_at
        return (self.end is None or alert.starts_at <= self.end) and (
            alert_end is None or self.start <= alert_end
        )

    def extend(self, alert: Alert) -> None:
        self.start = min(self.start, alert.starts_at)
        if alert.ends_at is None:
            self.end = None
        elif self.end is not None:
            self.end = max(self.end, alert.ends_at)


def alertmanager_notification_apply(
    *, integration: Integration, notification: Notification
) -> Applied:
    """Apply a notification in one transaction (see the module's docstring)."""
    applied = Applied()
    with transaction.atomic():
        group = _locked_group(integration, notification.group_key)
        fingerprints = {alert.fingerprint for alert in notification.alerts}
        known = {
            (row.fingerprint, row.starts_at): row
            for row in ReceivedAlert.objects.filter(group=group, fingerprint__in=fingerprints)
            .select_related("incident")
            .order_by()
        }
        episodes = _episodes(group)
        by_incident = {episode.incident.pk: episode for episode in episodes}
        for alert in sorted(notification.alerts, key=lambda alert: alert.starts_at):
            received = known.get((alert.fingerprint, alert.starts_at))
            if received is None:
                episode = _episode_for(alert, episodes)
                if episode is None:
                    episode = _open_incident(integration, group, notification, alert)
                    episodes.append(episode)
                    by_incident[episode.incident.pk] = episode
                    applied.touched(episode.incident, created=True)
                else:
                    applied.touched(episode.incident)
                known[(alert.fingerprint, alert.starts_at)] = _record(
                    integration, group, episode, alert
                )
                episode.extend(alert)
            elif alert.status == RESOLVED and received.ends_at is None:
                episode = by_incident[received.incident_id]
                _record_resolution(received, alert, timeline=not episode.frozen)
                if not episode.frozen:
                    applied.touched(episode.incident)
            elif applied.incidents == []:
                applied.incidents.append(received.incident)  # the log links a repeat too
        touched = [
            episode
            for episode in episodes
            if not episode.frozen and any(i.pk == episode.incident.pk for i in applied.incidents)
        ]
        for episode in list(touched):
            for split_off in _split(integration, group, episode):
                applied.touched(split_off.incident, created=True)
                touched.append(split_off)
        for episode in touched:
            _refresh(integration, episode)
    return applied


def _locked_group(integration: Integration, group_key: str) -> AlertGroup:
    digest = hashlib.sha256(group_key.encode()).hexdigest()
    try:
        with transaction.atomic():
            AlertGroup.objects.get_or_create(
                integration=integration, key_digest=digest, defaults={"group_key": group_key}
            )
    except IntegrityError:
        pass  # another delivery created it meanwhile: it is there to lock
    return AlertGroup.objects.select_for_update().get(integration=integration, key_digest=digest)


def _episodes(group: AlertGroup) -> list[_Episode]:
    """The group's incidents with their spans, from their recorded firings (two queries, and
    a third that locks the review rows of those incidents)."""
    rows = (
        ReceivedAlert.objects.filter(group=group)
        .values("incident")
        .annotate(start=Min("starts_at"), end=Max("ends_at"), open=Count("pk", Q(ends_at=None)))
        .order_by()
    )
    spans = {row["incident"]: row for row in rows}
    incidents = Incident.objects.filter(pk__in=spans).prefetch_related("system_roles")
    frozen = frozen_incident_ids(spans)
    episodes = []
    for incident in incidents:
        span = spans[incident.pk]
        episodes.append(
            _Episode(
                incident=incident,
                start=span["start"],
                end=None if span["open"] else span["end"],
                joinable=incident.status in _JOINABLE and incident.pk not in frozen,
                frozen=incident.pk in frozen,
                systems={role.system_id for role in incident.system_roles.all()},
            )
        )
    return episodes


def _episode_for(alert: Alert, episodes: list[_Episode]) -> _Episode | None:
    """The earliest joinable incident of the group that the firing overlaps in time."""
    candidates = [episode for episode in episodes if episode.joinable and episode.overlaps(alert)]
    return min(candidates, key=lambda episode: episode.start, default=None)


def _system_name(integration: Integration, alert: Alert) -> str:
    return (alert.labels.get(integration.system_label) or integration.default_system).strip()


def _severity(integration: Integration, alert: Alert) -> str:
    return integration.severity_for(alert.labels.get(integration.severity_label))


def _title(notification: Notification, alert: Alert) -> str:
    """The group's name (the same for every notification of the group): its alertname and
    other grouping labels, else the first firing's alertname."""
    labels = dict(notification.group_labels)
    name = labels.pop("alertname", None) or alert.name
    rest = ", ".join(f"{key}={value}" for key, value in sorted(labels.items()))
    title = f"{name} ({rest})" if rest else name
    return title[:_TITLE_LENGTH]


def _external_id(integration: Integration, group: AlertGroup, fingerprint: str, starts_at) -> str:
    """Named for the firing that opened the incident: stable whatever arrives later, so a
    replay after the group's own records were lost finds the incident instead of a duplicate."""
    return (
        f"am{integration.pk}-{group.key_digest[:16]}-{fingerprint[:64]}-{starts_at.timestamp():.0f}"
    )


def _open_incident(
    integration: Integration, group: AlertGroup, notification: Notification, alert: Alert
) -> _Episode:
    name = _system_name(integration, alert)
    roles = [{"system": system_named(name), "role": IncidentSystem.Role.IMPACTED}] if name else []
    summary = notification.common_annotations.get("summary") or alert.summary
    description = notification.common_annotations.get("description", "")
    data = {
        "source": integration.source,
        "external_id": _external_id(integration, group, alert.fingerprint, alert.starts_at),
        "title": _title(notification, alert),
        "summary": "\n\n".join(part for part in (summary, description) if part),
        "severity": _severity(integration, alert),
        "started_at": alert.starts_at,
        "detected_at": alert.starts_at,
        "system_roles": roles,
    }
    incident, _created = incident_create_or_get(data=data, created_by=None)
    return _Episode(
        incident=incident,
        start=alert.starts_at,
        end=alert.ends_at,
        joinable=True,
        frozen=False,
        systems={role["system"].pk for role in roles},
    )


def _split(integration: Integration, group: AlertGroup, episode: _Episode) -> list[_Episode]:
    """Move the incident's firings that no longer overlap its earliest ones (a late
    resolution closed the gap between them) to incidents of their own: one per run of
    overlapping firings, as in-order delivery would have opened them. The new incidents."""
    if episode.incident.status not in _JOINABLE:
        return []
    firings = list(ReceivedAlert.objects.filter(incident=episode.incident).order_by("starts_at"))
    runs: list[list[ReceivedAlert]] = []
    reach = None  # the end of the current run; None while one of its firings is open
    for firing in firings:
        if runs and (reach is None or firing.starts_at <= reach):
            runs[-1].append(firing)
            reach = None if reach is None or firing.ends_at is None else max(reach, firing.ends_at)
        else:
            runs.append([firing])
            reach = firing.ends_at
    new = []
    for run in runs[1:]:
        first = run[0]
        systems = list(dict.fromkeys(f.system for f in run if f.system_id is not None))
        incident, _created = incident_create_or_get(
            data={
                "source": integration.source,
                "external_id": _external_id(integration, group, first.fingerprint, first.starts_at),
                "title": episode.incident.title,
                "summary": episode.incident.summary,
                "severity": first.severity,
                "started_at": first.starts_at,
                "detected_at": first.starts_at,
                "system_roles": [
                    {"system": system, "role": IncidentSystem.Role.IMPACTED} for system in systems
                ],
            },
            created_by=None,
        )
        moved = [firing.pk for firing in run]
        entries = [e for f in run for e in (f.fired_entry_id, f.resolved_entry_id) if e]
        ReceivedAlert.objects.filter(pk__in=moved).update(incident=incident)
        TimelineEntry.objects.filter(pk__in=entries).update(incident=incident)
        new.append(_Episode(incident, first.starts_at, None, True, False, {s.pk for s in systems}))
    if new:
        # The systems only the moved firings named leave the incident they were moved from.
        kept = {f.system_id for f in runs[0]}
        gone = {f.system_id for run in runs[1:] for f in run} - kept - {None}
        IncidentSystem.objects.filter(incident=episode.incident, system_id__in=gone).delete()
        episode.systems -= gone
    return new


def _evidence(alert: Alert) -> tuple[str, str]:
    """The generatorURL as the entry's evidence link, or, when it cannot be one (too long
    for the field, not http), in the text, so it is never cut."""
    url = alert.generator_url
    if not url:
        return "", ""
    try:
        _URL(url)
    except ValidationError:
        return "", f"\nSource: {url}"
    if len(url) > _URL_LENGTH:
        return "", f"\nSource: {url}"
    return url, ""


def _record(
    integration: Integration, group: AlertGroup, episode: _Episode, alert: Alert
) -> ReceivedAlert:
    url, extra = _evidence(alert)
    labels = ", ".join(f"{key}={value}" for key, value in sorted(alert.labels.items()))
    text = f"Alertmanager: {alert.name} firing" + (f": {alert.summary}" if alert.summary else "")
    fired = TimelineEntry.objects.create(
        incident=episode.incident,
        at=alert.starts_at,
        kind=TimelineEntry.Kind.DETECTION,
        text=f"{text}\nLabels: {labels}{extra}",
        evidence_url=url,
    )
    received = ReceivedAlert.objects.create(
        group=group,
        incident=episode.incident,
        fingerprint=alert.fingerprint,
        starts_at=alert.starts_at,
        severity=_severity(integration, alert),
        fired_entry=fired,
    )
    name = _system_name(integration, alert)
    if name:
        system = system_named(name)
        received.system = system
        received.save(update_fields=["system"])
        if system.pk not in episode.systems:
            IncidentSystem.objects.get_or_create(
                incident=episode.incident,
                system=system,
                defaults={"role": IncidentSystem.Role.IMPACTED},
            )
            episode.systems.add(system.pk)
    if alert.status == RESOLVED:
        _record_resolution(received, alert, timeline=True)
    return received


def _record_resolution(received: ReceivedAlert, alert: Alert, *, timeline: bool) -> None:
    received.ends_at = max(alert.ends_at, received.starts_at)
    if timeline:
        received.resolved_entry = TimelineEntry.objects.create(
            incident_id=received.incident_id,
            at=received.ends_at,
            kind=TimelineEntry.Kind.KEY_MOMENT,
            text=f"Alertmanager: {alert.name} resolved",
        )
    received.save(update_fields=["ends_at", "resolved_entry"])


def _refresh(integration: Integration, episode: _Episode) -> None:
    """The incident's times, status and severity from all its firings: it started at the
    earliest, is investigating while one is open, mitigated at the latest end once all
    resolved; its severity rises to its most severe firing's. A status set by hand past
    mitigated (resolved, closed) is left alone."""
    incident = Incident.objects.select_for_update().get(pk=episode.incident.pk)
    span = ReceivedAlert.objects.filter(incident=incident).aggregate(
        start=Min("starts_at"),
        end=Max("ends_at"),
        open=Count("pk", Q(ends_at=None)),
        severity=Min("severity"),  # "SEV1" sorts first
    )
    data = {
        "started_at": min(incident.started_at, span["start"]),
        "detected_at": min(incident.detected_at or span["start"], span["start"]),
        "severity": min(incident.severity, span["severity"]),
    }
    if incident.status in _JOINABLE:
        if span["open"]:
            data.update(status=Incident.Status.INVESTIGATING, mitigated_at=None)
        else:
            data.update(
                status=Incident.Status.MITIGATED,
                mitigated_at=max(span["end"], data["detected_at"]),
            )
    changed = {name: value for name, value in data.items() if getattr(incident, name) != value}
    if changed:
        incident_save(incident=incident, data=changed)
    episode.incident = incident
