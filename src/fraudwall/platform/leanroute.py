"""Routes under sustained load, answered without FastAPI's per-request machinery.

A pre-transaction check is the one route a bank calls before every transfer, thousands of
times a second; FastAPI's router, dependency solver and per-route wrappers cost about a
third of a check's time (BENCHMARKS.md, issue 12). A `LeanRoute` is declared like any
other route — FastAPI describes it in the OpenAPI document from its endpoint's signature,
its `allow(...)` roles and its responses — but it is answered straight from ASGI by
`LeanRoutes`, a middleware that finds it by its exact method and path:

- its endpoint takes exactly ``(request, caller, service)``: the caller is authorized by
  `auth.admit` with the roles the route names (the same check, the same 401 and 403, as
  `auth.authorize`), the service is the app's;
- whatever it raises is answered by the app's own exception handlers, as from any route,
  so every answer keeps the one error shape.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any, Final

from fastapi import Request
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fraudwall.platform.auth import ROLES_KEY, admit, api_key_of

_PARAMETERS: Final = ("request", "caller", "service")
#: the scope key holding a lean route's full path template (for metrics and logs)
TEMPLATE_KEY: Final = "fraudwall.route"


class LeanRoute(APIRoute):
    """See the module doc; use it as an `APIRouter`'s ``route_class``."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        names = tuple(inspect.signature(endpoint).parameters)
        if names != _PARAMETERS:
            raise TypeError(
                f"a lean route's endpoint takes {', '.join(_PARAMETERS)}; "
                f"{endpoint.__name__} takes {', '.join(names)}"
            )

    async def respond(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Authorize the caller, call the endpoint, send its response."""
        request = Request(scope, receive, send)
        named = (self.openapi_extra or {}).get(ROLES_KEY)
        caller = await admit(request, named, api_key_of(request.headers))
        response = await self.endpoint(request, caller, request.app.state.service)
        await response(scope, receive, send)


class LeanRoutes:
    """The middleware that answers lean routes (see the module doc); every other request
    goes on to the app."""

    def __init__(self, app: ASGIApp, routes: Iterable[tuple[str, LeanRoute]]) -> None:
        self.app = app
        self.routes = {
            (method, prefix + route.path): (prefix + route.path, route)
            for prefix, route in routes
            for method in route.methods or ()
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = (
            self.routes.get((scope["method"], scope["path"])) if scope["type"] == "http" else None
        )
        if found is None:
            await self.app(scope, receive, send)
            return
        template, route = found
        scope[TEMPLATE_KEY] = template
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await route.respond(scope, receive, tracked_send)
        except Exception as exc:
            handler = _handler_for(scope["app"], exc)
            if handler is None or started:
                raise
            response = await handler(Request(scope, receive), exc)
            await response(scope, receive, send)


def _handler_for(app: Any, exc: Exception) -> Any:
    """The app's exception handler for `exc` (the nearest class in its MRO), if any."""
    handlers = getattr(app, "exception_handlers", {})
    return next((handlers[c] for c in type(exc).__mro__ if c in handlers), None)


def lean_routes(prefix: str, routers: Iterable[Any]) -> list[tuple[str, LeanRoute]]:
    """The lean routes of routers mounted under `prefix`."""
    return [(prefix, r) for router in routers for r in router.routes if isinstance(r, LeanRoute)]


__all__ = ["TEMPLATE_KEY", "LeanRoute", "LeanRoutes", "lean_routes"]
