"""What the engine is given to read SMS texts with: a fraud probability per text.

The learned fraud-text classifier lives in intelligence (`fraudwall.intel.text`); the engine
reads each SMS through it (feature ``sms_fraud_probability``) without importing intel:
`TextScorer` is the one method it calls, so whoever builds an engine for users passes
the shipped text model (which has that method) and tests may pass any small scorer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np


class TextScorer(Protocol):
    """Scores texts for fraud, a batch in one call."""

    def fraud_probability(self, texts: Sequence[str]) -> np.ndarray:
        """The probability (0..1, float64) that each text is a fraud text, one per text,
        in order; an empty text is scored as any other."""
        ...


__all__ = ["TextScorer"]
