"""The transfer history indexed for tracing (DESIGN §6), built once, read by every trace.

Tracing one case must cost milliseconds on a ledger of tens of millions of transfers, so
everything a trace asks about an account is precomputed here as numpy arrays:

- account ids map to dense ints (accounts-table order first, then first appearance in
  the transfers) through a `KeyIndex`, so per-account state is an array index, not a
  dict of strings;
- the journal is the transfer table stably sorted by ts (ties keep row order); journal
  position j is the transfer's sequence number, and "earlier" always means smaller j;
- each account's debits and credits are CSR slices in journal order, and the balance of
  both parties just before every transfer is stored, so a trace never re-adds a history;
- for every transfer, the receiving account's next debit after it, so a trace can start
  following an account from the moment money reaches it without searching.

Balances start from `opening_balance_fen` (0 when no accounts table is given) and may go
below zero (credit cards). Sinks are where traced money leaves the system: external
accounts by their `external_kind` (cash, crypto OTC, cross-border) and merchants.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.common import KeyIndex, hash_keys, ledger_order

#: Sink codes (index into SINK_KINDS): 0 is not a sink.
SINK_KINDS: tuple[str, ...] = ("", "cash", "crypto_otc", "cross_border", "merchant", "external")
_SINK_CODE = {name: code for code, name in enumerate(SINK_KINDS) if name}

_J_BITS = 32  # journal positions packed into posting sort keys
_J_MASK = (1 << _J_BITS) - 1


def _column(table: pa.Table, name: str, what: str) -> pa.ChunkedArray:
    if name not in table.column_names:
        raise ValueError(f"{what}: missing column {name!r}")
    col = table.column(name)
    if col.null_count:
        raise ValueError(f"{what}: column {name!r} has {col.null_count} null value(s)")
    return col


def _ints(col: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(col.to_numpy(), dtype=np.int64)


def _strings(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    """One contiguous string array (so hashing and `take` see a single buffer)."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = pc.cast(arr, pa.large_string())
    return arr


class _HashIndex:
    """Exact lookup of string keys to their positions, without a dict of millions of
    strings: each entry packs a key's hash prefix above its position, so one sort of
    values (not an argsort) builds it; a lookup is a binary search, and every position
    whose prefix matches is confirmed by comparing the strings. For the event ids: one
    per transfer, all distinct, where a `KeyIndex` would hold a second copy of every id
    and a table slot pair (some 50 bytes a transfer) to answer a few lookups a case."""

    def __init__(self, keys: pa.Array) -> None:
        n = len(keys)
        self.keys = keys
        self.bits = max(1, (n - 1).bit_length())
        packed = hash_keys(keys) if n else np.empty(0, np.uint64)
        packed >>= np.uint64(self.bits)
        packed <<= np.uint64(self.bits)
        packed |= np.arange(n, dtype=np.uint64)
        packed.sort()
        self.packed = packed

    def same_prefix(self) -> list[tuple[int, int]]:
        """Pairs of positions whose hash prefixes are equal (to look for repeated keys)."""
        p = self.packed
        prefix = p >> np.uint64(self.bits)
        mask = np.uint64((1 << self.bits) - 1)
        i = np.flatnonzero(prefix[1:] == prefix[:-1])
        return list(zip((p[i] & mask).tolist(), (p[i + 1] & mask).tolist(), strict=True))

    def lookup(self, ids: Sequence[str]) -> np.ndarray:
        """The position of each key, -1 when unknown."""
        out = np.full(len(ids), -1, np.int64)
        if not len(ids) or not len(self.packed):
            return out
        bits = np.uint64(self.bits)
        low = np.uint64((1 << self.bits) - 1)
        key = (hash_keys(pa.array(list(ids), pa.large_string())) >> bits) << bits
        lo = np.searchsorted(self.packed, key, "left")
        hi = np.searchsorted(self.packed, key | low, "right")
        if ((hi - lo) == 1).all():  # one candidate each (nearly always): one take, one compare
            rows = (self.packed[lo] & low).astype(np.int64)
            found = _pylist(self.keys.take(pa.array(rows)))
            hit = np.array([f == k for f, k in zip(found, ids, strict=True)], bool)
            out[hit] = rows[hit]
            return out
        for i, k in enumerate(ids):
            for pos in range(int(lo[i]), int(hi[i])):
                row = int(self.packed[pos] & low)
                if self.keys[row].as_py() == k:
                    out[i] = row
                    break
        return out


