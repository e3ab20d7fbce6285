"""The recovery chain gives the same answer twice: `fraudwall cases open/stop/return` and
`fraudwall trace` on two copies of one world write the same bytes, even in another process
with another hash seed; the policy `cases stop` ran under is kept in the case store, and
`cases return` and `trace` follow it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from fraudwall.cli.main import app
from fraudwall.funds.recovery import RecoveryPolicy
from fraudwall.funds.store import POLICY_KEY, STORE_FILE, CaseStore
from fraudwall.funds.trace import Rule
from fraudwall.model.enums import OrderKind
from fraudwall.sim import SimConfig, simulate, write_world

runner = CliRunner()
STEPS = (("cases", "open"), ("cases", "stop"), ("cases", "return"))
FLOW_FILES = ("flow.csv", "held.csv", "exits.csv", "flow.xlsx", "graph.json")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = SimConfig(people=600, days=7, seed=5, fraud_rate=800.0)
    return write_world(simulate(config), tmp_path_factory.mktemp("repeat") / "w")


def _copy(world: Path, parent: Path) -> Path:
    parent.mkdir()
    return Path(shutil.copytree(world, parent / "w"))


def _in_process(folder: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    monkeypatch.chdir(folder)
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _in_subprocess(folder: Path, *args: str) -> str:
    """The same command in a fresh interpreter with a fixed, different hash seed (set and
    dict-of-str order differ from this process's)."""
    code = "import sys; from fraudwall.cli.main import app; app(sys.argv[1:])"
    env = {**os.environ, "PYTHONHASHSEED": "4242", "COLUMNS": "80", "TERM": "dumb"}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=folder, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_cases_and_trace_twice_on_copies_give_the_same_bytes(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here, there = _copy(world, tmp_path / "a"), _copy(world, tmp_path / "b")
    trace_args = ("trace", "w", "--case", "RP0000000000", "--group", "--out", "flow")
    outputs = []
    for step in (*STEPS, trace_args):
        args = (*step, "w") if step in STEPS else step
        first = _in_process(here.parent, monkeypatch, *args)
        second = _in_subprocess(there.parent, *args)
        assert first == second, args
        outputs.append(first)
    assert "stop-payment orders" in outputs[1] and "back to victims" in outputs[2]
    assert (here / STORE_FILE).read_bytes() == (there / STORE_FILE).read_bytes()
    for name in FLOW_FILES:
        mine, theirs = here.parent / "flow" / name, there.parent / "flow" / name
        assert mine.read_bytes() == theirs.read_bytes(), name
    # the run did real work: orders, freezes and returns in the store
    store = CaseStore.in_world(here)
    kinds = {o.kind for o in store.all_orders()}
    assert {OrderKind.STOP_PAYMENT, OrderKind.FREEZE, OrderKind.RETURN} <= kinds


def test_stop_keeps_its_policy_and_return_and_trace_follow_it(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = _copy(world, tmp_path / "a")
    _in_process(w.parent, monkeypatch, "cases", "open", "w")
    stopped = _in_process(w.parent, monkeypatch, "cases", "stop", "w", "--rule", "libr",
                          "--hops", "4")  # fmt: skip
    kept = CaseStore.in_world(w).policy()
    assert kept == RecoveryPolicy(rule=Rule.LIBR, max_hops=4)
    assert kept is not None and kept.describe() in " ".join(stopped.split())
    returned = _in_process(w.parent, monkeypatch, "cases", "return", "w")
    assert "the case store's" in returned and kept.describe() in " ".join(returned.split())

    traced = _in_process(w.parent, monkeypatch, "trace", "w", "--case", "RP0000000000",
                         "--out", "kept")  # fmt: skip
    assert "case store's policy" in traced and "libr, 4 hops" in traced
    graph = json.loads((w.parent / "kept" / "graph.json").read_text(encoding="utf-8"))
    assert (graph["rule"], graph["max_hops"]) == ("libr", 4)

    told = _in_process(w.parent, monkeypatch, "trace", "w", "--case", "RP0000000000",
                       "--rule", "fifo", "--out", "told")  # fmt: skip
    assert "--rule given" in told
    graph = json.loads((w.parent / "told" / "graph.json").read_text(encoding="utf-8"))
    assert (graph["rule"], graph["max_hops"]) == ("fifo", 4)


def test_trace_without_a_store_policy_uses_the_chains_default_rule(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = _copy(world, tmp_path / "a")
    out = _in_process(w.parent, monkeypatch, "trace", "w", "--case", "RP0000000000",
                      "--out", "flow")  # fmt: skip
    assert "default policy" in out
    graph = json.loads((w.parent / "flow" / "graph.json").read_text(encoding="utf-8"))
    assert graph["rule"] == str(RecoveryPolicy().rule) == "lifo"


def test_return_refuses_a_store_that_keeps_no_policy(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = _copy(world, tmp_path / "a")
    for step in STEPS[:2]:
        _in_process(w.parent, monkeypatch, *step, "w")
    store = CaseStore.in_world(w)
    with store.engine.begin() as conn:  # a store written before policies were kept
        conn.execute(sa.delete(store.meta).where(store.meta.c.key == POLICY_KEY))
    result = runner.invoke(app, ["cases", "return", "w"])
    assert result.exit_code == 2
    assert "no recovery policy" in result.output and "Traceback" not in result.output
    assert not store.all_orders(OrderKind.RETURN)
