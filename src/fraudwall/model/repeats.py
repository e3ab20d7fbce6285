"""Repeated keys: the first record of each key counts, later ones are named and set apart.

DESIGN §4 promises ingest idempotent on `event_id`. A record whose key an earlier record
already has is either *identical* to it (every column equal: a resend, safe to drop) or
*conflicting* (same key, other values, or a record of another table: which one is right
cannot be told, so it must not count). The first record of a key is the earliest by its
`ts` (where the table has one), then the one in the earlier table, then the earlier row:
so a history split whole keeps the record a stream cut in time batches would have taken
first. This is the one rule, and `repeat_reasons` its one wording, for `check`, labelled
files, replay, train and `Engine.process` (`engine.repeats` adds only the engine's
multi-table output and its memory of earlier batches).

Everything is found with Arrow and numpy, without a Python loop per row. Only rows whose
key another row shares are compared: a caller that has a 64-bit hash of every key (the
engine does, for its memory) passes them, and the few rows sharing a hash are found by
scattering the rows into a table of slots, with no sort of the whole batch; without
hashes, Arrow's dictionary encoding of the keys finds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["RepeatIndex", "earlier_conflict_reason", "find_repeats", "repeat_reasons"]

#: Rows up to this: rows sharing a hash are found by scattering into slots; more (a whole
#: history): by a sort, as the slots would not fit in the cache.
_FEW: Final = 1 << 20
#: The time of a record without one: after every record with a time.
_NO_TIME: Final = np.iinfo(np.int64).max


@dataclass(frozen=True)
class RepeatIndex:
    """The repeats found among tables searched together (often one table), one entry per
    repeat, in table then row order: where it is (`part`: the table's position among those
    searched; `row`: 0-based), where the first record of its key is, whether it is
    identical to that one, and for a conflicting repeat in the same table the columns that
    differ (``"ts, amount_fen"``; '' otherwise)."""

    part: np.ndarray
    row: np.ndarray
    first_part: np.ndarray
    first_row: np.ndarray
    identical: np.ndarray
    differs: np.ndarray

    @property
    def any(self) -> bool:
        return bool(len(self.row))

    @property
    def conflicting(self) -> np.ndarray:
        return ~self.identical

    def kept(self, part: int, n_rows: int) -> np.ndarray:
        """True for the rows of table `part` (of `n_rows`) that count: no repeat."""
        keep = np.ones(n_rows, dtype=bool)
        keep[self.row[self.part == part]] = False
        return keep


def _no_repeats() -> RepeatIndex:
    none = np.zeros(0, dtype=np.int64)
    return RepeatIndex(none, none, none, none, np.zeros(0, bool), np.zeros(0, object))


def find_repeats(
    tables: pa.Table | Sequence[pa.Table],
    key: str,
    hashes: Sequence[np.ndarray] | None = None,
) -> RepeatIndex:
    """Find the records of `tables` (one table, or several whose keys are one space: a
    transfer and a call never share an event id) whose `key` an earlier record has.

    `hashes`, per table, a 64-bit hash of each key, 0 for a null key (as
    `common.hash_keys` gives it), makes the search quick when few rows repeat. A null
    key is never a repeat (it has no id to repeat)."""
    parts = [tables] if isinstance(tables, pa.Table) else list(tables)
    starts = np.concatenate([[0], np.cumsum([t.num_rows for t in parts])]).astype(np.int64)
    if starts[-1] < 2:
        return _no_repeats()
    codes: np.ndarray | None = None
    if hashes is not None:
        candidates = _shared_rows(np.concatenate([np.asarray(h, np.uint64) for h in hashes]))
    else:
        candidates, codes = _rows_with_shared_key(_keys(parts, key))
    if not len(candidates):
        return _no_repeats()
    part = np.searchsorted(starts, candidates, side="right") - 1
    row = candidates - starts[part]
    if codes is None:  # rows sharing a hash: which of them share the key itself
        codes = _codes(_keys(parts, key, part, row))
    ts = _times(parts, part, row)
    order = np.lexsort((candidates, ts, codes))  # by key, then time, then table and row
    order = order[codes[order] >= 0]
    group = codes[order]
    is_first = np.ones(len(order), dtype=bool)
    is_first[1:] = group[1:] != group[:-1]
    head = order[np.maximum.accumulate(np.where(is_first, np.arange(len(order)), 0))]
    later, first = order[~is_first], head[~is_first]
    by_row = np.argsort(later)  # candidates are in table then row order
    later, first = later[by_row], first[by_row]
    identical, differs = _compare(parts, key, part[later], row[later], part[first], row[first])
    return RepeatIndex(part[later], row[later], part[first], row[first], identical, differs)


def repeat_reasons(
    found: RepeatIndex,
    key: str,
    numbers: Sequence[np.ndarray | Sequence[int]] | None = None,
    noun: str = "row",
    names: Sequence[str] | None = None,
) -> pa.Array:
    """A reason for each repeat of `found`: ``KEY: duplicate of row N``, ``KEY: conflicts
    with row N (COLUMN differs)``, or ``KEY: conflicts with row N of TABLE (the same id in
    another table)``. `numbers` (per table) numbers the rows as a person finds them
    (default: 1-based position); `noun` says what the number counts ("line"); `names`
    names the tables searched."""
    if numbers is None:
        first_numbers = found.first_row + 1
    else:
        first_numbers = np.zeros(len(found.row), dtype=np.int64)
        for k in np.unique(found.first_part).tolist():
            at = found.first_part == k
            first_numbers[at] = np.asarray(numbers[k])[found.first_row[at]]
    number = pa.array(first_numbers, pa.int64()).cast(pa.string())
    duplicate = pc.binary_join_element_wise(f"{key}: duplicate of {noun} ", number, "")
    differs = pa.array(found.differs.tolist(), pa.string())
    verb = pc.if_else(pc.match_substring(differs, ", "), " differ)", " differs)")
    conflict = pc.binary_join_element_wise(
        f"{key}: conflicts with {noun} ", number, " (", differs, verb, ""
    )
    out = pc.if_else(pa.array(found.identical, pa.bool_()), duplicate, conflict)
    elsewhere = found.part != found.first_part
    if elsewhere.any():
        label = list(names) if names is not None else []
        label += [f"table {k + 1}" for k in range(len(label), int(found.first_part.max()) + 1)]
        of = pa.array([label[k] for k in found.first_part.tolist()], pa.string())
        other = pc.binary_join_element_wise(
            f"{key}: conflicts with {noun} ",
            number,
            " of ",
            of,
            " (the same id in another table)",
            "",
        )
        out = pc.if_else(pa.array(elsewhere), other, out)
    return out


def earlier_conflict_reason(key: str) -> str:
    """The reason for a record whose key a record taken in an earlier batch has, with
    another fingerprint (only a fingerprint of that one is kept: no row to name)."""
    return (
        f"{key}: conflicts with a record taken in an earlier batch (table, ts or a number differs)"
    )


def _plain(col: Any) -> Any:
    """One Arrow array, dictionary-decoded, so that values (not codes) are compared."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    if pa.types.is_dictionary(col.type):
        col = col.dictionary_decode()
    return col


