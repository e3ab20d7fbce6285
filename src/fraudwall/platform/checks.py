"""Pre-transaction checks: decided together in micro-batches, answered one by one.

A bank asks before a transfer executes (a telco before it connects a call or delivers an
SMS): `check` answers with the engine's decision (action, score, rules, top features,
reason). Checks that arrive together are decided together, so the service keeps the
engine's vectorised speed: each waits in a queue (`CheckBatcher`), and one task takes
whatever has queued while the previous batch was being decided — no fixed wait, so a
lone check is answered at once and under load the batches grow — decides it in a worker
thread under the engine's lock (`ingest.admit`: each event once, none too late), stores
the events (status ``checked``) and decisions in one transaction, answers every request,
and then lets the engine absorb what its watermark has passed — under load once
`ABSORB_AT_LEAST` events are due, else after `idle_absorb_s` without a check.

A repeat of a checked event is answered with the first decision. The institution then
reports what happened (`report_outcome`); the engine absorbs the event with it once the
watermark passes it, or with the outcome its decision implies when none came.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import msgspec

from fraudwall.engine import decision_records
from fraudwall.errors import InputError
from fraudwall.model import Call, Decision, Event, Outcome, Sms, Transfer, from_json, utc
from fraudwall.platform import eventlog, scope
from fraudwall.platform.audit import AuditNote
from fraudwall.platform.auth import Principal
from fraudwall.platform.errors import Conflict, NotFound
from fraudwall.platform.ingest import Item, admit
from fraudwall.platform.schema import events

log = logging.getLogger("fraudwall.platform")

#: What may be checked, by its path (`POST /v1/check/{kind}`).
CHECKED_KINDS: Final[dict[str, type[Event]]] = {"transfer": Transfer, "call": Call, "sms": Sms}
#: The most checks decided together.
MAX_BATCH: Final = 4096
#: Under load, the engine absorbs checked events once this many are due (an absorbing
#: step costs about the same for 30 events as for 500), and whatever is due once no check
#: came for `ServeSettings.idle_absorb_s`.
ABSORB_AT_LEAST: Final = 512


@dataclass
class Checked:
    """A check's answer: its decision (the first one, for a repeat), or why it has none."""

    decision: Decision | None
    error: InputError | None = None
    repeat: bool = False


@dataclass
class _Waiting:
    item: Item
    future: asyncio.Future[Checked]


