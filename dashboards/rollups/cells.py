"""What the rollup cells count, as SQL: one INSERT ... SELECT per measure and range of months.

Each measure counts records of one kind (its "facts", one row per record, with the month the
record sits in and the measure's key) and spreads each record over the filter combinations it
matches: every team it involves and ALL, every system it is about and ALL, its severity and
ANY_SEVERITY. A cell is then the number of records that match that team AND that system AND
that severity, each record once (the dimension sets are sets, so COUNT(*) never counts a record
twice, however many systems or teams it touches).

The dimensions restate, in SQL, the filter rules of incidents/scopes.py, which the live queries
use; `manage.py rollups --check` and tests/dashboards/test_rollups*.py compare every cell with
the live count, so the two cannot drift apart unnoticed:
- an incident involves the teams listed on it and the owners of the systems it touched; it is
  about the systems it touched; its severity is its own;
- a near miss involves the owners of its systems, is about its systems, and its potential
  severity stands in for a severity;
- a surprise, difficulty or ownership gap involves its subject's teams; it is about the system
  it names, or, naming none, its subject's systems; its severity is its incident's (a near
  miss's signal has none);
- a follow-up involves its owner team (as on the follow-ups list), is about its incident's
  systems and takes its incident's severity;
- a deployment involves its system's owner and is about its system; it has no severity, but a
  failed one (named as the cause of a public incident) takes its causing incidents'.

Each cell says whether it counts public records or private ones (`private`): the records of a
private incident (its signals, answers, theme tags...) sit in cells of their own, read only for
viewers who may see every incident; anyone else reads the public cells and has the private
incidents they may see added live (dashboards/rollups/plan.py). A failed deployment is
private where only private incidents name it (at that severity).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from dashboards.stats import DURATION_BINS
from incidents.models import (
    PRODUCTION,
    Deployment,
    Difficulty,
    Incident,
    IncidentSystem,
    NearMiss,
    OwnershipGap,
    Surprise,
    System,
    Theme,
)
from reviews.models import ActionItem, Review, SurveyResponse

CELL_TABLE = "dashboards_rollup_cell"
_PRODUCTION = PRODUCTION.replace("'", "''")  # as an SQL string literal's content


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _month(column: str) -> str:
    """The first day of the UTC month of a timestamp column, as the cell's month."""
    if connection.vendor == "postgresql":
        return f"DATE_TRUNC('month', {column} AT TIME ZONE 'UTC')::date"
    # SQLite stores UTC timestamps as "YYYY-MM-DD HH:MM:SS...": the month is the prefix.
    return f"SUBSTR({column}, 1, 7) || '-01'"


def _flag(column: str) -> str:
    return f"CASE WHEN {column} THEN '1' ELSE '0' END"


# The rank buckets' lower edges in whole seconds, about 5% apart (e^(k/20)) past the first
# minute, up to 280 days (the last bucket holds the rest), and every edge of the pages' bins
# (stats.DURATION_BINS), so each bucket lies in one bin. The rollups count durations by bucket;
# the bins are sums of buckets, and the percentiles read only the buckets their ranks fall in
# (dashboards/selectors/durations.py).
RANK_EDGES = tuple(
    sorted(
        {int(math.exp(k / 20)) for k in range(341)}
        | {int(low) for _, low, _ in DURATION_BINS if low > 0}
    )
)


def rank_bucket_sql(interval: str) -> str:
    """PostgreSQL: the rank bucket of an interval (SQL text): how many edges it reaches, so
    buckets sort like durations. DATE_PART's float seconds and exact comparisons: no
    rounding that could differ between the cells, the indexes and the queries, and cheap
    (a numeric logarithm per row cost fifteen times more, measured over 100,000 incidents). Negative intervals fall in bucket 0 (the
    selectors leave them out). The rollup cells, the expression indexes of migration
    dashboards/0006 and `_RankBucket` all use this text: PostgreSQL matches an index to a
    query only through the same expression."""
    edges = ",".join(str(edge) for edge in RANK_EDGES)
    return f"WIDTH_BUCKET(DATE_PART('epoch', {interval}), '{{{edges}}}'::float8[])"


