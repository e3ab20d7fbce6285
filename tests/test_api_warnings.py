"""Warning tasks: issued when the engine absorbs history or streamed events, each for the
institution that is to send it; listed by those who send them and marked done; and
recorded history loaded in bulk (`ingest.store_history`), once."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa
from event_records import T0, count, post, transfer, watermark
from service_api import Api

from fraudwall.engine import WARNING_SCHEMA
from fraudwall.errors import InputError
from fraudwall.model import EVENT_TABLES
from fraudwall.platform.enginehost import sender_of
from fraudwall.platform.ingest import store_history
from fraudwall.platform.registry import put_table
from fraudwall.platform.schema import events, warning_tasks, warnings
from fraudwall.sim import SimConfig, World, simulate


@pytest.fixture(scope="module")
def world() -> World:
    """A small world with much fraud: its warning tasks reach every channel."""
    return simulate(SimConfig(people=1500, days=4, seed=5, fraud_rate=800.0))


def _load(api: Api, world: World) -> Any:
    with api.service.db.writing() as conn:
        for name in ("institutions", "accounts", "phones"):
            put_table(conn, name, world.tables[name])
    api.service.host.registry_changed()
    return store_history(api.service, world.tables)


def _senders(api: Api) -> Counter[tuple[str, str | None]]:
    with api.service.db.reading() as conn:
        q = sa.select(warnings.c.channel, warning_tasks.c.institution_id).join(
            warning_tasks, warning_tasks.c.warning_id == warnings.c.warning_id
        )
        return Counter((r.channel, r.institution_id) for r in conn.execute(q))


def test_history_is_decided_absorbed_and_stored_once(service_api: Api, world: World) -> None:
    api = service_api
    loaded = _load(api, world)
    events_in = sum(world.tables[n].num_rows for n in EVENT_TABLES)
    assert (loaded.events, loaded.skipped) == (events_in, 0)
    assert loaded.warnings > 0 and loaded.decisions > 0
    newest = max(int(world.tables[n]["ts"].to_numpy().max()) for n in ("transfers", "calls", "sms"))
    assert loaded.watermark == watermark(api) == newest
    with api.service.db.reading() as conn:
        unabsorbed = conn.execute(
            sa.select(sa.func.count()).select_from(events).where(events.c.absorbed_upto.is_(None))
        ).scalar()
    assert unabsorbed == 0
    again = store_history(api.service, world.tables)
    assert (again.events, again.skipped, again.warnings) == (0, events_in, 0)
    assert count(api, events) == events_in
    # live events come after the history
    late = post(api, "transfers", [transfer("H1", ts=newest)])
    assert "arrives after the engine absorbed" in late.json()["rejected"][0]["problem"]
    with pytest.raises(InputError, match="not after every event the service holds"):
        store_history(api.service, {"transfers": _renamed(world.tables["transfers"].slice(0, 3))})


def _renamed(table: pa.Table) -> pa.Table:
    ids = pa.array([f"new-{i}" for i in range(table.num_rows)])
    return table.set_column(table.schema.get_field_index("event_id"), "event_id", ids)


def test_history_with_a_bad_record_stores_nothing(service_api: Api, world: World) -> None:
    api = service_api
    bad = world.tables["transfers"].slice(0, 5)
    amounts = pa.array([100, 200, -1, 400, 500], pa.int64())
    bad = bad.set_column(bad.schema.get_field_index("amount_fen"), "amount_fen", amounts)
    with pytest.raises(InputError) as err:
        store_history(api.service, {"transfers": bad})
    assert err.value.where == "transfers row 3: amount_fen"
    assert count(api, events) == 0


def test_each_sender_lists_its_own_tasks_and_marks_them_done(
    service_api: Api, world: World
) -> None:
    api = service_api
    _load(api, world)
    senders = _senders(api)
    assert senders[("call_96110", None)] > 0  # the police call centre's
    assert any(c == "sms_12381" and i == "T01" for c, i in senders)
    assert any(c in ("app_push", "sms") and i == "B01" for c, i in senders)
    everything = sum(senders.values())

    def listed(caller: str, status: str = "open") -> list[dict[str, Any]]:
        r = api.client.get(f"/v1/warnings?status={status}&limit=1000", headers=api.as_(caller))
        assert r.status_code == 200, r.text
        out: list[dict[str, Any]] = r.json()
        return out

    telco = listed("telco_a")
    assert telco and {t["institution_id"] for t in telco} == {"T01"}
    assert len(telco) == min(1000, sum(n for (_, i), n in senders.items() if i == "T01"))
    bank = listed("bank_a")
    assert {t["institution_id"] for t in bank} == {"B01"}
    police = listed("analyst")
    assert len(police) == min(1000, everything)
    assert any(t["institution_id"] is None for t in listed("admin", "all"))
    assert api.client.get("/v1/warnings", headers=api.as_("public")).status_code == 403
    bad = api.client.get("/v1/warnings?status=sent", headers=api.as_("telco_a"))
    assert bad.status_code == 422 and bad.json()["error"]["where"] == "query.status"

    task = telco[0]["task"]
    url = f"/v1/warnings/{task['warning_id']}/done"
    assert api.client.post(url, headers=api.as_("telco_b")).status_code == 404
    assert api.client.post(url, headers=api.as_("bank_a")).status_code == 404
    done = api.client.post(url, headers=api.as_("telco_a"))
    assert done.status_code == 200
    assert done.json()["done_ts"] == T0 and done.json()["task"] == task
    again = api.client.post(url, headers=api.as_("telco_a")).json()
    assert again == done.json()
    assert task["warning_id"] not in {t["task"]["warning_id"] for t in listed("telco_a")}
    assert [t["task"]["warning_id"] for t in listed("telco_a", "done")] == [task["warning_id"]]
    call_task = next(t for t in police if t["institution_id"] is None)["task"]
    call_url = f"/v1/warnings/{call_task['warning_id']}/done"
    assert api.client.post(call_url, headers=api.as_("telco_a")).status_code == 404
    assert api.client.post(call_url, headers=api.as_("supervisor")).status_code == 200
    assert api.client.post("/v1/warnings/none/done", headers=api.as_("admin")).status_code == 404


def test_each_task_goes_to_who_sends_it(service_api: Api) -> None:
    api = service_api
    post(api, "transfers", [transfer("X1")])
    tasks = [
        {"warning_id": "w1", "channel": "app_push", "source_event_id": "X1", "person_id": "p"},
        {"warning_id": "w2", "channel": "call_96110", "source_event_id": "X1", "person_id": "p"},
        {"warning_id": "w3", "channel": "sms", "source_event_id": "C1", "person_id": None},
        {"warning_id": "w4", "channel": "reminder_intl", "source_event_id": "C2",
         "person_id": None},
        {"warning_id": "w5", "channel": "sms_12381", "source_event_id": "flag:+85512345678",
         "person_id": "P1"},
        {"warning_id": "w6", "channel": "sms_12381", "source_event_id": "flag:+85512345678",
         "person_id": "nobody"},
    ]  # fmt: skip
    calls = pa.table({
        "event_id": ["C1", "C2"], "institution_id": ["T01", "T01"],
        "callee": ["+8613900000002", "+8619999999999"],
    })  # fmt: skip
    with api.service.db.writing() as conn:
        conn.execute(
            sa.text("UPDATE phones SET owner_person_id = 'P1' WHERE number = '+8613900000003'")
        )
        got = sender_of(conn, tasks, {"calls": calls})
    assert got == {
        "w1": "B01",  # the bank that reported the transfer
        "w2": None,  # the 96110 line
        "w3": "T02",  # the telco of the number the call reached
        "w4": "T01",  # a number no telco of the registry holds: the telco that reported it
        "w5": "T02",  # the telco of the person's number
        "w6": None,
    }


def test_a_task_is_stored_once(service_api: Api) -> None:
    from fraudwall.platform.enginehost import store_warnings

    api = service_api
    post(api, "transfers", [transfer("X1")])
    row = {"warning_id": "W:app_push:X1:-", "ts": T0, "person_id": None, "channel": "app_push",
           "source_event_id": "X1", "reason": "r", "priority": 0.0}  # fmt: skip
    table = pa.Table.from_pylist([row, row], schema=WARNING_SCHEMA)
    with api.service.db.writing() as conn:
        assert store_warnings(conn, table, {}) == 1
    with api.service.db.writing() as conn:
        assert store_warnings(conn, table, {}) == 0
    assert count(api, warnings) == 1 and count(api, warning_tasks) == 1
