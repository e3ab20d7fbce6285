"""Issue 14: the engine reads SMS with the shipped fraud-text model. What it costs.

On one core, over the world `bench.engine` replays (40,000 people, 30 days, seed 21; the
shipped models were trained on seed 11), in its time batches of 250k events:

- the text scoring alone, in CPU time (`time.process_time`, the best of `REPEATS`, so
  that other work on a shared machine counts little): the lexicon alone (the engine before
  issue 14); the lexicon and the text model, each distinct text scored once and
  remembered across batches (`engine.TextScores`, the engine now); and both over every
  SMS of each batch without remembering (what the memory is worth);
- the engine's replay in CPU time and events/s: the rules alone without a text scorer,
  the rules alone with the shipped one (the difference is what reading the texts costs
  inside the engine), and the shipped model with the shipped text scorer (as users run
  it); with `FRAUDWALL_BEFORE_MODEL` set to the model file shipped before issue 14
  (``git show 56b83ca:src/fraudwall/engine/default_model.json``), that model too, with no
  text scorer (the engine before), run in the same process for a like-for-like figure.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

from fraudwall.engine import Engine, EngineModel, sms_text_score, time_batches
from fraudwall.engine.textscore import TextScores
from fraudwall.intel.shipped import shipped_engine
from fraudwall.model import TextScorer
from fraudwall.sim import SimConfig, simulate

PEOPLE = 40_000
DAYS = 30
SEED = 21
BATCH = 250_000
REPEATS = 3


def _cpu(job: Callable[[], Any]) -> tuple[float, float]:
    """The best CPU and wall seconds of `REPEATS` runs of `job`."""
    cpu, wall = [], []
    for _ in range(REPEATS):
        c0, w0 = time.process_time(), time.perf_counter()
        job()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return min(cpu), min(wall)


def _text_scoring(batches: list[pa.ChunkedArray], scorer: TextScorer) -> dict[str, Any]:
    n = sum(len(b) for b in batches)
    distinct = len(pa.chunked_array([c for b in batches for c in b.chunks]).unique())

    def remembered(with_model: bool) -> Callable[[], None]:
        def job() -> None:
            scores = TextScores(scorer if with_model else None)
            for texts in batches:
                scores(texts)

        return job

    def every_sms() -> None:
        for texts in batches:
            sms_text_score(texts)
            scorer.fraud_probability(texts.to_pylist())

    out: dict[str, Any] = {"sms": n, "distinct_texts": distinct}
    for name, job in (
        ("lexicon_remembered", remembered(False)),
        ("lexicon_and_model_remembered", remembered(True)),
        ("lexicon_and_model_every_sms", every_sms),
    ):
        cpu, wall = _cpu(job)
        out[name] = {
            "cpu_s": round(cpu, 3),
            "wall_s": round(wall, 3),
            "sms_per_cpu_s": round(n / cpu),
        }
    return out


def _replay(
    tables: dict[str, pa.Table], model: EngineModel | None, scorer: TextScorer | None
) -> dict[str, Any]:
    c0, w0 = time.process_time(), time.perf_counter()
    engine = Engine.for_world(tables, model=model, text_scorer=scorer)
    events = 0
    for batch in time_batches(tables, BATCH):
        engine.process(batch)
        events += batch.size
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    return {
        "events": events,
        "cpu_s": round(cpu, 2),
        "wall_s": round(wall, 2),
        "events_per_cpu_s": round(events / cpu),
    }


def run() -> dict[str, Any]:
    world = simulate(SimConfig(people=PEOPLE, days=DAYS, seed=SEED))
    tables = dict(world.tables)
    shipped = shipped_engine()
    scorer = shipped.text_scorer
    batches = [b.tables["sms"]["text"] for b in time_batches(tables, BATCH) if "sms" in b.tables]
    scorer.fraud_probability(["预热"])  # the model's arrays loaded before any timing
    text = _text_scoring(batches, scorer)
    replays: dict[str, Any] = {}
    before = os.environ.get("FRAUDWALL_BEFORE_MODEL")
    if before:
        replays["before_model_no_text_scorer"] = _replay(tables, EngineModel.load(before), None)
    replays |= {
        "rules_only_no_text_scorer": _replay(tables, None, None),
        "rules_only_with_text_scorer": _replay(tables, None, scorer),
        "shipped_model_with_text_scorer": _replay(tables, shipped.model, scorer),
    }
    extra = (
        replays["rules_only_with_text_scorer"]["cpu_s"]
        - replays["rules_only_no_text_scorer"]["cpu_s"]
    )
    return {
        "world": {"people": PEOPLE, "days": DAYS, "seed": SEED, "batch_events": BATCH},
        "text_scoring": text,
        "replay": replays,
        "text_scorer_cpu_s_in_replay": round(extra, 2),
        "model_probability_mean_on_sms": round(
            float(np.mean(scorer.fraud_probability(batches[0].to_pylist()[:10_000]))), 4
        ),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
