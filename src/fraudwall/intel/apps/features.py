"""`app_features`: one row of numeric features per installed app, from the history alone.

Four families, each a group-by or a join over the installs (`app_installs`: device_id,
app_id, ts; app_name and permissions when the source has them):

- what it asks for (`permissions`): dangerous permissions, screen capture, accessibility,
  reading texts, drawing over other apps, ...;
- what it calls itself (`brands`): how close its name comes to a bank's, a payment
  service's, a government service's or a large platform's, and whether it *is* one;
  words of officialdom (中心, 安全, 认证, ...) and of easy money (兼职, 返利, 贷, ...);
- who installed it and what followed (`devicetrail`): payments to new payees within
  hours, reports to the police later, a text with a link or a site visit just before;
  how many installed it, since when;
- how it was pushed: installers who had received, in the week before, a text naming
  the app.

Ground truth is never read here; reports only up to `as_of`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

import numpy as np
import polars as pl
import pyarrow as pa

from fraudwall.errors import InputError
from fraudwall.intel.apps.permissions import PERMISSION_FEATURES, permission_features
from fraudwall.intel.brands import name_closeness
from fraudwall.intel.devicetrail import (
    SHARE_FEATURES,
    TRAIL_FEATURES,
    VOLUME_FEATURES,
    device_people,
    texts_received,
    trail_features,
    with_person,
)
from fraudwall.intel.tables import before, feature_table, frame
from fraudwall.model import DAY_MS

KEY: Final = "app_id"
#: The tables the features and the labels read.
TABLES: Final = (
    "app_installs", "devices", "transfers", "accounts", "sms", "phones", "url_visits",
    "reports", "truth",
)  # fmt: skip
INSTALL_COLUMNS: Final = ("device_id", "app_id", "ts")
#: A text naming the app this long before its install may be what pushed it.
NAMED_BEFORE_MS: Final = 7 * DAY_MS
#: Words an app uses to sound official, and words of easy money and urgent help: common
#: in the names of fraud apps that police and the MIIT publish (App专项治理).
OFFICIAL_WORDS: Final = (
    "国家", "中央", "公安", "警", "检察", "法院", "政务", "中心", "官方", "安全", "防护",
    "认证", "清算", "监管", "征信", "医保", "社保", "税务", "客服", "服务", "助手", "理赔",
    "退款", "退费", "补贴", "控件",
)  # fmt: skip
MONEY_WORDS: Final = (
    "赚", "兼职", "任务", "佣金", "返利", "刷单", "点赞", "理财", "投资", "财富", "基金",
    "股", "量化", "交易", "资产", "贷", "借", "钱包", "分期", "花", "红包", "彩", "娱乐",
    "代充", "皮肤", "原始", "VIP", "优惠", "特价", "折扣",
)  # fmt: skip
NAME_FEATURES: Final = (
    "name_brand_ratio", "name_brand_partial", "name_is_brand", "name_lookalike",
    "name_official_words", "name_money_words", "name_length",
)  # fmt: skip
FEATURES: Final = (
    *PERMISSION_FEATURES,
    *NAME_FEATURES,
    *TRAIL_FEATURES,
    "named_text_before_share",
)

#: What the model reads: every feature but the volumes and the shares (`devicetrail`:
#: it reads their lifts).
MODEL_FEATURES: Final = tuple(f for f in FEATURES if f not in (*VOLUME_FEATURES, *SHARE_FEATURES))

Progress = Callable[[str, float], None]


def installs_of(tables: Mapping[str, pa.Table], as_of: int | None = None) -> pl.DataFrame:
    """The installs before `as_of` (key, device_id, ts, app_name, permissions as a list);
    an `InputError` names a missing table or column."""
    installs = frame(tables, "app_installs", INSTALL_COLUMNS)
    if installs is None:
        raise InputError("app_installs", "the world has no app_installs table")
    installs = before(installs, as_of)
    bad = installs.filter(pl.col("app_id").is_null() | pl.col("device_id").is_null()
                          | pl.col("ts").is_null())  # fmt: skip
    if bad.height:
        raise InputError("app_installs", f"{bad.height:,} installs without an app, device or time")
    name = pl.col("app_name").cast(pl.String) if "app_name" in installs.columns else pl.lit(None)
    perms = pl.lit(None, pl.List(pl.String))
    if "permissions" in installs.columns:
        dtype = installs.schema["permissions"]
        perms = (
            pl.col("permissions").cast(pl.String).str.split(";")
            if dtype == pl.String
            else pl.col("permissions").cast(pl.List(pl.String))
        )
    return installs.select(
        pl.col("app_id").cast(pl.String),
        pl.col("device_id").cast(pl.String),
        pl.col("ts").cast(pl.Int64),
        name.cast(pl.String).alias("app_name"),
        perms.alias("permissions"),
    )


def name_features(names: pl.DataFrame) -> pl.DataFrame:
    """Per app (app_id, app_name): `NAME_FEATURES` — closeness to a trusted brand's name
    (`brands.name_closeness`), a lookalike (close to one, but none of them), words of
    officialdom and of easy money, the name's length. Null where the name is unknown."""
    named = names.filter(pl.col("app_name").is_not_null() & (pl.col("app_name") != ""))
    close = name_closeness(named["app_name"].to_list())
    ratio, partial, exact = close[:, 0], close[:, 1], close[:, 2]
    lookalike = np.where((exact == 0) & (np.maximum(ratio, partial) >= 0.6), 1.0, 0.0)
    words = pl.col("app_name").str.to_uppercase()
    scored = named.with_columns(
        pl.Series("name_brand_ratio", ratio, pl.Float64),
        pl.Series("name_brand_partial", partial, pl.Float64),
        pl.Series("name_is_brand", exact, pl.Float64),
        pl.Series("name_lookalike", lookalike, pl.Float64),
        pl.sum_horizontal(*(words.str.contains(w, literal=True).cast(pl.Int32)
                            for w in OFFICIAL_WORDS)).alias("name_official_words"),
        pl.sum_horizontal(*(words.str.contains(w, literal=True).cast(pl.Int32)
                            for w in MONEY_WORDS)).alias("name_money_words"),
        pl.col("app_name").str.len_chars().alias("name_length"),
    )  # fmt: skip
    return names.select(KEY).join(scored.drop("app_name"), on=KEY, how="left")


