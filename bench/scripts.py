"""Emerging fraud scripts (intel, issue 14): each fraud type left out of the text model in
turn, is it found as an emerging script, how pure, how whole, and how soon?

On the demo's world (20,000 people, 30 days, seed 7): for every fraud type, a text model
is trained on the world's own labelled texts minus that type (`labelled_world_texts`,
hashed n-grams at 2^16, 40 L-BFGS steps), the world's SMS are read by it once
(`build_corpus`), and the finder is run over the last 7 days as of every 6 hours from the
type's first SMS to the world's end (`time_to_find`). Found: one emerging script at least
90 % of that type's messages and holding at least 80 % of its messages in the window.
Days to find count from the type's first SMS; a type whose first SMS is a lone one long
before the rest is also measured from its fifth. Also: the time of `fraudwall scripts`'s
work with the shipped model (reading the SMS once, one as-of run) and what it reports on
this world, where every type is known to the shipped model.

`FRAUDWALL_BENCH_PEOPLE` and `FRAUDWALL_BENCH_DAYS` shrink the world for a quick look.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
import pyarrow.compute as pc

from fraudwall.intel.scripts import (
    build_corpus,
    find_emerging_scripts,
    script_truth,
    time_to_find,
)
from fraudwall.intel.text import default_model, labelled_world_texts, train
from fraudwall.model import DAY_MS
from fraudwall.sim import SimConfig, simulate

SINCE_MS = 7 * DAY_MS
EVERY_MS = DAY_MS // 4


def run() -> dict[str, Any]:
    people = int(os.environ.get("FRAUDWALL_BENCH_PEOPLE", "20000"))
    days = int(os.environ.get("FRAUDWALL_BENCH_DAYS", "30"))
    world = simulate(SimConfig(people=people, days=days, seed=7))
    tables = dict(world.tables)
    sms, phones = tables["sms"], tables["phones"]
    last = int(pc.max(sms["ts"]).as_py())

    t0 = time.perf_counter()
    corpus = build_corpus(sms, default_model(), phones)
    t1 = time.perf_counter()
    found = find_emerging_scripts(corpus, last, SINCE_MS)
    t2 = time.perf_counter()
    truth = script_truth(tables)
    fraud_events = set(truth["event_id"].to_pylist())
    members = found.members["event_id"].to_pylist()
    shipped = {
        "sms": sms.num_rows,
        "distinct_texts": len(corpus.texts),
        "corpus_seconds": round(t1 - t0, 2),
        "find_seconds": round(t2 - t1, 3),
        "reported_scripts": found.scripts.num_rows,
        "reported_messages": len(members),
        "reported_messages_fraud_share": round(
            sum(e in fraud_events for e in members) / max(len(members), 1), 4
        ),
    }

    labelled = labelled_world_texts(tables)
    per_type: dict[str, Any] = {}
    for left in sorted(set(truth["fraud_type"].to_pylist())):  # a type: its families
        kept = labelled.filter(pc.not_equal(labelled["label"], left))
        s0 = time.perf_counter()
        model = train(kept["text"].to_pylist(), kept["label"].to_pylist(), bits=16, max_iter=40)
        s1 = time.perf_counter()
        left_out = build_corpus(sms, model, phones)
        ts = np.sort(truth.filter(pc.equal(truth["fraud_type"], left))["ts"].to_numpy())
        start = int(ts[0])
        times = [*range(start + EVERY_MS, last, EVERY_MS), last]
        s2 = time.perf_counter()
        got = time_to_find(left_out, truth, times, SINCE_MS, scripts=[left], key="fraud_type")
        s3 = time.perf_counter()
        one = got["scripts"][left]
        fifth = int(ts[min(4, len(ts) - 1)])
        per_type[left] = {
            "messages": len(ts),
            "found": one["found_ts"] is not None,
            "days_to_find": one["days_to_find"],
            "days_from_fifth_message": (
                round((one["found_ts"] - fifth) / DAY_MS, 2) if one["found_ts"] else None
            ),
            "purity": one.get("purity"),
            "share": one.get("share"),
            "train_seconds": round(s1 - s0, 1),
            "finder_seconds": round(s3 - s2, 2),  # the as-of runs until found (or to the end)
        }
    days_found = [v["days_to_find"] for v in per_type.values() if v["found"]]
    return {
        "world": {"people": people, "days": days, "seed": 7},
        "shipped_model": shipped,
        "left_out": per_type,
        "found": len(days_found),
        "types": len(per_type),
        "within_two_days": sum(d <= 2.0 for d in days_found),
        "median_days_to_find": float(np.median(days_found)) if days_found else None,
    }
