"""The engine as fraudwall builds it for users: its model with the fraud-text model
reading the SMS (issue 14).

The engine cannot import intelligence, so it is given the learned fraud-text classifier
(`fraudwall.intel.text`) as a `model.TextScorer`; the shipped engine model was trained
with it (its SMS model reads ``sms_fraud_probability``) and refuses to decide without it.
Every place that builds an engine for users (the CLI's `train` and `replay`, the demo,
the service) takes both from here, so they always go together.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fraudwall.engine import EngineModel, default_model
from fraudwall.intel import text
from fraudwall.model import TextScorer


@dataclass(frozen=True)
class EngineParts:
    """What an engine is built with besides its rules: the model (None: rules alone)
    and the text scorer its SMS features read."""

    model: EngineModel | None
    text_scorer: TextScorer


def shipped_text_scorer() -> TextScorer:
    """The shipped fraud-text model (`intel.text.default_model`), as the engine reads it."""
    return text.default_model()


def shipped_engine(model_path: Path | None = None, rules_only: bool = False) -> EngineParts:
    """The engine model from `model_path` (a `fraudwall train` file), else the shipped
    one, or none with `rules_only`; always with the shipped text scorer (rules may read
    its feature too)."""
    model = None
    if not rules_only:
        model = EngineModel.load(model_path) if model_path is not None else default_model()
    return EngineParts(model, shipped_text_scorer())


__all__ = ["EngineParts", "shipped_engine", "shipped_text_scorer"]
