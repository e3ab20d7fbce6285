"""How a number calls and texts: fan-out, short and unanswered calls, call-backs, hours.

A fraud line (a bought SIM in a SIM box, a line from abroad) dials many strangers, most
of whom hang up or never answer and almost none of whom ever call back; it works in
bursts of calls per hour, often through an international gateway and with a caller ID
that is not its own. Ordinary lines call the same few people, who call back. Every figure
here is a share, a ratio, a per-hour or per-day rate or a log count, so it means the same
on a small world and a big one; nothing depends on how numbers are written.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from fraudwall.model import DAY_MS, HOUR_MS, LOCAL_OFFSET_MS

#: An answered call shorter than this is "short" (a ring-and-hang-up, a refused pitch).
SHORT_CALL_MS: Final = 30_000
#: Local night: from 22:00 to 06:00.
NIGHT_FROM_H: Final = 22
NIGHT_TO_H: Final = 6


def _log1p(expr: pl.Expr) -> pl.Expr:
    return (expr.cast(pl.Float64) + 1.0).log()


def _ratio(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    """num / den, null where den is 0 (a share of nothing is unknown, not 0)."""
    return pl.when(den > 0).then(num.cast(pl.Float64) / den.cast(pl.Float64)).otherwise(None)


def with_clock(contacts: pl.DataFrame, offset_ms: int = LOCAL_OFFSET_MS) -> pl.DataFrame:
    """Contacts with their local `day`, `hour` of the day and `slot` (an hour of history)."""
    local = pl.col("ts") + offset_ms
    return contacts.with_columns(
        (local // DAY_MS).alias("day"),
        ((local % DAY_MS) // HOUR_MS).alias("hour"),
        (local // HOUR_MS).alias("slot"),
    )


def activity(clocked: pl.DataFrame) -> pl.DataFrame:
    """Per number: how much, when and to how many it reaches out (calls and texts), and
    for how much of the history (`span_share`, `active_day_share`: a burner line lives
    days, an ordinary line all along, however long the history is)."""
    ts = clocked["ts"].to_numpy()
    history_ms = max(int(ts.max()) - int(ts.min()), 1) if len(ts) else 1
    history_days = max(clocked["day"].n_unique(), 1)
    night = (pl.col("hour") >= NIGHT_FROM_H) | (pl.col("hour") < NIGHT_TO_H)
    return (
        clocked.group_by("number")
        .agg(
            pl.len().alias("contacts"),
            pl.col("other").n_unique().alias("contacted"),
            pl.col("ts").min().alias("first_ts"),
            pl.col("ts").max().alias("last_ts"),
            night.mean().alias("night_share"),
            pl.col("intl").mean().alias("intl_share"),
            pl.col("is_call").mean().alias("call_share"),
            pl.col("slot").n_unique().alias("active_hours"),
            pl.col("day").n_unique().alias("active_days"),
        )
        .with_columns(
            _log1p(pl.col("contacts")).alias("contacts_log"),
            _log1p(pl.col("contacted")).alias("contacted_log"),
            (pl.col("contacted") / pl.col("contacts")).alias("contacted_per_contact"),
            (pl.col("contacts") / pl.col("active_hours")).alias("contacts_per_active_hour"),
            (pl.col("active_hours") / pl.col("active_days")).alias("hours_per_active_day"),
            ((pl.col("last_ts") - pl.col("first_ts")) / history_ms).alias("span_share"),
            (pl.col("active_days") / history_days).alias("active_day_share"),
        )
    )


def call_behaviour(clocked: pl.DataFrame) -> pl.DataFrame:
    """Per caller: fan-out, answered, short and long calls, spoofed caller ID, call-backs."""
    calls = clocked.filter(pl.col("is_call"))
    answered = pl.col("duration_ms") > 0
    per_number = calls.group_by("number").agg(
        pl.len().alias("calls_out"),
        pl.col("other").n_unique().alias("callees"),
        answered.mean().alias("answered_share"),
        _ratio((answered & (pl.col("duration_ms") < SHORT_CALL_MS)).sum(), answered.sum()).alias(
            "short_call_share"
        ),
        _log1p(pl.col("duration_ms").filter(answered).median() / 1000).alias(
            "answered_seconds_median_log"
        ),
        pl.col("spoofed").mean().alias("spoofed_share"),
        pl.col("slot").n_unique().alias("call_hours"),
    )
    per_day = (
        calls.group_by("number", "day")
        .agg(pl.col("other").n_unique().alias("n"))
        .group_by("number")
        .agg(
            _log1p(pl.col("n").max()).alias("callee_fanout_day_max_log"),
            pl.col("n").mean().alias("callee_fanout_day_mean"),
        )
    )
    back = called_back(calls, calls).rename({"called_back": "callees_calling_back"})
    return (
        per_number.join(per_day, on="number", how="left")
        .join(back, on="number", how="left")
        .with_columns(
            _log1p(pl.col("calls_out")).alias("calls_out_log"),
            _log1p(pl.col("callees")).alias("callees_log"),
            (pl.col("callees") / pl.col("calls_out")).alias("callees_per_call"),
            (pl.col("calls_out") / pl.col("call_hours")).alias("calls_per_active_hour"),
            (pl.col("callees_calling_back").fill_null(0) / pl.col("callees")).alias(
                "call_back_share"
            ),
        )
        .drop("calls_out", "callees", "call_hours", "callees_calling_back")
    )


def text_behaviour(clocked: pl.DataFrame) -> pl.DataFrame:
    """Per sender: fan-out of texts, replies (by text or call), links if the source has them."""
    texts = clocked.filter(~pl.col("is_call"))
    per_number = texts.group_by("number").agg(
        pl.len().alias("texts_out"),
        pl.col("other").n_unique().alias("receivers"),
        pl.col("link").mean().alias("link_share"),
    )
    per_day = (
        texts.group_by("number", "day")
        .agg(pl.col("other").n_unique().alias("n"))
        .group_by("number")
        .agg(_log1p(pl.col("n").max()).alias("receiver_fanout_day_max_log"))
    )
    replies = called_back(texts, clocked)
    return (
        per_number.join(per_day, on="number", how="left")
        .join(replies, on="number", how="left")
        .with_columns(
            _log1p(pl.col("texts_out")).alias("texts_out_log"),
            _log1p(pl.col("receivers")).alias("receivers_log"),
            (pl.col("receivers") / pl.col("texts_out")).alias("receivers_per_text"),
            (pl.col("called_back").fill_null(0) / pl.col("receivers")).alias("reply_share"),
        )
        .drop("texts_out", "receivers", "called_back")
    )


def called_back(out: pl.DataFrame, back: pl.DataFrame) -> pl.DataFrame:
    """Per number: how many of those it reached in `out` later reached it in `back`
    (after its first contact with them)."""
    first = out.group_by("number", "other").agg(pl.col("ts").min().alias("first_ts"))
    last_back = back.group_by(pl.col("other").alias("number"), pl.col("number").alias("other")).agg(
        pl.col("ts").max().alias("back_ts")
    )
    return (
        first.join(last_back, on=["number", "other"], how="inner")
        .filter(pl.col("back_ts") > pl.col("first_ts"))
        .group_by("number")
        .agg(pl.len().alias("called_back"))
    )


def incoming(contacts: pl.DataFrame) -> pl.DataFrame:
    """Per number: contacts it received, and from how many numbers."""
    return contacts.group_by(pl.col("other").alias("number")).agg(
        pl.len().alias("contacts_in"), pl.col("number").n_unique().alias("reached_by")
    )
