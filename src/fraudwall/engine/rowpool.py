"""Rolling windowed state per entity (1 h, 24 h, 7 d): rows of rings, shared by columns.

A window is a ring of B = window_ms // bucket_ms time buckets per entity. The ring only
keeps, per entity, the epoch (ts // bucket_ms) of its newest bucket: the bucket of epoch
e lives in slot e % B, so the epoch of every slot follows from the newest one, and slots
that fall out of the window are cleared when the entity's newest epoch moves on. That is
8 bytes per entity instead of 8 per bucket, and reading never needs a sweep.

A `RowPool` holds the rings of one kind of entity (payees, payers, callers, ...) and one
bucket plan (window, bucket size, lateness) for several named value columns (`Counter`
sums, `Distinct` sketches; see `poolcolumns`): one id -> row map, one newest epoch per
row, and each column a (rows, B, ...) array. Rows are handed out to an entity at its
first event and, with a lateness (`lateness_ms`), given back once it has been idle for a
window plus the lateness, so memory follows the entities active lately rather than every
entity ever seen (most accounts are idle on any given day). A batch folds into every
column at once (`add`), so the columns' rows move together and the work that depends
only on the rows (which row each id holds, which slots to clear, where each event lands,
which rows go back) is done once per pool, not once per column.

Windows are bucket-granular: a query at time ts sums the buckets with epochs in
(E - B, E], E = ts // bucket_ms, i.e. the last window_ms, give or take the part of the
oldest bucket that has passed.

Reads follow the batch semantics of `windows` (`before_each`: the state before the batch
plus the batch's earlier events, never the event itself or later ones), from one
`BatchOrder` shared by every pool keyed by the same ids: within-batch parts come from
the column (prefix sums, a sparse-table OR) over each id's segment, and the state's part
is read once per distinct (id, bucket) of the batch.

Late events. `add` takes a batch in any order. An event is kept if its bucket is still
in the entity's ring, i.e. its epoch is greater than the entity's newest epoch before
the batch minus B (it is less than about one window older than the entity's newest
event); older events are dropped, as they could not count in any window ending at or
after the entity's newest event. Reads are exact for times at or after the entity's
newest event; a read further back in time misses buckets that have already left the
ring. With a lateness, an event more than `lateness_ms` behind the newest event folded
in may also miss the buckets of an entity idle that long; with `lateness_ms=None` rows
are never given back.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from fraudwall.common import capacity_for, grown
from fraudwall.engine.poolcolumns import Column, Counter, Distinct, column_of, in_window
from fraudwall.engine.windows import BatchOrder, _as_events, _order, linear_count

_NEVER = -(2**62)  # newest epoch of an entity never seen: every slot reads as empty
_CHUNK = 1 << 15  # rows per chunk when reading (rows, B) blocks of state

_Held = tuple[np.ndarray, np.ndarray]  # some ids' rows and newest epochs (`RowPool._held`)
_Near = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # see `_near`


@dataclass
class _Reads:
    """What reads through one order found in a pool's rows, for all its columns: the
    rows the order's ids hold, with their newest epochs, and which of the order's runs
    of equal (id, epoch) read any slot (`_near`, found by the first read that needs it)."""

    held: _Held
    near: _Near | None = None


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
    """What folding a batch into a pool writes (see `RowPool._plan`)."""

    rows: np.ndarray  # the row holding each of the batch's distinct ids
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
        their cells: integer sums add each event at its cell (`np.add.at`, any order
        sums alike) rather than combining runs first."""
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


