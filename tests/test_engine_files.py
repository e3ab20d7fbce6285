"""The engine's files protect themselves, and the engine takes each event once (issue 11).

Model files: a checksum and every field checked before LightGBM reads a booster (no file
crashes the process; a changed character is refused, not a slightly different model).
Rules: a division by zero or a comparison with nan never fires, and is counted. Snapshots:
one consistent set, made with known rules and model. Event ids: a repeat is never counted
twice. Outputs: `--out` is checked before the work.
"""

from __future__ import annotations

import contextlib
import json
import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from engine_world import T0, registry, table, transfer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from fraudwall.cli.main import app
from fraudwall.engine import (
    FEATURES,
    MODEL_FEATURES,
    Engine,
    EngineModel,
    Outcomes,
    RuleError,
    default_model,
    default_rules,
    parse_rules,
    replay,
    time_batches,
    write_replay,
)
from fraudwall.engine.modelfile import MODEL_FORMAT, checksum
from fraudwall.engine.recent import RecentEvents
from fraudwall.engine.repeats import split_repeats
from fraudwall.engine.rules import default_rules_path
from fraudwall.engine.scorer import KindModel
from fraudwall.engine.train import collect
from fraudwall.errors import InputError
from fraudwall.intel.shipped import shipped_text_scorer
from fraudwall.sim import SimConfig, World, simulate, write_world

runner = CliRunner()


@pytest.fixture(scope="module")
def world() -> World:
    return simulate(SimConfig(people=2_000, days=6, seed=9, fraud_rate=600.0))


# ---------------------------------------------------------------------------------------
# model files
# ---------------------------------------------------------------------------------------


def _signed(doc: dict[str, Any]) -> bytes:
    """A model file of this content with a valid checksum: a file made to look right."""
    top = {"format": MODEL_FORMAT, "sha256": checksum(doc), "model": doc}
    return json.dumps(top, ensure_ascii=False).encode()


