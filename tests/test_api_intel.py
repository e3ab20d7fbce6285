"""Intelligence served to police: mule scores with reasons, numbers' verdicts, gangs."""

from __future__ import annotations

import pyarrow as pa
import pytest
from event_records import audit_actions
from service_api import CALLERS, T0, Api

from fraudwall.intel.entitymodel import REASON_SCHEMA
from fraudwall.platform.intelfindings import publish_gangs, publish_scores


def _scored(key: str, values: list[str], scores: list[float]) -> pa.Table:
    reasons = [[{"feature": "passthrough_share", "value": 0.98, "weight": 2.5}] for _ in values]
    return pa.table(
        {
            key: values,
            "score": scores,
            "flagged": [s >= 0.5 for s in scores],
            "reasons": pa.array(reasons, pa.list_(REASON_SCHEMA)),
        }
    )


def _publish(api: Api) -> None:
    with api.service.db.writing() as conn:
        accounts = _scored("account_id", ["6222000011112222", "6222000099990000"], [0.97, 0.1])
        publish_scores(conn, "account", accounts, "mules-model", 0.5, T0)
        numbers = _scored("number", ["+8613900000009"], [0.88])
        publish_scores(conn, "number", numbers, "numbers-model", 0.5, T0)
        gangs = pa.table({"gang_id": ["G2", "G1"], "loss_fen": [5_000_00, 90_000_00]})
        members = pa.table(
            {
                "gang_id": ["G1", "G1", "G2"],
                "entity_kind": ["account", "device", "account"],
                "entity_id": ["6222000011112222", "D9", "6222000077770000"],
            }
        )
        shared = [["device:D9"], ["account:6222000011112222"], []]
        cases = pa.table(
            {
                "gang_id": ["G1", "G1", "G2"],
                "case_id": ["R1", "R2", "R3"],
                "evidence": [{"shared": s} for s in shared],
            }
        )
        publish_gangs(conn, gangs, members, cases, T0)
    api.service.host.risk_lists_changed()


def test_police_read_a_mule_score_with_its_reasons(service_api: Api) -> None:
    api = service_api
    _publish(api)
    r = api.client.get("/v1/intel/accounts/6222 0000 1111 2222/mule", headers=api.as_("analyst"))
    assert r.status_code == 200
    body = r.json()
    assert (body["value"], body["flagged"], body["verdict"]) == ("6222000011112222", True, "mule")
    assert body["reasons"][0]["feature"] == "passthrough_share"
    calm = api.client.get("/v1/intel/accounts/6222000099990000/mule", headers=api.as_("analyst"))
    assert calm.json()["verdict"] == "not flagged"
    missing = api.client.get("/v1/intel/accounts/6222000055550000/mule", headers=api.as_("analyst"))
    assert missing.status_code == 404
    assert "intel.account" in audit_actions(api)


def test_a_flagged_number_has_a_verdict_and_is_on_the_risk_lists(service_api: Api) -> None:
    api = service_api
    _publish(api)
    r = api.client.get("/v1/intel/numbers/13900000009", headers=api.as_("supervisor"))
    assert r.status_code == 200 and r.json()["verdict"] == "fraud number"
    risk = api.client.get("/v1/risk/number/+8613900000009", headers=api.as_("public"))
    assert risk.json()["verdict"] == "high"  # listed by the numbers model at 0.88


def test_gangs_come_ranked_by_loss_with_members_and_linked_cases(service_api: Api) -> None:
    api = service_api
    _publish(api)
    listed = api.client.get("/v1/intel/gangs", headers=api.as_("analyst")).json()
    assert [(g["gang_id"], g["rank"], g["cases"], g["members"]) for g in listed] == [
        ("G1", 1, 2, 2),
        ("G2", 2, 1, 1),
    ]
    g1 = api.client.get("/v1/intel/gangs/G1", headers=api.as_("analyst")).json()
    assert {m["entity_id"] for m in g1["member_list"]} == {"6222000011112222", "D9"}
    assert g1["case_list"][0] == {"case_id": "R1", "evidence": {"shared": ["device:D9"]}}
    assert api.client.get("/v1/intel/gangs/G7", headers=api.as_("analyst")).status_code == 404


@pytest.mark.parametrize(
    "caller", [c for c, v in CALLERS.items() if "police" not in v[3] and c != "admin"]
)
def test_only_police_and_the_operator_read_intelligence(service_api: Api, caller: str) -> None:
    api = service_api
    for path in ("/v1/intel/gangs", "/v1/intel/numbers/+8613900000009",
                 "/v1/intel/accounts/6222000011112222/mule"):  # fmt: skip
        r = api.client.get(path, headers=api.as_(caller))
        assert (
            r.status_code == 403 and "needs the role police_analyst" in r.json()["error"]["problem"]
        )
