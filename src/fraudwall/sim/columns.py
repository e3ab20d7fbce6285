"""Column accumulators: the simulator appends numpy chunks and builds each table once.

Entities are dense integer ids while the world is being made (fast, no Python object per
event); strings (ids, texts) are made only when the Arrow tables are built, by taking
from a pool of distinct strings.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NULL = -1  # sentinel for a missing integer reference or value


class StringPool:
    """Interns strings to int32 codes so text columns are numpy arrays until output."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}
        self._values: list[str] = []

    def intern(self, values: Sequence[str]) -> np.ndarray:
        out = np.empty(len(values), dtype=np.int64)
        codes, vals = self._codes, self._values
        for i, v in enumerate(values):
            c = codes.get(v)
            if c is None:
                c = codes[v] = len(vals)
                vals.append(v)
            out[i] = c
        return out

    def code(self, value: str) -> int:
        return int(self.intern([value])[0])

    def to_arrow(self, codes: np.ndarray) -> pa.Array:
        """Strings for codes; NULL codes become nulls."""
        pool = pa.array(self._values, type=pa.string())
        return take_nullable(pool, codes)


def take_nullable(pool: pa.Array, idx: np.ndarray) -> pa.Array:
    """pool[idx] with NULL (-1) positions as nulls, in one C++ call."""
    idx = np.asarray(idx, dtype=np.int64)
    mask = idx < 0
    if not mask.any():
        return pool.take(pa.array(idx))
    return pool.take(pa.array(np.where(mask, 0, idx), mask=mask))


def int_or_null(values: np.ndarray) -> pa.Array:
    """An int64 Arrow array where NULL (-1) marks a missing value."""
    values = np.asarray(values, dtype=np.int64)
    mask = values == NULL
    return pa.array(values, type=pa.int64(), mask=mask if mask.any() else None)


def format_ids(prefix: str, n: int, width: int) -> pa.Array:
    """['P0000000', 'P0000001', ...]: the id pool for n entities of one kind."""
    if n >= 10**width:
        raise ValueError(f"{n} ids do not fit in {width} digits")
    # 10**width + i prints as '1' and `width` zero-padded digits; swap the '1' for the prefix.
    padded = pc.cast(pa.array(np.arange(n, dtype=np.int64) + 10**width), pa.string())
    return pc.utf8_replace_slice(padded, 0, 1, prefix)


class Columns:
    """Chunks of named numpy columns, appended in any order, concatenated once."""

    def __init__(self, *names: str) -> None:
        self._chunks: dict[str, list[np.ndarray]] = {n: [] for n in names}
        self._rows = 0

    def add(self, **cols: np.ndarray | int) -> None:
        arrays = {k: v for k, v in cols.items() if isinstance(v, np.ndarray)}
        if not arrays:
            raise ValueError("add() needs at least one array column")
        n = len(next(iter(arrays.values())))
        if n == 0:
            return
        unknown = set(cols) - set(self._chunks)
        missing = set(self._chunks) - set(cols)
        if unknown or missing:
            raise ValueError(f"columns: unknown {sorted(unknown)}, missing {sorted(missing)}")
        for name, v in cols.items():
            arr = v if isinstance(v, np.ndarray) else np.full(n, v, dtype=np.int64)
            if len(arr) != n:
                raise ValueError(f"column {name}: {len(arr)} rows, expected {n}")
            self._chunks[name].append(arr)
        self._rows += n

    def __len__(self) -> int:
        return self._rows

    def build(self) -> dict[str, np.ndarray]:
        return {
            name: (np.concatenate(chunks) if chunks else np.empty(0, dtype=np.int64))
            for name, chunks in self._chunks.items()
        }
