"""Risk lists shared as CSV between institutions: export what is stored, import what came.

A list file has a header and one entry per row, with the columns of `ENTRY_SCHEMA`
(kind, value, source, evidence, confidence, first_seen_ts, last_seen_ts, expires_ts; the
times in ms UTC); `source` may be left out or empty. UTF-8, with or without a BOM.

Import checks every row (`entries.check_entries`): the good ones are stored (merged as
`store` says), each bad one goes to the rejected file — ``lists.csv`` ->
``lists.rejected.csv``, beside it — with its row number (1 is the first row under the
header), the field at fault and the reason, then the row as it was written. Nothing wrong
is stored; a file whose header lacks a column, or names one fraudwall does not know, is
refused whole. The imported entries' source: ``--source NAME`` for all of them, else each
row's own, else ``import:<file name>``.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from fraudwall.common import check_output_file
from fraudwall.errors import InputError
from fraudwall.intel.risklists.entries import (
    ENTRY_SCHEMA,
    MAX_SOURCE,
    ListKind,
    Rejection,
    check_entries,
    list_kind,
)
from fraudwall.intel.risklists.store import RiskListStore, Stored

REJECTED_COLUMNS: Final = ("row", "field", "reason")
_OPTIONAL: Final = frozenset({"source"})


def rejected_csv_path(path: Path) -> Path:
    """Where the rejected rows of ``lists.csv`` go: ``lists.rejected.csv`` beside it."""
    path = Path(path)
    return path.with_name(
        f"{path.stem}.rejected.csv" if path.suffix else f"{path.name}.rejected.csv"
    )


@dataclass(frozen=True)
class ImportResult:
    """What an import did: rows read, stored (new or merged), rejected and where."""

    path: Path
    rows: int
    stored: Stored
    rejected: int
    rejected_path: Path | None
    #: how many rows were rejected for each (field, reason)
    reasons: dict[str, int] = field(default_factory=dict)


def _header(path: Path) -> list[str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            first = next(csv.reader(f), None)
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    if not first:
        raise InputError(
            str(path), "empty: no header", hint=f"columns {', '.join(ENTRY_SCHEMA.names)}"
        )
    return [name.strip() for name in first]


def read_list_csv(path: Path) -> pa.Table:
    """A list file's rows as text (every column a string: a bad cell is a bad row, not a
    bad file), with `source` empty where the file has none."""
    path = Path(path)
    names = _header(path)
    unknown = [n for n in names if n not in ENTRY_SCHEMA.names]
    missing = [n for n in ENTRY_SCHEMA.names if n not in names and n not in _OPTIONAL]
    repeated = sorted({n for n in names if names.count(n) > 1})
    for problem, which in (("missing", missing), ("unknown", unknown), ("repeated", repeated)):
        if which:
            raise InputError(
                str(path),
                f"{problem} column{'s' if len(which) > 1 else ''} {', '.join(which)}",
                hint=f"a risk list file has the columns {', '.join(ENTRY_SCHEMA.names)}",
            )
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise InputError(str(path), f"not a readable CSV file ({exc})") from exc
    if "source" not in table.column_names:
        table = table.append_column("source", pa.array([""] * table.num_rows, pa.string()))
    return table.select(ENTRY_SCHEMA.names)


def import_csv(
    store: RiskListStore,
    path: Path,
    source: str | None = None,
    rejected_path: Path | None = None,
) -> ImportResult:
    """Import a list file into `store` (see the module doc); the good rows are stored in
    one transaction, the bad ones written to the rejected file (an old rejected file of
    the same list is removed when no row is rejected)."""
    path = Path(path)
    if source is not None:
        source = source.strip()
        if not source or len(source) > MAX_SOURCE:
            raise InputError("--source", f"must be 1-{MAX_SOURCE} characters")
    rejected_path = Path(rejected_path) if rejected_path is not None else rejected_csv_path(path)
    if rejected_path.resolve() == path.resolve():
        raise InputError(str(rejected_path), "is the file being imported")
    check_output_file(rejected_path, _is_rejected_file, "a rejected-rows file", "rejected")
    raw = read_list_csv(path)
    given = pc.utf8_trim_whitespace(raw["source"])
    fallback = source if source is not None else f"import:{path.name}"[:MAX_SOURCE]
    if source is not None:
        given = pa.chunked_array([pa.array([source] * raw.num_rows, pa.string())])
    filled = pc.if_else(pc.equal(given, ""), fallback, given)
    table = raw.set_column(raw.schema.get_field_index("source"), "source", filled)
    result = check_entries(table)
    stored = store.add(result) if result.accepted.num_rows else Stored(0, 0)
    reasons: dict[str, int] = {}
    for r in result.rejected:
        key = f"{r.field}: {r.reason}"
        reasons[key] = reasons.get(key, 0) + 1
    if result.rejected:
        _write_rejected(raw, result.rejected, rejected_path)
    elif rejected_path.exists():
        rejected_path.unlink()  # from an earlier import of this list: no longer true
    return ImportResult(
        path,
        raw.num_rows,
        stored,
        len(result.rejected),
        rejected_path if result.rejected else None,
        reasons,
    )


def _is_rejected_file(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            first = next(csv.reader(f), [])
    except (OSError, UnicodeDecodeError):
        return False
    return tuple(first[:3]) == REJECTED_COLUMNS


def _write_rejected(raw: pa.Table, rejected: list[Rejection], out: Path) -> None:
    rows = pa.array([r.row for r in rejected], pa.int64())
    table = pa.table(
        {
            "row": pc.add(rows, 1),
            "field": pa.array([r.field for r in rejected], pa.string()),
            "reason": pa.array([r.reason for r in rejected], pa.string()),
            **{name: raw[name].take(rows) for name in raw.column_names},
        }
    )
    _write_csv_atomically(table, out)


def _write_csv_atomically(table: pa.Table, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        pacsv.write_csv(table, tmp)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)


def _is_list_file(path: Path) -> bool:
    try:
        return _header(path) == list(ENTRY_SCHEMA.names)
    except (OSError, InputError):
        return False


def export_csv(store: RiskListStore, path: Path, kind: ListKind | str | None = None) -> int:
    """Write every stored entry (of `kind`, if given), expired ones too, to a list file
    that `import_csv` reads back as it was; returns how many. An existing file is
    replaced only if it is a list file."""
    path = Path(path)
    if kind is not None:
        kind = list_kind(str(kind), "--kind")
    check_output_file(path, _is_list_file, "a risk list file", "FILE")
    table = store.entries(kind)
    _write_csv_atomically(table, path)
    return table.num_rows


__all__ = ["REJECTED_COLUMNS", "ImportResult", "export_csv", "import_csv", "read_list_csv",
           "rejected_csv_path"]  # fmt: skip
