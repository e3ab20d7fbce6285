"""Funds: from a victim's report to money back (DESIGN §6).

Cases from reports, tracing victims' money through mule accounts under the rules poison,
haircut, FIFO, LIFO and LIBR, stop-payment and freeze orders, and returns under article 8.
The names below are the part's public face: the command line and the demo use these.
"""

from fraudwall.funds.audit import AuditAction, AuditEntry, AuditTrail
from fraudwall.funds.cases import case_id_for, open_cases, reports_from_table
from fraudwall.funds.evaluate import TracedShare, traced_share, true_flows
from fraudwall.funds.flowtable import FlowTables, flow_graph, write_flow
from fraudwall.funds.orders import OrderBook
from fraudwall.funds.recovery import Alert, Recovery, RecoveryPolicy, StopRound, duration_text
from fraudwall.funds.returns import RETURN_BASIS
from fraudwall.funds.store import CaseStore
from fraudwall.funds.summary import RecoverySummary, largest_group, summarize
from fraudwall.funds.trace import Rule, Trace, trace

__all__ = [
    "RETURN_BASIS",
    "Alert",
    "AuditAction",
    "AuditEntry",
    "AuditTrail",
    "CaseStore",
    "FlowTables",
    "OrderBook",
    "Recovery",
    "RecoveryPolicy",
    "RecoverySummary",
    "Rule",
    "StopRound",
    "Trace",
    "TracedShare",
    "case_id_for",
    "duration_text",
    "flow_graph",
    "largest_group",
    "open_cases",
    "reports_from_table",
    "summarize",
    "trace",
    "traced_share",
    "true_flows",
    "write_flow",
]
