"""The service's first schema: agencies and keys, the registry, events and decisions,
warnings, reports and cases, orders and their delivery, approvals, the audit log, meta.

Revision ID: 0001
Revises: None
Created: 2026-12-03

Written out whole (a migration is frozen: it never reads `schema.metadata`); the tables
are those of `platform/schema.py` when migrations began.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def _pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*columns, name=op.f(f"pk_{table}"))


def _fk(table: str, column: str, target: str, target_column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.{target_column}"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    # --- who may ask: agencies, their keys ---
    op.create_table(
        "agencies",
        sa.Column("agency_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("institution_id", sa.Text(), nullable=True),
        sa.Column("webhook_url", sa.Text(), nullable=True),
        sa.Column("webhook_secret", sa.Text(), nullable=True),
        _ts("created_ts"),
        _pk("agencies", "agency_id"),
    )
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.Text(), nullable=False),
        sa.Column("secret_sha256", sa.Text(), nullable=False),
        sa.Column("agency_id", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), server_default="", nullable=False),
        _ts("created_ts"),
        _ts("expires_ts"),
        _ts("revoked_ts", nullable=True),
        _fk("api_keys", "agency_id", "agencies", "agency_id"),
        _pk("api_keys", "key_id"),
    )

    # --- the registry: institutions, accounts, phones ---
    op.create_table(
        "institutions",
        sa.Column("institution_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        _pk("institutions", "institution_id"),
    )
    op.create_table(
        "accounts",
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("institution_id", sa.Text(), nullable=False),
        sa.Column("owner_person_id", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        _ts("opened_ts"),
        sa.Column("opening_balance_fen", sa.BigInteger(), nullable=False),
        sa.Column("credit_limit_fen", sa.BigInteger(), nullable=False),
        _ts("last_active_ts", nullable=True),
        sa.Column("external_kind", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        _pk("accounts", "account_id"),
    )
    op.create_index("ix_accounts_institution_id", "accounts", ["institution_id"])
    op.create_table(
        "phones",
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("telco_id", sa.Text(), nullable=True),
        sa.Column("owner_person_id", sa.Text(), nullable=True),
        sa.Column("country_code", sa.Text(), nullable=False),
        _ts("activated_ts", nullable=True),
        sa.Column("line_kind", sa.Text(), nullable=False),
        _pk("phones", "number"),
    )
    op.create_index("ix_phones_telco_id", "phones", ["telco_id"])

    # --- events accepted, and what was decided ---
    op.create_table(
        "events",
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        _ts("ts"),
        sa.Column("institution_id", sa.Text(), nullable=False),
        sa.Column("agency_id", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("digest", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("outcome_source", sa.Text(), nullable=True),
        _ts("received_ts"),
        _ts("absorbed_ts", nullable=True),
        _pk("events", "event_id"),
    )
    op.create_index("ix_events_ts", "events", ["ts"])
    op.create_index("ix_events_institution_id_ts", "events", ["institution_id", "ts"])
    op.create_table(
        "decisions",
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        _ts("ts"),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("shadow_rules", sa.JSON(), nullable=False),
        sa.Column("top_features", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("person_id", sa.Text(), nullable=True),
        sa.Column("country", sa.Text(), nullable=True),
        _pk("decisions", "event_id"),
    )
    op.create_index("ix_decisions_ts", "decisions", ["ts"])
    op.create_table(
        "warnings",
        sa.Column("warning_id", sa.Text(), nullable=False),
        _ts("ts"),
        sa.Column("person_id", sa.Text(), nullable=True),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("source_event_id", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("priority", sa.Float(), nullable=False),
        _pk("warnings", "warning_id"),
    )
    op.create_table(
        "warning_status",
        sa.Column("warning_id", sa.Text(), nullable=False),
        sa.Column("institution_id", sa.Text(), nullable=True),
        _ts("done_ts", nullable=True),
        sa.Column("done_by", sa.Text(), nullable=True),
        _fk("warning_status", "warning_id", "warnings", "warning_id"),
        _pk("warning_status", "warning_id"),
    )

    # --- reports, cases, orders ---
    op.create_table(
        "reports",
        sa.Column("event_id", sa.Text(), nullable=False),
        _ts("ts"),
        sa.Column("institution_id", sa.Text(), nullable=False),
        sa.Column("person_id", sa.Text(), nullable=False),
        sa.Column("transfer_ids", sa.JSON(), nullable=False),
        sa.Column("loss_fen", sa.BigInteger(), nullable=False),
        sa.Column("fraud_type", sa.Text(), nullable=True),
        sa.Column("narrative", sa.Text(), nullable=False),
        _pk("reports", "event_id"),
    )
    op.create_table(
        "report_sources",
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("agency_id", sa.Text(), nullable=False),
        sa.Column("key_id", sa.Text(), nullable=False),
        sa.Column("case_id", sa.Text(), nullable=True),
        sa.Column("refused", sa.Text(), nullable=True),
        _fk("report_sources", "event_id", "reports", "event_id"),
        _pk("report_sources", "event_id"),
    )
    op.create_table(
        "case_files",
        sa.Column("case_id", sa.Text(), nullable=False),
        sa.Column("report_id", sa.Text(), nullable=False),
        sa.Column("group_id", sa.Text(), nullable=False),
        sa.Column("victim_person_id", sa.Text(), nullable=False),
        sa.Column("fraud_type", sa.Text(), nullable=True),
        _ts("report_ts"),
        _ts("opened_ts"),
        sa.Column("transfer_ids", sa.JSON(), nullable=False),
        sa.Column("victim_accounts", sa.JSON(), nullable=False),
        sa.Column("paid_fen", sa.BigInteger(), nullable=False),
        sa.Column("loss_fen", sa.BigInteger(), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=False),
        _pk("case_files", "case_id"),
    )
    op.create_table(
        "orders",
        sa.Column("order_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("case_id", sa.Text(), nullable=False),
        sa.Column("institution_id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        _ts("issued_ts"),
        _ts("applied_ts", nullable=True),
        _ts("expires_ts", nullable=True),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column("to_account", sa.Text(), nullable=True),
        _pk("orders", "order_id"),
    )
    op.create_index("ix_orders_institution_id", "orders", ["institution_id"])
    op.create_index("ix_orders_case_id", "orders", ["case_id"])
    op.create_table(
        "approvals",
        sa.Column("approval_id", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("requested_agency", sa.Text(), nullable=False),
        _ts("requested_ts"),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=True),
        _ts("decided_ts", nullable=True),
        _pk("approvals", "approval_id"),
    )
    op.create_table(
        "deliveries",
        sa.Column("delivery_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.Text(), nullable=False),
        sa.Column("institution_id", sa.Text(), nullable=False),
        _ts("created_ts"),
        _ts("fetched_ts", nullable=True),
        _ts("pushed_ts", nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        _fk("deliveries", "order_id", "orders", "order_id"),
        _pk("deliveries", "delivery_id"),
    )

    # --- the audit log, and meta ---
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        _ts("ts"),
        sa.Column("key_id", sa.Text(), nullable=False),
        sa.Column("agency_id", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.Text(), nullable=False),
        sa.Column("hash", sa.Text(), nullable=False),
        _pk("audit_log", "seq"),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        _pk("meta", "key"),
    )


def downgrade() -> None:
    # children before the tables they refer to; a table's indexes go with it
    for table in (
        "meta",
        "audit_log",
        "deliveries",
        "approvals",
        "orders",
        "case_files",
        "report_sources",
        "reports",
        "warning_status",
        "warnings",
        "decisions",
        "events",
        "phones",
        "accounts",
        "institutions",
        "api_keys",
        "agencies",
    ):
        op.drop_table(table)
