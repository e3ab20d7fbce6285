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

from typing import Final

import sqlalchemy as sa

from fraudwall.intel.risklists.store import METADATA as RISK_LIST_METADATA
from fraudwall.model import (
    Account,
    CaseFile,
    Decision,
    Institution,
    Order,
    Person,
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


#: A stored sequence number: BIGINT (a BIGSERIAL on PostgreSQL), SQLite's INTEGER rowid.
_SEQ = sa.BigInteger().with_variant(sa.Integer, "sqlite")


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
    # the order events were stored in (SQLite's rowid: costs no index of its own); what
    # `eventlookups` follows, and idempotency is `event_id`'s (unique)
    sa.Column("seq", _SEQ, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.Text, nullable=False, unique=True),
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
    # the watermark of the engine's absorbing step that folded it in (`enginehost`): a
    # restart replays the steps after its snapshot exactly as they were taken
    _ts("absorbed_upto", nullable=True),
    # what a risk check finds an event by (`eventlog.lookup_columns`), never the body: the
    # side a check asks about (a call's caller, an SMS's sender, a transfer's payee, a URL
    # visit's host, an install's app, a login's account), the device, and a transfer's
    # channel or a call's or SMS's gateway (statistics by channel). Not indexed here: an
    # index at a random place per event is what ingest cannot afford (BENCHMARKS.md, issue
    # 12); `event_lookups` holds party and device with their indexes
    sa.Column("party", sa.Text, nullable=True),
    sa.Column("device_id", sa.Text, nullable=True),
    sa.Column("channel", sa.Text, nullable=True),
)
sa.Index("ix_events_ts", events.c.ts)  # the engine's steps: events after its watermark

# What risk checks find events by, derived from `events` (`platform.eventlookups`): filled
# in batches after ingest commits, in index order, up to the newest `seq`; every reader
# brings it up to date first (`EventLookups.catch_up`), so it never misses an event.
event_lookups = sa.Table(
    "event_lookups",
    metadata,
    sa.Column("seq", _SEQ, primary_key=True, autoincrement=False),  # events.seq
    sa.Column("event_id", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    _ts("ts"),
    sa.Column("party", sa.Text, nullable=True),
    sa.Column("device_id", sa.Text, nullable=True),
)
sa.Index("ix_event_lookups_kind_party", event_lookups.c.kind, event_lookups.c.party)
# the devices that made transfers (whose victims reported them): only transfers pay for it
_TRANSFER_LOOKUPS: Final = event_lookups.c.kind == sa.literal_column("'transfers'")
sa.Index(
    "ix_event_lookups_transfer_device_id",
    event_lookups.c.device_id,
    sqlite_where=_TRANSFER_LOOKUPS,
    postgresql_where=_TRANSFER_LOOKUPS,
)

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

# --- cases/orders area: what cases, orders and returns keep beyond the domain types ------
case_links = sa.Table(
    "case_links",
    metadata,
    sa.Column("case_id", sa.Text, sa.ForeignKey("case_files.case_id"), primary_key=True),
    # what the case may share with another (funds.open_cases): account:, device:, number:
    sa.Column("link_key", sa.Text, primary_key=True),
)
sa.Index("ix_case_links_link_key", case_links.c.link_key)

order_citations = sa.Table(
    "order_citations",
    metadata,
    sa.Column("order_id", sa.Text, sa.ForeignKey("orders.order_id"), primary_key=True),
    sa.Column("account_name", sa.Text, nullable=False),  # the holder's name, as the police cite
    sa.Column("amount_fen", sa.BigInteger, nullable=False),  # the cited transfer's amount
    _ts("ts"),  # and its time
    sa.Column("transfer_id", sa.Text, nullable=True),
)

order_answers = sa.Table(
    "order_answers",
    metadata,
    sa.Column("order_id", sa.Text, sa.ForeignKey("orders.order_id"), primary_key=True),
    sa.Column("agency_id", sa.Text, nullable=False),  # the institution's agency that answered
    sa.Column("key_id", sa.Text, nullable=False),
    _ts("answered_ts"),
    sa.Column("outcome", sa.Text, nullable=False),  # executed | mismatch | no_funds
    # the bank's own record (funds.BankRecord)
    sa.Column("account_id", sa.Text, nullable=False),
    sa.Column("account_name", sa.Text, nullable=False),
    sa.Column("transfer_amount_fen", sa.BigInteger, nullable=True),
    _ts("transfer_ts", nullable=True),
    sa.Column("balance_fen", sa.BigInteger, nullable=False),
)

return_plans = sa.Table(
    "return_plans",
    metadata,
    sa.Column("plan_id", sa.Text, primary_key=True),
    sa.Column("account_id", sa.Text, nullable=False),  # the frozen account paying back
    sa.Column("institution_id", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),  # open | executed | rejected
    sa.Column("approval", sa.Text, nullable=False),  # not_needed | pending | approved | rejected
    sa.Column("approval_id", sa.Text, nullable=True),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),  # what the plan returns
    _ts("notice_ends_ts", nullable=True),  # a pro-rata plan waits for its public notice
    sa.Column("body", sa.Text, nullable=False),  # the round's inputs and plan, as JSON
    sa.Column("requested_by", sa.Text, nullable=False),  # key_id of the maker
    sa.Column("requested_agency", sa.Text, nullable=False),
    _ts("created_ts"),
    _ts("executed_ts", nullable=True),
)
sa.Index("ix_return_plans_account_id", return_plans.c.account_id)

