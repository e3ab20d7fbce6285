"""Labelled event files as training history, for `fraudwall train --labelled FILE`.

A bank or telco rarely has a simulated world's ground truth; it has its own events with a
verdict. Each file holds one kind of event — transfers, calls or SMS, in fraudwall's schema
(the kind is recognised from the columns) — plus a `label` column: 1 (or true) for a
victim's payment to fraud or a contact from a fraud number, 0 (or false) otherwise. The
labels become the truth table `train` learns from. Rows that do not fit the schema, whose
label is not 0/1, that repeat another row's `event_id` (the same label or not: the earliest
counts, `model.find_repeats`), or lines that are no record at all, are set aside with the
problem and their line; the rest are used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.engine.train import POSITIVE
from fraudwall.errors import InputError
from fraudwall.model import (
    Call,
    EntityKind,
    Record,
    Sms,
    Transfer,
    Truth,
    arrow_schema,
    check_records,
    read_records,
    validate_table,
)

LABEL: Final = "label"
KINDS: Final[Mapping[str, tuple[type[Record], str]]] = {
    "transfers": (Transfer, "transfer"),
    "calls": (Call, "call"),
    "sms": (Sms, "sms"),
}
_TRUE: Final = frozenset({"1", "true", "t", "yes", "y"})
_FALSE: Final = frozenset({"0", "false", "f", "no", "n"})


@dataclass
class LabelledHistory:
    """Event tables and the truth made from their labels; rejected rows per file."""

    tables: dict[str, pa.Table] = field(default_factory=dict)
    rejected: dict[Path, pa.Table] = field(default_factory=dict)

    @property
    def positives(self) -> int:
        return self.tables["truth"].num_rows if "truth" in self.tables else 0


def table_for(columns: Sequence[str], where: str = "file") -> str:
    """Which event table a file's columns fit: every required field present, nothing
    unknown (besides `label`)."""
    names = set(columns) - {LABEL}
    for table, (cls, _) in KINDS.items():
        schema = arrow_schema(cls)
        required = {f.name for f in schema if not f.nullable}
        if required <= names <= set(schema.names):
            return table
    raise InputError(
        where,
        f"its columns fit none of {', '.join(KINDS)} (fraudwall's event schemas, "
        f"with a `{LABEL}` column)",
    )


def _labels(column: pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """(label as bool, problem or null) for each row."""
    text = pc.utf8_lower(pc.utf8_trim_whitespace(column.cast(pa.string())))
    values = text.to_pylist()
    labels = [v in _TRUE if v is not None else None for v in values]
    problems = [
        None
        if v is not None and (v in _TRUE or v in _FALSE)
        else f"{LABEL}: must be 0 or 1, got {'null' if v is None else repr(v)}"
        for v in values
    ]
    return pa.array(labels, pa.bool_()), pa.array(problems, pa.string())


def read_labelled(paths: Sequence[Path], encoding: str | None = None) -> LabelledHistory:
    """Read labelled event files (Parquet, CSV or JSON lines) into training history.

    The rejected rows of each file keep their columns as read, with the reason and the
    line (or Parquet row) they came from."""
    history = LabelledHistory()
    truth_parts: list[pa.Table] = []
    for path in paths:
        read = read_records(path, encoding)
        if LABEL not in read.table.column_names:
            raise InputError(str(path), f"no `{LABEL}` column (1 for fraud, 0 for not)")
        table = table_for(read.table.column_names, str(path))
        cls, entity = KINDS[table]
        _, problems = _labels(read.table[LABEL])
        checked = check_records(cls, read, problems=problems, extra=(LABEL,))
        labels, _ = _labels(checked.accepted[LABEL])
        accepted = checked.accepted.drop_columns([LABEL])
        rejected = checked.rejected  # with its label, as read, to fix and send again
        positive_ids = accepted["event_id"].filter(labels)
        if table in history.tables:
            accepted = pa.concat_tables([history.tables[table], accepted])
        history.tables[table] = accepted
        if rejected.num_rows:
            history.rejected[path] = rejected
        truth_parts.append(
            pa.table(
                {
                    "entity_kind": pa.array([EntityKind(entity).value] * len(positive_ids)),
                    "entity_id": positive_ids.cast(pa.string()),
                    "role": pa.array([POSITIVE[entity].value] * len(positive_ids)),
                }
            )
        )
    truth = pa.concat_tables(truth_parts) if truth_parts else pa.table({})
    history.tables["truth"] = validate_table(Truth, truth)[0]
    return history
