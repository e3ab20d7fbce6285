"""Per-batch reads of per-entity state in event order, without a Python loop per event.

Batch semantics (no look-ahead). A signal's `before_each` gives, for every event of a
batch, the value as if the events were processed one at a time in order of (ts, position
in the batch): the state before the batch plus the earlier events of the batch (an
earlier event with the same ts counts), never the event itself or later ones. The batch
is sorted by (id, ts, position) once (`BatchOrder`, shareable by every signal keyed by
the same ids, its per-bucket runs and window starts kept on it); the caller then folds
the batch in. The windowed signals built on it are the row pools of `rowpool`.

Here too: the per-entity signals that are not windowed (`LastSeen`: an entity's newest
and first event; `Latest`: the greatest value of a cross-kind signal, read as of each
event of another kind) and the counterpart hash and estimate of the distinct-count
sketches (`splitmix64`, `linear_count`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fraudwall.common import IdColumn, stable_argsort

_U64 = np.uint64


def splitmix64(x: np.ndarray) -> np.ndarray:
    """A fixed 64-bit mix of int64 ids (splitmix64): the counterpart hash for sketches."""
    z = np.asarray(x).astype(np.int64).view(_U64) + _U64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> _U64(27))) * _U64(0x94D049BB133111EB)
    return z ^ (z >> _U64(31))


def _popcount(x: np.ndarray) -> np.ndarray:
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(x).astype(np.int64)
    table = np.array([bin(i).count("1") for i in range(256)], np.int64)  # numpy < 2
    return table[x.view(np.uint8).reshape(*x.shape, 8)].sum(-1)


def linear_count(bitmaps: np.ndarray) -> np.ndarray:
    """Distinct-count estimate from K-bit bitmaps (last axis: K / 64 uint64 words).

    n ≈ ln(z/K) / ln(1 - 1/K) for z zero bits (the inverse of the expected number of
    zero bits; one item reads exactly 1.0). A full bitmap reads as z = 0.5 (~K ln 2K).
    """
    bitmaps = np.asarray(bitmaps, _U64)
    k = 64 * bitmaps.shape[-1]
    zeros = k - _popcount(bitmaps).sum(-1)
    z = np.maximum(zeros, 0.5) / k
    return np.log(z) / np.log1p(-1.0 / k)


def _as_events(ids: Any, ts: Any, write: bool) -> tuple[np.ndarray, np.ndarray]:
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    ts = np.asarray(ts, dtype=np.int64).reshape(-1)
    if len(ids) != len(ts):
        raise ValueError(f"ids and ts differ in length: {len(ids)} != {len(ts)}")
    if write and len(ids) and ids.min() < 0:
        raise ValueError("ids must be >= 0 (an unknown key's -1 has no state to write)")
    return ids, ts


@dataclass(frozen=True, eq=False)
class BatchOrder:
    """A batch's events sorted by (id, ts, position in the batch), with its id segments.

    Computing it is the main cost of `before_each`; build it once per batch and key
    (`BatchOrder.of(ids, ts)`) and pass it to every signal keyed by the same ids.
    """

    perm: np.ndarray  # sorted position -> batch position
    ids: np.ndarray  # ids in sorted order
    ts: np.ndarray  # ts in sorted order
    seg: np.ndarray  # segment (distinct id) number of each sorted position
    start: np.ndarray  # first sorted position of each position's segment
    last: np.ndarray  # the last sorted position of every segment
    # What the order derives per bucket plan (epochs, runs, window starts), kept for
    # every signal with that plan.
    _by_plan: dict[tuple[str, int, int], np.ndarray] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, ids: Any, ts: Any) -> BatchOrder:
        ids, ts = _as_events(ids, ts, write=True)
        n = len(ids)
        if n == 1:  # a single check: nothing to sort
            zero = np.zeros(1, np.int64)
            return cls(zero, ids, ts, zero, zero, zero)
        by_ts = None if n < 2 or bool((ts[1:] >= ts[:-1]).all()) else stable_argsort(ts)
        rank = np.arange(n, dtype=np.int64)
        if by_ts is not None:
            rank[by_ts] = np.arange(n, dtype=np.int64)
        shift = (n - 1).bit_length()
        if n and int(ids.max()) < (2**62) >> shift:
            # One unstable sort of packed (id, rank) keys rather than a stable argsort
            # (a shift, not a multiply, so that a mask and a shift unpack them).
            packed = (ids << shift) | rank
            packed.sort()
            sorted_rank, sorted_ids = packed & ((1 << shift) - 1), packed >> shift
            perm = sorted_rank if by_ts is None else by_ts[sorted_rank]
        else:
            perm = np.lexsort((rank, ids))
            sorted_ids = ids[perm]
        change = np.empty(n, bool)
        change[:1] = True
        np.not_equal(sorted_ids[1:], sorted_ids[:-1], out=change[1:])
        seg = np.cumsum(change, dtype=np.int64)
        seg -= 1
        starts = np.flatnonzero(change)
        last = np.append(starts[1:] - 1, n - 1) if n else starts
        return cls(perm, sorted_ids, ts[perm], seg, starts[seg], last)

    def __len__(self) -> int:
        return len(self.perm)

    def epochs(self, bucket_ms: int) -> np.ndarray:
        """ts // bucket_ms in sorted order (kept: signals with the same buckets share it)."""
        key = ("epochs", bucket_ms, 0)
        if key not in self._by_plan:
            self._by_plan[key] = self.ts // bucket_ms
        return self._by_plan[key]

    def run_heads(self, bucket_ms: int) -> np.ndarray:
        """Sorted positions that start a run of equal (id, epoch)."""
        key = ("runs", bucket_ms, 0)
        if key not in self._by_plan:
            self._by_plan[key] = _run_heads(self.ids, self.epochs(bucket_ms))
        return self._by_plan[key]

    def run_of(self, bucket_ms: int) -> np.ndarray:
        """The run (see `run_heads`) of each sorted position (kept for reuse)."""
        key = ("run_of", bucket_ms, 0)
        if key not in self._by_plan:
            self._by_plan[key] = _run_of(self.run_heads(bucket_ms), len(self))
        return self._by_plan[key]

    def window_starts(self, bucket_ms: int, n_buckets: int) -> np.ndarray:
        """`window_start` for the epochs of `bucket_ms` (kept for reuse)."""
        key = ("starts", bucket_ms, n_buckets)
        if key not in self._by_plan:
            heads = self.run_heads(bucket_ms)
            self._by_plan[key] = self.window_start(
                self.epochs(bucket_ms), n_buckets, heads, self.run_of(bucket_ms)
            )
        return self._by_plan[key]

    def window_start(
        self,
        epochs: np.ndarray,
        n_buckets: int,
        heads: np.ndarray | None = None,
        run_of: np.ndarray | None = None,
    ) -> np.ndarray:
        """For each sorted position p, the first position q of its segment whose epoch is
        within the window of p's epoch (epochs[q] > epochs[p] - n_buckets).

        Worked out once per run of equal (id, epoch) (`heads`, `run_of`: the runs of these
        epochs, found here if not given): a run's positions share the answer, which is a
        run's head, and a batch has far fewer runs than events (a blast's calls share a
        bucket)."""
        n = len(epochs)
        if n == 0:
            return np.empty(0, np.int64)
        if heads is None or run_of is None:
            heads = _run_heads(self.ids, epochs)
            run_of = _run_of(heads, n)
        run_epochs = epochs[heads]
        lo = int(run_epochs.min())
        span = int(run_epochs.max()) - lo + 1
        n_seg = int(self.seg[-1]) + 1
        if n_seg * span < 2**62:
            rel = run_epochs - lo
            target = np.maximum(run_epochs - (n_buckets - 1) - lo, 0)
        else:  # epochs far apart: compare ranks among the batch's epochs instead
            values = np.unique(run_epochs)
            span = len(values)
            rel = np.searchsorted(values, run_epochs)
            target = np.searchsorted(values, run_epochs - (n_buckets - 1))
        base = self.seg[heads] * span
        first_run = np.searchsorted(base + rel, base + target, side="left")
        return heads[first_run][run_of]


