"""The real-time risk engine: events in, a decision for each transfer, call and SMS out.

The contract, after river's `predict_one` / `learn_one` (DESIGN §5):

- `Engine.decide(batch)` decides every transfer, call and SMS of a batch — a slice of time
  with any of transfers, calls, SMS, app installs, URL visits, logins and reports — and
  changes no state: asking twice gives the same answer, and a check whose payer then
  cancels leaves no trace. `decide_one(event)` is a batch of one and returns one
  `model.Decision`.
- `Engine.absorb(batch, outcomes)` folds the batch into the state with what happened to
  each decided event (`Outcomes`): a blocked or held transfer moved no money, a blocked
  call or SMS reached nobody; the other events always happened. It returns the warning
  tasks that follow (`engine.warnings`), and acts on what the batch revealed (numbers
  judged fraudulent, accounts named in reports), effective from the next batch.
- `Engine.process(batch)` is the two together. A replay of recorded history absorbs what
  was recorded as having happened (`Outcomes.as_recorded`); a live caller reports the
  outcomes it saw (`Outcomes.reported`).

Each event is taken once, by its `event_id` (`Engine.take_once`): a batch's repeats of an
id are left out — an identical repeat dropped and counted, a conflicting one rejected
with its reason (`repeats`) — and so are repeats of events absorbed in earlier batches,
which the state remembers for a day or two (`recent`): absorbing one again changes
nothing. `decide` answers once per id of its batch (deciding changes nothing, so an event
absorbed earlier is simply decided again); `process` reports what it left out
(`BatchResult.duplicates`, `.rejected`).

Deciding a batch, without a Python loop per event:

1. every call and SMS: its signals from the state before it, the rules and the model
   (warn or block; spoofed numbers are blocked);
2. those contacts and the batch's app installs and URL visits become the newest risky
   contact, international contact, call in progress, remote-control app... per person;
3. every transfer: its payee and payer signals, joining (2) as of each transfer, the
   rules and the model (allow, warn, delay, hold, block).

Batches must come in time order; `snapshot` / `Engine.restore` carry the state across a
restart, and a restored engine decides exactly as one that never stopped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.engine import features as fx
from fraudwall.engine.actions import ACTION_CODE, ACTION_NAMES, action_codes_of
from fraudwall.engine.decide import Decided, Sparse, TopMemo, decide
from fraudwall.engine.featureset import FEATURES
from fraudwall.engine.outreach import Outreach, decision_rows
from fraudwall.engine.priority import stack
from fraudwall.engine.recent import event_prints
from fraudwall.engine.repeats import REJECTED_SCHEMA, rejected_rows, split_repeats
from fraudwall.engine.resolve import Resolver
from fraudwall.engine.rules import RuleEngine, RuleSet, default_rules
from fraudwall.engine.scorer import EngineModel, default_call_priority
from fraudwall.engine.state import EngineState
from fraudwall.engine.stream import EventBatch
from fraudwall.engine.textscore import TextScores
from fraudwall.engine.warnings import WarningLog, WarningPolicy
from fraudwall.errors import InputError
from fraudwall.model import (
    EVENT_TABLES,
    Action,
    Call,
    Decision,
    Outcome,
    RiskListView,
    Sms,
    TextScorer,
    Transfer,
    WarningTask,
    arrow_schema,
    earlier_conflict_reason,
    from_dict,
)

WARN = ACTION_CODE[Action.WARN]
BLOCK = ACTION_CODE[Action.BLOCK]
_LISTS = pa.list_(pa.string())

DECISION_SCHEMA = arrow_schema(Decision)
WARNING_SCHEMA = arrow_schema(WarningTask)
DECIDED_TABLES = {"transfer": "transfers", "call": "calls", "sms": "sms"}
#: An explanation to remember: the memo, its groups (callers), when, the packed features.
_Explained = tuple[TopMemo, np.ndarray, np.ndarray, np.ndarray]


@dataclass
class BatchResult:
    """What `process` produced: decisions, warning tasks and (on request) the features."""

    decisions: pa.Table
    warnings: pa.Table
    features: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    event_ids: dict[str, pa.Array] = field(default_factory=dict)
    #: with keep_features: the warning candidates' priority inputs, person keys and times
    candidates: tuple[np.ndarray, pa.Array, np.ndarray] | None = None
    #: the batch's tables as taken: each event once (repeats left out)
    taken: dict[str, pa.Table] = field(default_factory=dict)
    #: identical repeats dropped (of this batch's events, or of events absorbed before)
    duplicates: int = 0
    #: conflicting repeats, with their reason (`repeats.REJECTED_SCHEMA`)
    rejected: pa.Table = field(default_factory=REJECTED_SCHEMA.empty_table)
    #: per rule, the events it could not be evaluated on (it did not fire on them)
    rule_rows_undefined: dict[str, int] = field(default_factory=dict)


@dataclass
class Taken:
    """A batch as the engine takes it: each event once (`Engine.take_once`)."""

    tables: dict[str, pa.Table]
    hashes: dict[str, np.ndarray]  # each kept event's id hash, per table
    duplicates: int
    rejected: pa.Table


@dataclass
class _Pass:
    """A batch read and decided: what `absorb` needs to fold it in without deciding again."""

    tables: dict[str, pa.Table]
    start: int
    contacts: fx.Contacts
    contact_codes: np.ndarray  # action codes, calls first, then SMS (as `contacts`)
    contact_scores: np.ndarray
    risky: np.ndarray  # contacts that make their person's "risky contact" signal
    foreign: np.ndarray  # the caller's number is registered abroad
    events: dict[str, fx.PersonEvents]
    transfers: fx.Transfers | None
    transfer_features: dict[str, np.ndarray]
    decisions: pa.Table
    by_kind: dict[str, pa.Table]  # each kind's decisions, in the batch's order
    explained: list[_Explained]
    features: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    candidates: tuple[np.ndarray, pa.Array, np.ndarray] | None = None
    undefined: dict[str, int] = field(default_factory=dict)  # per rule (RuleHits.undefined)


DecisionRows: TypeAlias = pa.Table | Sequence[Decision]


def decision_table(decisions: DecisionRows) -> pa.Table:
    """Decisions as the decisions table (`model.Decision`'s Arrow schema)."""
    if isinstance(decisions, pa.Table):
        return decisions
    rows = [msgspec.to_builtins(d) for d in decisions]
    return pa.Table.from_pylist(rows, schema=DECISION_SCHEMA)


def decision_records(decisions: pa.Table) -> list[Decision]:
    """The rows of a decisions table as `model.Decision` records."""
    return [msgspec.convert(r, Decision) for r in decisions.to_pylist()]


@dataclass(frozen=True, eq=False)
class Outcomes:
    """What happened to a batch's decided events: the decisions given (a decisions table,
    or `model.Decision` records, as `decide` answered them) and, per decision, an
    `Outcome`."""

    decisions: pa.Table
    outcome: pa.Array  # strings, one per row of decisions

    @classmethod
    def as_recorded(cls, decisions: DecisionRows) -> Outcomes:
        """Every event happened as recorded (a replay of history)."""
        table = decision_table(decisions)
        return cls(table, _repeated(Outcome.EXECUTED.value, table.num_rows))

    @classmethod
    def reported(cls, decisions: DecisionRows, by_event: Mapping[str, Outcome | str]) -> Outcomes:
        """Outcomes as an institution reports them, by event id; every decided event of the
        batch needs one."""
        table = decision_table(decisions)
        ids = table["event_id"].to_pylist()
        names = []
        for event_id in ids:
            if event_id not in by_event:
                raise ValueError(f"outcomes: no outcome for event_id {event_id!r}")
            value = str(by_event[event_id])
            if value not in _OUTCOMES:
                raise ValueError(
                    f"outcomes: {event_id!r}: unknown outcome {value!r} "
                    f"(expected one of {', '.join(sorted(_OUTCOMES))})"
                )
            names.append(value)
        unknown = sorted(set(by_event) - set(ids))
        if unknown:
            raise ValueError(f"outcomes: event_id {unknown[0]!r} was not decided in this batch")
        return cls(table, pa.array(names, pa.string()))

    @property
    def all_happened(self) -> bool:
        """Whether every decided event went ahead (as in a replay of recorded history)."""
        return bool(pc.all(pc.equal(self.outcome, Outcome.EXECUTED.value)).as_py())

    def happened(self, kind: str, event_ids: pa.ChunkedArray) -> np.ndarray:
        """For these events of `kind`: whether each went ahead (money moved; the call or
        SMS reached the person)."""
        table = self.decisions.append_column("outcome", self.outcome)
        rows = decision_rows(table, kind, event_ids)
        done = pc.equal(rows["outcome"], Outcome.EXECUTED.value)
        return np.asarray(done.to_numpy(zero_copy_only=False), bool)


_OUTCOMES = frozenset(o.value for o in Outcome)


def _slice(features: Mapping[str, np.ndarray], sl: slice) -> dict[str, np.ndarray]:
    return {k: v[sl] for k, v in features.items()}


class _Remembered:
    """The state's explanation memo, read as it is, with what a decision would store in it
    kept aside until the batch is absorbed (deciding changes no state)."""

    def __init__(self, memo: TopMemo, kept: list[_Explained]) -> None:
        self.memo = memo
        self.kept = kept

    def lookup(self, groups: np.ndarray, ts: np.ndarray) -> np.ndarray:
        return self.memo.lookup(groups, ts)

    def store(self, groups: np.ndarray, ts: np.ndarray, packed: np.ndarray) -> None:
        self.kept.append((self.memo, groups, ts, packed))


class Engine:
    """State, rules, model and warning policy together (see the module doc), with the
    text scorer that reads SMS texts when one is given (`model.TextScorer`; without one,
    `sms_fraud_probability` is unknown, and a model trained with one is refused)."""

    def __init__(
        self,
        state: EngineState | None = None,
        rules: RuleSet | None = None,
        model: EngineModel | None = None,
        warning_policy: WarningPolicy | None = None,
        world_id: str | None = None,
        text_scorer: TextScorer | None = None,
    ) -> None:
        self.state = state if state is not None else EngineState()
        self.rules = RuleEngine(rules if rules is not None else default_rules())
        self.model = model if model is not None else EngineModel()
        _check_text_scorer(self.model, text_scorer)
        self.warning_policy = warning_policy if warning_policy is not None else WarningPolicy()
        self.priority = self.model.call_priority or default_call_priority()
        #: the SMS texts' lexicon scores and, with `text_scorer`, fraud probabilities
        self.text_scores = TextScores(text_scorer)
        #: the world whose entities the state was loaded with, when known (snapshots say it)
        self.world_id = world_id

    @classmethod
    def for_world(
        cls,
        tables: Mapping[str, pa.Table],
        rules: RuleSet | None = None,
        model: EngineModel | None = None,
        warning_policy: WarningPolicy | None = None,
        world_id: str | None = None,
        text_scorer: TextScorer | None = None,
    ) -> Engine:
        """An engine whose registry knows the world's people, accounts, phones and devices."""
        engine = cls(
            rules=rules,
            model=model,
            warning_policy=warning_policy,
            world_id=world_id,
            text_scorer=text_scorer,
        )
        engine.state.load_registry(dict(tables))
        return engine

    # -- rules, snapshots -------------------------------------------------------------------

    def reload_rules(self, path: Path | str) -> RuleSet:
        """Load a new rule file; on any error the engine keeps its rules and the error says why."""
        return self.rules.reload(path, FEATURES)

    def use_risk_lists(self, view: RiskListView) -> None:
        """Decide from now on with these risk lists (in place of those held so far): a
        transfer to a listed account, or a call or SMS from a listed number, at a time
        within its listing's span (`model.RiskListView`); an expired listing never counts."""
        self.state.use_risk_lists(view)

    def snapshot(self, directory: Path | str) -> Path:
        """Write the state as one consistent set (`EngineState.save`), with the ids of the
        rules and the model it was made with, and of the world it was loaded from."""
        return self.state.save(directory, self._made_with())

    def _made_with(self) -> dict[str, str | None]:
        return {
            "rules_id": self.rules.ruleset.digest,
            "model_id": self.model.model_id,
            "world_id": self.world_id,
        }

    @classmethod
    def restore(
        cls,
        directory: Path | str,
        rules: RuleSet | None = None,
        model: EngineModel | None = None,
        warning_policy: WarningPolicy | None = None,
        world_id: str | None = None,
        text_scorer: TextScorer | None = None,
    ) -> Engine:
        """An engine from a snapshot, which must have been made with these rules and this
        model (the defaults: the built-in rules, no model), and from this world when
        `world_id` is given; a snapshot made otherwise, or whose files come from two
        snapshots, is refused (`InputError`): it would decide differently."""
        engine = cls(EngineState(), rules, model, warning_policy, world_id, text_scorer)
        expect = engine._made_with()
        if world_id is None:
            del expect["world_id"]
        engine.state, manifest = EngineState.load_snapshot(directory, expect)
        engine.world_id = manifest.get("world_id")
        return engine

    # -- the contract ------------------------------------------------------------------------

    def decide(self, batch: EventBatch | Mapping[str, pa.Table], explain: bool = True) -> pa.Table:
        """Decide every transfer, call and SMS of a batch; the state does not change.

        The answer is the decisions table: one `model.Decision` row per event id (a repeat
        within the batch is answered by its first record), calls, then SMS, then transfers,
        each in the batch's order. `explain=False` skips the reasons and top features of
        alerts."""
        tables = _tables_of(batch)
        if sum(t.num_rows for t in tables.values()) > 1:  # a single check has no repeat
            tables = split_repeats(tables).tables
        p = self._decide(tables, Resolver(self.state, add=False), explain, keep_features=False)
        return p.decisions

    def decide_one(self, event: Transfer | Call | Sms | Mapping[str, Any]) -> Decision:
        """Decide one transfer, call or SMS (a `model` record, or a dict of its fields)."""
        table_name, table = _one_event(event)
        return decision_records(self.decide({table_name: table}))[0]

    def absorb(
        self, batch: EventBatch | Mapping[str, pa.Table], outcomes: Outcomes | None = None
    ) -> pa.Table:
        """Fold a batch into the state with what happened to its decided events, and return
        the warning tasks that follow. `outcomes` is required when the batch holds
        transfers, calls or SMS (`Outcomes.as_recorded(engine.decide(batch))` for history).

        Each event is absorbed once: repeats (`take_once`) are left out, and their outcomes
        ignored."""
        tables = _tables_of(batch)
        decided = any(_present(tables, t) is not None for t in DECIDED_TABLES.values())
        if decided and outcomes is None:
            raise ValueError(
                "outcomes: the batch holds transfers, calls or SMS; say what happened to them "
                "(Outcomes.reported / Outcomes.as_recorded of engine.decide(batch))"
            )
        taken = self.take_once(tables)
        return self._absorb(self._redecide(taken.tables, outcomes), outcomes, taken=taken)

    def process(
        self,
        batch: EventBatch | Mapping[str, pa.Table],
        keep_features: bool = False,
        explain: bool = True,
    ) -> BatchResult:
        """Decide a batch and absorb it as recorded (a replay of history), each event once.

        `keep_features` returns each kind's features (for training); `explain=False` skips
        the reasons and top features of alerts (training needs only the actions)."""
        taken = self.take_once(batch)
        tables = taken.tables
        p = self._decide(tables, Resolver(self.state, add=True), explain, keep_features)
        warnings = self._absorb(
            p, Outcomes.as_recorded(p.decisions), keep_candidates=keep_features, taken=taken
        )
        result = BatchResult(
            p.decisions, warnings, p.features, candidates=p.candidates, taken=tables,
            duplicates=taken.duplicates, rejected=taken.rejected, rule_rows_undefined=p.undefined,
        )  # fmt: skip
        if keep_features:
            result.event_ids = {
                kind: tables[name]["event_id"]
                for kind, name in DECIDED_TABLES.items()
                if kind in p.features
            }
        return result

    def take_once(self, batch: EventBatch | Mapping[str, pa.Table]) -> Taken:
        """The batch with each event once, and what was left out (the state does not
        change): a repeat of an id within the batch (`repeats.split_repeats`), or of an
        event absorbed in an earlier batch that the state remembers (`recent`): the
        same time and numbers make an identical repeat, dropped; others conflict and are
        rejected with their reason."""
        split = split_repeats(_tables_of(batch))
        memory = self.state.recent_events
        tables, hashes = split.tables, split.hashes
        duplicates, rejected = split.n_duplicates, [split.rejected]
        if not len(memory):
            return Taken(tables, hashes, duplicates, split.rejected)
        for name, h in split.hashes.items():
            seen = memory.find(h)
            again = np.flatnonzero(seen)
            if not len(again):
                continue
            table = tables[name]
            same = event_prints(_TABLE_CODE[name], table.take(pa.array(again))) == seen[again]
            conflicting = again[~same]
            if len(conflicting):
                reasons = [earlier_conflict_reason("event_id")] * len(conflicting)
                rejected.append(rejected_rows(name, table, conflicting, reasons))
            keep = np.ones(table.num_rows, bool)
            keep[again] = False
            tables = {**tables, name: table.filter(pa.array(keep))}
            hashes = {**hashes, name: h[keep]}
            duplicates += int(same.sum())
        return Taken(tables, hashes, duplicates, pa.concat_tables(rejected))

    # -- deciding -----------------------------------------------------------------------------

    def _decide(
        self,
        tables: dict[str, pa.Table],
        ids: Resolver,
        explain: bool,
        keep_features: bool,
        given: Mapping[str, pa.Table] | None = None,
    ) -> _Pass:
        """Steps 1-3 of the module doc. `given` (each kind's decisions as they were given,
        in its table's order) replaces the engine's own where a batch is decided again to
        be absorbed: what the people were told is what counts."""
        s = self.state
        ruleset = self.rules.ruleset
        start = self._check_order(tables)
        by_kind: dict[str, pa.Table] = {}  # each kind's decisions, in the batch's order
        explained: list[_Explained] = []
        kept: dict[str, dict[str, np.ndarray]] = {}
        undefined: dict[str, int] = {}

        # 1. calls and SMS
        calls, sms = _present(tables, "calls"), _present(tables, "sms")
        c = fx.read_contacts(s, calls, sms, ids)
        text, probability = np.zeros(len(c)), np.full(len(c), np.nan)
        if sms is not None:
            text[c.n_calls :], probability[c.n_calls :] = self.text_scores(sms["text"])
        cf = fx.contact_features(s, c, text, probability) if len(c) else {}
        codes = np.zeros(len(c), np.int8)
        scores = np.zeros(len(c))
        for kind, table, sl in (
            ("call", calls, slice(0, c.n_calls)),
            ("sms", sms, slice(c.n_calls, len(c))),
        ):
            if table is None:
                continue
            f = _slice(cf, sl)
            hits = ruleset.evaluate(kind, f)
            undefined.update(hits.undefined_by_rule())
            memo = _Remembered(s.caller_top if kind == "call" else s.sender_top, explained)
            d = decide(kind, f, hits, self.model.get(kind), explain, c.caller[sl], memo, c.ts[sl])
            codes[sl], scores[sl] = d.action, d.score
            people = s.keys["people"].key_of(c.person[sl])
            by_kind[kind] = _decision_table(kind, table, d, people, c.country[sl])
            if keep_features:
                kept[kind] = f
        if given is not None:  # what the people were told is what counts
            codes, scores = _codes_and_scores(given, ("call", "sms"))

        # 2. people: contacts, apps, URLs
        events: dict[str, fx.PersonEvents] = {}
        foreign = np.zeros(len(c), np.int64)
        risky = np.zeros(len(c), bool)
        if len(c):
            foreign = s.phone_foreign.get(c.caller)
            risky = (codes >= WARN) | (cf["caller_reputation"] <= 0.0) | c.spoofed
            events = fx.contact_events(c, risky, fx.new_contacts(s, c), foreign)
        events.update(
            fx.device_events(
                s, _present(tables, "app_installs"), _present(tables, "url_visits"), ids
            )
        )

        # 3. transfers
        transfers = _present(tables, "transfers")
        t = None
        tf: dict[str, np.ndarray] = {}
        if transfers is not None:
            t = fx.read_transfers(s, transfers, ids)
            tf = fx.transfer_features(s, t, events)
            hits = ruleset.evaluate("transfer", tf)
            undefined.update(hits.undefined_by_rule())
            d = decide("transfer", tf, hits, self.model.get("transfer"), explain)
            people = s.keys["people"].key_of(t.person)
            by_kind["transfer"] = _decision_table("transfer", transfers, d, people)
            if keep_features:
                kept["transfer"] = tf

        by_kind.update(given or {})
        parts = [by_kind[k] for k in ("call", "sms", "transfer") if k in by_kind]
        decisions = pa.concat_tables(parts) if parts else DECISION_SCHEMA.empty_table()
        return _Pass(
            tables, start, c, codes, scores, risky, foreign, events, t, tf, decisions,
            by_kind, explained, kept, undefined=undefined,
        )  # fmt: skip

    def _redecide(self, tables: dict[str, pa.Table], outcomes: Outcomes | None) -> _Pass:
        """The batch read again with its keys added, to be absorbed: decided afresh for
        the signals, with the contacts' decisions as given in `outcomes` (what the people
        were told), and the given decisions kept for the warnings."""
        given = None
        if outcomes is not None:
            given = {
                kind: decision_rows(outcomes.decisions, kind, table["event_id"])
                for kind, name in DECIDED_TABLES.items()
                if (table := _present(tables, name)) is not None
            }
        p = self._decide(tables, Resolver(self.state, add=True), True, False, given)
        return p

    # -- absorbing ---------------------------------------------------------------------------

    def _absorb(
        self,
        p: _Pass,
        outcomes: Outcomes | None,
        keep_candidates: bool = False,
        taken: Taken | None = None,
    ) -> pa.Table:
        """Fold a decided batch into the state (what happened), issue its warning tasks,
        and act on what it revealed; remember its events (`taken`), so as not to take
        them again."""
        s = self.state
        tables = p.tables
        c, t = p.contacts, p.transfers
        for memo, groups, ts, packed in p.explained:
            memo.store(groups, ts, packed)
        reached = _happened(outcomes, tables, ("call", "sms"), len(c))
        moved = _happened(outcomes, tables, ("transfer",), len(t) if t is not None else 0)

        log = WarningLog()
        out = Outreach(s, self.warning_policy, self.priority, log, keep_candidates)
        if len(c):
            out.contacts(
                c, tables, p.by_kind, p.contact_codes, p.contact_scores, reached, p.foreign
            )
        if t is not None:
            out.transfers(t, tables["transfers"], p.by_kind["transfer"], p.transfer_features)

        # what happened goes into the state
        events = p.events
        if len(c) and not reached.all():
            rows = np.flatnonzero(reached)
            sub = c.take(rows)
            events = {k: v for k, v in events.items() if k not in fx.CONTACT_SIGNALS}
            events.update(
                fx.contact_events(sub, p.risky[rows], fx.new_contacts(s, sub), p.foreign[rows])
            )
            c = sub
        fx.absorb_contacts(s, c)
        fx.absorb_person_events(s, events)
        if t is not None:
            ids = tables["transfers"]["event_id"]
            if not moved.all():
                rows = np.flatnonzero(moved)
                t, ids = t.take(rows), ids.take(pa.array(rows))
            fx.absorb_transfers(s, t, ids)
        fx.absorb_logins(s, _present(tables, "logins"))

        # what the batch revealed, effective from the next batch
        out.flag_numbers(p.contacts, p.contact_codes)
        if keep_candidates:
            p.candidates = _candidates(out.candidates, s)
        self._absorb_reports(_present(tables, "reports"))
        end = _newest(tables)
        s.clock = max(s.clock, end if end is not None else p.start)
        if taken is not None:
            _remember(s, taken)
        return log.table(s.keys["people"].key_of(log.person))

    def _check_order(self, tables: Mapping[str, pa.Table]) -> int:
        oldest = [int(pc.min(t["ts"]).as_py()) for t in tables.values() if t.num_rows]
        start = min(oldest) if oldest else self.state.clock
        if self.state.clock >= 0 and start < self.state.clock:
            raise ValueError(
                f"ts: batch starts at {start}, before the engine's clock {self.state.clock}: "
                "batches must come in time order"
            )
        return start

    def _absorb_reports(self, reports: pa.Table | None) -> None:
        """A victim's report names their transfers: the payees are linked to a case."""
        if reports is None:
            return
        ids = pc.list_flatten(reports["transfer_ids"])
        parent = pc.list_parent_indices(reports["transfer_ids"]).to_numpy()
        payees, at = self.state.payees_of(ids)
        self.state.account_reported.maximum(payees, reports["ts"].to_numpy()[parent][at])


#: Each event table's code in the events' fingerprints (`recent.event_prints`).
_TABLE_CODE = {name: k for k, name in enumerate(EVENT_TABLES)}


def _remember(state: EngineState, taken: Taken) -> None:
    """The taken events go into the state's memory of recent events."""
    names = [n for n, h in taken.hashes.items() if len(h)]
    if not names:
        return
    hashes = np.concatenate([taken.hashes[n] for n in names])
    prints = np.concatenate([event_prints(_TABLE_CODE.get(n, -1), taken.tables[n]) for n in names])
    state.recent_events.remember(hashes, prints, state.clock)


def _candidates(
    parts: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], state: EngineState
) -> tuple[np.ndarray, pa.Array, np.ndarray]:
    """The warning candidates of a batch: priority inputs, person keys, times."""
    x = stack([p[0] for p in parts])
    person = np.concatenate([p[1] for p in parts]) if parts else np.empty(0, np.int64)
    ts = np.concatenate([p[2] for p in parts]) if parts else np.empty(0, np.int64)
    return x, state.keys["people"].key_of(person), ts


