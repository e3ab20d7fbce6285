"""The contact-pair reading in engine.features agrees with its plain definition."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from fraudwall.engine import EngineState
from fraudwall.engine import features as fx
from fraudwall.engine.resolve import Resolver


def _contacts(
    caller: np.ndarray, callee: np.ndarray, ts: np.ndarray, st: EngineState
) -> fx.Contacts:
    pair, reverse = fx._contact_pairs(Resolver(st, add=True), caller, callee)
    none = np.zeros(len(ts), bool)
    country = pa.nulls(len(ts), pa.string())
    return fx.Contacts(len(ts), ts, caller, callee, caller, ts, none, none, pair, reverse, country)


def test_one_index_entry_per_unordered_pair_and_each_way_its_own_id() -> None:
    st = EngineState()
    ids = Resolver(st, add=True)
    pair, reverse = fx._contact_pairs(ids, np.array([3, 5, 4, 4]), np.array([5, 3, 4, 9]))
    assert len(st.keys["contact_pairs"]) == 3
    assert pair[0] == reverse[1] and pair[1] == reverse[0] and pair[0] != pair[1]
    assert pair[2] == reverse[2]  # a number to itself: one way


def test_last_either_way_equals_latest_asof_of_both_ways() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        st = EngineState()
        before = _contacts(
            rng.integers(0, 6, 10), rng.integers(0, 6, 10), np.zeros(10, np.int64), st
        )
        st.contact_pair_last.update(before.pair, rng.integers(0, 8, 10) * 1000)
        n = int(rng.integers(0, 40))
        c = _contacts(
            rng.integers(0, 6, n), rng.integers(0, 6, n), rng.integers(0, 6, n) * 1000, st
        )
        expected = st.contact_pair_last.asof(
            np.concatenate([c.pair, c.reverse]), np.concatenate([c.ts, c.ts]), c.pair, c.ts
        )
        fwd, rev = fx._last_either_way(st, c)
        assert np.array_equal(fwd, expected[:n]) and np.array_equal(rev, expected[n:])


def test_rows_among_equals_isin_for_hashes_and_ids() -> None:
    from fraudwall.engine.state import _rows_among

    rng = np.random.default_rng(3)
    for _ in range(20):
        ids = rng.integers(-1, 5000, rng.integers(0, 3000))
        wanted = rng.integers(-1, 5000, rng.integers(0, 40))
        assert np.array_equal(_rows_among(ids, wanted), np.flatnonzero(np.isin(ids, wanted)))
        hashes = rng.integers(0, 2**63, len(ids)).astype(np.uint64) << np.uint64(1)
        some = np.concatenate([rng.choice(hashes, min(5, len(hashes))), wanted.astype(np.uint64)])
        assert np.array_equal(_rows_among(hashes, some), np.flatnonzero(np.isin(hashes, some)))
