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

from fraudwall.common.files import write_file_atomically
from fraudwall.common.lexicon import CUE_GROUPS, cue_group_weights
from fraudwall.errors import InputError
from fraudwall.intel.text.features import DEFAULT_BITS, ngram_matrix, ngrams_of
from fraudwall.intel.text.normalize import LONG_NUMBER_TOKEN, NUMBER_TOKEN, URL_TOKEN

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
LEXICON_SCALE: Final = 0.25
"""Cue weights (up to 4 in size) times this: about the size of a whole text's n-grams."""
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
    """Weights per hashed n-gram (and lexicon cue group) and class, a bias per class and a
    temperature.

    ``weights`` has ``2**bits`` rows of n-grams, then one row per group of `cue_groups`:
    the lexicon of `fraudwall.common.lexicon` read as features (its groups matched by name,
    so a lexicon that gains a group later still reads an older model)."""

    labels: tuple[str, ...]
    weights: np.ndarray  # 2**bits + len(cue_groups) x len(labels), float32
    bias: np.ndarray  # len(labels), float64
    temperature: float = 1.0
    bits: int = DEFAULT_BITS
    info: dict[str, Any] = field(default_factory=dict)
    cue_groups: tuple[str, ...] = ()

    # -------------------------------------------------------------------- prediction
    def cue_features(self, texts: Sequence[str]) -> np.ndarray:
        """The lexicon's cue-group weights of `texts` as this model reads them."""
        return _cue_features(texts, self.cue_groups)

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated logits, len(texts) x classes."""
        texts = list(texts)
        x = ngram_matrix(texts, self.bits)
        n_grams = 1 << self.bits
        z = np.asarray(x @ self.weights[:n_grams], dtype=np.float64) + self.bias
        if self.cue_groups:
            z += self.cue_features(texts) @ self.weights[n_grams:].astype(np.float64)
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
        if self.cue_groups:
            cues = self.cue_features([text])[0]
            rows = self.weights[1 << self.bits :].astype(np.float64)
            others = (rows.sum(axis=1) - rows[:, k]) / max(len(self.labels) - 1, 1)
            push = cues * (rows[:, k] - others) / self.temperature
            for group, w in zip(self.cue_groups, push.tolist(), strict=True):
                if w:
                    weight[f"<cue:{group}>"] = w
        ranked = _readable_top(weight, top)
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
            "cue_groups": list(self.cue_groups),
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
        write_file_atomically(path, buf.getvalue())
        return path

    @classmethod
    def load(cls, path: Path) -> TextModel:
        """A model written by `save`; a file of another kind is an `InputError`."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as f:
                meta = json.loads(f["meta"].tobytes().decode())
                rows, values, bias = f["rows"], f["weights"], f["bias"]
        except FileNotFoundError:
            raise InputError(str(path), "no such file") from None
        except IsADirectoryError:
            raise InputError(str(path), "a folder, not a text model file") from None
        except PermissionError:
            raise InputError(str(path), "not readable (permission denied)") from None
        except (OSError, ValueError, KeyError):
            raise InputError(str(path), "not a fraudwall text model (.npz)") from None
        if meta.get("format") != FORMAT:
            raise InputError(str(path), f"not a {FORMAT} file (format {meta.get('format')!r})")
        try:
            labels, bits = tuple(meta["labels"]), int(meta["bits"])
            groups = tuple(meta.get("cue_groups", ()))
            weights = np.zeros(((1 << bits) + len(groups), len(labels)), np.float32)
            weights[rows] = values
            if bias.shape != (len(labels),) or not 8 <= bits <= 24:
                raise ValueError("shapes")
            temperature = float(meta["temperature"])
        except (KeyError, ValueError, IndexError, TypeError):
            raise InputError(str(path), "a damaged fraudwall text model") from None
        info = meta.get("info", {})
        return cls(labels, weights, bias, temperature, bits, info, groups)


def _cue_features(texts: Sequence[str], groups: tuple[str, ...]) -> np.ndarray:
    """`cue_group_weights` times `LEXICON_SCALE`, in the columns of `groups` (a group the
    lexicon no longer has reads 0)."""
    if not groups:
        return np.zeros((len(texts), 0))
    found = cue_group_weights(list(texts)) * LEXICON_SCALE
    if groups == CUE_GROUPS:
        return found
    out = np.zeros((len(texts), len(groups)))
    for j, g in enumerate(groups):
        if g in CUE_GROUPS:
            out[:, j] = found[:, CUE_GROUPS.index(g)]
    return out


def _readable_top(weight: dict[str, float], top: int) -> list[tuple[str, float]]:
    """The `top` n-grams of most positive weight, a piece of a longer one shown by it
    (刷单 rather than 刷 and 单 beside it), in order of weight."""
    chosen: list[tuple[str, float]] = []
    for gram, w in sorted(weight.items(), key=lambda kv: -kv[1]):
        if w <= 0 or len(chosen) >= top:
            break
        if any(gram in c for c, _ in chosen):
            continue
        chosen = [(c, cw) for c, cw in chosen if c not in gram] + [(gram, w)]
    return sorted(chosen, key=lambda kv: -kv[1])


def _readable(gram: str) -> str:
    """An n-gram as a person reads it: the tokens named."""
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


