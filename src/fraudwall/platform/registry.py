"""What the service knows of the world's institutions, accounts and phone numbers.

Scoping reads it: an account belongs to the institution that holds it, a number to its
telco. The demo loads a simulated world's; institutions send their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from fraudwall.model import Account, Institution, Person, Phone, Record
from fraudwall.model.sql import row_of
from fraudwall.platform.schema import accounts, institutions, people, phones

REGISTRY: dict[str, tuple[type[Record], sa.Table]] = {
    "institutions": (Institution, institutions),
    "accounts": (Account, accounts),
    "phones": (Phone, phones),
    "people": (Person, people),  # their region: statistics by region
}


def put_records(conn: sa.Connection, table_name: str, records: Iterable[Record]) -> int:
    """Insert or replace registry records of one table (by key); returns how many."""
    cls, table = REGISTRY[table_name]
    rows = [row_of(r) for r in records]
    return _upsert(conn, table, cls, rows)


def put_table(conn: sa.Connection, table_name: str, data: pa.Table) -> int:
    """Insert or replace a whole Arrow table of registry records (a world's, validated)."""
    cls, table = REGISTRY[table_name]
    names = [c.name for c in table.columns]
    rows = data.select([n for n in names if n in data.column_names]).to_pylist()
    return _upsert(conn, table, cls, rows)


def _upsert(
    conn: sa.Connection, table: sa.Table, cls: type[Record], rows: list[dict[str, Any]]
) -> int:
    key = table.c[cls.key or ""]
    for start in range(0, len(rows), 5_000):
        part = rows[start : start + 5_000]
        conn.execute(table.delete().where(key.in_([r[key.name] for r in part])))
        conn.execute(table.insert(), part)
    return len(rows)


def institution_of_account(conn: sa.Connection, account_id: str) -> str | None:
    q = sa.select(accounts.c.institution_id).where(accounts.c.account_id == account_id)
    return conn.execute(q).scalar()


__all__ = ["REGISTRY", "institution_of_account", "put_records", "put_table"]
