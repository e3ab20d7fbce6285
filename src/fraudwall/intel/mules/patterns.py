"""Laundering shapes through an account, found by joins over pairs of accounts.

A pair (src, dst) stands for all transfers between two accounts, with its first and last
time. A path a -> b -> c is *temporal* when money can flow along it in time: each hop has a
transfer at or after the time money reached its start (taken as max(arrival, first of the
hop), within the hop's last), and the whole path takes at most the ledger's window.

- scatter-gather: a source pays several intermediates which all pay one sink; per account
  the most intermediates of such a pattern it is the source, an intermediate or the sink of;
- gather-scatter: the account receives from several and pays several within the window
  (distinct senders and receivers joined through it by temporal two-hop paths);
- temporal cycles of 2, 3 and 4 hops through the account (simple: no account twice);
- chain position: hops from a victim's payment (payees of reported transfers) along the
  money, and hops to an exit (an external account, or one that only takes money in).

Accounts with very many counterparties on both sides (merchants, payroll) are not taken as
intermediates: what passes through them is ordinary commerce, and enumerating it would cost
in*out paths each.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from fraudwall.intel.mules.ledger import Ledger, pack, unpack

#: An account with in_degree * out_degree above this is a hub: not enumerated as a middle.
HUB_PATHS: Final = 10_000
#: How many hops the chain position looks along.
CHAIN_HOPS: Final = 6


def _hop_frame(pairs: pl.DataFrame, a: str, b: str) -> pl.DataFrame:
    return pairs.select(
        pl.col("src").alias(a),
        pl.col("dst").alias(b),
        pl.col("first").alias(f"f_{a}{b}"),
        pl.col("last").alias(f"l_{a}{b}"),
    )


def middles(pairs: pl.DataFrame) -> pl.DataFrame:
    """Accounts that may be the middle of an enumerated path (not hubs)."""
    out_deg = pairs.group_by("src").agg(o=pl.len()).rename({"src": "account_id"})
    in_deg = pairs.group_by("dst").agg(i=pl.len()).rename({"dst": "account_id"})
    both = out_deg.join(in_deg, on="account_id")
    paths = pl.col("o").cast(pl.Int64) * pl.col("i").cast(pl.Int64)  # no u32 overflow
    return both.filter(paths <= HUB_PATHS).select("account_id")


def two_hop(ledger: Ledger) -> pl.DataFrame:
    """Temporal paths s -> m -> d (s != d) through non-hub middles: s, m, d, start, arrive,
    and the times of the hops (for cycles built on them)."""
    ok = middles(ledger.pairs)
    # both sides sorted by the middle: a merge join
    first = _hop_frame(ledger.pairs_in, "s", "m").join(
        ok, left_on="m", right_on="account_id", how="semi", maintain_order="left"
    )
    second = _hop_frame(ledger.pairs, "m", "d")
    paths = first.join(second, on="m").filter(pl.col("s") != pl.col("d"))
    arrive = pl.max_horizontal("f_sm", "f_md")
    return paths.filter(
        (pl.col("l_md") >= pl.col("f_sm")) & (arrive - pl.col("f_sm") <= ledger.window)
    ).with_columns(start=pl.col("f_sm"), arrive=arrive)


def scatter_gather(paths: pl.DataFrame) -> pl.DataFrame:
    """Per account: the most intermediates of a scatter-gather (>= 2 middles between one
    source and one sink) it is the source (`sg_source`), a middle (`sg_middle`) or the sink
    (`sg_sink`) of; and gather-scatter: distinct senders and receivers joined through it."""
    # a pair of accounts is one row of `pairs`, so each (s, m, d) is one path: the middles
    # between s and d are the paths between them
    sd = (
        paths.group_by(sd=pack("s", "d"))
        .agg(k=pl.len())
        .filter(pl.col("k") >= 2)
        .select("sd", *unpack("sd", "s", "d"), "k")
    )
    src = sd.group_by("s").agg(sg_source=pl.col("k").max()).rename({"s": "account_id"})
    sink = sd.group_by("d").agg(sg_sink=pl.col("k").max()).rename({"d": "account_id"})
    mid = (
        paths.select("m", sd=pack("s", "d"))
        .join(sd.select("sd", "k"), on="sd")
        .group_by("m")
        .agg(sg_middle=pl.col("k").max())
        .rename({"m": "account_id"})
    )
    gs = (
        paths.group_by("m")
        .agg(gs_senders=pl.col("s").n_unique(), gs_receivers=pl.col("d").n_unique())
        .with_columns(gather_scatter=pl.min_horizontal("gs_senders", "gs_receivers"))
        .rename({"m": "account_id"})
    )
    return _outer([src, mid, sink, gs])


def cycles(ledger: Ledger, paths: pl.DataFrame) -> pl.DataFrame:
    """Temporal simple cycles of 2, 3 and 4 hops through each account (`cycle2..4`): the
    number of (start, path) cycles it lies on."""
    w = ledger.window
    back2 = _hop_frame(ledger.pairs, "b", "a")
    c2 = (
        _join_pairs(_hop_frame(ledger.pairs, "a", "b"), back2, "a", "b")
        .filter(pl.col("l_ba") >= pl.col("f_ab"))
        .filter(pl.max_horizontal("f_ab", "f_ba") - pl.col("f_ab") <= w)
        .select(pl.concat_list("a", "b").alias("members"))
    )
    back3 = _hop_frame(ledger.pairs, "d", "s")
    c3 = (
        _join_pairs(paths, back3, "d", "s")
        .filter(pl.col("l_ds") >= pl.col("arrive"))
        .filter(pl.max_horizontal("arrive", "f_ds") - pl.col("start") <= w)
        .select(pl.concat_list("s", "m", "d").alias("members"))
    )
    # 4 hops: a -> b -> c, then c -> x -> a, met in the middle at c (x not a or b)
    half = paths.select(a="s", b="m", c="d", start="start", arrive="arrive")
    back = paths.select(c="s", x="m", a="d", f_cx="f_sm", l_cx="l_sm", f_xa="f_md", l_xa="l_md")
    c4 = _join_pairs(half, back, "c", "a").filter(
        (pl.col("x") != pl.col("b")) & (pl.col("l_cx") >= pl.col("arrive"))
    )
    at_x = pl.max_horizontal("arrive", "f_cx")
    c4 = c4.filter(
        (pl.col("l_xa") >= at_x) & (pl.max_horizontal(at_x, "f_xa") - pl.col("start") <= w)
    )
    c4 = c4.select(pl.concat_list("a", "b", "c", "x").alias("members"))
    parts = []
    for k, found in ((2, c2), (3, c3), (4, c4)):
        parts.append(
            found.explode("members")
            .group_by("members")
            .agg(pl.len().alias(f"cycle{k}"))
            .rename({"members": "account_id"})
        )
    return _outer(parts)


def chain_position(
    ledger: Ledger, victims_payees: pl.DataFrame | None, exits: pl.DataFrame
) -> pl.DataFrame:
    """Hops from a victim's payment (its payee is hop 1) along temporal money flow, and hops
    to an exit against it (an exit is hop 0); null beyond `CHAIN_HOPS` or with no seeds."""
    parts = [_hops_to(ledger, exits)]
    if victims_payees is not None and victims_payees.height:
        parts.append(_hops_from(ledger, victims_payees))
    return _outer(parts)


def _hops_from(ledger: Ledger, seeds: pl.DataFrame) -> pl.DataFrame:
    """Breadth-first along the money: seeds (account_id, ts of the victim's payment) are hop
    1; a hop follows a pair with a transfer at or after the money arrived."""
    frontier = seeds.group_by("account_id").agg(arrive=pl.col("ts").min())
    seen = frontier.with_columns(hops_from_victim=pl.lit(1, pl.Int32))
    hops = ledger.pairs.select(account_id="src", nxt="dst", first="first", last="last")
    for hop in range(2, CHAIN_HOPS + 1):
        step = (
            frontier.join(hops, on="account_id")
            .filter(pl.col("last") >= pl.col("arrive"))
            .group_by("nxt")
            .agg(arrive=pl.max_horizontal("arrive", "first").min())
            .rename({"nxt": "account_id"})
            .join(seen, on="account_id", how="anti")
        )
        if step.height == 0:
            break
        seen = pl.concat([seen, step.with_columns(hops_from_victim=pl.lit(hop, pl.Int32))])
        frontier = step
    return seen.select("account_id", "hops_from_victim")


def _hops_to(ledger: Ledger, exits: pl.DataFrame) -> pl.DataFrame:
    """Breadth-first against the money from the exits (hop 0)."""
    seen = exits.select("account_id").unique().with_columns(hops_to_exit=pl.lit(0, pl.Int32))
    frontier = seen.select("account_id")
    back = ledger.pairs.select(account_id="dst", prev="src")
    for hop in range(1, CHAIN_HOPS + 1):
        step = (
            frontier.join(back, on="account_id")
            .select(account_id="prev")
            .unique()
            .join(seen, on="account_id", how="anti")
        )
        if step.height == 0:
            break
        seen = pl.concat([seen, step.with_columns(hops_to_exit=pl.lit(hop, pl.Int32))])
        frontier = step
    return seen


def _join_pairs(left: pl.DataFrame, right: pl.DataFrame, a: str, b: str) -> pl.DataFrame:
    """`left` joined with `right` on the accounts `a` and `b` (both frames have them), on
    one packed key."""
    key = pack(a, b).alias("_ab")
    return left.with_columns(key).join(right.with_columns(key).drop(a, b), on="_ab").drop("_ab")


def _outer(parts: list[pl.DataFrame]) -> pl.DataFrame:
    out = parts[0]
    for part in parts[1:]:
        out = out.join(part, on="account_id", how="full", coalesce=True)
    return out
