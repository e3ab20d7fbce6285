"""The fraud-number model on small simulated worlds: trained on one seed it finds the
fraud numbers of another, says why, and the `fraudwall numbers` commands do the same
from folders and files, failing in one line on a bad world or model."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from fraudwall.cli.main import app
from fraudwall.errors import InputError
from fraudwall.intel import EntityModel
from fraudwall.intel.numbers import evaluate, fraud_number_labels, number_features, score, train
from fraudwall.sim import SimConfig, World, simulate, write_world

runner = CliRunner()


def _world(seed: int) -> World:
    return simulate(SimConfig(people=3_000, days=10, seed=seed, fraud_rate=600.0))


@pytest.fixture(scope="module")
def model() -> EntityModel:
    return train(_world(4).tables, seed=1)


@pytest.fixture(scope="module")
def unseen() -> World:
    return _world(5)


def test_a_model_trained_on_one_world_finds_the_fraud_numbers_of_another(
    model: EntityModel, unseen: World
) -> None:
    assert (model.kind, model.key) == ("number", "number")
    got = evaluate(model, unseen.tables)
    assert got["positives"] >= 20
    assert got["f1"] >= 0.8 and got["auprc"] >= 0.8


def test_scores_flag_fraud_numbers_with_reasons(model: EntityModel, unseen: World) -> None:
    scored = score(model, unseen.tables)
    assert scored.column_names == ["number", "score", "flagged", "reasons"]
    labels = fraud_number_labels(unseen.tables, scored["number"])
    flagged = scored["flagged"].to_numpy(zero_copy_only=False)
    assert (flagged & labels).sum() >= 0.8 * labels.sum()
    top = scored["reasons"].to_pylist()[int(np.argmax(scored["score"].to_numpy()))]
    assert top and {"feature", "value", "weight"} <= set(top[0])
    assert top[0]["feature"] in model.features


def test_a_model_of_another_kind_is_refused(unseen: World) -> None:
    features = number_features(unseen.tables)
    table = features.rename_columns(["account_id", *features.column_names[1:]])
    labels = fraud_number_labels(unseen.tables, table["account_id"])
    other = EntityModel.fit("account", "account_id", table, labels)
    with pytest.raises(InputError, match="not of fraud numbers"):
        score(other, unseen.tables)


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory: pytest.TempPathFactory, unseen: World) -> Path:
    return write_world(unseen, tmp_path_factory.mktemp("numbers") / "world")


def test_cli_train_score_eval_round_trip(world_dir: Path, tmp_path: Path) -> None:
    model_file = tmp_path / "numbers.json"
    result = runner.invoke(app, ["numbers", "train", str(world_dir), "--out", str(model_file)])
    assert result.exit_code == 0, result.output
    assert EntityModel.load(model_file, kind="number").trained_on["source"] == str(world_dir)

    for name in ("scores.parquet", "scores.csv"):
        out = tmp_path / name
        args = ["numbers", "score", str(world_dir), "--model", str(model_file), "--out", str(out)]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    table = pq.read_table(tmp_path / "scores.parquet")
    with (tmp_path / "scores.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == table.num_rows > 0
    assert [r["number"] for r in rows] == table["number"].to_pylist()
    flagged = [r for r in rows if r["flagged"] == "true"]
    assert flagged and all("=" in r["reasons"] for r in flagged)

    result = runner.invoke(app, ["numbers", "eval", str(world_dir), "--model", str(model_file)])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"precision", "recall", "f1", "auprc", "threshold"} <= set(figures)
    assert figures["f1"] >= 0.8  # trained and evaluated on the same world


def test_cli_errors_are_one_line_without_a_traceback(
    world_dir: Path, tmp_path: Path, model: EntityModel
) -> None:
    good = model.save(tmp_path / "good.json")
    not_a_model = tmp_path / "model.json"
    not_a_model.write_text("{}")
    txt = str(tmp_path / "s.txt")
    cases = [
        (["numbers", "eval", str(tmp_path / "nowhere"), "--model", str(good)], "no such folder"),
        (["numbers", "eval", str(world_dir), "--model", str(not_a_model)], "not a fraudwall"),
        (["numbers", "eval", str(world_dir), "--model", str(tmp_path / "none")], "no such model"),
        (["numbers", "score", str(world_dir), "--model", str(good), "--out", txt], ".csv file"),
        (["numbers", "train", str(world_dir), "--out", str(not_a_model)], "is not a fraudwall"),
    ]
    for args, problem in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
        shown = " ".join(result.output.split())  # as one line, whatever the terminal's width
        assert "error: " in shown and problem in shown.split("error: ", 1)[1], shown
