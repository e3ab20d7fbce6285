"""Returns of frozen money under article 8, over the service, with maker-checker.

A police analyst plans a return from one frozen account (`plan_return`): every case group
is traced as the ledger stands now, each victim whose money is in the account has a claim
(capped at what already came back from here), and the funds part's `ReturnProcess` decides
the round under article 8 — to one victim directly, by a unique split, or pro rata after a
30-day public notice during which objections are heard (`object_to`, `decide_objection`).
A plan returning more than `ServeSettings.return_approval_fen` waits for a police
supervisor other than its maker (`approve`, `reject`); smaller plans need nobody's
approval. A plan is executed as soon as nothing holds it back (its approval, its notice),
or on request after its notice (`execute`): the round's return orders are drawn from the
freezes (`OrderBook.settle_return`) and delivered to the institution like any order.

The round is kept as its inputs (`return_plans.body`: the frozen amount, the claims, the
article 8 flags, what each victim had back before, the objections) and replayed through
`ReturnProcess` whenever it changes or is executed, so the plan is always the funds part's
and never re-derived here. At execution each victim's loss still caps what they get
across every return made since the plan (the process's `ReturnTally`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa
from fastapi import HTTPException
from msgspec.structs import replace

from fraudwall.errors import InputError
from fraudwall.funds import (
    CONSERVING,
    AuditTrail,
    Claim,
    OrderError,
    ReturnError,
    ReturnProcess,
    ReturnTally,
    Rule,
)
from fraudwall.model import Order, OrderKind
from fraudwall.platform.audit import AuditNote
from fraudwall.platform.cases import all_cases, policy_for, recovery_for
from fraudwall.platform.errors import Conflict, NotFound
from fraudwall.platform.orderbook import order_dict, save_order
from fraudwall.platform.orders import OrderDesk, actor_of
from fraudwall.platform.schema import approvals, return_plans
from fraudwall.platform.webhooks import ISSUED

if TYPE_CHECKING:
    from fraudwall.funds import ReturnRound

OPEN: Final = "open"
EXECUTED: Final = "executed"
REJECTED: Final = "rejected"
NOT_NEEDED: Final = "not_needed"
PENDING: Final = "pending"
APPROVED: Final = "approved"
SUPERSEDED: Final = "superseded"


# --- the round, replayed ------------------------------------------------------------------
def _claims(inputs: Mapping[str, Any]) -> list[Claim]:
    return [Claim(**c) for c in inputs["claims"]]


def replay(inputs: Mapping[str, Any], actor: str) -> tuple[ReturnProcess, ReturnRound]:
    """The plan's round as the funds part makes it from the stored inputs: opened, then
    every objection raised and decided, in the order it happened."""
    tally = ReturnTally()
    for victim, fen in inputs["returned_before"].items():
        tally.add(victim, int(fen))
    process = ReturnProcess(
        inputs["account_id"], inputs["institution_id"], int(inputs["frozen_fen"]), tally,
        AuditTrail(), actor=actor,
    )  # fmt: skip
    rnd = process.open_round(
        _claims(inputs),
        int(inputs["opened_ts"]),
        sole_victim=bool(inputs["sole_victim"]),
        unique_split=bool(inputs["unique_split"]),
    )
    steps: list[tuple[int, int, dict[str, Any]]] = []
    for i, ob in enumerate(inputs["objections"]):
        steps.append((int(ob["raised_ts"]), 2 * i, ob))
        if ob.get("upheld") is not None:
            steps.append((int(ob["decided_ts"]), 2 * i + 1, ob))
    for ts, order, ob in sorted(steps, key=lambda s: (s[0], s[1])):
        if order % 2 == 0:
            process.object(
                ob["victim_id"], int(ob["corrected_fen"]), ts, by=ob["by"], reason=ob["reason"]
            )
        else:
            process.decide(
                ob["objection_id"], bool(ob["upheld"]), ts, ruling=ob["ruling"],
                actor=ob["decided_by"],
            )  # fmt: skip
    return process, rnd


# --- reading ------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlanView:
    """A return plan as callers see it."""

    row: Mapping[str, Any]
    inputs: Mapping[str, Any]
    rnd: ReturnRound

    def as_dict(self) -> dict[str, Any]:
        plan = self.rnd.plan
        return {
            "plan_id": self.row["plan_id"],
            "account_id": self.row["account_id"],
            "institution_id": self.row["institution_id"],
            "state": self.row["state"],
            "approval": self.row["approval"],
            "approval_id": self.row["approval_id"],
            "article8_rule": str(plan.rule),
            "reason": plan.reason,
            "trace_rule": self.inputs["trace_rule"],
            "frozen_fen": plan.frozen_fen,
            "amount_fen": plan.returned_fen,
            "residual_fen": plan.residual_fen,
            "notice_ends_ts": self.rnd.notice_ends_ts,
            "shares": [
                {
                    "victim_id": s.victim_id,
                    "case_id": s.case_id,
                    "to_account": s.to_account,
                    "claim_fen": s.claim_fen,
                    "amount_fen": s.amount_fen,
                    "extra_fen": s.extra_fen,
                }
                for s in plan.shares
            ],
            "objections": [dict(o) for o in self.inputs["objections"]],
            "orders": list(self.inputs.get("orders", [])),
            "requested_by": self.row["requested_by"],
            "created_ts": self.row["created_ts"],
            "executed_ts": self.row["executed_ts"],
        }


def _view(row: Any, actor: str = "police") -> PlanView:
    m = dict(row._mapping)
    inputs = json.loads(m["body"])
    _, rnd = replay(inputs, actor)
    return PlanView(m, inputs, rnd)


def _row(conn: sa.Connection, plan_id: str) -> Any:
    row = conn.execute(sa.select(return_plans).where(return_plans.c.plan_id == plan_id)).first()
    if row is None:
        raise NotFound("plan_id", f"no return plan {plan_id!r}")
    return row


def get_plan(conn: sa.Connection, plan_id: str) -> PlanView:
    return _view(_row(conn, plan_id))


def list_plans(
    conn: sa.Connection,
    *,
    state: str | None = None,
    account_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[PlanView]:
    q = sa.select(return_plans)
    if state is not None:
        q = q.where(return_plans.c.state == state)
    if account_id is not None:
        q = q.where(return_plans.c.account_id == account_id)
    q = q.order_by(return_plans.c.created_ts, return_plans.c.plan_id).limit(limit).offset(offset)
    return [_view(r) for r in conn.execute(q)]


# --- planning -----------------------------------------------------------------------------
def _returned(desk: OrderDesk, account_id: str | None = None) -> dict[str, int]:
    """What each victim (case) has had back so far, from anywhere or from one account."""
    out: dict[str, int] = {}
    for o in desk.loaded.stored.values():
        if o.kind == OrderKind.RETURN and (account_id is None or o.account_id == account_id):
            out[o.case_id] = out.get(o.case_id, 0) + o.amount_fen
    return out


def _next_id(conn: sa.Connection, table: sa.Table, prefix: str) -> str:
    n = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    return f"{prefix}{n + 1:06d}"


def plan_return(desk: OrderDesk, account_id: str, rule: Rule | None = None) -> PlanView:
    """Plan a round of returns from the frozen `account_id` (module doc); executes it at
    once when it needs neither approval nor a public notice."""
    conn, now = desk.conn, desk.now
    frozen = desk.book.frozen_fen(account_id, now)
    if frozen <= 0:
        raise Conflict("account_id", f"nothing is frozen on {account_id} now")
    still = conn.execute(
        sa.select(return_plans.c.plan_id).where(
            return_plans.c.account_id == account_id, return_plans.c.state == OPEN
        )
    ).first()
    if still is not None:
        raise Conflict(
            "account_id",
            f"return plan {still.plan_id} on {account_id} is still open: execute or reject it "
            "first",
        )
    chosen = Rule(rule) if rule is not None else None
    if chosen is not None and chosen not in CONSERVING:
        raise InputError("rule", f"{chosen} does not conserve money: it is never used for returns")
    policy = policy_for(chosen)
    freezes = [o for o in desk.book.orders(account_id=account_id, kind=OrderKind.FREEZE)]
    institution_id = freezes[-1].institution_id
    cases = all_cases(conn)
    recovery = recovery_for(conn, cases, policy, now, desk.loaded)
    members: dict[str, list[Any]] = {}
    for c in cases:
        members.setdefault(c.group_id, []).append(c)
    here = _returned(desk, account_id)
    claims: list[dict[str, Any]] = []
    sole: list[bool] = []
    unique: list[bool] = []
    for group_id in sorted(members):
        try:
            result = recovery.trace_cases(members[group_id], now)
        except (KeyError, ValueError) as exc:
            raise Conflict(
                "account_id", f"case group {group_id} cannot be traced ({exc})"
            ) from None
        reached = {r.account: r for r in result.accounts}.get(account_id)
        if reached is None:
            continue
        for victim in result.victims:
            held = result.holding(account_id, victim) - here.get(victim, 0)
            if held > 0:
                case = recovery.cases[victim]
                claims.append(
                    {
                        "victim_id": victim,
                        "case_id": victim,
                        "traced_fen": held,
                        "loss_fen": case.loss_fen,
                        "to_account": case.victim_accounts[0],
                    }
                )
        sole.append(reached.sole_victim is not None)
        unique.append(reached.unique_split)
    if not claims:
        raise Conflict(
            "account_id", f"no victim's traced money is left in {account_id}: nothing to return"
        )
    executed_before = conn.execute(
        sa.select(sa.func.count())
        .select_from(return_plans)
        .where(return_plans.c.account_id == account_id, return_plans.c.state == EXECUTED)
    ).scalar_one()
    inputs: dict[str, Any] = {
        "account_id": account_id,
        "institution_id": institution_id,
        "frozen_fen": frozen,
        "round": executed_before + 1,
        "opened_ts": now,
        "trace_rule": str(policy.rule),
        "sole_victim": len(sole) == 1 and sole[0] and len(claims) == 1,
        "unique_split": len(unique) == 1 and unique[0],
        "claims": claims,
        "returned_before": _returned(desk),
        "objections": [],
        "orders": [],
    }
    try:
        _, rnd = replay(inputs, actor_of(desk.who))
    except ReturnError as exc:
        raise Conflict("account_id", str(exc)) from None
    plan_id = _next_id(conn, return_plans, "RP")
    amount = rnd.plan.returned_fen
    approval_id = None
    if amount > desk.service.settings.return_approval_fen:
        approval_id = _request_approval(desk, plan_id, amount, inputs)
    row = {
        "plan_id": plan_id,
        "account_id": account_id,
        "institution_id": institution_id,
        "state": OPEN,
        "approval": PENDING if approval_id else NOT_NEEDED,
        "approval_id": approval_id,
        "amount_fen": amount,
        "notice_ends_ts": rnd.notice_ends_ts,
        "body": json.dumps(inputs, sort_keys=True),
        "requested_by": desk.who.key_id,
        "requested_agency": desk.who.agency_id,
        "created_ts": now,
        "executed_ts": None,
    }
    conn.execute(return_plans.insert(), [row])
    view = get_plan(conn, plan_id)
    desk.service.audit(conn, desk.who, [AuditNote("returns.plan", plan_id, after=view.as_dict())])
    if _ready(view, now):
        return execute(desk, plan_id)
    return view


def _request_approval(desk: OrderDesk, plan_id: str, amount: int, inputs: Any) -> str:
    approval_id = _next_id(desk.conn, approvals, "AP")
    desk.conn.execute(
        approvals.insert(),
        [
            {
                "approval_id": approval_id,
                "subject": plan_id,
                "amount_fen": amount,
                "body": json.dumps({"plan_id": plan_id, **inputs}, sort_keys=True),
                "requested_by": desk.who.key_id,
                "requested_agency": desk.who.agency_id,
                "requested_ts": desk.now,
                "state": PENDING,
            }
        ],
    )
    return approval_id


def _ready(view: PlanView, now: int) -> bool:
    """Nothing holds the plan back: open, approved or needing no approval, notice over."""
    notice = view.rnd.notice_ends_ts
    return (
        view.row["state"] == OPEN
        and view.row["approval"] in (NOT_NEEDED, APPROVED)
        and (notice is None or now >= notice)
    )


# --- executing ----------------------------------------------------------------------------
def execute(desk: OrderDesk, plan_id: str) -> PlanView:
    """Pay the plan out: the round's return orders (to each victim's original account),
    drawn from the freezes on the account and delivered to the institution holding it."""
    conn, now = desk.conn, desk.now
    row = _row(conn, plan_id)
    if row.state != OPEN:
        raise Conflict("plan_id", f"return plan {plan_id} is {row.state}")
    if row.approval not in (NOT_NEEDED, APPROVED):
        raise Conflict(
            "plan_id",
            f"return plan {plan_id} waits for a police supervisor's approval ({row.approval_id})",
        )
    inputs = json.loads(row.body)
    process, _ = replay(inputs, actor_of(desk.who))
    back_now = _returned(desk)
    for victim in {c["victim_id"] for c in inputs["claims"]}:
        since = back_now.get(victim, 0) - int(inputs["returned_before"].get(victim, 0))
        if since > 0:  # returns made since the plan count against the victim's loss
            process.tally.add(victim, since)
    try:
        paid = process.execute(now)
    except ReturnError as exc:
        raise Conflict("plan_id", str(exc)) from None
    made: list[Order] = []
    for i, ret in enumerate(paid, 1):
        order = replace(ret, order_id=f"RT-{inputs['account_id']}-R{inputs['round']}-{i}")
        try:
            desk.book.settle_return(order, now)
        except OrderError as exc:  # the freezes changed since the plan (released, expired)
            raise Conflict("plan_id", f"{exc}; plan the return again") from None
        save_order(conn, order)
        desk.loaded.stored[order.order_id] = order
        made.append(order)
    inputs["orders"] = [o.order_id for o in made]
    conn.execute(
        return_plans.update()
        .where(return_plans.c.plan_id == plan_id)
        .values(state=EXECUTED, executed_ts=now, body=json.dumps(inputs, sort_keys=True))
    )
    desk.service.audit(
        conn,
        desk.who,
        [AuditNote("returns.order", o.order_id, after=order_dict(o)) for o in made],
    )
    for o in made:
        desk.deliver(o, ISSUED)
    desk.commit("orders.return_drawn")
    view = get_plan(conn, plan_id)
    desk.service.audit(
        conn,
        desk.who,
        [AuditNote("returns.execute", plan_id, before=dict(row._mapping), after=view.as_dict())],
    )
    return view


# --- maker-checker ------------------------------------------------------------------------
def _approval(conn: sa.Connection, approval_id: str) -> Any:
    row = conn.execute(sa.select(approvals).where(approvals.c.approval_id == approval_id)).first()
    if row is None:
        raise NotFound("approval_id", f"no approval {approval_id!r}")
    return row


def list_approvals(
    conn: sa.Connection, state: str | None = None, limit: int = 100, offset: int = 0
) -> list[dict[str, Any]]:
    q = sa.select(approvals)
    if state is not None:
        q = q.where(approvals.c.state == state)
    q = q.order_by(approvals.c.requested_ts, approvals.c.approval_id).limit(limit).offset(offset)
    return [_approval_dict(r) for r in conn.execute(q)]


def get_approval(conn: sa.Connection, approval_id: str) -> dict[str, Any]:
    return _approval_dict(_approval(conn, approval_id))


def _approval_dict(row: Any) -> dict[str, Any]:
    m = dict(row._mapping)
    m["plan_id"] = m.pop("subject")
    m.pop("body")
    return m


def decide_approval(
    desk: OrderDesk, approval_id: str, approve: bool, note: str
) -> tuple[dict[str, Any], PlanView]:
    """A police supervisor's decision on a pending approval, never their own request.
    Approved: the plan executes at once if its notice is over. Rejected: nothing is paid
    and the money stays frozen."""
    conn, now = desk.conn, desk.now
    row = _approval(conn, approval_id)
    if row.requested_by == desk.who.key_id:
        raise HTTPException(
            403, f"nobody approves their own request: {approval_id} was requested with this key"
        )
    if row.state != PENDING:
        raise Conflict("approval_id", f"approval {approval_id} is {row.state} already")
    state = APPROVED if approve else REJECTED
    conn.execute(
        approvals.update()
        .where(approvals.c.approval_id == approval_id)
        .values(state=state, decided_by=desk.who.key_id, decided_ts=now, decision_note=note)
    )
    plan_id = row.subject
    values: dict[str, Any] = {"approval": state}
    if not approve:
        values["state"] = REJECTED
    conn.execute(return_plans.update().where(return_plans.c.plan_id == plan_id).values(**values))
    after = get_approval(conn, approval_id)
    desk.service.audit(
        conn,
        desk.who,
        [
            AuditNote(
                f"approvals.{'approve' if approve else 'reject'}",
                approval_id,
                before=_approval_dict(row),
                after=after,
            )
        ],
    )
    view = get_plan(conn, plan_id)
    if approve and _ready(view, now):
        view = execute(desk, plan_id)
    return after, view


# --- objections during the public notice ---------------------------------------------------
def object_to(
    desk: OrderDesk, plan_id: str, victim_id: str, corrected_fen: int, by: str, reason: str
) -> PlanView:
    """Record an objection, heard during the plan's public notice, that a victim's claim
    should be `corrected_fen` (the funds part refuses one outside the notice)."""
    row = _row(desk.conn, plan_id)
    if row.state != OPEN:
        raise Conflict("plan_id", f"return plan {plan_id} is {row.state}")
    inputs = json.loads(row.body)
    process, _ = replay(inputs, actor_of(desk.who))
    try:
        made = process.object(victim_id, corrected_fen, desk.now, by=by, reason=reason)
    except ReturnError as exc:
        raise Conflict("plan_id", str(exc)) from None
    inputs["objections"].append(
        {
            "objection_id": made.objection_id,
            "victim_id": victim_id,
            "corrected_fen": corrected_fen,
            "by": by,
            "reason": reason,
            "raised_ts": desk.now,
            "upheld": None,
            "ruling": None,
            "decided_ts": None,
            "decided_by": None,
        }
    )
    return _store_change(desk, row, inputs, "returns.objection")


def decide_objection(
    desk: OrderDesk, plan_id: str, objection_id: str, upheld: bool, ruling: str
) -> PlanView:
    """Decide an objection: upheld corrects the claim and the plan is made again (a plan
    whose amount changed needs approving again when above the threshold)."""
    row = _row(desk.conn, plan_id)
    if row.state != OPEN:
        raise Conflict("plan_id", f"return plan {plan_id} is {row.state}")
    inputs = json.loads(row.body)
    process, _ = replay(inputs, actor_of(desk.who))
    try:
        process.decide(objection_id, upheld, desk.now, ruling=ruling, actor=actor_of(desk.who))
    except ReturnError as exc:
        raise Conflict("objection_id", str(exc)) from None
    for ob in inputs["objections"]:
        if ob["objection_id"] == objection_id:
            ob.update(
                upheld=upheld, ruling=ruling, decided_ts=desk.now, decided_by=actor_of(desk.who)
            )
    return _store_change(desk, row, inputs, "returns.objection_decided")


def _store_change(desk: OrderDesk, row: Any, inputs: dict[str, Any], action: str) -> PlanView:
    """Store the plan's changed inputs; when its amount changed, the approval given or asked
    for no longer holds: a new one is asked for if the amount is above the threshold, in the
    name of whoever changed the plan (so they cannot approve it either)."""
    conn = desk.conn
    before = _view(row)
    _, rnd = replay(inputs, actor_of(desk.who))
    amount = rnd.plan.returned_fen
    values: dict[str, Any] = {"body": json.dumps(inputs, sort_keys=True), "amount_fen": amount}
    if amount != row.amount_fen:
        if row.approval_id is not None and row.approval in (PENDING, APPROVED):
            conn.execute(
                approvals.update()
                .where(approvals.c.approval_id == row.approval_id)
                .values(state=SUPERSEDED, decision_note="the plan changed after an objection")
            )
        if amount > desk.service.settings.return_approval_fen:
            values["approval_id"] = _request_approval(desk, row.plan_id, amount, inputs)
            values["approval"] = PENDING
        else:
            values["approval_id"], values["approval"] = None, NOT_NEEDED
    conn.execute(
        return_plans.update().where(return_plans.c.plan_id == row.plan_id).values(**values)
    )
    view = get_plan(conn, row.plan_id)
    desk.service.audit(
        conn,
        desk.who,
        [AuditNote(action, row.plan_id, before=before.as_dict(), after=view.as_dict())],
    )
    return view


__all__ = [
    "APPROVED",
    "EXECUTED",
    "NOT_NEEDED",
    "OPEN",
    "PENDING",
    "REJECTED",
    "SUPERSEDED",
    "PlanView",
    "decide_approval",
    "decide_objection",
    "execute",
    "get_approval",
    "get_plan",
    "list_approvals",
    "list_plans",
    "object_to",
    "plan_return",
    "replay",
]
