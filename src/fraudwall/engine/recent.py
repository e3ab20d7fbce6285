"""The events the engine absorbed lately, by id: how it knows a repeat from an earlier batch.

A batch may hold an event the engine took in an earlier one (a retried request, a file
sent twice). `RecentEvents` remembers the 64-bit hash of every event id absorbed in the
last `memory_ms` (at least; at most twice that: it keeps two generations and forgets the
older one whole) with a fingerprint of the event: its table, its time and its whole
numbers (amount, duration, loss). A repeat whose fingerprint matches is the same event
sent again; one whose fingerprint differs is another record with the same id. A repeat
arriving after the memory has let its id go is taken as new: repeats are expected within
minutes (retries) or the same day (a file resent); `replay` and `train` also split the
whole history once (`repeats.split_repeats`), so they are exact whatever the gap.

The cost is kept to a few passes per batch. A table of 16-bit tags, 8 to 16 slots per
event, indexed by a hash's low bits, holds in each slot the tag (16 other bits of the
hash) of the one event there, or "several": one read answers "surely new" for all but
about 1 in 150 new events, and only those are looked up exactly, by binary search in
runs of hashes ordered by their top 16 bits (a radix sort; runs of doubling sizes,
merged as they fill, so remembering is amortised O(log n) per event). Memory: about 40
bytes per remembered event.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.model import DAY_MS

#: How long an event id is remembered at least (a repeat later than this is taken as new).
EVENT_MEMORY_MS: Final = DAY_MS
_MIN_SLOTS: Final = 1 << 12
_SLOTS_PER_EVENT: Final = 8  # at least: a new event's slot is shared ~1 in 150 times
_NONE: Final = 0  # a slot's tag when no event is there
_SEVERAL: Final = 0xFFFF  # ... when several are (or two with different tags)
_U64 = np.uint64
_MIX1, _MIX2 = _U64(0xBF58476D1CE4E5B9), _U64(0x94D049BB133111EB)


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser (wrapping uint64 arithmetic)."""
    z = z ^ (z >> _U64(30))
    z = z * _MIX1
    z = z ^ (z >> _U64(27))
    z = z * _MIX2
    return z ^ (z >> _U64(31))


def event_prints(table_code: int, table: pa.Table) -> np.ndarray:
    """Each event's fingerprint: its table, time and whole numbers (never 0)."""
    h = np.full(table.num_rows, _U64(table_code + 1), _U64)
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_integer(column.type) or pa.types.is_timestamp(column.type):
            values = pc.fill_null(column, 0).to_numpy().astype(np.int64).view(_U64)
            h = _mix(h ^ values ^ _U64(len(name)))
    return h | _U64(1)


def _top(keys: np.ndarray) -> np.ndarray:
    """A hash's top 16 bits: what a run is ordered by (a radix sort, one pass)."""
    return (keys >> _U64(48)).astype(np.uint16)


class _Runs:
    """Runs of (hash, fingerprint) of decreasing sizes, each ordered by the hashes' top 16
    bits (hashes are uniform: a few share them, and are compared one by one)."""

    def __init__(self, keys: np.ndarray | None = None, prints: np.ndarray | None = None) -> None:
        self.runs: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        if keys is not None and prints is not None and len(keys):
            self._append(keys, prints)

    def __len__(self) -> int:
        return sum(len(k) for k, _, _ in self.runs)

    @property
    def nbytes(self) -> int:
        return sum(int(k.nbytes + p.nbytes + t.nbytes) for k, p, t in self.runs)

    def _append(self, keys: np.ndarray, prints: np.ndarray) -> None:
        top = _top(keys)
        order = np.argsort(top, kind="stable")
        self.runs.append((keys[order], prints[order], top[order]))

    def add(self, keys: np.ndarray, prints: np.ndarray) -> None:
        self._append(keys, prints)
        while len(self.runs) > 1 and len(self.runs[-2][0]) <= 2 * len(self.runs[-1][0]):
            (k1, p1, _), (k2, p2, _) = self.runs.pop(), self.runs.pop()
            self._append(np.concatenate([k2, k1]), np.concatenate([p2, p1]))

    def find(self, keys: np.ndarray, out: np.ndarray) -> None:
        """Write the fingerprint of each key found into `out` (left as it is otherwise)."""
        top = _top(keys)
        for run_keys, run_prints, run_top in self.runs:
            at = np.searchsorted(run_top, top, side="left")
            end = np.searchsorted(run_top, top, side="right")
            while True:  # the run's keys with the same top bits, one at a time
                more = np.flatnonzero(at < end)
                if not len(more):
                    break
                hit = more[run_keys[at[more]] == keys[more]]
                out[hit] = run_prints[at[hit]]
                at[more] += 1

    def merged(self) -> tuple[np.ndarray, np.ndarray]:
        """All of it, sorted by hash (the same whatever the runs were)."""
        if not self.runs:
            return np.empty(0, _U64), np.empty(0, _U64)
        keys = np.concatenate([k for k, _, _ in self.runs])
        prints = np.concatenate([p for _, p, _ in self.runs])
        order = np.argsort(keys, kind="stable")
        return keys[order], prints[order]


