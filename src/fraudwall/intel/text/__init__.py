"""Fraud texts (DESIGN §7, issue 14): a classifier of a Chinese text (SMS, call transcript,
victim's narrative) as normal or a fraud type, offline and fast.

- `normalize`: one form for the obfuscated spellings (full-width, traditional, symbols
  between characters, numbers and URLs as tokens);
- `features`: character 1-3-grams of the normal form hashed into a sparse matrix;
- `model`: `train` (class-balanced logistic regression, L-BFGS, temperature-calibrated on
  held-out texts), `TextModel` (predict, predict_proba, explain, save, load), `evaluate`,
  and `score_texts`, the fraud probability by the shipped default model;
- `worldtexts`: a simulated world's texts labelled by its truth;
- `files`: labelled text files (CSV, JSONL, Parquet) read with their bad rows rejected.
"""

from fraudwall.intel.text.files import LabelledTexts, read_labelled_texts, read_texts
from fraudwall.intel.text.model import (
    DEFAULT_MODEL,
    NORMAL,
    TextModel,
    classification_report,
    default_model,
    evaluate,
    score_texts,
    stratified_split,
    train,
)
from fraudwall.intel.text.normalize import normalize_text, normalize_texts
from fraudwall.intel.text.worldtexts import labelled_world_texts

__all__ = [
    "DEFAULT_MODEL",
    "NORMAL",
    "LabelledTexts",
    "TextModel",
    "classification_report",
    "default_model",
    "evaluate",
    "labelled_world_texts",
    "normalize_text",
    "normalize_texts",
    "read_labelled_texts",
    "read_texts",
    "score_texts",
    "stratified_split",
    "train",
]
