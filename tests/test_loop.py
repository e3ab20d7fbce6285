"""The engine and the recovery chain in one timeline (demo.loop)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from engine_world import T0, H, registry, table, transfer

from fraudwall.demo.loop import STOPPED_RULE, replay_with_recovery
from fraudwall.engine.engine import Engine
from fraudwall.funds import AuditAction, RecoveryPolicy
from fraudwall.model import OrderKind
from fraudwall.sim import SimConfig, World, simulate


@pytest.fixture(scope="module")
def world() -> World:
    return simulate(SimConfig(people=3_000, days=10, seed=4, fraud_rate=800.0))


def test_a_stop_span_refuses_payments_out_only_while_it_runs() -> None:
    engine = Engine.for_world(registry())
    engine.state.stop_accounts(["M1"], until_ts=T0 + 10 * H, from_ts=T0 + 2 * H)
    batch = {"transfers": table("transfers", [
        transfer("X1", T0 + H, "M1", "A2", 100),  # before the stop took hold
        transfer("X2", T0 + 3 * H, "M1", "A2", 100),  # during it
        transfer("X3", T0 + 11 * H, "M1", "A2", 100),  # after it ended
    ])}  # fmt: skip
    rules = engine.process(batch).decisions["rules"].to_pylist()
    assert [STOPPED_RULE in r for r in rules] == [False, True, False]


def test_spans_that_meet_join_and_a_later_one_replaces_an_ended_one() -> None:
    engine = Engine.for_world(registry())
    s = engine.state
    ids = s.keys["accounts"].lookup(["M1"])
    s.stop_accounts(["M1"], until_ts=T0 + 10, from_ts=T0)
    s.stop_accounts(["M1"], until_ts=T0 + 20, from_ts=T0 + 5)
    assert (s.account_stopped_from.get(ids)[0], s.account_stopped_until.get(ids)[0]) == (
        T0,
        T0 + 20,
    )
    s.stop_accounts(["M1"], until_ts=T0 + 50, from_ts=T0 + 30)
    assert (s.account_stopped_from.get(ids)[0], s.account_stopped_until.get(ids)[0]) == (
        T0 + 30,
        T0 + 50,
    )


def test_the_engine_refuses_a_stopped_accounts_payments_only_after_the_bank_applied_the_stop(
    world: World,
) -> None:
    tables = dict(world.tables)
    result, loop = replay_with_recovery(tables, None, RecoveryPolicy(), 0.5, 20_000)
    assert loop.recovery.cases and loop.orders_to_engine > 0
    spans = loop.recovery.stop_spans(1 << 62)
    d = result.decisions.filter(pc.equal(result.decisions["kind"], "transfer"))
    refused = [
        e
        for e, rules in zip(d["event_id"].to_pylist(), d["rules"].to_pylist(), strict=True)
        if STOPPED_RULE in rules
    ]
    transfers = tables["transfers"]
    rows = transfers.filter(pc.is_in(transfers["event_id"], value_set=pa.array(refused)))
    assert rows.num_rows == loop.kept_transfers > 0
    assert int(pc.sum(rows["amount_fen"]).as_py()) == loop.kept_fen
    for payer, ts in zip(rows["from_account"].to_pylist(), rows["ts"].to_pylist(), strict=True):
        start, end = spans[payer]
        assert start <= ts < end  # no refusal before the bank applied the stop
    stops = loop.recovery.orders.orders(kind=OrderKind.STOP_PAYMENT)
    assert {o.account_id for o in stops if o.applied_ts is not None} >= set(spans)


def test_the_engines_stops_of_payments_into_a_cases_accounts_are_alerts_on_the_case(
    world: World,
) -> None:
    tables = dict(world.tables)
    _, loop = replay_with_recovery(tables, None, RecoveryPolicy(), 0.5, 20_000)
    recovery = loop.recovery
    assert loop.alerts == len(recovery.alerts) > 0
    entries = [e for e in recovery.audit if e.action == AuditAction.ENGINE_ALERT]
    assert len(entries) == loop.alerts
    for group_id, alert in recovery.alerts:
        assert group_id in recovery.cases and alert.action in ("hold", "block")
    assert all(e.subject in recovery.cases for e in entries)
