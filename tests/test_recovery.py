"""The recovery chain on a hand-built world: a report opens a case, the money is traced and
stopped where it sits, a stopped account pays nothing out (in later traces and in the
engine), stops become freezes, and frozen money goes back to the victims under article 8."""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa
import pytest
from funds_world import T0, H, account, report, table, transfer

from fraudwall.engine import Engine
from fraudwall.funds import Recovery, RecoveryPolicy, Rule, case_id_for, largest_group, summarize
from fraudwall.model import DAY_MS, Account, OrderKind, OrderState, Person, Report, Transfer

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
    # the orders go out after the police's intake and take hold when the bank answers
    policy = recovery.policy
    assert {o.issued_ts for o in first.issued} == {T0 + 3 * H + policy.intake_ms}
    assert recovery.first_stop_ts[CASE1] == T0 + 3 * H + policy.intake_ms + policy.bank_response_ms
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
    recovery = Recovery(world, RecoveryPolicy(rule=Rule.LIFO))
    (first,) = recovery.take_reports(REPORTS[:1])
    now = first.answered_ts  # the banks have applied the stops
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


def test_every_order_time_is_the_report_time_plus_the_policys_times(
    world: dict[str, pa.Table],
) -> None:
    policy = RecoveryPolicy(intake_ms=10 * 60_000, bank_response_ms=2 * 60_000, freeze_after_ms=H)
    recovery = Recovery(world, policy)
    rounds = recovery.take_reports(REPORTS)
    recovery.freeze_due()  # everything the chain started
    for rnd, rep in zip(rounds, REPORTS, strict=True):
        assert rnd.at_ts == rep.ts + policy.intake_ms
        assert rnd.answered_ts == rnd.at_ts + policy.bank_response_ms
        assert all(o.issued_ts == rnd.at_ts for o in rnd.issued)
        assert all(o.applied_ts == rnd.answered_ts for o in rnd.executed)
    assert recovery.cases[CASE1].opened_ts == REPORTS[0].ts + policy.intake_ms
    stops = recovery.orders.orders(kind=OrderKind.STOP_PAYMENT)
    stop_on = {(o.account_id, o.case_id): o for o in stops}
    assert {f.account_id for f in recovery.freezes} == {"M1", "M2"}
    for f in recovery.freezes:
        stop = stop_on[(f.account_id, f.case_id)]
        assert f.applied_ts == (stop.applied_ts or 0) + policy.freeze_after_ms
    # the same world and policy, run again, give the same orders and the same trail
    again = Recovery(world, policy)
    again.take_reports(REPORTS)
    again.freeze_due()
    assert again.orders.orders() == recovery.orders.orders()
    assert again.audit.to_records() == recovery.audit.to_records()


def test_a_case_joining_a_group_gets_its_money_stopped_where_the_group_froze_less(
    world: dict[str, pa.Table],
) -> None:
    # the group's freeze on M1 (an hour after its stop) binds V1's money there; V2's money
    # reaches M1 later: a stop for it goes out under V2's own case, and becomes a freeze
    policy = RecoveryPolicy(rule=Rule.LIFO, freeze_after_ms=H)
    recovery = Recovery(world, policy)
    recovery.take_reports(REPORTS)
    recovery.freeze_due()
    frozen = {(o.account_id, o.case_id): o.amount_fen for o in recovery.freezes}
    assert frozen[("M1", CASE1)] == 100_000 and frozen[("M1", CASE2)] == 200_000
    # with the freeze a day later the group's stop still runs when V2's money comes: its
    # freeze takes V2's money too, and no other order is needed
    recovery = Recovery(world, RecoveryPolicy(rule=Rule.LIFO))
    recovery.take_reports(REPORTS)
    recovery.freeze_due()
    assert {o.case_id for o in recovery.orders.orders()} == {CASE1}


def test_money_that_leaves_before_the_bank_answers_is_gone(world: dict[str, pa.Table]) -> None:
    # the stop on M2 is sent at T0+3.5h; M2 cashes out at T0+4h; the bank answers at T0+4.5h
    recovery = Recovery(world, RecoveryPolicy(bank_response_ms=H))
    recovery.take_reports(REPORTS[:1])
    assert recovery.latest_trace(CASE1).exited() == {CASE1: 400_000}
    made = recovery.freeze_due()
    # M2 kept only its holder's own money: its stop runs out, nothing of it is frozen
    assert {o.account_id: o.amount_fen for o in made} == {"M1": 100_000}


def test_a_policy_names_the_field_it_refuses() -> None:
    bad: list[tuple[dict[str, object], str]] = [
        ({"rule": "newest"}, "rule"),
        ({"max_hops": 0}, "max_hops"),
        ({"intake_ms": -1}, "intake_ms"),
        ({"bank_response_ms": 1.5}, "bank_response_ms"),
        ({"freeze_after_ms": 48 * H}, "freeze_after_ms"),  # the stop would have ended
    ]
    for fields, name in bad:
        with pytest.raises(ValueError, match=name):
            RecoveryPolicy(**fields)  # type: ignore[arg-type]
    policy = RecoveryPolicy(rule=Rule.LIBR, intake_ms=20 * 60_000)
    assert RecoveryPolicy.from_record(policy.to_record()) == policy
    with pytest.raises(ValueError, match="bank_response_ms: missing"):
        RecoveryPolicy.from_record(
            {k: v for k, v in policy.to_record().items() if k != "bank_response_ms"}
        )


