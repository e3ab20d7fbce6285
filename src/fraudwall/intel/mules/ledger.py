"""The transfer history as the mule features read it: transfers, pairs of accounts, the
accounts seen, and the time scale of the ledger.

Everything downstream is relational (group-bys, joins, as-of joins) over these polars
frames, so the same steps could run on a distributed dataframe engine. Accounts are dense
integers within a ledger (`names` maps them back): grouping and joining on integers is
several times faster than on the ids' strings. Times stay int64 ms
and money int64 fen; features that compare accounts use shares, ranks and spans relative to
the ledger, so a ledger of day steps (AMLSim) reads like one of milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import polars as pl
import pyarrow as pa

from fraudwall.errors import InputError

DAY_MS: Final = 86_400_000
HOUR_MS: Final = 3_600_000
#: Share of the ledger's span that a pattern (a chain, a cycle, a scatter-gather) may take.
WINDOW_SHARE: Final = 0.25
TRANSFER_COLUMNS: Final = ("ts", "from_account", "to_account", "amount_fen")


@dataclass(frozen=True)
class Ledger:
    """Transfers (`src`, `dst`, `ts`, `amount`), their pairs, the accounts, the time scale."""

    transfers: pl.DataFrame  # src, dst, ts (ms), amount (fen), sorted by ts
    pairs: pl.DataFrame  # src != dst: n, amount, first, last (ms) per ordered pair
    accounts: pl.DataFrame  # account_id: every account of transfers or of the accounts table
    names: pl.DataFrame  # account_id (dense UInt32) -> name (the account's id in the world)
    start: int  # first transfer (ms)
    span: int  # last minus first transfer (ms), at least one day
    window: int  # how long one pattern may take (ms)
    clock: bool  # whether times carry a time of day (False for day-step ledgers)

    def encode(self, frame: pl.DataFrame, column: str = "account_id") -> pl.DataFrame:
        """`frame` with the world's account ids in `column` turned into the ledger's dense
        ones; rows naming an account the ledger does not know are dropped."""
        key = self.names.rename({"account_id": "_dense", "name": column})
        return (
            frame.with_columns(pl.col(column).cast(pl.String))
            .join(key, on=column, how="inner")
            .drop(column)
            .rename({"_dense": column})
        )

    def decode(self, frame: pl.DataFrame) -> pl.DataFrame:
        """`frame` with its dense `account_id` turned back into the world's ids."""
        return (
            frame.join(self.names, on="account_id", how="left")
            .drop("account_id")
            .rename({"name": "account_id"})
            .select("account_id", pl.exclude("account_id"))
        )


def frame(tables: Mapping[str, pa.Table], name: str) -> pl.DataFrame | None:
    """A table of the world as a polars frame, or None when the world has none."""
    table = tables.get(name)
    return None if table is None else pl.from_arrow(table)  # type: ignore[return-value]


def ledger_of(tables: Mapping[str, pa.Table], *, window_ms: int | None = None) -> Ledger:
    """The ledger of `tables["transfers"]` (and the ids of `tables["accounts"]`); an
    `InputError` names a missing table or column."""
    if "transfers" not in tables:
        raise InputError("transfers", "the world has no transfers table")
    raw = tables["transfers"]
    for column in TRANSFER_COLUMNS:
        if column not in raw.column_names:
            raise InputError(f"transfers.{column}", "missing column")
    t = pl.from_arrow(raw.select(list(TRANSFER_COLUMNS)))
    assert isinstance(t, pl.DataFrame)
    t = t.select(
        pl.col("from_account").cast(pl.String),
        pl.col("to_account").cast(pl.String),
        ts=pl.col("ts").cast(pl.Int64),
        amount=pl.col("amount_fen").cast(pl.Int64),
    ).drop_nulls()
    ids = [t.select(name="from_account"), t.select(name="to_account")]
    accounts = frame(tables, "accounts")
    if accounts is not None and "account_id" in accounts.columns:
        ids.append(accounts.select(name=pl.col("account_id").cast(pl.String)))
    names = (
        pl.concat(ids)
        .drop_nulls()
        .unique()
        .sort("name")
        .with_row_index("account_id")
        .with_columns(pl.col("account_id").cast(pl.UInt32))
    )
    src = names.rename({"account_id": "src", "name": "from_account"})
    dst = names.rename({"account_id": "dst", "name": "to_account"})
    transfers = (
        t.join(src, on="from_account")
        .join(dst, on="to_account")
        .select("src", "dst", "ts", "amount")
        .sort("ts")
    )
    pairs = (
        transfers.filter(pl.col("src") != pl.col("dst"))
        .group_by("src", "dst")
        .agg(
            n=pl.len(),
            amount=pl.col("amount").sum(),
            first=pl.col("ts").min(),
            last=pl.col("ts").max(),
        )
    )
    if transfers.height:
        start = int(transfers["ts"].min())  # type: ignore[arg-type]
        end = int(transfers["ts"].max())  # type: ignore[arg-type]
        times_of_day = transfers.select((pl.col("ts") % DAY_MS).n_unique()).item()
    else:
        start = end = 0
        times_of_day = 0
    span = max(end - start, DAY_MS)
    window = window_ms if window_ms is not None else max(DAY_MS, int(span * WINDOW_SHARE))
    return Ledger(
        transfers, pairs, names.select("account_id"), names, start, span, window,
        clock=times_of_day > 1,
    )  # fmt: skip
