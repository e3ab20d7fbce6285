"""The fraud-text classifier: multinomial logistic regression over hashed character n-grams.

Why this model: it is fast (a sparse product per batch: hundreds of thousands of SMS a
second), small (the weights of the n-grams seen in training), explainable (the n-grams
that weighed most are the reason), and its probabilities can be calibrated with one
number. It is trained here with L-BFGS over numpy/scipy, class-balanced, with an L2
penalty; a stratified tenth of the training texts is held out to fit a temperature, so a
probability of 0.9 means about nine in ten.

A model names its classes; the one named `NORMAL` is the ordinary text, every other one
is a fraud type, so `fraud_probability` is ``1 - P(normal)``.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import numpy as np
import scipy.optimize as opt
import scipy.sparse as sp

from fraudwall.errors import InputError
from fraudwall.intel.text.features import DEFAULT_BITS, ngram_matrix, ngrams_of

__all__ = [
    "DEFAULT_MODEL",
    "NORMAL",
    "TextModel",
    "classification_report",
    "default_model",
    "evaluate",
    "score_texts",
    "stratified_split",
    "train",
]

NORMAL: Final = "normal"
FORMAT: Final = "fraudwall-text-model/1"
DEFAULT_MODEL: Final = Path(__file__).with_name("default_model.npz")
PRUNE_BELOW: Final = 2e-3
"""Weight rows smaller than this in every class are not saved (a third of a model's rows,
each moving a logit by less than 0.002 per occurrence)."""
ProgressFn = Callable[[str, float], None]


def _no_progress(step: str, fraction: float) -> None:
    pass


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


@dataclass(frozen=True, eq=False)
class TextModel:
    """Weights per hashed n-gram and class, a bias per class and a temperature."""

    labels: tuple[str, ...]
    weights: np.ndarray  # 2**bits x len(labels), float32
    bias: np.ndarray  # len(labels), float64
    temperature: float = 1.0
    bits: int = DEFAULT_BITS
    info: dict[str, Any] = field(default_factory=dict)

    # -------------------------------------------------------------------- prediction
    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated logits, len(texts) x classes."""
        x = ngram_matrix(list(texts), self.bits)
        z = np.asarray(x @ self.weights, dtype=np.float64) + self.bias
        return z / self.temperature

    def predict_proba(self, texts: Sequence[str], batch: int = 50_000) -> np.ndarray:
        """Calibrated class probabilities, len(texts) x len(labels) (columns as `labels`)."""
        texts = list(texts)
        out = np.empty((len(texts), len(self.labels)))
        for lo in range(0, len(texts), batch):
            out[lo : lo + batch] = _softmax(self.logits(texts[lo : lo + batch]))
        return out

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The most probable class of every text."""
        proba = self.predict_proba(texts)
        return [self.labels[i] for i in proba.argmax(axis=1)]

    def fraud_probability(self, texts: Sequence[str]) -> np.ndarray:
        """P(any fraud type) = 1 - P(normal) per text (1 - nothing when no normal class)."""
        proba = self.predict_proba(texts)
        if NORMAL not in self.labels:
            return np.ones(len(proba))
        return 1.0 - proba[:, self.labels.index(NORMAL)]

    def explain(self, text: str, top: int = 8) -> dict[str, Any]:
        """The class, its probability, and the n-grams of `text` that weighed most for it
        against the others (one entry per distinct n-gram, by summed weight)."""
        proba = self.predict_proba([text])[0]
        k = int(proba.argmax())
        grams = ngrams_of(text, self.bits)
        weight: dict[str, float] = {}
        if grams:
            norm = 1.0 / np.sqrt(len(grams))
            rows = self.weights[[b for _, b in grams]].astype(np.float64)
            # For the chosen class, against the mean of the others.
            others = (rows.sum(axis=1) - rows[:, k]) / max(len(self.labels) - 1, 1)
            push = (rows[:, k] - others) * norm / self.temperature
            for (gram, _), w in zip(grams, push.tolist(), strict=True):
                weight[gram] = weight.get(gram, 0.0) + w
        ranked = sorted(weight.items(), key=lambda kv: -kv[1])[:top]
        return {
            "label": self.labels[k],
            "probability": round(float(proba[k]), 4),
            "fraud_probability": round(
                float(1.0 - proba[self.labels.index(NORMAL)]) if NORMAL in self.labels else 1.0,
                4,
            ),
            "top_ngrams": [
                {"ngram": _readable(g), "weight": round(w, 4)} for g, w in ranked if w > 0
            ],
        }

    # -------------------------------------------------------------------- files
    def save(self, path: Path) -> Path:
        """Write the model as one compressed .npz: in float16, the rows of the n-grams with
        a weight over `PRUNE_BELOW` for some class (the others move no probability)."""
        big = np.abs(self.weights).max(axis=1) >= PRUNE_BELOW
        rows = np.flatnonzero(big).astype(np.int32)
        meta = {
            "format": FORMAT,
            "labels": list(self.labels),
            "temperature": self.temperature,
            "bits": self.bits,
            "info": self.info,
        }
        buf = io.BytesIO()
        np.savez_compressed(
            buf,
            meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), np.uint8),
            rows=rows,
            weights=self.weights[rows].astype(np.float16),
            bias=self.bias.astype(np.float64),
        )
        path = Path(path)
        path.write_bytes(buf.getvalue())
        return path

    @classmethod
    def load(cls, path: Path) -> TextModel:
        """A model written by `save`; a file of another kind is an `InputError`."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as f:
                meta = json.loads(f["meta"].tobytes().decode())
                rows, values, bias = f["rows"], f["weights"], f["bias"]
        except (OSError, ValueError, KeyError) as exc:
            if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError):
                raise
            raise InputError(str(path), "not a fraudwall text model (.npz)") from None
        if meta.get("format") != FORMAT:
            raise InputError(str(path), f"not a {FORMAT} file (format {meta.get('format')!r})")
        labels, bits = tuple(meta["labels"]), int(meta["bits"])
        weights = np.zeros((1 << bits, len(labels)), np.float32)
        weights[rows] = values
        return cls(labels, weights, bias, float(meta["temperature"]), bits, meta.get("info", {}))


