"""Calls and SMS as one frame of contacts: who reached whom, when, how.

Every number feature is a group-by over this frame (or a join of it with itself), so
calls and texts are read, checked and normalised once, here. A contact is one row:
`number` (the caller or sender), `other` (the callee or receiver), `ts`, `is_call`,
`duration_ms` (calls only; 0 = not answered), `intl` (through the international gateway),
`spoofed` (calls only: the caller ID shown is not the number calling), `device`, and
`link` (texts only, when the SMS table carries a link or URL column: the text has one).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import polars as pl
import pyarrow as pa

from fraudwall.errors import InputError
from fraudwall.intel.tables import frame

CALL_COLUMNS: Final = ("caller", "callee", "ts", "duration_ms", "gateway")
SMS_COLUMNS: Final = ("sender", "receiver", "ts", "gateway")
#: A column of the SMS table that holds the link a text carries, if the source has one.
LINK_COLUMNS: Final = ("url", "link")
INTERNATIONAL: Final = "international"

CONTACT_SCHEMA: Final = {
    "number": pl.String,
    "other": pl.String,
    "ts": pl.Int64,
    "is_call": pl.Boolean,
    "duration_ms": pl.Int64,
    "intl": pl.Boolean,
    "spoofed": pl.Boolean,
    "device": pl.String,
    "link": pl.Boolean,
}


def contacts(tables: Mapping[str, pa.Table]) -> pl.DataFrame:
    """All calls and texts as contacts (see the module doc), in time order."""
    parts = [p for p in (_calls(tables), _texts(tables)) if p is not None]
    if not parts:
        raise InputError("calls", "the world has neither a calls nor an sms table")
    out = pl.concat(parts, how="vertical").sort("ts", "number", maintain_order=True)
    bad = out.filter(
        pl.col("number").is_null() | pl.col("other").is_null() | pl.col("ts").is_null()
    )
    if bad.height:
        raise InputError("calls/sms", f"{bad.height:,} contacts without a caller, callee or time")
    return out


def _calls(tables: Mapping[str, pa.Table]) -> pl.DataFrame | None:
    df = frame(tables, "calls", CALL_COLUMNS)
    if df is None:
        return None
    presented = (
        pl.col("presented_number").is_not_null() & (pl.col("presented_number") != pl.col("caller"))
        if "presented_number" in df.columns
        else pl.lit(None, pl.Boolean)
    )
    device = pl.col("caller_device") if "caller_device" in df.columns else pl.lit(None)
    return df.select(
        pl.col("caller").cast(pl.String).alias("number"),
        pl.col("callee").cast(pl.String).alias("other"),
        pl.col("ts").cast(pl.Int64),
        pl.lit(True).alias("is_call"),
        pl.col("duration_ms").cast(pl.Int64),
        (pl.col("gateway") == INTERNATIONAL).alias("intl"),
        presented.alias("spoofed"),
        device.cast(pl.String).alias("device"),
        pl.lit(None, pl.Boolean).alias("link"),
    ).cast(CONTACT_SCHEMA)  # type: ignore[arg-type]


def _texts(tables: Mapping[str, pa.Table]) -> pl.DataFrame | None:
    df = frame(tables, "sms", SMS_COLUMNS)
    if df is None:
        return None
    link_col = next((c for c in LINK_COLUMNS if c in df.columns), None)
    link = (
        (pl.col(link_col).is_not_null() & (pl.col(link_col).cast(pl.String) != ""))
        if link_col is not None
        else pl.lit(None, pl.Boolean)
    )
    device = pl.col("sender_device") if "sender_device" in df.columns else pl.lit(None)
    return df.select(
        pl.col("sender").cast(pl.String).alias("number"),
        pl.col("receiver").cast(pl.String).alias("other"),
        pl.col("ts").cast(pl.Int64),
        pl.lit(False).alias("is_call"),
        pl.lit(None, pl.Int64).alias("duration_ms"),
        (pl.col("gateway") == INTERNATIONAL).alias("intl"),
        pl.lit(None, pl.Boolean).alias("spoofed"),
        device.cast(pl.String).alias("device"),
        link.alias("link"),
    ).cast(CONTACT_SCHEMA)  # type: ignore[arg-type]
