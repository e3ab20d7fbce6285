"""Keys, roles and the fail-closed permission check, for every role."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import APIRouter
from service_api import CALLERS, Api

from fraudwall.platform import auth
from fraudwall.platform.auth import allow


def test_no_key_unknown_key_and_revoked_key_are_401(service_api: Api) -> None:
    api = service_api
    assert api.client.get("/v1/agencies").status_code == 401
    bad = {"Authorization": "Bearer fw_00000000.nope-nope-nope-nope-nope-nope-nope"}
    assert api.client.get("/v1/agencies", headers=bad).status_code == 401
    assert api.client.get("/v1/agencies", headers=api.as_("admin")).status_code == 200
    key_id = api.keys["admin"].split(".")[0]
    with api.service.db.writing() as conn:
        auth.revoke_key(conn, key_id, api.clock.now())
    r = api.client.get("/v1/agencies", headers=api.as_("admin"))
    assert r.status_code == 401
    assert "revoked" in r.json()["error"]["problem"]


def test_an_expired_key_is_401(service_api: Api) -> None:
    api = service_api
    api.clock.advance(366 * 24 * 3_600_000)
    assert api.client.get("/v1/agencies", headers=api.as_("admin")).status_code == 401


@pytest.mark.parametrize("caller", [c for c in CALLERS if c != "admin"])
def test_every_other_role_gets_403_naming_the_role_needed(service_api: Api, caller: str) -> None:
    r = service_api.client.get("/v1/keys", headers=service_api.as_(caller))
    assert r.status_code == 403
    assert "needs the role admin" in r.json()["error"]["problem"]


def test_the_key_secret_is_never_stored_or_listed(service_api: Api) -> None:
    api = service_api
    r = api.client.post("/v1/keys", headers=api.as_("admin"),
                        json={"agency_id": "bank-a", "role": "institution"})  # fmt: skip
    assert r.status_code == 201
    key = r.json()["key"]
    listed = api.client.get("/v1/keys", headers=api.as_("admin")).text
    assert key.split(".")[1] not in listed
    assert api.client.get("/v1/keys", headers={"X-API-Key": key}).status_code == 403


def test_a_role_must_fit_the_agency(service_api: Api) -> None:
    r = service_api.client.post(
        "/v1/keys",
        headers=service_api.as_("admin"),
        json={"agency_id": "bank-a", "role": "police_supervisor"},
    )
    assert r.status_code == 422
    assert r.json()["error"]["where"] == "role"


def test_a_route_that_names_no_role_is_refused_at_build() -> None:
    from fraudwall.platform import app as app_module

    forgot = APIRouter()

    @forgot.get("/forgotten")
    def forgotten() -> dict[str, str]:
        return {"secret": "data"}

    named = APIRouter()

    @named.get("/named", openapi_extra=allow(auth.ApiRole.ADMIN))
    def fine() -> dict[str, str]:
        return {}

    saved = list(app_module.AREAS)
    try:
        app_module.AREAS[:] = [named, forgot]
        with pytest.raises(RuntimeError, match="/v1/forgotten names no role"):
            app_module.create_app()
    finally:
        app_module.AREAS[:] = saved


def test_a_key_revoked_through_the_service_is_refused_at_once_despite_the_cache(
    tmp_path: Path,
) -> None:
    from service_api import T0, start_api

    from fraudwall.platform import FixedClock, ServeSettings

    settings = ServeSettings(data_dir=tmp_path / "data", snapshot_interval_s=0, key_cache_s=60)
    for api in start_api(settings, FixedClock(T0)):
        bank = api.as_("bank_a")
        assert api.client.get("/v1/warnings", headers=bank).status_code == 200  # now cached
        key_id = api.keys["bank_a"].split(".")[0]
        r = api.client.delete(f"/v1/keys/{key_id}", headers=api.as_("admin"))
        assert r.status_code == 200 and r.json()["revoked_ts"] is not None
        assert api.client.get("/v1/warnings", headers=bank).status_code == 401
        api.clock.advance(400 * 24 * 3_600_000)  # expiry is checked on every use, too
        assert api.client.get("/v1/agencies", headers=api.as_("admin")).status_code == 401
