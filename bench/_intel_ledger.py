"""A synthetic ledger for bench.intel, column-wise numpy (seeded): no Python loop per
transfer or per account.

Accounts live in `cities` blocks (most person-to-person money stays in a city, so one city
is a sub-ledger with its own structure, the peer's sample). Degrees are heavy-tailed
(Pareto weights), a few hub merchants take a large share of purchases and settle to a few
accounts, times follow a day/night curve over `days` days (local time UTC+8), amounts are
int64 fen (log-normal, a share of them round). Planted inside cities: fan-ins, pass-through
chains, scatter-gathers and 3-cycles, whose members are the planted mules.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
START_MS = 1_767_196_800_000 - 8 * HOUR_MS  # 2026-01-01 00:00 local (UTC+8)
#: Local-hour weights: quiet at night, peaks at noon and evening.
HOURS = np.array(
    [3, 2, 1, 1, 1, 2, 4, 7, 9, 9, 9, 10, 11, 10, 9, 9, 9, 10, 11, 12, 12, 10, 7, 5], float
)


@dataclass(frozen=True)
class Synthetic:
    transfers: pa.Table
    names: np.ndarray  # account index -> id
    city_size: int
    mules: np.ndarray  # account indices of planted mules


def _weights(rng: np.random.Generator, n: int, alpha: float) -> np.ndarray:
    w = rng.pareto(alpha, n) + 1.0
    return np.cumsum(w / w.sum())


def _draw(rng: np.random.Generator, cum: np.ndarray, k: int) -> np.ndarray:
    return np.minimum(np.searchsorted(cum, rng.random(k)), len(cum) - 1)


def _times(rng: np.random.Generator, k: int, days: int) -> np.ndarray:
    hour = rng.choice(24, size=k, p=HOURS / HOURS.sum())
    day = rng.integers(0, days, k)
    return START_MS + day * DAY_MS + hour * HOUR_MS + rng.integers(0, HOUR_MS, k)


def _amounts(rng: np.random.Generator, k: int, median_yuan: float) -> np.ndarray:
    fen = np.exp(rng.normal(np.log(median_yuan * 100), 1.1, k)).astype(np.int64) + 1
    round_ = rng.random(k) < 0.15
    fen[round_] = np.maximum(fen[round_] // 10_000, 1) * 10_000
    return fen


def generate(
    transfers: int = 10_000_000, accounts: int = 1_000_000, days: int = 30, *,
    city_size: int = 2_500, hubs: int = 20, gangs_per_city: int = 3, seed: int = 7,
) -> Synthetic:  # fmt: skip
    """The ledger (see the module doc); generation is not part of any measured time."""
    rng = np.random.default_rng(seed)
    cities = max(accounts // city_size, 1)
    size = accounts // cities
    n_acc = size * cities
    merchants = max(size // 50, 1)  # the first indices of each city are its merchants
    person_w = _weights(rng, size - merchants, 1.3)
    merchant_w = _weights(rng, merchants, 1.0)
    k_buy, k_p2p = int(transfers * 0.48), int(transfers * 0.42)
    k_hub = int(transfers * 0.10)
    parts_src, parts_dst, parts_ts, parts_amt = [], [], [], []

    def add(src: np.ndarray, dst: np.ndarray, ts: np.ndarray, amt: np.ndarray) -> None:
        parts_src.append(src), parts_dst.append(dst), parts_ts.append(ts), parts_amt.append(amt)

    # purchases in the buyer's city
    city = rng.integers(0, cities, k_buy)
    buyer = city * size + merchants + _draw(rng, person_w, k_buy)
    shop = city * size + _draw(rng, merchant_w, k_buy)
    add(buyer, shop, _times(rng, k_buy, days), _amounts(rng, k_buy, 60))
    # person to person: mostly within the city
    city = rng.integers(0, cities, k_p2p)
    other = np.where(rng.random(k_p2p) < 0.9, city, rng.integers(0, cities, k_p2p))
    a = city * size + merchants + _draw(rng, person_w, k_p2p)
    b = other * size + merchants + _draw(rng, person_w, k_p2p)
    b = np.where(a == b, b + 1 - 2 * (b % size == size - 1), b)  # no self-transfers
    add(a, b, _times(rng, k_p2p, days), _amounts(rng, k_p2p, 300))
    # hub merchants (the first merchants of city 0's block of ids and others): buyers from
    # everywhere; they settle to a few accounts of their own
    hub_ids = (np.arange(hubs) % cities) * size + np.arange(hubs) // cities
    buyer = rng.integers(0, cities, k_hub) * size + merchants + _draw(rng, person_w, k_hub)
    add(buyer, hub_ids[rng.integers(0, hubs, k_hub)], _times(rng, k_hub, days),
        _amounts(rng, k_hub, 120))  # fmt: skip
    settle = hubs * days
    hub = np.repeat(hub_ids, days)
    payee = hub // size * size + merchants + rng.integers(0, 5, settle)
    add(hub, payee, START_MS + np.tile(np.arange(days), hubs) * DAY_MS + 20 * HOUR_MS,
        _amounts(rng, settle, 500_000))  # fmt: skip
    # planted patterns, inside each city, on fresh person accounts (high ids of the block)
    mules: list[np.ndarray] = []
    g = gangs_per_city * cities
    base = np.repeat(np.arange(cities), gangs_per_city) * size + size - 1
    t0 = START_MS + rng.integers(0, days - 3, g) * DAY_MS + rng.integers(0, DAY_MS, g)
    slot = np.arange(g) % gangs_per_city * 12  # 12 accounts per gang, from the block's end

    def member(j: int) -> np.ndarray:
        return base - slot - j

    # fan-in: 15 victims each pay mule 0 within a day; it forwards to 1 -> 2 -> 3 (a chain)
    victims = (
        rng.integers(0, cities, (g, 15)) * size + merchants + rng.integers(0, size // 2, (g, 15))
    )
    add(victims.ravel(), np.repeat(member(0), 15),
        (t0[:, None] + rng.integers(0, DAY_MS, (g, 15))).ravel(),
        _amounts(rng, g * 15, 3000))  # fmt: skip
    for hop in range(3):
        add(member(hop), member(hop + 1), t0 + DAY_MS + hop * HOUR_MS,
            np.full(g, 4_990_000, np.int64))  # fmt: skip
    # scatter-gather: 3 pays 4..8, each pays 9; then a 3-cycle 9 -> 10 -> 11 -> 9
    mids = np.stack([member(j) for j in range(4, 9)], axis=1)
    add(np.repeat(member(3), 5), mids.ravel(),
        np.repeat(t0 + 2 * DAY_MS, 5), np.full(g * 5, 990_000, np.int64))  # fmt: skip
    add(mids.ravel(), np.repeat(member(9), 5),
        np.repeat(t0 + 2 * DAY_MS + 3 * HOUR_MS, 5), np.full(g * 5, 980_000, np.int64))  # fmt: skip
    ring = [member(9), member(10), member(11), member(9)]
    for hop in range(3):
        add(ring[hop], ring[hop + 1], t0 + 3 * DAY_MS + hop * HOUR_MS,
            np.full(g, 4_000_000, np.int64))  # fmt: skip
    mules = [member(j) for j in range(12)]
    src = np.concatenate(parts_src).astype(np.int64)
    dst = np.concatenate(parts_dst).astype(np.int64)
    ts = np.concatenate(parts_ts).astype(np.int64)
    amt = np.concatenate(parts_amt).astype(np.int64)
    order = np.argsort(ts, kind="stable")
    src, dst, ts, amt = src[order], dst[order], ts[order], amt[order]
    names = np.char.add("AC", np.char.zfill(np.arange(n_acc).astype(str), 7))
    name_arr = pa.array(names)
    n = len(ts)
    table = pa.table(
        {
            "event_id": pa.array(np.char.add("T", np.arange(n).astype(str))),
            "ts": pa.array(ts),
            "from_account": name_arr.take(pa.array(src)),
            "to_account": name_arr.take(pa.array(dst)),
            "amount_fen": pa.array(amt),
            "channel": pa.array(np.full(n, "app")).dictionary_encode(),
        }
    )
    return Synthetic(table, names, size, np.unique(np.concatenate(mules)))


def city_subledger(s: Synthetic, city: int = 0) -> pa.Table:
    """The transfers with both ends in one city: the peer's sample."""
    lo, hi = s.names[city * s.city_size], s.names[(city + 1) * s.city_size - 1]
    import pyarrow.compute as pc

    def inside(col: str) -> pa.ChunkedArray:
        return pc.and_(pc.greater_equal(s.transfers[col], lo), pc.less_equal(s.transfers[col], hi))

    return s.transfers.filter(pc.and_(inside("from_account"), inside("to_account")))
