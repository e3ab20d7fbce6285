"""Returns under article 8 over HTTP: planned by an analyst, approved by another police
supervisor above the threshold, paid back to the victims' accounts as orders to the bank."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from funds_api import C1, C2, OPENING, audit_actions, audit_rows, setup_world
from service_api import CALLERS, Api, H

from fraudwall.platform.audit import verify_audit

DAY = 24 * H
B1_BALANCE = OPENING + 400_000 - 100_000


def threshold(api: Api, fen: int) -> None:
    """Returns above `fen` need a supervisor's approval."""
    service = api.service
    service.settings = dataclasses.replace(service.settings, return_approval_fen=fen)


def frozen_b1(api: Api) -> str:
    """B1 stopped and frozen for case 1 (it holds ¥3,000 of P1's money, nobody else's)."""
    r = api.client.post(
        "/v1/orders/stop-payment",
        headers=api.as_("analyst"),
        json={"case_id": C1, "account_id": "B1"},
    )
    assert r.status_code == 201, r.text
    stop_id = r.json()["order_id"]
    r = api.client.post(
        f"/v1/orders/{stop_id}/feedback",
        headers=api.as_("bank_b"),
        json={"outcome": "executed", "account_name": "B1", "balance_fen": B1_BALANCE},
    )
    assert r.status_code == 200, r.text
    r = api.client.post("/v1/orders/freeze", headers=api.as_("analyst"), json={"stop_id": stop_id})
    assert r.status_code == 201 and r.json()["amount_fen"] == 300_000
    order_id: str = r.json()["order_id"]
    return order_id


def frozen_a1(api: Api, fen: int = 200_000) -> str:
    """A1 frozen directly for case 2: it holds ¥1,000 of P1's and ¥3,000 of P2's money."""
    body = {"case_id": C2, "account_id": "A1", "amount_fen": fen}
    r = api.client.post("/v1/orders/freeze", headers=api.as_("analyst"), json=body)
    assert r.status_code == 201 and r.json()["amount_fen"] == fen
    order_id: str = r.json()["order_id"]
    return order_id


def plan(api: Api, account: str, who: str = "analyst", **extra: Any) -> Any:
    return api.client.post(
        "/v1/returns", headers=api.as_(who), json={"account_id": account, **extra}
    )


def order(api: Api, order_id: str, who: str = "analyst") -> dict[str, Any]:
    body: dict[str, Any] = api.client.get(f"/v1/orders/{order_id}", headers=api.as_(who)).json()
    return body


def test_one_victims_money_below_the_threshold_goes_back_at_once(service_api: Api) -> None:
    api = service_api
    setup_world(api)
    freeze_id = frozen_b1(api)
    r = plan(api, "B1")
    assert r.status_code == 201, r.text
    p = r.json()
    assert (p["state"], p["approval"], p["article8_rule"]) == (
        "executed",
        "not_needed",
        "sole_victim",
    )
    assert p["shares"] == [
        {
            "victim_id": C1,
            "case_id": C1,
            "to_account": "V1",
            "claim_fen": 500_000,
            "amount_fen": 300_000,
            "extra_fen": 0,
        }
    ]
    assert p["orders"] == ["RT-B1-R1-1"] and p["residual_fen"] == 0
    back = order(api, "RT-B1-R1-1", "bank_b")  # addressed to the bank holding B1
    assert (back["kind"], back["state"], back["institution_id"]) == ("return", "executed", "B02")
    assert (back["account_id"], back["to_account"], back["amount_fen"]) == ("B1", "V1", 300_000)
    assert "第八条" in back["legal_basis"]
    assert api.client.get("/v1/orders/RT-B1-R1-1", headers=api.as_("bank_a")).status_code == 404
    polled = api.client.get("/v1/orders?kind=return", headers=api.as_("bank_b")).json()
    assert [o["order_id"] for o in polled] == ["RT-B1-R1-1"]
    drawn = order(api, freeze_id)
    assert (drawn["state"], drawn["amount_fen"]) == ("completed", 0)
    again = plan(api, "B1")
    assert (
        again.status_code == 409 and "nothing is frozen on B1" in again.json()["error"]["problem"]
    )
    assert audit_actions(api, p["plan_id"]) == ["returns.plan", "returns.execute"]
    assert audit_rows(api, "returns.order")[0]["after"]["to_account"] == "V1"


