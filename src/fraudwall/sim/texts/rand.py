"""Uniform draws for the text generators, fetched from a numpy Generator in blocks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np

_T = TypeVar("_T")


class Rand:
    """Uniform draws from a numpy Generator, fetched in blocks (numpy scalar calls are slow)."""

    __slots__ = ("_buf", "_i", "_rng", "_size")

    def __init__(self, rng: np.random.Generator, size: int = 64) -> None:
        self._rng = rng
        self._size = size
        self._buf: list[float] = []
        self._i = 0

    def u(self) -> float:
        i = self._i
        if i >= len(self._buf):
            self._buf = self._rng.random(self._size).tolist()
            i = 0
        self._i = i + 1
        return self._buf[i]

    def idx(self, n: int) -> int:
        return min(int(self.u() * n), n - 1)

    def pick(self, seq: Sequence[_T]) -> _T:
        return seq[self.idx(len(seq))]

    def randint(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi], both ends included."""
        return lo + self.idx(hi - lo + 1)

    def chance(self, p: float) -> bool:
        return self.u() < p

    def digits(self, k: int) -> str:
        return "".join(_DIGITS[self.idx(10)] for _ in range(k))

    def loguniform(self, lo: float, hi: float) -> float:
        return float(lo * (hi / lo) ** self.u())


def buffer_size(n: int) -> int:
    return min(max(256, n * 48), 1 << 16)


_DIGITS = "0123456789"
ALNUM = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LOWER = "abcdefghjklmnpqrstwxyz"
