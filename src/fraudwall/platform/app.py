"""The FastAPI app: the service's areas under /v1, each behind the one authorization check.

`create_app(settings)` builds it; `fraudwall serve` runs it with uvicorn. The app refuses
to start if a /v1 route names no role (a forgotten permission fails at build, and at run
time `auth.authorize` refuses it anyway).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute

from fraudwall.platform.auth import ROLES_KEY, authorize
from fraudwall.platform.errors import ERROR_RESPONSES, install_error_handlers
from fraudwall.platform.routes import AREAS
from fraudwall.platform.service import Service
from fraudwall.platform.settings import Clock, ServeSettings

API_PREFIX = "/v1"


def create_app(settings: ServeSettings | None = None, clock: Clock | None = None) -> FastAPI:
    """The app for `settings`; its `Service` starts with the app and stops with it."""
    service = Service(settings or ServeSettings(), clock)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.start()
        try:
            yield
        finally:
            service.stop()

    app = FastAPI(
        title="fraudwall",
        summary="Banks, payment institutions, telcos and police fighting telecom fraud together",
        version="1",
        lifespan=lifespan,
    )
    app.state.service = service
    install_error_handlers(app)
    for router in AREAS:
        _refuse_unnamed_roles(router)
        app.include_router(
            router,
            prefix=API_PREFIX,
            dependencies=[Depends(authorize)],
            responses=ERROR_RESPONSES,  # the one error shape, described for clients
        )
    return app


def _refuse_unnamed_roles(router: APIRouter) -> None:
    for route in router.routes:
        if isinstance(route, APIRoute) and not (route.openapi_extra or {}).get(ROLES_KEY):
            path = API_PREFIX + route.path
            raise RuntimeError(f"{sorted(route.methods or ())} {path} names no role (auth.allow)")


__all__ = ["API_PREFIX", "create_app"]
