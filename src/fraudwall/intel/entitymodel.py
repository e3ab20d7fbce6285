"""One boosted model per kind of entity (accounts, numbers, apps, URLs): fit, score, evaluate.

Every detector of `fraudwall.intel` turns history into one row of features per entity
(a key column and numeric columns) and labels from ground truth; `EntityModel` is what
they share from there, so that a mule model and a fraud-number model train, score, explain,
save and evaluate the same way:

- `EntityModel.fit` holds out a seeded, stratified share of the entities, trains a LightGBM
  on the rest (early stopping on the held-out share), and picks the threshold with the
  best F1 on the held-out share, in the middle (log-odds) of the stretch of thresholds
  that all give it (`margin_threshold`): chosen on data the trees did not see, with room
  on both sides for a world whose scores sit a little lower or higher, and stated in the
  model (`threshold`, `holdout_f1`);
- `score` gives each entity its score, whether it is flagged, and its top reasons (the
  features that pushed its score up the most, from LightGBM's per-feature contributions),
  by default for the flagged entities only: contributions cost some twenty times a plain
  prediction, and an entity nobody will look at needs none (`explain="all"` gives every
  entity its reasons);
- `evaluate` gives precision, recall, F1 and AUPRC against labels;
- `save` / `load` keep the model in one JSON file (LightGBM's text model inside), refused
  with the file and the problem when it is not one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import lightgbm as lgb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.common.files import write_file_atomically
from fraudwall.errors import InputError

FORMAT: Final = "fraudwall-entity-model"
VERSION: Final = 1
#: LightGBM settings that suit a few thousand to a few million entities with tens of features.
DEFAULT_PARAMS: Final[Mapping[str, Any]] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.9,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "verbose": -1,
    "num_threads": 1,
    "deterministic": True,
    "force_row_wise": True,
}
#: Settings for kinds with only tens to a few thousand entities (apps, domains): smaller
#: leaves, so a world's hundred apps still grow trees.
SMALL_PARAMS: Final[Mapping[str, Any]] = {
    "num_leaves": 7,
    "min_data_in_leaf": 3,
    "min_data_in_bin": 1,
    "learning_rate": 0.05,
    # each tree sees 40 % of the features: no one feature that happens to separate one
    # world cleanly carries the whole model (its reasons name several marks instead)
    "feature_fraction": 0.4,
}
#: Which entities `EntityModel.score` gives reasons to.
EXPLAIN: Final = ("flagged", "all")
MAX_ROUNDS: Final = 600
EARLY_STOP: Final = 40
REASON_SCHEMA: Final = pa.struct(
    [("feature", pa.string()), ("value", pa.float64()), ("weight", pa.float64())]
)


def truth_labels(
    tables: Mapping[str, pa.Table],
    ids: pa.Array | pa.ChunkedArray,
    entity_kind: str,
    roles: Sequence[str],
    what: str = "entities",
) -> np.ndarray:
    """Whether each of `ids` is named by the ground truth (`truth`: entity_kind,
    entity_id, role) as an entity of `entity_kind` in one of `roles`; an `InputError`
    when the world has no truth or it lacks a column."""
    truth = tables.get("truth")
    if truth is None:
        raise InputError("truth", f"the world has no ground truth to label {what} with")
    for column in ("entity_kind", "entity_id", "role"):
        if column not in truth.column_names:
            raise InputError(f"truth.{column}", "missing column")
    kind = pc.equal(truth["entity_kind"].cast(pa.string()), entity_kind)
    role = pc.is_in(truth["role"].cast(pa.string()), pa.array(list(roles), pa.string()))
    named = truth.filter(pc.and_(kind, role))["entity_id"].cast(pa.string()).unique()
    hit = pc.is_in(ids.cast(pa.string()), named)
    return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)


def feature_matrix(table: pa.Table, features: Sequence[str]) -> np.ndarray:
    """The named columns of a feature table as a float64 matrix (nulls as NaN), in order;
    an `InputError` names a missing or non-numeric column."""
    columns = []
    for name in features:
        if name not in table.column_names:
            raise InputError(name, "missing feature column")
        col = table[name]
        if not _is_numeric(col.type):
            raise InputError(name, f"feature column must be numeric, not {col.type}")
        columns.append(col.cast(pa.float64()).to_numpy(zero_copy_only=False))
    if not columns:
        return np.empty((table.num_rows, 0))
    return np.column_stack(columns).astype(np.float64, copy=False)


def classification_metrics(
    labels: np.ndarray, scores: np.ndarray, threshold: float
) -> dict[str, float | int]:
    """Precision, recall and F1 at `threshold` (flagged when score >= threshold), and the
    area under the precision-recall curve (average precision), of binary labels."""
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    flagged = s >= threshold
    tp = int(np.count_nonzero(flagged & y))
    fp = int(np.count_nonzero(flagged & ~y))
    fn = int(np.count_nonzero(~flagged & y))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "auprc": round(average_precision(y, s), 4),
        "threshold": round(float(threshold), 6),
        "positives": int(y.sum()),
        "flagged": int(flagged.sum()),
        "entities": len(y),
    }


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
    """Average precision (area under the precision-recall curve, step-wise), ties in score
    taken together."""
    y = np.asarray(labels, dtype=bool)
    positives = int(y.sum())
    if positives == 0:
        return 0.0
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    s, yy = np.asarray(scores)[order], y[order]
    last_of_tie = np.r_[s[1:] != s[:-1], True]
    tp = np.cumsum(yy)[last_of_tie]
    seen = np.flatnonzero(last_of_tie) + 1
    precision = tp / seen
    recall_gain = np.diff(np.r_[0, tp]) / positives
    return float(np.sum(precision * recall_gain))


def best_f1_threshold(labels: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """The score threshold with the highest F1 on these labels, and that F1 (0.5 when
    there is no positive)."""
    y = np.asarray(labels, dtype=bool)
    positives = int(y.sum())
    if positives == 0 or len(y) == 0:
        return 0.5, 0.0
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    s, yy = np.asarray(scores, dtype=np.float64)[order], y[order]
    last_of_tie = np.r_[s[1:] != s[:-1], True]
    tp = np.cumsum(yy)[last_of_tie]
    flagged = np.flatnonzero(last_of_tie) + 1
    f1 = 2 * tp / (flagged + positives)
    best = int(np.argmax(f1))
    return float(s[last_of_tie][best]), float(f1[best])


def margin_threshold(labels: np.ndarray, scores: np.ndarray) -> float:
    """The threshold with the best F1 on `scores`, placed in the middle (on the log-odds
    scale) of the stretch of thresholds that all give that F1: every threshold between
    the lowest score flagged at the best F1 and the next score below it flags the same
    entities, and the top of that stretch (`best_f1_threshold`) sits right at the weakest
    positive, so a world whose positives score a little lower would lose them all."""
    top, _ = best_f1_threshold(labels, scores)
    below = np.asarray(scores, dtype=np.float64)
    below = below[below < top]
    if not len(below):
        return top
    a, b = np.clip([top, float(below.max())], 1e-12, 1 - 1e-12)
    middle = (np.log(a / (1 - a)) + np.log(b / (1 - b))) / 2
    return float(1 / (1 + np.exp(-middle)))


def holdout_split(
    labels: np.ndarray, share: float, seed: int, groups: np.ndarray | None = None
) -> np.ndarray:
    """A seeded, stratified mask of the rows held out (about `share` of each class).
    With `groups` (one per row), whole groups are held out or kept — the same entity
    seen at several times is never on both sides — a group counting as positive when
    any of its rows is."""
    y = np.asarray(labels, dtype=bool)
    rng = np.random.default_rng(seed)
    if groups is not None:
        names, of_row = np.unique(np.asarray(groups), return_inverse=True)
        positive = np.zeros(len(names), dtype=bool)
        np.logical_or.at(positive, of_row, y)
        return holdout_split(positive, share, seed)[of_row]
    held = np.zeros(len(y), dtype=bool)
    for cls in (False, True):
        rows = np.flatnonzero(y == cls)
        rng.shuffle(rows)
        held[rows[: round(len(rows) * share)]] = True
    return held


@dataclass
class EntityModel:
    """A boosted model over one row of features per entity (see the module doc)."""

    kind: str  # what is scored: "account", "number", "app", "url"
    key: str  # the feature table's key column: "account_id", "number", ...
    features: tuple[str, ...]
    booster: lgb.Booster
    threshold: float
    trained_on: dict[str, Any] = field(default_factory=dict)  # provenance: data, counts, F1

    @classmethod
    def fit(
        cls,
        kind: str,
        key: str,
        table: pa.Table,
        labels: np.ndarray,
        *,
        features: Sequence[str] | None = None,
        seed: int = 0,
        holdout: float = 0.25,
        params: Mapping[str, Any] | None = None,
        source: str = "",
        groups: np.ndarray | None = None,
    ) -> EntityModel:
        """Train on `table` (one row per entity) with binary `labels` (see the module doc).
        `features` defaults to every numeric column but the key. `groups` (one per row)
        keeps the rows of one group on one side of the held-out split: a table of the
        same entities at several times (`snapshots`) passes their keys."""
        y = np.asarray(labels, dtype=bool)
        if len(y) != table.num_rows:
            raise InputError("labels", f"{len(y)} labels for {table.num_rows} entities")
        if y.sum() < 2 or (~y).sum() < 2:
            raise InputError("labels", "need at least two positive and two negative entities")
        names = tuple(features) if features is not None else _numeric_columns(table, key)
        x = feature_matrix(table, names)
        held = holdout_split(y, holdout, seed, groups)
        settings = {**DEFAULT_PARAMS, **(params or {}), "seed": seed}
        train = lgb.Dataset(x[~held], y[~held].astype(np.int8), feature_name=list(names))
        valid = lgb.Dataset(x[held], y[held].astype(np.int8), reference=train)
        booster = lgb.train(
            settings,
            train,
            num_boost_round=MAX_ROUNDS,
            valid_sets=[valid],
            callbacks=[lgb.early_stopping(EARLY_STOP, verbose=False)],
        )
        held_scores = np.asarray(booster.predict(x[held], num_iteration=booster.best_iteration))
        threshold = margin_threshold(y[held], held_scores)
        held_f1 = best_f1_threshold(y[held], held_scores)[1]
        trained_on = {
            "source": source,
            "entities": len(y),
            "positives": int(y.sum()),
            "holdout_share": holdout,
            "seed": seed,
            "rounds": int(booster.best_iteration or booster.current_iteration()),
            "holdout_f1": round(held_f1, 4),
            "threshold_rule": "middle (log-odds) of the held-out best-F1 margin",
            "holdout_auprc": round(average_precision(y[held], held_scores), 4),
        }
        return cls(kind, key, names, booster, threshold, trained_on)

    def predict(self, table: pa.Table) -> np.ndarray:
        """Each entity's score in [0, 1]."""
        if table.num_rows == 0:
            return np.empty(0)
        return np.asarray(self.booster.predict(feature_matrix(table, self.features)))

    def score(self, table: pa.Table, *, top: int = 3, explain: str = "flagged") -> pa.Table:
        """Each entity's key, score, whether it is flagged (score >= threshold) and its
        `top` reasons: the features that raised its score the most, with their values;
        for the flagged entities (`explain="flagged"`, the others get an empty list) or for
        every entity (`explain="all"`)."""
        if explain not in EXPLAIN:
            raise InputError("explain", f"must be one of {', '.join(EXPLAIN)}, not {explain!r}")
        x = feature_matrix(table, self.features)
        scores = np.asarray(self.booster.predict(x)) if table.num_rows else np.empty(0)
        flagged = scores >= self.threshold
        rows = np.arange(len(scores)) if explain == "all" else np.flatnonzero(flagged)
        contrib = np.empty((0, len(self.features)))
        if len(rows):
            contrib = np.asarray(self.booster.predict(x[rows], pred_contrib=True))[:, :-1]
        reasons = _top_reasons(x, rows, contrib, self.features, top)
        return pa.table(
            {
                self.key: table[self.key],
                "score": pa.array(scores, pa.float64()),
                "flagged": pa.array(flagged, pa.bool_()),
                "reasons": reasons,
            }
        )

    def require(self, kind: str, key: str, what: str) -> None:
        """Refuse (`InputError` on ``model``) a model of another kind than `kind` keyed by
        `key`: a model trained on `what` scores nothing else."""
        if self.kind != kind or self.key != key:
            raise InputError("model", f"a model of {self.kind!r}, not of {what}")

    def evaluate(self, table: pa.Table, labels: np.ndarray) -> dict[str, float | int]:
        """Precision, recall, F1 and AUPRC at the model's threshold."""
        y = np.asarray(labels, dtype=bool)
        if len(y) != table.num_rows:
            raise InputError("labels", f"{len(y)} labels for {table.num_rows} entities")
        return classification_metrics(y, self.predict(table), self.threshold)

    # -- files -----------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "kind": self.kind,
            "key": self.key,
            "features": list(self.features),
            "threshold": self.threshold,
            "trained_on": self.trained_on,
            "booster": self.booster.model_to_string(),
        }

    def save(self, path: Path) -> Path:
        write_file_atomically(path, json.dumps(self.to_dict(), ensure_ascii=False).encode())
        return path

    @classmethod
    def load(cls, path: Path, kind: str | None = None) -> EntityModel:
        """A model saved by `save`; an `InputError` names the file and what is wrong (not a
        model file, another kind of entity, a damaged booster)."""
        where = str(path)
        try:
            doc = json.loads(Path(path).read_bytes())
        except FileNotFoundError:
            raise InputError(where, "no such model file") from None
        except (OSError, ValueError) as exc:
            raise InputError(where, f"not a fraudwall model file ({exc})") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise InputError(where, f"not a fraudwall entity model (no format {FORMAT!r})")
        if doc.get("version") != VERSION:
            raise InputError(
                where, f"model file version {doc.get('version')!r}, expected {VERSION}"
            )
        if kind is not None and doc.get("kind") != kind:
            raise InputError(where, f"a model of {doc.get('kind')!r}, not of {kind!r}")
        try:
            booster = lgb.Booster(model_str=doc["booster"])
            features = tuple(str(f) for f in doc["features"])
            threshold = float(doc["threshold"])
            trained_on = dict(doc.get("trained_on") or {})
            model = cls(str(doc["kind"]), str(doc["key"]), features, booster, threshold, trained_on)
        except (KeyError, TypeError, ValueError, lgb.basic.LightGBMError) as exc:
            raise InputError(where, f"damaged model file ({exc})") from None
        if booster.num_feature() != len(features):
            raise InputError(where, "damaged model file (feature count does not match)")
        return model


