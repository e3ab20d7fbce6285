"""The risk check, `GET /v1/risk/{kind}/{value}`: verdicts from what the engine and the cases
filled, the public's view, what one bank sees of another's account, the audit of account
reads, and that every lookup goes through an index."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import event_records as streamed
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from service_api import CALLERS, T0, Api
from stored_rows import (
    call,
    decision,
    install,
    order,
    report,
    sms,
    store,
    transfer,
    visit,
)

from fraudwall.common import lookupkeys
from fraudwall.errors import InputError
from fraudwall.model import DAY_MS, Action, OrderKind, OrderState
from fraudwall.platform import risk
from fraudwall.platform.risk import Evidence, RiskKind, RiskSources, Verdict
from fraudwall.platform.schema import (
    audit_log,
    event_lookups,
    events,
    metadata,
    report_transfers,
)

AGENCIES = [c for c in CALLERS if c != "public"]
FRAUD_NUMBER = "+8613800000003"
FRAUD_HOST = "pay-secure.example.com"


def get(api: Api, caller: str, kind: str, value: str) -> dict[str, Any]:
    r = api.client.get(f"/v1/risk/{kind}/{quote(value, safe='')}", headers=api.as_(caller))
    assert r.status_code == 200, r.text
    return r.json()


def whats(answer: dict[str, Any]) -> list[str]:
    return [e["what"] for e in answer["evidence"]]


def fill_world(api: Api) -> None:
    """A fraud number the engine blocked, a mule account at bank B paid by two reported
    victims and under a freeze, a phishing host and an app on victims' devices."""
    calls = [call(f"C{i}", FRAUD_NUMBER, "+8613900000001", T0 + i) for i in range(3)]
    texts = [sms("S1", FRAUD_NUMBER, "+8613900000002", T0 + 10)]
    paid = [
        transfer("TR1", "A1", "B1", 3_000_00, T0 + 2 * DAY_MS, device="D1", memo="private memo"),
        transfer("TR2", "A2", "B1", 2_000_00, T0 + 2 * DAY_MS + 5, device="D2"),
        transfer("TR3", "A3", "B1", 100_00, T0 + 2 * DAY_MS + 9),  # decided, never reported
    ]
    visits = [
        visit("V1", "D1", f"https://{FRAUD_HOST}/login", FRAUD_HOST.upper(), T0 + DAY_MS),
        visit("V2", "D2", f"https://{FRAUD_HOST}/pay", FRAUD_HOST, T0 + DAY_MS),
        visit("V3", "D9", f"https://{FRAUD_HOST}/", FRAUD_HOST, T0 + DAY_MS),
        visit("V4", "D1", "https://www.taobao.com/", "www.taobao.com", T0 + DAY_MS),
    ] + [visit(f"W{i}", f"E{i}", "https://www.taobao.com/", "www.taobao.com") for i in range(20)]
    installs = [install("I1", "D1", "com.dianzan.zhuan", T0 + DAY_MS)]
    store(
        api,
        events=[*calls, *texts, *paid, *visits, *installs],
        decisions=[
            decision(calls[0], Action.BLOCK),
            decision(calls[1], Action.BLOCK),
            decision(calls[2], Action.WARN),
            decision(texts[0], Action.ALLOW),
            decision(paid[2], Action.HOLD),
        ],
        reports=[
            report("R1", "P1", ["TR1"], 3_000_00, T0 + 3 * DAY_MS),
            report("R2", "P2", ["TR2"], 2_000_00, T0 + 3 * DAY_MS),
        ],
        orders=[order("FZ1", "B1", "B02", OrderKind.FREEZE, OrderState.EXECUTED, T0 + 4 * DAY_MS)],
    )


# --- verdicts ------------------------------------------------------------------------------
def test_a_number_the_engine_blocked_is_high_with_its_decisions(service_api: Api) -> None:
    fill_world(service_api)
    answer = get(service_api, "analyst", "number", "138-0000-0003")
    assert answer["value"] == FRAUD_NUMBER
    assert answer["verdict"] == "high"
    assert sorted(whats(answer)) == [
        "1 SMS from this number decided allow",
        "1 call from this number decided warn",
        "2 calls from this number decided block",
    ]
    block = next(e for e in answer["evidence"] if "block" in e["what"])
    assert (block["count"], block["first_ts"], block["last_ts"]) == (2, T0, T0 + 1)
    assert block["source"] == "engine decisions" and block["severity"] == "high"
    assert answer["evidence"][0] == block  # the most severe first
    assert "engine decisions" in answer["sources"]
    assert "110" in answer["advice"]["zh"] and "high risk" in answer["advice"]["en"]