def _tables_of(batch: EventBatch | Mapping[str, pa.Table]) -> dict[str, pa.Table]:
    return batch.tables if isinstance(batch, EventBatch) else dict(batch)


_ONE_EVENT: dict[str, tuple[str, type[Transfer] | type[Call] | type[Sms]]] = {
    "transfer": ("transfers", Transfer),
    "call": ("calls", Call),
    "sms": ("sms", Sms),
}


def _one_event(event: Transfer | Call | Sms | Mapping[str, Any]) -> tuple[str, pa.Table]:
    """One event as a one-row table of its kind; a dict is checked field by field."""
    if isinstance(event, Transfer | Call | Sms):
        record = event
    else:
        fields = dict(event)
        kind = fields.pop("kind", None)
        if kind is None:
            kind = next(
                (k for k, key in (("transfer", "from_account"), ("call", "caller"),
                                  ("sms", "sender")) if key in fields),
                None,
            )  # fmt: skip
        if kind not in _ONE_EVENT:
            raise ValueError(
                f"kind: expected one of transfer, call, sms, got {kind!r} (or give the fields "
                "of one: from_account, caller or sender)"
            )
        record = from_dict(_ONE_EVENT[kind][1], fields)
    name = next(n for n, (table, typ) in _ONE_EVENT.items() if isinstance(record, typ))
    table_name = _ONE_EVENT[name][0]
    row = msgspec.to_builtins(record)
    return table_name, pa.Table.from_pylist([row], schema=arrow_schema(type(record)))


