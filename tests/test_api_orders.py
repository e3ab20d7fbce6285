"""Stop-payment and freeze orders over HTTP: issued by police, delivered only to the bank
holding the account (polling and a signed webhook), answered by it, under the legal rules."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from funds_api import C1, C2, OPENING, audit_actions, audit_rows, setup_world
from service_api import CALLERS, Api, H

from fraudwall.platform import webhooks
from fraudwall.platform.audit import verify_audit
from fraudwall.platform.schema import deliveries

MIN = 60_000
A1_BALANCE = OPENING + 500_000 - 400_000 + 300_000


def stop(api: Api, case: str = C1, account: str = "A1", who: str = "analyst", **extra: Any) -> Any:
    return api.client.post(
        "/v1/orders/stop-payment",
        headers=api.as_(who),
        json={"case_id": case, "account_id": account, **extra},
    )


def answer(api: Api, order_id: str, who: str = "bank_a", **record: Any) -> Any:
    body = {"outcome": "executed", "account_name": "A1", "balance_fen": A1_BALANCE, **record}
    return api.client.post(f"/v1/orders/{order_id}/feedback", headers=api.as_(who), json=body)


def executed_stop(api: Api, case: str = C1) -> dict[str, Any]:
    r = stop(api, case)
    assert r.status_code == 201, r.text
    r = answer(api, r.json()["order_id"])
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


class Receiver:
    """A webhook receiver in the test: records each push, answers `status`."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.pushes: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.pushes.append(request)
        return httpx.Response(self.status)

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.pushes]


def receive_at(api: Api, receiver: Receiver) -> None:
    transport = httpx.MockTransport(receiver)
    webhooks.use_sender(api.service, webhooks.WebhookSender(transport))


def set_webhook(api: Api, who: str, url: str) -> str:
    r = api.client.put("/v1/agencies/me/webhook", headers=api.as_(who), json={"url": url})
    assert r.status_code == 200, r.text
    secret: str = r.json()["secret"]
    return secret


# --- issuing ----------------------------------------------------------------------------------
def test_a_stop_payment_goes_to_the_bank_holding_the_account(service_api: Api) -> None:
    api = service_api
    setup_world(api)
    r = stop(api)
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["order_id"] == f"SP000001-{C1}"
    assert (order["kind"], order["state"], order["institution_id"]) == (
        "stop_payment",
        "issued",
        "B01",
    )
    assert order["amount_fen"] == 100_000  # what the case's trace holds in A1 now
    assert order["citation"] == {
        "account_name": "A1",
        "amount_fen": 500_000,
        "ts": api.clock.now() - 10 * H,
        "transfer_id": "T1",
    }
    assert "反电信网络诈骗法" in order["legal_basis"]
    assert order["expires_ts"] is None  # 48 hours from when the bank applies it
    assert order["answer_due_ts"] == api.clock.now() + 5 * MIN
    assert "orders.stop_payment" in audit_actions(api, order["order_id"])


def test_the_police_may_cite_other_evidence(service_api: Api) -> None:
    api = service_api
    setup_world(api)
    r = stop(api, C1, "B2")  # the trace finds nothing of the case there
    assert r.status_code == 422 and "none of its money in B2" in r.json()["error"]["problem"]
    r = stop(api, C1, "B1", amount_fen=50_000, transfer_id="T2", account_name="李四")
    assert r.status_code == 201
    assert r.json()["citation"]["account_name"] == "李四" and r.json()["amount_fen"] == 50_000
    wrong = stop(api, C2, "B1", amount_fen=50_000, transfer_id="T1")
    assert wrong.status_code == 422 and "paid to A1, not B1" in wrong.json()["error"]["problem"]
    unknown = stop(api, C1, "ZZ9", amount_fen=1, transfer_id="T1")
    assert unknown.status_code == 422 and unknown.json()["error"]["where"] == "account_id"
    assert stop(api, "CASE-NOPE").status_code == 404


def test_a_third_stop_on_an_account_is_refused_with_the_reason(service_api: Api) -> None:
    api = service_api
    setup_world(api)
    first = executed_stop(api, C1)
    assert stop(api, C2).status_code == 201  # awaiting the bank: it counts
    again = stop(api, C1)
    assert again.status_code == 409  # the case already has one in force there
    assert first["order_id"] in again.json()["error"]["problem"]
    api.clock.advance(48 * H)  # the first ends; the account has still had two
    third = stop(api, C1)
    assert third.status_code == 409
    problem = third.json()["error"]["problem"]
    assert "has had 2 stop-payments" in problem and "freeze it instead" in problem


