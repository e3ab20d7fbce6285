"""Reports, cases, traces, fund-flow tables and case groups over HTTP, for every role."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from funds_api import C1, C2, OPENING, R1, R2, audit_actions, ingest, report, setup_world, transfer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from service_api import CALLERS, T0, Api, H

POLICE = ("analyst", "supervisor")
NOT_POLICE = [c for c in CALLERS if c not in ("analyst", "supervisor", "analyst2")]


# --- reports ------------------------------------------------------------------------------
def test_a_report_is_filed_once_and_a_repeat_gets_the_first_answer(service_api: Api) -> None:
    api = service_api
    first = api.client.post("/v1/reports", headers=api.as_("analyst"), json=R1)
    assert first.status_code == 201
    body = first.json()
    assert body["status"] == "filed" and body["filed_by"] == "police-sz"
    assert body["institution_id"] == "PS1"  # the caller's institution
    again = api.client.post("/v1/reports", headers=api.as_("analyst"), json=R1)
    assert again.status_code == 200
    assert again.json() == body
    changed = api.client.post(
        "/v1/reports", headers=api.as_("analyst"), json={**R1, "loss_fen": 1, "narrative": "x"}
    )
    assert changed.status_code == 409
    problem = changed.json()["error"]["problem"]
    assert "loss_fen" in problem and "narrative" in problem and "ts" not in problem
    listed = api.client.get("/v1/reports", headers=api.as_("analyst")).json()
    assert [r["event_id"] for r in listed] == ["R1"]


def test_another_agency_cannot_reuse_a_report_id_nor_learn_its_content(service_api: Api) -> None:
    api = service_api
    assert api.client.post("/v1/reports", headers=api.as_("analyst"), json=R1).status_code == 201
    r = api.client.post("/v1/reports", headers=api.as_("public"), json=R1)
    assert r.status_code == 409
    assert "another agency" in r.json()["error"]["problem"]
    assert "P1" not in r.text


def test_the_public_app_sees_only_its_own_reports(service_api: Api) -> None:
    api = service_api
    assert api.client.post("/v1/reports", headers=api.as_("analyst"), json=R1).status_code == 201
    mine = report("APP-1", "P2", ["T3"], 300_000)
    r = api.client.post("/v1/reports", headers=api.as_("public"), json=mine)
    assert r.status_code == 201
    assert r.json()["institution_id"] == "public-app"
    assert api.client.get("/v1/reports/APP-1", headers=api.as_("public")).status_code == 200
    hidden = api.client.get("/v1/reports/R1", headers=api.as_("public"))
    assert hidden.status_code == 404
    listed = api.client.get("/v1/reports", headers=api.as_("public")).json()
    assert [x["event_id"] for x in listed] == ["APP-1"]
    # the police see every report, and their own with ?mine
    everything = api.client.get("/v1/reports", headers=api.as_("supervisor")).json()
    assert {x["event_id"] for x in everything} == {"R1", "APP-1"}
    own = api.client.get("/v1/reports?mine=true", headers=api.as_("supervisor")).json()
    assert [x["event_id"] for x in own] == ["R1"]
    assert api.client.get("/v1/reports/APP-1", headers=api.as_("analyst")).status_code == 200


def test_bad_reports_are_refused_naming_the_field(service_api: Api) -> None:
    api = service_api
    future = api.client.post("/v1/reports", headers=api.as_("analyst"), json={**R1, "ts": T0 + H})
    assert future.status_code == 422 and future.json()["error"]["where"] == "ts"
    empty = api.client.post(
        "/v1/reports", headers=api.as_("analyst"), json={**R1, "transfer_ids": []}
    )
    assert empty.status_code == 422 and "transfer_ids" in empty.json()["error"]["where"]
    negative = api.client.post(
        "/v1/reports", headers=api.as_("public"), json={**R1, "loss_fen": -5}
    )
    assert negative.status_code == 422 and "loss_fen" in negative.json()["error"]["where"]
    someone_else = api.client.post(
        "/v1/reports", headers=api.as_("public"), json={**R1, "institution_id": "PS1"}
    )
    assert someone_else.status_code == 422
    assert someone_else.json()["error"]["where"] == "institution_id"


@pytest.mark.parametrize("caller", ["bank_a", "pay", "telco_a", "admin"])
def test_only_police_and_the_public_app_file_or_read_reports(service_api: Api, caller: str) -> None:
    api = service_api
    for r in (
        api.client.post("/v1/reports", headers=api.as_(caller), json=R1),
        api.client.get("/v1/reports", headers=api.as_(caller)),
        api.client.get("/v1/reports/R1", headers=api.as_(caller)),
    ):
        assert r.status_code == 403
        assert "police_analyst or police_supervisor or public_app" in r.json()["error"]["problem"]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    losses=st.lists(st.integers(0, 10**9), min_size=1, max_size=4),
    repeats=st.lists(st.integers(0, 3), max_size=8),
)
def test_any_sequence_of_filings_and_repeats_stores_each_report_once(
    service_api: Api, losses: list[int], repeats: list[int]
) -> None:
    api = service_api
    with api.service.db.reading() as conn:
        import sqlalchemy as sa

        from fraudwall.platform.schema import reports

        start = conn.execute(sa.select(sa.func.count()).select_from(reports)).scalar_one()
    tag = f"H{start}"
    bodies = [report(f"{tag}-{i}", "P1", ["T1"], loss) for i, loss in enumerate(losses)]
    answers = {}
    for b in bodies:
        r = api.client.post("/v1/reports", headers=api.as_("analyst"), json=b)
        assert r.status_code == 201
        answers[b["event_id"]] = r.json()
    for i in repeats:
        b = bodies[i % len(bodies)]
        r = api.client.post("/v1/reports", headers=api.as_("analyst"), json=b)
        assert r.status_code == 200 and r.json() == answers[b["event_id"]]
    with api.service.db.reading() as conn:
        now = conn.execute(sa.select(sa.func.count()).select_from(reports)).scalar_one()
    assert now == start + len(bodies)


# --- cases ----------------------------------------------------------------------------------
def test_reports_become_cases_linked_by_the_mule_account(service_api: Api) -> None:
    api = service_api
    setup_world(api)
    cases = api.client.get("/v1/cases", headers=api.as_("analyst")).json()
    assert [(c["case_id"], c["group_id"]) for c in cases] == [(C1, C1), (C2, C1)]
    assert cases[0]["victim_accounts"] == ["V1"] and cases[0]["paid_fen"] == 500_000
    detail = api.client.get(f"/v1/cases/{C2}", headers=api.as_("supervisor")).json()
    assert "account:A1" in detail["links"] and detail["orders"] == []
    filed = api.client.get("/v1/reports/R1", headers=api.as_("analyst")).json()
    assert filed["status"] == "case" and filed["case_id"] == C1
    # opening again changes nothing: the reports are cases already
    again = api.client.post("/v1/cases", headers=api.as_("analyst"), json={"report_ids": ["R1"]})
    assert again.json() == {"opened": [], "refused": [], "regrouped": [], "skipped": ["R1"]}
    assert "cases.open" in audit_actions(api, C1)


def test_a_refused_report_keeps_its_reason_and_opens_once_its_payment_arrives(
    service_api: Api,
) -> None:
    api = service_api
    setup_world(api)
    late = report("R3", "P3", ["T9"], 200_000)
    assert api.client.post("/v1/reports", headers=api.as_("public"), json=late).status_code == 201
    r = api.client.post("/v1/cases", headers=api.as_("analyst"), json={}).json()
    assert r["opened"] == [] and r["refused"][0]["report_id"] == "R3"
    assert "no transfer 'T9' in the ledger" in r["refused"][0]["reason"]
    seen = api.client.get("/v1/reports/R3", headers=api.as_("public")).json()
    assert seen["status"] == "refused" and "T9" in seen["refused"]
    ingest(api, [transfer("T9", T0 - 2 * H, "V3", "B2", 200_000, "B01")])
    r = api.client.post("/v1/cases", headers=api.as_("analyst"), json={}).json()
    assert [c["case_id"] for c in r["opened"]] == ["CASE-R3"] and r["refused"] == []
    assert api.client.get("/v1/reports/R3", headers=api.as_("public")).json()["status"] == "case"


def test_a_report_paid_from_someone_elses_account_is_refused(service_api: Api) -> None:
    api = service_api
    setup_world(api, open_cases=False)
    wrong = report("R4", "P3", ["T1"], 500_000)  # T1 left P1's account
    api.client.post("/v1/reports", headers=api.as_("analyst"), json=wrong)
    r = api.client.post("/v1/cases", headers=api.as_("analyst"), json={"report_ids": ["R4"]})
    assert "not P3's" in r.json()["refused"][0]["reason"]
    missing = api.client.post("/v1/cases", headers=api.as_("analyst"), json={"report_ids": ["NO"]})
    assert missing.status_code == 404 and missing.json()["error"]["where"] == "report_ids"


def test_a_later_case_joins_the_group_of_an_earlier_one(service_api: Api) -> None:
    api = service_api
    setup_world(api, open_cases=False)
    r = api.client.post("/v1/cases", headers=api.as_("analyst"), json={"report_ids": ["R2"]})
    assert r.json()["opened"][0]["group_id"] == C2
    r = api.client.post("/v1/cases", headers=api.as_("analyst"), json={"report_ids": ["R1"]})
    body = r.json()
    assert body["opened"][0]["case_id"] == C1  # R1 was reported first: its case names the group
    assert body["regrouped"] == [{"case_id": C2, "group_id": C1, "was_group_id": C2}]
    assert "cases.regroup" in audit_actions(api, C2)


def test_unknown_cases_and_groups_are_not_found(service_api: Api) -> None:
    api = service_api
    for path in (
        "/v1/cases/NOPE",
        "/v1/cases/NOPE/trace",
        "/v1/cases/NOPE/flow",
        "/v1/case-groups/NOPE",
    ):
        r = api.client.get(path, headers=api.as_("analyst"))
        assert r.status_code == 404, path


# --- trace and fund-flow table --------------------------------------------------------------
def test_the_trace_says_where_each_victims_money_is_in_fen(service_api: Api) -> None:
    api = service_api
    setup_world(api)
    t = api.client.get(f"/v1/cases/{C1}/trace?group=true", headers=api.as_("analyst")).json()
    assert t["rule"] == "lifo" and t["cases"] == [C1, C2] and t["group"] is True
    held = {a["account_id"]: a["held_by_victim"] for a in t["accounts"]}
    assert held["A1"] == {C1: 100_000, C2: 300_000}
    assert held["B1"] == {C1: 300_000}
    a1 = next(a for a in t["accounts"] if a["account_id"] == "A1")
    assert a1["institution_id"] == "B01" and a1["balance_fen"] == OPENING + 400_000
    assert t["sinks"] == [
        {
            "account_id": "CASH",
            "sink_kind": "cash",
            "fen": 100_000,
            "transfers": 1,
            "by_victim": {C1: 100_000},
        }
    ]
    for v in t["victims"]:  # every fen is somewhere: held or gone
        assert v["held_fen"] + v["exited_fen"] == v["paid_fen"]
    one = api.client.get(f"/v1/cases/{C2}/trace", headers=api.as_("analyst")).json()
    assert one["cases"] == [C2] and [v["victim"] for v in one["victims"]] == [C2]
    libr = api.client.get(f"/v1/cases/{C1}/trace?rule=libr", headers=api.as_("analyst")).json()
    libr_held = {a["account_id"]: a["held_fen"] for a in libr["accounts"]}
    assert libr_held["A1"] == 500_000 and libr_held.get("B1", 0) == 0  # own money goes first


def test_trace_parameters_are_checked(service_api: Api) -> None:
    api = service_api
    setup_world(api)
    for query in ("hops=0", "rule=magic", "window_days=0", "hops=51"):
        r = api.client.get(f"/v1/cases/{C1}/trace?{query}", headers=api.as_("analyst"))
        assert r.status_code == 422, query
        assert query.split("=")[0] in r.json()["error"]["where"]


def test_the_fund_flow_table_as_json_csv_and_xlsx(service_api: Api) -> None:
    api = service_api
    setup_world(api)
    js = api.client.get(f"/v1/cases/{C1}/flow", headers=api.as_("analyst"))
    assert js.status_code == 200 and js.headers["content-type"] == "application/json"
    flow = js.json()
    assert [h["event_id"] for h in flow["hops"]] == ["T1", "T2", "T4"]
    assert flow["hops"][0]["victim_yuan"] == "5000.00"
    assert {e["to"] for e in flow["edges"]} == {"A1", "B1", "CASH"}
    r = api.client.get(f"/v1/cases/{C1}/flow?format=csv", headers=api.as_("analyst"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == f'attachment; filename="{C1}-flow.csv"'
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["序号", "受害人", "层级"] and len(rows) == 4
    held = api.client.get(f"/v1/cases/{C1}/flow?format=csv&table=held", headers=api.as_("analyst"))
    assert "held.csv" in held.headers["content-disposition"]
    x = api.client.get(f"/v1/cases/{C1}/flow?format=xlsx&group=true", headers=api.as_("analyst"))
    assert x.status_code == 200
    assert x.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert x.headers["content-disposition"] == f'attachment; filename="{C1}-flow.xlsx"'
    with zipfile.ZipFile(io.BytesIO(x.content)) as book:
        sheets = book.read("xl/workbook.xml").decode()
        strings = book.read("xl/sharedStrings.xml").decode()
    assert all(name in sheets for name in ("资金流向", "资金沉淀", "资金出口"))
    assert "T3" in strings  # the group's table holds both victims' hops
    assert "cases.flow" in audit_actions(api, C1)


# --- case groups ----------------------------------------------------------------------------
def test_case_groups_show_what_links_their_cases(service_api: Api) -> None:
    api = service_api
    setup_world(api)
    groups = api.client.get("/v1/case-groups", headers=api.as_("analyst")).json()
    assert groups == [
        {
            "group_id": C1,
            "case_ids": [C1, C2],
            "victims": ["P1", "P2"],
            "paid_fen": 800_000,
            "loss_fen": 800_000,
            "linked_by": ["account"],
            "first_report_ts": T0 - H,
        }
    ]
    detail = api.client.get(f"/v1/case-groups/{C1}", headers=api.as_("supervisor")).json()
    assert detail["shared"] == {"account:A1": [C1, C2]}
    assert [c["case_id"] for c in detail["cases"]] == [C1, C2]


# --- roles ----------------------------------------------------------------------------------
CASE_ROUTES = [
    ("post", "/v1/cases", {}),
    ("get", "/v1/cases", None),
    ("get", f"/v1/cases/{C1}", None),
    ("get", f"/v1/cases/{C1}/trace", None),
    ("get", f"/v1/cases/{C1}/flow?format=csv", None),
    ("get", "/v1/case-groups", None),
    ("get", f"/v1/case-groups/{C1}", None),
]


@pytest.mark.parametrize("caller", NOT_POLICE)
def test_banks_telcos_the_public_and_the_operator_see_no_case(
    service_api: Api, caller: str
) -> None:
    api = service_api
    setup_world(api)
    for method, path, body in CASE_ROUTES:
        r = api.client.request(method, path, headers=api.as_(caller), json=body)
        assert r.status_code == 403, (caller, path)
        assert "police_analyst or police_supervisor" in r.json()["error"]["problem"]
        assert "P1" not in r.text


@pytest.mark.parametrize("caller", POLICE)
def test_both_police_roles_use_every_case_route(service_api: Api, caller: str) -> None:
    api = service_api
    setup_world(api)
    for method, path, body in CASE_ROUTES:
        r = api.client.request(method, path, headers=api.as_(caller), json=body)
        assert r.status_code == 200, (caller, path, r.text)


def test_reading_a_case_is_audited_with_who_read_it(service_api: Api) -> None:
    api = service_api
    setup_world(api)
    api.client.get(f"/v1/cases/{C1}", headers=api.as_("supervisor"))
    api.client.get(f"/v1/cases/{C1}/trace", headers=api.as_("analyst"))
    assert audit_actions(api, C1)[-2:] == ["cases.read", "cases.trace"]
    with api.service.db.reading() as conn:
        from fraudwall.platform.audit import verify_audit

        assert verify_audit(conn).ok
    assert R2["event_id"] == "R2"


def test_cases_stored_without_their_links_keep_their_group(service_api: Api) -> None:
    """Cases written straight into the store (as the demo loads a world's) have no links
    stored: opening the next case finds theirs again rather than splitting their group."""
    import sqlalchemy as sa

    from fraudwall.platform.schema import case_links

    api = service_api
    setup_world(api)
    with api.service.db.writing() as conn:
        conn.execute(sa.delete(case_links))
    ingest(api, [transfer("T5", T0 - 3 * H, "V3", "A1", 100_000, "B01")])
    api.client.post("/v1/reports", headers=api.as_("analyst"), json=report("R3", "P3", ["T5"], 1))
    r = api.client.post("/v1/cases", headers=api.as_("analyst"), json={}).json()
    assert r["opened"][0]["group_id"] == C1 and r["regrouped"] == []
    detail = api.client.get(f"/v1/case-groups/{C1}", headers=api.as_("analyst")).json()
    assert detail["shared"] == {"account:A1": [C1, C2, "CASE-R3"]}


def test_published_gangs_group_the_cases_they_name(service_api: Api) -> None:
    """Once gangs are published, the cases they name take their gang as group (with the
    evidence linking them), also for a case opened later; the others keep their own links."""
    import pyarrow as pa

    from fraudwall.platform.cases import regroup_cases
    from fraudwall.platform.intelfindings import publish_gangs

    api = service_api
    setup_world(api)  # R1 and R2 paid the same mule account: one group of their own
    gangs = pa.table({"gang_id": ["G1", "G2"], "loss_fen": [500_000, 300_000]})
    members = pa.table({"gang_id": ["G1"], "entity_kind": ["device"], "entity_id": ["D9"]})
    found = pa.table(
        {
            "gang_id": ["G1", "G2", "G1"],
            "case_id": ["R1", "R2", "R3"],
            "evidence": [{"shared": ["device:D9"]}, {"payees": ["account:A1"]},
                         {"shared": ["device:D9"]}],
        }
    )  # fmt: skip
    with api.service.db.writing() as conn:
        publish_gangs(conn, gangs, members, found, T0)
        moved = regroup_cases(conn)
    assert sorted((c.case_id, c.group_id, was) for c, was in moved) == [
        (C1, "G1", C1),
        (C2, "G2", C1),
    ]
    groups = api.client.get("/v1/case-groups", headers=api.as_("analyst")).json()
    assert [(g["group_id"], g["case_ids"]) for g in groups] == [("G1", [C1]), ("G2", [C2])]
    detail = api.client.get("/v1/case-groups/G1", headers=api.as_("analyst")).json()
    assert detail["shared"] == {"device:D9": [C1]} and detail["linked_by"] == ["device"]
    ingest(api, [transfer("T5", T0 - 3 * H, "V3", "A1", 100_000, "B01")])
    api.client.post("/v1/reports", headers=api.as_("analyst"), json=report("R3", "P3", ["T5"], 1))
    r = api.client.post("/v1/cases", headers=api.as_("analyst"), json={}).json()
    assert r["opened"][0]["group_id"] == "G1"
    detail = api.client.get("/v1/case-groups/G1", headers=api.as_("analyst")).json()
    assert detail["shared"] == {"device:D9": [C1, "CASE-R3"]}
