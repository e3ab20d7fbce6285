"""Mule features at scale (issue 13): `account_features` and scoring on a synthetic ledger
of >= 10M transfers over >= 1M accounts on ONE core, and a peer written the way a Python
team would (pandas group-bys + networkx cycles, bench/_intel_peer.py) on a sample, with
the same answers checked and the speed ratio.

The measured part runs in a subprocess with POLARS_MAX_THREADS=1 (and OMP_NUM_THREADS=1
for LightGBM), set before polars is imported; its peak memory is that subprocess's
ru_maxrss (it holds the generated ledger too). The ledger is generated in that subprocess
(bench/_intel_ledger.py, seeded numpy) and its time is reported apart. The model is trained
on the planted mules of the sample city (fraudwall's features of the sub-ledger), so the
scores are those of a real model over the full ledger's features.

Scoring gives reasons to the flagged accounts (`EntityModel.score`'s default): the
per-feature contributions cost some twenty times a plain prediction. Times are wall
seconds and, as the machine is shared, also the process's CPU seconds (`*_cpu_s`: one core,
so CPU time is the work done, whatever else ran).

`FRAUDWALL_BENCH_TRANSFERS` / `FRAUDWALL_BENCH_ACCOUNTS` (or `--transfers N --accounts N`)
shrink it for a quick look. 1.01M accounts are generated so that over 1M of them transact.
`python -m bench.intel` runs it and prints the figures; `python -m bench intel` records them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

GOAL_S = 120.0
GOAL_RATIO = 20.0


def run(transfers: int | None = None, accounts: int | None = None) -> dict[str, Any]:
    env = {**os.environ, "POLARS_MAX_THREADS": "1", "OMP_NUM_THREADS": "1"}
    if transfers is not None:
        env["FRAUDWALL_BENCH_TRANSFERS"] = str(transfers)
    if accounts is not None:
        env["FRAUDWALL_BENCH_ACCOUNTS"] = str(accounts)
    done = subprocess.run(
        [sys.executable, "-m", "bench.intel", "--measure"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        raise RuntimeError(f"measuring subprocess failed ({done.returncode})")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    for key, value in result.items():
        print(f"  {key}: {value}", file=sys.stderr)
    return result


def _measure() -> dict[str, Any]:
    import resource
    import time

    import numpy as np
    import polars as pl
    import pyarrow as pa

    from bench import _intel_peer
    from bench._intel_ledger import city_subledger, generate
    from fraudwall.intel.entitymodel import EntityModel
    from fraudwall.intel.mules import account_features

    assert pl.thread_pool_size() == 1, pl.thread_pool_size()
    n_t = int(os.environ.get("FRAUDWALL_BENCH_TRANSFERS", 10_000_000))
    n_a = int(os.environ.get("FRAUDWALL_BENCH_ACCOUNTS", 1_010_000))
    t0 = time.perf_counter()
    world = generate(n_t, n_a)
    gen_s = time.perf_counter() - t0
    sample = city_subledger(world)

    # the sample: fraudwall and the peer on the same sub-ledger, same answers
    fw_sample_s = float("inf")
    for _ in range(3):  # a tenth of a second: the best of three, as one run is mostly noise
        t0 = time.perf_counter()
        fw_sample = account_features({"transfers": sample})
        fw_sample_s = min(fw_sample_s, time.perf_counter() - t0)
    t0 = time.perf_counter()
    peer = _intel_peer.features(sample.select(["ts", "from_account", "to_account",
                                                "amount_fen"]).to_pandas())  # fmt: skip
    peer_s = time.perf_counter() - t0
    fw = fw_sample.to_pandas().set_index("account_id")
    cols = list(_intel_peer.COLUMNS)
    both = fw.index.intersection(peer.index)
    a, b = fw.loc[both, cols].to_numpy(), peer.loc[both, cols].to_numpy()
    bad = ~np.isclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True)
    mismatches = {c: int(n) for c, n in zip(cols, bad.sum(axis=0), strict=True) if n}

    # a model on the sample city's planted mules
    mules = set(world.names[world.mules].tolist())
    labels = np.array([k in mules for k in fw_sample["account_id"].to_pylist()])
    model = EntityModel.fit("account", "account_id", fw_sample, labels, seed=0)

    # the full ledger on one core
    t0, c0 = time.perf_counter(), time.process_time()
    features = account_features({"transfers": world.transfers})
    features_s, features_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    scores = model.score(features)
    score_s, score_cpu = time.perf_counter() - t0, time.process_time() - c0
    flagged = pa.compute.sum(scores["flagged"]).as_py()
    full_labels = np.isin(features["account_id"].to_numpy(zero_copy_only=False),
                          world.names[world.mules])  # fmt: skip
    got = model.evaluate(features, full_labels)
    accounts = features.num_rows
    per_fw = features_s / accounts
    per_peer = peer_s / len(peer)
    return {
        "polars_threads": pl.thread_pool_size(),
        "transfers": world.transfers.num_rows,
        "accounts": accounts,
        "planted_mules": len(world.mules),
        "generate_s": round(gen_s, 2),
        "features_s": round(features_s, 2),
        "score_s": round(score_s, 2),
        "features_and_score_s": round(features_s + score_s, 2),
        "features_cpu_s": round(features_cpu, 2),
        "score_cpu_s": round(score_cpu, 2),
        "features_and_score_cpu_s": round(features_cpu + score_cpu, 2),
        "reasons_for": "flagged accounts",
        "goal_s": GOAL_S,
        "flagged": int(flagged or 0),
        "model": "trained on the sample city's planted mules (EntityModel.fit, seed 0)",
        "full_ledger_f1": round(float(got["f1"]), 3),
        "full_ledger_auprc": round(float(got["auprc"]), 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "sample_transfers": sample.num_rows,
        "sample_accounts": fw_sample.num_rows,
        "compared_accounts": len(both),
        "compared_features": cols,
        "mismatches": mismatches,
        "mismatch_count": int(bad.any(axis=1).sum()),
        "peer_s": round(peer_s, 2),
        "fraudwall_sample_s": round(fw_sample_s, 3),
        "ratio_same_sample": round(peer_s / fw_sample_s, 1),
        "ratio_per_account_vs_full": round(per_peer / per_fw, 1),
        "fraudwall_us_per_account": round(per_fw * 1e6, 1),
        "peer_us_per_account": round(per_peer * 1e6, 1),
        "goal_ratio": GOAL_RATIO,
    }


def _scale(argv: list[str]) -> dict[str, int]:
    """`--transfers N` and `--accounts N` from the command line."""
    out: dict[str, int] = {}
    for flag in ("--transfers", "--accounts"):
        if flag in argv:
            at = argv.index(flag)
            if at + 1 >= len(argv) or not argv[at + 1].isdigit():
                raise SystemExit(f"{flag}: give a whole number")
            out[flag[2:]] = int(argv[at + 1])
    return out


if __name__ == "__main__":
    if sys.argv[1:] == ["--measure"]:
        print(json.dumps(_measure()))
    else:
        print(json.dumps(run(**_scale(sys.argv[1:])), indent=2))
