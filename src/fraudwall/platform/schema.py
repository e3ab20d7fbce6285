"""The service's database schema: one SQLAlchemy `MetaData`, the same on SQLite and PostgreSQL.

Records the domain already defines keep their one definition (`model.sql.sql_table`):
institutions, accounts, phones, decisions, warning tasks, reports, case files and orders
have the columns of their `model` type. The service adds what only it has: agencies and
their keys, the events it accepted (each stored whole, as its JSON, with the key columns
scoping and ordering need), who a record belongs to, approvals, deliveries and the
hash-chained audit log. Alembic's migrations (`fraudwall.platform.migrations`) create
exactly this schema; a test compares the two.
"""

from __future__ import annotations

import sqlalchemy as sa

from fraudwall.model import (
    Account,
    CaseFile,
    Decision,
    Institution,
    Order,
    Phone,
    Report,
    WarningTask,
)
from fraudwall.model.sql import sql_table

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _ts(name: str, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger, nullable=nullable)


# --- who may ask: agencies, their keys --------------------------------------------------
agencies = sa.Table(
    "agencies",
    metadata,
    sa.Column("agency_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),  # AgencyKind
    sa.Column("institution_id", sa.Text, nullable=True),  # the institution it speaks for
    sa.Column("webhook_url", sa.Text, nullable=True),  # where orders are delivered
    sa.Column("webhook_secret", sa.Text, nullable=True),  # signs what is delivered there
    _ts("created_ts"),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("key_id", sa.Text, primary_key=True),  # the visible prefix, e.g. fw_3f9a1c2e
    sa.Column("secret_sha256", sa.Text, nullable=False),
    sa.Column("agency_id", sa.Text, sa.ForeignKey("agencies.agency_id"), nullable=False),
    sa.Column("role", sa.Text, nullable=False),  # ApiRole
    sa.Column("label", sa.Text, nullable=False, server_default=""),
    _ts("created_ts"),
    _ts("expires_ts"),
    _ts("revoked_ts", nullable=True),
)

# --- what the world knows: the registry scoping reads ------------------------------------
institutions = sql_table(Institution, metadata)
accounts = sql_table(Account, metadata)
phones = sql_table(Phone, metadata)
sa.Index("ix_accounts_institution_id", accounts.c.institution_id)
sa.Index("ix_phones_telco_id", phones.c.telco_id)

# --- events accepted, and what was decided ----------------------------------------------
events = sa.Table(
    "events",
    metadata,
    sa.Column("event_id", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),  # its table: transfers, calls, sms, ...
    _ts("ts"),
    sa.Column("institution_id", sa.Text, nullable=False),  # the reporting institution
    sa.Column("agency_id", sa.Text, nullable=False),  # the agency whose key sent it
    sa.Column("body", sa.Text, nullable=False),  # the record as JSON (model.to_json)
    sa.Column("digest", sa.Text, nullable=False),  # sha256 of body: a repeat is the same
    # checked: a pre-transaction check waiting for its outcome; accepted: it happened
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("outcome", sa.Text, nullable=True),  # model.Outcome, once known
    sa.Column("outcome_source", sa.Text, nullable=True),  # reported | assumed | recorded
    _ts("received_ts"),
    _ts("absorbed_ts", nullable=True),  # when the engine folded it into its state
)
sa.Index("ix_events_ts", events.c.ts)
sa.Index("ix_events_institution_id_ts", events.c.institution_id, events.c.ts)

decisions = sql_table(Decision, metadata)
sa.Index("ix_decisions_ts", decisions.c.ts)

warnings = sql_table(WarningTask, metadata)
warning_tasks = sa.Table(
    "warning_status",
    metadata,
    sa.Column("warning_id", sa.Text, sa.ForeignKey("warnings.warning_id"), primary_key=True),
    sa.Column("institution_id", sa.Text, nullable=True),  # who is to send it (telco, bank)
    _ts("done_ts", nullable=True),
    sa.Column("done_by", sa.Text, nullable=True),  # the key that marked it done
)

# --- reports, cases, orders -------------------------------------------------------------
reports = sql_table(Report, metadata)
report_sources = sa.Table(
    "report_sources",
    metadata,
    sa.Column("event_id", sa.Text, sa.ForeignKey("reports.event_id"), primary_key=True),
    sa.Column("agency_id", sa.Text, nullable=False),  # who filed it
    sa.Column("key_id", sa.Text, nullable=False),
    sa.Column("case_id", sa.Text, nullable=True),  # the case it became, once opened
    sa.Column("refused", sa.Text, nullable=True),  # why it could not become a case
)
case_files = sql_table(CaseFile, metadata)
orders = sql_table(Order, metadata)
sa.Index("ix_orders_institution_id", orders.c.institution_id)
sa.Index("ix_orders_case_id", orders.c.case_id)

approvals = sa.Table(
    "approvals",
    metadata,
    sa.Column("approval_id", sa.Text, primary_key=True),
    sa.Column("subject", sa.Text, nullable=False),  # what is to be approved (a return plan)
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # the request as JSON
    sa.Column("requested_by", sa.Text, nullable=False),  # key_id of the maker
    sa.Column("requested_agency", sa.Text, nullable=False),
    _ts("requested_ts"),
    sa.Column("state", sa.Text, nullable=False),  # pending | approved | rejected
    sa.Column("decided_by", sa.Text, nullable=True),  # key_id of the checker
    _ts("decided_ts", nullable=True),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("delivery_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("order_id", sa.Text, sa.ForeignKey("orders.order_id"), nullable=False),
    sa.Column("institution_id", sa.Text, nullable=False),
    _ts("created_ts"),
    _ts("fetched_ts", nullable=True),  # first fetched by polling
    _ts("pushed_ts", nullable=True),  # delivered to the webhook (2xx)
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text, nullable=True),
)

# --- the audit log: append-only, each entry chained to the one before -------------------
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    _ts("ts"),
    sa.Column("key_id", sa.Text, nullable=False),
    sa.Column("agency_id", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),  # e.g. events.ingest, orders.feedback
    sa.Column("subject", sa.Text, nullable=False),  # what it was about (ids)
    sa.Column("before", sa.Text, nullable=True),  # JSON of the record before a change
    sa.Column("after", sa.Text, nullable=True),  # JSON after it (or what was read)
    sa.Column("prev_hash", sa.Text, nullable=False),
    sa.Column("hash", sa.Text, nullable=False),
)

# --- settings and progress ----------------------------------------------------------------
meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.JSON, nullable=False),
)

# --- events/checks ------------------------------------------------------------------------
# The engine's absorbing step each event was folded in by: the watermark of that step
# (`enginehost`). A restart replays the steps after its snapshot exactly as they were taken.
events.append_column(sa.Column("absorbed_upto", sa.BigInteger, nullable=True))
sa.Index("ix_warning_status_institution_id", warning_tasks.c.institution_id)

__all__ = [
    "accounts",
    "agencies",
    "api_keys",
    "approvals",
    "audit_log",
    "case_files",
    "decisions",
    "deliveries",
    "events",
    "institutions",
    "meta",
    "metadata",
    "orders",
    "phones",
    "report_sources",
    "reports",
    "warning_tasks",
    "warnings",
]
