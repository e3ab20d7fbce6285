"""The engine and the recovery chain in one timeline: each sees what the other did.

In a deployment the two run side by side: the police take in victims' reports and send
stop-payments and freezes to the banks, and from the moment a bank applies one the
engine refuses the account's payments out; the engine, in turn, holds payments into
accounts that reported cases named, and the police see those holds on the case. The demo
replays the world that way: before each batch of events the chain is run up to the
batch's end, and every stop-payment or freeze applied by then reaches the engine with the
time it took hold and ended (`EngineState.stop_accounts`, so a payment made outside it
is not refused); after each batch, the engine's holds and blocks go to the chain as alerts
(`Recovery.take_alerts`).

What the loop changed is measured as the money the engine kept in stopped accounts: the
payments out of them that it refused because of a stop-payment (the `payer_stopped`
rule). A freeze binds an amount, which the bank keeps itself, so the engine refuses an
account's payments only while its stop-payment runs (`Recovery.stop_spans`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.engine import BatchResult, Engine, EngineModel, EventBatch, Replay, replay
from fraudwall.funds import (
    Alert,
    GivenGroups,
    Recovery,
    RecoveryPolicy,
    StopRound,
    reports_from_table,
)
from fraudwall.model import RiskListView, TextScorer

#: The rule that refuses a stopped account's payments out (engine/default_rules.toml).
STOPPED_RULE = "payer_stopped"
#: The name the loop is handed on under (`DemoContext.shared`).
LOOP = "recovery_loop"
_STOPPING = ("hold", "block")


@dataclass
class Loop:
    """The recovery chain run inside a replay, and what each side did to the other."""

    recovery: Recovery
    rounds: list[StopRound] = field(default_factory=list)
    orders_to_engine: int = 0  # stop-payments and freezes the engine was told of
    kept_transfers: int = 0  # payments out of stopped accounts the engine refused
    kept_fen: int = 0
    alerts: int = 0  # the engine's stops of payments into accounts of reported cases
    risk_lists: RiskListView | None = None  # given to the engine before its first batch

    def before(self, engine: Engine, batch: EventBatch) -> None:
        """Run the chain to the batch's end; tell the engine of every order applied."""
        if self.risk_lists is not None:
            engine.use_risk_lists(self.risk_lists)
            self.risk_lists = None
        last = batch.end - 1
        self.rounds += self.recovery.run_until(last)
        spans = self.recovery.stop_spans(last)
        if not spans:
            return
        accounts = sorted(spans)
        start = np.array([spans[a][0] for a in accounts], np.int64)
        until = np.array([spans[a][1] for a in accounts], np.int64)
        # the spans as the chain knows them now: a freeze may have ended a stop early
        engine.state.lift_stop(accounts)
        engine.state.stop_accounts(accounts, until, start)
        self.orders_to_engine = len(accounts)

    def after(self, batch: EventBatch, result: BatchResult) -> None:
        """Count the money kept in stopped accounts; give the chain the engine's stops."""
        transfers = batch.tables.get("transfers")
        if transfers is None or not transfers.num_rows:
            return
        d = result.decisions.filter(pc.equal(result.decisions["kind"], "transfer"))
        stopped = pc.is_in(d["action"], value_set=pa.array(_STOPPING)).to_numpy(
            zero_copy_only=False
        )
        rows = np.flatnonzero(stopped)
        if not len(rows):
            return
        at = pc.index_in(d["event_id"], value_set=transfers["event_id"]).to_numpy(
            zero_copy_only=False
        )
        picked = transfers.take(pa.array(at[rows])).to_pylist()
        said = d.take(pa.array(rows)).select(["action", "rules", "reason"]).to_pylist()
        alerts = []
        for t, decision in zip(picked, said, strict=True):
            if STOPPED_RULE in decision["rules"]:
                self.kept_transfers += 1
                self.kept_fen += int(t["amount_fen"])
            alerts.append(
                Alert(t["event_id"], int(t["ts"]), t["from_account"], t["to_account"],
                      int(t["amount_fen"]), decision["action"], decision["reason"])
            )  # fmt: skip
        self.alerts += len(self.recovery.take_alerts(alerts))


def replay_with_recovery(
    tables: Mapping[str, pa.Table],
    model: EngineModel | None,
    policy: RecoveryPolicy,
    stop_probability: float,
    batch_events: int,
    risk_lists: RiskListView | None = None,
    groups: GivenGroups | None = None,
    text_scorer: TextScorer | None = None,
) -> tuple[Replay, Loop]:
    """Replay the world through the engine with its reports going through the recovery
    chain in the same timeline (see the module doc); with `risk_lists`, the engine reads
    them from the start (each listing counts within its own span); with `groups`, the
    chain's case groups are those (the gangs the intel stage found); `text_scorer` reads
    the SMS texts (`Engine`)."""
    recovery = Recovery(tables, policy, groups=groups)
    recovery.receive(reports_from_table(tables["reports"]))
    loop = Loop(recovery, risk_lists=risk_lists)
    result = replay(
        tables,
        model=model,
        stop_probability=stop_probability,
        batch_events=batch_events,
        before_batch=loop.before,
        after_batch=loop.after,
        text_scorer=text_scorer,
    )
    return result, loop
