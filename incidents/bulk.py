"""Inserting many rows without a model instance each, for the import.

`bulk_create` builds a model instance per row and prepares every value through it (and, on
PostgreSQL, packs each column into an array in Python): for the tens of thousands of links
and signals of a large import that was most of the import's time. These insert plain tuples,
one statement per table and batch, adapting each value with its field (as the ORM does), and
write the signals' creation history in SQL from the rows just inserted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, connections

_AS_IS = (str, int, type(None))


def _quoted(name: str) -> str:
    return connections[DEFAULT_DB_ALIAS].ops.quote_name(name)


def new_ids(model, count: int) -> list[int]:
    """`count` primary keys for new rows of the model, drawn before inserting them, so the
    rows that point to them (and a reference made from the id) go in with the same statement.

    They come from where the database itself draws ids, so no other writer can get them:
    PostgreSQL's sequence; on SQLite, the AUTOINCREMENT counter in sqlite_sequence, raised by
    `count` (a write, so it also takes the database's write lock until the transaction ends).
    """
    connection = connections[DEFAULT_DB_ALIAS]
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, model._meta.pk.column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute("UPDATE sqlite_sequence SET seq = seq + %s WHERE name = %s", [count, table])
        if cursor.rowcount == 0:  # nothing was ever inserted into the table
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, count]
            )
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        last = cursor.fetchone()[0]
    return list(range(last - count + 1, last + 1))


def insert_instances(model, instances: Sequence) -> None:
    """INSERT new instances whose primary key is set (`new_ids`), every concrete field as
    save() would write it (auto_now fields get the time now)."""
    fields = model._meta.concrete_fields
    insert_rows(
        model,
        [field.name for field in fields],
        ([field.pre_save(instance, True) for field in fields] for instance in instances),
    )


def insert_rows(model, names: Sequence[str], rows: Iterable[Sequence]) -> None:
    """INSERT `rows` (values in the order of the field `names`) into the model's table: COPY on
    PostgreSQL, executemany elsewhere. Each value is adapted by its field, as the ORM does."""
    connection = connections[DEFAULT_DB_ALIAS]  # not the proxy: it is read for every value
    fields = [model._meta.get_field(name) for name in names]
    table = _quoted(model._meta.db_table)
    columns = ", ".join(_quoted(field.column) for field in fields)
    # Strings, integers and None go to the database as they are (their fields' preparation
    # returns them unchanged, and skipping it halves the time); others (datetimes, booleans)
    # are prepared by their field.
    prepared = (
        [
            value if type(value) in _AS_IS else field.get_db_prep_save(value, connection)
            for field, value in zip(fields, row, strict=True)
        ]
        for row in rows
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY formats rows in C and needs no placeholder: a multi-row INSERT of the same
            # rows spent more time in psycopg's Python placeholder parsing than in the server.
            # Django wraps only execute(): a constraint hit here must be an IntegrityError too.
            with (
                connection.wrap_database_errors,
                cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in prepared:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(fields))
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", prepared)


def insert_creation_history(model, *, incident_ids: Sequence[int], user, when: datetime) -> None:
    """The '+' history rows (django-simple-history) of the model's rows on these incidents,
    copied from them in SQL: what each save() would have written, as `user` at `when`."""
    connection = connections[DEFAULT_DB_ALIAS]
    history = model.history.model
    tracked = [_quoted(field.column) for field in model._meta.concrete_fields]
    recorded = tracked + [
        _quoted(history._meta.get_field(name).column)
        for name in ("history_date", "history_type", "history_user")
    ]
    date = history._meta.get_field("history_date").get_db_prep_save(when, connection)
    ids = ", ".join(["%s"] * len(incident_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_quoted(history._meta.db_table)} ({', '.join(recorded)}) "
            f"SELECT {', '.join(tracked)}, %s, '+', %s FROM {_quoted(model._meta.db_table)} "
            f"WHERE {_quoted('incident_id')} IN ({ids})",
            [date, getattr(user, "pk", None), *incident_ids],
        )
