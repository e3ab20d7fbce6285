"""Development harness for trace speed (not part of the bench): a cached sparse world,
per-case timings, a cProfile run, and an exact answer check against a saved baseline."""

from __future__ import annotations

import json
import pickle
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather

from bench._trace_world import DAY, make_world
from fraudwall.funds.ledger import Ledger
from fraudwall.funds.trace import Rule, trace

CACHE = Path("/tmp/tr")
SETTINGS = {"late": None, "early": 3 * DAY}
RULES = (Rule.LIBR, Rule.FIFO, Rule.LIFO, Rule.HAIRCUT, Rule.POISON)


def world(name: str = "sparse") -> tuple[pa.Table, pa.Table, list[list[tuple[str, str]]]]:
    people = {"sparse": 1_000_000, "busy": 500_000}[name]
    t, a, c = CACHE / f"{name}_t.arrow", CACHE / f"{name}_a.arrow", CACHE / f"{name}_c.json"
    if not c.exists():
        w = make_world(10_000_000, people=people, cases=300)
        feather.write_feather(w.transfers, t, compression="uncompressed")
        feather.write_feather(w.accounts, a, compression="uncompressed")
        c.write_text(json.dumps(w.cases))
    cases = [[(v, e) for v, e in case] for case in json.loads(c.read_text())]
    return feather.read_table(t), feather.read_table(a), cases


def answers(led: Ledger, cases: list[list[tuple[str, str]]]) -> dict[Any, Any]:
    out = {}
    for s, w in SETTINGS.items():
        for r in RULES:
            for i, seeds in enumerate(cases):
                out[s, r.value, i] = trace(led, seeds, r, max_hops=6, window_ms=w)
    return out


def timings(led: Ledger, cases: list[list[tuple[str, str]]], rules: tuple[Rule, ...],
            reps: int) -> dict[str, float]:  # fmt: skip
    res = {}
    for s, w in SETTINGS.items():
        for r in rules:
            best = []
            for seeds in cases:
                b = float("inf")
                for _ in range(3):
                    t0 = time.perf_counter()
                    trace(led, seeds, r, max_hops=6, window_ms=w)
                    b = min(b, time.perf_counter() - t0)
                best.append(b)
            res[f"{s}_{r.value}"] = float(np.median(best)) * 1e3
    return res


def main() -> None:
    cmd = sys.argv[1]
    name = sys.argv[2] if len(sys.argv) > 2 else "sparse"
    t, a, cases = world(name)
    led = Ledger(t, a)
    if cmd == "save":
        with open(CACHE / f"{name}_base.pkl", "wb") as f:
            pickle.dump(answers(led, cases), f)
    elif cmd == "check":
        with open(CACHE / f"{name}_base.pkl", "rb") as f:
            base = pickle.load(f)
        new = answers(led, cases)
        bad = [k for k in base if base[k] != new[k]]
        print("check:", "OK" if not bad else f"{len(bad)} differ, e.g. {bad[:5]}")
    elif cmd == "time":
        rules = (
            (Rule.LIBR, Rule.FIFO)
            if len(sys.argv) <= 3
            else tuple(Rule(x) for x in sys.argv[3].split(","))
        )
        for _ in range(int(sys.argv[4]) if len(sys.argv) > 4 else 2):
            res = timings(led, cases, rules, 3)
            print(" ".join(f"{k}={v:.3f}" for k, v in res.items()), flush=True)
    elif cmd == "prof":
        import cProfile
        import pstats

        setting, rule = sys.argv[3], Rule(sys.argv[4])
        w = SETTINGS[setting]
        pr = cProfile.Profile()
        pr.enable()
        for seeds in cases:
            trace(led, seeds, rule, max_hops=6, window_ms=w)
        pr.disable()
        pstats.Stats(pr).sort_stats("tottime").print_stats(25)
    elif cmd == "peer":
        from bench._trace_peer import graph, peer_trace, relevant

        pc = cases[:6]
        g = graph(led, relevant(led, pc, 6))
        for s, w in SETTINGS.items():
            for r in (Rule.LIBR, Rule.FIFO):
                ps, os_ = [], []
                for seeds in pc:
                    b = float("inf")
                    for _ in range(3):
                        t0 = time.perf_counter()
                        peer_trace(g, seeds, r.value, 6, w)
                        b = min(b, time.perf_counter() - t0)
                    ps.append(b * 1e3)
                    b = float("inf")
                    for _ in range(5):
                        t0 = time.perf_counter()
                        trace(led, seeds, r, max_hops=6, window_ms=w)
                        b = min(b, time.perf_counter() - t0)
                    os_.append(b * 1e3)
                print(
                    s,
                    r.value,
                    "peer",
                    [round(x, 2) for x in ps],
                    "ours",
                    [round(x, 3) for x in os_],
                    "ratio",
                    round(sum(ps) / sum(os_), 1),
                )


if __name__ == "__main__":
    main()
