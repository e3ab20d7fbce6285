"""The engine's model: one LightGBM classifier per event kind over the rules' own features.

Rules decide what analysts can state; the model scores what they cannot (DESIGN §5). A
model is trained from labelled events (a simulated world's ground truth, or any labelled
event file), and carries its own thresholds: each action's threshold is the lowest score
at which the share of ordinary events reaching it stays within a budget (e.g. at most
0.05 % of ordinary transfers held), measured on the later part of the training period
that the trees did not see. So the thresholds say what they cost, in the units a bank's
risk team budgets in.

A model file is JSON: version, per kind the feature names, the thresholds and the
booster as LightGBM's own text format. Nothing is downloaded; scoring runs on one thread.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from fraudwall.engine.rules import FEATURES
from fraudwall.model import Action

MODEL_FORMAT = 2  # 2: thresholds on margins (log-odds)

#: The share of ordinary events allowed to reach each action, per kind (see module doc).
DEFAULT_BUDGETS: dict[str, dict[str, float]] = {
    "transfer": {"warn": 0.01, "delay": 0.002, "hold": 0.0004, "block": 0.0001},
    "call": {"warn": 0.005, "block": 0.0005},
    "sms": {"warn": 0.005, "block": 0.0005},
}

PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.08,
    "num_leaves": 15,
    "min_data_in_leaf": 50,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "num_threads": 1,
    "verbose": -1,
    "seed": 7,
    "deterministic": True,
}
#: Boosting rounds per kind: contacts have few, strong features; transfers need more trees.
ROUNDS = {"transfer": 60, "call": 30, "sms": 30}


#: Rows of the feature matrix filled at a time: a block of them stays in the CPU cache
#: while each column is written into it (column by column over the whole matrix, every
#: column's pass would stream all of it through the cache again).
_BLOCK_ROWS = 4096


def feature_matrix(kind: str, features: Mapping[str, np.ndarray]) -> np.ndarray:
    """The kind's features as a C-contiguous float64 matrix (LightGBM reads it without a
    copy), columns in FEATURES[kind] order."""
    names = FEATURES[kind]
    for name in names:
        if name not in features:
            raise KeyError(f"feature '{name}' of kind '{kind}' is missing")
    columns = [features[name] for name in names]
    n = len(next(iter(features.values()))) if features else 0
    out = np.empty((n, len(names)), np.float64)
    for start in range(0, n, _BLOCK_ROWS):
        block = out[start : start + _BLOCK_ROWS]
        for j, column in enumerate(columns):
            block[:, j] = column[start : start + _BLOCK_ROWS]
    return out


#: LightGBM's kZeroThreshold (the float 1e-35f): its predictor reads any feature value
#: of at most this magnitude as 0.0 before the trees compare it.
ZERO_THRESHOLD = float(np.float32(1e-35))
#: Below this many rows, telling rows apart by their split sides costs more than it saves.
MIN_ROWS_TO_SHARE = 64


@dataclass(frozen=True)
class SplitSides:
    """Which side of every split of a booster's trees each row of features falls on,
    packed into one int64 per row.

    Two rows with the same code take the same branch at every node of every tree, so the
    booster gives them the same leaves, hence bit-for-bit the same raw score and the same
    TreeSHAP values (both depend on a row only through those branches). Many contacts
    share a code (a blast's calls differ in their exact SIM age, not in the side of
    the split they fall on), so each code is scored once.

    Per feature, the code is the number of the trees' thresholds below the value (x <= t
    holds exactly for the thresholds from there up), or one past the last threshold for
    NaN (a missing value goes its own way). Only plain numerical splits qualify.
    """

    columns: tuple[int, ...]
    thresholds: tuple[np.ndarray, ...]  # sorted, distinct, per column
    shifts: tuple[int, ...]  # bit offset of each column's code
    near_zero: tuple[bool, ...]  # a threshold in [-ZERO_THRESHOLD, ZERO_THRESHOLD)

    @classmethod
    def of(cls, booster: lgb.Booster) -> SplitSides | None:
        """The booster's split sides, or None when codes cannot stand for its rows: a
        categorical split, zero-as-missing, linear leaves, or codes wider than 63 bits."""
        model = booster.dump_model()
        found: dict[int, set[float]] = {}
        for tree in model["tree_info"]:
            if not _numeric_splits(tree["tree_structure"], found):
                return None
        if "is_linear=1" in booster.model_to_string():
            return None
        columns = tuple(sorted(found))
        thresholds = tuple(np.array(sorted(found[c]), np.float64) for c in columns)
        widths = [int(len(t) + 1).bit_length() for t in thresholds]  # codes 0..len(t)+1
        if sum(widths) > 63:
            return None
        shifts = tuple(int(s) for s in np.cumsum([0, *widths[:-1]]))
        near_zero = tuple(
            bool(((t >= -ZERO_THRESHOLD) & (t < ZERO_THRESHOLD)).any()) for t in thresholds
        )
        return cls(columns, thresholds, shifts, near_zero)

    def codes(self, x: np.ndarray) -> np.ndarray:
        """Each row's code (see the class doc)."""
        out = np.zeros(len(x), np.int64)
        columns = _transposed(x, self.columns)  # one pass, then quick ones per column
        for v, t, shift, near in zip(
            columns, self.thresholds, self.shifts, self.near_zero, strict=True
        ):
            if near:  # as LightGBM reads it: tiny values are 0.0
                v = np.where(np.abs(v) <= ZERO_THRESHOLD, 0.0, v)
            code = _count_below(t, v)
            code[np.isnan(v)] = len(t) + 1
            out |= code.astype(np.int64) << shift
        return out


