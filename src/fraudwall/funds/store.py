"""Where cases, orders, refused reports and the audit trail live between commands.

SQLite by default (a file beside the world, nothing to install), any SQLAlchemy URL
otherwise (PostgreSQL in production). Tables come from the domain types (`model.sql`), so
the database never drifts from JSON and Parquet. Writes are upserts by key: running a step
twice leaves one row per case and per order.

The store also keeps the `RecoveryPolicy` the orders were made under (rule, hops, window,
working times), so that returns and later traces follow the money the way the stops did.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa

from fraudwall.funds.audit import AuditEntry, AuditTrail
from fraudwall.funds.recovery import RecoveryPolicy
from fraudwall.model import CaseFile, Order, OrderKind
from fraudwall.model.sql import record_of, row_of, sql_table

STORE_FILE: Final = "funds.sqlite"
"""The store's file name inside a world directory, for the embedded deployment."""

POLICY_KEY: Final = "recovery_policy"
"""The `meta` row holding the policy the orders were made under."""


def store_url(world_dir: Path) -> str:
    """The SQLite URL of the store kept in a world directory."""
    return f"sqlite:///{(world_dir / STORE_FILE).resolve()}"


class CaseStore:
    """Cases, orders, refused reports and the audit trail, behind SQLAlchemy Core."""

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url, future=True)
        self.metadata = sa.MetaData()
        self.cases = sql_table(CaseFile, self.metadata)
        self.orders = sql_table(Order, self.metadata)
        self.rejected = sa.Table(
            "rejected_reports",
            self.metadata,
            sa.Column("report_id", sa.Text, primary_key=True),
            sa.Column("reason", sa.Text, nullable=False),
        )
        self.audit = sa.Table(
            "audit",
            self.metadata,
            sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("ts", sa.BigInteger, nullable=False),
            sa.Column("actor", sa.Text, nullable=False),
            sa.Column("action", sa.Text, nullable=False),
            sa.Column("subject", sa.Text, nullable=False),
            sa.Column("detail", sa.Text, nullable=False),
            sa.Column("figures", sa.JSON, nullable=False),
        )
        self.meta = sa.Table(
            "meta",
            self.metadata,
            sa.Column("key", sa.Text, primary_key=True),
            sa.Column("value", sa.JSON, nullable=False),
        )
        self.metadata.create_all(self.engine)

    @classmethod
    def in_world(cls, world_dir: Path) -> CaseStore:
        return cls(store_url(world_dir))

    def close(self) -> None:
        self.engine.dispose()

    # --- writes ---------------------------------------------------------------------------
    def _upsert(self, table: sa.Table, key: str, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        with self.engine.begin() as conn:
            keys = [r[key] for r in rows]
            conn.execute(table.delete().where(table.c[key].in_(keys)))
            conn.execute(table.insert(), list(rows))

    def put_cases(self, cases: Iterable[CaseFile]) -> None:
        self._upsert(self.cases, "case_id", [row_of(c) for c in cases])

    def put_orders(self, orders: Iterable[Order]) -> None:
        self._upsert(self.orders, "order_id", [row_of(o) for o in orders])

    def put_rejected(self, rejected: Iterable[tuple[str, str]]) -> None:
        rows = [{"report_id": r, "reason": why} for r, why in rejected]
        self._upsert(self.rejected, "report_id", rows)

    def put_policy(self, policy: RecoveryPolicy) -> None:
        """Keep the policy the orders are made under (replacing any kept before)."""
        self._upsert(self.meta, "key", [{"key": POLICY_KEY, "value": policy.to_record()}])

    def append_audit(self, entries: Iterable[AuditEntry]) -> None:
        """Append entries after those already kept; the stored trail is never rewritten."""
        rows = [
            {
                "ts": e.ts,
                "actor": e.actor,
                "action": e.action,
                "subject": e.subject,
                "detail": e.detail,
                "figures": json.loads(json.dumps(dict(e.figures))),
            }
            for e in entries
        ]
        if rows:
            with self.engine.begin() as conn:
                conn.execute(self.audit.insert(), rows)

    # --- reads ----------------------------------------------------------------------------
    def all_cases(self) -> list[CaseFile]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(self.cases).order_by(self.cases.c.report_ts))
            return [record_of(CaseFile, r) for r in rows]

    def case(self, case_id: str) -> CaseFile:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(self.cases).where(self.cases.c.case_id == case_id)).first()
        if row is None:
            raise KeyError(f"case_id: no case '{case_id}' in the store")
        return record_of(CaseFile, row)

    def all_orders(self, kind: OrderKind | None = None) -> list[Order]:
        q = sa.select(self.orders).order_by(self.orders.c.issued_ts, self.orders.c.order_id)
        if kind is not None:
            q = q.where(self.orders.c.kind == kind.value)
        with self.engine.connect() as conn:
            return [record_of(Order, r) for r in conn.execute(q)]

    def all_rejected(self) -> list[tuple[str, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(self.rejected).order_by(self.rejected.c.report_id))
            return [(r.report_id, r.reason) for r in rows]

    def policy(self) -> RecoveryPolicy | None:
        """The policy kept by `put_policy`, or None; a damaged record raises ValueError
        naming the field."""
        with self.engine.connect() as conn:
            value = conn.execute(
                sa.select(self.meta.c.value).where(self.meta.c.key == POLICY_KEY)
            ).scalar()
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ValueError(f"{POLICY_KEY}: expected the policy's fields, got {value!r}")
        try:
            return RecoveryPolicy.from_record(value)
        except ValueError as exc:
            raise ValueError(f"{POLICY_KEY}.{exc}") from None

    def audit_trail(self) -> AuditTrail:
        """The whole trail, in the order it was recorded."""
        trail = AuditTrail()
        with self.engine.connect() as conn:
            for r in conn.execute(sa.select(self.audit).order_by(self.audit.c.seq)):
                trail.append(AuditEntry(r.ts, r.actor, r.action, r.subject, r.detail, r.figures))
        return trail