class CheckBatcher:
    """The queue of checks and the task that decides them (see the module doc); one per
    event loop, made by `batcher_for`."""

    def __init__(self, service: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.service = service
        self.loop = loop
        self.queue: asyncio.Queue[_Waiting] = asyncio.Queue()
        self.task = loop.create_task(self._run(), name="check-batcher")
        self.batches = 0  # taken from the queue so far (each as large as the load made it)
        self.taken = 0  # checks taken from the queue so far

    async def submit(self, item: Item) -> Checked:
        future: asyncio.Future[Checked] = self.loop.create_future()
        self.queue.put_nowait(_Waiting(item, future))
        return await future

    async def _run(self) -> None:
        idle_s = self.service.settings.idle_absorb_s
        while True:
            try:
                first = await asyncio.wait_for(self.queue.get(), idle_s or None)
            except TimeoutError:  # quiet: bring the engine up to its watermark
                await self.loop.run_in_executor(None, self._absorb, 1)
                first = await self.queue.get()
            waiting = [first]
            while len(waiting) < MAX_BATCH and not self.queue.empty():
                waiting.append(self.queue.get_nowait())
            self.batches += 1
            self.taken += len(waiting)
            await self.loop.run_in_executor(None, self._decide, waiting)

    def _decide(self, waiting: Sequence[_Waiting]) -> None:
        """In a worker thread: decide and store the batch, answer it, then absorb."""
        host = self.service.host
        items = [w.item for w in waiting]
        try:
            with host.lock:
                admitted = admit(self.service, items, eventlog.CHECKED, _audit_of, absorb=False)
            records = decision_records(admitted.decisions)
            answers = [
                Checked(None if a.at is None else records[a.at], a.error, a.repeat)
                for a in admitted.answers
            ]
        except Exception as exc:  # the database refused: every check of the batch is told
            self.loop.call_soon_threadsafe(_fail, waiting, exc)
            return
        self.loop.call_soon_threadsafe(_answer, waiting, answers)
        self._absorb(ABSORB_AT_LEAST)

    def _absorb(self, at_least: int) -> None:
        """In a worker thread: absorb what the watermark passed, once `at_least` is due."""
        try:
            with self.service.host.lock:
                self.service.host.absorb_ready(at_least)
        except Exception:  # the next use rebuilds the engine from the database (`recover`)
            log.exception("absorbing after checks failed")


def _answer(waiting: Sequence[_Waiting], answers: Sequence[Checked]) -> None:
    for w, answer in zip(waiting, answers, strict=True):
        if not w.future.done():
            w.future.set_result(answer)


def _fail(waiting: Sequence[_Waiting], exc: Exception) -> None:
    for w in waiting:
        if not w.future.done():
            w.future.set_exception(exc)


def _audit_of(stored: Sequence[Item]) -> list[tuple[Principal, list[AuditNote]]]:
    """One entry per check stored, under each caller's key."""
    by_key: dict[str, tuple[Principal, list[AuditNote]]] = {}
    for item in stored:
        who = item.who
        note = AuditNote(f"checks.{item.record.table}", item.record.event_id)
        by_key.setdefault(who.key_id, (who, []))[1].append(note)
    return list(by_key.values())


def batcher_for(service: Any) -> CheckBatcher:
    """The service's batcher on the running event loop (made on first use)."""
    loop = asyncio.get_running_loop()
    batcher: CheckBatcher | None = service.host.check_batcher
    if batcher is None or batcher.loop is not loop or batcher.task.done():
        batcher = service.host.check_batcher = CheckBatcher(service, loop)
    return batcher


def check_item(service: Any, who: Principal, record: Event) -> Item:
    """A record to check, in the caller's name (refused when it is not theirs)."""
    scope.check_speaks_for(who, record.institution_id)
    row = eventlog.event_row(record, who.agency_id, eventlog.CHECKED, service.now())
    return Item(who, record, row, 1)


def read_check(kind: str, body: bytes) -> Event:
    """One record to check, from its JSON (`RecordError` naming the field)."""
    cls = CHECKED_KINDS[kind]
    try:
        return from_json(cls, body)
    except msgspec.DecodeError as exc:
        raise InputError("body", f"not valid JSON: {exc}") from None


async def check(service: Any, who: Principal, record: Event) -> Decision:
    """The decision for one transfer, call or SMS (see the module doc)."""
    answer = await batcher_for(service).submit(check_item(service, who, record))
    return decision_of(answer)


def decision_of(answer: Checked) -> Decision:
    if answer.error is not None:
        raise answer.error
    if answer.decision is None:  # pragma: no cover - checked kinds are always decided
        raise InputError("event_id", "was accepted without a decision")
    return answer.decision


# --- outcomes -----------------------------------------------------------------------------------
class OutcomeOut(msgspec.Struct):
    """A check's outcome as stored: reported by the institution, or assumed when the
    engine absorbed it first; `absorbed_ts` once absorbed; `changed` whether this report
    changed anything."""

    event_id: str
    outcome: str | None
    outcome_source: str | None
    absorbed_ts: int | None
    changed: bool


def report_outcome(service: Any, who: Principal, event_id: str, outcome: Outcome) -> OutcomeOut:
    """Store what happened to a checked event (the institution that checked it says so):
    the same report again changes nothing; another one, or one after the engine absorbed
    the event, is a conflict naming what was stored. Runs in a worker thread."""
    host = service.host
    with host.lock:
        stored = _store_outcome(service, who, event_id, outcome.value)
        if stored.changed:
            host.set_outcome(event_id, outcome.value)
    return stored


def _store_outcome(service: Any, who: Principal, event_id: str, value: str) -> OutcomeOut:
    with service.db.writing() as conn:
        row = eventlog.event_by_id(conn, event_id)
        if row is None or not scope.sees(who, row.institution_id):
            raise NotFound("event_id", f"no checked event {event_id!r}")
        scope.check_speaks_for(who, row.institution_id)
        if row.status != eventlog.CHECKED:
            raise Conflict(
                "event_id",
                f"{event_id!r} was sent as an event that happened, not checked: it is "
                "absorbed as executed, as recorded",
            )
        if row.outcome_source == eventlog.REPORTED:
            if row.outcome == value:
                return OutcomeOut(event_id, row.outcome, row.outcome_source, row.absorbed_ts, False)
            raise Conflict(
                "outcome",
                f"{event_id!r} was reported {row.outcome} already; it cannot become {value}",
            )
        if row.absorbed_ts is not None:
            raise Conflict(
                "outcome",
                f"the engine absorbed {event_id!r} at {utc(row.absorbed_ts)} as {row.outcome} "
                f"({row.outcome_source}: no outcome was reported within the reorder window)",
            )
        conn.execute(
            events.update()
            .where(events.c.event_id == event_id)
            .values(outcome=value, outcome_source=eventlog.REPORTED)
        )
        note = AuditNote("checks.outcome", event_id, {"outcome": None}, {"outcome": value})
        service.audit(conn, who, [note])
    return OutcomeOut(event_id, value, eventlog.REPORTED, None, True)


__all__ = [
    "CHECKED_KINDS",
    "MAX_BATCH",
    "CheckBatcher",
    "Checked",
    "OutcomeOut",
    "batcher_for",
    "check",
    "check_item",
    "decision_of",
    "read_check",
    "report_outcome",
]
