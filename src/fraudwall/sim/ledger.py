"""Balances over a transfer ledger, vectorised: running balances, minima, final balances.

The simulator uses it to set opening balances so that no account overdraws (a person
who pays had the money), and tests use it to check that money is conserved.
"""

from __future__ import annotations

import numpy as np

from fraudwall.common import stable_argsort


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
    order = stable_argsort(acct.astype(np.int64) * max(m, 1) + seq)
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
