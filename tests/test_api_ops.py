"""Operations: health and readiness, Prometheus metrics, request ids, the body limit and the
JSON access log."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from prometheus_client.parser import text_string_to_metric_families
from service_api import T0, Api, start_api
from stored_rows import order, store

from fraudwall.model import HOUR_MS, MINUTE_MS, OrderKind, OrderState
from fraudwall.platform import FixedClock, ServeSettings, Service, create_app, ops
from fraudwall.platform.db import DatabaseUnavailable
from fraudwall.platform.middleware import RequestMiddleware, request_id_of
from fraudwall.platform.ops import ORDER_ANSWER_MS
from fraudwall.platform.orders import ANSWER_DUE_MS
from fraudwall.platform.routes import ops as ops_routes

RISK_ROUTE = "/v1/risk/{kind}/{value:path}"


def scrape(api: Api) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The samples at /metrics (asked without a key), by name and labels."""
    r = api.client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def sample(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def limit_body(api: Api, limit: int) -> None:
    api.service.settings = dataclasses.replace(api.service.settings, max_body_bytes=limit)


# --- health and readiness ------------------------------------------------------------------
def test_health_and_readiness_answer_without_a_key(service_api: Api) -> None:
    assert service_api.client.get("/healthz").json() == {"status": "ok"}
    ready = service_api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "database": service_api.service.db.dialect,
        "engine": "started",
    }


def test_not_ready_before_the_engine_has_started(service_api: Api) -> None:
    service_api.service.started = False
    try:
        r = service_api.client.get("/readyz")
    finally:
        service_api.service.started = True
    assert r.status_code == 503
    assert r.json()["error"]["where"] == "engine"
    assert "not started" in r.json()["error"]["problem"]
    assert service_api.client.get("/healthz").status_code == 200  # the process still answers


