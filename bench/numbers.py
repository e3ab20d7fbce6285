"""Fraud numbers (intel, issue 13): F1 and AUPRC on a world of a seed not used for training.

The issue's figure: trained on a simulated world of 20,000 people x 30 days (seed 21),
evaluated on another (seed 22); goal F1 >= 0.92. Beside it, how much rests on what the
simulator's sources carry beyond call and SMS records, by training and evaluating again
with less: without phones and devices (SIM age, owners, SIM boxes), without victims'
reports, and with call and SMS records alone; the full model applied as it is to the
calls-and-SMS-only shape of the evaluation world (its other columns null); and to a world
of another size, length and fraud rate (3,000 people x 10 days, 600 cases per 10,000:
each fraud line reaches fewer people a day there, as a smaller world sees less of a line
that dials the whole country).

`FRAUDWALL_BENCH_PEOPLE` and `FRAUDWALL_BENCH_DAYS` shrink it for a quick look.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from fraudwall.intel import EntityModel
from fraudwall.intel.numbers import evaluate, number_features, train
from fraudwall.sim import SimConfig, simulate

GOAL_F1 = 0.92
TRAIN_SEED, EVAL_SEED = 21, 22
SHAPES: Mapping[str, tuple[str, ...]] = {
    "all": (),
    "no_phones_devices": ("phones", "devices"),
    "no_reports": ("reports",),
    "calls_sms_only": ("phones", "devices", "reports"),
}
FIGURES = ("precision", "recall", "f1", "auprc", "threshold", "positives", "flagged", "entities")


def _without(tables: Mapping[str, pa.Table], drop: tuple[str, ...]) -> dict[str, pa.Table]:
    return {k: v for k, v in tables.items() if k not in drop}


def run() -> dict[str, Any]:
    people = int(os.environ.get("FRAUDWALL_BENCH_PEOPLE", 20_000))
    days = int(os.environ.get("FRAUDWALL_BENCH_DAYS", 30))
    worlds = {
        seed: simulate(SimConfig(people=people, days=days, seed=seed)).tables
        for seed in (TRAIN_SEED, EVAL_SEED)
    }
    calls = worlds[EVAL_SEED]["calls"].num_rows + worlds[EVAL_SEED]["sms"].num_rows
    t0 = time.perf_counter()
    number_features(worlds[EVAL_SEED])
    features_s = time.perf_counter() - t0
    shapes: dict[str, Any] = {}
    models: dict[str, EntityModel] = {}
    for name, drop in SHAPES.items():
        models[name] = train(_without(worlds[TRAIN_SEED], drop), seed=0)
        got = evaluate(models[name], _without(worlds[EVAL_SEED], drop))
        shapes[name] = {k: got[k] for k in FIGURES}
    cross = evaluate(models["all"], _without(worlds[EVAL_SEED], SHAPES["calls_sms_only"]))
    small = simulate(SimConfig(people=3_000, days=10, seed=EVAL_SEED, fraud_rate=600.0))
    other_world = evaluate(models["all"], small.tables)
    importance = models["all"].booster.feature_importance("gain")
    top = sorted(zip(models["all"].features, importance, strict=True), key=lambda x: -x[1])[:8]
    main = shapes["all"]
    return {
        "people": people,
        "days": days,
        "train_seed": TRAIN_SEED,
        "eval_seed": EVAL_SEED,
        "f1": main["f1"],
        "auprc": main["auprc"],
        "goal_f1": GOAL_F1,
        "meets_goal": main["f1"] >= GOAL_F1,
        "by_shape": shapes,
        "full_model_on_calls_sms_only": {k: cross[k] for k in FIGURES},
        "full_model_on_3000_people_10_days_rate_600": {k: other_world[k] for k in FIGURES},
        "top_features_by_gain": {f: round(float(g / importance.sum()), 4) for f, g in top},
        "calls_and_sms": calls,
        "features_s": round(features_s, 2),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
    }
