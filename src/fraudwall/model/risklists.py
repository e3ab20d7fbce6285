"""What the engine is told about the risk lists: listed accounts and numbers, with spans.

The intelligence part keeps the risk lists (sources, evidence, merges, files); the engine
needs only which accounts and phone numbers are listed, from when until when, and how sure
the list is. `RiskListView` is that, in plain columns, so neither part imports the other:
intel makes one from its store, the engine takes it (`Engine.use_risk_lists`).

A value is listed from `from_ts` (inclusive) until `until_ts` (exclusive): at `until_ts`
the listing has expired and no longer counts. Times are int64 ms UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from fraudwall.errors import InputError


@dataclass(frozen=True)
class ListedSpans:
    """Values of one kind (account ids, E.164 numbers), each listed once from `from_ts`
    until `until_ts` with `confidence` (0..1); one row per value."""

    values: pa.Array = field(default_factory=lambda: pa.array([], pa.string()))
    from_ts: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    until_ts: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    confidence: np.ndarray = field(default_factory=lambda: np.empty(0, np.float64))

    def __post_init__(self) -> None:
        n = len(self.values)
        for name in ("from_ts", "until_ts", "confidence"):
            if len(getattr(self, name)) != n:
                raise InputError(name, f"{len(getattr(self, name))} values for {n} listed")
        if self.values.null_count:
            raise InputError("values", "a listed value is missing")
        if n and not bool(np.all(self.from_ts < self.until_ts)):
            raise InputError("until_ts", "a listing ends before it starts")
        if n and not bool(np.all((self.confidence >= 0) & (self.confidence <= 1))):
            raise InputError("confidence", "must be within 0..1")

    def __len__(self) -> int:
        return len(self.values)


@dataclass(frozen=True)
class RiskListView:
    """The risk lists as the engine reads them: payees (`accounts`) and callers
    (`numbers`); see the module doc."""

    accounts: ListedSpans = field(default_factory=ListedSpans)
    numbers: ListedSpans = field(default_factory=ListedSpans)


__all__ = ["ListedSpans", "RiskListView"]