def _duration_facts(span: str, end: str, start: str, join="", where="") -> str:
    """One row per incident with a valid span (not negative), keyed "span:bucket"."""
    return (
        f"SELECT i.id AS sid, {_month('i.started_at')} AS month, "
        f"'{span}:' || CAST({rank_bucket_sql(f'{end} - {start}')} AS TEXT) AS key, "
        f"i.is_private AS private FROM {_table(Incident)} i {join} "
        f"WHERE i.started_at >= %s AND i.started_at < %s AND {end} >= {start} {where}"
    )


def _durations() -> str:
    """The facts of every span the pages summarise (see `_duration_facts`)."""
    review, published = _table(Review), Review.Status.PUBLISHED.value
    return " UNION ALL ".join(
        (
            _duration_facts("detect", "i.detected_at", "i.started_at"),
            _duration_facts("resolve", "i.resolved_at", "i.started_at"),
            _duration_facts(
                "publish",
                "r.published_at",
                "i.resolved_at",
                join=f"JOIN {review} r ON r.incident_id = i.id",
                where=f"AND r.status = '{published}'",
            ),
        )
    )


def _year_month(column: str) -> str:
    """ "YYYY-MM" of a date column ("" when NULL)."""
    if connection.vendor == "postgresql":
        return f"COALESCE(TO_CHAR({column}, 'YYYY-MM'), '')"
    return f"COALESCE(SUBSTR({column}, 1, 7), '')"


def _iso_date(column: str) -> str:
    """ "YYYY-MM-DD" of a date column."""
    if connection.vendor == "postgresql":
        return f"TO_CHAR({column}, 'YYYY-MM-DD')"
    return f"SUBSTR({column}, 1, 10)"


@dataclass(frozen=True)
class Measure:
    name: str
    subject: str  # "incident", "near_miss", "signal", "deployment", "failed_deployment"
    facts: str  # SQL selecting (sid, month, key, private[, iid, nid, named]) for [%s, %s)
    params_per_range: int = 1  # how many times the facts use the (start, end) pair


def _incident_facts(key: str = "''", join: str = "", where: str = "") -> str:
    return (
        f"SELECT i.id AS sid, {_month('i.started_at')} AS month, {key} AS key, "
        f"i.is_private AS private FROM {_table(Incident)} i {join} "
        f"WHERE i.started_at >= %s AND i.started_at < %s {where}"
    )


def _signal_facts(model, key: str = "''", through: str = "", through_column: str = "") -> str:
    """A signal's facts on both sides (incident, near miss), each started from its subject's
    time index; with `through` (a theme link table) one row per link, keyed by its theme."""
    link = ""
    if through:
        link = f"JOIN {through} l ON l.{through_column} = g.id"
        key = "CAST(l.theme_id AS TEXT)"
    return (
        f"SELECT g.id AS sid, {_month('i.started_at')} AS month, {key} AS key, "
        f"i.is_private AS private, g.incident_id AS iid, NULL AS nid, g.system_id AS named "
        f"FROM {_table(Incident)} i JOIN {_table(model)} g ON g.incident_id = i.id {link} "
        f"WHERE i.started_at >= %s AND i.started_at < %s "
        f"UNION ALL "
        f"SELECT g.id, {_month('n.occurred_at')}, {key}, FALSE, NULL, g.near_miss_id, "
        f"g.system_id "
        f"FROM {_table(NearMiss)} n JOIN {_table(model)} g ON g.near_miss_id = n.id {link} "
        f"WHERE n.occurred_at >= %s AND n.occurred_at < %s"
    )


def _through(model, field: str) -> str:
    return _table(getattr(model, field).through)


