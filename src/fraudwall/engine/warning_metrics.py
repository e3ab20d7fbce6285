"""How precise the warnings of a replay were: who was warned, and were they the people at risk.

The firewall's warnings cost something real: a 96110 call is a person at a call centre,
and a warning to someone in no danger teaches people to ignore the next one. So besides
the money kept (`metrics.replay_metrics`), a replay is scored on whom it warned, against
the world's ground truth (`warning_metrics`):

* ``warned_people_share``: people warned (any warning channel) over everyone;
* ``victims_warned_before_first_payment_share``: victims (people who paid a fraud)
  warned at or before their first fraud payment (a pre-transaction warning on that very
  payment is shown before it executes, so it counts), over all victims;
* ``call_tasks_per_10k_per_day``: 96110 call tasks per 10,000 people per day;
* ``call_task_precision``: the share of 96110 tasks whose person was, at the task's
  time, a victim of a fraud in progress — from the case's first contact to its last
  fraud payment or fraud contact, whichever is later — or had talked at least a minute
  with a fraud number in the 24 hours before;
* ``untargeted_warned_share``: people warned who were never contacted by a fraud number
  (no call or SMS from one, and not a victim), over all such people.

International reminders (`warnings.REMINDER`) are their own channel: counted apart
(``reminders_sent``, ``reminded_people``), never as warnings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.engine.warnings import CALL_96110, REMINDER
from fraudwall.model import DAY_MS, MINUTE_MS, EntityKind, Role

#: A call at least this long with a fraud number is a conversation, not a missed blast.
TALKED_MS = MINUTE_MS


def _strings(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    return arr.cast(pa.string()) if arr.type != pa.string() else arr


def _ints(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(col, -1).to_numpy(zero_copy_only=False), np.int64)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _truth_ids(truth: pa.Table, kind: EntityKind, role: Role) -> pa.Table:
    keep = pc.and_(pc.equal(truth["entity_kind"], kind.value), pc.equal(truth["role"], role.value))
    return truth.filter(keep)


class _People:
    """Person ids as dense codes (the people table first, then anyone else met)."""

    def __init__(self, people: pa.Table) -> None:
        self.ids = _strings(people["person_id"])

    def code(self, persons: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """Each person's code, -1 for a null or unknown person."""
        return _ints(pc.index_in(_strings(persons), value_set=self.ids))


