"""The FastAPI app: the service's areas under /v1, each behind the one authorization check.

`create_app(settings)` builds it; `fraudwall serve` runs it with uvicorn. The app refuses
to start if a /v1 route names no role (a forgotten permission fails at build, and at run
time `auth.authorize` refuses it anyway), or if a route outside /v1 is not on the one
list of what is answered without a key (`routes.ops.PUBLIC_PATHS`). Every request goes
through `middleware.RequestMiddleware` (request id, body limit, metrics, access log).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from fraudwall.platform import webhooks
from fraudwall.platform.auth import ROLES_KEY, authorize
from fraudwall.platform.errors import ERROR_RESPONSES, install_error_handlers
from fraudwall.platform.leanroute import LeanRoutes, lean_routes
from fraudwall.platform.middleware import RequestMiddleware
from fraudwall.platform.routes import AREAS
from fraudwall.platform.routes import ops as ops_routes
from fraudwall.platform.service import Service
from fraudwall.platform.settings import Clock, ServeSettings

API_PREFIX = "/v1"
log = logging.getLogger("fraudwall.platform")


#: The service counts and logs every request itself (`middleware`, `/metrics`); FastAPI's
#: own OpenTelemetry hooks (from 0.16x) would look the environment up on every request.
_NO_OPENTELEMETRY: Final[dict[str, Any]] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)


def create_app(settings: ServeSettings | None = None, clock: Clock | None = None) -> FastAPI:
    """The app for `settings`; its `Service` starts with the app and stops with it."""
    service = Service(settings or ServeSettings(), clock)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.start()
        pushing = None
        if service.settings.webhook_sweep_s > 0:
            pushing = asyncio.create_task(_push_orders(service), name="webhook-sweep")
        try:
            yield
        finally:
            if pushing is not None:
                pushing.cancel()
            service.stop()

    app = FastAPI(
        title="fraudwall",
        summary="Banks, payment institutions, telcos and police fighting telecom fraud together",
        version="1",
        lifespan=lifespan,
        **_NO_OPENTELEMETRY,
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
    app.include_router(ops_routes.router)
    _refuse_unlisted_public_routes(app)
    app.add_middleware(LeanRoutes, routes=lean_routes(API_PREFIX, AREAS))
    app.add_middleware(RequestMiddleware, service=service)
    return app


async def _push_orders(service: Service) -> None:
    """Deliver the orders due to webhooks at an interval, also while no request comes
    (a push that failed is retried when its pause is over; polling always works)."""
    while True:
        await asyncio.sleep(service.settings.webhook_sweep_s)
        try:
            await run_in_threadpool(webhooks.sweep, service)
        except Exception:  # logged; the next sweep tries again
            log.exception("pushing orders to webhooks failed")


def _refuse_unnamed_roles(router: APIRouter) -> None:
    for route in router.routes:
        if isinstance(route, APIRoute) and not (route.openapi_extra or {}).get(ROLES_KEY):
            path = API_PREFIX + route.path
            raise RuntimeError(f"{sorted(route.methods or ())} {path} names no role (auth.allow)")


def _refuse_unlisted_public_routes(app: FastAPI) -> None:
    """What is mounted outside /v1 (the operations router, the API's documentation) must
    be on the one list of what is answered without a key."""
    docs = [app.openapi_url, app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url]
    paths = [getattr(r, "path", "") for r in ops_routes.router.routes] + [p for p in docs if p]
    for path in paths:
        if path not in ops_routes.PUBLIC_PATHS:
            raise RuntimeError(f"{path} is answered without a key but not in PUBLIC_PATHS")


__all__ = ["API_PREFIX", "create_app"]
