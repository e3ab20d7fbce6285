"""The engine's model: one LightGBM classifier per event kind over the registered features.

Rules decide what analysts can state; the model scores what they cannot (DESIGN §5).
`KindModel` is the LightGBM implementation of the `scoring.Scorer` protocol: trained from
labelled events (a simulated world's ground truth, or any labelled event file), with
thresholds set from budgets of ordinary events (`scoring.fit_kind`). `EngineModel` holds a
scorer per kind and reads and writes model files.

A model file is JSON: its format, the sha256 of its content, and the content: per kind
the feature names, the thresholds and the booster as LightGBM's own text format. A file
is read only whole and unchanged: the checksum is verified, then every field (`modelfile`),
and LightGBM sees a booster's text only once it has been checked line by line
(`boostertext`), so no file can crash the process. The checksum is the model's id (which
model made a decision, a snapshot, a replay). Nothing is downloaded; scoring runs on one
thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Self

import lightgbm as lgb
import numpy as np

from fraudwall.engine.featureset import MODEL_FEATURES
from fraudwall.engine.modelfile import ModelDoc, read_model_file, write_model_file
from fraudwall.engine.priority import CallPriority
from fraudwall.engine.scoring import BLOCK_ROWS, Scorer
from fraudwall.engine.textscore import NEEDS_TEXT_SCORER

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
    for start in range(0, len(x), BLOCK_ROWS):
        block = x[start : start + BLOCK_ROWS]
        out[:, start : start + BLOCK_ROWS] = (block if every else block[:, columns]).T
    return out


def _count_below(thresholds: np.ndarray, v: np.ndarray) -> np.ndarray:
    """How many of the (sorted) thresholds lie below each value, as searchsorted(side=
    "left") says, but by one comparison pass per threshold: a forest of a few dozen small
    trees has few thresholds per feature, and a pass of comparisons streams through memory
    where a binary search jumps."""
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
    """One kind's booster, its feature names and its action thresholds: a `Scorer`."""

    booster: lgb.Booster
    features: tuple[str, ...]
    thresholds: dict[str, float]  # action -> lowest margin (log-odds) that takes it
    #: the booster as LightGBM's text (as read from its file, or written once after fitting):
    #: what the model file holds and its checksum covers
    text: str = field(default="", repr=False, compare=False)
    sides: SplitSides | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.text:
            self.text = self.booster.model_to_string()
        self.sides = SplitSides.of(self.booster)

    @classmethod
    def fit(cls, kind: str, x: np.ndarray, y: np.ndarray) -> Self:
        """A booster over the kind's features, positives weighted up to balance the
        classes (at most 50 to 1), no thresholds yet."""
        pos = max(float(y.sum()), 1.0)
        params = {**PARAMS, "scale_pos_weight": min(50.0, float((~y.astype(bool)).sum()) / pos)}
        names = MODEL_FEATURES[kind]
        data = lgb.Dataset(x, y.astype(np.float64), feature_name=list(names))
        booster = lgb.train(params, data, num_boost_round=ROUNDS[kind])
        return cls(booster, names, {})

    def margin(self, x: np.ndarray) -> np.ndarray:
        """The raw score (log-odds): thresholds compare on it, since probabilities near 1
        round to ties in float64 exactly where the stop thresholds lie."""
        if not len(x):
            return np.empty(0)
        return self._per_code(x, raw_score=True)

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


@dataclass
class EngineModel:
    """A scorer per kind (any kind may be missing: its events are decided by rules alone).

    Any `Scorer` decides; a model file holds LightGBM scorers (`KindModel`), which is what
    `load` gives back."""

    kinds: dict[str, Scorer] = field(default_factory=dict)
    trained_on: dict[str, Any] = field(default_factory=dict)
    #: who among the people warned is most at risk now (ranks 96110 calls)
    call_priority: CallPriority | None = None

    def get(self, kind: str) -> Scorer | None:
        return self.kinds.get(kind)

    @property
    def needs_text_scorer(self) -> str | None:
        """The feature only a text scorer gives that this model learnt from, if any (an
        engine refuses to decide with it and no scorer). A kind trained without a scorer
        (`trained_on.text_scorer` false) saw that feature unknown throughout, learnt
        nothing from it, and decides the same without one."""
        if self.trained_on.get("text_scorer") is False:
            return None
        for m in self.kinds.values():
            for name in m.features:
                if name in NEEDS_TEXT_SCORER:
                    return name
        return None

    def doc(self) -> ModelDoc:
        """The model file's content; every kind's scorer must be a `KindModel`."""
        kinds = {}
        for k, m in self.kinds.items():
            if not isinstance(m, KindModel):
                raise TypeError(
                    f"{k}: a {type(m).__name__} cannot be saved to a model file "
                    "(it holds LightGBM models, KindModel)"
                )
            kinds[k] = {
                "features": list(m.features),
                "thresholds": m.thresholds,
                "booster": m.text,
            }
        doc: ModelDoc = {"trained_on": self.trained_on, "kinds": kinds}
        if self.call_priority is not None:
            doc["call_priority"] = self.call_priority.to_dict()
        return doc

    @property
    def model_id(self) -> str | None:
        """The sha256 of the model's content, as its file records it: which model decided
        (None for a scorer that is not a `KindModel`: it has no file)."""
        from fraudwall.engine.modelfile import checksum

        if not all(isinstance(m, KindModel) for m in self.kinds.values()):
            return None
        return checksum(self.doc())

    def save(self, path: Path | str) -> Path:
        """Write the model file (whole or not at all); every kind's scorer must be a
        `KindModel`."""
        return write_model_file(self.doc(), Path(path))

    @classmethod
    def load(cls, path: Path | str) -> EngineModel:
        """Read a model file: its checksum, every field and every booster's text are
        checked before LightGBM reads it (`InputError` naming the file and the field)."""
        src = Path(path)
        doc = read_model_file(src)
        kinds: dict[str, Scorer] = {}
        for kind, m in doc["kinds"].items():
            booster = _booster(src, kind, m["booster"])
            kinds[kind] = KindModel(
                booster, tuple(m["features"]), dict(m["thresholds"]), m["booster"]
            )
        priority = doc.get("call_priority")
        call_priority = None if priority is None else CallPriority.from_dict(priority, str(src))
        return cls(kinds, doc.get("trained_on", {}), call_priority)


def _booster(src: Path, kind: str, text: str) -> lgb.Booster:
    """LightGBM's booster from a text `modelfile` has checked."""
    from fraudwall.errors import InputError

    try:
        return lgb.Booster(model_str=text)
    except Exception as exc:  # LightGBM's own refusal, whatever its type
        raise InputError(
            str(src), f"kinds.{kind}.booster: LightGBM cannot read it ({exc})"
        ) from exc


DEFAULT_MODEL = "default_model.json"


@cache
def default_call_priority() -> CallPriority:
    """The shipped model's call priority (an engine whose model has none uses it)."""
    return default_model().call_priority or CallPriority.neutral()


def default_model() -> EngineModel:
    """The model shipped with the package (trained on a simulated world of another seed
    than the demo's; `fraudwall train` makes one from your own history)."""
    from importlib import resources

    path = resources.files("fraudwall.engine").joinpath(DEFAULT_MODEL)
    with resources.as_file(path) as file:
        if not file.exists():
            raise FileNotFoundError(f"{file}: the package's default model is missing")
        return EngineModel.load(file)
