"""The engine inside the service: one `engine.Engine` in memory, used by one thread at a time.

Deciding (checks, ingest) never changes the engine's state; absorbing does, in time order,
up to a **watermark**: the newest accepted event's time less `reorder_window_ms`. Events
may arrive that much out of order, and a check's outcome is awaited that long; an event
at or before the watermark is refused as too late (the engine has moved past it).

Each absorbing step (`absorb_ready`) takes the accepted events with
watermark_old < ts <= watermark_new, in time order, with the decisions they were given
and what happened to them (`engine.Outcomes`): a streamed event happened as recorded; a
check happened as its institution reported, or, when no report came in time, as its
decision implies (allow / warn / delay: executed; hold: held; block: blocked), stored as
`assumed`. In one transaction it stores the warning tasks the engine issued (with the
institution that is to send each), marks the events absorbed (`absorbed_ts`, and the
step's watermark in `absorbed_upto`) and moves the `meta` row ``engine_watermark``: every
stored event at or before it has been absorbed.

The engine's state is snapshotted (`Engine.snapshot`, written whole) on shutdown and every
`snapshot_interval_s`, under the lock, so a snapshot holds exactly the steps committed
before it; its newest absorbed time (`EngineState.clock`) says where it stands. On start
the snapshot is restored and every step stored after it is absorbed again, as it was
taken (grouped by `absorbed_upto`, with the stored decisions and outcomes): an event
acknowledged before a crash is never lost from the engine. Without a usable snapshot (none,
another rule set or model, newer than the database) the engine is rebuilt from every step
stored. When a step's transaction fails after the engine absorbed it, the engine is rebuilt
the same way before it is used again (it would otherwise hold events the database does not
say it absorbed).

The engine learns the registry (accounts, phone numbers, and people and devices where the
database has them) on start, and an account or number it has no registry entry for when a
batch names it (`registry_changed` forgets which ones the registry did not hold).

Callers hold `lock` around `decide`, `accepted`, `absorb_ready` and `set_outcome`; engine
calls run in worker threads, never on the event loop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from fraudwall.engine import (
    DECISION_SCHEMA,
    Engine,
    EngineModel,
    Outcomes,
    RuleSet,
    default_rules,
)
from fraudwall.errors import InputError
from fraudwall.intel import risklists
from fraudwall.intel.shipped import shipped_engine
from fraudwall.model import (
    Account,
    Device,
    Outcome,
    Person,
    Phone,
    Record,
    TextScorer,
    WarningChannel,
    WarningTask,
    arrow_schema,
)
from fraudwall.platform import bulkinsert, eventlog
from fraudwall.platform.schema import (
    decisions,
    events,
    meta,
    metadata,
    phones,
    warning_tasks,
    warnings,
)

if TYPE_CHECKING:
    from fraudwall.platform.checks import CheckBatcher
    from fraudwall.platform.service import Service

log = logging.getLogger("fraudwall.platform")

WATERMARK_KEY: Final = "engine_watermark"
"""The `meta` row: the time (ms) up to which every stored event has been absorbed."""
NO_WATERMARK: Final = -1
DECIDED_KINDS: Final = ("transfers", "calls", "sms")
#: Registry tables the engine learns from, their type and key.
REGISTRY_TABLES: Final[tuple[tuple[str, type[Record], str], ...]] = (
    ("people", Person, "person_id"),
    ("accounts", Account, "account_id"),
    ("phones", Phone, "number"),
    ("devices", Device, "device_id"),
)
#: Where each batch names accounts and phone numbers (looked up in the registry).
_NAMED: Final = {
    "accounts": (("transfers", "from_account"), ("transfers", "to_account"),
                 ("logins", "account_id")),
    "phones": (("calls", "caller"), ("calls", "callee"), ("sms", "sender"),
               ("sms", "receiver")),
}  # fmt: skip
_FORGET_AFTER: Final = 1_000_000  # ids remembered as (not) in the registry, at most
_FEW: Final = 256  # events in a batch small enough to check its keys one by one
_EXECUTED: Final = Outcome.EXECUTED.value


def read_watermark(conn: sa.Connection) -> int:
    value = conn.execute(sa.select(meta.c.value).where(meta.c.key == WATERMARK_KEY)).scalar()
    return int(value) if isinstance(value, int | float) else NO_WATERMARK


def write_watermark(conn: sa.Connection, value: int) -> None:
    updated = conn.execute(meta.update().where(meta.c.key == WATERMARK_KEY).values(value=value))
    if updated.rowcount == 0:
        conn.execute(meta.insert(), [{"key": WATERMARK_KEY, "value": value}])


@dataclass
class Step:
    """One absorbing step: events up to `upto`, in time order, their decisions and outcomes."""

    upto: int
    tables: dict[str, pa.Table]
    decisions: pa.Table
    outcomes: pa.Array  # one per row of `decisions`
    assumed: dict[str, str] = field(default_factory=dict)  # checks: event_id -> outcome

    @property
    def size(self) -> int:
        return sum(t.num_rows for t in self.tables.values())


@dataclass(frozen=True)
class _Part:
    """The events one batch added to `Pending`, with their decisions and times."""

    oldest: int
    newest: int
    tables: dict[str, pa.Table]
    decisions: pa.Table

    @property
    def size(self) -> int:
        return sum(t.num_rows for t in self.tables.values())

    def split(self, upto: int) -> tuple[_Part | None, _Part | None]:
        """(what is at or before `upto`, what is after)."""
        if self.newest <= upto:
            return self, None
        if self.oldest > upto:
            return None, self
        due, rest = {}, {}
        for kind, table in self.tables.items():
            at = pc.less_equal(table["ts"], upto)
            due[kind], rest[kind] = table.filter(at), table.filter(pc.invert(at))
        at = pc.less_equal(self.decisions["ts"], upto)
        return (
            _part(due, self.decisions.filter(at)),
            _part(rest, self.decisions.filter(pc.invert(at))),
        )


def _part(tables: Mapping[str, pa.Table], decided: pa.Table) -> _Part | None:
    present = {k: t for k, t in tables.items() if t.num_rows}
    if not present:
        return None
    oldest = min(int(pc.min(t["ts"]).as_py()) for t in present.values())
    newest = max(int(pc.max(t["ts"]).as_py()) for t in present.values())
    return _Part(oldest, newest, present, decided)


Saved = tuple[list[_Part], dict[str, str | None]]


@dataclass
class Pending:
    """Events accepted and not absorbed yet (ts above the watermark), as the engine will
    take them, with their decisions; checks with the outcome reported so far (None: none).
    Kept as the batches added them, each with its time span, so that a step touches only
    the batches the watermark reached (checks arrive a few at a time, all the time)."""

    parts: list[_Part] = field(default_factory=list)
    checks: dict[str, str | None] = field(default_factory=dict)

    def add(
        self,
        tables: Mapping[str, pa.Table],
        decided: pa.Table,
        checks: Mapping[str, str | None] | None = None,
    ) -> None:
        part = _part(tables, decided)
        if part is not None:
            self.parts.append(part)
        self.checks.update(checks or {})

    def __len__(self) -> int:
        return sum(t.num_rows for p in self.parts for t in p.tables.values())

    def due(self, upto: int) -> int:
        """How many events of whole batches lie at or before `upto` (a lower bound of what
        `ready` would take; cheap: no table is read)."""
        return sum(p.size for p in self.parts if p.newest <= upto)

    @property
    def oldest(self) -> int | None:
        return min((p.oldest for p in self.parts), default=None)

    def saved(self) -> Saved:
        """What `restore` needs to undo what follows (parts never change)."""
        return list(self.parts), dict(self.checks)

    def restore(self, saved: Saved) -> None:
        self.parts, self.checks = list(saved[0]), dict(saved[1])

    def ready(self, upto: int) -> Step:
        """The events at or before `upto`, in time order (left in place until `drop`)."""
        due = [d for d, _ in (p.split(upto) for p in self.parts if p.oldest <= upto) if d]
        by_kind: dict[str, list[pa.Table]] = {}
        for part in due:
            for kind, table in part.tables.items():
                by_kind.setdefault(kind, []).append(table)
        tables = {k: eventlog.in_time_order(_concat(v)) for k, v in by_kind.items()}
        decided = [p.decisions for p in due if p.decisions.num_rows]
        due_decisions = _concat(decided) if decided else DECISION_SCHEMA.empty_table()
        outcomes = _repeat(_EXECUTED, due_decisions.num_rows)
        assumed: dict[str, str] = {}
        if self.checks and due_decisions.num_rows:
            ids = due_decisions["event_id"].to_pylist()
            actions = due_decisions["action"].to_pylist()
            names = []
            for event_id, action in zip(ids, actions, strict=True):
                if event_id not in self.checks:
                    names.append(_EXECUTED)
                    continue
                reported = self.checks[event_id]
                if reported is None:
                    reported = assumed[event_id] = eventlog.IMPLIED_OUTCOME[action]
                names.append(reported)
            outcomes = pa.array(names, pa.string())
        return Step(upto, tables, due_decisions, outcomes, assumed)

    def drop(self, upto: int) -> None:
        """Forget the events at or before `upto` (absorbed)."""
        kept: list[_Part] = []
        for part in self.parts:
            if part.oldest > upto:
                kept.append(part)
                continue
            due, rest = part.split(upto)
            if due is not None and self.checks:
                for event_id in due.decisions["event_id"].to_pylist():
                    self.checks.pop(event_id, None)
            if rest is not None:
                kept.append(rest)
        self.parts = kept


def _concat(parts: Sequence[pa.Table]) -> pa.Table:
    return parts[0] if len(parts) == 1 else pa.concat_tables(parts).combine_chunks()


def _repeat(value: str, n: int) -> pa.Array:
    return pa.repeat(pa.scalar(value, pa.string()), n)


class EngineHost:
    """The service's engine, the lock that serialises its use, and its watermark."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.lock = threading.Lock()
        self.rules: RuleSet = default_rules()
        shipped = shipped_engine()
        self.model: EngineModel | None = shipped.model
        self.text_scorer: TextScorer = shipped.text_scorer
        self.engine = self._fresh_engine()
        self.watermark = NO_WATERMARK
        self.newest = NO_WATERMARK  # the newest time of a stored event
        self.pending = Pending()
        self.stale = False  # the engine holds what the database does not: rebuild first
        self.check_batcher: CheckBatcher | None = None  # `checks.CheckBatcher`, made on use
        self._not_registered: dict[str, set[str]] = {"accounts": set(), "phones": set()}
        self._registered: dict[str, set[str]] = {"accounts": set(), "phones": set()}
        self._stop = threading.Event()
        self._snapshots: threading.Thread | None = None

    def _fresh_engine(self) -> Engine:
        return Engine(rules=self.rules, model=self.model, text_scorer=self.text_scorer)

    @property
    def settings(self) -> Any:
        return self.service.settings

    # -- start, stop, snapshots ---------------------------------------------------------------

    def start(self) -> None:
        """Restore the engine from its snapshot and absorb again what was stored after it;
        snapshot at the interval from now on."""
        with self.lock:
            self._load()
        self._stop.clear()
        interval = float(self.settings.snapshot_interval_s)
        if interval > 0:
            self._snapshots = threading.Thread(
                target=self._snapshot_every, args=(interval,), name="engine-snapshots", daemon=True
            )
            self._snapshots.start()

    def stop(self) -> None:
        """Snapshot the engine (after the last committed step)."""
        self._stop.set()
        batcher = self.check_batcher
        if batcher is not None and not batcher.loop.is_closed():
            batcher.loop.call_soon_threadsafe(batcher.task.cancel)
        if self._snapshots is not None:
            self._snapshots.join()
            self._snapshots = None
        with self.lock:
            if not self.stale:
                self.snapshot()

    def snapshot(self) -> None:
        """Write the engine's state whole to the snapshot folder (hold `lock`)."""
        self.engine.snapshot(self.settings.snapshot_dir)

    def _snapshot_every(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                with self.lock:
                    if not self.stale:
                        self.snapshot()
            except Exception:  # a failed snapshot leaves the last one; the log says why
                log.exception("engine snapshot failed")

    def _load(self) -> None:
        """The engine as the database says it is: its snapshot, if usable, and every step
        stored after it; the registry; the events not absorbed yet."""
        db = self.service.db
        with db.reading() as conn:
            watermark = read_watermark(conn)
            newest = conn.execute(sa.select(sa.func.max(events.c.ts))).scalar()
        engine = self._restored(watermark)
        self.engine = engine
        self._not_registered = {"accounts": set(), "phones": set()}
        self._registered = {"accounts": set(), "phones": set()}
        self.newest = NO_WATERMARK if newest is None else int(newest)
        with db.reading() as conn:
            self._load_registry(conn)
            self._use_risk_lists(conn)
            for step in _stored_steps(conn, engine.state.clock):
                self._absorb(step)
            self.pending = _pending_of(conn, watermark)
        self.watermark = watermark
        self.stale = False

    def risk_lists_changed(self) -> None:
        """Entries were added to the shared risk lists: the engine reads them again."""
        with self.lock, self.service.db.reading() as conn:
            self._use_risk_lists(conn)

    def _use_risk_lists(self, conn: sa.Connection) -> None:
        """The risk lists as the engine reads them (listed accounts and numbers with their
        spans), as of the newest event (the service's clock before any): a listing counts
        for an event inside its span, whatever the time it is decided at."""
        at = self.newest if self.newest != NO_WATERMARK else self.service.now()
        self.engine.use_risk_lists(risklists.view_on(conn, at))

    def _restored(self, watermark: int) -> Engine:
        folder = self.settings.snapshot_dir
        if not (folder / "manifest.json").exists():
            return self._fresh_engine()
        try:
            engine = Engine.restore(
                folder, rules=self.rules, model=self.model, text_scorer=self.text_scorer
            )
        except InputError as exc:
            log.warning("engine snapshot not used, rebuilding from the events: %s", exc)
            return self._fresh_engine()
        if engine.state.clock > watermark:
            log.warning(
                "engine snapshot not used: it absorbed events up to %d, the database only "
                "up to %d; rebuilding from the events",
                engine.state.clock,
                watermark,
            )
            return self._fresh_engine()
        return engine

    def recover(self) -> None:
        """Rebuild the engine from the database if a failed step left it ahead (hold
        `lock`); `DatabaseUnavailable` while the database cannot be read."""
        if self.stale:
            self._load()

    # -- the registry ---------------------------------------------------------------------------

    def registry_changed(self) -> None:
        """Registry entries were added: look again for accounts and numbers that had none."""
        with self.lock:
            self._not_registered = {"accounts": set(), "phones": set()}

    def load_registry(self, tables: Mapping[str, pa.Table]) -> None:
        """Teach the engine entities directly (a simulated world's people, accounts, phones,
        devices); hold `lock`."""
        self.engine.state.load_registry(dict(tables))

    def _load_registry(self, conn: sa.Connection) -> None:
        found: dict[str, pa.Table] = {}
        for name, cls, _ in REGISTRY_TABLES:
            table = metadata.tables.get(name)
            if table is None:
                continue
            rows = [dict(r._mapping) for r in conn.execute(sa.select(table))]
            if rows:
                found[name] = _registry_table(cls, rows)
        if found:
            self.engine.state.load_registry(found)

    def _learn_registry(self, tables: Mapping[str, pa.Table]) -> None:
        """Load the registry entries of the accounts and numbers a batch names that the
        engine has none for (most batches name none: one numpy lookup each)."""
        state = self.engine.state
        wanted: dict[str, list[str]] = {}
        few = sum(t.num_rows for t in tables.values()) <= _FEW
        for name, named in _NAMED.items():
            columns = [
                tables[kind][column].combine_chunks().cast(pa.string())
                for kind, column in named
                if kind in tables and tables[kind].num_rows
            ]
            if not columns:
                continue
            if few:  # a check or a few: the keys seen before are settled, in Python
                settled = self._registered[name]
                unsettled = {k for c in columns for k in c.to_pylist()} - settled - {None}
                unsettled -= self._not_registered[name]
                if not unsettled:
                    continue
                keys = pa.array(sorted(unsettled), pa.string())
            else:
                keys = pc.unique(pa.concat_arrays(columns)).drop_null()
            ids = state.keys[name].lookup(keys, add=False)
            known = state.account_opened if name == "accounts" else state.phone_foreign
            has = known.get(ids) >= 0
            if few:
                if len(self._registered[name]) > _FORGET_AFTER:
                    self._registered[name].clear()
                self._registered[name].update(keys.filter(pa.array(has)).to_pylist())
            missing = keys.filter(pa.array(~has)).to_pylist()
            if not missing:
                continue
            skip = self._not_registered[name]
            ask = [k for k in missing if k not in skip]
            if ask:
                wanted[name] = ask
        if not wanted:
            return
        found: dict[str, pa.Table] = {}
        with self.service.db.reading() as conn:
            for name, cls, key in REGISTRY_TABLES:
                if name not in wanted or (table := metadata.tables.get(name)) is None:
                    continue
                rows: list[dict[str, Any]] = []
                for start in range(0, len(wanted[name]), 10_000):
                    part = wanted[name][start : start + 10_000]
                    q = sa.select(table).where(table.c[key].in_(part))
                    rows.extend(dict(r._mapping) for r in conn.execute(q))
                if rows:
                    found[name] = _registry_table(cls, rows)
                skip = self._not_registered[name]
                if len(skip) > _FORGET_AFTER:
                    skip.clear()
                skip.update(set(wanted[name]) - {r[key] for r in rows})
        if found:
            state.load_registry(found)

    # -- deciding, accepting, absorbing ---------------------------------------------------------

    def decide(self, tables: Mapping[str, pa.Table]) -> pa.Table:
        """The engine's decisions for a batch of new events (hold `lock`): every event after
        the watermark, each once."""
        self.recover()
        present = {k: t for k, t in tables.items() if t.num_rows}
        if not present:
            return DECISION_SCHEMA.empty_table()
        self._learn_registry(present)
        return self.engine.decide(present)

    def accepted(
        self,
        tables: Mapping[str, pa.Table],
        decided: pa.Table,
        checks: Mapping[str, str | None] | None = None,
    ) -> None:
        """Events (and their decisions) were stored: they wait to be absorbed (hold `lock`)."""
        self.pending.add(tables, decided, checks)
        for table in tables.values():
            if table.num_rows:
                self.newest = max(self.newest, int(pc.max(table["ts"]).as_py()))

    def set_outcome(self, event_id: str, outcome: str) -> None:
        """A check's reported outcome was stored (hold `lock`)."""
        if event_id in self.pending.checks:
            self.pending.checks[event_id] = outcome

    def target(self) -> int:
        """Where the watermark would move now."""
        if self.newest < 0:
            return self.watermark
        return max(self.watermark, self.newest - int(self.settings.reorder_window_ms))

    def absorb_ready(self, at_least: int = 1) -> int:
        """Absorb every stored event the watermark has passed (see the module doc), and
        store what followed; returns how many events (hold `lock`). With `at_least`, wait
        (absorb nothing, leave the watermark) until that many events are due: a step has a
        fixed cost, and checks come a few at a time. The watermark then lags behind its
        target; an event between the two is still taken, in time order."""
        self.recover()
        if at_least > 1 and self.pending.due(self.target()) < at_least:
            return 0
        return self._step(None)

    def accept_and_absorb(
        self,
        tables: Mapping[str, pa.Table],
        decided: pa.Table,
        store: Callable[[sa.Connection, int, int], None],
    ) -> int:
        """New events and their decisions, stored and absorbed as far as the watermark
        they move allows in one transaction: `store(conn, upto, now)` writes them (those at
        or before `upto` marked absorbed then), in the step's transaction. One commit,
        and no second pass over the rows to mark them (hold `lock`)."""
        self.recover()
        return self._step((tables, decided, store))

    def _step(
        self,
        new: tuple[Mapping[str, pa.Table], pa.Table, Callable[[sa.Connection, int, int], None]]
        | None,
    ) -> int:
        saved, newest = self.pending.saved(), self.newest
        if new is not None:
            self.accepted(new[0], new[1])
        upto = self.target()
        oldest = self.pending.oldest
        moves = upto > self.watermark
        if new is None and (not moves or oldest is None or oldest > upto):
            # nothing to absorb: the watermark moves in memory only (the stored one, a step
            # behind, still holds: every stored event at or before it is absorbed)
            self.watermark = upto
            return 0
        reaches = moves and oldest is not None and oldest <= upto
        nothing = Step(upto, {}, DECISION_SCHEMA.empty_table(), pa.array([], pa.string()))
        step = self.pending.ready(upto) if reaches else nothing
        try:
            if step.size:
                self.stale = True  # until the step is committed
                warned = self._absorb(step)
            else:
                warned = arrow_schema(WarningTask).empty_table()
            now = self.service.now()
            with self.service.db.writing() as conn:
                if new is not None:
                    new[2](conn, upto if reaches else self.watermark, now)
                if reaches:
                    _store_step(conn, step, warned, self.watermark, now)
        except BaseException:
            self.pending.restore(saved)
            self.newest = newest
            raise
        self.stale = False
        if reaches:
            self.pending.drop(upto)
        self.watermark = upto
        return step.size

    def _absorb(self, step: Step) -> pa.Table:
        decided = step.decisions
        outcomes = Outcomes(decided, step.outcomes) if decided.num_rows else None
        return self.engine.absorb(step.tables, outcomes)

    # -- bulk history -----------------------------------------------------------------------------

    def process_history(self, tables: Mapping[str, pa.Table]) -> tuple[pa.Table, pa.Table]:
        """Decide and absorb a slice of recorded history at once (`Engine.process`; hold
        `lock`): its decisions and warning tasks. The caller stores them as a step."""
        self.recover()
        self._learn_registry(tables)
        self.stale = True  # until the caller commits the step
        result = self.engine.process(dict(tables))
        return result.decisions, result.warnings


def _registry_table(cls: type[Record], rows: list[dict[str, Any]]) -> pa.Table:
    schema = arrow_schema(cls)
    clean = [{k: r.get(k) for k in schema.names} for r in rows]
    return pa.Table.from_pylist(clean, schema=schema)


# --- steps as stored ------------------------------------------------------------------------
def _stored_steps(conn: sa.Connection, after_ts: int) -> Iterable[Step]:
    """The absorbing steps stored after an engine's newest absorbed time, in order, each
    as it was taken."""
    q = (
        sa.select(events.c.absorbed_upto)
        .where(events.c.ts > after_ts, events.c.absorbed_upto.is_not(None))
        .group_by(events.c.absorbed_upto)
        .order_by(events.c.absorbed_upto)
    )
    for upto in [r[0] for r in conn.execute(q)]:
        in_step = sa.and_(events.c.absorbed_upto == upto, events.c.ts > after_ts)
        yield _step_of(conn, int(upto), in_step)


def _pending_of(conn: sa.Connection, watermark: int) -> Pending:
    """The stored events not absorbed yet, as `Pending`."""
    step = _step_of(conn, watermark, events.c.ts > watermark)
    pending = Pending()
    pending.add(step.tables, step.decisions)
    q = sa.select(events.c.event_id, events.c.outcome).where(
        events.c.ts > watermark, events.c.status == eventlog.CHECKED
    )
    pending.checks = {r.event_id: r.outcome for r in conn.execute(q)}
    return pending


def _step_of(conn: sa.Connection, upto: int, where: sa.ColumnElement[bool]) -> Step:
    rows = conn.execute(
        sa.select(events.c.event_id, events.c.kind, events.c.body, events.c.outcome)
        .where(where)
        .order_by(events.c.ts, events.c.event_id)
    ).all()
    bodies: dict[str, list[str]] = {}
    outcome_of: dict[str, str | None] = {}
    for r in rows:
        bodies.setdefault(r.kind, []).append(r.body)
        outcome_of[r.event_id] = r.outcome
    tables = {
        kind: eventlog.in_time_order(eventlog.table_of_bodies(kind, found))
        for kind, found in bodies.items()
    }
    q = sa.select(decisions).join(events, events.c.event_id == decisions.c.event_id).where(where)
    given = [dict(r._mapping) for r in conn.execute(q)]
    decided = pa.Table.from_pylist(given, schema=DECISION_SCHEMA)
    names = [outcome_of.get(d["event_id"]) or _EXECUTED for d in given]
    return Step(upto, tables, decided, pa.array(names, pa.string()))


def _store_step(
    conn: sa.Connection, step: Step, warned: pa.Table, old_watermark: int, now: int
) -> None:
    """The step's warning tasks, its events marked absorbed, the assumed outcomes of its
    checks and the new watermark, in the caller's transaction."""
    if warned.num_rows:
        store_warnings(conn, warned, step.tables)
    if step.size:  # the events stored before (new ones are stored marked)
        conn.execute(
            events.update()
            .where(
                events.c.ts > old_watermark,
                events.c.ts <= step.upto,
                events.c.absorbed_upto.is_(None),
            )
            .values(absorbed_ts=now, absorbed_upto=step.upto)
        )
    if step.assumed:
        conn.execute(
            events.update()
            .where(events.c.event_id == sa.bindparam("eid"))
            .values(outcome=sa.bindparam("outcome"), outcome_source=eventlog.ASSUMED),
            [{"eid": k, "outcome": v} for k, v in step.assumed.items()],
        )
    write_watermark(conn, step.upto)


# --- warning tasks ----------------------------------------------------------------------------
_CONTACT_NUMBER: Final = {"calls": "callee", "sms": "receiver"}


def store_warnings(conn: sa.Connection, warned: pa.Table, sources: Mapping[str, pa.Table]) -> int:
    """Store warning tasks not stored yet (by warning_id: absorbing a step again adds
    nothing), each with the institution that is to send it (`sender_of`); returns how
    many were new."""
    rows = {r["warning_id"]: r for r in warned.to_pylist()}  # a repeat within: the first
    for start in range(0, len(rows), 10_000):
        part = list(rows)[start : start + 10_000]
        q = sa.select(warnings.c.warning_id).where(warnings.c.warning_id.in_(part))
        for r in conn.execute(q):
            rows.pop(r.warning_id, None)
    if not rows:
        return 0
    senders = sender_of(conn, list(rows.values()), sources)
    bulkinsert.insert_rows(conn, warnings, rows.values())
    status = [
        {"warning_id": w, "institution_id": senders.get(w), "done_ts": None, "done_by": None}
        for w in rows
    ]
    bulkinsert.insert_rows(conn, warning_tasks, status)
    return len(rows)


def sender_of(
    conn: sa.Connection, tasks: Sequence[Mapping[str, Any]], sources: Mapping[str, pa.Table]
) -> dict[str, str | None]:
    """Who is to send each warning task (by warning_id): a 96110 call is the police call
    centre's (None); a task about a transfer is the bank's that reported it; about a call
    or SMS, the telco of the number it reached (else the telco that reported it); a 12381
    SMS to the people a fraud number reached, the telco of the person's number (None when
    the registry has none)."""
    ids = {str(t["source_event_id"]) for t in tasks}
    source: dict[str, tuple[str, str, str | None]] = {}  # event -> kind, institution, number
    for kind, table in sources.items():
        if kind not in DECIDED_KINDS or not table.num_rows:
            continue
        hit = table.filter(pc.is_in(table["event_id"], value_set=pa.array(sorted(ids))))
        number = _CONTACT_NUMBER.get(kind)
        cols = ["event_id", "institution_id", *([number] if number else [])]
        for r in hit.select(cols).to_pylist():
            source[r["event_id"]] = (kind, r["institution_id"], r.get(number) if number else None)
    missing = [i for i in ids if i not in source and not i.startswith("flag:")]
    for r in eventlog.stored_events(conn, missing).values():
        record = eventlog.record_of_row(r)
        number = getattr(record, _CONTACT_NUMBER.get(r.kind, ""), None)
        source[r.event_id] = (r.kind, r.institution_id, number)
    numbers = {s[2] for s in source.values() if s[2]}
    telco = _telcos_of_numbers(conn, numbers)
    people = {str(t["person_id"]) for t in tasks if t["person_id"] is not None}
    person_telco = _telcos_of_people(conn, people)
    out: dict[str, str | None] = {}
    for t in tasks:
        wid, channel, src = t["warning_id"], t["channel"], str(t["source_event_id"])
        sender: str | None = None
        if channel == WarningChannel.CALL_96110.value:
            sender = None
        elif src in source:
            kind, institution, number = source[src]
            sender = institution if kind == "transfers" else telco.get(number or "", institution)
        elif t["person_id"] is not None:
            sender = person_telco.get(str(t["person_id"]))
        out[wid] = sender
    return out


def _telcos_of_numbers(conn: sa.Connection, numbers: Iterable[str]) -> dict[str, str]:
    wanted = sorted(numbers)
    out: dict[str, str] = {}
    for start in range(0, len(wanted), 10_000):
        q = sa.select(phones.c.number, phones.c.telco_id).where(
            phones.c.number.in_(wanted[start : start + 10_000]), phones.c.telco_id.is_not(None)
        )
        out.update({r.number: r.telco_id for r in conn.execute(q)})
    return out


def _telcos_of_people(conn: sa.Connection, people: Iterable[str]) -> dict[str, str]:
    """A telco of each person's numbers (the first by number)."""
    wanted = sorted(people)
    out: dict[str, str] = {}
    for start in range(0, len(wanted), 10_000):
        q = (
            sa.select(phones.c.owner_person_id, phones.c.telco_id)
            .where(
                phones.c.owner_person_id.in_(wanted[start : start + 10_000]),
                phones.c.telco_id.is_not(None),
            )
            .order_by(phones.c.number)
        )
        for r in conn.execute(q):
            out.setdefault(r.owner_person_id, r.telco_id)
    return out


__all__ = [
    "NO_WATERMARK",
    "WATERMARK_KEY",
    "EngineHost",
    "Pending",
    "Step",
    "read_watermark",
    "sender_of",
    "store_warnings",
    "write_watermark",
]
