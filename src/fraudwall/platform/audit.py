"""The service's audit log: every write and every read of personal data, hash-chained.

An entry says who (key, agency, role), what (an action such as ``orders.feedback``), about
what (the subject's ids), when, and for a change the record before and after. Each
entry's hash covers its own fields and the hash of the entry before it, and the head of
the chain (last sequence number and hash) is kept in `meta` in the same transaction, so
an altered entry, a removed one (even the last) or two swapped are found by `verify_audit`,
which names the first entry that does not hold.

Entries are written in the transaction of what they record (`PlatformDB.writing`, which
holds the write lock, so the chain has one order).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import sqlalchemy as sa

from fraudwall.platform.auth import Principal
from fraudwall.platform.bulkinsert import insert_rows
from fraudwall.platform.schema import audit_log, meta

GENESIS: Final = "0" * 64
HEAD_KEY: Final = "audit_head"


@dataclass(frozen=True, slots=True)
class AuditNote:
    """One entry to write: `action` on `subject`, with the record `before` / `after` a change
    (or, for a read of personal data, what was read in `after`)."""

    action: str
    subject: str
    before: Any = None
    after: Any = None


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def entry_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    """The hash of one entry: its fields in a fixed order, after the previous hash."""
    fields = [
        row["seq"],
        row["ts"],
        row["key_id"],
        row["agency_id"],
        row["role"],
        row["action"],
        row["subject"],
        row["before"],
        row["after"],
    ]
    payload = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


def _head(conn: sa.Connection) -> tuple[int, str]:
    value = conn.execute(sa.select(meta.c.value).where(meta.c.key == HEAD_KEY)).scalar()
    if isinstance(value, dict):
        return int(value["seq"]), str(value["hash"])
    return 0, GENESIS


def record(conn: sa.Connection, who: Principal, now: int, notes: Iterable[AuditNote]) -> int:
    """Append `notes` to the chain inside the caller's write transaction; returns how many."""
    seq, prev = _head(conn)
    rows = []
    for note in notes:
        seq += 1
        row = {
            "seq": seq,
            "ts": now,
            "key_id": who.key_id,
            "agency_id": who.agency_id,
            "role": who.role.value,
            "action": note.action,
            "subject": note.subject,
            "before": _json(note.before),
            "after": _json(note.after),
            "prev_hash": prev,
        }
        row["hash"] = prev = entry_hash(prev, row)
        rows.append(row)
    if not rows:
        return 0
    insert_rows(conn, audit_log, rows)
    head = {"seq": seq, "hash": prev}
    updated = conn.execute(meta.update().where(meta.c.key == HEAD_KEY).values(value=head))
    if updated.rowcount == 0:
        conn.execute(meta.insert(), [{"key": HEAD_KEY, "value": head}])
    return len(rows)


@dataclass
class AuditCheck:
    """What `verify_audit` found: the entries read and the first problem, if any."""

    entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_audit(conn: sa.Connection) -> AuditCheck:
    """Walk the chain from the first entry and name the first entry that does not hold: an
    altered one (its hash), a removed one (a gap, or the head pointing past the last), or
    a reordered one (the previous hash it names)."""
    check = AuditCheck()
    prev, expected_seq = GENESIS, 1
    walk = sa.select(audit_log).order_by(audit_log.c.seq).execution_options(yield_per=10_000)
    for r in conn.execute(walk):
        row = dict(r._mapping)
        check.entries += 1
        seq = row["seq"]
        if seq != expected_seq:
            check.problems.append(
                f"entry {expected_seq}"
                + (f"..{seq - 1}" if seq - 1 > expected_seq else "")
                + f" is missing (the log jumps from {expected_seq - 1} to {seq})"
            )
            return check
        if row["prev_hash"] != prev:
            check.problems.append(
                f"entry {seq} ({row['action']} {row['subject']}) does not follow entry "
                f"{seq - 1}: the log was reordered, or entry {seq - 1} or {seq} was replaced"
            )
            return check
        if entry_hash(prev, row) != row["hash"]:
            check.problems.append(
                f"entry {seq} ({row['action']} {row['subject']}) was altered: its content "
                "does not match its hash"
            )
            return check
        prev, expected_seq = row["hash"], seq + 1
    head_seq, head_hash = _head(conn)
    last = expected_seq - 1
    if head_seq > last:
        check.problems.append(
            f"entry {last + 1}"
            + (f"..{head_seq}" if head_seq > last + 1 else "")
            + f" is missing: the log ends at entry {last} but its head says {head_seq} "
            "(the last entries were removed)"
        )
    elif head_seq < last:
        check.problems.append(
            f"entry {head_seq + 1}"
            + (f"..{last}" if last > head_seq + 1 else "")
            + f" was added outside the service: the log's head says {head_seq}"
        )
    elif last and head_hash != prev:
        check.problems.append(
            f"entry {last} does not match the log's head: it was replaced, or the head altered"
        )
    return check


def read_entries(conn: sa.Connection, from_seq: int, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` entries from sequence number `from_seq` on, oldest first."""
    q = (
        sa.select(audit_log)
        .where(audit_log.c.seq >= from_seq)
        .order_by(audit_log.c.seq)
        .limit(limit)
    )
    return [dict(r._mapping) for r in conn.execute(q)]


__all__ = [
    "GENESIS",
    "AuditCheck",
    "AuditNote",
    "entry_hash",
    "read_entries",
    "record",
    "verify_audit",
]