@pytest.fixture(scope="module")
def small_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small model file (a call model of a few trees), quick to load many times."""
    names = MODEL_FEATURES["call"]
    rng = np.random.default_rng(3)
    x = rng.random((600, len(names)))
    y = (x[:, 0] + 0.3 * rng.random(600) > 0.9).astype(np.int8)
    kind = KindModel.fit("call", x, y)
    kind.thresholds = {"warn": -1.0, "block": 0.5}
    path = tmp_path_factory.mktemp("model") / "model.json"
    EngineModel({"call": kind}).save(path)
    return path


def _shipped() -> Path:
    return Path(str(default_rules_path())).with_name("default_model.json")


def test_the_shipped_model_file_verifies_and_its_checksum_is_its_id() -> None:
    top = json.loads(_shipped().read_text())
    assert top["format"] == MODEL_FORMAT
    assert default_model().model_id == top["sha256"] == checksum(top["model"])


def test_a_model_file_with_one_character_changed_is_refused(tmp_path: Path) -> None:
    """Finding 8: one changed character aborted the process or changed the scores."""
    text = _shipped().read_text()
    at = text.index("leaf_value=") + len("leaf_value=") + 3  # a digit of a leaf's value
    digit = text[at]
    assert digit.isdigit()
    changed = tmp_path / "model.json"
    changed.write_text(text[:at] + str((int(digit) + 1) % 10) + text[at + 1 :])
    with pytest.raises(InputError) as info:
        EngineModel.load(changed)
    assert str(changed) in str(info.value) and "sha256" in str(info.value)
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (lambda b: b.replace("left_child=", "left_child=0 ", 1), "left_child: expected"),
        (lambda b: b.replace("num_leaves=", "num_leaves=9", 1), "expected"),
        (lambda b: b.replace("right_child=", "right_child=-1 -1 -1 ", 1), "right_child"),
        (lambda b: b.replace("Tree=1", "Tree=7", 1), "expected 'Tree=1'"),
        (lambda b: b.replace("decision_type=2", "decision_type=3", 1), "categorical"),
        (lambda b: b.replace("tree_sizes=", "tree_sizes=9", 1), "bytes, tree_sizes says"),
        (lambda b: b.replace("max_feature_idx=", "max_feature_idx=9", 1), "max_feature_idx"),
        (lambda b: b[: len(b) // 2], "ends too early"),
    ],
)
def test_a_booster_made_to_look_right_never_reaches_lightgbm(
    small_model: Path, tmp_path: Path, damage: Any, said: str
) -> None:
    """Past the checksum, the booster's text is checked line by line: LightGBM's reader
    aborts (SIGABRT) or reads out of bounds on such text."""
    doc = json.loads(small_model.read_text())["model"]
    doc["kinds"]["call"]["booster"] = damage(doc["kinds"]["call"]["booster"])
    path = tmp_path / "model.json"
    path.write_bytes(_signed(doc))
    with pytest.raises(InputError) as info:
        EngineModel.load(path)
    message = str(info.value)
    assert str(path) in message and "kinds.call.booster: line" in message and said in message


def test_a_booster_whose_children_make_a_cycle_is_refused(
    small_model: Path, tmp_path: Path
) -> None:
    doc = json.loads(small_model.read_text())["model"]
    booster = doc["kinds"]["call"]["booster"]
    start = booster.index("left_child=")
    end = booster.index("\n", start)
    values = booster[start + len("left_child=") : end].split(" ")
    values[1] = "0"  # node 1's left child is the root
    doc["kinds"]["call"]["booster"] = (
        booster[: start + len("left_child=")] + " ".join(values) + booster[end:]
    )
    path = tmp_path / "model.json"
    path.write_bytes(_signed(doc))
    with pytest.raises(InputError, match=r"reached twice|not reached"):
        EngineModel.load(path)


@pytest.mark.parametrize(
    ("thresholds", "said"),
    [
        ({"warn": -50.0, "block": 0.5}, "thresholds.warn: -50.0 is below the lowest margin"),
        ({"warn": 1.0, "block": 0.5}, "thresholds.block: 0.5 is below warn's 1.0"),
        ({"warn": -1.0, "block": float("inf")}, "thresholds.block: a finite number"),
        ({"warn": -1.0, "block": "high"}, "thresholds.block: a finite number"),
        ({"warn": -1.0, "hold": 0.5}, "thresholds.hold: not an action for a call"),
        ({"warn": True}, "thresholds.warn: a finite number"),
    ],
)
def test_thresholds_must_be_numbers_ordered_as_the_actions(
    small_model: Path, tmp_path: Path, thresholds: dict[str, Any], said: str
) -> None:
    """A threshold below the floor acts on every event; a disordered one blocks where a
    milder action was due (both were accepted)."""
    doc = json.loads(small_model.read_text())["model"]
    doc["kinds"]["call"]["thresholds"] = thresholds
    path = tmp_path / "model.json"
    path.write_bytes(_signed(doc))
    with pytest.raises(InputError) as info:
        EngineModel.load(path)
    assert said in str(info.value) and str(path) in str(info.value)


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"", "not JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[1, 2]", "no format"),
        (b'{"format": 2, "kinds": {}}', "model format 2"),
        (b'{"format": 3, "model": {}}', "missing"),
        (b"[" * 100_000, "nested too deep"),
    ],
)
def test_what_is_not_a_model_file_is_refused(tmp_path: Path, content: bytes, said: str) -> None:
    path = tmp_path / "model.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=said):
        EngineModel.load(path)


def _same_model(a: EngineModel, b: EngineModel) -> bool:
    return a.model_id == b.model_id and {
        k: (m.features, m.thresholds) for k, m in a.kinds.items()
    } == {k: (m.features, m.thresholds) for k, m in b.kinds.items()}


#: Fuzz tests run in seconds; the fixtures they read are files made once per module.
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
_edit = st.tuples(
    st.floats(0, 1), st.sampled_from(["replace", "insert", "delete"]), st.binary(max_size=2)
)


def _apply(data: bytes, edits: list[tuple[float, str, bytes]]) -> bytes:
    for where, how, what in edits:
        at = int(where * len(data))
        if how == "replace":
            data = data[:at] + what + data[at + len(what) :]
        elif how == "insert":
            data = data[:at] + what + data[at:]
        else:
            data = data[:at] + data[at + 1 :]
    return data


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(edits=st.lists(_edit, min_size=1, max_size=3))
def test_fuzz_a_changed_model_file_is_refused_or_is_the_same_model(
    small_model: Path, tmp_path: Path, edits: list[tuple[float, str, bytes]]
) -> None:
    path = tmp_path / "fuzzed.json"
    path.write_bytes(_apply(small_model.read_bytes(), edits))
    try:
        loaded = EngineModel.load(path)
    except InputError:
        return
    assert _same_model(loaded, EngineModel.load(small_model))


_text_edit = st.tuples(
    st.floats(0, 1),
    st.sampled_from(["replace", "insert", "delete"]),
    st.sampled_from([*"0123456789-.e =\nx", "inf", "nan", "Tree=", "\n\n"]),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(edits=st.lists(_text_edit, min_size=1, max_size=2))
def test_fuzz_a_changed_booster_with_a_valid_checksum_is_refused_or_scores(
    small_model: Path, tmp_path: Path, edits: list[tuple[float, str, str]]
) -> None:
    """The checksum is made right, so only the booster's own checks stand between the
    text and LightGBM: a refusal, or a model that scores (never a crash)."""
    doc = json.loads(small_model.read_text())["model"]
    booster = doc["kinds"]["call"]["booster"]
    for where, how, what in edits:
        at = int(where * len(booster))
        if how == "replace":
            booster = booster[:at] + what + booster[at + 1 :]
        elif how == "insert":
            booster = booster[:at] + what + booster[at:]
        else:
            booster = booster[:at] + booster[at + 1 :]
    doc["kinds"]["call"]["booster"] = booster
    path = tmp_path / "fuzzed.json"
    path.write_bytes(_signed(doc))
    try:
        model = EngineModel.load(path)
    except InputError:
        return
    scorer = model.kinds["call"]
    x = np.random.default_rng(0).random((300, len(scorer.features))) * 10
    x[::5, 0] = np.nan
    assert np.isfinite(scorer.margin(x)).all()
    assert np.isfinite(scorer.contributions(x[:20])).all()


def test_saving_a_model_twice_gives_the_same_bytes(small_model: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.json"
    EngineModel.load(small_model).save(again)
    assert again.read_bytes() == small_model.read_bytes()


# ---------------------------------------------------------------------------------------
# rules: undefined values never fire, and are counted
# ---------------------------------------------------------------------------------------

RULE = """version = "t"

