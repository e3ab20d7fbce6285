"""KeyIndex: exact, first-seen-order ids for string keys, batch at a time."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fraudwall.common import IntIndex, KeyIndex


class DictIndex:
    """The obvious reference: a dict, one key at a time."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def lookup(self, keys: list[str | None], add: bool = True) -> list[int]:
        out = []
        for k in keys:
            if k is None:
                out.append(-1)
                continue
            if add and k not in self.ids:
                self.ids[k] = len(self.ids)
            out.append(self.ids.get(k, -1))
        return out


def weak_hash(index: KeyIndex) -> KeyIndex:
    """Make almost every pair of keys collide, to exercise the exact-match fallbacks."""
    strong = index._hash
    index._hash = lambda s: strong(s) & np.uint64(3)
    return index


# Short keys, keys of exactly 8 / 16 bytes, long and non-ASCII keys: every word boundary.
KEYS = st.one_of(
    st.sampled_from(["", "a", "acct_1", "12345678", "1234567812345678", "13800138000"]),
    st.text(alphabet="ab8é电", max_size=20),
)
BATCHES = st.lists(
    st.tuples(st.lists(st.one_of(st.none(), KEYS), max_size=30), st.booleans()), max_size=8
)


@settings(max_examples=150, deadline=None)
@given(batches=BATCHES, weak=st.booleans(), large=st.booleans())
def test_lookup_matches_a_dict(
    batches: list[tuple[list[str | None], bool]], weak: bool, large: bool
) -> None:
    index = weak_hash(KeyIndex()) if weak else KeyIndex()
    ref = DictIndex()
    for keys, add in batches:
        arr = pa.array(keys, pa.large_string() if large else pa.string())
        got = index.lookup(arr, add=add)
        assert got.dtype == np.int64
        assert got.tolist() == ref.lookup(keys, add=add)
    assert len(index) == len(ref.ids)
    assert index.to_arrow().to_pylist() == list(ref.ids)
    restored = KeyIndex.from_arrow(index.to_arrow())
    assert restored.lookup(list(ref.ids), add=False).tolist() == list(range(len(ref.ids)))


def test_first_seen_order_and_nulls() -> None:
    index = KeyIndex()
    ids = index.lookup(pa.array(["b", "a", None, "b", "c", "a"]))
    assert ids.tolist() == [0, 1, -1, 0, 2, 1]
    assert index.lookup(["c", "d", "a"], add=False).tolist() == [2, -1, 1]
    assert len(index) == 3
    assert index.lookup(["d", "e", "d"]).tolist() == [3, 4, 3]
    assert index.key_of(np.array([4, -1, 0])).to_pylist() == ["e", None, "b"]


def test_deterministic() -> None:
    rng = np.random.default_rng(5)
    batches = [[f"p{x}" for x in rng.integers(0, 500, 300)] for _ in range(5)]
    runs = []
    for _ in range(2):
        index = KeyIndex()
        runs.append([index.lookup(b).tolist() for b in batches])
    assert runs[0] == runs[1]


def test_input_forms() -> None:
    index = KeyIndex()
    assert index.lookup(["x", "y"]).tolist() == [0, 1]
    assert index.lookup(np.array(["y", "z"])).tolist() == [1, 2]
    chunked = pa.chunked_array([pa.array(["z", "w"]), pa.array([], pa.string()), pa.array(["x"])])
    assert index.lookup(chunked).tolist() == [2, 3, 0]
    encoded = pa.array(["w", "v", "w"]).dictionary_encode()
    assert index.lookup(encoded).tolist() == [3, 4, 3]
    sliced = pa.array(["q", "x", "v", "u"]).slice(1, 2)  # non-zero Arrow offset
    assert index.lookup(sliced).tolist() == [0, 4]
    assert index.lookup(pa.array([7, 8])).tolist() == [5, 6]  # numbers key by their text
    assert index.lookup(["7"]).tolist() == [5]
    assert index.lookup([]).tolist() == []
    assert index.lookup(pa.array([None, None], pa.string())).tolist() == [-1, -1]


def test_many_keys_and_collisions_in_one_batch() -> None:
    keys = [f"acct_{i:08d}" for i in range(20_000)]
    rng = np.random.default_rng(1)
    batch = [keys[i] for i in rng.integers(0, len(keys), 50_000)]
    for index in (KeyIndex(), weak_hash(KeyIndex())):
        ref = DictIndex()
        assert index.lookup(batch).tolist() == ref.lookup(batch)
        again = [keys[i] for i in rng.integers(0, len(keys), 5_000)]
        assert index.lookup(again).tolist() == ref.lookup(again)
        assert index.to_arrow().to_pylist() == list(ref.ids)


def test_snapshot_round_trip_continues_identically() -> None:
    index = KeyIndex()
    index.lookup([f"k{i}" for i in range(1000)])
    restored = KeyIndex.from_arrow(index.to_arrow())
    assert len(restored) == 1000
    more = ["k5", "new1", "k999", "new2", "new1"]
    assert (
        restored.lookup(more).tolist() == index.lookup(more).tolist() == [5, 1000, 999, 1001, 1000]
    )


