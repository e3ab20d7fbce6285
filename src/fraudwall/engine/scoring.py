"""How a model plugs into the engine: the `Scorer` protocol, and what every scorer shares.

After scikit-learn's estimators and river's `learn_one` / `predict_one`: one small interface
for any model of one kind of event — fit on labelled feature rows, score rows, explain a
row — so that `decide`, the engine and training work with any model that has it; the
LightGBM models (`scorer.KindModel`) are one. Beside the protocol lives what no single
model owns:

- the rows a scorer reads (`feature_matrix`): the kind's registered features as columns,
  in registry order;
- the actions its scores take (`action_codes`): each action's threshold is the lowest
  margin at which the share of ordinary events reaching it stays within a budget (e.g.
  at most 0.04 % of ordinary transfers held), measured on the later part of the training
  period that the model did not see (`fit_kind`), so thresholds say what they cost in the
  units a bank's risk team budgets in;
- the 0..1 score shown in decisions (`sigmoid` of the margin).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Protocol, Self

import numpy as np

from fraudwall.engine.actions import ACTIONS


class Scorer(Protocol):
    """One kind's model: fit on labelled rows, score rows, explain rows.

    Rows are `feature_matrix(kind, ...)` rows. A margin is a log-odds-like score: higher is
    riskier, and it is compared with thresholds as it is (probabilities near 1 round to
    ties in float64 exactly where the stop thresholds lie)."""

    #: action name -> the lowest margin that takes it (set by `fit_kind` from budgets)
    thresholds: dict[str, float]

    @property
    def features(self) -> tuple[str, ...]:
        """The names of the rows' columns: the kind's registered features, in order."""
        ...

    @classmethod
    def fit(cls, kind: str, x: np.ndarray, y: np.ndarray) -> Self:
        """A scorer of `kind` fitted on rows `x` with labels `y` (1 fraud, 0 not), with no
        thresholds yet."""
        ...

    def margin(self, x: np.ndarray) -> np.ndarray:
        """Each row's margin (float64)."""
        ...

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Each feature's part in each row's margin, shape (rows, features): the largest
        positive parts are the row's top features, shown with their reasons."""
        ...


#: Rows of the feature matrix filled at a time: a block of them stays in the CPU cache
#: while each column is written into it (column by column over the whole matrix, every
#: column's pass would stream all of it through the cache again).
BLOCK_ROWS: Final = 4096


def feature_matrix(names: Sequence[str], features: Mapping[str, np.ndarray]) -> np.ndarray:
    """The named features as a C-contiguous float64 matrix (LightGBM reads it without a
    copy), columns in the order of `names` (a scorer's own `features`)."""
    for name in names:
        if name not in features:
            raise KeyError(f"feature '{name}' is missing")
    columns = [features[name] for name in names]
    n = len(next(iter(features.values()))) if features else 0
    out = np.empty((n, len(names)), np.float64)
    for start in range(0, n, BLOCK_ROWS):
        block = out[start : start + BLOCK_ROWS]
        for j, column in enumerate(columns):
            block[:, j] = column[start : start + BLOCK_ROWS]
    return out


def sigmoid(margin: np.ndarray) -> np.ndarray:
    """The 0..1 score of a margin, as decisions show it."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-margin))


def action_codes(thresholds: Mapping[str, float], margins: np.ndarray) -> np.ndarray:
    """The code of the most severe action each margin reaches (0 = allow)."""
    codes = np.zeros(len(margins), np.int8)
    for i, action in enumerate(ACTIONS):
        t = thresholds.get(action.value)
        if t is not None:
            codes[margins >= t] = i
    return codes


#: The share of ordinary events allowed to reach each action, per kind (see module doc).
DEFAULT_BUDGETS: Final[dict[str, dict[str, float]]] = {
    "transfer": {"warn": 0.01, "delay": 0.002, "hold": 0.0004, "block": 0.0001},
    "call": {"warn": 0.005, "block": 0.0005},
    "sms": {"warn": 0.005, "block": 0.0005},
}
MIN_MARGIN: Final = float(np.log(0.05 / 0.95))  # never act on a score below 0.05
_SEED: Final = 7  # the random hold-out when nothing positive is late in the period


def budget_threshold(legit_margins: np.ndarray, budget: float) -> float:
    """The lowest margin t with share(legit >= t) <= budget (never below MIN_MARGIN)."""
    if not len(legit_margins):
        return 0.0
    s = np.sort(legit_margins)[::-1]
    k = int(np.floor(budget * len(s)))  # legit events allowed at or above t
    t = float(np.nextafter(s[k], np.inf)) if k < len(s) else float(s[-1])
    return max(t, MIN_MARGIN)


def fit_kind(
    scorer: type[Scorer],
    kind: str,
    x: np.ndarray,
    y: np.ndarray,
    ts: np.ndarray,
    budgets: Mapping[str, float] | None = None,
) -> tuple[Scorer, dict[str, Any]]:
    """Fit a scorer of one kind on the first 70 % of the period, set its thresholds on the
    rest, then report what those thresholds catch there."""
    budgets = DEFAULT_BUDGETS[kind] if budgets is None else budgets
    if y.sum() < 5 or (~y.astype(bool)).sum() < 5:
        raise ValueError(f"{kind}: too few labelled events to train ({int(y.sum())} positive)")
    cut = np.quantile(ts, 0.7)
    fit, held = ts <= cut, ts > cut
    if y[held].sum() == 0:  # nothing positive late in the period: hold out at random
        rng = np.random.default_rng(_SEED)
        held = rng.random(len(y)) < 0.3
        fit = ~held
    model = scorer.fit(kind, x[fit], y[fit])
    scores = model.margin(x[held])
    legit = scores[y[held] == 0]
    model.thresholds = {a: budget_threshold(legit, b) for a, b in budgets.items()}
    report: dict[str, Any] = {
        "events": len(y),
        "positives": int(y.sum()),
        "held_out": int(held.sum()),
    }
    for action, t in model.thresholds.items():
        hit = scores >= t
        report[f"{action}_threshold"] = round(float(sigmoid(np.array(t))), 6)
        report[f"{action}_recall"] = float(hit[y[held] == 1].mean()) if y[held].any() else None
        report[f"{action}_legit_share"] = float(hit[y[held] == 0].mean())
    return model, report
