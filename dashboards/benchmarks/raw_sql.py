"""The hand-written SQL baselines the dashboard pages are measured against."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from django.db import connection

from dashboards import stats
from dashboards.periods import Period


class RawSql:
    """The dashboards' aggregates written by hand, for a superuser without filters.

    Written as one would by hand with the same indexes: each signal query is a UNION ALL of
    the incident side and the near-miss side (so each side starts from its time index), and
    the overview scans each signal table once for its counts and its trend.
    """

    SIDES = (
        ("incidents_incident", "incident_id", "started_at"),
        ("incidents_nearmiss", "near_miss_id", "occurred_at"),
    )

    def __init__(self, period: Period):
        self.postgres = connection.vendor == "postgresql"
        previous = period.previous()
        trend = Period.months_ending(period.end_date, 12)
        adapt = connection.ops.adapt_datetimefield_value
        self.p = {
            "cs": adapt(period.start),
            "ce": adapt(period.end),
            "ps": adapt(previous.start),
            "pe": adapt(previous.end),
            "ts": adapt(trend.start),
            "te": adapt(trend.end),
        }

    def _run(self, sql: str, params: Sequence = ()) -> list:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def _month(self, column: str) -> str:
        if self.postgres:
            return f"date_trunc('month', {column} AT TIME ZONE 'UTC')"
        return f"substr({column}, 1, 7)"

    def _sides(self, select: str, source: str, where: str, group: str, params: list) -> list:
        """SELECT ... over the incident side UNION ALL the near-miss side; `select`, `where`
        and `group` use {t} for the subject's time column and the alias s for the signal."""
        parts, all_params = [], []
        for subject, key, column in self.SIDES:
            t = f"x.{column}"
            parts.append(
                f"SELECT {select.format(t=t)} FROM {source} JOIN {subject} x ON x.id = s.{key} "
                f"WHERE {where.format(t=t)} GROUP BY {group.format(t=t)}"
            )
            all_params += params
        return self._run(" UNION ALL ".join(parts), all_params)

    def _signal_overview(self, table: str, keys: str = "") -> None:
        p = self.p
        keys_select = f"{keys}, " if keys else ""
        self._sides(
            f"{keys_select}{self._month('{t}')},"
            " COUNT(*) FILTER (WHERE {t} >= %s AND {t} < %s),"
            " COUNT(*) FILTER (WHERE {t} >= %s AND {t} < %s),"
            " COUNT(*) FILTER (WHERE {t} >= %s AND {t} < %s)",
            f"{table} s",
            "(({t} >= %s AND {t} < %s) OR ({t} >= %s AND {t} < %s))",
            f"{keys_select}{self._month('{t}')}",
            [
                p["cs"],
                p["ce"],
                p["ps"],
                p["pe"],
                p["ts"],
                p["te"],
                p["ps"],
                p["ce"],
                p["ts"],
                p["te"],
            ],
        )

    def _signals_by_system(self, table: str) -> None:
        """This period's and the previous one's signals per system (named, then inherited)."""
        p = self.p
        both = (
            "COUNT(*) FILTER (WHERE {t} >= %s AND {t} < %s),"
            " COUNT(*) FILTER (WHERE {t} >= %s AND {t} < %s)"
        )
        self._sides(
            "s.system_id, " + both,
            f"{table} s",
            "s.system_id IS NOT NULL AND {t} >= %s AND {t} < %s",
            "s.system_id",
            [p["cs"], p["ce"], p["ps"], p["pe"], p["ps"], p["ce"]],
        )
        self._run(
            f"""SELECT r.system_id, {both.format(t="i.started_at")} FROM {table} s
            JOIN incidents_incident i ON i.id = s.incident_id
            JOIN incidents_incidentsystem r ON r.incident_id = i.id
            WHERE s.system_id IS NULL AND i.started_at >= %s AND i.started_at < %s
            GROUP BY r.system_id
            UNION ALL
            SELECT ns.system_id, {both.format(t="n.occurred_at")} FROM {table} s
            JOIN incidents_nearmiss n ON n.id = s.near_miss_id
            JOIN incidents_nearmiss_systems ns ON ns.nearmiss_id = n.id
            WHERE s.system_id IS NULL AND n.occurred_at >= %s AND n.occurred_at < %s
            GROUP BY ns.system_id""",
            [p["cs"], p["ce"], p["ps"], p["pe"], p["ps"], p["ce"]] * 2,
        )

    def systems(self) -> None:
        p = self.p
        self._run(
            """SELECT s.id, s.name, s.slug, s.tier, t.name, t.slug FROM incidents_system s
            LEFT JOIN incidents_team t ON t.id = s.owner_team_id ORDER BY s.name"""
        )
        self._run(
            """SELECT r.system_id,
                COUNT(*) FILTER (WHERE i.started_at >= %s AND i.started_at < %s),
                COUNT(*) FILTER (WHERE i.started_at >= %s AND i.started_at < %s)
            FROM incidents_incidentsystem r JOIN incidents_incident i ON i.id = r.incident_id
            WHERE i.started_at >= %s AND i.started_at < %s GROUP BY r.system_id""",
            [p["cs"], p["ce"], p["ps"], p["pe"], p["ps"], p["ce"]],
        )
        self._run(
            """SELECT ns.system_id,
                COUNT(*) FILTER (WHERE n.occurred_at >= %s AND n.occurred_at < %s),
                COUNT(*) FILTER (WHERE n.occurred_at >= %s AND n.occurred_at < %s)
            FROM incidents_nearmiss_systems ns JOIN incidents_nearmiss n ON n.id = ns.nearmiss_id
            WHERE n.occurred_at >= %s AND n.occurred_at < %s GROUP BY ns.system_id""",
            [p["cs"], p["ce"], p["ps"], p["pe"], p["ps"], p["ce"]],
        )
        for table in ("incidents_surprise", "incidents_difficulty", "incidents_ownershipgap"):
            self._signals_by_system(table)
        # Per change: each system's deployments; per team, its deployed systems' incidents.
        rows = self._deployments()
        current = [str(system) for system, count, _ in rows if count] or ["NULL"]
        previous = [str(system) for system, _, count in rows if count] or ["NULL"]
        self._run(
            f"""SELECT sy.owner_team_id,
                COUNT(DISTINCT r.incident_id) FILTER (WHERE i.started_at >= %s
                    AND i.started_at < %s AND r.system_id IN ({", ".join(current)})),
                COUNT(DISTINCT r.incident_id) FILTER (WHERE i.started_at >= %s
                    AND i.started_at < %s AND r.system_id IN ({", ".join(previous)}))
            FROM incidents_incidentsystem r JOIN incidents_incident i ON i.id = r.incident_id
            JOIN incidents_system sy ON sy.id = r.system_id
            WHERE sy.owner_team_id IS NOT NULL AND i.started_at >= %s AND i.started_at < %s
            GROUP BY sy.owner_team_id""",
            [p["cs"], p["ce"], p["ps"], p["pe"], p["ps"], p["ce"]],
        )

    def _deployments(self) -> list:
        """Production deployments per system this and the previous period, and those an
        incident names as its cause (counted from the incidents); the systems that deployed
        in each period."""
        p = self.p
        rows = self._run(
            """SELECT d.system_id,
                COUNT(*) FILTER (WHERE d.deployed_at >= %s AND d.deployed_at < %s),
                COUNT(*) FILTER (WHERE d.deployed_at >= %s AND d.deployed_at < %s)
            FROM incidents_deployment d WHERE d.environment = 'production'
                AND d.deployed_at >= %s AND d.deployed_at < %s GROUP BY d.system_id""",
            [p["cs"], p["ce"], p["ps"], p["pe"], p["ps"], p["ce"]],
        )
        self._run(
            """SELECT d.system_id,
                COUNT(DISTINCT d.id) FILTER (WHERE d.deployed_at >= %s AND d.deployed_at < %s),
                COUNT(DISTINCT d.id) FILTER (WHERE d.deployed_at >= %s AND d.deployed_at < %s)
            FROM incidents_incident i JOIN incidents_deployment d ON d.id = i.caused_by_id
            WHERE d.environment = 'production' AND d.deployed_at >= %s AND d.deployed_at < %s
            GROUP BY d.system_id""",
            [p["cs"], p["ce"], p["ps"], p["pe"], p["ps"], p["ce"]],
        )
        return rows

    def overview(self) -> None:
        p = self.p
        # Failure rates per change: the organisation's deployments, and the incidents of
        # systems deployed in the same period.
        rows = self._deployments()
        current = [str(system) for system, count, _ in rows if count] or ["NULL"]
        previous = [str(system) for system, _, count in rows if count] or ["NULL"]

        def deployed(systems: list[str]) -> str:
            return f"""EXISTS (SELECT 1 FROM incidents_incidentsystem r WHERE r.incident_id = i.id
                AND r.system_id IN ({", ".join(systems)}))"""

        self._run(
            f"""SELECT
                COUNT(*) FILTER (WHERE started_at >= %s AND started_at < %s
                    AND {deployed(current)}),
                COUNT(*) FILTER (WHERE started_at >= %s AND started_at < %s
                    AND {deployed(previous)}),
                COUNT(*) FILTER (WHERE started_at >= %s AND started_at < %s
                    AND triggered_by_change AND caused_by_id IS NULL)
            FROM incidents_incident i WHERE started_at >= %s AND started_at < %s""",
            [p["cs"], p["ce"], p["ps"], p["pe"], p["cs"], p["ce"], p["ps"], p["ce"]],
        )
        self._run(
            """SELECT
                COUNT(*) FILTER (WHERE started_at >= %s AND started_at < %s),
                COUNT(*) FILTER (WHERE started_at >= %s AND started_at < %s),
                COUNT(*) FILTER (WHERE started_at >= %s AND started_at < %s AND EXISTS
                    (SELECT 1 FROM incidents_surprise s WHERE s.incident_id = i.id)),
                COUNT(*) FILTER (WHERE started_at >= %s AND started_at < %s AND EXISTS
                    (SELECT 1 FROM incidents_surprise s WHERE s.incident_id = i.id))
            FROM incidents_incident i WHERE started_at >= %s AND started_at < %s""",
            [
                p["cs"],
                p["ce"],
                p["ps"],
                p["pe"],
                p["cs"],
                p["ce"],
                p["ps"],
                p["pe"],
                p["ps"],
                p["ce"],
            ],
        )
        self._run(
            """SELECT COUNT(*) FILTER (WHERE occurred_at >= %s AND occurred_at < %s),
                COUNT(*) FILTER (WHERE occurred_at >= %s AND occurred_at < %s)
            FROM incidents_nearmiss WHERE occurred_at >= %s AND occurred_at < %s""",
            [p["cs"], p["ce"], p["ps"], p["pe"], p["ps"], p["ce"]],
        )
        # Each signal table once: this and the previous period, and the 12-month trend.
        self._signal_overview("incidents_surprise")
        self._signal_overview("incidents_difficulty", "s.category")
        self._signal_overview("incidents_ownershipgap", "s.kind, s.resolved")
        self._run(
            """SELECT sy.slug, sy.name, COUNT(DISTINCT r.incident_id)
            FROM incidents_incidentsystem r
            JOIN incidents_system sy ON sy.id = r.system_id
            JOIN incidents_incident i ON i.id = r.incident_id
            WHERE sy.owner_team_id IS NULL AND i.started_at >= %s AND i.started_at < %s
            GROUP BY sy.slug, sy.name""",
            [p["cs"], p["ce"]],
        )
        # Learning loop.
        self._run(
            """SELECT COUNT(*), COUNT(*) FILTER (WHERE r.status = 'published')
            FROM incidents_incident i LEFT JOIN reviews_review r ON r.incident_id = i.id
            WHERE i.started_at >= %s AND i.started_at < %s""",
            [p["cs"], p["ce"]],
        )
        publish = (
            "r.published_at - i.resolved_at"
            if self.postgres
            else "round((julianday(r.published_at) - julianday(i.resolved_at)) * 86400.0, 3)"
        )
        self._durations(
            """FROM incidents_incident i JOIN reviews_review r ON r.incident_id = i.id
            WHERE i.started_at >= %s AND i.started_at < %s AND r.status = 'published'
            AND r.published_at IS NOT NULL""",
            [publish],
        )
        today = connection.ops.adapt_datefield_value(datetime.now(UTC).date())
        self._run(
            """SELECT COUNT(*) FILTER (WHERE a.status = 'open'),
                COUNT(*) FILTER (WHERE a.status = 'in_progress'),
                COUNT(*) FILTER (WHERE a.status = 'done'),
                COUNT(*) FILTER (WHERE a.status IN ('open', 'in_progress') AND a.due_date < %s),
                COUNT(*) FILTER (WHERE a.owner_team_id IS NULL)
            FROM reviews_actionitem a JOIN reviews_review r ON r.id = a.review_id
            JOIN incidents_incident i ON i.id = r.incident_id
            WHERE i.started_at >= %s AND i.started_at < %s""",
            [today, p["cs"], p["ce"]],
        )
        self._run(
            """SELECT COUNT(*), COUNT(*) FILTER (WHERE v.learned_something)
            FROM reviews_surveyresponse v JOIN reviews_review r ON r.id = v.review_id
            JOIN incidents_incident i ON i.id = r.incident_id
            WHERE i.started_at >= %s AND i.started_at < %s""",
            [p["cs"], p["ce"]],
        )
        # Time to detect and to resolve.
        if self.postgres:
            columns = ["detected_at - started_at", "resolved_at - started_at"]
        else:
            columns = [
                "round((julianday(detected_at) - julianday(started_at)) * 86400.0, 3)",
                "round((julianday(resolved_at) - julianday(started_at)) * 86400.0, 3)",
            ]
        self._durations(
            "FROM incidents_incident i WHERE started_at >= %s AND started_at < %s", columns
        )
        # Trends of incidents and near misses (the signals' came with their counts above).
        self._run(
            f"""SELECT {self._month("started_at")}, COUNT(*) FROM incidents_incident
            WHERE started_at >= %s AND started_at < %s GROUP BY 1""",
            [p["ts"], p["te"]],
        )
        self._run(
            f"""SELECT {self._month("occurred_at")}, COUNT(*) FROM incidents_nearmiss
            WHERE occurred_at >= %s AND occurred_at < %s GROUP BY 1""",
            [p["ts"], p["te"]],
        )
        self.systems()  # the "where to look next" list

    def _durations(self, from_where: str, columns: list[str]) -> None:
        """PostgreSQL: median, p90 and bins in SQL; SQLite: fetch the column, summarise."""
        params = [self.p["cs"], self.p["ce"]]
        if not self.postgres:
            rows = self._run(f"SELECT {', '.join(columns)} {from_where}", params)
            for index in range(len(columns)):
                stats.duration_summary(
                    [row[index] for row in rows if row[index] is not None and row[index] >= 0]
                )
            return
        parts = []
        for column in columns:
            parts.append(f"COUNT(*) FILTER (WHERE {column} >= interval '0')")
            parts.append(f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {column})")
            parts.append(f"percentile_cont(0.9) WITHIN GROUP (ORDER BY {column})")
            for _, low, high in stats.DURATION_BINS:
                upper = "" if high == float("inf") else f" AND {column} < interval '{high} seconds'"
                parts.append(f"COUNT(*) FILTER (WHERE {column} >= interval '{low} seconds'{upper})")
        self._run(f"SELECT {', '.join(parts)} {from_where}", params)

    def themes(self) -> None:
        p = self.p
        self._run(
            """SELECT t.theme_id,
                COUNT(*) FILTER (WHERE i.started_at >= %s AND i.started_at < %s),
                COUNT(*) FILTER (WHERE i.started_at >= %s AND i.started_at < %s)
            FROM reviews_theme_incidents t JOIN incidents_incident i ON i.id = t.incident_id
            WHERE i.started_at >= %s AND i.started_at < %s GROUP BY t.theme_id""",
            [p["cs"], p["ce"], p["ps"], p["pe"], p["ps"], p["ce"]],
        )
        for through, table, column in (
            ("reviews_theme_surprises", "incidents_surprise", "surprise_id"),
            ("reviews_theme_difficulties", "incidents_difficulty", "difficulty_id"),
        ):
            self._sides(
                "t.theme_id, COUNT(*) FILTER (WHERE {t} >= %s AND {t} < %s),"
                " COUNT(*) FILTER (WHERE {t} >= %s AND {t} < %s)",
                f"{through} t JOIN {table} s ON s.id = t.{column}",
                "{t} >= %s AND {t} < %s",
                "t.theme_id",
                [p["cs"], p["ce"], p["ps"], p["pe"], p["ps"], p["ce"]],
            )
        self._run("SELECT id, name, slug FROM reviews_theme ORDER BY name")