def test_not_ready_when_the_database_refuses(
    service_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse() -> None:
        raise DatabaseUnavailable("sqlite:///x", "the database refused the request (disk I/O)")

    monkeypatch.setattr(service_api.service.db, "ping", refuse)
    r = service_api.client.get("/readyz")
    assert r.status_code == 503
    assert "refused" in r.json()["error"]["problem"]
    assert r.headers["retry-after"] == "1"


# --- metrics --------------------------------------------------------------------------------
def test_requests_are_counted_by_route_template_and_status(service_api: Api) -> None:
    api = service_api
    for number in ("13800000001", "13800000002"):
        assert api.client.get(f"/v1/risk/number/{number}", headers=api.as_("analyst")).is_success
    assert api.client.get("/v1/statistics", headers=api.as_("bank_a")).status_code == 403
    assert api.client.get("/no/such/page").status_code == 404
    samples = scrape(api)
    requests = "fraudwall_http_requests_total"
    assert sample(samples, requests, method="GET", route=RISK_ROUTE, status="200") == 2
    assert sample(samples, requests, method="GET", route="/v1/statistics", status="403") == 1
    assert sample(samples, requests, method="GET", route="(unmatched)", status="404") == 1
    latency = "fraudwall_http_request_duration_seconds_count"
    assert sample(samples, latency, method="GET", route=RISK_ROUTE) == 2
    assert not any("13800000001" in str(key) for key in samples)  # templates, never paths


def test_decisions_and_ingest_are_counted_when_the_areas_say_so(service_api: Api) -> None:
    metrics = service_api.service.metrics
    metrics.count_decisions("transfer", ["block", "allow", "block"])
    decided = pa.table({"kind": ["call", "call", "sms"], "action": ["warn", "warn", "allow"]})
    metrics.count_decision_table(decided)
    metrics.count_decision_table(decided.slice(0, 0))
    metrics.count_ingest("transfers", accepted=5, rejected=2)
    metrics.count_ingest("unknown", rejected=1)
    samples = scrape(service_api)
    decisions = "fraudwall_decisions_total"
    assert sample(samples, decisions, kind="transfer", action="block") == 2
    assert sample(samples, decisions, kind="transfer", action="allow") == 1
    assert sample(samples, decisions, kind="call", action="warn") == 2
    assert sample(samples, decisions, kind="sms", action="allow") == 1
    assert sample(samples, "fraudwall_ingest_accepted_total", kind="transfers") == 5
    assert sample(samples, "fraudwall_ingest_rejected_total", kind="transfers") == 2
    assert sample(samples, "fraudwall_ingest_rejected_total", kind="unknown") == 1


def test_orders_pending_and_overdue_are_read_from_the_database(service_api: Api) -> None:
    """Overdue: not answered within the time the orders area gives a bank (one figure)."""
    api = service_api
    due = ORDER_ANSWER_MS
    assert due == ANSWER_DUE_MS
    store(
        api,
        orders=[
            order("SP1", "B1", "B02", OrderKind.STOP_PAYMENT, issued_ts=T0 - due - MINUTE_MS),
            order("SP2", "B2", "B02", OrderKind.STOP_PAYMENT, issued_ts=T0 - due + MINUTE_MS),
            order("FZ1", "A1", "B01", OrderKind.FREEZE, issued_ts=T0 - due + 2 * MINUTE_MS),
            order("FZ2", "A2", "B01", OrderKind.FREEZE, OrderState.EXECUTED, T0 - 99 * HOUR_MS),
        ],
    )
    samples = scrape(api)
    assert sample(samples, "fraudwall_database_up") == 1
    assert sample(samples, "fraudwall_orders_pending", kind="stop_payment") == 2
    assert sample(samples, "fraudwall_orders_pending", kind="freeze") == 1
    assert sample(samples, "fraudwall_orders_overdue", kind="stop_payment") == 1
    assert sample(samples, "fraudwall_orders_overdue", kind="freeze") == 0
    api.clock.advance(3 * MINUTE_MS)
    samples = scrape(api)
    assert sample(samples, "fraudwall_orders_overdue", kind="stop_payment") == 2
    assert sample(samples, "fraudwall_orders_overdue", kind="freeze") == 1


def test_a_database_that_refuses_the_scrape_shows_as_down(
    service_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: Any) -> Any:
        raise DatabaseUnavailable("db", "the database refused the request (locked)")

    monkeypatch.setattr(service_api.service.db, "reading", refuse)
    samples = scrape(service_api)
    assert sample(samples, "fraudwall_database_up") == 0
    assert not any(name.startswith("fraudwall_orders") for name, _ in samples)


def test_each_app_counts_on_its_own_registry(service_api: Api, tmp_path: Path) -> None:
    settings = ServeSettings(data_dir=tmp_path / "second", snapshot_interval_s=0)
    second = start_api(settings, FixedClock(T0))
    other = next(second)
    try:
        for _ in range(3):
            other.client.get("/healthz")
        service_api.client.get("/healthz")
        requests = "fraudwall_http_requests_total"
        mine = sample(scrape(service_api), requests, method="GET", route="/healthz", status="200")
        theirs = sample(scrape(other), requests, method="GET", route="/healthz", status="200")
        assert (mine, theirs) == (1, 3)
    finally:
        second.close()  # leaves the app's lifespan: the second service stops


# --- request ids ------------------------------------------------------------------------------
def test_a_sane_request_id_is_echoed_on_the_response_and_in_the_error(service_api: Api) -> None:
    r = service_api.client.get("/v1/agencies", headers={"X-Request-ID": "mobile-7f3a:42"})
    assert r.status_code == 401
    assert r.headers["x-request-id"] == "mobile-7f3a:42"
    assert r.json()["request_id"] == "mobile-7f3a:42"


@pytest.mark.parametrize("given", [None, "", "two words", "x" * 129, "<script>", "-leading"])
def test_a_missing_or_odd_request_id_is_replaced_by_a_new_one(
    service_api: Api, given: str | None
) -> None:
    headers = {} if given is None else {"X-Request-ID": given}
    r = service_api.client.get("/v1/statistics", headers={**headers, **service_api.as_("bank_a")})
    made = r.headers["x-request-id"]
    assert made != given and len(made) == 32 and int(made, 16) >= 0
    assert r.json()["request_id"] == made
    again = service_api.client.get("/healthz", headers=headers)
    assert again.headers["x-request-id"] not in (made, given)


def test_an_unexpected_failure_is_a_500_with_its_request_id(
    service_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(service: Service) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(ops, "check_ready", broken)
    r = service_api.client.get("/readyz", headers={"X-Request-ID": "trace-500"})
    assert r.status_code == 500
    assert r.json()["error"]["problem"] == "internal error (the server log has it)"
    assert r.json()["request_id"] == "trace-500"
    assert r.headers["x-request-id"] == "trace-500"
    assert "a bug" not in r.text
    samples = scrape(service_api)
    requests = "fraudwall_http_requests_total"
    assert sample(samples, requests, method="GET", route="/readyz", status="500") == 1


# --- the body limit ---------------------------------------------------------------------------
def big_agency(size: int) -> bytes:
    return json.dumps(
        {"agency_id": "bank-big", "name": "x" * size, "kind": "bank", "institution_id": "B9"}
    ).encode()


def test_a_body_over_the_limit_by_its_length_is_413_naming_the_limit(service_api: Api) -> None:
    api = service_api
    limit_body(api, 1_000)
    headers = {**api.as_("admin"), "content-type": "application/json", "X-Request-ID": "big-1"}
    r = api.client.post("/v1/agencies", content=big_agency(2_000), headers=headers)
    assert r.status_code == 413
    assert r.json() == {
        "error": {
            "where": "body",
            "problem": "the request body is larger than the limit of 1000 bytes",
            "hint": "send less in one request (split a batch into several)",
        },
        "request_id": "big-1",
    }
    assert r.headers["x-request-id"] == "big-1"
    ok = api.client.post("/v1/agencies", content=big_agency(10), headers=headers)
    assert ok.status_code == 201  # under the limit, the same request is taken
    listed = api.client.get("/v1/agencies", headers=api.as_("admin")).json()
    assert [a["name"] for a in listed if a["agency_id"] == "bank-big"] == ["x" * 10]


def test_a_chunked_body_over_the_limit_is_413(service_api: Api) -> None:
    api = service_api
    limit_body(api, 1_000)
    body = big_agency(5_000)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 300):
            yield body[start : start + 300]

    headers = {**api.as_("admin"), "content-type": "application/json"}
    r = api.client.post("/v1/agencies", content=chunks(), headers=headers)
    assert r.status_code == 413
    assert "limit of 1000 bytes" in r.json()["error"]["problem"]
    assert r.json()["request_id"] == r.headers["x-request-id"]
    assert "bank-big" not in api.client.get("/v1/agencies", headers=api.as_("admin")).text
    samples = scrape(api)
    requests = "fraudwall_http_requests_total"
    assert sample(samples, requests, method="POST", route="/v1/agencies", status="413") == 1


class Sent:
    """An ASGI client end: the body chunks it would send, what it was answered."""

    def __init__(self, chunks: list[bytes], length: int | None) -> None:
        self.chunks = chunks
        self.length = length
        self.reads = 0
        self.messages: list[dict[str, Any]] = []

    @property
    def scope(self) -> dict[str, Any]:
        headers = [] if self.length is None else [(b"content-length", str(self.length).encode())]
        return {"type": "http", "method": "POST", "path": "/in", "headers": headers}

    async def receive(self) -> dict[str, Any]:
        self.reads += 1
        more = self.reads < len(self.chunks)
        return {"type": "http.request", "body": self.chunks[self.reads - 1], "more_body": more}

    async def send(self, message: dict[str, Any]) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])


