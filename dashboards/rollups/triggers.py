"""The database triggers that mark the months a write touches (`DirtyMonth`).

They run in the writing transaction whatever the path (the ORM, the import's COPY, raw SQL,
Django's cascades), so a month whose counts changed is counted live until refreshed. SPEC
says, table by table, which writes change a month's counts and where the month comes from;
the SQL for both databases is generated from it, with the tables and columns the models name.

- PostgreSQL: one statement-level trigger per table and event, reading the statement's
  transition tables, so a COPY of 10,000 rows adds each month it touched once.
- SQLite has only row-level triggers; an UPDATE trigger fires only when a watched column
  really changed (save() writes every column, a title edit must mark nothing).

Rows are appended, never upserted: writers never wait on each other here. A month that
cannot be found (the parent already deleted by raw SQL) marks nothing: the parent's own
delete trigger marked it.

A later migration that alters one of these tables, or changes SPEC, must run `remove` before
and `install` after it (RunPython). On SQLite, altering a column remakes the table, which
fails while triggers elsewhere read it ("error in trigger rollup_dirty_...: no such table")
and would drop its own; on PostgreSQL a renamed or dropped column that a function reads
makes every write to the table fail.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from django.apps import apps as global_apps

from incidents.models import DirtyMonth

INSERT, UPDATE, DELETE = "insert", "update", "delete"


@dataclass(frozen=True)
class Moment:
    """A timestamp that places a row in a month: `field` of the record reached by following
    the foreign keys `path` (field names) from the row; an empty path reads the row itself."""

    field: str
    path: tuple[str, ...] = ()

    def via(self, *names: str) -> Moment:
        return Moment(self.field, (*names, *self.path))


@dataclass(frozen=True)
class Watch:
    """The writes to one table that change counted months.

    `model`: "app.Model", or "app.Model.field" for the table of a many-to-many field.
    `moments`: the row's months, read from the old row and the new one; inserts and deletes
    mark them. `changes`: the fields whose change makes an UPDATE mark (None: every update).
    `every_month`: an UPDATE that changes them marks every month (a NULL month) instead.
    """

    model: str
    moments: tuple[Moment, ...] = ()
    changes: tuple[str, ...] | None = None
    every_month: bool = False

    @property
    def events(self) -> tuple[str, ...]:
        return (INSERT, UPDATE, DELETE) if self.moments else (UPDATE,)


INCIDENT = Moment("started_at")
NEAR_MISS = Moment("occurred_at")
# A signal belongs to an incident or a near miss; the other foreign key is NULL and adds no month.
SUBJECT = (INCIDENT.via("incident"), NEAR_MISS.via("near_miss"))

SPEC = (
    Watch(
        "incidents.Incident",
        # A failed deployment is placed by its own time: naming one as the cause moves a
        # count in the deployment's month too.
        (INCIDENT, Moment("deployed_at").via("caused_by")),
        # detected_at and resolved_at: the durations' rank buckets (duration_ranks).
        changes=(
            "started_at",
            "severity",
            "is_private",
            "caused_by",
            "triggered_by_change",
            "detected_at",
            "resolved_at",
        ),
    ),
    Watch("incidents.Incident.teams", (INCIDENT.via("incident"),)),
    Watch("incidents.IncidentSystem", (INCIDENT.via("incident"),)),
    Watch("incidents.NearMiss", (NEAR_MISS,), changes=("occurred_at", "potential_severity")),
    Watch("incidents.NearMiss.systems", (NEAR_MISS.via("nearmiss"),)),
    # Signals move between incidents and change system, category, kind or resolved: any
    # update may move a count.
    Watch("incidents.Surprise", SUBJECT),
    Watch("incidents.Difficulty", SUBJECT),
    Watch("incidents.OwnershipGap", SUBJECT),
    Watch("incidents.Theme.incidents", (INCIDENT.via("incident"),)),
    Watch("incidents.Theme.surprises", tuple(m.via("surprise") for m in SUBJECT)),
    Watch("incidents.Theme.difficulties", tuple(m.via("difficulty") for m in SUBJECT)),
    # A system's owner decides which team its records count for, in every month. A new
    # system has no records yet, and one with records cannot be deleted (PROTECT) but by
    # clearing the signals' system first, which their own triggers mark.
    Watch("incidents.System", changes=("owner_team",), every_month=True),
    Watch(
        "incidents.Deployment",
        (Moment("deployed_at"),),
        changes=("deployed_at", "system", "environment"),
    ),
    # published_at: the time to publish's rank bucket (duration_ranks).
    Watch(
        "reviews.Review",
        (INCIDENT.via("incident"),),
        changes=("status", "incident", "published_at"),
    ),
    Watch(
        "reviews.ActionItem",
        (INCIDENT.via("review", "incident"),),
        changes=("status", "owner_team", "due_date", "review"),
    ),
    Watch(
        "reviews.SurveyResponse",
        (INCIDENT.via("review", "incident"),),
        changes=("learned_something", "review"),
    ),
)


def install(schema_editor, *, apps=global_apps) -> None:
    """Create every trigger of SPEC (and on PostgreSQL their functions). A migration passes
    its historical `apps`, so the names are those of the schema it runs on."""
    for watch in SPEC:
        for sql in _install_sql(schema_editor, watch, _model(apps, watch.model)):
            # No parameters: the SQL is run as it is, never %-formatted.
            schema_editor.execute(sql, params=None)


def remove(schema_editor, *, apps=global_apps) -> None:
    """Drop every trigger of SPEC (and on PostgreSQL their functions)."""
    quote = schema_editor.quote_name
    for watch in SPEC:
        table = _model(apps, watch.model)._meta.db_table
        if schema_editor.connection.vendor == "postgresql":
            # The triggers depend on the function: CASCADE drops them with it.
            sqls = [f"DROP FUNCTION IF EXISTS {quote(function_name(table))}() CASCADE"]
        else:
            sqls = [
                f"DROP TRIGGER IF EXISTS {quote(trigger_name(table, event))}"
                for event in watch.events
            ]
        for sql in sqls:
            schema_editor.execute(sql, params=None)


def trigger_name(table: str, event: str) -> str:
    return f"rollup_dirty_{table}_{event}"


def function_name(table: str) -> str:
    return f"rollup_dirty_{table}"


def installed_names(apps=global_apps) -> dict[str, set[str]]:
    """table -> the names of the triggers SPEC puts on it."""
    names = {}
    for watch in SPEC:
        table = _model(apps, watch.model)._meta.db_table
        names[table] = {trigger_name(table, event) for event in watch.events}
    return names


# --- the SQL ---------------------------------------------------------------------------------


def _model(apps, label: str):
    app_label, model_name, *m2m = label.split(".")
    model = apps.get_model(app_label, model_name)
    if m2m:
        return model._meta.get_field(m2m[0]).remote_field.through
    return model


def _dirty_table(quote) -> str:
    return f"{quote(DirtyMonth._meta.db_table)} ({quote(DirtyMonth._meta.get_field('month').column)})"


def _moment_select(model, moment: Moment, row: str, quote, *, rows: str | None) -> str:
    """SELECT the moment (as ts) of the row `row`: an alias of the transition table `rows`
    (PostgreSQL), or NEW / OLD in a row-level trigger (SQLite, `rows` None)."""
    joins = []  # (table AS alias, join condition)
    alias, current = row, model
    for depth, name in enumerate(moment.path, start=1):
        field = current._meta.get_field(name)
        target = field.related_model
        hop = f"j{depth}"
        joins.append(
            (
                f"{quote(target._meta.db_table)} AS {hop}",
                f"{hop}.{quote(field.target_field.column)} = {alias}.{quote(field.column)}",
            )
        )
        alias, current = hop, target
    column = f"{alias}.{quote(current._meta.get_field(moment.field).column)}"
    if rows is not None:
        sql = f"SELECT {column} AS ts FROM {rows} AS {row}"
        return sql + "".join(f" JOIN {table} ON {on}" for table, on in joins)
    if not joins:
        return f"SELECT {column} AS ts"
    (first, where), *rest = joins
    sql = f"SELECT {column} AS ts FROM {first}"
    return sql + "".join(f" JOIN {table} ON {on}" for table, on in rest) + f" WHERE {where}"


def _mark(selects: list[str], month: str, quote) -> str:
    """INSERT the distinct months of the moments the SELECTs read (NULL moments: none)."""
    moments = "\n        UNION ALL ".join(selects)
    return (
        f"INSERT INTO {_dirty_table(quote)}\n"
        f"    SELECT DISTINCT {month} FROM (\n        {moments}\n    ) AS moments\n"
        f"    WHERE ts IS NOT NULL"
    )


def _install_sql(schema_editor, watch: Watch, model) -> list[str]:
    quote = schema_editor.quote_name
    columns = [model._meta.get_field(name).column for name in watch.changes or ()]
    if schema_editor.connection.vendor == "postgresql":
        return _postgresql(watch, model, columns, quote)
    return _sqlite(watch, model, columns, quote)


def _sqlite(watch: Watch, model, columns: list[str], quote) -> list[str]:
    table = model._meta.db_table
    month = "substr(ts, 1, 7) || '-01'"  # Django keeps UTC datetimes as 'YYYY-MM-DD HH:MM:SS'

    def mark(*rows: str) -> str:
        selects = [
            _moment_select(model, m, row, quote, rows=None) for row in rows for m in watch.moments
        ]
        return _mark(selects, month, quote)

    sqls = []
    for event in watch.events:
        name = quote(trigger_name(table, event))
        if event == UPDATE:
            when = ""
            if watch.changes is not None:
                # UPDATE OF fires when a column is SET, changed or not; WHEN keeps real
                # changes. The primary key too: a row given another id is another row.
                watched = [*columns, model._meta.pk.column]
                when = " OR ".join(f"OLD.{quote(c)} IS NOT NEW.{quote(c)}" for c in watched)
                of = ", ".join(quote(c) for c in watched)
                head = f"AFTER UPDATE OF {of} ON {quote(table)} FOR EACH ROW WHEN {when}"
            else:
                head = f"AFTER UPDATE ON {quote(table)} FOR EACH ROW"
            body = (
                f"INSERT INTO {_dirty_table(quote)} VALUES (NULL)"
                if watch.every_month
                else mark("OLD", "NEW")
            )
        else:
            head = f"AFTER {event.upper()} ON {quote(table)} FOR EACH ROW"
            body = mark("NEW" if event == INSERT else "OLD")
        sqls.append(f"CREATE TRIGGER {name}\n{head}\nBEGIN\n    {body};\nEND")
    return sqls


def _postgresql(watch: Watch, model, columns: list[str], quote) -> list[str]:
    table = model._meta.db_table
    month = "date_trunc('month', ts AT TIME ZONE 'UTC')::date"

    def mark(rows: str) -> str:
        selects = [_moment_select(model, m, "r", quote, rows=rows) for m in watch.moments]
        return _mark(selects, month, quote)

    if watch.changes is None:
        changed, old_changed, new_changed = "", "old_rows", "new_rows"
    else:
        # Transition tables cannot go with UPDATE OF: the rows whose watched columns changed
        # are found by comparing old and new by primary key (a row whose key changed has no
        # match, so it counts as changed).
        pk = quote(model._meta.pk.column)

        def same(a: str, b: str) -> str:
            return (
                f"ROW({', '.join(f'{a}.{quote(c)}' for c in columns)}) IS NOT DISTINCT FROM "
                f"ROW({', '.join(f'{b}.{quote(c)}' for c in columns)})"
            )

        changed = (
            "WITH old_changed AS (\n"
            "        SELECT * FROM old_rows AS o WHERE NOT EXISTS (\n"
            f"            SELECT 1 FROM new_rows AS n WHERE n.{pk} = o.{pk} AND {same('n', 'o')})\n"
            "    ), new_changed AS (\n"
            "        SELECT * FROM new_rows AS n WHERE NOT EXISTS (\n"
            f"            SELECT 1 FROM old_rows AS o WHERE o.{pk} = n.{pk} AND {same('n', 'o')})\n"
            "    )\n"
        )
        old_changed, new_changed = "old_changed", "new_changed"
    if watch.every_month:
        on_update = (
            f"{changed}INSERT INTO {_dirty_table(quote)}\n"
            f"    SELECT NULL::date WHERE EXISTS (SELECT 1 FROM {new_changed})"
        )
        branches = _indented(f"{on_update};", 1)
    else:
        both = [
            _moment_select(model, m, "r", quote, rows=rows)
            for rows in (old_changed, new_changed)
            for m in watch.moments
        ]
        on_update = changed + _mark(both, month, quote)
        branches = (
            "    IF TG_OP = 'INSERT' THEN\n"
            f"{_indented(mark('new_rows') + ';', 2)}"
            "    ELSIF TG_OP = 'DELETE' THEN\n"
            f"{_indented(mark('old_rows') + ';', 2)}"
            "    ELSE\n"
            f"{_indented(on_update + ';', 2)}"
            "    END IF;\n"
        )
    function = quote(function_name(table))
    sqls = [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $rollup$\n"
        f"BEGIN\n{branches}    RETURN NULL;\nEND\n$rollup$"
    ]
    referencing = {
        INSERT: "NEW TABLE AS new_rows",
        UPDATE: "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        DELETE: "OLD TABLE AS old_rows",
    }
    for event in watch.events:
        sqls.append(
            f"CREATE TRIGGER {quote(trigger_name(table, event))} AFTER {event.upper()} "
            f"ON {quote(table)} REFERENCING {referencing[event]} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )
    return sqls


def _indented(sql: str, levels: int) -> str:
    return textwrap.indent(sql, "    " * levels) + "\n"
