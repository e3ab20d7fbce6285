"""The mule features the way a Python team would write them: pandas group-bys for the
behaviour, networkx (and Python loops over its graph) for cycles and scatter-gather.
Written independently of fraudwall from the definitions in fraudwall.intel.mules, for a
subset of the features; bench.intel checks both give the same answers on a sample.
"""

from __future__ import annotations

from collections import defaultdict

import networkx as nx
import numpy as np
import pandas as pd

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
HUB_PATHS = 10_000
COLUMNS = (
    "in_count", "out_count", "in_degree", "out_degree", "log_in_amount", "log_out_amount",
    "pass_through", "night_share", "fan_in_day", "fan_out_day", "cycle2", "cycle3",
    "sg_middle", "gs_senders", "gs_receivers",
)  # fmt: skip


def features(t: pd.DataFrame) -> pd.DataFrame:
    """Per account (index): COLUMNS, from transfers ts, from_account, to_account, amount_fen."""
    start, end = int(t.ts.min()), int(t.ts.max())
    span = max(end - start, DAY_MS)
    window = max(DAY_MS, int(span * 0.25))
    outs = t.rename(columns={"from_account": "account", "to_account": "other"})
    ins = t.rename(columns={"to_account": "account", "from_account": "other"})
    o = outs.groupby("account").agg(
        out_count=("other", "size"), out_degree=("other", "nunique"), out_sum=("amount_fen", "sum")
    )
    i = ins.groupby("account").agg(
        in_count=("other", "size"), in_degree=("other", "nunique"), in_sum=("amount_fen", "sum")
    )
    f = o.join(i, how="outer").fillna(0)
    f["log_in_amount"] = np.log1p(f.in_sum)
    f["log_out_amount"] = np.log1p(f.out_sum)
    hi = np.maximum(f.in_sum, f.out_sum)
    f["pass_through"] = np.where(hi > 0, np.minimum(f.in_sum, f.out_sum) / hi.where(hi > 0, 1), 0)
    ev = pd.concat([outs[["account", "ts", "other"]], ins[["account", "ts", "other"]]])
    ev["night"] = ((ev.ts + 8 * HOUR_MS) % DAY_MS) // HOUR_MS < 6
    f["night_share"] = ev.groupby("account").night.mean()
    for name, side in (("fan_out_day", outs), ("fan_in_day", ins)):
        day = (side.ts - start) // DAY_MS
        per_day = side.assign(day=day).groupby(["account", "day"]).other.nunique()
        f[name] = per_day.groupby(level="account").max()
    f = f.fillna({"fan_in_day": 0, "fan_out_day": 0})
    for name, values in _graph(t, window).items():
        f[name] = pd.Series(values, dtype=float)
        f[name] = f[name].fillna(0)
    return f[list(COLUMNS)].astype(float)


def _graph(t: pd.DataFrame, window: int) -> dict[str, dict[str, int]]:
    """cycle2, cycle3, sg_middle, gs_senders, gs_receivers with networkx."""
    pairs = (
        t[t.from_account != t.to_account]
        .groupby(["from_account", "to_account"])
        .ts.agg(["min", "max"])
    )
    g = nx.DiGraph()
    for (a, b), (first, last) in pairs.iterrows():
        g.add_edge(a, b, first=first, last=last)
    hub = {v for v in g if g.in_degree(v) * g.out_degree(v) > HUB_PATHS}

    def hop(a: str, b: str) -> tuple[int, int]:
        e = g.edges[a, b]
        return e["first"], e["last"]

    def path(s: str, m: str, d: str) -> tuple[int, int] | None:
        """(start, arrive) of a temporal path s -> m -> d, or None."""
        f1, _ = hop(s, m)
        f2, l2 = hop(m, d)
        arrive = max(f1, f2)
        if m in hub or s == d or l2 < f1 or arrive - f1 > window:
            return None
        return f1, arrive

    out: dict[str, dict[str, int]] = {k: defaultdict(int) for k in ("cycle2", "cycle3")}
    for cycle in nx.simple_cycles(g, length_bound=3):
        n = len(cycle)
        for r in range(n):  # each start of the cycle
            c = cycle[r:] + cycle[:r]
            if n == 2:
                f1, _ = hop(c[0], c[1])
                f2, l2 = hop(c[1], c[0])
                ok = l2 >= f1 and max(f1, f2) - f1 <= window
            else:
                p = path(c[0], c[1], c[2])
                ok = False
                if p is not None:
                    f3, l3 = hop(c[2], c[0])
                    ok = l3 >= p[1] and max(p[1], f3) - p[0] <= window
            if ok:
                for v in c:
                    out[f"cycle{n}"][v] += 1
    through: dict[tuple[str, str], set[str]] = defaultdict(set)
    senders: dict[str, set[str]] = defaultdict(set)
    receivers: dict[str, set[str]] = defaultdict(set)
    for m in g:
        if m in hub:
            continue
        for s in g.predecessors(m):
            for d in g.successors(m):
                if path(s, m, d) is not None:
                    through[s, d].add(m)
                    senders[m].add(s)
                    receivers[m].add(d)
    sg: dict[str, int] = {}
    for ms in through.values():
        if len(ms) >= 2:
            for m in ms:
                sg[m] = max(sg.get(m, 0), len(ms))
    return {
        **out,
        "sg_middle": sg,
        "gs_senders": {m: len(v) for m, v in senders.items()},
        "gs_receivers": {m: len(v) for m, v in receivers.items()},
    }
