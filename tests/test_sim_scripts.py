"""Fraud scripts in a simulated world: which script wrote each fraud SMS, and script drift
(new families and variants that start during the period) with its ground truth."""

from __future__ import annotations

from pathlib import Path

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from typer.testing import CliRunner

from fraudwall.cli.main import app
from fraudwall.errors import InputError
from fraudwall.model import DAY_MS, FraudType, ScriptKind
from fraudwall.sim import SimConfig, World, read_world, simulate, verify_world, write_world
from fraudwall.sim.texts import fraud_sms
from fraudwall.sim.texts.drift import DRIFT_SCRIPTS, drift_sms
from fraudwall.sim.texts.fraudsms import base_script_ids, fraud_sms_scripts

#: Small, but with enough fraud SMS of every type for drift to show (about 1.5 s).
SMALL = {"people": 4000, "days": 12, "seed": 5, "fraud_rate": 400.0, "activity": 0.1}


@pytest.fixture(scope="module")
def plain() -> World:
    return simulate(SimConfig(**SMALL))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def drifting() -> World:
    return simulate(SimConfig(**SMALL, script_drift=True))  # type: ignore[arg-type]


def _fraud_sms(world: World) -> pa.Table:
    """The truth rows of fraud SMS joined to their send time."""
    truth = world.tables["truth"]
    rows = truth.filter(pc.equal(truth["entity_kind"], "sms"))
    sms = world.tables["sms"].select(["event_id", "ts", "sender", "text"])
    return rows.join(sms, "entity_id", "event_id")


def test_fraud_sms_scripts_is_fraud_sms_draw_for_draw_with_the_script_of_each_text() -> None:
    for ft in FraudType:
        texts, which = fraud_sms_scripts(ft, np.random.default_rng(3), 40)
        assert texts == fraud_sms(ft, np.random.default_rng(3), 40)
        ids = base_script_ids(ft)
        assert all(0 <= i < len(ids) for i in which)
        assert len(set(which)) > 5  # the texts come from many scripts, not one
        assert all(sid.startswith(f"{ft.value}:base:") for sid in ids)


def test_without_drift_every_fraud_sms_names_a_base_script_of_its_type(plain: World) -> None:
    scripts = plain.tables["scripts"]
    assert set(scripts["kind"].to_pylist()) == {ScriptKind.BASE.value}
    assert set(scripts["start_ts"].to_pylist()) == {SimConfig(**SMALL).start_ts}  # type: ignore[arg-type]
    assert scripts["family_id"].equals(scripts["script_id"])
    truth = plain.tables["truth"]
    sms = truth.filter(pc.equal(truth["entity_kind"], "sms"))
    assert sms.num_rows > 1000
    assert sms["script_id"].null_count == 0
    ids, types = scripts["script_id"].to_pylist(), scripts["fraud_type"].to_pylist()
    type_of = dict(zip(ids, types, strict=True))
    assert all(  # every id is a row of `scripts`, of the SMS's own fraud type
        type_of[s] == ft
        for s, ft in zip(sms["script_id"].to_pylist(), sms["fraud_type"].to_pylist(), strict=True)
    )
    others = truth.filter(pc.not_equal(truth["entity_kind"], "sms"))
    assert others["script_id"].null_count == others.num_rows


def test_drift_changes_the_words_of_fraud_sms_and_nothing_else(
    plain: World, drifting: World
) -> None:
    for name, table in plain.tables.items():
        if name not in ("sms", "truth", "scripts"):
            assert drifting.tables[name].equals(table), name
    assert (
        drifting.tables["sms"]
        .drop_columns(["text"])
        .equals(plain.tables["sms"].drop_columns(["text"]))
    )
    assert not drifting.tables["sms"]["text"].equals(plain.tables["sms"]["text"])
    assert (
        drifting.tables["truth"]
        .drop_columns(["script_id"])
        .equals(plain.tables["truth"].drop_columns(["script_id"]))
    )
    base = plain.tables["scripts"]
    assert drifting.tables["scripts"].slice(0, base.num_rows).equals(base)


