"""Entity keys (account ids, phone numbers, device ids, IPs) mapped to dense integer ids.

State kept per entity lives in numpy arrays indexed by id (the engine's windows, the
ledger's per-account postings), so every key maps once to a small integer. Keys arrive a
batch at a time as Arrow string arrays, and the whole lookup stays in numpy over Arrow's
buffers, with no Python object per key:

- every key of the batch is hashed (64 bits, eight bytes at a time, vectorised across
  keys);
- the hashes are looked up in an open-addressing table (numpy arrays, linear probing);
- a hit is confirmed by comparing the key's bytes with the stored key's bytes, so the
  mapping is exact: two keys whose hashes collide never share an id (the rare second
  key goes to a small Python dict instead of the table);
- unseen keys get the next ids in first-seen order, so the same key stream always gives
  the same ids, and their bytes are appended to one growing byte store, which is also
  the snapshot (`to_arrow`) and the reverse mapping (`key_of`).

Why not a Python dict: it costs ~120 bytes a key (str, int, slot) and a cache miss per
lookup at millions of keys; this layout costs 50-70 bytes per key (key bytes, offsets,
table slots at load <= 0.5). BENCHMARKS.md has the lookup rates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

KeyBatch: TypeAlias = pa.Array | pa.ChunkedArray | Sequence[str] | np.ndarray

_MAX_LOAD = 0.5  # table slots per key >= 2: short probe runs
_PAD = 16  # zero bytes after the last string: a 16-byte read from any string's start fits
_PAIR = np.dtype("V16")  # two words read as one item: a gather of them is half the cost
_LOW_MASKS = np.array([(1 << (8 * r)) - 1 for r in range(8)] + [(1 << 64) - 1], np.uint64)
_SEED = np.uint64(0x9E3779B97F4A7C15)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _fmix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, in place: a bijective 64-bit mix (uint64 arithmetic wraps)."""
    z ^= z >> _S30
    z *= _M1
    z ^= z >> _S27
    z *= _M2
    z ^= z >> _S31
    return z


