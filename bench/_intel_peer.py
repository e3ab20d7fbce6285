"""The peer of bench.intel: mule features the way a Python team would write them — pandas
group-bys for behaviour, networkx for the cycles — with fraudwall's definitions
(`fraudwall.intel.mules`), for the columns compared:

- in_count, out_count: transfers received, sent; in_degree, out_degree: distinct senders,
  receivers; log_in_amount, log_out_amount: log(1 + amount received, sent, in fen);
- pass_through: min(in, out) / max(in, out) of the amounts (0 when both are 0);
- night_share: share of its transfers at 00:00-06:00 China time (UTC+8);
- fan_in_day, fan_out_day: the most distinct senders (receivers) in one day of the ledger
  (days counted from its first transfer);
- cycle2: 2-cycles a -> b -> a through the account, per start, temporal: the way back has
  a transfer at or after the first transfer out, and money is back within the window.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
UTC_OFFSET_MS = 8 * HOUR_MS
COLUMNS = ("in_count", "out_count", "in_degree", "out_degree", "log_in_amount",
           "log_out_amount", "pass_through", "night_share", "fan_in_day", "fan_out_day",
           "cycle2")  # fmt: skip


def peer_features(transfers: pd.DataFrame, window_ms: int) -> pd.DataFrame:
    """The compared features, one row per account (index account_id)."""
    t = transfers[["from_account", "to_account", "ts", "amount_fen"]]
    start = int(t["ts"].min())
    out = t.rename(columns={"from_account": "account_id", "to_account": "other"})
    out = out.assign(incoming=False)
    inc = t.rename(columns={"to_account": "account_id", "from_account": "other"})
    inc = inc.assign(incoming=True)
    ev = pd.concat([out, inc], ignore_index=True)
    ev["night"] = ((ev["ts"] + UTC_OFFSET_MS) % DAY_MS) // HOUR_MS < 6
    ev["day"] = (ev["ts"] - start) // DAY_MS

    rows: dict[str, Any] = {}
    sent, got = ev[~ev["incoming"]], ev[ev["incoming"]]
    rows["in_count"] = got.groupby("account_id").size()
    rows["out_count"] = sent.groupby("account_id").size()
    rows["in_degree"] = got.groupby("account_id")["other"].nunique()
    rows["out_degree"] = sent.groupby("account_id")["other"].nunique()
    in_sum = got.groupby("account_id")["amount_fen"].sum()
    out_sum = sent.groupby("account_id")["amount_fen"].sum()
    rows["night_share"] = ev.groupby("account_id")["night"].mean()
    per_day = ev.groupby(["account_id", "day", "incoming"])["other"].nunique().reset_index()
    rows["fan_in_day"] = per_day[per_day["incoming"]].groupby("account_id")["other"].max()
    rows["fan_out_day"] = per_day[~per_day["incoming"]].groupby("account_id")["other"].max()
    f = pd.DataFrame(rows)
    f["in_sum"] = in_sum
    f["out_sum"] = out_sum
    counts = ["in_count", "out_count", "in_degree", "out_degree", "fan_in_day", "fan_out_day"]
    f[counts] = f[counts].fillna(0)
    f[["in_sum", "out_sum"]] = f[["in_sum", "out_sum"]].fillna(0)
    f["log_in_amount"] = np.log1p(f["in_sum"].astype(float))
    f["log_out_amount"] = np.log1p(f["out_sum"].astype(float))
    both = f[["in_sum", "out_sum"]].max(axis=1)
    least = f[["in_sum", "out_sum"]].min(axis=1)
    f["pass_through"] = np.where(both > 0, least / both.where(both > 0, 1), 0.0)
    f["cycle2"] = pd.Series(_cycles2(t, window_ms), dtype="float64")
    f["cycle2"] = f["cycle2"].fillna(0)
    return f[list(COLUMNS)]


def _cycles2(t: pd.DataFrame, window_ms: int) -> dict[str, int]:
    """Temporal 2-cycles per account, found with networkx's cycle search."""
    pairs = t[t["from_account"] != t["to_account"]].groupby(["from_account", "to_account"])
    span = pairs["ts"].agg(["min", "max"]).reset_index()
    graph = nx.DiGraph()
    for a, b, first, last in span.itertuples(index=False):
        graph.add_edge(a, b, first=int(first), last=int(last))
    counts: dict[str, int] = {}
    for cycle in nx.simple_cycles(graph, length_bound=2):
        if len(cycle) != 2:
            continue
        a, b = cycle
        for x, y in ((a, b), (b, a)):  # each start is its own cycle
            out, back = graph[x][y], graph[y][x]
            arrive = max(out["first"], back["first"])
            if back["last"] >= out["first"] and arrive - out["first"] <= window_ms:
                counts[x] = counts.get(x, 0) + 1
                counts[y] = counts.get(y, 0) + 1
    return counts


def compare(ours: pd.DataFrame, theirs: pd.DataFrame) -> dict[str, Any]:
    """Accounts compared and mismatches per column (floats within 1e-9 relative)."""
    common = ours.index.intersection(theirs.index)
    mismatches: dict[str, int] = {}
    for column in COLUMNS:
        a = ours.loc[common, column].astype(float).to_numpy()
        b = theirs.loc[common, column].astype(float).to_numpy()
        same = np.isclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True)
        mismatches[column] = int((~same).sum())
    return {
        "accounts_compared": len(common),
        "accounts_only_one_side": len(ours.index.symmetric_difference(theirs.index)),
        "mismatches": mismatches,
        "all_equal": all(v == 0 for v in mismatches.values()),
    }


__all__ = ["COLUMNS", "compare", "peer_features"]