def _codes_and_scores(
    by_kind: Mapping[str, pa.Table], kinds: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """The action codes and scores of the decisions of `kinds`, one after the other."""
    tables = [by_kind[k] for k in kinds if k in by_kind]
    if not tables:
        return np.empty(0, np.int8), np.empty(0)
    codes = np.concatenate([action_codes_of(t["action"]) for t in tables])
    scores = np.concatenate([t["score"].to_numpy() for t in tables]).astype(np.float64)
    return codes, scores


def _happened(
    outcomes: Outcomes | None, tables: Mapping[str, pa.Table], kinds: Sequence[str], n: int
) -> np.ndarray:
    """Whether each of the batch's n events of `kinds` (in that order) went ahead."""
    if outcomes is None or not n or outcomes.all_happened:
        return np.ones(n, bool)
    parts = [
        outcomes.happened(kind, table["event_id"])
        for kind in kinds
        if (table := _present(tables, DECIDED_TABLES[kind])) is not None
    ]
    return np.concatenate(parts)


def _sparse_lists(n: int, lists: Sparse[list[str]]) -> pa.Array:
    """A list<string> column of n rows, empty except for the rows `lists` fills: each
    distinct list is built once, the rows' offsets come from their lists' lengths and
    only the filled rows take theirs (most rows are allowed and take nothing)."""
    at = lists.index(n)
    if n <= 4:  # a single check: plain lists are quicker than a take
        return pa.array([lists.values[k - 1] if k else [] for k in at.tolist()], _LISTS)
    distinct = pa.array([[], *lists.values], _LISTS)
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(np.diff(distinct.offsets.to_numpy())[at], out=offsets[1:])
    filled = distinct.take(pa.array(at[np.sort(lists.rows)])).flatten()
    return pa.ListArray.from_arrays(pa.array(offsets), filled)


def _sparse_strings(n: int, strings: Sparse[str]) -> pa.Array:
    """A string column of n rows, "" except for the rows `strings` fills: taken from the
    distinct texts, so the allowed rows cost no Python string."""
    return pa.array(["", *strings.values], pa.string()).take(pa.array(strings.index(n)))


def _repeated(value: str, n: int) -> pa.Array:
    """A string column of n copies of `value` (Arrow's fill, no index array)."""
    return pa.repeat(pa.scalar(value, pa.string()), n)


def _check_text_scorer(model: EngineModel, scorer: TextScorer | None) -> None:
    """A model that learnt from the text scorer's feature decides only with a scorer:
    without one, that feature would be unknown on every SMS and the model would not
    decide as it was trained to."""
    needed = model.needs_text_scorer
    if scorer is None and needed is not None:
        raise InputError(
            "model",
            f"it was trained with {needed}, the fraud-text model's score of each SMS, "
            "and the engine was given no text scorer",
            hint="pass text_scorer=, e.g. intel's shipped_text_scorer()",
        )


def _present(tables: Mapping[str, pa.Table], name: str) -> pa.Table | None:
    t = tables.get(name)
    return t if t is not None and t.num_rows else None


def _newest(tables: Mapping[str, pa.Table]) -> int | None:
    newest = [int(pc.max(t["ts"]).as_py()) for t in tables.values() if t.num_rows]
    return max(newest) if newest else None


def _decision_table(
    kind: str, table: pa.Table, d: Decided, person_ids: pa.Array, country: pa.Array | None = None
) -> pa.Table:
    return pa.table(
        {
            "event_id": table["event_id"],
            "kind": _repeated(kind, table.num_rows),
            "ts": table["ts"],
            "action": ACTION_NAMES.take(d.action.astype(np.int64)),
            "score": pa.array(d.score, pa.float64()),
            "rules": _sparse_lists(table.num_rows, d.rules),
            "shadow_rules": _sparse_lists(table.num_rows, d.shadow_rules),
            "top_features": _sparse_lists(table.num_rows, d.top_features),
            "reason": _sparse_strings(table.num_rows, d.reason),
            "person_id": person_ids.cast(pa.string()),
            "country": country if country is not None else pa.nulls(table.num_rows, pa.string()),
        },
        schema=DECISION_SCHEMA,
    )
