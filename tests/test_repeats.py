"""Idempotent on a key: the first row of each key counts, later ones are named as repeats."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from engine_world import T0, transfer
from engine_world import table as event_table
from hypothesis import given, settings
from hypothesis import strategies as st

from fraudwall.engine.labelled import read_labelled
from fraudwall.engine.repeats import split_repeats
from fraudwall.model import check_file, find_repeats, repeat_reasons


def _reasons(table: pa.Table, **kwargs: Any) -> list[tuple[int, str]]:
    found = find_repeats(table, "event_id")
    reasons = repeat_reasons(found, "event_id", **kwargs).to_pylist()
    return list(zip(found.row.tolist(), reasons, strict=True))


def test_identical_and_conflicting_repeats_are_named_by_the_row_they_repeat() -> None:
    table = pa.table(
        {
            "event_id": ["a", "b", "a", "a", None, None, "b"],
            "amount_fen": [1, 2, 1, 5, 3, 3, 2],
            "transfer_ids": [["x"], [], ["x"], ["x"], [], [], ["y"]],
        }
    )
    assert _reasons(table) == [
        (2, "event_id: duplicate of row 1"),
        (3, "event_id: conflicts with row 1 (amount_fen differs)"),
        (6, "event_id: conflicts with row 2 (transfer_ids differs)"),
    ]
    found = find_repeats(table, "event_id")
    assert found.kept(0, 7).tolist() == [True, True, False, False, True, True, False]


def test_every_column_that_differs_is_named() -> None:
    table = pa.table({"event_id": ["a", "a"], "ts": [5, 5], "x": [1, 2], "y": ["p", "q"]})
    assert _reasons(table) == [(1, "event_id: conflicts with row 1 (x, y differ)")]


def test_the_earliest_record_of_a_key_counts_then_the_first_row() -> None:
    table = pa.table({"event_id": ["a", "a", "a"], "ts": [9, 3, 3], "v": [1, 1, 2]})
    assert _reasons(table, numbers=[[10, 11, 12]], noun="line") == [
        (0, "event_id: conflicts with line 11 (ts differs)"),
        (2, "event_id: conflicts with line 11 (v differs)"),
    ]


def test_rows_can_be_named_by_line_and_nan_repeats_nan() -> None:
    table = pa.table({"event_id": ["a", "a"], "score": [float("nan"), float("nan")]})
    assert _reasons(table, numbers=[[7, 9]], noun="line") == [(1, "event_id: duplicate of line 7")]


def test_hashes_only_speed_the_search_up() -> None:
    """Rows sharing a hash but not a key are no repeats; the answer is the one without."""
    table = pa.table({"event_id": ["a", "b", "a", "c"], "v": [1, 2, 3, 4]})
    collide = np.array([7, 7, 7, 0], np.uint64)  # "c" hashed as a null key: never compared
    with_hashes = find_repeats([table], "event_id", [collide])
    assert with_hashes.row.tolist() == [2] and with_hashes.differs.tolist() == ["v"]


def test_a_key_in_another_table_conflicts_and_names_that_table() -> None:
    calls = pa.table({"event_id": ["a", "b"], "ts": [5, 1]})
    sms = pa.table({"event_id": ["b", "a"], "ts": [0, 5], "text": ["hi", "yo"]})
    found = find_repeats([calls, sms], "event_id")
    reasons = repeat_reasons(found, "event_id", names=["calls", "sms"]).to_pylist()
    assert list(zip(found.part.tolist(), found.row.tolist(), reasons, strict=True)) == [
        (0, 1, "event_id: conflicts with row 1 of sms (the same id in another table)"),
        (1, 1, "event_id: conflicts with row 1 of calls (the same id in another table)"),
    ]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("abcd"), st.integers(0, 2), st.integers(0, 2)), max_size=40)
)
def test_every_row_is_kept_or_named_once(rows: list[tuple[str, int, int]]) -> None:
    """The earliest record of each key (then the first row) is kept; every later record
    is a duplicate of it or a conflict with it; the hashes change nothing."""
    table = pa.table({"event_id": [r[0] for r in rows], "ts": [r[1] for r in rows],
                      "v": [r[2] for r in rows]})  # fmt: skip
    found = find_repeats(table, "event_id")
    first: dict[str, int] = {}
    for i, (key, ts, _) in enumerate(rows):
        if key not in first or ts < rows[first[key]][1]:
            first[key] = i
    assert np.flatnonzero(found.kept(0, len(rows))).tolist() == sorted(first.values())
    expect = [(i, first[k], (ts, v) == rows[first[k]][1:])
              for i, (k, ts, v) in enumerate(rows) if i != first[k]]  # fmt: skip
    got = zip(found.row.tolist(), found.first_row.tolist(), found.identical.tolist(), strict=True)
    assert list(got) == expect
    hashes = np.array([ord(k[0]) % 2 + 1 for k, _, _ in rows], np.uint64)  # collisions
    again = find_repeats([table], "event_id", [hashes])
    assert again.row.tolist() == found.row.tolist()
    assert again.differs.tolist() == found.differs.tolist()


def test_labelled_files_take_each_event_once(tmp_path: Path) -> None:
    """`train --labelled`: a resent event counts once; the same event with another label is
    a conflict, set aside with the line it contradicts."""
    header = "event_id,ts,institution_id,from_account,to_account,amount_fen,channel,label"
    row = "T{0},1772400000000,B01,A1,A2,500,mobile,{1}"
    path = tmp_path / "labelled.csv"
    lines = [header, row.format(1, 1), row.format(2, 0), row.format(1, 1), row.format(2, 1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    history = read_labelled([path])
    assert history.tables["transfers"]["event_id"].to_pylist() == ["T1", "T2"]
    assert history.tables["truth"]["entity_id"].to_pylist() == ["T1"]
    rejected = history.rejected[path].to_pylist()
    assert [(r["line"], r["reason"]) for r in rejected] == [
        (4, "event_id: duplicate of line 2"),
        (5, "event_id: conflicts with line 3 (label differs)"),
    ]


def test_check_and_the_engine_word_a_repeat_alike(tmp_path: Path) -> None:
    """The same file: `check` rejects a conflicting repeat with the reason replay's
    rejected.parquet gives it (and drops the identical one in both)."""
    x1, x2 = transfer("X1", T0, "A1", "M1", 1_000), transfer("X2", T0, "A2", "M1", 5)
    rows = [x1, x2, x1, transfer("X2", T0 + 1, "A2", "M1", 6)]
    transfers = event_table("transfers", rows)
    path = tmp_path / "transfers.parquet"
    pq.write_table(transfers, path)
    check_file(path, "transfers")
    checked = pq.read_table(tmp_path / "transfers.parquet.rejected.parquet").to_pylist()
    assert [(r["row"], r["reason"]) for r in checked] == [
        (3, "event_id: duplicate of row 1"),
        (4, "event_id: conflicts with row 2 (ts, amount_fen differ)"),
    ]
    split = split_repeats({"transfers": transfers})
    assert split.duplicates == {"transfers": 1}
    assert split.rejected["reason"].to_pylist() == [checked[1]["reason"]]