def test_calls_streamed_in_are_found_by_the_next_risk_check(service_api: Api) -> None:
    """The event lookups trail ingest (a thread fills them): the risk check brings them up
    to every event acknowledged before it, so a call just streamed in is found."""
    api = service_api
    api.service.lookups.stop()  # no thread: only the check itself fills them now
    sent = [streamed.call(f"C{i}", T0 - (10 - i) * streamed.MIN) for i in range(3)]
    assert streamed.post(api, "calls", sent, caller="telco_a").status_code == 200
    assert streamed.count(api, event_lookups) < streamed.count(api, events)
    answer = get(api, "telco_a", "number", sent[0]["caller"])
    assert sum(e["count"] for e in answer["evidence"] if e["source"] == "engine decisions") == 3
    assert streamed.count(api, event_lookups) == streamed.count(api, events)


def test_a_number_nobody_knows_is_unknown_with_no_evidence(service_api: Api) -> None:
    fill_world(service_api)
    answer = get(service_api, "bank_a", "number", "+86 139 0000 0003")
    assert answer["value"] == "+8613900000003"
    assert answer["verdict"] == "unknown"
    assert answer["evidence"] == []
    assert answer["sources"] == ["engine decisions", "risk-lists"]
    assert "Nothing is known" in answer["advice"]["en"]


def test_a_number_with_only_allows_is_low(service_api: Api) -> None:
    texts = [sms("S9", "+8613800000002", "+8613900000002")]
    store(service_api, events=texts, decisions=[decision(texts[0], Action.ALLOW)])
    assert get(service_api, "telco_b", "number", "13800000002")["verdict"] == "low"


def test_an_account_paid_by_reported_victims_and_frozen_is_high(service_api: Api) -> None:
    fill_world(service_api)
    answer = get(service_api, "analyst", "account", "B1")
    assert answer["verdict"] == "high"
    by_source = {e["source"]: e for e in answer["evidence"]}
    reported = by_source["victims' reports"]
    assert reported["what"] == "payee of 2 reported cases (2 transfers victims reported)"
    assert reported["count"] == 2 and reported["amount_fen"] == 5_000_00
    assert (reported["first_ts"], reported["last_ts"]) == (T0 + 2 * DAY_MS, T0 + 2 * DAY_MS + 5)
    assert by_source["police orders"]["what"] == "under 1 freeze order (executed)"
    assert "1 transfer to this account decided hold" in whats(answer)
    assert answer["sources"] == [
        "engine decisions",
        "victims' reports",
        "police orders",
        "risk-lists",
    ]


def test_one_reported_case_is_medium_and_an_ended_order_is_medium(service_api: Api) -> None:
    paid = [transfer("TX1", "A1", "B2", 900_00, device="D5")]
    store(
        service_api,
        events=paid,
        reports=[report("RX1", "P1", ["TX1"], 900_00, T0 + DAY_MS)],
        orders=[order("SP1", "B3", "B02", OrderKind.STOP_PAYMENT, OrderState.EXPIRED)],
    )
    assert get(service_api, "bank_b", "account", "B2")["verdict"] == "medium"
    b3 = get(service_api, "bank_b", "account", "B3")
    assert b3["verdict"] == "medium"
    assert whats(b3) == ["was under 1 stop-payment order (expired)"]


def test_a_report_refused_as_a_case_is_not_evidence(service_api: Api) -> None:
    store(
        service_api,
        events=[transfer("TY1", "A1", "B2", 900_00)],
        reports=[report("RY1", "P1", ["TY1"], 900_00, T0 + DAY_MS)],
        refused={"RY1": "the transfers do not match the ledger"},
    )
    answer = get(service_api, "admin", "account", "B2")
    assert answer["verdict"] == "unknown" and answer["evidence"] == []


def test_a_host_visited_by_later_victims_is_high(service_api: Api) -> None:
    fill_world(service_api)
    answer = get(service_api, "telco_a", "url", f"HTTPS://{FRAUD_HOST.upper()}:443/login?next=1")
    assert answer["value"] == FRAUD_HOST
    assert answer["verdict"] == "high"
    assert whats(answer) == [
        "2 devices of people who later reported a fraud visited it (of 3)",
        "visited from 3 devices",
    ]


def test_a_popular_host_with_one_later_victim_among_many_stays_low(service_api: Api) -> None:
    fill_world(service_api)
    answer = get(service_api, "telco_a", "url", "www.taobao.com")
    assert answer["verdict"] == "low"
    assert "1 device of people who later reported a fraud visited it (of 21)" in whats(answer)