class RowPool:
    """The rings of one kind of entity and one bucket plan, for several value columns.

    `columns` names each column and its kind (`Counter(dtype)`, `Distinct(bits)`); every
    read names the column it reads, and `add` folds a batch into all of them. A ring
    that shares its rows with no other is a pool of one column.
    """

    def __init__(
        self,
        window_ms: int,
        bucket_ms: int,
        columns: Mapping[str, Column],
        lateness_ms: int | None = None,
        n_capacity: int = 1024,
    ) -> None:
        if bucket_ms <= 0 or window_ms <= 0 or window_ms % bucket_ms:
            raise ValueError(
                f"window_ms ({window_ms}) must be a positive multiple of bucket_ms ({bucket_ms})"
            )
        if lateness_ms is not None and lateness_ms < 0:
            raise ValueError(f"lateness_ms must be >= 0 or None, got {lateness_ms}")
        if not columns:
            raise ValueError("columns: a pool needs at least one column")
        for name, column in columns.items():
            if not name.isidentifier():
                raise ValueError(f"columns: {name!r} is not a name (letters, digits, _)")
            if not isinstance(column, Counter | Distinct):
                raise ValueError(f"columns: {name!r} is a {type(column).__name__}, "
                                 "not a Counter or a Distinct")  # fmt: skip
        self.window_ms = int(window_ms)
        self.bucket_ms = int(bucket_ms)
        self.n_buckets = self.window_ms // self.bucket_ms
        self.lateness_ms = None if lateness_ms is None else int(lateness_ms)
        self.columns: dict[str, Column] = dict(columns)
        cap = max(int(n_capacity), 1)
        self._n = 0  # 1 + the highest id ever written
        self.row_of = np.full(cap, -1, np.int32)  # per id: its row, -1 none
        self.owner = np.full(cap, -1, np.int64)  # per row: the id it holds, -1 free
        self.newest = np.full(cap, _NEVER, np.int64)  # per row: the newest epoch
        self.values = {
            name: np.zeros((cap, self.n_buckets, *c.tail), c.dtype) for name, c in columns.items()
        }
        self._tables = {name: c.table(self.n_buckets) for name, c in columns.items()}
        self._free = np.arange(cap - 1, -1, -1, dtype=np.int64)  # a stack: row 0 first
        self._top = _NEVER  # the newest epoch folded in
        self._swept = _NEVER  # `_top` when idle rows were last looked for among all rows
        # What reads through an order found in the rows, until the rows change.
        self._reads: weakref.WeakKeyDictionary[BatchOrder, _Reads] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        cols = ", ".join(f"{k}={c.spec()}" for k, c in self.columns.items())
        return (f"RowPool(window_ms={self.window_ms}, bucket_ms={self.bucket_ms}, "
                f"lateness_ms={self.lateness_ms}, columns: {cols})")  # fmt: skip

    # -- sizes ----------------------------------------------------------------------------

    @property
    def capacity(self) -> int:
        """How many ids fit before the id map grows."""
        return len(self.row_of)

    @property
    def rows_in_use(self) -> int:
        return len(self.owner) - len(self._free)

    @property
    def row_nbytes(self) -> int:
        """Bytes of one row: its owner, its newest epoch and every column's buckets."""
        per_column = sum(v[0].nbytes for v in self.values.values())
        return int(self.owner.itemsize + self.newest.itemsize + per_column)

    @property
    def nbytes(self) -> int:
        """Bytes of state held (at current capacity)."""
        return int(self.row_of.nbytes + len(self.owner) * self.row_nbytes + self._free.nbytes)

    @property
    def nbytes_in_use(self) -> int:
        """Bytes for the ids seen and the rows held, without spare capacity."""
        return int(self._n * self.row_of.itemsize + self.rows_in_use * self.row_nbytes)

    # -- reads ----------------------------------------------------------------------------

    def total(self, column: str, ids: Any, ts: Any) -> np.ndarray:
        """A counter's windowed sum for each (id, ts), from the state as it stands."""
        self._counter(column)
        return self._state_at(column, ids, ts)

    def sketch(self, column: str, ids: Any, ts: Any) -> np.ndarray:
        """(n, K/64) uint64: a distinct column's window bitmap for each (id, ts)."""
        self._distinct(column)
        return self._state_at(column, ids, ts)

    def estimate(self, column: str, ids: Any, ts: Any) -> np.ndarray:
        """A distinct column's estimated counterparts for each (id, ts), from the state."""
        return linear_count(self.sketch(column, ids, ts))

    def before_each(
        self, column: str, ids: Any, ts: Any, values: Any = 1, order: BatchOrder | None = None
    ) -> np.ndarray:
        """For each event, the column's window just before it (the state plus the batch's
        earlier events of the same id; see the module doc): a counter's sum of `values`,
        a distinct column's estimate of counterparts (`values`: the counterparts).
        `order` (of the same batch) saves a sort; call `add` afterwards."""
        window = self._before_each(column, ids, ts, values, order)
        return linear_count(window) if isinstance(self.columns[column], Distinct) else window

    def before_each_sketch(
        self, column: str, ids: Any, ts: Any, others: Any, order: BatchOrder | None = None
    ) -> np.ndarray:
        """For each event, a distinct column's window bitmap just before it."""
        self._distinct(column)
        return self._before_each(column, ids, ts, others, order)

    def before_each_among(
        self, column: str, order: BatchOrder, ids: Any, ts: Any, values: Any = 1
    ) -> np.ndarray:
        """For each event of `order` (a batch's events that only ask), a counter's sum
        just before it, from the state and the batch's other events (ids, ts, values)
        strictly earlier: what `before_each` gives the askers, weighted 0, run together
        with the others (a caller's call-backs credited by the numbers it calls), but
        without sorting them together: the askers' order is reused, and each asker
        counts the others of its id in its window by two searches."""
        col = self._counter(column)
        ids, ts = _as_events(ids, ts, write=True)
        values = col.parts(values, len(ids))
        n, b = len(order), self.n_buckets
        out = np.zeros(n, col.dtype)
        if n == 0:
            return out
        epochs = order.epochs(self.bucket_ms)
        within = np.zeros(n, col.dtype)
        kept = np.flatnonzero(ts // self.bucket_ms > self._held(ids)[1] - b)  # as add keeps
        if len(kept):
            lo = min(int(ts.min()), int(order.ts.min()))
            span = max(int(ts.max()), int(order.ts.max())) - lo + 1
            top = max(int(ids.max()), int(order.ids.max())) + 1
            if span >= 2**40 or top >= 2**62 // span:  # too far apart to pack: together
                both = np.concatenate([order.ids[np.argsort(order.perm)], ids])
                when = np.concatenate([order.ts[np.argsort(order.perm)], ts])
                weight = np.concatenate([np.zeros(n, col.dtype), values])
                return self.before_each(column, both, when, weight)[:n]
            keys = ids[kept] * span + (ts[kept] - lo)
            by_key = np.argsort(keys)
            keys = keys[by_key]
            prefix = np.zeros(len(keys) + 1, col.dtype)
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
        out[order.perm] = within + self._per_run(column, order)
        return out

    def _before_each(
        self, column: str, ids: Any, ts: Any, values: Any, order: BatchOrder | None
    ) -> np.ndarray:
        col = self._column(column)
        ids, ts = _as_events(ids, ts, write=True)
        parts = col.parts(values, len(ids))
        o = _order(order, ids, ts)
        if len(ids) == 1:  # one event: only the state counts
            return self._state_at(column, ids, ts)
        n, b = len(ids), self.n_buckets
        if n == 0:
            return np.zeros((0, *col.tail), col.dtype)
        # Events older than the ring would be dropped by add: they count for nobody.
        kept = o.epochs(self.bucket_ms) > self._held_by(o)[1] - b
        sorted_parts = np.where(kept.reshape(-1, *[1] * (parts.ndim - 1)), parts[o.perm], 0)
        within = col.within(sorted_parts, o.window_starts(self.bucket_ms, b))
        out = np.empty((n, *col.tail), col.dtype)
        out[o.perm] = col.ufunc(within, self._per_run(column, o))
        return out

    def _state_at(self, column: str, ids: Any, ts: Any) -> np.ndarray:
        """The column's window at each (id, ts), from the state (no batch)."""
        ids, ts = _as_events(ids, ts, write=False)
        rows, newest = self._held(ids)
        near = _near(rows, ts // self.bucket_ms, newest, self.n_buckets)
        return self._read_near(column, near, len(rows))

    def _per_run(self, column: str, o: BatchOrder) -> np.ndarray:
        """The state's reduction for every sorted event of `o`, read once per run of
        equal (id, epoch); which runs read what is worked out once for all columns."""
        heads = o.run_heads(self.bucket_ms)
        reads = self._reads_of(o)
        if reads.near is None:
            rows, newest = reads.held
            epochs = o.epochs(self.bucket_ms)
            reads.near = _near(rows[heads], epochs[heads], newest[heads], self.n_buckets)
        values = self._read_near(column, reads.near, len(heads))
        if len(heads) == len(o):
            return values
        return values[o.run_of(self.bucket_ms)]

    def _read_near(self, column: str, near: _Near, n: int) -> np.ndarray:
        """The column's window for n queries, of which `near` read any slot."""
        col = self.columns[column]
        at, rows, newest, d = near
        out = np.zeros((n, *col.tail), col.dtype)
        values, table = self.values[column], self._tables[column]
        for lo in range(0, len(at), _CHUNK):
            sl = slice(lo, lo + _CHUNK)
            valid = in_window(newest[sl], d[sl], self.n_buckets, table)
            out[at[sl]] = col.reduce(np.take(values, rows[sl], axis=0), valid)
        return out

    def _column(self, column: str) -> Column:
        if column not in self.columns:
            raise ValueError(f"column {column!r}: this pool has {sorted(self.columns)}")
        return self.columns[column]

    def _counter(self, column: str) -> Counter:
        col = self._column(column)
        if not isinstance(col, Counter):
            raise ValueError(f"column {column!r} is a distinct count, not a counter")
        return col

    def _distinct(self, column: str) -> Distinct:
        col = self._column(column)
        if not isinstance(col, Distinct):
            raise ValueError(f"column {column!r} is a counter, not a distinct count")
        return col

    # -- rows -----------------------------------------------------------------------------

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

    def _held(self, ids: np.ndarray) -> _Held:
        """Each id's row and newest epoch; -1 and _NEVER for ids holding no row."""
        rows = self._rows_of(ids)
        # rows of -1 read the last row, then _NEVER: no need to pick out the held first.
        return rows, np.where(rows >= 0, self.newest[rows], _NEVER)

    def _reads_of(self, o: BatchOrder) -> _Reads:
        reads = self._reads.get(o)
        if reads is None:
            reads = self._reads[o] = _Reads(self._held(o.ids))
        return reads

    def _held_by(self, o: BatchOrder) -> _Held:
        """`_held` of the ids of `o`, kept for the pool's other columns."""
        return self._reads_of(o).held

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
        taken = self._free[len(self._free) - k :][::-1]
        rows[new] = taken
        self._free = self._free[: len(self._free) - k]
        self.row_of[ids[new]] = taken
        self.owner[taken] = ids[new]
        self.newest[taken] = _NEVER
        for values in self.values.values():
            _zero_rows(values, taken)
        return rows, new

    def _grow_rows(self, capacity: int) -> None:
        old = len(self.owner)
        self.owner = grown(self.owner, capacity, -1)
        self.newest = grown(self.newest, capacity, _NEVER)
        for name, values in self.values.items():
            self.values[name] = grown(values, capacity, 0)
        added = np.arange(capacity - 1, old - 1, -1, dtype=np.int64)
        self._free = np.concatenate([added, self._free])  # the old free rows go first

    def _give_back_idle(self, touched: np.ndarray) -> None:
        """Take back the rows of entities idle for a window plus the lateness (newest
        epoch <= newest folded in - B - lateness): every row when the newest epoch
        folded in has moved on since the last look, else the rows this fold touched."""
        if self.lateness_ms is None:
            return
        late = -(-self.lateness_ms // self.bucket_ms)
        limit = self._top - self.n_buckets - late
        if self._top > self._swept:
            self._swept = self._top
            idle = np.flatnonzero((self.newest <= limit) & (self.owner >= 0))
        else:
            idle = touched[self.newest[touched] <= limit]
        if len(idle):
            self.row_of[self.owner[idle]] = -1
            self.owner[idle] = -1
            self.newest[idle] = _NEVER
            self._free = np.concatenate([self._free, idle[::-1]])

    # -- folding a batch in ---------------------------------------------------------------

    def add(
        self, ids: Any, ts: Any, values: Mapping[str, Any], order: BatchOrder | None = None
    ) -> None:
        """Fold a batch (any order) into every column: `values` maps each column to the
        events' values (a counter's amounts, or a scalar counted for each event; a
        distinct column's counterparts). `order` (of the same batch) saves a sort."""
        if set(values) != set(self.columns):
            missing, unknown = set(self.columns) - set(values), set(values) - set(self.columns)
            raise ValueError(
                f"values: a batch folds into every column of the pool ({sorted(self.columns)})"
                + (f"; missing {sorted(missing)}" if missing else "")
                + (f"; no column {sorted(unknown)}" if unknown else "")
            )
        ids, ts = _as_events(ids, ts, write=True)
        parts = {name: c.parts(values[name], len(ids)) for name, c in self.columns.items()}
        if not len(ids):
            return
        self._ensure(int(ids.max()) + 1)
        order = _order(order, ids, ts)
        self._reads.clear()  # the rows are about to change
        plan = self._plan(order)
        self.newest[plan.newest_rows] = plan.newest_to
        for name, col in self.columns.items():
            self._fold(self.values[name], col, plan, parts[name])
        if len(plan.newest_to):
            self._top = max(self._top, int(plan.newest_to.max()))
        self._give_back_idle(plan.rows)

    def _plan(self, order: BatchOrder) -> _FoldPlan:
        """Where a batch (sorted by `order`) lands in the rings, from the newest epochs
        before it: each id's newest epoch moves up to its batch's newest, the slots of
        the epochs it moves past are cleared (they held buckets that now leave the
        window), and each run of equal (id, epoch) whose bucket is still in the ring is
        combined into its slot (older runs are dropped). Hands out rows to new ids."""
        b = self.n_buckets
        epochs = order.epochs(self.bucket_ms)
        uniq = order.ids[order.last]
        rows, _ = self._assign(uniq)
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
            rows, newest_rows, newest_to, clear_rows, clear_cells, live, cells, order,
            self.bucket_ms,
        )  # fmt: skip

    def _fold(self, values: np.ndarray, col: Column, plan: _FoldPlan, parts: np.ndarray) -> None:
        """Clear one column's slots and combine each event's part (one value, or a row of
        words) into its cell, as `plan` says."""
        _zero_rows(values, plan.clear_rows)
        # One word per bucket: a flat view of the cells, no (n, 1) arrays.
        cells = values.reshape(len(values) * self.n_buckets, *parts.shape[1:])
        cells[plan.clear_cells] = 0
        if col.ufunc is np.add and parts.dtype.kind in "iu":  # any order sums alike
            keep, at = plan.by_event
            np.add.at(cells, at, parts if keep is None else parts[keep])
        else:
            heads = plan.order.run_heads(self.bucket_ms)
            combined = col.ufunc.reduceat(parts[plan.order.perm], heads, axis=0)
            cells[plan.cells] = col.ufunc(cells[plan.cells], combined[plan.live])

    # -- snapshots ------------------------------------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        """The state as plain arrays (for np.savez); `from_state` restores it. The ids
        holding a row, in id order, with their newest epochs and each column's buckets:
        the same state saves the same arrays whichever rows it happened to take."""
        held = np.flatnonzero(self.row_of[: self._n] >= 0)
        rows = self.row_of[held]
        late = -1 if self.lateness_ms is None else self.lateness_ms
        out = {
            "config": np.array([self.window_ms, self.bucket_ms, self._n, late], np.int64),
            "columns": np.array([f"{k}={c.spec()}" for k, c in self.columns.items()]),
            "clock": np.array([self._top, self._swept], np.int64),
            "ids": held,
            "newest": self.newest[rows],
        }
        for name, values in self.values.items():
            out[f"values.{name}"] = values[rows]
        return out

    @classmethod
    def from_state(cls, state: Mapping[str, np.ndarray]) -> RowPool:
        """Restore from `state_dict` output (rows 0.. in id order)."""
        window_ms, bucket_ms, n, late = (int(x) for x in state["config"])
        specs = (str(text).partition("=") for text in state["columns"])
        columns = {name: column_of(spec) for name, _, spec in specs}
        ids = state["ids"].astype(np.int64)
        # Rows for the ids holding one (not one per id ever seen), an id map for all.
        pool = cls(window_ms, bucket_ms, columns, None if late < 0 else late, len(ids))
        pool.row_of = np.full(max(n, 1), -1, np.int32)
        pool._n = n
        rows, _ = pool._assign(ids)
        pool.newest[rows] = state["newest"]
        for name in columns:
            pool.values[name][rows] = state[f"values.{name}"]
        pool._top, pool._swept = (int(x) for x in state["clock"])
        return pool


def _zero_rows(values: np.ndarray, rows: np.ndarray) -> None:
    """values[rows] = 0, through a view of each row as one opaque item (one copy of a
    row's bytes, not an assignment to a fancy-indexed block)."""
    if len(rows):
        flat = values.reshape(len(values), -1)
        whole = flat.view(np.dtype((np.void, flat.shape[1] * flat.itemsize)))[:, 0]
        whole[rows] = np.zeros((), whole.dtype)
