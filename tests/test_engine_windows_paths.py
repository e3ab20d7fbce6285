"""The quick paths of the windows module give what the plain ones give: `Latest.asof` by
separate sorts and a search or by one merged sort, and window starts worked out per run
of equal (id, epoch)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fraudwall.engine.windows import (
    BatchOrder,
    Latest,
    WindowedCounter,
    WindowedDistinct,
    add_together,
    id_time_order,
)

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
    skew=st.booleans(),
)
def test_adding_together_is_adding_one_by_one(
    batches: list[list[tuple[int, int, int]]], skew: bool
) -> None:
    """Rings folded together end as rings folded apart, also when one ring's past differs
    (skew: its newest epochs then differ and it is folded on its own)."""

    def rings() -> tuple[WindowedCounter, WindowedCounter, WindowedDistinct, WindowedCounter]:
        return (
            WindowedCounter(2, 12, 3),
            WindowedCounter(2, 12, 3, np.int32),
            WindowedDistinct(2, 12, 3),
            WindowedCounter(2, 8, 2),  # other buckets
        )

    apart, together = rings(), rings()
    if skew:
        for ring in (apart[1], together[1]):
            ring.add([0, 3], [100, 5], [1, 1])
    for batch in batches:
        e = np.array(batch, np.int64).reshape(-1, 3)
        ids, ts, v = e[:, 0], e[:, 1], e[:, 2]
        for ring in apart:
            ring.add(ids, ts, v)
        add_together([(ring, v) for ring in together], ids, ts)
    for a, b in zip(apart, together, strict=True):
        for name, arr in a.state_dict().items():
            np.testing.assert_array_equal(arr, b.state_dict()[name], err_msg=name)


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
    counter = WindowedCounter(2, 12 * scale, 3 * scale, np.int32)
    if past:
        p = np.array(past, np.int64)
        counter.add(p[:, 0], p[:, 1] * scale)
    a = np.array(askers, np.int64)
    o = np.array(others, np.int64).reshape(-1, 2)
    ids = np.concatenate([a[:, 0], o[:, 0]])
    ts = np.concatenate([a[:, 1], o[:, 1]]) * scale
    weight = np.concatenate([np.zeros(len(a), np.int32), np.ones(len(o), np.int32)])
    expect = counter.before_each(ids, ts, weight)[: len(a)]
    order = BatchOrder.of(a[:, 0], a[:, 1] * scale)
    got = counter.before_each_among(order, o[:, 0], o[:, 1] * scale)
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
            st.lists(st.integers(0, 2), max_size=4),  # the rings folded, in order (repeats too)
        ),
        max_size=6,
    ),
    late=st.sampled_from([None, 0, 5]),
)
def test_rings_sharing_rows_read_and_fold_as_rings_apart(
    steps: list[tuple[list[tuple[int, int, int]], list[int]]], late: int | None
) -> None:
    """Rings folded together share the work that depends on their rows (reads through
    one BatchOrder, the rows handed out and taken back) until their pasts part: every
    read, also through an order read before a fold, and every state is as if apart."""

    def rings() -> tuple[WindowedCounter, WindowedCounter, WindowedDistinct]:
        return (
            WindowedCounter(2, 12, 3, lateness_ms=late),
            WindowedCounter(2, 12, 3, np.int32, lateness_ms=late),
            WindowedDistinct(2, 12, 3, lateness_ms=late),
        )

    shared, apart = rings(), rings()
    for batch, chosen in steps:
        e = np.array(batch, np.int64)
        ids, ts, v = e[:, 0], e[:, 1], e[:, 2]
        order = BatchOrder.of(ids, ts)
        for _ in range(2):  # before the fold, and through the same order after it
            for s, a in zip(shared, apart, strict=True):
                np.testing.assert_array_equal(
                    s.before_each(ids, ts, v, order=order), a.before_each(ids, ts, v)
                )
            add_together([(shared[i], v) for i in chosen], ids, ts, order=order)
            for i in chosen:
                apart[i].add(ids, ts, v)
    for s, a in zip(shared, apart, strict=True):
        for name, arr in a.state_dict().items():
            np.testing.assert_array_equal(arr, s.state_dict()[name], err_msg=name)
