"""The packed stable argsort is numpy's stable argsort, and the journal order is by time
with ties in row order: the simulator and the ledger rely on both."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fraudwall.common import ledger_order, stable_argsort


@settings(max_examples=120, deadline=None)
@given(
    keys=st.lists(st.integers(-6, 6), max_size=60),
    scale=st.sampled_from([1, 1_000, 2**40, 2**60]),  # 2**60: too wide to pack
    dtype=st.sampled_from([np.int64, np.int32]),
)
def test_stable_argsort_is_numpys(keys: list[int], scale: int, dtype: type) -> None:
    key = np.array(keys, np.int64) * scale
    if dtype is np.int32:
        key = (key % 2**31).astype(np.int32)
    assert stable_argsort(key).tolist() == np.argsort(key, kind="stable").tolist()


def test_extreme_keys_and_tiny_inputs() -> None:
    wide = np.array([2**62, -(2**62), 0, 2**62])
    assert stable_argsort(wide).tolist() == [1, 2, 0, 3]
    assert stable_argsort(np.array([], np.int64)).tolist() == []
    assert stable_argsort(np.array([7])).tolist() == [0]


def test_journal_order_is_by_time_then_row() -> None:
    ts = np.array([5, 1, 5, 3, 1])
    assert ledger_order(ts).tolist() == [1, 4, 3, 0, 2]
