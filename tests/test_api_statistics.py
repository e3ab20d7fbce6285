"""`GET /v1/statistics`: reports, cases, losses and decisions by fraud type, region, channel
and local day, for the police and the operator only."""

from __future__ import annotations

from typing import Any

import pytest
from service_api import CALLERS, T0, Api
from stored_rows import call, case_file, decision, person, report, sms, store, transfer

from fraudwall.model import DAY_MS, HOUR_MS, Action, Channel, FraudType, Gateway
from fraudwall.platform.statistics import local_day

ALLOWED = ("analyst", "analyst2", "supervisor", "admin")
SPAN = {"from": T0 - 2 * DAY_MS, "to": T0 + 3 * DAY_MS}


def fill(api: Api, *, with_people: bool = False) -> None:
    reports = [
        report("RA", "P1", ["TA"], 300_000, T0, FraudType.REBATE),
        report("RB", "P2", ["TB"], 100_000, T0 - 5 * HOUR_MS, FraudType.REBATE),
        report("RC", "P3", ["TC"], 1_000_000, T0 + DAY_MS, FraudType.INVESTMENT),
        report("RD", "P4", [], 50_000, T0, None),
        report("RE", "P1", [], 70_000, T0 - 40 * DAY_MS, FraudType.LOAN),  # outside the span
    ]
    events = [
        transfer("t1", "A1", "B1", 100_00, channel=Channel.MOBILE),
        transfer("t2", "A1", "B2", 200_00, channel=Channel.MOBILE),
        transfer("t3", "A2", "B1", 300_00, channel=Channel.ONLINE),
        call("c1", "+85512345678", "+8613800000001", gateway=Gateway.INTERNATIONAL),
        sms("s1", "+8613800000002", "+8613800000001"),
    ]
    actions = [Action.BLOCK, Action.ALLOW, Action.WARN, Action.BLOCK, Action.ALLOW]
    people = [person("P1", "深圳"), person("P2", "深圳"), person("P3", "北京")]
    store(
        api,
        events=events,
        decisions=[decision(e, a) for e, a in zip(events, actions, strict=True)],
        reports=reports,
        cases=[case_file("CA", reports[0]), case_file("CC", reports[2])],
        people=people if with_people else (),
    )


def stats(api: Api, caller: str = "analyst", **params: Any) -> dict[str, Any]:
    r = api.client.get("/v1/statistics", params=params, headers=api.as_(caller))
    assert r.status_code == 200, r.text
    return r.json()


def table(answer: dict[str, Any], *fields: str) -> dict[str, tuple[Any, ...]]:
    return {row["key"]: tuple(row[f] for f in fields) for row in answer["rows"]}


COUNTS = ("reports", "reported_loss_fen", "cases", "case_loss_fen")


def test_by_fraud_type_counts_reports_cases_and_losses(service_api: Api) -> None:
    fill(service_api)
    answer = stats(service_api, by="fraud_type", **SPAN)
    assert [r["key"] for r in answer["rows"]] == ["rebate", "investment", "unknown"]
    assert table(answer, *COUNTS, "label") == {
        "rebate": (2, 400_000, 1, 300_000, "刷单返利"),
        "investment": (1, 1_000_000, 1, 1_000_000, "虚假投资理财"),
        "unknown": (1, 50_000, 0, 0, "未知"),
    }
    total = answer["total"]
    assert tuple(total[f] for f in COUNTS) == (4, 1_450_000, 2, 1_300_000)
    assert (answer["from_ts"], answer["to_ts"]) == (SPAN["from"], SPAN["to"])


def test_by_region_says_when_the_registry_holds_no_people(service_api: Api) -> None:
    fill(service_api)
    answer = stats(service_api, by="region", **SPAN)
    assert table(answer, *COUNTS) == {"unknown": (4, 1_450_000, 2, 1_300_000)}
    assert len(answer["notes"]) == 1 and "holds no people" in answer["notes"][0]


