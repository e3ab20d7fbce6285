"""`GET /v1/risk/{kind}/{value}`: the risk check, for every role (see `platform.risk`).

The public app gets the verdict and the advice; every agency also gets the evidence and
the sources consulted (`scope.sees_risk_evidence`), with amounts about an account only if
it sees the account's institution. A check of an account that shows its evidence reads
personal data, so it is an audit entry, written in the transaction of the read.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from fraudwall.platform import risk, scope
from fraudwall.platform.audit import AuditNote
from fraudwall.platform.auth import ALL_ROLES, Caller, allow
from fraudwall.platform.registry import institution_of_account
from fraudwall.platform.risk import RiskKind, Verdict
from fraudwall.platform.service import ServiceDep

router = APIRouter(tags=["risk"])


class Advice(BaseModel):
    zh: str
    en: str


class EvidenceOut(BaseModel):
    what: str = Field(description="what is known, in words")
    source: str
    severity: Verdict
    count: int
    first_ts: int
    last_ts: int
    amount_fen: int | None = Field(
        default=None, description="money involved; shown to those who see the account's bank"
    )


class RiskOut(BaseModel):
    kind: RiskKind
    value: str = Field(description="the value as it was looked up (E.164, a host, ...)")
    verdict: Verdict
    advice: Advice
    evidence: list[EvidenceOut] | None = Field(
        default=None, description="absent for the public app"
    )
    sources: list[str] | None = Field(
        default=None, description="the sources consulted; absent for the public app"
    )


@router.get(
    "/risk/{kind}/{value:path}",
    openapi_extra=allow(*ALL_ROLES),
    response_model_exclude_none=True,
)
def check_risk(
    kind: RiskKind,
    value: Annotated[str, Path(description="a phone number, account, link or app id")],
    caller: Caller,
    service: ServiceDep,
) -> RiskOut:
    """What is known against a number, account, link or app, and what to do."""
    looked_up = risk.normalise(kind, value)
    shows = scope.sees_risk_evidence(caller)
    holder = None
    service.lookups.catch_up()  # every event stored before this check is found
    if kind is RiskKind.ACCOUNT and shows:
        with service.db.writing() as conn:
            found = risk.assess(conn, kind, looked_up, service.now())
            holder = institution_of_account(conn, looked_up)
            note = {"verdict": found.verdict.value, "evidence": len(found.evidence)}
            service.audit(conn, caller, [AuditNote("risk.account", looked_up, after=note)])
    else:
        with service.db.reading() as conn:
            found = risk.assess(conn, kind, looked_up, service.now())
    out = RiskOut(
        kind=kind,
        value=looked_up,
        verdict=found.verdict,
        advice=Advice(zh=found.advice_zh, en=found.advice_en),
    )
    if shows:
        amounts = kind is RiskKind.ACCOUNT and scope.sees(caller, holder)
        out.evidence = [
            EvidenceOut(
                what=e.what,
                source=e.source,
                severity=e.severity,
                count=e.count,
                first_ts=e.first_ts,
                last_ts=e.last_ts,
                amount_fen=e.amount_fen if amounts else None,
            )
            for e in found.evidence
        ]
        out.sources = found.sources
    return out