def _run_heads(ids: np.ndarray, epochs: np.ndarray) -> np.ndarray:
    """Positions (of events sorted by id, then epoch) that start a run of equal (id, epoch)."""
    run = np.empty(len(epochs), bool)
    run[:1] = True
    run[1:] = (ids[1:] != ids[:-1]) | (epochs[1:] != epochs[:-1])
    return np.flatnonzero(run)


def _run_of(heads: np.ndarray, n: int) -> np.ndarray:
    """The run number of each of n positions, given the runs' first positions."""
    starts = np.zeros(n, np.int64)
    starts[heads[1:]] = 1
    return np.cumsum(starts)


def _order(order: BatchOrder | None, ids: np.ndarray, ts: np.ndarray) -> BatchOrder:
    if order is None:
        return BatchOrder.of(ids, ts)
    if len(order) != len(ids):
        raise ValueError(f"order is for {len(order)} events, the batch has {len(ids)}")
    return order


class LastSeen:
    """Per entity, the newest and the first event time (ms; -1: never seen).

    For dormancy (time idle before this activity), account age, and, over pair ids
    (a KeyIndex of payer|payee), "first transfer to this payee".
    """

    def __init__(self, n_capacity: int) -> None:
        self.last = IdColumn(np.int64, -1, n_capacity)
        self.first = IdColumn(np.int64, -1, n_capacity)

    @property
    def capacity(self) -> int:
        return len(self.last.values)

    @property
    def nbytes(self) -> int:
        return self.last.nbytes + self.first.nbytes

    @staticmethod
    def _check_ts(ts: np.ndarray) -> None:
        if len(ts) and ts.min() < 0:
            raise ValueError("LastSeen: ts must be >= 0 (-1 means never)")

    def update(self, ids: Any, ts: Any) -> None:
        """Fold a batch (any order) in: newest = max, first = min of the times seen."""
        ids, ts = _as_events(ids, ts, write=True)
        self._check_ts(ts)
        self.last.maximum(ids, ts)
        self.first.minimum(ids, ts)

    def get(self, ids: Any) -> np.ndarray:
        """Each id's newest event time (-1: never seen)."""
        return self.last.get(np.asarray(ids, np.int64).reshape(-1))

    def first_seen(self, ids: Any) -> np.ndarray:
        """Each id's first event time (-1: never seen)."""
        return self.first.get(np.asarray(ids, np.int64).reshape(-1))

    def before_each(self, ids: Any, ts: Any, order: BatchOrder | None = None) -> np.ndarray:
        """For each event, the newest earlier event time of its id (state or batch; -1 none)."""
        ids, ts = _as_events(ids, ts, write=True)
        if len(ids) == 1 and order is None:
            return self.last.get(ids)
        o = _order(order, ids, ts)
        n = len(ids)
        out = np.empty(n, np.int64)
        prev = np.full(n, -1, np.int64)
        inner = np.flatnonzero(np.arange(n) > o.start)
        prev[inner] = o.ts[inner - 1]
        out[o.perm] = np.maximum(prev, self.last.get(o.ids))
        return out

    def first_before_each(self, ids: Any, ts: Any, order: BatchOrder | None = None) -> np.ndarray:
        """For each event, the first earlier event time of its id (state or batch; -1 none)."""
        ids, ts = _as_events(ids, ts, write=True)
        o = _order(order, ids, ts)
        n = len(ids)
        out = np.empty(n, np.int64)
        state = self.first.get(o.ids)
        batch_first = np.where(np.arange(n) > o.start, o.ts[o.start], -1)
        both = (state >= 0) & (batch_first >= 0)
        out[o.perm] = np.where(both, np.minimum(state, batch_first), np.maximum(state, batch_first))
        return out

    def state_dict(self) -> dict[str, np.ndarray]:
        """The state as plain arrays (for np.savez); `from_state` restores it."""
        last = self.last.state_dict()["values"]
        return {"config": np.array([len(last)], np.int64), "last": last,
                "first": self.first.state_dict()["values"]}  # fmt: skip

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> LastSeen:
        """Restore from `state_dict` output."""
        seen = cls(int(state["config"][0]))
        seen.last.restore({"values": state["last"]})
        seen.first.restore({"values": state["first"]})
        return seen


