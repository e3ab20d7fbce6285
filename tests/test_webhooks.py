"""The signed webhook: what a receiver checks, the URLs accepted, the retry pauses, and a
push to a real HTTP server on loopback (a thread in the test), end to end."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
import sqlalchemy as sa
from funds_api import C1, setup_world
from hypothesis import given
from hypothesis import strategies as st
from service_api import Api

from fraudwall.errors import InputError
from fraudwall.platform import webhooks
from fraudwall.platform.schema import deliveries


@given(secret=st.text(min_size=1, max_size=40), ts=st.integers(0, 2**50), body=st.binary())
def test_a_signature_verifies_and_any_change_breaks_it(secret: str, ts: int, body: bytes) -> None:
    sig = webhooks.signature(secret, ts, body)
    assert sig.startswith("sha256=") and len(sig) == 7 + 64
    assert webhooks.verify(secret, ts, body, sig)
    assert webhooks.verify(secret, str(ts), body, sig)
    assert not webhooks.verify(secret, ts + 1, body, sig)
    assert not webhooks.verify(secret + "x", ts, body, sig)
    assert not webhooks.verify(secret, ts, body + b" ", sig)


def test_the_signature_is_the_hmac_of_timestamp_dot_body() -> None:
    import hashlib
    import hmac

    mac = hmac.new(b"whsec_k", b"1780000000000.{}", hashlib.sha256).hexdigest()
    assert webhooks.signature("whsec_k", 1_780_000_000_000, b"{}") == f"sha256={mac}"
    assert not webhooks.verify("whsec_k", "not-a-time", b"{}", f"sha256={mac}")


@pytest.mark.parametrize(
    "url",
    [
        "ftp://bank/x",
        "bank.example/orders",
        "https://",
        "http://:80/x",
        "https://h:99999/x",
        "https://bank/" + "x" * 2000,
    ],
)
def test_only_http_urls_with_a_host_are_accepted(url: str) -> None:
    with pytest.raises(InputError) as e:
        webhooks.check_url(url)
    assert e.value.where == "url"


def test_good_urls_are_kept() -> None:
    assert webhooks.check_url(" https://bank-a.example:8443/fw/orders ") == (
        "https://bank-a.example:8443/fw/orders"
    )
    assert webhooks.check_url("http://127.0.0.1:9000/") == "http://127.0.0.1:9000/"


def test_retries_pause_longer_each_time_up_to_an_hour() -> None:
    pauses = [webhooks.retry_pause_ms(n) for n in range(1, 40)]
    assert pauses[:3] == [10_000, 20_000, 40_000]
    assert pauses == sorted(pauses) and max(pauses) == webhooks.MAX_RETRY_MS


class _Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 200


@pytest.fixture
def receiver() -> Iterator[tuple[str, _Inbox]]:
    """A real HTTP server on loopback, in a thread, recording what it is sent."""
    inbox = _Inbox()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            inbox.received.append((dict(self.headers.items()), self.rfile.read(length)))
            self.send_response(inbox.status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/fraudwall", inbox
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_an_order_reaches_a_real_receiver_that_verifies_it(
    service_api: Api, receiver: tuple[str, _Inbox]
) -> None:
    api = service_api
    url, inbox = receiver
    webhooks.use_sender(api.service, webhooks.WebhookSender())  # the network, on loopback
    setup_world(api)
    r = api.client.put("/v1/agencies/me/webhook", headers=api.as_("bank_b"), json={"url": url})
    secret = r.json()["secret"]
    assert secret.startswith("whsec_")
    r = api.client.post(
        "/v1/orders/stop-payment",
        headers=api.as_("analyst"),
        json={"case_id": C1, "account_id": "B1"},
    )
    assert r.status_code == 201
    ((headers, body),) = inbox.received
    assert webhooks.verify(
        secret, headers[webhooks.TIMESTAMP_HEADER], body, headers[webhooks.SIGNATURE_HEADER]
    )
    assert headers["Content-Type"] == "application/json"
    pushed = json.loads(body)
    assert pushed["order"]["order_id"] == r.json()["order_id"]
    assert pushed["order"]["institution_id"] == "B02"
    with api.service.db.reading() as conn:
        row = conn.execute(sa.select(deliveries).where(deliveries.c.agency_id == "bank-b")).one()
    assert row.delivery_id == int(headers[webhooks.DELIVERY_HEADER]) and row.pushed_ts is not None


def test_a_receiver_that_is_down_is_recorded_and_the_sweep_retries(
    service_api: Api, receiver: tuple[str, _Inbox]
) -> None:
    api = service_api
    url, inbox = receiver
    webhooks.use_sender(api.service, webhooks.WebhookSender())
    setup_world(api)
    api.client.put(
        "/v1/agencies/me/webhook",
        headers=api.as_("bank_b"),
        json={"url": "http://127.0.0.1:9/closed"},
    )
    api.client.post(
        "/v1/orders/stop-payment",
        headers=api.as_("analyst"),
        json={"case_id": C1, "account_id": "B1"},
    )
    with api.service.db.reading() as conn:
        row = conn.execute(sa.select(deliveries)).one()
    assert row.pushed_ts is None and row.attempts == 1 and "ConnectError" in row.last_error
    assert webhooks.sweep(api.service) == webhooks.Pushed(0, 0)  # nothing due yet
    api.client.put("/v1/agencies/me/webhook", headers=api.as_("bank_b"), json={"url": url})
    assert len(inbox.received) == 1  # setting the webhook again queues what still awaits
    assert webhooks.sweep(api.service) == webhooks.Pushed(0, 0)
