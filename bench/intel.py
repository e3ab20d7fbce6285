"""Mule features at scale (issue 13): a ledger of 10M transfers and 1M accounts on one core.

A synthetic ledger (seeded numpy): 1,000,000 accounts over 30 days, each paying mostly a
few habitual payees (a share of them among 2,000 busy merchants) and sometimes anyone,
in the daytime mostly; amounts log-normal in fen, a third of them round. Planted in it:
pass-through chains (a payer -> three mules within hours -> out), fan-ins (twenty payers
into one account in a day, then out), 2-cycles and 3-cycles within a day.

fraudwall: `mules.account_features` (all 86 features, polars on ONE thread:
POLARS_MAX_THREADS=1, in a subprocess, whose peak memory is read from getrusage), then
the shipped mule model's scores with reasons. Generation is timed apart.

Peer: the same features the way a Python team would write them (`_intel_peer`: pandas
group-bys, networkx cycles) for 11 of them, on a sample (the transfers touching 15,000
accounts drawn at random), in the same run; both are computed on that
sample and compared column by column (the same answers), and the ratio is the peer's time
per account on the sample to fraudwall's on the same sample, and to fraudwall's at full
scale. Goals: <= 120 s for features and scores at full scale; ratio >= 20x.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ACCOUNTS = 1_000_000
TRANSFERS = 10_000_000
DAYS = 30
SEED = 13
SAMPLE_SEEDS = 15_000
WINDOW_MS = 7 * 86_400_000
START_TS = 1_772_380_800_000  # 2026-03-01 00:00 China time
DAY_MS = 86_400_000
HOUR_MS = 3_600_000


def _ids(prefix: str, numbers: np.ndarray) -> pa.Array:
    text = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), 8, "0")
    return pc.binary_join_element_wise(prefix, text, "")


def ledger(n_accounts: int = ACCOUNTS, n_transfers: int = TRANSFERS, seed: int = SEED) -> pa.Table:
    """The synthetic ledger (see the module doc)."""
    rng = np.random.default_rng(seed)
    merchants = rng.choice(n_accounts, 2_000, replace=False)
    habits = rng.integers(0, n_accounts, (n_accounts, 4))
    habits[:, :2] = merchants[rng.integers(0, len(merchants), (n_accounts, 2))]
    payer = (n_accounts * rng.random(n_transfers) ** 1.6).astype(np.int64)  # a heavy head
    payee = habits[payer, rng.integers(0, 4, n_transfers)]
    anyone = rng.random(n_transfers) < 0.1
    payee[anyone] = rng.integers(0, n_accounts, int(anyone.sum()))
    day = rng.integers(0, DAYS, n_transfers)
    hour = np.where(rng.random(n_transfers) < 0.9, rng.uniform(8, 22, n_transfers),
                    rng.uniform(0, 24, n_transfers))  # fmt: skip
    ts = START_TS + day * DAY_MS + (hour * HOUR_MS).astype(np.int64) - 8 * HOUR_MS
    amount = np.exp(rng.normal(10.0, 1.5, n_transfers)).astype(np.int64) + 100
    round_ = rng.random(n_transfers) < 0.33
    amount[round_] = (amount[round_] // 10_000 + 1) * 10_000
    parts = [(payer, payee, ts, amount)]
    parts += list(_planted(rng, n_accounts))
    src = np.concatenate([p[0] for p in parts])
    dst = np.concatenate([p[1] for p in parts])
    same = src == dst
    dst[same] = (dst[same] + 1) % n_accounts
    t = np.concatenate([p[2] for p in parts])
    amt = np.concatenate([p[3] for p in parts])
    return pa.table(
        {
            "event_id": _ids("T", np.arange(len(src))),
            "ts": pa.array(t, pa.int64()),
            "from_account": _ids("A", src),
            "to_account": _ids("A", dst),
            "amount_fen": pa.array(amt, pa.int64()),
        }
    )


def _planted(rng: np.random.Generator, n: int) -> Any:
    """Chains, fan-ins and cycles among fresh accounts (ids above the ordinary ones' draw
    would be too rare: they are drawn from the whole range)."""
    k = 3_000  # chains: payer -> m1 -> m2 -> m3 -> out, minutes to hours apart
    nodes = rng.integers(0, n, (k, 5))
    t0 = START_TS + rng.integers(0, DAYS - 1, k) * DAY_MS + rng.integers(0, DAY_MS, k)
    amount = rng.integers(50_000, 5_000_000, k)
    for hop in range(4):
        at = t0 + hop * rng.integers(10, 180, k) * 60_000
        yield nodes[:, hop], nodes[:, hop + 1], at, amount - hop * 1_000
    f = 1_000  # fan-ins: twenty payers into one account within a day, then out
    hub = rng.integers(0, n, f)
    payers = rng.integers(0, n, (f, 20))
    day0 = START_TS + rng.integers(0, DAYS - 1, f) * DAY_MS
    at = np.repeat(day0, 20) + rng.integers(0, DAY_MS, f * 20)
    yield payers.ravel(), np.repeat(hub, 20), at, rng.integers(10_000, 500_000, f * 20)
    yield hub, rng.integers(0, n, f), day0 + DAY_MS, rng.integers(1_000_000, 5_000_000, f)
    for size, c in ((2, 2_000), (3, 1_000)):  # cycles within a day
        ring = rng.integers(0, n, (c, size))
        base = START_TS + rng.integers(0, DAYS - 1, c) * DAY_MS
        for hop in range(size):
            yield (ring[:, hop], ring[:, (hop + 1) % size], base + hop * HOUR_MS,
                   rng.integers(100_000, 900_000, c))  # fmt: skip


def _measure(path: Path) -> dict[str, Any]:
    """In a subprocess with polars on one thread: features and scores of the ledger at
    `path`, with the subprocess's peak memory."""
    code = f"""
import json, resource, time
import pyarrow.parquet as pq
t0 = time.perf_counter()
from fraudwall.intel import mules
transfers = pq.read_table({str(path)!r})
t1 = time.perf_counter()
features = mules.account_features({{"transfers": transfers}}, window_ms={WINDOW_MS})
t2 = time.perf_counter()
scores = mules.default_model().score(features)
t3 = time.perf_counter()
flagged = int(scores["flagged"].to_numpy(zero_copy_only=False).sum())
print(json.dumps({{"read_s": t1 - t0, "features_s": t2 - t1, "score_s": t3 - t2,
    "accounts": features.num_rows, "flagged": flagged,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""
    env = {**os.environ, "POLARS_MAX_THREADS": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def _sample(table: pa.Table, seed: int = SEED) -> pa.Table:
    """The transfers that touch SAMPLE_SEEDS accounts drawn at random (their ego networks):
    a sub-ledger both sides compute the features of, in full."""
    rng = np.random.default_rng(seed + 1)
    ids = pc.unique(pa.chunked_array([table["from_account"], table["to_account"]]))
    seeds = ids.take(pa.array(rng.choice(len(ids), SAMPLE_SEEDS, replace=False)))
    touching = pc.or_(pc.is_in(table["from_account"], value_set=seeds),
                      pc.is_in(table["to_account"], value_set=seeds))  # fmt: skip
    return table.filter(touching)


def run() -> dict[str, Any]:
    import pandas as pd

    from bench._intel_peer import COLUMNS, compare, peer_features

    t0 = time.perf_counter()
    table = ledger()
    generate_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory(prefix="fraudwall-bench-intel-") as tmp:
        full = Path(tmp) / "ledger.parquet"
        pq.write_table(table, full)
        at_scale = _measure(full)
        sample = _sample(table)
        part = Path(tmp) / "sample.parquet"
        pq.write_table(sample, part)
        on_sample = _measure(part)
    # the same features on the sample, side by side
    from fraudwall.intel import mules

    ours = mules.account_features({"transfers": sample}, window_ms=WINDOW_MS).to_pandas()
    ours = ours.set_index("account_id")[list(COLUMNS)]
    t1 = time.perf_counter()
    theirs = peer_features(sample.to_pandas(), WINDOW_MS)
    peer_s = time.perf_counter() - t1
    same = compare(ours, theirs)
    peer_per = peer_s / max(len(theirs), 1)
    ours_per_sample = on_sample["features_s"] / max(on_sample["accounts"], 1)
    ours_per_full = at_scale["features_s"] / max(at_scale["accounts"], 1)
    result = {
        "ledger": {"transfers": table.num_rows, "accounts": at_scale["accounts"], "days": DAYS,
                   "seed": SEED, "generate_s": round(generate_s, 1)},
        "fraudwall_one_thread": {k: round(v, 2) if isinstance(v, float) else v
                                 for k, v in at_scale.items()},
        "features_and_scores_s": round(at_scale["features_s"] + at_scale["score_s"], 1),
        "goal_s": 120,
        "sample": {"transfers": sample.num_rows, "accounts": len(theirs),
                   "fraudwall_features_s": round(on_sample["features_s"], 2),
                   "peer_s": round(peer_s, 2), "peer": "pandas group-bys + networkx cycles",
                   "columns_compared": list(COLUMNS), **same},
        "ratio_per_account_vs_sample": round(peer_per / ours_per_sample, 1),
        "ratio_per_account_vs_full_scale": round(peer_per / ours_per_full, 1),
        "goal_ratio": 20,
    }  # fmt: skip
    print(json.dumps(result, ensure_ascii=False))
    _ = pd  # the peer's library, imported here so a missing pandas fails before the work
    return result


if __name__ == "__main__":
    run()