def measures() -> tuple[Measure, ...]:
    """Every measure, in the order they are computed."""
    review, survey = _table(Review), _table(SurveyResponse)
    published = Review.Status.PUBLISHED.value
    open_statuses = ", ".join(f"'{status.value}'" for status in ActionItem.OPEN_STATUSES)
    return (
        Measure("incidents", "incident", _incident_facts()),
        Measure(
            "incidents_surprised",
            "incident",
            _incident_facts(
                where=f"AND EXISTS (SELECT 1 FROM {_table(Surprise)} g WHERE g.incident_id = i.id)"
            ),
        ),
        Measure(
            "incidents_published",
            "incident",
            _incident_facts(
                join=f"JOIN {review} r ON r.incident_id = i.id",
                where=f"AND r.status = '{published}'",
            ),
        ),
        # Triggered by a change that no recorded deployment stands for.
        Measure(
            "incidents_unattributed",
            "incident",
            _incident_facts(where="AND i.triggered_by_change = TRUE AND i.caused_by_id IS NULL"),
        ),
        # Incidents by the owners of the systems they touched (not the teams listed): the
        # numerator of a team's failure rate per change (dashboards/selectors/changes.py).
        Measure("incidents_touching", "incident_by_owner", _incident_facts()),
        Measure(
            "survey_responses",
            "incident",
            _incident_facts(
                key=_flag("a.learned_something"),
                join=f"JOIN {review} r ON r.incident_id = i.id JOIN {survey} a ON a.review_id = r.id",
            ),
        ),
        Measure(
            "theme_incidents",
            "incident",
            _incident_facts(
                key="CAST(l.theme_id AS TEXT)",
                join=f"JOIN {_through(Theme, 'incidents')} l ON l.incident_id = i.id",
            ),
        ),
        # Follow-ups, by their incident's month; the key says what the learning loop counts
        # ("status:owned:YYYY-MM"): status, owned (1/0), and the due month, so "overdue" (which
        # moves with today) is whole from the cells but for the month today is in.
        Measure(
            "follow_ups",
            "follow_up",
            f"SELECT a.id AS sid, {_month('i.started_at')} AS month, a.status || ':' || "
            f"{_flag('a.owner_team_id IS NOT NULL')} || ':' || {_year_month('a.due_date')} "
            f"AS key, i.is_private AS private, i.id AS iid, a.owner_team_id AS owner "
            f"FROM {_table(Incident)} i JOIN {review} r ON r.incident_id = i.id "
            f"JOIN {_table(ActionItem)} a ON a.review_id = r.id "
            f"WHERE i.started_at >= %s AND i.started_at < %s",
        ),
        # The open follow-ups by due date ("YYYY-MM-DD"), for the pages without a team or
        # system filter (dimension `follow_up_overall`): "overdue" in today's month, whole
        # from the cells (the `follow_ups` key has only the due month).
        Measure(
            "follow_ups_open_due",
            "follow_up_overall",
            f"SELECT a.id AS sid, {_month('i.started_at')} AS month, {_iso_date('a.due_date')} "
            f"AS key, i.is_private AS private, i.id AS iid "
            f"FROM {_table(Incident)} i JOIN {review} r ON r.incident_id = i.id "
            f"JOIN {_table(ActionItem)} a ON a.review_id = r.id "
            f"WHERE i.started_at >= %s AND i.started_at < %s AND a.due_date IS NOT NULL "
            f"AND a.status IN ({open_statuses})",
        ),
        # The durations by rank bucket ("span:bucket"), for the pages without a team or
        # system filter only (dimension `incident_overall`): their bins are sums of buckets,
        # and a median or p90 reads only the few incidents of the buckets its ranks fall in
        # (dashboards/selectors/durations.py). SQLite sorts every duration in Python.
        *(
            [Measure("duration_ranks", "incident_overall", _durations(), 3)]
            if connection.vendor == "postgresql"
            else []
        ),
        Measure(
            "near_misses",
            "near_miss",
            f"SELECT n.id AS sid, {_month('n.occurred_at')} AS month, '' AS key, "
            f"FALSE AS private FROM {_table(NearMiss)} n WHERE n.occurred_at >= %s AND n.occurred_at < %s",
        ),
        Measure("surprises", "signal", _signal_facts(Surprise), 2),
        Measure("difficulties", "signal", _signal_facts(Difficulty, "g.category"), 2),
        Measure(
            "ownership_gaps",
            "signal",
            _signal_facts(OwnershipGap, f"g.kind || ':' || {_flag('g.resolved')}"),
            2,
        ),
        Measure(
            "theme_surprises",
            "signal",
            _signal_facts(
                Surprise, through=_through(Theme, "surprises"), through_column="surprise_id"
            ),
            2,
        ),
        Measure(
            "theme_difficulties",
            "signal",
            _signal_facts(
                Difficulty, through=_through(Theme, "difficulties"), through_column="difficulty_id"
            ),
            2,
        ),
        Measure(
            "deployments",
            "deployment",
            f"SELECT d.id AS sid, {_month('d.deployed_at')} AS month, '' AS key, "
            f"FALSE AS private FROM {_table(Deployment)} d WHERE d.environment = '{_PRODUCTION}' "
            f"AND d.deployed_at >= %s AND d.deployed_at < %s",
        ),
        # A deployment named as the cause of a public incident: failed, in each severity of
        # the public incidents it caused (dimension `failed_deployment`).
        Measure("failed_deployments", "failed_deployment", _failed_facts(private=False)),
        # What private incidents add: a deployment they name, in each severity (and ANY) where
        # no public incident names it (dimension `failed_deployment_private`). Summed with the
        # public cells, a deployment behind a public and a private incident counts once.
        Measure("failed_deployments", "failed_deployment_private", _failed_facts(private=True)),
    )


