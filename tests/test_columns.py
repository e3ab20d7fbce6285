"""Per-id columns: unknown ids read as the fill, writes grow the column, snapshots restore."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fraudwall.common import IdColumn, capacity_for, grown


def test_unknown_ids_read_as_the_fill_and_writes_grow_the_column() -> None:
    col = IdColumn(capacity=2)
    col.set(np.array([1, -1, 5]), np.array([10, 99, 50]))  # -1: no entity, skipped
    assert len(col) == 6
    assert col.get(np.array([5, 1, 0, -1, 7])).tolist() == [50, 10, -1, -1, -1]
    col.maximum(np.array([5, 5, 2]), np.array([40, 70, 3]))
    assert col.get(np.array([5, 2])).tolist() == [70, 3]
    ages = IdColumn(np.float64, np.nan)
    ages.set(np.array([0]), 33.0)
    assert np.isnan(ages.get(np.array([1, -1]))).all() and ages.get(np.array([0])).tolist() == [33]


@settings(max_examples=60, deadline=None)
@given(writes=st.lists(st.tuples(st.integers(-1, 40), st.integers(0, 10**6)), max_size=50))
def test_maximum_and_snapshot_match_a_dict(writes: list[tuple[int, int]]) -> None:
    col, ref = IdColumn(capacity=1), {}
    for i, v in writes:
        col.maximum(np.array([i]), v)
        if i >= 0:
            ref[i] = max(ref.get(i, -1), v)
    ids = np.arange(-1, 45)
    assert col.get(ids).tolist() == [ref.get(i, -1) for i in ids.tolist()]
    restored = IdColumn()
    restored.restore(col.state_dict())
    assert restored.get(ids).tolist() == col.get(ids).tolist()


def test_growth_doubles_and_keeps_rows() -> None:
    assert [capacity_for(4, n) for n in (3, 4, 5, 17)] == [4, 4, 8, 32]
    assert grown(np.array([[1, 2]]), 3, -1).tolist() == [[1, 2], [-1, -1], [-1, -1]]


def test_minimum_keeps_the_least_value_and_unset_takes_the_first() -> None:
    first = IdColumn()
    first.minimum(np.array([3, 3, -1, 0]), np.array([50, 20, 5, 70]))
    first.minimum(np.array([3, 0]), np.array([30, 60]))
    assert first.get(np.array([3, 0, 1])).tolist() == [20, 60, -1]
