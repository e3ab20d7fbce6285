"""Batch cut points found by bisection are the ranks of the sorted union of the tables'
times, as sorting them all would give."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fraudwall.engine.stream import _ranked

SORTED = st.lists(st.integers(-50, 50), max_size=30).map(lambda v: np.array(sorted(v), np.int64))


@settings(max_examples=150, deadline=None)
@given(columns=st.lists(SORTED, min_size=1, max_size=4), step=st.integers(1, 7))
def test_ranked_values_are_those_of_the_sorted_union(columns: list[np.ndarray], step: int) -> None:
    present = [c for c in columns if len(c)]
    every = np.sort(np.concatenate(columns))
    ranks = np.arange(step, len(every), step)
    if not present:
        return
    assert _ranked(present, ranks).tolist() == every[ranks].tolist()