def test_above_the_threshold_a_supervisor_who_did_not_ask_approves(service_api: Api) -> None:
    api = service_api
    setup_world(api)
    threshold(api, 100_000)
    freeze_id = frozen_b1(api)
    p = plan(api, "B1").json()
    assert (p["state"], p["approval"], p["orders"]) == ("open", "pending", [])
    approval_id = p["approval_id"]
    pending = api.client.get("/v1/approvals?state=pending", headers=api.as_("analyst")).json()
    assert [a["approval_id"] for a in pending] == [approval_id]
    assert pending[0]["amount_fen"] == 300_000 and pending[0]["plan_id"] == p["plan_id"]
    early = api.client.post(f"/v1/returns/{p['plan_id']}/execute", headers=api.as_("analyst"))
    assert early.status_code == 409 and "approval" in early.json()["error"]["problem"]
    assert order(api, freeze_id)["amount_fen"] == 300_000  # nothing paid yet
    by_analyst = api.client.post(
        f"/v1/approvals/{approval_id}/approve", headers=api.as_("analyst2"), json={}
    )
    assert by_analyst.status_code == 403
    assert "needs the role police_supervisor" in by_analyst.json()["error"]["problem"]
    r = api.client.post(
        f"/v1/approvals/{approval_id}/approve",
        headers=api.as_("supervisor"),
        json={"note": "checked the trace"},
    )
    assert r.status_code == 200, r.text
    decided = r.json()
    assert decided["approval"]["state"] == "approved"
    assert decided["approval"]["decided_by"] == api.keys["supervisor"].split(".")[0]
    assert decided["plan"]["state"] == "executed" and decided["plan"]["orders"] == ["RT-B1-R1-1"]
    twice = api.client.post(
        f"/v1/approvals/{approval_id}/approve", headers=api.as_("supervisor"), json={}
    )
    assert twice.status_code == 409
    (entry,) = audit_rows(api, "approvals.approve")
    assert entry["before"]["state"] == "pending" and entry["after"]["state"] == "approved"


def test_nobody_approves_their_own_request(service_api: Api) -> None:
    api = service_api
    setup_world(api)
    threshold(api, 0)
    frozen_b1(api)
    p = plan(api, "B1", who="supervisor").json()
    r = api.client.post(
        f"/v1/approvals/{p['approval_id']}/approve", headers=api.as_("supervisor"), json={}
    )
    assert r.status_code == 403
    assert "nobody approves their own request" in r.json()["error"]["problem"]
    r = api.client.post(
        f"/v1/approvals/{p['approval_id']}/reject", headers=api.as_("supervisor"), json={}
    )
    assert r.status_code == 403
    assert (
        api.client.get(f"/v1/returns/{p['plan_id']}", headers=api.as_("analyst")).json()["state"]
        == "open"
    )


def test_a_rejected_return_pays_nothing_and_the_money_stays_frozen(service_api: Api) -> None:
    api = service_api
    setup_world(api)
    threshold(api, 0)
    freeze_id = frozen_b1(api)
    p = plan(api, "B1").json()
    blocked = plan(api, "B1")
    assert blocked.status_code == 409 and "still open" in blocked.json()["error"]["problem"]
    r = api.client.post(
        f"/v1/approvals/{p['approval_id']}/reject",
        headers=api.as_("supervisor"),
        json={"note": "victim's loss not proven"},
    )
    assert r.status_code == 200
    assert r.json()["plan"]["state"] == "rejected" and r.json()["plan"]["orders"] == []
    assert order(api, freeze_id)["amount_fen"] == 300_000
    gone = api.client.post(f"/v1/returns/{p['plan_id']}/execute", headers=api.as_("supervisor"))
    assert gone.status_code == 409
    assert plan(api, "B1").status_code == 201  # a new plan may follow


def test_mixed_money_is_returned_pro_rata_after_the_public_notice(service_api: Api) -> None:
    api = service_api
    setup_world(api)
    freeze_id = frozen_a1(api, 200_000)  # less than the ¥4,000 of victims' money in A1
    r = plan(api, "A1")
    assert r.status_code == 201, r.text
    p = r.json()
    assert (p["article8_rule"], p["state"], p["approval"]) == ("pro_rata", "open", "not_needed")
    assert {s["victim_id"]: s["amount_fen"] for s in p["shares"]} == {C1: 50_000, C2: 150_000}
    assert {s["victim_id"]: s["to_account"] for s in p["shares"]} == {C1: "V1", C2: "V2"}
    assert p["notice_ends_ts"] == api.clock.now() + 30 * DAY
    early = api.client.post(f"/v1/returns/{p['plan_id']}/execute", headers=api.as_("analyst"))
    assert early.status_code == 409 and "public notice until" in early.json()["error"]["problem"]
    api.clock.advance(30 * DAY)
    r = api.client.post(f"/v1/returns/{p['plan_id']}/execute", headers=api.as_("analyst"))
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["state"] == "executed" and done["orders"] == ["RT-A1-R1-1", "RT-A1-R1-2"]
    paid = {o: order(api, o, "bank_a") for o in done["orders"]}
    assert sorted((o["to_account"], o["amount_fen"]) for o in paid.values()) == [
        ("V1", 50_000),
        ("V2", 150_000),
    ]
    assert order(api, freeze_id)["state"] == "completed"


