"""`GET /v1/audit`: the audit log, page by page, for the operator and police supervisors.

The log names who read which personal data, so reading it is itself an audit entry,
written in the transaction of the read (it appears on the next page, never on this one).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from fraudwall.platform import audit
from fraudwall.platform.audit import AuditNote
from fraudwall.platform.auth import ApiRole, Caller, allow
from fraudwall.platform.service import ServiceDep

router = APIRouter(tags=["audit"])
MAX_PAGE = 1_000


class AuditEntryOut(BaseModel):
    seq: int
    ts: int
    key_id: str
    agency_id: str
    role: str
    action: str
    subject: str
    before: Any = Field(default=None, description="the record before a change (JSON)")
    after: Any = Field(default=None, description="the record after it, or what was read")
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    entries: list[AuditEntryOut]
    next_seq: int = Field(description="from_seq for the next page")


def _entry(row: dict[str, Any]) -> AuditEntryOut:
    values = dict(row)
    for side in ("before", "after"):
        values[side] = None if row[side] is None else json.loads(row[side])
    return AuditEntryOut(**values)


@router.get("/audit", openapi_extra=allow(ApiRole.ADMIN, ApiRole.POLICE_SUPERVISOR))
def read_audit(
    caller: Caller,
    service: ServiceDep,
    from_seq: Annotated[int, Query(ge=1, le=2**62, description="first entry to read")] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> AuditPage:
    """Audit entries from `from_seq` on, oldest first."""
    with service.db.writing() as conn:
        rows = audit.read_entries(conn, from_seq, limit)
        read = {"from_seq": from_seq, "entries": len(rows)}
        span = f"{rows[0]['seq']}..{rows[-1]['seq']}" if rows else f"{from_seq}.."
        service.audit(conn, caller, [AuditNote("audit.read", span, after=read)])
    next_seq = rows[-1]["seq"] + 1 if rows else from_seq
    return AuditPage(entries=[_entry(r) for r in rows], next_seq=next_seq)
