"""A world's tables as the detectors read them: one at a time, as a polars frame, its
needed columns checked, and cut at a time.

Shared by the detectors that read several tables each (`numbers`, `devicetrail` and the
`apps` and `urls` on it), so a missing table or column is named the same way everywhere;
and the one shape of their feature tables (`feature_table`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl
import pyarrow as pa

from fraudwall.errors import InputError


def frame(tables: Mapping[str, pa.Table], name: str, needed: Sequence[str]) -> pl.DataFrame | None:
    """Table `name` as a polars frame, None when the world has no such table; an
    `InputError` names a required column that is missing."""
    table = tables.get(name)
    if table is None:
        return None
    missing = [c for c in needed if c not in table.column_names]
    if missing:
        raise InputError(name, f"missing column(s) {', '.join(missing)}")
    df = pl.from_arrow(table)
    assert isinstance(df, pl.DataFrame)
    return df


def before(df: pl.DataFrame, as_of: int | None) -> pl.DataFrame:
    """The rows of `df` (with a `ts`) before `as_of` (all when None)."""
    return df if as_of is None else df.filter(pl.col("ts") < as_of)


def feature_table(out: pl.DataFrame, key: str, features: Sequence[str]) -> pa.Table:
    """A detector's feature table: `key`, then each of `features` as float64 in that
    order (null where `out` has no such column), sorted by `key`."""
    floats = [
        (pl.col(c) if c in out.columns else pl.lit(None)).cast(pl.Float64).alias(c)
        for c in features
    ]
    return out.select(pl.col(key), *floats).sort(key).to_arrow()


__all__ = ["before", "feature_table", "frame"]
