"""Money rules of the simulator, as properties: splits are exact, balances are right."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fraudwall.sim.laundering import split
from fraudwall.sim.ledger import final_balances, running_minimum

ledgers = st.integers(1, 6).flatmap(
    lambda n: st.lists(
        st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.integers(1, 10**12)),
        max_size=60,
    ).map(lambda rows: (n, rows))
)


@given(st.integers(1, 10**13), st.integers(1, 12), st.integers(0, 2**32))
def test_split_is_exact_to_the_fen(amount: int, k: int, seed: int) -> None:
    parts = split(amount, k, np.random.default_rng(seed))
    assert parts.dtype == np.int64 and len(parts) == k
    assert int(parts.sum()) == amount
    assert (parts >= 0).all()
    if amount >= 3 * k:
        assert (parts > 0).all()


@settings(max_examples=200)
@given(ledgers)
def test_running_minimum_and_final_balances_match_a_plain_walk(
    ledger: tuple[int, list[tuple[int, int, int]]],
) -> None:
    n, rows = ledger
    src = np.array([r[0] for r in rows], dtype=np.int64)
    dst = np.array([r[1] for r in rows], dtype=np.int64)
    amount = np.array([r[2] for r in rows], dtype=np.int64)
    balance = [0] * n
    lowest = [0] * n
    for s, d, a in rows:
        balance[s] -= a
        lowest[s] = min(lowest[s], balance[s])
        balance[d] += a
        lowest[d] = min(lowest[d], balance[d])
    assert running_minimum(n, src, dst, amount).tolist() == lowest
    opening = np.arange(n, dtype=np.int64) * 7
    final = final_balances(opening, src, dst, amount)
    assert final.tolist() == [o + b for o, b in zip(opening.tolist(), balance, strict=True)]
    assert int(final.sum()) == int(opening.sum())  # transfers only move money
