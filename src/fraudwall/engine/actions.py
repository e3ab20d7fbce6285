"""The decisions' vocabulary: the kinds of event the engine decides, its actions in order
of severity, and the actions open to each kind.

Why one module: rules, the model's thresholds, `decide`, warnings and the engine all
speak in action codes (one int8 per event, compared with `>=`), so they must agree on what
each code means; none of them owns the vocabulary, they all read it from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.model import Action

#: The event kinds the engine decides (and rules and models are written for).
KINDS: Final[tuple[str, ...]] = ("transfer", "call", "sms")

#: Actions in order of severity; an action's code is its index (0 = allow).
ACTIONS: Final[tuple[Action, ...]] = tuple(Action)
ACTION_CODE: Final[Mapping[Action, int]] = {a: i for i, a in enumerate(ACTIONS)}
#: The actions' names as an Arrow array, by code (a decisions table's `action` column).
ACTION_NAMES: Final[pa.Array] = pa.array([a.value for a in ACTIONS], pa.string())


def action_codes_of(names: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The int8 codes of a column of action names (a decisions table's `action`)."""
    codes = pc.index_in(names, value_set=ACTION_NAMES)
    return np.asarray(codes.to_numpy(zero_copy_only=False), np.int8)


#: The actions open to each kind: a call or SMS is warned about or blocked.
KIND_ACTIONS: Final[Mapping[str, tuple[Action, ...]]] = {
    "transfer": ACTIONS,
    "call": (Action.ALLOW, Action.WARN, Action.BLOCK),
    "sms": (Action.ALLOW, Action.WARN, Action.BLOCK),
}
