"""`fraudwall check`: a file of records is checked against the schema, bad ones set apart."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from fraudwall.cli.main import app
from fraudwall.errors import InputError
from fraudwall.model import (
    REF_TYPES,
    Transfer,
    check_file,
    check_records,
    read_records,
    read_records_file,
    rejected_path_for,
)
from fraudwall.sim import SimConfig, simulate, write_world

runner = CliRunner()


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_world(
        simulate(SimConfig(people=300, days=2, seed=5)), tmp_path_factory.mktemp("w") / "world"
    )


def _accounts(world_dir: Path) -> list[str]:
    return pq.read_table(world_dir / "accounts.parquet")["account_id"].to_pylist()


def _known(world_dir: Path) -> dict[str, list[str]]:
    return {
        kind: pq.read_table(world_dir / f"{ref.table}.parquet")[ref.key].to_pylist()
        for kind, ref in REF_TYPES.items()
        if ref.key
    }


def _csv(path: Path, rows: list[dict[str, object]]) -> Path:
    cols = list(rows[0])
    lines = [",".join(cols)] + [
        ",".join("" if r[c] is None else str(r[c]) for c in cols) for r in rows
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _transfer(i: int, src: str, dst: str, amount: object) -> dict[str, object]:
    return {
        "event_id": f"X{i}",
        "ts": 1_772_400_000_000 + i,
        "institution_id": "B01",
        "from_account": src,
        "to_account": dst,
        "amount_fen": amount,
        "channel": "mobile",
    }


def test_bad_records_go_to_the_rejected_file_with_their_reason(
    world_dir: Path, tmp_path: Path
) -> None:
    a, b = _accounts(world_dir)[:2]
    path = _csv(
        tmp_path / "t.csv",
        [
            _transfer(1, a, b, 500),
            _transfer(2, a, b, -5),
            _transfer(3, a, "NOPE", 100),
            _transfer(4, a, b, 700),
        ],
    )
    result = check_file(path, "transfers", _known(world_dir))
    assert (result.accepted, result.rejected) == (2, 2)
    assert result.rejected_path is not None
    rejected = pq.read_table(result.rejected_path).to_pylist()
    reasons = sorted(r["reason"] for r in rejected)
    assert reasons[0].startswith("amount_fen:")
    assert reasons[1] == "to_account: unknown account 'NOPE'"


def test_cli_check_exits_1_on_rejects_and_0_when_all_good(world_dir: Path, tmp_path: Path) -> None:
    a, b = _accounts(world_dir)[:2]
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(_transfer(1, a, b, 100)) + "\n", encoding="utf-8")
    ok = runner.invoke(app, ["check", str(good), "--table", "transfers", "--world", str(world_dir)])
    assert ok.exit_code == 0, ok.output
    assert "1 accepted, 0 rejected" in ok.output
    bad = _csv(tmp_path / "bad.csv", [_transfer(1, a, b, 0)])
    out = runner.invoke(app, ["check", str(bad), "--table", "transfers"])
    assert out.exit_code == 1
    assert "amount_fen" in out.output


def test_cli_check_names_an_unknown_table_or_format(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text("a\n1\n", encoding="utf-8")
    out = runner.invoke(app, ["check", str(f), "--table", "nope"])
    assert out.exit_code == 2 and "unknown table" in out.output
    with pytest.raises(InputError, match="unknown format"):
        read_records_file(tmp_path / "x.txt")


def test_csv_keeps_numeric_looking_ids_as_text(tmp_path: Path) -> None:
    f = tmp_path / "p.csv"
    f.write_text("number,country_code\n+8613800000000,86\n", encoding="utf-8")
    t = read_records_file(f)
    assert t["number"].to_pylist() == ["+8613800000000"]


def _transfers(world_dir: Path, n: int) -> pa.Table:
    return pq.read_table(world_dir / "transfers.parquet").slice(0, n)


def _check(*args: str) -> tuple[int, str]:
    """Exit code and output of `fraudwall check`, with the console's line wrapping undone."""
    result = runner.invoke(app, ["check", *args])
    return result.exit_code, " ".join(result.output.split())