class Latest:
    """Per entity, the greatest value seen so far (-1: none): a time, or an end time.

    What the call→transfer link needs across event kinds: "the payer's newest risky
    contact" (value = the contact's ts) or "a call in progress" (value = the call's end,
    compared with the transfer's ts). `asof` answers queries of one kind of event from
    updates of another kind in the same batch, each query seeing only updates strictly
    earlier than itself, plus the state before the batch.
    """

    def __init__(self, n_capacity: int) -> None:
        self.column = IdColumn(np.int64, -1, n_capacity)

    @property
    def nbytes(self) -> int:
        return self.column.nbytes

    def get(self, ids: Any) -> np.ndarray:
        """Each id's value (-1 for unknown ids, including -1)."""
        return self.column.get(np.asarray(ids, np.int64).reshape(-1))

    def update(self, ids: Any, values: Any) -> None:
        """Fold values in (max); ids of -1 (an event with no such entity) are skipped."""
        self.column.maximum(np.asarray(ids, np.int64).reshape(-1), values)

    def asof(
        self,
        q_ids: Any,
        q_ts: Any,
        u_ids: Any,
        u_ts: Any,
        u_values: Any = None,
        q_order: np.ndarray | None = None,
    ) -> np.ndarray:
        """For each query, the greatest of its id's state and the values of this batch's
        updates of the same id with u_ts < q_ts (u_values default to u_ts).

        `q_order`, the queries' `id_time_order`, saves sorting them again when several
        signals are read for the same queries (a transfer's payer)."""
        q_ids = np.asarray(q_ids, np.int64).reshape(-1)
        q_ts = np.asarray(q_ts, np.int64).reshape(-1)
        u_ids = np.asarray(u_ids, np.int64).reshape(-1)
        u_ts = np.asarray(u_ts, np.int64).reshape(-1)
        vals = u_ts if u_values is None else np.asarray(u_values, np.int64).reshape(-1)
        out = self.get(q_ids)
        keep = u_ids >= 0
        u_ids, u_ts, vals = u_ids[keep], u_ts[keep], vals[keep]
        if not len(u_ids) or not len(q_ids):
            return out
        lo = min(int(q_ts.min()), int(u_ts.min()))
        span = max(int(q_ts.max()), int(u_ts.max())) - lo + 1
        top = max(int(q_ids.max()), int(u_ids.max())) + 1
        if span < 2**40 and top < 2**62 // span:
            q_keys = q_ids * span + (q_ts - lo)
            q_perm = np.argsort(q_keys) if q_order is None else q_order
            u_keys = u_ids * span + (u_ts - lo)
            by_time = u_values is None
            return _asof_by_search(out, q_ids, q_keys, q_perm, u_ids, u_keys, vals, by_time)
        return _asof_by_merge(out, q_ids, q_ts, u_ids, u_ts, vals)

    def state_dict(self) -> dict[str, np.ndarray]:
        value = self.column.state_dict()["values"]
        return {"config": np.array([len(value)], np.int64), "value": value}

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> Latest:
        latest = cls(int(state["config"][0]))
        latest.column.restore({"values": state["value"]})
        return latest


