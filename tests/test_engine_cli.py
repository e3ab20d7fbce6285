"""`fraudwall train` and `fraudwall replay` on a small simulated world."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from fraudwall.cli.main import app
from fraudwall.engine import EngineModel, default_model
from fraudwall.engine.featureset import MODEL_FEATURES
from fraudwall.engine.modelfile import MODEL_FORMAT, checksum
from fraudwall.engine.scoring import MIN_MARGIN
from fraudwall.intel import text
from fraudwall.intel.shipped import shipped_engine

runner = CliRunner()


def signed(doc: dict[str, object]) -> str:
    """A model file of this content, with its checksum: what a file made to look right
    (past the checksum) says, for the checks of its fields."""
    return json.dumps({"format": MODEL_FORMAT, "sha256": checksum(doc), "model": doc})


METRIC_KEYS = (
    "precision_stop", "recall_stop", "precision_warn", "recall_warn", "intercepted_share",
    "intercepted_or_warned_share", "legit_stopped_share", "by_fraud_type", "by_rule",
)  # fmt: skip


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    args = ["simulate", "--people", "3000", "--days", "10", "--seed", "3"]
    result = runner.invoke(app, [*args, "--fraud-rate", "800", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def model_file(world_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model") / "model.json"
    result = runner.invoke(app, ["train", "--world", str(world_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_train_writes_a_model_for_each_kind_with_its_thresholds(model_file: Path) -> None:
    model = EngineModel.load(model_file)
    assert set(model.kinds) == {"transfer", "call", "sms"}
    # trained reading the SMS with the shipped text model: it needs one to decide, and
    # `replay` (below, with this file) gives it one
    assert model.trained_on["text_scorer"] is True
    assert model.needs_text_scorer == "sms_fraud_probability"
    t = model.kinds["transfer"].thresholds  # margins (log-odds): the costlier, the higher
    assert MIN_MARGIN <= t["warn"] <= t["delay"] <= t["hold"] <= t["block"]


def test_replay_writes_decisions_warnings_and_metrics(
    world_dir: Path, model_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "replay"
    args = ["replay", str(world_dir), "--model", str(model_file), "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    decisions = pq.read_table(out / "decisions.parquet")
    events = sum(pq.read_metadata(world_dir / f"{t}.parquet").num_rows
                 for t in ("transfers", "calls", "sms"))  # fmt: skip
    assert decisions.num_rows == events
    assert pq.read_table(out / "warnings.parquet").num_rows > 0
    metrics = json.loads((out / "metrics.json").read_text())
    for key in METRIC_KEYS:
        assert key in metrics
    assert 0 <= metrics["legit_stopped_share"] <= 1
    assert metrics["intercepted_share"] <= metrics["intercepted_or_warned_share"]


def test_replay_refuses_a_bad_rule_file_naming_the_rule(world_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "rules.toml"
    bad.write_text(
        'version = "1"\n\n[[rule]]\nname = "typo"\nwhen = "amount_fne > 1"\n'
        'action = "block"\nseverity = 10\nreason = "x"\napplies_to = "transfer"\n'
    )
    result = runner.invoke(app, ["replay", str(world_dir), "--rules", str(bad), "--out", "x"])
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "typo" in said and "amount_fne" in said


def test_replay_refuses_a_model_trained_on_other_features(
    world_dir: Path, model_file: Path, tmp_path: Path
) -> None:
    doc = json.loads(model_file.read_text())["model"]
    names = doc["kinds"]["transfer"]["features"]
    for features in (["amount_fen"], [*names[:-1], "payee_star_sign"]):
        doc["kinds"]["transfer"]["features"] = features
        stale = tmp_path / "stale.json"
        stale.write_text(signed(doc))
        args = ["replay", str(world_dir), "--model", str(stale), "--out", "x"]
        result = runner.invoke(app, args)
        assert result.exit_code == 2
        assert "train it again" in " ".join(result.output.split())  # rich wraps long lines


def test_the_shipped_model_matches_the_features_the_engine_computes() -> None:
    model = default_model()
    for kind, m in model.kinds.items():
        assert m.features == MODEL_FEATURES[kind]
    # it reads the SMS with the shipped text model, which every user-facing engine gets
    assert model.needs_text_scorer == "sms_fraud_probability"
    shipped = shipped_engine()
    assert shipped.text_scorer is text.default_model()
    assert shipped.model is not None and shipped.model.model_id == model.model_id


def test_replay_uses_the_shipped_model_unless_told_rules_only(
    world_dir: Path, tmp_path: Path
) -> None:
    for flags, modelled in (([], True), (["--rules-only"], False)):
        out = tmp_path / ("model" if modelled else "rules")
        result = runner.invoke(app, ["replay", str(world_dir), "--out", str(out), *flags])
        assert result.exit_code == 0, result.output
        assert json.loads((out / "metrics.json").read_text())["model"] is modelled


def test_train_from_labelled_event_files_sets_bad_rows_aside(
    world_dir: Path, tmp_path: Path
) -> None:
    truth = pq.read_table(world_dir / "truth.parquet")
    fraud = truth.filter(
        pc.is_in(truth["role"], value_set=pa.array(["fraud_payment", "fraud_contact"]))
    )
    files = []
    for name in ("transfers", "calls", "sms"):
        events = pq.read_table(world_dir / f"{name}.parquet")
        label = pc.is_in(events["event_id"], value_set=fraud["entity_id"]).cast(pa.int8())
        files.append((name, events.append_column("label", label)))
    transfers = files[0][1]
    bad = transfers.slice(0, 2).to_pylist()
    bad[0]["amount_fen"] = -5
    bad[0]["event_id"] = "BAD1"
    bad[1]["label"] = 7
    bad[1]["event_id"] = "BAD2"
    files[0] = (
        "transfers",
        pa.concat_tables([transfers, pa.Table.from_pylist(bad, transfers.schema)]),
    )
    paths = []
    for name, table in files:
        path = tmp_path / f"{name}.csv" if name == "sms" else tmp_path / f"{name}.parquet"
        if name == "sms":
            pacsv.write_csv(table, path)
        else:
            pq.write_table(table, path)
        paths.append(path)
    out = tmp_path / "model.json"
    args = ["train", "--world", str(world_dir), "--out", str(out)]
    for p in paths:
        args += ["--labelled", str(p)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    model = EngineModel.load(out)
    assert set(model.kinds) == {"call", "sms", "transfer"}
    rejected = pq.read_table(tmp_path / "transfers.parquet.rejected.parquet").to_pylist()
    reasons = {r["event_id"]: r["reason"] for r in rejected}
    assert reasons == {"BAD1": "amount_fen: must be > 0, got -5",
                       "BAD2": "label: must be 0 or 1, got '7'"}  # fmt: skip


def test_train_refuses_a_file_that_fits_no_event_table(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("who,what,label\na,b,1\n", encoding="utf-8")
    result = runner.invoke(app, ["train", "--labelled", str(path), "--out", str(tmp_path / "m")])
    assert result.exit_code == 2 and "fit none of transfers, calls, sms" in result.output


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"weights": None}, "weights and bias must be numbers"),
        ({"weights": [1.0, 2.0]}, "the call priority has 2 weights"),
        ({"bias": float("nan")}, "not finite"),
        ({"inputs": ["age"]}, "train the model again"),
    ],
)
def test_replay_refuses_a_model_whose_call_priority_is_damaged(
    world_dir: Path, model_file: Path, tmp_path: Path, change: dict[str, object], said: str
) -> None:
    doc = json.loads(model_file.read_text())["model"]
    doc["call_priority"] = {**doc["call_priority"], **change}
    bad = tmp_path / "bad.json"
    bad.write_text(signed(doc))
    result = runner.invoke(app, ["replay", str(world_dir), "--model", str(bad), "--out", "x"])
    assert result.exit_code == 2
    assert said in " ".join(result.output.split())
