"""Events in time order, in batches: how a world's history is replayed through the engine.

Each event table is already sorted by time. A batch is a time interval [start, end) and,
for every event table, the slice of rows that fall in it, so a batch holds events of all
kinds from the same stretch of time and batches never overlap. Within a batch the engine
keeps per-event order by time; across batches, state carries everything forward.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

EVENT_TABLES = ("transfers", "calls", "sms", "app_installs", "url_visits", "logins", "reports")


@dataclass(frozen=True)
class EventBatch:
    """Every event with start <= ts < end, one table slice per event kind."""

    start: int
    end: int
    tables: dict[str, pa.Table]

    @property
    def size(self) -> int:
        return sum(t.num_rows for t in self.tables.values())


def _check_sorted(name: str, ts: np.ndarray) -> None:
    if len(ts) > 1 and bool((np.diff(ts) < 0).any()):
        raise ValueError(f"{name}: events are not in time order (ts must not decrease)")


def time_batches(
    tables: Mapping[str, pa.Table], batch_events: int = 100_000
) -> Iterator[EventBatch]:
    """Cut the event tables into consecutive time intervals of about `batch_events` events.

    Events with the same timestamp always land in the same batch. Tables missing from
    `tables` are skipped; a table whose ts column is not sorted is refused.
    """
    if batch_events < 1:
        raise ValueError(f"batch_events: must be >= 1, got {batch_events}")
    present = {n: tables[n] for n in EVENT_TABLES if n in tables}
    ts = {n: t["ts"].to_numpy() for n, t in present.items()}
    for name, values in ts.items():
        _check_sorted(name, values)
    every = np.sort(np.concatenate(list(ts.values()))) if ts else np.empty(0, np.int64)
    if not len(every):
        return
    # Cut points at every batch_events-th event, moved past runs of equal timestamps.
    cuts = np.unique(every[batch_events::batch_events])
    bounds = [int(every[0]), *cuts.tolist(), int(every[-1]) + 1]
    for lo, hi in itertools.pairwise(bounds):
        sliced = {}
        for name, table in present.items():
            a, b = np.searchsorted(ts[name], [lo, hi], side="left")
            sliced[name] = table.slice(int(a), int(b - a))
        yield EventBatch(lo, hi, sliced)
