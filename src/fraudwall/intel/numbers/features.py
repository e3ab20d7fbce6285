"""One row of numeric features per number that called or texted anyone (key `number`).

The features come from three places, each its own module: how a number calls and texts
(`behaviour`), what it is and runs on (`lines`), and what victims' reports say about whom
it reached (`reported`); `FEATURES` lists them all. Everything is a group-by or join over
the contacts frame (`contacts`): no loop per number or per call, so the same steps can run
on a distributed dataframe engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Final

import polars as pl
import pyarrow as pa

from fraudwall.intel.numbers.behaviour import (
    activity,
    call_behaviour,
    incoming,
    text_behaviour,
    with_clock,
)
from fraudwall.intel.numbers.contacts import contacts as contacts_of
from fraudwall.intel.numbers.lines import device_use, phone_facts
from fraudwall.intel.numbers.reported import REPORT_FEATURES, report_features
from fraudwall.intel.tables import feature_table
from fraudwall.model import LOCAL_OFFSET_MS

KEY = "number"
#: The tables the features and the labels read.
TABLES: Final = ("calls", "sms", "phones", "devices", "reports", "truth")
#: Every feature, in order: a source without phones, devices, reports or links gets the
#: same columns (null), so one model scores data of any of these shapes.
FEATURES: Final = (
    # behaviour: calls and texts
    "contacts_log", "contacted_log", "contacted_per_contact", "contacts_per_active_hour",
    "hours_per_active_day", "active_day_share", "span_share", "night_share", "intl_share",
    "call_share", "in_per_out", "reached_by_per_reach", "reach_rank", "contacts_rank",
    "calls_out_log", "callees_log", "callees_per_call", "callee_fanout_day_max_log",
    "callee_fanout_day_mean", "calls_per_active_hour", "answered_share", "short_call_share",
    "answered_seconds_median_log", "spoofed_share", "call_back_share",
    "texts_out_log", "receivers_log", "receivers_per_text", "receiver_fanout_day_max_log",
    "reply_share", "link_share",
    # lines and devices
    "foreign", "no_telco", "no_owner", "owner_numbers", "service_line", "landline",
    "sim_age_days", "devices_used", "device_change_share", "numbers_on_device_max_log",
    "multi_sim_device_share", "not_owners_device_share",
    # victims' reports
    *REPORT_FEATURES,
)  # fmt: skip

Progress = Callable[[str, float], None]


def number_features(
    tables: Mapping[str, pa.Table],
    *,
    offset_ms: int = LOCAL_OFFSET_MS,
    known: Iterable[str] | None = None,
    progress: Progress | None = None,
) -> pa.Table:
    """Per calling or texting number: the features of the module doc, sorted by number.
    `offset_ms` is the local time's offset from UTC (night hours, days); `known` lists
    known fraud numbers (default: inferred from victims' reports, see `reported`)."""
    step = progress or (lambda _step, _fraction: None)
    step("contacts", 0.0)
    contacts = contacts_of(tables)
    clocked = with_clock(contacts, offset_ms)
    step("behaviour", 0.2)
    active = activity(clocked)
    out = (
        active.join(call_behaviour(clocked), on=KEY, how="left")
        .join(text_behaviour(clocked), on=KEY, how="left")
        .join(incoming(contacts), on=KEY, how="left")
        .with_columns(
            (pl.col("contacts_in").fill_null(0) / pl.col("contacts")).alias("in_per_out"),
            (pl.col("reached_by").fill_null(0) / pl.col("contacted")).alias("reached_by_per_reach"),
        )
        .drop("contacts_in", "reached_by")
    )
    step("lines and devices", 0.5)
    out = out.join(phone_facts(tables, active), on=KEY, how="left")
    out = out.join(device_use(tables, contacts), on=KEY, how="left")
    step("reports", 0.7)
    out = out.join(report_features(tables, contacts, known), on=KEY, how="left")
    out = out.with_columns(
        (pl.col("contacted").rank("average") / pl.len()).alias("reach_rank"),
        (pl.col("contacts").rank("average") / pl.len()).alias("contacts_rank"),
    )
    step("features", 1.0)
    return feature_table(out, KEY, FEATURES)
