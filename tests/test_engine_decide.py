"""Decisions' sparse columns (rules, shadow rules, top features, reasons) built once per
distinct value say, row by row, what a per-row construction says."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from fraudwall.engine import FEATURES, parse_rules
from fraudwall.engine.decide import (
    Sparse,
    _pack,
    _unpack,
    decide,
)
from fraudwall.engine.featureset import reason
from fraudwall.engine.scorer import KindModel
from fraudwall.engine.scoring import feature_matrix


def test_sparse_rows_point_at_values_added_part_by_part() -> None:
    s: Sparse[str] = Sparse()
    s.add(np.array([4, 1]), np.array([0, 0]), ["a"])
    s.add(np.array([2]), np.array([1]), ["unused", "b"])
    assert s.as_dict() == {4: "a", 1: "a", 2: "b"}
    assert s.index(6).tolist() == [0, 1, 3, 0, 1, 0]
    assert Sparse[str]().index(2).tolist() == [0, 0]


RULES = """version = "t"
[[rule]]
name = "loud"
applies_to = "transfer"
when = "amount_fen > 100"
action = "block"
severity = 90
reason = "金额{amount_fen}"
[[rule]]
name = "plain"
applies_to = "transfer"
when = "payer_transfers_24h > 2"
action = "warn"
severity = 10
reason = "次数多"
[[rule]]
name = "watch"
applies_to = "transfer"
when = "payer_age > 60"
action = "block"
severity = 50
reason = "看看"
shadow = true
"""


def _features(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    f = {name: rng.integers(0, 4, n).astype(np.float64) for name in FEATURES["transfer"]}
    f["amount_fen"] = rng.choice([50.0, 150.0, 250.0], n)
    f["payer_age"] = rng.choice([30.0, 70.0], n)
    return f


def test_rule_columns_match_each_rows_own_rules_and_reasons() -> None:
    rules = parse_rules(RULES, FEATURES["transfer"])
    f = _features(300, 1)
    hits = rules.evaluate("transfer", f)
    d = decide("transfer", f, hits, None)
    n = len(f["amount_fen"])
    expect_rules = {i: hits.fired_names(i) for i in range(n) if hits.fired_names(i)}
    assert d.rules.as_dict() == expect_rules
    shadow = {
        i: [r for r in hits.fired_names(i, include_shadow=True) if r not in hits.fired_names(i)]
        for i in range(n)
    }
    assert d.shadow_rules.as_dict() == {i: v for i, v in shadow.items() if v}
    alerted = np.flatnonzero(d.action > 0).tolist()
    assert d.reason.as_dict() == {i: "；".join(hits.reasons(i, f)) for i in alerted}
    assert set(d.top_features.as_dict()) == set(alerted)
    assert d.top_features.as_dict()[alerted[0]] in (
        ["amount_fen"],
        ["payer_transfers_24h"],
        ["amount_fen", "payer_transfers_24h"],
    )


def _model(seed: int) -> tuple[KindModel, dict[str, np.ndarray]]:
    """A small booster over the transfer features with a warn threshold that most rows
    reach, and rows of features for it."""
    f = _features(400, seed)
    x = feature_matrix(FEATURES["transfer"], f)
    y = (x[:, 0] > 100) ^ (x[:, 5] > 1)
    params = {"objective": "binary", "num_leaves": 4, "verbose": -1, "min_data_in_leaf": 5}
    booster = lgb.train(params, lgb.Dataset(x, y.astype(float)), num_boost_round=5)
    model = KindModel(booster, FEATURES["transfer"], {})
    model.thresholds = {"warn": float(np.quantile(model.margin(x), 0.3))}
    return model, f


@pytest.mark.parametrize("rows", [400, 12])  # many alerts share texts; a few get their own
def test_model_alone_reasons_match_each_rows_own_explanation(rows: int) -> None:
    model, f = _model(2)
    f = {k: v[:rows] for k, v in f.items()}
    never = RULES.replace("amount_fen > 100", "amount_fen < 0").split("[[rule]]")[:2]
    rules = parse_rules("[[rule]]".join(never), FEATURES["transfer"])
    hits = rules.evaluate("transfer", f)
    d = decide("transfer", f, hits, model)
    alone = np.flatnonzero(d.action > 0)
    assert len(alone) > rows // 4
    x = feature_matrix(FEATURES["transfer"], f)
    packed = _pack(model.contributions(x[alone]))
    tops = {
        i: [model.features[j] for j in _unpack(c)]
        for i, c in zip(alone.tolist(), packed.tolist(), strict=True)
    }
    assert d.top_features.as_dict() == tops
    reasons = {
        i: f"模型风险评分{d.score[i]:.2f}："
        + ("；".join(reason(t) for t in tops[i]) or "综合风险评分高")
        for i in alone.tolist()
    }
    assert d.reason.as_dict() == reasons
    assert not d.rules.as_dict() and not d.shadow_rules.as_dict()