# --- one row per key (issue 11, finding 3) -----------------------------------------------------
def test_repeated_event_ids_are_rejected_as_duplicates_or_conflicts(
    world_dir: Path, tmp_path: Path
) -> None:
    events = _transfers(world_dir, 100)
    rows = events.to_pylist()
    changed = dict(rows[10], amount_fen=rows[10]["amount_fen"] + 1)
    path = tmp_path / "t.parquet"
    pq.write_table(pa.Table.from_pylist([*rows, *rows[:9], changed], events.schema), path)

    code, output = _check(str(path), "--table", "transfers", "--world", str(world_dir))
    assert code == 1
    assert "100 accepted, 10 rejected" in output
    rejected = pq.read_table(tmp_path / "t.parquet.rejected.parquet").to_pylist()
    assert [r["row"] for r in rejected] == list(range(101, 111))
    assert [r["reason"] for r in rejected[:9]] == [
        f"event_id: duplicate of row {i}" for i in range(1, 10)
    ]
    assert rejected[9]["reason"] == "event_id: conflicts with row 11 (amount_fen differs)"
    assert rejected[9]["amount_fen"] == changed["amount_fen"]  # kept as given, to look at


def test_repeated_entity_keys_are_rejected_and_lines_named(tmp_path: Path) -> None:
    path = tmp_path / "institutions.csv"
    path.write_text(
        "institution_id,name,kind\nB01,Bank one,bank\nB02,Bank two,bank\nB01,Other,bank\n",
        encoding="utf-8",
    )
    result = check_file(path, "institutions")
    assert (result.accepted, result.rejected) == (2, 1)
    assert result.reasons == [
        "institutions.csv line 4: institution_id: conflicts with line 2 (name differs)"
    ]