def test_by_region_counts_by_the_victims_region(service_api: Api) -> None:
    fill(service_api, with_people=True)
    answer = stats(service_api, by="region", **SPAN)
    assert table(answer, *COUNTS) == {
        "深圳": (2, 400_000, 1, 300_000),
        "北京": (1, 1_000_000, 1, 1_000_000),
        "unknown": (1, 50_000, 0, 0),
    }
    assert answer["notes"] == [
        "1 reports and 0 cases name people the registry does not hold: they count under 'unknown'"
    ]


def test_by_channel_counts_decisions_by_action(service_api: Api) -> None:
    fill(service_api)
    answer = stats(service_api, by="channel", **SPAN)
    assert table(answer, "decisions") == {
        "call:international": ({"block": 1},),
        "sms:domestic": ({"allow": 1},),
        "transfer:mobile": ({"allow": 1, "block": 1},),
        "transfer:online": ({"warn": 1},),
    }
    assert answer["total"]["decisions"] == {"allow": 2, "block": 2, "warn": 1}


def test_by_day_uses_the_local_calendar_day(service_api: Api) -> None:
    fill(service_api)
    answer = stats(service_api, by="day", **SPAN)
    days = table(answer, "reports", "reported_loss_fen", "cases", "decisions")
    # T0 is 20:26 UTC on 28 May, 04:26 on 29 May in China; RB, 5 h earlier, is on the 28th
    assert list(days) == [
        "2026-05-27",
        "2026-05-28",
        "2026-05-29",
        "2026-05-30",
        "2026-05-31",
        "2026-06-01",
    ]
    assert days["2026-05-28"] == (1, 100_000, 0, {})
    assert days["2026-05-29"] == (2, 350_000, 1, {"allow": 2, "block": 2, "warn": 1})
    assert days["2026-05-30"] == (1, 1_000_000, 1, {})
    assert days["2026-05-27"] == (0, 0, 0, {})
    assert local_day(T0) == "2026-05-29" and local_day(T0 - 5 * HOUR_MS) == "2026-05-28"


def test_the_default_span_is_the_30_days_up_to_now(service_api: Api) -> None:
    fill(service_api)
    service_api.clock.advance(2 * DAY_MS)
    answer = stats(service_api, "admin")
    assert answer["to_ts"] == T0 + 2 * DAY_MS
    assert answer["from_ts"] == T0 + 2 * DAY_MS - 30 * DAY_MS
    assert answer["by"] == "fraud_type"
    assert answer["total"]["reports"] == 4  # RE, 40 days back, is outside


@pytest.mark.parametrize("caller", ALLOWED)
def test_police_and_the_operator_may_read_statistics(service_api: Api, caller: str) -> None:
    fill(service_api)
    assert stats(service_api, caller, by="fraud_type", **SPAN)["total"]["reports"] == 4


@pytest.mark.parametrize("caller", [c for c in CALLERS if c not in ALLOWED])
def test_everyone_else_is_403_naming_the_roles(service_api: Api, caller: str) -> None:
    r = service_api.client.get("/v1/statistics", headers=service_api.as_(caller))
    assert r.status_code == 403
    problem = r.json()["error"]["problem"]
    assert "needs the role police_analyst or police_supervisor or admin" in problem


@pytest.mark.parametrize(
    ("params", "where", "problem"),
    [
        ({"from": T0, "to": T0}, "to", "is not after from"),
        ({"by": "day", "from": T0 - 400 * DAY_MS, "to": T0}, "from", "at most 366 days"),
        ({"by": "weather"}, "query.by", ""),
        ({"from": -1}, "query.from", ""),
        ({"to": 10**20}, "query.to", ""),
    ],
)
def test_a_bad_question_is_422_naming_the_parameter(
    service_api: Api, params: dict[str, Any], where: str, problem: str
) -> None:
    r = service_api.client.get("/v1/statistics", params=params, headers=service_api.as_("analyst"))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["where"] == where
    assert problem in r.json()["error"]["problem"]
