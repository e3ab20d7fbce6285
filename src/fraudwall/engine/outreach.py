"""A decided batch's warning tasks: who is at risk now, and by which channel (DESIGN §5).

The rules are `engine.warnings`' module doc; this module applies them to one batch, over
the engine's arrays: the candidates of every channel are found column-wise, the few that
reach the 96110 floor are chosen in time order against the day's capacity, and each task's
text is made once per distinct text. What the tasks change (a person's last warning and
96110 call, the day's calls, the numbers each person was warned about) is the engine's
warning state, written here as the batch is absorbed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.engine import features as fx
from fraudwall.engine.actions import action_codes_of
from fraudwall.engine.priority import INPUTS, CallPriority, call_inputs, transfer_inputs
from fraudwall.engine.state import EngineState
from fraudwall.engine.warnings import (
    APP_PUSH,
    BLOCK,
    CALL_96110,
    DELAY,
    REMINDER,
    SMS,
    SMS_12381,
    WARN,
    WarningLog,
    WarningPolicy,
    call_task_ranking,
    choose_calls,
    contact_text,
    flagged_number_text,
    reminder_text,
    repeat,
    select_due,
    texts_once,
    transfer_text,
)

#: A number blocked this many times (or once for a spoofed caller ID) is flagged as
#: fraudulent. One block is not enough: a busy ordinary line (a courier, a sales desk) can
#: look like a blast for an hour, and a flag blocks all its calls from then on.
FLAG_AFTER_BLOCKS = 5

#: Transfer signals that say the payer is being worked on by a fraudster now.
AT_RISK_SIGNALS = (
    "payer_risky_talk_24h",
    "payer_risky_contact_6h",
    "payer_risky_contact_72h",
    "payer_international_contact_6h",
    "payer_on_call",
    "payer_remote_app_24h",
    "payer_risky_app_72h",
    "payer_risky_url_24h",
    "payee_in_reported_case",
    "payee_on_risk_list",
)


def decision_rows(decisions: pa.Table, kind: str, event_ids: pa.ChunkedArray) -> pa.Table:
    """The decisions of `kind` for the given events, in their order (a decision table from
    `Engine.decide` holds them in that order already)."""
    rows = decisions.filter(pc.equal(decisions["kind"], kind))
    if rows.num_rows == len(event_ids) and rows["event_id"].equals(event_ids):
        return rows
    at = pc.index_in(event_ids, value_set=rows["event_id"])
    if at.null_count:
        missing = event_ids.filter(pc.is_null(at))[0].as_py()
        raise ValueError(f"decisions: no decision for {kind} {missing!r}")
    return rows.take(at)


class Outreach:
    """The warning tasks of one batch, written to `log` (see the module doc)."""

    def __init__(
        self,
        state: EngineState,
        policy: WarningPolicy,
        priority: CallPriority,
        log: WarningLog,
        keep_candidates: bool = False,
    ) -> None:
        self.state = state
        self.policy = policy
        self.priority = priority
        self.log = log
        self.keep_candidates = keep_candidates
        #: with keep_candidates: each candidate's priority inputs, person id and time
        self.candidates: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    # -- calls and SMS ---------------------------------------------------------------------

    def contacts(
        self,
        c: fx.Contacts,
        tables: Mapping[str, pa.Table],
        decided: Mapping[str, pa.Table],
        codes: np.ndarray,
        scores: np.ndarray,
        reached: np.ndarray,
        foreign: np.ndarray,
    ) -> None:
        """Reminders of calls and SMS from abroad, and warnings of risky calls the person
        answered and talked on."""
        delivered = reached & (codes < BLOCK) & (c.person >= 0)
        previous = fx.previous_contact(self.state, c)
        first = (previous < 0) | (c.ts - previous > self.policy.reminder_period_ms)
        remind = np.flatnonzero(delivered & (c.international | (foreign == 1)) & first)
        if len(remind):
            said = _ContactTexts(c, tables, decided, remind)
            country = c.country.take(pa.array(remind)).to_pylist()
            texts = [
                reminder_text(said.kind[k], said.number[k], country[k]) for k in range(len(remind))
            ]
            self.log.add(
                c.ts[remind], c.person[remind], repeat(REMINDER, len(remind)), said.source, texts
            )
        talked = c.is_call & (c.duration >= fx.TALK_MS)
        rows = np.flatnonzero(delivered & (codes >= WARN) & talked)
        if not len(rows):
            return
        x = call_inputs(scores[rows])
        chosen = self._outreach(c.ts[rows], c.person[rows], codes[rows], x)
        r = rows[chosen.rows]
        self.state.remember_warned(c.person[r], c.caller[r])
        said = _ContactTexts(c, tables, decided, r)
        for channel, at in chosen.channels():
            i = r[at]
            texts = [
                contact_text(channel, said.kind[j], said.number[j], said.reason[j])
                + chosen.ranking(channel, j)
                for j in at.tolist()
            ]
            sources = said.source.take(pa.array(at))
            self._add(chosen, channel, at, c.ts[i], c.person[i], sources, texts)

    # -- transfers -------------------------------------------------------------------------

    def transfers(
        self,
        t: fx.Transfers,
        table: pa.Table,
        decided: pa.Table,
        features: Mapping[str, np.ndarray],
    ) -> None:
        """Warnings to payers whose transfer the engine delayed, held or blocked, or warned
        about while they show signs of being worked on; 96110 calls for the ones most at
        risk. `decided` holds the transfers' decisions in the table's order."""
        codes = action_codes_of(decided["action"])
        scores = decided["score"].to_numpy()
        evidence = np.zeros(len(t), bool)
        for name in AT_RISK_SIGNALS:
            if name in features:
                evidence |= np.asarray(features[name], bool)
        # a payment stopped or delayed is the payer's concern with or without other signs
        candidate = (codes >= DELAY) | ((codes >= WARN) & evidence)
        rows = np.flatnonzero(candidate & (t.person >= 0))
        if not len(rows):
            return
        x = transfer_inputs(_rows_of(features, rows), codes[rows], scores[rows], DELAY)
        # A payment of the payer's own money, stopped or delayed while risky numbers are
        # after them, is always explained to them, whatever its rank.
        own_money = x[:, INPUTS.index("passes_money_on")] == 0
        told = (codes[rows] >= DELAY) & own_money & evidence[rows]
        chosen = self._outreach(t.ts[rows], t.person[rows], codes[rows], x, told)
        r = rows[chosen.rows]
        said = decided["reason"].take(pa.array(r)).to_pylist()  # only the people warned
        payees = table["to_account"].take(pa.array(r)).to_pylist()
        for channel, at in chosen.channels():
            i = r[at]
            texts = [
                transfer_text(channel, payees[j], int(t.amount[k]), said[j], int(codes[k]))
                + chosen.ranking(channel, j)
                for j, k in zip(at.tolist(), i.tolist(), strict=True)
            ]
            ids = table["event_id"].take(pa.array(i))
            self._add(chosen, channel, at, t.ts[i], t.person[i], ids, texts)

    # -- numbers judged fraudulent ----------------------------------------------------------

    def flag_numbers(self, c: fx.Contacts, codes: np.ndarray) -> None:
        """A number blocked FLAG_AFTER_BLOCKS times (or once for a spoofed caller ID) is
        flagged; everyone it reached in the last days, who was not warned about it
        already, gets one 12381 SMS."""
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
        if not len(people):
            return
        pairs = np.unique(np.stack([people, via], axis=1), axis=0)
        pairs = pairs[~s.was_warned(pairs[:, 0], pairs[:, 1])]
        if not len(pairs):
            return
        s.remember_warned(pairs[:, 0], pairs[:, 1])
        numbers = s.keys["phones"].key_of(pairs[:, 1]).to_pylist()
        when = at[np.searchsorted(callers, pairs[:, 1])]  # callers are sorted (np.unique)
        self.log.add(
            when,
            pairs[:, 0],
            repeat(SMS_12381, len(pairs)),
            [f"flag:{number}" for number in numbers],
            texts_once(pairs[:, 1], lambda i: flagged_number_text(numbers[i])),
        )

    # -- helpers ---------------------------------------------------------------------------

    def _outreach(
        self,
        ts: np.ndarray,
        person: np.ndarray,
        codes: np.ndarray,
        x: np.ndarray,
        told: np.ndarray | bool = False,
    ) -> _Chosen:
        """Among candidates (with priority inputs x): who gets a 96110 call and who an app
        push and SMS."""
        s = self.state
        priority = self.priority.score(x)
        if self.keep_candidates:
            self.candidates.append((x, person, ts))
        called, used = choose_calls(
            ts,
            person,
            priority,
            s.person_called.get(person),
            s.call_quota,
            self.policy,
            len(s.keys["people"]),
        )
        s.person_called.maximum(person[called], ts[called])
        due = np.flatnonzero((priority >= self.policy.warn_floor) | told)
        due = due[~np.isin(due, called)]
        warned = due[self._warned(person[due], ts[due], codes[due])]
        s.person_warned.maximum(person[called], ts[called])
        capacity = self.policy.calls_per_day(len(s.keys["people"]))
        why = self.priority.explain(x[called])
        ranked = {
            int(k): call_task_ranking(
                float(priority[k]),
                why[n],
                self.policy.call_bar(int(used[n]), capacity),
                int(used[n]),
                capacity,
            )
            for n, k in enumerate(called.tolist())
        }
        chosen = np.union1d(called, warned)
        texts = [ranked.get(k, "") for k in chosen.tolist()]
        return _Chosen(chosen, np.isin(chosen, called), priority[chosen], texts)

    def _add(
        self,
        chosen: _Chosen,
        channel: str,
        at: np.ndarray,
        ts: np.ndarray,
        person: np.ndarray,
        sources: pa.Array,
        texts: list[str],
    ) -> None:
        priority = chosen.priority[at] if channel == CALL_96110 else None
        self.log.add(ts, person, repeat(channel, len(ts)), sources, texts, priority)

    def _warned(self, person: np.ndarray, ts: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Of these candidates, the ones that get an app push and SMS within the
        cool-down; the people warned have their last warning moved on."""
        s = self.state
        kept = select_due(person, ts, codes, s.person_warned.get(person), self.policy.cooldown_ms)
        s.person_warned.maximum(person[kept], ts[kept])
        return kept


