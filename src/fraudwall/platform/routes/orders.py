"""Stop-payment and freeze orders: issued by police, delivered to and answered by banks.

The police issue, lift, freeze, renew and release; the institution an order is addressed
to polls for it (`GET /orders`, which shows it only its own) or receives it at its signed
webhook, and answers a stop-payment with its feedback. Webhook pushes run after the
response (a background task of every request here), so they never hold one up; polling
always shows every order. The work is `platform.orders` and `platform.webhooks`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from fraudwall.model import OrderKind, OrderState
from fraudwall.platform import orders, webhooks
from fraudwall.platform.audit import AuditNote
from fraudwall.platform.auth import ApiRole, Caller, allow
from fraudwall.platform.orders import OrderDesk, OrderView
from fraudwall.platform.service import Service, ServiceDep

router = APIRouter(tags=["orders"])
POLICE = allow(ApiRole.POLICE_ANALYST, ApiRole.POLICE_SUPERVISOR)
READERS = allow(ApiRole.POLICE_ANALYST, ApiRole.POLICE_SUPERVISOR, ApiRole.INSTITUTION)
INSTITUTION = allow(ApiRole.INSTITUTION)

Id = Annotated[str, Field(min_length=1, max_length=128)]
Fen = Annotated[int, Field(gt=0, le=2**62, description="fen")]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=1 << 40)]


# --- models -------------------------------------------------------------------------------
class CitationOut(BaseModel):
    """The transfer a stop-payment cites, which the bank checks against its books."""

    account_name: str
    amount_fen: int
    ts: int
    transfer_id: str | None


class AnswerOut(BaseModel):
    """The bank's answer and its own record of the account at application."""

    agency_id: str
    answered_ts: int
    outcome: OrderState
    account_id: str
    account_name: str
    transfer_amount_fen: int | None
    transfer_ts: int | None
    balance_fen: int


class OrderOut(BaseModel):
    order_id: str
    kind: OrderKind
    case_id: str
    institution_id: str = Field(description="the institution the order is addressed to")
    account_id: str
    amount_fen: int
    legal_basis: str
    state: OrderState
    issued_ts: int
    applied_ts: int | None
    expires_ts: int | None = Field(description="when a stop or freeze in force ends")
    feedback: str | None
    to_account: str | None = Field(description="a return: the victim's original account")
    citation: CitationOut | None
    answer: AnswerOut | None
    answer_due_ts: int | None = Field(description="an issued stop: the bank's answer is due")
    freeze_due_ts: int | None = Field(description="a stop in force: it should be a freeze by")
    overdue: bool
    overdue_reason: str | None


class StopIn(BaseModel):
    """A stop-payment on an account for a case. The amount and the cited transfer default to
    the case's trace now (what it holds there, the latest traced transfer into it)."""

    model_config = ConfigDict(extra="forbid")

    case_id: Id
    account_id: Id
    amount_fen: Fen | None = None
    transfer_id: Id | None = None
    account_name: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="the holder's name (default: the registry's)"
    )


class FreezeIn(BaseModel):
    """A freeze from a stop in force (`stop_id`), or directly (`case_id`, `account_id`,
    `amount_fen`). `balance_fen` is the account's balance as the bank has it (default: the
    bank's at the stop or the ledger's now, whichever is larger)."""

    model_config = ConfigDict(extra="forbid")

    stop_id: Id | None = None
    case_id: Id | None = None
    account_id: Id | None = None
    amount_fen: Fen | None = None
    balance_fen: Annotated[int, Field(ge=-(2**62), le=2**62)] | None = None


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


