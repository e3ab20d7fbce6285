"""Tracing (DESIGN §6): index a 10M-transfer ledger, trace cases, compare with networkx.

The ledgers (bench/_trace_world.py): 10M transfers over 30 days, over half of them to
shops, the rest between people, from employers, to and from cash, with 300 planted
cases of 2-6 victims and mule trees 3-6 hops deep, a third of the mules rented ordinary
accounts with their own money and life. Two of them: 1M people making about ten
payments a month each ("sparse"), and 500k people making about twenty ("busy").

Figures: the index build rate (transfers/s; the first build, which also pays for fresh
memory, and the best of two), and the time to trace one case (all its victims, 6 hops)
under LIBR and FIFO, per case the best of three runs, median / p90 / max over the 300
cases, in two settings: "late" traces to the end of the ledger (weeks after the fraud,
as when money is returned), "early" within 3 days of the first payment (as when
stop-payments go out).

The peer (bench/_trace_peer.py) is the same rules with networkx the way a Python team
would write them: a search for the accounts the money could reach (later transfers, hop
limit, window), then one pass over those accounts' transfers with balances rebuilt from
their history. It must give the same holdings, hops and exits on every case it runs
(the first 6 cases of each ledger; each side's time is its best of three runs, or of
as many as fit in a second for the slowest peer runs). Its MultiDiGraph holds every
transfer of every account its search reaches in those cases: the rest of the 10M can
change neither its answer nor its work, and a 10M-edge MultiDiGraph would take ~10 GB.

What the ratio measures: fraudwall's work follows where the money went; the peer's
follows where money could have gone, which grows with the time since the fraud and with
how busy accounts are. So the ratio is large for a late trace and small for an early
one, where both spend their time in the same per-transfer Python.
"""

from __future__ import annotations

import gc
import json
import time
from typing import Any

import numpy as np

from bench._trace_peer import graph, peer_trace, relevant
from bench._trace_world import make_world
from fraudwall.funds import Ledger, Rule, Trace, trace
from fraudwall.model import DAY_MS

N_TRANSFERS = 10_000_000
LEDGERS = {"sparse": 1_000_000, "busy": 500_000}  # people: ~10 / ~20 payments a month each
CASES = 300
PEER_CASES = 6
MAX_HOPS = 6
RULES = (Rule.LIBR, Rule.FIFO)
SETTINGS = {"late": None, "early": 3 * DAY_MS}
GOAL_BUILD_S = 10.0  # "a 10M-transfer ledger should index in seconds"
GOAL_CASE_MS = 20.0  # one case, several victims, 6 hops, ledger >= 10M transfers
GOAL_RATIO = 100.0  # against the networkx peer on the same data


def _ms(xs: list[float]) -> dict[str, float]:
    a = np.asarray(xs) * 1e3
    return {
        "median_ms": round(float(np.median(a)), 3),
        "p90_ms": round(float(np.percentile(a, 90)), 3),
        "max_ms": round(float(a.max()), 3),
    }


def _best_of(k: int, ledger: Ledger, seeds: list[tuple[str, str]], rule: Rule,
             window: int | None) -> tuple[float, Trace]:  # fmt: skip
    best, tr = float("inf"), None
    for _ in range(k):
        t = time.perf_counter()
        tr = trace(ledger, seeds, rule, max_hops=MAX_HOPS, window_ms=window)
        best = min(best, time.perf_counter() - t)
    assert tr is not None
    return best, tr


def _answer(tr: Trace) -> dict[str, Any]:
    return {
        "holdings": {(h.account, h.victim): h.fen for h in tr.holdings},
        "hops": sorted(h[:1] + h[2:] for h in tr.hops),
        "exits": sorted(e[:1] + e[2:] for e in tr.exits),
    }