def test_an_upheld_objection_replans_and_asks_for_approval_again(service_api: Api) -> None:
    api = service_api
    setup_world(api)
    threshold(api, 100_000)
    freeze_id = frozen_a1(api, 200_000)
    p = plan(api, "A1").json()
    first_approval = p["approval_id"]
    assert p["approval"] == "pending" and p["amount_fen"] == 200_000
    ok = api.client.post(
        f"/v1/approvals/{first_approval}/approve", headers=api.as_("supervisor"), json={}
    )
    assert ok.json()["plan"]["state"] == "open"  # approved, but the notice runs on
    api.clock.advance(10 * DAY)
    objection = {
        "victim_id": C2,
        "corrected_fen": 50_000,
        "by": "P2's lawyer",
        "reason": "part of it was P2's own salary",
    }
    r = api.client.post(
        f"/v1/returns/{p['plan_id']}/objections", headers=api.as_("analyst"), json=objection
    )
    assert r.status_code == 201, r.text
    heard = r.json()["objections"][0]
    assert heard["upheld"] is None and heard["raised_ts"] == api.clock.now()
    api.clock.advance(DAY)
    r = api.client.post(
        f"/v1/returns/{p['plan_id']}/objections/{heard['objection_id']}/decision",
        headers=api.as_("analyst2"),
        json={"upheld": True, "ruling": "payslips shown"},
    )
    assert r.status_code == 200, r.text
    revised = r.json()
    assert {s["victim_id"]: s["amount_fen"] for s in revised["shares"]} == {C1: 100_000, C2: 50_000}
    assert revised["approval"] == "pending" and revised["approval_id"] != first_approval
    old = api.client.get(f"/v1/approvals/{first_approval}", headers=api.as_("analyst")).json()
    assert old["state"] == "superseded"
    new = api.client.get(f"/v1/approvals/{revised['approval_id']}", headers=api.as_("analyst"))
    assert new.json()["requested_by"] == api.keys["analyst2"].split(".")[0]  # who changed it
    again = api.client.post(
        f"/v1/returns/{p['plan_id']}/objections/{heard['objection_id']}/decision",
        headers=api.as_("supervisor"),
        json={"upheld": False, "ruling": "x"},
    )
    assert again.status_code == 409 and "already decided" in again.json()["error"]["problem"]
    api.clock.advance(19 * DAY)
    late = api.client.post(
        f"/v1/returns/{p['plan_id']}/objections", headers=api.as_("analyst"), json=objection
    )
    assert late.status_code == 409 and "too late" in late.json()["error"]["problem"]
    r = api.client.post(
        f"/v1/approvals/{revised['approval_id']}/approve", headers=api.as_("supervisor"), json={}
    )
    assert r.status_code == 200, r.text
    done = r.json()["plan"]
    assert done["state"] == "executed" and done["amount_fen"] == 150_000
    assert order(api, freeze_id)["amount_fen"] == 50_000  # the rest stays frozen
    with api.service.db.reading() as conn:
        assert verify_audit(conn).ok  # every step is in the one chained log


def test_a_return_needs_frozen_money_and_a_conserving_rule(service_api: Api) -> None:
    api = service_api
    setup_world(api)
    r = plan(api, "B1")
    assert r.status_code == 409 and "nothing is frozen" in r.json()["error"]["problem"]
    frozen_b1(api)
    r = plan(api, "B1", rule="poison")
    assert r.status_code == 422 and r.json()["error"]["where"] == "rule"
    assert api.client.get("/v1/returns/NOPE", headers=api.as_("analyst")).status_code == 404
    assert api.client.get("/v1/approvals/NOPE", headers=api.as_("analyst")).status_code == 404
    listed = api.client.get("/v1/returns", headers=api.as_("supervisor")).json()
    assert listed == []


RETURN_ROUTES = [
    ("post", "/v1/returns", {"account_id": "B1"}),
    ("get", "/v1/returns", None),
    ("get", "/v1/returns/RP000001", None),
    ("post", "/v1/returns/RP000001/execute", None),
    (
        "post",
        "/v1/returns/RP000001/objections",
        {"victim_id": C1, "corrected_fen": 0, "by": "x", "reason": "x"},
    ),
    ("get", "/v1/approvals", None),
    ("get", "/v1/approvals/AP000001", None),
]


@pytest.mark.parametrize("caller", [c for c in CALLERS if not c.startswith(("analyst", "super"))])
def test_returns_are_for_the_police_alone(service_api: Api, caller: str) -> None:
    api = service_api
    setup_world(api)
    for method, path, body in RETURN_ROUTES:
        r = api.client.request(method, path, headers=api.as_(caller), json=body)
        assert r.status_code == 403, (caller, path)
        assert "police_analyst or police_supervisor" in r.json()["error"]["problem"]
    for verb in ("approve", "reject"):
        r = api.client.post(f"/v1/approvals/AP000001/{verb}", headers=api.as_(caller), json={})
        assert r.status_code == 403
        assert "needs the role police_supervisor" in r.json()["error"]["problem"]
