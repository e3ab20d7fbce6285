"""Row pools: the columns of one pool move together, the pool folds every column or
none, reads name a column of their kind, and the state saves the same whatever rows it
took (a pool's own arrays, and the engine's snapshot)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fraudwall.engine.poolcolumns import Column, Counter, Distinct
from fraudwall.engine.rowpool import RowPool
from fraudwall.engine.state import STATE_FORMAT, EngineState
from fraudwall.errors import InputError

COLUMNS: dict[str, Column] = {
    "fen": Counter(np.int64),
    "n": Counter(np.int32),
    "share": Counter(np.float64),
    "x": Distinct(128),
}
BATCH = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 30), st.integers(0, 9)), max_size=30)


@settings(max_examples=80, deadline=None)
@given(batches=st.lists(BATCH, max_size=8), late=st.sampled_from([None, 0, 4, 10]))
def test_columns_of_one_pool_stay_in_step(
    batches: list[list[tuple[int, int, int]]], late: int | None
) -> None:
    """Rows handed out and given back move every column's row together: after each fold
    the pool holds each id in one row for all columns, its free rows are exactly the rows
    nobody holds, and each column sits in the very rows (and holds the very values) a
    pool of that column alone has."""
    pool = RowPool(12, 3, COLUMNS, late, n_capacity=1)
    alone = {name: RowPool(12, 3, {name: c}, late, n_capacity=1) for name, c in COLUMNS.items()}
    for k, batch in enumerate(batches):
        e = np.array(batch, np.int64).reshape(-1, 3)
        ids, ts, v = e[:, 0], e[:, 1] + 10 * k, e[:, 2]  # later batches move the clock on
        pool.add(ids, ts, dict.fromkeys(COLUMNS, v))
        for name, single in alone.items():
            single.add(ids, ts, {name: v})
        held = np.flatnonzero(pool.row_of >= 0)
        rows = pool.row_of[held]
        assert pool.owner[rows].tolist() == held.tolist()
        free = np.flatnonzero(pool.owner < 0)
        assert sorted(pool._free.tolist()) == free.tolist()
        assert len(free) + len(held) == len(pool.owner) == pool.rows_in_use + len(free)
        for name, single in alone.items():
            assert len(pool.values[name]) == len(pool.owner)
            np.testing.assert_array_equal(pool.row_of, single.row_of[: len(pool.row_of)])
            np.testing.assert_array_equal(pool.owner, single.owner)
            np.testing.assert_array_equal(pool.newest, single.newest)
            np.testing.assert_array_equal(pool.values[name], single.values[name], err_msg=name)


def test_a_row_handed_out_again_is_empty_in_every_column() -> None:
    pool = RowPool(10, 5, {"n": Counter(np.int32), "x": Distinct()}, lateness_ms=0)
    pool.add([7], [0], {"n": 3, "x": [42]})
    row = pool.row_of[7]
    pool.add([8], [100], {"n": 1, "x": [1]})  # 7 idle for over a window: its row goes back
    assert pool.row_of[7] == -1 and pool.rows_in_use == 1
    pool.add([9], [101], {"n": 1, "x": [2]})
    assert pool.row_of[9] == row and pool.owner[row] == 9  # 7's old row
    assert pool.total("n", [9], [101]).tolist() == [1]
    assert np.round(pool.estimate("x", [9], [101])).tolist() == [1]


def test_a_batch_folds_into_every_column_or_none() -> None:
    pool = RowPool(10, 5, {"n": Counter(np.int32), "x": Distinct()})
    with pytest.raises(ValueError, match=r"missing \['x'\]"):
        pool.add([1], [0], {"n": 1})
    with pytest.raises(ValueError, match=r"no column \['y'\]"):
        pool.add([1], [0], {"n": 1, "x": [2], "y": 3})
    with pytest.raises(ValueError, match="others"):  # a bad column leaves the others as is
        pool.add([1, 2], [0, 0], {"n": 1, "x": [2]})
    assert pool.rows_in_use == 0 and pool.total("n", [1], [0]).tolist() == [0]


def test_reads_name_a_column_of_their_kind() -> None:
    pool = RowPool(10, 5, {"n": Counter(np.int32), "x": Distinct()})
    pool.add([1], [0], {"n": 1, "x": [2]})
    with pytest.raises(ValueError, match="'x' is a distinct count"):
        pool.total("x", [1], [0])
    with pytest.raises(ValueError, match="'n' is a counter"):
        pool.estimate("n", [1], [0])
    with pytest.raises(ValueError, match="'n' is a counter"):
        pool.before_each_sketch("n", [1], [0], [2])
    with pytest.raises(ValueError, match=r"'m': this pool has \['n', 'x'\]"):
        pool.before_each("m", [1], [0])
    with pytest.raises(ValueError, match="at least one column"):
        RowPool(10, 5, {})
    with pytest.raises(ValueError, match="not a name"):
        RowPool(10, 5, {"in.fen": Counter()})


def test_the_same_state_saves_the_same_arrays_whichever_rows_it_took() -> None:
    """Ids met in another order take other rows; the saved state is the same."""
    one, other = (RowPool(10, 5, {"n": Counter(np.int32), "x": Distinct()}) for _ in range(2))
    one.add([3], [1], {"n": 1, "x": [30]})
    one.add([1, 2], [2, 3], {"n": 1, "x": [10, 20]})
    other.add([2, 1, 3], [3, 2, 1], {"n": 1, "x": [20, 10, 30]})
    assert one.row_of[3] != other.row_of[3]
    a, b = one.state_dict(), other.state_dict()
    assert a.keys() == b.keys()
    for key in a:
        assert a[key].dtype == b[key].dtype
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def _busy_state() -> EngineState:
    state = EngineState()
    accounts = state.keys["accounts"].lookup([f"A{i}" for i in range(6)])
    state.payee_24h.add(accounts[:3], [0, 1, 2], {"payers": accounts[3:], "in_fen": 100})
    state.caller_24h.add([0, 1], [5, 6], {"fanout": [1, 0], "calls": 1, "short": 0, "night": 1})
    state.clock = 6
    return state


def test_engine_state_snapshots_its_pools(tmp_path: Path) -> None:
    state = _busy_state()
    state.save(tmp_path / "a")
    loaded = EngineState.load(tmp_path / "a")
    loaded.save(tmp_path / "b")
    with np.load(tmp_path / "a" / "state.npz") as a, np.load(tmp_path / "b" / "state.npz") as b:
        assert a.files == b.files
        for key in a.files:
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert loaded.payee_24h.columns == state.payee_24h.columns
    assert loaded.payee_24h.total("in_fen", [0, 1, 5], [2, 2, 2]).tolist() == [100, 100, 0]


def test_an_older_snapshot_is_refused_with_its_format(tmp_path: Path) -> None:
    _busy_state().save(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["state_format"] = STATE_FORMAT - 1
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InputError, match=f"format {STATE_FORMAT - 1}, this fraudwall reads"):
        EngineState.load(tmp_path)
    (tmp_path / "manifest.json").unlink()  # as snapshots were written before manifests
    with pytest.raises(InputError, match=r"no manifest\.json"):
        EngineState.load(tmp_path)