# --- polling and scoping ----------------------------------------------------------------------
def test_a_bank_sees_only_the_orders_addressed_to_it(service_api: Api) -> None:
    api = service_api
    setup_world(api)
    a = stop(api, C1, "A1").json()["order_id"]
    b = stop(api, C1, "B1").json()["order_id"]
    polled = api.client.get("/v1/orders?status=issued", headers=api.as_("bank_a")).json()
    assert [o["order_id"] for o in polled] == [a]
    assert [
        o["order_id"] for o in api.client.get("/v1/orders", headers=api.as_("bank_b")).json()
    ] == [b]
    assert api.client.get("/v1/orders", headers=api.as_("pay")).json() == []
    for who, other in (("bank_a", b), ("bank_b", a), ("pay", a)):
        assert api.client.get(f"/v1/orders/{other}", headers=api.as_(who)).status_code == 404
        assert answer(api, other, who).status_code == 404
        for q in (
            f"case_id={C1}",
            "account_id=A1",
            "account_id=B1",
            "overdue=true",
            "kind=stop_payment",
        ):
            found = api.client.get(f"/v1/orders?{q}", headers=api.as_(who)).json()
            assert other not in {o["order_id"] for o in found}
    police = api.client.get("/v1/orders", headers=api.as_("supervisor")).json()
    assert {o["order_id"] for o in police} == {a, b}
    with api.service.db.reading() as conn:
        fetched = {
            (r.order_id, r.agency_id): r.fetched_ts for r in conn.execute(sa.select(deliveries))
        }
    assert fetched[(a, "bank-a")] == api.clock.now() and fetched[(b, "bank-b")] is not None


@pytest.mark.parametrize("caller", ["telco_a", "public", "admin"])
def test_telcos_the_public_and_the_operator_see_no_order(service_api: Api, caller: str) -> None:
    api = service_api
    setup_world(api)
    order_id = stop(api).json()["order_id"]
    for r in (
        api.client.get("/v1/orders", headers=api.as_(caller)),
        api.client.get(f"/v1/orders/{order_id}", headers=api.as_(caller)),
    ):
        assert r.status_code == 403
        assert "police_analyst or police_supervisor or institution" in r.json()["error"]["problem"]


@pytest.mark.parametrize("caller", [c for c in CALLERS if not c.startswith(("analyst", "super"))])
def test_only_police_issue_and_change_orders(service_api: Api, caller: str) -> None:
    api = service_api
    setup_world(api)
    order_id = stop(api).json()["order_id"]
    attempts = [
        stop(api, who=caller),
        api.client.post("/v1/orders/freeze", headers=api.as_(caller), json={"stop_id": order_id}),
        *(
            api.client.post(
                f"/v1/orders/{order_id}/{verb}", headers=api.as_(caller), json={"reason": "x"}
            )
            for verb in ("lift", "renew", "release")
        ),
    ]
    for r in attempts:
        assert r.status_code == 403
        assert "needs the role police_analyst or police_supervisor" in r.json()["error"]["problem"]


@pytest.mark.parametrize("caller", ["analyst", "supervisor", "telco_a", "public", "admin"])
def test_only_the_institution_answers(service_api: Api, caller: str) -> None:
    api = service_api
    setup_world(api)
    order_id = stop(api).json()["order_id"]
    r = answer(api, order_id, caller)
    assert r.status_code == 403 and "needs the role institution" in r.json()["error"]["problem"]
    r = api.client.put("/v1/agencies/me/webhook", headers=api.as_(caller), json={"url": "http://x"})
    assert r.status_code == 403