def test_an_app_installed_by_one_later_victim_is_medium(service_api: Api) -> None:
    fill_world(service_api)
    answer = get(service_api, "pay", "app", "com.dianzan.zhuan")
    assert answer["verdict"] == "medium"
    assert "1 device of people who later reported a fraud installed it (of 1)" in whats(answer)
    assert get(service_api, "pay", "app", "com.unknown.app")["verdict"] == "unknown"


def test_a_visit_after_the_report_does_not_count(service_api: Api) -> None:
    late = [visit("VL", "D7", "https://late.example.org/", "late.example.org", T0 + 9 * DAY_MS)]
    paid = [transfer("TL", "A1", "B2", 100_00, T0, device="D7")]
    store(service_api, events=[*late, *paid], reports=[report("RL", "P3", ["TL"], 100_00)])
    answer = get(service_api, "analyst", "url", "late.example.org")
    assert whats(answer) == ["visited from 1 device"]


# --- who sees what ---------------------------------------------------------------------------
@pytest.mark.parametrize("caller", list(CALLERS))
def test_every_role_may_check_risk(service_api: Api, caller: str) -> None:
    fill_world(service_api)
    answer = get(service_api, caller, "account", "B1")
    assert answer["verdict"] == "high"
    assert answer["advice"]["zh"] and answer["advice"]["en"]


def test_the_public_sees_the_verdict_and_advice_only(service_api: Api) -> None:
    fill_world(service_api)
    for kind, value in [("number", FRAUD_NUMBER), ("account", "B1"), ("url", FRAUD_HOST)]:
        answer = get(service_api, "public", kind, value)
        assert set(answer) == {"kind", "value", "verdict", "advice"}
        assert answer["verdict"] == "high"


def test_a_bank_sees_evidence_on_another_banks_account_but_not_its_amounts(
    service_api: Api,
) -> None:
    """The shared list is for every institution: bank A learns that bank B's account B1 was
    paid by reported victims and is frozen, but not how much money it holds or received,
    nor any id or record of another's customers."""
    fill_world(service_api)
    other = service_api.client.get("/v1/risk/account/B1", headers=service_api.as_("bank_a"))
    own = get(service_api, "bank_b", "account", "B1")
    assert [e["amount_fen"] for e in own["evidence"] if e["source"] == "victims' reports"] == [
        5_000_00
    ]
    assert all("amount_fen" not in e for e in other.json()["evidence"])
    assert whats(other.json()) == whats(own)
    ids = ["TR1", "TR2", "TR3", "R1", "R2", "FZ1", "C1", "P1", "P2", "A1", "A2", "D1", "D2"]
    for secret in [*ids, "private memo", "B02"]:
        assert secret not in other.text
        assert secret not in str(own)


def test_a_telco_sees_no_amounts_either(service_api: Api) -> None:
    fill_world(service_api)
    answer = get(service_api, "telco_a", "account", "B1")
    assert answer["evidence"] and all("amount_fen" not in e for e in answer["evidence"])


def test_reading_an_accounts_risk_is_audited_for_agencies_only(service_api: Api) -> None:
    fill_world(service_api)
    get(service_api, "bank_a", "account", "B 1")
    get(service_api, "public", "account", "B1")
    get(service_api, "bank_a", "number", FRAUD_NUMBER)  # not personal data of an account
    with service_api.service.db.reading() as conn:
        rows = conn.execute(sa.select(audit_log).where(audit_log.c.action == "risk.account"))
        entries = [dict(r._mapping) for r in rows]
    key_id = service_api.keys["bank_a"].split(".")[0]
    assert [(e["key_id"], e["subject"]) for e in entries] == [(key_id, "B1")]
    assert '"verdict":"high"' in entries[0]["after"]


def test_without_a_key_the_risk_check_is_401(service_api: Api) -> None:
    assert service_api.client.get("/v1/risk/number/13800000001").status_code == 401


# --- values --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "value", "where_problem"),
    [
        ("number", "call me", "is not a phone number"),
        ("number", "+0123", "is not a phone number"),
        ("url", "not a host", "is not a link or domain"),
        ("app", "点赞赚", "is not an app's package name"),
    ],
)
def test_a_value_that_cannot_be_read_is_422_naming_it(
    service_api: Api, kind: str, value: str, where_problem: str
) -> None:
    r = service_api.client.get(
        f"/v1/risk/{kind}/{quote(value, safe='')}", headers=service_api.as_("public")
    )
    assert r.status_code == 422
    assert r.json()["error"]["where"] == "value"
    assert where_problem in r.json()["error"]["problem"]