async def read_all_then_answer(scope: Any, receive: Any, send: Any) -> None:
    """An app that reads the whole body and answers 200 (or whatever an error gives)."""
    try:
        while (await receive()).get("more_body"):
            pass
    except Exception:
        await send({"type": "http.response.start", "status": 400, "headers": []})
        await send({"type": "http.response.body", "body": b"app's own answer"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def limited(tmp_path: Path) -> RequestMiddleware:
    service = Service(ServeSettings(data_dir=tmp_path, max_body_bytes=1_000), FixedClock(T0))
    return RequestMiddleware(read_all_then_answer, service)


def test_a_declared_length_over_the_limit_reads_nothing(limited: RequestMiddleware) -> None:
    client = Sent([b"x" * 500] * 4, length=2_000)
    asyncio.run(limited(client.scope, client.receive, client.send))
    assert client.status == 413
    assert client.reads == 0


def test_a_streamed_body_is_read_only_up_to_the_limit(limited: RequestMiddleware) -> None:
    client = Sent([b"x" * 400] * 10, length=None)
    asyncio.run(limited(client.scope, client.receive, client.send))
    assert client.status == 413  # the app's own answer to the failure was replaced
    assert b"limit of 1000 bytes" in client.messages[1]["body"]
    assert client.reads == 3  # 400, 800, 1200: the rest was never read


def test_a_body_within_the_limit_goes_through(limited: RequestMiddleware) -> None:
    client = Sent([b"x" * 500, b"x" * 500], length=None)
    asyncio.run(limited(client.scope, client.receive, client.send))
    assert client.status == 200 and client.reads == 2
    names = [name for name, _ in client.messages[0]["headers"]]
    assert names == [b"x-request-id"]


def test_request_ids_are_checked_before_being_taken() -> None:
    from starlette.datastructures import Headers

    assert request_id_of(Headers({"x-request-id": "abc.DEF_1:2-3"})) == "abc.DEF_1:2-3"
    assert request_id_of(Headers({"x-request-id": "a b"})) != "a b"


# --- logs -----------------------------------------------------------------------------------
def test_one_access_log_line_per_request_with_the_template_never_the_path(
    service_api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    api = service_api
    with caplog.at_level(logging.INFO, logger="fraudwall.access"):
        api.client.get(
            "/v1/risk/account/B1", headers={**api.as_("bank_a"), "X-Request-ID": "req-9"}
        )
    lines = [r for r in caplog.records if r.name == "fraudwall.access"]
    assert len(lines) == 1
    fields = lines[0].fields  # type: ignore[attr-defined]
    assert fields["request_id"] == "req-9"
    assert fields["method"] == "GET" and fields["route"] == RISK_ROUTE
    assert fields["status"] == 200 and fields["ts"] == T0
    assert fields["key_id"] == api.keys["bank_a"].split(".")[0]
    assert isinstance(fields["ms"], float)
    assert "B1" not in json.dumps(fields) and "B1" not in lines[0].getMessage()


def test_logs_are_json_lines(service_api: Api) -> None:
    stream = io.StringIO()
    root = logging.getLogger("fraudwall")
    saved = (list(root.handlers), root.level, root.propagate)
    ops.configure_logging(stream=stream)
    try:
        service_api.client.get("/healthz", headers={"X-Request-ID": "json-1"})
        logging.getLogger("fraudwall.platform").warning("a warning with %s", "an argument")
    finally:
        root.handlers[:], root.level, root.propagate = saved
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert {k: first[k] for k in ("level", "logger", "request_id", "route", "status")} == {
        "level": "info",
        "logger": "fraudwall.access",
        "request_id": "json-1",
        "route": "/healthz",
        "status": 200,
    }
    assert first["key_id"] is None and first["ts"] == T0
    assert second["message"] == "a warning with an argument" and second["level"] == "warning"


def test_a_logged_failure_carries_its_traceback_in_one_line() -> None:
    formatter = ops.JsonFormatter()
    try:
        raise ValueError("broken")
    except ValueError:
        import sys

        record = logging.LogRecord("fraudwall", logging.ERROR, "f", 1, "failed", (), sys.exc_info())
    line = formatter.format(record)
    assert "\n" not in line
    assert "ValueError: broken" in json.loads(line)["exc"]


# --- what is public ---------------------------------------------------------------------------
def test_only_the_listed_paths_answer_without_a_key(service_api: Api) -> None:
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"):
        assert service_api.client.get(path).status_code == 200, path
        assert path in ops_routes.PUBLIC_PATHS
    schema = service_api.client.get("/openapi.json").json()
    keyless = {p for p in schema["paths"] if not p.startswith("/v1/")}
    assert keyless == {"/healthz", "/readyz", "/metrics"}


def test_a_keyless_route_not_on_the_list_is_refused_at_build() -> None:
    @ops_routes.router.get("/debug/state")
    def leak() -> dict[str, str]:
        return {"secret": "state"}

    try:
        with pytest.raises(RuntimeError, match="/debug/state is answered without a key"):
            create_app()
    finally:
        ops_routes.router.routes.pop()