def class_weights(
    counts: np.ndarray, normal: int | None, normal_share: float | None = None
) -> np.ndarray:
    """A weight per sample of each class such that every class weighs the same in the loss;
    or, with `normal_share`, the normal class weighs that share of the loss and the fraud
    types share the rest equally."""
    counts = np.asarray(counts, dtype=np.float64)
    present = counts > 0
    total = np.zeros(len(counts))
    if normal_share is None or normal is None or not present[normal] or present.sum() < 2:
        total[present] = 1.0 / present.sum()
    else:
        fraud = present.copy()
        fraud[normal] = False
        total[fraud] = (1.0 - normal_share) / fraud.sum()
        total[normal] = normal_share
    return np.divide(total * counts.sum(), counts, out=np.zeros(len(counts)), where=present)


def _fit(
    x: sp.csr_matrix,
    dense: np.ndarray,
    y: np.ndarray,
    w_class: np.ndarray,
    l2: float,
    max_iter: int,
    progress: ProgressFn,
) -> tuple[np.ndarray, np.ndarray]:
    """(weights of the columns of x then of `dense`, bias): L2 logistic regression with
    class weights, by L-BFGS."""
    n, d = x.shape
    k = len(w_class)
    size = (d + dense.shape[1]) * k
    sample_w = w_class[y] / n
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y] = 1.0
    xt = x.T.tocsr()
    calls = [0]

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = theta[:size].reshape(-1, k)
        b = theta[size:]
        z = np.asarray(x @ w[:d].astype(np.float32), dtype=np.float64) + dense @ w[d:] + b
        z -= z.max(axis=1, keepdims=True)
        lse = np.log(np.exp(z).sum(axis=1))
        loss = float(sample_w @ (lse - z[np.arange(n), y])) + 0.5 * l2 * float(
            w.ravel() @ w.ravel()
        )
        g = (np.exp(z - lse[:, None]) - onehot) * sample_w[:, None]
        gw = np.empty_like(w)
        gw[:d] = np.asarray(xt @ g.astype(np.float32), dtype=np.float64)
        gw[d:] = dense.T @ g
        gw += l2 * w
        calls[0] += 1
        progress("training", min(calls[0] / max_iter, 1.0))
        return loss, np.concatenate([gw.ravel(), g.sum(axis=0)])

    res = opt.minimize(
        objective, np.zeros(size + k), jac=True, method="L-BFGS-B", options={"maxiter": max_iter}
    )
    return res.x[:size].reshape(-1, k), res.x[size:]


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
    l2: float = 3e-5,
    max_iter: int = 60,
    calibration_fraction: float = 0.1,
    seed: int = 0,
    lexicon: bool = False,
    normal_share: float | None = None,
    progress: ProgressFn = _no_progress,
    info: dict[str, Any] | None = None,
) -> TextModel:
    """A `TextModel` of `texts` and their `labels` (class names; `NORMAL` for ordinary
    texts). A stratified `calibration_fraction` is held out to fit the temperature. With
    `lexicon`, the cue groups of `fraudwall.common.lexicon` are features beside the
    n-grams. Off by default: measured, a model trained on SMS leans on them and then misses
    texts of other shapes that hold no cue (simulated SMS → TeleAntiFraud callers' first
    turns: binary F1 0.81 with them, 0.90 without), and they cost most of the time of a
    prediction; trained on dialogues only and tried on SMS they help a little (0.41 against
    0.34)."""
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
    groups = CUE_GROUPS if lexicon else ()
    progress("lexicon", 0.0)
    cues = _cue_features(texts, groups)
    x_fit = x_all[fit_rows]
    x_fit.sum_duplicates()
    cols = np.unique(x_fit.indices)  # the n-grams seen: the others keep a weight of 0
    remap = np.full(1 << bits, -1, np.int64)
    remap[cols] = np.arange(len(cols))
    x_small = sp.csr_matrix(
        (x_fit.data, remap[x_fit.indices], x_fit.indptr), shape=(x_fit.shape[0], len(cols))
    )
    normal = classes.index(NORMAL) if NORMAL in classes else None
    fit_counts = np.bincount(y_all[fit_rows], minlength=len(classes))
    w_class = class_weights(fit_counts, normal, normal_share)
    fitted, bias = _fit(x_small, cues[fit_rows], y_all[fit_rows], w_class, l2, max_iter, progress)
    weights = np.zeros(((1 << bits) + len(groups), len(classes)), np.float32)
    weights[cols] = fitted[: len(cols)]
    weights[1 << bits :] = fitted[len(cols) :]
    raw = TextModel(classes, weights, bias, 1.0, bits, {}, groups)
    cal_texts = [texts[i] for i in cal_rows]
    cal_logits = raw.logits(cal_texts) if len(cal_rows) else np.zeros((0, len(classes)))
    temperature = _temperature(cal_logits, y_all[cal_rows])
    meta = {
        "texts": len(texts),
        "classes": {c: int(n) for c, n in zip(classes, np.bincount(y_all), strict=True)},
        "l2": l2,
        "lexicon": lexicon,
        "held_out_for_calibration": len(cal_rows),
        "train_seconds": round(time.perf_counter() - t0, 2),
        **(info or {}),
    }
    progress("done", 1.0)
    return TextModel(raw.labels, raw.weights, raw.bias, temperature, bits, meta, groups)


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
