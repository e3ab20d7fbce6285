"""Events in: transfers, calls, SMS, app installs, URL visits and logins, each taken once.

A batch arrives as one JSON record, NDJSON (one record a line) or an Arrow IPC stream
(`parse_body`). Each record is checked on its own (`model` rules: the error names the
field and the line), and in order:

1. the caller speaks for its `institution_id` (`scope.check_speaks_for`);
2. one record per `event_id` (`admit`): a repeat within the batch or of a stored event
   that is identical is answered with the first one's decision and changes nothing; one
   with other content is refused, naming what differs;
3. it is not too late: an event at or before the engine's watermark (`enginehost`) would
   have to be absorbed in the past; nor too far ahead of the service's clock
   (`FUTURE_SKEW_MS`: one event from the future would move the watermark past everything
   sent after it).

The good records are decided together (`Engine.decide`, no state change), then stored with
their decisions and one audit entry in one transaction (its commit acknowledges them),
then the engine absorbs what its watermark has passed. `store_history` loads recorded
history in bulk instead (a simulated world's): decided and absorbed at once.

Checks (`checks`) go through the same `admit`, a micro-batch at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from fraudwall.engine import DECISION_SCHEMA, decision_records, time_batches
from fraudwall.errors import InputError
from fraudwall.model import (
    BY_TABLE,
    EVENT_TABLES,
    MINUTE_MS,
    AppInstall,
    Call,
    Decision,
    Event,
    Login,
    RecordError,
    Sms,
    Transfer,
    UrlVisit,
    from_json,
    split_table,
    utc,
)
from fraudwall.model.units import EARLIEST_MS, LATEST_MS
from fraudwall.platform import arrowjson, bulkinsert, eventlog, scope
from fraudwall.platform.audit import AuditNote
from fraudwall.platform.auth import SYSTEM, Principal
from fraudwall.platform.enginehost import store_warnings, write_watermark
from fraudwall.platform.errors import Conflict, TooLarge
from fraudwall.platform.schema import decisions as decisions_table
from fraudwall.platform.schema import events

#: The kinds of events streamed in, by their path (`POST /v1/events/{kind}`).
STREAMED: Final[dict[str, type[Event]]] = {
    "transfers": Transfer,
    "calls": Call,
    "sms": Sms,
    "app_installs": AppInstall,
    "url_visits": UrlVisit,
    "logins": Login,
}
JSON: Final = "application/json"
NDJSON: Final = "application/x-ndjson"
ARROW: Final = "application/vnd.apache.arrow.stream"
CONTENT_TYPES: Final = (JSON, NDJSON, ARROW)
#: How far ahead of the service's clock an event may be (clocks differ a little).
FUTURE_SKEW_MS: Final = 10 * MINUTE_MS


class Rejected(msgspec.Struct, frozen=True):
    """A record set apart: its 1-based line (row of an Arrow stream), its event id when it
    could be read, the field and the problem."""

    line: int
    event_id: str | None
    where: str
    problem: str


@dataclass
class Parsed:
    """A batch as read: the records that fit their type, with their lines, and the rest."""

    kind: str
    records: list[Event] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.records) + len(self.rejected)


# --- reading a body ---------------------------------------------------------------------------
def media_type(content_type: str | None) -> str:
    return (content_type or JSON).split(";", 1)[0].strip().lower()


def parse_body(kind: str, content_type: str | None, body: bytes, max_events: int) -> Parsed:
    """Read a batch of `kind` in the form its content type says (see the module doc)."""
    cls = STREAMED[kind]
    form = media_type(content_type)
    if form == NDJSON:
        return parse_ndjson(kind, cls, body, max_events)
    if form == ARROW:
        return parse_arrow(kind, cls, body, max_events)
    if form == JSON or form.endswith("+json"):
        return parse_lines(kind, cls, [body.strip()], [1])
    raise InputError(
        "Content-Type",
        f"{form!r} is not a form of events this service reads",
        hint=f"send one of {', '.join(CONTENT_TYPES)}",
    )


def parse_ndjson(kind: str, cls: type[Event], body: bytes, max_events: int) -> Parsed:
    lines = body.split(b"\n")
    numbers = [i for i, line in enumerate(lines, 1) if line.strip()]
    if len(numbers) > max_events:
        raise TooLarge("body", f"{len(numbers)} events: a batch holds at most {max_events}")
    return parse_lines(kind, cls, [lines[i - 1] for i in numbers], numbers)


def parse_lines(
    kind: str, cls: type[Event], texts: Sequence[bytes], numbers: Sequence[int]
) -> Parsed:
    """Each text one JSON record; a bad one is rejected naming its field and line."""
    decoder = msgspec.json.Decoder(cls)
    out = Parsed(kind)
    for number, text in zip(numbers, texts, strict=True):
        try:
            record = decoder.decode(text)
        except msgspec.ValidationError:
            out.rejected.append(_rejected_text(cls, text, number))
            continue
        except msgspec.DecodeError as exc:
            out.rejected.append(Rejected(number, None, "record", f"not valid JSON: {exc}"))
            continue
        out.records.append(record)
        out.lines.append(number)
    # times in another unit (the decoder checks only the bounds): worded as the model does
    ts = np.fromiter((r.ts for r in out.records), np.int64, len(out.records))
    odd = np.flatnonzero((ts > 0) & ((ts < EARLIEST_MS) | (ts > LATEST_MS)))
    if len(odd):
        text_of = dict(zip(numbers, texts, strict=True))  # not numbers.index: n bad times
        for k in odd.tolist():
            at = out.lines[k]
            out.rejected.append(_rejected_text(cls, text_of[at], at))
        keep = np.ones(len(out.records), bool)
        keep[odd] = False
        out.records = [r for r, k in zip(out.records, keep, strict=True) if k]
        out.lines = [n for n, k in zip(out.lines, keep, strict=True) if k]
        out.rejected.sort(key=lambda r: r.line)
    return out


def _rejected_text(cls: type[Event], text: bytes, number: int) -> Rejected:
    """The model's own wording of what is wrong with a record's JSON."""
    event_id = _event_id_in(text)
    try:
        from_json(cls, text)
    except RecordError as exc:
        return Rejected(number, event_id, exc.field, exc.problem)
    except (msgspec.DecodeError, ValueError) as exc:
        return Rejected(number, event_id, "record", f"not valid JSON: {exc}")
    return Rejected(number, event_id, "record", "not a valid record")  # pragma: no cover


class _Id(msgspec.Struct):
    event_id: str | None = None


def _event_id_in(text: bytes) -> str | None:
    try:
        return msgspec.json.decode(text, type=_Id).event_id
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def parse_arrow(kind: str, cls: type[Event], body: bytes, max_events: int) -> Parsed:
    """An Arrow IPC stream of `kind` records, checked column by column (`split_table`)."""
    try:
        table = pa.ipc.open_stream(pa.BufferReader(body)).read_all()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
        raise InputError("body", f"not an Arrow IPC stream: {exc}") from None
    if table.num_rows > max_events:
        raise TooLarge("body", f"{table.num_rows} events: a batch holds at most {max_events}")
    split = split_table(cls, table)
    out = Parsed(kind)
    if split.rejected.num_rows:
        reasons = split.rejected[split.rejected.column_names[-1]].to_pylist()
        ids = _ids_of(table, split.rejected_rows)
        for row, event_id, reason in zip(split.rejected_rows.tolist(), ids, reasons, strict=True):
            where, _, problem = str(reason).partition(": ")
            out.rejected.append(Rejected(row + 1, event_id, where, problem))
    out.records = [msgspec.convert(r, cls) for r in split.accepted.to_pylist()]
    out.lines = (split.accepted_rows + 1).tolist()
    return out


def _ids_of(table: pa.Table, rows: np.ndarray) -> list[str | None]:
    """The event ids of some rows as text, where the column has them (None where not)."""
    if "event_id" in table.column_names:
        try:
            ids = table["event_id"].take(pa.array(rows)).cast(pa.string(), safe=False)
            return list(ids.to_pylist())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            pass
    return [None] * len(rows)


# --- taking records once ----------------------------------------------------------------------
@dataclass(slots=True)
class Item:
    """One record offered to `admit`, by whom, and its events-table row."""

    who: Principal
    record: Event
    row: dict[str, Any]
    line: int = 0


@dataclass(slots=True)
class Answer:
    """What `admit` did with one item: stored (and decided), answered by an earlier record
    of its event id (`repeat`), or refused (`error`); `at`: the row of its decision in
    `Admitted.decisions` (None for the kinds that are not decided)."""

    at: int | None = None
    repeat: bool = False
    stored: bool = False
    error: InputError | None = None


@dataclass
class Admitted:
    """What `admit` did with each item, and the decisions it answered with: those of the
    records it stored, then the earlier ones that answered repeats."""

    answers: list[Answer]
    decisions: pa.Table

    def decision(self, i: int) -> Decision | None:
        at = self.answers[i].at
        return None if at is None else decision_records(self.decisions.slice(at, 1))[0]


def _differing(a: Event, b: Event) -> str:
    if type(a) is not type(b):
        return f"it was a {b.table} event"
    x, y = msgspec.structs.asdict(a), msgspec.structs.asdict(b)
    return ", ".join(k for k in x if x[k] != y[k] and k != "event_id")


#: The audit entries of the items a batch stores, per caller.
AuditOf = Callable[[Sequence[Item]], list[tuple[Principal, list[AuditNote]]]]


def admit(
    service: Any, items: Sequence[Item], status: str, audit_of: AuditOf, *, absorb: bool = True
) -> Admitted:
    """Take each item's record once (see the module doc), decide the new ones together,
    store them with their decisions and their audit entries (`audit_of` the items stored)
    in one transaction, and (`absorb`) absorb what the watermark passed. Hold
    `service.host.lock`."""
    host = service.host
    answers = [Answer() for _ in items]
    ids = [item.record.event_id for item in items]
    with service.db.reading() as conn:
        digests = eventlog.stored_digests(conn, list(dict.fromkeys(ids)))
        same: set[str] = set()
        differ: set[str] = set()
        for e, item in zip(ids, items, strict=True):
            if e in digests:
                (same if digests[e] == item.row["digest"] else differ).add(e)
        other = eventlog.stored_events(conn, sorted(differ))
        earlier = eventlog.stored_decision_table(conn, sorted(same))
    # each on its own: a repeat of what is stored, or not too late nor too early
    watermark, latest = host.watermark, service.now() + FUTURE_SKEW_MS
    candidates: list[int] = []
    for i, item in enumerate(items):
        record = item.record
        known = digests.get(record.event_id)
        if known is not None:
            if known == item.row["digest"]:
                answers[i].repeat = True
                continue
            differs = _differing(record, eventlog.record_of_row(other[record.event_id]))
            answers[i].error = Conflict(
                "event_id",
                f"{record.event_id!r} already accepted with other content (differs in: {differs})",
                hint="a corrected event needs a new event_id",
            )
        elif record.ts <= watermark:
            answers[i].error = InputError(
                "ts",
                f"{record.ts} ({utc(record.ts)}) arrives after the engine absorbed up to "
                f"{watermark} ({utc(watermark)}); events may be at most the reorder window "
                f"({service.settings.reorder_window_ms // 1000} s) late",
            )
        elif record.ts > latest:
            answers[i].error = InputError(
                "ts",
                f"{record.ts} ({utc(record.ts)}) is more than {FUTURE_SKEW_MS // MINUTE_MS} "
                f"minutes ahead of the service's clock ({utc(service.now())})",
            )
        else:
            candidates.append(i)
    # among the rest, one record per event id: a record refused on its own never counts,
    # so the answer does not depend on what else a batch holds
    same_as = _repeats_within(items, candidates, answers)
    new = [i for i in candidates if i not in same_as and answers[i].error is None]
    # decide the new ones together, store them, absorb
    decided = DECISION_SCHEMA.empty_table()
    if new:
        tables = _tables_of([items[i] for i in new])
        decided = host.decide(tables)
        if (metrics := getattr(service, "metrics", None)) is not None:  # ops: decisions by action
            metrics.count_decision_table(decided)
        checked = status == eventlog.CHECKED
        checks = {items[i].record.event_id: None for i in new} if checked else None
        rows = [items[i].row for i in new]
        outcome, source = (None, None) if checked else ("executed", eventlog.RECORDED)
        for row in rows:
            row["status"], row["outcome"], row["outcome_source"] = status, outcome, source
            row["absorbed_ts"] = row["absorbed_upto"] = None

        def store(conn: sa.Connection, upto: int, now: int) -> None:
            for row in rows:
                if row["ts"] <= upto:
                    row["absorbed_ts"], row["absorbed_upto"] = now, upto
            bulkinsert.insert_rows(conn, events, rows)
            bulkinsert.insert_table(conn, decisions_table, decided)
            for who, notes in audit_of([items[i] for i in new]):
                service.audit(conn, who, notes)

        if absorb:
            host.accept_and_absorb(tables, decided, store)
        else:
            with service.db.writing() as conn:
                store(conn, host.watermark, service.now())
            host.accepted(tables, decided, checks)
        for i in new:
            answers[i].stored = True
    # where each answer's decision is
    row_of = {e: k for k, e in enumerate(decided["event_id"].to_pylist())}
    n = len(row_of)
    row_of.update({e: n + k for k, e in enumerate(earlier["event_id"].to_pylist())})
    for i, answer in enumerate(answers):
        if answer.stored or answer.repeat:
            answer.at = row_of.get(items[i].record.event_id)
    for i, j in same_as.items():
        answers[i].repeat = answers[j].error is None
        answers[i].at, answers[i].error = answers[j].at, answers[j].error
    return Admitted(answers, pa.concat_tables([decided, earlier]))


def _repeats_within(
    items: Sequence[Item], among: Sequence[int], answers: list[Answer]
) -> dict[int, int]:
    """Repeats of an event id among the items `among`: the first record is the earliest
    by ts, then by position (`model.find_repeats`' rule); an identical repeat is answered
    as that one (returned: repeat -> first), another is refused naming what differs."""
    seen: dict[str, int] = {}
    repeated: set[str] = set()
    for i in among:
        if seen.setdefault(items[i].record.event_id, i) != i:
            repeated.add(items[i].record.event_id)
    if not repeated:
        return {}
    positions: dict[str, list[int]] = {}
    for i in among:
        if items[i].record.event_id in repeated:
            positions.setdefault(items[i].record.event_id, []).append(i)
    same_as: dict[int, int] = {}
    for found in positions.values():
        j = min(found, key=lambda k: (items[k].record.ts, k))
        for i in found:
            if i == j:
                continue
            if items[i].row["digest"] == items[j].row["digest"]:
                same_as[i] = j
            else:
                differs = _differing(items[i].record, items[j].record)
                line = items[j].line or j + 1
                answers[i].error = Conflict(
                    "event_id", f"conflicts with line {line} of this batch ({differs} differs)"
                )
    return same_as


def _tables_of(items: Sequence[Item]) -> dict[str, pa.Table]:
    """The items' records as the engine takes them: a table per kind."""
    records: dict[str, list[Event]] = {}
    for item in items:
        records.setdefault(item.record.table, []).append(item.record)
    return {kind: eventlog.table_of(kind, found) for kind, found in records.items()}


# --- a batch streamed in ------------------------------------------------------------------------
class IngestResult:
    """What a batch did: records stored (`accepted`), repeats answered with their first
    decision, records refused, and the decision of every transfer, call and SMS stored or
    repeated, in line order (a `model.Decision` table: `decision_list` as records)."""

    def __init__(
        self, accepted: int, repeats: int, rejected: list[Rejected], decisions: pa.Table
    ) -> None:
        self.accepted = accepted
        self.repeats = repeats
        self.rejected = rejected
        self.decisions = decisions

    def decision_list(self) -> list[Decision]:
        return decision_records(self.decisions)

    def json_fields(self) -> bytes:
        """The result as the members of a JSON object (no braces), quickly."""
        rejected = _encoder.encode(self.rejected)
        decisions = arrowjson.json_array(arrowjson.json_objects(self.decisions))
        return b'"accepted":%d,"repeats":%d,"rejected":%s,"decisions":%s' % (
            self.accepted,
            self.repeats,
            rejected,
            decisions,
        )

    def to_json(self) -> bytes:
        return b"{" + self.json_fields() + b"}"


class IngestResultSchema(msgspec.Struct):
    """`IngestResult`'s JSON (for the OpenAPI description)."""

    accepted: int
    repeats: int
    rejected: list[Rejected]
    decisions: list[Decision]


_encoder = msgspec.json.Encoder()


def ingest(service: Any, who: Principal, parsed: Parsed) -> IngestResult:
    """Take a parsed batch (see the module doc). Runs in a worker thread."""
    rejected = list(parsed.rejected)
    items: list[Item] = []
    now = service.now()
    speaks_for: dict[str, InputError | None] = {}
    for record, line in zip(parsed.records, parsed.lines, strict=True):
        institution = record.institution_id
        if institution not in speaks_for:
            try:
                scope.check_speaks_for(who, institution)
                speaks_for[institution] = None
            except InputError as exc:
                speaks_for[institution] = exc
        refused = speaks_for[institution]
        if refused is not None:
            rejected.append(Rejected(line, record.event_id, refused.where, refused.problem))
            continue
        row = eventlog.event_row(record, who.agency_id, eventlog.ACCEPTED, now)
        items.append(Item(who, record, row, line))
    accepted = repeats = 0
    decided = DECISION_SCHEMA.empty_table()
    if items:

        def audit_of(stored: Sequence[Item]) -> list[tuple[Principal, list[AuditNote]]]:
            first, last = stored[0].record.event_id, stored[-1].record.event_id
            subject = f"{parsed.kind} {len(stored)} {first}..{last}"
            return [(who, [AuditNote("events.ingest", subject)])]

        with service.host.lock:
            admitted = admit(service, items, eventlog.ACCEPTED, audit_of)
        order: list[int] = []
        for item, answer in zip(items, admitted.answers, strict=True):
            if answer.error is not None:
                error = answer.error
                rejected.append(
                    Rejected(item.line, item.record.event_id, error.where, error.problem)
                )
                continue
            accepted += answer.stored
            repeats += answer.repeat
            if answer.at is not None:
                order.append(answer.at)
        decided = admitted.decisions.take(pa.array(order, pa.int64()))
    rejected.sort(key=lambda r: r.line)
    if (metrics := getattr(service, "metrics", None)) is not None:  # ops: ingest counters
        metrics.count_ingest(parsed.kind, accepted=accepted, rejected=len(rejected))
    return IngestResult(accepted, repeats, rejected, decided)


# --- recorded history, in bulk -------------------------------------------------------------------
class HistoryLoaded(msgspec.Struct):
    """What `store_history` stored: events (and those already stored, skipped), decisions,
    warning tasks, the absorbing steps, and the watermark after them."""

    events: int
    skipped: int
    decisions: int
    warnings: int
    steps: int
    watermark: int


ENTITY_TABLES: Final = ("people", "accounts", "phones", "devices")


def store_history(
    service: Any,
    tables: Mapping[str, pa.Table],
    *,
    agency_id: str = "history",
    batch_events: int = 100_000,
    progress: Callable[[float], None] | None = None,
) -> HistoryLoaded:
    """Load recorded history into the service: decided and absorbed at once, and stored.

    `tables` holds any of the event tables (`model.EVENT_TABLES`: transfers, calls, sms,
    app_installs, url_visits, logins, reports) in the model's schemas, e.g. a simulated
    world's, and may hold its entity tables (people, accounts, phones, devices), which the
    engine learns first. (The database's registry of institutions, accounts and phones is
    written by `registry.put_table`, not here.) Every record is checked as the model says;
    a bad one is an `InputError` naming its table, row and field, and nothing is stored.

    Events already stored (by event_id) are skipped, so loading the same history twice
    stores it once; the rest must all come after every stored event. The history is cut
    into time slices of about `batch_events` (`engine.time_batches`); each slice is
    decided and absorbed as recorded (`Engine.process`: every event happened) and stored
    as one absorbing step in one transaction: its events (accepted, outcome executed as
    recorded, absorbed, `agency_id` as their sender), their decisions, the warning tasks
    that followed, one audit entry (`history.load`) and the watermark moved to the slice's
    newest time. A crash part way keeps the slices committed; loading again adds the rest.
    Runs in the calling thread and holds the engine's lock for each slice; `progress` is
    told the share of the events stored after each slice."""
    host = service.host
    present: dict[str, pa.Table] = {}
    for name in EVENT_TABLES:
        if name in tables and tables[name].num_rows:
            present[name] = _checked_history(name, tables[name])
    entities = {n: tables[n] for n in ENTITY_TABLES if n in tables and tables[n].num_rows}
    ids = [i for t in present.values() for i in t["event_id"].to_pylist()]
    with service.db.reading() as conn:
        stored = set(eventlog.stored_digests(conn, ids))
    skipped = 0
    if stored:
        for name, table in list(present.items()):
            keep = pc.invert(pc.is_in(table["event_id"], value_set=pa.array(sorted(stored))))
            kept = table.filter(keep)
            skipped += table.num_rows - kept.num_rows
            present[name] = kept
    present = {n: eventlog.in_time_order(t) for n, t in present.items() if t.num_rows}
    loaded = HistoryLoaded(0, skipped, 0, 0, 0, host.watermark)
    with host.lock:
        host.recover()
        if entities:
            host.load_registry(entities)
    if not present:
        return loaded
    oldest = min(int(pc.min(t["ts"]).as_py()) for t in present.values())
    with host.lock:
        after = max(host.watermark, host.newest)
    if oldest <= after:
        raise InputError(
            "history",
            f"it starts at {oldest} ({utc(oldest)}), not after every event the service "
            f"holds (up to {after}, {utc(after)})",
            hint="load history into a service before events are streamed to it",
        )
    total = sum(t.num_rows for t in present.values())
    for batch in time_batches(present, batch_events):
        with host.lock:
            _store_slice(service, batch.tables, agency_id, loaded)
        if progress is not None:
            progress(loaded.events / total)
    return loaded


def _checked_history(name: str, table: pa.Table) -> pa.Table:
    cls = STREAMED.get(name) or BY_TABLE[name]
    split = split_table(cls, table)
    if split.rejected.num_rows:
        row = int(split.rejected_rows[0])
        reason = str(split.rejected[split.rejected.column_names[-1]][0].as_py())
        where, _, problem = reason.partition(": ")
        more = split.rejected.num_rows - 1
        raise InputError(
            f"{name} row {row + 1}: {where}",
            problem + (f" (and {more} more rows)" if more else ""),
        )
    return split.accepted


def _store_slice(
    service: Any, tables: Mapping[str, pa.Table], agency_id: str, loaded: HistoryLoaded
) -> None:
    """Decide and absorb one slice of history and store it as one step (hold the lock)."""
    host = service.host
    present = {n: t for n, t in tables.items() if t.num_rows}
    if not present:
        return
    upto = max(int(pc.max(t["ts"]).as_py()) for t in present.values())
    decided, warned = host.process_history(present)
    now = service.now()
    rows: list[dict[str, Any]] = []
    for name, table in present.items():
        cls = BY_TABLE[name]
        for values in table.to_pylist():
            record = msgspec.convert(values, cls)
            assert isinstance(record, Event)
            row = eventlog.event_row(record, agency_id, eventlog.ACCEPTED, now)
            row.update(outcome="executed", outcome_source=eventlog.RECORDED)
            row.update(absorbed_ts=now, absorbed_upto=upto)
            rows.append(row)
    with service.db.writing() as conn:
        bulkinsert.insert_rows(conn, events, rows)
        bulkinsert.insert_table(conn, decisions_table, decided)
        new_warnings = store_warnings(conn, warned, present) if warned.num_rows else 0
        watermark = max(host.watermark, upto)
        write_watermark(conn, watermark)
        subject = f"{len(rows)} events {utc(min(r['ts'] for r in rows))}..{utc(upto)}"
        service.audit(conn, SYSTEM, [AuditNote("history.load", subject)])
    host.stale = False
    host.watermark = watermark
    host.newest = max(host.newest, upto)
    loaded.events += len(rows)
    loaded.decisions += decided.num_rows
    loaded.warnings += new_warnings
    loaded.steps += 1
    loaded.watermark = watermark
