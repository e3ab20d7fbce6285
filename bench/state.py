"""Engine state building blocks: dense entity ids and windowed per-entity signals.

Figures on one core for 1M-event batches: known keys resolved per second by `KeyIndex`,
and events per second for `before_each` + `add` of each windowed signal over 1M entities
(the typical layout: 1h/24h/7d counters, a 24h distinct sketch, last seen), with the
memory it takes per million entities; and the same for three columns over one bucket
plan (a payee's payers, transfers and inflow) in one row pool and in three. No peer
here: the engine benchmark (issue 3) compares the whole pipeline against a river
pipeline.
"""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.common import KeyIndex
from fraudwall.engine.poolcolumns import Column, Counter, Distinct
from fraudwall.engine.rowpool import RowPool
from fraudwall.engine.windows import BatchOrder, LastSeen
from fraudwall.model import HOUR_MS

N = 1_000_000
ENTITIES = 1_000_000


def _keys(ints: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise(pa.scalar("acct_"), pc.cast(pa.array(ints), pa.string()), "")


def keys_figures() -> dict[str, Any]:
    rng = np.random.default_rng(0)
    index = KeyIndex()
    t0 = time.perf_counter()
    for lo in range(0, ENTITIES, N):
        index.lookup(_keys(np.arange(lo, lo + N)))
    new_s = time.perf_counter() - t0
    batch = _keys(rng.integers(0, ENTITIES, N))
    known = []
    for _ in range(3):
        t = time.perf_counter()
        index.lookup(batch)
        known.append(time.perf_counter() - t)
    return {
        "new_keys_per_s": round(ENTITIES / new_s),
        "known_keys_per_s": round(N / min(known)),
        "bytes_per_key": round(index.nbytes / ENTITIES),
    }


def _pool(window_ms: int, bucket_ms: int, **columns: Column) -> RowPool:
    return RowPool(window_ms, bucket_ms, columns, n_capacity=ENTITIES)


def _folds(signals: dict[str, Any], batches: int = 5) -> dict[str, float]:
    """Median seconds per batch of `before_each` (each column) + `add` for each signal."""
    rng = np.random.default_rng(0)
    times: dict[str, list[float]] = {k: [] for k in [*signals, "batch_order"]}
    t0 = 0
    for _ in range(batches):
        ids = rng.integers(0, ENTITIES, N)
        ts = np.sort(rng.integers(t0, t0 + 2 * HOUR_MS, N))
        t0 += 2 * HOUR_MS
        vals = rng.integers(1, 100_000, N)
        others = rng.integers(0, 50_000_000, N)
        t = time.perf_counter()
        order = BatchOrder.of(ids, ts)
        times["batch_order"].append(time.perf_counter() - t)
        for name, s in signals.items():
            t = time.perf_counter()
            if isinstance(s, LastSeen):
                s.before_each(ids, ts, order=order)
                s.update(ids, ts)
            else:
                values = {
                    k: others if isinstance(c, Distinct) else vals for k, c in s.columns.items()
                }
                for k, v in values.items():
                    s.before_each(k, ids, ts, v, order=order)
                s.add(ids, ts, values, order=order)
            times[name].append(time.perf_counter() - t)
    return {k: float(np.median(v[1:])) for k, v in times.items()}  # first batch warms up


def windows_figures() -> dict[str, Any]:
    signals: dict[str, Any] = {
        "count_1h_5min": _pool(HOUR_MS, 300_000, n=Counter()),
        "count_24h_1h": _pool(24 * HOUR_MS, HOUR_MS, n=Counter()),
        "amount_7d_6h": _pool(7 * 24 * HOUR_MS, 6 * HOUR_MS, fen=Counter()),
        "distinct_24h_1h": _pool(24 * HOUR_MS, HOUR_MS, x=Distinct()),
        "last_seen": LastSeen(ENTITIES),
    }
    median = _folds(signals)
    out: dict[str, Any] = {f"{k}_events_per_s": round(N / v) for k, v in median.items()}
    out["all_signals_events_per_s"] = round(N / sum(median.values()))
    out["mb_per_million_entities"] = round(sum(s.nbytes for s in signals.values()) / ENTITIES)
    # A payee's or a caller's layout: distinct counterparts, a count and a sum over one
    # bucket plan, in one pool of three columns and in three pools of one column.
    columns: dict[str, Column] = {"x": Distinct(), "n": Counter(np.int32), "fen": Counter()}
    shared = {"pool_of_3_columns": _pool(24 * HOUR_MS, HOUR_MS, **columns)}
    apart = {f"pool_of_{k}": _pool(24 * HOUR_MS, HOUR_MS, **{k: c}) for k, c in columns.items()}
    for layout, pools in (("shared", shared), ("apart", apart)):
        median = _folds(pools)
        seconds = sum(v for k, v in median.items() if k != "batch_order")
        out[f"3_columns_24h_1h_{layout}_events_per_s"] = round(N / seconds)
        out[f"3_columns_24h_1h_{layout}_mb_per_million_entities"] = round(
            sum(p.nbytes for p in pools.values()) / ENTITIES
        )
    return out


def run() -> dict[str, Any]:
    return {"batch_events": N, "entities": ENTITIES, "keys": keys_figures(),
            "windows": windows_figures()}  # fmt: skip


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
