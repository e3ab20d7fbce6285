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

from fraudwall.model.enums import Channel, EntityKind, FraudType, Role, Typology
from fraudwall.sim import emit
from fraudwall.sim.config import HOUR_MS, MINUTE_MS
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
    cash_mules: list[int] = field(default_factory=list)
    merchants: list[int] = field(default_factory=list)


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
                delay_median_ms=float(rng.choice([3, 10, 30, 90, 240, 720])) * MINUTE_MS,
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

    def pool_account(self, g: Gang, pool: list[int], t: int, reuse: float, cap: int) -> int:
        if pool and (len(pool) >= cap or self.rng.random() < reuse):
            return pool[int(self.rng.integers(0, len(pool)))]
        acct = int(self.fw.new_mule_accounts(g, 1, t)[0])
        pool.append(acct)
        return acct

    def layer_account(self, g: Gang, t: int) -> int:
        return self.pool_account(g, self.style(g).layer, t, 0.4, 40)

    def hop(
        self,
        g: Gang,
        src: int,
        dst: np.ndarray,
        amount: np.ndarray,
        ts: np.ndarray,
        case: int,
        ft: FraudType,
        typology: Typology,
        channel: Channel = Channel.MOBILE,
    ) -> None:
        """Move money out of one mule account (with a login first, sometimes)."""
        st, rng = self.st, self.rng
        ok = (ts < st.cfg.end_ts) & (amount > 0)
        if not ok.any():
            return
        dst, amount, ts = dst[ok], amount[ok], ts[ok]
        srcs = np.full(len(dst), src)
        dev, ip = self.fw.mule_origin(g, srcs)
        if channel == Channel.ATM:
            dev = ip = np.full(len(dst), -1)
        elif rng.random() < 0.6:
            rows = emit.logins(
                st, ts[:1] - int(rng.integers(MINUTE_MS, 10 * MINUTE_MS)), srcs[:1], dev[:1], ip[:1]
            )
            self.fw.truth_entities(EntityKind.LOGIN, rows, Role.MULE_LOGIN, case, g.id, ft)
        rows = emit.transfers(st, ts, srcs, dst, amount, channel, dev, ip)
        self.fw.truth_entities(EntityKind.TRANSFER, rows, Role.LAUNDERING, case, g.id, ft, typology)

    def mark(
        self,
        accounts: list[int] | np.ndarray,
        g: Gang,
        case: int,
        ft: FraudType,
        typology: Typology,
        role: Role = Role.MULE,
    ) -> None:
        self.fw.truth_entities(
            EntityKind.ACCOUNT, np.asarray(accounts), role, case, g.id, ft, typology
        )

    # --- routing -----------------------------------------------------------------------
    def receive(self, g: Gang, account: int, amount: int, t: int, case: int, ft: FraudType) -> None:
        """Launder a victim's payment that just reached a first-hop account."""
        s = self.style(g)
        hops = int(self.rng.integers(s.hops[0], s.hops[1] + 1))
        stack = [Parcel(account, amount, t, hops, first=True)]
        while stack:
            p = stack.pop()
            if p.t >= self.st.cfg.end_ts:
                continue
            stack.extend(self.step(g, s, p, case, ft))

    def step(self, g: Gang, s: Style, p: Parcel, case: int, ft: FraudType) -> list[Parcel]:
        rng = self.rng
        keep = int(p.amount * s.commission)
        amount = p.amount - keep
        t = p.t + self.delay(s)
        if p.first and t - p.t <= 6 * HOUR_MS:
            self.mark([p.account], g, case, ft, Typology.PASS_THROUGH, Role.FIRST_HOP_MULE)
        if p.hops_left <= 0 or amount < 500_00:
            self.cash_out(g, s, p.account, amount, t, case, ft)
            return []
        u = rng.random()
        if u < s.p_split and amount >= 3_000_00:
            k = int(rng.integers(3, 7))
            parts = split(amount, k, rng)
            dst = np.array([self.layer_account(g, t) for _ in range(k)])
            while len(set(dst.tolist())) < k:
                dst = np.array([self.layer_account(g, t) for _ in range(k)])
            ts = t + np.cumsum(rng.integers(MINUTE_MS, 5 * MINUTE_MS, k))
            self.hop(g, p.account, dst, parts, ts, case, ft, Typology.FAN_OUT)
            self.mark([p.account], g, case, ft, Typology.FAN_OUT)
            return [
                Parcel(int(d), int(a), int(x), p.hops_left - 1)
                for d, a, x in zip(dst, parts, ts, strict=True)
            ]
        u -= s.p_split
        if u < s.p_gather:
            coll = self.pool_account(g, s.collection, t, 0.9, 2)
            self.hop(
                g,
                p.account,
                np.array([coll]),
                np.array([amount]),
                np.array([t]),
                case,
                ft,
                Typology.FAN_IN,
            )
            self.mark([coll], g, case, ft, Typology.FAN_IN)
            return [Parcel(coll, amount, t, p.hops_left - 1)]
        u -= s.p_gather
        if u < s.p_scatter_gather and amount >= 2_000_00 and p.hops_left >= 2:
            k = int(rng.integers(2, 5))
            parts = split(amount, k, rng)
            mids = [int(x) for x in self.fw.new_mule_accounts(g, k, t)]
            gather = self.layer_account(g, t)
            while gather in mids or gather == p.account:
                gather = int(self.fw.new_mule_accounts(g, 1, t)[0])
            ts = t + np.cumsum(rng.integers(MINUTE_MS, 4 * MINUTE_MS, k))
            self.hop(g, p.account, np.array(mids), parts, ts, case, ft, Typology.SCATTER_GATHER)
            t_end = int(ts[-1])
            total = 0
            for m, a, x in zip(mids, parts, ts, strict=True):
                fee = int(a * s.commission)
                t_m = int(x) + self.delay(s)
                t_end = max(t_end, t_m)
                self.hop(
                    g,
                    m,
                    np.array([gather]),
                    np.array([int(a) - fee]),
                    np.array([t_m]),
                    case,
                    ft,
                    Typology.SCATTER_GATHER,
                )
                total += int(a) - fee
            self.mark([p.account, *mids, gather], g, case, ft, Typology.SCATTER_GATHER)
            return [Parcel(gather, total, t_end, p.hops_left - 2)]
        u -= s.p_scatter_gather
        if u < s.p_cycle:
            a, b = (int(x) for x in self.fw.new_mule_accounts(g, 2, t))
            t1 = t + self.delay(s)
            t2 = t1 + self.delay(s)
            self.hop(
                g,
                p.account,
                np.array([a]),
                np.array([amount]),
                np.array([t]),
                case,
                ft,
                Typology.CYCLE,
            )
            self.hop(
                g, a, np.array([b]), np.array([amount]), np.array([t1]), case, ft, Typology.CYCLE
            )
            self.hop(
                g,
                b,
                np.array([p.account]),
                np.array([amount]),
                np.array([t2]),
                case,
                ft,
                Typology.CYCLE,
            )
            self.mark([p.account, a, b], g, case, ft, Typology.CYCLE)
            return [Parcel(p.account, amount, t2, p.hops_left - 1)]
        nxt = self.layer_account(g, t)
        while nxt == p.account:
            nxt = int(self.fw.new_mule_accounts(g, 1, t)[0])
        typ = Typology.PASS_THROUGH if p.first else Typology.LAYERING
        self.hop(g, p.account, np.array([nxt]), np.array([amount]), np.array([t]), case, ft, typ)
        self.mark([nxt], g, case, ft, Typology.LAYERING)
        return [Parcel(nxt, amount, t, p.hops_left - 1)]

    def cash_out(
        self, g: Gang, s: Style, account: int, amount: int, t: int, case: int, ft: FraudType
    ) -> None:
        st, rng = self.st, self.rng
        how = CASH_OUTS[int(choice(rng, s.cash_out, 1)[0])]
        self.mark([account], g, case, ft, how, Role.CASH_OUT)
        if how == Typology.CASH_ATM:
            n_chunks = -(-amount // (ATM_LIMIT_FEN * 2 // 3))
            parts = split(amount, int(n_chunks), rng) // 100_00 * 100_00
            ts = t + np.cumsum(rng.integers(2 * MINUTE_MS, 15 * MINUTE_MS, len(parts)))
            sink = cash_account(st, np.array([account]))[0]
            self.hop(g, account, np.full(len(parts), sink), parts, ts, case, ft, how, Channel.ATM)
        elif how == Typology.CASH_CRYPTO:
            sink = st.groups["crypto_otc"][int(rng.integers(0, len(st.groups["crypto_otc"])))]
            self.hop(g, account, np.array([sink]), np.array([amount]), np.array([t]), case, ft, how)
        elif how == Typology.CASH_CROSS_BORDER:
            sink = st.groups["cross_border"][int(rng.integers(0, 2))]
            self.hop(
                g,
                account,
                np.array([sink]),
                np.array([amount]),
                np.array([t]),
                case,
                ft,
                how,
                Channel.ONLINE,
            )
        else:
            if not s.merchants:
                merchants = st.groups["merchant"]
                s.merchants = [int(m) for m in merchants[rng.integers(0, len(merchants), 2)]]
                self.fw.truth_entities(
                    EntityKind.ACCOUNT,
                    s.merchants,
                    Role.COLLUSIVE_MERCHANT,
                    gang=g.id,
                    typology=Typology.CASH_MERCHANT,
                )
            sink = s.merchants[int(rng.integers(0, len(s.merchants)))]
            self.hop(
                g,
                account,
                np.array([sink]),
                np.array([amount]),
                np.array([t]),
                case,
                ft,
                how,
                Channel.POS,
            )


def split(amount: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Split an amount in fen into k positive uneven parts that sum to it exactly."""
    w = rng.uniform(0.5, 1.5, k)
    parts = np.floor(amount * w / w.sum()).astype(np.int64)
    parts[0] += amount - int(parts.sum())
    return parts