def _fraud_contacts(
    calls: pa.Table | None, sms: pa.Table | None, truth: pa.Table, phones: pa.Table
) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Every call and SMS from a fraud number: (person reached, ts, talk duration ms)."""
    numbers = _strings(_truth_ids(truth, EntityKind.PHONE, Role.FRAUD_NUMBER)["entity_id"])
    owner_of = _strings(phones["number"])
    owners = _strings(phones["owner_person_id"])
    persons: list[pa.Array] = []
    ts: list[np.ndarray] = []
    talk: list[np.ndarray] = []
    for table, who, whom in ((calls, "caller", "callee"), (sms, "sender", "receiver")):
        if table is None or not table.num_rows:
            continue
        hit = table.filter(pc.is_in(table[who], value_set=numbers))
        at = pc.index_in(_strings(hit[whom]), value_set=owner_of)
        persons.append(owners.take(at))
        ts.append(_ints(hit["ts"]))
        duration = hit["duration_ms"] if "duration_ms" in hit.column_names else None
        talk.append(_ints(duration) if duration is not None else np.zeros(hit.num_rows, np.int64))
    if not persons:
        return pa.array([], pa.string()), np.empty(0, np.int64), np.empty(0, np.int64)
    return pa.concat_arrays(persons), np.concatenate(ts), np.concatenate(talk)


def _any_within(
    key: np.ndarray, ts: np.ndarray, q_key: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """For each query, whether some (key, ts) has key == q_key and lo <= ts <= hi."""
    if not len(key) or not len(q_key):
        return np.zeros(len(q_key), bool)
    order = np.lexsort((ts, key))
    k, t = key[order], ts[order]
    start = np.searchsorted(k, q_key, "left")
    end = np.searchsorted(k, q_key, "right")
    # within each key's run, ts is sorted: the first ts >= lo, is it <= hi?
    span = t.max() - t.min() + 1 if len(t) else 1
    flat = (k - k.min()) * (span + 1) + (t - t.min())
    q_lo = (q_key - k.min()) * (span + 1) + np.clip(lo - t.min(), 0, span)
    first = np.searchsorted(flat, q_lo, "left")
    first = np.clip(first, start, end)
    ok = first < end
    ok[ok] = t[first[ok]] <= hi[ok]
    return ok


class AtRisk:
    """Whether a person was at risk at a moment, by the world's truth: a victim of a fraud
    in progress (from the case's first contact to its last fraud payment or contact) or
    someone who talked a minute or more with a fraud number in the 24 hours before."""

    def __init__(self, tables: Mapping[str, pa.Table]) -> None:
        self.people = _People(tables["people"])
        truth, cases = tables["truth"], tables["cases"]
        case_ids = _strings(cases["case_id"])
        self.case_end = _ints(cases["first_contact_ts"]).copy()
        acts = pa.concat_tables(
            [
                _truth_ids(truth, EntityKind.TRANSFER, Role.FRAUD_PAYMENT),
                _truth_ids(truth, EntityKind.CALL, Role.FRAUD_CONTACT),
                _truth_ids(truth, EntityKind.SMS, Role.FRAUD_CONTACT),
            ]
        )
        acts = acts.filter(pc.is_valid(acts["case_id"]))
        act_ts = _event_ts(acts["entity_id"], tables)
        act_case = _ints(pc.index_in(_strings(acts["case_id"]), value_set=case_ids))
        known = (act_case >= 0) & (act_ts >= 0)
        np.maximum.at(self.case_end, act_case[known], act_ts[known])
        self.case_person = self.people.code(cases["victim_person_id"])
        self.case_start = _ints(cases["first_contact_ts"])
        person, ts, talk = _fraud_contacts(
            tables.get("calls"), tables.get("sms"), truth, tables["phones"]
        )
        self.contacted = self.people.code(person)
        long_call = (talk >= TALKED_MS) & (self.contacted >= 0)
        self.talk_person, self.talk_ts = self.contacted[long_call], ts[long_call]

    def at(self, persons: pa.Array | pa.ChunkedArray, ts: np.ndarray) -> np.ndarray:
        """For each (person id, time): at risk then?"""
        code = self.people.code(persons)
        in_case = _case_in_progress(self.case_person, self.case_start, self.case_end, code, ts)
        talked = _any_within(self.talk_person, self.talk_ts, code, ts - DAY_MS, ts)
        return (in_case | talked) & (code >= 0)

    def targeted(self) -> np.ndarray:
        """Per person (people table order): reached by a fraud number, or a victim."""
        n = len(self.people.ids)
        out = np.zeros(n + 1, bool)
        out[self.contacted] = True
        out[self.case_person] = True
        return out[:n]


def warning_metrics(
    warnings: pa.Table,
    tables: Mapping[str, pa.Table],
    days: float,
) -> dict[str, Any]:
    """Score a replay's warnings against the world's truth (see the module doc).

    `tables` is the world: people, phones, calls, sms, truth, cases and transfers are
    read; `days` is the span replayed."""
    risk = AtRisk(tables)
    people = risk.people
    n_people = len(people.ids)
    channel = _strings(warnings["channel"])
    is_reminder = np.asarray(pc.equal(channel, REMINDER).to_numpy(zero_copy_only=False), bool)
    warned = warnings.filter(pa.array(~is_reminder))
    reminded = warnings.filter(pa.array(is_reminder))
    w_person = people.code(warned["person_id"])
    w_ts = _ints(warned["ts"])
    warned_set = np.zeros(n_people + 1, bool)
    warned_set[w_person] = True  # -1 (unknown person) lands in the spare last slot
    warned_set = warned_set[:n_people]

    # Victims (people who paid a fraud) and when they first paid.
    cases = tables["cases"]
    paid = cases.filter(pc.is_valid(cases["first_payment_ts"]))
    v_person = people.code(paid["victim_person_id"])
    first_paid = np.full(n_people + 1, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(first_paid, v_person, _ints(paid["first_payment_ts"]))
    first_warned = np.full(n_people + 1, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(first_warned, w_person, w_ts)
    victims = np.unique(v_person[v_person >= 0])
    warned_in_time = int((first_warned[victims] <= first_paid[victims]).sum())

    # 96110 call tasks and whether each reached a person at risk then.
    tasks = warned.filter(pc.equal(_strings(warned["channel"]), CALL_96110))
    precise = int(risk.at(tasks["person_id"], _ints(tasks["ts"])).sum())
    n_tasks = tasks.num_rows

    untargeted = ~risk.targeted()
    per_10k_day = n_tasks / (n_people / 10_000) / days if n_people and days > 0 else None
    return {
        "warned_people_share": _share(int(warned_set.sum()), n_people),
        "victims_warned_before_first_payment_share": _share(warned_in_time, len(victims)),
        "call_tasks": n_tasks,
        "call_tasks_per_10k_per_day": per_10k_day,
        "call_task_precision": _share(precise, n_tasks),
        "untargeted_warned_share": _share(
            int((warned_set & untargeted).sum()), int(untargeted.sum())
        ),
        "reminders_sent": reminded.num_rows,
        "reminded_people": int(pc.count_distinct(reminded["person_id"]).as_py()),
    }


def _case_in_progress(
    c_person: np.ndarray,
    c_start: np.ndarray,
    c_end: np.ndarray,
    person: np.ndarray,
    ts: np.ndarray,
) -> np.ndarray:
    """For each (person, ts), whether one of the person's cases spans ts."""
    out = np.zeros(len(person), bool)
    order = np.argsort(c_person, kind="stable")
    cp, cs, ce = c_person[order], c_start[order], c_end[order]
    first = np.searchsorted(cp, person, "left")
    count = np.searchsorted(cp, person, "right") - first
    for j in range(int(count.max()) if len(count) else 0):  # a person has few cases
        has = count > j
        k = first[has] + j
        out[has] |= (ts[has] >= cs[k]) & (ts[has] <= ce[k])
    return out


def _event_ts(ids: pa.ChunkedArray, tables: Mapping[str, pa.Table]) -> np.ndarray:
    """The ts of each event id among the world's transfers, calls and SMS (-1 if none)."""
    out = np.full(len(ids), -1, np.int64)
    wanted = _strings(ids)
    for name in ("transfers", "calls", "sms"):
        table = tables.get(name)
        if table is None or not table.num_rows:
            continue
        at = _ints(pc.index_in(wanted, value_set=_strings(table["event_id"])))
        hit = at >= 0
        out[hit] = _ints(table["ts"])[at[hit]]
    return out
