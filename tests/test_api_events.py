"""Streaming events in: each record checked on its own, each event taken once, the good
ones decided, stored and absorbed in time order; reading them back, scoped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa
from event_records import (
    MIN,
    NDJSON,
    ONE_OF_EACH,
    T0,
    audit_actions,
    count,
    login,
    post,
    stored,
    transfer,
    watermark,
)
from service_api import CALLERS, Api, account, start_api

from fraudwall.model import Transfer, arrow_schema
from fraudwall.platform import FixedClock, ServeSettings
from fraudwall.platform.db import DatabaseUnavailable
from fraudwall.platform.registry import put_records
from fraudwall.platform.schema import decisions, events


def test_one_json_transfer_is_decided_stored_and_read_back(service_api: Api) -> None:
    api = service_api
    r = api.client.post("/v1/events/transfers", json=transfer("E1"), headers=api.as_("bank_a"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["accepted"], body["repeats"], body["rejected"]) == (1, 0, [])
    (decision,) = body["decisions"]
    assert decision["event_id"] == "E1" and decision["kind"] == "transfer"
    assert decision["action"] in ("allow", "warn", "delay", "hold", "block")
    event = api.client.get("/v1/events/E1", headers=api.as_("bank_a")).json()
    assert event["record"] == {**transfer("E1"), "device_id": None, "ip": None, "memo": None}
    assert (event["status"], event["outcome"], event["outcome_source"]) == (
        "accepted", "executed", "recorded",
    )  # fmt: skip
    read = api.client.get("/v1/decisions/E1", headers=api.as_("bank_a")).json()
    assert read == decision
    assert "events.ingest" in audit_actions(api)


def test_a_batch_accepts_the_good_and_names_each_bad_line_and_field(service_api: Api) -> None:
    api = service_api
    lines = [
        transfer("G1"),
        {**transfer("B1"), "amount_fen": -5},  # line 2
        {k: v for k, v in transfer("B2").items() if k != "to_account"},  # line 3
        {**transfer("B3"), "ts": T0 // 1000},  # line 4: seconds
        {**transfer("B4"), "colour": "red"},  # line 5
        transfer("G2", ts=T0 + 1),
    ]
    body = "\n".join(json.dumps(x) for x in lines[:5]) + "\n{not json\n"
    body += json.dumps(lines[5]) + "\n\n"
    r = api.client.post(
        "/v1/events/transfers", content=body, headers={**api.as_("bank_a"), **NDJSON}
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["accepted"] == 2
    assert [d["event_id"] for d in out["decisions"]] == ["G1", "G2"]
    rejected = {x["line"]: x for x in out["rejected"]}
    assert sorted(rejected) == [2, 3, 4, 5, 6]
    assert (rejected[2]["where"], rejected[2]["event_id"]) == ("amount_fen", "B1")
    assert rejected[2]["problem"] == "must be > 0, got -5"
    assert (rejected[3]["where"], rejected[3]["problem"]) == (
        "to_account",
        "missing required field",
    )
    assert rejected[4]["where"] == "ts" and "looks like seconds" in rejected[4]["problem"]
    assert (rejected[5]["where"], rejected[5]["problem"]) == ("colour", "unknown field")
    assert rejected[6]["where"] == "record" and "not valid JSON" in rejected[6]["problem"]
    assert count(api, events) == 2


def test_a_batch_of_only_bad_records_is_422_with_each_reason(service_api: Api) -> None:
    api = service_api
    r = post(api, "transfers", [{**transfer("B1"), "channel": "pigeon"}, {"event_id": "B2"}])
    assert r.status_code == 422
    out = r.json()
    assert out["error"]["where"] == "line 1: channel"
    assert "must be one of" in out["error"]["problem"]
    assert [x["line"] for x in out["rejected"]] == [1, 2]
    assert (out["accepted"], out["decisions"]) == (0, [])
    assert count(api, events) == 0


def test_an_arrow_stream_is_checked_column_by_column(service_api: Api) -> None:
    api = service_api
    rows = [transfer("A-1"), {**transfer("A-2"), "amount_fen": 0}, transfer("A-3", ts=T0 + 5)]
    full = [{**r, "device_id": None, "ip": None, "memo": None} for r in rows]
    table = pa.Table.from_pylist(full, schema=arrow_schema(Transfer).remove_metadata())
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    headers = {**api.as_("bank_a"), "Content-Type": "application/vnd.apache.arrow.stream"}
    r = api.client.post(
        "/v1/events/transfers", content=sink.getvalue().to_pybytes(), headers=headers
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["accepted"] == 2
    assert out["rejected"] == [
        {"line": 2, "event_id": "A-2", "where": "amount_fen", "problem": "must be > 0, got 0"}
    ]
    bad = api.client.post("/v1/events/transfers", content=b"not arrow", headers=headers)
    assert bad.status_code == 422 and bad.json()["error"]["where"] == "body"


def test_a_repeat_returns_the_first_decision_and_changes_nothing(service_api: Api) -> None:
    api = service_api
    first = post(api, "transfers", [transfer("R1"), transfer("R2", ts=T0 + 1)]).json()
    before, entries = stored(api), len(audit_actions(api))
    again = post(api, "transfers", [transfer("R2", ts=T0 + 1), transfer("R1")])
    assert again.status_code == 200
    out = again.json()
    assert (out["accepted"], out["repeats"], out["rejected"]) == (0, 2, [])
    by_id = {d["event_id"]: d for d in first["decisions"]}
    assert out["decisions"] == [by_id["R2"], by_id["R1"]]
    assert stored(api) == before
    assert len(audit_actions(api)) == entries


def test_a_repeat_with_other_content_is_refused_naming_what_differs(service_api: Api) -> None:
    api = service_api
    post(api, "transfers", [transfer("C1")])
    r = post(api, "transfers", [transfer("C1", fen=99_999, dst="B2")])
    assert r.status_code == 422
    (refused,) = r.json()["rejected"]
    assert refused["where"] == "event_id"
    assert (
        "already accepted with other content (differs in: to_account, amount_fen)"
        in (refused["problem"])
    )
    kinds = api.client.post(
        "/v1/events/logins",
        json=login("C1"),
        headers=api.as_("bank_a"),
    ).json()
    assert "it was a transfers event" in kinds["rejected"][0]["problem"]


def test_repeats_within_a_batch(service_api: Api) -> None:
    api = service_api
    r = post(
        api,
        "transfers",
        [transfer("W1"), transfer("W1"), transfer("W2", fen=5), transfer("W2", fen=6)],
    )
    out = r.json()
    assert (out["accepted"], out["repeats"]) == (2, 1)
    assert [d["event_id"] for d in out["decisions"]] == ["W1", "W1", "W2"]
    (refused,) = out["rejected"]
    assert refused["line"] == 4
    assert refused["problem"] == "conflicts with line 3 of this batch (amount_fen differs)"
    # the first record of an id is the earliest (then the first line), as model.find_repeats
    out = post(api, "transfers", [transfer("W3", ts=T0), transfer("W3", ts=T0 - 1)]).json()
    assert out["accepted"] == 1 and out["decisions"][0]["ts"] == T0 - 1
    assert out["rejected"][0]["line"] == 1
    assert out["rejected"][0]["problem"] == "conflicts with line 2 of this batch (ts differs)"


def test_late_and_future_events_are_refused(service_api: Api) -> None:
    api = service_api
    post(api, "transfers", [transfer("N1", ts=T0 - 30 * MIN), transfer("N2", ts=T0)])
    assert watermark(api) == T0 - MIN
    out = post(
        api, "transfers", [transfer("L1", ts=T0 - MIN), transfer("L2", ts=T0 - MIN + 1)]
    ).json()
    assert out["accepted"] == 1  # L2 is within the reorder window
    (late,) = out["rejected"]
    assert (late["event_id"], late["where"]) == ("L1", "ts")
    assert "arrives after the engine absorbed up to" in late["problem"]
    assert "reorder window (60 s)" in late["problem"]
    ahead = post(api, "transfers", [transfer("F1", ts=T0 + 11 * MIN)]).json()
    assert "minutes ahead of the service's clock" in ahead["rejected"][0]["problem"]
    # a repeat of an absorbed event is still a repeat, not late
    assert post(api, "transfers", [transfer("N1", ts=T0 - 30 * MIN)]).json()["repeats"] == 1


def test_an_institution_streams_only_its_own_events(service_api: Api) -> None:
    api = service_api
    out = post(api, "transfers", [transfer("O1"), transfer("O2", institution="B02")]).json()
    assert out["accepted"] == 1
    (refused,) = out["rejected"]
    assert (refused["line"], refused["where"]) == (2, "institution_id")
    assert "'B02' is not your institution" in refused["problem"]
    out = post(api, "transfers", [transfer("O3", institution="B02")], caller="admin").json()
    assert out["accepted"] == 1


@pytest.mark.parametrize("kind", sorted(ONE_OF_EACH))
def test_each_kind_is_streamed_by_its_role_only(service_api: Api, kind: str) -> None:
    api = service_api
    make, sender = ONE_OF_EACH[kind]
    needs = "institution or admin" if sender == "bank_a" else "telco or admin"
    for n, caller in enumerate(CALLERS):
        institution = {"bank_a": "B01", "telco_a": "T01"}[sender] if caller != "admin" else "B02"
        r = post(api, kind, [make(f"K{n}", ts=T0 + n, institution=institution)], caller=caller)
        role = CALLERS[caller][3]
        if (
            role == "admin"
            or (role == "institution" and sender == "bank_a")
            or (role == "telco" and sender == "telco_a")
        ):
            assert r.status_code in (200, 422), (caller, r.text)
            if caller in (sender, "admin"):
                assert r.json()["accepted"] == 1
        else:
            assert r.status_code == 403, (caller, r.text)
            assert f"needs the role {needs}" in r.json()["error"]["problem"]


def test_reads_are_scoped_and_audited(service_api: Api) -> None:
    api = service_api
    post(api, "transfers", [transfer("S1")])
    for path in ("/v1/events/S1", "/v1/decisions/S1"):
        for caller in ("bank_a", "analyst", "supervisor", "admin"):
            assert api.client.get(path, headers=api.as_(caller)).status_code == 200
        for caller in ("bank_b", "pay", "telco_a", "telco_b"):
            r = api.client.get(path, headers=api.as_(caller))
            assert r.status_code == 404 and "S1" in r.json()["error"]["problem"]
        assert api.client.get(path, headers=api.as_("public")).status_code == 403
        assert (
            api.client.get(path.replace("S1", "nope"), headers=api.as_("admin")).status_code == 404
        )
    actions = audit_actions(api)
    assert actions.count("events.read") == 4 and actions.count("decisions.read") == 4
    post(api, "logins", [login("S2")])
    r = api.client.get("/v1/decisions/S2", headers=api.as_("bank_a"))
    assert r.status_code == 404 and "has no decision" in r.json()["error"]["problem"]


@pytest.fixture
def small_limits(tmp_path: Path) -> Iterator[Api]:
    settings = ServeSettings(
        data_dir=tmp_path / "data", snapshot_interval_s=0, max_batch_events=3, max_body_bytes=2_000
    )
    yield from start_api(settings, FixedClock(T0))


def test_limits_are_413_naming_the_limit(small_limits: Api) -> None:
    api = small_limits
    r = post(api, "transfers", [transfer(f"M{i}", ts=T0 + i) for i in range(4)])
    assert r.status_code == 413
    assert r.json()["error"]["problem"] == "4 events: a batch holds at most 3"
    big = post(api, "transfers", [transfer("M9", memo="x" * 3_000)])
    assert big.status_code == 413 and "at most 2000" in big.json()["error"]["problem"]
    assert count(api, events) == 0


def test_an_unknown_body_form_is_refused(service_api: Api) -> None:
    api = service_api
    headers = {**api.as_("bank_a"), "Content-Type": "text/csv"}
    r = api.client.post("/v1/events/transfers", content=b"a,b", headers=headers)
    assert r.status_code == 422 and r.json()["error"]["where"] == "Content-Type"
    r = api.client.post("/v1/events/transfers", json=[transfer("J1")], headers=api.as_("bank_a"))
    assert r.status_code == 422 and "expected an object" in r.json()["rejected"][0]["problem"]


def test_the_watermark_absorbs_events_in_time_order(service_api: Api) -> None:
    api = service_api
    post(api, "transfers", [transfer("T2", ts=T0 - 10 * MIN), transfer("T1", ts=T0 - 20 * MIN)])
    assert watermark(api) == T0 - 11 * MIN
    with api.service.db.reading() as conn:
        rows = {r.event_id: r for r in conn.execute(sa.select(events))}
    assert rows["T1"].absorbed_upto == T0 - 11 * MIN and rows["T1"].absorbed_ts == T0
    assert rows["T2"].absorbed_ts is None  # within the reorder window of the newest
    post(api, "transfers", [transfer("T3", ts=T0)])
    with api.service.db.reading() as conn:
        absorbed = dict(conn.execute(sa.select(events.c.event_id, events.c.absorbed_upto)).all())
    assert absorbed == {"T1": T0 - 11 * MIN, "T2": T0 - MIN, "T3": None}
    assert watermark(api) == T0 - MIN == api.service.host.watermark
    assert api.service.host.engine.state.clock == T0 - 10 * MIN


def test_the_engine_learns_the_registry_and_decides_unknown_accounts(service_api: Api) -> None:
    api = service_api
    state = api.service.host.engine.state
    assert post(api, "transfers", [transfer("U1", src="A1", dst="NEW-1")]).json()["accepted"] == 1
    ids = state.keys["accounts"].lookup(pa.array(["A1", "NEW-1"]), add=False)
    assert state.account_opened.get(ids).tolist() == [T0 - 400 * 24 * 3_600_000, -1]
    with api.service.db.writing() as conn:  # NEW-1 registered afterwards
        put_records(conn, "accounts", [account("NEW-1", "B02")])
    api.service.host.registry_changed()
    post(api, "transfers", [transfer("U2", ts=T0 + 1, src="A2", dst="NEW-1")])
    ids = state.keys["accounts"].lookup(pa.array(["NEW-1"]), add=False)
    assert state.account_opened.get(ids).tolist() == [T0 - 400 * 24 * 3_600_000]


def test_a_step_the_database_refuses_is_retried_whole(
    service_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = service_api
    from fraudwall.platform import enginehost

    post(api, "transfers", [transfer("P1", ts=T0 - 30 * MIN)])
    real = enginehost._store_step

    def refuse(*args: object, **kwargs: object) -> None:
        raise DatabaseUnavailable("db", "the database refused the request (disk full)")

    monkeypatch.setattr(enginehost, "_store_step", refuse)
    r = post(api, "transfers", [transfer("P2", ts=T0)])
    assert r.status_code == 503 and r.headers["Retry-After"] == "1"
    assert api.service.host.stale  # the engine absorbed P1, the database did not say so
    monkeypatch.setattr(enginehost, "_store_step", real)
    again = post(api, "transfers", [transfer("P2", ts=T0)]).json()
    assert again["accepted"] == 1
    assert not api.service.host.stale
    assert count(api, events) == 2 and count(api, decisions) == 2
    assert watermark(api) == T0 - MIN
    assert api.service.host.engine.state.clock == T0 - 30 * MIN
