"""Warning tasks (`/v1/warnings`): listed by those who send them, and marked done.

Thin: the work is `platform.warningtasks`.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool

from fraudwall.platform import warningtasks
from fraudwall.platform.auth import POLICE, ApiRole, Caller, allow
from fraudwall.platform.openapi_records import errors, json_body, json_response, record_schema
from fraudwall.platform.service import ServiceDep

router = APIRouter(tags=["warnings"])
SENDERS: Final = allow(ApiRole.TELCO, ApiRole.INSTITUTION, *POLICE, ApiRole.ADMIN)
_TASK: Final = record_schema(warningtasks.TaskOut)


@router.get(
    "/warnings",
    openapi_extra=SENDERS,
    responses={
        200: json_body({"type": "array", "items": _TASK}, "the tasks, oldest first"),
        **errors(401, 403, 422, 503),
    },
)
async def list_warnings(
    caller: Caller,
    service: ServiceDep,
    status: Annotated[warningtasks.Status, Query(description="open, done or all")] = "open",
    limit: Annotated[int, Query(ge=1, le=warningtasks.MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
) -> Response:
    """The warning tasks the caller is to send (a telco's, a bank's), oldest first; police
    and the operator see every task, the 96110 calls among them."""
    tasks = await run_in_threadpool(warningtasks.list_tasks, service, caller, status, limit, offset)
    return json_response(tasks)


@router.post(
    "/warnings/{warning_id}/done",
    openapi_extra=SENDERS,
    responses={200: json_body(_TASK, "the task, marked done"), **errors(401, 403, 404, 503)},
)
async def warning_done(warning_id: str, caller: Caller, service: ServiceDep) -> Response:
    """Mark a task sent (again: no change)."""
    task = await run_in_threadpool(warningtasks.mark_done, service, caller, warning_id)
    return json_response(task)


__all__ = ["SENDERS", "router"]