class RecentEvents:
    """The events absorbed lately: id hash -> fingerprint (see the module doc)."""

    def __init__(self, memory_ms: int = EVENT_MEMORY_MS) -> None:
        self.memory_ms = memory_ms
        self.since = -1  # when the current generation began (-1: nothing yet)
        self.current = _Runs()
        self.previous = _Runs()
        self.tags = np.zeros(_MIN_SLOTS, np.uint16)

    def __len__(self) -> int:
        return len(self.current) + len(self.previous)

    @property
    def nbytes(self) -> int:
        return self.current.nbytes + self.previous.nbytes + int(self.tags.nbytes)

    def find(self, hashes: np.ndarray) -> np.ndarray:
        """The fingerprint remembered for each id hash, 0 for an id not remembered."""
        hashes = np.asarray(hashes, _U64)
        out = np.zeros(len(hashes), _U64)
        if not len(self) or not len(hashes):
            return out
        slot, tag = self._slots(hashes)
        there = self.tags[slot]
        maybe = np.flatnonzero((there == tag) | (there == _SEVERAL))
        if len(maybe):
            found = np.zeros(len(maybe), _U64)
            self.previous.find(hashes[maybe], found)
            self.current.find(hashes[maybe], found)
            out[maybe] = found
        return out

    def remember(self, hashes: np.ndarray, prints: np.ndarray, now: int) -> None:
        """Remember these events (ids not remembered yet) as of time `now`."""
        if self.since < 0:
            self.since = now
        elif now - self.since >= self.memory_ms:
            kept = self.current if now - self.since < 2 * self.memory_ms else _Runs()
            self.previous, self.current, self.since = kept, _Runs(), now
            self._retag()
        if not len(hashes):
            return
        hashes = np.asarray(hashes, _U64)
        self.current.add(hashes, np.asarray(prints, _U64))
        if _SLOTS_PER_EVENT * len(self) > len(self.tags):
            self._retag()
        else:
            self._tag(hashes)

    def _slots(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each hash's slot (its low bits) and tag (its top 16 bits, never 0 or several)."""
        slot = (hashes & _U64(len(self.tags) - 1)).astype(np.intp)
        tag = (hashes >> _U64(48)).astype(np.uint16)
        tag[tag == _NONE] = 1
        tag[tag == _SEVERAL] = _SEVERAL - 1
        return slot, tag

    def _tag(self, hashes: np.ndarray) -> None:
        """Write the events' tags; a slot that gets a second tag holds "several"."""
        slot, tag = self._slots(hashes)
        before = self.tags[slot]
        self.tags[slot] = tag  # of several writing one slot, one write sticks
        clash = (self.tags[slot] != tag) | ((before != _NONE) & (before != tag))
        self.tags[slot[clash]] = _SEVERAL

    def _retag(self) -> None:
        """Size the tags to the events remembered and write them all again."""
        size = max(_MIN_SLOTS, 1 << (_SLOTS_PER_EVENT * len(self)).bit_length())
        self.tags = np.zeros(size, np.uint16)
        for runs in (self.previous, self.current):
            for keys, _, _ in runs.runs:
                self._tag(keys)

    # -- snapshots ----------------------------------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        current, previous = self.current.merged(), self.previous.merged()
        return {
            "since": np.array([self.since], np.int64),
            "memory_ms": np.array([self.memory_ms], np.int64),
            "current_keys": current[0],
            "current_prints": current[1],
            "previous_keys": previous[0],
            "previous_prints": previous[1],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> RecentEvents:
        out = cls(int(state["memory_ms"][0]))
        out.since = int(state["since"][0])
        out.current = _Runs(state["current_keys"].astype(_U64), state["current_prints"])
        out.previous = _Runs(state["previous_keys"].astype(_U64), state["previous_prints"])
        out._retag()
        return out
