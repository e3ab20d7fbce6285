"""Cases: reports checked against the ledger, refused with the field and the problem,
linked into groups by shared accounts, devices and numbers; kept in the store."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from funds_world import T0, H, account, call, phone, report, table, transfer

from fraudwall.funds import (
    AuditEntry,
    CaseStore,
    GivenGroups,
    Recovery,
    StatedPayment,
    account_owners,
    case_id_for,
    group_evidence,
    open_cases,
    store_url,
)
from fraudwall.model import Account, Call, Login, Order, OrderKind, OrderState, Phone, Sms, Transfer


@pytest.fixture
def world() -> dict[str, pa.Table]:
    """Four victims (V1..V4), mules M1..M4; V1 and V2 pay the same mule M1; M2 and M3 are
    run from one device D9; V4 is talked into paying by a number that also talked to V1."""
    accounts = [account(f"A{v}", f"V{v}") for v in range(1, 6)]
    accounts += [account(f"M{m}", f"X{m}") for m in range(1, 6)]
    accounts += [account("BANKFEE", None, "corporate")]
    transfers = [
        transfer("t1", T0, "A1", "M1", 500_00),
        transfer("t2", T0 + H, "A1", "M1", 300_00),
        transfer("t3", T0 + 2 * H, "A2", "M1", 200_00),
        transfer("t4", T0 + 3 * H, "A3", "M2", 900_00),
        transfer("t5", T0 + 3 * H, "A5", "M3", 100_00),
        transfer("t6", T0 + 4 * H, "M2", "M4", 800_00, device="D9"),
        transfer("t7", T0 + 5 * H, "M3", "M4", 90_00, device="D9"),
        transfer("t8", T0 + 6 * H, "A4", "M5", 400_00),
        transfer("t9", T0 + 6 * H, "A4", "BANKFEE", 1_00),
    ]
    phones = [phone(f"+861390000000{v}", f"V{v}") for v in range(1, 6)]
    phones += [
        phone("+8617000000001", "X9"),
        phone("+8617000000002", "X8"),
        phone("+8695555", None, "service"),
    ]
    calls = [
        # the scammer's number talks long with V1 and V4 before their payments
        call("c1", T0 - 2 * H, "+8617000000001", "+8613900000001", 900_000),
        call("c2", T0 + 5 * H, "+8617000000001", "+8613900000004", 600_000),
        # a stranger's short sales calls reach V2 and V3: no link
        call("c3", T0 + H, "+8617000000002", "+8613900000002", 20_000),
        call("c4", T0 + 2 * H, "+8617000000002", "+8613900000003", 20_000),
        # the bank's service line calls everyone: no link
        call("c5", T0 + H, "+8695555", "+8613900000003", 600_000),
        call("c6", T0 + H, "+8695555", "+8613900000005", 600_000),
    ]
    return {
        "accounts": table(Account, accounts),
        "transfers": table(Transfer, transfers),
        "phones": table(Phone, phones),
        "calls": table(Call, calls),
        "sms": table(Sms, []),
        "logins": table(Login, []),
    }


def test_a_good_report_becomes_a_case(world: dict[str, pa.Table]) -> None:
    intake = open_cases([report("r1", T0 + 8 * H, "V1", ["t1", "t2"], 750_00)], world)
    assert not intake.rejected
    (case,) = intake.cases
    assert case.case_id == case_id_for("r1")
    assert case.victim_person_id == "V1"
    assert case.victim_accounts == ["A1"]
    assert case.paid_fen == 800_00 and case.loss_fen == 750_00
    assert case.opened_ts == T0 + 8 * H


@pytest.mark.parametrize(
    ("ids", "loss", "person", "field", "words"),
    [
        (["t1", "nope"], 1, "V1", "transfer_ids[1]", "no transfer 'nope' in the ledger"),
        (["t1", "t1"], 1, "V1", "transfer_ids[1]", "listed twice"),
        (["t3"], 1, "V1", "transfer_ids[0]", "paid from account A2, which is not V1's"),
        (["t1"], 900_00, "V1", "loss_fen", "90000 is more than the 50000"),
        ([], 0, "V1", "transfer_ids", "at least one"),
    ],
)
def test_a_report_that_does_not_fit_the_ledger_is_refused_with_field_and_reason(
    world: dict[str, pa.Table], ids: list[str], loss: int, person: str, field: str, words: str
) -> None:
    good = report("r0", T0 + 8 * H, "V4", ["t8"], 400_00)
    intake = open_cases([good, report("bad", T0 + 8 * H, person, ids, loss)], world)
    assert [c.report_id for c in intake.cases] == ["r0"]  # the good one is not lost
    (rejected,) = intake.rejected
    assert rejected.report_id == "bad"
    assert rejected.field == field and words in rejected.problem
    assert intake.rejected_table().to_pylist() == [{"report_id": "bad", "reason": rejected.reason}]


def test_a_payment_after_the_report_is_refused(world: dict[str, pa.Table]) -> None:
    intake = open_cases([report("r1", T0 + H // 2, "V1", ["t1", "t2"], 1)], world)
    assert intake.rejected[0].field == "transfer_ids[1]"
    assert "is after the report" in intake.rejected[0].problem


def test_claimed_amount_and_time_are_checked(world: dict[str, pa.Table]) -> None:
    reports = [
        report("r1", T0 + 8 * H, "V1", ["t1"], 1),
        report("r2", T0 + 8 * H, "V2", ["t3"], 1),
        report("r3", T0 + 8 * H, "V3", ["t4"], 1),
    ]
    claims = {
        "r1": [StatedPayment("t1", amount_fen=499_00)],
        "r2": [StatedPayment("t3", ts=T0)],  # two hours off
        "r3": [StatedPayment("t4", amount_fen=900_00, ts=T0 + 3 * H + 60_000)],  # within tolerance
    }
    intake = open_cases(reports, world, claims=claims)
    assert [c.report_id for c in intake.cases] == ["r3"]
    problems = {r.report_id: (r.field, r.problem) for r in intake.rejected}
    assert problems["r1"][0] == "amount_fen" and "the ledger has 50000" in problems["r1"][1]
    assert problems["r2"][0] == "ts" and "the ledger has" in problems["r2"][1]


def test_a_payment_is_never_in_two_cases_and_intake_is_idempotent(
    world: dict[str, pa.Table],
) -> None:
    first = open_cases([report("r1", T0 + 8 * H, "V1", ["t1"], 1)], world)
    again = open_cases(
        [
            report("r1", T0 + 8 * H, "V1", ["t1"], 1),  # the same report: skipped
            report("r2", T0 + 9 * H, "V1", ["t1", "t2"], 1),  # t1 again: refused
        ],
        world,
        existing=first.cases,
    )
    assert [c.case_id for c in again.cases] == [case_id_for("r1")]
    assert again.rejected[0].field == "transfer_ids[0]"
    assert "already in case CASE-r1" in again.rejected[0].problem


def test_cases_sharing_an_account_a_device_or_a_talking_number_form_one_group(
    world: dict[str, pa.Table],
) -> None:
    reports = [
        report("r1", T0 + 8 * H, "V1", ["t1", "t2"], 800_00),
        report("r2", T0 + 9 * H, "V2", ["t3"], 200_00),  # same mule M1 as V1
        report("r3", T0 + 10 * H, "V3", ["t4"], 900_00),  # M2, run from D9
        report("r5", T0 + 11 * H, "V5", ["t5"], 100_00),  # M3, also run from D9
        report("r4", T0 + 12 * H, "V4", ["t8"], 400_00),  # the number that talked to V1
    ]
    intake = open_cases(reports, world)
    group = {c.report_id: c.group_id for c in intake.cases}
    assert group["r1"] == group["r2"] == group["r4"] == case_id_for("r1")
    assert group["r3"] == group["r5"] == case_id_for("r3")
    links = intake.links[case_id_for("r3")]
    assert "device:D9" in links and "account:M2" in links
    # short sales calls and the bank's service line link nobody
    assert not any(k.startswith("number:") for k in links)
    assert "number:+8617000000001" in intake.links[case_id_for("r4")]
    # payments to a bank's own account are no link either
    assert "account:BANKFEE" not in intake.links[case_id_for("r4")]


def test_a_group_keeps_its_name_when_a_later_case_joins(world: dict[str, pa.Table]) -> None:
    first = open_cases([report("r2", T0 + 9 * H, "V2", ["t3"], 1)], world)
    later = open_cases(
        [report("r1", T0 + 8 * H, "V1", ["t1"], 1)], world, existing=first.cases
    )  # reported earlier, opened later: still the earliest report names the group
    assert {c.group_id for c in later.cases} == {case_id_for("r1")}
    again = open_cases([], world, existing=later.cases)
    assert {c.group_id for c in again.cases} == {case_id_for("r1")}


def test_the_store_keeps_cases_orders_rejections_and_audit(
    world: dict[str, pa.Table], tmp_path: Path
) -> None:
    intake = open_cases(
        [
            report("r1", T0 + 8 * H, "V1", ["t1"], 1),
            report("bad", T0 + 8 * H, "V1", ["zzz"], 1),
        ],
        world,
    )
    store = CaseStore(store_url(tmp_path))
    store.put_cases(intake.cases)
    store.put_cases(intake.cases)  # a step run twice leaves one row
    store.put_rejected([(r.report_id, r.reason) for r in intake.rejected])
    order = Order(
        order_id="SP1",
        kind=OrderKind.STOP_PAYMENT,
        case_id=case_id_for("r1"),
        institution_id="B1",
        account_id="M1",
        amount_fen=500_00,
        legal_basis="反电信网络诈骗法",
        state=OrderState.ISSUED,
        issued_ts=T0 + 8 * H,
    )
    store.put_orders([order])
    store.put_orders([order])
    store.append_audit([AuditEntry(T0, "police", "open_case", "CASE-r1", "立案", {"paid_fen": 1})])
    store.close()

    reopened = CaseStore(store_url(tmp_path))
    assert reopened.all_cases() == intake.cases
    assert reopened.case(case_id_for("r1")) == intake.cases[0]
    assert reopened.all_orders() == [order]
    assert reopened.all_orders(OrderKind.FREEZE) == []
    assert reopened.all_rejected() == [("bad", intake.rejected[0].reason)]
    (entry,) = reopened.audit_trail()
    assert (entry.actor, entry.action, entry.detail) == ("police", "open_case", "立案")
    assert entry.figures == {"paid_fen": 1}
    with pytest.raises(KeyError, match="no case 'CASE-x'"):
        reopened.case("CASE-x")


def test_reports_taken_one_at_a_time_group_as_all_at_once(world: dict[str, pa.Table]) -> None:
    reports = [
        report("r1", T0 + 8 * H, "V1", ["t1", "t2"], 800_00),
        report("r2", T0 + 9 * H, "V2", ["t3"], 200_00),
        report("r3", T0 + 10 * H, "V3", ["t4"], 900_00),
        report("r5", T0 + 11 * H, "V5", ["t5"], 100_00),
        report("r4", T0 + 12 * H, "V4", ["t8"], 400_00),
    ]
    at_once = open_cases(reports, world)
    owners = account_owners(world["accounts"])
    cases: list = []
    links: dict = {}
    for r in reports:  # as the recovery chain takes them, reusing each case's links
        step = open_cases([r], world, existing=cases, links=links, owners=owners)
        cases, links = step.cases, step.links
    assert cases == at_once.cases and links == at_once.links


def test_given_groups_decide_the_groups_of_the_cases_they_name(
    world: dict[str, pa.Table],
) -> None:
    reports = [
        report("r1", T0 + 8 * H, "V1", ["t1", "t2"], 800_00),
        report("r2", T0 + 9 * H, "V2", ["t3"], 200_00),  # shares mule M1 with r1
        report("r3", T0 + 10 * H, "V3", ["t4"], 900_00),
        report("r5", T0 + 11 * H, "V5", ["t5"], 100_00),  # shares device D9 with r3
        report("r4", T0 + 12 * H, "V4", ["t8"], 400_00),
    ]
    # a gang finder puts r1 with r3 (one device runs their payees) and r2 apart
    given = GivenGroups.of_reports(
        [
            ("r1", "GANG0001", ["device:D9", "account:M1"]),
            ("r3", "GANG0001", ["device:D9"]),
            ("r2", "GANG0002", ["account:M1"]),
        ],
        source="gangs",
    )
    intake = open_cases(reports, world, groups=given)
    group = {c.report_id: c.group_id for c in intake.cases}
    assert group["r1"] == group["r3"] == "GANG0001"
    assert group["r2"] == "GANG0002"
    # the cases it does not name are grouped by their own links, among themselves
    assert group["r5"] == case_id_for("r5") and group["r4"] == case_id_for("r4")
    evidence = group_evidence(intake.cases, intake.links, given)
    assert evidence["GANG0001"] == {
        "account:M1": [case_id_for("r1")],
        "device:D9": [case_id_for("r1"), case_id_for("r3")],
    }
    assert evidence["GANG0002"] == {"account:M1": [case_id_for("r2")]}
    # taken one at a time, as the recovery chain does, the groups are the same
    cases: list = []
    links: dict = {}
    for r in reports:
        step = open_cases([r], world, existing=cases, links=links, groups=given)
        cases, links = step.cases, step.links
    assert {c.report_id: c.group_id for c in cases} == group


def test_the_recovery_chain_traces_given_groups_and_audits_their_evidence(
    world: dict[str, pa.Table],
) -> None:
    given = GivenGroups.of_reports(
        [("r1", "GANG0001", ["device:D9"]), ("r3", "GANG0001", ["device:D9"])], source="gangs"
    )
    recovery = Recovery(world, groups=given)
    recovery.take_reports(
        [
            report("r1", T0 + 8 * H, "V1", ["t1"], 500_00),
            report("r3", T0 + 10 * H, "V3", ["t4"], 900_00),
        ]
    )
    assert {c.group_id for c in recovery.cases.values()} == {"GANG0001"}
    assert set(recovery.latest_trace("GANG0001").victims) == {case_id_for("r1"), case_id_for("r3")}
    opened = [e for e in recovery.audit if e.action == "case_opened"]
    assert [e.figures["linked_by"] for e in opened] == [["device:D9"], ["device:D9"]]
    assert all("gangs: device:D9" in e.detail for e in opened)
