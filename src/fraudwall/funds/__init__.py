"""Funds: from a victim's report to money back (DESIGN §6).

Cases from reports (`open_cases`; grouped by their own links or by groups given from
outside, `GivenGroups`), the transfer history indexed for tracing (`Ledger`),
tracing victims' money through mule accounts under the rules poison, haircut, FIFO, LIFO
and LIBR (`trace`, `Rule`), stop-payment and freeze orders (`OrderBook`), returns under
article 8 (`ReturnProcess`), the whole chain over a world under a stated policy
(`Recovery`, `RecoveryPolicy`) and a run in figures (`summarize`), the audit log, the case
store (SQLite / SQLAlchemy), the fund-flow table and graph, and how well a trace matches
the ground truth. The names below are the part's public face: the command line and the
demo use these.
"""

from fraudwall.funds.audit import AuditAction, AuditEntry, AuditTrail
from fraudwall.funds.cases import (
    GivenGroups,
    Intake,
    StatedPayment,
    account_owners,
    case_id_for,
    group_evidence,
    open_cases,
    reports_from_table,
)
from fraudwall.funds.evaluate import (
    TracedShare,
    TruthFlow,
    traced_share,
    traced_share_by_rule,
    true_flows,
)
from fraudwall.funds.flowtable import FlowTables, flow_graph, write_flow
from fraudwall.funds.ledger import SINK_KINDS, Ledger
from fraudwall.funds.orders import BankRecord, Citation, OrderBook, OrderError, StopTarget
from fraudwall.funds.recovery import Alert, Recovery, RecoveryPolicy, StopRound, duration_text
from fraudwall.funds.returns import (
    RETURN_BASIS,
    Claim,
    ReturnError,
    ReturnProcess,
    ReturnRound,
    ReturnTally,
)
from fraudwall.funds.store import STORE_FILE, CaseStore, StoreTx, store_url
from fraudwall.funds.summary import RecoverySummary, largest_group, summarize
from fraudwall.funds.trace import CONSERVING, Rule, Trace, trace

__all__ = [
    "CONSERVING",
    "RETURN_BASIS",
    "SINK_KINDS",
    "STORE_FILE",
    "Alert",
    "AuditAction",
    "AuditEntry",
    "AuditTrail",
    "BankRecord",
    "CaseStore",
    "Citation",
    "Claim",
    "FlowTables",
    "GivenGroups",
    "Intake",
    "Ledger",
    "OrderBook",
    "OrderError",
    "Recovery",
    "RecoveryPolicy",
    "RecoverySummary",
    "ReturnError",
    "ReturnProcess",
    "ReturnRound",
    "ReturnTally",
    "Rule",
    "StatedPayment",
    "StopRound",
    "StopTarget",
    "StoreTx",
    "Trace",
    "TracedShare",
    "TruthFlow",
    "account_owners",
    "case_id_for",
    "duration_text",
    "flow_graph",
    "group_evidence",
    "largest_group",
    "open_cases",
    "reports_from_table",
    "store_url",
    "summarize",
    "trace",
    "traced_share",
    "traced_share_by_rule",
    "true_flows",
    "write_flow",
]
