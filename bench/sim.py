"""World simulator throughput: simulated events per second on one core.

The issue's figure: a world of 1M people x 7 days, simulated into in-memory Arrow tables
(the model's schemas, string ids and all), then written to Parquet. Goal: >= 500,000
events/s for the simulation. No peer exists for this job, so no ratio is printed.

`FRAUDWALL_BENCH_PEOPLE` and `FRAUDWALL_BENCH_DAYS` shrink it for a quick look.
"""

from __future__ import annotations

import itertools
import json
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa

from fraudwall.sim import SimConfig, simulate, write_world

GOAL_EVENTS_PER_S = 500_000


def run() -> dict[str, Any]:
    pa.set_cpu_count(1)  # one core: no Arrow thread pool doing work on the side
    pa.set_io_thread_count(1)
    people = int(os.environ.get("FRAUDWALL_BENCH_PEOPLE", 1_000_000))
    days = int(os.environ.get("FRAUDWALL_BENCH_DAYS", 7))
    config = SimConfig(people=people, days=days, seed=1)
    marks: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    world = simulate(config, lambda step, _: marks.append((step, time.perf_counter())))
    sim_s = time.perf_counter() - t0
    steps: dict[str, float] = {}
    for (name, t), (_, t_next) in itertools.pairwise(marks):
        steps[name] = round(steps.get(name, 0.0) + t_next - t, 2)
    with tempfile.TemporaryDirectory() as tmp:
        t1 = time.perf_counter()
        write_world(world, Path(tmp))
        write_s = time.perf_counter() - t1
        size = sum(p.stat().st_size for p in Path(tmp).iterdir())
    events = world.events
    result = {
        "people": people,
        "days": days,
        "events": events,
        "cases": world.tables["cases"].num_rows,
        "simulate_s": round(sim_s, 2),
        "events_per_s": round(events / sim_s),
        "goal_events_per_s": GOAL_EVENTS_PER_S,
        "meets_goal": events / sim_s >= GOAL_EVENTS_PER_S,
        "steps_s": steps,
        "write_parquet_s": round(write_s, 2),
        "parquet_mb": round(size / 2**20, 1),
        "events_per_s_with_write": round(events / (sim_s + write_s)),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
    }
    return result


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