class FeedbackIn(BaseModel):
    """The bank's answer to a stop-payment, with its own record: the account's name, the
    cited transfer (default: as cited; `transfer_found` false if there is none) and the
    balance at application. The outcome must be the one the record gives."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["executed", "mismatch", "no_funds"]
    account_name: str = Field(min_length=1, max_length=200)
    balance_fen: int = Field(ge=-(2**62), le=2**62)
    account_id: Id | None = None
    transfer_found: bool = True
    transfer_amount_fen: Fen | None = None
    transfer_ts: Annotated[int, Field(ge=0)] | None = None


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2000)


class WebhookOut(BaseModel):
    url: str | None
    secret: str | None = Field(
        default=None, description="the signing secret: shown once, when the webhook is set"
    )
    signature_header: str = webhooks.SIGNATURE_HEADER
    timestamp_header: str = webhooks.TIMESTAMP_HEADER


def order_out(view: OrderView) -> OrderOut:
    return OrderOut(**view.as_dict())


def _push_later(background: BackgroundTasks, service: Service) -> None:
    """Push due webhook deliveries once the response is sent (retries included)."""
    background.add_task(webhooks.deliver_due, service)


# --- reading ------------------------------------------------------------------------------
@router.get("/orders", openapi_extra=READERS)
def list_orders(
    caller: Caller,
    service: ServiceDep,
    background: BackgroundTasks,
    status: OrderState | None = None,
    kind: OrderKind | None = None,
    case_id: str | None = None,
    account_id: str | None = None,
    overdue: Annotated[
        bool, Query(description="only stops unanswered past due or about to expire")
    ] = False,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[OrderOut]:
    """Orders, oldest first: a bank sees those addressed to it (polling marks them fetched),
    the police all."""
    with service.db.writing() as conn:
        desk = OrderDesk(service, conn, caller)
        found = orders.list_orders(
            desk, status=status, kind=kind, case_id=case_id, account_id=account_id,
            overdue=overdue, limit=limit, offset=offset,
        )  # fmt: skip
        ids = [v.order.order_id for v in found]
        service.audit(conn, caller, [AuditNote("orders.list", "orders", after={"ids": ids})])
    _push_later(background, service)
    return [order_out(v) for v in found]


@router.get("/orders/{order_id}", openapi_extra=READERS)
def get_order(
    order_id: str, caller: Caller, service: ServiceDep, background: BackgroundTasks
) -> OrderOut:
    with service.db.writing() as conn:
        desk = OrderDesk(service, conn, caller)
        view = orders.get_order(desk, order_id)
        service.audit(conn, caller, [AuditNote("orders.read", order_id)])
    _push_later(background, service)
    return order_out(view)


# --- police -------------------------------------------------------------------------------
@router.post("/orders/stop-payment", status_code=201, openapi_extra=POLICE)
def stop_payment(
    body: StopIn, caller: Caller, service: ServiceDep, background: BackgroundTasks
) -> OrderOut:
    """紧急止付: the account may receive but not pay out for 48 hours from when its bank
    applies the order; at most two per account."""
    with service.db.writing() as conn:
        desk = OrderDesk(service, conn, caller)
        view = orders.issue_stop(
            desk, body.case_id, body.account_id, amount_fen=body.amount_fen,
            transfer_id=body.transfer_id, account_name=body.account_name,
        )  # fmt: skip
    _push_later(background, service)
    return order_out(view)


@router.post("/orders/freeze", status_code=201, openapi_extra=POLICE)
def freeze(
    body: FreezeIn, caller: Caller, service: ServiceDep, background: BackgroundTasks
) -> OrderOut:
    """快速冻结: six calendar months, renewable; capped at the balance not already frozen."""
    with service.db.writing() as conn:
        desk = OrderDesk(service, conn, caller)
        view = orders.freeze(
            desk, stop_id=body.stop_id, case_id=body.case_id, account_id=body.account_id,
            amount_fen=body.amount_fen, balance_fen=body.balance_fen,
        )  # fmt: skip
    _push_later(background, service)
    return order_out(view)


@router.post("/orders/{order_id}/lift", openapi_extra=POLICE)
def lift(
    order_id: str,
    body: ReasonIn,
    caller: Caller,
    service: ServiceDep,
    background: BackgroundTasks,
) -> OrderOut:
    """Lift a stop-payment by decision (a pending one is withdrawn)."""
    with service.db.writing() as conn:
        view = orders.lift(OrderDesk(service, conn, caller), order_id, body.reason)
    _push_later(background, service)
    return order_out(view)


@router.post("/orders/{order_id}/renew", openapi_extra=POLICE)
def renew(
    order_id: str,
    body: ReasonIn,
    caller: Caller,
    service: ServiceDep,
    background: BackgroundTasks,
) -> OrderOut:
    """Renew a freeze in force: six more calendar months from its current end."""
    with service.db.writing() as conn:
        view = orders.renew(OrderDesk(service, conn, caller), order_id, body.reason)
    _push_later(background, service)
    return order_out(view)


@router.post("/orders/{order_id}/release", openapi_extra=POLICE)
def release(
    order_id: str,
    body: ReasonIn,
    caller: Caller,
    service: ServiceDep,
    background: BackgroundTasks,
) -> OrderOut:
    """Release a freeze by decision: the money is free again."""
    with service.db.writing() as conn:
        view = orders.release(OrderDesk(service, conn, caller), order_id, body.reason)
    _push_later(background, service)
    return order_out(view)


# --- the institution ------------------------------------------------------------------------
@router.post("/orders/{order_id}/feedback", openapi_extra=INSTITUTION)
def feedback(
    order_id: str,
    body: FeedbackIn,
    caller: Caller,
    service: ServiceDep,
    background: BackgroundTasks,
) -> OrderOut:
    """The addressed bank's answer to a stop-payment: executed (applied now, for 48 hours),
    mismatch (which field of the citation its books do not confirm) or no funds. An
    identical repeat returns the first answer."""
    given = orders.Answer(
        outcome=OrderState(body.outcome), account_name=body.account_name,
        balance_fen=body.balance_fen, account_id=body.account_id,
        transfer_found=body.transfer_found, transfer_amount_fen=body.transfer_amount_fen,
        transfer_ts=body.transfer_ts,
    )  # fmt: skip
    with service.db.writing() as conn:
        view, _ = orders.answer(OrderDesk(service, conn, caller), order_id, given)
    _push_later(background, service)
    return order_out(view)


@router.put("/agencies/me/webhook", openapi_extra=INSTITUTION)
def set_webhook(
    body: WebhookIn, caller: Caller, service: ServiceDep, background: BackgroundTasks
) -> WebhookOut:
    """Have the orders addressed to your institution POSTed to `url`, signed with the secret
    returned here (shown this once; setting the webhook again makes a new one)."""
    with service.db.writing() as conn:
        secret = webhooks.register(conn, caller, body.url, service.now())
        note = AuditNote("webhooks.set", caller.agency_id, after={"url": body.url.strip()})
        service.audit(conn, caller, [note])
    _push_later(background, service)
    return WebhookOut(url=body.url.strip(), secret=secret)


@router.get("/agencies/me/webhook", openapi_extra=INSTITUTION)
def get_webhook(caller: Caller, service: ServiceDep) -> WebhookOut:
    with service.db.reading() as conn:
        return WebhookOut(url=webhooks.webhook_url(conn, caller))


@router.delete("/agencies/me/webhook", status_code=204, openapi_extra=INSTITUTION)
def delete_webhook(caller: Caller, service: ServiceDep) -> Response:
    """Stop pushing; orders are still there to poll."""
    with service.db.writing() as conn:
        webhooks.unregister(conn, caller)
        service.audit(conn, caller, [AuditNote("webhooks.delete", caller.agency_id)])
    return Response(status_code=204)
