"""Labelled text files for the fraud-text classifier: CSV, JSON lines or Parquet, by suffix.

A missing column is one `InputError` naming it and the columns there are; a row without
text or without a label is not an error but a rejected row, with the reason
(`REJECTED_SCHEMA`: the 1-based data row, the field, the value, the reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from fraudwall.errors import InputError

__all__ = [
    "REJECTED_SCHEMA",
    "TEXT_SUFFIXES",
    "LabelledTexts",
    "read_labelled_texts",
    "read_table",
    "read_texts",
]

TEXT_SUFFIXES: Final = (".csv", ".jsonl", ".json", ".parquet")
REJECTED_SCHEMA: Final = pa.schema(
    [("row", pa.int64()), ("field", pa.string()), ("value", pa.string()), ("reason", pa.string())]
)


_PARSE = pacsv.ParseOptions(newlines_in_values=True)  # transcripts hold line breaks


@dataclass(frozen=True)
class LabelledTexts:
    texts: list[str]
    labels: list[str]
    rows: np.ndarray  # the 1-based data row of every text kept
    rejected: pa.Table  # REJECTED_SCHEMA


def read_table(path: Path, option: str = "--data") -> pa.Table:
    """A CSV (every column as text), JSON-lines or Parquet file as one table."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TEXT_SUFFIXES:
        raise InputError(option, f"{path}: expected a {', '.join(TEXT_SUFFIXES)} file")
    if not path.is_file():
        raise InputError(option, f"{path}: no such file")
    if suffix == ".csv":
        _refuse_unterminated_quote(path, option)
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=1 << 24),
            parse_options=_PARSE,
            convert_options=pacsv.ConvertOptions(
                column_types=_all_strings(path), strings_can_be_null=True
            ),
        )
    elif suffix == ".parquet":
        table = pq.read_table(path)
    else:
        table = pajson.read_json(path)
    return table


def _refuse_unterminated_quote(path: Path, option: str) -> None:
    """Refuse a CSV file with an odd number of double quotes: a quoted value that never
    ends would swallow every line after it into one text (values may hold line breaks,
    and an escaped quote is doubled, so a well-formed file has an even number)."""
    data = np.fromfile(path, np.uint8)
    quotes = np.flatnonzero(data == ord('"'))
    if len(quotes) % 2:
        line = int(np.count_nonzero(data[: quotes[-1]] == ord("\n"))) + 1
        raise InputError(
            option,
            f"{path}: a quoted value is never closed (an odd number of double quotes; "
            f"the last at line {line})",
        )


def _all_strings(path: Path) -> dict[str, pa.DataType]:
    """Every column of a CSV file read as text (labels like 0/1 stay labels)."""
    first = pacsv.open_csv(
        path, read_options=pacsv.ReadOptions(block_size=1 << 20), parse_options=_PARSE
    )
    return {name: pa.string() for name in first.schema.names}


def _column(table: pa.Table, name: str, option: str, path: Path) -> pa.ChunkedArray:
    if name not in table.column_names:
        have = ", ".join(table.column_names[:20]) or "none"
        raise InputError(option, f"{path} has no column {name!r} (its columns: {have})")
    col = table[name]
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        col = pc.cast(col, pa.string())
    return col


def read_texts(
    path: Path, text_column: str, option: str = "--text-column"
) -> tuple[pa.Table, list[str | None]]:
    """(the whole table, its text column as Python strings; null where there is none)."""
    table = read_table(path)
    texts: list[str | None] = _column(table, text_column, option, path).to_pylist()
    return table, texts


def read_labelled_texts(path: Path, text_column: str, label_column: str) -> LabelledTexts:
    """The texts and labels of a file; rows with an empty text or a missing label rejected."""
    table = read_table(path)
    text = _column(table, text_column, "--text-column", path)
    label = _column(table, label_column, "--label-column", path)
    text_ok = np.asarray(
        pc.fill_null(pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(text)), 0), False)
    )
    label_trimmed = pc.utf8_trim_whitespace(label)
    label_ok = np.asarray(pc.fill_null(pc.greater(pc.utf8_length(label_trimmed), 0), False))
    keep = text_ok & label_ok
    rows = np.flatnonzero(keep)
    bad_text = np.flatnonzero(~text_ok)
    bad_label = np.flatnonzero(text_ok & ~label_ok)
    rejected = pa.table(
        {
            "row": np.concatenate([bad_text, bad_label]) + 1,
            "field": [text_column] * len(bad_text) + [label_column] * len(bad_label),
            "value": [None] * len(bad_text)
            + [str(v) if v is not None else None for v in label.take(bad_label).to_pylist()],
            "reason": ["empty text"] * len(bad_text) + ["missing label"] * len(bad_label),
        },
        schema=REJECTED_SCHEMA,
    ).sort_by("row")
    return LabelledTexts(
        text.take(rows).to_pylist(),
        label_trimmed.take(rows).to_pylist(),
        rows + 1,
        rejected,
    )
