"""Fraud texts (issue 14): the classifier of `fraudwall.intel.text` beside scikit-learn's
TF-IDF (character 1-3-grams) + LinearSVC, in the same run, on one core.

(a) TeleAntiFraud dialogues (`../shared/data/teleantifraud`, Apache-2.0): a stratified
    80/20 split of the labels (8 fraud types + normal), seed `SPLIT_SEED`, trained and
    evaluated with the `fraudwall text train` / `text eval` commands themselves; macro-F1
    over the 9 classes and over fraud versus normal. The peer is fitted on the same split.
(b) Speed: texts classified per second on SMS-length texts (simulated SMS of every fraud
    type and every ordinary kind, seed `SMS_SEED`), and the training time on 100k of them,
    for both.
(c) Another shape: the models of (b), trained on simulated SMS only, on the TeleAntiFraud
    callers' first turns (SMS-like, written by others) and whole dialogues: binary F1 of
    fraud (P(normal) < 0.5; the peer: its predicted class) — with and without the lexicon's
    cue groups as features.
(d) The shipped default model (`make text-model`) and the engine's lexicon on sixty
    messages written here of yet other shapes (`bench/_text_handset.py`): a smoke check.
(e) Can the fraud types be told apart at all (seconds): test dialogues with a
    near-identical training dialogue (character 3-gram Jaccard of the normal forms >=
    `NEAR_DUPLICATE`) and how many of those carry another label; the best 9-class macro-F1
    any classifier could reach if near-identical dialogues (chained) must share a label
    (each group given its commonest test label); and the peer fitted on the caller's first
    turn alone, against the whole dialogue.

Skipped (not failed) when ../shared/data is absent: (b) needs no data but is run with (a)
so the figures come from one run. `python -m bench.text` or `python -m bench text`.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from typer.testing import CliRunner

from fraudwall.cli.main import app
from fraudwall.intel.importers import import_teleantifraud
from fraudwall.intel.text import NORMAL, classification_report, stratified_split, train
from fraudwall.model import FraudType
from fraudwall.sim.texts import NORMAL_SMS_KINDS, fraud_sms, normal_sms

DATA_SET = "TeleAntiFraud dialogues (JimmyMa99/TeleAntiFraud @6a09c4ee6ac8, Apache-2.0)"
SPLIT_SEED = 14
SMS_SEED = 140
TRAIN_SMS = 100_000
SPEED_SMS = 200_000
NEAR_DUPLICATE = 0.8


def data_dir() -> Path | None:
    """`FRAUDWALL_TELEANTIFRAUD_DIR`, else the first `shared/data/teleantifraud` beside the
    repository or above it (`../shared/data/teleantifraud` from a checkout), else None."""
    given = os.environ.get("FRAUDWALL_TELEANTIFRAUD_DIR")
    if given:
        return Path(given) if Path(given).is_dir() else None
    repo = Path(__file__).resolve().parent.parent
    for parent in repo.parents:
        candidate = parent / "shared" / "data" / "teleantifraud"
        if candidate.is_dir():
            return candidate
    return None


def _binary(labels: list[str]) -> list[str]:
    return [NORMAL if v == NORMAL else "fraud" for v in labels]


def _peer_fit(texts: list[str], labels: list[str]) -> tuple[Any, Any, float]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    t0 = time.perf_counter()
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    svm = LinearSVC().fit(vectorizer.fit_transform(texts), labels)
    return vectorizer, svm, time.perf_counter() - t0


def _sms(n: int, seed: int) -> tuple[list[str], list[str]]:
    """`n` simulated SMS, half fraud (every type), half ordinary (every kind), shuffled."""
    rng = np.random.default_rng(seed)
    types = [t for t in FraudType]
    texts: list[str] = []
    labels: list[str] = []
    for t in types:
        k = n // 2 // len(types)
        texts += fraud_sms(t, rng, k)
        labels += [str(t)] * k
    for kind in NORMAL_SMS_KINDS:
        k = (n - len(texts)) // (len(NORMAL_SMS_KINDS) - NORMAL_SMS_KINDS.index(kind))
        texts += normal_sms(kind, rng, k)
        labels += [NORMAL] * k
    order = rng.permutation(len(texts))
    return [texts[i] for i in order], [labels[i] for i in order]


def _write(path: Path, texts: list[str], labels: list[str]) -> Path:
    pacsv.write_csv(pa.table({"text": texts, "label": labels}), path)
    return path


def _teleantifraud(folder: Path) -> dict[str, Any]:
    data = import_teleantifraud(folder).texts
    texts, labels = data["text"].to_pylist(), data["label"].to_pylist()
    fit, held = stratified_split(labels, 0.2, SPLIT_SEED)
    fit_t, fit_l = [texts[i] for i in fit], [labels[i] for i in fit]
    test_t, test_l = [texts[i] for i in held], [labels[i] for i in held]
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as tmp:
        train_csv = _write(Path(tmp) / "train.csv", fit_t, fit_l)
        test_csv = _write(Path(tmp) / "test.csv", test_t, test_l)
        model = Path(tmp) / "model.npz"
        t0 = time.perf_counter()
        trained = runner.invoke(
            app, ["text", "train", "--data", str(train_csv), "--out", str(model)]
        )
        train_s = time.perf_counter() - t0
        if trained.exit_code != 0:
            raise RuntimeError(f"fraudwall text train failed: {trained.output}")
        evaluated = runner.invoke(
            app, ["text", "eval", "--model", str(model), "--data", str(test_csv)]
        )
        if evaluated.exit_code != 0:
            raise RuntimeError(f"fraudwall text eval failed: {evaluated.output}")
        report = json.loads(evaluated.stdout)
    vectorizer, svm, peer_train_s = _peer_fit(fit_t, fit_l)
    predicted = svm.predict(vectorizer.transform(test_t)).tolist()
    peer = classification_report(test_l, predicted)
    peer_binary = classification_report(_binary(test_l), _binary(predicted))
    ours = {
        "macro_f1_types": report["macro_f1"],
        "macro_f1_binary": report["binary"]["macro_f1"],
        "accuracy": report["accuracy"],
        "f1_per_class": {c: v["f1"] for c, v in report["per_class"].items()},
        "train_s": round(train_s, 1),
    }
    theirs = {
        "macro_f1_types": peer["macro_f1"],
        "macro_f1_binary": peer_binary["macro_f1"],
        "accuracy": peer["accuracy"],
        "f1_per_class": {c: v["f1"] for c, v in peer["per_class"].items()},
        "train_s": round(peer_train_s, 1),
    }
    return {
        "split": f"stratified 80/20 of label, seed {SPLIT_SEED}",
        "train_texts": len(fit),
        "test_texts": len(held),
        "classes": sorted(set(labels)),
        "fraudwall": ours,
        "peer_tfidf_linearsvc": theirs,
    }


def _separability(folder: Path) -> dict[str, Any]:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from sklearn.feature_extraction.text import CountVectorizer

    from fraudwall.intel.text import normalize_texts

    data = import_teleantifraud(folder).texts
    texts, labels = data["text"].to_pylist(), data["label"].to_pylist()
    fit, held = stratified_split(labels, 0.2, SPLIT_SEED)
    y = np.asarray(labels, dtype=object)
    shingles = CountVectorizer(analyzer="char", ngram_range=(3, 3), binary=True)
    x = shingles.fit_transform(normalize_texts(texts)).astype(np.float32).tocsr()
    size = np.asarray(x.sum(axis=1)).ravel()
    shared = (x @ x.T).tocoo()
    i, j, both = shared.row, shared.col, shared.data
    near = (both >= NEAR_DUPLICATE * (size[i] + size[j] - both)) & (i != j)
    i, j = i[near], j[near]
    is_fit = np.zeros(len(texts), bool)
    is_fit[fit] = True
    to_fit = ~is_fit[i] & is_fit[j]  # a test dialogue i near a training dialogue j
    with_fit = np.unique(i[to_fit])
    other = np.unique(i[to_fit & (y[i] != y[j])])
    pairs = coo_matrix((np.ones(len(i)), (i, j)), shape=(len(texts), len(texts)))
    _, group = connected_components(pairs, directed=False)
    best: dict[int, str] = {}
    for g in np.unique(group[held]).tolist():
        members = y[held][group[held] == g].tolist()
        best[g] = max(sorted(set(members)), key=members.count)
    oracle = classification_report(y[held].tolist(), [best[g] for g in group[held].tolist()])
    opener = [t.split("\n", 1)[0] for t in texts]
    vectorizer, svm, _ = _peer_fit([opener[k] for k in fit], [labels[k] for k in fit])
    predicted = svm.predict(vectorizer.transform([opener[k] for k in held])).tolist()
    peer_opener = classification_report(y[held].tolist(), predicted)
    return {
        "near_duplicate_jaccard": NEAR_DUPLICATE,
        "test_with_near_duplicate_in_training": len(with_fit),
        "of_which_another_label": len(other),
        "oracle_macro_f1_types": oracle["macro_f1"],
        "peer_first_turn_only_macro_f1_types": peer_opener["macro_f1"],
        "peer_first_turn_only_f1_per_class": {
            c: v["f1"] for c, v in peer_opener["per_class"].items()
        },
    }


def _binary_f1(truth: list[str], predicted: list[str]) -> dict[str, float]:
    fraud = classification_report(_binary(truth), _binary(predicted))["per_class"]["fraud"]
    return {k: fraud[k] for k in ("precision", "recall", "f1")}


def _shape(models: dict[str, Any], peer: tuple[Any, Any], folder: Path) -> dict[str, Any]:
    imported = import_teleantifraud(folder, openers=True).texts.to_pylist()
    out: dict[str, Any] = {}
    for part in ("opener", "dialogue"):
        rows = [r for r in imported if r["part"] == part]
        texts, truth = [r["text"] for r in rows], [r["label"] for r in rows]
        figures = {}
        for name, model in models.items():
            fraud = model.fraud_probability(texts) >= 0.5
            figures[name] = _binary_f1(truth, ["fraud" if f else NORMAL for f in fraud])
        vectorizer, svm = peer
        figures["peer_tfidf_linearsvc"] = _binary_f1(
            truth, svm.predict(vectorizer.transform(texts)).tolist()
        )
        out[f"{part}s"] = {"texts": len(texts), **figures}
    return out


def _speed() -> tuple[dict[str, Any], dict[str, Any], tuple[Any, Any]]:
    texts, labels = _sms(TRAIN_SMS, SMS_SEED)
    speed_texts, _ = _sms(SPEED_SMS, SMS_SEED + 1)
    t0 = time.perf_counter()
    model = train(texts, labels)
    train_s = time.perf_counter() - t0
    model.predict_proba(speed_texts[:1000])  # warm: the normalisation table is built once
    t0 = time.perf_counter()
    model.predict_proba(speed_texts)
    ours_s = time.perf_counter() - t0
    with_cues = train(texts, labels, lexicon=True)
    t0 = time.perf_counter()
    with_cues.predict_proba(speed_texts)
    cues_s = time.perf_counter() - t0
    vectorizer, svm, peer_train_s = _peer_fit(texts, labels)
    t0 = time.perf_counter()
    svm.decision_function(vectorizer.transform(speed_texts))
    peer_s = time.perf_counter() - t0
    chars = float(np.mean([len(t) for t in speed_texts]))
    ours_rate, peer_rate = SPEED_SMS / ours_s, SPEED_SMS / peer_s
    models = {"fraudwall": model, "fraudwall_with_cues": with_cues}
    return (
        {
            "texts": SPEED_SMS,
            "mean_chars": round(chars, 1),
            "fraudwall_texts_per_s": round(ours_rate),
            "fraudwall_with_cues_texts_per_s": round(SPEED_SMS / cues_s),
            "peer_texts_per_s": round(peer_rate),
            "speed_ratio": round(ours_rate / peer_rate, 2),
            "train_texts": TRAIN_SMS,
            "fraudwall_train_s": round(train_s, 1),
            "peer_train_s": round(peer_train_s, 1),
            "train_ratio": round(peer_train_s / train_s, 2),
        },
        models,
        (vectorizer, svm),
    )


def _handset() -> dict[str, Any]:
    from bench._text_handset import FRAUD, NORMALS
    from fraudwall.common.lexicon import sms_text_score
    from fraudwall.intel.text import default_model

    truth = ["fraud"] * len(FRAUD) + [NORMAL] * len(NORMALS)
    texts = FRAUD + NORMALS
    out: dict[str, Any] = {"texts": len(texts)}
    for name, scores in (
        ("default_model", default_model().fraud_probability(texts)),
        ("lexicon", sms_text_score(texts)),
    ):
        out[name] = _binary_f1(truth, ["fraud" if s >= 0.5 else NORMAL for s in scores])
    return out


def run() -> dict[str, Any]:
    from threadpoolctl import threadpool_limits

    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    folder = data_dir()
    if folder is None:
        message = "skipped: ../shared/data/teleantifraud is absent"
        print(message, file=sys.stderr)
        return {"skipped": message, "data_set": DATA_SET}
    with threadpool_limits(1):
        t0 = time.perf_counter()
        dialogues = _teleantifraud(folder)
        separability = _separability(folder)
        print(f"teleantifraud done in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        speed, models, peer = _speed()
        shape = _shape(models, peer, folder)
    handset = _handset()
    ours, theirs = dialogues["fraudwall"], dialogues["peer_tfidf_linearsvc"]
    return {
        "data_set": DATA_SET,
        "teleantifraud": dialogues,
        "sms_speed": speed,
        "teleantifraud_separability": separability,
        "sim_sms_to_teleantifraud": shape,
        "handwritten_60": handset,
        "summary": {
            "macro_f1_types": [ours["macro_f1_types"], theirs["macro_f1_types"]],
            "macro_f1_binary": [ours["macro_f1_binary"], theirs["macro_f1_binary"]],
            "texts_per_s": [speed["fraudwall_texts_per_s"], speed["peer_texts_per_s"]],
            "train_100k_s": [speed["fraudwall_train_s"], speed["peer_train_s"]],
            "openers_f1": [
                shape["openers"]["fraudwall"]["f1"],
                shape["openers"]["peer_tfidf_linearsvc"]["f1"],
            ],
            "order": "fraudwall, peer",
        },
    }


if __name__ == "__main__":
    from bench.__main__ import main

    sys.exit(main(["text"]))
