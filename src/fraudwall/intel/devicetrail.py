"""Around an event on a device (an app installed, a site visited): who is behind it, what
reached them just before and what they did just after.

A malicious app or a fraud site shows less in what it is than in what happens to the
people who meet it: a text with a link a little before, a payment to someone they never
paid a few hours after, a report to the police days later. This module turns events
``(key, device_id, ts)`` — the key an app or a domain — into one row per key of such
shares, column-wise (as-of joins per person, group-bys), for `intel.apps` and
`intel.urls` alike:

- people: a device's owner (`devices.owner_person_id`), else the device stands for one;
- `new_payee_*_share`: of the people, those who paid an account they had never paid
  before in the history within the window after the event (a payer is the owner of the
  paying account, else the device the transfer was made on);
- `later_reported_share`: those who reported a fraud to the police after the event
  (the `reports` table only — never the ground truth — and only reports before `as_of`);
- `link_text_before_share`: those who received a text carrying a link within a day
  before; `visit_before_share`: those whose device visited a site within a day before;
- reach and age: how many events and devices, when the key was first seen in the history
  (`first_seen_share` of the way through it, `age_days` before its end, and
  `first_seen_late`: that share times the devices + 1, about 1 for a key met steadily
  from the start whatever its reach).

Each of the people counts is a `*_share` smoothed towards the world's rate by `PRIOR`
people (one installer who happened to pay someone new is not "100 %"), and a `*_lift`:
that share over the world's rate (how many times likelier than for anyone who met any
key), which means the same in a history where paying someone new is common and in one
where it is rare.

Everything is counted up to `as_of` (default: the last event of the history), so a
score made on day 15 uses nothing from day 16.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import polars as pl
import pyarrow as pa

from fraudwall.intel.tables import before, frame
from fraudwall.model import DAY_MS, HOUR_MS

#: After an event: a payment to a new payee this soon is "right after" it.
NEW_PAYEE_WINDOWS_MS: Final = {"6h": 6 * HOUR_MS, "48h": 48 * HOUR_MS}
#: A payment this large (fen) to a new payee is a sizeable one: 1,000 yuan.
LARGE_FEN: Final = 100_000
#: Account kinds that are shops, not people: paying a new shop is ordinary.
SHOP_KINDS: Final = ("merchant",)
#: Before an event: a text or a visit this soon before it may be what led to it.
BEFORE_MS: Final = DAY_MS
#: A link in a text: a scheme, or a host of letters, digits and hyphens with a dot and
#: a top-level domain of letters.
LINK_PATTERN: Final = (
    r"(?i)(?:https?://)?(?:[a-z0-9][a-z0-9-]*\.)+[a-z]{2,}(?:[/?#][^\s，。、）)]*)?"
)

#: Of `TRAIL_FEATURES`, those that measure how much, not what: kept for the analyst, left
#: out of the models. How many people installed an app or visited a site says how popular
#: it is, not whether it is a fraud: a model that learned "few installs" would flag every
#: niche app and miss the fraud app that spreads.
VOLUME_FEATURES: Final = ("events_log", "devices_log", "events_per_device", "active_day_share",
                          "later_reported_log")  # fmt: skip
#: What is counted of the people who met a key: each as a share (smoothed) and a lift.
TRAIL_FLAGS: Final = ("new_payee_6h", "new_payee_48h", "new_payee_large_48h", "later_reported",
                      "link_text_before", "visit_before")  # fmt: skip
#: Shares are smoothed towards the world's rate by this many people: a key met by one
#: person who happened to pay someone new is not "100 %" of anything.
PRIOR: Final = 2.0
#: A lift divides by the world's rate, at least this.
MIN_BASE: Final = 1e-3
#: The smoothed shares: shown to the analyst; the models read the lifts, which mean the
#: same in a world where paying someone new is common and in one where it is rare.
SHARE_FEATURES: Final = tuple(f"{flag}_share" for flag in TRAIL_FLAGS)
TRAIL_FEATURES: Final = (
    "events_log", "devices_log", "events_per_device", "first_seen_share", "first_seen_late",
    "age_days", "active_day_share", "later_reported_log",
    *(f"{flag}_share" for flag in TRAIL_FLAGS),
    *(f"{flag}_lift" for flag in TRAIL_FLAGS),
)  # fmt: skip


def device_people(tables: Mapping[str, pa.Table]) -> pl.DataFrame:
    """device_id -> person_id, from the devices table (empty when it has no owners)."""
    devices = frame(tables, "devices", ("device_id",))
    if devices is None or "owner_person_id" not in devices.columns:
        return pl.DataFrame(schema={"device_id": pl.String, "person_id": pl.String})
    return devices.select(
        pl.col("device_id").cast(pl.String), pl.col("owner_person_id").cast(pl.String).alias(
            "person_id")
    ).filter(pl.col("person_id").is_not_null())  # fmt: skip


def with_person(events: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    """`events` (with a `device_id`) and who is behind each: the device's owner, else the
    device itself (as ``device:<id>``)."""
    return events.join(people, on="device_id", how="left").with_columns(
        pl.coalesce(pl.col("person_id"), pl.lit("device:") + pl.col("device_id")).alias("person_id")
    )


def new_payee_payments(tables: Mapping[str, pa.Table], as_of: int | None) -> pl.DataFrame:
    """person_id, ts, amount_fen: every payment to an account the payer had not paid
    before in the history (the payer: the paying account's owner, else the device it was
    made on), shops left out when the accounts table says which accounts are shops."""
    empty = pl.DataFrame(schema={"person_id": pl.String, "ts": pl.Int64, "amount_fen": pl.Int64})
    transfers = frame(tables, "transfers", ("ts", "from_account", "to_account"))
    if transfers is None:
        return empty
    transfers = before(transfers, as_of).with_columns(
        pl.col("from_account").cast(pl.String), pl.col("to_account").cast(pl.String)
    )
    accounts = frame(tables, "accounts", ("account_id",))
    payer = pl.lit(None, pl.String)
    if accounts is not None and "owner_person_id" in accounts.columns:
        owners = accounts.select(
            pl.col("account_id").cast(pl.String).alias("from_account"),
            pl.col("owner_person_id").cast(pl.String).alias("owner"),
        )
        transfers = transfers.join(owners, on="from_account", how="left")
        payer = pl.col("owner")
    if accounts is not None and "kind" in accounts.columns:
        shops = accounts.filter(pl.col("kind").cast(pl.String).is_in(SHOP_KINDS)).select(
            pl.col("account_id").cast(pl.String).alias("to_account")
        )
        transfers = transfers.join(shops, on="to_account", how="anti")
    device = (
        pl.lit("device:") + pl.col("device_id").cast(pl.String)
        if "device_id" in transfers.columns
        else pl.lit(None, pl.String)
    )
    amount = (
        pl.col("amount_fen").cast(pl.Int64) if "amount_fen" in transfers.columns
        else pl.lit(None, pl.Int64)
    )  # fmt: skip
    return (
        transfers.select(
            pl.coalesce(payer, device).alias("person_id"),
            pl.col("to_account"),
            pl.col("ts").cast(pl.Int64),
            amount.alias("amount_fen"),
        )
        .drop_nulls("person_id")
        .sort("ts")
        .group_by("person_id", "to_account")
        .agg(pl.col("ts").first(), pl.col("amount_fen").first())
        .select("person_id", "ts", "amount_fen")
        .sort("person_id", "ts")
    )


def first_reports(tables: Mapping[str, pa.Table], as_of: int | None) -> pl.DataFrame:
    """person_id, report_ts: each reporting person's first report before `as_of`."""
    reports = frame(tables, "reports", ("person_id", "ts"))
    if reports is None:
        return pl.DataFrame(schema={"person_id": pl.String, "report_ts": pl.Int64})
    return (
        before(reports, as_of)
        .group_by(pl.col("person_id").cast(pl.String))
        .agg(pl.col("ts").cast(pl.Int64).min().alias("report_ts"))
    )