class _ContactTexts:
    """What the texts about some of a batch's calls and SMS say (`rows`, positions in the
    calls-then-SMS stream): each one's kind, the number shown, the decision's reason and
    its event id. Only these rows become Python strings, not the whole batch's. `decided`
    holds each kind's decisions in its table's order."""

    def __init__(
        self,
        c: fx.Contacts,
        tables: Mapping[str, pa.Table],
        decided: Mapping[str, pa.Table],
        rows: np.ndarray,
    ) -> None:
        self.kind: list[str] = []
        self.number: list[str] = []
        self.reason: list[str] = []
        sources: list[pa.Array] = []
        for kind, name, who, picked in (
            ("call", "calls", "caller", rows[rows < c.n_calls]),
            ("sms", "sms", "sender", rows[rows >= c.n_calls] - c.n_calls),
        ):
            table = tables.get(name)
            if table is None or not len(picked):
                continue
            shown = "presented_number" if "presented_number" in table.column_names else who
            at = pa.array(picked)
            ids = table["event_id"].take(at)
            self.kind += [kind] * len(picked)
            self.number += table[shown].take(at).to_pylist()
            self.reason += decided[kind]["reason"].take(at).to_pylist()
            sources.append(ids.combine_chunks())
        self.source = pa.concat_arrays(sources) if sources else pa.array([], pa.string())


@dataclass(frozen=True)
class _Chosen:
    """The candidates that get a task (positions among the candidates, increasing): which
    of them are called, their priorities, and each called one's ranking text."""

    rows: np.ndarray
    called: np.ndarray  # bool, by chosen row
    priority: np.ndarray
    ranked: list[str]

    def channels(self) -> list[tuple[str, np.ndarray]]:
        """(channel, positions in `rows`): a 96110 call or an app push each, an SMS for all."""
        every = np.arange(len(self.rows))
        out = [(CALL_96110, every[self.called]), (APP_PUSH, every[~self.called]), (SMS, every)]
        return [(channel, at) for channel, at in out if len(at)]

    def ranking(self, channel: str, at: int) -> str:
        """The ranking text a 96110 task carries (nothing on the other channels)."""
        return self.ranked[at] if channel == CALL_96110 else ""


def _rows_of(features: Mapping[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    return {k: np.asarray(v)[rows] for k, v in features.items()}
