"""Stop-payment and freeze orders: hand-worked cases of the rules, and a property on the limit."""

from __future__ import annotations

import calendar
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fraudwall.funds import AuditTrail, BankRecord, Citation, OrderBook, OrderError, StopTarget
from fraudwall.funds.orders import (
    ANTI_FRAUD_LAW,
    MAX_STOPS_PER_ACCOUNT,
    STOP_PAYMENT_MS,
    DuplicateOrderError,
    StopLimitError,
    add_calendar_months,
    bank_check,
)
from fraudwall.model import DAY_MS, HOUR_MS, MINUTE_MS, Order, OrderKind, OrderState


def ms(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> int:
    return calendar.timegm(datetime(y, mo, d, h, mi).timetuple()) * 1000


T0 = ms(2024, 3, 1, 9)
TRANSFER_TS = T0 - 2 * HOUR_MS


def cite(account: str = "A1", name: str = "张三", amount: int = 500_000) -> Citation:
    return Citation(account, name, amount, TRANSFER_TS, transfer_id="T1")


def record(
    account: str = "A1",
    name: str = "张三",
    amount: int | None = 500_000,
    ts: int | None = TRANSFER_TS,
    balance: int = 300_000,
) -> BankRecord:
    return BankRecord(account, name, amount, ts, balance)


def stopped(book: OrderBook, case: str = "C1", account: str = "A1", at: int = T0) -> Order:
    """A stop-payment issued and applied at `at` for a traced ¥4,000."""
    order = book.issue_stop(case, "B1", account, 400_000, cite(account), at)
    return book.apply(order.order_id, record(account), at)


# --- stop-payment -----------------------------------------------------------------------
def test_stop_executes_for_48_hours_from_application() -> None:
    book = OrderBook()
    order = book.issue_stop("C1", "B1", "A1", 400_000, cite(), T0)
    assert order.order_id == "SP000001-C1"
    assert order.kind == OrderKind.STOP_PAYMENT and order.state == OrderState.ISSUED
    assert ANTI_FRAUD_LAW in order.legal_basis
    assert book.stopped_until("A1", T0) is None  # not applied yet

    applied = book.apply(order.order_id, record(), T0 + HOUR_MS)
    assert applied.state == OrderState.EXECUTED
    assert applied.applied_ts == T0 + HOUR_MS
    assert applied.expires_ts == T0 + HOUR_MS + 48 * HOUR_MS
    assert applied.feedback is not None and applied.feedback.startswith("executed")
    assert book.active_stops(T0 + HOUR_MS) == {"A1": T0 + 49 * HOUR_MS}

    assert book.stopped_until("A1", T0 + 49 * HOUR_MS - 1) == T0 + 49 * HOUR_MS
    assert book.stopped_until("A1", T0 + 49 * HOUR_MS) is None
    ended = book.expire(T0 + 50 * HOUR_MS)
    assert [o.order_id for o in ended] == [order.order_id]
    assert book.get(order.order_id).state == OrderState.EXPIRED
    expired = book.audit.about(order.order_id)[-1]
    assert expired.action == "stop_expired" and expired.ts == T0 + 49 * HOUR_MS
    assert book.audit.actions() == ["stop_issued", "stop_executed", "stop_expired"]


def test_stopped_account_receives_but_cannot_pay_out() -> None:
    book = OrderBook()
    stopped(book)
    inside = T0 + STOP_PAYMENT_MS - 1
    reason = book.debit_refusal("A1", 100, 300_000, inside)
    assert reason is not None and "A1" in reason and "stop-payment" in reason
    assert book.debit_refusal("A2", 100, 300_000, inside) is None  # other accounts pay freely
    assert book.debit_refusal("A1", 100, 300_000, T0 + STOP_PAYMENT_MS) is None


def test_third_stop_on_an_account_is_refused() -> None:
    book = OrderBook()
    stopped(book, "C1")
    stopped(book, "C2", at=T0 + HOUR_MS)
    assert book.stop_count("A1") == MAX_STOPS_PER_ACCOUNT
    with pytest.raises(StopLimitError, match="account A1 has had 2 stop-payments"):
        book.issue_stop("C3", "B1", "A1", 100_000, cite(), T0 + 2 * HOUR_MS)
    # even long after both ended: two per account, ever
    with pytest.raises(StopLimitError, match="A1"):
        book.issue_stop("C3", "B1", "A1", 100_000, cite(), T0 + 30 * DAY_MS)
    assert book.audit.actions()[-1] == "stop_refused"
    # but the account can still be frozen directly
    frozen = book.freeze("C3", "B1", "A1", 100_000, 300_000, T0 + 30 * DAY_MS)
    assert frozen.state == OrderState.EXECUTED


def test_refused_or_withdrawn_stops_do_not_count() -> None:
    book = OrderBook()
    bad = book.issue_stop("C1", "B1", "A1", 400_000, cite(name="李四"), T0)
    book.apply(bad.order_id, record(), T0)
    empty = book.issue_stop("C1", "B1", "A1", 400_000, cite(), T0)
    book.apply(empty.order_id, record(balance=0), T0)
    withdrawn = book.issue_stop("C1", "B1", "A1", 400_000, cite(), T0)
    book.lift(withdrawn.order_id, T0, reason="victim's report withdrawn")
    assert book.stop_count("A1") == 0
    stopped(book, "C1")
    stopped(book, "C2")
    assert book.stop_count("A1") == 2


def test_mismatch_names_the_fields_that_differ() -> None:
    book = OrderBook()
    order = book.issue_stop("C1", "B1", "A1", 400_000, cite(name="张山", amount=510_000), T0)
    out = book.apply(order.order_id, record(ts=TRANSFER_TS + 10 * MINUTE_MS), T0)
    assert out.state == OrderState.MISMATCH
    assert out.applied_ts is None and out.expires_ts is None
    fb = out.feedback or ""
    assert "account name: cited 张山, bank has 张三" in fb
    assert "amount: cited ¥5,100.00, bank has ¥5,000.00" in fb
    assert "time:" in fb
    assert "account number" not in fb
    assert book.stopped_until("A1", T0) is None
    entry = book.audit.about(order.order_id)[-1]
    assert entry.action == "stop_mismatch" and entry.actor == "B1"
    assert len(entry.figures["mismatches"] or []) == 3  # type: ignore[arg-type]


def test_bank_check_tolerates_small_time_differences_and_spots_missing_transfers() -> None:
    assert bank_check(cite(), record(ts=TRANSFER_TS + 59_000)) == []
    assert bank_check(cite(), record(ts=TRANSFER_TS + 61_000))[0].startswith("time")
    assert bank_check(cite(), record(ts=TRANSFER_TS + 61_000), tolerance_ms=120_000) == []
    missing = bank_check(cite(), record(amount=None, ts=None))
    assert missing == ["transfer T1: no such transfer in the bank's records"]
    assert bank_check(cite(), record(account="A9"))[0].startswith("account number")


def test_no_funds_when_the_balance_is_zero() -> None:
    book = OrderBook()
    order = book.issue_stop("C1", "B1", "A1", 400_000, cite(), T0)
    out = book.apply(order.order_id, record(balance=0), T0)
    assert out.state == OrderState.NO_FUNDS
    assert out.feedback == "no funds — balance ¥0.00 at application"
    assert book.stopped_until("A1", T0) is None
    with pytest.raises(OrderError, match="only a issued one"):
        book.apply(order.order_id, record(), T0)


def test_no_duplicate_live_order_for_a_case_and_account() -> None:
    book = OrderBook()
    first = book.issue_stop("C1", "B1", "A1", 400_000, cite(), T0)
    with pytest.raises(DuplicateOrderError) as err:
        book.issue_stop("C1", "B1", "A1", 400_000, cite(), T0)
    assert err.value.existing.order_id == first.order_id
    book.apply(first.order_id, record(), T0)
    with pytest.raises(DuplicateOrderError):
        book.issue_stop("C1", "B1", "A1", 400_000, cite(), T0 + HOUR_MS)
    # another case may stop the same account; the same case may once the stop has ended
    book.issue_stop("C2", "B1", "A1", 100_000, cite(), T0 + HOUR_MS)
    with pytest.raises(StopLimitError):
        book.issue_stop("C1", "B1", "A1", 400_000, cite(), T0 + 3 * DAY_MS)


def test_orders_follow_the_money_as_tracing_goes_deeper() -> None:
    book = OrderBook()
    hop1 = [StopTarget("B1", "A1", 400_000, cite("A1"))]
    hop2 = [
        StopTarget("B1", "A1", 400_000, cite("A1")),
        StopTarget("B2", "A2", 250_000, cite("A2")),
        StopTarget("P1", "W3", 150_000, cite("W3")),
    ]
    first = book.follow_money("C1", hop1, T0)
    deeper = book.follow_money("C1", hop2, T0 + HOUR_MS)
    assert [o.account_id for o in first] == ["A1"]
    assert [(o.order_id, o.institution_id) for o in deeper] == [
        ("SP000002-C1", "B2"),
        ("SP000003-C1", "P1"),
    ]
    skipped = [e for e in book.audit if e.action == "stop_skipped"]
    assert len(skipped) == 1 and skipped[0].figures["existing"] == "SP000001-C1"


def test_lift_ends_a_stop_early() -> None:
    book = OrderBook()
    order = stopped(book)
    lifted = book.lift(order.order_id, T0 + HOUR_MS, actor="officer 007", reason="funds explained")
    assert lifted.state == OrderState.LIFTED
    assert book.stopped_until("A1", T0 + HOUR_MS) is None
    assert book.audit[-1].actor == "officer 007" and "funds explained" in book.audit[-1].detail
    with pytest.raises(OrderError, match="it is lifted"):
        book.lift(order.order_id, T0 + 2 * HOUR_MS, reason="again")
    with pytest.raises(OrderError, match="cannot freeze"):
        book.convert_to_freeze(order.order_id, 300_000, T0 + 2 * HOUR_MS)


# --- freeze -----------------------------------------------------------------------------
def test_stop_becomes_a_freeze_capped_at_the_balance_for_six_calendar_months() -> None:
    book = OrderBook()
    start = ms(2024, 8, 31, 10)
    order = book.issue_stop("C1", "B1", "A1", 400_000, cite(), start)
    book.apply(order.order_id, record(), start)
    at = start + 20 * HOUR_MS
    freeze = book.convert_to_freeze(order.order_id, 300_000, at)
    assert freeze.order_id == "FZ000001-C1" and freeze.kind == OrderKind.FREEZE
    assert freeze.state == OrderState.EXECUTED
    assert freeze.amount_fen == 300_000  # traced ¥4,000, but only ¥3,000 there
    assert freeze.expires_ts == ms(2025, 3, 1, 6)  # 1 Sep 06:00 + 6 months
    assert book.get(order.order_id).state == OrderState.COMPLETED
    assert book.stopped_until("A1", at) is None
    assert book.frozen_fen("A1", at) == 300_000
    refusal = book.debit_refusal("A1", 1, 300_000, at)
    assert refusal is not None and "frozen" in refusal
    assert book.debit_refusal("A1", 50_000, 350_000, at) is None  # above the frozen amount
    assert "(capped)" in book.audit.about(freeze.order_id)[0].detail
    assert book.audit.actions()[-2:] == ["freeze_executed", "stop_converted"]


def test_calendar_months_clamp_to_the_end_of_month() -> None:
    assert add_calendar_months(ms(2024, 8, 31, 12), 6) == ms(2025, 2, 28, 12)
    assert add_calendar_months(ms(2023, 8, 31, 12), 6) == ms(2024, 2, 29, 12)
    assert add_calendar_months(ms(2024, 1, 15, 23, 59) + 123, 6) == ms(2024, 7, 15, 23, 59) + 123
    assert add_calendar_months(ms(2024, 10, 1), 6) == ms(2025, 4, 1)


def test_cannot_freeze_an_expired_stop() -> None:
    book = OrderBook()
    order = stopped(book)
    with pytest.raises(OrderError, match="it is expired"):
        book.convert_to_freeze(order.order_id, 300_000, T0 + STOP_PAYMENT_MS)


def test_freeze_with_nothing_left_is_no_funds_and_the_stop_runs_on() -> None:
    book = OrderBook()
    order = stopped(book)
    freeze = book.convert_to_freeze(order.order_id, 0, T0 + HOUR_MS)
    assert freeze.state == OrderState.NO_FUNDS and freeze.amount_fen == 0
    assert book.get(order.order_id).state == OrderState.EXECUTED
    assert book.stopped_until("A1", T0 + HOUR_MS) == T0 + STOP_PAYMENT_MS
    later = book.convert_to_freeze(order.order_id, 200_000, T0 + 2 * HOUR_MS)
    assert later.amount_fen == 200_000


def test_second_case_freezes_only_what_is_not_frozen_yet() -> None:
    book = OrderBook()
    book.freeze("C1", "B1", "A1", 250_000, 300_000, T0)
    second = book.freeze("C2", "B1", "A1", 250_000, 300_000, T0)
    assert second.amount_fen == 50_000
    assert book.frozen_fen("A1", T0) == 300_000
    with pytest.raises(DuplicateOrderError):
        book.freeze("C1", "B1", "A1", 1, 300_000, T0)


def test_freeze_renewed_from_its_end_then_released() -> None:
    book = OrderBook()
    start = ms(2024, 1, 10, 8)
    freeze = book.freeze("C1", "B1", "A1", 400_000, 500_000, start)
    assert freeze.expires_ts == ms(2024, 7, 10, 8)
    renewed = book.renew(freeze.order_id, ms(2024, 7, 1), reason="investigation continues")
    assert renewed.expires_ts == ms(2025, 1, 10, 8)
    assert book.frozen_fen("A1", ms(2024, 12, 1)) == 400_000
    released = book.release(freeze.order_id, ms(2024, 12, 1), reason="court ruling")
    assert released.state == OrderState.RELEASED
    assert book.frozen_fen("A1", ms(2024, 12, 1)) == 0
    with pytest.raises(OrderError, match=r"cannot renew freeze .* it is released"):
        book.renew(freeze.order_id, ms(2024, 12, 2), reason="too late")
    with pytest.raises(OrderError, match="cannot release"):
        book.release(freeze.order_id, ms(2024, 12, 2), reason="twice")
    assert book.audit.actions() == ["freeze_executed", "freeze_renewed", "freeze_released"]


def test_freeze_expires_and_cannot_be_renewed_after() -> None:
    book = OrderBook()
    freeze = book.freeze("C1", "B1", "A1", 400_000, 500_000, ms(2024, 1, 10))
    assert book.frozen_fen("A1", ms(2024, 7, 10) - 1) == 400_000
    assert book.frozen_fen("A1", ms(2024, 7, 10)) == 0
    with pytest.raises(OrderError, match="it is expired"):
        book.renew(freeze.order_id, ms(2024, 7, 11), reason="late")
    assert book.audit.actions() == ["freeze_executed", "freeze_expired"]


def test_returns_draw_the_freeze_down_victims_case_first() -> None:
    book = OrderBook()
    f1 = book.freeze("C1", "B1", "A1", 200_000, 500_000, T0)
    f2 = book.freeze("C2", "B1", "A1", 300_000, 500_000, T0)

    def ret(n: int, case: str, amount: int) -> Order:
        return Order(
            order_id=f"RT{n}",
            kind=OrderKind.RETURN,
            case_id=case,
            institution_id="B1",
            account_id="A1",
            amount_fen=amount,
            legal_basis="x",
            state=OrderState.EXECUTED,
            issued_ts=T0,
            to_account="V",
        )

    changed = book.settle_return(ret(1, "C2", 250_000), T0 + DAY_MS)
    assert [(o.order_id, o.amount_fen) for o in changed] == [(f2.order_id, 50_000)]
    changed = book.settle_return(ret(2, "C2", 100_000), T0 + DAY_MS)
    assert [(o.order_id, o.amount_fen, o.state) for o in changed] == [
        (f2.order_id, 0, OrderState.COMPLETED),
        (f1.order_id, 150_000, OrderState.EXECUTED),
    ]
    assert book.frozen_fen("A1", T0 + DAY_MS) == 150_000
    with pytest.raises(OrderError, match="exceeds"):
        book.settle_return(ret(3, "C1", 150_001), T0 + DAY_MS)
    with pytest.raises(OrderError, match="already settled"):
        book.settle_return(ret(1, "C2", 1), T0 + DAY_MS)
    assert book.frozen_fen("A1", T0 + DAY_MS) == 150_000


def test_clock_never_goes_back() -> None:
    book = OrderBook()
    stopped(book, at=T0)
    with pytest.raises(OrderError, match="time went backwards"):
        book.issue_stop("C9", "B1", "A9", 1, cite("A9"), T0 - 1)


def test_shared_audit_trail_serialises() -> None:
    trail = AuditTrail()
    book = OrderBook(trail)
    stopped(book)
    rows = trail.to_records()
    assert [r["seq"] for r in rows] == [0, 1]
    assert rows[0]["figures"]["amount_fen"] == 400_000  # type: ignore[index]
    assert str(trail[0]).startswith("2024-03-01 09:00:00 UTC police stop_issued SP000001-C1")


# --- property: the limit of two holds whatever happens ---------------------------------
ops = st.lists(
    st.tuples(
        st.sampled_from(["issue", "apply_ok", "apply_bad", "apply_empty", "lift", "freeze"]),
        st.sampled_from(["A1", "A2"]),
        st.sampled_from(["C1", "C2", "C3"]),
        st.integers(0, 30 * HOUR_MS),
    ),
    max_size=40,
)


@given(ops)
def test_never_more_than_two_stops_applied_per_account(
    steps: list[tuple[str, str, str, int]],
) -> None:
    book = OrderBook()
    now = T0
    for op, account, case, dt in steps:
        now += dt
        try:
            if op == "issue":
                book.issue_stop(case, "B1", account, 100_000, cite(account), now)
                continue
            pending = [
                o
                for o in book.orders(account_id=account, case_id=case)
                if o.state in (OrderState.ISSUED, OrderState.EXECUTED)
                and o.kind == OrderKind.STOP_PAYMENT
            ]
            if not pending:
                continue
            oid = pending[-1].order_id
            if op == "apply_ok":
                book.apply(oid, record(account), now)
            elif op == "apply_bad":
                book.apply(oid, record(account, name="王五"), now)
            elif op == "apply_empty":
                book.apply(oid, record(account, balance=0), now)
            elif op == "lift":
                book.lift(oid, now, reason="decision")
            else:
                book.convert_to_freeze(oid, 80_000, now)
        except OrderError:
            pass
        for acct in ("A1", "A2"):
            applied = [
                o
                for o in book.orders(account_id=acct, kind=OrderKind.STOP_PAYMENT)
                if o.applied_ts is not None
            ]
            assert len(applied) <= MAX_STOPS_PER_ACCOUNT
            assert book.frozen_fen(acct, now) <= 80_000
    assert len(book.audit) >= len(book.orders())
