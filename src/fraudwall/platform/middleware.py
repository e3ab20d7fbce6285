"""What every request goes through: its id, the body limit, its metrics and its log line.

Pure ASGI (Starlette's BaseHTTPMiddleware would buffer bodies and cost time on every
check). For each HTTP request, `RequestMiddleware`

- takes the client's ``X-Request-ID`` when it is a sane token (else makes one), keeps it
  in ``request.state.request_id`` (error bodies carry it) and sends it back on the response;
- refuses a body larger than ``settings.max_body_bytes`` with 413 naming the limit,
  before reading it: when the route first asks for the body and ``Content-Length`` is
  over the limit, nothing is read; a chunked body is counted as it streams in, and the
  request ends as soon as it passes the limit (whatever the route would have answered
  to the exception, the answer is this 413);
- counts the request in ``service.metrics`` by route template and status, and writes one
  JSON access-log line.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import time
import uuid
from typing import TYPE_CHECKING, Any, Final

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fraudwall.platform.leanroute import TEMPLATE_KEY
from fraudwall.platform.ops import ACCESS_LOG

if TYPE_CHECKING:
    from fraudwall.platform.service import Service

REQUEST_ID_HEADER: Final = "x-request-id"
_SANE_ID: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
UNMATCHED: Final = "(unmatched)"


#: New request ids: this process's random prefix and a counter (unique without asking the
#: system for randomness on every request)
_PROCESS_PREFIX: Final = uuid.uuid4().hex[:16]
_SEQUENCE: Final = itertools.count(1)


def request_id_of(headers: Headers) -> str:
    """The client's request id if it is a sane token (letters, digits, ``._:-``, at most
    128), else a new one."""
    given = headers.get(REQUEST_ID_HEADER, "")
    return given if _SANE_ID.match(given) else f"{_PROCESS_PREFIX}{next(_SEQUENCE):016x}"


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes the limit; an HTTPException so
    that FastAPI's body parsing lets it through instead of answering 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than the limit of {limit} bytes")


def _template(scope: Scope) -> str | None:
    """The template of the route a (child) scope was matched to, with its router's prefix:
    FastAPI keeps the included route's context in ``scope["fastapi"]`` (before 0.120 the
    route itself carried the whole path)."""
    if lean := scope.get(TEMPLATE_KEY):  # answered by `leanroute.LeanRoutes`
        return str(lean)
    fastapi_scope = scope.get("fastapi")
    context = (
        fastapi_scope.get("effective_route_context") if isinstance(fastapi_scope, dict) else None
    )
    path = getattr(context, "path", None) or getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) and path else None


def _route_of(scope: Scope) -> str:
    """The template of the route that answered (``/v1/risk/{kind}/{value:path}``), never
    the path itself, which may hold an account number."""
    return _template(scope) or UNMATCHED


class RequestMiddleware:
    """See the module doc."""

    def __init__(self, app: ASGIApp, service: Service) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started_at = time.perf_counter()
        headers = Headers(scope=scope)
        request_id = request_id_of(headers)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        limit = self.service.settings.max_body_bytes
        status = 500
        response_started = False
        over_limit = False
        received = 0
        declared = _content_length(headers)

        async def send_413() -> None:
            nonlocal status, response_started
            status, response_started = 413, True
            body = json.dumps(
                {
                    "error": {
                        "where": "body",
                        "problem": f"the request body is larger than the limit of {limit} bytes",
                        "hint": "send less in one request (split a batch into several)",
                    },
                    "request_id": request_id,
                }
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 413,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"connection", b"close"),
                        (REQUEST_ID_HEADER.encode(), request_id.encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})

        async def counted_receive() -> Message:
            nonlocal received, over_limit
            if declared is not None and declared > limit:  # refused before reading any of it
                over_limit = True
                raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over_limit = True
                    raise BodyTooLarge(limit)
            return message

        async def tagged_send(message: Message) -> None:
            nonlocal status, response_started
            if over_limit:  # the app answered the refusal its own way: answer ours instead
                if message["type"] == "http.response.start" and not response_started:
                    await send_413()
                return
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
                message["headers"] = [
                    *message.get("headers", []),
                    (REQUEST_ID_HEADER.encode(), request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, counted_receive, tagged_send)
            if over_limit and not response_started:
                await send_413()
        except BodyTooLarge:
            if response_started:
                raise
            await send_413()
        finally:
            self._finish(scope, status, time.perf_counter() - started_at)

    def _finish(self, scope: Scope, status: int, seconds: float) -> None:
        route = _route_of(scope)
        method = scope.get("method", "")
        self.service.metrics.observe_request(method, route, status, seconds)
        if ACCESS_LOG.isEnabledFor(logging.INFO):
            state: dict[str, Any] = scope.get("state", {})
            principal = state.get("principal")
            fields = {
                "ts": self.service.now(),
                "request_id": state.get("request_id"),
                "method": method,
                "route": route,
                "status": status,
                "ms": round(seconds * 1000, 2),
                "key_id": getattr(principal, "key_id", None),
            }
            ACCESS_LOG.info("%s %s %s", method, route, status, extra={"fields": fields})


def _content_length(headers: Headers) -> int | None:
    value = headers.get("content-length")
    if value is None or not value.isdigit():
        return None
    return int(value)


__all__ = ["REQUEST_ID_HEADER", "BodyTooLarge", "RequestMiddleware", "request_id_of"]
