"""Growable per-id columns: state kept per dense id (see `keys`), in one numpy array.

Ids are handed out in first-seen order, so a column grows at its end as entities
appear; doubling its capacity keeps the copies amortised O(1) an id, and unknown ids (-1,
or ids never written) read as the column's fill value.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def capacity_for(capacity: int, n: int) -> int:
    """The capacity, doubled as often as needed to hold n ids."""
    cap = max(capacity, 1)
    while cap < n:
        cap *= 2
    return cap


def grown(arr: np.ndarray, capacity: int, fill: float) -> np.ndarray:
    """`arr` with its first axis grown to `capacity`, new rows set to `fill`."""
    out = np.full((capacity, *arr.shape[1:]), fill, arr.dtype)
    out[: len(arr)] = arr
    return out


class IdColumn:
    """A growable per-id attribute (an int64 time or id, or a float), -1 / nan if unknown."""

    def __init__(self, dtype: Any = np.int64, fill: float = -1, capacity: int = 1024) -> None:
        self.fill = fill
        self.values = np.full(max(int(capacity), 1), fill, dtype)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    @property
    def nbytes(self) -> int:
        return int(self.values.nbytes)

    def _ensure(self, n: int) -> None:
        self._n = max(self._n, n)
        if n > len(self.values):
            self.values = grown(self.values, capacity_for(len(self.values), n), self.fill)

    def get(self, ids: np.ndarray) -> np.ndarray:
        """Values for ids; the fill value for -1 and for ids never set."""
        if not len(ids) or (int(ids.min()) >= 0 and int(ids.max()) < self._n):
            return self.values[ids]
        known = (ids >= 0) & (ids < self._n)
        out = np.full(len(ids), self.fill, self.values.dtype)
        out[known] = self.values[ids[known]]
        return out

    def _written(self, ids: np.ndarray, values: Any) -> tuple[np.ndarray, np.ndarray]:
        """The ids to write (-1 skipped) and their values, the column grown to hold them."""
        values = np.broadcast_to(np.asarray(values, self.values.dtype), ids.shape)
        keep = ids >= 0
        ids, values = ids[keep], values[keep]
        if len(ids):
            self._ensure(int(ids.max()) + 1)
        return ids, values

    def set(self, ids: np.ndarray, values: Any) -> None:
        """Set values (the last write wins for repeated ids); -1 ids are skipped."""
        ids, values = self._written(ids, values)
        self.values[ids] = values

    def maximum(self, ids: np.ndarray, values: Any) -> None:
        """Raise values to at least `values` (e.g. a flag's first time stays the latest)."""
        ids, values = self._written(ids, values)
        np.maximum.at(self.values, ids, values)

    def minimum(self, ids: np.ndarray, values: Any) -> None:
        """Lower values to at most `values`, an unset one (the fill) taking the least value
        given (e.g. the first time an entity was seen); integer columns; -1 ids skipped."""
        ids, values = self._written(ids, values)
        unset = ids[self.values[ids] == self.fill]
        self.values[unset] = np.iinfo(self.values.dtype).max  # every one gets a value below
        np.minimum.at(self.values, ids, values)

    def state_dict(self) -> dict[str, np.ndarray]:
        return {"values": self.values[: self._n].copy()}

    def restore(self, state: dict[str, np.ndarray]) -> None:
        n = len(state["values"])
        self._ensure(n)
        self.values[:n] = state["values"]
