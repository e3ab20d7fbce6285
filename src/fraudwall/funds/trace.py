"""Trace victims' money forward through accounts under a legal attribution rule (DESIGN §6).

`trace(ledger, seeds, rule)` follows a case's first-hop transfers (the seeds: each
victim's payments to the fraud) in one time-ordered pass, within a hop limit and a time
window, and answers how much of each victim's money sits in each account at the end of
the window, along which hops it went, and where it left the system.

Money in an account is a vector of labels: one per victim, plus ⊥ for the account's own
or unknown money (⊥ is implicit: the balance minus the victims' labels). The victims'
labels never exceed max(balance, 0) — a negative balance (a credit card) holds no labels —
and a credit funds only later debits, in journal order (ts, sequence). How a debit of `a`
fen takes its labels, the balance before it being B and after it B' = B - a:

- poison: if the account is tainted, the whole transfer is tainted by every victim that
  tainted it; an account is tainted by a credit carrying taint and stays tainted until
  its balance is <= 0. Amounts are whole transfers and balances: reachability and alerts
  only, never returns (nothing is conserved);
- haircut: each label L (⊥ included) gives a·x_L/B; when a >= B everything goes;
- fifo / lifo: credits queue as lots (⊥ lots for own money, including the balance held
  when tracing starts); a debit takes the oldest (fifo) / newest (lifo) lots first and
  splits the last one; a lot that mixes several labels is split pro-rata;
- libr (lowest intermediate balance): each victim's claim c_i rises with the victim's
  money credited; clean credits never raise it; after every event the total claim
  C = Σc_i is capped at max(balance, 0). A debit carries victims' money only to the
  extent the cap binds: it carries C - max(B', 0) when that is > 0, cut from the claims
  pro-rata to c_i, and the rest of it is ⊥. So an account pays out its own money first
  and victims' money only once its balance falls below what the victims put in.

Every pro-rata split (haircut, a mixed lot, a LIBR cut, a debt payoff) is to the fen by
largest remainder, ties to the earlier victim (seed order), ⊥ last. Conserving rules
(all but poison) keep, for every victim and at every step, held + exited = paid.

Where money goes:

- hops: an account first reached at hop h passes money on at hop h + 1 (a seed is hop 1;
  an account's hop is the smallest hop at which traced money has reached it so far, so
  an account a victim pays directly is first-hop even if other money got there first);
- sinks: money paid to an external account (cash / crypto_otc / cross_border) or a
  merchant leaves the system: an exit, not followed. So does money paid back to a
  victim's paying account (any seed's sender): exit kind "victim";
- hop limit: an account at hop max_hops holds what it got; when it pays traced money on,
  that money is an exit of kind "hop_limit" to the receiver (not followed), so labels
  still never exceed the balance;
- debt: traced money credited to an account below zero first pays the debt off; that
  part is an exit of kind "debt" (the account itself as the sink);
- window: only transfers with ts <= first seed ts + window_ms (and <= until_ts) are
  followed; what is held then is the answer;
- orders: debits a stop-payment or freeze refused (`refused`) did not happen: the money
  stayed, and the balances of both accounts say so from then on.

For returns under article 8, every account reached reports `sole_victim` (the one victim
whose money arrived since the balance was last <= 0, or None when none or several did)
and `unique_split`: no pro-rata division between two or more victims' money happened in
the account since it was last <= 0, so the time order alone fixes each victim's share —
under LIBR exactly "the cap never bound while two or more victims had claims".

Speed: the ledger precomputes every balance and each receiver's next debit, so the pass
only visits the debits of accounts that hold traced money (a heap in journal order), and
an account whose traced money is gone is dropped until traced money reaches it again.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import NamedTuple, TypeVar, cast

import numpy as np
import pyarrow as pa

from fraudwall.funds.ledger import SINK_KINDS, Ledger


class Rule(StrEnum):
    """How a debit from an account holding several people's money takes its labels."""

    POISON = "poison"
    HAIRCUT = "haircut"
    FIFO = "fifo"
    LIFO = "lifo"
    LIBR = "libr"


CONSERVING: frozenset[Rule] = frozenset({Rule.HAIRCUT, Rule.FIFO, Rule.LIFO, Rule.LIBR})

#: Exit kinds beyond the ledger's sink kinds.
VICTIM, DEBT, HOP_LIMIT = "victim", "debt", "hop_limit"


