"""The model every intel detector shares: threshold from held-out data, reasons, files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from fraudwall.errors import InputError
from fraudwall.intel.entitymodel import (
    EntityModel,
    average_precision,
    best_f1_threshold,
    classification_metrics,
    holdout_split,
    margin_threshold,
)


def _entities(n: int = 2000, seed: int = 1) -> tuple[pa.Table, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.1
    signal = np.where(y, rng.normal(4.5, 1.0, n), rng.normal(0.0, 1.0, n))
    noise = rng.normal(0.0, 1.0, n)
    ids = [f"a{i}" for i in range(n)]
    return pa.table({"account_id": ids, "signal": signal, "noise": noise}), y


def test_fit_learns_the_signal_and_states_its_threshold() -> None:
    table, y = _entities()
    model = EntityModel.fit("account", "account_id", table, y, seed=3, source="unit")
    assert model.features == ("signal", "noise")
    assert 0.0 < model.threshold < 1.0
    assert model.trained_on["positives"] == int(y.sum())
    got = model.evaluate(*_entities(seed=2))
    assert got["f1"] > 0.8 and got["auprc"] > 0.85


def test_score_gives_flags_and_the_reason_that_raised_the_score() -> None:
    table, y = _entities()
    model = EntityModel.fit("account", "account_id", table, y)
    scored = model.score(table)
    assert scored.column_names == ["account_id", "score", "flagged", "reasons"]
    top = int(np.argmax(scored["score"].to_numpy()))
    assert scored["reasons"][top].as_py()[0]["feature"] == "signal"
    flagged = scored["flagged"].to_numpy(zero_copy_only=False)
    assert np.array_equal(flagged, scored["score"].to_numpy() >= model.threshold)


def test_reasons_go_to_the_flagged_unless_asked_for_all() -> None:
    table, y = _entities()
    model = EntityModel.fit("account", "account_id", table, y)
    some = model.score(table)
    every = model.score(table, explain="all")
    assert some["score"].equals(every["score"])
    flagged = some["flagged"].to_numpy(zero_copy_only=False)
    assert not flagged.all() and flagged.any()
    got, want = some["reasons"].to_pylist(), every["reasons"].to_pylist()
    assert all((g == w) if f else (g == []) for g, w, f in zip(got, want, flagged, strict=True))
    assert any(w for w, f in zip(want, flagged, strict=True) if not f)  # all: the others too
    with pytest.raises(InputError, match="explain"):
        model.score(table, explain="some")


def test_save_and_load_give_the_same_scores(tmp_path: Path) -> None:
    table, y = _entities()
    model = EntityModel.fit("account", "account_id", table, y)
    back = EntityModel.load(model.save(tmp_path / "m.json"), kind="account")
    assert np.allclose(back.predict(table), model.predict(table))
    assert back.threshold == model.threshold


def test_a_file_that_is_not_a_model_is_refused_by_name(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "other"}))
    with pytest.raises(InputError, match="not a fraudwall entity model"):
        EntityModel.load(bad)
    table, y = _entities()
    path = EntityModel.fit(
        "number", "number", table.rename_columns(["number", "signal", "noise"]), y
    ).save(tmp_path / "n.json")
    with pytest.raises(InputError, match="not of 'account'"):
        EntityModel.load(path, kind="account")
    with pytest.raises(InputError, match="missing feature column"):
        EntityModel.load(path).predict(pa.table({"number": ["x"], "signal": [1.0]}))


def test_metrics_worked_by_hand() -> None:
    y = np.array([1, 0, 1, 0, 0], dtype=bool)
    s = np.array([0.9, 0.8, 0.7, 0.2, 0.1])
    got = classification_metrics(y, s, 0.7)
    assert (got["precision"], got["recall"]) == (round(2 / 3, 4), 1.0)
    # ranks 1 (tp), 2 (fp), 3 (tp): AP = (1/1 + 2/3) / 2
    assert average_precision(y, s) == pytest.approx((1 + 2 / 3) / 2)
    assert best_f1_threshold(y, s) == (0.7, pytest.approx(0.8))


def test_holdout_is_stratified_and_seeded() -> None:
    y = np.array([True] * 40 + [False] * 160)
    a, b = holdout_split(y, 0.25, 7), holdout_split(y, 0.25, 7)
    assert np.array_equal(a, b)
    assert a[y].sum() == 10 and a[~y].sum() == 40


def test_the_threshold_sits_in_the_middle_of_the_held_out_margin() -> None:
    # F1 is best (1.0) for any threshold in (0.2, 0.8]: the middle in log-odds is 0.5
    y = np.array([1, 1, 0, 0], dtype=bool)
    assert margin_threshold(y, np.array([0.9, 0.8, 0.2, 0.1])) == pytest.approx(0.5)
    # best F1 (0.8) flags the top three; the next score below 0.7 is 0.1
    y = np.array([1, 0, 1, 0], dtype=bool)
    s = np.array([0.9, 0.8, 0.7, 0.1])
    mid = margin_threshold(y, s)
    expected = 1 / (1 + np.exp(-(np.log(0.7 / 0.3) + np.log(0.1 / 0.9)) / 2))
    assert mid == pytest.approx(expected)
    assert 0.1 < mid < 0.7 and classification_metrics(y, s, mid)["f1"] == 0.8
    # nothing below the best threshold: it stays where it is
    assert margin_threshold(np.array([1, 1], dtype=bool), np.array([0.6, 0.7])) == 0.6