# --- the bank's answer ------------------------------------------------------------------------
def test_executed_the_stop_holds_48_hours_from_application_then_ends(service_api: Api) -> None:
    api = service_api
    setup_world(api)
    order_id = stop(api).json()["order_id"]
    api.clock.advance(2 * MIN)
    r = answer(api, order_id)
    assert r.status_code == 200
    done = r.json()
    assert done["state"] == "executed"
    assert done["applied_ts"] == api.clock.now() and done["expires_ts"] == api.clock.now() + 48 * H
    assert done["answer"]["balance_fen"] == A1_BALANCE and done["answer"]["agency_id"] == "bank-a"
    assert answer(api, order_id).json() == done  # an identical repeat: the first answer
    other = answer(api, order_id, balance_fen=1)
    assert other.status_code == 409 and "executed" in other.json()["error"]["problem"]
    (entry,) = audit_rows(api, "orders.feedback")
    assert entry["before"]["state"] == "issued" and entry["after"]["order"]["state"] == "executed"
    assert entry["agency_id"] == "bank-a"
    api.clock.advance(48 * H - 1)
    assert api.client.get(f"/v1/orders/{order_id}", headers=api.as_("bank_a")).json()["state"] == (
        "executed"
    )
    api.clock.advance(1)
    ended = api.client.get(f"/v1/orders/{order_id}", headers=api.as_("bank_a")).json()
    assert ended["state"] == "expired"
    (expiry,) = audit_rows(api, "orders.expire")
    assert expiry["key_id"] == "system" and expiry["before"]["state"] == "executed"


def test_a_mismatch_names_the_field_and_no_funds_is_recorded(service_api: Api) -> None:
    api = service_api
    setup_world(api)
    order_id = stop(api).json()["order_id"]
    said_executed = answer(api, order_id, account_name="王五")
    assert said_executed.status_code == 422
    assert said_executed.json()["error"]["where"] == "outcome"
    assert "account name: cited A1, bank has 王五" in said_executed.json()["error"]["problem"]
    r = answer(api, order_id, outcome="mismatch", account_name="王五", transfer_amount_fen=1)
    assert r.status_code == 200
    refused = r.json()
    assert refused["state"] == "mismatch" and refused["expires_ts"] is None
    assert "account name" in refused["feedback"] and "amount" in refused["feedback"]
    assert refused["answer"]["account_name"] == "王五"
    # a refused stop never stopped the account: it does not count against the two
    second = stop(api, C2)
    r = answer(api, second.json()["order_id"], outcome="no_funds", balance_fen=0)
    assert r.status_code == 200 and r.json()["state"] == "no_funds"
    r = answer(api, stop(api, C1).json()["order_id"], transfer_found=False, outcome="mismatch")
    assert "no such transfer" in r.json()["feedback"]


def test_overdue_lists_unanswered_stops_and_stops_about_to_end(service_api: Api) -> None:
    api = service_api
    setup_world(api)
    waiting = stop(api, C1, "B1").json()["order_id"]
    live = executed_stop(api, C1)["order_id"]
    assert api.client.get("/v1/orders?overdue=true", headers=api.as_("analyst")).json() == []
    api.clock.advance(5 * MIN + 1)
    late = api.client.get("/v1/orders?overdue=true", headers=api.as_("analyst")).json()
    assert [o["order_id"] for o in late] == [waiting]
    assert "not answered within 5 min" in late[0]["overdue_reason"]
    api.clock.advance(24 * H)
    late = api.client.get("/v1/orders?overdue=true", headers=api.as_("analyst")).json()
    assert {o["order_id"] for o in late} == {waiting, live}
    ending = next(o for o in late if o["order_id"] == live)
    assert "not yet a freeze" in ending["overdue_reason"]
    mine = api.client.get("/v1/orders?overdue=true", headers=api.as_("bank_b")).json()
    assert [o["order_id"] for o in mine] == [waiting]


