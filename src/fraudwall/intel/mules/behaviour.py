"""How an account behaves on its own: how much, how often, how fast money leaves it, when.

Every feature is relative where the scale of a ledger would otherwise leak in: shares of
the account's own transfers, ranks among all transfers or accounts, and times as shares of
the ledger's span (so day-step ledgers and millisecond ledgers read alike). Amounts are
also given as logs, the one scale-bound family, which trees only cut by order.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from fraudwall.intel.mules.ledger import DAY_MS, HOUR_MS, Ledger

#: Local time the ledger's accounts live in (China: UTC+8), for the night share.
UTC_OFFSET_MS: Final = 8 * HOUR_MS
NIGHT_HOURS: Final = (0, 6)  # local hours [0, 6)
#: A round amount is a whole multiple of 100 yuan (10,000 fen).
ROUND_FEN: Final = 10_000
#: "Just under a limit": within 10% below 10^k or 5·10^k yuan (structuring), from 100 yuan.
UNDER_LIMIT_FROM_FEN: Final = 10_000
#: A small amount is among the smallest tenth of the ledger's transfers (test payments,
#: bait, splitting into crumbs).
SMALL_RANK: Final = 0.1


def events(ledger: Ledger) -> pl.DataFrame:
    """Each transfer twice, once per side: account_id, other, ts, amount, incoming, the
    amount's percentile among all transfers and its log ratio to their median; sorted by
    account, then time (at one time, money in before money out), and flagged sorted by
    account, so that every group-by per account below reads consecutive rows instead of
    hashing."""
    t = ledger.transfers.with_columns(
        amount_rank=(pl.col("amount").rank("average") / pl.len()).cast(pl.Float64),
        amount_rel=(pl.col("amount") / pl.col("amount").median()).log(),
    )
    common = [pl.col("ts"), pl.col("amount"), pl.col("amount_rank"), pl.col("amount_rel")]
    out = t.select(
        pl.col("src").alias("account_id"),
        pl.col("dst").alias("other"),
        *common,
        incoming=pl.lit(False),
    )
    into = t.select(
        pl.col("dst").alias("account_id"),
        pl.col("src").alias("other"),
        *common,
        incoming=pl.lit(True),
    )
    # two stable sorts on one column each, much cheaper than one on three: by time (money
    # in first at one time, as `into` comes first), then by account
    both = pl.concat([into, out]).sort("ts", maintain_order=True)
    both = both.sort("account_id", maintain_order=True)
    return both.with_columns(pl.col("account_id").set_sorted())


def behaviour_features(ledger: Ledger, accounts: pl.DataFrame | None) -> pl.DataFrame:
    """One row per account with transfers: the behaviour features (see the module doc)."""
    ev = events(ledger)
    span = float(ledger.span)
    side = _side_features(ev)
    days = daily(ev, ledger)
    timing = _timing_features(ev, ledger, days)
    stay = _stay(ev, span)
    fans = _fans(days)
    out = side.join(timing, on="account_id", how="left")
    for part in (stay, fans):
        out = out.join(part, on="account_id", how="left")
    if accounts is not None:
        out = out.join(_age(accounts, timing, ledger), on="account_id", how="left")
    return out.drop("first_ts", "last_ts")  # absolute times: no feature


def _side_features(ev: pl.DataFrame) -> pl.DataFrame:
    inc, outg = pl.col("incoming"), ~pl.col("incoming")
    per = ev.group_by("account_id").agg(
        *_amount_shapes(),
        in_count=inc.sum(),
        out_count=outg.sum(),
        in_degree=pl.col("other").filter(inc).n_unique(),
        out_degree=pl.col("other").filter(outg).n_unique(),
        in_sum=pl.col("amount").filter(inc).sum(),
        out_sum=pl.col("amount").filter(outg).sum(),
        in_amount_rank=pl.col("amount_rank").filter(inc).mean(),
        out_amount_rank=pl.col("amount_rank").filter(outg).mean(),
        in_min_rel=pl.col("amount_rel").filter(inc).min(),
        out_min_rel=pl.col("amount_rel").filter(outg).min(),
        in_small_share=(pl.col("amount_rank") <= SMALL_RANK).filter(inc).mean(),
        out_small_share=(pl.col("amount_rank") <= SMALL_RANK).filter(outg).mean(),
        counterparties=pl.col("other").n_unique(),
    )
    both = pl.max_horizontal("in_sum", "out_sum")
    return per.with_columns(
        log_in_amount=pl.col("in_sum").log1p(),
        log_out_amount=pl.col("out_sum").log1p(),
        log_mean_in=(pl.col("in_sum") / pl.col("in_count")).log1p(),
        log_mean_out=(pl.col("out_sum") / pl.col("out_count")).log1p(),
        in_degree_share=pl.col("in_degree") / (pl.col("in_degree") + pl.col("out_degree")),
        pass_through=pl.when(both > 0)
        .then(pl.min_horizontal("in_sum", "out_sum") / both)
        .otherwise(0.0),
        out_in_ratio=pl.col("out_sum") / (pl.col("in_sum") + pl.col("out_sum")),
        repeat_share=1.0 - pl.col("counterparties") / (pl.col("in_count") + pl.col("out_count")),
    ).drop("in_sum", "out_sum", "counterparties")


def _timing_features(ev: pl.DataFrame, ledger: Ledger, days: pl.DataFrame) -> pl.DataFrame:
    """When the account is active: first and last relative to the ledger, its longest idle
    gap, how bursty its days are, its night share."""
    span = float(ledger.span)
    hour = ((pl.col("ts") + UTC_OFFSET_MS) % DAY_MS) // HOUR_MS
    per = ev.group_by("account_id").agg(
        first_ts=pl.col("ts").min(),
        last_ts=pl.col("ts").max(),
        max_gap=pl.col("ts").diff().max(),  # `events` are in time order per account
        n=pl.len(),
        night_share=hour.is_between(NIGHT_HOURS[0], NIGHT_HOURS[1], closed="left").mean(),
    )
    days = days.group_by("account_id").agg(
        active_days=pl.len(), busiest_day=(pl.col("n_in") + pl.col("n_out")).max()
    )
    out = per.join(days, on="account_id")
    span_days = max(span / DAY_MS, 1.0)
    out = out.with_columns(
        first_seen_share=(pl.col("first_ts") - ledger.start) / span,
        active_span_share=(pl.col("last_ts") - pl.col("first_ts")) / span,
        max_gap_share=pl.col("max_gap").fill_null(0) / span,
        busiest_day_share=pl.col("busiest_day") / pl.col("n"),
        active_day_share=pl.col("active_days") / span_days,
        per_active_day=pl.col("n") / pl.col("active_days"),
        # dormancy then a burst: long idle, then most of its transfers on one day
        wake_burst=pl.col("max_gap").fill_null(0) / span * (pl.col("busiest_day") / pl.col("n")),
    )
    if not ledger.clock:  # day steps carry no time of day
        out = out.with_columns(night_share=pl.lit(None, pl.Float64))
    return out.drop("max_gap", "n", "active_days", "busiest_day")


def _amount_shapes() -> list[pl.Expr]:
    """Round amounts and amounts just under a round limit, as shares of the account's
    (aggregations over its side of the transfers)."""
    yuan = pl.col("amount").cast(pl.Float64) / 100.0
    lead = yuan / (10.0 ** yuan.log10().floor())  # leading digits in [1, 10)
    under = (pl.col("amount") >= UNDER_LIMIT_FROM_FEN) & (
        lead.is_between(9.0, 10.0, closed="left") | lead.is_between(4.5, 5.0, closed="left")
    )
    round_ = pl.col("amount") % ROUND_FEN == 0
    return [
        round_.mean().alias("round_share"),
        under.mean().alias("under_limit_share"),
        round_.filter(pl.col("incoming")).mean().alias("in_round_share"),
    ]


def _stay(ev: pl.DataFrame, span: float) -> pl.DataFrame:
    """How long money stays: per incoming transfer, the time to the account's next outgoing
    one (at or after it: the next row out of the account in `events`' order); the median as
    a share of the span, its rank among accounts, and the share of incoming transfers
    passed on within a day."""
    out_ts = pl.when(~pl.col("incoming")).then(pl.col("ts")).backward_fill()
    out_of = pl.when(~pl.col("incoming")).then(pl.col("account_id")).backward_fill()
    delay = pl.when(out_of == pl.col("account_id")).then(out_ts - pl.col("ts"))
    inc = pl.col("incoming")
    per = (
        ev.select("account_id", "incoming", delay=delay)
        .group_by("account_id")
        .agg(
            has_in=inc.any(),
            stay_median=pl.col("delay").filter(inc).median(),
            forwarded_day_share=(pl.col("delay") <= DAY_MS).fill_null(False).filter(inc).mean(),
            forwarded_share=pl.col("delay").is_not_null().filter(inc).mean(),
        )
        .filter(pl.col("has_in"))
        .drop("has_in")
    )
    return per.with_columns(
        stay_share=pl.col("stay_median") / span,
        stay_rank=pl.col("stay_median").rank("average") / pl.col("stay_median").count(),
    ).drop("stay_median")


def daily(ev: pl.DataFrame, ledger: Ledger) -> pl.DataFrame:
    """Per account and day of the ledger (from its first transfer): transfers in and out
    (`n_in`, `n_out`) and distinct senders and receivers (`k_in`, `k_out`); sorted by
    account. Grouped on one key, account and day packed, sorted as `events` is."""
    day = (pl.col("ts") - ledger.start) // DAY_MS
    key = (pl.col("account_id").cast(pl.UInt64) * (1 << 32) + day.cast(pl.UInt64)).set_sorted()
    inc = pl.col("incoming")
    return (
        ev.group_by(key.alias("key"), maintain_order=True)
        .agg(
            n_in=inc.sum(),
            n_out=(~inc).sum(),
            k_in=pl.col("other").filter(inc).n_unique(),
            k_out=pl.col("other").filter(~inc).n_unique(),
        )
        .select(
            (pl.col("key") // (1 << 32)).cast(pl.UInt32).set_sorted().alias("account_id"),
            "n_in",
            "n_out",
            "k_in",
            "k_out",
        )
    )


def _fans(days: pl.DataFrame) -> pl.DataFrame:
    """Fan-in and fan-out within a day: the most distinct senders (receivers) in one day."""
    return days.group_by("account_id").agg(
        fan_in_day=pl.col("k_in").max(), fan_out_day=pl.col("k_out").max()
    )


def _age(accounts: pl.DataFrame, timing: pl.DataFrame, ledger: Ledger) -> pl.DataFrame:
    """Account age at its first transfer (log days), whether it was opened within the
    ledger, and how long it slept before (log days since its last activity before);
    `accounts` with the ledger's dense ids."""
    cols = [pl.col("account_id")]
    if "opened_ts" in accounts.columns:
        cols.append(pl.col("opened_ts").cast(pl.Int64))
    if "last_active_ts" in accounts.columns:
        cols.append(pl.col("last_active_ts").cast(pl.Int64))
    acc = accounts.select(cols).join(timing.select("account_id", "first_ts"), on="account_id")
    feats = [pl.col("account_id")]
    if "opened_ts" in acc.columns:
        age = (pl.col("first_ts") - pl.col("opened_ts")).clip(0) / DAY_MS
        feats += [
            age.log1p().alias("age_log_days"),
            (pl.col("opened_ts") >= ledger.start).cast(pl.Float64).alias("opened_in_ledger"),
        ]
    if "last_active_ts" in acc.columns:
        slept = (pl.col("first_ts") - pl.col("last_active_ts")).clip(0) / DAY_MS
        feats.append(slept.log1p().alias("slept_log_days"))
    return acc.select(feats)
