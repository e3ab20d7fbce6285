"""The recovery chain on a hand-built world: a report opens a case, the money is traced and
stopped where it sits, a stopped account pays nothing out (in later traces and in the
engine), stops become freezes, and frozen money goes back to the victims under article 8."""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa
import pytest
from funds_world import T0, H, account, report, table, transfer

from fraudwall.engine import Engine
from fraudwall.funds import Recovery, RecoveryPolicy, Rule, case_id_for
from fraudwall.model import DAY_MS, Account, OrderKind, OrderState, Person, Transfer

CASE1, CASE2 = case_id_for("r1"), case_id_for("r2")


@pytest.fixture
def world() -> dict[str, pa.Table]:
    """V1 pays mule M1 5,000 yuan; M1 passes 3,000 to M2 (who has 500 of their own) and
    cashes out 1,000; V1 reports; M2 then tries to cash out; V2 pays M1 2,000 and reports."""
    accounts = [
        account("A1", "V1", opening_balance_fen=1_000_000),
        account("A2", "V2", opening_balance_fen=1_000_000),
        account("M1", "X1"),
        account("M2", "X2", opening_balance_fen=50_000),
        account("CASH", None, "external", external_kind="cash", institution_id="EXT"),
    ]
    transfers = [
        transfer("t1", T0, "A1", "M1", 500_000),
        transfer("t2", T0 + H, "M1", "M2", 300_000),
        transfer("t3", T0 + 2 * H, "M1", "CASH", 100_000),
        transfer("t4", T0 + 4 * H, "M2", "CASH", 300_000),  # after the stop: refused
        transfer("t5", T0 + 5 * H, "A2", "M1", 200_000),
    ]
    people = [
        {"person_id": p, "id_hash": p * 16, "age": 40, "gender": "F", "region": "r",
         "occupation": "o"}
        for p in ("V1", "V2", "X1", "X2")
    ]  # fmt: skip
    return {
        "accounts": table(Account, accounts),
        "transfers": table(Transfer, transfers),
        "people": table(Person, people),
    }


REPORTS = [
    report("r1", T0 + 3 * H, "V1", ["t1"], 500_000),
    report("r2", T0 + 6 * H, "V2", ["t5"], 200_000),
]


def test_a_report_stops_the_money_where_it_sits(world: dict[str, pa.Table]) -> None:
    recovery = Recovery(world, RecoveryPolicy(rule=Rule.LIFO))
    (first,) = recovery.take_reports(REPORTS[:1])
    # money still in mule accounts is stopped; the victim's own account and the cash sink not
    stopped = {o.account_id: o for o in first.executed}
    assert set(stopped) == {"M1", "M2"}
    assert stopped["M1"].amount_fen == 100_000 and stopped["M2"].amount_fen == 300_000
    assert all(o.state == OrderState.EXECUTED for o in first.executed)
    assert all(o.expires_ts == o.applied_ts + 48 * H for o in first.executed if o.applied_ts)
    # the orders go out after the chain's own working time, never before the report
    assert recovery.first_stop_ts[CASE1] >= T0 + 3 * H + 1
    assert first.trace.exited() == {CASE1: 100_000}


def test_a_stopped_account_pays_nothing_out_in_a_later_trace(world: dict[str, pa.Table]) -> None:
    recovery = Recovery(world, RecoveryPolicy(rule=Rule.LIFO))
    rounds = recovery.take_reports(REPORTS)
    later = rounds[-1].trace  # the group (linked by mule M1) traced at the second report
    assert set(later.victims) == {CASE1, CASE2}
    assert later.holding("M2", CASE1) == 300_000  # the cash-out at T0+4h was refused
    assert later.holding("M1", CASE1) == 100_000 and later.holding("M1", CASE2) == 200_000
    assert later.exited() == {CASE1: 100_000, CASE2: 0}
    # no second order on an account the group already stopped
    assert len(recovery.orders.orders(kind=OrderKind.STOP_PAYMENT)) == 2


