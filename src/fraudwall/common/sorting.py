"""Stable orders of integer keys, and the ledger's journal order built on them.

A stable argsort (numpy's merge sort of indices) is the usual way to order events by
time with ties kept in arrival order; packing each key and its position into one int64
and sorting those values instead gives the same order through numpy's SIMD sort.
"""

from __future__ import annotations

import numpy as np


def stable_argsort(key: np.ndarray) -> np.ndarray:
    """`np.argsort(key, kind="stable")` of integer keys: one unstable sort of (key - min,
    position) packed into an int64 (positions in the low bits, so a mask unpacks them),
    or numpy's stable sort when the two do not fit in 62 bits."""
    n = len(key)
    if n < 2:
        return np.arange(n, dtype=np.int64)
    lo = int(key.min())
    shift = (n - 1).bit_length()
    if int(key.max()) - lo + 1 >= (2**62) >> shift:
        return np.argsort(key, kind="stable")
    packed = np.subtract(key, lo, dtype=np.int64)
    packed <<= shift
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    packed &= (1 << shift) - 1
    return packed


def ledger_order(ts: np.ndarray) -> np.ndarray:
    """The journal order of transfers: by time, ties by position (the journal sequence).

    One definition for the simulator, which writes transfers in this order and sets
    opening balances so that no account overdraws along it, and for the ledger that
    traces money in it."""
    return stable_argsort(ts)