def one_ledger(people: int) -> dict[str, Any]:
    """Build, trace every case, and race the peer on a few, on one 10M-transfer ledger."""
    t0 = time.perf_counter()
    world = make_world(N_TRANSFERS, people=people, cases=CASES)
    generate_s = time.perf_counter() - t0
    n = world.transfers.num_rows
    builds = []
    ledger: Ledger | None = None
    for _ in range(2):
        ledger = None
        gc.collect()
        t = time.perf_counter()
        ledger = Ledger(world.transfers, world.accounts)
        builds.append(time.perf_counter() - t)
    assert ledger is not None

    ours: dict[str, Any] = {}
    for setting, window in SETTINGS.items():
        for rule in RULES:
            times, hops, accounts = [], [], []
            for seeds in world.cases:
                s, tr = _best_of(3, ledger, seeds, rule, window)
                held, gone = tr.held(), tr.exited()
                assert all(held[v] + gone[v] == tr.paid[v] for v in tr.victims), "not conserved"
                times.append(s)
                hops.append(len(tr.hops))
                accounts.append(len(tr.accounts))
            ours[f"{setting}_{rule}"] = {**_ms(times), "hops_median": int(np.median(hops)),
                                         "accounts_median": int(np.median(accounts))}  # fmt: skip

    peer_cases = world.cases[:PEER_CASES]
    t = time.perf_counter()
    journal = relevant(ledger, peer_cases, MAX_HOPS)  # the late search reaches the most
    g = graph(ledger, journal)
    graph_s = time.perf_counter() - t
    peer: dict[str, Any] = {"cases": len(peer_cases), "graph_edges": g.number_of_edges(),
                            "graph_build_s": round(graph_s, 1)}  # fmt: skip
    same = True
    for setting, window in SETTINGS.items():
        for rule in RULES:
            p_times, o_times = [], []
            for seeds in peer_cases:
                best, spent = float("inf"), 0.0
                for _ in range(3):  # best of three as for fraudwall, or of what fits in 1 s
                    t = time.perf_counter()
                    answer = peer_trace(g, seeds, rule.value, MAX_HOPS, window)
                    best = min(best, time.perf_counter() - t)
                    spent += time.perf_counter() - t
                    if spent > 1.0:
                        break
                p_times.append(best)
                s, tr = _best_of(3, ledger, seeds, rule, window)
                o_times.append(s)
                same &= answer == _answer(tr)
            pa_, oa = np.asarray(p_times), np.asarray(o_times)
            peer[f"{setting}_{rule}"] = {
                "peer_median_ms": round(float(np.median(pa_)) * 1e3, 2),
                "ours_median_ms": round(float(np.median(oa)) * 1e3, 3),
                "ratio_total": round(float(pa_.sum() / oa.sum()), 1),
                "ratio_median": round(float(np.median(pa_ / oa)), 1),
            }
    assert same, "the networkx peer and fraudwall disagree"
    return {
        "people": people,
        "transfers": n,
        "accounts": ledger.n_accounts,
        "cases": len(world.cases),
        "generate_s": round(generate_s, 1),
        "build_first_s": round(builds[0], 2),
        "build_best_s": round(min(builds), 2),
        "build_transfers_per_s": round(n / min(builds)),
        "trace": ours,
        "peer": peer,
        "same_answers": same,
    }


def run() -> dict[str, Any]:
    ledgers = {}
    for name, people in LEDGERS.items():
        ledgers[name] = one_ledger(people)
        gc.collect()
    figures = list(ledgers.values())
    first_build = max(f["build_first_s"] for f in figures)
    case_ms = max(f["trace"][f"{s}_{r}"]["median_ms"] for f in figures for s in SETTINGS
                  for r in RULES)  # fmt: skip
    ratio = {name: {s: min(f["peer"][f"{s}_{r}"]["ratio_total"] for r in RULES)
                    for s in SETTINGS} for name, f in ledgers.items()}  # fmt: skip
    return {
        "ledgers": ledgers,
        "peer": "networkx MultiDiGraph: reachability search, then one pass (bench/_trace_peer.py)",
        "goal_build_s": GOAL_BUILD_S,
        "meets_build_goal": first_build <= GOAL_BUILD_S,
        "goal_case_ms": GOAL_CASE_MS,
        "case_median_ms_worst": case_ms,
        "meets_case_goal": case_ms <= GOAL_CASE_MS,
        "goal_ratio": GOAL_RATIO,
        "ratio_by_ledger_and_setting": ratio,
        "meets_ratio_goal": {
            f"{name}_{s}": r >= GOAL_RATIO for name, rs in ratio.items() for s, r in rs.items()
        },
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
