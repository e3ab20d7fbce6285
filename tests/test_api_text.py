"""POST /v1/text/classify: the shipped fraud-text classifier for telcos and police."""

from __future__ import annotations

import pytest
from event_records import audit_actions
from service_api import Api

FRAUD = "您涉嫌一起洗钱案件，请立即将资金转入安全账户配合调查，否则冻结名下所有账户"
NORMAL_SMS = "您的验证码是482913，5分钟内有效，请勿泄露给他人。"


@pytest.mark.parametrize("caller", ["telco_a", "analyst", "supervisor", "admin"])
def test_telcos_and_police_classify_texts(service_api: Api, caller: str) -> None:
    api = service_api
    r = api.client.post(
        "/v1/text/classify", json={"texts": [FRAUD, NORMAL_SMS]}, headers=api.as_(caller)
    )
    assert r.status_code == 200, r.text
    fraud, normal = r.json()["results"]
    assert fraud["label"] != "normal" and fraud["fraud_probability"] > 0.5
    assert normal["label"] == "normal" and normal["fraud_probability"] < 0.5
    assert fraud["top_ngrams"] is None
    assert "text.classify" in audit_actions(api)


def test_explain_returns_the_ngrams_that_weighed_most(service_api: Api) -> None:
    api = service_api
    r = api.client.post(
        "/v1/text/classify", json={"texts": [FRAUD], "explain": True}, headers=api.as_("analyst")
    )
    assert r.status_code == 200, r.text
    (result,) = r.json()["results"]
    assert result["top_ngrams"] and all(g["weight"] > 0 for g in result["top_ngrams"])


@pytest.mark.parametrize("caller", ["public", "bank_a"])
def test_the_public_and_institutions_may_not(service_api: Api, caller: str) -> None:
    api = service_api
    r = api.client.post("/v1/text/classify", json={"texts": [FRAUD]}, headers=api.as_(caller))
    assert r.status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [({"texts": []}, "texts"), ({"texts": ["x" * 5001]}, "texts.0"), ({"text": "x"}, "texts")],
)
def test_bad_bodies_are_named(service_api: Api, body: dict[str, object], field: str) -> None:
    api = service_api
    r = api.client.post("/v1/text/classify", json=body, headers=api.as_("analyst"))
    assert r.status_code == 422
    assert field in r.text