def _asof_by_search(
    out: np.ndarray,
    q_ids: np.ndarray,
    q_keys: np.ndarray,
    q_perm: np.ndarray,
    u_ids: np.ndarray,
    u_keys: np.ndarray,
    vals: np.ndarray,
    by_time: bool = False,
) -> np.ndarray:
    """`Latest.asof` for times and ids that pack into one int64 key (id * span + ts): the
    updates and the queries are sorted apart (two unstable sorts of unique-enough keys
    rather than one stable sort of both; `q_perm` sorts the queries),
    then each query finds the last update of its id strictly before it by a binary
    search over the updates, in order (a search for sorted keys stays near the last
    one), and takes the running max of its id's updates up to there (`by_time`: the
    values are the update times, sorted within an id already)."""
    perm = np.argsort(u_keys)  # ties (same id and ts) need no order: a max is taken
    keys, sid = u_keys[perm], u_ids[perm]
    running = vals[perm] if by_time else _segment_running_max(sid, vals[perm])
    # The last update before the query: keys below the query's own key (id, ts).
    at = np.searchsorted(keys, q_keys[q_perm], side="left") - 1
    hit = np.flatnonzero((at >= 0) & (sid[np.maximum(at, 0)] == q_ids[q_perm]))
    rows = q_perm[hit]
    out[rows] = np.maximum(out[rows], running[at[hit]])
    return out