def _readable(gram: str) -> str:
    from fraudwall.intel.text.normalize import LONG_NUMBER_TOKEN, NUMBER_TOKEN, URL_TOKEN

    return (
        gram.replace(URL_TOKEN, "<url>")
        .replace(LONG_NUMBER_TOKEN, "<phone>")
        .replace(NUMBER_TOKEN, "<num>")
    )


# ------------------------------------------------------------------------ training


def stratified_split(
    labels: Sequence[str], fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(kept, held-out) row numbers: `fraction` of every class held out (at least one of a
    class of two or more), seeded."""
    rng = np.random.default_rng(seed)
    y = np.asarray(labels, dtype=object)
    held: list[np.ndarray] = []
    for label in sorted(set(y.tolist())):
        rows = np.flatnonzero(y == label)
        rng.shuffle(rows)
        k = round(len(rows) * fraction)
        k = min(max(k, 1), len(rows) - 1) if len(rows) >= 2 else 0
        held.append(rows[:k])
    out = np.sort(np.concatenate(held)) if held else np.zeros(0, np.int64)
    keep = np.setdiff1d(np.arange(len(y)), out)
    return keep, out


def _fit(
    x: sp.csr_matrix,
    y: np.ndarray,
    n_classes: int,
    l2: float,
    max_iter: int,
    progress: ProgressFn,
) -> tuple[np.ndarray, np.ndarray]:
    """(weights of the columns of x, bias): class-balanced L2 logistic regression, L-BFGS."""
    n, d = x.shape
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    w_class = np.where(counts > 0, n / (n_classes * np.maximum(counts, 1)), 0.0)
    sample_w = w_class[y] / n
    onehot = np.zeros((n, n_classes))
    onehot[np.arange(n), y] = 1.0
    xt = x.T.tocsr()
    calls = [0]

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = theta[: d * n_classes].reshape(d, n_classes)
        b = theta[d * n_classes :]
        z = np.asarray(x @ w.astype(np.float32), dtype=np.float64) + b
        z -= z.max(axis=1, keepdims=True)
        lse = np.log(np.exp(z).sum(axis=1))
        penalty = 0.5 * l2 * float(np.dot(w.ravel(), w.ravel()))
        loss = float(sample_w @ (lse - z[np.arange(n), y])) + penalty
        p = np.exp(z - lse[:, None])
        g = (p - onehot) * sample_w[:, None]
        gw = np.asarray(xt @ g.astype(np.float32), dtype=np.float64) + l2 * w
        calls[0] += 1
        progress("training", min(calls[0] / max_iter, 1.0))
        return loss, np.concatenate([gw.ravel(), g.sum(axis=0)])

    theta0 = np.zeros(d * n_classes + n_classes)
    res = opt.minimize(
        objective, theta0, jac=True, method="L-BFGS-B", options={"maxiter": max_iter}
    )
    theta = res.x
    return theta[: d * n_classes].reshape(d, n_classes), theta[d * n_classes :]


def _temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature that minimises the log loss of held-out logits."""
    if not len(y):
        return 1.0

    def nll(log_t: float) -> float:
        z = logits / np.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        lse = np.log(np.exp(z).sum(axis=1))
        return float(np.mean(lse - z[np.arange(len(y)), y]))

    res = opt.minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(res.x))


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    bits: int = DEFAULT_BITS,
    l2: float = 1e-5,
    max_iter: int = 120,
    calibration_fraction: float = 0.1,
    seed: int = 0,
    progress: ProgressFn = _no_progress,
    info: dict[str, Any] | None = None,
) -> TextModel:
    """A `TextModel` of `texts` and their `labels` (class names; `NORMAL` for ordinary
    texts). A stratified `calibration_fraction` is held out to fit the temperature."""
    texts, labels = list(texts), [str(v) for v in labels]
    if len(texts) != len(labels):
        raise InputError("labels", f"{len(labels)} labels for {len(texts)} texts")
    classes = tuple(sorted(set(labels)))
    if len(classes) < 2:
        raise InputError("labels", f"need at least two classes, got {list(classes)}")
    t0 = time.perf_counter()
    y_all = np.searchsorted(np.array(classes, dtype=object), np.array(labels, dtype=object))
    y_all = y_all.astype(np.int64)
    fit_rows, cal_rows = stratified_split(labels, calibration_fraction, seed)
    progress("n-grams", 0.0)
    x_all = ngram_matrix(texts, bits)
    x_fit = x_all[fit_rows]
    x_fit.sum_duplicates()
    cols = np.unique(x_fit.indices)
    remap = np.full(1 << bits, -1, np.int64)
    remap[cols] = np.arange(len(cols))
    x_small = sp.csr_matrix(
        (x_fit.data, remap[x_fit.indices], x_fit.indptr), shape=(x_fit.shape[0], len(cols))
    )
    w_small, bias = _fit(x_small, y_all[fit_rows], len(classes), l2, max_iter, progress)
    weights = np.zeros((1 << bits, len(classes)), np.float32)
    weights[cols] = w_small
    raw = TextModel(classes, weights, bias, 1.0, bits)
    cal_logits = np.asarray(x_all[cal_rows] @ weights, dtype=np.float64) + bias
    temperature = _temperature(cal_logits, y_all[cal_rows])
    counts = {c: int(n) for c, n in zip(classes, np.bincount(y_all), strict=True)}
    meta = {
        "texts": len(texts),
        "classes": counts,
        "l2": l2,
        "held_out_for_calibration": len(cal_rows),
        "train_seconds": round(time.perf_counter() - t0, 2),
        **(info or {}),
    }
    progress("done", 1.0)
    return TextModel(raw.labels, raw.weights, raw.bias, temperature, bits, meta)