def texts_received(tables: Mapping[str, pa.Table], as_of: int | None) -> pl.DataFrame:
    """person_id (the receiving phone's owner, else the number), ts, text, sender: every
    text received before `as_of`."""
    sms = frame(tables, "sms", ("ts", "sender", "receiver"))
    if sms is None:
        return pl.DataFrame(
            schema={"person_id": pl.String, "ts": pl.Int64, "text": pl.String, "sender": pl.String}
        )
    sms = before(sms, as_of)
    phones = frame(tables, "phones", ("number",))
    owner = pl.lit(None, pl.String)
    if phones is not None and "owner_person_id" in phones.columns:
        sms = sms.with_columns(pl.col("receiver").cast(pl.String)).join(
            phones.select(
                pl.col("number").cast(pl.String).alias("receiver"),
                pl.col("owner_person_id").cast(pl.String).alias("owner"),
            ),
            on="receiver",
            how="left",
        )
        owner = pl.col("owner")
    text = pl.col("text").cast(pl.String) if "text" in sms.columns else pl.lit(None, pl.String)
    return sms.select(
        pl.coalesce(owner, pl.lit("number:") + pl.col("receiver").cast(pl.String)).alias(
            "person_id"
        ),
        pl.col("ts").cast(pl.Int64),
        text.alias("text"),
        pl.col("sender").cast(pl.String),
    )