def _keys(
    parts: Sequence[pa.Table],
    key: str,
    part: np.ndarray | None = None,
    row: np.ndarray | None = None,
) -> pa.Array:
    """The keys of every row of `parts`, or of the rows given (`part`, `row`: grouped by
    table), in one array (as strings when the tables' key types differ)."""
    arrays = []
    for k, table in enumerate(parts):
        column = table.column(key)
        if part is not None and row is not None:
            at = row[part == k]
            if not len(at):
                continue
            column = column.take(pa.array(at))
        arrays.append(_plain(column))
    if len({a.type for a in arrays}) > 1:
        arrays = [a.cast(pa.string()) for a in arrays]
    return arrays[0] if len(arrays) == 1 else pa.concat_arrays(arrays)


def _codes(keys: pa.Array) -> np.ndarray:
    """A number for each distinct key (-1 for a null key)."""
    return np.asarray(pc.dictionary_encode(keys).indices.fill_null(-1), dtype=np.int64)


def _rows_with_shared_key(keys: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The rows (increasing) whose key another row has too, and their keys' codes."""
    encoded = pc.dictionary_encode(keys)
    if len(encoded.dictionary) == len(keys) - keys.null_count:  # every key new
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    codes = np.asarray(encoded.indices.fill_null(-1), dtype=np.int64)
    counts = np.bincount(codes[codes >= 0], minlength=len(encoded.dictionary))
    rows = np.flatnonzero((codes >= 0) & (counts[np.maximum(codes, 0)] > 1))
    return rows, codes[rows]


def _shared_rows(h: np.ndarray) -> np.ndarray:
    """The rows (increasing) whose hash another row has too; 0 (a null key) never counts.

    Each row is written into the slot its hash picks in a table of at least 16 slots a
    row; a row overwritten by a later one shares its slot with it, and only those few
    rows (about 1 in 16, plus the true repeats) are compared by their full hash. Past
    `_FEW` rows the table would not fit in the cache: a sort is quicker."""
    n = len(h)
    if n <= _FEW:
        rows = np.arange(n, dtype=np.int32)
        size = 1 << max(10, (16 * n).bit_length())
        slots = np.empty(size, np.int32)
        slot = (h & np.uint64(size - 1)).astype(np.intp)
        slots[slot] = rows
        last = slots[slot]
        lost = np.flatnonzero(last != rows)
        mark = np.zeros(n, dtype=bool)
        mark[lost] = True
        mark[last[lost]] = True
        candidates = np.flatnonzero(mark)
    else:
        candidates = np.arange(n)
    values = h[candidates]
    order = np.argsort(values)
    sorted_values = values[order]
    same = sorted_values[1:] == sorted_values[:-1]
    twin = np.zeros(len(candidates), dtype=bool)
    twin[1:] |= same
    twin[:-1] |= same
    found = candidates[order[twin]]
    return np.sort(found[h[found] != 0]).astype(np.int64)


def _times(parts: Sequence[pa.Table], part: np.ndarray, row: np.ndarray) -> np.ndarray:
    """The `ts` (int64) of the rows given, grouped by table; `_NO_TIME` where none."""
    out = np.full(len(row), _NO_TIME, dtype=np.int64)
    for k, table in enumerate(parts):
        at = np.flatnonzero(part == k)
        if not len(at) or "ts" not in table.column_names:
            continue
        ts = table.column("ts")
        if not (pa.types.is_integer(ts.type) or pa.types.is_timestamp(ts.type)):
            continue
        taken = ts.take(pa.array(row[at])).cast(pa.int64())
        out[at] = np.asarray(pc.fill_null(taken, _NO_TIME), dtype=np.int64)
    return out


def _compare(
    parts: Sequence[pa.Table],
    key: str,
    part: np.ndarray,
    row: np.ndarray,
    first_part: np.ndarray,
    first_row: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Whether each repeat equals its first record column for column (a record of
    another table never does), and the columns that differ where it does not."""
    identical = np.zeros(len(row), dtype=bool)
    differs = np.full(len(row), "", dtype=object)
    same_part = part == first_part
    for k in np.unique(part[same_part]).tolist():
        at = np.flatnonzero(same_part & (part == k))
        table = parts[k]
        names = [c for c in table.column_names if c != key]
        if not names:
            identical[at] = True
            continue
        columns = table.select(names)
        a = columns.take(pa.array(row[at]))
        b = columns.take(pa.array(first_row[at]))
        same = np.ones((len(names), len(at)), dtype=bool)
        for j, name in enumerate(names):
            same[j] = _same(_plain(a.column(name)), _plain(b.column(name)))
        all_same = same.all(axis=0)
        identical[at] = all_same
        if not all_same.all():
            differs[at[~all_same]] = _differing(names, ~same[:, ~all_same])
    return identical, differs


def _same(a: Any, b: Any) -> np.ndarray:
    """Element-wise: is a[i] the same value as b[i]? Two nulls, or two NaNs, are the same."""
    try:
        eq = pc.equal(a, b)
    except (pa.ArrowNotImplementedError, pa.ArrowTypeError):
        # lists and other nested values have no comparison kernel; these are repeats only
        return np.array(
            [x == y for x, y in zip(a.to_pylist(), b.to_pylist(), strict=True)], dtype=bool
        )
    same = pc.or_(pc.fill_null(eq, False), pc.and_(a.is_null(), b.is_null()))
    if pa.types.is_floating(a.type) and pa.types.is_floating(b.type):
        same = pc.or_(same, pc.fill_null(pc.and_(pc.is_nan(a), pc.is_nan(b)), False))
    return np.asarray(same, dtype=bool)


def _differing(names: Sequence[str], differ: np.ndarray) -> np.ndarray:
    """Per column of `differ` (columns x repeats), the names of the columns that differ,
    joined; worded once per pattern (repeats of a resent file share a few)."""
    patterns, inverse = np.unique(differ.T, axis=0, return_inverse=True)
    words = [", ".join(n for n, d in zip(names, p, strict=True) if d) for p in patterns]
    return np.array(words, dtype=object)[np.asarray(inverse).ravel()]
