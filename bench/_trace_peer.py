"""The tracing peer: the same rules (LIBR, FIFO, LIFO) with networkx, as a Python team would.

The ledger is a MultiDiGraph: an edge per transfer keyed by event id, with ts, seq (the
journal sequence) and amount; nodes carry their opening balance and sink kind. A trace:

1. finds the accounts the victims' money could reach: a breadth-first search from the
   first-hop accounts over later transfers (seq after the account's earliest arrival,
   within the window, up to the hop limit, not through sinks;
2. gathers those accounts' transfers from their earliest arrival on, sorted by (seq,
   debit before credit), and each account's balance then from its earlier transfers;
3. runs the rule over them in one pass, with dicts of labels and lists of lots.

Its answer must equal fraudwall.funds.trace's (the benchmark checks holdings, hops and
exits), so it follows the same conventions: an account's hop is the smallest so far,
money past the hop limit, into sinks, back to victims or into debt leaves the trace,
pro-rata splits by largest remainder with ties to the earlier victim and ⊥ last.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import networkx as nx
import numpy as np

from fraudwall.funds import SINK_KINDS, Ledger


def graph(ledger: Ledger, journal: np.ndarray) -> nx.MultiDiGraph:
    """A MultiDiGraph of the transfers at these journal positions (and their accounts)."""
    g = nx.MultiDiGraph()
    j = np.sort(journal)
    src, dst = ledger.src[j], ledger.dst[j]
    accts = np.unique(np.concatenate([src, dst]))
    names = dict(zip(accts.tolist(), ledger.account_names(accts), strict=True))
    for a in accts.tolist():
        sink = int(ledger.sink[a])
        g.add_node(names[a], opening=int(ledger.opening[a]), sink=SINK_KINDS[sink] or None)
    edge_of = {}
    for e, s, d, t, q, amt in zip(ledger.event_names(j), src.tolist(), dst.tolist(),
                                  ledger.ts[j].tolist(), j.tolist(), ledger.amount[j].tolist(),
                                  strict=True):  # fmt: skip
        g.add_edge(names[s], names[d], key=e, ts=t, seq=q, amount=amt)
        edge_of[e] = (names[s], names[d])
    g.graph["edge_of"] = edge_of
    return g


def relevant(
    ledger: Ledger,
    cases: Sequence[Sequence[tuple[str, str]]],
    max_hops: int,
    window_ms: int | None = None,
) -> np.ndarray:
    """Journal positions of every transfer of every account the peer's search reaches in
    these cases (the same search, over the ledger's arrays): the peer's graph needs no
    others, and its work and answer on them are what they would be on the whole ledger."""
    out = []
    for seeds in cases:
        js = ledger.transfers([e for _, e in seeds]).tolist()
        start = int(ledger.ts[min(js)])
        jmax = ledger.window_end(None if window_ms is None else start + window_ms)
        victims = {int(ledger.src[j]) for j in js}
        arrival: dict[int, int] = {}
        hop: dict[int, int] = {}
        level = set()
        for j in js:
            w = int(ledger.dst[j])
            if ledger.sink[w] or w in victims:
                continue
            arrival[w] = min(arrival.get(w, j), j)
            hop[w] = 1
            level.add(w)
        for h in range(1, max_hops):
            nxt = set()
            for u in level:
                lo, hi = ledger.debit_ptr[u], ledger.debit_ptr[u + 1]
                dj = ledger.debit_j[lo:hi]
                dj = dj[(dj > arrival[u]) & (dj <= jmax)]
                for j, w in zip(dj.tolist(), ledger.dst[dj].tolist(), strict=True):
                    if ledger.sink[w] or w in victims:
                        continue
                    if w not in arrival or j < arrival[w] or h + 1 < hop[w]:
                        arrival[w] = min(arrival.get(w, j), j)
                        hop[w] = min(hop.get(w, h + 1), h + 1)
                        nxt.add(w)
            level = nxt
        for u in arrival:
            out.append(ledger.debit_j[ledger.debit_ptr[u] : ledger.debit_ptr[u + 1]])
            out.append(ledger.credit_j[ledger.credit_ptr[u] : ledger.credit_ptr[u + 1]])
        out.append(np.asarray(js, np.int64))
    return np.unique(np.concatenate(out))


def _split(total: int, weights: list[int]) -> list[int]:
    w_sum = sum(weights)
    exact = [(total * w // w_sum, total * w % w_sum) for w in weights]
    parts = [q for q, _ in exact]
    order = sorted(range(len(weights)), key=lambda i: (-exact[i][1], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def peer_trace(
    g: nx.MultiDiGraph,
    seeds: Sequence[tuple[str, str]],
    rule: str,
    max_hops: int = 6,
    window_ms: int | None = None,
) -> dict[str, Any]:
    """Holdings {(account, victim): fen}, hops and exits, as sorted lists of tuples."""
    victims = list(dict.fromkeys(v for v, _ in seeds))
    seed_edges = []
    for v, e in seeds:
        u, w = g.graph["edge_of"][e]
        d = g.edges[u, w, e]
        seed_edges.append((d["seq"], v, u, w, d["amount"], e))
    victim_accounts = {u for _, _, u, _, _, _ in seed_edges}
    start = min(g.edges[u, w, e]["ts"] for _, _, u, w, _, e in seed_edges)
    end = float("inf") if window_ms is None else start + window_ms

    def leaves(n: str) -> str | None:
        if n in victim_accounts:
            return "victim"
        return g.nodes[n]["sink"]  # type: ignore[no-any-return]

    # 1. Where the money could go.
    arrival: dict[str, int] = {}
    hop_bound: dict[str, int] = {}
    level = set()
    for seq, _, _, w, _, _ in seed_edges:
        if leaves(w) is None:
            arrival[w] = min(arrival.get(w, seq), seq)
            hop_bound[w] = 1
            level.add(w)
    for h in range(1, max_hops):
        nxt = set()
        for u in level:
            for _, w, d in g.out_edges(u, data=True):
                if d["seq"] <= arrival[u] or d["ts"] > end or leaves(w) is not None:
                    continue
                if w not in arrival or d["seq"] < arrival[w] or h + 1 < hop_bound[w]:
                    arrival[w] = min(arrival.get(w, d["seq"]), d["seq"])
                    hop_bound[w] = min(hop_bound.get(w, h + 1), h + 1)
                    nxt.add(w)
        level = nxt

    # 2. Their transfers from then on, and their balances then.
    events = []
    bal: dict[str, int] = {}
    for u, first in arrival.items():
        b = g.nodes[u]["opening"]
        for s, _, e, d in g.in_edges(u, keys=True, data=True):
            if d["seq"] < first:
                b += d["amount"]
            elif d["ts"] <= end:
                events.append((d["seq"], 1, u, s, d["amount"], e))
        for _, w, e, d in g.out_edges(u, keys=True, data=True):
            if d["seq"] < first:
                b -= d["amount"]
            elif d["ts"] <= end:
                events.append((d["seq"], 0, u, w, d["amount"], e))
        bal[u] = b
    events.sort()

    # 3. The pass.
    state: dict[str, dict[str, Any]] = {}
    pending: dict[int, tuple[dict[str, int], int]] = {}
    hops: list[tuple[str, str, str, int, str, int]] = []
    exits: list[tuple[str, str, str, str, str, int]] = []
    for seq, v, u, w, a, e in seed_edges:
        hops.append((e, u, w, 1, v, a))
        kind = leaves(w)
        if kind:
            exits.append((e, u, w, kind, v, a))
        else:
            pending[seq] = ({v: a}, 1)

    def take(s: dict[str, Any], b: int, a: int) -> dict[str, int]:
        got: dict[str, int] = {}
        if rule == "libr":
            cap = max(b - a, 0)
            total = sum(s["claims"].values())
            if total > cap:
                got = cut(s, total - cap)
            return got
        need = min(a, max(b, 0))
        lots = s["lots"]
        while need > 0:
            amt, comp = lots.pop() if rule == "lifo" else lots.pop(0)
            if amt <= need:
                need -= amt
                for v, x in comp.items():
                    got[v] = got.get(v, 0) + x
                continue
            vs = [v for v in victims if v in comp]
            shares = _split(need, [comp[v] for v in vs] + [amt - sum(comp.values())])
            rest = {}
            for v, sh in zip(vs, shares, strict=False):
                if sh:
                    got[v] = got.get(v, 0) + sh
                if comp[v] > sh:
                    rest[v] = comp[v] - sh
            lots.insert(len(lots) if rule == "lifo" else 0, (amt - need, rest))
            need = 0
        return got

    def cut(s: dict[str, Any], c: int) -> dict[str, int]:
        claims = s["claims"]
        vs = [v for v in victims if claims.get(v)]
        if c >= sum(claims.values()):
            s["claims"] = {}
            return {v: claims[v] for v in vs}
        shares = _split(c, [claims[v] for v in vs])
        got = {}
        for v, sh in zip(vs, shares, strict=True):
            if sh:
                got[v] = sh
                claims[v] -= sh
        return got

    for seq, side, u, other, a, e in events:
        b = bal[u]
        if side == 0:
            bal[u] = b - a
            s = state.get(u)
            if s is None:
                continue
            got = take(s, b, a)
            if not got:
                continue
            vs = [v for v in victims if got.get(v)]
            if s["hop"] >= max_hops:
                exits.extend((e, u, other, "hop_limit", v, got[v]) for v in vs)
                continue
            h = s["hop"] + 1
            hops.extend((e, u, other, h, v, got[v]) for v in vs)
            kind = leaves(other)
            if kind:
                exits.extend((e, u, other, kind, v, got[v]) for v in vs)
            else:
                pending[seq] = ({v: got[v] for v in vs}, h)
            continue
        bal[u] = b + a
        if seq in pending:
            carried, h = pending.pop(seq)
            s = state.setdefault(u, {"hop": h, "claims": {}, "lots": [(b, {})] if b > 0 else []})
            s["hop"] = min(s["hop"], h)
            if rule == "libr":
                for v, x in carried.items():
                    s["claims"][v] = s["claims"].get(v, 0) + x
                total = sum(s["claims"].values())
                if total > max(b + a, 0):
                    gone = cut(s, total - max(b + a, 0))
                    exits.extend((e, u, u, "debt", v, x) for v, x in gone.items())
            else:
                vs = [v for v in victims if v in carried]
                keep = dict(carried)
                kept = a
                if b < 0:
                    absorbed = min(a, -b)
                    shares = _split(
                        absorbed, [carried[v] for v in vs] + [a - sum(carried.values())]
                    )
                    for v, sh in zip(vs, shares, strict=False):
                        if sh:
                            exits.append((e, u, u, "debt", v, sh))
                            keep[v] -= sh
                    kept = a - absorbed
                if kept > 0:
                    s["lots"].append((kept, {v: x for v, x in keep.items() if x}))
        elif u in state and rule != "libr":  # own money joins the queue
            add = max(b + a, 0) - max(b, 0)
            if add > 0:
                state[u]["lots"].append((add, {}))

    holdings: dict[tuple[str, str], int] = {}
    for u, s in state.items():
        if rule == "libr":
            per = s["claims"]
        else:
            per = {}
            for _, comp in s["lots"]:
                for v, x in comp.items():
                    per[v] = per.get(v, 0) + x
        holdings.update({(u, v): x for v, x in per.items() if x})
    return {"holdings": holdings, "hops": sorted(hops), "exits": sorted(exits)}
