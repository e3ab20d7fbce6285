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

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

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
    pairs: pl.DataFrame  # src != dst: n, amount, first, last (ms) per ordered pair, by src, dst
    pairs_in: pl.DataFrame  # the same, by dst, src (both orders let joins and group-bys on
    # an account read consecutive rows)
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


def pack(a: str, b: str) -> pl.Expr:
    """Two dense account ids (or other UInt32) as one UInt64 key: grouping and joining on
    one integer is several times faster than on two columns (which polars row-encodes)."""
    return pl.col(a).cast(pl.UInt64) * (1 << 32) + pl.col(b).cast(pl.UInt64)


def unpack(key: str, a: str, b: str) -> tuple[pl.Expr, pl.Expr]:
    """The two UInt32 columns of a `pack`ed key."""
    return (
        (pl.col(key) // (1 << 32)).cast(pl.UInt32).alias(a),
        (pl.col(key) % (1 << 32)).cast(pl.UInt32).alias(b),
    )


def frame(tables: Mapping[str, pa.Table], name: str) -> pl.DataFrame | None:
    """A table of the world as a polars frame, or None when the world has none."""
    table = tables.get(name)
    return None if table is None else pl.from_arrow(table)  # type: ignore[return-value]


def _account_ids(accounts: pl.DataFrame | None) -> pa.ChunkedArray | None:
    if accounts is None or "account_id" not in accounts.columns:
        return None
    return pa.chunked_array([accounts["account_id"].cast(pl.String).drop_nulls().to_arrow()])


def _dense_ids(
    ends: list[pa.ChunkedArray], more: pa.ChunkedArray | None
) -> tuple[pl.DataFrame, list[pl.Series]]:
    """The names (account_id: dense UInt32 in the order of the ids, name) of every id in
    `ends` and `more`, and each of `ends` as dense ids: one hash pass over the ids (Arrow's
    dictionary encoding), one sort of the distinct ones, no join on strings."""
    every = [c.cast(pa.large_string()) for c in (*ends, *([more] if more is not None else []))]
    lengths = [len(c) for c in every]
    encoded = pc.dictionary_encode(
        pa.chunked_array([chunk for c in every for chunk in c.chunks], pa.large_string())
    ).unify_dictionaries()  # one dictionary for all chunks
    indices = np.concatenate(
        [chunk.indices.to_numpy() for chunk in encoded.chunks] or [np.empty(0, np.int32)]
    )
    empty = pa.array([], pa.large_string())
    dictionary = encoded.chunks[0].dictionary if encoded.num_chunks else empty
    order = pc.array_sort_indices(dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.uint32)
    rank[order] = np.arange(len(order), dtype=np.uint32)
    codes = rank[indices]
    names = pl.DataFrame(
        {
            "account_id": pl.Series(np.arange(len(order), dtype=np.uint32)),
            "name": pl.Series(dictionary.take(pa.array(order)), dtype=pl.String),
        }
    )
    bounds = np.cumsum([0, *lengths])  # where each of `every` lies in `codes`
    return names, [pl.Series(codes[bounds[i] : bounds[i + 1]]) for i in range(len(ends))]


def ledger_of(tables: Mapping[str, pa.Table], *, window_ms: int | None = None) -> Ledger:
    """The ledger of `tables["transfers"]` (and the ids of `tables["accounts"]`); an
    `InputError` names a missing table or column."""
    if "transfers" not in tables:
        raise InputError("transfers", "the world has no transfers table")
    raw = tables["transfers"]
    for column in TRANSFER_COLUMNS:
        if column not in raw.column_names:
            raise InputError(f"transfers.{column}", "missing column")
    raw = raw.select(list(TRANSFER_COLUMNS)).drop_null()
    names, (src, dst) = _dense_ids(
        [raw["from_account"], raw["to_account"]], _account_ids(frame(tables, "accounts"))
    )
    transfers = pl.DataFrame(
        {
            "src": src,
            "dst": dst,
            "ts": pl.Series(raw["ts"]).cast(pl.Int64),
            "amount": pl.Series(raw["amount_fen"]).cast(pl.Int64),
        }
    ).sort("ts")
    pairs = (
        transfers.filter(pl.col("src") != pl.col("dst"))
        .select(pair=pack("src", "dst"), amount="amount", ts="ts")
        .sort("pair")  # then the group-by reads consecutive rows
        .group_by("pair", maintain_order=True)
        .agg(
            n=pl.len(),
            amount=pl.col("amount").sum(),
            first=pl.col("ts").min(),
            last=pl.col("ts").max(),
        )
        .select(*unpack("pair", "src", "dst"), "n", "amount", "first", "last")
        .with_columns(pl.col("src").set_sorted())
    )
    pairs_in = pairs.sort(pack("dst", "src")).with_columns(pl.col("dst").set_sorted())
    if transfers.height:
        start = int(transfers["ts"].min())  # type: ignore[arg-type]
        end = int(transfers["ts"].max())  # type: ignore[arg-type]
        of_day = pl.col("ts") % DAY_MS  # more than one time of day: not day steps
        clock = bool(transfers.select(of_day.max() != of_day.min()).item())
    else:
        start = end = 0
        clock = False
    span = max(end - start, DAY_MS)
    window = window_ms if window_ms is not None else max(DAY_MS, int(span * WINDOW_SHARE))
    return Ledger(
        transfers, pairs, pairs_in, names.select("account_id"), names, start, span, window,
        clock=clock,
    )  # fmt: skip