# --- the rejected file (finding 5) -------------------------------------------------------------
def test_rejected_may_not_name_the_input(world_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(_transfers(world_dir, 5), path)
    before = path.read_bytes()
    for name in (str(path), str(tmp_path / "." / "t.parquet")):
        code, output = _check(str(path), "--table", "transfers", "--rejected", name)
        assert code == 2
        assert "is the file being checked" in output
    link = tmp_path / "link.parquet"
    link.symlink_to(path)
    assert _check(str(path), "--table", "transfers", "--rejected", str(link))[0] == 2
    assert path.read_bytes() == before


def test_default_rejected_file_keeps_the_inputs_whole_name(tmp_path: Path) -> None:
    assert rejected_path_for(Path("d/a.csv")) == Path("d/a.csv.rejected.parquet")
    bad = _transfer(1, "A1", "A2", -1)
    csv_file = _csv(tmp_path / "a.csv", [bad])
    json_file = tmp_path / "a.jsonl"
    json_file.write_text(json.dumps(bad) + "\n", encoding="utf-8")
    assert check_file(csv_file, "transfers").rejected_path == tmp_path / "a.csv.rejected.parquet"
    assert check_file(json_file, "transfers").rejected_path == tmp_path / "a.jsonl.rejected.parquet"


def test_a_clean_check_removes_the_rejected_file_of_an_earlier_one(tmp_path: Path) -> None:
    path = _csv(tmp_path / "a.csv", [_transfer(1, "A1", "A2", -1)])
    assert check_file(path, "transfers").rejected_path is not None
    _csv(path, [_transfer(1, "A1", "A2", 5)])
    assert check_file(path, "transfers").rejected_path is None
    assert not rejected_path_for(path).exists()


# --- --world (finding 6) -----------------------------------------------------------------------
def test_a_missing_or_wrong_world_is_refused(world_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(_transfers(world_dir, 5), path)
    for world in (tmp_path / "nowhere", tmp_path):
        code, output = _check(str(path), "--table", "transfers", "--world", str(world))
        assert code == 2
        assert "--world" in output
    code, output = _check(str(path), "--table", "transfers", "--world", str(world_dir))
    assert code == 0, output


# --- values as strict as the model (finding 7) -------------------------------------------------
def test_a_boolean_is_not_an_amount(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    rows = [_transfer(1, "A1", "A2", True), _transfer(2, "A1", "A2", False)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = check_file(path, "transfers")
    assert result.accepted == 0
    assert result.reasons == [
        "t.jsonl line 1: amount_fen: expected int, got true",
        "t.jsonl line 2: amount_fen: expected int, got false",
    ]


@pytest.mark.parametrize(
    ("ts", "hint"),
    [
        (1_772_400_000, "looks like seconds: multiply by 1000"),
        (1_772_400_000_000_000, "looks like microseconds: divide by 1000"),
        (1_772_400_000_000_000_000, "looks like nanoseconds: divide by 1000000"),
    ],
)
def test_times_in_another_unit_are_refused_with_a_hint(tmp_path: Path, ts: int, hint: str) -> None:
    path = _csv(tmp_path / "t.csv", [{**_transfer(1, "A1", "A2", 5), "ts": ts}])
    result = check_file(path, "transfers")
    assert result.accepted == 0
    assert result.reasons[0].startswith("t.csv line 2: ts: must be ms since the epoch")
    assert result.reasons[0].endswith(f"got {ts} ({hint})")


def test_a_typed_timestamp_column_is_converted_by_its_unit(tmp_path: Path) -> None:
    when = dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.UTC)
    row = _transfer(1, "A1", "A2", 5)
    for unit in ("s", "ms", "us", "ns"):
        table = pa.Table.from_pylist([row]).set_column(
            1, "ts", pa.array([when], pa.timestamp(unit, "UTC"))
        )
        path = tmp_path / f"t_{unit}.parquet"
        pq.write_table(table, path)
        result = check_file(path, "transfers")
        assert (result.accepted, result.rejected) == (1, 0), result.reasons
    accepted = check_records(Transfer, read_records(tmp_path / "t_us.parquet")).accepted
    assert accepted["ts"].to_pylist() == [int(when.timestamp() * 1000)]


def test_a_large_jsonl_integer_beside_a_float_keeps_every_fen(tmp_path: Path) -> None:
    big = 2**53 + 1
    rows = [_transfer(1, "A1", "A2", big), _transfer(2, "A1", "A2", 2.5)]
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    checked = check_records(Transfer, read_records(path))
    assert checked.accepted["amount_fen"].to_pylist() == [big]
    assert checked.rejected["reason"].to_pylist() == ["amount_fen: expected int, got '2.5'"]


# --- broken lines, encodings, damaged files ----------------------------------------------------
def test_one_broken_jsonl_line_is_one_rejected_record(tmp_path: Path) -> None:
    good = [json.dumps(_transfer(i, "A1", "A2", 5)) for i in range(3)]
    path = tmp_path / "t.jsonl"
    path.write_text(f"{good[0]}\n\n{{broken\n{good[1]}\n[1, 2]\n{good[2]}\n", encoding="utf-8")
    result = check_file(path, "transfers")
    assert (result.accepted, result.rejected) == (3, 2)
    assert result.reasons[0].startswith("t.jsonl line 3: not valid JSON")
    assert result.reasons[1] == "t.jsonl line 5: not a JSON object: [1, 2]"
    rejected = pq.read_table(rejected_path_for(path))
    assert rejected["line"].to_pylist() == [3, 5]
    with pytest.raises(InputError, match=r"t.jsonl line 3: not valid JSON.*\(and 1 more\)"):
        read_records_file(path)


def test_one_broken_csv_line_is_one_rejected_record(tmp_path: Path) -> None:
    path = _csv(tmp_path / "t.csv", [_transfer(i, "A1", "A2", 5) for i in range(3)])
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(2, "X9,1772400000000,B01,A1")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = check_file(path, "transfers")
    assert (result.accepted, result.rejected) == (3, 1)
    assert result.reasons == ["t.csv line 3: 4 fields where the header has 7"]


def test_text_that_is_not_utf8_is_named_and_read_with_its_encoding(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    rows = [{**_transfer(1, "A1", "A2", 5), "memo": "还款"}]
    cols = list(rows[0])
    text = ",".join(cols) + "\n" + ",".join(str(rows[0][c]) for c in cols) + "\n"
    path.write_bytes(text.encode("gbk"))
    code, output = _check(str(path), "--table", "transfers")
    assert code == 2
    assert "not UTF-8" in output and "--encoding gbk" in output
    code, output = _check(str(path), "--table", "transfers", "--encoding", "gbk")
    assert code == 0, output
    assert read_records_file(path, encoding="gbk")["memo"].to_pylist() == ["还款"]
    assert _check(str(path), "--table", "transfers", "--encoding", "klingon")[0] == 2


def test_a_damaged_parquet_file_is_named(world_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(_transfers(world_dir, 50), path, compression="zstd")
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0xFF
    path.write_bytes(bytes(data))
    code, output = _check(str(path), "--table", "transfers")
    assert code == 2
    assert "t.parquet: damaged Parquet file" in output
    path.write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match="damaged Parquet file"):
        read_records_file(path)
