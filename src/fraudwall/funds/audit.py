"""The audit trail of orders and returns: who decided what, when, on which figures (DESIGN §6).

Every decision about someone's money — a stop-payment issued, a bank's answer, a freeze,
a return plan, an objection heard — appends one `AuditEntry`. The trail is append-only
and keeps entries in the order they were made, so a reviewer can replay the reasoning;
the platform stores it with `to_records()` and may hash-chain the records.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import overload

from fraudwall.model import utc

#: A figure an entry was decided on: amounts in fen, ids, flags, or small lists/maps of them.
Figure = int | str | bool | None | list[int] | list[str] | dict[str, int]


class AuditAction(StrEnum):
    """What an entry records: one name per kind of decision, written by the part that decides
    it and read by whoever reviews or counts them (the store keeps the plain value)."""

    CASE_OPENED = "case_opened"
    REPORT_REFUSED = "report_refused"
    STOP_ISSUED = "stop_issued"
    STOP_SKIPPED = "stop_skipped"
    STOP_REFUSED = "stop_refused"
    STOP_EXECUTED = "stop_executed"
    STOP_MISMATCH = "stop_mismatch"
    STOP_NO_FUNDS = "stop_no_funds"
    STOP_LIFTED = "stop_lifted"
    STOP_CONVERTED = "stop_converted"
    STOP_EXPIRED = "stop_expired"
    FREEZE_EXECUTED = "freeze_executed"
    FREEZE_NO_FUNDS = "freeze_no_funds"
    FREEZE_RENEWED = "freeze_renewed"
    FREEZE_RELEASED = "freeze_released"
    FREEZE_EXPIRED = "freeze_expired"
    FREEZE_DRAWN = "freeze_drawn"
    RETURN_PLANNED = "return_planned"
    ENGINE_ALERT = "engine_alert"  # the engine stopped a payment into a case's account
    NOTICE_PUBLISHED = "notice_published"
    OBJECTION_RAISED = "objection_raised"
    OBJECTION_DISMISSED = "objection_dismissed"
    OBJECTION_UPHELD = "objection_upheld"
    RETURN_CAPPED = "return_capped"
    RETURN_EXECUTED = "return_executed"
    ROUND_EXECUTED = "round_executed"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One decision: at `ts` the `actor` did `action` to `subject` (an order, account or round).

    `detail` is the sentence a person reads; `figures` the numbers and ids it rests on,
    kept apart so that a machine can check them without parsing prose.
    """

    ts: int
    actor: str
    action: str
    subject: str
    detail: str
    figures: Mapping[str, Figure] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{utc(self.ts)} {self.actor} {self.action} {self.subject}: {self.detail}"


class AuditTrail(Sequence[AuditEntry]):
    """An append-only list of audit entries, in the order they were recorded.

    Entries can be read, iterated and filtered but never changed or removed; several
    order books and return processes may share one trail so a case reads as one story.
    """

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: list[AuditEntry] = []

    def record(
        self,
        ts: int,
        actor: str,
        action: AuditAction,
        subject: str,
        detail: str,
        **figures: Figure,
    ) -> AuditEntry:
        """Append one entry and return it (the action as its plain name, as stored)."""
        entry = AuditEntry(ts, actor, str(action), subject, detail, dict(figures))
        self._entries.append(entry)
        return entry

    def append(self, entry: AuditEntry) -> None:
        """Append an entry made elsewhere (e.g. restored from storage)."""
        self._entries.append(entry)

    @overload
    def __getitem__(self, index: int) -> AuditEntry: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[AuditEntry]: ...

    def __getitem__(self, index: int | slice) -> AuditEntry | Sequence[AuditEntry]:
        if isinstance(index, slice):
            return tuple(self._entries[index])
        return self._entries[index]

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[AuditEntry]:
        return iter(self._entries)

    def about(self, subject: str) -> list[AuditEntry]:
        """The entries about one subject, in order (an order's or an account's history)."""
        return [e for e in self._entries if e.subject == subject]

    def actions(self) -> list[str]:
        """The actions recorded, in order: a compact view of what happened, for tests and logs."""
        return [e.action for e in self._entries]

    def to_records(self) -> list[dict[str, object]]:
        """Plain dicts, one per entry with its position `seq`, for storage as JSON or rows."""
        return [
            {
                "seq": i,
                "ts": e.ts,
                "actor": e.actor,
                "action": e.action,
                "subject": e.subject,
                "detail": e.detail,
                "figures": dict(e.figures),
            }
            for i, e in enumerate(self._entries)
        ]
