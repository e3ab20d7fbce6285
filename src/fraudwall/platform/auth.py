"""Agencies, roles and API keys; who is asking, and whether their role may do it.

Every caller is an agency (a police unit, a bank, a payment institution, a telco, the
public app, or the operator) holding a key bound to one agency and one role. A key is
``fw_<8 hex>.<secret>``: the first part is its visible id (shown in lists and the audit
log), the secret is shown once when the key is issued and stored only as its sha256
(keys are random, so a plain hash is as strong as the key). Keys expire and can be
revoked.

Permissions fail closed: a route names the roles that may call it (`allow`, which also
writes them into the OpenAPI description as ``x-roles``), and the one dependency every
router gets (`authorize`) refuses any route that names none. An unknown, expired or
revoked key is a 401; a role not named is a 403 that names the roles needed.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Final

import anyio.to_thread
import sqlalchemy as sa
from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import Headers

from fraudwall.errors import InputError
from fraudwall.model import DAY_MS
from fraudwall.platform.schema import agencies, api_keys


class AgencyKind(StrEnum):
    POLICE = "police"  # a police anti-fraud centre or unit
    BANK = "bank"
    PAYMENT = "payment"  # a payment institution
    TELCO = "telco"
    PUBLIC = "public"  # the citizens' app or web page
    OPERATOR = "operator"  # who runs the platform


class ApiRole(StrEnum):
    POLICE_ANALYST = "police_analyst"
    POLICE_SUPERVISOR = "police_supervisor"
    INSTITUTION = "institution"  # a bank or payment institution
    TELCO = "telco"
    PUBLIC_APP = "public_app"
    ADMIN = "admin"


#: Which agencies may hold a key of each role.
ROLE_AGENCIES: Final[dict[ApiRole, frozenset[AgencyKind]]] = {
    ApiRole.POLICE_ANALYST: frozenset({AgencyKind.POLICE}),
    ApiRole.POLICE_SUPERVISOR: frozenset({AgencyKind.POLICE}),
    ApiRole.INSTITUTION: frozenset({AgencyKind.BANK, AgencyKind.PAYMENT}),
    ApiRole.TELCO: frozenset({AgencyKind.TELCO}),
    ApiRole.PUBLIC_APP: frozenset({AgencyKind.PUBLIC}),
    ApiRole.ADMIN: frozenset({AgencyKind.OPERATOR}),
}

POLICE: Final = (ApiRole.POLICE_ANALYST, ApiRole.POLICE_SUPERVISOR)
ROLES_KEY: Final = "x-roles"
DEFAULT_KEY_DAYS: Final = 365
_KEY = re.compile(r"^(fw_[0-9a-f]{8})\.([A-Za-z0-9_-]{32,64})$")
_AGENCY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: their key, agency and role (what scoping and the audit log use)."""

    key_id: str
    agency_id: str
    agency_kind: AgencyKind
    institution_id: str | None  # the institution the agency speaks for (bank, telco, police)
    role: ApiRole
    expires_ts: int = 2**62  # when the key stops working (ms UTC)

    @property
    def is_police(self) -> bool:
        return self.role in POLICE

    @property
    def sees_everything(self) -> bool:
        """Police and the operator see every institution's records; others only their own."""
        return self.role in (*POLICE, ApiRole.ADMIN)


SYSTEM = Principal("system", "system", AgencyKind.OPERATOR, None, ApiRole.ADMIN)
"""The service itself, for what it does on its own (absorbing, expiring orders)."""


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- agencies and keys, as plain functions over a transaction ------------------------------
def add_agency(
    conn: sa.Connection,
    agency_id: str,
    name: str,
    kind: AgencyKind | str,
    institution_id: str | None,
    now: int,
) -> dict[str, Any]:
    """Register an agency; its id is its name in URLs and the audit log."""
    if not _AGENCY_ID.match(agency_id):
        raise InputError("agency_id", f"{agency_id!r}: use 1-64 letters, digits, '_', '.', '-'")
    try:
        kind = AgencyKind(kind)
    except ValueError:
        raise InputError("kind", f"{kind!r}: expected one of {', '.join(AgencyKind)}") from None
    needs_institution = kind in (AgencyKind.BANK, AgencyKind.PAYMENT, AgencyKind.TELCO)
    if needs_institution and not institution_id:
        raise InputError("institution_id", f"a {kind} agency speaks for an institution: name it")
    if conn.execute(
        sa.select(agencies.c.agency_id).where(agencies.c.agency_id == agency_id)
    ).first():
        raise InputError("agency_id", f"{agency_id!r} is already registered")
    row = {
        "agency_id": agency_id,
        "name": name,
        "kind": kind.value,
        "institution_id": institution_id,
        "created_ts": now,
    }
    conn.execute(agencies.insert(), [row])
    return row


