"""How the service answers a failure: one JSON shape, the right status, never a traceback.

Every error body is ``{"error": {"where": ..., "problem": ..., "hint": ...}, "request_id": ...}``
(`where` names the field, parameter or record). `InputError` is a 422, `NotFound` a 404,
`Conflict` a 409, `DatabaseUnavailable` a 503 (retry: ingest is idempotent); an
unexpected exception is a 500 that says only that, and the log holds the rest.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from fraudwall.errors import FraudwallError, InputError, RunError
from fraudwall.platform.db import DatabaseUnavailable

log = logging.getLogger("fraudwall.platform")


class ErrorDetail(BaseModel):
    where: str = Field(description="the field, parameter, record or path the problem is at")
    problem: str
    hint: str | None = Field(default=None, description="what to do about it, when known")


class FieldError(BaseModel):
    where: str
    problem: str


class ErrorBody(BaseModel):
    """Every error the service answers (see the module doc)."""

    error: ErrorDetail
    request_id: str | None = None
    errors: list[FieldError] | None = Field(
        default=None, description="a request that failed validation: each field's problem"
    )


def _answer(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _answer("the body could not be read (not JSON, not UTF-8)"),
    401: _answer("no API key, or an unknown, expired or revoked one"),
    403: _answer("the key's role may not call this route; the answer names the roles that may"),
    404: _answer("no such record, or none the caller's agency may see"),
    409: _answer("the request contradicts what is stored"),
    413: _answer("the body or batch is over the service's limits"),
    422: _answer("a field is wrong: `where` names it"),
    503: _answer("the database refused the request: retry (a repeat is recognised)"),
}
"""The error answers of every /v1 route, in the OpenAPI description (`create_app`)."""


class NotFound(InputError):
    """No such record, or none the caller's agency may see (the two look the same)."""


class Conflict(InputError):
    """The request contradicts what is stored (a repeat with other content, a state that
    does not allow the change)."""


class TooLarge(InputError):
    """A body or batch over the service's limits."""


def error_body(request: Request, where: str, problem: str, hint: str = "") -> dict[str, Any]:
    error = {"where": where, "problem": problem}
    if hint:
        error["hint"] = hint
    return {"error": error, "request_id": getattr(request.state, "request_id", None)}


def _status(exc: FraudwallError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, TooLarge):
        return 413
    if isinstance(exc, DatabaseUnavailable):
        return 503
    if isinstance(exc, RunError):
        return 503
    return 422


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(FraudwallError)
    async def _fraudwall(request: Request, exc: FraudwallError) -> JSONResponse:
        status = _status(exc)
        headers = {"Retry-After": "1"} if status == 503 else None
        body = error_body(request, exc.where, exc.problem, exc.hint or "")
        return JSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        where = request.url.path
        body = error_body(request, where, str(exc.detail))
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
        body = error_body(request, where, str(first.get("msg", "invalid")))
        body["errors"] = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": str(e.get("msg"))}
            for e in errors[:50]
        ]
        return JSONResponse(body, status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        body = error_body(request, request.url.path, "internal error (the server log has it)")
        # answered outside the request middleware, which tags every other response
        request_id = body["request_id"]
        headers = {"X-Request-ID": request_id} if request_id else None
        return JSONResponse(body, status_code=500, headers=headers)


__all__ = [
    "ERROR_RESPONSES",
    "Conflict",
    "ErrorBody",
    "NotFound",
    "TooLarge",
    "error_body",
    "install_error_handlers",
]
