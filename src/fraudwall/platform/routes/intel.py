"""Intelligence for police (`platform.intelfindings`): an account's mule score with its
reasons, a number's verdict, and the gangs with their members and cases.

Each read names accounts, numbers and victims' cases, so each is an audit entry, written in
the transaction of the read. Values are looked up in their written form (an account
without spaces, a number in E.164), as the risk check does.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from fraudwall.common import lookupkeys
from fraudwall.platform import intelfindings
from fraudwall.platform.audit import AuditNote
from fraudwall.platform.auth import POLICE, ApiRole, Caller, allow
from fraudwall.platform.errors import NotFound
from fraudwall.platform.service import ServiceDep

router = APIRouter(tags=["intel"])
_POLICE = allow(*POLICE, ApiRole.ADMIN)


class ReasonOut(BaseModel):
    feature: str = Field(description="a feature of the account's or number's history")
    value: float | None = Field(description="its value (null: the history has no such data)")
    weight: float = Field(description="how much it raised the score (log-odds)")


class ScoreOut(BaseModel):
    kind: str = Field(description="account or number")
    value: str
    score: float = Field(description="the model's probability that it is a mule / fraud number")
    flagged: bool = Field(description="at or over the model's threshold (on the risk lists)")
    verdict: str = Field(description="mule, fraud number, or not flagged")
    reasons: list[ReasonOut]
    model: str
    scored_ts: int


class GangOut(BaseModel):
    gang_id: str
    rank: int = Field(description="1 for the gang behind the largest loss")
    loss_fen: int
    cases: int
    members: int
    found_ts: int


class MemberOut(BaseModel):
    entity_kind: str
    entity_id: str


class GangCaseOut(BaseModel):
    case_id: str = Field(description="the victim's report")
    evidence: Any = Field(description="what links the case to the gang (shared entities)")


class GangDetailOut(GangOut):
    member_list: list[MemberOut]
    case_list: list[GangCaseOut]


_VERDICT = {"account": "mule", "number": "fraud number"}


def _score(service: Any, caller: Any, kind: str, value: str) -> ScoreOut:
    with service.db.writing() as conn:
        found = intelfindings.score_of(conn, kind, value)
        service.audit(conn, caller, [AuditNote(f"intel.{kind}", value)])
    if found is None:
        raise NotFound(kind, f"no published score for {value!r}")
    verdict = _VERDICT[kind] if found["flagged"] else "not flagged"
    return ScoreOut(**{**found, "verdict": verdict})


@router.get(
    "/intel/accounts/{account_id}/mule",
    openapi_extra=_POLICE,
    responses={404: {"description": "the account has no published score"}},
)
def account_mule_score(
    account_id: Annotated[str, Path(description="the account")],
    caller: Caller,
    service: ServiceDep,
) -> ScoreOut:
    """The account's mule score, whether it is flagged, and the features that raised it."""
    return _score(service, caller, "account", lookupkeys.account_id(account_id))


@router.get(
    "/intel/numbers/{number}",
    openapi_extra=_POLICE,
    responses={404: {"description": "the number has no published score"}},
)
def number_verdict(
    number: Annotated[str, Path(description="a phone number (E.164 or national)")],
    caller: Caller,
    service: ServiceDep,
) -> ScoreOut:
    """The number's verdict (fraud number or not), its score and its reasons."""
    return _score(service, caller, "number", lookupkeys.phone_number(number))


@router.get("/intel/gangs", openapi_extra=_POLICE)
def list_gangs(
    caller: Caller,
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[GangOut]:
    """The gangs found behind the reported cases, largest loss first."""
    with service.db.writing() as conn:
        found = intelfindings.gang_list(conn, limit)
        service.audit(conn, caller, [AuditNote("intel.gangs", f"top {limit}")])
    return [GangOut(**g) for g in found]


@router.get(
    "/intel/gangs/{gang_id}",
    openapi_extra=_POLICE,
    responses={404: {"description": "no such gang"}},
)
def get_gang(gang_id: str, caller: Caller, service: ServiceDep) -> GangDetailOut:
    """One gang: its members (accounts, numbers, devices, ...) and its cases, each with the
    evidence that links it to the gang."""
    with service.db.writing() as conn:
        found = intelfindings.gang_of(conn, gang_id)
        service.audit(conn, caller, [AuditNote("intel.gang", gang_id)])
    if found is None:
        raise NotFound("gang_id", f"no gang {gang_id!r}")
    return GangDetailOut(**found)


__all__ = ["router"]
