"""The audit log's proof: entries written through the API, then altered, removed or
reordered in the database, are found by `fraudwall audit verify` (exit 2, naming the entry)
and by `verify_audit`; and `GET /v1/audit`, whose reading is itself an entry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result
from service_api import CALLERS, Api
from stored_rows import order, store
from typer.testing import CliRunner

from fraudwall.cli.main import app as cli
from fraudwall.platform.audit import entry_hash, verify_audit
from fraudwall.platform.schema import audit_log

runner = CliRunner()
READERS = ("admin", "supervisor")


def audited_traffic(api: Api) -> int:
    """Writes and audited reads through the API; returns how many entries they made."""
    admin = api.as_("admin")
    r = api.client.post("/v1/agencies", headers=admin,
                        json={"agency_id": "bank-z", "name": "Bank Z", "kind": "bank",
                              "institution_id": "B09"})  # fmt: skip
    assert r.status_code == 201, r.text
    key = {"agency_id": "bank-z", "role": "institution"}
    r = api.client.post("/v1/keys", headers=admin, json=key)
    assert r.status_code == 201, r.text
    assert api.client.delete(f"/v1/keys/{r.json()['key_id']}", headers=admin).status_code == 200
    store(api, orders=[order("FZ1", "B1", "B02")])
    for caller in ("bank_a", "bank_b", "analyst"):
        r = api.client.get("/v1/risk/account/B1", headers=api.as_(caller))
        assert r.status_code == 200, r.text
    assert api.client.get("/v1/audit", headers=api.as_("supervisor")).status_code == 200
    return 7


def entries(api: Api) -> list[dict[str, Any]]:
    with api.service.db.reading() as conn:
        rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.seq))
        return [dict(r._mapping) for r in rows]


def verify_cli(api: Api) -> Result:
    settings = api.service.settings
    args = ["audit", "verify", "--data", str(settings.data_dir)]
    if settings.db_url:
        args += ["--db", settings.db_url]
    return runner.invoke(cli, args)


def verify_both(api: Api) -> tuple[Result, list[str]]:
    with api.service.db.reading() as conn:
        problems = verify_audit(conn).problems
    return verify_cli(api), problems


def tamper(api: Api, change: Callable[[sa.Connection], Any]) -> None:
    """Change the log behind the service's back, as someone with the database might."""
    with api.service.db.engine.begin() as conn:
        change(conn)


def set_row(conn: sa.Connection, seq: int, values: dict[str, Any]) -> None:
    content = {k: v for k, v in values.items() if k != "seq"}
    conn.execute(audit_log.update().where(audit_log.c.seq == seq).values(**content))


# --- the proof ---------------------------------------------------------------------------
def test_an_intact_log_verifies(service_api: Api) -> None:
    made = audited_traffic(service_api)
    log = entries(service_api)
    assert len(log) == made
    actions = [e["action"] for e in log]
    assert actions == ["agencies.add", "keys.issue", "keys.revoke"] + ["risk.account"] * 3 + [
        "audit.read"
    ]
    result, problems = verify_both(service_api)
    assert result.exit_code == 0, result.output
    assert f"{made} entries, chain intact" in result.output
    assert problems == []


def test_an_altered_field_is_found(service_api: Api) -> None:
    audited_traffic(service_api)
    tamper(service_api, lambda c: set_row(c, 4, {"subject": "B2"}))
    result, problems = verify_both(service_api)
    assert result.exit_code == 2
    assert "entry 4 (risk.account B2) was altered" in result.output
    assert problems[0].startswith("entry 4 (risk.account B2) was altered")


@pytest.mark.parametrize("field", ["ts", "key_id", "after", "action"])
def test_any_altered_field_is_found(service_api: Api, field: str) -> None:
    audited_traffic(service_api)
    value: Any = {"ts": 1, "key_id": "fw_00000000", "after": '{"verdict":"low"}'}.get(
        field, "risk.number"
    )
    tamper(service_api, lambda c: set_row(c, 5, {field: value}))
    result, problems = verify_both(service_api)
    assert result.exit_code == 2
    assert "entry 5" in result.output and "was altered" in result.output
    assert problems and "entry 5" in problems[0]


def test_an_altered_entry_whose_hash_was_recomputed_is_found(service_api: Api) -> None:
    audited_traffic(service_api)
    row = entries(service_api)[2]  # seq 3
    row["subject"] = "fw_deadbeef"
    row["hash"] = entry_hash(row["prev_hash"], row)
    tamper(service_api, lambda c: set_row(c, 3, row))
    result, problems = verify_both(service_api)
    assert result.exit_code == 2
    assert "entry 4 (risk.account B1) does not follow entry 3" in result.output
    assert "entry 3 or 4 was replaced" in problems[0]


