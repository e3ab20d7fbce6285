"""Returns of frozen money under article 8, and the supervisor's approval (maker-checker).

A police analyst plans a return from a frozen account; above the service's threshold it
waits for a police supervisor who did not ask for it. A pro-rata plan waits for its 30-day
public notice, during which objections are recorded and decided. Executed returns become
orders to the institution holding the account, delivered like every order. The work is
`platform.returns`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Query
from pydantic import BaseModel, ConfigDict, Field

from fraudwall.funds import Rule
from fraudwall.platform import returns, webhooks
from fraudwall.platform.audit import AuditNote
from fraudwall.platform.auth import ApiRole, Caller, allow
from fraudwall.platform.orders import OrderDesk
from fraudwall.platform.service import ServiceDep

router = APIRouter(tags=["returns"])
POLICE = allow(ApiRole.POLICE_ANALYST, ApiRole.POLICE_SUPERVISOR)
SUPERVISOR = allow(ApiRole.POLICE_SUPERVISOR)

Id = Annotated[str, Field(min_length=1, max_length=128)]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=1 << 40)]


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: Id = Field(description="the frozen account the money goes back from")
    rule: Rule | None = Field(
        default=None, description="the tracing rule the claims rest on (default: lifo)"
    )


class ShareOut(BaseModel):
    victim_id: str = Field(description="the case id: each case is one victim's money")
    case_id: str
    to_account: str = Field(description="the victim's original paying account")
    claim_fen: int
    amount_fen: int
    extra_fen: int = Field(description="fen given by largest remainder")


class ObjectionOut(BaseModel):
    objection_id: str
    victim_id: str
    corrected_fen: int
    by: str
    reason: str
    raised_ts: int
    upheld: bool | None
    ruling: str | None
    decided_ts: int | None
    decided_by: str | None


class PlanOut(BaseModel):
    plan_id: str
    account_id: str
    institution_id: str
    state: Literal["open", "executed", "rejected"]
    approval: Literal["not_needed", "pending", "approved", "rejected"]
    approval_id: str | None
    article8_rule: Literal["sole_victim", "unique_split", "pro_rata"]
    reason: str
    trace_rule: str
    frozen_fen: int
    amount_fen: int
    residual_fen: int = Field(description="what stays frozen after this round")
    notice_ends_ts: int | None = Field(description="a pro-rata plan: the public notice ends")
    shares: list[ShareOut]
    objections: list[ObjectionOut]
    orders: list[str] = Field(description="the return orders, once executed")
    requested_by: str
    created_ts: int
    executed_ts: int | None


class ObjectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    victim_id: Id
    corrected_fen: int = Field(ge=0, le=2**62, description="what the claim should be")
    by: str = Field(min_length=1, max_length=200, description="who objects")
    reason: str = Field(min_length=1, max_length=2000)


class RulingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    upheld: bool
    ruling: str = Field(min_length=1, max_length=2000)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=2000)


class ApprovalOut(BaseModel):
    approval_id: str
    plan_id: str
    amount_fen: int
    requested_by: str
    requested_agency: str
    requested_ts: int
    state: Literal["pending", "approved", "rejected", "superseded"]
    decided_by: str | None
    decided_ts: int | None
    decision_note: str | None


class DecidedOut(BaseModel):
    approval: ApprovalOut
    plan: PlanOut


def _plan(view: returns.PlanView) -> PlanOut:
    return PlanOut(**view.as_dict())


def _approval(row: dict[str, Any]) -> ApprovalOut:
    return ApprovalOut(**row)


@router.post("/returns", status_code=201, openapi_extra=POLICE)
def plan_return(
    body: ReturnIn, caller: Caller, service: ServiceDep, background: BackgroundTasks
) -> PlanOut:
    """Plan a return from a frozen account under article 8; executed at once unless it needs
    a supervisor's approval (above the threshold) or a public notice (pro rata)."""
    with service.db.writing() as conn:
        view = returns.plan_return(OrderDesk(service, conn, caller), body.account_id, body.rule)
    background.add_task(webhooks.deliver_due, service)
    return _plan(view)


