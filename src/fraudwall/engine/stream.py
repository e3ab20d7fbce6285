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

from fraudwall.model import EVENT_TABLES


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
    if len(ts) > 1 and bool((ts[1:] < ts[:-1]).any()):
        raise ValueError(f"{name}: events are not in time order (ts must not decrease)")


def _ranked(ts: list[np.ndarray], ranks: np.ndarray) -> np.ndarray:
    """The values at `ranks` of all the (each sorted) arrays' values in sorted order, as
    np.sort(np.concatenate(ts))[ranks] gives them, without sorting or copying them: the
    value at rank r is the least v with more than r values <= v, found by bisection
    over the values, for all ranks at once (a few hundred searches of a few values
    each, against a sort of millions)."""
    lo = np.full(len(ranks), min(int(t[0]) for t in ts if len(t)), np.int64)
    hi = np.full(len(ranks), max(int(t[-1]) for t in ts if len(t)), np.int64)
    while (lo < hi).any():  # invariant: the answer lies in [lo, hi]
        mid = lo + (hi - lo) // 2
        at_most = sum(np.searchsorted(t, mid, side="right") for t in ts)
        enough = at_most > ranks
        hi = np.where(enough, mid, hi)
        lo = np.where(enough, lo, mid + 1)
    return lo


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
    columns = [values for values in ts.values() if len(values)]
    total = sum(len(values) for values in columns)
    if not total:
        return
    # Cut points at every batch_events-th event, moved past runs of equal timestamps.
    cuts = np.unique(_ranked(columns, np.arange(batch_events, total, batch_events)))
    first = min(int(values[0]) for values in columns)
    last = max(int(values[-1]) for values in columns)
    bounds = [first, *cuts.tolist(), last + 1]
    for lo, hi in itertools.pairwise(bounds):
        sliced = {}
        for name, table in present.items():
            a, b = np.searchsorted(ts[name], [lo, hi], side="left")
            sliced[name] = table.slice(int(a), int(b - a))
        yield EventBatch(lo, hi, sliced)
