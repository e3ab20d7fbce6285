"""Reading record files people bring (Parquet, CSV, JSON lines) and checking them.

I/O lives here, at the edge of the model: the checks themselves are `split_table` (the
schema) and `find_repeats` (one row per key). A file is read whole by Arrow when it can
be; when a CSV or JSONL file has a broken line, it is read again line by line, so that
the broken line is one rejected record (named by its 1-based line) and the rest still
count. Text that is not UTF-8 is refused with a guess at its encoding, and read as that
encoding when asked. A damaged Parquet file is an `InputError` naming the file.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from fraudwall.errors import InputError
from fraudwall.model.repeats import find_repeats, repeat_reasons
from fraudwall.model.schema import empty_table, reason_column, split_table, write_rejected
from fraudwall.model.types import BY_TABLE, Record

FORMATS: Final = {".parquet": "parquet", ".csv": "csv", ".jsonl": "json", ".ndjson": "json"}
REJECTED_SUFFIX: Final = ".rejected.parquet"
#: Encodings a file that is not UTF-8 is tried in, to say which one it may be.
_GUESSES: Final = ("gbk", "gb18030", "big5", "shift_jis")
#: Text that is null in a CSV cell, as Arrow reads it (kept the same when read by line).
_CSV_NULLS: Final = frozenset(pacsv.ConvertOptions().null_values)
#: An integer of 16 or more digits: exact in JSON, not always in a float64 column.
_LONG_INT: Final = re.compile(rb"[:\[,]\s*-?[0-9]{16,}\s*[,\]}]")
_SHOW: Final = 80  # longest piece of a broken line quoted in its reason


def rejected_path_for(path: Path) -> Path:
    """Where the rejected rows of `path` go by default: beside it, with its whole name kept
    (``a.csv`` -> ``a.csv.rejected.parquet``), so files of two formats never share one."""
    path = Path(path)
    return path.with_name(path.name + REJECTED_SUFFIX)


# --- reading ----------------------------------------------------------------------------
@dataclass(frozen=True)
class RecordsRead:
    """A record file as read: the rows that could be read, as written (CSV cells as text),
    the 1-based line each row starts on (text files), and the lines that are no record
    (`broken`: line, problem)."""

    path: Path
    table: pa.Table
    lines: np.ndarray | None = None
    broken: list[tuple[int, str]] = field(default_factory=list)

    @property
    def noun(self) -> str:
        """What `numbers` count: lines of a text file, rows of a Parquet file."""
        return "row" if self.lines is None else "line"

    @property
    def numbers(self) -> np.ndarray:
        """Each row of `table` named as a person finds it in the file (1-based)."""
        if self.lines is None:
            return np.arange(1, self.table.num_rows + 1, dtype=np.int64)
        return self.lines


def _utf8(path: Path, data: bytes, encoding: str | None) -> str:
    """The file's text; a clear error, with a guess, when it is not in the encoding given."""
    if encoding is not None:
        try:
            name = codecs.lookup(encoding).name
        except LookupError as exc:
            raise InputError("--encoding", f"unknown encoding {encoding!r}") from exc
    else:
        name = "utf-8"
    try:
        text = data.decode("utf-8-sig" if name == "utf-8" else name)
    except UnicodeDecodeError as exc:
        problem = f"not {name.upper() if name == 'utf-8' else name} text (byte {exc.start})"
        raise InputError(str(path), problem, hint=_encoding_hint(data, name)) from exc
    return text


def _encoding_hint(data: bytes, tried: str) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "it looks like UTF-16: use --encoding utf-16"
    for guess in _GUESSES:
        if guess == tried:
            continue
        try:
            data.decode(guess)
        except UnicodeDecodeError:
            continue
        return f"is it {guess.upper()}? use --encoding {guess}"
    return "give its encoding with --encoding, e.g. --encoding gbk"


def _read_parquet(path: Path) -> RecordsRead:
    try:
        table = pq.read_table(path, page_checksum_verification=True)  # where pages have CRCs
        # a damaged file can read "fine" and hold names or text that are not UTF-8
        str(table.schema)
        table.validate(full=True)
    except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:
        problem = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(str(path), f"damaged Parquet file: {problem}") from exc
    return RecordsRead(path, table)


def _cut(text: str) -> str:
    return text if len(text) <= _SHOW else text[:_SHOW] + "..."


# CSV
def _csv_records(text: str) -> Iterator[tuple[int, list[str] | str]]:
    """(first line, cells or the problem) for each record of a CSV text, blank lines
    skipped (as Arrow skips them); the first is the header."""
    reader = csv.reader(io.StringIO(text, newline=""))
    end = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield end + 1, f"not a CSV line: {exc}"
            end = reader.line_num
            continue
        if cells:
            yield end + 1, cells
        end = reader.line_num