def _failed_facts(*, private: bool) -> str:
    flag = "TRUE" if private else "FALSE"
    return (
        f"SELECT d.id AS sid, {_month('d.deployed_at')} AS month, '' AS key, {flag} AS private "
        f"FROM {_table(Deployment)} d WHERE d.environment = '{_PRODUCTION}' "
        f"AND d.deployed_at >= %s AND d.deployed_at < %s AND EXISTS (SELECT 1 FROM "
        f"{_table(Incident)} c WHERE c.caused_by_id = d.id AND c.is_private = {flag})"
    )


def _dimensions(subject: str) -> str:
    """CTEs t(sid, team), s(sid, system), v(sid, severity) for the facts `f`; each a set."""
    incident, system = _table(Incident), _table(System)
    incident_teams = _through(Incident, "teams")
    incident_systems = _table(IncidentSystem)
    near_miss_systems = _through(NearMiss, "systems")
    if subject in ("incident", "incident_by_owner"):
        touched = (
            f"sys AS (SELECT incident_id AS sid, system_id AS system FROM {incident_systems} "
            f"WHERE incident_id IN (SELECT sid FROM ids))"
        )
        severities = (
            f"v AS (SELECT i.id AS sid, i.severity AS severity FROM {incident} i "
            f"WHERE i.id IN (SELECT sid FROM ids) UNION ALL SELECT sid, '' FROM ids)"
        )
        owners = (
            f"SELECT sys.sid, o.owner_team_id AS team FROM sys JOIN {system} o ON o.id = sys.system "
            f"WHERE o.owner_team_id IS NOT NULL"
        )
        if subject == "incident_by_owner":
            # Only incidents that touched a system count; ALL is "touched any system".
            return (
                f"{touched}, t AS ({owners} UNION SELECT sid, 0 FROM sys), "
                f"s AS (SELECT DISTINCT sid, 0 AS system FROM sys), {severities}"
            )
        return (
            f"{touched}, "
            f"t AS (SELECT incident_id AS sid, team_id AS team FROM {incident_teams} "
            f"WHERE incident_id IN (SELECT sid FROM ids) UNION {owners} "
            f"UNION SELECT sid, 0 FROM ids), "
            f"s AS (SELECT sid, system FROM sys UNION ALL SELECT sid, 0 FROM ids), {severities}"
        )
    if subject == "incident_overall":
        return (
            "t AS (SELECT sid, 0 AS team FROM ids), s AS (SELECT sid, 0 AS system FROM ids), "
            f"v AS (SELECT i.id AS sid, i.severity AS severity FROM {incident} i "
            "WHERE i.id IN (SELECT sid FROM ids) UNION ALL SELECT sid, '' FROM ids)"
        )
    if subject == "follow_up":
        # A follow-up's team is its owner team (as on the follow-ups list); its systems and
        # severity are its incident's.
        return (
            "fs AS (SELECT DISTINCT sid, iid, owner FROM f), "
            "t AS (SELECT sid, owner AS team FROM fs WHERE owner IS NOT NULL "
            "UNION ALL SELECT sid, 0 FROM fs), "
            f"s AS (SELECT fs.sid, x.system_id AS system FROM fs JOIN {incident_systems} x "
            "ON x.incident_id = fs.iid UNION ALL SELECT sid, 0 FROM fs), "
            f"v AS (SELECT fs.sid, i.severity FROM fs JOIN {incident} i ON i.id = fs.iid "
            "UNION ALL SELECT sid, '' FROM fs)"
        )
    if subject == "follow_up_overall":
        return (
            "fs AS (SELECT DISTINCT sid, iid FROM f), "
            "t AS (SELECT sid, 0 AS team FROM fs), s AS (SELECT sid, 0 AS system FROM fs), "
            f"v AS (SELECT fs.sid, i.severity FROM fs JOIN {incident} i ON i.id = fs.iid "
            "UNION ALL SELECT sid, '' FROM fs)"
        )
    if subject == "near_miss":
        return (
            f"sys AS (SELECT nearmiss_id AS sid, system_id AS system FROM {near_miss_systems} "
            f"WHERE nearmiss_id IN (SELECT sid FROM ids)), "
            f"t AS (SELECT sys.sid, o.owner_team_id AS team FROM sys JOIN {system} o "
            f"ON o.id = sys.system WHERE o.owner_team_id IS NOT NULL UNION SELECT sid, 0 FROM ids), "
            f"s AS (SELECT sid, system FROM sys UNION ALL SELECT sid, 0 FROM ids), "
            f"v AS (SELECT n.id AS sid, n.potential_severity AS severity FROM {_table(NearMiss)} n "
            f"WHERE n.id IN (SELECT sid FROM ids) AND n.potential_severity <> '' "
            f"UNION ALL SELECT sid, '' FROM ids)"
        )
    if subject == "signal":
        return (
            "fs AS (SELECT DISTINCT sid, iid, nid, named FROM f), "
            f"isys AS (SELECT incident_id AS iid, system_id AS system FROM {incident_systems} "
            f"WHERE incident_id IN (SELECT iid FROM fs)), "
            f"nsys AS (SELECT nearmiss_id AS nid, system_id AS system FROM {near_miss_systems} "
            f"WHERE nearmiss_id IN (SELECT nid FROM fs)), "
            f"iteam AS (SELECT incident_id AS iid, team_id AS team FROM {incident_teams} "
            f"WHERE incident_id IN (SELECT iid FROM fs) UNION SELECT isys.iid, o.owner_team_id "
            f"FROM isys JOIN {system} o ON o.id = isys.system WHERE o.owner_team_id IS NOT NULL), "
            f"nteam AS (SELECT DISTINCT nsys.nid, o.owner_team_id AS team FROM nsys "
            f"JOIN {system} o ON o.id = nsys.system WHERE o.owner_team_id IS NOT NULL), "
            "t AS (SELECT fs.sid, iteam.team FROM fs JOIN iteam ON iteam.iid = fs.iid "
            "UNION ALL SELECT fs.sid, nteam.team FROM fs JOIN nteam ON nteam.nid = fs.nid "
            "UNION ALL SELECT sid, 0 FROM fs), "
            "s AS (SELECT sid, named AS system FROM fs WHERE named IS NOT NULL "
            "UNION ALL SELECT fs.sid, isys.system FROM fs JOIN isys ON isys.iid = fs.iid "
            "WHERE fs.named IS NULL "
            "UNION ALL SELECT fs.sid, nsys.system FROM fs JOIN nsys ON nsys.nid = fs.nid "
            "WHERE fs.named IS NULL "
            "UNION ALL SELECT sid, 0 FROM fs), "
            f"v AS (SELECT fs.sid, i.severity FROM fs JOIN {incident} i ON i.id = fs.iid "
            "UNION ALL SELECT sid, '' FROM fs)"
        )
    # Deployments: their system and its owner; failed ones also by the causing severities.
    deployments = _table(Deployment)
    common = (
        f"dep AS (SELECT d.id AS sid, d.system_id AS system, o.owner_team_id AS team "
        f"FROM {deployments} d JOIN {system} o ON o.id = d.system_id "
        f"WHERE d.id IN (SELECT sid FROM ids)), "
        "t AS (SELECT sid, team FROM dep WHERE team IS NOT NULL UNION ALL SELECT sid, 0 FROM ids), "
        "s AS (SELECT sid, system FROM dep UNION ALL SELECT sid, 0 FROM ids), "
    )
    if subject == "deployment":
        return common + "v AS (SELECT sid, '' AS severity FROM ids)"
    causes = (
        f"SELECT c.caused_by_id, c.severity FROM {incident} c "
        "WHERE c.caused_by_id IN (SELECT sid FROM ids) AND c.is_private ="
    )
    if subject == "failed_deployment":
        return common + f"v (sid, severity) AS ({causes} FALSE UNION SELECT sid, '' FROM ids)"
    # The private part: the (deployment, severity) pairs private incidents give that no
    # public incident gives (UNION and EXCEPT remove duplicates: each pair once).
    return common + (
        f"v (sid, severity) AS ({causes} TRUE UNION SELECT sid, '' FROM ids "
        f"EXCEPT {causes} FALSE EXCEPT SELECT c.caused_by_id, '' FROM {incident} c "
        "WHERE c.caused_by_id IN (SELECT sid FROM ids) AND c.is_private = FALSE)"
    )


