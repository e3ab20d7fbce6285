"""SQL tables from the domain types: the same one definition gives the database its columns.

`sql_table(Order, metadata)` is a SQLAlchemy Core table whose columns follow the type's
Arrow schema (int64 → BIGINT, string and enum → TEXT, float → FLOAT, bool → BOOLEAN,
list of strings → JSON), with the type's key as primary key. Works on SQLite (the embedded
default) and PostgreSQL alike.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from fraudwall.model.schema import arrow_schema, from_dict, to_dict
from fraudwall.model.types import Record


def _column_type(t: pa.DataType) -> Any:
    if pa.types.is_int64(t):
        return sa.BigInteger()
    if pa.types.is_float64(t):
        return sa.Float()
    if pa.types.is_boolean(t):
        return sa.Boolean()
    if pa.types.is_string(t):
        return sa.Text()
    if pa.types.is_list(t):
        return sa.JSON()
    raise TypeError(f"no SQL column type for Arrow type {t}")


def sql_table(cls: type[Record], metadata: sa.MetaData, name: str | None = None) -> sa.Table:
    """The SQL table of `cls` (named after its `table` unless `name` is given)."""
    columns = [
        sa.Column(
            f.name,
            _column_type(f.type),
            primary_key=f.name == cls.key,
            nullable=f.nullable and f.name != cls.key,
        )
        for f in arrow_schema(cls)
    ]
    return sa.Table(name or cls.table, metadata, *columns)


def row_of(record: Record) -> dict[str, Any]:
    """A record as a row to insert (enums as their values, lists as lists)."""
    return to_dict(record)


def record_of(cls: type[Record], row: Any) -> Any:
    """A database row (a SQLAlchemy Row or a mapping) back as a validated `cls` record."""
    mapping = row._mapping if hasattr(row, "_mapping") else row
    # column names arrive as SQLAlchemy's str subclass, which msgspec does not take as str
    return from_dict(cls, {str(k): v for k, v in mapping.items()})


__all__ = ["record_of", "row_of", "sql_table"]