def _nonblank_lines(data: bytes, blank: bytes) -> np.ndarray:
    """The 1-based numbers of the lines of `data` with a byte not in `blank`."""
    arr = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(arr == ord("\n"))
    starts = np.concatenate(([0], ends + 1))
    ends = np.concatenate((ends, [len(arr)]))
    full = ends > starts
    # only a line that starts with a blank byte can be all blank: look at those alone
    maybe = np.flatnonzero(full)
    maybe = maybe[np.isin(arr[starts[maybe]], np.frombuffer(blank, dtype=np.uint8))]
    for i in maybe:
        full[i] = bool(data[starts[i] : ends[i]].strip(blank))
    return np.flatnonzero(full).astype(np.int64) + 1


def _csv_lines(text: str, data: bytes) -> np.ndarray:
    """The line each record after the header starts on: by a scan of the bytes when no
    quote or carriage return can make a record span lines, else by Python's csv."""
    if '"' not in text and "\r" not in text:
        return _nonblank_lines(data, b"\n")[1:]
    starts = [line for line, _ in _csv_records(text)]
    return np.array(starts[1:], dtype=np.int64)


def _read_csv(path: Path, text: str) -> RecordsRead:
    first = next(_csv_records(text), None)
    if first is None or isinstance(first[1], str):
        raise InputError(str(path), "no CSV header line (the column names)")
    header = first[1]
    # Every column is read as text: ids that look like numbers (phone and card numbers)
    # must stay as written; validation turns text into numbers where the schema says.
    opts = pacsv.ConvertOptions(
        column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=True
    )
    parse = pacsv.ParseOptions(newlines_in_values=True)  # as Python's csv reads them
    data = text.encode("utf-8")
    try:
        table = pacsv.read_csv(io.BytesIO(data), parse_options=parse, convert_options=opts)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        table = None
    if table is not None and table.column_names == header:
        lines = _csv_lines(text, data)
        if len(lines) == table.num_rows:
            return RecordsRead(path, table, lines)
    return _csv_by_line(path, header, text)


def _csv_by_line(path: Path, header: list[str], text: str) -> RecordsRead:
    """The slow, careful way: each record on its own, a bad one set apart with its line."""
    good: list[list[str]] = []
    lines: list[int] = []
    broken: list[tuple[int, str]] = []
    for line, cells in islice(_csv_records(text), 1, None):
        if isinstance(cells, str):
            broken.append((line, cells))
        elif len(cells) != len(header):
            broken.append((line, f"{len(cells)} fields where the header has {len(header)}"))
        else:
            good.append(cells)
            lines.append(line)
    columns = [
        pa.array([None if row[j] in _CSV_NULLS else row[j] for row in good], pa.string())
        for j in range(len(header))
    ]
    table = pa.Table.from_arrays(columns, names=header)
    return RecordsRead(path, table, np.array(lines, dtype=np.int64), broken)


# JSON lines
_JSON_BLANK: Final = " \t\r\n"  # the whitespace JSON allows around a value


def _read_json(path: Path, text: str) -> RecordsRead:
    data = text.encode("utf-8")
    lines = _nonblank_lines(data, _JSON_BLANK.encode())
    try:
        table = pajson.read_json(io.BytesIO(data)) if len(lines) else None
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        table = None
    if table is not None and table.num_rows == len(lines) and _exact(table, data):
        return RecordsRead(path, table, lines)
    return _json_by_line(path, text)


def _exact(table: pa.Table, data: bytes) -> bool:
    """Did Arrow read every value as written? It reads text that looks like a date as a
    timestamp, and an integer as a float when another row of its column holds one."""
    types = [f.type for f in table.schema]
    if any(pa.types.is_timestamp(t) or pa.types.is_date(t) for t in types):
        return False
    if any(pa.types.is_floating(t) for t in types) and _LONG_INT.search(data):
        return False
    return not any(pa.types.is_nested(t) and not pa.types.is_list(t) for t in types)


class _Twice(ValueError):
    """A JSON object that gives a field twice: which value is meant cannot be told."""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        names = [k for k, _ in pairs]
        raise _Twice(f"field {next(k for k in names if names.count(k) > 1)!r} given twice")
    return out


