"""Victims' reports, cases, their trace and fund-flow table, and linked case groups.

Reports come from the police and the public app (which sees only its own); cases, traces,
fund-flow tables and case groups are for the police alone. Every read is audited: these
are people's losses and accounts. The work is `platform.cases`; these routes only carry it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from fraudwall.funds import Rule
from fraudwall.model import CaseFile, FraudType, OrderKind, OrderState
from fraudwall.model.sql import row_of
from fraudwall.platform import cases
from fraudwall.platform.audit import AuditNote
from fraudwall.platform.auth import ApiRole, Caller, allow
from fraudwall.platform.cases import CaseGroup, CaseTrace, FiledReport
from fraudwall.platform.orderbook import load_book
from fraudwall.platform.service import ServiceDep

router = APIRouter(tags=["cases"])
POLICE = allow(ApiRole.POLICE_ANALYST, ApiRole.POLICE_SUPERVISOR)
REPORTERS = allow(ApiRole.POLICE_ANALYST, ApiRole.POLICE_SUPERVISOR, ApiRole.PUBLIC_APP)

CSV_MEDIA = "text/csv; charset=utf-8"
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Id = Annotated[str, Field(min_length=1, max_length=128)]
Limit = Annotated[int, Query(ge=1, le=1000, description="at most this many")]
Offset = Annotated[int, Query(ge=0, le=1 << 40, description="skip this many first")]


# --- models -------------------------------------------------------------------------------
class ReportIn(BaseModel):
    """A victim's report: who, which of their payments, what they lost, their story."""

    model_config = ConfigDict(extra="forbid")

    event_id: Id = Field(description="the report's own id: a repeat with the same id is "
                         "recognised")  # fmt: skip
    ts: int = Field(ge=0, description="when the victim reported (ms UTC)")
    person_id: Id = Field(description="the victim (the owner of the paying accounts)")
    transfer_ids: list[Id] = Field(min_length=1, max_length=1000)
    loss_fen: int = Field(ge=0, le=2**62, description="the victim's net loss, in fen")
    fraud_type: FraudType | None = None
    narrative: str = Field(default="", max_length=20_000)
    institution_id: Id | None = Field(
        default=None, description="the reporting institution (default: the caller's)"
    )


class ReportOut(BaseModel):
    event_id: str
    ts: int
    institution_id: str
    person_id: str
    transfer_ids: list[str]
    loss_fen: int
    fraud_type: FraudType | None
    narrative: str
    filed_by: str = Field(description="the agency that filed it")
    status: Literal["filed", "case", "refused"]
    case_id: str | None
    refused: str | None = Field(description="why it could not become a case (yet)")


class CaseOut(BaseModel):
    case_id: str
    report_id: str
    group_id: str
    victim_person_id: str
    fraud_type: FraudType | None
    report_ts: int
    opened_ts: int
    transfer_ids: list[str]
    victim_accounts: list[str]
    paid_fen: int
    loss_fen: int
    narrative: str


class OrderBrief(BaseModel):
    order_id: str
    kind: OrderKind
    state: OrderState
    institution_id: str
    account_id: str
    amount_fen: int
    expires_ts: int | None


class CaseDetailOut(CaseOut):
    links: list[str] = Field(description="what the case may share with another case")
    orders: list[OrderBrief]


class OpenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    report_ids: list[Id] | None = Field(
        default=None,
        max_length=10_000,
        description="the reports to open (default: every report not yet a case)",
    )


class RefusedOut(BaseModel):
    report_id: str
    reason: str


class RegroupedOut(BaseModel):
    case_id: str
    group_id: str
    was_group_id: str


class OpenOut(BaseModel):
    opened: list[CaseOut]
    refused: list[RefusedOut]
    regrouped: list[RegroupedOut]
    skipped: list[str] = Field(description="reports that were cases already")


class VictimOut(BaseModel):
    victim: str = Field(description="the case id: each case is one victim's money")
    paid_fen: int
    held_fen: int
    exited_fen: int


class AccountOut(BaseModel):
    account_id: str
    institution_id: str | None
    hop: int
    balance_fen: int
    held_fen: int
    own_fen: int
    sole_victim: str | None
    unique_split: bool
    held_by_victim: dict[str, int]


