"""`fraudwall check`: a file of records is checked against the schema, bad ones set apart."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from fraudwall.cli.main import app
from fraudwall.model import check_file, read_records_file
from fraudwall.sim import SimConfig, simulate, write_world

runner = CliRunner()


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_world(
        simulate(SimConfig(people=300, days=2, seed=5)), tmp_path_factory.mktemp("w") / "world"
    )


def _accounts(world_dir: Path) -> list[str]:
    return pq.read_table(world_dir / "accounts.parquet")["account_id"].to_pylist()


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
    result = check_file(path, "transfers", world_dir)
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
    with pytest.raises(ValueError, match="unknown format"):
        read_records_file(tmp_path / "x.txt")


def test_csv_keeps_numeric_looking_ids_as_text(tmp_path: Path) -> None:
    f = tmp_path / "p.csv"
    f.write_text("number,country_code\n+8613800000000,86\n", encoding="utf-8")
    t = read_records_file(f)
    assert t["number"].to_pylist() == ["+8613800000000"]
