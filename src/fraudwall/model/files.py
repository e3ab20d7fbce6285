"""Reading record files people bring (Parquet, CSV, JSON lines) and checking them.

I/O lives here, at the edge of the model: the checks themselves are `validate_table`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from fraudwall.model.schema import REF_TYPES, reason_column, validate_table, write_rejected
from fraudwall.model.types import BY_TABLE

FORMATS = {".parquet": "parquet", ".csv": "csv", ".jsonl": "json", ".ndjson": "json"}


def read_records_file(path: Path) -> pa.Table:
    """A table from a .parquet, .csv or .jsonl file; a clear error for anything else."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path}: unknown format {path.suffix!r}; use one of {sorted(FORMATS)}")
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if fmt == "parquet":
        return pq.read_table(path)
    if fmt == "csv":
        # Read every column as text: ids that look like numbers (phone and card numbers)
        # must stay as written; validate_table turns text into numbers where the schema says.
        with path.open(encoding="utf-8") as f:
            header = next(csv.reader(f), [])
        opts = pacsv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=True
        )
        return pacsv.read_csv(path, convert_options=opts)
    return pajson.read_json(path)


@dataclass(frozen=True)
class CheckResult:
    table: str
    accepted: int
    rejected: int
    reasons: list[str]  # the first few reasons, for a person to read
    rejected_path: Path | None


def check_file(
    path: Path, table: str, world: Path | None = None, rejected_path: Path | None = None
) -> CheckResult:
    """Check every record of a file against the schema of `table`; keep the bad ones apart.

    With `world` (a folder written by `fraudwall simulate`), references to institutions,
    people, accounts, phones and devices must name entities that exist there.
    """
    if table not in BY_TABLE:
        raise ValueError(f"table: unknown table {table!r}; one of {sorted(BY_TABLE)}")
    cls = BY_TABLE[table]
    data = read_records_file(path)
    known = None
    if world is not None:
        known = {}
        for kind, ref in REF_TYPES.items():
            file = Path(world) / f"{ref.table}.parquet"
            if file.exists() and ref.key is not None:
                known[kind] = pq.read_table(file, columns=[ref.key])[ref.key]
    accepted, rejected = validate_table(cls, data, known)
    out = None
    if rejected.num_rows:
        out = write_rejected(rejected, rejected_path or Path(path).with_suffix(".rejected.parquet"))
    reasons = rejected[reason_column(cls)].slice(0, 5).to_pylist() if rejected.num_rows else []
    return CheckResult(table, accepted.num_rows, rejected.num_rows, reasons, out)