def _spread(home: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Where linear probing puts keys with these home slots in an empty table of `size`
    slots, in one pass instead of a round per probe step: with the keys in order of their
    home slot, each goes to the first slot from its home that the keys before it left
    free, which is slot k + max over j <= k of (home_j - j) for the k-th key (a running
    max); the slots from a key's home to its own are all taken, as a lookup's probe needs.
    Returns the keys in that order, their slots (increasing) and how many fit before the
    end: the few after it wrap around and are left to the caller.
    """
    n = len(home)
    packed = home * n + np.arange(n, dtype=np.int64)  # homes < 2**32, n < 2**31
    packed.sort()  # one SIMD sort of (home, key) instead of an argsort
    order, home = packed % n, packed // n
    k = np.arange(n, dtype=np.int64)
    slot = np.maximum.accumulate(home - k) + k
    return order, slot, int(np.searchsorted(slot, size))


def string_offsets(arr: pa.Array) -> np.ndarray:
    """The n + 1 byte offsets (int64) of an Arrow string / large_string array's values in
    its data buffer, read in place (slices respected)."""
    large = pa.types.is_large_string(arr.type)
    return np.frombuffer(
        arr.buffers()[1],
        np.int64 if large else np.int32,
        count=len(arr) + 1,
        offset=arr.offset * (8 if large else 4),
    ).astype(np.int64)


class _Strings:
    """Strings as numpy views of a byte buffer: starts, lengths and unaligned 8-byte words.

    `words[i]` is the little-endian uint64 made of bytes i..i+7 of `data` (which ends in
    at least `_PAD` zero bytes), so the j-th word of string k is `words[starts[k] + 8 * j]`
    masked to the string's remaining length; `pairs[i]` is bytes i..i+15, a string's first
    two words in one gather. `take` selects strings without copying bytes.
    """

    __slots__ = ("data", "lens", "pairs", "starts", "words")

    def __init__(self, starts: np.ndarray, lens: np.ndarray, data: np.ndarray) -> None:
        self.starts = starts
        self.lens = lens
        self.data = data
        self.words = np.ndarray(shape=(len(data) - 7,), dtype=np.uint64, buffer=data, strides=(1,))
        self.pairs = np.ndarray(shape=(len(data) - 15,), dtype=_PAIR, buffer=data, strides=(1,))

    @classmethod
    def of(cls, arr: pa.Array) -> _Strings:
        """The strings of an Arrow string / large_string array (bytes copied once, padded)."""
        off = string_offsets(arr)
        bufs = arr.buffers()
        lo, hi = int(off[0]), int(off[-1])
        data = np.zeros(hi - lo + _PAD, np.uint8)
        if hi > lo:
            data[: hi - lo] = np.frombuffer(bufs[2], np.uint8, count=hi - lo, offset=lo)
        return cls(off[:-1] - lo, np.diff(off), data)

    def take(self, rows: np.ndarray) -> _Strings:
        return _Strings(self.starts[rows], self.lens[rows], self.data)

    def word(self, k: np.ndarray | None, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Word j of strings k (all if None), zero past a string's end; and their lengths."""
        lens = self.lens if k is None else self.lens[k]
        starts = self.starts if k is None else self.starts[k]
        return _mask_tail(self.words[starts + 8 * j if j else starts], lens - 8 * j), lens


def _mask_tail(w: np.ndarray, rem: np.ndarray) -> np.ndarray:
    """Zero the bytes of each word past its string's end (rem: bytes left from the word)."""
    short = rem < 8
    if short.all():
        w &= _LOW_MASKS[np.maximum(rem, 0)]
    elif short.any():
        s = np.flatnonzero(short)
        w[s] &= _LOW_MASKS[np.maximum(rem[s], 0)]
    return w


def _table_size(size: int, keys: int) -> int:
    """The table size, doubled as often as needed to hold `keys` within the load limit."""
    while keys > _MAX_LOAD * size:
        size *= 2
    return size


_SMALL = 4  # batches up to this many keys try the one-key-at-a-time path first
_MIN_TO_ENCODE = 256  # fewer keys than this: looking them up as they come is quicker
_M64 = (1 << 64) - 1


def _fmix_int(z: int) -> int:
    """`_fmix` on one Python int."""
    z ^= z >> 30
    z = (z * 0xBF58476D1CE4E5B9) & _M64
    z ^= z >> 27
    z = (z * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def _hash_bytes(b: bytes) -> int:
    """`_hash_strings` of one string's bytes, in plain Python (the same value)."""
    h = _fmix_int(len(b) ^ int(_SEED))
    j = 0
    while True:
        h = _fmix_int(h ^ int.from_bytes(b[8 * j : 8 * j + 8], "little"))
        j += 1
        if len(b) <= 8 * j:
            return h


def _hash_strings(s: _Strings) -> np.ndarray:
    """64-bit hash of every string: mix(h ^ word) over its 8-byte words, seeded by length."""
    h = _fmix(s.lens.astype(np.uint64) ^ _SEED)
    k: np.ndarray | None = None  # the strings with a word j (None: all)
    j = 0
    while True:
        w, lens = s.word(k, j)
        if k is None:
            h ^= w
            _fmix(h)
        else:
            h[k] = _fmix(h[k] ^ w)
        j += 1
        more = lens > 8 * j
        if not more.any():
            return h
        if not more.all():
            k = np.flatnonzero(more) if k is None else k[more]


def _equal(a: _Strings, b: _Strings) -> np.ndarray:
    """Whether string k of `a` equals string k of `b`, for every k."""
    eq = a.lens == b.lens
    short = a.lens <= 16
    if eq.all() and short.all():
        return _equal_short(a.starts, b.starts, a.lens, a, b)
    k = np.flatnonzero(eq & short)
    eq[k] = _equal_short(a.starts[k], b.starts[k], a.lens[k], a, b)
    k = np.flatnonzero(eq & ~short)
    if len(k):
        eq[k] = _equal_long(a.starts[k], b.starts[k], a.lens[k], a, b)
    return eq


def _equal_short(
    sa: np.ndarray, sb: np.ndarray, lens: np.ndarray, a: _Strings, b: _Strings
) -> np.ndarray:
    """Whether strings of equal `lens` (up to 16 bytes: phone numbers, most ids) at
    starts `sa` in `a` and `sb` in `b` are equal: one 16-byte read a string per side,
    the bytes past its end masked off."""
    diff = a.pairs[sa].view(np.uint64).reshape(-1, 2) ^ b.pairs[sb].view(np.uint64).reshape(-1, 2)
    diff[:, 0] &= _LOW_MASKS[np.minimum(lens, 8)]
    diff[:, 1] &= _LOW_MASKS[np.maximum(lens - 8, 0)]
    return (diff[:, 0] | diff[:, 1]) == 0


def _equal_long(
    sa: np.ndarray, sb: np.ndarray, lens: np.ndarray, a: _Strings, b: _Strings
) -> np.ndarray:
    """`_equal_short` for strings of more than 8 bytes: compared 8 bytes at a time from
    their start, the last word being their last 8 bytes (overlapping the one before)."""
    bad = a.words[sa + lens - 8] != b.words[sb + lens - 8]
    j = 0  # the word at byte j, for strings longer than j + 8
    need = ~bad
    while need.any():
        if need.all():
            bad |= a.words[sa + j] != b.words[sb + j]
        else:
            i = np.flatnonzero(need)
            bad[i] = a.words[sa[i] + j] != b.words[sb[i] + j]
        j += 8
        need = ~bad & (lens > j + 8)
    return ~bad


def _as_arrays(keys: KeyBatch) -> list[pa.Array]:
    """The batch as Arrow string / large_string arrays (one per chunk)."""
    if isinstance(keys, pa.ChunkedArray):
        arrays = list(keys.chunks)
    elif isinstance(keys, pa.Array):
        arrays = [keys]
    else:
        arrays = [pa.array(keys if isinstance(keys, np.ndarray) else list(keys))]
    out = []
    for arr in arrays:
        if pa.types.is_dictionary(arr.type):
            arr = arr.dictionary_decode()
        if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            # Keys are strings; numbers (e.g. integer account ids) key by their decimal text.
            arr = pc.cast(arr, pa.large_string())
        out.append(arr)
    return out


def hash_keys(keys: KeyBatch) -> np.ndarray:
    """A 64-bit hash of every key (0 for nulls), the one KeyIndex uses: a compact
    fingerprint where an exact id is not worth 50 bytes a key (e.g. transfer ids kept to
    resolve victims' reports)."""
    parts = []
    for arr in _as_arrays(keys):
        h = _hash_strings(_Strings.of(arr)) if len(arr) else np.empty(0, np.uint64)
        if arr.null_count:
            h[~arr.is_valid().to_numpy(zero_copy_only=False)] = 0
        parts.append(h)
    return np.concatenate(parts) if parts else np.empty(0, np.uint64)


class KeyIndex:
    """Dense int64 ids 0..n-1 for string keys, assigned in first-seen order."""

    def __init__(self) -> None:
        self._n = 0
        self._used = 0  # bytes of key data stored
        self._data = np.zeros(1 << 12, np.uint8)  # key bytes, always >= _PAD zero bytes spare
        self._off = np.zeros(1 << 8, np.int64)  # key i is data[off[i]:off[i + 1]]
        self._slot_hash = np.zeros(1 << 8, np.uint64)
        self._slot_id = np.full(1 << 8, -1, np.int32)
        self._in_table = 0  # keys in the table (the others are in overflow)
        self._overflow: dict[str, int] = {}  # keys whose hash another key holds in the table
        self._hash: Callable[[_Strings], np.ndarray] = _hash_strings

    def __len__(self) -> int:
        return self._n

    @property
    def nbytes(self) -> int:
        """Bytes held in numpy arrays (the rare overflow dict not counted)."""
        arrays = (self._data, self._off, self._slot_hash, self._slot_id)
        return sum(int(a.nbytes) for a in arrays)

    def lookup(self, keys: KeyBatch, add: bool = True) -> np.ndarray:
        """The id of each key; unseen keys get new ids (add=True) or -1; nulls give -1."""
        if len(keys) <= _SMALL and self._hash is _hash_strings:  # a single check: plain
            # Python beats numpy's per-call overhead
            few = keys.to_pylist() if isinstance(keys, pa.Array | pa.ChunkedArray) else list(keys)
            if all(isinstance(k, str) or k is None for k in few):
                found = self._lookup_small(few)
                if found is not None:
                    return found
        parts = [self._lookup_array(arr, add) for arr in _as_arrays(keys)]
        if len(parts) == 1:
            return parts[0]
        return np.concatenate(parts) if parts else np.empty(0, np.int64)

    def lookup_columns(self, columns: Sequence[KeyBatch], add: bool = True) -> list[np.ndarray]:
        """The ids of several columns of keys, exactly as `lookup` gives them column after
        column (unseen keys numbered in that order), through one lookup of their distinct
        keys: a batch's callers and callees name a few ten thousand numbers in hundreds
        of thousands of rows: Arrow finds the distinct ones, and only those are hashed here."""
        sizes = [len(column) for column in columns]
        if sum(sizes) < _MIN_TO_ENCODE:
            return [self.lookup(column, add) for column in columns]
        arrays = [arr for column in columns for arr in _as_arrays(column)]
        if len({arr.type for arr in arrays}) > 1:
            arrays = [arr.cast(pa.large_string()) for arr in arrays]
        # Distinct keys in order of first appearance: new ones are numbered as before. The
        # chunks need no concatenating: Arrow gives every chunk the one whole dictionary.
        encoded = pc.dictionary_encode(pa.chunked_array(arrays))
        ids = np.append(self.lookup(encoded.chunk(0).dictionary, add), -1)  # last: null
        indices = pa.chunked_array([chunk.indices for chunk in encoded.chunks], pa.int32())
        at = pc.fill_null(indices, -1).to_numpy()
        return np.split(ids[at], np.cumsum(sizes)[:-1])

    # -- lookup ---------------------------------------------------------------------------

    def _lookup_small(self, keys: Sequence[str | None]) -> np.ndarray | None:
        """Known keys' ids, one key at a time (None if any key is unseen: the batch path
        adds it). The same hash and table as the batch path."""
        out = np.empty(len(keys), np.int64)
        mask = len(self._slot_id) - 1
        for i, key in enumerate(keys):
            if key is None:
                out[i] = -1
                continue
            if key in self._overflow:
                out[i] = self._overflow[key]
                continue
            b = key.encode()
            h = _hash_bytes(b)
            p = h & mask
            while True:
                sid = int(self._slot_id[p])
                if sid == -1:
                    return None
                if int(self._slot_hash[p]) == h:
                    if self._data[self._off[sid] : self._off[sid + 1]].tobytes() != b:
                        return None  # another key holds this hash: new, or in overflow
                    out[i] = sid
                    break
                p = (p + 1) & mask
        return out

    def _stored(self, ids: np.ndarray) -> _Strings:
        starts = self._off[ids]
        return _Strings(starts, self._off[ids + 1] - starts, self._data)

    def _probe(self, h: np.ndarray) -> np.ndarray:
        """The table's id for each hash, or -1 where the hash is not in the table."""
        mask = len(self._slot_id) - 1
        p = (h & np.uint64(mask)).astype(np.int64)
        out = self._slot_id[p].astype(np.int64)
        # Linear probing: go on past slots that hold another hash.
        pending = np.flatnonzero((out >= 0) & (self._slot_hash[p] != h))
        out[pending] = -1
        p = p[pending]
        while len(pending):
            p = (p + 1) & mask
            sid = self._slot_id[p]
            empty = sid < 0
            hit = ~empty & (self._slot_hash[p] == h[pending])
            out[pending[hit]] = sid[hit]
            go_on = ~(hit | empty)
            pending, p = pending[go_on], p[go_on]
        return out

    def _lookup_array(self, arr: pa.Array, add: bool) -> np.ndarray:
        n = len(arr)
        ids = np.full(n, -1, np.int64)
        if n == 0:
            return ids
        batch = _Strings.of(arr)
        if arr.null_count:
            rows = np.flatnonzero(arr.is_valid().to_numpy(zero_copy_only=False))
            batch = batch.take(rows)
        else:
            rows = np.arange(n)
        h = self._hash(batch)
        cand = self._probe(h)
        hit = np.flatnonzero(cand >= 0)
        same = _equal(batch.take(hit), self._stored(cand[hit]))
        ids[rows[hit[same]]] = cand[hit[same]]
        collided = hit[~same]  # hash held by another key: the key is in overflow or new
        for k in collided.tolist():
            ids[rows[k]] = self._overflow.get(arr[int(rows[k])].as_py(), -1)
        if add:
            absent = np.flatnonzero(cand < 0)
            if len(collided):
                collided = collided[ids[rows[collided]] < 0]
            # The fast path leaves everything as it was if it meets a hash collision.
            fast = not len(collided) and (
                not len(absent) or self._add_fast(batch.take(absent), h[absent], rows[absent], ids)
            )
            if not fast:
                self._add_slowly(arr, batch, rows, h, absent, collided, ids)
        return ids

    def _add_fast(self, new: _Strings, h: np.ndarray, rows: np.ndarray, ids: np.ndarray) -> bool:
        """Give ids, in order of first appearance, to unseen keys whose hashes are not in
        the table: claim one table slot per distinct hash (the usual case), or return False
        and leave everything unchanged if two different new keys share a hash."""
        self._reserve(len(h))
        mask = len(self._slot_id) - 1
        pos = (h & np.uint64(mask)).astype(np.int64)
        slot = np.empty(len(h), np.int64)
        claimer = np.empty(len(h), np.int64)  # the key that claimed the slot of key k's hash
        pending = np.arange(len(h))
        marker = np.arange(len(h), dtype=np.int32) | np.int32(-(2**31))  # negative, not -1
        claimed = []
        while len(pending):
            p = pos[pending]
            sid = self._slot_id[p]
            free = sid == -1
            # Free slot: claim it (of several keys writing one slot, one write sticks).
            self._slot_id[p[free]] = marker[pending[free]]
            won = free & (self._slot_id[p] == marker[pending])
            self._slot_hash[p[won]] = h[pending[won]]
            claimed.append(p[won])
            # A slot claimed in this batch for the same hash: same key, or a collision.
            sid = self._slot_id[p]
            joined = (sid < -1) & (self._slot_hash[p] == h[pending])
            slot[pending[joined]] = p[joined]
            claimer[pending[joined]] = sid[joined] & np.int32(2**31 - 1)
            go_on = ~joined
            pos[pending[go_on & ~free]] = (p[go_on & ~free] + 1) & mask
            pending = pending[go_on]
        k = np.arange(len(h))
        first = k.copy()
        np.minimum.at(first, claimer, k)  # first[c]: earliest key that claimer c stands for
        first_of = first[claimer]
        if not _equal(new, new.take(first_of)).all():
            self._slot_id[np.concatenate(claimed)] = -1  # undo: the slots were free before
            return False
        is_first = first_of == k
        rank = np.cumsum(is_first) - 1
        new_ids = self._n + rank[first_of]
        ids[rows] = new_ids
        self._slot_id[slot] = new_ids.astype(np.int32)
        self._in_table += int(is_first.sum())
        self._append(new.take(np.flatnonzero(is_first)))
        return True

    def _add_slowly(
        self,
        arr: pa.Array,
        batch: _Strings,
        rows: np.ndarray,
        h: np.ndarray,
        absent: np.ndarray,
        collided: np.ndarray,
        ids: np.ndarray,
    ) -> None:
        """`_add_fast` key by key, for batches with a 64-bit hash collision (very rare)."""
        local: dict[str, int] = {}
        table_keys, table_hashes, stored = [], set(), []
        free = set(absent.tolist())
        for k in np.sort(np.concatenate([absent, collided])).tolist():
            key = arr[int(rows[k])].as_py()
            if key in local:
                ids[rows[k]] = local[key]
                continue
            ids[rows[k]] = local[key] = self._n + len(local)
            stored.append(k)
            if k in free and int(h[k]) not in table_hashes:
                table_hashes.add(int(h[k]))
                table_keys.append(k)
            else:
                self._overflow[key] = int(ids[rows[k]])
        t = np.array(table_keys, np.int64)
        self._reserve(len(t))
        self._place(h[t], ids[rows[t]])
        self._in_table += len(t)
        self._append(batch.take(np.array(stored, np.int64)))

    def _append(self, new: _Strings) -> None:
        """Store the bytes of `new` as the keys with ids n, n+1, ..."""
        k = len(new.lens)
        total = int(new.lens.sum())
        while self._used + total + _PAD > len(self._data):
            self._data = np.concatenate([self._data, np.zeros(len(self._data), np.uint8)])
        while self._n + k + 1 > len(self._off):
            self._off = np.concatenate([self._off, np.zeros(len(self._off), np.int64)])
        ends = self._used + np.cumsum(new.lens)
        self._off[self._n + 1 : self._n + k + 1] = ends
        if total:
            # Byte i of the new data comes from its key's start plus its place in the key.
            shift = np.repeat(new.starts - (ends - new.lens), new.lens)
            shift += np.arange(self._used, self._used + total)
            self._data[self._used : self._used + total] = new.data[shift]
        self._used += total
        self._n += k

    def _reserve(self, more: int) -> None:
        """Grow the table so that `more` keys fit within the load limit."""
        size = _table_size(len(self._slot_id), self._in_table + more)
        if size == len(self._slot_id):
            return
        full = self._slot_id >= 0
        h, ids = self._slot_hash[full], self._slot_id[full]
        self._slot_hash = np.zeros(size, np.uint64)
        self._slot_id = np.full(size, -1, np.int32)
        self._place_in_empty(h, ids)

    def _place_in_empty(self, h: np.ndarray, ids: np.ndarray) -> None:
        """`_place` into an empty table (a grown one), in one pass (see `_spread`)."""
        home = (h & np.uint64(len(self._slot_id) - 1)).view(np.int64)
        order, slot, inside = _spread(home, len(self._slot_id))
        self._slot_hash[slot[:inside]] = h[order[:inside]]
        self._slot_id[slot[:inside]] = ids[order[:inside]]
        self._place(h[order[inside:]], ids[order[inside:]])

    def _place(self, h: np.ndarray, ids: np.ndarray) -> None:
        """Put (hash, id) pairs in the table: hashes distinct and not yet in the table."""
        mask = len(self._slot_id) - 1
        pos = (h & np.uint64(mask)).astype(np.int64)
        pending = np.arange(len(h))
        ids = ids.astype(np.int32)
        while len(pending):
            p = pos[pending]
            free = self._slot_id[p] < 0
            # Several keys may reach the same free slot in one round: one write sticks.
            self._slot_id[p[free]] = ids[pending[free]]
            won = free & (self._slot_id[p] == ids[pending])
            self._slot_hash[p[won]] = h[pending[won]]
            pos[pending[~won]] = (p[~won] + 1) & mask
            pending = pending[~won]

    # -- reverse mapping and snapshots ----------------------------------------------------

    def to_arrow(self) -> pa.Array:
        """Every key in id order (key i has id i): the snapshot `from_arrow` restores."""
        n = self._n
        return pa.LargeStringArray.from_buffers(
            n, pa.py_buffer(self._off[: n + 1]), pa.py_buffer(self._data[: self._used])
        )

    def key_of(self, ids: np.ndarray | Sequence[int]) -> pa.Array:
        """The key of each id (null for -1), e.g. to name the entities behind a decision."""
        arr = np.asarray(ids, dtype=np.int64)
        if len(arr) and (arr.max() >= self._n or arr.min() < -1):
            raise IndexError(f"key_of: ids must be -1 or in 0..{self._n - 1}")
        if len(arr) <= _SMALL:  # a single check: slice the bytes directly
            keys = [
                None if i < 0 else self._data[self._off[i] : self._off[i + 1]].tobytes().decode()
                for i in arr.tolist()
            ]
            return pa.array(keys, pa.large_string())
        return self.to_arrow().take(pa.array(arr, mask=arr < 0))

    @classmethod
    def from_arrow(cls, keys: pa.Array | pa.ChunkedArray | Sequence[str]) -> KeyIndex:
        """Restore an index from `to_arrow` output: key i gets id i."""
        index = cls()
        for arr in _as_arrays(keys):
            if arr.null_count:
                raise ValueError("from_arrow: keys must not be null")
            start = len(index)
            ids = index.lookup(arr)
            if not np.array_equal(ids, np.arange(start, start + len(arr))):
                raise ValueError("from_arrow: keys must be distinct")
        return index


class IntIndex(KeyIndex):
    """Dense int64 ids 0..n-1 for int64 keys (e.g. two ids packed into one: a payer→payee
    pair), in first-seen order.

    An open-addressing table like KeyIndex's (linear probing, load <= 0.5), but each slot
    is one 16-byte row (key, ~id), all zero when empty (a new table is zero pages, and
    ~row[1] is -1 there): a probe reads one cache line, and the key itself is compared, so
    no string is ever made and no reverse array is kept (the table is the snapshot). The
    home slot comes from splitmix64's finaliser of the key.
    """

    def __init__(self) -> None:
        self._n = 0
        self._table = np.zeros((1 << 8, 2), np.int64)

    @property
    def nbytes(self) -> int:
        return int(self._table.nbytes)

    def lookup(self, keys: KeyBatch, add: bool = True) -> np.ndarray:
        """The id of each key; unseen keys get new ids (add=True) or -1."""
        k = np.asarray(keys, dtype=np.int64).reshape(-1)
        slot = self._home(k)
        ids = self._find(k, slot)
        absent = np.flatnonzero(ids < 0)
        if not add or not len(absent):
            return ids
        fresh = k[absent]
        if self._n + len(absent) > _MAX_LOAD * len(self._table):  # may have to grow
            self._reserve(len(np.unique(fresh)))
            slot = self._home(fresh)
            self._find(fresh, slot)  # to the empty slot that ends each probe
        else:
            slot = slot[absent]
        at, claimer = self._claim(fresh, slot)
        j = np.arange(len(fresh))
        first = j.copy()
        np.minimum.at(first, claimer, j)  # first[c]: earliest key of claimer c's slot
        first_of = first[claimer]
        is_first = first_of == j
        new_ids = self._n + (np.cumsum(is_first) - 1)[first_of]
        self._table[at, 0] = fresh
        self._table[at, 1] = ~new_ids
        self._n += int(np.count_nonzero(is_first))
        ids[absent] = new_ids
        return ids

    def lookup_columns(self, columns: Sequence[KeyBatch], add: bool = True) -> list[np.ndarray]:
        """`lookup` of the columns one after the other, in one call."""
        sizes = [len(column) for column in columns]
        keys = [np.asarray(column, dtype=np.int64).reshape(-1) for column in columns]
        ids = self.lookup(np.concatenate(keys) if keys else np.empty(0, np.int64), add)
        return np.split(ids, np.cumsum(sizes)[:-1])

    # -- the table ------------------------------------------------------------------------

    def _home(self, k: np.ndarray) -> np.ndarray:
        h = _fmix(k.view(np.uint64).copy())
        h &= np.uint64(len(self._table) - 1)
        return h.view(np.int64)

    def _rows(self) -> np.ndarray:
        """The table's rows as 16-byte items: one gather fetches a slot's key and id
        together (not one gather of keys and another of ids)."""
        return self._table.view(_ROW).reshape(-1)

    def _at(self, slots: np.ndarray) -> np.ndarray:
        """The (key, ~id) rows of these slots."""
        return self._rows()[slots].view(np.int64).reshape(-1, 2)

    def _find(self, k: np.ndarray, slot: np.ndarray) -> np.ndarray:
        """The id of each key, or -1; `slot` (home slots) is moved on, in place, to each
        key's own slot or to the empty slot that ends its probe."""
        mask = len(self._table) - 1
        rows = self._at(slot)
        same = rows[:, 0] == k
        ids = np.where(same, ~rows[:, 1], -1)  # an empty row's key may equal k: its id is -1
        pending = np.flatnonzero((rows[:, 1] != 0) & ~same)
        while len(pending):
            p = (slot[pending] + 1) & mask
            slot[pending] = p
            rows = self._at(p)
            same = rows[:, 0] == k[pending]
            ids[pending[same]] = ~rows[:, 1][same]
            pending = pending[(rows[:, 1] != 0) & ~same]
        return ids

    def _claim(self, k: np.ndarray, slot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The slots that keys not in the table take, starting from `slot` (each key's home
        or the empty slot that ended its probe), one round per probe step: a key writes
        its mark into a free slot's id (of several keys writing one slot, one write
        sticks), and every key finding the mark of a key equal to it joins that slot;
        the others go on. Returns each key's slot and which key claimed it (repeats of a
        key share one slot). The slots' rows are left to the caller to write."""
        ids = self._table[:, 1]
        mask = len(self._table) - 1
        claimer = np.empty(len(k), np.int64)
        pending = np.arange(len(k))
        while len(pending):
            p = slot[pending]
            free = ids[p] == 0
            ids[p[free]] = 1 + pending[free]  # above 0: claimed by this batch
            sid = ids[p]
            mine = sid > 0
            mine[mine] = k[sid[mine] - 1] == k[pending[mine]]
            claimer[pending[mine]] = sid[mine] - 1
            go_on = ~mine
            slot[pending[go_on]] = (p[go_on] + 1) & mask
            pending = pending[go_on]
        return slot, claimer

    def _reserve(self, more: int) -> None:
        """Grow the table so that `more` keys fit within the load limit."""
        size = _table_size(len(self._table), self._n + more)
        if size == len(self._table):
            return
        old = self._rows()[self._table[:, 1] != 0]
        keys = old.view(np.int64)[::2]
        self._table = np.zeros((size, 2), np.int64)
        home = self._home(keys)
        order, slot, inside = _spread(home, size)
        self._rows()[slot[:inside]] = old[order[:inside]]
        rest = order[inside:]  # past the last slot: wrap around
        at, _ = self._claim(keys[rest], home[rest])
        self._rows()[at] = old[rest]

    # -- snapshots ------------------------------------------------------------------------

    def _keys(self) -> np.ndarray:
        """Every key in id order."""
        full = self._table[self._table[:, 1] != 0]
        keys = np.empty(self._n, np.int64)
        keys[~full[:, 1]] = full[:, 0]
        return keys

    def to_arrow(self) -> pa.Array:
        return pa.array(self._keys())

    def key_of(self, ids: np.ndarray | Sequence[int]) -> pa.Array:
        arr = np.asarray(ids, dtype=np.int64)
        if len(arr) and (arr.max() >= self._n or arr.min() < -1):
            raise IndexError(f"key_of: ids must be -1 or in 0..{self._n - 1}")
        return pa.array(self._keys()[np.maximum(arr, 0)] if self._n else arr, mask=arr < 0)

    @classmethod
    def from_arrow(cls, keys: pa.Array | pa.ChunkedArray | Sequence[str]) -> IntIndex:
        index = cls()
        values = keys.to_numpy() if isinstance(keys, pa.Array | pa.ChunkedArray) else keys
        ids = index.lookup(np.asarray(values, np.int64))
        if not np.array_equal(ids, np.arange(len(ids))):
            raise ValueError("from_arrow: keys must be distinct")
        return index


_ROW = np.dtype("V16")  # one (key, ~id) row of IntIndex's table
