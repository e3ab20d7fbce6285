"""The checks are answered without FastAPI's per-request machinery (`leanroute`): the same
keys, refusals, error shape, limits and metrics as every other route."""

from __future__ import annotations

import pytest
from event_records import transfer
from fastapi import Request, Response
from service_api import Api
from test_api_ops import limit_body, sample, scrape

from fraudwall.platform import checks
from fraudwall.platform.leanroute import LeanRoute


def _check(api: Api, headers: dict[str, str], event_id: str = "LR1") -> object:
    return api.client.post("/v1/check/transfer", json=transfer(event_id), headers=headers)


def test_a_check_takes_the_key_in_either_header_and_refuses_a_missing_one(
    service_api: Api,
) -> None:
    api = service_api
    key = api.keys["bank_a"]
    assert _check(api, {"Authorization": f"bearer {key}"}, "LR1").status_code == 200
    assert _check(api, {"X-API-Key": key}, "LR2").status_code == 200
    for headers in ({}, {"Authorization": f"Basic {key}"}, {"Authorization": "Bearer "}):
        r = _check(api, headers, "LR3")
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert r.json()["error"]["problem"] == "an API key is needed (Authorization: Bearer KEY)"
    r = _check(api, {"Authorization": "Bearer fw_00000000.nope-nope-nope-nope-nope-nope-no"})
    assert r.status_code == 401 and "revoked" in r.json()["error"]["problem"]


def test_a_check_is_counted_by_its_route_and_keeps_the_error_shape(service_api: Api) -> None:
    api = service_api
    headers = {**api.as_("bank_a"), "X-Request-ID": "lean-1"}
    assert _check(api, headers).status_code == 200
    bad = api.client.post("/v1/check/transfer", content=b"{", headers=headers)
    assert bad.status_code == 422 and bad.json()["error"]["where"] == "body"
    assert bad.json()["request_id"] == "lean-1" and bad.headers["x-request-id"] == "lean-1"
    assert api.client.get("/v1/check/transfer", headers=headers).status_code == 405
    samples = scrape(api)
    requests = "fraudwall_http_requests_total"
    for status in ("200", "422"):
        labels = {"method": "POST", "route": "/v1/check/transfer", "status": status}
        assert sample(samples, requests, **labels) == 1


def test_a_check_over_the_body_limit_is_413(service_api: Api) -> None:
    api = service_api
    limit_body(api, 100)
    r = _check(api, api.as_("bank_a"))
    assert r.status_code == 413 and r.json()["error"]["where"] == "body"
    assert "at most 100" in r.json()["error"]["problem"]


def test_an_unexpected_failure_in_a_check_is_a_500_with_its_request_id(
    service_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(checks, "check", broken)
    r = _check(service_api, {**service_api.as_("bank_a"), "X-Request-ID": "lean-500"})
    assert r.status_code == 500 and r.json()["request_id"] == "lean-500"
    assert "a bug" not in r.text


def test_a_lean_route_takes_exactly_request_caller_and_service() -> None:
    async def other(request: Request, service: object) -> Response:
        return Response()

    with pytest.raises(TypeError, match="takes request, caller, service; other takes"):
        LeanRoute("/x", other, methods=["POST"])
