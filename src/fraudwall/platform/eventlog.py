"""Events as the service stores them: each accepted event whole (its JSON), once.

The events table is the service's log: what is there was acknowledged, and the engine's
state can always be rebuilt from a snapshot plus the events after it (`events_between`).
A record's digest (sha256 of its canonical JSON) tells an identical repeat of an
`event_id` from a conflicting one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
import pyarrow as pa
import sqlalchemy as sa

from fraudwall.model import (
    BY_TABLE,
    AppInstall,
    Call,
    Event,
    Login,
    Sms,
    Transfer,
    UrlVisit,
    table_from_records,
)
from fraudwall.platform.lookupkeys import stored_host
from fraudwall.platform.schema import events

ACCEPTED = "accepted"  # it happened (a streamed record)
CHECKED = "checked"  # a pre-transaction check, waiting for the institution's outcome


def body_of(record: Event) -> bytes:
    """The record's canonical JSON (msgspec writes fields in their declared order)."""
    return msgspec.json.encode(record)


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
    """The columns risk checks and statistics find an event by (see `schema`'s
    risk/statistics block): the side a check asks about (`party`), the device, the channel."""
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


def stored_digests(conn: sa.Connection, event_ids: Sequence[str]) -> dict[str, str]:
    """The digest of each of `event_ids` already stored (the rest are new)."""
    found: dict[str, str] = {}
    for start in range(0, len(event_ids), 10_000):  # bounded IN lists
        part = list(event_ids[start : start + 10_000])
        q = sa.select(events.c.event_id, events.c.digest).where(events.c.event_id.in_(part))
        found.update({r.event_id: r.digest for r in conn.execute(q)})
    return found


def records_of(rows: Iterable[Any]) -> dict[str, list[Event]]:
    """Stored rows (with `kind` and `body`) back as records, by table."""
    out: dict[str, list[Event]] = {}
    for r in rows:
        cls = BY_TABLE[r.kind]
        record = msgspec.json.decode(r.body, type=cls)
        assert isinstance(record, Event)
        out.setdefault(r.kind, []).append(record)
    return out


def tables_of(records: dict[str, list[Event]]) -> dict[str, pa.Table]:
    """Records by table as Arrow tables in time order (what the engine takes)."""
    out = {}
    for name, recs in records.items():
        recs = sorted(recs, key=lambda e: e.ts)
        out[name] = table_from_records(BY_TABLE[name], recs)
    return out


__all__ = [
    "ACCEPTED",
    "CHECKED",
    "body_of",
    "digest_of",
    "event_row",
    "lookup_columns",
    "records_of",
    "stored_digests",
    "tables_of",
]