@router.get("/returns", openapi_extra=POLICE)
def list_returns(
    caller: Caller,
    service: ServiceDep,
    state: Literal["open", "executed", "rejected"] | None = None,
    account_id: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[PlanOut]:
    with service.db.writing() as conn:
        found = returns.list_plans(
            conn, state=state, account_id=account_id, limit=limit, offset=offset
        )
        ids = [v.row["plan_id"] for v in found]
        service.audit(conn, caller, [AuditNote("returns.list", "returns", after={"ids": ids})])
    return [_plan(v) for v in found]


@router.get("/returns/{plan_id}", openapi_extra=POLICE)
def get_return(plan_id: str, caller: Caller, service: ServiceDep) -> PlanOut:
    with service.db.writing() as conn:
        view = returns.get_plan(conn, plan_id)
        service.audit(conn, caller, [AuditNote("returns.read", plan_id)])
    return _plan(view)


@router.post("/returns/{plan_id}/execute", openapi_extra=POLICE)
def execute_return(
    plan_id: str, caller: Caller, service: ServiceDep, background: BackgroundTasks
) -> PlanOut:
    """Pay an approved (or small) plan out once its public notice is over."""
    with service.db.writing() as conn:
        view = returns.execute(OrderDesk(service, conn, caller), plan_id)
    background.add_task(webhooks.deliver_due, service)
    return _plan(view)


@router.post("/returns/{plan_id}/objections", status_code=201, openapi_extra=POLICE)
def object_to(plan_id: str, body: ObjectionIn, caller: Caller, service: ServiceDep) -> PlanOut:
    """Record an objection heard during the public notice of a pro-rata plan."""
    with service.db.writing() as conn:
        view = returns.object_to(
            OrderDesk(service, conn, caller), plan_id, body.victim_id, body.corrected_fen,
            body.by, body.reason,
        )  # fmt: skip
    return _plan(view)


@router.post("/returns/{plan_id}/objections/{objection_id}/decision", openapi_extra=POLICE)
def decide_objection(
    plan_id: str, objection_id: str, body: RulingIn, caller: Caller, service: ServiceDep
) -> PlanOut:
    """Decide an objection: upheld corrects the claim and the plan is made again."""
    with service.db.writing() as conn:
        view = returns.decide_objection(
            OrderDesk(service, conn, caller), plan_id, objection_id, body.upheld, body.ruling
        )
    return _plan(view)


@router.get("/approvals", openapi_extra=POLICE)
def list_approvals(
    caller: Caller,
    service: ServiceDep,
    state: Literal["pending", "approved", "rejected", "superseded"] | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[ApprovalOut]:
    with service.db.reading() as conn:
        return [_approval(r) for r in returns.list_approvals(conn, state, limit, offset)]


@router.get("/approvals/{approval_id}", openapi_extra=POLICE)
def get_approval(approval_id: str, caller: Caller, service: ServiceDep) -> ApprovalOut:
    with service.db.reading() as conn:
        return _approval(returns.get_approval(conn, approval_id))


@router.post("/approvals/{approval_id}/approve", openapi_extra=SUPERVISOR)
def approve(
    approval_id: str,
    body: DecisionIn,
    caller: Caller,
    service: ServiceDep,
    background: BackgroundTasks,
) -> DecidedOut:
    """A supervisor approves another's return plan; it executes once its notice is over."""
    with service.db.writing() as conn:
        row, view = returns.decide_approval(
            OrderDesk(service, conn, caller), approval_id, True, body.note
        )
    background.add_task(webhooks.deliver_due, service)
    return DecidedOut(approval=_approval(row), plan=_plan(view))


@router.post("/approvals/{approval_id}/reject", openapi_extra=SUPERVISOR)
def reject(approval_id: str, body: DecisionIn, caller: Caller, service: ServiceDep) -> DecidedOut:
    """A supervisor rejects another's return plan: nothing is paid; the money stays frozen."""
    with service.db.writing() as conn:
        row, view = returns.decide_approval(
            OrderDesk(service, conn, caller), approval_id, False, body.note
        )
    return DecidedOut(approval=_approval(row), plan=_plan(view))
