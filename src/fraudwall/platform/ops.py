"""Operating the service: its metrics, its logs and whether it is ready.

`Metrics` is one per service (``service.metrics``), on its own Prometheus registry (not
the process-wide one, so several apps in one process, as in tests, never clash). The
middleware counts requests; the other areas call it for what only they know:

- ``service.metrics.count_decisions(kind, actions)`` after deciding (checks, ingest):
  `kind` is ``transfer``, ``call`` or ``sms``, `actions` the decided actions
  (``count_decision_table(table)`` takes the engine's decision table whole);
- ``service.metrics.count_ingest(kind, accepted=, rejected=)`` after a batch: `kind`
  is the event table (``transfers``, ``calls``...), or ``unknown`` for a record whose
  table could not be told.

Orders pending (issued, not yet answered by the institution) and overdue (pending for
more than `ORDER_ANSWER_MS`, as the orders area counts them) are gauges read from the
database when Prometheus scrapes.

Logs are JSON, one object per line (`JsonFormatter`; `configure_logging` installs it for
``fraudwall serve``): the access log has one line per request with its id, route
template (never the path, which may hold an account number), status, time and key id.
"""

from __future__ import annotations

import json
import logging
import sys
from collections import Counter as Tally
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Final, TextIO

import pyarrow.compute as pc
import sqlalchemy as sa
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client import generate_latest as exposition
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from fraudwall.errors import RunError
from fraudwall.model import MINUTE_MS, OrderState
from fraudwall.platform.db import DatabaseUnavailable
from fraudwall.platform.orders import ANSWER_DUE_MS
from fraudwall.platform.schema import orders

if TYPE_CHECKING:
    import pyarrow as pa

    from fraudwall.platform.service import Service

ORDER_ANSWER_MS: Final = ANSWER_DUE_MS
"""An order not answered by its institution this long after it was issued is overdue: the
same figure `GET /v1/orders?overdue=true` uses (the funds part's bank response time)."""

LATENCY_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
METRICS_CONTENT_TYPE: Final = CONTENT_TYPE_LATEST
ACCESS_LOG: Final = logging.getLogger("fraudwall.access")


class Metrics:
    """The service's Prometheus metrics (see the module doc for who calls what)."""

    def __init__(self, service: Service | None = None) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "fraudwall_http_requests",
            "HTTP requests answered, by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "fraudwall_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.decisions = Counter(
            "fraudwall_decisions",
            "Decisions taken by the engine, by kind (transfer, call, sms) and action",
            ["kind", "action"],
            registry=self.registry,
        )
        self.ingest_accepted = Counter(
            "fraudwall_ingest_accepted",
            "Event records accepted by ingest, by table",
            ["kind"],
            registry=self.registry,
        )
        self.ingest_rejected = Counter(
            "fraudwall_ingest_rejected",
            "Event records refused by ingest (with their reasons), by table",
            ["kind"],
            registry=self.registry,
        )
        if service is not None:
            self.registry.register(OrdersCollector(service))

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def count_decisions(self, kind: str, actions: Iterable[str]) -> None:
        """Count decisions of one kind (``transfer``, ``call``, ``sms``) by action."""
        for action, n in Tally(str(a) for a in actions).items():
            self.decisions.labels(kind, action).inc(n)

    def count_decision_table(self, table: pa.Table) -> None:
        """Count an engine decision table (columns ``kind`` and ``action``) whole."""
        if table.num_rows == 0:
            return
        pairs = pc.binary_join_element_wise(table["kind"], table["action"], "\x1f")
        for counted in pc.value_counts(pairs).to_pylist():
            kind, action = str(counted["values"]).split("\x1f")
            self.decisions.labels(kind, action).inc(counted["counts"])

    def count_ingest(self, kind: str, *, accepted: int = 0, rejected: int = 0) -> None:
        """Count records accepted and refused by ingest for one table."""
        if accepted:
            self.ingest_accepted.labels(kind).inc(accepted)
        if rejected:
            self.ingest_rejected.labels(kind).inc(rejected)

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format (served at /metrics)."""
        return exposition(self.registry)


class OrdersCollector(Collector):
    """Orders pending and overdue, by kind, counted in the database at each scrape; and
    whether the database answered (``fraudwall_database_up``)."""

    def __init__(self, service: Service) -> None:
        self.service = service

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("fraudwall_database_up", "1 if the database answered the scrape")
        try:
            pending, overdue = self._count()
        except DatabaseUnavailable:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield _by_kind(
            "fraudwall_orders_pending", "Orders issued and not yet answered, by kind", pending
        )
        yield _by_kind(
            "fraudwall_orders_overdue",
            f"Orders not answered within {ORDER_ANSWER_MS // MINUTE_MS} min of issue, by kind",
            overdue,
        )

    def _count(self) -> tuple[dict[str, int], dict[str, int]]:
        late = self.service.now() - ORDER_ANSWER_MS
        overdue_n = sa.func.sum(sa.case((orders.c.issued_ts <= late, 1), else_=0))
        q = (
            sa.select(orders.c.kind, sa.func.count(), overdue_n)
            .where(orders.c.state == OrderState.ISSUED.value)
            .group_by(orders.c.kind)
        )
        pending: dict[str, int] = {}
        overdue: dict[str, int] = {}
        with self.service.db.reading() as conn:
            for kind, n, late_n in conn.execute(q):
                pending[kind], overdue[kind] = int(n), int(late_n or 0)
        return pending, overdue


def _by_kind(name: str, doc: str, counts: dict[str, int]) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, doc, labels=["kind"])
    for kind in sorted(counts):
        gauge.add_metric([kind], counts[kind])
    return gauge


# --- readiness ------------------------------------------------------------------------------
class NotReady(RunError):
    """The service cannot serve yet (answered 503)."""


def check_ready(service: Service) -> None:
    """Raise `NotReady` / `DatabaseUnavailable` unless the engine is up and the database
    answers."""
    if not service.started:
        raise NotReady("engine", "the engine has not started (it is restoring its snapshot)")
    service.db.ping()


# --- logs -----------------------------------------------------------------------------------
class JsonFormatter(logging.Formatter):
    """A log record as one JSON object: ts (ms UTC), level, logger, message, the record's
    ``fields`` (``log.info(..., extra={"fields": {...}})``) and the traceback, if any."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": int(record.created * 1000),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """JSON lines on stderr for everything the service logs (``fraudwall.*``)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("fraudwall")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


__all__ = [
    "ACCESS_LOG",
    "METRICS_CONTENT_TYPE",
    "ORDER_ANSWER_MS",
    "JsonFormatter",
    "Metrics",
    "NotReady",
    "OrdersCollector",
    "check_ready",
    "configure_logging",
]
