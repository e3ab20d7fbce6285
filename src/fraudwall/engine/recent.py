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

The cost is kept to a few passes per batch: a flag per slot of a table indexed by the
hash's low bits answers "surely new" for almost every event with one read, and only the
flagged ones are looked up exactly, by binary search, in sorted runs of hashes (runs of
doubling sizes, merged as they fill, so remembering is amortised O(log n) per event).
Memory: about 40 bytes per remembered event.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.model import DAY_MS

#: How long an event id is remembered at least (a repeat later than this is taken as new).
EVENT_MEMORY_MS: Final = DAY_MS
_MIN_FLAGS: Final = 1 << 12
_FLAGS_PER_EVENT: Final = 16  # slots per remembered event: ~1 in 16 new events is looked up
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


class _Runs:
    """Sorted runs of (hash, fingerprint), of decreasing sizes."""

    def __init__(self, keys: np.ndarray | None = None, prints: np.ndarray | None = None) -> None:
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []
        if keys is not None and prints is not None and len(keys):
            self.runs.append((keys, prints))

    def __len__(self) -> int:
        return sum(len(k) for k, _ in self.runs)

    @property
    def nbytes(self) -> int:
        return sum(int(k.nbytes + p.nbytes) for k, p in self.runs)

    def add(self, keys: np.ndarray, prints: np.ndarray) -> None:
        order = np.argsort(keys)
        self.runs.append((keys[order], prints[order]))
        while len(self.runs) > 1 and len(self.runs[-2][0]) <= 2 * len(self.runs[-1][0]):
            (k1, p1), (k2, p2) = self.runs.pop(), self.runs.pop()
            keys, prints = np.concatenate([k2, k1]), np.concatenate([p2, p1])
            order = np.argsort(keys, kind="stable")  # two sorted runs: merged in one pass
            self.runs.append((keys[order], prints[order]))

    def find(self, keys: np.ndarray, out: np.ndarray) -> None:
        """Write the fingerprint of each key found into `out` (left as it is otherwise)."""
        for run_keys, run_prints in self.runs:
            at = np.minimum(np.searchsorted(run_keys, keys), len(run_keys) - 1)
            hit = run_keys[at] == keys
            out[hit] = run_prints[at[hit]]

    def merged(self) -> tuple[np.ndarray, np.ndarray]:
        """All of it as one sorted run (the same whatever the runs were)."""
        if not self.runs:
            return np.empty(0, _U64), np.empty(0, _U64)
        keys = np.concatenate([k for k, _ in self.runs])
        prints = np.concatenate([p for _, p in self.runs])
        order = np.argsort(keys, kind="stable")
        return keys[order], prints[order]


class RecentEvents:
    """The events absorbed lately: id hash -> fingerprint (see the module doc)."""

    def __init__(self, memory_ms: int = EVENT_MEMORY_MS) -> None:
        self.memory_ms = memory_ms
        self.since = -1  # when the current generation began (-1: nothing yet)
        self.current = _Runs()
        self.previous = _Runs()
        self.flags = np.zeros(_MIN_FLAGS, np.bool_)

    def __len__(self) -> int:
        return len(self.current) + len(self.previous)

    @property
    def nbytes(self) -> int:
        return self.current.nbytes + self.previous.nbytes + int(self.flags.nbytes)

    def find(self, hashes: np.ndarray) -> np.ndarray:
        """The fingerprint remembered for each id hash, 0 for an id not remembered."""
        out = np.zeros(len(hashes), _U64)
        maybe = np.flatnonzero(self.flags[self._slots(hashes)])
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
            self._reflag()
        if not len(hashes):
            return
        self.current.add(np.asarray(hashes, _U64), np.asarray(prints, _U64))
        if _FLAGS_PER_EVENT * len(self) > 2 * len(self.flags):
            self._reflag()
        else:
            self.flags[self._slots(hashes)] = True

    def _slots(self, hashes: np.ndarray) -> np.ndarray:
        return (np.asarray(hashes, _U64) & _U64(len(self.flags) - 1)).astype(np.intp)

    def _reflag(self) -> None:
        """Size the flags to the events remembered and set them again."""
        size = max(_MIN_FLAGS, 1 << (_FLAGS_PER_EVENT * len(self)).bit_length())
        self.flags = np.zeros(size, np.bool_)
        for runs in (self.previous, self.current):
            for keys, _ in runs.runs:
                self.flags[self._slots(keys)] = True

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
        out._reflag()
        return out
