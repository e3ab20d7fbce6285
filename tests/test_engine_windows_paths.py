"""The quick paths of the windows and row pools give what the plain ones give: `Latest.asof`
by separate sorts and a search or by one merged sort, the packed stable argsort, window
starts worked out per run of equal (id, epoch), a pool's columns folded together, reads
through an order shared by several pools, and a counter read by askers apart from the
events that count."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fraudwall.engine.poolcolumns import Column, Counter, Distinct
from fraudwall.engine.rowpool import RowPool
from fraudwall.engine.windows import BatchOrder, Latest, id_time_order

#: The columns a pool of these tests holds: sums of two widths and a sketch.
COLUMNS: dict[str, Column] = {"fen": Counter(np.int64), "n": Counter(np.int32), "x": Distinct()}
EVENTS = st.lists(st.tuples(st.integers(-1, 5), st.integers(0, 40)), max_size=40)


def _brute_asof(
    state: dict[int, int], q: list[tuple[int, int]], u: list[tuple[int, int, int]]
) -> list[int]:
    return [
        max([state.get(pid, -1) if pid >= 0 else -1]
            + [v for (p, t, v) in u if p == pid >= 0 and t < ts])  # -1: no entity
        for pid, ts in q
    ]  # fmt: skip


@settings(max_examples=80, deadline=None)
@given(
    queries=EVENTS,
    updates=st.lists(st.tuples(st.integers(-1, 5), st.integers(0, 40), st.integers(0, 99))),
    far=st.booleans(),
)
def test_asof_paths_agree_with_brute_force(
    queries: list[tuple[int, int]], updates: list[tuple[int, int, int]], far: bool
) -> None:
    """far: times too far apart to pack with the ids, so the merged sort answers."""
    scale = 2**45 if far else 1
    latest = Latest(4)
    latest.update([1, 3], [7, 50])
    q = np.array(queries, np.int64).reshape(-1, 2)
    u = np.array(updates, np.int64).reshape(-1, 3)
    got = latest.asof(q[:, 0], q[:, 1] * scale, u[:, 0], u[:, 1] * scale, u[:, 2])
    assert got.tolist() == _brute_asof({1: 7, 3: 50}, queries, updates)
    shared = id_time_order(q[:, 0], q[:, 1] * scale)  # the queries sorted once, elsewhere
    again = latest.asof(q[:, 0], q[:, 1] * scale, u[:, 0], u[:, 1] * scale, u[:, 2], shared)
    assert again.tolist() == got.tolist()


@settings(max_examples=80, deadline=None)
@given(events=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 30)), min_size=1, max_size=40))
def test_window_starts_per_run_match_the_plain_search(events: list[tuple[int, int]]) -> None:
    ids = np.array([e[0] for e in events])
    ts = np.array([e[1] for e in events])
    order = BatchOrder.of(ids, ts)
    for bucket, b in ((1, 3), (4, 2), (10, 1)):
        epochs = order.ts // bucket
        key = order.seg * (int(epochs.max()) + b + 1) + epochs
        plain = np.searchsorted(key, key - (b - 1), side="left")
        assert order.window_starts(bucket, b).tolist() == plain.tolist()
        assert order.window_start(epochs, b).tolist() == plain.tolist()


@settings(max_examples=60, deadline=None)
@given(
    batches=st.lists(
        st.lists(st.tuples(st.integers(0, 4), st.integers(0, 60), st.integers(0, 9)), max_size=20),
        max_size=4,
    ),
    late=st.sampled_from([None, 0, 5]),
)
def test_a_pools_columns_fold_as_pools_of_one_column(
    batches: list[list[tuple[int, int, int]]], late: int | None
) -> None:
    """Columns folded together in one pool (one plan, one set of rows) end as each
    column folded in its own pool."""
    together = RowPool(12, 3, COLUMNS, late, n_capacity=2)
    apart = {name: RowPool(12, 3, {name: c}, late, n_capacity=2) for name, c in COLUMNS.items()}
    for batch in batches:
        e = np.array(batch, np.int64).reshape(-1, 3)
        ids, ts, v = e[:, 0], e[:, 1], e[:, 2]
        together.add(ids, ts, dict.fromkeys(COLUMNS, v))
        for name, pool in apart.items():
            pool.add(ids, ts, {name: v})
    state = together.state_dict()
    for name, pool in apart.items():
        for key, arr in pool.state_dict().items():
            if key != "columns":
                np.testing.assert_array_equal(arr, state[key], err_msg=f"{name}: {key}")


@settings(max_examples=100, deadline=None)
@given(
    askers=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 60)), min_size=1, max_size=25),
    others=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 60)), max_size=25),
    past=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 60)), max_size=10),
    far=st.booleans(),
)
def test_before_each_among_is_before_each_of_askers_and_others_together(
    askers: list[tuple[int, int]],
    others: list[tuple[int, int]],
    past: list[tuple[int, int]],
    far: bool,
) -> None:
    """far: times too far apart to pack, so both are run together after all."""
    scale = 2**41 if far else 1
    counter = RowPool(12 * scale, 3 * scale, {"n": Counter(np.int32)}, n_capacity=2)
    if past:
        p = np.array(past, np.int64)
        counter.add(p[:, 0], p[:, 1] * scale, {"n": 1})
    a = np.array(askers, np.int64)
    o = np.array(others, np.int64).reshape(-1, 2)
    ids = np.concatenate([a[:, 0], o[:, 0]])
    ts = np.concatenate([a[:, 1], o[:, 1]]) * scale
    weight = np.concatenate([np.zeros(len(a), np.int32), np.ones(len(o), np.int32)])
    expect = counter.before_each("n", ids, ts, weight)[: len(a)]
    order = BatchOrder.of(a[:, 0], a[:, 1] * scale)
    got = counter.before_each_among("n", order, o[:, 0], o[:, 1] * scale)
    assert got.tolist() == expect.tolist()


@settings(max_examples=80, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.lists(
                st.tuples(st.integers(0, 4), st.integers(0, 90), st.integers(0, 9)),
                min_size=1,
                max_size=15,
            ),
            st.lists(st.integers(0, 2), max_size=4),  # the pools folded, in order (repeats too)
        ),
        max_size=6,
    ),
    late=st.sampled_from([None, 0, 5]),
)
def test_pools_read_through_one_order_as_each_through_its_own(
    steps: list[tuple[list[tuple[int, int, int]], list[int]]], late: int | None
) -> None:
    """Pools with one bucket plan keyed by the same ids read through one shared
    BatchOrder, before and after some of them fold the batch (each folding it any number
    of times): every read is what the pool reads through an order of its own, and what
    pools of one column read; each pool keeps what it worked out through the order only
    until its rows change, and only for itself."""
    shared = [RowPool(12, 3, COLUMNS, late, n_capacity=2) for _ in range(3)]
    apart = [
        {name: RowPool(12, 3, {name: c}, late, n_capacity=2) for name, c in COLUMNS.items()}
        for _ in range(3)
    ]
    for batch, chosen in steps:
        e = np.array(batch, np.int64)
        ids, ts, v = e[:, 0], e[:, 1], e[:, 2]
        order = BatchOrder.of(ids, ts)
        for _ in range(2):  # before the folds, and through the same order after them
            for pool, alone in zip(shared, apart, strict=True):
                for name in COLUMNS:
                    got = pool.before_each(name, ids, ts, v, order=order)
                    np.testing.assert_array_equal(got, pool.before_each(name, ids, ts, v))
                    np.testing.assert_array_equal(got, alone[name].before_each(name, ids, ts, v))
            for i in chosen:
                shared[i].add(ids, ts, dict.fromkeys(COLUMNS, v), order=order)
                for name, pool in apart[i].items():
                    pool.add(ids, ts, {name: v})
