"""Stop-payment and freeze orders over the service: issued by police, answered by banks.

Every rule is the funds part's `OrderBook`: a stop-payment holds for 48 hours from when the
bank applies it, an account takes at most two, a freeze lasts six calendar months and is
renewed or released by decision, the bank's answer is checked against the citation
(`OrderBook.apply`). Each request works in one write transaction (`OrderDesk`): the book is
restored from the database with the service's clock (ending what is due), changed, and
written back with the audit entries (the order before and after) and the deliveries to
the institution the order is addressed to (`webhooks.enqueue`).

Deadlines beyond the book's own come from the funds part's `RecoveryPolicy`, whose working
times rest on the 2016 stop-payment mechanism (see its docstring): a bank executes a
stop-payment at once on receipt, so one not answered `bank_response_ms` (5 minutes) after
it was issued is overdue; the police must turn a stop into a freeze within its 48 hours and
plan to do so `freeze_after_ms` (a day) after it took hold, so a stop still in force past
that point — a day or less left — is about to expire unconverted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa

from fraudwall.errors import InputError
from fraudwall.funds import BankRecord, Citation, Ledger, OrderBook, OrderError, duration_text
from fraudwall.model import Account, Order, OrderKind, OrderState, utc
from fraudwall.model.sql import record_of
from fraudwall.platform.audit import AuditNote
from fraudwall.platform.auth import SYSTEM, Principal
from fraudwall.platform.cases import DEFAULT_POLICY, get_case, trace_case, world_tables
from fraudwall.platform.errors import Conflict, NotFound
from fraudwall.platform.eventlog import records_of
from fraudwall.platform.orderbook import LoadedBook, load_book, order_dict, save_book
from fraudwall.platform.schema import accounts, events, order_answers, orders
from fraudwall.platform.scope import check_sees, visible
from fraudwall.platform.webhooks import CHANGED, ISSUED, enqueue, mark_fetched

if TYPE_CHECKING:
    from fraudwall.platform.service import Service

ANSWER_DUE_MS: Final = DEFAULT_POLICY.bank_response_ms
"""A stop-payment not answered this long after it was issued is overdue."""
FREEZE_DUE_MS: Final = DEFAULT_POLICY.freeze_after_ms
"""A stop in force this long after it took hold should have become a freeze."""

OUTCOMES: Final = (OrderState.EXECUTED, OrderState.MISMATCH, OrderState.NO_FUNDS)


def actor_of(who: Principal) -> str:
    """How the funds part's trail names the caller: agency and key."""
    return f"{who.agency_id}/{who.key_id}"


# --- what a caller sees of an order --------------------------------------------------------
@dataclass(frozen=True)
class OrderView:
    """An order with its citation, the bank's answer and its deadlines as of `now`."""

    order: Order
    citation: Citation | None
    answer: dict[str, Any] | None
    answer_due_ts: int | None  # an issued stop: when the bank's answer is due
    freeze_due_ts: int | None  # a stop in force: when it should have become a freeze
    overdue: str | None  # why it needs attention now, or None

    def as_dict(self) -> dict[str, Any]:
        cite = self.citation
        return {
            **order_dict(self.order),
            "citation": None
            if cite is None
            else {
                "account_name": cite.account_name,
                "amount_fen": cite.amount_fen,
                "ts": cite.ts,
                "transfer_id": cite.transfer_id,
            },
            "answer": self.answer,
            "answer_due_ts": self.answer_due_ts,
            "freeze_due_ts": self.freeze_due_ts,
            "overdue": self.overdue is not None,
            "overdue_reason": self.overdue,
        }


def deadlines(order: Order, now: int) -> tuple[int | None, int | None, str | None]:
    """(answer due, freeze due, why overdue) for an order at `now` (module doc)."""
    if order.kind != OrderKind.STOP_PAYMENT:
        return None, None, None
    if order.state == OrderState.ISSUED:
        due = order.issued_ts + ANSWER_DUE_MS
        late = (
            f"not answered within {duration_text(ANSWER_DUE_MS)} of issue (due {utc(due)})"
            if now > due
            else None
        )
        return due, None, late
    if order.state == OrderState.EXECUTED and order.applied_ts is not None:
        due = order.applied_ts + FREEZE_DUE_MS
        ends = order.expires_ts or 0
        late = (
            f"ends at {utc(ends)} and is not yet a freeze (planned by {utc(due)})"
            if due <= now < ends
            else None
        )
        return None, due, late
    return None, None, None


