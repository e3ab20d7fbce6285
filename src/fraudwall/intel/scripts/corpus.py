"""A world's SMS made ready for the script finder once: what the finder asks of them again
at every as-of time (the text model's probabilities, the lexicon's cues, the MinHash
signatures, the age of the sending number) is computed once per distinct text or message.

The model reads every distinct text once (a world's fraud SMS are sent many times), and
signatures are made only for the texts that can ever be suspicious (see `suspicious`):
an ordinary text from an old number that neither the model nor the lexicon flags never
needs one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from datasketch import LeanMinHash

from fraudwall.common.lexicon import cue_group_weights
from fraudwall.intel.scripts.nearduplicates import signatures
from fraudwall.intel.scripts.suspicious import YOUNG_NUMBER_DAYS, suspicious_text
from fraudwall.intel.text import NORMAL, TextModel
from fraudwall.model import DAY_MS

__all__ = ["SMS_COLUMNS", "TextCorpus", "build_corpus"]

SMS_COLUMNS = ("event_id", "ts", "sender", "receiver", "text")
ProgressFn = Callable[[str, float], None]


def _no_progress(step: str, fraction: float) -> None:
    pass


@dataclass(frozen=True, eq=False)
class TextCorpus:
    """Per distinct text (`texts`, rows of `proba`, `cues`, `signature`) and per message
    (`event_id`, `ts`, `text_of`, `sender`, `receiver`, `sender_age_days`), messages in
    time order; senders and receivers as numbers into `numbers`."""

    labels: tuple[str, ...]  # the text model's classes, the columns of `proba`
    texts: list[str]
    proba: np.ndarray  # distinct texts x labels
    cues: np.ndarray  # the lexicon's strongest cue weight per distinct text
    signature: dict[int, LeanMinHash]  # distinct text -> signature (the possibly suspicious)
    event_id: np.ndarray  # object (str) per message
    ts: np.ndarray  # int64 ms per message
    text_of: np.ndarray  # int64: the distinct text of each message
    first_ts: np.ndarray  # int64 ms per distinct text: its first message
    sender: np.ndarray  # int64 into `numbers`
    receiver: np.ndarray  # int64 into `numbers`
    sender_age_days: np.ndarray  # float64, NaN where the activation is unknown
    numbers: np.ndarray  # object (str): the phone numbers

    @property
    def fraud_probability(self) -> np.ndarray:
        """1 - P(normal) per distinct text."""
        if NORMAL not in self.labels:
            return np.ones(len(self.texts))
        return 1.0 - self.proba[:, self.labels.index(NORMAL)]


def build_corpus(
    sms: pa.Table,
    model: TextModel,
    phones: pa.Table | None = None,
    progress: ProgressFn = _no_progress,
) -> TextCorpus:
    """The corpus of a world's `sms` (columns `SMS_COLUMNS`), read by `model`; `phones`
    (number, activated_ts) gives the age of the sending numbers."""
    sms = sms.select(list(SMS_COLUMNS)).filter(pc.is_valid(sms["text"]))
    sms = sms.take(pc.sort_indices(sms, [("ts", "ascending"), ("event_id", "ascending")]))
    progress("distinct texts", 0.0)
    encoded = pc.dictionary_encode(sms["text"].combine_chunks())  # one dictionary
    texts: list[str] = encoded.dictionary.to_pylist()
    text_of = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    progress("text model", 0.1)
    proba = model.predict_proba(texts) if texts else np.zeros((0, len(model.labels)))
    progress("lexicon", 0.4)
    cues = cue_group_weights(texts).max(axis=1) if texts else np.zeros(0)
    ts = sms["ts"].to_numpy().astype(np.int64)
    sender_str = sms["sender"].to_numpy(zero_copy_only=False)
    receiver_str = sms["receiver"].to_numpy(zero_copy_only=False)
    numbers, codes = np.unique(np.concatenate([sender_str, receiver_str]), return_inverse=True)
    sender, receiver = codes[: len(ts)].astype(np.int64), codes[len(ts) :].astype(np.int64)
    age = np.full(len(ts), np.nan)
    if phones is not None and "activated_ts" in phones.column_names:
        known = phones.filter(pc.is_valid(phones["activated_ts"]))
        activated = dict(
            zip(known["number"].to_pylist(), known["activated_ts"].to_pylist(), strict=True)
        )
        per_number = np.array([activated.get(n, np.nan) for n in numbers], np.float64)
        age = (ts - per_number[sender]) / DAY_MS
    fraud = 1.0 - proba[:, model.labels.index(NORMAL)] if NORMAL in model.labels else None
    maybe = suspicious_text(fraud if fraud is not None else np.ones(len(texts)), cues)
    young_texts = np.unique(text_of[age <= YOUNG_NUMBER_DAYS])
    maybe[young_texts] = True
    chosen = np.flatnonzero(maybe)
    progress("signatures", 0.6)
    sigs = signatures([texts[i] for i in chosen])
    progress("done", 1.0)
    return TextCorpus(
        labels=tuple(model.labels),
        texts=texts,
        proba=proba,
        cues=cues,
        signature=dict(zip(chosen.tolist(), sigs, strict=True)),
        event_id=sms["event_id"].to_numpy(zero_copy_only=False),
        ts=ts,
        text_of=text_of,
        first_ts=_first_times(ts, text_of, len(texts)),
        sender=sender,
        receiver=receiver,
        sender_age_days=age,
        numbers=numbers,
    )


def _first_times(ts: np.ndarray, text_of: np.ndarray, n_texts: int) -> np.ndarray:
    """When each distinct text was first sent (messages in time order)."""
    first = np.full(n_texts, np.iinfo(np.int64).max, np.int64)
    seen, at = np.unique(text_of, return_index=True)
    first[seen] = ts[at]
    return first
