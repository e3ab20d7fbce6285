"""A synthetic ledger for the tracing benchmark: ordinary life plus planted mule trees.

Ordinary life (numpy, millions of transfers): people pay shops (sinks), each other, draw
cash (a sink) and deposit it, and are paid by employers; how active a person is follows a
heavy-tailed law, so a few personal accounts (individual QR-code sellers) see hundreds of
transfers a month. Opening balances are lognormal; a tenth of accounts are credit cards
that may start below zero.

Planted cases (plain Python, a few hundred thousand transfers): several victims each pay
one to three times into first-hop mules; every mule passes what arrives on within hours
to one to three mules of the next layer (fan-out, and fan-in since layers are small),
keeps a little now and then, and the last layer (3-6 hops deep) cashes out to cash,
crypto OTC, cross-border or merchant sinks; a first-hop mule sometimes pays a victim a
small "rebate". Six mules in ten are fresh accounts with no money of their own; the rest
are rented ordinary accounts with their own money and their owners' everyday payments
going on around the fraud, so the rules disagree and the trace is not a pass-through.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.model import DAY_MS, HOUR_MS, MINUTE_MS

T0 = 1_772_323_200_000  # 2026-03-01 00:00 UTC
EXTERNAL_KINDS = ("cash", "crypto_otc", "cross_border")


@dataclass
class World:
    transfers: pa.Table  # event_id, ts, from_account, to_account, amount_fen (journal order)
    accounts: pa.Table  # account_id, kind, opening_balance_fen, external_kind
    cases: list[list[tuple[str, str]]]  # per case, its seeds: (victim, event_id)


def _names(prefix: str, n: int) -> pa.Array:
    return pc.binary_join_element_wise(prefix, pc.cast(pa.array(np.arange(n)), pa.string()), "")


def make_world(
    n_transfers: int = 10_000_000,
    people: int = 2_000_000,
    days: int = 30,
    cases: int = 300,
    seed: int = 0,
) -> World:
    """About `n_transfers` transfers (ordinary ones fill up what the cases leave)."""
    rng = np.random.default_rng(seed)
    n_corp, n_shop, n_ext = 2_000, 20_000, 30
    n_fresh = cases * 40  # fresh mule accounts available to the cases
    # Account ints: people | fresh mules | corporates | shops | externals.
    base_fresh = people
    base_corp = base_fresh + n_fresh
    base_shop = base_corp + n_corp
    base_ext = base_shop + n_shop
    n_acc = base_ext + n_ext
    activity = rng.lognormal(0.0, 1.3, people)
    cdf = np.cumsum(activity)
    cdf /= cdf[-1]

    def person(k: int) -> np.ndarray:
        return np.minimum(np.searchsorted(cdf, rng.random(k)), people - 1)

    planted = _plant(rng, cases, days, people, person, base_fresh, n_fresh, base_shop, n_shop,
                     base_ext, n_ext)  # fmt: skip
    p_src, p_dst, p_amt, p_ts, seeds = planted
    n_bg = max(n_transfers - len(p_src), 0)
    kind = rng.choice(5, n_bg, p=[0.55, 0.25, 0.08, 0.07, 0.05])
    src = np.empty(n_bg, np.int64)
    dst = np.empty(n_bg, np.int64)
    amt = np.empty(n_bg, np.float64)
    for code, (median, spread) in enumerate([(8_000, 1.0), (30_000, 1.2), (800_000, 0.5),
                                             (100_000, 0.7), (100_000, 0.7)]):  # fmt: skip
        m = kind == code
        k = int(m.sum())
        amt[m] = rng.lognormal(np.log(median), spread, k)
        if code == 0:  # shopping
            src[m] = person(k)
            dst[m] = base_shop + np.minimum(rng.zipf(1.3, k), n_shop) - 1
        elif code == 1:  # to another person (individual sellers are the active ones)
            src[m] = person(k)
            dst[m] = person(k)
        elif code == 2:  # wages and other payments from employers
            src[m] = base_corp + rng.integers(0, n_corp, k)
            dst[m] = person(k)
        elif code == 3:  # cash withdrawal
            src[m] = person(k)
            dst[m] = base_ext + rng.integers(0, 10, k)
        else:  # cash deposit
            src[m] = base_ext + rng.integers(0, 10, k)
            dst[m] = person(k)
    ts = T0 + rng.integers(0, days * DAY_MS, n_bg)
    src = np.concatenate([src, p_src])
    dst = np.concatenate([dst, p_dst])
    amount = np.maximum(np.concatenate([amt.astype(np.int64), p_amt]), 1)
    ts = np.concatenate([ts, p_ts])
    order = np.argsort(ts, kind="stable")
    src, dst, amount, ts = src[order], dst[order], amount[order], ts[order]
    position = np.empty(len(order), np.int64)
    position[order] = np.arange(len(order))

    ids = pa.concat_arrays([
        _names("P", people), _names("F", n_fresh), _names("C", n_corp), _names("S", n_shop),
        _names("X", n_ext),
    ])  # fmt: skip
    event_ids = _names("T", len(ts))
    transfers = pa.table({
        "event_id": event_ids,
        "ts": ts,
        "from_account": ids.take(pa.array(src)),
        "to_account": ids.take(pa.array(dst)),
        "amount_fen": amount,
    })  # fmt: skip
    opening = np.zeros(n_acc, np.int64)
    opening[:people] = rng.lognormal(np.log(300_000), 1.2, people).astype(np.int64)
    credit = rng.random(people) < 0.1
    opening[:people][credit] = -rng.integers(0, 2_000_000, int(credit.sum()))
    opening[base_corp:base_shop] = 10**12
    kinds = np.full(n_acc, "debit_card", dtype=object)
    kinds[:people][credit] = "credit_card"
    kinds[base_corp:base_shop] = "corporate"
    kinds[base_shop:base_ext] = "merchant"
    kinds[base_ext:] = "external"
    ext_kind = np.full(n_acc, None, dtype=object)
    ext_kind[base_ext:] = [EXTERNAL_KINDS[min(i // 10, 2)] for i in range(n_ext)]
    accounts = pa.table({
        "account_id": ids,
        "kind": pa.array(kinds, pa.string()),
        "opening_balance_fen": opening,
        "external_kind": pa.array(ext_kind, pa.string()),
    })  # fmt: skip
    names = event_ids.to_numpy(zero_copy_only=False)
    case_seeds = [
        [(f"case{c}-victim{v}", str(names[position[n_bg + row]])) for v, row in case]
        for c, case in enumerate(seeds)
    ]
    return World(transfers, accounts, case_seeds)


def _plant(
    rng: np.random.Generator,
    cases: int,
    days: int,
    people: int,
    pick: Callable[[int], np.ndarray],
    base_fresh: int,
    n_fresh: int,
    base_shop: int,
    n_shop: int,
    base_ext: int,
    n_ext: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[list[tuple[int, int]]]]:
    """The cases' transfers (src, dst, amount, ts) and, per case, (victim, row) seeds."""
    src: list[int] = []
    dst: list[int] = []
    amt: list[int] = []
    ts: list[int] = []
    seeds: list[list[tuple[int, int]]] = []
    fresh = iter(range(base_fresh, base_fresh + n_fresh))

    def add(t: int, f: int, to: int, a: int) -> int:
        src.append(f)
        dst.append(to)
        amt.append(a)
        ts.append(t)
        return len(src) - 1

    for _ in range(cases):
        n_layers = int(rng.integers(3, 7))
        sizes = [int(rng.integers(1, 4))] + [int(rng.integers(1, 5)) for _ in range(n_layers - 1)]
        layers = [
            [next(fresh) if rng.random() < 0.6 else int(pick(1)[0]) for _ in range(s)]
            for s in sizes
        ]
        layer_of = {m: i for i, layer in enumerate(layers) for m in layer}
        start = T0 + int(rng.integers(0, (days - 12) * DAY_MS))
        victims = [int(v) for v in pick(int(rng.integers(2, 7)))]
        queue: list[tuple[int, int, int]] = []  # (ts, mule, amount) arrivals
        case_seeds = []
        for v_no, v in enumerate(victims):
            for t in sorted(
                (start + rng.integers(0, 3 * DAY_MS, int(rng.integers(1, 4)))).tolist()
            ):
                a = int(rng.lognormal(np.log(2_000_000), 0.8))
                m = layers[0][int(rng.integers(0, len(layers[0])))]
                case_seeds.append((v_no, add(t, v, m, a)))
                queue.append((t, m, a))
        seeds.append(case_seeds)
        while queue:
            t, m, a = queue.pop()
            layer = layer_of[m]
            if rng.random() < 0.3:
                a -= int(a * rng.random() * 0.1)  # a little stays
            t += int(rng.integers(300_000, 4 * HOUR_MS))
            if layer == 0 and rng.random() < 0.1:  # a small "rebate" to a victim
                add(t, m, victims[int(rng.integers(0, len(victims)))], max(a // 50, 1))
            n_out = int(rng.integers(1, 4))
            cuts = np.sort(rng.integers(1, max(a, 2), n_out - 1)).tolist()
            parts = np.diff([0, *cuts, a]).tolist()
            for i, p in enumerate(parts):
                if p <= 0:
                    continue
                when = t + i * int(rng.integers(MINUTE_MS, 30 * MINUTE_MS))
                if layer + 1 < len(layers):
                    nxt = layers[layer + 1][int(rng.integers(0, len(layers[layer + 1])))]
                    add(when, m, nxt, p)
                    queue.append((when, nxt, p))
                elif rng.random() < 0.25:
                    add(when, m, base_shop + int(rng.integers(0, n_shop)), p)
                else:
                    add(when, m, base_ext + int(rng.integers(0, n_ext)), p)
    as_arr = lambda x: np.asarray(x, np.int64)  # noqa: E731
    return as_arr(src), as_arr(dst), as_arr(amt), as_arr(ts), seeds
