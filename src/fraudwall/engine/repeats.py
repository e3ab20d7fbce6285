"""Each event once: records that repeat an event id, found and sorted into identical and
conflicting repeats.

An event id names one event, and ingest is idempotent on it. A record whose id an earlier
record already has is either the same event sent again — every field equal: an
*identical repeat*, dropped and counted — or another record claiming the same id: a
*conflicting repeat*, rejected with what differs. Either way the first record is the one
taken (the earliest, then in table order, then in row order), so the same money is never
counted twice and no two decisions carry one id.

`split_repeats` does this for a set of event tables at once (an id is unique across them:
a transfer and a call never share one), in numpy and Arrow: the ids are hashed, the few
rows whose hash another row shares are found by scattering the rows into a table of slots
(no sort of the whole batch), and only those are compared exactly, id and fields. It
depends on nothing of the engine's; the engine adds what it remembers of earlier batches
(`recent.RecentEvents`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.common import hash_keys

KEY: Final = "event_id"
#: A rejected repeat: its table, id, time, why, and the record itself (as JSON), so that
#: nothing given is lost.
REJECTED_SCHEMA: Final = pa.schema(
    [
        pa.field("table", pa.string(), nullable=False),
        pa.field("event_id", pa.string()),
        pa.field("ts", pa.int64()),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("record", pa.string(), nullable=False),
    ]
)
_FEW: Final = 1 << 20  # rows up to this: found by scattering into slots; more: by a sort


@dataclass
class Split:
    """Event tables with each id once, and the repeats that were left out."""

    #: each table with the first record of each id, in its order (the table itself when
    #: it holds no repeat)
    tables: dict[str, pa.Table]
    #: the 64-bit hash of each kept row's id, per table (as `common.hash_keys` gives it)
    hashes: dict[str, np.ndarray]
    #: identical repeats dropped, per table
    duplicates: dict[str, int]
    #: conflicting repeats, with their reason (REJECTED_SCHEMA)
    rejected: pa.Table

    @property
    def n_duplicates(self) -> int:
        return sum(self.duplicates.values())


def split_repeats(
    tables: Mapping[str, pa.Table], key: str = KEY, scratch: Scratch | None = None
) -> Split:
    """Split event tables into the first record of each id and its repeats (module doc).

    Tables without a `key` column are passed through untouched; `scratch` is working
    memory a caller that splits batch after batch keeps (see `shared_rows`)."""
    names = [n for n, t in tables.items() if key in t.column_names]
    hashes = {n: hash_keys(tables[n][key]) for n in names}
    out = Split(dict(tables), hashes, {n: 0 for n in names}, REJECTED_SCHEMA.empty_table())
    sizes = [len(hashes[n]) for n in names]
    if sum(sizes) < 2:
        return out
    every = np.concatenate([hashes[n] for n in names])
    shared = shared_rows(every, scratch)
    if not len(shared):
        return out
    starts = np.concatenate([[0], np.cumsum(sizes)])
    which = np.searchsorted(starts, shared, side="right") - 1  # the table of each row
    rows = shared - starts[which]
    drop, rejected = _repeats_among(tables, names, which, rows, key)
    for k, name in enumerate(names):
        gone = drop[k]
        if not len(gone):
            continue
        keep = np.ones(tables[name].num_rows, bool)
        keep[gone] = False
        out.tables[name] = tables[name].filter(pa.array(keep))
        out.hashes[name] = hashes[name][keep]
        out.duplicates[name] = len(gone) - int(
            pc.sum(pc.equal(rejected["table"], name)).as_py() or 0
        )
    out.rejected = rejected
    return out


class Scratch:
    """A table of slots kept from one call of `shared_rows` to the next: a fresh one of
    megabytes costs more in page faults than the work done in it."""

    def __init__(self) -> None:
        self.slots = np.empty(0, np.int32)

    def of_size(self, size: int) -> np.ndarray:
        if len(self.slots) != size:
            self.slots = np.empty(size, np.int32)
        return self.slots


def shared_rows(h: np.ndarray, scratch: Scratch | None = None) -> np.ndarray:
    """The rows (increasing) whose hash another row has too; 0 (a missing id) never counts.

    Each row is written into the slot its hash picks in a table of at least 16 slots a
    row; a row overwritten by a later one shares its slot with it, and only those few
    rows (about 1 in 16, plus the true repeats) are compared by their full hash. Past
    `_FEW` rows (a whole history) the table would not fit in the cache: a sort is quicker."""
    n = len(h)
    if n <= _FEW:
        rows = np.arange(n, dtype=np.int32)
        size = 1 << max(10, (16 * n).bit_length())
        slots = (scratch or Scratch()).of_size(size)
        slot = (h & np.uint64(size - 1)).astype(np.intp)
        slots[slot] = rows
        last = slots[slot]
        lost = np.flatnonzero(last != rows)
        mark = np.zeros(n, bool)
        mark[lost] = True
        mark[last[lost]] = True
        candidates = np.flatnonzero(mark)
    else:
        candidates = np.arange(n)
    values = h[candidates]
    order = np.argsort(values)
    sorted_values = values[order]
    same = sorted_values[1:] == sorted_values[:-1]
    twin = np.zeros(len(candidates), bool)
    twin[1:] |= same
    twin[:-1] |= same
    found = candidates[order[twin]]
    return np.sort(found[h[found] != 0])


def _repeats_among(
    tables: Mapping[str, pa.Table],
    names: Sequence[str],
    which: np.ndarray,
    rows: np.ndarray,
    key: str,
) -> tuple[list[np.ndarray], pa.Table]:
    """Among rows whose id hash is shared (`which` table, `rows` in it): per table, the
    rows to drop (every one but the first of each id), and the conflicting ones."""
    ids = pa.chunked_array(
        [
            tables[names[k]][key].take(pa.array(rows[which == k])).cast(pa.string())
            for k in range(len(names))
        ],
        type=pa.string(),
    )
    order_in = np.argsort(which, kind="stable")  # ids above are grouped by table
    which, rows = which[order_in], rows[order_in]
    ts = np.concatenate(
        [_ts(tables[names[k]], rows[which == k]) for k in range(len(names))]
    ).astype(np.int64)
    codes = pc.dictionary_encode(ids.combine_chunks()).indices.to_numpy(zero_copy_only=False)
    order = np.lexsort((rows, which, ts, codes))  # by id, then ts, table, row
    group = codes[order]
    first = np.ones(len(order), bool)
    first[1:] = group[1:] != group[:-1]
    head = order[np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))]
    later = order[~first]
    firsts = head[~first]
    same = _same_records(tables, names, which, rows, later, firsts)
    drop = [np.sort(rows[later][which[later] == k]) for k in range(len(names))]
    conflicting = later[~same]
    reasons = [
        _reason(tables, names, which[i], rows[i], which[f], rows[f], key)
        for i, f in zip(conflicting.tolist(), firsts[~same].tolist(), strict=True)
    ]
    rejected = _rejected(tables, names, which[conflicting], rows[conflicting], reasons, key)
    return drop, rejected


def _ts(table: pa.Table, rows: np.ndarray) -> np.ndarray:
    if "ts" not in table.column_names or not len(rows):
        return np.zeros(len(rows), np.int64)
    return pc.fill_null(table["ts"].take(pa.array(rows)), 0).to_numpy().astype(np.int64)


def _same_records(
    tables: Mapping[str, pa.Table],
    names: Sequence[str],
    which: np.ndarray,
    rows: np.ndarray,
    later: np.ndarray,
    firsts: np.ndarray,
) -> np.ndarray:
    """Whether each later record equals its first field for field (same table too)."""
    same = which[later] == which[firsts]
    for k, name in enumerate(names):
        at = np.flatnonzero(same & (which[later] == k))
        if not len(at):
            continue
        table = tables[name]
        a = table.take(pa.array(rows[later[at]]))
        b = table.take(pa.array(rows[firsts[at]]))
        equal = np.ones(len(at), bool)
        for column in table.column_names:
            equal &= _equal_values(a[column], b[column])
        same[at] = equal
    return same


def _equal_values(a: pa.ChunkedArray, b: pa.ChunkedArray) -> np.ndarray:
    """Row by row: both missing, or both present and equal."""
    if pa.types.is_list(a.type) or pa.types.is_large_list(a.type):
        return np.array([x == y for x, y in zip(a.to_pylist(), b.to_pylist(), strict=True)])
    both_missing = pc.and_(pc.is_null(a), pc.is_null(b))
    equal = pc.fill_null(pc.equal(a, b), False)
    return np.asarray(pc.or_(both_missing, equal).to_numpy(zero_copy_only=False), bool)


def _reason(
    tables: Mapping[str, pa.Table],
    names: Sequence[str],
    table: int,
    row: int,
    first_table: int,
    first_row: int,
    key: str,
) -> str:
    event_id = tables[names[table]][key][row].as_py()
    if table != first_table:
        return (
            f"{key} {event_id!r} repeats the id of a record in {names[first_table]} "
            "(an id names one event)"
        )
    a = tables[names[table]].slice(row, 1).to_pylist()[0]
    b = tables[names[table]].slice(first_row, 1).to_pylist()[0]
    differ = [c for c in a if a[c] != b[c]]
    return (
        f"{key} {event_id!r} repeats an earlier record with other values "
        f"({', '.join(differ)}): the first one is kept"
    )


def _rejected(
    tables: Mapping[str, pa.Table],
    names: Sequence[str],
    which: np.ndarray,
    rows: np.ndarray,
    reasons: list[str],
    key: str,
) -> pa.Table:
    """The rejected records as REJECTED_SCHEMA rows (a few: one Python dict each)."""
    out: dict[str, list[Any]] = {f.name: [] for f in REJECTED_SCHEMA}
    for k, r, reason in zip(which.tolist(), rows.tolist(), reasons, strict=True):
        record = tables[names[k]].slice(r, 1).to_pylist()[0]
        out["table"].append(names[k])
        out["event_id"].append(record.get(key))
        out["ts"].append(record.get("ts"))
        out["reason"].append(reason)
        out["record"].append(json.dumps(record, ensure_ascii=False, default=str))
    return pa.table(out, schema=REJECTED_SCHEMA)


def rejected_rows(
    table_name: str, table: pa.Table, rows: np.ndarray, reasons: Sequence[str], key: str = KEY
) -> pa.Table:
    """Rows of one table rejected with their reasons, as REJECTED_SCHEMA rows."""
    return _rejected(
        {table_name: table}, [table_name], np.zeros(len(rows), np.int64), rows, list(reasons), key
    )
