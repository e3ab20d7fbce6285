"""Agencies and keys over HTTP, for the operator (`fraudwall agencies` / `keys` do the same)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from fraudwall.platform import auth
from fraudwall.platform.audit import AuditNote
from fraudwall.platform.auth import AgencyKind, ApiRole, Caller, allow
from fraudwall.platform.service import ServiceDep

router = APIRouter(tags=["admin"])
ADMIN = allow(ApiRole.ADMIN)


class AgencyIn(BaseModel):
    agency_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    name: str = Field(min_length=1, max_length=200)
    kind: AgencyKind
    institution_id: str | None = Field(default=None, min_length=1, max_length=128)


class AgencyOut(AgencyIn):
    created_ts: int


class KeyIn(BaseModel):
    agency_id: str = Field(min_length=1, max_length=64)
    role: ApiRole
    days: int = Field(default=auth.DEFAULT_KEY_DAYS, ge=1, le=3650)
    label: str = Field(default="", max_length=200)


class KeyOut(BaseModel):
    key_id: str
    agency_id: str
    role: ApiRole
    label: str
    created_ts: int
    expires_ts: int
    revoked_ts: int | None


class IssuedKeyOut(BaseModel):
    key_id: str
    key: str = Field(description="the whole key: shown this once, stored only as a hash")
    agency_id: str
    role: ApiRole
    expires_ts: int


@router.get("/agencies", openapi_extra=ADMIN)
def list_agencies(caller: Caller, service: ServiceDep) -> list[AgencyOut]:
    with service.db.reading() as conn:
        return [
            AgencyOut(**{k: r[k] for k in AgencyOut.model_fields}) for r in auth.list_agencies(conn)
        ]


@router.post("/agencies", status_code=201, openapi_extra=ADMIN)
def add_agency(body: AgencyIn, caller: Caller, service: ServiceDep) -> AgencyOut:
    with service.db.writing() as conn:
        row = auth.add_agency(
            conn, body.agency_id, body.name, body.kind, body.institution_id, service.now()
        )
        service.audit(conn, caller, [AuditNote("agencies.add", body.agency_id, after=row)])
    return AgencyOut(**{k: row[k] for k in AgencyOut.model_fields})


@router.get("/keys", openapi_extra=ADMIN)
def list_keys(caller: Caller, service: ServiceDep) -> list[KeyOut]:
    with service.db.reading() as conn:
        return [KeyOut(**r) for r in auth.list_keys(conn)]


@router.post("/keys", status_code=201, openapi_extra=ADMIN)
def issue_key(body: KeyIn, caller: Caller, service: ServiceDep) -> IssuedKeyOut:
    with service.db.writing() as conn:
        issued = auth.issue_key(
            conn, body.agency_id, body.role, service.now(), days=body.days, label=body.label
        )
        note: dict[str, Any] = {"agency_id": issued.agency_id, "role": issued.role.value}
        service.audit(conn, caller, [AuditNote("keys.issue", issued.key_id, after=note)])
    return IssuedKeyOut(
        key_id=issued.key_id,
        key=issued.key,
        agency_id=issued.agency_id,
        role=issued.role,
        expires_ts=issued.expires_ts,
    )


@router.delete("/keys/{key_id}", openapi_extra=ADMIN)
def revoke_key(key_id: str, caller: Caller, service: ServiceDep) -> KeyOut:
    with service.db.writing() as conn:
        auth.revoke_key(conn, key_id, service.now())
        service.keys.forget(key_id)
        service.audit(conn, caller, [AuditNote("keys.revoke", key_id)])
        row = next(r for r in auth.list_keys(conn) if r["key_id"] == key_id)
    return KeyOut(**row)