def list_agencies(conn: sa.Connection) -> list[dict[str, Any]]:
    rows = conn.execute(sa.select(agencies).order_by(agencies.c.agency_id))
    return [dict(r._mapping) for r in rows]


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key_id: str
    key: str  # the whole key: shown once, never stored
    agency_id: str
    role: ApiRole
    expires_ts: int


def issue_key(
    conn: sa.Connection,
    agency_id: str,
    role: ApiRole | str,
    now: int,
    *,
    days: int = DEFAULT_KEY_DAYS,
    label: str = "",
) -> IssuedKey:
    """A new key for `agency_id` with `role`, valid for `days` days; the result holds the
    only copy of the secret."""
    try:
        role = ApiRole(role)
    except ValueError:
        raise InputError("role", f"{role!r}: expected one of {', '.join(ApiRole)}") from None
    if not 1 <= days <= 3650:
        raise InputError("days", f"{days}: a key is valid for 1 to 3650 days")
    agency = conn.execute(sa.select(agencies).where(agencies.c.agency_id == agency_id)).first()
    if agency is None:
        raise InputError(
            "agency_id", f"no agency {agency_id!r}", hint="`fraudwall agencies add` registers it"
        )
    if AgencyKind(agency.kind) not in ROLE_AGENCIES[role]:
        allowed = ", ".join(sorted(ROLE_AGENCIES[role]))
        raise InputError(
            "role",
            f"an agency of kind {agency.kind} cannot hold the role {role} (it is for: {allowed})",
        )
    key_id = f"fw_{secrets.token_hex(4)}"
    secret = secrets.token_urlsafe(32)
    expires = now + days * DAY_MS
    conn.execute(
        api_keys.insert(),
        [
            {
                "key_id": key_id,
                "secret_sha256": secret_hash(secret),
                "agency_id": agency_id,
                "role": role.value,
                "label": label,
                "created_ts": now,
                "expires_ts": expires,
                "revoked_ts": None,
            }
        ],
    )
    return IssuedKey(key_id, f"{key_id}.{secret}", agency_id, role, expires)


def revoke_key(conn: sa.Connection, key_id: str, now: int) -> bool:
    """Revoke a key (by its visible id); False if it was revoked already."""
    row = conn.execute(sa.select(api_keys).where(api_keys.c.key_id == key_id)).first()
    if row is None:
        raise InputError("key_id", f"no key {key_id!r}")
    if row.revoked_ts is not None:
        return False
    conn.execute(api_keys.update().where(api_keys.c.key_id == key_id).values(revoked_ts=now))
    return True


def list_keys(conn: sa.Connection) -> list[dict[str, Any]]:
    cols = [c for c in api_keys.c if c.name != "secret_sha256"]
    rows = conn.execute(sa.select(*cols).order_by(api_keys.c.agency_id, api_keys.c.created_ts))
    return [dict(r._mapping) for r in rows]


def principal_for(conn: sa.Connection, key: str, now: int) -> Principal | None:
    """Who holds `key`, or None for an unknown, malformed, expired or revoked key."""
    m = _KEY.match(key.strip())
    if m is None:
        return None
    row = conn.execute(
        sa.select(api_keys, agencies.c.kind, agencies.c.institution_id)
        .join(agencies, agencies.c.agency_id == api_keys.c.agency_id)
        .where(api_keys.c.key_id == m.group(1))
    ).first()
    if row is None or not secrets.compare_digest(row.secret_sha256, secret_hash(m.group(2))):
        return None
    if row.revoked_ts is not None or row.expires_ts <= now:
        return None
    return Principal(
        row.key_id,
        row.agency_id,
        AgencyKind(row.kind),
        row.institution_id,
        ApiRole(row.role),
        row.expires_ts,
    )


