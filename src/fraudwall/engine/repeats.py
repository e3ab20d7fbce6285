"""Each event once, over a batch's event tables: the engine's side of `model.find_repeats`.

An event id names one event, and ingest is idempotent on it. Which records repeat an id,
which one is kept, whether a repeat is identical or conflicting and how the reason is
worded is `model.find_repeats` / `model.repeat_reasons`, the rule `check` applies too.
This adds what the engine needs around it: the event tables searched as one (an id is
unique across them), each id's 64-bit hash (`common.hash_keys`), which makes the search
quick and which the engine's memory of earlier batches (`recent.RecentEvents`) keeps,
identical repeats counted per table, and conflicting ones as rejected records
(REJECTED_SCHEMA), so that nothing given is lost.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pyarrow as pa

from fraudwall.common import hash_keys
from fraudwall.model import find_repeats, repeat_reasons

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


def split_repeats(tables: Mapping[str, pa.Table], key: str = KEY) -> Split:
    """Split event tables into the first record of each id and its repeats (module doc);
    a reason names a row by its 1-based position in its table. Tables without a `key`
    column are passed through untouched."""
    names = [n for n, t in tables.items() if key in t.column_names]
    hashes = {n: hash_keys(tables[n][key]) for n in names}
    out = Split(dict(tables), hashes, dict.fromkeys(names, 0), REJECTED_SCHEMA.empty_table())
    found = find_repeats([tables[n] for n in names], key, [hashes[n] for n in names])
    if not found.any:
        return out
    reasons = repeat_reasons(found, key, names=names)
    rejected = [out.rejected]
    for k, name in enumerate(names):
        mine = found.part == k
        if not mine.any():
            continue
        table = tables[name]
        keep = found.kept(k, table.num_rows)
        out.tables[name] = table.filter(pa.array(keep))
        out.hashes[name] = hashes[name][keep]
        out.duplicates[name] = int((mine & found.identical).sum())
        bad = mine & found.conflicting
        if bad.any():
            why = reasons.filter(pa.array(bad)).to_pylist()
            rejected.append(rejected_rows(name, table, found.row[bad], why, key))
    out.rejected = pa.concat_tables(rejected)
    return out


def rejected_rows(
    table_name: str, table: pa.Table, rows: np.ndarray, reasons: Sequence[str], key: str = KEY
) -> pa.Table:
    """Rows of one table rejected with their reasons, as REJECTED_SCHEMA rows (a few: one
    Python dict each)."""
    out: dict[str, list[Any]] = {f.name: [] for f in REJECTED_SCHEMA}
    records = table.take(pa.array(np.asarray(rows, np.int64))).to_pylist()
    for record, reason in zip(records, reasons, strict=True):
        out["table"].append(table_name)
        out["event_id"].append(record.get(key))
        out["ts"].append(record.get("ts"))
        out["reason"].append(reason)
        out["record"].append(json.dumps(record, ensure_ascii=False, default=str))
    return pa.table(out, schema=REJECTED_SCHEMA)
