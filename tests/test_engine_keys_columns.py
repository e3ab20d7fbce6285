"""`lookup_columns` numbers keys exactly as `lookup` does column after column."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from fraudwall.common import IntIndex, KeyIndex

KEYS = st.lists(st.one_of(st.none(), st.sampled_from([f"+86{i:011d}" for i in range(40)])))


@settings(max_examples=60, deadline=None)
@given(a=KEYS, b=KEYS, known=st.lists(st.sampled_from([f"+86{i:011d}" for i in range(40)])))
def test_lookup_columns_match_lookups_one_after_another(
    a: list[str | None], b: list[str | None], known: list[str]
) -> None:
    one, other = KeyIndex(), KeyIndex()
    for index in (one, other):
        index.lookup(pa.array(known, pa.string()))
    # Enough rows to take the encoded path; b as large_string: the types are unified.
    cols = [pa.array(a * 30, pa.string()), pa.array(b * 30, pa.large_string())]
    expect = [one.lookup(c) for c in cols]
    got = other.lookup_columns(cols)
    assert [g.tolist() for g in got] == [e.tolist() for e in expect]
    assert other.to_arrow().equals(one.to_arrow())
    assert [g.tolist() for g in other.lookup_columns(cols, add=False)] == [
        e.tolist() for e in expect
    ]


def test_lookup_columns_of_few_keys_and_of_int_keys() -> None:
    index = KeyIndex()
    assert [x.tolist() for x in index.lookup_columns([pa.array(["x", None]), ["y", "x"]])] == [
        [0, -1],
        [1, 0],
    ]
    ints = IntIndex()
    got = ints.lookup_columns([np.array([7, 9]), np.array([9, 11, 7])])
    assert [x.tolist() for x in got] == [[0, 1], [1, 2, 0]]


@settings(max_examples=60, deadline=None)
@given(homes=st.lists(st.integers(0, 15), max_size=8, unique=False))
def test_bulk_placement_in_a_grown_table_keeps_every_key_findable(homes: list[int]) -> None:
    """Keys crowded at the end of the table wrap around to its start, as probing does."""
    index = IntIndex()
    index._slot_hash = np.zeros(16, np.uint64)
    index._slot_id = np.full(16, -1, np.int32)
    # Distinct hashes with the given home slots (the bits above the mask tell them apart).
    h = np.array([home + 16 * (i + 1) for i, home in enumerate(homes)], np.uint64)
    index._place_in_empty(h, np.arange(len(h), dtype=np.int32))
    assert index._probe(h).tolist() == list(range(len(h)))
    assert int((index._slot_id >= 0).sum()) == len(h)
