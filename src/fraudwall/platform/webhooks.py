"""Orders pushed to the institutions they are addressed to: a signed webhook, retried.

An institution's agency may register one URL (`register`); the service then POSTs each
order event for that institution there (a new order, or a change the police made to one)
as JSON, signed so the receiver can tell it came from the service and was not altered:

- ``X-Fraudwall-Timestamp``: the service's time of the attempt, ms UTC;
- ``X-Fraudwall-Signature``: ``sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>``
  (`signature`; a receiver checks it with `verify` or the same three lines, and may refuse
  an old timestamp to stop replays);
- ``X-Fraudwall-Delivery`` and ``X-Fraudwall-Event``: the delivery's id and what happened.

Delivery never holds up the request that issued the order and never loses one: each event
is a row of `deliveries`, written in the order's own transaction; pushing happens after
the response (`deliver_due`, run as a background task of every orders request and by
`sweep`), a failure is recorded (`attempts`, `last_error`) and retried later with a
growing pause, and polling `GET /v1/orders` always shows every order whatever the webhook
did. A push may arrive more than once (a timeout after the receiver got it): receivers
keep the delivery id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa

from fraudwall.errors import InputError
from fraudwall.platform.audit import AuditNote
from fraudwall.platform.auth import SYSTEM, AgencyKind, Principal
from fraudwall.platform.schema import agencies, deliveries, orders

if TYPE_CHECKING:
    from fraudwall.platform.service import Service

log = logging.getLogger("fraudwall.platform.webhooks")

SIGNATURE_HEADER: Final = "X-Fraudwall-Signature"
TIMESTAMP_HEADER: Final = "X-Fraudwall-Timestamp"
DELIVERY_HEADER: Final = "X-Fraudwall-Delivery"
EVENT_HEADER: Final = "X-Fraudwall-Event"

TIMEOUT_S: Final = 5.0
"""How long one push may take before it counts as failed."""
LEASE_MS: Final = 60_000
"""A delivery being pushed is not taken by another sweep for this long (> TIMEOUT_S)."""
FIRST_RETRY_MS: Final = 10_000
"""The pause after the first failure; it doubles with each one, up to `MAX_RETRY_MS`."""
MAX_RETRY_MS: Final = 3_600_000
MAX_ATTEMPTS: Final = 48
"""After this many failures (about two days) the webhook is no longer tried for that
delivery; the order is still there for polling."""
BATCH: Final = 50

ISSUED: Final = "order.issued"
CHANGED: Final = "order.changed"
INSTITUTION_KINDS: Final = (AgencyKind.BANK.value, AgencyKind.PAYMENT.value)


# --- signing ---------------------------------------------------------------------------
def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for `body` pushed at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str | int, body: bytes, header: str) -> bool:
    """Whether `header` is the service's signature of `body` at `timestamp` (for receivers)."""
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    return hmac.compare_digest(signature(secret, ts, body), header)


