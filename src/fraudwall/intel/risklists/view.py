"""The risk lists as the engine reads them (`model.RiskListView`), made from entries.

The engine holds one span per listed account or number. Several sources may list a value,
each for its own span; spans that overlap or touch are one listing (from the earliest
start to the latest end of the chain), and the view gives each value the listing current
at `at_ts`, or else the next one to begin. A later listing after a gap is not lost: the
view made after the current one ends carries it. Expired entries never reach the view.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.errors import InputError
from fraudwall.intel.risklists.entries import ListKind
from fraudwall.model import ListedSpans, RiskListView


def listed_spans(entries: pa.Table, at_ts: int, min_confidence: float = 0.0) -> ListedSpans:
    """Per value of `entries` (one kind, `ENTRY_SCHEMA`) with at least `min_confidence`
    and expiring after `at_ts`: its listing current at `at_ts` or next after it (see the
    module doc), with the highest confidence of the entries in it."""
    if not 0.0 <= min_confidence <= 1.0:
        raise InputError("min_confidence", f"must be within 0..1, got {min_confidence}")
    keep = pc.and_(
        pc.greater(entries["expires_ts"], at_ts),
        pc.greater_equal(entries["confidence"], min_confidence),
    )
    t = entries.filter(keep).sort_by([("value", "ascending"), ("first_seen_ts", "ascending")])
    n = t.num_rows
    if not n:
        return ListedSpans()
    values = t["value"].to_numpy(zero_copy_only=False)
    start = t["first_seen_ts"].to_numpy()
    end = t["expires_ts"].to_numpy()
    confidence = t["confidence"].to_numpy()
    opens = np.r_[True, values[1:] != values[:-1]]  # a value's first row
    group = np.cumsum(opens) - 1
    # The latest end so far within each value, without a loop: ends ranked, offset by
    # the value's group so that a running maximum never carries into the next value.
    distinct, rank = np.unique(end, return_inverse=True)
    width = len(distinct)
    reach = distinct[np.maximum.accumulate(group * width + rank) - group * width]
    # A new listing begins where a span starts after everything before it has ended.
    gap = np.zeros(n, bool)
    gap[1:] = ~opens[1:] & (start[1:] > reach[:-1])
    gaps = np.cumsum(gap)
    heads = np.flatnonzero(opens)
    first_listing = gaps == gaps[heads][group]
    until = np.maximum.reduceat(np.where(first_listing, end, -1), heads)
    sure = np.maximum.reduceat(np.where(first_listing, confidence, -1.0), heads)
    return ListedSpans(
        pa.array(values[heads], pa.string()), start[heads].astype(np.int64), until, sure
    )


def engine_view(entries: pa.Table, at_ts: int, min_confidence: float = 0.0) -> RiskListView:
    """The engine's view of `entries` (any kinds; only accounts and numbers are read by
    the engine) as of `at_ts`: see `listed_spans`."""

    def of(kind: ListKind) -> ListedSpans:
        mine = entries.filter(pc.equal(entries["kind"], kind.value))
        return listed_spans(mine, at_ts, min_confidence)

    return RiskListView(accounts=of(ListKind.ACCOUNT), numbers=of(ListKind.NUMBER))


__all__ = ["engine_view", "listed_spans"]
