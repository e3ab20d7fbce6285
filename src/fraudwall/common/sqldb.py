"""SQLAlchemy engines for fraudwall's stores: SQLite by default, PostgreSQL in production.

One way to open a database for every store (the case store, the service's database):

* SQLite runs with SQLAlchemy's transactions (pysqlite's own are off); a write transaction
  begins with ``BEGIN IMMEDIATE``, so it holds the write lock from its first statement, and
  `create=False` opens only a file that is already there (a read never creates a store).
* PostgreSQL takes a transaction-scoped advisory lock for the same effect (`write_lock`).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Final
from urllib.parse import quote

import sqlalchemy as sa

_log = logging.getLogger(__name__)

WRITE_OPTION: Final = "fraudwall_write"
"""The execution option that marks a connection's transaction as a write (``BEGIN IMMEDIATE``)."""


def sqlite_engine(
    path: str,
    *,
    create: bool,
    timeout_s: float,
    wal: bool = False,
    pooled: bool = False,
    cache_mib: int | None = None,
    mmap_mib: int | None = None,
    autocheckpoint: bool = True,
) -> sa.Engine:
    """A SQLite engine on the file at `path` (see the module doc). `wal` turns on
    write-ahead logging (readers never wait for the writer; for a server); `pooled` keeps
    connections open between transactions instead of opening the file each time;
    `cache_mib` sizes each connection's page cache (SQLite's default is 2 MiB);
    `mmap_mib` reads up to that much of the file through memory mapping: pages read
    straight from the operating system's cache, which every connection shares (a
    connection's own page cache is emptied whenever another connection has written);
    `autocheckpoint=False` leaves copying the log back to the database file to the caller
    (see `WalCheckpointer`) instead of the commit that fills it."""
    uri = f"file:{quote(path)}?mode={'rwc' if create else 'rw'}"

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(uri, uri=True, timeout=timeout_s, check_same_thread=False)
        conn.isolation_level = None
        if wal:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            if not autocheckpoint:
                conn.execute("PRAGMA wal_autocheckpoint=0")
        if cache_mib is not None:
            conn.execute(f"PRAGMA cache_size=-{int(cache_mib) * 1024}")
        if mmap_mib is not None:
            conn.execute(f"PRAGMA mmap_size={int(mmap_mib) * 1024 * 1024}")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    pool = sa.pool.QueuePool if pooled else sa.pool.NullPool
    engine = sa.create_engine("sqlite://", creator=connect, poolclass=pool)

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class WalCheckpointer:
    """Copies a SQLite database's write-ahead log back into its file from a thread of its
    own, every `every_s` seconds and once more on `stop`.

    With SQLite's automatic checkpoint the commit that fills the log pays for copying it
    back: a request that happens to commit then waits for thousands of pages to be
    written. Done here instead, the copy runs beside the requests (the sqlite3 module
    lets go of the GIL while SQLite works) and never blocks a reader or the writer
    (``PASSIVE``); what it cannot copy yet is copied the next time."""

    def __init__(self, path: str, every_s: float = 1.0) -> None:
        self.path = path
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while not self._stop.wait(self.every_s):
                conn = self._checkpoint(conn)
            self._checkpoint(conn)
        finally:
            if conn is not None:
                conn.close()

    def _checkpoint(self, conn: sqlite3.Connection | None) -> sqlite3.Connection | None:
        """One ``PASSIVE`` checkpoint, on a connection opened the first time the file is
        there; returns the connection (None while there is no file)."""
        try:
            if conn is None:
                uri = f"file:{quote(self.path)}?mode=rw"
                conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:  # no file yet, or e.g. a full disk: the log keeps it
            _log.debug("wal checkpoint of %s: %s", self.path, exc)
        return conn

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def write_lock(conn: sa.Connection, key: int, timeout_s: float) -> None:
    """On PostgreSQL, hold the advisory lock `key` until the transaction ends (SQLite's
    ``BEGIN IMMEDIATE`` already did the same)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(f"SET LOCAL lock_timeout = '{int(timeout_s)}s'"))
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))


__all__ = ["WRITE_OPTION", "WalCheckpointer", "sqlite_engine", "write_lock"]