def named_before(
    installs: pl.DataFrame, tables: Mapping[str, pa.Table], as_of: int | None
) -> pl.DataFrame:
    """Per app: the share of its installers who had received, in the week before they
    installed it, a text naming it (`named_text_before_share`)."""
    met = with_person(
        installs.filter(
            pl.col("app_name").is_not_null() & (pl.col("app_name").str.len_chars() >= 2)
        ),
        device_people(tables),
    )
    met = met.group_by(KEY, "person_id").agg(pl.col("ts").min(), pl.col("app_name").first())
    texts = texts_received(tables, as_of).drop_nulls("text").rename({"ts": "text_ts"})
    hits = (
        met.join(texts.select("person_id", "text_ts", "text"), on="person_id", how="inner")
        .filter(
            (pl.col("text_ts") <= pl.col("ts"))
            & (pl.col("ts") - pl.col("text_ts") <= NAMED_BEFORE_MS)
            & pl.col("text").str.contains(pl.col("app_name"), literal=True)
        )
        .select(KEY, "person_id")
        .unique()
        .with_columns(pl.lit(True).alias("named"))
    )
    return (
        met.join(hits, on=[KEY, "person_id"], how="left")
        .group_by(KEY)
        .agg(pl.col("named").fill_null(False).mean().alias("named_text_before_share"))
    )


def app_features(
    tables: Mapping[str, pa.Table],
    *,
    as_of: int | None = None,
    progress: Progress | None = None,
) -> pa.Table:
    """One row per app installed before `as_of`: the key `app_id` and float64 `FEATURES`
    (see the module doc), sorted by app."""
    step = progress or (lambda _step, _fraction: None)
    step("installs", 0.0)
    installs = installs_of(tables, as_of)
    names = installs.group_by(KEY).agg(pl.col("app_name").drop_nulls().mode().first())
    step("permissions and names", 0.1)
    out = names.select(KEY)
    out = out.join(permission_features(installs), on=KEY, how="left")
    out = out.join(name_features(names), on=KEY, how="left")
    step("installers", 0.3)
    trail = trail_features(installs.select(KEY, "device_id", "ts"), tables, key=KEY, as_of=as_of)
    out = out.join(trail, on=KEY, how="left")
    step("texts before installs", 0.8)
    out = out.join(named_before(installs, tables, as_of), on=KEY, how="left")
    step("features", 1.0)
    return feature_table(out, KEY, FEATURES)


__all__ = [
    "FEATURES",
    "KEY",
    "MODEL_FEATURES",
    "MONEY_WORDS",
    "OFFICIAL_WORDS",
    "TABLES",
    "app_features",
    "installs_of",
    "name_features",
    "named_before",
]