# approvals: why the checker decided as they did
approvals.append_column(sa.Column("decision_note", sa.Text, nullable=True))
# deliveries: one row per order event and agency of the institution it is addressed to
deliveries.append_column(sa.Column("agency_id", sa.Text, nullable=True))
deliveries.append_column(sa.Column("event", sa.Text, nullable=False, server_default="order.issued"))
deliveries.append_column(sa.Column("body", sa.Text, nullable=True))  # what is pushed, as JSON
deliveries.append_column(_ts("next_ts", nullable=True))  # next webhook attempt; None: none due
sa.Index("ix_deliveries_order_id", deliveries.c.order_id)
sa.Index("ix_deliveries_next_ts", deliveries.c.next_ts)

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

# --- risk/statistics --------------------------------------------------------------------
# The transfers each victim's report names, one row each (reports hold them as a JSON
# list, which no index reaches): whoever stores a report calls `risk.link_reports`.
report_transfers = sa.Table(
    "report_transfers",
    metadata,
    sa.Column("transfer_id", sa.Text, primary_key=True),
    sa.Column("report_id", sa.Text, sa.ForeignKey("reports.event_id"), primary_key=True),
)
sa.Index("ix_report_transfers_report_id", report_transfers.c.report_id)
# People (region, for statistics by region; the demo and institutions load them).
people = sql_table(Person, metadata)
sa.Index("ix_orders_account_id", orders.c.account_id)
sa.Index("ix_reports_ts", reports.c.ts)
sa.Index("ix_case_files_report_ts", case_files.c.report_ts)

# --- events/checks ------------------------------------------------------------------------
sa.Index("ix_warning_status_institution_id", warning_tasks.c.institution_id)

# --- intelligence: detectors' scores and gangs (intel), as last published ------------------
entity_scores = sa.Table(
    "entity_scores",
    metadata,
    sa.Column("kind", sa.Text, primary_key=True),  # account, number
    sa.Column("value", sa.Text, primary_key=True),
    sa.Column("score", sa.Double, nullable=False),
    sa.Column("flagged", sa.Boolean, nullable=False),
    sa.Column("reasons", sa.JSON, nullable=False),  # [{feature, value, weight}], top first
    sa.Column("model", sa.Text, nullable=False),  # what scored it (the model's source)
    sa.Column("scored_ts", sa.BigInteger, nullable=False),
)
gangs = sa.Table(
    "gangs",
    metadata,
    sa.Column("gang_id", sa.Text, primary_key=True),
    sa.Column("rank", sa.Integer, nullable=False),  # 1: the largest loss
    sa.Column("loss_fen", sa.BigInteger, nullable=False),
    sa.Column("cases", sa.Integer, nullable=False),
    sa.Column("members", sa.Integer, nullable=False),
    sa.Column("found_ts", sa.BigInteger, nullable=False),
)
gang_members = sa.Table(
    "gang_members",
    metadata,
    sa.Column("gang_id", sa.Text, sa.ForeignKey("gangs.gang_id"), primary_key=True),
    sa.Column("entity_kind", sa.Text, primary_key=True),  # account, number, device, ip, ...
    sa.Column("entity_id", sa.Text, primary_key=True),
)
gang_cases = sa.Table(
    "gang_cases",
    metadata,
    sa.Column("gang_id", sa.Text, sa.ForeignKey("gangs.gang_id"), primary_key=True),
    sa.Column("case_id", sa.Text, primary_key=True),  # the victim's report
    sa.Column("evidence", sa.JSON, nullable=False),  # what links it to the gang
)
sa.Index("ix_gang_cases_case_id", gang_cases.c.case_id)

# --- risk lists (intel) ------------------------------------------------------------------
# intel defines them (its own store can live apart); the service keeps them with the rest
for _table in RISK_LIST_METADATA.sorted_tables:
    _table.to_metadata(metadata)
risk_entries = metadata.tables["risk_entries"]

__all__ = [
    "accounts",
    "agencies",
    "api_keys",
    "approvals",
    "audit_log",
    "case_files",
    "case_links",
    "decisions",
    "deliveries",
    "entity_scores",
    "event_lookups",
    "events",
    "gang_cases",
    "gang_members",
    "gangs",
    "institutions",
    "meta",
    "metadata",
    "order_answers",
    "order_citations",
    "orders",
    "people",
    "phones",
    "report_sources",
    "report_transfers",
    "reports",
    "return_plans",
    "risk_entries",
    "warning_tasks",
    "warnings",
]