class Hop(NamedTuple):
    """One transfer carrying one victim's traced money (a row of the 资金流向表)."""

    event_id: str
    ts: int
    from_account: str
    to_account: str
    hop: int
    victim: str
    fen: int


class Exit(NamedTuple):
    """Traced money leaving the trace: to a sink, back to a victim, to debt, or past the
    hop limit (then `to_account` is the receiver that was not followed)."""

    event_id: str
    ts: int
    from_account: str
    to_account: str
    sink_kind: str
    victim: str
    fen: int


class Holding(NamedTuple):
    """A victim's money held in an account at the end of the window."""

    account: str
    victim: str
    fen: int


class Reached(NamedTuple):
    """An account traced money reached, as it stands at the end of the window."""

    account: str
    hop: int
    balance_fen: int
    held_fen: int  # victims' money in it (poison: the balance, if tainted)
    own_fen: int  # balance - held: ⊥, the account's own or unknown money
    sole_victim: str | None
    unique_split: bool


class TraceTables(NamedTuple):
    holdings: pa.Table
    hops: pa.Table
    exits: pa.Table
    accounts: pa.Table


_SCHEMAS = {
    "holdings": pa.schema([("account", pa.string()), ("victim", pa.string()),
                           ("fen", pa.int64())]),
    "hops": pa.schema([("event_id", pa.string()), ("ts", pa.int64()),
                       ("from_account", pa.string()), ("to_account", pa.string()),
                       ("hop", pa.int32()), ("victim", pa.string()), ("fen", pa.int64())]),
    "exits": pa.schema([("event_id", pa.string()), ("ts", pa.int64()),
                        ("from_account", pa.string()), ("to_account", pa.string()),
                        ("sink_kind", pa.string()), ("victim", pa.string()),
                        ("fen", pa.int64())]),
    "accounts": pa.schema([("account", pa.string()), ("hop", pa.int32()),
                           ("balance_fen", pa.int64()), ("held_fen", pa.int64()),
                           ("own_fen", pa.int64()), ("sole_victim", pa.string()),
                           ("unique_split", pa.bool_())]),
}  # fmt: skip


def _table(name: str, rows: Sequence[tuple[object, ...]]) -> pa.Table:
    schema = _SCHEMAS[name]
    cols: list[Sequence[object]] = list(zip(*rows, strict=True)) if rows else []
    if not rows:
        cols = [[] for _ in schema.names]
    return pa.table([pa.array(c, f.type) for c, f in zip(cols, schema, strict=True)], schema)


@dataclass(frozen=True)
class Trace:
    """The answer of one trace: plain rows, ready for tables (`to_tables`)."""

    rule: Rule
    victims: tuple[str, ...]
    max_hops: int
    start_ts: int  # the first seed's ts
    end_ts: int | None  # the window's end (None: the whole ledger)
    paid: dict[str, int]  # per victim, the seeds' total
    holdings: list[Holding]
    hops: list[Hop]
    exits: list[Exit]
    accounts: list[Reached]

    def held(self) -> dict[str, int]:
        """Per victim, the fen held in accounts at the end of the window."""
        out = dict.fromkeys(self.victims, 0)
        for h in self.holdings:
            out[h.victim] += h.fen
        return out

    def exited(self) -> dict[str, int]:
        """Per victim, the fen that left the trace (sinks, victims, debt, hop limit)."""
        out = dict.fromkeys(self.victims, 0)
        for e in self.exits:
            out[e.victim] += e.fen
        return out

    def holding(self, account: str, victim: str) -> int:
        """Fen of `victim` held in `account` (0 when none)."""
        return sum(h.fen for h in self.holdings if h.account == account and h.victim == victim)

    def to_tables(self) -> TraceTables:
        """The rows as Arrow tables (holdings, hops, exits, accounts)."""
        return TraceTables(
            _table("holdings", self.holdings),
            _table("hops", self.hops),
            _table("exits", self.exits),
            _table("accounts", self.accounts),
        )


def _take_shares(st: _Account, shares: Sequence[int]) -> list[tuple[int, int]]:
    """Take each victim's share (`shares[v]`, from a pro-rata split) out of the account's
    claims; the (victim, fen) taken. A split between two victims or more clears
    `split_ok` (article 8's unique split)."""
    lab = st.lab
    carried = []
    holders = 0
    for v, x in enumerate(lab):
        if x:
            holders += 1
            s = shares[v]
            if s:
                lab[v] = x - s
                st.tainted -= s
                carried.append((v, s))
    if holders >= 2:
        st.split_ok = False
    return carried


