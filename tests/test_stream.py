"""Replaying history in time batches: every event once, in order, none split across ties."""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fraudwall.engine import time_batches


def _table(ts: list[int]) -> pa.Table:
    return pa.table({"ts": pa.array(sorted(ts), pa.int64()), "i": pa.array(range(len(ts)))})


@given(
    st.lists(st.integers(0, 50), max_size=40),
    st.lists(st.integers(0, 50), max_size=40),
    st.integers(1, 10),
)
def test_batches_cover_every_event_once_in_time_order(
    a: list[int], b: list[int], size: int
) -> None:
    tables = {"transfers": _table(a), "calls": _table(b)}
    batches = list(time_batches(tables, size))
    for name, ts in (("transfers", sorted(a)), ("calls", sorted(b))):
        got = [t for batch in batches for t in batch.tables[name]["ts"].to_pylist()]
        assert got == ts
    for batch in batches:
        for table in batch.tables.values():
            assert all(batch.start <= t < batch.end for t in table["ts"].to_pylist())
    for first, second in itertools.pairwise(batches):
        assert first.end == second.start
    # A timestamp never straddles two batches.
    seen: dict[int, int] = {}
    for k, batch in enumerate(batches):
        for table in batch.tables.values():
            for t in table["ts"].to_pylist():
                assert seen.setdefault(t, k) == k


def test_batch_size_is_about_what_was_asked() -> None:
    ts = list(range(1000))
    batches = list(time_batches({"sms": _table(ts)}, 100))
    assert [b.size for b in batches] == [100] * 10
    assert np.sum([b.size for b in batches]) == 1000


def test_unsorted_events_are_refused() -> None:
    bad = pa.table({"ts": pa.array([3, 1], pa.int64())})
    with pytest.raises(ValueError, match="calls: events are not in time order"):
        list(time_batches({"calls": bad}))
