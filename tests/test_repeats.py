"""Idempotent on a key: the first row of each key counts, later ones are named as repeats."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from fraudwall.engine.labelled import read_labelled
from fraudwall.model import find_repeats, split_repeats


def test_identical_and_conflicting_repeats_are_named_by_the_row_they_repeat() -> None:
    table = pa.table(
        {
            "event_id": ["a", "b", "a", "a", None, None, "b"],
            "amount_fen": [1, 2, 1, 5, 3, 3, 2],
            "transfer_ids": [["x"], [], ["x"], ["x"], [], [], ["y"]],
        }
    )
    first, identical, conflicting = split_repeats(table, "event_id")
    assert first.column("event_id").to_pylist() == ["a", "b", None, None]
    assert identical.column("reason").to_pylist() == ["event_id: duplicate of row 1"]
    assert conflicting.column("reason").to_pylist() == [
        "event_id: conflicts with row 1 (amount_fen differs)",
        "event_id: conflicts with row 2 (transfer_ids differs)",
    ]
    # repeats keep their values, for a person to look at
    assert conflicting.column("amount_fen").to_pylist() == [5, 2]


def test_rows_can_be_named_by_line_and_nan_repeats_nan() -> None:
    table = pa.table({"event_id": ["a", "a"], "score": [float("nan"), float("nan")]})
    _, identical, _ = split_repeats(table, "event_id", rows=[7, 9], noun="line", reason="why")
    assert identical.column("why").to_pylist() == ["event_id: duplicate of line 7"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcd"), st.integers(0, 2)), max_size=40))
def test_every_row_lands_in_exactly_one_part(rows: list[tuple[str, int]]) -> None:
    table = pa.table({"event_id": [r[0] for r in rows], "v": [r[1] for r in rows]})
    first, identical, conflicting = split_repeats(table, "event_id")
    assert first.num_rows + identical.num_rows + conflicting.num_rows == len(rows)
    firsts = {}
    for key, v in rows:
        firsts.setdefault(key, v)
    assert first.to_pylist() == [{"event_id": k, "v": v} for k, v in firsts.items()]
    found = find_repeats(table, "event_id")
    expected_identical = [i for i, (k, v) in enumerate(rows)
                          if rows.index((k, v)) < i and firsts[k] == v]  # fmt: skip
    assert found.identical.nonzero()[0].tolist() == expected_identical


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