def _answers(conn: sa.Connection, order_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    if not order_ids:
        return {}
    q = sa.select(order_answers).where(order_answers.c.order_id.in_(list(order_ids)))
    return {
        r.order_id: {k: v for k, v in r._mapping.items() if k not in ("order_id", "key_id")}
        for r in conn.execute(q)
    }


def views(desk: OrderDesk, found: Sequence[Order]) -> list[OrderView]:
    answers = _answers(desk.conn, [o.order_id for o in found])
    out = []
    for o in found:
        cite = None
        if o.kind == OrderKind.STOP_PAYMENT:
            try:
                cite = desk.book.citation(o.order_id)
            except OrderError:
                cite = None
        answer_due, freeze_due, late = deadlines(o, desk.now)
        out.append(OrderView(o, cite, answers.get(o.order_id), answer_due, freeze_due, late))
    return out


# --- one request's work on the orders -------------------------------------------------------
class OrderDesk:
    """The order book for one write transaction: loaded with the service's clock (what
    ended is written back and audited as the service's own doing), changed by the caller,
    and `commit`ted: every changed order written, audited and delivered."""

    def __init__(self, service: Service, conn: sa.Connection, who: Principal) -> None:
        self.service = service
        self.conn = conn
        self.who = who
        self.now = service.now()
        self.loaded: LoadedBook = load_book(conn, self.now)
        ended = save_book(conn, self.loaded)
        if ended:
            notes = [
                AuditNote(
                    "orders.expire",
                    after.order_id,
                    before=order_dict(before) if before else None,
                    after=order_dict(after),
                )
                for before, after in ended
            ]
            service.audit(conn, SYSTEM, notes)
        self.mark = len(self.loaded.trail)

    @property
    def book(self) -> OrderBook:
        return self.loaded.book

    def get(self, order_id: str) -> Order:
        """The order, if the caller may see it (404 otherwise, as if it did not exist)."""
        try:
            order = self.book.get(order_id)
        except OrderError:
            stored = self.loaded.stored.get(order_id)  # a return order (not in the book)
            if stored is None:
                raise NotFound("order_id", f"no order {order_id!r}") from None
            order = stored
        check_sees(self.who, order.institution_id, "order", order_id)
        return order

    def commit(self, action: str, *, deliver: bool = True, extra: Any = None) -> list[Order]:
        """Write back what the caller changed, audit each change (before / after, with the
        funds part's own account of it) and queue its delivery; returns the changed orders."""
        details = [e.detail for e in list(self.loaded.trail)[self.mark :]]
        changed = save_book(self.conn, self.loaded)
        notes = []
        for before, after in changed:
            after_note: dict[str, Any] = {"order": order_dict(after), "funds": details}
            if extra is not None:
                after_note["request"] = extra
            notes.append(
                AuditNote(
                    action,
                    after.order_id,
                    before=order_dict(before) if before else None,
                    after=after_note,
                )
            )
            if deliver:
                self.deliver(after, ISSUED if before is None else CHANGED)
        self.service.audit(self.conn, self.who, notes)
        self.mark = len(self.loaded.trail)
        return [after for _, after in changed]

    def deliver(self, order: Order, event: str) -> None:
        view = views(self, [order])[0]
        body = {"event": event, "order": view.as_dict()}
        enqueue(self.conn, order.order_id, order.institution_id, event, body, self.now)


def _refused(exc: OrderError, where: str) -> Conflict:
    return Conflict(where, str(exc))


# --- reading --------------------------------------------------------------------------------
def list_orders(
    desk: OrderDesk,
    *,
    status: OrderState | None = None,
    kind: OrderKind | None = None,
    case_id: str | None = None,
    account_id: str | None = None,
    overdue: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[OrderView]:
    """The orders the caller may see (a bank: those addressed to it), oldest first; with
    `overdue`, only those needing attention now (see `deadlines`). An institution's polling
    marks them fetched."""
    q = sa.select(orders.c.order_id).where(visible(desk.who, orders.c.institution_id))
    if status is not None:
        q = q.where(orders.c.state == status.value)
    if kind is not None:
        q = q.where(orders.c.kind == kind.value)
    if case_id is not None:
        q = q.where(orders.c.case_id == case_id)
    if account_id is not None:
        q = q.where(orders.c.account_id == account_id)
    if overdue:
        q = q.where(
            orders.c.kind == OrderKind.STOP_PAYMENT.value,
            orders.c.state.in_((OrderState.ISSUED.value, OrderState.EXECUTED.value)),
        )
    q = q.order_by(orders.c.issued_ts, orders.c.order_id)
    if not overdue:
        q = q.limit(limit).offset(offset)
    ids = [r.order_id for r in desk.conn.execute(q)]
    found = views(desk, [desk.loaded.stored[i] for i in ids])
    if overdue:
        found = [v for v in found if v.overdue is not None][offset : offset + limit]
    if not desk.who.sees_everything:
        mark_fetched(desk.conn, desk.who, [v.order.order_id for v in found], desk.now)
    return found


def get_order(desk: OrderDesk, order_id: str) -> OrderView:
    order = desk.get(order_id)
    if not desk.who.sees_everything:
        mark_fetched(desk.conn, desk.who, [order_id], desk.now)
    return views(desk, [order])[0]


# --- the registry and the ledger ------------------------------------------------------------
def registry_account(conn: sa.Connection, account_id: str) -> Account:
    row = conn.execute(sa.select(accounts).where(accounts.c.account_id == account_id)).first()
    if row is None:
        raise InputError(
            "account_id",
            f"{account_id!r} is not in the registry, so no institution holds it here",
            hint="the institution holding it registers its accounts first",
        )
    account: Account = record_of(Account, row)
    return account


def holder_name(account: Account) -> str:
    """The holder's name as the police cite it: the account's name, else its owner."""
    return account.name or account.owner_person_id or account.account_id


def ledger_balance(conn: sa.Connection, account_id: str, now: int) -> int:
    """The account's balance after every accepted transfer up to `now`."""
    tables = world_tables(conn, ("transfers",))
    ledger = Ledger(tables["transfers"], tables["accounts"])
    try:
        a = ledger.account(account_id)
    except KeyError:
        raise InputError("account_id", f"{account_id!r} is not in the ledger") from None
    return ledger.balance_at(a, ledger.window_end(now))


def stored_transfer(conn: sa.Connection, transfer_id: str) -> Any:
    q = sa.select(events.c.kind, events.c.body).where(
        events.c.event_id == transfer_id, events.c.kind == "transfers"
    )
    found = records_of(conn.execute(q)).get("transfers", [])
    if not found:
        raise InputError("transfer_id", f"no accepted transfer {transfer_id!r}")
    return found[0]


# --- police: issue, lift, freeze, renew, release --------------------------------------------
def issue_stop(
    desk: OrderDesk,
    case_id: str,
    account_id: str,
    *,
    amount_fen: int | None = None,
    transfer_id: str | None = None,
    account_name: str | None = None,
) -> OrderView:
    """A stop-payment on `account_id` for the case, addressed to the institution holding it.

    The amount is what the case's trace holds there now and the citation the latest traced
    transfer into it, unless the police give them (on other evidence)."""
    case = get_case(desk.conn, case_id)
    account = registry_account(desk.conn, account_id)
    traced = None
    if amount_fen is None or transfer_id is None:
        traced = trace_case(desk.conn, case.case_id, DEFAULT_POLICY, desk.now, loaded=desk.loaded)
    if amount_fen is None:
        assert traced is not None
        amount_fen = sum(h.fen for h in traced.result.holdings if h.account == account_id)
        if amount_fen <= 0:
            raise InputError(
                "account_id",
                f"the trace of {case.case_id} finds none of its money in {account_id} now",
                hint="give amount_fen and transfer_id to stop it on other evidence",
            )
    if transfer_id is None:
        assert traced is not None
        into = [h for h in traced.result.hops if h.to_account == account_id]
        if not into:
            raise InputError(
                "transfer_id",
                f"no traced transfer of {case.case_id} into {account_id}: name the one to cite",
            )
        transfer_id = max(into, key=lambda h: (h.ts, h.event_id)).event_id
    transfer = stored_transfer(desk.conn, transfer_id)
    if transfer.to_account != account_id:
        raise InputError(
            "transfer_id", f"{transfer_id!r} was paid to {transfer.to_account}, not {account_id}"
        )
    cite = Citation(
        account_id=account_id,
        account_name=account_name or holder_name(account),
        amount_fen=transfer.amount_fen,
        ts=transfer.ts,
        transfer_id=transfer_id,
    )
    try:
        order = desk.book.issue_stop(
            case.case_id,
            account.institution_id,
            account_id,
            amount_fen,
            cite,
            desk.now,
            actor=actor_of(desk.who),
        )
    except OrderError as exc:  # a third stop, or one the case already has: the reason
        raise _refused(exc, "account_id") from None
    desk.commit("orders.stop_payment")
    return views(desk, [desk.book.get(order.order_id)])[0]


def _police_change(desk: OrderDesk, order_id: str) -> Order:
    order = desk.get(order_id)
    if order.kind == OrderKind.RETURN:
        raise Conflict("order_id", f"{order_id} is a return order: it cannot be changed")
    return order


def _decided(
    desk: OrderDesk, order_id: str, reason: str, change: Callable[..., Order], action: str
) -> OrderView:
    """A police decision on an order (`change`: the book's lift, renew or release)."""
    _police_change(desk, order_id)
    try:
        change(order_id, desk.now, actor=actor_of(desk.who), reason=reason)
    except OrderError as exc:
        raise _refused(exc, "order_id") from None
    desk.commit(action)
    return views(desk, [desk.book.get(order_id)])[0]


def lift(desk: OrderDesk, order_id: str, reason: str) -> OrderView:
    return _decided(desk, order_id, reason, desk.book.lift, "orders.lift")


def renew(desk: OrderDesk, order_id: str, reason: str) -> OrderView:
    return _decided(desk, order_id, reason, desk.book.renew, "orders.renew")


def release(desk: OrderDesk, order_id: str, reason: str) -> OrderView:
    return _decided(desk, order_id, reason, desk.book.release, "orders.release")


def freeze(
    desk: OrderDesk,
    *,
    stop_id: str | None = None,
    case_id: str | None = None,
    account_id: str | None = None,
    amount_fen: int | None = None,
    balance_fen: int | None = None,
) -> OrderView:
    """A freeze: from a stop in force (its traced amount unless `amount_fen`), or directly
    on an account for a case (`amount_fen` needed). The amount is capped at the balance
    (given, else the bank's at the stop and the ledger's now, whichever is larger) less what
    other cases froze there; nothing left is recorded as no funds."""
    actor = actor_of(desk.who)
    try:
        if stop_id is not None:
            stop = _police_change(desk, stop_id)
            if balance_fen is None:
                answered = _answers(desk.conn, [stop_id]).get(stop_id, {})
                balance_fen = max(
                    int(answered.get("balance_fen") or 0),
                    ledger_balance(desk.conn, stop.account_id, desk.now),
                )
            made = desk.book.convert_to_freeze(
                stop_id, balance_fen, desk.now, actor=actor, amount_fen=amount_fen
            )
        else:
            if case_id is None or account_id is None or amount_fen is None:
                missing = "case_id" if case_id is None else "account_id" if account_id is None \
                    else "amount_fen"  # fmt: skip
                raise InputError(missing, "a freeze names a live stop_id, or a case_id, "
                                 "account_id and amount_fen")  # fmt: skip
            case = get_case(desk.conn, case_id)
            account = registry_account(desk.conn, account_id)
            if balance_fen is None:
                balance_fen = ledger_balance(desk.conn, account_id, desk.now)
            made = desk.book.freeze(
                case.case_id,
                account.institution_id,
                account_id,
                amount_fen,
                balance_fen,
                desk.now,
                actor=actor,
            )
    except OrderError as exc:
        raise _refused(exc, "stop_id" if stop_id is not None else "account_id") from None
    desk.commit("orders.freeze")
    return views(desk, [desk.book.get(made.order_id)])[0]


# --- the institution's answer -------------------------------------------------------------
@dataclass(frozen=True)
class Answer:
    """A bank's answer to a stop-payment: what it did and its own record of the account.

    The cited transfer's amount and time default to the citation's (the bank's books agree);
    `transfer_found` False says the bank has no such transfer."""

    outcome: OrderState
    account_name: str
    balance_fen: int
    account_id: str | None = None
    transfer_found: bool = True
    transfer_amount_fen: int | None = None
    transfer_ts: int | None = None


def answer(desk: OrderDesk, order_id: str, given: Answer) -> tuple[OrderView, bool]:
    """Apply the bank's answer through `OrderBook.apply`, which checks the record against
    the citation: the outcome the bank states must be the one its record gives. An
    identical repeat returns the first answer (False: nothing changed)."""
    order = desk.get(order_id)
    if order.kind != OrderKind.STOP_PAYMENT:
        raise Conflict(
            "order_id",
            f"{order_id} is a {order.kind}: it takes effect when issued; only a stop-payment "
            "is answered",
        )
    if given.outcome not in OUTCOMES:
        raise InputError("outcome", f"{given.outcome}: answer executed, mismatch or no_funds")
    try:
        cite = desk.book.citation(order_id)
    except OrderError:  # an order kept from elsewhere (a world's run) without its citation
        raise Conflict(
            "order_id", f"{order_id} cites no transfer here, so it cannot be checked or applied"
        ) from None
    record = BankRecord(
        account_id=given.account_id or order.account_id,
        account_name=given.account_name,
        transfer_amount_fen=(
            None
            if not given.transfer_found
            else cite.amount_fen
            if given.transfer_amount_fen is None
            else given.transfer_amount_fen
        ),
        transfer_ts=(
            None
            if not given.transfer_found
            else cite.ts
            if given.transfer_ts is None
            else given.transfer_ts
        ),
        balance_fen=given.balance_fen,
    )
    row = {
        "outcome": given.outcome.value,
        "account_id": record.account_id,
        "account_name": record.account_name,
        "transfer_amount_fen": record.transfer_amount_fen,
        "transfer_ts": record.transfer_ts,
        "balance_fen": record.balance_fen,
    }
    if order.state != OrderState.ISSUED:
        earlier = _answers(desk.conn, [order_id]).get(order_id)
        if earlier is not None and all(earlier[k] == v for k, v in row.items()):
            return views(desk, [order])[0], False
        raise Conflict(
            "order_id",
            f"{order_id} is {order.state}" + (f" ({order.feedback})" if order.feedback else "")
            + ": only an issued stop-payment is answered",
        )  # fmt: skip
    try:
        after = desk.book.apply(order_id, record, desk.now)
    except OrderError as exc:
        raise _refused(exc, "order_id") from None
    if after.state != given.outcome:
        raise InputError(
            "outcome",
            f"the record given makes the answer {after.state}, not {given.outcome}: "
            f"{after.feedback}",
            hint="send the account's name, the cited transfer and the balance as your books "
            "have them",
        )
    desk.conn.execute(
        order_answers.insert(),
        [
            {
                **row,
                "order_id": order_id,
                "agency_id": desk.who.agency_id,
                "key_id": desk.who.key_id,
                "answered_ts": desk.now,
            }
        ],
    )
    desk.commit("orders.feedback", deliver=False, extra=row)
    return views(desk, [desk.book.get(order_id)])[0], True


def active_stops(conn: sa.Connection, now: int) -> dict[str, int]:
    """Every account under a stop-payment at `now` and when the stop ends: what the engine
    refuses debits from (`EngineState.stop_accounts`), for the checks area."""
    return load_book(conn, now).book.active_stops(now)


__all__ = [
    "ANSWER_DUE_MS",
    "FREEZE_DUE_MS",
    "Answer",
    "OrderDesk",
    "OrderView",
    "active_stops",
    "answer",
    "deadlines",
    "freeze",
    "get_order",
    "holder_name",
    "issue_stop",
    "lift",
    "list_orders",
    "registry_account",
    "release",
    "renew",
]
