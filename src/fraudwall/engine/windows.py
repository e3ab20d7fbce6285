"""Rolling windowed state per entity (1 h, 24 h, 7 d), in numpy arrays indexed by dense id.

A window is a ring of B = window_ms // bucket_ms time buckets per entity. The ring only
keeps, per entity, the epoch (ts // bucket_ms) of its newest bucket: the bucket of epoch
e lives in slot e % B, so the epoch of every slot follows from the newest one, and slots
that fall out of the window are cleared when the entity's newest epoch moves on. That is
8 bytes per entity instead of 8 per bucket, and reading never needs a sweep.

Rings live in rows, handed out to an entity at its first event (a 4-byte id -> row map
per entity). With a lateness (`lateness_ms`), an entity idle for a window plus the
lateness gives its row back, so memory follows the entities active lately rather than
every entity ever seen: most accounts are idle on any given day.

Windows are bucket-granular: a query at time ts sums the buckets with epochs in
(E - B, E], E = ts // bucket_ms, i.e. the last window_ms, give or take the part of the
oldest bucket that has passed.

Batch semantics (no look-ahead). `before_each` gives, for every event of a batch, the
value as if the events were processed one at a time in order of (ts, position in the
batch): the state before the batch plus the earlier events of the batch (an earlier
event with the same ts counts), never the event itself or later ones. It is computed
without a Python loop per event: the batch is sorted by (id, ts, position) once
(`BatchOrder`, shareable by every signal keyed by the same ids), within-batch
contributions come from prefix sums (or a sparse-table OR for sketches) over each id's
segment, with the window's start found by one searchsorted, and the state's
contribution is read once per distinct (id, bucket) of the batch. The caller then
folds the batch in with `add`.

Late events. `add` takes a batch in any order. An event is kept if its bucket is still
in the entity's ring, i.e. its epoch is greater than the entity's newest epoch before
the batch minus B (it is less than about one window older than the entity's newest
event); older events are dropped, as they could not count in any window ending at or
after the entity's newest event. Queries (`total`, `estimate`, `before_each`) are exact
for times at or after the entity's newest event; a query further back in time misses
buckets that have already left the ring.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import numpy as np

from fraudwall.common import IdColumn, capacity_for, grown, stable_argsort

_NEVER = -(2**62)  # newest epoch of an entity never seen: every slot reads as empty
_CHUNK = 1 << 15  # rows per chunk when reading (rows, B) blocks of state
_TABLE_MAX_B = 64  # rings up to this many buckets read validity from a precomputed table
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
    _memo: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)

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
            # One unstable sort of packed (id, rank) keys: faster than a stable argsort
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
        if key not in self._memo:
            self._memo[key] = self.ts // bucket_ms
        return self._memo[key]

    def run_heads(self, bucket_ms: int) -> np.ndarray:
        """Sorted positions that start a run of equal (id, epoch)."""
        key = ("runs", bucket_ms, 0)
        if key not in self._memo:
            self._memo[key] = _run_heads(self.ids, self.epochs(bucket_ms))
        return self._memo[key]

    def run_of(self, bucket_ms: int) -> np.ndarray:
        """The run (see `run_heads`) of each sorted position (kept for reuse)."""
        key = ("run_of", bucket_ms, 0)
        if key not in self._memo:
            self._memo[key] = _run_of(self.run_heads(bucket_ms), len(self))
        return self._memo[key]

    def window_starts(self, bucket_ms: int, n_buckets: int) -> np.ndarray:
        """`window_start` for the epochs of `bucket_ms` (kept for reuse)."""
        key = ("starts", bucket_ms, n_buckets)
        if key not in self._memo:
            heads = self.run_heads(bucket_ms)
            self._memo[key] = self.window_start(
                self.epochs(bucket_ms), n_buckets, heads, self.run_of(bucket_ms)
            )
        return self._memo[key]

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


@lru_cache(maxsize=32)
def _valid_table(n_buckets: int) -> np.ndarray:
    """valid[(L % B) * (2B + 1) + d + B, j]: whether slot j holds a bucket inside the
    window of epoch L + d, for an entity whose newest epoch is L (d clipped to [-B, B])."""
    b = n_buckets
    r = np.arange(b)[:, None, None]
    d = np.arange(-b, b + 1)[None, :, None]
    j = np.arange(b)[None, None, :]
    v = (r - j) % b + d
    return ((v >= 0) & (v < b)).reshape(b * (2 * b + 1), b)


def _valid(newest: np.ndarray, d: np.ndarray, n_buckets: int, table: np.ndarray) -> np.ndarray:
    """(n, B): whether each ring slot is in the window ending at each query epoch E, as
    `table` (the `_valid_table` in the dtype the reader wants) spells true and false;
    `d` is E - newest clipped to [-B, B].

    Slot j of an entity whose newest epoch is L holds epoch L - ((L - j) mod B); it is
    in the window of epoch E iff E - B < that epoch <= E, i.e. 0 <= age_j + E - L < B.
    """
    b = n_buckets
    if b <= _TABLE_MAX_B:
        return np.take(table, (newest % b) * (2 * b + 1) + d + b, axis=0)
    v = (newest % b)[:, None] - np.arange(b)[None, :]
    v %= b
    v += d[:, None]
    return np.where((v >= 0) & (v < b), table[1], table[0])


_Near = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _near(rows: np.ndarray, epochs: np.ndarray, newest: np.ndarray, n_buckets: int) -> _Near:
    """The queries within a window of their entity's newest epoch, the only ones that
    read any slot (no row: _NEVER; in a batch spanning a day or more, most are not):
    their positions, rows, newest epochs and query epoch - newest, clipped to [-B, B]."""
    b = n_buckets
    d = np.minimum(np.maximum(epochs - newest, -b), b)
    at = np.flatnonzero((d > -b) & (d < b))
    return at, rows[at], newest[at], d[at]


@dataclass(frozen=True)
class _FoldPlan:
    """What folding a batch into a ring writes (see `_Ring._plan`)."""

    ids: np.ndarray  # the batch's distinct ids
    rows: np.ndarray  # the row holding each of them
    new_ids: np.ndarray  # the ids among them that were handed a row by this fold ...
    taken: np.ndarray  # ... and their rows
    capacity: int  # rows after handing them out
    newest_before: np.ndarray  # their rows' newest epochs before the batch
    newest_rows: np.ndarray  # the rows whose newest epoch moves ...
    newest_to: np.ndarray  # ... to this
    clear_rows: np.ndarray  # rows idle for a window or more: their whole ring is cleared
    clear_cells: np.ndarray  # flat cells (row * B + slot) of the epochs moved past
    live: np.ndarray  # the runs (of `run_heads`) whose bucket is still in the ring
    cells: np.ndarray  # the flat cell each live run lands in
    order: BatchOrder  # the batch's order
    bucket_ms: int

    @cached_property
    def by_event(self) -> tuple[np.ndarray | None, np.ndarray]:
        """The batch positions of the events that land in a cell (None: all of them) and
        their cells: integer sums add each event at its cell (`np.add.at`), several times
        quicker than a reduceat over the runs and a scatter."""
        o = self.order
        heads = o.run_heads(self.bucket_ms)
        run_cell = self.cells
        if len(self.live) < len(heads):
            run_cell = np.full(len(heads), -1, np.int64)
            run_cell[self.live] = self.cells
        cell = np.empty(len(o), np.int64)
        cell[o.perm] = run_cell[o.run_of(self.bucket_ms)]
        if len(self.live) == len(heads):
            return None, cell
        keep = np.flatnonzero(cell >= 0)
        return keep, cell[keep]


def add_together(
    parts: Sequence[tuple[_Ring, Any]], ids: Any, ts: Any, order: BatchOrder | None = None
) -> None:
    """Fold one batch into several rings keyed by the same ids with the same buckets (a
    caller's calls, short calls, night calls and callees; a payer's amounts and
    counts), each with its own values, as each ring's `add` would: their newest epochs
    move alike, so which slots to clear and where each run lands is worked out once.
    Rings whose buckets, rows or newest epochs differ are folded one by one.

    Rings with the lead's `_rows_key` hold the very same rows: they follow the lead's
    bookkeeping (rows handed out and taken back) without working it out again, and
    keep sharing a key afterwards."""
    ids, ts = _as_events(ids, ts, write=True)
    contribs = [ring._contrib(values, len(ids)) for ring, values in parts]
    if not len(ids):
        return
    for ring, _ in parts:
        ring._ensure(int(ids.max()) + 1)
    order = _order(order, ids, ts)
    plan: _FoldPlan | None = None
    lead: _Ring | None = None
    lead_key: object = None
    idle: np.ndarray | None = None
    group_key = object()
    new_keys: dict[int, tuple[_Ring, object]] = {}  # each ring's key after its last fold
    for (ring, _), (contrib, ufunc) in zip(parts, contribs, strict=True):
        if plan is not None and ring._rows_key == lead_key and id(ring) not in new_keys:
            ring._follow(plan)
            ring._apply(plan, contrib, ufunc, idle)
            new_keys[id(ring)] = (ring, group_key)
            continue
        alike = lead is not None and ring is not lead and _same_buckets(lead, ring)
        if plan is not None and alike and _same_plan(ring, plan):
            ring._apply(plan, contrib, ufunc)
            new_keys[id(ring)] = (ring, object())  # its other rows may differ
        else:
            # A ring folded already in this call, or handed rows by `_same_plan`, has
            # left its key's rows: none follows it.
            lead_key = object() if alike or id(ring) in new_keys else ring._rows_key
            lead, plan, group_key = ring, ring._plan(order), object()
            idle = ring._apply(plan, contrib, ufunc)
            new_keys[id(ring)] = (ring, group_key)
    for ring, key in new_keys.values():
        ring._rows_key = key


def _same_buckets(lead: _Ring, ring: _Ring) -> bool:
    return (ring.bucket_ms, ring.n_buckets) == (lead.bucket_ms, lead.n_buckets)


def _same_plan(ring: _Ring, plan: _FoldPlan) -> bool:
    """Whether `plan` (made by a ring with the same buckets, before its own fold) is
    `ring`'s too: the batch's ids in the same rows with the same newest epochs (rings
    always folded together hand out and take back rows alike). Hands `ring` rows for
    the ids holding none."""
    return bool(
        np.array_equal(ring._assign(plan.ids)[0], plan.rows)
        and np.array_equal(ring.newest[plan.rows], plan.newest_before)
    )


class _Ring:
    """Shared ring-of-buckets machinery: rows, newest epochs, reading, clearing.

    The rings live in rows handed out on an entity's first event (`row_of` maps ids to
    rows). With `lateness_ms` set, an entity idle for a whole window plus that lateness
    gives its row back (its buckets would read as empty for any event on time), so
    memory follows the entities active lately, not every entity ever seen. An event
    that arrives more than `lateness_ms` behind the newest event folded in may then
    miss the buckets of an entity that was idle that long; with `lateness_ms=None`
    rows are never taken back and late events count as the module doc says.
    """

    def __init__(
        self,
        n_capacity: int,
        window_ms: int,
        bucket_ms: int,
        dtype: Any,
        tail: tuple[int, ...] = (),
        lateness_ms: int | None = None,
    ) -> None:
        if bucket_ms <= 0 or window_ms <= 0 or window_ms % bucket_ms:
            raise ValueError(
                f"window_ms ({window_ms}) must be a positive multiple of bucket_ms ({bucket_ms})"
            )
        if lateness_ms is not None and lateness_ms < 0:
            raise ValueError(f"lateness_ms must be >= 0 or None, got {lateness_ms}")
        self.window_ms = int(window_ms)
        self.bucket_ms = int(bucket_ms)
        self.n_buckets = self.window_ms // self.bucket_ms
        self.lateness_ms = None if lateness_ms is None else int(lateness_ms)
        cap = max(int(n_capacity), 1)
        self._n = 0  # 1 + the highest id ever written
        self.row_of = np.full(cap, -1, np.int32)  # per id: its row, -1 none
        self.owner = np.full(cap, -1, np.int64)  # per row: the id it holds, -1 free
        self.newest = np.full(cap, _NEVER, np.int64)  # per row: the newest epoch
        self.slots = np.zeros((cap, self.n_buckets, *tail), dtype)
        self._free = np.arange(cap - 1, -1, -1, dtype=np.int64)  # a stack: row 0 first
        self._top = _NEVER  # the newest epoch folded in
        self._swept = _NEVER  # `_top` when idle rows were last looked for among all rows
        # Rings with equal keys hold the same rows (id map, owners, newest epochs, free
        # rows, clock): fresh ones alike, then those folded together since (`add_together`
        # gives every fold a new key). Work that depends only on the rows is shared by key.
        self._rows_key: object = ("fresh", cap, self.bucket_ms, self.n_buckets, lateness_ms)
        # How readers spell a slot in / out of the window: 1 / 0 to multiply, ~0 / 0 to AND.
        true = np.array(-1 if np.dtype(dtype) == _U64 else 1).astype(dtype)
        if self.n_buckets <= _TABLE_MAX_B:
            self._table = np.where(_valid_table(self.n_buckets), true, np.zeros((), dtype))
        else:
            self._table = np.array([0, true], dtype)

    @property
    def capacity(self) -> int:
        """How many ids fit before the id map grows."""
        return len(self.row_of)

    @property
    def rows_in_use(self) -> int:
        return len(self.owner) - len(self._free)

    @property
    def nbytes(self) -> int:
        """Bytes of state held (at current capacity)."""
        return int(self.row_of.nbytes + self.owner.nbytes + self.newest.nbytes
                   + self.slots.nbytes + self._free.nbytes)  # fmt: skip

    @property
    def nbytes_in_use(self) -> int:
        """Bytes for the ids seen and the rows held, without spare capacity."""
        per_row = self.owner.itemsize + self.newest.itemsize + self.slots[0].nbytes
        return int(self._n * self.row_of.itemsize + self.rows_in_use * per_row)

    def _ensure(self, n: int) -> None:
        """Grow the id map (by doubling) so that ids 0..n-1 fit."""
        self._n = max(self._n, n)
        if n > len(self.row_of):
            self.row_of = grown(self.row_of, capacity_for(len(self.row_of), n), -1)

    def _rows_of(self, ids: np.ndarray) -> np.ndarray:
        """Each id's row; -1 for ids holding none (never seen, idle, or out of range)."""
        if not len(ids) or (int(ids.min()) >= 0 and int(ids.max()) < len(self.row_of)):
            return self.row_of[ids]
        known = (ids >= 0) & (ids < len(self.row_of))
        out = np.full(len(ids), -1, np.int64)
        out[known] = self.row_of[ids[known]]
        return out

    def _held(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each id's row and newest epoch; -1 and _NEVER for ids holding no row."""
        rows = self._rows_of(ids)
        # rows of -1 read the last row, then _NEVER: quicker than reading the held only.
        return rows, np.where(rows >= 0, self.newest[rows], _NEVER)

    def _held_by(self, o: BatchOrder) -> tuple[np.ndarray, np.ndarray]:
        """`_held` of the ids of `o`, kept on `o` for the rings with the same rows."""
        key = ("held", self._rows_key)
        if key not in o._memo:
            o._memo[key] = self._held(o.ids)
        return o._memo[key]

    def _read(self, rows: np.ndarray, epochs: np.ndarray, newest: np.ndarray) -> np.ndarray:
        """The state's reduction over the window ending at each epoch (before any batch),
        for ids held in `rows` with their `newest` epochs (`_held`; no row reads empty)."""
        return self._read_near(_near(rows, epochs, newest, self.n_buckets), len(rows))

    def _read_near(self, near: _Near, n: int) -> np.ndarray:
        """`_read` of n queries, of which `near` read any slot."""
        at, rows, newest, d = near
        out = np.zeros((n, *self.slots.shape[2:]), self._out_dtype())
        for lo in range(0, len(at), _CHUNK):
            sl = slice(lo, lo + _CHUNK)
            valid = _valid(newest[sl], d[sl], self.n_buckets, self._table)
            out[at[sl]] = self._reduce(np.take(self.slots, rows[sl], axis=0), valid)
        return out

    def _assign(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The rows of distinct ids (in range), handing out free rows to those holding
        none (empty, newest epoch _NEVER; their positions are returned too); the rows
        grow by doubling when none are free."""
        rows = self.row_of[ids].astype(np.int64)
        new = np.flatnonzero(rows < 0)
        k = len(new)
        if not k:
            return rows, new
        if k > len(self._free):
            self._grow_rows(capacity_for(len(self.owner), self.rows_in_use + k))
        rows[new] = self._free[len(self._free) - k :][::-1]
        self._hand_out(ids[new], rows[new])
        return rows, new

    def _hand_out(self, ids: np.ndarray, taken: np.ndarray) -> None:
        """Give `ids` the top `taken` rows of the free stack, emptied."""
        self._free = self._free[: len(self._free) - len(taken)]
        self.row_of[ids] = taken
        self.owner[taken] = ids
        self.newest[taken] = _NEVER
        self._zero_rows(taken)

    def _zero_rows(self, rows: np.ndarray) -> None:
        """slots[rows] = 0, through a view of each row as one opaque item: about twice
        as quick as assigning to a fancy-indexed block."""
        if len(rows):
            flat = self.slots.reshape(len(self.slots), -1)
            whole = flat.view(np.dtype((np.void, flat.shape[1] * flat.itemsize)))[:, 0]
            whole[rows] = np.zeros((), whole.dtype)

    def _follow(self, plan: _FoldPlan) -> None:
        """Hand out rows as the ring that made `plan` did, from the same rows."""
        if plan.capacity > len(self.owner):
            self._grow_rows(plan.capacity)
        if len(plan.taken):
            self._hand_out(plan.new_ids, plan.taken)

    def _grow_rows(self, capacity: int) -> None:
        old = len(self.owner)
        self.owner = grown(self.owner, capacity, -1)
        self.newest = grown(self.newest, capacity, _NEVER)
        self.slots = grown(self.slots, capacity, 0)
        added = np.arange(capacity - 1, old - 1, -1, dtype=np.int64)
        self._free = np.concatenate([added, self._free])  # the old free rows go first

    def _give_back_idle(self, touched: np.ndarray, idle: np.ndarray | None = None) -> np.ndarray:
        """Take back the rows of entities idle for a window plus the lateness (newest
        epoch <= newest folded in - B - lateness): every row when the newest epoch
        folded in has moved on since the last look, else the rows this fold touched.
        `idle`: the rows a ring with the same rows took back from the same fold."""
        if self.lateness_ms is None:
            return touched[:0]
        late = -(-self.lateness_ms // self.bucket_ms)
        limit = self._top - self.n_buckets - late
        swept = self._top > self._swept
        if swept:
            self._swept = self._top
        if idle is None:
            if swept:
                idle = np.flatnonzero((self.newest <= limit) & (self.owner >= 0))
            else:
                idle = touched[self.newest[touched] <= limit]
        if len(idle):
            self.row_of[self.owner[idle]] = -1
            self.owner[idle] = -1
            self.newest[idle] = _NEVER
            self._free = np.concatenate([self._free, idle[::-1]])
        return idle

    def _plan(self, order: BatchOrder) -> _FoldPlan:
        """Where a batch (sorted by `order`) lands in the rings, from the newest epochs
        before it: each id's newest epoch moves up to its batch's newest, the slots of
        the epochs it moves past are cleared (they held buckets that now leave the
        window), and each run of equal (id, epoch) whose bucket is still in the ring is
        combined into its slot (older runs are dropped)."""
        b = self.n_buckets
        epochs = order.epochs(self.bucket_ms)
        uniq = order.ids[order.last]
        rows, new = self._assign(uniq)
        top = epochs[order.last]
        old = self.newest[rows]
        moved = np.flatnonzero(top > old)
        newest_rows, newest_to = rows[moved], top[moved]
        moved = moved[old[moved] != _NEVER]  # a new row's slots are all empty already
        whole = top[moved] - old[moved] >= b  # idle for a window or more: clear the ring
        clear_rows = rows[moved[whole]]
        moved = moved[~whole]
        rows_m, old_m, top_m = rows[moved], old[moved], top[moved]
        count = top_m - old_m  # slots (old + 1 .. top) mod B
        first = np.cumsum(count) - count
        row = np.repeat(np.arange(len(rows_m)), count)
        step = np.arange(len(row)) - first[row]
        clear_cells = rows_m[row] * b + (old_m[row] + 1 + step) % b
        # Sorted by (id, epoch): each run combines in one reduceat and lands in one cell
        # (the live runs of one id land in distinct slots).
        heads = order.run_heads(self.bucket_ms)
        head_epochs = epochs[heads]
        head_seg = order.seg[heads]
        after = np.maximum(old, top)[head_seg]  # each head's id's newest, moved
        live = np.flatnonzero(head_epochs > after - b)
        cells = rows[head_seg[live]] * b + head_epochs[live] % b
        return _FoldPlan(
            uniq, rows, uniq[new], rows[new], len(self.owner), old, newest_rows, newest_to,
            clear_rows, clear_cells, live, cells, order, self.bucket_ms,
        )  # fmt: skip

    def _apply(
        self,
        plan: _FoldPlan,
        contrib: np.ndarray,
        ufunc: np.ufunc,
        idle: np.ndarray | None = None,
    ) -> np.ndarray:
        """Clear and combine as `plan` says, `contrib` being each event's part (one value,
        or a row of words, per event); then take back the rows of entities idle long
        enough (`idle`, if a ring with the same rows found them already), and return those."""
        self.newest[plan.newest_rows] = plan.newest_to
        self._zero_rows(plan.clear_rows)
        # One word per bucket: a flat view of the cells, no (n, 1) arrays.
        cells = self.slots.reshape(len(self.owner) * self.n_buckets, *contrib.shape[1:])
        cells[plan.clear_cells] = 0
        if ufunc is np.add and contrib.dtype.kind in "iu":  # any order sums alike
            keep, at = plan.by_event
            np.add.at(cells, at, contrib if keep is None else contrib[keep])
        else:
            heads = plan.order.run_heads(self.bucket_ms)
            combined = ufunc.reduceat(contrib[plan.order.perm], heads, axis=0)
            cells[plan.cells] = ufunc(cells[plan.cells], combined[plan.live])
        if len(plan.newest_to):
            self._top = max(self._top, int(plan.newest_to.max()))
        return self._give_back_idle(plan.rows, idle)

    def _contrib(self, values: Any, n: int) -> tuple[np.ndarray, np.ufunc]:
        """Each event's part in its bucket, and how parts combine."""
        raise NotImplementedError

    def _out_dtype(self) -> Any:
        return self.slots.dtype

    def _reduce(self, block: np.ndarray, valid: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _config(self) -> np.ndarray:
        return np.array([self.window_ms, self.bucket_ms, self._n], np.int64)

    def state_dict(self) -> dict[str, np.ndarray]:
        """The state as plain arrays (for np.savez); `from_state` restores it. The ids
        holding a row, in id order, with their newest epochs and buckets: the same
        state reads the same whichever rows it happened to take."""
        held = np.flatnonzero(self.row_of[: self._n] >= 0)
        rows = self.row_of[held]
        late = -1 if self.lateness_ms is None else self.lateness_ms
        return {
            "config": self._config(),
            "clock": np.array([self._top, self._swept, late], np.int64),
            "ids": held,
            "newest": self.newest[rows],
            "slots": self.slots[rows],
        }

    @staticmethod
    def _lateness_in(state: dict[str, np.ndarray]) -> int | None:
        late = int(state["clock"][2])
        return None if late < 0 else late

    def _restore(self, state: dict[str, np.ndarray]) -> None:
        """Load `state_dict` output into a new ring (rows 0.. in id order)."""
        self._ensure(int(state["config"][2]))
        ids = state["ids"].astype(np.int64)
        if len(ids) > len(self.owner):
            self._grow_rows(len(ids))
        rows, _ = self._assign(ids)
        self.newest[rows] = state["newest"]
        self.slots[rows] = state["slots"]
        self._top, self._swept = int(state["clock"][0]), int(state["clock"][1])
        self._rows_key = object()


class WindowedCounter(_Ring):
    """Per-entity windowed sums (counts, amounts) over a ring of time buckets.

    Exact for integer dtypes; float sums may differ from a one-at-a-time reference in
    the last bits (different order of additions).
    """

    def __init__(
        self,
        n_capacity: int,
        window_ms: int,
        bucket_ms: int,
        dtype: Any = np.int64,
        lateness_ms: int | None = None,
    ) -> None:
        super().__init__(n_capacity, window_ms, bucket_ms, np.dtype(dtype), (), lateness_ms)

    def _values(self, values: Any, n: int) -> np.ndarray:
        v = np.asarray(values, dtype=self.slots.dtype)
        if v.ndim == 0:
            return np.full(n, v, self.slots.dtype)
        if v.shape != (n,):
            raise ValueError(f"values: expected shape ({n},), got {v.shape}")
        return v

    def _reduce(self, block: np.ndarray, valid: np.ndarray) -> np.ndarray:
        return np.einsum("ij,ij->i", block, valid)  # valid: 0 / 1 in the counter's dtype

    def total(self, ids: Any, ts: Any) -> np.ndarray:
        """The windowed sum for each (id, ts), from the state as it stands (no batch)."""
        ids, ts = _as_events(ids, ts, write=False)
        rows, newest = self._held(ids)
        return self._read(rows, ts // self.bucket_ms, newest)

    def before_each(
        self, ids: Any, ts: Any, values: Any = 1, order: BatchOrder | None = None
    ) -> np.ndarray:
        """For each event, the windowed sum just before it: the state plus the batch's
        earlier events of the same id (see the module doc); call `add` afterwards."""
        ids, ts = _as_events(ids, ts, write=True)
        values = self._values(values, len(ids))
        o = _order(order, ids, ts)
        if len(ids) == 1:  # one event: only the state counts
            return self.total(ids, ts)
        n, b = len(ids), self.n_buckets
        out = np.zeros(n, self.slots.dtype)
        if n == 0:
            return out
        epochs = o.epochs(self.bucket_ms)
        rows, newest = self._held_by(o)
        # Events older than the ring would be dropped by add: they count for nobody.
        v = np.where(epochs > newest - b, values[o.perm], 0)
        prefix = np.zeros(n + 1, self.slots.dtype)
        np.cumsum(v, out=prefix[1:])
        within = prefix[:-1] - prefix[o.window_starts(self.bucket_ms, b)]
        out[o.perm] = within + _per_run(self, o, epochs, rows, newest)
        return out

    def before_each_among(
        self, order: BatchOrder, ids: Any, ts: Any, values: Any = 1
    ) -> np.ndarray:
        """For each event of `order` (a batch's events that only ask), the windowed sum
        just before it, from the state and the batch's other events (ids, ts, values)
        strictly earlier: what `before_each` gives the askers, weighted 0, run together
        with the others (a caller's call-backs credited by the numbers it calls), but
        without sorting them together: the askers' order is reused, and each asker
        counts the others of its id in its window by two searches."""
        ids, ts = _as_events(ids, ts, write=True)
        values = self._values(values, len(ids))
        n, b = len(order), self.n_buckets
        out = np.zeros(n, self.slots.dtype)
        if n == 0:
            return out
        epochs = order.epochs(self.bucket_ms)
        rows, newest = self._held_by(order)
        within = np.zeros(n, self.slots.dtype)
        kept = np.flatnonzero(ts // self.bucket_ms > self._held(ids)[1] - b)  # as add keeps
        if len(kept):
            lo = min(int(ts.min()), int(order.ts.min()))
            span = max(int(ts.max()), int(order.ts.max())) - lo + 1
            top = max(int(ids.max()), int(order.ids.max())) + 1
            if span >= 2**40 or top >= 2**62 // span:  # too far apart to pack: together
                both = np.concatenate([order.ids[np.argsort(order.perm)], ids])
                when = np.concatenate([order.ts[np.argsort(order.perm)], ts])
                weight = np.concatenate([np.zeros(n, self.slots.dtype), values])
                return self.before_each(both, when, weight)[:n]
            keys = ids[kept] * span + (ts[kept] - lo)
            by_key = np.argsort(keys)
            keys = keys[by_key]
            prefix = np.zeros(len(keys) + 1, self.slots.dtype)
            np.cumsum(values[kept][by_key], out=prefix[1:])
            # The others of the asker's id from the window's first bucket to just before it.
            base = order.ids * span - lo
            start = np.maximum((epochs - (b - 1)) * self.bucket_ms, lo)
            upto = np.searchsorted(keys, base + order.ts, side="left")
            # A run of equal (id, epoch) shares its window's start: one search per run.
            heads = order.run_heads(self.bucket_ms)
            since = np.searchsorted(keys, (base + start)[heads], side="left")
            if len(heads) < n:
                since = since[order.run_of(self.bucket_ms)]
            within = prefix[upto] - prefix[since]
        out[order.perm] = within + _per_run(self, order, epochs, rows, newest)
        return out

    def add(self, ids: Any, ts: Any, values: Any = 1, order: BatchOrder | None = None) -> None:
        """Fold a batch (any order) into the state; `order` (of the same batch) saves a sort."""
        add_together([(self, values)], ids, ts, order)

    def _contrib(self, values: Any, n: int) -> tuple[np.ndarray, np.ufunc]:
        return self._values(values, n), np.add

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> WindowedCounter:
        """Restore from `state_dict` output."""
        window_ms, bucket_ms, n = (int(x) for x in state["config"])
        counter = cls(
            n, window_ms, bucket_ms, state["slots"].dtype, lateness_ms=cls._lateness_in(state)
        )
        counter._restore(state)
        return counter


def _per_run(
    ring: _Ring, o: BatchOrder, epochs: np.ndarray, rows: np.ndarray, newest: np.ndarray
) -> np.ndarray:
    """The state's reduction for every sorted event, read once per run of equal (id, epoch)
    (which runs read what is kept on `o` for the rings with the same rows)."""
    heads = o.run_heads(ring.bucket_ms)
    key = ("near", ring._rows_key)
    if key not in o._memo:
        o._memo[key] = _near(rows[heads], epochs[heads], newest[heads], ring.n_buckets)
    values = ring._read_near(o._memo[key], len(heads))
    if len(heads) == len(epochs):
        return values
    return values[o.run_of(ring.bucket_ms)]


class WindowedDistinct(_Ring):
    """Per-entity approximate count of distinct counterparts in a window (fan-in/fan-out).

    Each bucket holds a K-bit bitmap (K = sketch_bits, a multiple of 64; 64 bits = one
    uint64 per bucket): the OR of 1 << (splitmix64(counterpart) % K). The window's
    bitmap is the OR of its buckets and reads through `linear_count`. Two counterparts
    sharing a bit cannot be told apart, so small counts are exact only as often as no
    two collide: measured with K = 64 (8 bytes per bucket), the rounded estimate is
    exact for 1 / 2 / 3 / 5 / 10 distinct counterparts in 100 / 99 / 95 / 83 / 35% of
    windows, and within one of 10 in 85%; K = 1024 (16x the memory) is exact for up to
    10 in >= 95%. Fine for thresholds such as "more than 5 payers in an hour"; choose a
    wider sketch where exact small counts matter.
    """

    def __init__(
        self,
        n_capacity: int,
        window_ms: int,
        bucket_ms: int,
        sketch_bits: int = 64,
        lateness_ms: int | None = None,
    ) -> None:
        if sketch_bits <= 0 or sketch_bits % 64:
            raise ValueError(f"sketch_bits must be a positive multiple of 64, got {sketch_bits}")
        self.sketch_bits = int(sketch_bits)
        super().__init__(n_capacity, window_ms, bucket_ms, _U64, (sketch_bits // 64,), lateness_ms)

    @property
    def words(self) -> int:
        return self.sketch_bits // 64

    def _bits(self, others: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Each counterpart's (word index, one-bit word)."""
        others = np.asarray(others, dtype=np.int64).reshape(-1)
        if others.shape != (n,):
            raise ValueError(f"others: expected shape ({n},), got {others.shape}")
        bit = splitmix64(others) % _U64(self.sketch_bits)
        return (bit >> _U64(6)).astype(np.int64), _U64(1) << (bit & _U64(63))

    def _reduce(self, block: np.ndarray, valid: np.ndarray) -> np.ndarray:
        block &= valid[:, :, None]  # valid: all ones / zero
        return np.bitwise_or.reduce(block, axis=1)

    def sketch(self, ids: Any, ts: Any) -> np.ndarray:
        """(n, K/64) uint64: the window's bitmap for each (id, ts), from the state."""
        ids, ts = _as_events(ids, ts, write=False)
        rows, newest = self._held(ids)
        return self._read(rows, ts // self.bucket_ms, newest)

    def estimate(self, ids: Any, ts: Any) -> np.ndarray:
        """Estimated distinct counterparts for each (id, ts), from the state (no batch)."""
        return linear_count(self.sketch(ids, ts))

    def before_each_sketch(
        self, ids: Any, ts: Any, others: Any, order: BatchOrder | None = None
    ) -> np.ndarray:
        """For each event, the window's bitmap just before it (state plus the batch's
        earlier events of the same id)."""
        ids, ts = _as_events(ids, ts, write=True)
        word, onebit = self._bits(others, len(ids))
        o = _order(order, ids, ts)
        if len(ids) == 1:  # one event: only the state counts
            return self.sketch(ids, ts)
        n, b = len(ids), self.n_buckets
        out = np.zeros((n, self.words), _U64)
        if n == 0:
            return out
        epochs = o.epochs(self.bucket_ms)
        rows, newest = self._held_by(o)
        kept = epochs > newest - b  # older events would be dropped by add
        if self.words == 1:  # one word: 1-D, quicker to gather from
            bits = np.where(kept, onebit[o.perm], _U64(0))
        else:
            bits = np.zeros((n, self.words), _U64)
            at = np.flatnonzero(kept)
            bits[at, word[o.perm][at]] = onebit[o.perm][at]
        within = _range_or(bits, o.window_starts(self.bucket_ms, b)).reshape(n, -1)
        out[o.perm] = within | _per_run(self, o, epochs, rows, newest)
        return out

    def before_each(
        self, ids: Any, ts: Any, others: Any, order: BatchOrder | None = None
    ) -> np.ndarray:
        """For each event, the estimated distinct counterparts just before it."""
        return linear_count(self.before_each_sketch(ids, ts, others, order))

    def add(self, ids: Any, ts: Any, others: Any, order: BatchOrder | None = None) -> None:
        """Fold a batch (any order) into the state; `order` (of the same batch) saves a sort."""
        add_together([(self, others)], ids, ts, order)

    def _contrib(self, others: Any, n: int) -> tuple[np.ndarray, np.ufunc]:
        word, onebit = self._bits(others, n)
        if self.words == 1:
            return onebit, np.bitwise_or
        bits = np.zeros((n, self.words), _U64)
        bits[np.arange(n), word] = onebit
        return bits, np.bitwise_or

    def _config(self) -> np.ndarray:
        return np.append(super()._config(), self.sketch_bits)

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> WindowedDistinct:
        """Restore from `state_dict` output."""
        window_ms, bucket_ms, n, bits = (int(x) for x in state["config"])
        distinct = cls(n, window_ms, bucket_ms, bits, lateness_ms=cls._lateness_in(state))
        distinct._restore(state)
        return distinct


def _range_or(bits: np.ndarray, start: np.ndarray) -> np.ndarray:
    """out[p] = OR of bits[start[p]:p] (empty: 0; bits (n,) or (n, words)), by a sparse
    table: level k holds the OR of 2**k rows from each row, and any range is the OR of
    two overlapping blocks."""
    n = len(bits)
    out = np.zeros_like(bits)
    length = np.arange(n) - start
    has = np.flatnonzero(length > 0)
    if not len(has):
        return out
    # floor(log2(length)), exactly: frexp's exponent (length = m * 2**e, 0.5 <= m < 1).
    level = (np.frexp(length[has])[1] - 1).astype(np.uint8)
    table = bits.copy()
    top = int(level.max())
    # The rows of each level, grouped by one stable (radix) sort of their small levels.
    by = np.argsort(level, kind="stable")
    by_level = has[by]
    bounds = np.searchsorted(level[by], np.arange(top + 2))
    for k in range(top + 1):
        at = by_level[bounds[k] : bounds[k + 1]]
        out[at] = table[start[at]] | table[at - (1 << k)]
        if k < top:
            step = 1 << k
            table[:-step] |= table[step:]
    return out


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
    are several times quicker than one stable sort of both; `q_perm` sorts the queries),
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
