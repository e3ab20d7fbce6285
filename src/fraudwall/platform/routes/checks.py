"""Pre-transaction checks (`POST /v1/check/...`) and their outcomes; pacs.008 messages.

Thin: the work is `platform.checks` (micro-batches, outcomes) and `platform.iso20022`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Final

import msgspec
from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from fraudwall.errors import InputError
from fraudwall.model import Channel, Decision, Outcome
from fraudwall.platform import checks, scope
from fraudwall.platform.auth import ApiRole, Caller, allow
from fraudwall.platform.errors import Conflict, error_body
from fraudwall.platform.iso20022 import CONTENT_TYPES, MessageError, read_pacs008
from fraudwall.platform.leanroute import LeanRoute
from fraudwall.platform.openapi_records import errors, json_body, json_response, record_schema
from fraudwall.platform.routes.events import read_body
from fraudwall.platform.service import ServiceDep

router = APIRouter(tags=["checks"])
#: the checks themselves, called before every transfer, call or SMS (see `leanroute`)
lean = APIRouter(tags=["checks"], route_class=LeanRoute)

#: Who checks what: banks and payment institutions their transfers, telcos calls and SMS.
CHECKERS: Final[dict[str, tuple[ApiRole, ...]]] = {
    "transfer": (ApiRole.INSTITUTION, ApiRole.ADMIN),
    "call": (ApiRole.TELCO, ApiRole.ADMIN),
    "sms": (ApiRole.TELCO, ApiRole.ADMIN),
}
_DECISION: Final = record_schema(Decision)
_CHECK_BODY_LIMIT: Final = 1 << 20


def _check_route(kind: str) -> Callable[..., Awaitable[Response]]:
    async def check_event(request: Request, caller: Caller, service: ServiceDep) -> Response:
        body = await read_body(request, min(_CHECK_BODY_LIMIT, service.settings.max_body_bytes))
        record = checks.read_check(kind, body)
        decision = await checks.check(service, caller, record)
        return json_response(decision)

    check_event.__name__ = f"check_{kind}"
    check_event.__doc__ = (
        f"Decide one {kind} before it happens: action, score, the rules that acted, the "
        "features that weighed most and the reason. Checks arriving together are decided "
        "together; a repeat of an event_id is answered with the first decision. Report what "
        "happened with POST /v1/check/{event_id}/outcome."
    )
    return check_event


for _kind, _roles in CHECKERS.items():
    lean.add_api_route(
        f"/check/{_kind}",
        _check_route(_kind),
        methods=["POST"],
        openapi_extra={
            **allow(*_roles),
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": record_schema(checks.CHECKED_KINDS[_kind])}
                },
            },
        },
        responses={
            200: json_body(_DECISION, "the decision"),
            **errors(401, 403, 409, 413, 422, 503),
        },
        summary=f"Check a {_kind}",
    )


class OutcomeIn(msgspec.Struct, forbid_unknown_fields=True):
    """What happened to a checked transfer, call or SMS."""

    outcome: Outcome


def _outcome_of(body: bytes) -> Outcome:
    """The outcome a body reports (`InputError` naming the field)."""
    try:
        return msgspec.json.decode(body, type=OutcomeIn).outcome
    except msgspec.ValidationError as exc:
        message = str(exc)
        if unknown := re.search(r"unknown field `([^`]*)`", message):
            raise InputError(unknown.group(1), "unknown field") from None
        if "missing required field" in message:
            raise InputError("outcome", "missing required field") from None
        if "$.outcome" in message:
            allowed = ", ".join(o.value for o in Outcome)
            raise InputError("outcome", f"must be one of {allowed}") from None
        raise InputError("body", 'expected an object: {"outcome": ...}') from None
    except msgspec.DecodeError as exc:
        raise InputError("body", f"not valid JSON: {exc}") from None


@router.post(
    "/check/{event_id}/outcome",
    openapi_extra={
        **allow(ApiRole.INSTITUTION, ApiRole.TELCO, ApiRole.ADMIN),
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": record_schema(OutcomeIn)}},
        },
    },
    responses={
        200: json_body(record_schema(checks.OutcomeOut), "the outcome as stored"),
        **errors(401, 403, 404, 409, 413, 422, 503),
    },
)
async def report_outcome(
    event_id: str, request: Request, caller: Caller, service: ServiceDep
) -> Response:
    """What happened to a checked event (the institution that checked it reports it): the
    engine absorbs it with this outcome once the reorder window has passed. The same report
    again changes nothing; another, or one after the engine absorbed it, is a 409."""
    outcome = _outcome_of(await read_body(request, _CHECK_BODY_LIMIT))
    stored = await run_in_threadpool(checks.report_outcome, service, caller, event_id, outcome)
    return json_response(stored)


# --- ISO 20022 pacs.008 ------------------------------------------------------------------------
class TransactionOut(msgspec.Struct):
    """One credit transfer of a message: its path, its event id, and its decision or why
    it has none."""

    path: str
    event_id: str
    decision: Decision | None = None
    error: dict[str, str] | None = None


class Pacs008Out(msgspec.Struct):
    message_id: str
    version: str
    transactions: list[TransactionOut]


@router.post(
    "/check/pacs008",
    openapi_extra={
        **allow(ApiRole.INSTITUTION, ApiRole.ADMIN),
        "requestBody": {
            "required": True,
            "content": {t: {"schema": {"type": "string"}} for t in CONTENT_TYPES},
        },
    },
    responses={
        200: json_body(record_schema(Pacs008Out), "each transaction's decision"),
        **errors(401, 403, 409, 413, 415, 422, 503),
    },
)
async def check_pacs008(
    request: Request,
    caller: Caller,
    service: ServiceDep,
    channel: Annotated[Channel, Query(description="every transfer's channel")] = Channel.ONLINE,
) -> Response:
    """An ISO 20022 pacs.008 message (FI to FI customer credit transfer, versions
    .001.02-.13): each transaction mapped to a transfer and checked as
    POST /v1/check/transfer checks one. A wrong element is a 422 naming its path
    (e.g. ``CdtTrfTxInf[2]/IntrBkSttlmAmt``); DTDs and entities are refused."""
    form = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if form not in CONTENT_TYPES:
        raise InputError("Content-Type", f"{form or 'none'!r}: send the message as application/xml")
    body = await read_body(request, service.settings.max_body_bytes)
    try:
        message = await run_in_threadpool(
            read_pacs008, body, channel, service.settings.max_batch_events
        )
    except MessageError as exc:
        content = error_body(request, exc.where, exc.problem)
        content["errors"] = [{"where": w, "problem": p} for w, p in exc.errors]
        return json_response(content, 422)
    items = []
    for _, transfer, agent in message.transfers:
        try:
            scope.check_speaks_for(caller, transfer.institution_id, where=agent)
        except InputError as exc:
            content = error_body(request, exc.where, exc.problem)
            return json_response(content, 422)
        items.append(checks.check_item(service, caller, transfer))
    batcher = checks.batcher_for(service)
    answers = await asyncio.gather(*(batcher.submit(item) for item in items))
    out = Pacs008Out(message.message_id, message.version, [])
    for (path, transfer, _), answer in zip(message.transfers, answers, strict=True):
        tx = TransactionOut(path, transfer.event_id)
        if answer.error is not None:
            tx.error = {"where": answer.error.where, "problem": answer.error.problem}
        else:
            tx.decision = answer.decision
        out.transactions.append(tx)
    if all(t.error is not None for t in out.transactions):
        first = next(a.error for a in answers if a.error is not None)
        status = 409 if isinstance(first, Conflict) else 422
        content = error_body(request, first.where, first.problem)
        return json_response(content, status)
    return json_response(out)


__all__ = ["CHECKERS", "lean", "router"]
