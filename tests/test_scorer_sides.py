"""Scoring once per split-side code gives every row exactly what LightGBM gives it alone."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from fraudwall.engine import default_model
from fraudwall.engine.scorer import MIN_ROWS_TO_SHARE, ZERO_THRESHOLD, KindModel, SplitSides


def _awkward_rows(sides: SplitSides, n_features: int, n: int, seed: int) -> np.ndarray:
    """Rows whose values sit on, just beside and between the trees' thresholds, plus NaN,
    infinities and values LightGBM reads as zero: where a wrong code would show."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 100, (n, n_features))
    tiny = np.array([0.0, -0.0, ZERO_THRESHOLD, -ZERO_THRESHOLD, 1e-40, -1e-40, 2e-35])
    specials = np.array([np.nan, np.inf, -np.inf])
    for col, t in zip(sides.columns, sides.thresholds, strict=True):
        near = np.concatenate([t, np.nextafter(t, np.inf), np.nextafter(t, -np.inf)])
        pool = np.concatenate([near, tiny, specials])
        pick = rng.random(n) < 0.8
        x[pick, col] = rng.choice(pool, int(pick.sum()))
    return x


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a).view(np.uint64)


def _alone(booster: lgb.Booster, x: np.ndarray, **how: bool) -> np.ndarray:
    """LightGBM's own prediction of every row."""
    return np.asarray(booster.predict(x, num_threads=1, **how), np.float64)


@pytest.mark.parametrize("kind", ["call", "sms"])
def test_margins_and_contributions_equal_lightgbm_bit_for_bit(kind: str) -> None:
    model = default_model().kinds[kind]
    booster = model.booster
    assert model.sides is not None
    x = _awkward_rows(model.sides, len(model.features), 4000, seed=len(kind))
    x = np.concatenate([x, x[:1000]])  # repeated rows share a code for sure
    want = _alone(booster, x, raw_score=True)
    assert np.array_equal(_bits(model.margin(x)), _bits(want))
    want_contrib = _alone(booster, x[:300], pred_contrib=True)[:, :-1]
    assert np.array_equal(_bits(model.contributions(x[:300])), _bits(want_contrib))


def test_rows_with_one_code_take_the_same_leaves() -> None:
    model = default_model().kinds["call"]
    assert model.sides is not None
    x = _awkward_rows(model.sides, len(model.features), 3000, seed=1)
    codes = model.sides.codes(x)
    leaves = _alone(model.booster, x, pred_leaf=True)
    _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    assert len(first) < len(x)
    assert np.array_equal(leaves, leaves[first][inverse])


def _trained(
    x: np.ndarray, y: np.ndarray, categorical: list[int] | None = None, **params: object
) -> lgb.Booster:
    base = {"objective": "binary", "verbose": -1, "num_threads": 1, "min_data_in_leaf": 5}
    data = lgb.Dataset(x, y, categorical_feature=categorical or "auto")
    return lgb.train({**base, **params}, data, num_boost_round=8)


def test_values_lightgbm_reads_as_zero_keep_their_code_exact() -> None:
    rng = np.random.default_rng(3)
    x = rng.choice([-2.0, -1e-30, -1e-36, 0.0, 1e-36, 1e-30, 2.0], (2000, 2))
    y = (x[:, 0] < 0).astype(float)
    kind = KindModel(_trained(x, y), ("a", "b"), {})
    assert kind.sides is not None and any(kind.sides.near_zero)
    zero = ZERO_THRESHOLD
    probe = rng.choice([-zero, -1e-36, -0.0, 0.0, 1e-36, zero, 1e-34, -1e-34], (500, 2))
    want = _alone(kind.booster, probe, raw_score=True)
    assert len(probe) >= MIN_ROWS_TO_SHARE
    assert np.array_equal(_bits(kind.margin(probe)), _bits(want))


def test_the_transfer_model_needs_more_than_63_bits_and_is_scored_row_by_row() -> None:
    model = default_model().kinds["transfer"]
    assert model.sides is None
    x = np.random.default_rng(5).normal(0, 100, (500, len(model.features)))
    want = _alone(model.booster, x, raw_score=True)
    assert np.array_equal(_bits(model.margin(x)), _bits(want))


def test_boosters_whose_rows_codes_cannot_stand_for_are_scored_row_by_row() -> None:
    rng = np.random.default_rng(4)
    x = np.column_stack([rng.integers(0, 5, 3000), rng.normal(size=3000)]).astype(float)
    y = (x[:, 0] == 2).astype(float)
    categorical = _trained(x, y, [0])
    assert SplitSides.of(categorical) is None
    zero_missing = _trained(x, y, zero_as_missing=True)
    assert SplitSides.of(zero_missing) is None
    kind = KindModel(categorical, ("a", "b"), {})
    want = _alone(categorical, x, raw_score=True)
    assert np.array_equal(_bits(kind.margin(x)), _bits(want))
