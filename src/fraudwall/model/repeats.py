"""Repeated keys in a table: the first occurrence counts, later ones are named and set apart.

DESIGN §4 promises ingest idempotent on `event_id`. A later row whose key was seen before is
either *identical* to the first (every column equal: a resend, safe to drop) or *conflicting*
(same key, other values: which one is right cannot be told, so it must not count). `check`,
replay, train and `Engine.process` all apply this one rule, so they agree on which row is
the event. Everything is found with Arrow and numpy, without a Python loop per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.model.schema import REASON

__all__ = ["RepeatIndex", "Repeats", "find_repeats", "repeat_reasons", "split_repeats"]


@dataclass(frozen=True)
class RepeatIndex:
    """Where the repeats of a key are, by row position (0-based) in the table searched.

    `first_of[i]` is the position of the first row with row i's key (i itself for a first
    occurrence or a null key); `identical` and `conflicting` mark the later rows;
    `differs[i]` names the first column in which a conflicting row i differs ('' elsewhere).
    """

    first_of: np.ndarray
    identical: np.ndarray
    conflicting: np.ndarray
    differs: np.ndarray

    @property
    def first(self) -> np.ndarray:
        """True for the rows that count: the first occurrence of each key."""
        return ~(self.identical | self.conflicting)

    @property
    def any(self) -> bool:
        return bool(self.identical.any() or self.conflicting.any())


class Repeats(NamedTuple):
    """A table split by `split_repeats`: rows that count, and the two kinds of repeat.

    `identical` and `conflicting` keep the table's columns and gain a reason column, e.g.
    ``event_id: duplicate of row 3`` or ``event_id: conflicts with row 3 (amount_fen differs)``.
    """

    first: pa.Table
    identical: pa.Table
    conflicting: pa.Table


def _plain(col: Any) -> Any:
    """One Arrow array, dictionary-decoded, so that values (not codes) are compared."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    if pa.types.is_dictionary(col.type):
        col = col.dictionary_decode()
    return col


def _same(a: Any, b: Any) -> np.ndarray:
    """Element-wise: is a[i] the same value as b[i]? Two nulls, or two NaNs, are the same."""
    try:
        eq = pc.equal(a, b)
    except (pa.ArrowNotImplementedError, pa.ArrowTypeError):
        # lists and other nested values have no comparison kernel; these are repeats only
        return np.array([x == y for x, y in zip(a.to_pylist(), b.to_pylist(), strict=True)])
    same = pc.or_(pc.fill_null(eq, False), pc.and_(a.is_null(), b.is_null()))
    if pa.types.is_floating(a.type) and pa.types.is_floating(b.type):
        same = pc.or_(same, pc.fill_null(pc.and_(pc.is_nan(a), pc.is_nan(b)), False))
    return np.asarray(same, dtype=bool)


def find_repeats(table: pa.Table, key: str) -> RepeatIndex:
    """Find the rows of `table` whose `key` appeared in an earlier row, identical or not.

    Rows with a null key are never repeats (they have no id to repeat).
    """
    n = table.num_rows
    positions = np.arange(n, dtype=np.int64)
    keys = _plain(table.column(key))
    encoded = keys.dictionary_encode()
    codes = np.asarray(encoded.indices.fill_null(-1), dtype=np.int64)
    first_of = positions.copy()
    has_key = codes >= 0
    if len(encoded.dictionary) < int(has_key.sum()):  # else every key is new: no repeats
        # Codes number the keys in order of first appearance, so a row is a key's first
        # exactly when its code is above every code before it; the k-th such row is the
        # first of code k.
        before = np.maximum.accumulate(np.concatenate(([-1], codes[:-1])))
        first_row = positions[codes > before]
        first_of[has_key] = first_row[codes[has_key]]
    later = np.flatnonzero(first_of != positions)
    identical = np.zeros(n, dtype=bool)
    conflicting = np.zeros(n, dtype=bool)
    differs = np.full(n, "", dtype=object)
    if len(later):
        rows = pa.array(later)
        firsts = pa.array(first_of[later])
        names = [c for c in table.column_names if c != key]
        same = np.ones((max(len(names), 1), len(later)), dtype=bool)
        for j, name in enumerate(names):
            col = _plain(table.column(name))
            same[j] = _same(col.take(rows), col.take(firsts))
        all_same = same.all(axis=0)
        identical[later[all_same]] = True
        conflicting[later[~all_same]] = True
        if names:
            first_diff = np.argmax(~same, axis=0)
            differs[later[~all_same]] = np.array(names, dtype=object)[first_diff[~all_same]]
    return RepeatIndex(first_of, identical, conflicting, differs)


def repeat_reasons(
    found: RepeatIndex,
    key: str,
    rows: Sequence[int] | np.ndarray | None = None,
    noun: str = "row",
) -> pa.Array:
    """A reason per row (null for the rows that count): ``KEY: duplicate of row N`` or
    ``KEY: conflicts with row N (COLUMN differs)``. `rows` numbers the rows as a person
    finds them (default: 1-based position); `noun` says what the number counts ("line")."""
    n = len(found.first_of)
    numbers = np.arange(1, n + 1, dtype=np.int64) if rows is None else np.asarray(rows)
    first_numbers = pa.array(numbers[found.first_of]).cast(pa.string())
    duplicate = pc.binary_join_element_wise(f"{key}: duplicate of {noun} ", first_numbers, "")
    differs = pa.array(found.differs.tolist(), pa.string())
    conflict = pc.binary_join_element_wise(
        f"{key}: conflicts with {noun} ", first_numbers, " (", differs, " differs)", ""
    )
    none = pa.nulls(n, pa.string())
    out = pc.if_else(pa.array(found.identical), duplicate, none)
    return pc.if_else(pa.array(found.conflicting), conflict, out)


def split_repeats(
    table: pa.Table,
    key: str,
    *,
    reason: str = REASON,
    rows: Sequence[int] | np.ndarray | None = None,
    noun: str = "row",
) -> Repeats:
    """Split `table` into the rows that count (the first row of each `key`, in order) and
    its identical and conflicting repeats, each repeat with a `reason` column naming the
    row it repeats (see `repeat_reasons` for `rows` and `noun`). Every row lands in
    exactly one of the three."""
    found = find_repeats(table, key)
    if not found.any:
        empty = table.slice(0, 0).append_column(reason, pa.array([], pa.string()))
        return Repeats(table, empty, empty)
    reasons = repeat_reasons(found, key, rows, noun)

    def part(mask: np.ndarray) -> pa.Table:
        where = pa.array(np.flatnonzero(mask))
        return table.take(where).append_column(reason, reasons.take(where))

    first = table.filter(pa.array(found.first))
    return Repeats(first, part(found.identical), part(found.conflicting))
