"""The service's routers, one module per area; `AREAS` is what the app mounts under /v1.

Every router in `AREAS` gets `auth.authorize` as a dependency, so each of its routes must
name the roles that may call it (`auth.allow`), or it refuses everyone.
"""

from __future__ import annotations

from fastapi import APIRouter

from fraudwall.platform.routes import admin, cases, orders, returns

AREAS: list[APIRouter] = [admin.router, cases.router, orders.router, returns.router]

__all__ = ["AREAS"]
