"""Fuzzing the record readers: any bytes give a clear error or a correct result, never a crash.

Parquet, CSV and JSONL files, random or made by damaging a valid file, go through
`read_records_file`, `validate_table` and `check_file`. Each run either ends in an
`InputError` (a `RecordError` or `SchemaError` among them) or accounts for every record:
each one is accepted or rejected, exactly once. Bounded to run in seconds.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fraudwall.errors import InputError
from fraudwall.model import Transfer, check_file, read_records_file, validate_table

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _row(i: int, **changes: Any) -> dict[str, Any]:
    return {
        "event_id": f"E{i}",
        "ts": 1_772_400_000_000 + i,
        "institution_id": "B01",
        "from_account": "A1",
        "to_account": "A2",
        "amount_fen": 100 + i,
        "channel": "mobile",
        **changes,
    }


ROWS = [_row(i) for i in range(6)]


def _valid_bytes(fmt: str) -> bytes:
    if fmt == "parquet":
        sink = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(ROWS), sink, compression="zstd")
        return sink.getvalue()
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(ROWS[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(ROWS)
        return out.getvalue().encode()
    return "".join(json.dumps(r) + "\n" for r in ROWS).encode()


def _records_in(fmt: str, data: bytes) -> int | None:
    """How many records a text file holds, counted independently of the reader: nonblank
    lines of JSONL, nonblank CSV records after the header. None for Parquet."""
    text = data.decode("utf-8-sig")
    if fmt == "json":
        return sum(1 for line in text.split("\n") if line.strip(" \t\r\n"))
    if fmt == "csv":
        reader = csv.reader(io.StringIO(text, newline=""))
        count = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return max(count - 1, 0)
            except csv.Error:
                count += 1
                continue
            count += bool(cells)
    return None


def _check(tmp_path: Path, fmt: str, data: bytes) -> None:
    """The property: a clear error, or every record accounted for exactly once."""
    path = tmp_path / f"f.{'jsonl' if fmt == 'json' else fmt}"
    path.write_bytes(data)
    try:
        table = read_records_file(path)
        accepted, rejected = validate_table(Transfer, table)
        assert accepted.num_rows + rejected.num_rows == table.num_rows
    except InputError:
        pass
    try:
        result = check_file(path, "transfers")
    except InputError:
        return
    if fmt == "parquet":
        expected: int | None = pq.ParquetFile(path).metadata.num_rows
    else:
        expected = _records_in(fmt, data)
    assert result.accepted + result.rejected == expected
    if result.rejected:
        assert result.rejected_path is not None
        assert pq.read_table(result.rejected_path).num_rows == result.rejected


FORMATS = st.sampled_from(["parquet", "csv", "json"])


@FUZZ
@given(fmt=FORMATS, data=st.binary(max_size=400))
def test_random_bytes_give_a_clear_error_or_a_result(tmp_path: Path, fmt: str, data: bytes) -> None:
    _check(tmp_path, fmt, data)


@st.composite
def _damaged(draw: st.DrawFn, fmt: str) -> bytes:
    """A valid file with a few bytes flipped, cut out, put in, or its tail lost."""
    data = bytearray(_valid_bytes(fmt))
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        how = draw(st.sampled_from(["flip", "cut", "insert", "truncate"]))
        if how == "flip":
            data[at] = draw(st.integers(0, 255))
        elif how == "cut":
            del data[at : at + draw(st.integers(1, 20))]
        elif how == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            del data[at:]
    return bytes(data)


@FUZZ
@given(data=st.data())
@pytest.mark.parametrize("fmt", ["parquet", "csv", "json"])
def test_damaged_files_give_a_clear_error_or_a_result(
    tmp_path: Path, fmt: str, data: st.DataObject
) -> None:
    _check(tmp_path, fmt, data.draw(_damaged(fmt)))


# --- every row lands once ---------------------------------------------------------------------
_values = {
    "event_id": st.sampled_from(["E1", "E2", "E3", ""]),
    "ts": st.one_of(
        st.sampled_from([1_772_400_000_000, 1_772_400_000, 0, -1]), st.integers(0, 2**63 - 1)
    ),
    "amount_fen": st.one_of(st.booleans(), st.integers(-5, 2**60), st.floats(allow_nan=False)),
    "channel": st.sampled_from(["mobile", "qr", "pigeon"]),
    "memo": st.one_of(st.none(), st.text(max_size=8)),
}
_rows = st.lists(
    st.fixed_dictionaries({}, optional=_values).map(lambda ch: _row(0, **{"memo": None, **ch})),
    min_size=1,
    max_size=25,
)


@FUZZ
@given(rows=_rows, fmt=FORMATS)
def test_every_row_is_accepted_or_rejected_once(
    tmp_path: Path, rows: list[dict[str, Any]], fmt: str
) -> None:
    path = tmp_path / f"p.{'jsonl' if fmt == 'json' else fmt}"
    if fmt == "json":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    elif fmt == "csv":
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    else:
        columns = {k: [json.dumps(r[k]) for r in rows] for k in rows[0]}  # mixed: as text
        pq.write_table(pa.table(columns), path)
    result = check_file(path, "transfers")
    assert result.accepted + result.rejected == len(rows)
    accepted_ids = [r["event_id"] for r in rows if r["event_id"]]
    assert result.accepted <= len(set(accepted_ids))  # one row per event_id, at most
    if fmt == "json":
        good = [
            r
            for r in rows
            if r["event_id"]
            and not isinstance(r["amount_fen"], bool)
            and float(r["amount_fen"]).is_integer()  # 2.0 is 2: a float that casts exactly
            and 0 < r["amount_fen"] <= 2**62
            and (r["ts"] == 0 or 10**11 <= r["ts"] <= 4_102_444_800_000)
            and r["channel"] != "pigeon"
        ]
        assert result.accepted == len({r["event_id"] for r in good})
