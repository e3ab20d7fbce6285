"""The real-time risk engine: a batch of events in, a decision for each one out (DESIGN §5).

`Engine.process` takes a batch — a slice of time with any of transfers, calls, SMS, app
installs, URL visits, logins and reports — and, without a Python loop per event:

1. computes every signal of each call and SMS from the state before it, runs the rules
   and the model, and decides (warn or block; spoofed numbers are blocked);
2. turns those contacts and the batch's app installs and URL visits into the newest risky
   contact, international contact, call in progress, remote-control app... per person;
3. computes every transfer's payee and payer signals, joining (2) as of each transfer,
   runs the rules and the model, and decides (allow, warn, delay, hold, block);
4. writes warning tasks for the people concerned, flags the numbers it blocked (their
   recent contacts get a 12381 SMS) and the accounts named in victims' reports;
5. folds the batch into the state.

A single pre-transaction check is a batch of one transfer (`check_transfer`). Batches
must come in time order; `snapshot` / `Engine.restore` carry the state across a restart,
and a restored engine decides exactly as one that never stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.engine import features as fx
from fraudwall.engine.decide import Decided, Sparse, decide
from fraudwall.engine.keys import KeyIndex
from fraudwall.engine.rules import (
    ACTION_CODE,
    ACTIONS,
    FEATURES,
    RuleEngine,
    RuleSet,
    default_rules,
)
from fraudwall.engine.scorer import EngineModel
from fraudwall.engine.state import EngineState
from fraudwall.engine.stream import EventBatch
from fraudwall.engine.textscore import sms_text_score
from fraudwall.engine.warnings import (
    CHANNELS,
    SMS_12381,
    WarningLog,
    channel_names,
    channels_for_codes,
    contact_text,
    flagged_number_text,
    select_due,
    texts_once,
    transfer_text,
)
from fraudwall.model.enums import Action

WARN = ACTION_CODE[Action.WARN]
HOLD = ACTION_CODE[Action.HOLD]
BLOCK = ACTION_CODE[Action.BLOCK]
FLAG_AFTER_BLOCKS = 5
ACTION_NAMES = pa.array([a.value for a in ACTIONS], pa.string())  # by action code
_LISTS = pa.list_(pa.string())

DECISION_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("kind", pa.string()),
        ("ts", pa.int64()),
        ("action", pa.string()),
        ("score", pa.float64()),
        ("rules", pa.list_(pa.string())),
        ("shadow_rules", pa.list_(pa.string())),
        ("top_features", pa.list_(pa.string())),
        ("reason", pa.string()),
        ("person_id", pa.string()),
        ("country", pa.string()),  # a call's or SMS's country, when it came from abroad
    ]
)
WARNING_SCHEMA = pa.schema(
    [
        ("warning_id", pa.string()),
        ("ts", pa.int64()),
        ("person_id", pa.string()),
        ("channel", pa.string()),
        ("source_event_id", pa.string()),
        ("reason", pa.string()),
    ]
)


@dataclass
class BatchResult:
    """What a batch produced: decisions, warning tasks and (on request) the features."""

    decisions: pa.Table
    warnings: pa.Table
    features: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    event_ids: dict[str, pa.Array] = field(default_factory=dict)


def _slice(features: Mapping[str, np.ndarray], sl: slice) -> dict[str, np.ndarray]:
    return {k: v[sl] for k, v in features.items()}


class Engine:
    """State, rules and model together; `process` batches of events in time order."""

    def __init__(
        self,
        state: EngineState | None = None,
        rules: RuleSet | None = None,
        model: EngineModel | None = None,
    ) -> None:
        self.state = state if state is not None else EngineState()
        self.rules = RuleEngine(rules if rules is not None else default_rules())
        self.model = model if model is not None else EngineModel()
        self.text_scores = TextScores()

    @classmethod
    def for_world(
        cls,
        tables: Mapping[str, pa.Table],
        rules: RuleSet | None = None,
        model: EngineModel | None = None,
    ) -> Engine:
        """An engine whose registry knows the world's people, accounts, phones and devices."""
        engine = cls(rules=rules, model=model)
        engine.state.load_registry(dict(tables))
        return engine

    # -- rules, snapshots -------------------------------------------------------------------

    def reload_rules(self, path: Path | str) -> RuleSet:
        """Load a new rule file; on any error the engine keeps its rules and the error says why."""
        return self.rules.reload(path, FEATURES)

    def snapshot(self, directory: Path | str) -> Path:
        return self.state.save(directory)

    @classmethod
    def restore(
        cls, directory: Path | str, rules: RuleSet | None = None, model: EngineModel | None = None
    ) -> Engine:
        return cls(EngineState.load(directory), rules, model)

    # -- the batch ---------------------------------------------------------------------------

    def process(
        self,
        batch: EventBatch | Mapping[str, pa.Table],
        keep_features: bool = False,
        explain: bool = True,
        on_decisions: Callable[[pa.Table], None] | None = None,
    ) -> BatchResult:
        """Decide every transfer, call and SMS of a batch, then absorb the batch (module doc).

        `keep_features` returns each kind's features (for training); `explain=False` skips
        the reasons and top features of alerts (training needs only the actions);
        `on_decisions` receives the decisions as soon as they are made, before the batch is
        folded into the state (a service answers the bank there)."""
        tables = batch.tables if isinstance(batch, EventBatch) else dict(batch)
        s = self.state
        ruleset = self.rules.ruleset
        start = self._check_order(tables)
        log = WarningLog()
        parts: list[pa.Table] = []
        result = BatchResult(pa.table({}), pa.table({}))

        # 1. calls and SMS
        calls, sms = _present(tables, "calls"), _present(tables, "sms")
        c = fx.read_contacts(s, calls, sms)
        text = np.zeros(len(c))
        if sms is not None:
            text[c.n_calls :] = self.text_scores(sms["text"])
        cf = fx.contact_features(s, c, text) if len(c) else {}
        contact_codes = np.zeros(len(c), np.int8)
        for kind, table, sl in (
            ("call", calls, slice(0, c.n_calls)),
            ("sms", sms, slice(c.n_calls, len(c))),
        ):
            if table is None:
                continue
            f = _slice(cf, sl)
            hits = ruleset.evaluate(kind, f)
            model = self.model.get(kind)
            memo = s.caller_top if kind == "call" else s.sender_top
            d = decide(kind, f, hits, model, explain, c.caller[sl], memo, c.ts[sl])
            contact_codes[sl] = d.action
            people = s.keys["people"].key_of(c.person[sl])
            parts.append(_decision_table(kind, table, d, people, c.country[sl]))
            self._warn_contacts(log, kind, table, d, c.person[sl])
            if keep_features:
                result.features[kind] = f
                result.event_ids[kind] = table["event_id"]

        # 2. people: contacts, apps, URLs
        events: dict[str, fx.PersonEvents] = {}
        if len(c):
            foreign = s.phone_foreign.get(c.caller)
            risky = (contact_codes >= WARN) | (cf["caller_reputation"] <= 0.0) | c.spoofed
            events = fx.contact_events(c, risky, fx.new_contacts(s, c), foreign)
        events.update(
            fx.device_events(s, _present(tables, "app_installs"), _present(tables, "url_visits"))
        )

        # 3. transfers
        transfers = _present(tables, "transfers")
        t = None
        if transfers is not None:
            t = fx.read_transfers(s, transfers)
            tf = fx.transfer_features(s, t, events)
            d = decide(
                "transfer",
                tf,
                ruleset.evaluate("transfer", tf),
                self.model.get("transfer"),
                explain,
            )
            parts.append(
                _decision_table("transfer", transfers, d, s.keys["people"].key_of(t.person))
            )
            self._warn_payers(log, transfers, t, d)
            if keep_features:
                result.features["transfer"] = tf
                result.event_ids["transfer"] = transfers["event_id"]

        result.decisions = pa.concat_tables(parts) if parts else DECISION_SCHEMA.empty_table()
        if on_decisions is not None:
            on_decisions(result.decisions)

        # 4. fold in, then act on what the batch revealed (effective from the next batch)
        fx.absorb_contacts(s, c)
        fx.absorb_person_events(s, events)
        if t is not None and transfers is not None:
            fx.absorb_transfers(s, t, transfers["event_id"])
        fx.absorb_logins(s, _present(tables, "logins"))
        self._flag_numbers(log, c, contact_codes)
        self._absorb_reports(_present(tables, "reports"))
        end = _newest(tables)
        s.clock = max(s.clock, end if end is not None else start)

        result.warnings = log.table(s.keys["people"].key_of(log.person))
        return result

    def check_transfer(self, transfer: Mapping[str, Any]) -> dict[str, Any]:
        """One pre-transaction check: a batch of one transfer (a dict of Transfer fields)."""
        table = pa.Table.from_pylist([dict(transfer)])
        d = self.process({"transfers": table}).decisions
        return d.to_pylist()[0]

    # -- helpers ------------------------------------------------------------------------------

    def _check_order(self, tables: Mapping[str, pa.Table]) -> int:
        oldest = [int(pc.min(t["ts"]).as_py()) for t in tables.values() if t.num_rows]
        start = min(oldest) if oldest else self.state.clock
        if self.state.clock >= 0 and start < self.state.clock:
            raise ValueError(
                f"ts: batch starts at {start}, before the engine's clock {self.state.clock}: "
                "batches must come in time order"
            )
        return start

    def _warned(self, person: np.ndarray, ts: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """The alerted rows that warn their person (cool-down kept; see select_due); their
        people's last-warned times move on."""
        cand = np.flatnonzero((codes >= WARN) & (person >= 0))
        if not len(cand):
            return cand
        last = self.state.person_warned.get(person[cand])
        kept = cand[select_due(person[cand], ts[cand], codes[cand], last)]
        self.state.person_warned.maximum(person[kept], ts[kept])
        return kept

    def _warn_contacts(
        self, log: WarningLog, kind: str, table: pa.Table, d: Decided, person: np.ndarray
    ) -> None:
        ts = table["ts"].to_numpy()
        kept = self._warned(person, ts, d.action)
        if not len(kept):
            return
        rows, channel = channels_for_codes(d.action[kept])
        k = kept[rows]
        who = "caller" if kind == "call" else "sender"
        shown = "presented_number" if "presented_number" in table.column_names else who
        encoded = pc.dictionary_encode(
            table[shown].take(pa.array(k)).combine_chunks(), null_encoding="encode"
        )
        number_at = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        numbers = encoded.dictionary.to_pylist()
        said = ["", *d.reason.values]
        reason_at = d.reason.index(len(d.action))[k]
        # The text says the channel, the number and the reason: one text per such triple.
        keys = (reason_at * max(len(numbers), 1) + number_at) * len(CHANNELS) + channel
        out = texts_once(
            keys,
            lambda r: contact_text(
                CHANNELS[channel[r]], kind, numbers[number_at[r]], said[reason_at[r]]
            ),
        )
        log.add(ts[k], person[k], channel_names(channel), table["event_id"].take(k), out)

    def _warn_payers(self, log: WarningLog, table: pa.Table, t: fx.Transfers, d: Decided) -> None:
        kept = self._warned(t.person, t.ts, d.action)
        if not len(kept):
            return
        rows, channel = channels_for_codes(d.action[kept])
        k = kept[rows]
        payees = table["to_account"].take(pa.array(k)).to_pylist()
        said = ["", *d.reason.values]
        reason_at = d.reason.index(len(d.action))[k]
        out = [
            transfer_text(CHANNELS[ch], payee, int(t.amount[i]), said[r])
            for ch, payee, i, r in zip(
                channel.tolist(), payees, k.tolist(), reason_at.tolist(), strict=True
            )
        ]
        log.add(t.ts[k], t.person[k], channel_names(channel), table["event_id"].take(k), out)

    def _flag_numbers(self, log: WarningLog, c: fx.Contacts, codes: np.ndarray) -> None:
        """A number blocked FLAG_AFTER_BLOCKS times (or once for a spoofed caller ID) is
        flagged as fraudulent; everyone it reached in the last days gets a 12381 SMS. One
        block is not enough: a busy ordinary line (a courier, a sales desk) can look like a
        blast for an hour, and a flag blocks all its calls from then on."""
        blocked = np.flatnonzero(codes >= BLOCK)
        if not len(blocked):
            return
        s = self.state
        callers, first, counts = np.unique(c.caller[blocked], return_index=True, return_counts=True)
        spoofed = np.zeros(len(callers), bool)
        np.logical_or.at(spoofed, np.searchsorted(callers, c.caller[blocked]), c.spoofed[blocked])
        s.phone_blocks.set(callers, np.maximum(s.phone_blocks.get(callers), 0) + counts)
        at = c.ts[blocked][first]
        new = (s.phone_flagged.get(callers) < 0) & (
            (s.phone_blocks.get(callers) >= FLAG_AFTER_BLOCKS) | spoofed
        )
        callers, at = callers[new], at[new]
        if not len(callers):
            return
        s.phone_flagged.maximum(callers, at)
        people, via = s.contacted_by(callers, int(c.ts.max()) + 1)
        pairs = (
            np.unique(np.stack([people, via], axis=1), axis=0)
            if len(people)
            else np.empty((0, 2), np.int64)
        )
        if not len(pairs):
            return
        numbers = s.keys["phones"].key_of(pairs[:, 1]).to_pylist()
        when = at[np.searchsorted(callers, pairs[:, 1])]  # callers are sorted (np.unique)
        log.add(
            when,
            pairs[:, 0],
            [SMS_12381] * len(pairs),
            [f"flag:{number}" for number in numbers],
            [flagged_number_text(number) for number in numbers],
        )

    def _absorb_reports(self, reports: pa.Table | None) -> None:
        """A victim's report names their transfers: the payees are linked to a case."""
        if reports is None:
            return
        ids = pc.list_flatten(reports["transfer_ids"])
        parent = pc.list_parent_indices(reports["transfer_ids"]).to_numpy()
        payees, at = self.state.payees_of(ids)
        self.state.account_reported.maximum(payees, reports["ts"].to_numpy()[parent][at])


def _sparse_lists(n: int, lists: Sparse[list[str]]) -> pa.Array:
    """A list<string> column of n rows, empty except for the rows `lists` fills: each
    distinct list is built once, the rows' offsets come from their lists' lengths and
    only the filled rows take theirs (not a take of every row)."""
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
    """A string column of n copies of `value` (Arrow's fill, not a take)."""
    return pa.repeat(pa.scalar(value, pa.string()), n)


class TextScores:
    """SMS texts' fraud-script scores, each distinct text scored once and remembered
    (blasts send one text to thousands; bulk senders reuse templates). The score is a
    pure function of the text, so remembering it changes no decision. Texts are
    remembered in a KeyIndex (their id indexes the scores), so a batch's texts are
    matched with the known ones in numpy, without a Python string per text."""

    def __init__(self, capacity: int = 1_000_000) -> None:
        self.capacity = capacity
        self.known = KeyIndex()
        self.scores = np.empty(0)  # by text id

    def __call__(self, texts: pa.ChunkedArray | pa.Array) -> np.ndarray:
        if isinstance(texts, pa.ChunkedArray):
            texts = texts.combine_chunks()
        encoded = pc.dictionary_encode(texts)  # distinct texts; nulls stay null
        distinct = encoded.dictionary
        if len(self.known) + len(distinct) > self.capacity:
            self.known, self.scores = KeyIndex(), np.empty(0)
        ids = self.known.lookup(distinct)
        new = np.flatnonzero(ids >= len(self.scores))  # ids are given in order: new last
        if len(new):
            grown = np.empty(len(self.known))
            grown[: len(self.scores)] = self.scores
            grown[ids[new]] = sms_text_score(distinct.take(pa.array(new)))
            self.scores = grown
        scores = np.append(self.scores[ids], 0.0)  # last: a null text
        return scores[pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)]


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
