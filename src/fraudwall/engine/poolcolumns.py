"""The kinds of value column a `RowPool` holds, one ring of B time buckets per row.

- `Counter`: a windowed sum (counts, amounts) per row, a (rows, B) array of its dtype;
  integer sums are exact, float sums may differ from a one-at-a-time reference in the
  last bits (another order of additions).
- `Distinct`: an approximate count of distinct counterparts (fan-in, fan-out) per row, a
  (rows, B, K/64) array of K-bit bitmaps: each bucket holds the OR of
  1 << (splitmix64(counterpart) % K), the window's bitmap is the OR of its buckets and
  reads through `linear_count`. Two counterparts sharing a bit cannot be told apart, so
  small counts are exact only as often as no two collide: measured with K = 64 (8 bytes
  per bucket), the rounded estimate is exact for 1 / 2 / 3 / 5 / 10 distinct
  counterparts in 100 / 99 / 95 / 83 / 35% of windows, and within one of 10 in 85%;
  K = 1024 (16 times the memory) is exact for up to 10 in >= 95%. Fine for thresholds
  such as "more than 5 payers in an hour"; choose a wider sketch where exact small counts
  matter.

A column says how an event's value becomes its part in a bucket, how parts combine (a
sum, an OR), how a row's buckets in a window reduce to one value, and how the events of a
batch before each event combine (prefix sums, a sparse-table OR); the pool owns the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from fraudwall.engine.windows import splitmix64

_TABLE_MAX_B = 64  # rings up to this many buckets read validity from a precomputed table
_U64 = np.uint64


@dataclass(frozen=True, init=False)
class Counter:
    """A windowed sum per row, in `dtype` (int32 for counts, int64 for fen)."""

    dtype: np.dtype[Any]

    def __init__(self, dtype: Any = np.int64) -> None:
        object.__setattr__(self, "dtype", np.dtype(dtype))

    @property
    def tail(self) -> tuple[int, ...]:
        """The shape of one bucket's value."""
        return ()

    @property
    def ufunc(self) -> np.ufunc:
        """How parts in one bucket, and buckets in one window, combine."""
        return np.add

    def spec(self) -> str:
        """The column as text, for snapshots (`column_of` reads it back)."""
        return f"counter:{self.dtype.name}"

    def parts(self, values: Any, n: int) -> np.ndarray:
        """Each of n events' part in its bucket: its value (a scalar counts for each)."""
        v = np.asarray(values, dtype=self.dtype)
        if v.ndim == 0:
            return np.full(n, v, self.dtype)
        if v.shape != (n,):
            raise ValueError(f"values: expected shape ({n},), got {v.shape}")
        return v

    def table(self, n_buckets: int) -> np.ndarray:
        """`_valid_table` spelt 1 / 0 in the column's dtype, to multiply by."""
        return _spelt(n_buckets, self.dtype, np.array(1).astype(self.dtype))

    def reduce(self, block: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """The sums of (n, B) rows over the slots `valid` (1 / 0) marks in the window."""
        return np.einsum("ij,ij->i", block, valid)

    def within(self, parts: np.ndarray, start: np.ndarray) -> np.ndarray:
        """out[p] = the sum of parts[start[p]:p] (events sorted by id and time), by
        prefix sums."""
        prefix = np.zeros(len(parts) + 1, self.dtype)
        np.cumsum(parts, out=prefix[1:])
        return prefix[:-1] - prefix[start]


@dataclass(frozen=True)
class Distinct:
    """A distinct-count sketch per row: K = `sketch_bits` bits (a multiple of 64)."""

    sketch_bits: int = 64

    def __post_init__(self) -> None:
        if self.sketch_bits <= 0 or self.sketch_bits % 64:
            raise ValueError(
                f"sketch_bits must be a positive multiple of 64, got {self.sketch_bits}"
            )

    @property
    def dtype(self) -> np.dtype[Any]:
        return np.dtype(_U64)

    @property
    def words(self) -> int:
        return self.sketch_bits // 64

    @property
    def tail(self) -> tuple[int, ...]:
        return (self.words,)

    @property
    def ufunc(self) -> np.ufunc:
        return np.bitwise_or

    def spec(self) -> str:
        return f"distinct:{self.sketch_bits}"

    def bits(self, others: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Each of n counterparts' (word index, one-bit word)."""
        others = np.asarray(others, dtype=np.int64).reshape(-1)
        if others.shape != (n,):
            raise ValueError(f"others: expected shape ({n},), got {others.shape}")
        bit = splitmix64(others) % _U64(self.sketch_bits)
        return (bit >> _U64(6)).astype(np.int64), _U64(1) << (bit & _U64(63))

    def parts(self, others: Any, n: int) -> np.ndarray:
        """Each event's part: its counterpart's bit, as one word (n,) or a row of words."""
        word, onebit = self.bits(others, n)
        if self.words == 1:
            return onebit
        out = np.zeros((n, self.words), _U64)
        out[np.arange(n), word] = onebit
        return out

    def table(self, n_buckets: int) -> np.ndarray:
        """`_valid_table` spelt all ones / zero, to AND with."""
        return _spelt(n_buckets, self.dtype, np.array(-1).astype(_U64))

    def reduce(self, block: np.ndarray, valid: np.ndarray) -> np.ndarray:
        block &= valid[:, :, None]
        return np.bitwise_or.reduce(block, axis=1)

    def within(self, parts: np.ndarray, start: np.ndarray) -> np.ndarray:
        """out[p] = the OR of parts[start[p]:p], as (n, words)."""
        return _range_or(parts, start).reshape(len(parts), -1)


Column = Counter | Distinct


def column_of(spec: str) -> Column:
    """The column a `spec()` text describes ("counter:int32", "distinct:64")."""
    kind, _, arg = spec.partition(":")
    if kind == "counter":
        return Counter(np.dtype(arg))
    if kind == "distinct" and arg.isdigit():
        return Distinct(int(arg))
    raise ValueError(f"column {spec!r}: expected 'counter:<dtype>' or 'distinct:<bits>'")


@lru_cache(maxsize=32)
def _valid_table(n_buckets: int) -> np.ndarray:
    """valid[(L % B) * (2B + 1) + d + B, j]: whether slot j holds a bucket inside the
    window of epoch L + d, for an entity whose newest epoch is L (d clipped to [-B, B])."""
    b = n_buckets
    r = np.arange(b)[:, None, None]
    d = np.arange(-b, b + 1)[None, :, None]
    j = np.arange(b)[None, None, :]
    v = (r - j) % b + d
    return ((v >= 0) & (v < b)).reshape(b * (2 * b + 1), b)


def _spelt(n_buckets: int, dtype: np.dtype[Any], true: np.ndarray) -> np.ndarray:
    """The validity table with `true` for in and 0 for out (or, for rings of more than
    _TABLE_MAX_B buckets, the pair [out, in] that `valid` picks from)."""
    if n_buckets <= _TABLE_MAX_B:
        return np.where(_valid_table(n_buckets), true, np.zeros((), dtype))
    return np.array([0, true], dtype)


def in_window(newest: np.ndarray, d: np.ndarray, n_buckets: int, table: np.ndarray) -> np.ndarray:
    """(n, B): whether each ring slot is in the window ending at each query epoch E, as
    `table` (a column's `table`) spells true and false; `d` is E - newest clipped to
    [-B, B].

    Slot j of an entity whose newest epoch is L holds epoch L - ((L - j) mod B); it is
    in the window of epoch E iff E - B < that epoch <= E, i.e. 0 <= age_j + E - L < B.
    """
    b = n_buckets
    if b <= _TABLE_MAX_B:
        return np.take(table, (newest % b) * (2 * b + 1) + d + b, axis=0)
    v = (newest % b)[:, None] - np.arange(b)[None, :]
    v %= b
    v += d[:, None]
    return np.where((v >= 0) & (v < b), table[1], table[0])


def _range_or(bits: np.ndarray, start: np.ndarray) -> np.ndarray:
    """out[p] = OR of bits[start[p]:p] (empty: 0; bits (n,) or (n, words)), by a sparse
    table: level k holds the OR of 2**k rows from each row, and any range is the OR of
    two overlapping blocks."""
    n = len(bits)
    out = np.zeros_like(bits)
    length = np.arange(n) - start
    has = np.flatnonzero(length > 0)
    if not len(has):
        return out
    # floor(log2(length)), exactly: frexp's exponent (length = m * 2**e, 0.5 <= m < 1).
    level = (np.frexp(length[has])[1] - 1).astype(np.uint8)
    table = bits.copy()
    top = int(level.max())
    # The rows of each level, grouped by one stable (radix) sort of their small levels.
    by = np.argsort(level, kind="stable")
    by_level = has[by]
    bounds = np.searchsorted(level[by], np.arange(top + 2))
    for k in range(top + 1):
        at = by_level[bounds[k] : bounds[k + 1]]
        out[at] = table[start[at]] | table[at - (1 << k)]
        if k < top:
            step = 1 << k
            table[:-step] |= table[step:]
    return out