def insert_sql(measure: Measure) -> str:
    """INSERT the measure's cells for the facts in [%s, %s) (the pair repeated
    `params_per_range` times)."""
    return (
        f"WITH f AS ({measure.facts}), ids AS (SELECT DISTINCT sid FROM f), "
        f"{_dimensions(measure.subject)} "
        f"INSERT INTO {CELL_TABLE} (month, measure, key, private, team, system, severity, n) "
        f"SELECT f.month, '{measure.name}', f.key, f.private, t.team, s.system, v.severity, "
        "COUNT(*) FROM f JOIN t ON t.sid = f.sid JOIN s ON s.sid = f.sid "
        "JOIN v ON v.sid = f.sid GROUP BY f.month, f.key, f.private, t.team, s.system, v.severity"
    )


def compute(start: datetime, end: datetime, only: Collection[str] = ()) -> None:
    """Write the cells of every measure (or of the measures named in `only`) for the records
    in [start, end) (whole months; the caller deleted those cells first, in the same
    transaction)."""
    # As the ORM would pass them: SQLite compares timestamps as text, and a raw parameter
    # would be written with its "+00:00", which sorts after the stored value.
    bounds = [connection.ops.adapt_datetimefield_value(value) for value in (start, end)]
    with connection.cursor() as cursor:
        for measure in measures():
            if only and measure.name not in only:
                continue
            cursor.execute(insert_sql(measure), bounds * measure.params_per_range)
