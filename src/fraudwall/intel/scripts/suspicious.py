"""Which texts the script finder looks at: the suspicious ones.

Three signals, any one enough, so a script the text model has never seen is still looked
at: the model's fraud probability over a low bar (a new script usually borrows some of
the old ones' words), a cue of the fraud lexicon, or the way it is sent — from a young
number (activated within `YOUNG_NUMBER_DAYS`) that reached `BROADCAST_RECEIVERS` or more
distinct receivers in the window, the pattern of SIM cards bought to send a campaign.
Ordinary templated messages (bank notices, deliveries, codes) come from old service
numbers and read as normal to the model: they pass none of the three.
"""

from __future__ import annotations

from typing import Final

import numpy as np

__all__ = [
    "BROADCAST_RECEIVERS",
    "CUE_BAR",
    "FRAUD_BAR",
    "YOUNG_NUMBER_DAYS",
    "broadcast_messages",
    "suspicious_text",
]

FRAUD_BAR: Final = 0.2
"""The model's fraud probability from which a text is suspicious: low, to see what it half
recognises."""
CUE_BAR: Final = 1.0
"""The lexicon's strongest cue weight from which a text is suspicious (a cue of evidence,
not a hint)."""
YOUNG_NUMBER_DAYS: Final = 30.0
"""A sending number activated this few days before the message is young."""
BROADCAST_RECEIVERS: Final = 20
"""Distinct receivers in the window from which a young number is broadcasting."""


def suspicious_text(fraud_probability: np.ndarray, cues: np.ndarray) -> np.ndarray:
    """Per distinct text: suspicious by the model or the lexicon."""
    return (np.asarray(fraud_probability) >= FRAUD_BAR) | (np.asarray(cues) >= CUE_BAR)


def broadcast_messages(
    sender: np.ndarray, receiver: np.ndarray, sender_age_days: np.ndarray
) -> np.ndarray:
    """Per message (of one window): sent by a young number that reached
    `BROADCAST_RECEIVERS` or more distinct receivers in it."""
    young = np.asarray(sender_age_days) <= YOUNG_NUMBER_DAYS  # NaN (unknown) is not young
    out = np.zeros(len(sender), bool)
    if not young.any():
        return out
    pairs = np.unique(np.stack([sender[young], receiver[young]], axis=1), axis=0)
    senders, reached = np.unique(pairs[:, 0], return_counts=True)
    broadcasting = senders[reached >= BROADCAST_RECEIVERS]
    out[young] = np.isin(sender[young], broadcasting)
    return out