def id_time_order(ids: Any, ts: Any) -> np.ndarray:
    """A permutation sorting events by (id, ts), ties in any order: one unstable sort of
    packed keys when they fit in an int64, else a lexsort."""
    ids = np.asarray(ids, np.int64).reshape(-1)
    ts = np.asarray(ts, np.int64).reshape(-1)
    if not len(ids):
        return np.empty(0, np.int64)
    lo, span = int(ts.min()), int(ts.max()) - int(ts.min()) + 1
    top = int(ids.max()) - min(int(ids.min()), 0) + 1
    if span < 2**40 and top < 2**62 // span:
        return np.argsort((ids - min(int(ids.min()), 0)) * span + (ts - lo))
    return np.lexsort((ts, ids))


def _asof_by_merge(
    out: np.ndarray,
    q_ids: np.ndarray,
    q_ts: np.ndarray,
    u_ids: np.ndarray,
    u_ts: np.ndarray,
    vals: np.ndarray,
) -> np.ndarray:
    """`Latest.asof` for any ids and times: one lexsort of queries and updates together
    (queries before updates at the same time), then a running max per id."""
    nq = len(q_ids)
    ids = np.concatenate([q_ids, u_ids])
    is_update = np.concatenate([np.zeros(nq, bool), np.ones(len(u_ids), bool)])
    v = np.concatenate([np.full(nq, -1, np.int64), vals])
    perm = np.lexsort((is_update, np.concatenate([q_ts, u_ts]), ids))
    running = _segment_running_max(ids[perm], v[perm])
    qpos = np.flatnonzero(~is_update[perm])
    out[perm[qpos]] = np.maximum(out[perm[qpos]], running[qpos])
    return out


def _segment_running_max(sorted_ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Running max of `values` (>= -1) restarting at each new id (ids sorted)."""
    n = len(values)
    span = int(values.max()) + 2  # values + 1 lie in [0, span)
    # Each id's values lifted above the earlier ids' by its id (from the first), or by its
    # segment's number when ids lie far apart: one running max then restarts at each id.
    lift = sorted_ids - sorted_ids[0]
    if int(lift[-1]) >= (2**62) // span:
        change = np.empty(n, bool)
        change[:1] = True
        np.not_equal(sorted_ids[1:], sorted_ids[:-1], out=change[1:])
        lift = np.cumsum(change) - 1
        if int(lift[-1]) >= (2**62) // span:  # enormous values: one accumulate per segment
            out = np.empty(n, np.int64)
            starts = np.flatnonzero(change)
            for lo, hi in zip(starts, [*starts[1:], n], strict=True):
                out[lo:hi] = np.maximum.accumulate(values[lo:hi])
            return out
    lift *= span
    return np.maximum.accumulate(lift + (values + 1)) - lift - 1