def test_from_arrow_refuses_bad_snapshots() -> None:
    with pytest.raises(ValueError, match="distinct"):
        KeyIndex.from_arrow(["a", "b", "a"])
    with pytest.raises(ValueError, match="null"):
        KeyIndex.from_arrow(pa.array(["a", None]))


def test_key_of_refuses_unknown_ids() -> None:
    index = KeyIndex()
    index.lookup(["a"])
    with pytest.raises(IndexError):
        index.key_of([1])
    assert index.nbytes > 0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(st.integers(-(2**63), 2**63 - 1), max_size=40), max_size=8))
def test_int_index_gives_first_seen_ids_like_a_dict(batches: list[list[int]]) -> None:
    index, ref = IntIndex(), {}
    for batch in batches:
        got = index.lookup(np.array(batch, np.int64))
        assert got.tolist() == [ref.setdefault(k, len(ref)) for k in batch]
    assert len(index) == len(ref)
    unseen = [k for k in range(5) if k not in ref]
    assert index.lookup(np.array(unseen, np.int64), add=False).tolist() == [-1] * len(unseen)
    restored = IntIndex.from_arrow(index.to_arrow())
    keys = np.array(list(ref), np.int64)
    assert restored.lookup(keys, add=False).tolist() == list(range(len(ref)))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=20), min_size=1, max_size=60), st.data())
def test_one_key_at_a_time_finds_the_ids_of_a_batch_lookup(
    keys: list[str], data: st.DataObject
) -> None:
    """The single-check path (a few keys, plain Python) agrees with the batch path."""
    index = KeyIndex()
    ids = index.lookup(pa.array(keys))
    few = data.draw(st.lists(st.sampled_from(keys), min_size=1, max_size=4))
    expected = [int(ids[keys.index(k)]) for k in few]
    assert index.lookup(pa.array(few)).tolist() == expected
    assert index.lookup(few, add=False).tolist() == expected
    assert index.lookup(["\\x00never seen\\x00"], add=False).tolist() == [-1]


def test_int_index_through_many_growths_matches_a_dict() -> None:
    """Batches with repeats, known and new keys, across table growths (whose rehash also
    wraps keys past the table's end around to its start)."""
    rng = np.random.default_rng(11)
    index, ref = IntIndex(), {}
    for size in (3, 700, 5_000, 60_000, 1, 150_000):
        batch = rng.integers(-(2**40), 2**40, size) if size > 1 else np.array([0])
        if ref:
            known = np.array(list(ref), np.int64)
            batch = np.concatenate([batch, known[rng.integers(0, len(known), size)]])
            rng.shuffle(batch)
        assert index.lookup(batch).tolist() == [ref.setdefault(k, len(ref)) for k in batch.tolist()]
        assert index.nbytes <= 64 * len(ref) + 4096
    keys = np.array(list(ref), np.int64)
    assert index.lookup(keys[::-1], add=False).tolist() == list(range(len(ref)))[::-1]
    assert index.to_arrow().to_numpy().tolist() == keys.tolist()
    assert index.key_of([2, -1]).to_pylist() == [int(keys[2]), None]
    assert index.lookup(np.array([2**62]), add=False).tolist() == [-1]


def _unmix(h: int) -> int:
    """The int64 key whose splitmix64 finaliser (IntIndex's hash) is h."""
    m = (1 << 64) - 1
    h ^= (h >> 31) ^ (h >> 62)
    h = h * pow(0x94D049BB133111EB, -1, 1 << 64) & m
    h ^= (h >> 27) ^ (h >> 54)
    h = h * pow(0xBF58476D1CE4E5B9, -1, 1 << 64) & m
    h ^= (h >> 30) ^ (h >> 60)
    return h - (1 << 64) if h >> 63 else h


def test_int_index_keys_homed_at_the_tables_end_wrap_around() -> None:
    """Keys whose home is the last slot at every table size fill it, then wrap to slot 0
    on, when added and when the table grows."""
    last = [_unmix((j << 24) | ((1 << 24) - 1)) for j in range(1, 400)]
    rng = np.random.default_rng(2)
    index, ref = IntIndex(), {}
    for part in range(4):
        batch = np.concatenate([last[part * 100 : part * 100 + 100], rng.integers(0, 9**9, 300)])
        batch = np.concatenate([batch, batch[:50]])
        assert index.lookup(batch).tolist() == [ref.setdefault(k, len(ref)) for k in batch.tolist()]
    keys = np.array(list(ref), np.int64)
    assert index.lookup(keys, add=False).tolist() == list(range(len(ref)))
    assert IntIndex.from_arrow(index.to_arrow()).lookup(keys).tolist() == list(range(len(ref)))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text("ab\u00e9", max_size=30), st.text("ab\u00e9", max_size=30))))
def test_equal_compares_strings_of_every_length_exactly(pairs: list[tuple[str, str]]) -> None:
    from fraudwall.common.keys import _equal, _Strings

    a = _Strings.of(pa.array([x for x, _ in pairs] + [y for _, y in pairs], pa.string()))
    b = _Strings.of(pa.array([y for _, y in pairs] + [y for _, y in pairs], pa.string()))
    expected = [x == y for x, y in pairs] + [True] * len(pairs)
    assert _equal(a, b).tolist() == expected