def test_a_summary_gives_the_runs_figures_without_its_internals(
    world: dict[str, pa.Table],
) -> None:
    recovery = Recovery(world)
    recovery.take_reports(REPORTS)
    recovery.returns(T0 + 5 * DAY_MS)
    s = summarize(recovery)
    assert (s.cases, s.groups, s.rejected_reports) == (2, 1, 0)
    assert (s.stop_orders, s.stop_orders_applied) == (2, 2)
    assert dict(s.stop_orders_by_state) == {"completed": 2}
    assert (s.stopped_fen, s.frozen_fen, s.returned_fen) == (400_000, 600_000, 600_000)
    assert dict(s.return_rounds_by_rule) == {"sole_victim": 1, "unique_split": 1}
    assert s.reported_loss_fen == 700_000 and s.returned_share == 600_000 / 700_000
    policy = recovery.policy
    assert s.median_ms_to_first_stop == policy.intake_ms + policy.bank_response_ms
    assert s.cases_with_a_stop == 1 and s.audit_entries == len(recovery.audit)
    # the fund-flow tables of the largest group: every hop with its whole transfer's amount
    assert largest_group(recovery) == CASE1
    flow = recovery.flow_tables(recovery.latest_trace(CASE1))
    assert dict(flow.amount_of) == {"t1": 500_000, "t2": 300_000, "t3": 100_000, "t5": 200_000}
    assert flow.institution_of["M1"] == "B1"


def _merging_world(gap_ms: int) -> tuple[dict[str, pa.Table], list[Report]]:
    """V2 pays M2; V1 pays M1, which passes most of it on to M3; V3 pays both M1 and M2. V2,
    V1 and V3 report `gap_ms` apart: V2's and V1's cases are two groups until V3's case
    links them into V2's."""
    accounts = [
        account("A1", "V1", opening_balance_fen=1_000_000),
        account("A2", "V2", opening_balance_fen=1_000_000),
        account("A3", "V3", opening_balance_fen=1_000_000),
        account("M1", "X1"),
        account("M2", "X2"),
        account("M3", "X3"),
    ]
    transfers = [
        transfer("u1", T0, "A2", "M2", 100_000),
        transfer("u2", T0 + 1_000, "A1", "M1", 200_000),
        transfer("u3", T0 + 1_500, "M1", "M3", 150_000),
        transfer("u4", T0 + 2_000, "A3", "M1", 50_000),
        transfer("u5", T0 + 3_000, "A3", "M2", 50_000),
    ]
    world = {"accounts": table(Account, accounts), "transfers": table(Transfer, transfers)}
    reports = [
        report("rA", T0 + H, "V2", ["u1"], 100_000),
        report("rB", T0 + H + gap_ms, "V1", ["u2"], 200_000),
        report("rC", T0 + H + 2 * gap_ms, "V3", ["u4", "u5"], 100_000),
    ]
    return world, reports


def test_groups_that_merge_before_the_bank_answers_still_get_their_answer() -> None:
    # ten minutes apart: V3's case merges the groups while the banks check V1's stops
    world, reports = _merging_world(10 * 60_000)
    recovery = Recovery(world, RecoveryPolicy(bank_response_ms=H))
    rounds = recovery.take_reports(reports)
    assert {c.group_id for c in recovery.cases.values()} == {case_id_for("rA")}
    assert [r.group_id for r in rounds] == [case_id_for(r) for r in ("rA", "rB", "rA")]
    stops = recovery.orders.orders(kind=OrderKind.STOP_PAYMENT)
    assert stops and all(o.state == OrderState.EXECUTED for o in stops)
    assert set(recovery.first_stop_ts) == {case_id_for(r) for r in ("rA", "rB", "rC")}


def test_a_group_merged_into_another_claims_nothing_twice_at_return() -> None:
    """M3 holds V1's money alone: returned directly, with no pro-rata notice, though V1's
    first group was traced apart before V3's report merged it into V2's."""
    world, reports = _merging_world(H)
    recovery = Recovery(world)
    recovery.take_reports(reports)
    assert {c.group_id for c in recovery.cases.values()} == {case_id_for("rA")}
    returned = recovery.returns(T0 + 5 * DAY_MS)
    from_m3 = [o for o in returned if o.account_id == "M3"]
    assert [(o.to_account, o.amount_fen) for o in from_m3] == [("A1", 150_000)]
    planned = [e for e in recovery.audit.about("M3#R1") if e.action == "return_planned"]
    assert [e.figures["rule"] for e in planned] == ["sole_victim"]
    assert "notice_published" not in [e.action for e in recovery.audit.about("M3#R1")]