#: A JSON escape of half a UTF-16 surrogate pair, which Python reads but UTF-8 cannot hold.
_SURROGATE: Final = re.compile(r"\\u[dD][89a-fA-F]")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _json_by_line(path: Path, text: str) -> RecordsRead:
    """Each line parsed on its own (integers stay exact); a bad one is set apart."""
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    broken: list[tuple[int, str]] = []
    for line, body in enumerate(text.split("\n"), 1):
        if not body.strip(_JSON_BLANK):
            continue
        try:
            value = json.loads(body, object_pairs_hook=_object, parse_constant=_no_constant)
            if _SURROGATE.search(body):
                json.dumps(value, ensure_ascii=False).encode("utf-8")
        except _Twice as exc:
            broken.append((line, f"not a record: {exc}"))
            continue
        except UnicodeEncodeError:
            broken.append((line, f"not valid text: a lone surrogate escape: {_cut(body)}"))
            continue
        except (ValueError, RecursionError) as exc:
            broken.append((line, f"not valid JSON: {exc}: {_cut(body.strip())}"))
            continue
        if not isinstance(value, dict):
            broken.append((line, f"not a JSON object: {_cut(body.strip())}"))
            continue
        rows.append(value)
        numbers.append(line)
    names = list(dict.fromkeys(k for row in rows for k in row))
    columns = [_json_column([row.get(name) for row in rows]) for name in names]
    table = pa.Table.from_arrays(columns, names=names)
    return RecordsRead(path, table, np.array(numbers, dtype=np.int64), broken)


_INT64: Final = (-(2**63), 2**63 - 1)


def _json_column(values: list[Any]) -> pa.Array:
    """One column of JSON values as Arrow, losing nothing: integers too large for a float
    are kept as their digits, and a column of mixed kinds as text (so that each value is
    judged, and a `true` where a number belongs is refused, not read as 1)."""
    kinds = {_kind(v) for v in values if v is not None}
    if kinds <= {"int"} and all(_INT64[0] <= v <= _INT64[1] for v in values if v is not None):
        return pa.array(values, pa.int64())
    if kinds <= {"int", "float"} and all(
        abs(v) <= 2**53 for v in values if isinstance(v, int) and v is not None
    ):
        return pa.array([None if v is None else float(v) for v in values], pa.float64())
    if kinds <= {"bool"}:
        return pa.array(values, pa.bool_())
    if kinds <= {"str"}:
        return pa.array(values, pa.string())
    if kinds <= {"list"}:
        try:
            return pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            pass
    return pa.array([_text(v) for v in values], pa.string())


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "str"
    if isinstance(v, list):
        return "list"
    return "object"


def _text(v: Any) -> str | None:
    """A JSON value as text: strings as they are, whole floats as integers, the rest as
    JSON."""
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return json.dumps(v, ensure_ascii=False)