# ------------------------------------------------------------------------ evaluation


def classification_report(
    truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str] | None = None
) -> dict[str, Any]:
    """macro_f1, accuracy, per-class precision/recall/F1/support and the confusion matrix
    (rows: true class, columns: predicted class, in `labels` order)."""
    truth, predicted = [str(t) for t in truth], [str(p) for p in predicted]
    names = sorted(set(labels or []) | set(truth) | set(predicted))
    index = {c: i for i, c in enumerate(names)}
    k = len(names)
    t = np.array([index[v] for v in truth], np.int64)
    p = np.array([index[v] for v in predicted], np.int64)
    confusion = np.bincount(t * k + p, minlength=k * k).reshape(k, k)
    tp = np.diag(confusion).astype(np.float64)
    pred_n, true_n = confusion.sum(axis=0), confusion.sum(axis=1)
    precision = np.divide(tp, pred_n, out=np.zeros(k), where=pred_n > 0)
    recall = np.divide(tp, true_n, out=np.zeros(k), where=true_n > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros(k), where=denom > 0)
    present = true_n > 0
    return {
        "macro_f1": round(float(f1[present].mean()) if present.any() else 0.0, 4),
        "accuracy": round(float(tp.sum() / max(len(t), 1)), 4),
        "texts": len(t),
        "per_class": {
            c: {
                "precision": round(float(precision[i]), 4),
                "recall": round(float(recall[i]), 4),
                "f1": round(float(f1[i]), 4),
                "support": int(true_n[i]),
            }
            for i, c in enumerate(names)
        },
        "confusion": {"labels": names, "matrix": confusion.tolist()},
    }


def _binary(labels: Sequence[str]) -> list[str]:
    return [NORMAL if v == NORMAL else "fraud" for v in labels]


def evaluate(model: TextModel, texts: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """The model's `classification_report` on labelled texts, with a ``binary`` report of
    fraud (any type) against normal when the model knows the normal class."""
    labels = [str(v) for v in labels]
    predicted = model.predict(texts)
    out = classification_report(labels, predicted, model.labels)
    if NORMAL in model.labels:
        binary = classification_report(_binary(labels), _binary(predicted))
        out["binary"] = {k: binary[k] for k in ("macro_f1", "accuracy", "per_class")}
    return out


# ------------------------------------------------------------------------ the shipped model


@lru_cache(maxsize=1)
def default_model() -> TextModel:
    """The model shipped in the package (`make text-model`; its ``info`` says from what)."""
    return TextModel.load(DEFAULT_MODEL)


def score_texts(texts: Sequence[str], model: TextModel | None = None) -> np.ndarray:
    """The fraud probability (1 - P(normal)) of every text, float64 in 0..1, by `model` or
    the shipped default; an empty text scores what the model gives text without n-grams."""
    return (model or default_model()).fraud_probability(["" if t is None else t for t in texts])
