"""Writing many rows at once, through the driver: an executemany on SQLite, COPY on
PostgreSQL (several times quicker than SQLAlchemy's executemany of dicts, which builds
the parameters of every row in Python)."""

from __future__ import annotations

import operator
import os
import signal
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import msgspec
import pyarrow as pa
import sqlalchemy as sa

from fraudwall.platform import arrowjson
from fraudwall.platform.schema import events

TEST_KILL_ENV: Final = "FRAUDWALL_TEST_KILL_AFTER_EVENTS"
"""A test hook, not for users: ``SIGNAL:N`` (e.g. ``SIGKILL:120``) makes the process send
itself that signal once N events have been written into the events table, inside the
transaction of their batch before it commits, so that the crash test kills the server at
an exact point (as `funds.store.TEST_KILL_ENV` does for the case store)."""
_written = [0]
_encoder = msgspec.json.Encoder()


def insert_rows(conn: sa.Connection, table: sa.Table, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert rows (mappings by column name, each with the columns of the first; a column
    none has is null) in one executemany through the driver; lists in JSON columns are
    written as their JSON text."""
    rows = list(rows)
    if not rows:
        return 0
    names = [c.name for c in table.columns if c.name in rows[0]]  # the rest: null
    json_at = [i for i, n in enumerate(names) if isinstance(table.c[n].type, sa.JSON)]
    take = operator.itemgetter(*names)
    values = [(take(row),) for row in rows] if len(names) == 1 else [take(row) for row in rows]
    if json_at:
        values = [_json_cells(v, json_at) for v in values]
    return _execute_many(conn, table, names, values)


def _json_cells(values: tuple[Any, ...], at: Sequence[int]) -> tuple[Any, ...]:
    cells = list(values)
    for i in at:
        if cells[i] is not None:
            cells[i] = _encoder.encode(cells[i]).decode()
    return tuple(cells)


def insert_table(conn: sa.Connection, table: sa.Table, data: pa.Table) -> int:
    """Insert an Arrow table whose columns are (some of) `table`'s, column by column."""
    names = [c.name for c in table.columns if c.name in data.column_names]
    columns: list[list[Any]] = []
    for name in names:
        column = data[name]
        if isinstance(table.c[name].type, sa.JSON) and pa.types.is_list(column.type):
            values = arrowjson.json_lists(column).to_pylist()
        elif isinstance(table.c[name].type, sa.JSON):
            values = [
                None if v is None else _encoder.encode(v).decode() for v in column.to_pylist()
            ]
        else:
            values = column.to_pylist()
        columns.append(values)
    return _execute_many(conn, table, names, list(zip(*columns, strict=True)))


def _execute_many(
    conn: sa.Connection, table: sa.Table, names: Sequence[str], values: list[tuple[Any, ...]]
) -> int:
    if not values:
        return 0
    quote = conn.dialect.identifier_preparer.quote
    columns = ", ".join(quote(n) for n in names)
    if conn.dialect.name == "postgresql":  # COPY: several times quicker than an executemany
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {quote(table.name)} ({columns}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
    else:
        marks = ", ".join([_mark(conn)] * len(names))
        conn.exec_driver_sql(
            f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({marks})", values
        )
    if table is events and (spec := os.environ.get(TEST_KILL_ENV)):
        name, _, rows = spec.partition(":")
        _written[0] += len(values)
        if _written[0] >= int(rows):
            os.kill(os.getpid(), signal.Signals[name])
    return len(values)


def _mark(conn: sa.Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


__all__ = ["TEST_KILL_ENV", "insert_rows", "insert_table"]
