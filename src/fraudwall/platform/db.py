"""The service's database: one SQLAlchemy engine, transactions that write whole or not at all.

`PlatformDB.writing()` is one transaction holding the write lock from its start (SQLite
``BEGIN IMMEDIATE``, PostgreSQL an advisory lock), so a request's change and its audit
entry are stored together or not at all, and audit entries chain in one order.
`reading()` is a consistent read. A database that refuses a write raises
`DatabaseUnavailable`, which the app answers with 503: the client may retry, and ingest is
idempotent, so a retry never stores anything twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import sqlalchemy as sa

from fraudwall.common.sqldb import WRITE_OPTION, WalCheckpointer, sqlite_engine, write_lock
from fraudwall.errors import InputError, RunError
from fraudwall.platform.schema import metadata

LOCK_WAIT_S: Final = 30
"""How long a write waits for another holding the lock before the request gets a 503."""

SQLITE_CACHE_MIB: Final = 64
"""Each SQLite connection's page cache: an ingested batch inserts into several indexes at
scattered places, and with SQLite's 2 MiB default it reads the same pages again and again
(BENCHMARKS.md, issue 12)."""

SQLITE_MMAP_MIB: Final = 2048
"""How much of the SQLite file each connection reads through memory mapping (SQLite's
usual build caps it at 2 GiB; a bigger file is read past that as before). Without it,
every transaction that follows another connection's write starts with an empty page
cache: ingest, the event lookups' thread and the readers each read the pages they need
again (BENCHMARKS.md, issue 12)."""

PG_LOCK_KEY: Final = 0x66772D736572
"""The PostgreSQL advisory lock of the service's writes ("fw-ser" in ASCII)."""


class DatabaseUnavailable(RunError):
    """The database refused or could not take a write or read (locked, gone, full)."""


def database_url(value: str) -> str:
    """A `--db` value as an SQLAlchemy URL: ``sqlite:///PATH`` or ``postgresql://...``
    (psycopg 3 is the driver), refusing anything else with the reason."""
    try:
        url = sa.make_url(value)
    except sa.exc.ArgumentError:
        raise InputError(
            "--db",
            f"{value!r} is not a database URL",
            hint="sqlite:///PATH or postgresql://USER@HOST:PORT/DB",
        ) from None
    backend = url.get_backend_name()
    if backend == "postgresql":
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if backend == "sqlite":
        if url.database in (None, "", ":memory:"):
            raise InputError("--db", "SQLite needs a file: sqlite:///PATH")
        return f"sqlite:///{Path(url.database).resolve()}"
    raise InputError("--db", f"{backend} is not supported", hint="use SQLite or PostgreSQL")


class PlatformDB:
    """The service's database at `url` (see `database_url`); `create_all` makes its tables
    when they are not there (the embedded default; `fraudwall db upgrade` runs the
    migrations instead). On SQLite, `serving` checkpoints the write-ahead log from a
    thread of its own (`WalCheckpointer`) rather than in the commits of requests."""

    def __init__(self, url: str, *, serving: bool = False) -> None:
        self.url = database_url(url)
        parsed = sa.make_url(self.url)
        self.dialect = parsed.get_backend_name()
        self.where = parsed.render_as_string(hide_password=True)
        if self.dialect == "sqlite":
            path = Path(parsed.database or "")
            path.parent.mkdir(parents=True, exist_ok=True)
            self.engine = sqlite_engine(
                str(path),
                create=True,
                timeout_s=LOCK_WAIT_S,
                wal=True,
                pooled=True,
                cache_mib=SQLITE_CACHE_MIB,
                mmap_mib=SQLITE_MMAP_MIB,
                autocheckpoint=not serving,
            )
            self._checkpointer = WalCheckpointer(str(path)) if serving else None
        else:
            self.engine = sa.create_engine(parsed, pool_size=8, max_overflow=8, pool_pre_ping=True)
            self._checkpointer = None

    def close(self) -> None:
        self.engine.dispose()
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None

    def create_all(self) -> None:
        with self.writing() as conn:
            metadata.create_all(conn)

    def ping(self) -> None:
        """Raise `DatabaseUnavailable` unless the database answers a query."""
        with self.reading() as conn:
            conn.execute(sa.select(sa.literal(1)))

    @contextmanager
    def writing(self) -> Iterator[sa.Connection]:
        """One write transaction under the service's write lock (see the module doc)."""
        with self._unavailable(), self.engine.connect() as conn:
            conn = conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                write_lock(conn, PG_LOCK_KEY, LOCK_WAIT_S)
                yield conn

    @contextmanager
    def reading(self) -> Iterator[sa.Connection]:
        """One consistent read."""
        with self._unavailable(), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def _unavailable(self) -> Iterator[None]:
        try:
            yield
        except (sa.exc.OperationalError, sa.exc.InternalError) as exc:
            # locked, disk full, server gone, a database made read-only
            problem = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise DatabaseUnavailable(
                self.where,
                f"the database refused the request ({problem})",
                hint="retry: what was acknowledged is kept, and a repeat is recognised",
            ) from exc


__all__ = ["LOCK_WAIT_S", "DatabaseUnavailable", "PlatformDB", "database_url"]
