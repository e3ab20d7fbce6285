"""`fraudwall cases` and `fraudwall trace` on a small simulated world: the steps run one
after another over the world's case store, and the numbers they keep add up."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from fraudwall.cli.main import app
from fraudwall.funds import CaseStore, case_id_for, open_cases, reports_from_table
from fraudwall.model import HOUR_MS, OrderKind
from fraudwall.sim import read_world

runner = CliRunner()


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("funds-world")
    args = ["simulate", "--people", "3000", "--days", "10", "--seed", "3", "--fraud-rate", "800"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_cases_open_stop_return_keep_their_figures_in_the_store(world_dir: Path) -> None:
    assert "cases in" in _run("cases", "open", str(world_dir))
    store = CaseStore.in_world(world_dir)
    cases = store.all_cases()
    assert cases and all(c.case_id.startswith("CASE-") for c in cases)

    _run("cases", "stop", str(world_dir))
    stops = store.all_orders(OrderKind.STOP_PAYMENT)
    freezes = store.all_orders(OrderKind.FREEZE)
    assert stops and freezes
    assert all(o.applied_ts is not None and o.expires_ts == o.applied_ts + 48 * HOUR_MS
               for o in stops if o.state in ("executed", "completed"))  # fmt: skip
    again = runner.invoke(app, ["cases", "stop", str(world_dir)])
    assert again.exit_code == 2 and "already issued" in again.output

    out = _run("cases", "return", str(world_dir))
    assert "back to victims" in out
    returns = store.all_orders(OrderKind.RETURN)
    loss = {c.case_id: c.loss_fen for c in cases}
    paid_back: dict[str, int] = {}
    for r in returns:
        paid_back[r.case_id] = paid_back.get(r.case_id, 0) + r.amount_fen
    assert paid_back and all(paid_back[c] <= loss[c] for c in paid_back)
    victim_accounts = {a for c in cases for a in c.victim_accounts}
    assert all(r.to_account in victim_accounts for r in returns)
    trail = store.audit_trail()
    assert {"case_opened", "stop_issued", "return_planned"} <= set(trail.actions())

    listing = _run("cases", "list", str(world_dir))
    assert cases[0].case_id in listing
    audit = _run("cases", "audit", str(world_dir), "--subject", cases[0].case_id, "--last", "5000")
    assert "case_opened" in audit and cases[0].case_id in audit
    everything = store.all_orders()
    assert f"{len(everything):,} orders" in _run("cases", "orders", str(world_dir))


def test_trace_writes_the_fund_flow_table_and_graph(world_dir: Path, tmp_path: Path) -> None:
    store = CaseStore.in_world(world_dir)
    case = store.all_cases()[0] if store.all_cases() else None
    report = case.report_id if case else "RP0000000000"
    out = tmp_path / "flow"
    text = _run("trace", str(world_dir), "--case", report, "--rule", "libr", "--out", str(out))
    assert "Accounts holding the most" in text
    for name in ("flow.csv", "held.csv", "exits.csv", "flow.xlsx", "graph.json"):
        assert (out / name).is_file(), name
    graph = json.loads((out / "graph.json").read_text(encoding="utf-8"))
    assert graph["rule"] == "libr" and graph["edges"]

    # the whole group of the case, traced together: every member's victim is on the graph
    whole = tmp_path / "group"
    _run("trace", str(world_dir), "--case", report, "--group", "--out", str(whole))
    group = json.loads((whole / "graph.json").read_text(encoding="utf-8"))
    tables = read_world(world_dir).tables
    known = store.all_cases() or open_cases(reports_from_table(tables["reports"]), tables).cases
    chosen = next(c for c in known if c.report_id == report)
    members = [c for c in known if c.group_id == chosen.group_id]
    assert sorted(v["victim"] for v in group["victims"]) == sorted(c.case_id for c in members)


def test_trace_names_an_unknown_case(world_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["trace", str(world_dir), "--case", "nope", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "--case" in result.output and "nope" in result.output


def test_trace_out_naming_a_file_is_refused_before_tracing(world_dir: Path, tmp_path: Path) -> None:
    taken = tmp_path / "flow"
    taken.write_text("mine")
    result = runner.invoke(
        app, ["trace", str(world_dir), "--case", "RP0000000000", "--out", str(taken)]
    )
    assert result.exit_code == 2
    assert "--out" in result.output and "is a file" in result.output
    assert "tracing under" not in result.output  # refused before the work
    assert taken.read_text() == "mine"


def test_cases_open_groups_by_the_gangs_found(world_dir: Path, tmp_path: Path) -> None:
    world = tmp_path / "world"
    shutil.copytree(world_dir, world, ignore=shutil.ignore_patterns("funds.sqlite*"))
    gangs = tmp_path / "gangs"
    missing = runner.invoke(app, ["cases", "open", str(world), "--gangs", str(gangs)])
    assert missing.exit_code == 2 and "no such file" in missing.output.replace("\n", "")
    _run("gangs", str(world), "--out", str(gangs))
    assert "cases in" in _run("cases", "open", str(world), "--gangs", str(gangs))
    links = pq.read_table(gangs / "case_links.parquet").to_pylist()
    gang_of = {case_id_for(r["case_id"]): r["gang_id"] for r in links}
    cases = CaseStore.in_world(world).all_cases()
    named = [c for c in cases if c.case_id in gang_of]
    assert named and all(c.group_id == gang_of[c.case_id] for c in named)