def test_a_removed_middle_entry_is_found(service_api: Api) -> None:
    audited_traffic(service_api)
    tamper(service_api, lambda c: c.execute(audit_log.delete().where(audit_log.c.seq == 3)))
    result, problems = verify_both(service_api)
    assert result.exit_code == 2
    assert "entry 3 is missing (the log jumps from 2 to 4)" in result.output
    assert problems == ["entry 3 is missing (the log jumps from 2 to 4)"]


def test_a_removed_last_entry_is_found(service_api: Api) -> None:
    made = audited_traffic(service_api)
    tamper(service_api, lambda c: c.execute(audit_log.delete().where(audit_log.c.seq == made)))
    result, problems = verify_both(service_api)
    assert result.exit_code == 2
    assert f"entry {made} is missing" in result.output
    assert "the last entries were removed" in problems[0]


def test_removing_every_entry_is_found(service_api: Api) -> None:
    made = audited_traffic(service_api)
    tamper(service_api, lambda c: c.execute(audit_log.delete()))
    result, problems = verify_both(service_api)
    assert result.exit_code == 2
    assert problems[0].startswith(f"entry 1..{made} is missing")


def test_two_swapped_entries_are_found(service_api: Api) -> None:
    audited_traffic(service_api)
    log = entries(service_api)
    second, fifth = log[1], log[4]

    def swap(conn: sa.Connection) -> None:
        set_row(conn, 2, fifth)
        set_row(conn, 5, second)

    tamper(service_api, swap)
    result, problems = verify_both(service_api)
    assert result.exit_code == 2
    assert "entry 2 (risk.account B1) does not follow entry 1" in result.output
    assert "reordered" in problems[0]


def test_an_entry_added_behind_the_services_back_is_found(service_api: Api) -> None:
    made = audited_traffic(service_api)
    last = entries(service_api)[-1]
    forged = {**last, "seq": made + 1, "action": "risk.account", "prev_hash": last["hash"]}
    forged["hash"] = entry_hash(last["hash"], forged)
    tamper(service_api, lambda c: c.execute(audit_log.insert(), [forged]))
    result, problems = verify_both(service_api)
    assert result.exit_code == 2
    assert f"entry {made + 1} was added outside the service" in problems[0]


# --- reading the log over the API ---------------------------------------------------------
@pytest.mark.parametrize("caller", READERS)
def test_the_operator_and_supervisors_read_the_log_and_that_is_audited(
    service_api: Api, caller: str
) -> None:
    api = service_api
    made = audited_traffic(api)
    r = api.client.get("/v1/audit", params={"limit": 2}, headers=api.as_(caller))
    assert r.status_code == 200, r.text
    page = r.json()
    assert [e["seq"] for e in page["entries"]] == [1, 2]
    assert page["next_seq"] == 3
    first = page["entries"][0]
    assert first["action"] == "agencies.add"
    assert first["after"]["agency_id"] == "bank-z"  # the record, as JSON
    r = api.client.get("/v1/audit", params={"from_seq": made + 1}, headers=api.as_(caller))
    read = r.json()["entries"]
    assert [e["action"] for e in read] == ["audit.read"]
    assert read[0]["key_id"] == api.keys[caller].split(".")[0]
    assert read[0]["subject"] == "1..2"
    assert read[0]["after"] == {"entries": 2, "from_seq": 1}
    ok, problems = verify_both(api)
    assert ok.exit_code == 0 and problems == []


def test_reading_past_the_end_is_an_empty_page(service_api: Api) -> None:
    r = service_api.client.get(
        "/v1/audit", params={"from_seq": 10_000}, headers=service_api.as_("admin")
    )
    assert r.status_code == 200
    assert r.json() == {"entries": [], "next_seq": 10_000}


@pytest.mark.parametrize("caller", [c for c in CALLERS if c not in READERS])
def test_everyone_else_is_refused_the_log(service_api: Api, caller: str) -> None:
    r = service_api.client.get("/v1/audit", headers=service_api.as_(caller))
    assert r.status_code == 403
    assert "needs the role admin or police_supervisor" in r.json()["error"]["problem"]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 1001}, {"from_seq": 0}])
def test_a_bad_page_is_422(service_api: Api, params: dict[str, int]) -> None:
    r = service_api.client.get("/v1/audit", params=params, headers=service_api.as_("admin"))
    assert r.status_code == 422
    assert r.json()["error"]["where"].startswith("query.")