class SinkOut(BaseModel):
    account_id: str
    sink_kind: str
    fen: int
    transfers: int
    by_victim: dict[str, int]


class TraceOut(BaseModel):
    case_id: str
    group: bool
    cases: list[str]
    rule: Rule
    max_hops: int
    window_ms: int
    as_of_ts: int
    victims: list[VictimOut]
    accounts: list[AccountOut]
    sinks: list[SinkOut]


class FlowOut(BaseModel):
    """The fund-flow table and graph: amounts in the tables are yuan text, exact."""

    case_id: str
    rule: str
    max_hops: int
    window_ms: int
    as_of_ts: int
    cases: list[str]
    victims: list[dict[str, Any]]
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    hops: list[dict[str, Any]]
    held: list[dict[str, Any]]
    exits: list[dict[str, Any]]


class GroupOut(BaseModel):
    group_id: str
    case_ids: list[str]
    victims: list[str]
    paid_fen: int
    loss_fen: int
    linked_by: list[str] = Field(description="kinds of what the cases share")
    first_report_ts: int


class GroupDetailOut(GroupOut):
    cases: list[CaseOut]
    shared: dict[str, list[str]] = Field(description="each key two or more cases share")


# --- shaping ------------------------------------------------------------------------------
def _report_out(f: FiledReport) -> ReportOut:
    r = f.report
    return ReportOut(
        event_id=r.event_id, ts=r.ts, institution_id=r.institution_id, person_id=r.person_id,
        transfer_ids=list(r.transfer_ids), loss_fen=r.loss_fen, fraud_type=r.fraud_type,
        narrative=r.narrative, filed_by=f.agency_id, status=f.status,  # type: ignore[arg-type]
        case_id=f.case_id, refused=f.refused,
    )  # fmt: skip


def _case_out(c: CaseFile) -> CaseOut:
    return CaseOut(**row_of(c))


def _group_out(g: CaseGroup) -> GroupOut:
    return GroupOut(
        group_id=g.group_id,
        case_ids=[c.case_id for c in g.cases],
        victims=sorted({c.victim_person_id for c in g.cases}),
        paid_fen=sum(c.paid_fen for c in g.cases),
        loss_fen=sum(c.loss_fen for c in g.cases),
        linked_by=g.linked_by,
        first_report_ts=min(c.report_ts for c in g.cases),
    )


def _trace_out(t: CaseTrace, group: bool) -> TraceOut:
    result = t.result
    held, gone = result.held(), result.exited()
    by_account: dict[str, dict[str, int]] = {}
    for h in result.holdings:
        if h.fen:
            by_account.setdefault(h.account, {})[h.victim] = h.fen
    institution_of = t.recovery.institution_of
    accounts = [
        AccountOut(
            account_id=r.account,
            institution_id=institution_of.get(r.account),
            hop=r.hop,
            balance_fen=r.balance_fen,
            held_fen=r.held_fen,
            own_fen=r.own_fen,
            sole_victim=r.sole_victim,
            unique_split=r.unique_split,
            held_by_victim=by_account.get(r.account, {}),
        )
        for r in sorted(result.accounts, key=lambda r: (-r.held_fen, r.account))
    ]
    sinks: dict[tuple[str, str], SinkOut] = {}
    for e in result.exits:
        s = sinks.setdefault(
            (e.to_account, e.sink_kind),
            SinkOut(account_id=e.to_account, sink_kind=e.sink_kind, fen=0, transfers=0,
                    by_victim={}),
        )  # fmt: skip
        s.fen += e.fen
        s.transfers += 1
        s.by_victim[e.victim] = s.by_victim.get(e.victim, 0) + e.fen
    meta = t.meta(group)
    return TraceOut(
        case_id=meta["case_id"], group=group, cases=meta["cases"], rule=t.policy.rule,
        max_hops=t.policy.max_hops, window_ms=t.policy.window_ms, as_of_ts=t.as_of_ts,
        victims=[VictimOut(victim=v, paid_fen=result.paid[v], held_fen=held[v],
                           exited_fen=gone[v]) for v in result.victims],
        accounts=accounts,
        sinks=sorted(sinks.values(), key=lambda s: (-s.fen, s.account_id, s.sink_kind)),
    )  # fmt: skip


