"""Balances over a transfer ledger, vectorised: running balances, minima, final balances.

The simulator uses it to set opening balances so that no account overdraws (a person
who pays had the money), and tests use it to check that money is conserved.
"""

from __future__ import annotations

import numpy as np


def ledger_order(ts: np.ndarray) -> np.ndarray:
    """The journal order: by time, ties by position (the journal sequence)."""
    return packed_argsort(ts)


def packed_argsort(key: np.ndarray) -> np.ndarray:
    """A stable argsort of non-negative-range int keys, several times faster than numpy's.

    Packs (key - min, position) into one int64 and sorts values, not indices; falls back
    to a stable argsort when the two do not fit in 63 bits.
    """
    n = len(key)
    if n < 2:
        return np.arange(n, dtype=np.int64)
    low = int(key.min())
    idx_bits = max(1, int(n - 1).bit_length())
    if (int(key.max()) - low).bit_length() + idx_bits > 63:
        return np.argsort(key, kind="stable")
    packed = (key.astype(np.int64) - low) << idx_bits
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    packed &= (1 << idx_bits) - 1
    return packed


def running_minimum(
    n_accounts: int, src: np.ndarray, dst: np.ndarray, amount: np.ndarray
) -> np.ndarray:
    """Per account, the lowest running net flow (from 0) over transfers in journal order.

    Transfers must already be in journal order. An account with no debits has minimum 0.
    """
    m = len(amount)
    out = np.zeros(n_accounts, dtype=np.int64)
    if m == 0:
        return out
    acct = np.concatenate([src, dst])
    delta = np.concatenate([-amount, amount]).astype(np.int64)
    seq = np.concatenate([np.arange(m), np.arange(m)])
    order = packed_argsort(acct.astype(np.int64) * max(m, 1) + seq)
    acct, delta = acct[order], delta[order]
    running = np.cumsum(delta)
    starts = np.flatnonzero(np.concatenate([[True], acct[1:] != acct[:-1]]))
    before = np.concatenate([[0], running[:-1]])[starts]
    group = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(acct))))
    running -= before[group]
    out[acct[starts]] = np.minimum(np.minimum.reduceat(running, starts), 0)
    return out


def final_balances(
    opening: np.ndarray, src: np.ndarray, dst: np.ndarray, amount: np.ndarray
) -> np.ndarray:
    """Opening balance plus everything received minus everything paid."""
    out = opening.astype(np.int64).copy()
    np.subtract.at(out, src, amount)  # integer sums: money never passes through a float
    np.add.at(out, dst, amount)
    return out