# --- registering -----------------------------------------------------------------------
def check_url(url: str) -> str:
    """An http(s) URL with a host, or an `InputError` naming the problem."""
    url = url.strip()
    if len(url) > 2000:
        raise InputError("url", "longer than 2000 characters")
    try:
        parts = urlsplit(url)
        port = parts.port  # reading it checks it
    except ValueError as exc:
        raise InputError("url", f"{url!r} is not a URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError("url", f"{url!r}: give an http:// or https:// URL with a host")
    del port
    return url


def register(conn: sa.Connection, who: Principal, url: str, now: int) -> str:
    """Set the caller's agency's webhook to `url` with a new signing secret (returned: the
    only time it is shown). Orders still awaiting the institution (issued or in force) that
    were not pushed are queued for the new URL."""
    url = check_url(url)
    secret = "whsec_" + secrets.token_urlsafe(32)
    conn.execute(
        agencies.update()
        .where(agencies.c.agency_id == who.agency_id)
        .values(webhook_url=url, webhook_secret=secret)
    )
    live = sa.select(orders.c.order_id).where(orders.c.state.in_(("issued", "executed")))
    conn.execute(
        deliveries.update()
        .where(
            deliveries.c.agency_id == who.agency_id,
            deliveries.c.pushed_ts.is_(None),
            deliveries.c.order_id.in_(live),
        )
        .values(next_ts=now, attempts=0, last_error=None)
    )
    return secret


def unregister(conn: sa.Connection, who: Principal) -> None:
    conn.execute(
        agencies.update()
        .where(agencies.c.agency_id == who.agency_id)
        .values(webhook_url=None, webhook_secret=None)
    )
    conn.execute(
        deliveries.update()
        .where(deliveries.c.agency_id == who.agency_id, deliveries.c.pushed_ts.is_(None))
        .values(next_ts=None)
    )


def webhook_url(conn: sa.Connection, who: Principal) -> str | None:
    q = sa.select(agencies.c.webhook_url).where(agencies.c.agency_id == who.agency_id)
    url: str | None = conn.execute(q).scalar()
    return url


# --- queueing, in the order's transaction ------------------------------------------------
def enqueue(
    conn: sa.Connection,
    order_id: str,
    institution_id: str,
    event: str,
    body: dict[str, Any],
    now: int,
) -> int:
    """A delivery of `event` about the order to each agency speaking for `institution_id`
    (due now where the agency has a webhook); returns how many."""
    q = sa.select(agencies.c.agency_id, agencies.c.webhook_url).where(
        agencies.c.institution_id == institution_id, agencies.c.kind.in_(INSTITUTION_KINDS)
    )
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    rows = [
        {
            "order_id": order_id,
            "institution_id": institution_id,
            "agency_id": a.agency_id,
            "event": event,
            "body": text,
            "created_ts": now,
            "attempts": 0,
            "next_ts": now if a.webhook_url else None,
        }
        for a in conn.execute(q.order_by(agencies.c.agency_id))
    ]
    if rows:
        conn.execute(deliveries.insert(), rows)
    return len(rows)


def mark_fetched(conn: sa.Connection, who: Principal, order_ids: list[str], now: int) -> None:
    """Orders the agency fetched by polling: their deliveries were fetched (first time)."""
    if not order_ids:
        return
    conn.execute(
        deliveries.update()
        .where(
            deliveries.c.agency_id == who.agency_id,
            deliveries.c.order_id.in_(order_ids),
            deliveries.c.fetched_ts.is_(None),
        )
        .values(fetched_ts=now)
    )


# --- pushing -------------------------------------------------------------------------------
class WebhookError(Exception):
    """A push that did not get a 2xx answer."""


class WebhookSender:
    """POSTs a signed body; `transport` replaces the network (tests: `httpx.MockTransport`)."""

    def __init__(
        self, transport: httpx.BaseTransport | None = None, timeout_s: float = TIMEOUT_S
    ) -> None:
        self.transport = transport
        self.timeout_s = timeout_s

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> None:
        try:
            with httpx.Client(
                transport=self.transport, timeout=self.timeout_s, follow_redirects=False
            ) as client:
                answer = client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise WebhookError(f"{type(exc).__name__}: {exc}") from exc
        if not 200 <= answer.status_code < 300:
            raise WebhookError(f"HTTP {answer.status_code} from {url}")


_senders: weakref.WeakKeyDictionary[Any, WebhookSender] = weakref.WeakKeyDictionary()


def sender_for(service: Service) -> WebhookSender:
    """The service's sender (a plain one over the network unless `use_sender` set another)."""
    sender = _senders.get(service)
    if sender is None:
        sender = _senders[service] = WebhookSender()
    return sender


def use_sender(service: Service, sender: WebhookSender) -> None:
    _senders[service] = sender


def retry_pause_ms(attempts: int) -> int:
    """The pause after the `attempts`-th failure: 10 s, 20 s, 40 s, ... up to an hour."""
    return int(min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** max(0, min(attempts - 1, 20))))


@dataclass(frozen=True)
class _Claim:
    delivery_id: int
    order_id: str
    agency_id: str
    event: str
    body: bytes
    url: str
    secret: str
    attempts: int


