"""The rules of the filter contract as query conditions (Q), each written once.

What a period, `system`, `team` and `severity` mean for incidents, near misses, their
signals (surprises, difficulties, ownership gaps) and deployments; the parameters themselves are described in
incidents/filters.py. The list FilterSets (incidents/filters.py, reviews/filters.py) and the
dashboard selectors all build their conditions here, so a number on a dashboard and the list it
links to always count the same records.

Every builder takes `path`: the relation from the model being filtered to the record the rule
is about. "" is the record itself; "incident" reaches a signal's or an IncidentSystem row's
incident; "review__incident" a follow-up's incident; "nearmiss" a near miss from its systems'
through table. A `system` or `team` is a System or Team, or its slug: the FilterSets hold the
instances the form chose, the dashboards only the slugs of their links.

Matches through systems or teams are EXISTS subqueries, not joins, so a record that matches
through several systems or teams is still one row (and counted once).
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce

from incidents.models import (
    Deployment,
    Difficulty,
    Incident,
    IncidentSystem,
    NearMiss,
    OwnershipGap,
    Surprise,
    System,
    Team,
)


def follow(path: str, name: str) -> str:
    """The field `name` reached through `path` ("" for the record itself)."""
    return f"{path}__{name}" if path else name


def _ref(path: str) -> OuterRef:
    """The record at `path`, from inside an EXISTS subquery."""
    return OuterRef(path or "pk")


def _is(field: str, row: System | Team | str) -> dict:
    """`field` is this catalog row, given as an instance or by its slug."""
    if isinstance(row, str):
        return {f"{field}__slug": row}
    return {field: row}


def _all_of(rules, path: str, *, system, team, severity) -> Q:
    """The conjunction of the filters given, each by its kind's rule: `rules` is the kind's
    (system rule, team rule, severity rule). None or "" leaves a filter out."""
    on_system, on_team, on_severity = rules
    condition = Q()
    for rule, value in ((on_severity, severity), (on_system, system), (on_team, team)):
        if value:
            condition &= rule(value, path)
    return condition


# --- periods: where each record sits in time --------------------------------------------------


def between(field: str, *, start: datetime | None, end: datetime | None) -> Q:
    """The half-open interval [start, end); a missing bound leaves that side open."""
    condition = Q()
    if start is not None:
        condition &= Q(**{f"{field}__gte": start})
    if end is not None:
        condition &= Q(**{f"{field}__lt": end})
    return condition


def incident_moment(path: str = "") -> str:
    """An incident is placed in time by when it started."""
    return follow(path, "started_at")


def near_miss_moment(path: str = "") -> str:
    """A near miss is placed by when it occurred."""
    return follow(path, "occurred_at")


def signal_moments(path: str = "") -> tuple[str, str]:
    """A signal is placed by its subject's moment, never by its own `created_at`: one field
    per kind of subject, its incident's start and its near miss's occurrence."""
    return incident_moment(follow(path, "incident")), near_miss_moment(follow(path, "near_miss"))


def incident_in_period(path: str = "", *, start: datetime | None, end: datetime | None) -> Q:
    return between(incident_moment(path), start=start, end=end)


def near_miss_in_period(path: str = "", *, start: datetime | None, end: datetime | None) -> Q:
    return between(near_miss_moment(path), start=start, end=end)


def signal_in_period(path: str = "", *, start: datetime | None, end: datetime | None) -> Q:
    # A NULL foreign key never compares, so each side only matches its own kind of subject.
    on_incident, on_near_miss = signal_moments(path)
    return between(on_incident, start=start, end=end) | between(on_near_miss, start=start, end=end)


# --- incidents --------------------------------------------------------------------------------


def incident_touches_system(system: System | str, path: str = "") -> Q:
    """The system in any role: origin, impacted or contributing."""
    return Q(Exists(IncidentSystem.objects.filter(incident=_ref(path), **_is("system", system))))


def _team_sources() -> tuple[tuple[QuerySet, str], ...]:
    """Where the team rule looks: the teams listed on an incident, and the owners of the systems
    it touched; each as (rows that name an `incident`, the field of those rows naming a team)."""
    return (
        (Incident.teams.through.objects.all(), "team"),
        (IncidentSystem.objects.all(), "system__owner_team"),
    )


def incident_involves_team(team: Team | str, path: str = "") -> Q:
    """The team is listed on the incident, or owns a system the incident touches."""
    condition = Q()
    for rows, team_field in _team_sources():
        condition |= Q(Exists(rows.filter(incident=_ref(path), **_is(team_field, team))))
    return condition


def involved_team_count(path: str = "") -> Combinable:
    """How many teams `incident_involves_team` names for the incident at `path`, for an
    annotation: the teams listed on it, plus the owners of the systems it touched that are not
    listed, each team once. Two small counts per incident, whatever the number of teams."""
    through = Incident.teams.through.objects
    listed = through.filter(incident=_ref(path)).order_by().values("incident")
    unlisted_owners = (
        IncidentSystem.objects.filter(incident=_ref(path), system__owner_team__isnull=False)
        .exclude(
            Exists(
                through.filter(incident=OuterRef("incident"), team=OuterRef("system__owner_team"))
            )
        )
        .order_by()
        .values("incident")
    )
    return Coalesce(Subquery(listed.annotate(n=Count("team")).values("n")), 0) + Coalesce(
        Subquery(
            unlisted_owners.annotate(n=Count("system__owner_team", distinct=True)).values("n")
        ),
        0,
    )


def team_involvements() -> QuerySet:
    """Every (incident_id, team_id, started_at) the team rule makes, each once: what
    `incident_involves_team` asks one incident and one team at a time, as rows, for reads that
    go through every incident at once (the review queue's first collaborations)."""
    listed, owned = (
        rows.filter(**{f"{team_field}__isnull": False})
        .order_by()
        .values_list("incident_id", team_field, "incident__started_at")
        for rows, team_field in _team_sources()
    )
    return listed.union(owned)


def incident_has_severity(severity: str, path: str = "") -> Q:
    return Q(**{follow(path, "severity"): severity})


def incident_has_signal(model: type[Surprise | Difficulty | OwnershipGap], path: str = "") -> Q:
    """At least one surprise, difficulty or ownership gap (`model`) recorded on the incident."""
    return Q(Exists(model.objects.filter(incident=_ref(path))))


def incident_scope(
    path: str = "",
    *,
    system: System | str | None = None,
    team: Team | str | None = None,
    severity: str | None = None,
) -> Q:
    """Incidents matching every filter given (None or "" leaves that filter out)."""
    rules = (incident_touches_system, incident_involves_team, incident_has_severity)
    return _all_of(rules, path, system=system, team=team, severity=severity)


# --- near misses ------------------------------------------------------------------------------


def near_miss_touches_system(system: System | str, path: str = "") -> Q:
    through = NearMiss.systems.through.objects
    return Q(Exists(through.filter(nearmiss=_ref(path), **_is("system", system))))


def near_miss_involves_team(team: Team | str, path: str = "") -> Q:
    # Near misses list systems, not teams: a team is involved through the systems it owns.
    through = NearMiss.systems.through.objects
    return Q(Exists(through.filter(nearmiss=_ref(path), **_is("system__owner_team", team))))


def near_miss_has_severity(severity: str, path: str = "") -> Q:
    """A near miss has no severity of its own: its potential severity stands in."""
    return Q(**{follow(path, "potential_severity"): severity})


def near_miss_scope(
    path: str = "",
    *,
    system: System | str | None = None,
    team: Team | str | None = None,
    severity: str | None = None,
) -> Q:
    """Near misses matching every filter given (None or "" leaves that filter out)."""
    rules = (near_miss_touches_system, near_miss_involves_team, near_miss_has_severity)
    return _all_of(rules, path, system=system, team=team, severity=severity)


# --- signals: surprises, difficulties, ownership gaps -----------------------------------------


def signal_about_system(system: System | str, path: str = "") -> Q:
    """A signal is about a system when it names it, or names none and its subject touched it."""
    incident, near_miss = follow(path, "incident"), follow(path, "near_miss")
    inherited = Q(**{f"{incident}__isnull": False}) & incident_touches_system(system, incident)
    inherited |= Q(**{f"{near_miss}__isnull": False}) & near_miss_touches_system(system, near_miss)
    named = follow(path, "system")
    return Q(**_is(named, system)) | (Q(**{f"{named}__isnull": True}) & inherited)


def signal_involves_team(team: Team | str, path: str = "") -> Q:
    """A signal involves the teams its incident or near miss involves."""
    incident, near_miss = follow(path, "incident"), follow(path, "near_miss")
    return (Q(**{f"{incident}__isnull": False}) & incident_involves_team(team, incident)) | (
        Q(**{f"{near_miss}__isnull": False}) & near_miss_involves_team(team, near_miss)
    )


def signal_has_severity(severity: str, path: str = "") -> Q:
    """Its incident's severity, so a signal of a near miss never matches."""
    return incident_has_severity(severity, follow(path, "incident"))


def signal_scope(
    path: str = "",
    *,
    system: System | str | None = None,
    team: Team | str | None = None,
    severity: str | None = None,
) -> Q:
    """Signals matching every filter given (None or "" leaves that filter out)."""
    rules = (signal_about_system, signal_involves_team, signal_has_severity)
    return _all_of(rules, path, system=system, team=team, severity=severity)


# --- deployments: the exposure behind the failure rates ---------------------------------------


def deployment_moment(path: str = "") -> str:
    """A deployment is placed by when it reached its environment."""
    return follow(path, "deployed_at")


def deployment_in_period(path: str = "", *, start: datetime | None, end: datetime | None) -> Q:
    return between(deployment_moment(path), start=start, end=end)


def deployment_of_system(system: System | str, path: str = "") -> Q:
    return Q(**_is(follow(path, "system"), system))


def deployment_of_team(team: Team | str, path: str = "") -> Q:
    """A team's deployments are those of the systems it owns."""
    return Q(**_is(follow(path, "system__owner_team"), team))


def deployment_scope(
    path: str = "", *, system: System | str | None = None, team: Team | str | None = None
) -> Q:
    """Deployments of the system, of the team's systems, or both (None or "" leaves one out).

    Severity does not scope deployments: it is the incidents' (`deployment_caused_incident`)."""
    condition = Q()
    if system:
        condition &= deployment_of_system(system, path)
    if team:
        condition &= deployment_of_team(team, path)
    return condition


def deployment_caused_incident(incidents: QuerySet, path: str = "") -> Q:
    """The deployment is named as the cause (`Incident.caused_by`) of one of `incidents`.

    The caller passes the incidents that count, already limited to what the viewer may see
    (`Incident.objects.visible_to`): a private incident's cause is no failure to anyone else."""
    return Q(Exists(incidents.filter(caused_by=_ref(path))))


def incident_touches_deployed_system(
    path: str = "",
    *,
    start: datetime | None,
    end: datetime | None,
    system: System | str | None = None,
    team: Team | str | None = None,
) -> Q:
    """The incident touches a system that recorded a production deployment in [start, end):
    the system given, or one the team owns, or any system.

    The numerator of "incidents per 100 deployments" beyond one system: an incident of a
    system that records no deployments has no exposure to be divided by."""
    deployed = Deployment.objects.production().filter(
        deployment_in_period(start=start, end=end), system=OuterRef("system")
    )
    touched = IncidentSystem.objects.filter(Exists(deployed), incident=_ref(path))
    if system:
        touched = touched.filter(**_is("system", system))
    if team:
        touched = touched.filter(**_is("system__owner_team", team))
    return Q(Exists(touched))