def test_stops_become_freezes_of_what_the_latest_trace_holds(world: dict[str, pa.Table]) -> None:
    recovery = Recovery(world, RecoveryPolicy(rule=Rule.LIFO))
    recovery.take_reports(REPORTS)
    assert recovery.freezes == []  # not yet: a freeze comes a day after the stop
    made = recovery.freeze_due(T0 + 3 * H + DAY_MS + H)
    frozen = {o.account_id: o.amount_fen for o in made}
    # V2's money reached M1 while it was stopped: the freeze takes it too
    assert frozen == {"M1": 300_000, "M2": 300_000}
    assert all(o.kind == OrderKind.FREEZE and o.state == OrderState.EXECUTED for o in made)
    stops = recovery.orders.orders(kind=OrderKind.STOP_PAYMENT)
    assert {o.state for o in stops} == {OrderState.COMPLETED}


def test_frozen_money_goes_back_to_each_victim_within_their_loss(
    world: dict[str, pa.Table],
) -> None:
    recovery = Recovery(world, RecoveryPolicy(rule=Rule.LIFO))
    recovery.take_reports(REPORTS)
    returned = recovery.returns(T0 + 5 * DAY_MS)
    back: dict[str, int] = defaultdict(int)
    for o in returned:
        assert o.kind == OrderKind.RETURN and o.state == OrderState.EXECUTED
        back[o.to_account or ""] += o.amount_fen
    # M2 held V1's money alone (direct); in M1 the time order splits V1's from V2's
    assert dict(back) == {"A1": 400_000, "A2": 200_000}
    assert back["A1"] <= 500_000 and back["A2"] <= 200_000  # never more than the loss
    for account_id in ("M1", "M2"):
        assert recovery.orders.frozen_fen(account_id, T0 + 5 * DAY_MS) == 0
    actions = recovery.audit.actions()
    for step in ("case_opened", "stop_issued", "stop_executed", "stop_converted", "return_planned"):
        assert any(a.startswith(step) for a in actions), step


def test_the_engine_refuses_a_stopped_accounts_debits_until_the_order_ends(
    world: dict[str, pa.Table],
) -> None:
    recovery = Recovery(world, RecoveryPolicy(rule=Rule.LIFO, freeze_after_ms=2 * DAY_MS))
    recovery.take_reports(REPORTS[:1])
    now = T0 + 3 * H + 1_000
    engine = Engine.for_world(world)
    by_end: dict[int, list[str]] = defaultdict(list)
    for acct, until in recovery.orders.active_stops(now).items():
        by_end[until].append(acct)
    for until, accounts in by_end.items():
        engine.state.stop_accounts(accounts, until_ts=until)
    batch = {
        "transfers": table(Transfer, [
            transfer("x1", T0 + 4 * H, "A2", "M2", 1_000),  # in: allowed
            transfer("x2", T0 + 4 * H + 1, "M2", "CASH", 300_000),  # out: refused
        ])
    }  # fmt: skip
    d = engine.process(batch).decisions.to_pylist()
    assert d[0]["action"] != "block"
    assert d[1]["action"] == "block" and "payer_stopped" in d[1]["rules"]
    # lifted by decision: the engine lets the account pay again
    stop_m2 = next(o for o in recovery.orders.orders() if o.account_id == "M2")
    recovery.orders.lift(
        stop_m2.order_id, T0 + 5 * H, reason="bank proved the money is the holder's"
    )
    assert recovery.orders.stopped_until("M2", T0 + 5 * H) is None
    engine.state.lift_stop(["M2"])
    after = {"transfers": table(Transfer, [transfer("x3", T0 + 5 * H + 1, "M2", "CASH", 100)])}
    assert "payer_stopped" not in engine.process(after).decisions.to_pylist()[0]["rules"]


def test_a_bad_report_is_refused_and_audited_and_the_rest_go_on(
    world: dict[str, pa.Table],
) -> None:
    recovery = Recovery(world)
    bad = report("r0", T0 + 3 * H, "V2", ["t1"], 1)  # t1 was paid by V1, not V2
    rounds = recovery.take_reports([bad, *REPORTS])
    assert [r.group_id for r in rounds] == [CASE1, CASE1]
    refused = [e for e in recovery.audit if e.action == "report_refused"]
    assert refused and "which is not V2's" in refused[0].detail