def test_an_unknown_kind_is_422(service_api: Api) -> None:
    r = service_api.client.get("/v1/risk/device/IMEI1", headers=service_api.as_("analyst"))
    assert r.status_code == 422
    assert "kind" in r.json()["error"]["where"]


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("13800000001", "+8613800000001"),
        ("+86 138-0000-0001", "+8613800000001"),
        ("8613800000001", "+8613800000001"),
        ("0086 138 0000 0001", "+8613800000001"),
        ("010-12345678", "+861012345678"),
        ("96110", "+8696110"),
        ("+855 12 345 678", "+85512345678"),
        ("(+86) 138.0000.0001", "+8613800000001"),
    ],
)
def test_numbers_are_read_as_e164(raw: str, number: str) -> None:
    assert lookupkeys.phone_number(raw) == number


@pytest.mark.parametrize(
    ("raw", "host"),
    [
        ("Example.COM", "example.com"),
        ("https://Pay.Example.com:8443/a/b?c=d#e", "pay.example.com"),
        ("http://user:pw@login.example.cn./x", "login.example.cn"),
        ("例子.中国/路径", "xn--fsqu00a.xn--fiqs8s"),
    ],
)
def test_links_are_read_as_their_lower_case_host(raw: str, host: str) -> None:
    assert lookupkeys.host(raw) == host


def test_an_account_number_loses_the_spaces_people_put_in_it() -> None:
    assert lookupkeys.account_id(" 6222 0200-1234 ") == "622202001234"
    with pytest.raises(InputError):
        lookupkeys.account_id("a/b")


# --- sources are a registry --------------------------------------------------------------------
class ListedNumbers:
    """A source as the intelligence part would add one."""

    name = "intelligence list"
    kind = RiskKind.NUMBER

    def evidence(self, conn: sa.Connection, value: str, at_ts: int) -> list[Evidence]:
        if value != "+8613900000003":
            return []
        return [Evidence("on the fraud-number list", self.name, Verdict.HIGH, 1, T0, T0)]


def test_a_source_added_to_the_registry_is_consulted(service_api: Api) -> None:
    sources = RiskSources(risk.default_sources())
    sources.add(ListedNumbers())
    with pytest.raises(ValueError, match="is registered"):
        sources.add(ListedNumbers())
    with service_api.service.db.reading() as conn:
        found = risk.assess(conn, RiskKind.NUMBER, "+8613900000003", T0, sources)
        unknown = risk.assess(conn, RiskKind.NUMBER, "+8613900000002", T0, sources)
    assert found.verdict is Verdict.HIGH
    assert found.sources == ["engine decisions", "risk-lists", "intelligence list"]
    assert unknown.verdict is Verdict.UNKNOWN


# --- every lookup is an index search -------------------------------------------------------------
def test_risk_lookups_search_indexes_and_never_scan_a_table(service_api: Api) -> None:
    """On SQLite, the plan of every statement the sources run names an index for each table
    it reads: none reads a whole table (the events above all)."""
    api = service_api
    if api.service.db.dialect != "sqlite":
        pytest.skip("query plans are checked on SQLite")
    fill_world(api)
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        statements.append((statement, params))

    engine = api.service.db.engine
    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        with api.service.db.reading() as conn:
            for kind, value in [
                (RiskKind.NUMBER, FRAUD_NUMBER),
                (RiskKind.ACCOUNT, "B1"),
                (RiskKind.URL, FRAUD_HOST),
                (RiskKind.APP, "com.dianzan.zhuan"),
            ]:
                risk.assess(conn, kind, value, T0)
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    assert len(statements) >= 6
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        for statement, params in statements:
            plan = [row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + statement, params)]
            scans = [step for step in plan if step.startswith("SCAN ")]
            assert not scans, f"{statement}\n{plan}"


# --- properties ----------------------------------------------------------------------------------
SEPARATORS = st.sampled_from(["", " ", "-", " - ", ".", "  "])


@given(
    digits=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    prefix=st.sampled_from(["", "+86", "+86 ", "0086", "0086 ", "86", "(+86) "]),
    cuts=st.lists(st.tuples(st.integers(1, 10), SEPARATORS), max_size=4),
)
def test_any_way_of_writing_a_mobile_number_reads_as_one(
    digits: str, prefix: str, cuts: list[tuple[int, str]]
) -> None:
    written = digits
    for at, sep in sorted(cuts, reverse=True):
        written = written[:at] + sep + written[at:]
    number = lookupkeys.phone_number(prefix + written)
    assert number == "+86" + digits
    assert lookupkeys.phone_number(number) == number


LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)


@given(
    labels=st.lists(LABEL, min_size=2, max_size=4),
    scheme=st.sampled_from(["", "http://", "https://", "HTTPS://"]),
    port=st.sampled_from(["", ":80", ":8443"]),
    path=st.sampled_from(["", "/", "/login?next=/pay", "#top"]),
    upper=st.booleans(),
)
def test_any_link_to_a_host_reads_as_its_lower_case_host(
    labels: list[str], scheme: str, port: str, path: str, upper: bool
) -> None:
    name = ".".join(labels)
    written = scheme + (name.upper() if upper else name) + port + path
    assert lookupkeys.host(written) == name
    assert lookupkeys.host(lookupkeys.host(written)) == name


REPORTS = st.lists(
    st.tuples(
        st.sampled_from(["R1", "R2", "R3", "R4"]),
        st.lists(st.sampled_from(["T1", "T2", "T3", "T4", "T5"]), max_size=4),
    ),
    max_size=6,
    unique_by=lambda r: r[0],
)


@settings(max_examples=40, deadline=None)
@given(reports=REPORTS, split=st.integers(0, 6))
def test_linking_reports_twice_in_any_split_is_linking_them_once(
    reports: list[tuple[str, list[str]]], split: int
) -> None:
    """Each report names its transfers once in `report_transfers`, however often and in
    whatever batches it is linked (a report is stored once, but a retry may link again)."""
    made = [report(r, "P1", t, 100) for r, t in reports]
    engine = sa.create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as conn:
        risk.link_reports(conn, made[:split])
        risk.link_reports(conn, made)
        risk.link_reports(conn, made[split:])
        rows = conn.execute(sa.select(report_transfers)).all()
    engine.dispose()
    expected = {(t, r) for r, ts in reports for t in ts}
    assert sorted((row.transfer_id, row.report_id) for row in rows) == sorted(expected)


# --- the shared risk lists (intel) ---------------------------------------------------------------
def test_the_risk_check_answers_from_the_shared_risk_lists(service_api: Api) -> None:
    """A live entry of high confidence makes a value high risk; once it expires, it is only
    a low mark (the history is shown, it no longer warns)."""
    from fraudwall.intel.risklists import RiskEntry, upsert_on

    api = service_api
    listed = [
        RiskEntry("account", "6222000011112222", "mules-model", "score 0.97", 0.97,
                  T0 - DAY_MS, T0 - DAY_MS, T0 + DAY_MS),
        RiskEntry("domain", "pay-example.cn", "import:shared.csv", "phishing", 0.6,
                  T0 - DAY_MS, T0 - DAY_MS, T0 + DAY_MS),
    ]  # fmt: skip
    with api.service.db.writing() as conn:
        upsert_on(conn, listed)
    r = api.client.get("/v1/risk/account/6222000011112222", headers=api.as_("analyst"))
    assert r.status_code == 200 and r.json()["verdict"] == "high"
    what = [e["what"] for e in r.json()["evidence"] if e["source"] == "risk-lists"]
    assert what and "mules-model" in what[0] and "score" not in what[0]
    link = api.client.get(
        "/v1/risk/url/" + quote("https://login.pay-example.cn/a", safe=""),
        headers=api.as_("public"),
    )
    assert link.json()["verdict"] == "medium"  # listed by its domain, at confidence 0.6
    api.clock.advance(2 * DAY_MS)
    later = api.client.get("/v1/risk/account/6222000011112222", headers=api.as_("analyst"))
    assert later.json()["verdict"] == "low"


def test_a_payee_put_on_the_risk_lists_is_blocked_on_the_next_check(service_api: Api) -> None:
    from event_records import transfer

    from fraudwall.intel.risklists import RiskEntry, upsert_on

    api = service_api
    first = api.client.post(
        "/v1/check/transfer", json=transfer("RL1", dst="B7"), headers=api.as_("bank_a")
    )
    assert "payee_on_risk_list" not in first.json()["rules"]
    entry = RiskEntry("account", "B7", "confirmed-case", "{}", 1.0, T0 - DAY_MS, T0, T0 + DAY_MS)
    with api.service.db.writing() as conn:
        upsert_on(conn, [entry])
    api.service.host.risk_lists_changed()
    second = api.client.post(
        "/v1/check/transfer", json=transfer("RL2", ts=T0 + 1, dst="B7"), headers=api.as_("bank_a")
    )
    assert second.json()["action"] == "block" and "payee_on_risk_list" in second.json()["rules"]