# --- freeze, lift, renew, release -------------------------------------------------------------
def test_a_stop_becomes_a_freeze_for_six_months_renewed_then_released(service_api: Api) -> None:
    api = service_api
    setup_world(api)
    stop_id = executed_stop(api)["order_id"]
    api.clock.advance(H)
    r = api.client.post("/v1/orders/freeze", headers=api.as_("analyst"), json={"stop_id": stop_id})
    assert r.status_code == 201, r.text
    freeze = r.json()
    assert (freeze["kind"], freeze["state"], freeze["amount_fen"]) == (
        "freeze",
        "executed",
        100_000,
    )
    assert freeze["institution_id"] == "B01"
    assert 181 * 24 * H <= freeze["expires_ts"] - api.clock.now() <= 184 * 24 * H
    assert api.client.get(f"/v1/orders/{stop_id}", headers=api.as_("bank_a")).json()["state"] == (
        "completed"
    )
    renewed = api.client.post(
        f"/v1/orders/{freeze['order_id']}/renew",
        headers=api.as_("supervisor"),
        json={"reason": "investigation continues"},
    ).json()
    assert renewed["expires_ts"] > freeze["expires_ts"] + 180 * 24 * H
    released = api.client.post(
        f"/v1/orders/{freeze['order_id']}/release",
        headers=api.as_("analyst"),
        json={"reason": "court"},
    ).json()
    assert released["state"] == "released"
    again = api.client.post(
        f"/v1/orders/{freeze['order_id']}/release",
        headers=api.as_("analyst"),
        json={"reason": "again"},
    )
    assert again.status_code == 409 and "only a executed one" in again.json()["error"]["problem"]
    assert audit_actions(api, freeze["order_id"]) == [
        "orders.freeze",
        "orders.renew",
        "orders.release",
    ]
    assert audit_actions(api, stop_id)[-2:] == ["orders.freeze", "orders.read"]  # completed


def test_a_direct_freeze_is_capped_at_the_balance_not_already_frozen(service_api: Api) -> None:
    api = service_api
    setup_world(api)
    body = {"case_id": C2, "account_id": "A1", "amount_fen": 300_000}
    r = api.client.post("/v1/orders/freeze", headers=api.as_("analyst"), json=body)
    assert r.status_code == 201 and r.json()["amount_fen"] == 300_000
    big = {"case_id": C1, "account_id": "A1", "amount_fen": 10 * A1_BALANCE}
    r = api.client.post("/v1/orders/freeze", headers=api.as_("analyst"), json=big)
    assert r.json()["amount_fen"] == A1_BALANCE - 300_000 and "(capped)" not in r.json()["feedback"]
    none_left = {"case_id": C1, "account_id": "A2", "amount_fen": 5, "balance_fen": 0}
    r = api.client.post("/v1/orders/freeze", headers=api.as_("analyst"), json=none_left)
    assert r.json()["state"] == "no_funds"
    half = api.client.post("/v1/orders/freeze", headers=api.as_("analyst"), json={"case_id": C1})
    assert half.status_code == 422 and half.json()["error"]["where"] == "account_id"


def test_lifting_a_stop_and_refusing_what_the_state_does_not_allow(service_api: Api) -> None:
    api = service_api
    setup_world(api)
    pending = stop(api).json()["order_id"]
    lifted = api.client.post(
        f"/v1/orders/{pending}/lift", headers=api.as_("analyst"), json={"reason": "wrong account"}
    ).json()
    assert lifted["state"] == "lifted" and "wrong account" in lifted["feedback"]
    r = answer(api, pending)
    assert r.status_code == 409
    r = api.client.post(
        f"/v1/orders/{pending}/renew", headers=api.as_("analyst"), json={"reason": "x"}
    )
    assert (
        r.status_code == 409
        and "it is a stop_payment, not a freeze" in r.json()["error"]["problem"]
    )
    r = api.client.post("/v1/orders/NOPE/lift", headers=api.as_("analyst"), json={"reason": "x"})
    assert r.status_code == 404
    r = api.client.post(
        f"/v1/orders/{pending}/lift", headers=api.as_("analyst"), json={"reason": ""}
    )
    assert r.status_code == 422 and r.json()["error"]["where"] == "reason"


