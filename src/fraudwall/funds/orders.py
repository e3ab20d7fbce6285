"""Stop-payment (紧急止付) and freeze (快速冻结) orders as plain, audited state (DESIGN §2, §6).

The police issue a stop-payment to the institution holding an account that traced money
reached. The bank checks the transfer the police cite — account number and name, amount,
time — against its own books and answers: executed (the account may receive but not pay
out for 48 hours from application), mismatch (which field differs) or no funds (balance
zero). An account can be stopped at most twice, ever. A live stop can become a freeze of
the traced amount, capped at the balance not already frozen; a freeze lasts six calendar
months, can be renewed before it ends and is released by decision. Returns (see
`fraudwall.funds.returns`) draw the frozen amount down.

`OrderBook` holds the orders in memory and appends every decision to an `AuditTrail`.
Each order is an immutable `fraudwall.model.Order`; a transition stores a replaced copy.
The book's clock only moves forward: every change takes `now` and first expires what is
due, so the state never depends on wall-clock time.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from msgspec.structs import replace

from fraudwall.funds.audit import AuditAction, AuditTrail
from fraudwall.model import HOUR_MS, MINUTE_MS, Order, OrderKind, OrderState, utc, yuan

#: A stop-payment holds for 48 hours from when the bank applies it.
STOP_PAYMENT_MS = 48 * HOUR_MS
#: At most two stop-payments per account, ever.
MAX_STOPS_PER_ACCOUNT = 2
#: A freeze lasts six calendar months; each renewal adds six more to the current end.
FREEZE_MONTHS = 6
#: How far the time the police cite may be from the bank's own record of the transfer.
DEFAULT_TIME_TOLERANCE_MS = MINUTE_MS

ANTI_FRAUD_LAW = "《中华人民共和国反电信网络诈骗法》"
STOP_PAYMENT_BASIS = f"{ANTI_FRAUD_LAW}第二十条（紧急止付）"
FREEZE_BASIS = f"{ANTI_FRAUD_LAW}第二十条（快速冻结）"

_PREFIX = {OrderKind.STOP_PAYMENT: "SP", OrderKind.FREEZE: "FZ"}
_KIND_ZH = {OrderKind.STOP_PAYMENT: "紧急止付", OrderKind.FREEZE: "快速冻结"}
_EXPIRED = {
    OrderKind.STOP_PAYMENT: AuditAction.STOP_EXPIRED,
    OrderKind.FREEZE: AuditAction.FREEZE_EXPIRED,
}


class OrderError(ValueError):
    """An order that cannot be issued or a transition that is not allowed."""


class StopLimitError(OrderError):
    """A third stop-payment on an account: the law allows two."""


class DuplicateOrderError(OrderError):
    """An order for an account and case that already has a live one (`existing`)."""

    def __init__(self, message: str, existing: Order) -> None:
        super().__init__(message)
        self.existing = existing


@dataclass(frozen=True, slots=True)
class Citation:
    """The transfer the police cite in a stop-payment: the victim's money arriving here.

    `account_id` is the account number, `account_name` the holder's name as the police
    have it, `amount_fen` and `ts` the transfer's amount and time from the victim's report
    or from tracing.
    """

    account_id: str
    account_name: str
    amount_fen: int
    ts: int
    transfer_id: str | None = None


@dataclass(frozen=True, slots=True)
class BankRecord:
    """What the bank's own books say when it receives the order.

    The holder's name and number for the account, the cited transfer's amount and time
    (None when the bank finds no such transfer) and the balance at application.
    """

    account_id: str
    account_name: str
    transfer_amount_fen: int | None
    transfer_ts: int | None
    balance_fen: int


@dataclass(frozen=True, slots=True)
class StopTarget:
    """An account tracing reached: where it is held, how much was traced to it, the proof."""

    institution_id: str
    account_id: str
    amount_fen: int
    cite: Citation


def bank_check(
    cite: Citation, record: BankRecord, tolerance_ms: int = DEFAULT_TIME_TOLERANCE_MS
) -> list[str]:
    """The fields of the police's citation that the bank's records do not confirm.

    An empty list means the order can be applied. Each item names the field and both
    values, so the police see at once what to correct.
    """
    bad: list[str] = []
    if cite.account_id != record.account_id:
        bad.append(f"account number: cited {cite.account_id}, bank has {record.account_id}")
    if cite.account_name != record.account_name:
        bad.append(f"account name: cited {cite.account_name}, bank has {record.account_name}")
    if record.transfer_amount_fen is None or record.transfer_ts is None:
        what = f" {cite.transfer_id}" if cite.transfer_id else ""
        bad.append(f"transfer{what}: no such transfer in the bank's records")
        return bad
    if cite.amount_fen != record.transfer_amount_fen:
        bad.append(
            f"amount: cited {yuan(cite.amount_fen)}, bank has {yuan(record.transfer_amount_fen)}"
        )
    if abs(cite.ts - record.transfer_ts) > tolerance_ms:
        bad.append(f"time: cited {utc(cite.ts)}, bank has {utc(record.transfer_ts)}")
    return bad


def add_calendar_months(ts: int, months: int) -> int:
    """`ts` moved on by whole calendar months in UTC, same time of day.

    The day of the month is kept, or clamped to the month's last day (31 Aug + 6 months
    is 28 or 29 Feb), so a freeze never ends later than the calendar says.
    """
    secs, ms = divmod(ts, 1000)
    start = datetime.fromtimestamp(secs, tz=UTC)
    years, month0 = divmod(start.month - 1 + months, 12)
    year, month = start.year + years, month0 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    end = start.replace(year=year, month=month, day=day)
    return calendar.timegm(end.utctimetuple()) * 1000 + ms


def _live(order: Order, now: int) -> bool:
    """A stop or freeze that binds the account at `now` (applied and not yet ended)."""
    return (
        order.state == OrderState.EXECUTED
        and order.applied_ts is not None
        and order.applied_ts <= now
        and (order.expires_ts is None or now < order.expires_ts)
    )


class OrderBook:
    """The stop-payment and freeze orders of every case, with their audit trail.

    Ids are deterministic: a per-kind counter and the case id ("SP000001-C42"). Several
    books, or a book and return processes, may share one `AuditTrail`.
    """

    def __init__(
        self,
        audit: AuditTrail | None = None,
        *,
        time_tolerance_ms: int = DEFAULT_TIME_TOLERANCE_MS,
    ) -> None:
        self.audit = audit if audit is not None else AuditTrail()
        self.time_tolerance_ms = time_tolerance_ms
        self._orders: dict[str, Order] = {}
        self._cites: dict[str, Citation] = {}
        self._counters: dict[OrderKind, int] = {}
        self._settled: set[str] = set()
        self._clock = -1

    @classmethod
    def restore(
        cls,
        orders: Iterable[Order],
        audit: AuditTrail | None = None,
        *,
        settled: Iterable[str] = (),
        citations: Mapping[str, Citation] | None = None,
    ) -> OrderBook:
        """A book holding orders kept from an earlier run (e.g. in the case store): ids go on
        from the highest number seen, the clock from the latest time any order records,
        `settled` names the return orders already drawn from the freezes and `citations`
        gives the stop-payments their cited transfers back (a stop still awaiting the
        bank's answer needs its citation to be applied)."""
        book = cls(audit)
        book._cites.update(citations or {})
        for o in orders:
            if o.kind == OrderKind.RETURN:
                continue  # returns live with their process; the freezes carry their effect
            book._orders[o.order_id] = o
            prefix = _PREFIX[o.kind]
            number = o.order_id[len(prefix) : len(prefix) + 6]
            if o.order_id.startswith(prefix) and number.isdigit():
                book._counters[o.kind] = max(book._counters.get(o.kind, 0), int(number))
            book._clock = max(book._clock, o.issued_ts, o.applied_ts or 0)
        book._settled.update(settled)
        return book

    # -- reading ---------------------------------------------------------------------------

    def get(self, order_id: str) -> Order:
        """The order's current record."""
        try:
            return self._orders[order_id]
        except KeyError:
            raise OrderError(f"no order {order_id}") from None

    def citation(self, order_id: str) -> Citation:
        """The transfer a stop-payment cites."""
        if order_id not in self._cites:
            raise OrderError(f"order {order_id} cites no transfer")
        return self._cites[order_id]

    def orders(
        self,
        *,
        case_id: str | None = None,
        account_id: str | None = None,
        kind: OrderKind | None = None,
    ) -> list[Order]:
        """The orders matching every filter given, in the order they were issued."""
        return [
            o
            for o in self._orders.values()
            if (case_id is None or o.case_id == case_id)
            and (account_id is None or o.account_id == account_id)
            and (kind is None or o.kind == kind)
        ]

    def active_order(self, case_id: str, account_id: str, now: int) -> Order | None:
        """The case's live or pending stop or freeze on the account, if any (freeze first)."""
        found: Order | None = None
        for o in self._orders.values():
            if o.case_id != case_id or o.account_id != account_id:
                continue
            if _live(o, now) or o.state == OrderState.ISSUED:
                if o.kind == OrderKind.FREEZE:
                    return o
                found = o
        return found

    def stop_count(self, account_id: str) -> int:
        """Stop-payments that count against the limit of two on the account.

        One counts once the bank applied it (whatever happened later) or while it awaits
        the bank's answer; an order the bank refused, or one withdrawn before it was
        applied, never stopped the account and does not count.
        """
        return sum(
            1
            for o in self._orders.values()
            if o.kind == OrderKind.STOP_PAYMENT
            and o.account_id == account_id
            and (o.applied_ts is not None or o.state == OrderState.ISSUED)
        )

    def stopped_until(self, account_id: str, now: int) -> int | None:
        """Until when (ms, exclusive) the account may receive but not pay out; None if free."""
        ends = [
            o.expires_ts
            for o in self._orders.values()
            if o.kind == OrderKind.STOP_PAYMENT
            and o.account_id == account_id
            and _live(o, now)
            and o.expires_ts is not None
        ]
        return max(ends) if ends else None

    def active_stops(self, now: int) -> dict[str, int]:
        """Every stopped account and the end of its stop: what `EngineState.stop_accounts` needs.

        Group the accounts by end time to call `stop_accounts(accounts, until_ts)` once per
        group; after a `lift`, call `lift_stop` and re-stop the account if it is still here.
        """
        out: dict[str, int] = {}
        for o in self._orders.values():
            if o.kind == OrderKind.STOP_PAYMENT and _live(o, now) and o.expires_ts is not None:
                out[o.account_id] = max(out.get(o.account_id, o.expires_ts), o.expires_ts)
        return out

    def frozen_fen(self, account_id: str, now: int) -> int:
        """The amount frozen in the account at `now`, over all cases' live freezes."""
        return sum(
            o.amount_fen
            for o in self._orders.values()
            if o.kind == OrderKind.FREEZE and o.account_id == account_id and _live(o, now)
        )

    def debit_refusal(
        self, account_id: str, amount_fen: int, balance_fen: int, now: int
    ) -> str | None:
        """Why a debit of `amount_fen` from the account must be refused at `now`, or None.

        Credits are never refused: a stopped account still receives (and so catches more of
        the money still on its way). A debit is refused while the account is stopped, or when
        it would take the balance below the frozen amount.
        """
        until = self.stopped_until(account_id, now)
        if until is not None:
            return f"account {account_id} is under stop-payment until {utc(until)}"
        frozen = self.frozen_fen(account_id, now)
        if frozen > 0 and balance_fen - amount_fen < frozen:
            return (
                f"account {account_id} has {yuan(frozen)} frozen; a debit of {yuan(amount_fen)} "
                f"from {yuan(balance_fen)} would reach it"
            )
        return None

    # -- stop-payment ----------------------------------------------------------------------

    def issue_stop(
        self,
        case_id: str,
        institution_id: str,
        account_id: str,
        amount_fen: int,
        cite: Citation,
        now: int,
        *,
        actor: str = "police",
    ) -> Order:
        """Send a stop-payment for the traced `amount_fen` to the institution holding the account.

        Refused when the case already has a live or pending order on the account
        (`DuplicateOrderError`) or the account has had two stop-payments (`StopLimitError`).
        """
        if amount_fen <= 0:
            raise OrderError(f"stop-payment on {account_id}: the traced amount must be > 0")
        if cite.account_id != account_id:
            raise OrderError(f"stop-payment on {account_id} cites a transfer to {cite.account_id}")
        self._tick(now)
        self._refuse_duplicate(case_id, account_id, now, OrderKind.STOP_PAYMENT)
        n = self.stop_count(account_id)
        if n >= MAX_STOPS_PER_ACCOUNT:
            earlier = ", ".join(
                o.order_id
                for o in self.orders(account_id=account_id, kind=OrderKind.STOP_PAYMENT)
                if o.applied_ts is not None or o.state == OrderState.ISSUED
            )
            self.audit.record(
                now,
                actor,
                AuditAction.STOP_REFUSED,
                account_id,
                f"no third stop-payment on account {account_id} for case {case_id}: it has had "
                f"{n} ({earlier}); freeze it instead",
                case_id=case_id,
                stop_count=n,
            )
            raise StopLimitError(
                f"account {account_id} has had {n} stop-payments ({earlier}); the law allows "
                f"{MAX_STOPS_PER_ACCOUNT} per account — freeze it instead"
            )
        order = Order(
            order_id=self._next_id(OrderKind.STOP_PAYMENT, case_id),
            kind=OrderKind.STOP_PAYMENT,
            case_id=case_id,
            institution_id=institution_id,
            account_id=account_id,
            amount_fen=amount_fen,
            legal_basis=STOP_PAYMENT_BASIS,
            state=OrderState.ISSUED,
            issued_ts=now,
        )
        self._orders[order.order_id] = order
        self._cites[order.order_id] = cite
        self.audit.record(
            now,
            actor,
            AuditAction.STOP_ISSUED,
            order.order_id,
            f"紧急止付 sent to {institution_id} for account {account_id} ({cite.account_name}), "
            f"case {case_id}: traced {yuan(amount_fen)}; cites a transfer of "
            f"{yuan(cite.amount_fen)} at {utc(cite.ts)}; stop-payment {n + 1} of "
            f"{MAX_STOPS_PER_ACCOUNT} on this account",
            case_id=case_id,
            institution_id=institution_id,
            account_id=account_id,
            amount_fen=amount_fen,
            cited_amount_fen=cite.amount_fen,
            cited_ts=cite.ts,
            cited_transfer=cite.transfer_id,
        )
        return order

    def follow_money(
        self, case_id: str, targets: Iterable[StopTarget], now: int, *, actor: str = "police"
    ) -> list[Order]:
        """Stop every account tracing reached that the case has no live order on yet.

        As tracing goes deeper, call it again with the new accounts: accounts already
        covered are skipped, accounts already stopped twice are refused; both are audited.
        Returns the orders issued now.
        """
        issued: list[Order] = []
        for t in targets:
            try:
                issued.append(
                    self.issue_stop(
                        case_id,
                        t.institution_id,
                        t.account_id,
                        t.amount_fen,
                        t.cite,
                        now,
                        actor=actor,
                    )
                )
            except DuplicateOrderError as e:
                self.audit.record(
                    now,
                    actor,
                    AuditAction.STOP_SKIPPED,
                    t.account_id,
                    f"case {case_id} already has {e.existing.order_id} "
                    f"({e.existing.kind}, {e.existing.state}) on account {t.account_id}",
                    case_id=case_id,
                    existing=e.existing.order_id,
                    amount_fen=t.amount_fen,
                )
            except StopLimitError:
                continue
        return issued

    def apply(self, order_id: str, record: BankRecord, now: int) -> Order:
        """The bank's answer to a stop-payment: executed, mismatch or no funds, with feedback.

        The bank applies the order at once when its records confirm the citation and the
        account holds money; the 48 hours run from `now`, the time of application.
        """
        self._tick(now)
        order = self.get(order_id)
        self._expect(order, OrderKind.STOP_PAYMENT, (OrderState.ISSUED,), "apply")
        cite = self._cites[order_id]
        bank = order.institution_id
        bad = bank_check(cite, record, self.time_tolerance_ms)
        if bad:
            feedback = "mismatch — " + "; ".join(bad)
            new = replace(order, state=OrderState.MISMATCH, feedback=feedback)
            detail = f"{bank} refused 紧急止付 on {order.account_id}: " + "; ".join(bad)
            action = AuditAction.STOP_MISMATCH
        elif record.balance_fen <= 0:
            feedback = f"no funds — balance {yuan(record.balance_fen)} at application"
            new = replace(order, state=OrderState.NO_FUNDS, feedback=feedback)
            detail = f"{bank} could not apply 紧急止付 on {order.account_id}: {feedback}"
            action = AuditAction.STOP_NO_FUNDS
        else:
            until = now + STOP_PAYMENT_MS
            feedback = (
                f"executed — receive-only until {utc(until)}; balance "
                f"{yuan(record.balance_fen)} at application"
            )
            new = replace(
                order,
                state=OrderState.EXECUTED,
                applied_ts=now,
                expires_ts=until,
                feedback=feedback,
            )
            detail = f"{bank} applied 紧急止付 on {order.account_id}: {feedback}"
            action = AuditAction.STOP_EXECUTED
        self._orders[order_id] = new
        self.audit.record(
            now,
            bank,
            action,
            order_id,
            detail,
            case_id=order.case_id,
            account_id=order.account_id,
            balance_fen=record.balance_fen,
            mismatches=bad,
            expires_ts=new.expires_ts,
        )
        return new

    def lift(self, order_id: str, now: int, *, actor: str = "police", reason: str) -> Order:
        """Lift a stop-payment by decision: applied ones end now, pending ones are withdrawn."""
        self._tick(now)
        order = self.get(order_id)
        self._expect(
            order, OrderKind.STOP_PAYMENT, (OrderState.ISSUED, OrderState.EXECUTED), "lift"
        )
        new = replace(order, state=OrderState.LIFTED, feedback=f"lifted: {reason}")
        self._orders[order_id] = new
        self.audit.record(
            now,
            actor,
            AuditAction.STOP_LIFTED,
            order_id,
            f"紧急止付 on {order.account_id} lifted"
            + (" before the bank applied it" if order.applied_ts is None else "")
            + f": {reason}",
            case_id=order.case_id,
            account_id=order.account_id,
            was_until=order.expires_ts,
        )
        return new

    # -- freeze ----------------------------------------------------------------------------

    def convert_to_freeze(
        self,
        stop_id: str,
        balance_fen: int,
        now: int,
        *,
        actor: str = "police",
        amount_fen: int | None = None,
    ) -> Order:
        """Turn a live stop-payment into a freeze of the traced amount (or `amount_fen`).

        The freeze is capped at the balance the bank reports now, less what other cases
        have frozen there. When that leaves nothing, the freeze is recorded as no funds and
        the stop keeps running; otherwise the stop is completed by the freeze.
        """
        self._tick(now)
        stop = self.get(stop_id)
        self._expect(stop, OrderKind.STOP_PAYMENT, (OrderState.EXECUTED,), "freeze")
        freeze = self._freeze(
            stop.case_id,
            stop.institution_id,
            stop.account_id,
            stop.amount_fen if amount_fen is None else amount_fen,
            balance_fen,
            now,
            actor,
            source=stop_id,
        )
        if freeze.state == OrderState.EXECUTED:
            self._orders[stop_id] = replace(
                stop, state=OrderState.COMPLETED, feedback=f"converted to freeze {freeze.order_id}"
            )
            self.audit.record(
                now,
                actor,
                AuditAction.STOP_CONVERTED,
                stop_id,
                f"紧急止付 on {stop.account_id} completed by freeze {freeze.order_id}",
                case_id=stop.case_id,
                freeze_id=freeze.order_id,
            )
        return freeze

    def freeze(
        self,
        case_id: str,
        institution_id: str,
        account_id: str,
        amount_fen: int,
        balance_fen: int,
        now: int,
        *,
        actor: str = "police",
    ) -> Order:
        """Freeze an account directly (no stop-payment first, e.g. after two stops were used).

        The amount is capped at the balance the bank reports now, less what is already
        frozen there for other cases.
        """
        self._tick(now)
        self._refuse_duplicate(case_id, account_id, now, OrderKind.FREEZE)
        return self._freeze(
            case_id, institution_id, account_id, amount_fen, balance_fen, now, actor, source=None
        )

    def renew(self, freeze_id: str, now: int, *, actor: str = "police", reason: str) -> Order:
        """Renew a live freeze before it ends: six more calendar months from its current end."""
        self._tick(now)
        order = self.get(freeze_id)
        self._expect(order, OrderKind.FREEZE, (OrderState.EXECUTED,), "renew")
        if order.expires_ts is None:
            raise OrderError(f"freeze {freeze_id} has no end to renew from")
        until = add_calendar_months(order.expires_ts, FREEZE_MONTHS)
        new = replace(order, expires_ts=until, feedback=f"renewed until {utc(until)}")
        self._orders[freeze_id] = new
        self.audit.record(
            now,
            actor,
            AuditAction.FREEZE_RENEWED,
            freeze_id,
            f"快速冻结 of {yuan(order.amount_fen)} on {order.account_id} renewed from "
            f"{utc(order.expires_ts)} to {utc(until)}: {reason}",
            case_id=order.case_id,
            account_id=order.account_id,
            amount_fen=order.amount_fen,
            old_expires_ts=order.expires_ts,
            expires_ts=until,
        )
        return new

    def release(self, freeze_id: str, now: int, *, actor: str = "police", reason: str) -> Order:
        """Release a live freeze by decision: the money is free again."""
        self._tick(now)
        order = self.get(freeze_id)
        self._expect(order, OrderKind.FREEZE, (OrderState.EXECUTED,), "release")
        new = replace(order, state=OrderState.RELEASED, feedback=f"released: {reason}")
        self._orders[freeze_id] = new
        self.audit.record(
            now,
            actor,
            AuditAction.FREEZE_RELEASED,
            freeze_id,
            f"快速冻结 of {yuan(order.amount_fen)} on {order.account_id} released: {reason}",
            case_id=order.case_id,
            account_id=order.account_id,
            amount_fen=order.amount_fen,
        )
        return new

    def settle_return(self, ret: Order, now: int) -> list[Order]:
        """Draw an executed return down from the freezes on its account.

        The returning victim's own case's freeze goes first, then other cases' freezes in
        the order they were made; a freeze drawn to zero is completed. A return larger than
        what is frozen is refused before anything changes. Returns the freezes changed.
        """
        if ret.kind != OrderKind.RETURN or ret.state != OrderState.EXECUTED:
            raise OrderError(f"{ret.order_id} is not an executed return order")
        if ret.order_id in self._settled:
            raise OrderError(f"return {ret.order_id} was already settled")
        self._tick(now)
        live = [
            o
            for o in self._orders.values()
            if o.kind == OrderKind.FREEZE and o.account_id == ret.account_id and _live(o, now)
        ]
        live.sort(key=lambda o: o.case_id != ret.case_id)
        total = sum(o.amount_fen for o in live)
        if ret.amount_fen > total:
            raise OrderError(
                f"return {ret.order_id} of {yuan(ret.amount_fen)} exceeds the "
                f"{yuan(total)} frozen on {ret.account_id}"
            )
        self._settled.add(ret.order_id)
        left = ret.amount_fen
        changed: list[Order] = []
        for o in live:
            if left == 0:
                break
            take = min(left, o.amount_fen)
            left -= take
            rest = o.amount_fen - take
            if rest == 0:
                new = replace(
                    o,
                    amount_fen=0,
                    state=OrderState.COMPLETED,
                    feedback=f"all returned (last: {ret.order_id})",
                )
            else:
                new = replace(o, amount_fen=rest)
            self._orders[o.order_id] = new
            changed.append(new)
            self.audit.record(
                now,
                "system",
                AuditAction.FREEZE_DRAWN,
                o.order_id,
                f"{yuan(take)} of the {yuan(o.amount_fen)} frozen on {o.account_id} paid back "
                f"by return {ret.order_id} to {ret.to_account}; {yuan(rest)} stays frozen",
                case_id=o.case_id,
                return_id=ret.order_id,
                taken_fen=take,
                frozen_fen=rest,
            )
        return changed

    def expire(self, now: int) -> list[Order]:
        """Move the clock to `now` and end every stop or freeze whose time is up."""
        return self._tick(now)

    # -- internals -------------------------------------------------------------------------

    def _tick(self, now: int) -> list[Order]:
        """Advance the clock (never backwards) and expire what ended by `now`, in time order."""
        if now < self._clock:
            raise OrderError(f"time went backwards: {utc(now)} after {utc(self._clock)}")
        self._clock = now
        due = sorted(
            (
                o
                for o in self._orders.values()
                if o.state == OrderState.EXECUTED
                and o.expires_ts is not None
                and o.expires_ts <= now
            ),
            key=lambda o: (o.expires_ts or 0, o.order_id),
        )
        ended: list[Order] = []
        for o in due:
            new = replace(
                o, state=OrderState.EXPIRED, feedback=f"expired at {utc(o.expires_ts or 0)}"
            )
            self._orders[o.order_id] = new
            ended.append(new)
            self.audit.record(
                o.expires_ts or now,
                "system",
                _EXPIRED[o.kind],
                o.order_id,
                f"{_KIND_ZH[o.kind]} on {o.account_id} ended at {utc(o.expires_ts or 0)}",
                case_id=o.case_id,
                account_id=o.account_id,
                amount_fen=o.amount_fen,
            )
        return ended

    def _next_id(self, kind: OrderKind, case_id: str) -> str:
        n = self._counters.get(kind, 0) + 1
        self._counters[kind] = n
        return f"{_PREFIX[kind]}{n:06d}-{case_id}"

    def _expect(
        self, order: Order, kind: OrderKind, states: tuple[OrderState, ...], verb: str
    ) -> None:
        if order.kind != kind:
            raise OrderError(f"cannot {verb} {order.order_id}: it is a {order.kind}, not a {kind}")
        if order.state not in states:
            allowed = " or ".join(str(s) for s in states)
            raise OrderError(
                f"cannot {verb} {order.kind} {order.order_id} on {order.account_id}: it is "
                f"{order.state}"
                + (f" ({order.feedback})" if order.feedback else "")
                + f"; only a {allowed} one can be"
            )

    def _refuse_duplicate(self, case_id: str, account_id: str, now: int, kind: OrderKind) -> None:
        existing = self.active_order(case_id, account_id, now)
        if existing is None:
            return
        hint = (
            " — convert it to a freeze"
            if (kind == OrderKind.FREEZE and existing.kind == OrderKind.STOP_PAYMENT)
            else ""
        )
        raise DuplicateOrderError(
            f"case {case_id} already has {existing.kind} {existing.order_id} "
            f"({existing.state}) on account {account_id}{hint}",
            existing,
        )

    def _freeze(
        self,
        case_id: str,
        institution_id: str,
        account_id: str,
        amount_fen: int,
        balance_fen: int,
        now: int,
        actor: str,
        *,
        source: str | None,
    ) -> Order:
        if amount_fen <= 0:
            raise OrderError(f"freeze on {account_id}: the traced amount must be > 0")
        for o in self._orders.values():
            if (
                o.kind == OrderKind.FREEZE
                and o.case_id == case_id
                and o.account_id == account_id
                and _live(o, now)
            ):
                raise DuplicateOrderError(
                    f"case {case_id} already has freeze {o.order_id} on account {account_id}", o
                )
        already = self.frozen_fen(account_id, now)
        room = max(0, balance_fen - already)
        amount = min(amount_fen, room)
        oid = self._next_id(OrderKind.FREEZE, case_id)
        figures_text = (
            f"traced {yuan(amount_fen)}, balance {yuan(balance_fen)}, already frozen for other "
            f"cases {yuan(already)}"
        )
        order = Order(
            order_id=oid,
            kind=OrderKind.FREEZE,
            case_id=case_id,
            institution_id=institution_id,
            account_id=account_id,
            amount_fen=amount,
            legal_basis=FREEZE_BASIS,
            state=OrderState.NO_FUNDS,
            issued_ts=now,
            feedback=f"no funds — {figures_text}",
        )
        if amount == 0:
            action = AuditAction.FREEZE_NO_FUNDS
            detail = f"nothing to freeze on {account_id}: {figures_text}"
        else:
            until = add_calendar_months(now, FREEZE_MONTHS)
            order = replace(
                order,
                state=OrderState.EXECUTED,
                applied_ts=now,
                expires_ts=until,
                feedback=f"frozen {yuan(amount)} until {utc(until)}",
            )
            capped = " (capped)" if amount < amount_fen else ""
            action = AuditAction.FREEZE_EXECUTED
            detail = (
                f"快速冻结 of {yuan(amount)}{capped} on {account_id} at {institution_id} for "
                f"case {case_id} until {utc(until)}: {figures_text}"
                + (f"; from stop-payment {source}" if source else "")
            )
        self._orders[oid] = order
        self.audit.record(
            now,
            actor,
            action,
            oid,
            detail,
            case_id=case_id,
            institution_id=institution_id,
            account_id=account_id,
            traced_fen=amount_fen,
            balance_fen=balance_fen,
            already_frozen_fen=already,
            amount_fen=amount,
            expires_ts=order.expires_ts,
            stop_id=source,
        )
        return order