def _top_reasons(
    x: np.ndarray, rows: np.ndarray, contrib: np.ndarray, features: Sequence[str], top: int
) -> pa.ListArray:
    """Per row of `x`, up to `top` features with the largest positive contributions, largest
    first: (feature, its value, its contribution), built column-wise; `contrib` holds the
    contributions of `rows` (in order), every other row gets an empty list."""
    explained, width = contrib.shape
    k = min(top, width)
    order = np.argsort(-contrib, axis=1, kind="stable")[:, :k]
    weight = np.take_along_axis(contrib, order, axis=1)
    keep = weight > 0  # a feature that lowered the score is no reason to flag
    row_of = np.repeat(rows, k).reshape(explained, k)[keep]
    cols = order[keep]
    names = pa.array(np.asarray(features, dtype=object)[cols], pa.string())
    values = pa.array(x[row_of, cols], pa.float64())
    weights = pa.array(np.round(weight[keep], 4), pa.float64())
    structs = pa.StructArray.from_arrays([names, values, weights], fields=list(REASON_SCHEMA))
    counts = np.zeros(len(x), dtype=np.int64)
    counts[rows] = keep.sum(axis=1)
    offsets = np.r_[0, np.cumsum(counts)].astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), structs, type=pa.list_(REASON_SCHEMA))


def _is_numeric(typ: pa.DataType) -> bool:
    return bool(pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_boolean(typ))


def _numeric_columns(table: pa.Table, key: str) -> tuple[str, ...]:
    return tuple(f.name for f in table.schema if f.name != key and _is_numeric(f.type))


__all__ = [
    "SMALL_PARAMS",
    "EntityModel",
    "average_precision",
    "best_f1_threshold",
    "classification_metrics",
    "feature_matrix",
    "holdout_split",
    "margin_threshold",
    "truth_labels",
]
