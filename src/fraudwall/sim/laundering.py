"""Laundering: how fraud money moves from first-hop mules to where it leaves the system.

Each gang draws a style: how fast money moves on, how deep the chains go (2-6 hops),
how often it splits (fan-out), gathers into collection accounts (fan-in), scatters and
regathers, goes round in a cycle, what commission mules keep, and how it cashes out
(ATM cash, crypto OTC, cross-border, a collusive merchant).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from fraudwall.model import HOUR_MS, MINUTE_MS, Channel, EntityKind, FraudType, Role, Typology
from fraudwall.sim import emit
from fraudwall.sim.columns import NULL
from fraudwall.sim.ordinary import cash_account
from fraudwall.sim.population import choice
from fraudwall.sim.state import SimState

if TYPE_CHECKING:
    from fraudwall.sim.fraud import FraudWorld, Gang

ATM_LIMIT_FEN = 20_000_00  # per withdrawal
CASH_OUTS = (Typology.CASH_ATM, Typology.CASH_CRYPTO, Typology.CASH_CROSS_BORDER,
             Typology.CASH_MERCHANT)  # fmt: skip


@dataclass
class Style:
    """How one gang launders."""

    delay_median_ms: float
    hops: tuple[int, int]  # mule hops after the first-hop account, before cash-out
    p_split: float
    p_gather: float
    p_scatter_gather: float
    p_cycle: float
    commission: float
    cash_out: np.ndarray  # weights over CASH_OUTS
    layer: list[int] = field(default_factory=list)
    collection: list[int] = field(default_factory=list)
    merchants: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class CaseRef:
    """Whose money is moving: the case, its gang and its fraud type (for the truth)."""

    case: int
    gang: Gang
    fraud_type: FraudType


@dataclass
class Parcel:
    """Money of one case sitting in one account, to be moved on at or after `t`."""

    account: int
    amount: int
    t: int
    hops_left: int
    first: bool = False


class Launderer:
    def __init__(self, st: SimState, fw: FraudWorld) -> None:
        self.st, self.fw, self.rng = st, fw, st.rng
        self.styles: dict[int, Style] = {}

    def style(self, g: Gang) -> Style:
        if g.id not in self.styles:
            rng = self.rng
            lo = int(rng.integers(1, 3))
            self.styles[g.id] = Style(
                delay_median_ms=float(rng.choice([3, 10, 30, 90, 240, 720, 2880])) * MINUTE_MS,
                hops=(lo, int(rng.integers(lo + 1, 6))),
                p_split=float(rng.uniform(0.1, 0.5)),
                p_gather=float(rng.uniform(0.1, 0.5)),
                p_scatter_gather=float(rng.uniform(0.0, 0.25)),
                p_cycle=float(rng.uniform(0.0, 0.12)),
                commission=float(rng.choice([0.0, 0.005, 0.01, 0.02])),
                cash_out=rng.dirichlet([2.0, 1.5, 1.0, 0.7]),
            )
        return self.styles[g.id]

    # --- helpers -----------------------------------------------------------------------
    def delay(self, s: Style) -> int:
        return int(max(MINUTE_MS, s.delay_median_ms * np.exp(0.9 * self.rng.standard_normal())))

    def new_mules(self, c: CaseRef, k: int, t: int) -> list[int]:
        return [int(a) for a in self.fw.new_mule_accounts(c.gang, k, t)]

    def pool_account(self, c: CaseRef, pool: list[int], t: int, reuse: float, cap: int) -> int:
        """An account from a gang's pool (reused across cases), or a new one added to it."""
        if pool and (len(pool) >= cap or self.rng.random() < reuse):
            return pool[int(self.rng.integers(0, len(pool)))]
        acct = self.new_mules(c, 1, t)[0]
        pool.append(acct)
        return acct

    def layer_account(self, c: CaseRef, t: int, avoid: tuple[int, ...] = ()) -> int:
        acct = self.pool_account(c, self.style(c.gang).layer, t, 0.4, 40)
        while acct in avoid:
            acct = self.new_mules(c, 1, t)[0]
        return acct

    def hop(
        self, c: CaseRef, src: int, dst: np.ndarray, amount: np.ndarray, ts: np.ndarray,
        typology: Typology, channel: Channel = Channel.MOBILE,
    ) -> None:  # fmt: skip
        """Move money out of one mule account (with a login first, sometimes).

        Transfers that would fall after the window are not made: that money is still in
        the account when the world ends.
        """
        st, rng = self.st, self.rng
        ok = (ts < st.cfg.end_ts) & (amount > 0)
        if not ok.any():
            return
        dst, amount, ts = dst[ok], amount[ok], ts[ok]
        srcs = np.full(len(dst), src)
        dev, ip = self.fw.mule_origin(c.gang, srcs)
        if channel == Channel.ATM:
            dev = ip = np.full(len(dst), NULL)
        elif rng.random() < 0.6:
            t_login = ts[:1] - int(rng.integers(MINUTE_MS, 10 * MINUTE_MS))
            rows = emit.logins(st, t_login, srcs[:1], dev[:1], ip[:1])
            self.truth(EntityKind.LOGIN, rows, Role.MULE_LOGIN, c)
        rows = emit.transfers(st, ts, srcs, dst, amount, channel, dev, ip)
        self.truth(EntityKind.TRANSFER, rows, Role.LAUNDERING, c, typology)

    def move(
        self, c: CaseRef, src: int, dst: int, amount: int, t: int, typology: Typology,
        channel: Channel = Channel.MOBILE,
    ) -> None:  # fmt: skip
        """One transfer between two accounts."""
        self.hop(c, src, np.array([dst]), np.array([amount]), np.array([t]), typology, channel)

    def truth(
        self, kind: EntityKind, ids: np.ndarray | list[int], role: Role, c: CaseRef,
        typology: Typology | None = None,
    ) -> None:  # fmt: skip
        self.fw.truth_entities(kind, ids, role, c.case, c.gang.id, c.fraud_type, typology)

    def mark(
        self, accounts: list[int], c: CaseRef, typology: Typology, role: Role = Role.MULE
    ) -> None:
        self.truth(EntityKind.ACCOUNT, accounts, role, c, typology)

    # --- routing -----------------------------------------------------------------------
    def receive(self, c: CaseRef, account: int, amount: int, t: int) -> None:
        """Launder a victim's payment that just reached a first-hop account."""
        s = self.style(c.gang)
        hops = int(self.rng.integers(s.hops[0], s.hops[1] + 1))
        stack = [Parcel(account, amount, t, hops, first=True)]
        while stack:
            p = stack.pop()
            if p.t >= self.st.cfg.end_ts:
                continue
            stack.extend(self.step(c, s, p))

    def step(self, c: CaseRef, s: Style, p: Parcel) -> list[Parcel]:
        """Move one parcel on by one laundering move; return the parcels it became."""
        rng = self.rng
        amount = p.amount - int(p.amount * s.commission)  # the mule keeps its cut
        t = p.t + self.delay(s)
        if p.first and t - p.t <= 6 * HOUR_MS:
            self.mark([p.account], c, Typology.PASS_THROUGH, Role.FIRST_HOP_MULE)
        if p.hops_left <= 0 or amount < 500_00:
            self.cash_out(c, s, p.account, amount, t)
            return []
        u = rng.random()
        if u < s.p_split and amount >= 3_000_00:
            return self.fan_out(c, p, amount, t)
        u -= s.p_split
        if u < s.p_gather:
            coll = self.pool_account(c, s.collection, t, 0.9, 2)
            self.move(c, p.account, coll, amount, t, Typology.FAN_IN)
            self.mark([coll], c, Typology.FAN_IN)
            return [Parcel(coll, amount, t, p.hops_left - 1)]
        u -= s.p_gather
        if u < s.p_scatter_gather and amount >= 2_000_00 and p.hops_left >= 2:
            return self.scatter_gather(c, s, p, amount, t)
        u -= s.p_scatter_gather
        if u < s.p_cycle:
            return self.cycle(c, s, p, amount, t)
        nxt = self.layer_account(c, t, avoid=(p.account,))
        typ = Typology.PASS_THROUGH if p.first else Typology.LAYERING
        self.move(c, p.account, nxt, amount, t, typ)
        self.mark([nxt], c, Typology.LAYERING)
        return [Parcel(nxt, amount, t, p.hops_left - 1)]

    def fan_out(self, c: CaseRef, p: Parcel, amount: int, t: int) -> list[Parcel]:
        """Split into 3-6 pieces paid to distinct accounts within minutes."""
        rng = self.rng
        k = int(rng.integers(3, 7))
        parts = split(amount, k, rng)
        dst = np.array([self.layer_account(c, t) for _ in range(k)])
        while len(set(dst.tolist())) < k:
            dst = np.array([self.layer_account(c, t) for _ in range(k)])
        ts = t + np.cumsum(rng.integers(MINUTE_MS, 5 * MINUTE_MS, k))
        self.hop(c, p.account, dst, parts, ts, Typology.FAN_OUT)
        self.mark([p.account], c, Typology.FAN_OUT)
        return [
            Parcel(int(d), int(a), int(x), p.hops_left - 1)
            for d, a, x in zip(dst, parts, ts, strict=True)
        ]

    def scatter_gather(self, c: CaseRef, s: Style, p: Parcel, amount: int, t: int
                       ) -> list[Parcel]:  # fmt: skip
        """Split to 2-4 fresh accounts, each of which pays one gathering account."""
        rng = self.rng
        k = int(rng.integers(2, 5))
        parts = split(amount, k, rng)
        mids = self.new_mules(c, k, t)
        gather = self.layer_account(c, t)
        while gather in mids or gather == p.account:
            gather = self.new_mules(c, 1, t)[0]
        ts = t + np.cumsum(rng.integers(MINUTE_MS, 4 * MINUTE_MS, k))
        self.hop(c, p.account, np.array(mids), parts, ts, Typology.SCATTER_GATHER)
        t_end, total = int(ts[-1]), 0
        for m, a, x in zip(mids, parts, ts, strict=True):
            passed = int(a) - int(a * s.commission)
            t_m = int(x) + self.delay(s)
            t_end = max(t_end, t_m)
            self.move(c, m, gather, passed, t_m, Typology.SCATTER_GATHER)
            total += passed
        self.mark([p.account, *mids, gather], c, Typology.SCATTER_GATHER)
        return [Parcel(gather, total, t_end, p.hops_left - 2)]

    def cycle(self, c: CaseRef, s: Style, p: Parcel, amount: int, t: int) -> list[Parcel]:
        """Send the money round two fresh accounts and back, then go on from there."""
        a, b = self.new_mules(c, 2, t)
        t1 = t + self.delay(s)
        t2 = t1 + self.delay(s)
        self.move(c, p.account, a, amount, t, Typology.CYCLE)
        self.move(c, a, b, amount, t1, Typology.CYCLE)
        self.move(c, b, p.account, amount, t2, Typology.CYCLE)
        self.mark([p.account, a, b], c, Typology.CYCLE)
        return [Parcel(p.account, amount, t2, p.hops_left - 1)]

    def cash_out(self, c: CaseRef, s: Style, account: int, amount: int, t: int) -> None:
        """The money leaves the system: ATM cash, crypto OTC, cross-border or a merchant."""
        st, rng = self.st, self.rng
        how = CASH_OUTS[int(choice(rng, s.cash_out, 1)[0])]
        self.mark([account], c, how, Role.CASH_OUT)
        if how == Typology.CASH_ATM:  # several withdrawals under the machine's limit
            n_chunks = -(-amount // (ATM_LIMIT_FEN * 2 // 3))
            parts = split(amount, int(n_chunks), rng) // 100_00 * 100_00
            ts = t + np.cumsum(rng.integers(2 * MINUTE_MS, 15 * MINUTE_MS, len(parts)))
            sink = cash_account(st, np.array([account]))[0]
            self.hop(c, account, np.full(len(parts), sink), parts, ts, how, Channel.ATM)
        elif how == Typology.CASH_CRYPTO:
            otc = st.groups["crypto_otc"]
            self.move(c, account, int(otc[rng.integers(0, len(otc))]), amount, t, how)
        elif how == Typology.CASH_CROSS_BORDER:
            sink = int(st.groups["cross_border"][rng.integers(0, 2)])
            self.move(c, account, sink, amount, t, how, Channel.ONLINE)
        else:
            if not s.merchants:  # the gang's collusive merchants, picked once
                merchants = st.groups["merchant"]
                s.merchants = [int(m) for m in merchants[rng.integers(0, len(merchants), 2)]]
                self.fw.truth_entities(
                    EntityKind.ACCOUNT, s.merchants, Role.COLLUSIVE_MERCHANT,
                    gang=c.gang.id, typology=Typology.CASH_MERCHANT,
                )  # fmt: skip
            sink = s.merchants[int(rng.integers(0, len(s.merchants)))]
            self.move(c, account, sink, amount, t, how, Channel.POS)


def split(amount: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Split an amount in fen into k positive uneven parts that sum to it exactly."""
    w = rng.uniform(0.5, 1.5, k)
    parts = np.floor(amount * w / w.sum()).astype(np.int64)
    parts[0] += amount - int(parts.sum())
    return parts
