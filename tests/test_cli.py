"""The `fraudwall` command on a tiny simulated world (300 people, 3 days)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from fraudwall.cli.main import app

runner = CliRunner()
TINY = ["--people", "300", "--days", "3", "--seed", "5"]
TABLES = (
    "institutions",
    "people",
    "accounts",
    "phones",
    "devices",
    "transfers",
    "calls",
    "sms",
    "app_installs",
    "url_visits",
    "logins",
    "reports",
    "truth",
    "cases",
    "scripts",
)


def test_help_lists_the_verbs() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "simulate" in result.output and "demo" in result.output


def test_simulate_writes_the_tables_and_manifest(tmp_path: Path) -> None:
    out = tmp_path / "world"
    result = runner.invoke(app, ["simulate", *TINY, "--out", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 5
    for table in TABLES:
        path = out / f"{table}.parquet"
        assert path.is_file(), table
        assert pq.read_metadata(path).num_rows == manifest["counts"][table]
    assert manifest["counts"]["people"] == 300
    assert "transfers" in result.output and "people" in result.output


def test_demo_prints_the_summary_and_writes_report_and_json(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = runner.invoke(app, ["demo", *TINY, "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for key in ("events", "cases", "loss_fen", "world"):
        assert key in summary, key
    assert isinstance(summary["events"], int) and summary["events"] > 0
    assert isinstance(summary["loss_fen"], int)
    assert summary["cases"] == summary["world"]["cases"]
    assert summary["world"]["people"] == 300
    report = (out / "report.html").read_text(encoding="utf-8")
    assert report.count("data:image/svg+xml;base64,") >= 3
    assert (out / "world" / "manifest.json").is_file()
    assert "fraudwall demo: summary" in result.output
    assert "mule accounts" in result.output


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["--people", "99"], "--people"),
        (["--days", "0"], "--days"),
    ],
)
@pytest.mark.parametrize("verb", ["simulate", "demo"])
def test_too_small_a_world_is_refused(
    verb: str, args: list[str], name: str, tmp_path: Path
) -> None:
    result = runner.invoke(app, [verb, *args, "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert name in result.output and "must be at least" in result.output
    assert not (tmp_path / "x").exists()


def test_fraud_rate_sets_how_much_fraud_the_world_holds(tmp_path: Path) -> None:
    counts = []
    for rate in ("0", "2000"):
        out = tmp_path / rate
        result = runner.invoke(app, ["simulate", *TINY, "--fraud-rate", rate, "--out", str(out)])
        assert result.exit_code == 0, result.output
        counts.append(json.loads((out / "manifest.json").read_text())["counts"]["cases"])
    assert counts[0] == 0 and counts[1] > 5
    bad = runner.invoke(app, ["simulate", *TINY, "--fraud-rate", "-1", "--out", str(tmp_path)])
    assert bad.exit_code == 2 and "--fraud-rate" in bad.output