def since_last(events: pl.DataFrame, times: pl.DataFrame, by: str, name: str) -> pl.DataFrame:
    """`events` with `name`: ms since the last of `times` (by, ts) of the same `by` at or
    before each event (null if none)."""
    right = times.select(pl.col(by), pl.col("ts").alias("_t")).sort("_t")
    left = events.sort("ts")
    joined = left.join_asof(
        right, left_on="ts", right_on="_t", by=by, strategy="backward", check_sortedness=False
    )
    return joined.with_columns((pl.col("ts") - pl.col("_t")).alias(name)).drop("_t")


def until_next(events: pl.DataFrame, times: pl.DataFrame, by: str, name: str) -> pl.DataFrame:
    """`events` with `name`: ms until the next of `times` (by, ts) of the same `by` after
    each event (null if none)."""
    right = times.select(pl.col(by), pl.col("ts").alias("_t")).sort("_t")
    left = events.with_columns((pl.col("ts") + 1).alias("_from")).sort("_from")
    joined = left.join_asof(
        right, left_on="_from", right_on="_t", by=by, strategy="forward", check_sortedness=False
    )
    return joined.with_columns((pl.col("_t") - pl.col("ts")).alias(name)).drop("_t", "_from")


def trail_features(
    events: pl.DataFrame,
    tables: Mapping[str, pa.Table],
    *,
    key: str,
    as_of: int | None = None,
    visits: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Per `key` of `events` (key, device_id, ts): the features of the module doc
    (`TRAIL_FEATURES`). `visits` (device_id, ts) are the site visits to look for before
    each event (None: the world's url_visits)."""
    events = before(events, as_of).select(
        pl.col(key), pl.col("device_id").cast(pl.String), pl.col("ts").cast(pl.Int64)
    )
    if events.height == 0:
        return pl.DataFrame(
            schema={key: events.schema[key], **dict.fromkeys(TRAIL_FEATURES, pl.Float64)}
        )
    people = device_people(tables)
    events = with_person(events, people)
    start, end = _history(tables, events, as_of)
    span = max(end - start, 1)
    reach = events.group_by(key).agg(
        pl.len().alias("events"),
        pl.col("device_id").n_unique().alias("devices"),
        pl.col("ts").min().alias("first_ts"),
        (pl.col("ts") // DAY_MS).n_unique().alias("active_days"),
    )
    # one row per (key, person): their first meeting with it
    met = events.group_by(key, "person_id").agg(
        pl.col("ts").min(), pl.col("device_id").sort_by("ts").first()
    )
    payments = new_payee_payments(tables, as_of)
    met = until_next(met, payments, "person_id", "payee_after")
    large = payments.filter(pl.col("amount_fen") >= LARGE_FEN)
    met = until_next(met, large, "person_id", "large_payee_after")
    met = met.join(first_reports(tables, as_of), on="person_id", how="left")
    texts = texts_received(tables, as_of)
    linked = texts.filter(pl.col("text").str.contains(LINK_PATTERN)).select("person_id", "ts")
    met = since_last(met, linked, "person_id", "link_before")
    if visits is None:
        uv = frame(tables, "url_visits", ("device_id", "ts"))
        visits = (
            pl.DataFrame(schema={"device_id": pl.String, "ts": pl.Int64})
            if uv is None
            else before(uv, as_of).select(pl.col("device_id").cast(pl.String), "ts")
        )
    shifted = met.with_columns(pl.col("ts").alias("_ts0"), (pl.col("ts") - 1).alias("ts"))
    met = since_last(
        shifted, visits.select("device_id", pl.col("ts").cast(pl.Int64)), "device_id",
        "visit_before",
    ).with_columns(pl.col("_ts0").alias("ts")).drop("_ts0")  # fmt: skip

    def within(col: str, ms: int) -> pl.Expr:
        return pl.col(col).is_not_null() & (pl.col(col) <= ms)

    flags = {
        **{f"new_payee_{name}": within("payee_after", ms)
           for name, ms in NEW_PAYEE_WINDOWS_MS.items()},
        "new_payee_large_48h": within("large_payee_after", NEW_PAYEE_WINDOWS_MS["48h"]),
        "later_reported": pl.col("report_ts").is_not_null() & (pl.col("report_ts") > pl.col("ts")),
        "link_text_before": within("link_before", BEFORE_MS),
        "visit_before": within("visit_before", BEFORE_MS),
    }  # fmt: skip
    met = met.with_columns(*(e.cast(pl.Float64).alias(n) for n, e in flags.items()))
    base = met.select(*(pl.col(n).mean() for n in flags)).row(0, named=True)
    shares = met.group_by(key).agg(pl.len().alias("met"), *(pl.col(n).sum() for n in flags))
    rates = []
    for name in flags:
        rate = base[name] or 0.0
        smoothed = (pl.col(name) + PRIOR * rate) / (pl.col("met") + PRIOR)
        rates += [
            smoothed.alias(f"{name}_share"),
            (smoothed / max(rate, MIN_BASE)).alias(f"{name}_lift"),
        ]
    shares = shares.with_columns(*rates, pl.col("later_reported").alias("later_reported_n"))
    out = reach.join(shares, on=key, how="left").with_columns(
        _log1p(pl.col("events")).alias("events_log"),
        _log1p(pl.col("devices")).alias("devices_log"),
        (pl.col("events") / pl.col("devices")).alias("events_per_device"),
        ((pl.col("first_ts") - start) / span).alias("first_seen_share"),
        (((pl.col("first_ts") - start) / span) * (pl.col("devices") + 1)).alias(
            "first_seen_late"),
        ((end - pl.col("first_ts")) / DAY_MS).alias("age_days"),
        (
            pl.col("active_days")
            / (((end - pl.col("first_ts")) // DAY_MS) + 1).clip(lower_bound=1)
        ).alias("active_day_share"),
        _log1p(pl.col("later_reported_n")).alias("later_reported_log"),
    )  # fmt: skip
    return out.select(key, *(pl.col(c).cast(pl.Float64) for c in TRAIL_FEATURES))


def _log1p(expr: pl.Expr) -> pl.Expr:
    return (expr.cast(pl.Float64) + 1.0).log()


def _history(
    tables: Mapping[str, pa.Table], events: pl.DataFrame, as_of: int | None
) -> tuple[int, int]:
    """The first and last time of the history: of the transfers when there are, else of
    the events (up to `as_of`)."""
    ts = events["ts"]
    lo, hi = int(ts.min()), int(ts.max())  # type: ignore[arg-type]
    transfers = tables.get("transfers")
    if transfers is not None and transfers.num_rows and "ts" in transfers.column_names:
        col = pl.from_arrow(transfers.select(["ts"]))
        assert isinstance(col, pl.DataFrame)
        col = before(col, as_of)
        if col.height:
            lo = min(lo, int(col["ts"].min()))  # type: ignore[arg-type]
            hi = max(hi, int(col["ts"].max()))  # type: ignore[arg-type]
    if as_of is not None:
        hi = min(max(hi, lo), as_of)
    return lo, hi


__all__ = [
    "BEFORE_MS",
    "LARGE_FEN",
    "LINK_PATTERN",
    "NEW_PAYEE_WINDOWS_MS",
    "SHARE_FEATURES",
    "SHOP_KINDS",
    "TRAIL_FEATURES",
    "TRAIL_FLAGS",
    "VOLUME_FEATURES",
    "device_people",
    "first_reports",
    "new_payee_payments",
    "since_last",
    "texts_received",
    "trail_features",
    "until_next",
    "with_person",
]