class Ledger:
    """Transfers indexed for tracing: journal arrays, per-account CSR postings, balances.

    Journal arrays (index j = sequence number, in (ts, row) order): `ts`, `src`, `dst`,
    `amount`, `row` (row in the transfers table), `src_balance` / `dst_balance` (each
    party's balance just before transfer j; for a self-transfer the debit comes first)
    and `dst_next_debit` (index into `debit_j` of the receiver's first debit after j).
    Per account a: its debits are `debit_j[debit_ptr[a]:debit_ptr[a + 1]]` and its
    credits `credit_j[credit_ptr[a]:credit_ptr[a + 1]]`, both in journal order; `opening`,
    `final_balance` and `sink` (a code into SINK_KINDS) are per-account arrays.
    """

    def __init__(self, transfers: pa.Table, accounts: pa.Table | None = None) -> None:
        what = "Ledger transfers"
        ts_rows = _ints(_column(transfers, "ts", what))
        amount_rows = _ints(_column(transfers, "amount_fen", what))
        if len(amount_rows) and int(amount_rows.min()) <= 0:
            bad = int(np.flatnonzero(amount_rows <= 0)[0])
            raise ValueError(f"{what}: amount_fen must be > 0 (row {bad})")
        self._event_ids = _strings(_column(transfers, "event_id", what))
        n = len(ts_rows)
        if n >= 1 << _J_BITS:
            raise ValueError(f"{what}: at most 2**{_J_BITS} transfers per ledger")

        # Accounts: the accounts table's ids first (so its rows align with ids 0..m-1).
        columns = [_column(transfers, "from_account", what), _column(transfers, "to_account", what)]
        if accounts is not None:
            columns.insert(0, _column(accounts, "account_id", "Ledger accounts"))
        self._account_index = KeyIndex()
        ids = self._account_index.lookup_columns(columns)
        src_rows, dst_rows = ids[-2:]
        m = accounts.num_rows if accounts is not None else 0
        if m and int(ids[0].max()) != m - 1:
            dup = int(np.flatnonzero(ids[0] != np.arange(m))[0])
            raise ValueError(
                f"Ledger accounts: account_id {columns[0][dup].as_py()!r} is listed twice"
            )
        self._account_ids = self._account_index.to_arrow()
        n_acc = len(self._account_ids)
        idt = np.int32 if n_acc < 1 << 31 else np.int64

        # The journal.
        order = ledger_order(ts_rows)
        identity = bool(n == 0 or (order[0] == 0 and (np.diff(order) == 1).all()))
        self.row: np.ndarray = np.arange(n, dtype=np.int64) if identity else order
        self.ts: np.ndarray = ts_rows if identity else ts_rows[order]
        self.amount: np.ndarray = amount_rows if identity else amount_rows[order]
        self.src: np.ndarray = (src_rows if identity else src_rows[order]).astype(idt)
        self.dst: np.ndarray = (dst_rows if identity else dst_rows[order]).astype(idt)
        self._j_of_row: np.ndarray | None = None if identity else np.argsort(order)

        # Opening balances and sinks, from the accounts table when there is one.
        self.opening: np.ndarray = np.zeros(n_acc, np.int64)
        self.sink: np.ndarray = np.zeros(n_acc, np.int8)
        if accounts is not None and m:
            ob = "opening_balance_fen"
            if ob in accounts.column_names:
                self.opening[:m] = _ints(_column(accounts, ob, "Ledger accounts"))
            self.sink[:m] = _sink_codes(accounts)

        self._index_postings(n_acc)
        self._index_events()

    # -- building ---------------------------------------------------------------------------

    def _index_postings(self, n_acc: int) -> None:
        """Per-account CSR postings and the balance before each, from one sort of packed keys.

        Each transfer gives a debit key (src, j, 0) and a credit key (dst, j, 1) packed
        into one int64, so one sort of values (not an argsort of indices) gives the order
        (account, journal, debit before credit).
        """
        n = len(self.ts)
        j = np.arange(n, dtype=np.int64)
        keys = np.empty(2 * n, np.int64)
        keys[:n] = (self.src.astype(np.int64) << (_J_BITS + 1)) | (j << 1)
        keys[n:] = (self.dst.astype(np.int64) << (_J_BITS + 1)) | (j << 1) | 1
        del j
        keys.sort()
        side = (keys & 1).astype(bool)  # True: credit
        pj = (keys >> 1) & _J_MASK
        acct = keys >> (_J_BITS + 1)
        del keys
        counts = np.bincount(acct, minlength=n_acc)
        ptr = np.zeros(n_acc + 1, np.int64)
        np.cumsum(counts, out=ptr[1:])
        signed = self.amount[pj]
        np.negative(signed, out=signed, where=~side)
        before = np.cumsum(signed)  # wraps on overflow; differences within an account are exact
        before -= signed
        used = counts > 0
        before -= np.repeat(before[ptr[:-1][used]], counts[used])
        before += self.opening[acct]
        del acct
        self.final_balance: np.ndarray = self.opening.copy()
        last = ptr[1:][used] - 1
        self.final_balance[used] = before[last] + signed[last]
        del signed
        debits_before = np.cumsum(~side) - ~side  # debits earlier in posting order
        self.debit_j: np.ndarray = pj[~side]
        self.src_balance: np.ndarray = np.empty(n, np.int64)
        self.src_balance[self.debit_j] = before[~side]
        self.credit_j: np.ndarray = pj[side]
        self.dst_balance: np.ndarray = np.empty(n, np.int64)
        self.dst_balance[self.credit_j] = before[side]
        # A credit's count of earlier debits (all accounts) is the global index of the
        # receiver's next debit in debit_j: postings are grouped by account.
        self.dst_next_debit: np.ndarray = np.empty(n, np.int64)
        self.dst_next_debit[self.credit_j] = debits_before[side]
        self.debit_ptr: np.ndarray = np.zeros(n_acc + 1, np.int64)
        np.cumsum(np.bincount(self.src, minlength=n_acc), out=self.debit_ptr[1:])
        self.credit_ptr: np.ndarray = ptr - self.debit_ptr

    def _index_events(self) -> None:
        """Event ids by hash: a seed lookup costs microseconds, and repeated ids are found."""
        self._events = _HashIndex(self._event_ids)
        for r1, r2 in self._events.same_prefix():
            a, b = self._event_ids[r1].as_py(), self._event_ids[r2].as_py()
            if a == b:
                raise ValueError(f"Ledger transfers: event_id {a!r} is listed twice")

    # -- sizes and names --------------------------------------------------------------------

    @property
    def n_transfers(self) -> int:
        return len(self.ts)

    @property
    def n_accounts(self) -> int:
        return len(self._account_ids)

    @property
    def account_ids(self) -> pa.Array:
        """Every account id, in dense-id order (id i is `account_ids[i]`)."""
        return self._account_ids

    def account_id(self, account: int) -> str:
        return str(self._account_ids[account].as_py())

    def account_names(self, accounts: Sequence[int] | np.ndarray) -> list[str]:
        """The ids of many dense accounts in one Arrow take (a trace's result)."""
        return _pylist(self._account_ids.take(pa.array(np.asarray(accounts, np.int64))))

    def event_names(self, journal: Sequence[int] | np.ndarray) -> list[str]:
        """The event ids of many journal positions in one Arrow take."""
        rows = self.row[np.asarray(journal, np.int64)]
        return _pylist(self._event_ids.take(pa.array(rows)))

    def sink_kind(self, account: int) -> str | None:
        """Where money paid to this account leaves the system, or None if it does not."""
        code = int(self.sink[account])
        return SINK_KINDS[code] if code else None

    # -- lookups ----------------------------------------------------------------------------

    def accounts(self, account_ids: Sequence[str]) -> np.ndarray:
        """Dense ids of accounts, -1 for an id the ledger does not know."""
        return self._account_index.lookup(list(account_ids), add=False)

    def account(self, account_id: str) -> int:
        """The dense id of an account; KeyError naming the id if the ledger does not know it."""
        a = int(self.accounts([account_id])[0])
        if a < 0:
            raise KeyError(f"unknown account_id {account_id!r}")
        return a

    def transfers(self, event_ids: Sequence[str]) -> np.ndarray:
        """Journal positions of transfers by event_id; KeyError naming the first unknown id."""
        ids = list(event_ids)
        rows = self._events.lookup(ids)
        if len(rows) and rows.min() < 0:
            raise KeyError(f"unknown transfer event_id {ids[int(np.argmin(rows))]!r}")
        return rows if self._j_of_row is None else self._j_of_row[rows]

    def transfer(self, event_id: str) -> int:
        """Journal position of one transfer; KeyError naming the id if unknown."""
        return int(self.transfers([event_id])[0])

    def window_end(self, end_ts: int | None) -> int:
        """The last journal position with ts <= end_ts (all transfers when None)."""
        if end_ts is None:
            return len(self.ts) - 1
        return int(np.searchsorted(self.ts, end_ts, "right")) - 1

    def balance_at(self, account: int, j: int) -> int:
        """The account's balance after every transfer up to journal position j (inclusive)."""
        if j >= len(self.ts) - 1:
            return int(self.final_balance[account])
        dlo, dhi = int(self.debit_ptr[account]), int(self.debit_ptr[account + 1])
        clo, chi = int(self.credit_ptr[account]), int(self.credit_ptr[account + 1])
        kd = dlo + int(np.searchsorted(self.debit_j[dlo:dhi], j, "right"))
        kc = clo + int(np.searchsorted(self.credit_j[clo:chi], j, "right"))
        jd = int(self.debit_j[kd - 1]) if kd > dlo else -1
        jc = int(self.credit_j[kc - 1]) if kc > clo else -1
        if jd < 0 and jc < 0:
            return int(self.opening[account])
        if jc >= jd:  # a self-transfer's credit comes after its debit
            return int(self.dst_balance[jc] + self.amount[jc])
        return int(self.src_balance[jd] - self.amount[jd])

    def postings(self, account_id: str) -> pa.Table:
        """One account's postings in journal order with the balance before each: to read
        or check a ledger by eye (traces use the arrays directly)."""
        a = self.account(account_id)
        dj = self.debit_j[self.debit_ptr[a] : self.debit_ptr[a + 1]]
        cj = self.credit_j[self.credit_ptr[a] : self.credit_ptr[a + 1]]
        j = np.concatenate([dj, cj])
        credit = np.concatenate([np.zeros(len(dj), bool), np.ones(len(cj), bool)])
        o = np.lexsort((credit, j))
        j, credit = j[o], credit[o]
        other = np.where(credit, self.src[j], self.dst[j])
        signed = np.where(credit, self.amount[j], -self.amount[j])
        before = np.where(credit, self.dst_balance[j], self.src_balance[j])
        return pa.table(
            {
                "seq": j,
                "event_id": self.event_names(j),
                "ts": self.ts[j],
                "side": pa.array(np.where(credit, "credit", "debit")),
                "counterparty": self.account_names(other),
                "amount_fen": signed,
                "balance_before_fen": before,
            }
        )


def _sink_codes(accounts: pa.Table) -> np.ndarray:
    """Per accounts-table row, its sink code: external by external_kind, merchant, else 0."""
    out = np.zeros(accounts.num_rows, np.int8)
    if "kind" not in accounts.column_names:
        return out
    kind = accounts.column("kind")
    out[_true(pc.equal(kind, "merchant"))] = _SINK_CODE["merchant"]
    external = _true(pc.equal(kind, "external"))
    out[external] = _SINK_CODE["external"]
    if "external_kind" in accounts.column_names:
        ext = accounts.column("external_kind")
        for name in ("cash", "crypto_otc", "cross_border"):
            out[external & _true(pc.equal(ext, name))] = _SINK_CODE[name]
    return out


def _pylist(strings: pa.Array) -> list[str]:
    """A string array without nulls as Python strs: through numpy's object array, not
    `to_pylist` (which builds an Arrow scalar per value)."""
    out: list[str] = strings.to_numpy(zero_copy_only=False).tolist()
    return out


def _true(mask: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """An Arrow boolean array as numpy, nulls as False."""
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)
