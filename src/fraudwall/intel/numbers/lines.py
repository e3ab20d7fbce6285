"""What a number is and what it runs on: SIM age, owner, country, devices and SIM boxes.

Bought SIMs (两卡) are fresh, held by someone with many numbers, and sit many to a device
(a GOIP SIM box) or hop between devices; lines from abroad have no domestic telco. These
come from the phones and devices tables when the source has them (every figure is null
when it does not) and from the devices named in the calls and texts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import polars as pl
import pyarrow as pa

from fraudwall.intel.tables import frame
from fraudwall.model import DAY_MS

#: Device kinds that hold many SIMs at once (a SIM box) as the devices table names them.
MULTI_SIM_KINDS: Final = ("goip",)


def phone_facts(tables: Mapping[str, pa.Table], active: pl.DataFrame) -> pl.DataFrame:
    """Per number in `active` (number, first_ts): SIM age at its first contact, whether it is
    foreign (not of the country most numbers are of), has no domestic telco or no owner,
    its line kind, and how many numbers its owner holds."""
    phones = frame(tables, "phones", ("number",))
    if phones is None:
        return active.select("number")
    cols = phones.columns
    home = (
        phones["country_code"].drop_nulls().mode().sort().head(1).to_list()
        if "country_code" in cols
        else []
    )
    facts = [pl.col("number").cast(pl.String)]
    if "country_code" in cols:
        facts.append(
            (pl.col("country_code").cast(pl.String) != (str(home[0]) if home else ""))
            .cast(pl.Float64)
            .alias("foreign")
        )
    if "telco_id" in cols:
        facts.append(pl.col("telco_id").is_null().cast(pl.Float64).alias("no_telco"))
    if "owner_person_id" in cols:
        facts.append(pl.col("owner_person_id").is_null().cast(pl.Float64).alias("no_owner"))
        held = pl.len().over("owner_person_id")
        facts.append(
            pl.when(pl.col("owner_person_id").is_null())
            .then(None)
            .otherwise(held)
            .cast(pl.Float64)
            .alias("owner_numbers")
        )
    if "line_kind" in cols:
        facts += [
            (pl.col("line_kind") == "service").cast(pl.Float64).alias("service_line"),
            (pl.col("line_kind") == "landline").cast(pl.Float64).alias("landline"),
        ]
    if "activated_ts" in cols:
        facts.append(pl.col("activated_ts").cast(pl.Int64).alias("activated_ts"))
    table = phones.select(facts).unique("number", keep="first")
    out = active.select("number", "first_ts").join(table, on="number", how="left")
    if "activated_ts" in out.columns:
        age = (pl.col("first_ts") - pl.col("activated_ts")) / DAY_MS
        out = out.with_columns(age.clip(lower_bound=0.0).alias("sim_age_days")).drop("activated_ts")
    return out.drop("first_ts")


def device_use(tables: Mapping[str, pa.Table], contacts: pl.DataFrame) -> pl.DataFrame:
    """Per number: the devices it calls and texts from, how often it changes device, the most
    numbers sharing one of its devices (a SIM box), and, from the devices table, the share
    of its contacts made from a multi-SIM device or from a device its owner does not own."""
    used = contacts.filter(pl.col("device").is_not_null()).select("number", "ts", "device")
    changes = (
        used.sort("number", "ts")
        .with_columns(
            (
                (pl.col("device") != pl.col("device").shift(1).over("number"))
                .fill_null(False)
                .cast(pl.Int64)
            ).alias("changed")
        )
        .group_by("number")
        .agg(
            pl.col("device").n_unique().alias("devices_used"),
            _share_of_steps(pl.col("changed").sum(), pl.len()).alias("device_change_share"),
        )
    )
    sharing = used.group_by("device").agg(pl.col("number").n_unique().alias("sharing"))
    per_device = (
        used.select("number", "device")
        .unique()
        .join(sharing, on="device", how="left")
        .group_by("number")
        .agg(pl.col("sharing").max().alias("numbers_on_device_max"))
    )
    out = (
        changes.join(per_device, on="number", how="left")
        .with_columns(
            (pl.col("numbers_on_device_max").cast(pl.Float64) + 1.0)
            .log()
            .alias("numbers_on_device_max_log")
        )
        .drop("numbers_on_device_max")
    )
    return out.join(_device_kinds(tables, contacts), on="number", how="left")


def _share_of_steps(changes: pl.Expr, n: pl.Expr) -> pl.Expr:
    return pl.when(n > 1).then(changes.cast(pl.Float64) / (n - 1).cast(pl.Float64)).otherwise(0.0)


def _device_kinds(tables: Mapping[str, pa.Table], contacts: pl.DataFrame) -> pl.DataFrame:
    devices = frame(tables, "devices", ("device_id",))
    phones = frame(tables, "phones", ("number",))
    if devices is None:
        return contacts.select("number").unique()
    cols = [pl.col("device_id").cast(pl.String).alias("device")]
    if "kind" in devices.columns:
        cols.append(pl.col("kind").is_in(MULTI_SIM_KINDS).alias("multi_sim"))
    if "owner_person_id" in devices.columns:
        cols.append(pl.col("owner_person_id").cast(pl.String).alias("device_owner"))
    dev = devices.select(cols).unique("device", keep="first")
    joined = contacts.filter(pl.col("device").is_not_null()).join(dev, on="device", how="left")
    aggs = []
    if "multi_sim" in joined.columns:
        aggs.append(pl.col("multi_sim").fill_null(False).mean().alias("multi_sim_device_share"))
    if (
        "device_owner" in joined.columns
        and phones is not None
        and "owner_person_id" in phones.columns
    ):
        owners = phones.select(
            pl.col("number").cast(pl.String), pl.col("owner_person_id").cast(pl.String)
        ).unique("number", keep="first")
        joined = joined.join(owners, on="number", how="left")
        foreign_device = pl.col("device_owner").is_null() | (
            pl.col("device_owner") != pl.col("owner_person_id")
        ).fill_null(True)
        aggs.append(foreign_device.mean().alias("not_owners_device_share"))
    if not aggs:
        return contacts.select("number").unique()
    return joined.group_by("number").agg(aggs)