def _split(total: int, weights: Sequence[int]) -> list[int]:
    """`total` split pro-rata to `weights` (sum > 0) to the fen, by largest remainder;
    ties go to the earlier weight."""
    if len(weights) == 2:  # one victim and ⊥: the common case, without lists
        w0, w1 = weights
        w_sum = w0 + w1
        p0, p1 = total * w0 // w_sum, total * w1 // w_sum
        if p0 + p1 < total:  # one fen left: to the larger remainder, ties to the first
            if total * w0 - p0 * w_sum >= total * w1 - p1 * w_sum:
                p0 += 1
            else:
                p1 += 1
        return [p0, p1]
    w_sum = sum(weights)
    parts = [total * w // w_sum for w in weights]
    left = total - sum(parts)
    if left:
        rems = [total * w - p * w_sum for w, p in zip(weights, parts, strict=True)]
        if left == 1:  # the largest remainder, the earliest of equal ones
            parts[rems.index(max(rems))] += 1
            return parts
        # A stable sort, even reversed: equal remainders keep the earlier weight first.
        for i in sorted(range(len(rems)), key=rems.__getitem__, reverse=True)[:left]:
            parts[i] += 1
    return parts


class _Account:
    """The trace's state of one account that traced money reached."""

    __slots__ = ("arrived", "bal", "hi", "hop", "lab", "last", "lots", "nxt", "pend",
                 "split_ok", "tainted")  # fmt: skip

    def __init__(self, k: int, hop: int) -> None:
        self.hop = hop
        self.lab = [0] * k  # per victim: fen (haircut, libr) or 0/1 taint (poison)
        self.last = 0  # the victim whose money came last (haircut, libr): a fast path
        self.lots: deque[tuple[int, tuple[tuple[int, int], ...]]] = deque()  # fifo / lifo
        self.tainted = 0  # victims' fen held (poison: victims tainting it); 0: dropped
        self.bal = 0  # balance after the last event seen (fifo / lifo: new own money)
        self.nxt = 0  # index in debit_j of the next debit not yet seen
        self.hi = 0  # end of the account's debits in debit_j
        self.pend = -1  # journal position of the debit queued in the heap (-1: none)
        self.arrived = 0  # bitmask of victims whose money arrived since balance <= 0
        self.split_ok = True  # no pro-rata split between 2+ victims since balance <= 0


Seed = tuple[str, str]  # (victim, event_id of the victim's payment to a first-hop account)


def trace(
    ledger: Ledger,
    seeds: Iterable[Seed],
    rule: Rule | str,
    *,
    max_hops: int = 6,
    window_ms: int | None = None,
    until_ts: int | None = None,
    refused: Mapping[str, tuple[int, int]] | None = None,
) -> Trace:
    """Trace the seeds' money forward under `rule` (module docstring: the exact rules).

    seeds: (victim, event_id) pairs; each seed transfer's whole amount is the victim's
    money arriving in its receiver (hop 1). A victim may have several seeds; a transfer
    may be a seed once. refused: account id -> (from_ts, until_ts), inclusive, while a
    stop-payment or freeze refuses the account's debits: those transfers do not happen
    (the money stays, the receiver never gets it; balances say so); accounts the ledger
    does not know are ignored. Raises ValueError (bad rule, max_hops, window, span,
    repeated seed) or KeyError (unknown event_id) naming the field.
    """
    try:
        rule = Rule(rule)
    except ValueError:
        choices = ", ".join(r.value for r in Rule)
        raise ValueError(f"rule must be one of {choices}; got {rule!r}") from None
    if isinstance(max_hops, bool) or not isinstance(max_hops, int) or max_hops < 1:
        raise ValueError(f"max_hops must be an int >= 1; got {max_hops!r}")
    if window_ms is not None and window_ms < 0:
        raise ValueError(f"window_ms must be >= 0; got {window_ms!r}")
    pairs = [(str(v), str(e)) for v, e in seeds]
    if not pairs:
        raise ValueError("seeds: give at least one (victim, event_id)")
    seen: set[str] = set()
    for v, e in pairs:
        if not v:
            raise ValueError(f"seeds: empty victim for event_id {e!r}")
        if e in seen:
            raise ValueError(f"seeds: event_id {e!r} is listed twice")
        seen.add(e)
    victims = tuple(dict.fromkeys(v for v, _ in pairs))
    vix = {v: i for i, v in enumerate(victims)}
    js = ledger.transfers([e for _, e in pairs]).tolist()
    start = int(ledger.ts[min(js)])
    end: int | None = None if window_ms is None else start + window_ms
    if until_ts is not None:
        end = until_ts if end is None else min(end, until_ts)
    jmax = ledger.window_end(end)
    for (_, e), j in zip(pairs, js, strict=True):
        if j > jmax:
            raise ValueError(f"seeds: event_id {e!r} is after the window's end (ts {end})")
    seeds_j = [(j, vix[v]) for (v, _), j in zip(pairs, js, strict=True)]
    stops = _Refusals(ledger, refused) if refused else None
    raw = _Pass(ledger, rule, len(victims), max_hops, jmax, seeds_j, stops).run()
    return _result(ledger, rule, victims, max_hops, start, end, jmax, seeds_j, raw, stops)


class _Refusals:
    """Debits refused by stop-payments and freezes: they do not happen, so the paying
    account keeps the money and the receiver never gets it. The ledger's balances are
    corrected by the refused amounts before each transfer (few accounts, few debits)."""

    def __init__(self, ledger: Ledger, refused: Mapping[str, tuple[int, int]]) -> None:
        self.skip: dict[int, tuple[int, int]] = {}  # account -> its refused debits [k0, k1)
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        names = list(refused)
        for name, a in zip(names, ledger.accounts(names).tolist(), strict=True):
            lo, hi = refused[name]
            if hi < lo:
                raise ValueError(f"refused[{name!r}]: the span ends before it starts")
            if a < 0:
                continue
            k0, k1 = int(ledger.debit_ptr[a]), int(ledger.debit_ptr[a + 1])
            ts = ledger.ts[ledger.debit_j[k0:k1]]
            s = k0 + int(np.searchsorted(ts, lo, "left"))
            e = k0 + int(np.searchsorted(ts, hi, "right"))
            if s < e:
                self.skip[a] = (s, e)
                jj = ledger.debit_j[s:e]
                amt = ledger.amount[jj]
                parts.append((jj, np.full(len(jj), a), amt))
                parts.append((jj, ledger.dst[jj].astype(np.int64), -amt))
        self.delta: dict[int, tuple[list[int], list[int]]] = {}
        if parts:
            js = np.concatenate([p[0] for p in parts])
            acct = np.concatenate([p[1] for p in parts])
            d = np.concatenate([p[2] for p in parts])
            o = np.lexsort((js, acct))
            js, acct, d = js[o], acct[o], d[o]
            cuts = np.flatnonzero(np.diff(acct)) + 1
            for gj, ga, gd in zip(np.split(js, cuts), np.split(acct, cuts), np.split(d, cuts),
                                  strict=True):  # fmt: skip
                self.delta[int(ga[0])] = (gj.tolist(), np.cumsum(gd).tolist())

    def before(self, account: int, j: int) -> int:
        """What the refusals add to the account's ledger balance just before transfer j."""
        d = self.delta.get(account)
        if d is None:
            return 0
        i = bisect_left(d[0], j)
        return d[1][i - 1] if i else 0

    def before_many(self, account: int, js: np.ndarray) -> np.ndarray:
        d = self.delta.get(account)
        if d is None:
            return np.zeros(len(js), np.int64)
        cum = np.concatenate([[0], np.asarray(d[1], np.int64)])
        return cum[np.searchsorted(np.asarray(d[0], np.int64), js, "left")]

    def next(self, account: int, k: int) -> int:
        """The first debit index >= k of the account that is not refused."""
        r = self.skip.get(account)
        return r[1] if r is not None and r[0] <= k < r[1] else k


Carried = Sequence[tuple[int, int]]  # (victim, fen), ...: what one transfer carries


class _Raw(NamedTuple):
    # One record per transfer (the rows are made, column by column, only in `_result`).
    hops: list[tuple[int, int, int, int, Carried]]  # j, from, to, hop, carried
    exits: list[tuple[int, int, int, str, Carried]]  # j, from, sink, kind, carried
    states: dict[int, _Account]


_NOTHING: Carried = ()
R = TypeVar("R", Hop, Exit)


class _Pass:
    """The time-ordered pass: a heap of the next debit of every account holding traced
    money, merged with the seeds, in journal order."""

    def __init__(
        self, ledger: Ledger, rule: Rule, k: int, max_hops: int, jmax: int,
        seeds: list[tuple[int, int]], stops: _Refusals | None,
    ) -> None:  # fmt: skip
        self.rule = rule
        self.k = k
        self.max_hops = max_hops
        self.jmax = jmax
        self.seeds = seeds
        self.ledger = ledger
        self.victim_accounts = {int(ledger.src[j]) for j, _ in seeds}
        self.states: dict[int, _Account] = {}
        self.heap: list[tuple[int, int]] = []
        self.hops: list[tuple[int, int, int, int, Carried]] = []
        self.exits: list[tuple[int, int, int, str, Carried]] = []
        self.lifo = rule is Rule.LIFO
        # Python ints one at a time: .item is several times cheaper than indexing.
        self.src_bal: Callable[[int], int] = ledger.src_balance.item
        self.dst_bal: Callable[[int], int] = ledger.dst_balance.item
        self.amount = ledger.amount.item
        self.dst: Callable[[int], int] = ledger.dst.item
        self.src: Callable[[int], int] = ledger.src.item
        self.debit_j = ledger.debit_j.item
        self.next_debit: Callable[[int], int] = ledger.dst_next_debit.item
        self.debit_ptr = ledger.debit_ptr.item
        self.sink = ledger.sink.item
        self.stops = stops
        if stops is not None:  # balances corrected, refused debits skipped
            src_bal, dst_bal, src, dst = self.src_bal, self.dst_bal, self.src, self.dst
            next_debit = self.next_debit
            self.src_bal = lambda j: src_bal(j) + stops.before(src(j), j)
            self.dst_bal = lambda j: dst_bal(j) + stops.before(dst(j), j)
            self.next_debit = lambda j: stops.next(dst(j), next_debit(j))

    # -- the pass ---------------------------------------------------------------------------

    def run(self) -> _Raw:
        heap = self.heap
        heap.extend((j, -1 - v) for j, v in self.seeds)
        heapq.heapify(heap)
        states = self.states
        hops, exits = self.hops, self.exits
        src_bal, amount, dst, debit_j = self.src_bal, self.amount, self.dst, self.debit_j
        max_hops, jmax = self.max_hops, self.jmax
        skip = self.stops.next if self.stops is not None else None
        take = {
            Rule.POISON: self._take_poison,
            Rule.HAIRCUT: self._take_haircut,
            Rule.FIFO: self._take_lots,
            Rule.LIFO: self._take_lots,
            Rule.LIBR: self._take_libr,
        }[self.rule]
        heappop, heappush = heapq.heappop, heapq.heappush
        while heap:
            j, x = heappop(heap)
            if x < 0:  # a seed: the victim's payment reaches the first-hop account
                frm, to, seed = self.src(j), dst(j), [(-1 - x, amount(j))]
                hops.append((j, frm, to, 1, seed))
                self._deliver(j, frm, to, seed, 1)
                continue
            st = states[x]
            if st.pend != j:  # stale: the account was dropped or requeued
                continue
            nk = st.nxt + 1
            if skip is not None:
                nk = skip(x, nk)
            st.nxt = nk
            b = src_bal(j)
            a = amount(j)
            carried = take(st, b, a)
            if b - a <= 0:
                st.arrived = 0
                st.split_ok = True
            st.pend = -1
            if st.tainted and nk < st.hi:
                jn = debit_j(nk)
                if jn <= jmax:
                    st.pend = jn
                    heappush(heap, (jn, x))
            if carried:  # after the debit's own bookkeeping: a self-transfer lands here
                to = dst(j)
                if st.hop >= max_hops:
                    exits.append((j, x, to, HOP_LIMIT, carried))
                else:
                    h = st.hop + 1
                    hops.append((j, x, to, h, carried))
                    self._deliver(j, x, to, carried, h)
        return _Raw(hops, exits, states)

    def _deliver(self, j: int, frm: int, to: int, carried: Carried, h: int) -> None:
        """Traced money `carried` ((victim, fen), ...) arrives in `to` by transfer j."""
        code = self.sink(to)
        if code or to in self.victim_accounts:
            self.exits.append((j, frm, to, SINK_KINDS[code] if code else VICTIM, carried))
            return
        b = self.dst_bal(j)
        st = self.states.get(to)
        if st is None:
            st = self.states[to] = _Account(self.k, h)
            st.hi = self.debit_ptr(to + 1)
            self._restart(st, j, b)
        elif not st.tainted:  # dropped earlier: pick it up again from here
            nxt = self.next_debit(j)
            if b <= 0 or self._dipped(to, st.nxt, nxt):
                st.arrived = 0
                st.split_ok = True
            self._restart(st, j, b)
        if h < st.hop:
            st.hop = h
        self._give(st, j, to, b, carried)
        if st.tainted and st.pend < 0 and st.nxt < st.hi:
            jn = self.debit_j(st.nxt)
            if jn <= self.jmax:
                st.pend = jn
                heapq.heappush(self.heap, (jn, to))

    def _restart(self, st: _Account, j: int, b: int) -> None:
        """Start following an account from transfer j, its balance before j being b."""
        st.nxt = self.next_debit(j)
        st.pend = -1
        st.lab = [0] * self.k
        st.lots.clear()
        st.bal = b
        if b > 0:
            st.lots.append((b, ()))

    def _dipped(self, account: int, lo: int, hi: int) -> bool:
        """Whether any debit lo..hi-1 (indexes in debit_j) left the account at <= 0."""
        if hi <= lo:
            return False
        led = self.ledger
        jj = led.debit_j[lo:hi]
        after = led.src_balance[jj] - led.amount[jj]
        if self.stops is not None:
            after += self.stops.before_many(account, jj)
            r = self.stops.skip.get(account)
            if r is not None:  # refused debits did not happen
                k = np.arange(lo, hi)
                after = after[(k < r[0]) | (k >= r[1])]
        return bool((after <= 0).any())

    # -- credits ----------------------------------------------------------------------------

    def _give(self, st: _Account, j: int, acct: int, b: int, carried: Carried) -> None:
        """Apply a traced credit (balance before b) under the rule; debt absorbs first."""
        a = self.amount(j)
        rule = self.rule
        exits = self.exits
        if rule is Rule.POISON:
            if b + a > 0:
                for v, _ in carried:
                    if not st.lab[v]:
                        st.lab[v] = 1
                        st.tainted += 1
                    st.arrived |= 1 << v
            else:
                exits.append((j, acct, acct, DEBT, carried))
                st.arrived = 0
                st.split_ok = True
            return
        if rule in (Rule.FIFO, Rule.LIFO):
            self._catch_up(st, b)
            st.bal = b + a
        if rule is Rule.LIBR:
            for v, f in carried:
                st.lab[v] += f
                st.tainted += f
                st.arrived |= 1 << v
                st.last = v
            cap = b + a if b + a > 0 else 0
            if st.tainted > cap:
                exits.append((j, acct, acct, DEBT, self._cut_claims(st, st.tainted - cap)))
        else:
            kept = carried
            if b < 0:  # the credit pays the debt off first, pro-rata to what it carries
                absorbed = min(a, -b)
                labelled = sum(f for _, f in carried)
                shares = _split(absorbed, [f for _, f in carried] + [a - labelled])
                gone = [(v, s) for (v, _), s in zip(carried, shares, strict=False) if s]
                if gone:
                    exits.append((j, acct, acct, DEBT, gone))
                kept = [(v, f - s) for (v, f), s in zip(carried, shares, strict=False) if f > s]
                if sum(1 for _, f in carried if f) >= 2 and absorbed < a:
                    st.split_ok = False
                kept_total = a - absorbed
            else:
                kept_total = a
            for v, _ in carried:
                st.arrived |= 1 << v
            for _, f in kept:
                st.tainted += f
            if rule is Rule.HAIRCUT:
                for v, f in kept:
                    st.lab[v] += f
                    st.last = v
            elif kept_total > 0:
                comp = tuple(kept)
                lots = st.lots
                n0, last = lots[-1] if lots else (0, None)
                if not comp and last == ():  # merge own money
                    lots[-1] = (n0 + kept_total, ())
                elif (  # one victim's money only, after one lot of the same: merge (exact)
                    last
                    and len(comp) == 1 == len(last)
                    and comp[0][1] == kept_total
                    and last[0] == (comp[0][0], n0)
                ):
                    lots[-1] = (n0 + kept_total, ((comp[0][0], n0 + kept_total),))
                else:
                    lots.append((kept_total, comp))
        if b + a <= 0:
            st.arrived = 0
            st.split_ok = True

    def _catch_up(self, st: _Account, b: int) -> None:
        """Fifo / lifo: own money credited since the last event (clean credits only came
        in between) joins the queue as one ⊥ lot."""
        if b > st.bal:
            add = (b if b > 0 else 0) - (st.bal if st.bal > 0 else 0)
            if add > 0:
                lots = st.lots
                if lots and not lots[-1][1]:
                    lots[-1] = (lots[-1][0] + add, ())
                else:
                    lots.append((add, ()))

    # -- debits -----------------------------------------------------------------------------

    def _take_poison(self, st: _Account, b: int, a: int) -> list[tuple[int, int]]:
        if not st.tainted or b <= 0:
            return []
        carried = [(v, a) for v, t in enumerate(st.lab) if t]
        if b - a <= 0:
            st.lab = [0] * self.k
            st.tainted = 0
        return carried

    def _take_haircut(self, st: _Account, b: int, a: int) -> list[tuple[int, int]]:
        if not st.tainted or b <= 0:
            return []
        lab = st.lab
        if a >= b:
            carried = [(v, x) for v, x in enumerate(lab) if x]
            st.lab = [0] * self.k
            st.tainted = 0
            return carried
        v = st.last
        x = lab[v]
        if x == st.tainted:  # one victim's money only
            s = _split(a, [x, b - x])[0]
            if s:
                lab[v] = x - s
                st.tainted -= s
                return [(v, s)]
            return []
        return _take_shares(st, _split(a, [*lab, b - st.tainted]))

    def _cut_claims(self, st: _Account, cut: int) -> list[tuple[int, int]]:
        """LIBR: lower the claims by `cut` in total, pro-rata; the fen cut, per victim."""
        lab = st.lab
        if cut >= st.tainted:
            carried = [(v, c) for v, c in enumerate(lab) if c]
            st.lab = [0] * self.k
            st.tainted = 0
            return carried
        if lab[st.last] == st.tainted:  # one victim's claim only: no division
            lab[st.last] -= cut
            st.tainted -= cut
            return [(st.last, cut)]
        return _take_shares(st, _split(cut, lab))

    def _take_libr(self, st: _Account, b: int, a: int) -> list[tuple[int, int]]:
        after = b - a
        cap = after if after > 0 else 0
        if st.tainted <= cap:
            return []
        return self._cut_claims(st, st.tainted - cap)

    def _take_lots(self, st: _Account, b: int, a: int) -> Carried:
        lots = st.lots
        bal = st.bal
        if b > bal:  # _catch_up, inline: own money credited since the last event
            add = (b if b > 0 else 0) - (bal if bal > 0 else 0)
            if add > 0:
                if lots and not lots[-1][1]:
                    lots[-1] = (lots[-1][0] + add, ())
                else:
                    lots.append((add, ()))
        st.bal = b - a
        need = a if a < b else b
        if need <= 0 or not lots:
            return _NOTHING
        lifo = self.lifo
        end = -1 if lifo else 0
        amt, comp = lots[end]
        if amt > need:  # fast paths: the next lot covers the debit and is not mixed
            if not comp:
                lots[end] = (amt - need, ())
                return _NOTHING
            if len(comp) == 1 and comp[0][1] == amt:
                v = comp[0][0]
                lots[end] = (amt - need, ((v, amt - need),))
                st.tainted -= need
                return [(v, need)]
        got: dict[int, int] = {}
        while need > 0 and lots:
            amt, comp = lots.pop() if lifo else lots.popleft()
            if amt <= need:
                need -= amt
                for v, f in comp:
                    got[v] = got.get(v, 0) + f
                    st.tainted -= f
                continue
            if len(comp) == 1:  # one victim's money, maybe with ⊥: no division between victims
                v, f = comp[0]
                s = need if f == amt else _split(need, [f, amt - f])[0]
                if s:
                    got[v] = got.get(v, 0) + s
                    st.tainted -= s
                comp = ((v, f - s),) if f > s else ()
            elif comp:  # several victims' money: pro-rata
                labelled = sum(f for _, f in comp)
                shares = _split(need, [f for _, f in comp] + [amt - labelled])
                st.split_ok = False
                rest = []
                for (v, f), s in zip(comp, shares, strict=False):
                    if s:
                        got[v] = got.get(v, 0) + s
                        st.tainted -= s
                    if f > s:
                        rest.append((v, f - s))
                comp = tuple(rest)
            if lifo:
                lots.append((amt - need, comp))
            else:
                lots.appendleft((amt - need, comp))
            need = 0
        return sorted(got.items())


_HOP = cast(Callable[[tuple[object, ...]], Hop], partial(tuple.__new__, Hop))
_EXIT = cast(Callable[[tuple[object, ...]], Exit], partial(tuple.__new__, Exit))


def _rows(
    ledger: Ledger, records: Sequence[tuple[int, int, int, object, Carried]],
    victims: tuple[str, ...], name: Mapping[int, str], new: Callable[[tuple[object, ...]], R],
) -> list[R]:  # fmt: skip
    """A row (event_id, ts, from, to, tag, victim, fen) per record and victim carried: the
    part per record made column by column in C (one Arrow take for the event ids)."""
    if not records:
        return []
    js, frm, to, tag, carried = zip(*records, strict=True)
    ja = np.array(js, np.int64)
    events, ts = ledger.event_names(ja), ledger.ts[ja].tolist()
    names_from, names_to = map(name.__getitem__, frm), map(name.__getitem__, to)
    heads: Iterable[tuple[object, ...]] = zip(events, ts, names_from, names_to, tag, strict=True)
    out: list[R] = []
    add = out.append
    row: tuple[object, ...]
    c: Carried
    for row, c in zip(heads, carried, strict=True):
        for v, f in c:
            add(new((*row, victims[v], f)))
    return out


def _result(
    ledger: Ledger, rule: Rule, victims: tuple[str, ...], max_hops: int, start: int,
    end: int | None, jmax: int, seeds: list[tuple[int, int]], raw: _Raw,
    stops: _Refusals | None,
) -> Trace:  # fmt: skip
    """Name the raw rows (accounts and events resolved in one Arrow take each)."""
    paid = dict.fromkeys(victims, 0)
    amount = ledger.amount.item
    for j, v in seeds:
        paid[victims[v]] += amount(j)
    states = raw.states
    accts = sorted(states)
    if jmax >= ledger.n_transfers - 1:
        bals = ledger.final_balance[accts].tolist()
    else:
        bals = [ledger.balance_at(acct, jmax) for acct in accts]
    held_rows: list[tuple[int, int, int]] = []
    reached_rows = []
    lots_rule = rule in (Rule.FIFO, Rule.LIFO)
    for acct, bal in zip(accts, bals, strict=True):
        st = states[acct]
        if stops is not None:
            bal += stops.before(acct, jmax + 1)
        per: dict[int, int] = {}
        if st.tainted:
            if rule is Rule.POISON:
                per = {v: max(bal, 0) for v, t in enumerate(st.lab) if t}
            elif lots_rule:
                for _, comp in st.lots:
                    for v, f in comp:
                        per[v] = per.get(v, 0) + f
            else:
                per = {v: x for v, x in enumerate(st.lab) if x}
        if per:
            held_rows.extend((acct, v, f) for v, f in sorted(per.items()) if f)
            held = max(bal, 0) if rule is Rule.POISON else sum(per.values())
            bits = st.arrived
            sole = victims[bits.bit_length() - 1] if bits and bits & (bits - 1) == 0 else None
        else:
            held, sole = 0, None
        reached_rows.append((acct, st.hop, bal, held, bal - held, sole, st.split_ok))
    names_needed = set(accts)
    for recs in (raw.hops, raw.exits):
        if recs:
            names_needed.update([r[1] for r in recs], [r[2] for r in recs])
    order = sorted(names_needed)
    name = dict(zip(order, ledger.account_names(order), strict=True))
    return Trace(
        rule=rule,
        victims=victims,
        max_hops=max_hops,
        start_ts=start,
        end_ts=end,
        paid=paid,
        holdings=[Holding(name[a], victims[v], f) for a, v, f in held_rows],
        hops=_rows(ledger, raw.hops, victims, name, _HOP),
        exits=_rows(ledger, raw.exits, victims, name, _EXIT),
        accounts=[Reached(name[a], h, b, hd, own, sole, ok)
                  for a, h, b, hd, own, sole, ok in reached_rows],
    )  # fmt: skip
