"""A batch's entity keys as dense ids, with or without adding the unseen ones to the state.

Folding a batch into the state (`Engine.absorb`) adds the keys it meets for the first time
to the state's key indexes. Deciding a batch (`Engine.decide`) must leave the state as it
was, so there the unseen keys get *provisional* ids instead: exactly the ids adding them
would give (the next free ones, in order of first appearance, across every lookup of the
batch in the same order), so a decision is the same whether or not the batch is absorbed
after it, and a check asked twice gets the same answer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.common import KeyBatch, KeyIndex
from fraudwall.engine.state import KEY_TYPES, EngineState


class Resolver:
    """Key lookups for one batch; `add=False` leaves the state's indexes untouched."""

    def __init__(self, state: EngineState, add: bool) -> None:
        self.state = state
        self.add = add
        self._unseen: dict[str, KeyIndex] = {}  # per index: the batch's unseen keys so far

    def ids(self, name: str, keys: KeyBatch) -> np.ndarray:
        """The id of each key in the state's index `name` (-1 for a null key)."""
        index = self.state.keys[name]
        if self.add:
            return index.lookup(keys)
        found = index.lookup(keys, add=False)
        return self._provisional(name, [keys], [found])[0]

    def columns(self, name: str, columns: Sequence[KeyBatch]) -> list[np.ndarray]:
        """The ids of several columns of keys, numbered column after column."""
        index = self.state.keys[name]
        if self.add:
            return index.lookup_columns(columns)
        return self._provisional(name, columns, index.lookup_columns(columns, add=False))

    def _provisional(
        self, name: str, columns: Sequence[KeyBatch], found: list[np.ndarray]
    ) -> list[np.ndarray]:
        """`found` (ids of known keys, -1 for the others) with the unseen keys' provisional
        ids filled in, numbered column after column in order of first appearance."""
        index = self.state.keys[name]
        missing = [_unseen_keys(column, ids) for column, ids in zip(columns, found, strict=True)]
        if not any(len(keys) for keys, _ in missing):
            return found
        unseen = self._unseen.get(name)
        if unseen is None:
            unseen = self._unseen[name] = KEY_TYPES.get(name, KeyIndex)()
        extra = unseen.lookup_columns([keys for keys, _ in missing])
        for ids, (_, rows), more in zip(found, missing, extra, strict=True):
            ids[rows] = len(index) + more
        return found


def _unseen_keys(column: KeyBatch, ids: np.ndarray) -> tuple[KeyBatch, np.ndarray]:
    """The keys of `column` its index does not hold (nulls aside) and their rows."""
    absent = ids < 0
    if not absent.any():
        return column[:0], np.empty(0, np.int64)
    if isinstance(column, pa.Array | pa.ChunkedArray):
        absent &= np.asarray(pc.is_valid(column).to_numpy(zero_copy_only=False), bool)
        rows = np.flatnonzero(absent)
        return column.take(pa.array(rows)), rows
    rows = np.flatnonzero(absent)
    return np.asarray(column)[rows], rows
