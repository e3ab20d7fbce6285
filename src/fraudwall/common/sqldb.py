"""SQLAlchemy engines for fraudwall's stores: SQLite by default, PostgreSQL in production.

One way to open a database for every store (the case store, the service's database):

* SQLite runs with SQLAlchemy's transactions (pysqlite's own are off); a write transaction
  begins with ``BEGIN IMMEDIATE``, so it holds the write lock from its first statement, and
  `create=False` opens only a file that is already there (a read never creates a store).
* PostgreSQL takes a transaction-scoped advisory lock for the same effect (`write_lock`).
"""

from __future__ import annotations

import sqlite3
from typing import Final
from urllib.parse import quote

import sqlalchemy as sa

WRITE_OPTION: Final = "fraudwall_write"
"""The execution option that marks a connection's transaction as a write (``BEGIN IMMEDIATE``)."""


def sqlite_engine(
    path: str, *, create: bool, timeout_s: float, wal: bool = False, pooled: bool = False
) -> sa.Engine:
    """A SQLite engine on the file at `path` (see the module doc). `wal` turns on
    write-ahead logging (readers never wait for the writer; for a server); `pooled` keeps
    connections open between transactions instead of opening the file each time."""
    uri = f"file:{quote(path)}?mode={'rwc' if create else 'rw'}"

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(uri, uri=True, timeout=timeout_s, check_same_thread=False)
        conn.isolation_level = None
        if wal:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    pool = sa.pool.QueuePool if pooled else sa.pool.NullPool
    engine = sa.create_engine("sqlite://", creator=connect, poolclass=pool)

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def write_lock(conn: sa.Connection, key: int, timeout_s: float) -> None:
    """On PostgreSQL, hold the advisory lock `key` until the transaction ends (SQLite's
    ``BEGIN IMMEDIATE`` already did the same)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(f"SET LOCAL lock_timeout = '{int(timeout_s)}s'"))
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))


__all__ = ["WRITE_OPTION", "sqlite_engine", "write_lock"]
