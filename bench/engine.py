"""The real-time engine: replay throughput, single-decision latency, memory; river as the peer.

What is measured, on one core, with the full feature set, the default rules and the
shipped model (with the shipped fraud-text model reading the SMS, `intel.shipped`):

- replay: a simulated world of at least 5M events streamed through `Engine.process` in
  time batches of 250k events (features, rules, model, decisions, warnings, state);
- latency: single pre-transaction checks interleaved with the background stream (about
  500 other events absorbed between two checks): `Engine.decide_one` of the transfer,
  the check a bank makes (no state change), and the bank's report of the outcome
  afterwards (`Engine.absorb` of the transfer as executed); p50 and p99 of each;
- memory: the engine's state arrays per million accounts (the account-keyed parts, for
  the accounts in use, not the arrays' spare capacity), and all of the state;
- the peer: the same windowed features computed per event in Python with river stats and
  a river online model (`bench/_river_peer.py`), over the same world's events (the same
  job; about 3-4 minutes), and, as earlier runs measured it, over its first 300k events
  only (the peer is quicker there: its state is still small). The ratio is the peer's
  time for the whole world over the replay's (the peer reads no logins or reports, so
  its events per second count fewer events); over the first 300k events, of events/s.
"""

from __future__ import annotations

import gc
import json
import time
from typing import Any

import numpy as np
import pyarrow as pa

from bench._river_peer import EVENT_TABLES as PEER_TABLES
from bench._river_peer import run_peer
from fraudwall.engine import Engine, Outcomes, time_batches
from fraudwall.intel.shipped import shipped_engine
from fraudwall.model import EVENT_TABLES
from fraudwall.sim import SimConfig, simulate

PEOPLE = 40_000
DAYS = 30
SEED = 21  # not the seed the shipped model was trained on
BATCH = 250_000
CHECKS = 1_000
BACKGROUND = 500  # events absorbed between two checks
PEER_FIRST_EVENTS = 300_000
PEER_BUDGET_S = 900.0

ACCOUNT_PARTS = (
    "keys.accounts", "account_opened", "account_active_before", "account_owner",
    "account_reported", "account_listed", "account_stopped_until", "account_last_device",
    "payee_1h", "payee_24h", "payer_24h", "payer_7d", "account_seen",
)  # fmt: skip


def _in_use(engine: Engine, name: str, nbytes: int, n: int) -> float:
    """A part's bytes for the n entities in use: rolling windows count the ids they map
    and the rows they hold (entities active lately); arrays that grow by doubling count
    n entries, not their spare capacity."""
    part = engine.state.keys["accounts"] if name == "keys.accounts" else getattr(engine.state, name)
    if hasattr(part, "nbytes_in_use"):
        return float(part.nbytes_in_use)
    capacity = getattr(part, "capacity", None)
    if capacity is None and hasattr(part, "values"):
        capacity = len(part.values)
    return nbytes * n / capacity if capacity else float(nbytes)


def _replay(tables: dict[str, pa.Table]) -> tuple[Engine, int, float]:
    shipped = shipped_engine()  # the shipped model reading SMS with the shipped text model
    engine = Engine.for_world(tables, model=shipped.model, text_scorer=shipped.text_scorer)
    events = 0
    t0 = time.perf_counter()
    for batch in time_batches(tables, BATCH):
        engine.process(batch)
        events += batch.size
    return engine, events, time.perf_counter() - t0


def _rows_between(tables: dict[str, pa.Table], lo: int, hi: int) -> dict[str, pa.Table]:
    out = {}
    for name in EVENT_TABLES:
        ts = tables[name]["ts"].to_numpy()
        a, b = np.searchsorted(ts, [lo, hi])
        out[name] = tables[name].slice(int(a), int(b - a))
    return out