@dataclass(frozen=True)
class Pushed:
    """What one `deliver_due` did."""

    pushed: int
    failed: int


def _claim(conn: sa.Connection, now: int, limit: int) -> list[_Claim]:
    q = (
        sa.select(deliveries, agencies.c.webhook_url, agencies.c.webhook_secret)
        .join(agencies, agencies.c.agency_id == deliveries.c.agency_id)
        .where(
            deliveries.c.next_ts.is_not(None),
            deliveries.c.next_ts <= now,
            deliveries.c.pushed_ts.is_(None),
            agencies.c.webhook_url.is_not(None),
        )
        .order_by(deliveries.c.next_ts, deliveries.c.delivery_id)
        .limit(limit)
    )
    claims = [
        _Claim(
            r.delivery_id,
            r.order_id,
            r.agency_id,
            r.event,
            (r.body or "{}").encode(),
            r.webhook_url,
            r.webhook_secret or "",
            r.attempts + 1,
        )
        for r in conn.execute(q)
    ]
    for c in claims:
        conn.execute(
            deliveries.update()
            .where(deliveries.c.delivery_id == c.delivery_id)
            .values(next_ts=now + LEASE_MS, attempts=c.attempts)
        )
    return claims


def deliver_due(service: Service, limit: int = BATCH) -> Pushed:
    """Push every delivery that is due (at most `limit`), recording each outcome. Safe to
    run from several threads: a delivery is claimed in a write transaction first."""
    try:
        with service.db.writing() as conn:
            claims = _claim(conn, service.now(), limit)
        if not claims:
            return Pushed(0, 0)
        sender = sender_for(service)
        results: list[tuple[_Claim, int, str | None]] = []
        for c in claims:
            at = service.now()
            headers = {
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: str(at),
                SIGNATURE_HEADER: signature(c.secret, at, c.body),
                DELIVERY_HEADER: str(c.delivery_id),
                EVENT_HEADER: c.event,
            }
            try:
                sender.post(c.url, c.body, headers)
                results.append((c, at, None))
            except WebhookError as exc:
                results.append((c, at, str(exc)[:500]))
        with service.db.writing() as conn:
            notes = []
            for c, at, error in results:
                if error is None:
                    values: dict[str, Any] = {"pushed_ts": at, "next_ts": None, "last_error": None}
                    notes.append(
                        AuditNote(
                            "orders.push",
                            c.order_id,
                            after={
                                "agency_id": c.agency_id,
                                "delivery_id": c.delivery_id,
                                "event": c.event,
                                "attempts": c.attempts,
                            },
                        )
                    )
                else:
                    again = at + retry_pause_ms(c.attempts) if c.attempts < MAX_ATTEMPTS else None
                    values = {"next_ts": again, "last_error": error}
                conn.execute(
                    deliveries.update()
                    .where(deliveries.c.delivery_id == c.delivery_id)
                    .values(**values)
                )
            service.audit(conn, SYSTEM, notes)
        failed = sum(1 for _, _, e in results if e is not None)
        return Pushed(len(results) - failed, failed)
    except Exception:  # a background task: log, never raise into the server
        log.exception("webhook delivery failed")
        return Pushed(0, 0)


def sweep(service: Service) -> Pushed:
    """Push everything due, in batches (for a periodic task)."""
    total = Pushed(0, 0)
    while True:
        done = deliver_due(service)
        total = Pushed(total.pushed + done.pushed, total.failed + done.failed)
        if done.pushed + done.failed < BATCH:
            return total


__all__ = [
    "CHANGED",
    "DELIVERY_HEADER",
    "EVENT_HEADER",
    "ISSUED",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Pushed",
    "WebhookError",
    "WebhookSender",
    "check_url",
    "deliver_due",
    "enqueue",
    "mark_fetched",
    "register",
    "retry_pause_ms",
    "sender_for",
    "signature",
    "sweep",
    "unregister",
    "use_sender",
    "verify",
    "webhook_url",
]