def read_records(path: Path, encoding: str | None = None) -> RecordsRead:
    """Read a .parquet, .csv or .jsonl file, setting apart the lines that are no record.

    `encoding` is the text files' encoding (default UTF-8); Parquet has its own.
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            str(path), f"unknown format {path.suffix!r}", hint=f"use one of {sorted(FORMATS)}"
        )
    if not path.exists():
        raise InputError(str(path), "no such file")
    if not path.is_file():
        raise InputError(str(path), "not a file")
    if fmt == "parquet":
        return _read_parquet(path)
    text = _utf8(path, path.read_bytes(), encoding)
    if not text.strip():
        raise InputError(str(path), "empty file: no records")
    return _read_csv(path, text) if fmt == "csv" else _read_json(path, text)


def read_records_file(path: Path, encoding: str | None = None) -> pa.Table:
    """A table from a .parquet, .csv or .jsonl file, every line a record; a broken line is
    an `InputError` naming the file and the line (`read_records` sets it apart instead)."""
    read = read_records(path, encoding)
    if read.broken:
        line, problem = read.broken[0]
        more = f" (and {len(read.broken) - 1} more)" if len(read.broken) > 1 else ""
        raise InputError(f"{read.path} line {line}", problem + more)
    return read.table


# --- checking ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Checked:
    """Records split in two. `accepted` has the type's schema (and any `extra` columns as
    read); `rejected` keeps the columns as read, plus the reason and the line (or row)
    each came from, in file order."""

    accepted: pa.Table
    rejected: pa.Table
    accepted_rows: np.ndarray  # position in `read.table` of each accepted row


def check_records(
    cls: type[Record],
    read: RecordsRead,
    known: Mapping[str, pa.Array | pa.ChunkedArray | Collection[str]] | None = None,
    *,
    problems: pa.Array | None = None,
    extra: Sequence[str] = (),
) -> Checked:
    """Check what `read_records` read against `cls`: the schema, then one row per key (a
    repeat is rejected as a duplicate, or a conflict, of the row that counts: the earliest
    by `ts`, then the first; `find_repeats`).

    `problems` (one per row of `read.table`, null where none) rejects rows for a reason of
    the caller's; `extra` columns are not `cls` fields, but are carried to `accepted` and
    count when repeats are compared (a label, say).
    """
    raw = read.table
    reason = reason_column(cls)
    where = read.noun
    positions: list[np.ndarray] = []
    reasons: list[pa.Array] = []
    n = raw.num_rows
    ok = np.ones(n, dtype=bool)
    if problems is not None:
        flagged = np.asarray(problems.is_valid(), dtype=bool)
        positions.append(np.flatnonzero(flagged))
        reasons.append(problems.filter(pa.array(flagged)))
        ok &= ~flagged

    if raw.column_names or n:
        candidates = np.flatnonzero(ok)
        events = raw.drop_columns([c for c in extra if c in raw.column_names])
        if len(candidates) < n:
            events = events.take(pa.array(candidates))
        split = split_table(cls, events, known)
        positions.append(candidates[split.rejected_rows])
        reasons.append(split.rejected.column(reason).combine_chunks())
        kept = candidates[split.accepted_rows]
        accepted = split.accepted
    else:  # nothing could be read at all: no columns to check
        kept = np.zeros(0, dtype=np.int64)
        accepted = empty_table(cls)
    for name in extra:
        if name in raw.column_names:
            accepted = accepted.append_column(name, raw.column(name).take(pa.array(kept)))

    if cls.key is not None and accepted.num_rows:
        found = find_repeats(accepted, cls.key)
        if found.any:
            positions.append(kept[found.row])
            reasons.append(repeat_reasons(found, cls.key, [read.numbers[kept]], where))
            first = found.kept(0, accepted.num_rows)
            accepted = accepted.filter(pa.array(first))
            kept = kept[first]

    rejected = _rejected_table(read, positions, reasons, reason)
    return Checked(accepted, rejected, kept)


def _rejected_table(
    read: RecordsRead, positions: list[np.ndarray], reasons: list[pa.Array], reason: str
) -> pa.Table:
    """The rejected rows as read, with reason and line (or row), broken lines included,
    in file order."""
    raw = read.table
    at = np.concatenate(positions) if positions else np.zeros(0, dtype=np.int64)
    why = pa.concat_arrays([r.cast(pa.string()) for r in reasons]) if reasons else None
    rows = raw.take(pa.array(at, pa.int64()))
    numbers = read.numbers[at] if len(at) else np.zeros(0, dtype=np.int64)
    rows = rows.append_column(reason, why if why is not None else pa.array([], pa.string()))
    rows = rows.append_column(read.noun, pa.array(numbers, pa.int64()))
    if read.broken:
        lines = pa.array([line for line, _ in read.broken], pa.int64())
        cols = {c.name: pa.nulls(len(lines), c.type) for c in raw.schema}
        cols[reason] = pa.array([problem for _, problem in read.broken], pa.string())
        cols[read.noun] = lines
        rows = pa.concat_tables([rows, pa.table(cols, schema=rows.schema)])
    if rows.num_rows:
        rows = rows.take(pc.sort_indices(rows, [(read.noun, "ascending")]))
    return rows


@dataclass(frozen=True)
class CheckResult:
    table: str
    accepted: int
    rejected: int
    reasons: list[str]  # the first few reasons, for a person to read, each with its line
    rejected_path: Path | None


def check_file(
    path: Path,
    table: str,
    known: Mapping[str, pa.Array | pa.ChunkedArray | Collection[str]] | None = None,
    rejected_path: Path | None = None,
    encoding: str | None = None,
) -> CheckResult:
    """Check every record of a file against the schema of `table`, and that no key comes
    twice; keep the bad ones apart (default `rejected_path_for(path)`).

    `known` maps a ref kind ("account", ...) to the ids that exist (a world's entities,
    say): references to any other id are rejected.
    """
    if table not in BY_TABLE:
        raise InputError("table", f"unknown table {table!r}", hint=f"one of {sorted(BY_TABLE)}")
    path = Path(path)
    out = Path(rejected_path) if rejected_path is not None else rejected_path_for(path)
    _check_rejected_path(path, out)
    cls = BY_TABLE[table]
    read = read_records(path, encoding)
    checked = check_records(cls, read, known)
    rejected = checked.rejected
    out.unlink(missing_ok=True)  # the rejected file always tells of the latest check
    written = write_rejected(rejected, out)
    shown = rejected.slice(0, 5).to_pylist()
    reasons = [f"{path.name} {read.noun} {r[read.noun]}: {r[reason_column(cls)]}" for r in shown]
    return CheckResult(table, checked.accepted.num_rows, rejected.num_rows, reasons, written)


def _check_rejected_path(path: Path, out: Path) -> None:
    """Refuse, before any work, a rejected file that would overwrite the input (or a
    folder): the input is all the user has."""
    same = out.resolve() == path.resolve() or (
        out.exists() and path.exists() and out.samefile(path)
    )
    if same:
        raise InputError(
            str(out), "is the file being checked: its rejected rows would overwrite it",
            hint="give --rejected another file",
        )  # fmt: skip
    if out.is_dir():
        raise InputError(str(out), "is a folder", hint="give --rejected a file name")