def _latency(tables: dict[str, pa.Table]) -> dict[str, Any]:
    """Absorb 60% of the history, then alternate background events and single checks."""
    transfers = tables["transfers"]
    ts = transfers["ts"].to_numpy()
    start = int(np.quantile(ts, 0.6))
    shipped = shipped_engine()  # the shipped model reading SMS with the shipped text model
    engine = Engine.for_world(tables, model=shipped.model, text_scorer=shipped.text_scorer)
    for batch in time_batches(_rows_between(tables, int(ts[0]), start), BATCH):
        engine.process(batch)
    # As the peer does: the tables and state built so far are long-lived, so the garbage
    # collector need not scan them again during the checks (a service would do the same).
    gc.collect()
    gc.freeze()
    total = sum(t.num_rows for t in tables.values() if "ts" in t.column_names)
    per_transfer = max(1, round(BACKGROUND * transfers.num_rows / total))
    first = int(np.searchsorted(ts, start))
    picks = np.arange(first, transfers.num_rows, per_transfer)[:CHECKS]
    picks = picks[np.concatenate([[True], ts[picks[1:]] > ts[picks[:-1]]])]  # distinct times
    keep = np.ones(transfers.num_rows, bool)
    keep[picks] = False
    stream = dict(tables, transfers=transfers.filter(pa.array(keep)))  # the checks apart
    lat: list[float] = []
    outcome: list[float] = []
    background = 0
    clock = start
    for i in picks.tolist():
        t_check = int(ts[i])
        before = _rows_between(stream, clock, t_check)  # events strictly before the check
        background += sum(t.num_rows for t in before.values())
        engine.process(before)
        one = transfers.slice(i, 1)
        check = one.to_pylist()[0]  # what a bank sends
        t0 = time.perf_counter()
        decision = engine.decide_one(check)
        t1 = time.perf_counter()
        engine.absorb(
            {"transfers": one}, Outcomes.reported([decision], {decision.event_id: "executed"})
        )
        outcome.append(time.perf_counter() - t1)
        lat.append(t1 - t0)
        clock = t_check
    gc.unfreeze()
    ms, outcome_ms = np.array(lat) * 1000, np.array(outcome) * 1000
    return {
        "checks": len(ms),
        "background_events": background,
        "decision_p50_ms": round(float(np.percentile(ms, 50)), 3),
        "decision_p99_ms": round(float(np.percentile(ms, 99)), 3),
        "decision_max_ms": round(float(ms.max()), 3),
        "outcome_absorbed_p50_ms": round(float(np.percentile(outcome_ms, 50)), 3),
        "outcome_absorbed_p99_ms": round(float(np.percentile(outcome_ms, 99)), 3),
    }


def run() -> dict[str, Any]:
    t0 = time.perf_counter()
    world = simulate(SimConfig(people=PEOPLE, days=DAYS, seed=SEED))
    tables = dict(world.tables)
    sim_s = time.perf_counter() - t0
    engine, events, seconds = _replay(tables)
    parts = engine.state.nbytes_by_part()
    accounts = len(engine.state.keys["accounts"])
    account_bytes = sum(_in_use(engine, p, parts[p], accounts) for p in ACCOUNT_PARTS)
    latency = _latency(tables)
    peer = run_peer(tables, events, PEER_BUDGET_S)
    first = run_peer(tables, PEER_FIRST_EVENTS, PEER_BUDGET_S)
    ours = events / seconds
    # The peer reads no logins or reports (fraudwall counts them as events): compare the
    # time each takes for the whole world, unless the budget cut the peer short.
    whole = peer["events"] == sum(tables[name].num_rows for name in PEER_TABLES)
    ratio = peer["seconds"] / seconds if whole else ours / peer["events_per_s"]
    return {
        "world": {"people": PEOPLE, "days": DAYS, "seed": SEED, "simulate_s": round(sim_s, 1)},
        "events": events,
        "replay_s": round(seconds, 2),
        "events_per_s": round(ours),
        "latency": latency,
        "accounts": accounts,
        "account_state_bytes_per_million": round(account_bytes / accounts * 1e6),
        "all_state_bytes": sum(parts.values()),
        "peer": {k: v for k, v in peer.items() if k != "features"},
        "peer_events_per_s": round(peer["events_per_s"]),
        "peer_whole_world": whole,
        "ratio": round(ratio, 1),
        "peer_first_300k_events_per_s": round(first["events_per_s"]),
        "ratio_to_peer_on_first_300k": round(ours / first["events_per_s"], 1),
        "goals": {"events_per_s": 300_000, "decision_p99_ms": 2.0, "ratio": 20.0},
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
