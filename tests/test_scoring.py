"""The Scorer protocol: a model that is not LightGBM trains, sets its thresholds from
budgets, decides and explains through the same code as the shipped one."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import numpy as np
import pyarrow.compute as pc
import pytest

from fraudwall.engine.decide import decide
from fraudwall.engine.featureset import FEATURES, MODEL_FEATURES, reason
from fraudwall.engine.replay import replay
from fraudwall.engine.rules import parse_rules
from fraudwall.engine.scoring import (
    MIN_MARGIN,
    action_codes,
    feature_matrix,
    fit_kind,
)
from fraudwall.engine.train import train
from fraudwall.errors import InputError
from fraudwall.sim import SimConfig, simulate


@dataclass
class MeanGapScorer:
    """A linear scorer: each feature standardised and weighted by the gap between the
    classes' means (unknown values count as the mean). Far from LightGBM on purpose."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    thresholds: dict[str, float] = field(default_factory=dict)

    @classmethod
    def fit(cls, kind: str, x: np.ndarray, y: np.ndarray) -> Self:
        known = np.where(np.isfinite(x), x, np.nan)
        with warnings.catch_warnings():  # a column unknown throughout has no mean (nan)
            warnings.simplefilter("ignore", RuntimeWarning)
            mean, scale = np.nanmean(known, axis=0), np.nanstd(known, axis=0)
        mean = np.nan_to_num(mean)
        scale = np.where(np.nan_to_num(scale) > 0, scale, 1.0)
        z = cls._standard(x, mean, scale)
        positive = y.astype(bool)
        weights = z[positive].mean(axis=0) - z[~positive].mean(axis=0)
        return cls(MODEL_FEATURES[kind], mean, scale, weights)

    @staticmethod
    def _standard(x: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
        return np.where(np.isfinite(x), (x - mean) / scale, 0.0)

    def contributions(self, x: np.ndarray) -> np.ndarray:
        return self._standard(x, self.mean, self.scale) * self.weights

    def margin(self, x: np.ndarray) -> np.ndarray:
        return self.contributions(x).sum(axis=1)


def _labelled(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Call features where new SIMs with a wide fan-out are fraud, over ten days."""
    rng = np.random.default_rng(seed)
    f = {name: rng.random(n) for name in FEATURES["call"]}
    f["sim_age_days"] = rng.gamma(2.0, 200.0, n)
    f["caller_fanout_24h"] = rng.poisson(3, n).astype(np.float64)
    y = rng.random(n) < 0.05
    f["sim_age_days"][y] = rng.random(int(y.sum())) * 5
    f["caller_fanout_24h"][y] += 40
    ts = np.sort(rng.integers(0, 10 * 86_400_000, n))
    return feature_matrix(FEATURES["call"], f), y.astype(np.int8), ts


def test_fit_kind_sets_each_threshold_within_its_budget_of_ordinary_events() -> None:
    x, y, ts = _labelled(20_000, 1)
    budgets = {"warn": 0.01, "block": 0.001}
    model, report = fit_kind(MeanGapScorer, "call", x, y, ts, budgets)
    assert isinstance(model, MeanGapScorer)
    assert model.features == FEATURES["call"]
    assert MIN_MARGIN <= model.thresholds["warn"] <= model.thresholds["block"]
    for action, budget in budgets.items():
        assert report[f"{action}_legit_share"] <= budget
        assert report[f"{action}_recall"] > 0.9  # the planted pattern is easy
    held = ts > np.quantile(ts, 0.7)
    assert report["held_out"] == int(held.sum())
    legit = model.margin(x[held])[y[held] == 0]
    assert (legit >= model.thresholds["block"]).mean() <= budgets["block"]


def test_fit_kind_refuses_too_few_labels() -> None:
    x, y, ts = _labelled(200, 2)
    y[:] = 0
    y[:3] = 1
    with pytest.raises(ValueError, match="call: too few labelled events to train"):
        fit_kind(MeanGapScorer, "call", x, y, ts)


def test_action_codes_take_the_most_severe_threshold_reached() -> None:
    thresholds = {"warn": -1.0, "hold": 1.0, "delay": 0.0}
    codes = action_codes(thresholds, np.array([-2.0, -1.0, 0.5, 1.0, np.nan]))
    assert codes.tolist() == [0, 1, 2, 3, 0]


def test_a_scorer_that_is_not_lightgbm_decides_and_explains_with_registered_reasons() -> None:
    x, y, ts = _labelled(5_000, 3)
    model, _ = fit_kind(MeanGapScorer, "call", x, y, ts, {"warn": 0.01, "block": 0.001})
    names = FEATURES["call"]
    f = {name: x[:, j] for j, name in enumerate(names)}
    never = parse_rules(
        'version = "t"\n[[rule]]\nname = "none"\napplies_to = "call"\n'
        'when = "caller_fanout_24h < 0"\naction = "block"\nseverity = 1\nreason = "x"\n'
    )
    d = decide("call", f, never.evaluate("call", f), model)
    alerted = np.flatnonzero(d.action > 0)
    assert len(alerted) >= y.sum() // 2
    margins = model.margin(x)
    assert np.array_equal(d.action, action_codes(model.thresholds, margins).astype(np.int8))
    tops, reasons = d.top_features.as_dict(), d.reason.as_dict()
    assert set(tops) == set(reasons) == set(alerted.tolist())
    for i in alerted.tolist():
        parts = model.contributions(x[i : i + 1])[0]
        best = [names[j] for j in np.argsort(-parts, kind="stable")[:3] if parts[j] > 0]
        assert tops[i] == best
        said = "；".join(reason(t) for t in best) or "综合风险评分高"
        assert reasons[i] == f"模型风险评分{d.score[i]:.2f}：{said}"


def test_a_model_of_another_scorer_trains_on_a_world_and_the_engine_decides_with_it(
    tmp_path: Path,
) -> None:
    tables = dict(simulate(SimConfig(people=2_000, days=6, seed=5, fraud_rate=600.0)).tables)
    model, report = train(tables, scorer=MeanGapScorer)
    assert {type(m) for m in model.kinds.values()} == {MeanGapScorer}
    assert set(report) == {"call", "sms", "transfer", "call_priority"}
    assert model.call_priority is not None  # who is most at risk, fitted on the same world
    d = replay(tables, model=model).decisions
    by_model = d.filter(
        pc.and_(pc.not_equal(d["action"], "allow"), pc.equal(pc.list_value_length(d["rules"]), 0))
    )
    assert set(by_model["kind"].to_pylist()) == {"call", "sms", "transfer"}
    for row in by_model.select(["kind", "top_features", "reason"]).to_pylist():
        assert set(row["top_features"]) <= set(FEATURES[row["kind"]])
        texts = row["reason"].split("：", 1)[1]
        expected = "；".join(reason(t) for t in row["top_features"]) or "综合风险评分高"
        assert texts == expected
    with pytest.raises(TypeError, match="a MeanGapScorer cannot be saved to a model file"):
        model.save(tmp_path / "model.json")
    # trained without a text scorer, it learnt nothing from one and decides without one
    assert model.trained_on["text_scorer"] is False and model.needs_text_scorer is None

    # trained with one, the SMS model learns from its probabilities and needs it to decide
    read = LinkScorer()
    with_text, _ = train(tables, scorer=MeanGapScorer, text_scorer=read)
    sms = with_text.kinds["sms"]
    assert isinstance(sms, MeanGapScorer)
    column = sms.features.index("sms_fraud_probability")
    assert 0.1 < sms.mean[column] < 0.9 and sms.weights[column] != 0.0  # learnt from it
    assert read.texts > 0 and with_text.needs_text_scorer == "sms_fraud_probability"
    with pytest.raises(InputError, match="no text scorer"):
        replay(tables, model=with_text)
    assert replay(tables, model=with_text, text_scorer=read).decisions.num_rows == len(d)


class LinkScorer:
    """A tiny text scorer: 0.9 for a text with a link in it, else 0.1."""

    def __init__(self) -> None:
        self.texts = 0

    def fraud_probability(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += len(texts)
        return np.array([0.9 if ("http" in t or "www" in t) else 0.1 for t in texts])