def _transposed(x: np.ndarray, columns: tuple[int, ...]) -> np.ndarray:
    """The `columns` of a row-major matrix as contiguous rows, copied a block of rows at a
    time (the block stays in the CPU cache while it is read column by column)."""
    out = np.empty((len(columns), len(x)), x.dtype)
    every = columns == tuple(range(x.shape[1]))
    for start in range(0, len(x), _BLOCK_ROWS):
        block = x[start : start + _BLOCK_ROWS]
        out[:, start : start + _BLOCK_ROWS] = (block if every else block[:, columns]).T
    return out


def _count_below(thresholds: np.ndarray, v: np.ndarray) -> np.ndarray:
    """How many of the (sorted) thresholds lie below each value, as searchsorted(side=
    "left") says, but by one comparison pass per threshold: a forest of a few dozen small
    trees has few thresholds per feature, and comparing is several times quicker than a
    binary search then."""
    if len(thresholds) > 200:
        return np.searchsorted(thresholds, v, side="left")
    out = np.zeros(len(v), np.uint8)
    for t in thresholds.tolist():
        np.add(out, v > t, out=out, casting="unsafe")
    return out


def _numeric_splits(node: dict[str, Any], found: dict[int, set[float]]) -> bool:
    """Collect the thresholds of a dumped tree's splits per feature; False if any split is
    not a plain `<=` on a number (missing values as NaN or none)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if "split_feature" not in n:
            continue
        if n["decision_type"] != "<=" or n["missing_type"] not in ("None", "NaN"):
            return False
        found.setdefault(int(n["split_feature"]), set()).add(float(n["threshold"]))
        stack += [n["left_child"], n["right_child"]]
    return True


@dataclass
class KindModel:
    """One kind's booster, its feature names and its action thresholds."""

    booster: lgb.Booster
    features: tuple[str, ...]
    thresholds: dict[str, float]  # action -> lowest margin (log-odds) that takes it
    sides: SplitSides | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.sides = SplitSides.of(self.booster)

    def margin(self, x: np.ndarray) -> np.ndarray:
        """The raw score (log-odds): thresholds compare on it, since probabilities near 1
        round to ties in float64 exactly where the stop thresholds lie."""
        if not len(x):
            return np.empty(0)
        return self._per_code(x, raw_score=True)

    def score(self, x: np.ndarray) -> np.ndarray:
        """The probability-like score 0..1 shown in decisions."""
        return sigmoid(self.margin(x))

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Each feature's part in each row's score (SHAP values, log-odds)."""
        return self._per_code(x, pred_contrib=True)[:, :-1]

    def _per_code(self, x: np.ndarray, **how: bool) -> np.ndarray:
        """The booster's prediction (`how`: raw_score or pred_contrib) of every row, made
        once per split-side code and shared by the rows with that code: exactly what each
        would get on its own (see SplitSides)."""
        if self.sides is not None and len(x) >= MIN_ROWS_TO_SHARE:
            codes, inverse = np.unique(self.sides.codes(x), return_inverse=True)
            if len(codes) < len(x):
                one = np.empty(len(codes), np.int64)
                one[inverse] = np.arange(len(x))  # a row of each code (any will do)
                return self._predict(x[one], how)[inverse]
        return self._predict(x, how)

    def _predict(self, x: np.ndarray, how: dict[str, bool]) -> np.ndarray:
        return np.asarray(self.booster.predict(x, num_threads=1, **how), np.float64)

    def actions(self, margins: np.ndarray) -> np.ndarray:
        """The action code each margin reaches (0 = allow)."""
        codes = np.zeros(len(margins), np.int8)
        for i, action in enumerate(Action):
            t = self.thresholds.get(action.value)
            if t is not None:
                codes[margins >= t] = i
        return codes


def sigmoid(margin: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-margin))


@dataclass
class EngineModel:
    """A model per kind (any kind may be missing: its events are decided by rules alone)."""

    kinds: dict[str, KindModel] = field(default_factory=dict)
    trained_on: dict[str, Any] = field(default_factory=dict)

    def get(self, kind: str) -> KindModel | None:
        return self.kinds.get(kind)

    def save(self, path: Path | str) -> Path:
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "format": MODEL_FORMAT,
            "trained_on": self.trained_on,
            "kinds": {
                k: {
                    "features": list(m.features),
                    "thresholds": m.thresholds,
                    "booster": m.booster.model_to_string(),
                }
                for k, m in self.kinds.items()
            },
        }
        out.write_text(json.dumps(doc, ensure_ascii=False))
        return out

    @classmethod
    def load(cls, path: Path | str) -> EngineModel:
        src = Path(path)
        try:
            doc = json.loads(src.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"{src}: not a fraudwall model file ({exc})") from exc
        if doc.get("format") != MODEL_FORMAT:
            raise ValueError(f"{src}: model format {doc.get('format')!r}, expected {MODEL_FORMAT}")
        kinds = {}
        for kind, m in doc["kinds"].items():
            if tuple(m["features"]) != FEATURES[kind]:
                raise ValueError(
                    f"{src}: the {kind} model was trained on other features than this "
                    "engine computes; train it again with `fraudwall train`"
                )
            booster = lgb.Booster(model_str=m["booster"])
            kinds[kind] = KindModel(booster, tuple(m["features"]), dict(m["thresholds"]))
        return cls(kinds, doc.get("trained_on", {}))


MIN_MARGIN = float(np.log(0.05 / 0.95))  # never act on a score below 0.05


def _threshold(legit_margins: np.ndarray, budget: float) -> float:
    """The lowest margin t with share(legit >= t) <= budget."""
    if not len(legit_margins):
        return 0.0
    s = np.sort(legit_margins)[::-1]
    k = int(np.floor(budget * len(s)))  # legit events allowed at or above t
    t = float(np.nextafter(s[k], np.inf)) if k < len(s) else float(s[-1])
    return max(t, MIN_MARGIN)


def train_kind(
    kind: str,
    x: np.ndarray,
    y: np.ndarray,
    ts: np.ndarray,
    budgets: Mapping[str, float] | None = None,
    rounds: int | None = None,
) -> tuple[KindModel, dict[str, Any]]:
    """Train one kind's booster on the first 70 % of the period, set thresholds on the
    rest, then report what those thresholds catch there."""
    budgets = DEFAULT_BUDGETS[kind] if budgets is None else budgets
    if y.sum() < 5 or (~y.astype(bool)).sum() < 5:
        raise ValueError(f"{kind}: too few labelled events to train ({int(y.sum())} positive)")
    cut = np.quantile(ts, 0.7)
    fit, held = ts <= cut, ts > cut
    if y[held].sum() == 0:  # nothing positive late in the period: hold out at random
        rng = np.random.default_rng(PARAMS["seed"])
        held = rng.random(len(y)) < 0.3
        fit = ~held
    pos = max(float(y[fit].sum()), 1.0)
    params = {**PARAMS, "scale_pos_weight": min(50.0, float((~y[fit].astype(bool)).sum()) / pos)}
    data = lgb.Dataset(x[fit], y[fit].astype(np.float64), feature_name=list(FEATURES[kind]))
    booster = lgb.train(params, data, num_boost_round=rounds or ROUNDS[kind])
    model = KindModel(booster, FEATURES[kind], {})
    scores = model.margin(x[held])
    legit = scores[y[held] == 0]
    model.thresholds = {a: _threshold(legit, b) for a, b in budgets.items()}
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


DEFAULT_MODEL = "default_model.json"


def default_model() -> EngineModel:
    """The model shipped with the package (trained on a simulated world of another seed
    than the demo's; `fraudwall train` makes one from your own history)."""
    from importlib import resources

    path = resources.files("fraudwall.engine").joinpath(DEFAULT_MODEL)
    with resources.as_file(path) as file:
        if not file.exists():
            raise FileNotFoundError(f"{file}: the package's default model is missing")
        return EngineModel.load(file)
