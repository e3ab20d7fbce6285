"""Events as the service stores them: each accepted event whole (its JSON), once.

The events table is the service's log: what is there was acknowledged, and the engine's
state can always be rebuilt from a snapshot plus the events after it (`absorbed_after`).
A record's digest (sha256 of its canonical JSON) tells an identical repeat of an
`event_id` from a conflicting one.

An event is `accepted` (streamed: it happened, its outcome `executed` as `recorded`) or
`checked` (a pre-transaction check: its outcome is `reported` by the institution, or
`assumed` from the decision when none came before the engine absorbed it). Once absorbed
it carries when (`absorbed_ts`) and the engine's watermark of that step (`absorbed_upto`),
so that a restart replays the steps exactly as they were taken.

Big batches are written with the driver's executemany (`insert_rows`): SQLAlchemy's Core
insert processes each value of each row in Python, several times slower for 50,000 rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

import msgspec
import pyarrow as pa
import sqlalchemy as sa

from fraudwall.common.lookupkeys import stored_host
from fraudwall.engine import DECISION_SCHEMA
from fraudwall.model import (
    BY_TABLE,
    AppInstall,
    Call,
    Decision,
    Event,
    Login,
    Outcome,
    Record,
    Sms,
    Transfer,
    UrlVisit,
    arrow_schema,
)
from fraudwall.model.sql import record_of
from fraudwall.platform.schema import decisions, events

ACCEPTED: Final = "accepted"  # it happened (a streamed record)
CHECKED: Final = "checked"  # a pre-transaction check, waiting for the institution's outcome

RECORDED: Final = "recorded"  # a streamed event: it happened as recorded
REPORTED: Final = "reported"  # a check's outcome as the institution reported it
ASSUMED: Final = "assumed"  # a check absorbed without a reported outcome: what its decision implies

#: What a check's decision implies happened when no outcome was reported in time.
IMPLIED_OUTCOME: Final[Mapping[str, str]] = {
    "allow": Outcome.EXECUTED.value,
    "warn": Outcome.EXECUTED.value,
    "delay": Outcome.EXECUTED.value,
    "hold": Outcome.HELD.value,
    "block": Outcome.BLOCKED.value,
}

_IN_LIST: Final = 10_000  # ids per IN (...) list

_encoder = msgspec.json.Encoder()


def body_of(record: Event) -> bytes:
    """The record's canonical JSON (msgspec writes fields in their declared order)."""
    return _encoder.encode(record)


def digest_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def event_row(record: Event, agency_id: str, status: str, now: int) -> dict[str, Any]:
    """The events-table row of one accepted record."""
    body = body_of(record)
    return {
        "event_id": record.event_id,
        "kind": record.table,
        "ts": record.ts,
        "institution_id": record.institution_id,
        "agency_id": agency_id,
        "body": body.decode(),
        "digest": digest_of(body),
        "status": status,
        "outcome": None,
        "outcome_source": None,
        "received_ts": now,
        "absorbed_ts": None,
        **lookup_columns(record),
    }


def lookup_columns(record: Event) -> dict[str, str | None]:
    """The columns risk checks and statistics find an event by: the side a check asks
    about (`party`), the device, the channel. Stored with the event, unindexed; risk
    checks read party and device through `schema.event_lookups` (`eventlookups`)."""
    party = device = channel = None
    if isinstance(record, Transfer):
        party, device, channel = record.to_account, record.device_id, record.channel.value
    elif isinstance(record, Call):
        party, device, channel = record.caller, record.caller_device, record.gateway.value
    elif isinstance(record, Sms):
        party, device, channel = record.sender, record.sender_device, record.gateway.value
    elif isinstance(record, UrlVisit):
        party, device = stored_host(record.domain), record.device_id
    elif isinstance(record, AppInstall):
        party, device = record.app_id, record.device_id
    elif isinstance(record, Login):
        party, device = record.account_id, record.device_id
    return {"party": party, "device_id": device, "channel": channel}


def _chunks(ids: Sequence[str], size: int = _IN_LIST) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):  # bounded IN lists
        yield list(ids[start : start + size])