def _filename(ident: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", ident)[:100] or "case"


# --- reports ------------------------------------------------------------------------------
@router.post("/reports", status_code=201, openapi_extra=REPORTERS,
             responses={200: {"description": "an identical repeat: the first answer",
                              "model": ReportOut}})  # fmt: skip
def file_report(
    body: ReportIn, response: Response, caller: Caller, service: ServiceDep
) -> ReportOut:
    """File a victim's report (police, or the public app for the citizen using it)."""
    with service.db.writing() as conn:
        report = cases.new_report(body.model_dump(), caller, service.now())
        filed, new = cases.file_report(conn, caller, report)
        if new:
            note = AuditNote("reports.file", report.event_id, after=row_of(report))
        else:
            note = AuditNote("reports.repeat", report.event_id)
        service.audit(conn, caller, [note])
    if not new:
        response.status_code = 200
    return _report_out(filed)


@router.get("/reports", openapi_extra=REPORTERS)
def list_reports(
    caller: Caller,
    service: ServiceDep,
    mine: bool = False,
    status: Literal["filed", "case", "refused"] | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[ReportOut]:
    """Reports, oldest first: the police see all (`mine`: their agency's), the public app
    its own."""
    with service.db.writing() as conn:
        found = cases.list_reports(
            conn, caller, mine=mine, status=status, limit=limit, offset=offset
        )
        ids = [f.report.event_id for f in found]
        service.audit(conn, caller, [AuditNote("reports.list", "reports", after={"ids": ids})])
    return [_report_out(f) for f in found]


@router.get("/reports/{event_id}", openapi_extra=REPORTERS)
def get_report(event_id: str, caller: Caller, service: ServiceDep) -> ReportOut:
    with service.db.writing() as conn:
        found = cases.get_report(conn, caller, event_id)
        service.audit(conn, caller, [AuditNote("reports.read", event_id)])
    return _report_out(found)


# --- cases --------------------------------------------------------------------------------
@router.post("/cases", openapi_extra=POLICE)
def open_cases(body: OpenIn, caller: Caller, service: ServiceDep) -> OpenOut:
    """Open cases from stored reports against the ledger; refused reports get their reason
    (and are tried again next time); every case is regrouped with the new ones."""
    with service.db.writing() as conn:
        done = cases.open_from_reports(conn, body.report_ids, service.now())
        notes = [AuditNote("cases.open", c.case_id, after=row_of(c)) for c in done.opened]
        notes += [
            AuditNote("cases.regroup", c.case_id, before={"group_id": was},
                      after={"group_id": c.group_id})
            for c, was in done.regrouped
        ]  # fmt: skip
        notes += [AuditNote("reports.refuse", r, after={"reason": why}) for r, why in done.refused]
        service.audit(conn, caller, notes)
    return OpenOut(
        opened=[_case_out(c) for c in done.opened],
        refused=[RefusedOut(report_id=r, reason=why) for r, why in done.refused],
        regrouped=[
            RegroupedOut(case_id=c.case_id, group_id=c.group_id, was_group_id=was)
            for c, was in done.regrouped
        ],
        skipped=done.skipped,
    )


@router.get("/cases", openapi_extra=POLICE)
def list_cases(
    caller: Caller,
    service: ServiceDep,
    group_id: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[CaseOut]:
    with service.db.writing() as conn:
        found = cases.list_cases(conn, group_id=group_id, limit=limit, offset=offset)
        ids = [c.case_id for c in found]
        service.audit(conn, caller, [AuditNote("cases.list", "cases", after={"ids": ids})])
    return [_case_out(c) for c in found]


@router.get("/cases/{case_id}", openapi_extra=POLICE)
def get_case(case_id: str, caller: Caller, service: ServiceDep) -> CaseDetailOut:
    with service.db.writing() as conn:
        case = cases.get_case(conn, case_id)
        links = sorted(cases.stored_links(conn, [case_id]).get(case_id, ()))
        book = load_book(conn, service.now()).book
        found = book.orders(case_id=case_id)
        service.audit(conn, caller, [AuditNote("cases.read", case_id)])
    briefs = [
        OrderBrief(order_id=o.order_id, kind=o.kind, state=o.state,
                   institution_id=o.institution_id, account_id=o.account_id,
                   amount_fen=o.amount_fen, expires_ts=o.expires_ts)
        for o in found
    ]  # fmt: skip
    return CaseDetailOut(**_case_out(case).model_dump(), links=links, orders=briefs)


TraceRule = Annotated[Rule | None, Query(description="attribution rule (default: lifo)")]
TraceHops = Annotated[int | None, Query(ge=1, le=50, description="hop limit (default 6)")]
TraceDays = Annotated[
    int | None, Query(ge=1, le=3650, description="days after the first payment (default 30)")
]
TraceGroup = Annotated[bool, Query(description="trace every case of the case's group")]


@router.get("/cases/{case_id}/trace", openapi_extra=POLICE)
def trace_case(
    case_id: str,
    caller: Caller,
    service: ServiceDep,
    rule: TraceRule = None,
    hops: TraceHops = None,
    window_days: TraceDays = None,
    group: TraceGroup = False,
) -> TraceOut:
    """Where the case's money is now: per account and victim (fen), and where it left."""
    policy = cases.policy_for(rule, hops, window_days)
    with service.db.writing() as conn:
        traced = cases.trace_case(conn, case_id, policy, service.now(), group=group)
        service.audit(conn, caller, [AuditNote("cases.trace", case_id, after=traced.meta(group))])
    return _trace_out(traced, group)


@router.get(
    "/cases/{case_id}/flow",
    openapi_extra=POLICE,
    response_model=None,
    responses={
        200: {
            "description": "the fund-flow table (资金流向表): JSON, CSV or XLSX",
            "content": {
                "application/json": {"schema": FlowOut.model_json_schema()},
                "text/csv": {"schema": {"type": "string"}},
                XLSX_MEDIA: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
def flow_table(
    case_id: str,
    caller: Caller,
    service: ServiceDep,
    format: Literal["json", "csv", "xlsx"] = "json",
    table: Annotated[
        Literal["flow", "held", "exits"], Query(description="which table a CSV holds")
    ] = "flow",
    rule: TraceRule = None,
    hops: TraceHops = None,
    window_days: TraceDays = None,
    group: TraceGroup = False,
) -> Response | dict[str, Any]:
    """The case's fund-flow table: every hop of its traced money, what is held where, what
    left; as JSON (with the graph), CSV (one table) or XLSX (all three sheets)."""
    policy = cases.policy_for(rule, hops, window_days)
    with service.db.writing() as conn:
        traced = cases.trace_case(conn, case_id, policy, service.now(), group=group)
        what = {**traced.meta(group), "format": format}
        service.audit(conn, caller, [AuditNote("cases.flow", case_id, after=what)])
    if format == "json":
        return FlowOut(**cases.flow_json(traced, group)).model_dump()
    name = _filename(str(traced.meta(group)["case_id"]))
    if format == "csv":
        data = cases.flow_file(traced, group, table)
        disposition = f'attachment; filename="{name}-{table}.csv"'
        return Response(data, media_type=CSV_MEDIA, headers={"Content-Disposition": disposition})
    data = cases.flow_file(traced, group, "xlsx")
    disposition = f'attachment; filename="{name}-flow.xlsx"'
    return Response(data, media_type=XLSX_MEDIA, headers={"Content-Disposition": disposition})


# --- linked cases -------------------------------------------------------------------------
@router.get("/case-groups", openapi_extra=POLICE)
def list_groups(
    caller: Caller, service: ServiceDep, limit: Limit = 100, offset: Offset = 0
) -> list[GroupOut]:
    """Linked cases (串并案), largest reported loss first."""
    with service.db.writing() as conn:
        found = cases.case_groups(conn)[offset : offset + limit]
        ids = [g.group_id for g in found]
        service.audit(conn, caller, [AuditNote("case_groups.list", "case_groups",
                                               after={"ids": ids})])  # fmt: skip
    return [_group_out(g) for g in found]


@router.get("/case-groups/{group_id}", openapi_extra=POLICE)
def get_group(group_id: str, caller: Caller, service: ServiceDep) -> GroupDetailOut:
    with service.db.writing() as conn:
        found = cases.get_group(conn, group_id)
        service.audit(conn, caller, [AuditNote("case_groups.read", group_id)])
    return GroupDetailOut(
        **_group_out(found).model_dump(),
        cases=[_case_out(c) for c in found.cases],
        shared=found.shared,
    )