def test_drift_scripts_start_spread_over_the_period_and_are_sent_only_after(
    drifting: World,
) -> None:
    cfg = drifting.config
    assert cfg is not None
    scripts = drifting.tables["scripts"].to_pylist()
    new = [s for s in scripts if s["kind"] != ScriptKind.BASE]
    assert len(new) == len(DRIFT_SCRIPTS)
    starts = [s["start_ts"] for s in new]
    assert all(cfg.start_ts < t < cfg.end_ts - 2 * DAY_MS for t in starts)
    assert len({(t - cfg.start_ts) // DAY_MS for t in starts}) >= 6  # spread, not one day
    ids = {s["script_id"]: s for s in scripts}
    for s in new:
        if s["kind"] == ScriptKind.NEW_FAMILY:
            assert s["family_id"] == s["script_id"]
        else:  # a variant rephrases a base script of its own type
            family = ids[s["family_id"]]
            assert family["kind"] == ScriptKind.BASE
            assert family["fraud_type"] == s["fraud_type"]
    sent = _fraud_sms(drifting)
    first: dict[str, int] = {}
    for sid, ts in zip(sent["script_id"].to_pylist(), sent["ts"].to_pylist(), strict=True):
        first[sid] = min(ts, first.get(sid, ts))
    seen = [s for s in new if s["script_id"] in first]
    assert sum(s["kind"] == ScriptKind.NEW_FAMILY for s in seen) >= 5
    assert sum(s["kind"] == ScriptKind.NEW_VARIANT for s in seen) >= 4
    for s in seen:
        assert first[s["script_id"]] >= s["start_ts"], s["script_id"]


def test_drift_takes_a_growing_share_of_fraud_sms(drifting: World) -> None:
    cfg = drifting.config
    assert cfg is not None
    sent = _fraud_sms(drifting)
    ts = sent["ts"].to_numpy()
    new = np.array([":base:" not in s for s in sent["script_id"].to_pylist()])
    third = (cfg.end_ts - cfg.start_ts) // 3
    early, late = ts < cfg.start_ts + third, ts >= cfg.end_ts - third
    assert new[late].mean() > 0.25
    assert new[late].mean() > 2 * new[early].mean()


def _grams(text: str) -> set[str]:
    return {text[i : i + 3] for i in range(len(text) - 2)}


def test_new_families_are_worded_anew_not_copies_of_the_base_scripts() -> None:
    """A new family's texts share few character 3-grams with any base script's texts (about
    as few as two base scripts share), so it is something a detector has not seen."""
    base: list[set[str]] = []
    for ft in FraudType:
        base += [_grams(t) for t in fraud_sms(ft, np.random.default_rng(1), 150)]
    for script in DRIFT_SCRIPTS:
        assert len(script.templates) >= 4
        if script.kind != ScriptKind.NEW_FAMILY:
            continue
        nearest = [
            max(len(g & b) / len(g | b) for b in base)
            for g in map(_grams, drift_sms(script, np.random.default_rng(2), 30))
        ]
        assert float(np.mean(nearest)) < 0.15, script.script_id
        assert max(nearest) < 0.4, script.script_id


def test_the_same_seed_gives_the_same_drifting_world() -> None:
    config = SimConfig(people=1500, days=6, seed=9, fraud_rate=300.0, activity=0.1)
    drifting = msgspec.structs.replace(config, script_drift=True)
    a, b = simulate(drifting), simulate(drifting)
    for name, table in a.tables.items():
        assert b.tables[name].equals(table), name
    other_seed = msgspec.structs.replace(drifting, seed=10)
    assert not simulate(other_seed).tables["sms"].equals(a.tables["sms"])


def test_a_drifting_world_is_written_and_read_back_whole(drifting: World, tmp_path: Path) -> None:
    path = write_world(drifting, tmp_path / "world")
    again = read_world(path)
    assert again.config is not None and again.config.script_drift
    assert again.tables["scripts"].equals(drifting.tables["scripts"])
    assert again.tables["truth"].equals(drifting.tables["truth"])
    assert verify_world(path).intact


def test_drift_in_a_world_too_short_is_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--script-drift"):
        simulate(SimConfig(people=300, days=3, script_drift=True))
    out = tmp_path / "w"
    short = ["simulate", "--people", "300", "--days", "3", "--script-drift", "--out", str(out)]
    result = CliRunner().invoke(app, short)
    assert result.exit_code == 2
    assert "--script-drift" in result.output and "Traceback" not in result.output
    assert not out.exists()
    longer = ["simulate", "--people", "300", "--days", "4", "--script-drift", "--out", str(out)]
    ok = CliRunner().invoke(app, longer)
    assert ok.exit_code == 0, ok.output
    assert read_world(out).config.script_drift  # type: ignore[union-attr]