class KeyCache:
    """Keys looked up lately, so that a busy caller's key is not read from the database on
    every request. An entry is kept for `ttl_s` seconds (monotonic time); a key revoked
    through this service is dropped at once (`forget`), one revoked by another process
    (`fraudwall keys revoke`) is refused within `ttl_s`. Expiry is checked on every use,
    on the service's clock."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[str, tuple[float, Principal]] = {}

    def cached(self, key: str) -> Principal | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        at, principal = entry
        if time.monotonic() - at > self.ttl_s:
            self._entries.pop(key, None)
            return None
        return principal

    def keep(self, key: str, principal: Principal) -> None:
        if self.ttl_s > 0:
            if len(self._entries) > 100_000:  # bounded: forget everyone rather than grow
                self._entries.clear()
            self._entries[key] = (time.monotonic(), principal)

    def forget(self, key_id: str) -> None:
        for key in [k for k, (_, p) in self._entries.items() if p.key_id == key_id]:
            self._entries.pop(key, None)


# --- the dependency every router gets ----------------------------------------------------
def allow(*roles: ApiRole) -> dict[str, Any]:
    """The roles that may call a route, for its `openapi_extra` (read by `authorize`)."""
    if not roles:
        raise ValueError("allow() needs at least one role")
    return {ROLES_KEY: [r.value for r in roles]}


ALL_ROLES: Final = tuple(ApiRole)

_bearer = HTTPBearer(auto_error=False, description="an API key: `Authorization: Bearer fw_...`")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="or the key in X-API-Key")


async def authorize(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header: Annotated[str | None, Depends(_header)],
) -> Principal:
    """Who is asking, if their role may call this route (see the module doc)."""
    route = request.scope.get("route")
    extra = getattr(route, "openapi_extra", None) or {}
    key = bearer.credentials if bearer is not None else header
    return await admit(request, extra.get(ROLES_KEY), key)


async def admit(request: Request, named: Sequence[str] | None, key: str | None) -> Principal:
    """The principal of `key`, if its role is one of `named` (401 or 403 otherwise); kept
    in ``request.state.principal`` for the access log."""
    if not named:  # a route that forgot its permission fails closed
        raise HTTPException(403, "this route names no role that may call it")
    if not key:
        raise HTTPException(
            401,
            "an API key is needed (Authorization: Bearer KEY)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    service = request.app.state.service
    principal = service.keys.cached(key)
    if principal is None:  # not looked up lately: ask the database, off the event loop
        principal = await anyio.to_thread.run_sync(service.principal, key)
    elif principal.expires_ts <= service.now():
        principal = None
    if principal is None:
        raise HTTPException(
            401, "unknown, expired or revoked API key", headers={"WWW-Authenticate": "Bearer"}
        )
    if principal.role.value not in named:
        raise HTTPException(
            403, f"needs the role {' or '.join(named)} (this key's role is {principal.role})"
        )
    request.state.principal = principal
    return principal


def api_key_of(headers: Headers) -> str | None:
    """The key as `authorize`'s two security schemes read it: ``Authorization: Bearer
    KEY`` (any case of "Bearer"), else ``X-API-Key``."""
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return headers.get("x-api-key") or None


Caller = Annotated[Principal, Depends(authorize)]
"""The caller of a route, authorized: what route functions take."""

__all__ = [
    "ALL_ROLES",
    "POLICE",
    "ROLE_AGENCIES",
    "SYSTEM",
    "AgencyKind",
    "ApiRole",
    "Caller",
    "IssuedKey",
    "KeyCache",
    "Principal",
    "add_agency",
    "admit",
    "allow",
    "api_key_of",
    "authorize",
    "issue_key",
    "list_agencies",
    "list_keys",
    "principal_for",
    "revoke_key",
]
