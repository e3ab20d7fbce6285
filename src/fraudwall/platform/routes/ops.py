"""Health, readiness and metrics: outside /v1, answered without a key.

`PUBLIC_PATHS` is the one list of what the service answers without a key; the app refuses
to build when a route outside /v1 is not on it (see `app.create_app`). What these routes
show holds no personal data: whether the process and its database answer, and counts.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Response
from pydantic import BaseModel

from fraudwall.platform import ops
from fraudwall.platform.service import ServiceDep

PUBLIC_PATHS: Final = frozenset(
    {
        "/healthz",  # the process answers
        "/readyz",  # ... and its database and engine are up
        "/metrics",  # Prometheus
        "/openapi.json",  # the API's description, and its documentation pages
        "/docs",
        "/docs/oauth2-redirect",
        "/redoc",
    }
)
"""Everything the service answers without an API key."""

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    database: str
    engine: str


@router.get("/healthz")
def healthz() -> Health:
    """The process answers (it says nothing about the database: see /readyz)."""
    return Health(status="ok")


@router.get(
    "/readyz",
    responses={503: {"description": "not ready: the error names the database or the engine"}},
)
def readyz(service: ServiceDep) -> Ready:
    """The engine has started and the database answers; 503 with the reason otherwise."""
    ops.check_ready(service)
    return Ready(status="ready", database=service.db.dialect, engine="started")


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
def metrics(service: ServiceDep) -> Response:
    """The service's metrics in Prometheus' text format."""
    return Response(service.metrics.exposition(), media_type=ops.METRICS_CONTENT_TYPE)


__all__ = ["PUBLIC_PATHS", "router"]
