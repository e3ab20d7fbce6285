"""The engine's SMS text features: ``sms_text_score``, the fraud-script lexicon of
`fraudwall.common.lexicon` (shared with the learned text classifier of intel), and
``sms_fraud_probability``, the fraud probability of the text by the text scorer the
engine is given (`model.TextScorer`: for users, the shipped fraud-text model of intel).

`TextScores` computes both for a batch's SMS, each distinct text once.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.common import KeyIndex
from fraudwall.common.lexicon import (
    BIAS,
    CUES,
    HINT,
    VARIANTS,
    Cue,
    explain,
    normalize,
    sms_text_score,
)
from fraudwall.model import TextScorer

#: The features that only a text scorer gives: a model that reads one needs a scorer.
NEEDS_TEXT_SCORER = ("sms_fraud_probability",)


class TextScores:
    """SMS texts' lexicon scores and (with a `scorer`) fraud probabilities, each distinct
    text scored once and remembered (blasts send one text to thousands; bulk senders
    reuse templates). Both are pure functions of the text, so remembering them changes no
    decision. Texts are remembered in a KeyIndex (their id indexes the scores), so a
    batch's texts are matched with the known ones in numpy, without a Python string per
    text; the new distinct texts of a batch go to the scorer in one call.

    A null text scores 0 by the lexicon and what the scorer gives an empty text; without
    a scorer every probability is nan (unknown: no rule fires on it)."""

    def __init__(self, scorer: TextScorer | None = None, capacity: int = 1_000_000) -> None:
        self.scorer = scorer
        self.capacity = capacity
        self.known = KeyIndex()
        self.scores = np.empty(0)  # lexicon scores, by text id
        self.probabilities = np.empty(0)  # the scorer's, by text id
        self._empty: float | None = None  # the scorer's probability of an empty text

    def __call__(self, texts: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray]:
        """(lexicon score, fraud probability) of every text, in order."""
        if isinstance(texts, pa.ChunkedArray):
            texts = texts.combine_chunks()
        encoded = pc.dictionary_encode(texts)  # distinct texts; nulls stay null
        distinct = encoded.dictionary
        if len(self.known) + len(distinct) > self.capacity:
            self.known, self.scores, self.probabilities = KeyIndex(), np.empty(0), np.empty(0)
        ids = self.known.lookup(distinct)
        new = np.flatnonzero(ids >= len(self.scores))  # ids are given in order: new last
        if len(new):
            fresh = distinct.take(pa.array(new))
            self.scores = _grown(self.scores, len(self.known), ids[new], sms_text_score(fresh))
            probability = np.full(len(new), np.nan) if self.scorer is None else self._score(fresh)
            self.probabilities = _grown(self.probabilities, len(self.known), ids[new], probability)
        rows = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
        scores = np.append(self.scores[ids], 0.0)  # last: a null text
        probabilities = self.probabilities[ids]
        if encoded.indices.null_count:
            probabilities = np.append(probabilities, self._empty_probability())
        return scores[rows], probabilities[rows]

    def _score(self, texts: pa.Array) -> np.ndarray:
        assert self.scorer is not None
        got = np.asarray(self.scorer.fraud_probability(texts.to_pylist()), np.float64)
        if got.shape != (len(texts),):
            raise ValueError(
                f"text scorer: {got.shape} probabilities for {len(texts)} texts (one each)"
            )
        outside = np.flatnonzero(~((got >= 0.0) & (got <= 1.0)))  # nan is outside too
        if len(outside):
            raise ValueError(
                f"text scorer: probability {float(got[outside[0]])} of text "
                f"{texts[int(outside[0])].as_py()!r} is not within 0..1"
            )
        return got

    def _empty_probability(self) -> float:
        if self.scorer is None:
            return float("nan")
        if self._empty is None:
            self._empty = float(self._score(pa.array([""], pa.string()))[0])
        return self._empty


def _grown(values: np.ndarray, n: int, at: np.ndarray, new: np.ndarray) -> np.ndarray:
    """`values` grown to n, with `new` at `at`."""
    out = np.empty(n)
    out[: len(values)] = values
    out[at] = new
    return out


__all__ = [
    "BIAS",
    "CUES",
    "HINT",
    "NEEDS_TEXT_SCORER",
    "VARIANTS",
    "Cue",
    "TextScores",
    "explain",
    "normalize",
    "sms_text_score",
]
