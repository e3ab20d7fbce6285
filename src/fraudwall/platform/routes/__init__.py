"""The service's routers, one module per area; `AREAS` is what the app mounts under /v1.

Every router in `AREAS` gets `auth.authorize` as a dependency, so each of its routes must
name the roles that may call it (`auth.allow`), or it refuses everyone.
"""

from __future__ import annotations

from fastapi import APIRouter

from fraudwall.platform.routes import (
    admin,
    audit,
    cases,
    checks,
    events,
    intel,
    orders,
    returns,
    risk,
    statistics,
    text,
    warnings,
)

AREAS: list[APIRouter] = [
    admin.router,
    events.router,
    checks.lean,
    checks.router,
    warnings.router,
    cases.router,
    orders.router,
    returns.router,
    risk.router,
    intel.router,
    text.router,
    statistics.router,
    audit.router,
]

__all__ = ["AREAS"]
