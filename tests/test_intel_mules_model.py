"""The mule model on simulated worlds: labels, a useful F1 on a world of another seed, and
`fraudwall mules train|score|eval` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from fraudwall.cli.main import app
from fraudwall.errors import InputError
from fraudwall.intel import EntityModel
from fraudwall.intel.mules import account_features, evaluate, mule_labels, score, train
from fraudwall.sim import SimConfig, World, simulate, write_world

runner = CliRunner()


@pytest.fixture(scope="module")
def world() -> World:
    return simulate(SimConfig(people=3_000, days=8, seed=4, fraud_rate=800.0))


@pytest.fixture(scope="module")
def other_world() -> World:
    return simulate(SimConfig(people=2_000, days=7, seed=10, fraud_rate=600.0))


@pytest.fixture(scope="module")
def model(world: World) -> EntityModel:
    return train(world.tables, seed=1)


def test_mule_labels_take_the_mule_roles_of_accounts_only() -> None:
    truth = pa.table({
        "entity_kind": ["account", "account", "account", "account", "phone", "account"],
        "entity_id": ["m", "f", "c", "v", "x", "m"],
        "role": ["mule", "first_hop_mule", "cash_out", "victim_account", "mule", "laundering"],
    })  # fmt: skip
    ids = pa.array(["m", "f", "c", "v", "x", "nobody"])
    got = mule_labels({"truth": truth}, ids)
    assert got.tolist() == [True, True, True, False, False, False]
    with pytest.raises(InputError, match="truth"):
        mule_labels({}, ids)


def test_trained_model_finds_mules_in_a_world_of_another_seed(
    model: EntityModel, other_world: World
) -> None:
    assert model.kind == "account" and model.key == "account_id"
    got = evaluate(model, other_world.tables)
    assert got["positives"] > 50
    assert got["f1"] >= 0.8 and got["auprc"] >= 0.8


def test_scores_come_with_reasons_that_name_features(
    model: EntityModel, other_world: World
) -> None:
    scores = score(model, other_world.tables)
    accounts = account_features(other_world.tables)
    assert scores["account_id"].to_pylist() == accounts["account_id"].to_pylist()
    flagged = scores.filter(scores["flagged"])
    assert flagged.num_rows > 0
    reasons = flagged["reasons"].to_pylist()
    assert all(r and r[0]["feature"] in model.features for r in reasons)
    labels = mule_labels(other_world.tables, flagged["account_id"])
    assert labels.mean() > 0.8  # what it flags are mostly mules


@pytest.fixture(scope="module")
def world_dir(other_world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_world(other_world, tmp_path_factory.mktemp("mules") / "world")


def test_cli_train_score_eval_round_trip(world_dir: Path, tmp_path: Path) -> None:
    model_file = tmp_path / "mules.json"
    trained = runner.invoke(app, ["mules", "train", str(world_dir), "--out", str(model_file)])
    assert trained.exit_code == 0, trained.output
    assert EntityModel.load(model_file, kind="account").features

    parquet = tmp_path / "scores.parquet"
    scored = runner.invoke(
        app, ["mules", "score", str(world_dir), "--model", str(model_file), "--out", str(parquet)]
    )
    assert scored.exit_code == 0, scored.output
    table = pq.read_table(parquet)
    assert table.column_names[:3] == ["account_id", "score", "flagged"]
    assert table.num_rows == account_features(dict(pq_tables(world_dir))).num_rows

    csv = tmp_path / "scores.csv"
    as_csv = runner.invoke(
        app, ["mules", "score", str(world_dir), "--model", str(model_file), "--out", str(csv)]
    )
    assert as_csv.exit_code == 0, as_csv.output
    assert csv.read_text(encoding="utf-8").startswith('"account_id","score","flagged","reasons"')

    evaluated = runner.invoke(app, ["mules", "eval", str(world_dir), "--model", str(model_file)])
    assert evaluated.exit_code == 0, evaluated.output
    metrics = json.loads(evaluated.stdout.strip().splitlines()[-1])
    assert set(metrics) >= {"precision", "recall", "f1", "auprc", "threshold"}
    assert metrics["f1"] > 0.8
    assert np.isclose(metrics["threshold"], EntityModel.load(model_file).threshold, atol=1e-6)


def pq_tables(world_dir: Path) -> dict[str, pa.Table]:
    from fraudwall.sim import read_world

    return dict(read_world(world_dir).tables)


def test_cli_names_a_missing_world_and_a_bad_model_without_a_traceback(
    world_dir: Path, tmp_path: Path
) -> None:
    missing = runner.invoke(
        app, ["mules", "eval", str(tmp_path / "nowhere"), "--model", str(tmp_path / "m.json")]
    )
    assert missing.exit_code == 2
    assert "no such" in " ".join(missing.output.split()) and "Traceback" not in missing.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}', encoding="utf-8")
    refused = runner.invoke(app, ["mules", "eval", str(world_dir), "--model", str(bad)])
    assert refused.exit_code == 2
    said = " ".join(refused.output.split())  # the console wraps long lines
    assert said.startswith("error: --model:") and "not a fraudwall entity model" in said
    assert "Traceback" not in refused.output
    wrong_suffix = runner.invoke(
        app, ["mules", "score", str(world_dir), "--model", str(bad), "--out", "x.txt"]
    )
    assert wrong_suffix.exit_code == 2 and ".parquet or .csv" in wrong_suffix.output