[[rule]]
name = "{name}"
when = "{when}"
action = "block"
severity = 90
reason = "x"
applies_to = "transfer"
"""


def test_a_rule_that_divides_by_zero_at_run_time_never_fires_and_is_counted(
    world: World,
) -> None:
    """Finding 9: `1/0 > 1` blocked 100 % of transfers; `x / (y - y)` is the same at run
    time. Undefined rows do not fire and are counted in the replay's metrics."""
    when = "amount_fen / (payer_transfers_24h - payer_transfers_24h) > 1"
    rules = parse_rules(RULE.format(name="zero_divisor", when=when))
    result = replay(world.tables, rules=rules)
    transfers = result.decisions.filter(pc.equal(result.decisions["kind"], "transfer"))
    assert transfers.num_rows > 1000
    assert pc.sum(pc.equal(transfers["action"], "block")).as_py() == 0
    assert result.metrics is not None
    assert result.metrics["rule_rows_undefined"] == {"zero_divisor": transfers.num_rows}


def _feature_batch(rng: np.random.Generator, n: int = 16) -> dict[str, dict[str, np.ndarray]]:
    """Every registered feature of each kind, with nan and zeros among the values."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for kind, names in FEATURES.items():
        columns = {}
        for name in names:
            values = rng.choice([0.0, 1.0, -3.0, 0.5, 1e6, math.nan], n)
            columns[name] = values
        out[kind] = columns
    return out


_rule_edit = st.tuples(
    st.floats(0, 1),
    st.sampled_from(["replace", "insert", "delete"]),
    st.sampled_from([*"0/()-+*=\"'[]# \nx", "/ 0", " or ", " not ", "nan", "1e999"]),
)


@settings(max_examples=120, deadline=None)
@given(edits=st.lists(_rule_edit, min_size=1, max_size=3))
def test_fuzz_a_changed_rule_file_is_a_rule_error_or_rules_that_evaluate(
    edits: list[tuple[float, str, str]],
) -> None:
    text = default_rules_path().read_text(encoding="utf-8")
    for where, how, what in edits:
        at = int(where * len(text))
        if how == "replace":
            text = text[:at] + what + text[at + 1 :]
        elif how == "insert":
            text = text[:at] + what + text[at:]
        else:
            text = text[:at] + text[at + 1 :]
    try:
        rules = parse_rules(text)
    except RuleError as e:
        assert isinstance(e, InputError) and e.reason
        return
    batch = _feature_batch(np.random.default_rng(1))
    for kind, features in batch.items():
        hits = rules.evaluate(kind, features)
        assert hits.fired.shape == (16, len(rules.active(kind)))
        assert (hits.undefined <= 16).all()


@settings(max_examples=80, deadline=None)
@given(text=st.text(max_size=300))
def test_fuzz_any_text_is_a_rule_error_or_rules(text: str) -> None:
    with contextlib.suppress(RuleError):
        parse_rules(text)


# ---------------------------------------------------------------------------------------
# each event once
# ---------------------------------------------------------------------------------------


def _transfers(rows: list[dict[str, Any]]) -> pa.Table:
    return table("transfers", rows)


def test_split_repeats_drops_identical_repeats_and_rejects_conflicting_ones() -> None:
    rows = [
        transfer("X1", T0, "A1", "M1", 1_000),
        transfer("X2", T0 + 1, "A2", "M1", 2_000),
        transfer("X1", T0 + 2, "A1", "M1", 1_000),  # X1 again, but later: conflicting
        transfer("X2", T0 + 1, "A2", "M1", 2_000),  # identical
        transfer("X3", T0 + 3, "A1", "M1", 3_000),
        transfer("X3", T0 + 3, "A1", "M1", 3_500),  # conflicting: the amount
    ]
    calls = table("calls", [
        {"event_id": "X3", "ts": T0 + 4, "institution_id": "T1", "caller": "+1", "callee": "+2",
         "duration_ms": 5, "gateway": "domestic", "presented_number": "+1"},
    ])  # fmt: skip
    split = split_repeats({"transfers": _transfers(rows), "calls": calls})
    assert split.tables["transfers"]["event_id"].to_pylist() == ["X1", "X2", "X3"]
    assert split.tables["transfers"]["amount_fen"].to_pylist() == [1_000, 2_000, 3_000]
    assert split.tables["calls"].num_rows == 0
    assert split.duplicates == {"transfers": 1, "calls": 0}
    reasons = {(r["table"], r["event_id"]): r["reason"] for r in split.rejected.to_pylist()}
    assert reasons == {  # rows named by their 1-based position in their table, as `check` does
        ("transfers", "X1"): "event_id: conflicts with row 1 (ts differs)",
        ("transfers", "X3"): "event_id: conflicts with row 5 (amount_fen differs)",
        (
            "calls",
            "X3",
        ): "event_id: conflicts with row 5 of transfers (the same id in another table)",
    }
    record = split.rejected.filter(pc.equal(split.rejected["event_id"], "X3"))["record"][0]
    assert json.loads(record.as_py())["amount_fen"] == 3_500


def test_the_earliest_record_of_an_id_is_the_one_taken() -> None:
    """A history split whole keeps what a stream in time batches would have taken first:
    the earliest record, whatever its table or row."""
    rows = [transfer("X1", T0 + 9, "A1", "M1", 1_000), transfer("X1", T0, "A1", "M1", 1_000)]
    calls = table("calls", [
        {"event_id": "X1", "ts": T0 - 1, "institution_id": "T1", "caller": "+1", "callee": "+2",
         "duration_ms": 5, "gateway": "domestic", "presented_number": "+1"},
    ])  # fmt: skip
    split = split_repeats({"transfers": _transfers(rows), "calls": calls})
    assert split.tables["calls"]["event_id"].to_pylist() == ["X1"]
    assert split.tables["transfers"].num_rows == 0
    assert (
        split.rejected["reason"].to_pylist()
        == ["event_id: conflicts with row 1 of calls (the same id in another table)"] * 2
    )


@settings(max_examples=60, deadline=None)
@given(ids=st.lists(st.sampled_from(["a", "b", "c", "d", None]), max_size=30))
def test_split_repeats_keeps_each_id_once_and_accounts_for_every_row(
    ids: list[str | None],
) -> None:
    t = pa.table({"event_id": pa.array(ids, pa.string()), "ts": list(range(len(ids)))})
    split = split_repeats({"t": t})
    kept = split.tables["t"]["event_id"].to_pylist()
    named = [i for i in kept if i is not None]
    assert len(named) == len(set(named)) == len({i for i in ids if i is not None})
    assert kept.count(None) == ids.count(None)  # a missing id is no repeat
    assert len(kept) + split.n_duplicates + split.rejected.num_rows == len(ids)


def test_process_takes_a_repeated_event_once(tmp_path: Path) -> None:
    """Finding 3: decisions carried repeated ids and the same money counted twice."""
    rows = [transfer("X1", T0, "A1", "M1", 90_000), transfer("X1", T0, "A1", "M1", 90_000),
            transfer("X1", T0, "A1", "M1", 95_000)]  # fmt: skip
    engine = Engine.for_world(registry())
    result = engine.process({"transfers": _transfers(rows)})
    assert result.decisions["event_id"].to_pylist() == ["X1"]
    assert result.duplicates == 1
    assert result.rejected["event_id"].to_pylist() == ["X1"]
    assert "amount_fen" in result.rejected["reason"][0].as_py()
    ids = engine.state.keys["accounts"].lookup(["M1"], add=False)
    inflow = engine.state.payee_24h.total("in_fen", ids, np.array([T0 + 1]))
    assert int(inflow[0]) == 90_000


def _snapshot_bytes(engine: Engine, directory: Path) -> dict[str, bytes]:
    engine.snapshot(directory)
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_a_repeat_of_an_event_absorbed_earlier_changes_nothing(tmp_path: Path) -> None:
    engine = Engine.for_world(registry())
    engine.process({"transfers": _transfers([transfer("X1", T0, "A1", "M1", 90_000)])})
    before = _snapshot_bytes(engine, tmp_path / "before")
    again = engine.process({"transfers": _transfers([transfer("X1", T0, "A1", "M1", 90_000)])})
    assert again.decisions.num_rows == 0 and again.duplicates == 1
    assert again.rejected.num_rows == 0
    assert _snapshot_bytes(engine, tmp_path / "after") == before
    other = engine.process({"transfers": _transfers([transfer("X1", T0, "A1", "M1", 1)])})
    assert other.decisions.num_rows == 0 and other.duplicates == 0
    assert other.rejected["reason"].to_pylist() == [
        "event_id: conflicts with a record taken in an earlier batch "
        "(table, ts or a number differs)"
    ]
    assert _snapshot_bytes(engine, tmp_path / "other") == before


def test_absorb_takes_a_reported_event_once() -> None:
    engine = Engine.for_world(registry())
    batch = {"transfers": _transfers([transfer("X1", T0, "A1", "M1", 90_000)])}
    for _ in range(3):  # a bank that reports the same outcome three times
        decided = engine.decide(batch)
        engine.absorb(batch, Outcomes.reported(decided, {"X1": "executed"}))
    ids = engine.state.keys["accounts"].lookup(["M1"], add=False)
    assert int(engine.state.payee_24h.total("in_fen", ids, np.array([T0 + 1]))[0]) == 90_000


def test_decide_answers_once_per_event_id() -> None:
    engine = Engine.for_world(registry())
    rows = [transfer("X1", T0, "A1", "M1", 90_000), transfer("X1", T0, "A1", "M1", 90_000),
            transfer("X2", T0, "A2", "M1", 5_000)]  # fmt: skip
    assert engine.decide({"transfers": _transfers(rows)})["event_id"].to_pylist() == ["X1", "X2"]


def _with_repeats(world: World) -> tuple[dict[str, pa.Table], int, list[str]]:
    """The world's tables with every fraud payment sent twice, and one sent again with
    another amount; the count of identical repeats and the conflicting ids."""
    tables = dict(world.tables)
    transfers = tables["transfers"]
    truth = tables["truth"]
    fraud = truth.filter(pc.equal(truth["role"], "fraud_payment"))["entity_id"]
    is_fraud = pc.is_in(transfers["event_id"], value_set=fraud)
    again = transfers.filter(is_fraud)
    changed = again.slice(0, 1).to_pylist()
    changed[0]["amount_fen"] += 1
    doubled = pa.concat_tables([transfers, again, pa.Table.from_pylist(changed, transfers.schema)])
    order = pc.sort_indices(doubled, [("ts", "ascending")])  # stable: repeats after the first
    tables["transfers"] = doubled.take(order)
    return tables, again.num_rows, [changed[0]["event_id"]]


def test_replay_counts_repeated_fraud_money_once(world: World, tmp_path: Path) -> None:
    """Finding 3: a replay counted the same fraud money twice (every metric changed)."""
    clean = replay(world.tables)
    tables, n_repeats, conflicting = _with_repeats(world)
    dirty = replay(tables)
    assert dirty.decisions.equals(clean.decisions)
    assert dirty.warnings.equals(clean.warnings)
    assert clean.metrics is not None and dirty.metrics is not None
    changing = {"seconds", "events_per_s", "events", "duplicates", "rejected"}
    assert {k: v for k, v in dirty.metrics.items() if k not in changing} == {
        k: v for k, v in clean.metrics.items() if k not in changing
    }
    assert dirty.metrics["duplicates"] == n_repeats and dirty.metrics["rejected"] == 1
    out = write_replay(dirty, tmp_path / "replay")
    rejected = pq.read_table(out / "rejected.parquet")
    assert rejected["event_id"].to_pylist() == conflicting
    assert "amount_fen" in rejected["reason"][0].as_py()


def test_training_data_takes_each_event_once(world: World) -> None:
    tables, _, _ = _with_repeats(world)
    got = collect(tables, ("transfer",), batch_events=20_000)
    want = collect(world.tables, ("transfer",), batch_events=20_000)
    x, ids, ts = got["transfer"]
    assert ids.equals(want["transfer"][1])
    assert np.array_equal(ts, want["transfer"][2]) and np.allclose(
        x, want["transfer"][0], equal_nan=True
    )


def test_collect_keeps_features_ids_and_times_aligned_when_a_batch_repeats() -> None:
    rows = [transfer("X1", T0, "A1", "M1", 90_000), transfer("X1", T0, "A1", "M1", 90_000),
            transfer("X2", T0 + 5, "A2", "M1", 5_000)]  # fmt: skip
    tables = {**registry(), "transfers": _transfers(rows)}
    x, ids, ts = collect(tables, ("transfer",))["transfer"]
    assert ids.to_pylist() == ["X1", "X2"] and ts.tolist() == [T0, T0 + 5] and len(x) == 2


# ---------------------------------------------------------------------------------------
# snapshots
# ---------------------------------------------------------------------------------------


def _two_snapshots(world: World, tmp_path: Path) -> tuple[Path, Path]:
    engine = Engine.for_world(world.tables)
    batches = list(time_batches(world.tables, 40_000))
    engine.process(batches[0])
    engine.snapshot(tmp_path / "one")
    engine.process(batches[1])
    engine.snapshot(tmp_path / "two")
    return tmp_path / "one", tmp_path / "two"


def test_a_snapshot_names_every_file_with_its_checksum_and_what_made_it(
    world: World, tmp_path: Path
) -> None:
    one, _ = _two_snapshots(world, tmp_path)
    manifest = json.loads((one / "manifest.json").read_text())
    files = {p.name for p in one.iterdir()} - {"manifest.json"}
    assert set(manifest["files"]) == files and "state.npz" in files
    assert manifest["rules_id"] == default_rules().digest
    assert manifest["model_id"] == EngineModel().model_id
    assert Engine.restore(one).state.clock == Engine.restore(one).state.clock


def test_a_snapshot_mixed_from_two_snapshots_is_refused(world: World, tmp_path: Path) -> None:
    """Finding 8: files of two snapshots restored, then decided differently."""
    one, two = _two_snapshots(world, tmp_path)
    shutil.copy(two / "state.npz", one / "state.npz")
    with pytest.raises(InputError) as info:
        Engine.restore(one)
    assert str(one / "state.npz") in str(info.value)
    assert "different snapshots" in str(info.value)


def test_a_snapshot_with_a_file_missing_is_refused(world: World, tmp_path: Path) -> None:
    one, _ = _two_snapshots(world, tmp_path)
    (one / "keys_accounts.arrow").unlink()
    with pytest.raises(InputError, match=r"keys_accounts\.arrow: missing"):
        Engine.restore(one)


def test_a_snapshot_is_restored_only_with_the_rules_and_model_it_was_made_with(
    world: World, tmp_path: Path
) -> None:
    one, _ = _two_snapshots(world, tmp_path)
    other_rules = parse_rules(RULE.format(name="big", when="amount_fen > 100000000"))
    with pytest.raises(InputError, match="made with another rules"):
        Engine.restore(one, rules=other_rules)
    with pytest.raises(InputError, match="made with another model"):
        Engine.restore(one, model=default_model(), text_scorer=shipped_text_scorer())
    with pytest.raises(InputError, match="made with another world"):
        Engine.restore(one, world_id="0123456789abcdef")
    assert Engine.restore(one, rules=default_rules()).state.clock > 0


def test_writing_a_snapshot_is_all_or_nothing(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, _ = _two_snapshots(world, tmp_path)
    before = {p.name: p.read_bytes() for p in one.iterdir()}
    engine = Engine.restore(one)
    engine.process(list(time_batches(world.tables, 40_000))[1])

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("fraudwall.engine.state.feather.write_feather", broken)
    with pytest.raises(OSError, match="No space"):
        engine.snapshot(one)
    assert {p.name: p.read_bytes() for p in one.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one", "two"]  # no temporary left


def test_a_snapshot_is_not_written_over_a_folder_of_other_files(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="an engine snapshot would replace them"):
        Engine.for_world(registry()).snapshot(folder)
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


# ---------------------------------------------------------------------------------------
# replays bound to their world; outputs checked before the work
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world_dir(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_world(world, tmp_path_factory.mktemp("world"))


def test_a_replay_records_the_world_rules_and_model_it_was_made_from(
    world: World, world_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "replay"
    result = runner.invoke(app, ["replay", str(world_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    metrics = json.loads((out / "metrics.json").read_text())
    made_from = {
        "world_id": world.world_id,
        "rules_id": default_rules().digest,
        "model_id": default_model().model_id,
    }
    assert world.world_id is not None
    for key, value in made_from.items():
        assert manifest[key] == metrics[key] == value
    assert set(manifest["files"]) == {
        "decisions.parquet", "warnings.parquet", "rejected.parquet", "metrics.json",
    }  # fmt: skip
    assert (
        manifest["files"]["decisions.parquet"]["rows"]
        == pq.read_metadata(out / "decisions.parquet").num_rows
    )


def test_train_out_naming_a_folder_is_refused_before_training(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["train", "--world", str(tmp_path / "no-world"), "--out", str(tmp_path)]
    )
    said = " ".join(result.output.split())
    assert result.exit_code == 2
    assert "--out" in said and "is a folder" in said


def test_train_out_naming_a_file_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    result = runner.invoke(app, ["train", "--world", str(tmp_path / "w"), "--out", str(notes)])
    assert result.exit_code == 2
    assert "not a fraudwall model file" in " ".join(result.output.split())
    assert notes.read_text() == "my notes"


@pytest.mark.parametrize("command", ["train", "replay"])
def test_out_in_a_place_that_cannot_be_written_is_refused_first(
    tmp_path: Path, command: str
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    out = blocker / "sub" / ("model.json" if command == "train" else "replay")
    args = ["train", "--world", str(tmp_path / "w")] if command == "train" else [
        "replay", str(tmp_path / "w")]  # fmt: skip
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "--out" in said and "is a file, so" in said and "cannot be made" in said


def test_replay_out_naming_an_existing_file_is_refused_first(tmp_path: Path) -> None:
    existing = tmp_path / "results.parquet"
    existing.write_bytes(b"keep")
    result = runner.invoke(app, ["replay", str(tmp_path / "no-world"), "--out", str(existing)])
    said = " ".join(result.output.split())
    assert result.exit_code == 2
    assert "--out" in said and "is a file" in said
    assert existing.read_bytes() == b"keep"


class _Generations:
    """The memory's meaning, in plain Python: two generations of id -> fingerprint."""

    def __init__(self, memory_ms: int) -> None:
        self.memory_ms, self.since = memory_ms, -1
        self.previous: dict[int, int] = {}
        self.current: dict[int, int] = {}

    def remember(self, keys: list[int], prints: list[int], now: int) -> None:
        if self.since < 0:
            self.since = now
        elif now - self.since >= self.memory_ms:
            self.previous = self.current if now - self.since < 2 * self.memory_ms else {}
            self.current, self.since = {}, now
        self.current.update(zip(keys, prints, strict=True))

    def find(self, key: int) -> int:
        return self.current.get(key, self.previous.get(key, 0))


@settings(max_examples=80, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            # small hashes share slots, tags and top bits; large ones spread out
            st.lists(st.one_of(st.integers(1, 5_000), st.integers(1, 2**64 - 1)), max_size=40),
            st.integers(0, 30),  # time passing
            st.booleans(),  # snapshot and restore here
        ),
        max_size=12,
    )
)
def test_recent_events_remember_what_they_were_told_for_their_generations(
    steps: list[tuple[list[int], int, bool]],
) -> None:
    memory, reference, now = RecentEvents(memory_ms=20), _Generations(20), 0
    mentioned = {k for keys, _, _ in steps for k in keys}
    queries = np.array(sorted(mentioned | set(range(1, 5_001))), np.uint64)
    for keys, wait, restart in steps:
        now += wait
        fresh = [k for k in dict.fromkeys(keys) if reference.find(k) == 0]
        prints = [(k * 7) % 2**64 | 1 for k in fresh]
        memory.remember(np.array(fresh, np.uint64), np.array(prints, np.uint64), now)
        reference.remember(fresh, prints, now)
        if restart:
            memory = RecentEvents.from_state(memory.state_dict())
        assert memory.find(queries).tolist() == [reference.find(int(q)) for q in queries]