def stored_digests(conn: sa.Connection, event_ids: Sequence[str]) -> dict[str, str]:
    """The digest of each of `event_ids` already stored (the rest are new). Asked in
    plain SQL (PostgreSQL: one array parameter): SQLAlchemy's expanding IN costs more than
    the lookup for 50,000 ids."""
    found: dict[str, str] = {}
    if conn.dialect.name == "postgresql":
        sql = "SELECT event_id, digest FROM events WHERE event_id = ANY(%s)"
        for part in _chunks(event_ids, 50_000):
            found.update((row[0], row[1]) for row in conn.exec_driver_sql(sql, (part,)))
        return found
    mark = _mark(conn)
    for part in _chunks(event_ids):
        marks = ", ".join([mark] * len(part))
        sql = f"SELECT event_id, digest FROM events WHERE event_id IN ({marks})"
        found.update((row[0], row[1]) for row in conn.exec_driver_sql(sql, tuple(part)))
    return found


def _mark(conn: sa.Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def stored_events(conn: sa.Connection, event_ids: Sequence[str]) -> dict[str, Any]:
    """The stored rows (every column) of those of `event_ids` that are stored."""
    found: dict[str, Any] = {}
    for part in _chunks(event_ids):
        q = sa.select(events).where(events.c.event_id.in_(part))
        found.update({r.event_id: r for r in conn.execute(q)})
    return found


def stored_decisions(conn: sa.Connection, event_ids: Sequence[str]) -> dict[str, Decision]:
    """The decision stored for each of `event_ids` that has one."""
    found: dict[str, Decision] = {}
    for part in _chunks(event_ids):
        q = sa.select(decisions).where(decisions.c.event_id.in_(part))
        found.update({r.event_id: record_of(Decision, r) for r in conn.execute(q)})
    return found


def stored_decision_table(conn: sa.Connection, event_ids: Sequence[str]) -> pa.Table:
    """The decisions stored for `event_ids` (those that have one) as a decisions table."""
    if not event_ids:
        return DECISION_SCHEMA.empty_table()
    rows: list[dict[str, Any]] = []
    for part in _chunks(event_ids):
        q = sa.select(decisions).where(decisions.c.event_id.in_(part))
        rows.extend(dict(r._mapping) for r in conn.execute(q))
    return pa.Table.from_pylist(rows, schema=DECISION_SCHEMA)


def event_by_id(conn: sa.Connection, event_id: str) -> Any:
    """The stored row of one event, or None."""
    return conn.execute(sa.select(events).where(events.c.event_id == event_id)).first()


def decision_by_id(conn: sa.Connection, event_id: str) -> Decision | None:
    row = conn.execute(sa.select(decisions).where(decisions.c.event_id == event_id)).first()
    return None if row is None else record_of(Decision, row)


def record_of_row(row: Any) -> Event:
    """A stored row (with `kind` and `body`) back as its record."""
    record = msgspec.json.decode(row.body, type=BY_TABLE[row.kind])
    assert isinstance(record, Event)
    return record


# --- records and tables ---------------------------------------------------------------------
def records_of(rows: Iterable[Any]) -> dict[str, list[Event]]:
    """Stored rows (with `kind` and `body`) back as records, by table."""
    out: dict[str, list[Event]] = {}
    for r in rows:
        out.setdefault(r.kind, []).append(record_of_row(r))
    return out


def table_of(kind: str, records: Sequence[Record]) -> pa.Table:
    """Records of one table as an Arrow table of the model's schema, column by column."""
    schema = arrow_schema(BY_TABLE[kind])
    columns = [
        pa.array([getattr(r, name) for r in records], type=schema.field(name).type)
        for name in schema.names
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def table_of_bodies(kind: str, bodies: Sequence[str | bytes]) -> pa.Table:
    """Records of one table, given as their JSON, as an Arrow table of the model's schema."""
    decoder = msgspec.json.Decoder(BY_TABLE[kind])
    return table_of(kind, [decoder.decode(b) for b in bodies])


def in_time_order(table: pa.Table) -> pa.Table:
    """Events in the order the engine takes them: by time, then event id."""
    if table.num_rows < 2:
        return table
    return table.sort_by([("ts", "ascending"), ("event_id", "ascending")])


__all__ = [
    "ACCEPTED",
    "ASSUMED",
    "CHECKED",
    "IMPLIED_OUTCOME",
    "RECORDED",
    "REPORTED",
    "body_of",
    "decision_by_id",
    "digest_of",
    "event_by_id",
    "event_row",
    "in_time_order",
    "lookup_columns",
    "record_of_row",
    "records_of",
    "stored_decision_table",
    "stored_decisions",
    "stored_digests",
    "stored_events",
    "table_of",
    "table_of_bodies",
]
