"""`fraudwall risk check|import|export`: answers with the evidence, rejected rows with their
reasons, and one line (no traceback) for every mistake."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fraudwall.cli.main import app

runner = CliRunner()
T0 = 1_780_000_000_000
DAY = 86_400_000
HEADER = "kind,value,source,evidence,confidence,first_seen_ts,last_seen_ts,expires_ts\n"


def fw(*args: str) -> tuple[int, str]:
    """The exit code and the output, its lines as the terminal wrapped them joined."""
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, " ".join(result.output.split())


@pytest.fixture
def lists(tmp_path: Path) -> Path:
    path = tmp_path / "bank-a.csv"
    path.write_text(
        HEADER
        + f'number,138 0000 0001,numbers-model,"{{""fanout_24h"": 312}}",0.97,{T0},{T0 + DAY},'
        f"{T0 + 30 * DAY}\n"
        + f"account,6222 0200 1234,confirmed-case,case 7 payee,1,{T0},{T0},{T0 + 2 * DAY}\n"
        + f"account,M2,,x,1.5,{T0},{T0},{T0 + DAY}\n",
        encoding="utf-8",
    )
    return path


def test_import_then_check_answers_with_the_evidence(lists: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "lists.sqlite")
    code, out = fw("risk", "import", str(lists), "--db", db)
    assert code == 1  # one row was rejected; the two good ones are stored
    assert "3 rows, 2 entries new" in out and "1 rejected" in out
    assert "confidence: must be within 0..1" in out
    with (tmp_path / "bank-a.rejected.csv").open(newline="") as f:
        (bad,) = list(csv.DictReader(f))
    assert (bad["row"], bad["field"], bad["value"]) == ("3", "confidence", "M2")

    code, out = fw("risk", "check", "number", "+86 138-0000-0001", "--db", db, "--at", str(T0))
    assert code == 0
    assert "number +8613800000001: LISTED" in out
    assert "numbers-model" in out and "0.97" in out and '"fanout_24h": 312' in out

    code, out = fw("risk", "check", "account", "622202001234", "--db", db, "--json",
                   "--at", str(T0 + 2 * DAY))  # fmt: skip
    answer = json.loads(out)
    assert answer["listed"] is False  # its entry expired at that very time
    assert [(e["source"], e["status"]) for e in answer["entries"]] == [
        ("confirmed-case", "expired")
    ]

    code, out = fw("risk", "check", "number", "13900000000", "--db", db, "--at", str(T0))
    assert code == 0 and "not listed" in out


def test_export_writes_a_list_that_imports_elsewhere(lists: Path, tmp_path: Path) -> None:
    fw("risk", "import", str(lists), "--data", str(tmp_path / "data"))
    assert (tmp_path / "data" / "fraudwall.sqlite").is_file()  # the service's own database
    out_file = tmp_path / "accounts.csv"
    code, out = fw("risk", "export", str(out_file), "--kind", "account",
                   "--data", str(tmp_path / "data"))  # fmt: skip
    assert code == 0 and "1 entries exported" in out
    code, out = fw("risk", "import", str(out_file), "--source", "bank-a",
                   "--db", str(tmp_path / "bank-b.sqlite"))  # fmt: skip
    assert code == 0 and "1 entries new" in out and "0 rejected" in out
    code, out = fw("risk", "check", "account", "6222 0200 1234", "--at", str(T0),
                   "--db", str(tmp_path / "bank-b.sqlite"), "--json")  # fmt: skip
    assert [e["source"] for e in json.loads(out)["entries"]] == ["bank-a"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["risk", "check", "phone", "1"], "KIND: 'phone' is not a kind of risk list"),
        (["risk", "check", "number", "call me"], "VALUE: 'call me' is not a phone number"),
        (["risk", "check", "number", "13800000001", "--at", "soon"], "--at: 'soon' is not a time"),
        (["risk", "check", "number", "13800000001"], "no risk lists here"),
        (["risk", "export", "x.csv", "--kind", "iban"], "--kind: 'iban' is not a kind"),
        (["risk", "import", "missing.csv"], "missing.csv: no such file"),
    ],
)
def test_mistakes_are_one_line_with_exit_2(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the default data folder is empty here
    code, out = fw(*args)
    assert code == 2
    assert out.startswith("error: ") and message in out


def test_a_file_that_is_not_a_store_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "lists.sqlite"
    bad.write_text("not a database at all, just words " * 40)
    code, out = fw("risk", "check", "number", "13800000001", "--db", str(bad))
    assert code == 2 and "not a risk list store" in out
