"""The malicious-app and fraud-domain models on small simulated worlds: trained on one
seed they find the fraud apps and domains of another, the shipped models do too, what
they flag goes on the risk lists with evidence, and `fraudwall apps|urls` do the same
from folders, failing in one line on bad input."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from fraudwall.cli.main import app
from fraudwall.errors import InputError
from fraudwall.intel import EntityModel, apps, urls
from fraudwall.intel.risklists import check_entries, entries_from_model_scores
from fraudwall.model import DAY_MS
from fraudwall.sim import SimConfig, World, simulate, write_world

runner = CliRunner()
DETECTORS = [pytest.param(apps, id="apps"), pytest.param(urls, id="urls")]


def _world(seed: int) -> World:
    return simulate(SimConfig(people=3_000, days=10, seed=seed, fraud_rate=600.0))


@pytest.fixture(scope="module")
def seen() -> World:
    return _world(4)


@pytest.fixture(scope="module")
def unseen() -> World:
    return _world(5)


@pytest.fixture(scope="module")
def models(seen: World) -> dict[str, EntityModel]:
    return {m.__name__: m.train(seen.tables, seed=1) for m in (apps, urls)}


@pytest.mark.parametrize("detector", DETECTORS)
def test_a_model_trained_on_one_world_finds_the_fraud_of_another(
    detector: ModuleType, models: dict[str, EntityModel], unseen: World
) -> None:
    model = models[detector.__name__]
    assert (model.kind, model.trained_on["snapshots"]) == (detector.KIND, [0.3333, 0.6667, 1.0])
    got = detector.evaluate(model, unseen.tables)
    assert got["positives"] >= 5
    assert got["f1"] >= 0.75 and got["auprc"] >= 0.85


@pytest.mark.parametrize("detector", DETECTORS)
def test_the_shipped_model_finds_the_fraud_of_a_small_world(
    detector: ModuleType, unseen: World
) -> None:
    got = detector.evaluate(detector.default_model(), unseen.tables)
    assert got["f1"] >= 0.85
    if detector is urls:  # each visited link scored as its domain
        assert got["url_f1"] >= 0.85 and got["url_entities"] > got["entities"]


@pytest.mark.parametrize("detector", DETECTORS)
def test_flagged_ones_go_on_the_risk_list_with_their_evidence(
    detector: ModuleType, models: dict[str, EntityModel], unseen: World
) -> None:
    model = models[detector.__name__]
    scored = detector.score(model, unseen.tables)
    now = 1_767_225_600_000
    entries = entries_from_model_scores(
        scored, detector.LIST_KIND, model.threshold, detector.SOURCE, now, now, 90 * DAY_MS
    )
    flagged = scored.filter(scored["flagged"])
    assert entries.num_rows == flagged.num_rows > 0
    assert set(entries["kind"].to_pylist()) == {detector.LIST_KIND}
    assert entries["value"].to_pylist() == flagged[model.key].to_pylist()
    assert np.allclose(entries["confidence"].to_numpy(), flagged["score"].to_numpy())
    for text in entries["evidence"].to_pylist():
        evidence = json.loads(text)
        assert evidence["score"] >= evidence["threshold"]
        assert evidence["reasons"] and all(r["feature"] in model.features
                                           for r in evidence["reasons"])  # fmt: skip
    assert check_entries(entries).rejected == []  # app ids and domains in their form


def test_nothing_under_the_threshold_is_listed(
    models: dict[str, EntityModel], unseen: World
) -> None:
    scored = apps.score(models["fraudwall.intel.apps"], unseen.tables)
    entries = entries_from_model_scores(scored, "app", 1.01, "apps-model", 0, 1, DAY_MS)
    assert entries.num_rows == 0


def test_a_model_of_another_kind_is_refused(models: dict[str, EntityModel], unseen: World) -> None:
    with pytest.raises(InputError, match="not of apps"):
        apps.score(models["fraudwall.intel.urls"], unseen.tables)
    with pytest.raises(InputError, match="not of fraud domains"):
        urls.evaluate(models["fraudwall.intel.apps"], unseen.tables)


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory: pytest.TempPathFactory, unseen: World) -> Path:
    return write_world(unseen, tmp_path_factory.mktemp("appsurls") / "world")


@pytest.mark.parametrize(("command", "key"), [("apps", "app_id"), ("urls", "domain")])
def test_cli_train_score_eval_round_trip(
    command: str, key: str, world_dir: Path, tmp_path: Path
) -> None:
    model_file = tmp_path / f"{command}.json"
    result = runner.invoke(app, [command, "train", str(world_dir), "--out", str(model_file)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "scores.parquet"
    args = [command, "score", str(world_dir), "--model", str(model_file), "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert pq.read_schema(out).names == [key, "score", "flagged", "reasons"]
    result = runner.invoke(app, [command, "eval", str(world_dir), "--model", str(model_file)])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"precision", "recall", "f1", "auprc", "threshold"} <= set(figures)
    assert figures["f1"] >= 0.8  # trained and evaluated on the same world


def test_cli_bad_input_is_one_line_without_a_traceback(
    world_dir: Path, tmp_path: Path, models: dict[str, EntityModel]
) -> None:
    apps_model = models["fraudwall.intel.apps"].save(tmp_path / "apps.json")
    urls_model = models["fraudwall.intel.urls"].save(tmp_path / "urls.json")
    not_a_model = tmp_path / "model.json"
    not_a_model.write_text("{}")
    no_visits = tmp_path / "no-visits"
    no_visits.mkdir()
    for f in world_dir.iterdir():
        if f.name != "url_visits.parquet":
            (no_visits / f.name).symlink_to(f)
    cases = [
        (["apps", "eval", str(tmp_path / "nowhere"), "--model", str(apps_model)], "no such folder"),
        (["apps", "eval", str(world_dir), "--model", str(not_a_model)], "not a fraudwall"),
        (["urls", "eval", str(world_dir), "--model", str(apps_model)], "not of 'url'"),
        (["urls", "score", str(world_dir), "--model", str(apps_model), "--out",
          str(tmp_path / "s.txt")], ".csv file"),
        (["apps", "train", str(world_dir), "--out", str(not_a_model)], "is not a fraudwall"),
        (["urls", "eval", str(no_visits), "--model", str(urls_model)], "url_visits"),
    ]  # fmt: skip
    for args, problem in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
        shown = " ".join(result.output.split())  # as one line, whatever the terminal's width
        assert "error: " in shown and problem in shown.split("error: ", 1)[1], shown
