"""What risk checks find events by, kept apart from the events and filled after them.

The events table is the service's log: an event is acknowledged once its row is
committed, and ingest can afford few indexes on it (its primary key `seq`, `event_id` for
idempotency, `ts` for the engine's steps). Each index at a random place per event — the
party a risk check asks about, the device — costs more than the rest of storing it
(BENCHMARKS.md, issue 12). So those live in `schema.event_lookups`, derived from the
events: every event up to the newest `seq` in it, none after.

`fill` adds what the events hold beyond that, in one ``INSERT .. SELECT`` ordered by the
party index's key: no row goes through Python, and the indexes take a batch at a time.
`EventLookups` fills them from a thread of the service's own a moment after ingest
commits (the sqlite3 module and psycopg let go of the GIL, so it runs beside the next
batch), and every reader calls `catch_up` first: a risk check right after an ingest finds
what it stored. A crash between the events' commit and the lookups' loses nothing: they
are derived, and `catch_up` on start adds what the events hold beyond them.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from typing import Final

import sqlalchemy as sa

from fraudwall.platform.db import PlatformDB
from fraudwall.platform.schema import event_lookups, events

log = logging.getLogger("fraudwall.platform")

EVERY_S: Final = 0.25
"""How often the thread looks for events not in the lookups yet: a batch of ingest stays
acknowledged-but-not-indexed for about this long unless a reader catches up first."""

TEST_KILL_ENV: Final = "FRAUDWALL_TEST_KILL_IN_LOOKUPS"
"""A test hook, not for users: ``SIGNAL:N`` (e.g. ``SIGKILL:120``) makes the process send
itself that signal once `fill` has written N rows into the lookups, inside the
transaction before it commits (the crash test kills the server between the events'
commit and the lookups')."""
_filled = [0]

_COLUMNS: Final = ("seq", "event_id", "kind", "ts", "party", "device_id")


def newest_seq(conn: sa.Connection, table: sa.Table) -> int:
    """The newest `seq` in `table` (0 when it is empty)."""
    return int(conn.execute(sa.select(sa.func.max(table.c.seq))).scalar() or 0)


def behind(conn: sa.Connection) -> bool:
    """Whether the events hold any event the lookups do not."""
    return newest_seq(conn, events) > newest_seq(conn, event_lookups)


def fill(conn: sa.Connection) -> int:
    """Add every event after the newest in the lookups, in one statement, inside the
    caller's write transaction (hold the write lock: no event is being stored before the
    last one this reads); returns how many."""
    after = newest_seq(conn, event_lookups)
    source = (
        sa.select(*(events.c[name] for name in _COLUMNS))
        .where(events.c.seq > after)
        .order_by(events.c.kind, events.c.party)  # the party index's order
    )
    add = event_lookups.insert().from_select(_COLUMNS, source)
    added = int(conn.execute(add, execution_options={"preserve_rowcount": True}).rowcount)
    if added and (spec := os.environ.get(TEST_KILL_ENV)):
        name, _, rows = spec.partition(":")
        _filled[0] += added
        if _filled[0] >= int(rows):
            os.kill(os.getpid(), signal.Signals[name])
    return added


class EventLookups:
    """The lookups of one service's database: `catch_up` for readers, and a thread that
    follows ingest (`start` / `stop`)."""

    def __init__(self, db: PlatformDB, every_s: float = EVERY_S) -> None:
        self.db = db
        self.every_s = every_s
        self._lock = threading.Lock()  # one fill at a time; a reader waits for the thread's
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def catch_up(self) -> int:
        """Bring the lookups up to every event committed before this call; returns how
        many were added. `DatabaseUnavailable` when the database refuses."""
        with self._lock:
            with self.db.reading() as conn:
                if not behind(conn):
                    return 0
            with self.db.writing() as conn:
                return fill(conn)

    def start(self) -> None:
        """Catch up now (what a crash left behind), then follow from a thread."""
        self.catch_up()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="event-lookups", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread, after a last catch-up (a clean stop leaves nothing to add)."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        try:
            self.catch_up()
        except Exception:  # the next start catches up; the log says why this one did not
            log.exception("event lookups: last catch-up failed")

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.catch_up()
            except Exception:  # a refused write is tried again; readers catch up themselves
                log.exception("event lookups: catch-up failed")


__all__ = ["EVERY_S", "TEST_KILL_ENV", "EventLookups", "behind", "fill", "newest_seq"]