# --- the signed webhook -----------------------------------------------------------------------
def test_each_new_order_is_pushed_signed_to_its_banks_webhook(service_api: Api) -> None:
    api = service_api
    setup_world(api)
    receiver = Receiver()
    receive_at(api, receiver)
    secret_a = set_webhook(api, "bank_a", "https://bank-a.example/orders")
    set_webhook(api, "bank_b", "https://bank-b.example/orders")
    assert (
        api.client.get("/v1/agencies/me/webhook", headers=api.as_("bank_a")).json()["secret"]
        is None
    )
    order_id = stop(api).json()["order_id"]
    (push,) = receiver.pushes  # bank B's webhook got nothing of bank A's
    assert str(push.url) == "https://bank-a.example/orders"
    body, ts = push.content, push.headers["X-Fraudwall-Timestamp"]
    assert webhooks.verify(secret_a, ts, body, push.headers["X-Fraudwall-Signature"])
    assert not webhooks.verify(
        secret_a, ts, body.replace(b"A1", b"A2"), push.headers["X-Fraudwall-Signature"]
    )
    sent = json.loads(body)
    assert sent["event"] == "order.issued" and sent["order"]["order_id"] == order_id
    assert sent["order"]["citation"]["transfer_id"] == "T1"
    assert push.headers["X-Fraudwall-Event"] == "order.issued"
    with api.service.db.reading() as conn:
        row = conn.execute(sa.select(deliveries).where(deliveries.c.agency_id == "bank-a")).one()
    assert row.pushed_ts == api.clock.now() and row.attempts == 1 and row.last_error is None
    # a police change reaches the bank too; the bank's own answer does not come back to it
    answer(api, order_id)
    assert len(receiver.pushes) == 1
    api.client.post(f"/v1/orders/{order_id}/lift", headers=api.as_("analyst"), json={"reason": "x"})
    assert [b["event"] for b in receiver.bodies()] == ["order.issued", "order.changed"]
    assert "orders.push" in audit_actions(api, order_id)


def test_a_failing_webhook_is_retried_and_polling_still_shows_the_order(service_api: Api) -> None:
    api = service_api
    setup_world(api)
    receiver = Receiver(status=503)
    receive_at(api, receiver)
    set_webhook(api, "bank_a", "https://bank-a.example/hook")
    order_id = stop(api).json()["order_id"]
    assert len(receiver.pushes) == 1
    with api.service.db.reading() as conn:
        row = conn.execute(sa.select(deliveries).where(deliveries.c.order_id == order_id)).one()
    assert row.pushed_ts is None and row.attempts == 1 and "HTTP 503" in row.last_error
    assert row.next_ts == api.clock.now() + webhooks.retry_pause_ms(1)
    polled = api.client.get("/v1/orders", headers=api.as_("bank_a")).json()
    assert [o["order_id"] for o in polled] == [order_id]
    assert len(receiver.pushes) == 1  # not due yet: the pause has not passed
    receiver.status = 200
    api.clock.advance(webhooks.retry_pause_ms(1))
    api.client.get("/v1/orders", headers=api.as_("analyst"))  # any next request retries
    assert len(receiver.pushes) == 2
    with api.service.db.reading() as conn:
        row = conn.execute(sa.select(deliveries).where(deliveries.c.order_id == order_id)).one()
    assert row.pushed_ts == api.clock.now() and row.attempts == 2 and row.last_error is None
    with api.service.db.reading() as conn:
        assert verify_audit(conn).ok  # the pushes, audited by the service itself, chain too


def test_a_webhook_set_later_gets_the_orders_still_awaiting_the_bank(service_api: Api) -> None:
    api = service_api
    setup_world(api)
    receiver = Receiver()
    receive_at(api, receiver)
    waiting = stop(api).json()["order_id"]
    withdrawn = stop(api, C1, "B1").json()["order_id"]
    api.client.post(
        f"/v1/orders/{withdrawn}/lift", headers=api.as_("analyst"), json={"reason": "x"}
    )
    assert receiver.pushes == []
    set_webhook(api, "bank_a", "https://bank-a.example/late")
    assert [b["order"]["order_id"] for b in receiver.bodies()] == [waiting]
    bad = api.client.put(
        "/v1/agencies/me/webhook", headers=api.as_("bank_a"), json={"url": "ftp://x"}
    )
    assert bad.status_code == 422 and bad.json()["error"]["where"] == "url"
    assert (
        api.client.delete("/v1/agencies/me/webhook", headers=api.as_("bank_a")).status_code == 204
    )
    assert (
        api.client.get("/v1/agencies/me/webhook", headers=api.as_("bank_a")).json()["url"] is None
    )
    stop(api, C2)
    assert len(receiver.pushes) == 1


def test_the_engine_can_learn_which_accounts_are_stopped(service_api: Api) -> None:
    from fraudwall.platform.orders import active_stops

    api = service_api
    setup_world(api)
    executed_stop(api)
    with api.service.db.reading() as conn:
        assert active_stops(conn, api.clock.now()) == {"A1": api.clock.now() + 48 * H}
        assert active_stops(conn, api.clock.now() + 48 * H) == {}
