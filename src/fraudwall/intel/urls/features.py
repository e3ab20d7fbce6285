"""`domain_features`: one row of numeric features per visited domain, from the history.

A domain is the one registered (``m.jd.com`` and ``jd.com`` are ``jd.com``: see
`brands.registered_domain`); its features come in three families:

- its name (`lookalike`): a look-alike of a trusted brand's, homoglyphs, punycode,
  digits and hyphens, an abused top-level domain;
- its visitors (`devicetrail`): payments to new payees within hours of the visit,
  reports to the police later, a text with a link just before; when it was first seen
  (a new domain), for how long;
- the texts that carry it: whether any text links to it, how widely the numbers sending
  those texts text (a blast sender reaches thousands of strangers), how many of the
  people those texts reached reported a fraud afterwards, and how many of its visitors
  had a text linking to it in the day before.

Volumes (how many visits, visitors, texts) are in the table for the analyst and left
out of the model (`MODEL_FEATURES`, see `devicetrail.VOLUME_FEATURES`). Ground truth is
never read here; reports only up to `as_of`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

import polars as pl
import pyarrow as pa

from fraudwall.errors import InputError
from fraudwall.intel.brands import registered_domain
from fraudwall.intel.devicetrail import (
    BEFORE_MS,
    LINK_PATTERN,
    SHARE_FEATURES,
    TRAIL_FEATURES,
    VOLUME_FEATURES,
    device_people,
    first_reports,
    since_last,
    texts_received,
    trail_features,
    with_person,
)
from fraudwall.intel.tables import before, feature_table, frame
from fraudwall.intel.urls.lookalike import LOOKALIKE_FEATURES, lookalike_features

KEY: Final = "domain"
#: The tables the features and the labels read.
TABLES: Final = (
    "url_visits", "devices", "transfers", "accounts", "sms", "phones", "reports", "truth",
)  # fmt: skip
VISIT_COLUMNS: Final = ("device_id", "ts", "url")
TEXT_FEATURES: Final = (
    "mentioned", "mention_texts_log", "mention_sender_fanout_log", "mention_later_reported_share",
    "visit_after_text_share",
)  # fmt: skip
FEATURES: Final = (*LOOKALIKE_FEATURES, *TRAIL_FEATURES, *TEXT_FEATURES)
#: What the model reads: every feature but the volumes, the shares (it reads their
#: lifts) and the distance to the nearest brand: most honest sites are far from every
#: brand, so being far from one is no mark of fraud (being one or two edits from one,
#: a homoglyph of one, or wearing one inside the name is, and those it reads).
MODEL_FEATURES: Final = tuple(
    f
    for f in FEATURES
    if f not in (*VOLUME_FEATURES, *SHARE_FEATURES, "mention_texts_log", "brand_edits",
                 "brand_distance")
)  # fmt: skip
_HOST: Final = r"^(?:[A-Za-z][A-Za-z0-9+.-]*://)?(?:[^@/?#]*@)?([^/?#:\s]+)"

Progress = Callable[[str, float], None]


def with_domain(frame_: pl.DataFrame, column: str) -> pl.DataFrame:
    """`frame_` with `domain`: the registered domain of the link or host in `column`
    (null where there is none)."""
    hosts = frame_.select(
        pl.col(column)
        .cast(pl.String)
        .str.extract(_HOST, 1)
        .str.to_lowercase()
        .str.strip_chars(".")
        .alias("_host")
    ).to_series()
    distinct = hosts.drop_nulls().unique().to_list()
    mapping = pl.DataFrame(
        {"_host": distinct, KEY: [_registered(h) for h in distinct]},
        schema={"_host": pl.String, KEY: pl.String},
    )
    return frame_.with_columns(hosts).join(mapping, on="_host", how="left").drop("_host")


def _registered(host: str) -> str | None:
    return registered_domain(host) if "." in host.strip(".") else None


def visits_of(tables: Mapping[str, pa.Table], as_of: int | None = None) -> pl.DataFrame:
    """The visits before `as_of` (device_id, ts, url, domain); an `InputError` names a
    missing table or column."""
    visits = frame(tables, "url_visits", VISIT_COLUMNS)
    if visits is None:
        raise InputError("url_visits", "the world has no url_visits table")
    visits = before(visits, as_of)
    bad = visits.filter(pl.col("url").is_null() | pl.col("device_id").is_null()
                        | pl.col("ts").is_null())  # fmt: skip
    if bad.height:
        raise InputError("url_visits", f"{bad.height:,} visits without a link, device or time")
    visits = visits.select(
        pl.col("device_id").cast(pl.String), pl.col("ts").cast(pl.Int64),
        pl.col("url").cast(pl.String),
    )  # fmt: skip
    return with_domain(visits, "url").drop_nulls(KEY)


def text_links(tables: Mapping[str, pa.Table], as_of: int | None) -> pl.DataFrame:
    """Every link in a text received before `as_of`: person_id (the receiver), ts,
    sender, domain."""
    texts = texts_received(tables, as_of).drop_nulls("text")
    links = (
        texts.with_columns(pl.col("text").str.extract_all(LINK_PATTERN).alias("link"))
        .drop("text")
        .explode("link")
        .drop_nulls("link")
    )
    return with_domain(links, "link").drop("link").drop_nulls(KEY).unique()


def text_features(
    visits: pl.DataFrame, tables: Mapping[str, pa.Table], as_of: int | None
) -> pl.DataFrame:
    """Per visited domain: `TEXT_FEATURES` (see the module doc)."""
    domains = visits.select(KEY).unique()
    links = text_links(tables, as_of).join(domains, on=KEY, how="semi")
    sms = frame(tables, "sms", ("sender", "receiver", "ts"))
    fanout = (
        before(sms, as_of)
        .group_by(pl.col("sender").cast(pl.String))
        .agg(pl.col("receiver").n_unique().alias("fanout"))
        if sms is not None
        else pl.DataFrame(schema={"sender": pl.String, "fanout": pl.UInt32})
    )
    reports = first_reports(tables, as_of)
    per_text = links.join(fanout, on="sender", how="left").join(reports, on="person_id", how="left")
    later = pl.col("report_ts").is_not_null() & (pl.col("report_ts") > pl.col("ts"))
    mentions = per_text.group_by(KEY).agg(
        pl.len().alias("texts"),
        (pl.col("fanout").cast(pl.Float64) + 1.0).log().median().alias("mention_sender_fanout_log"),
        later.mean().alias("mention_later_reported_share"),
    )
    # visitors who had a text linking to the domain in the day before their first visit
    first = (
        with_person(visits, device_people(tables))
        .group_by(KEY, "person_id")
        .agg(pl.col("ts").min())
    )
    linked = since_last(
        first.with_columns((pl.col(KEY) + "|" + pl.col("person_id")).alias("_by")),
        links.select((pl.col(KEY) + "|" + pl.col("person_id")).alias("_by"), "ts"),
        "_by",
        "text_before",
    )
    after_text = linked.group_by(KEY).agg(
        (pl.col("text_before").is_not_null() & (pl.col("text_before") <= BEFORE_MS))
        .mean()
        .alias("visit_after_text_share")
    )
    return (
        domains.join(mentions, on=KEY, how="left")
        .join(after_text, on=KEY, how="left")
        .with_columns(
            pl.col("texts").is_not_null().cast(pl.Float64).alias("mentioned"),
            (pl.col("texts").fill_null(0).cast(pl.Float64) + 1.0).log().alias("mention_texts_log"),
        )
        .select(KEY, *(pl.col(c).cast(pl.Float64) for c in TEXT_FEATURES))
    )


def domain_features(
    tables: Mapping[str, pa.Table],
    *,
    as_of: int | None = None,
    progress: Progress | None = None,
) -> pa.Table:
    """One row per domain visited before `as_of`: the key `domain` and float64
    `FEATURES` (see the module doc), sorted by domain."""
    step = progress or (lambda _step, _fraction: None)
    step("visits", 0.0)
    visits = visits_of(tables, as_of)
    out = lookalike_features(visits[KEY].unique().to_list())
    step("visitors", 0.2)
    trail = trail_features(visits.select(KEY, "device_id", "ts"), tables, key=KEY, as_of=as_of)
    out = out.join(trail, on=KEY, how="left")
    step("texts", 0.6)
    out = out.join(text_features(visits, tables, as_of), on=KEY, how="left")
    step("features", 1.0)
    return feature_table(out, KEY, FEATURES)


__all__ = [
    "FEATURES",
    "KEY",
    "MODEL_FEATURES",
    "TABLES",
    "TEXT_FEATURES",
    "domain_features",
    "text_features",
    "text_links",
    "visits_of",
    "with_domain",
]
