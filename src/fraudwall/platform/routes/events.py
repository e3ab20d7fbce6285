"""Events streamed in (`POST /v1/events/{kind}`) and read back with their decisions.

Thin: reading the body is here, the work is `platform.ingest` (see its doc).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final

import msgspec
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from fraudwall.model import Decision
from fraudwall.platform import eventlog, scope
from fraudwall.platform.audit import AuditNote
from fraudwall.platform.auth import POLICE, ApiRole, Caller, allow
from fraudwall.platform.errors import NotFound, TooLarge, error_body
from fraudwall.platform.ingest import (
    ARROW,
    NDJSON,
    STREAMED,
    IngestResultSchema,
    ingest,
    parse_body,
)
from fraudwall.platform.ingest import JSON as JSON_TYPE
from fraudwall.platform.openapi_records import errors, json_body, json_response, record_schema
from fraudwall.platform.service import ServiceDep

router = APIRouter(tags=["events"])

#: Who streams which events in: banks and payment institutions their customers' transfers,
#: logins, app installs and URL visits; telcos their calls and SMS; the operator any.
SENDERS: Final[dict[str, tuple[ApiRole, ...]]] = {
    "transfers": (ApiRole.INSTITUTION, ApiRole.ADMIN),
    "logins": (ApiRole.INSTITUTION, ApiRole.ADMIN),
    "app_installs": (ApiRole.INSTITUTION, ApiRole.ADMIN),
    "url_visits": (ApiRole.INSTITUTION, ApiRole.ADMIN),
    "calls": (ApiRole.TELCO, ApiRole.ADMIN),
    "sms": (ApiRole.TELCO, ApiRole.ADMIN),
}
READERS: Final = allow(ApiRole.INSTITUTION, ApiRole.TELCO, *POLICE, ApiRole.ADMIN)


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body, refused (413) past `limit` bytes before it is all read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge("body", f"{declared} bytes: the service takes at most {limit}")
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge("body", f"more than {limit} bytes: the service takes at most {limit}")
        parts.append(chunk)
    return b"".join(parts)


_RESULT_SCHEMA: Final = record_schema(IngestResultSchema)


def _ingest_route(kind: str) -> Callable[..., Awaitable[Response]]:
    async def ingest_events(request: Request, caller: Caller, service: ServiceDep) -> Response:
        settings = service.settings
        body = await read_body(request, settings.max_body_bytes)
        content_type = request.headers.get("content-type")
        parsed = await run_in_threadpool(
            parse_body, kind, content_type, body, settings.max_batch_events
        )
        result = await run_in_threadpool(ingest, service, caller, parsed)
        if result.accepted or result.repeats:
            return Response(result.to_json(), media_type="application/json")
        first = result.rejected[0] if result.rejected else None
        where = f"line {first.line}: {first.where}" if first else "body"
        problem = first.problem if first else "no record in the body"
        error = msgspec.json.encode(error_body(request, where.rstrip(": "), problem))
        content = error[:-1] + b"," + result.json_fields() + b"}"
        return Response(content, status_code=422, media_type="application/json")

    ingest_events.__name__ = f"ingest_{kind}"
    ingest_events.__doc__ = (
        f"Stream {kind} in: one record (JSON), a batch (NDJSON, a record a line) or an Arrow "
        "IPC stream. Each record is taken once by its event_id (a repeat is answered with "
        "the first decision); bad records are rejected with their line and field, the good "
        "ones are decided, stored and acknowledged together."
    )
    return ingest_events


def _request_body(kind: str) -> dict[str, Any]:
    schema = record_schema(STREAMED[kind])
    return {
        "requestBody": {
            "required": True,
            "content": {
                JSON_TYPE: {"schema": schema},
                NDJSON: {
                    "schema": {
                        "type": "array",
                        "items": schema,
                        "description": f"{kind}, one record a line",
                    }
                },
                ARROW: {
                    "schema": {
                        "type": "array",
                        "items": schema,
                        "description": f"{kind} as an Arrow IPC stream",
                    }
                },
            },
        }
    }


_INGEST_REJECTED: Final = {
    "type": "object",
    "description": "the body could not be read (`error`), or every record was rejected: "
    "the first in `error`, each in `rejected`",
    "properties": {
        **_RESULT_SCHEMA["properties"],
        "error": errors(422)[422]["content"]["application/json"]["schema"]["properties"]["error"],
        "request_id": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
    "required": ["error"],
}

for _kind, _roles in SENDERS.items():
    router.add_api_route(
        f"/events/{_kind}",
        _ingest_route(_kind),
        methods=["POST"],
        openapi_extra={**allow(*_roles), **_request_body(_kind)},
        responses={
            200: json_body(_RESULT_SCHEMA, "what the batch did"),
            **errors(401, 403, 409, 413, 415, 503),
            422: json_body(_INGEST_REJECTED, "every record was rejected"),
        },
        summary=f"Stream {_kind} in",
    )


# --- reading back ----------------------------------------------------------------------------
class EventOut(msgspec.Struct):
    """A stored event: the record as sent, and what became of it."""

    event_id: str
    kind: str
    ts: int
    institution_id: str
    status: str
    outcome: str | None
    outcome_source: str | None
    received_ts: int
    absorbed_ts: int | None
    record: msgspec.Raw


_EVENT_SCHEMA: Final = {
    **record_schema(EventOut),
    "properties": {
        **record_schema(EventOut)["properties"],
        "record": {"type": "object", "description": "the record as stored (its kind's fields)"},
    },
}


@router.get(
    "/events/{event_id}",
    openapi_extra=READERS,
    responses={200: json_body(_EVENT_SCHEMA, "the event"), **errors(401, 403, 404, 503)},
)
def get_event(event_id: str, caller: Caller, service: ServiceDep) -> Response:
    """An event the caller may see (its institution's; police and the operator: any)."""
    with service.db.writing() as conn:  # a read of personal data: audited
        row = eventlog.event_by_id(conn, event_id)
        if row is None:
            raise NotFound("event_id", f"no event {event_id!r}")
        scope.check_sees(caller, row.institution_id, "event", event_id)
        service.audit(conn, caller, [AuditNote("events.read", event_id)])
    out = EventOut(
        row.event_id, row.kind, row.ts, row.institution_id, row.status, row.outcome,
        row.outcome_source, row.received_ts, row.absorbed_ts, msgspec.Raw(row.body.encode()),
    )  # fmt: skip
    return json_response(out)


@router.get(
    "/decisions/{event_id}",
    openapi_extra=READERS,
    responses={
        200: json_body(record_schema(Decision), "the decision"),
        **errors(401, 403, 404, 503),
    },
)
def get_decision(event_id: str, caller: Caller, service: ServiceDep) -> Response:
    """The decision the engine gave an event the caller may see."""
    with service.db.writing() as conn:
        row = eventlog.event_by_id(conn, event_id)
        if row is None:
            raise NotFound("event_id", f"no event {event_id!r}")
        scope.check_sees(caller, row.institution_id, "event", event_id)
        decision = eventlog.decision_by_id(conn, event_id)
        if decision is None:
            raise NotFound("event_id", f"{event_id!r} is a {row.kind} event: it has no decision")
        service.audit(conn, caller, [AuditNote("decisions.read", event_id)])
    return json_response(decision)


__all__ = ["READERS", "SENDERS", "EventOut", "read_body", "router"]
