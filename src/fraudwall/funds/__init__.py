"""Funds: from a victim's report to money back (DESIGN §6).

Cases from reports (`open_cases`), the transfer history indexed for tracing (`Ledger`),
tracing victims' money through mule accounts under the rules poison, haircut, FIFO, LIFO
and LIBR (`trace`, `Rule`), stop-payment and freeze orders (`OrderBook`), returns under
article 8 (`ReturnProcess`), the whole chain over a world (`Recovery`), the audit log,
the case store (SQLite / SQLAlchemy), the fund-flow table and graph, and how well a trace
matches the ground truth.
"""

from fraudwall.funds.audit import AuditEntry, AuditTrail
from fraudwall.funds.cases import (
    Intake,
    StatedPayment,
    account_owners,
    case_id_for,
    open_cases,
    reports_from_table,
)
from fraudwall.funds.evaluate import TracedShare, TruthFlow, traced_share, true_flows
from fraudwall.funds.flowtable import FlowTables, flow_graph, write_flow
from fraudwall.funds.ledger import SINK_KINDS, Ledger
from fraudwall.funds.orders import BankRecord, Citation, OrderBook, OrderError, StopTarget
from fraudwall.funds.recovery import Recovery, RecoveryPolicy
from fraudwall.funds.returns import RETURN_BASIS, Claim, ReturnError, ReturnProcess, ReturnTally
from fraudwall.funds.store import CaseStore, store_url
from fraudwall.funds.trace import CONSERVING, Rule, Trace, trace

__all__ = [
    "CONSERVING",
    "RETURN_BASIS",
    "SINK_KINDS",
    "AuditEntry",
    "AuditTrail",
    "BankRecord",
    "CaseStore",
    "Citation",
    "Claim",
    "FlowTables",
    "Intake",
    "Ledger",
    "OrderBook",
    "OrderError",
    "Recovery",
    "RecoveryPolicy",
    "ReturnError",
    "ReturnProcess",
    "ReturnTally",
    "Rule",
    "StatedPayment",
    "StopTarget",
    "Trace",
    "TracedShare",
    "TruthFlow",
    "account_owners",
    "case_id_for",
    "flow_graph",
    "open_cases",
    "reports_from_table",
    "store_url",
    "trace",
    "traced_share",
    "true_flows",
    "write_flow",
]
