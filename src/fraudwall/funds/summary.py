"""What a recovery run did, in counts and fen: the figures a report or a dashboard shows.

`summarize` reads a `Recovery` after its reports were taken and its returns made, so that
a reader (the demo, a report) needs nothing of the chain's internals: not its order book's
states, not the audit trail's action names, not its traces.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from fraudwall.funds.audit import AuditAction
from fraudwall.funds.recovery import Recovery
from fraudwall.model import OrderKind


@dataclass(frozen=True)
class RecoverySummary:
    """A recovery run in figures; money in fen, times in ms.

    `median_ms_to_first_stop` is the median, over the cases whose money a stop-payment
    caught, of the time from the report to the first stop the bank applied (the lower
    middle value, so it is a time the chain actually took); it follows from the policy's
    working times and the ledger alone.
    """

    cases: int
    groups: int
    rejected_reports: int
    stop_orders: int
    stop_orders_applied: int
    stop_orders_by_state: Mapping[str, int]
    stopped_fen: int
    frozen_fen: int
    returned_fen: int
    return_orders: int
    return_rounds_by_rule: Mapping[str, int]
    reported_loss_fen: int
    median_ms_to_first_stop: int | None
    cases_with_a_stop: int
    audit_entries: int
    engine_alerts: int = 0  # the engine's holds and blocks of payments into a case's accounts
    engine_alerts_fen: int = 0

    @property
    def returned_share(self) -> float | None:
        """Returned money as a share of the reported losses (None with no loss)."""
        return self.returned_fen / self.reported_loss_fen if self.reported_loss_fen else None


def summarize(recovery: Recovery) -> RecoverySummary:
    """The figures of a recovery run as it stands (see `RecoverySummary`)."""
    cases = recovery.cases
    stops = recovery.orders.orders(kind=OrderKind.STOP_PAYMENT)
    applied = [o for o in stops if o.applied_ts is not None]
    waits = sorted(t - cases[c].report_ts for c, t in recovery.first_stop_ts.items())
    rounds = Counter(
        str(e.figures["rule"])
        for e in recovery.audit
        if e.action == AuditAction.RETURN_PLANNED and "rule" in e.figures
    )
    return RecoverySummary(
        cases=len(cases),
        groups=len({c.group_id for c in cases.values()}),
        rejected_reports=len(recovery.rejected),
        stop_orders=len(stops),
        stop_orders_applied=len(applied),
        stop_orders_by_state=dict(sorted(Counter(str(o.state) for o in stops).items())),
        stopped_fen=sum(o.amount_fen for o in applied),
        frozen_fen=sum(o.amount_fen for o in recovery.freezes),
        returned_fen=sum(o.amount_fen for o in recovery.returned),
        return_orders=len(recovery.returned),
        return_rounds_by_rule=dict(sorted(rounds.items())),
        reported_loss_fen=sum(c.loss_fen for c in cases.values()),
        median_ms_to_first_stop=statistics.median_low(waits) if waits else None,
        cases_with_a_stop=len(waits),
        audit_entries=len(recovery.audit),
        engine_alerts=len(recovery.alerts),
        engine_alerts_fen=sum(a.amount_fen for _, a in recovery.alerts),
    )


def largest_group(recovery: Recovery) -> str | None:
    """The traced case group with the largest reported loss (ties: the greater id), or None
    when nothing was traced: the group whose fund flow is worth showing first."""
    loss: Counter[str] = Counter()
    for c in recovery.cases.values():
        loss[c.group_id] += c.loss_fen
    groups = sorted({c.group_id for c in recovery.cases.values()} & set(recovery.traces))
    return max(groups, key=lambda g: (loss[g], g)) if groups else None
