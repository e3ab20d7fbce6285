"""Risk checks: what fraudwall knows against a phone number, an account, a link or an app.

A check gathers **evidence** from every **risk source** registered for the kind of value
(`RiskSource`: a name, a kind and ``evidence(conn, value)``), and answers a **verdict**
(the most severe evidence: high, medium, low; unknown when no source knows the value)
with advice a citizen can act on, in Chinese and English. Nothing is invented: a value no
source knows is `unknown`, with no evidence.

Until the intelligence part lands, the sources are what the engine and the cases fill:

- numbers: the engine's decisions on calls and SMS from the number;
- accounts: the engine's decisions on transfers to the account, the victims' reports that
  name a transfer to it, and the police orders on it;
- links and apps: the devices that visited the host or installed the app, and how many of
  them belonged to people who later reported a fraud (their reported transfers were made
  from that device).

The intelligence part adds its sources with ``SOURCES.add(...)``. Evidence is aggregate
(counts, first and last time, an amount): it carries no event, case or person ids and no
event bodies, so the shared risk list shows no institution's customers. Every lookup goes
through an index of `schema.event_lookups` or of the other tables; none reads the events'
bodies except the few transfers a report names, for their amounts. The lookups trail the
events (`platform.eventlookups`): whoever assesses brings them up to date first
(`EventLookups.catch_up`, as the risk route does), or an event just stored is not found.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Protocol

import msgspec
import sqlalchemy as sa

from fraudwall.common import lookupkeys
from fraudwall.intel import risklists
from fraudwall.model import Action, OrderKind, OrderState, Report, Transfer, utc
from fraudwall.platform.schema import (
    decisions,
    event_lookups,
    events,
    orders,
    report_sources,
    report_transfers,
    reports,
)


class RiskKind(StrEnum):
    NUMBER = "number"
    ACCOUNT = "account"
    URL = "url"
    APP = "app"


class Verdict(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    UNKNOWN = "unknown"


_RANK: Final = {Verdict.UNKNOWN: 0, Verdict.LOW: 1, Verdict.MEDIUM: 2, Verdict.HIGH: 3}


@dataclass(frozen=True, slots=True)
class Evidence:
    """One thing a source knows: `what` in words ("3 calls from this number decided
    block"), how many, from when to when, and how severe it is on its own. `amount_fen`
    (money involved) is shown only to those who see the account's institution."""

    what: str
    source: str
    severity: Verdict
    count: int
    first_ts: int
    last_ts: int
    amount_fen: int | None = None


class RiskSource(Protocol):
    """Something that knows about values of one kind (see the module doc)."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> RiskKind: ...

    def evidence(self, conn: sa.Connection, value: str, at_ts: int) -> list[Evidence]:
        """What it knows about `value` (already in its normal form: `normalise`) at
        `at_ts` (ms UTC)."""
        ...


class RiskSources:
    """The sources consulted for each kind, in the order they were added."""

    def __init__(self, sources: Iterable[RiskSource] = ()) -> None:
        self._by_kind: dict[RiskKind, list[RiskSource]] = {k: [] for k in RiskKind}
        for source in sources:
            self.add(source)

    def add(self, source: RiskSource) -> None:
        """Consult `source` for its kind from now on (a name is taken once per kind)."""
        known = self._by_kind[source.kind]
        if any(s.name == source.name for s in known):
            raise ValueError(f"a {source.kind} risk source named {source.name!r} is registered")
        known.append(source)

    def of(self, kind: RiskKind) -> list[RiskSource]:
        return list(self._by_kind[kind])


@dataclass(frozen=True, slots=True)
class Assessment:
    kind: RiskKind
    value: str
    verdict: Verdict
    advice_zh: str
    advice_en: str
    evidence: list[Evidence]
    sources: list[str]


def normalise(kind: RiskKind, raw: str) -> str:
    """`raw` in the form the sources know it by (E.164, the host of a link, ...)."""
    if kind is RiskKind.NUMBER:
        return lookupkeys.phone_number(raw)
    if kind is RiskKind.ACCOUNT:
        return lookupkeys.account_id(raw)
    if kind is RiskKind.URL:
        return lookupkeys.host(raw)
    return lookupkeys.app_id(raw)


def verdict_of(evidence: Iterable[Evidence]) -> Verdict:
    """The most severe evidence; unknown when there is none."""
    return max((e.severity for e in evidence), key=_RANK.__getitem__, default=Verdict.UNKNOWN)


def assess(
    conn: sa.Connection,
    kind: RiskKind,
    value: str,
    at_ts: int,
    sources: RiskSources | None = None,
) -> Assessment:
    """Ask every source of `kind` about `value` (normalised) as of `at_ts`, and weigh the
    answers."""
    consulted = (sources or SOURCES).of(kind)
    found = [e for s in consulted for e in s.evidence(conn, value, at_ts)]
    found.sort(key=lambda e: (-_RANK[e.severity], -e.last_ts, e.what))
    verdict = verdict_of(found)
    zh, en = advice(kind, verdict)
    return Assessment(kind, value, verdict, zh, en, found, [s.name for s in consulted])


# --- advice -----------------------------------------------------------------------------
_SUBJECT: Final = {
    RiskKind.NUMBER: ("该号码", "this number"),
    RiskKind.ACCOUNT: ("该账户", "this account"),
    RiskKind.URL: ("该链接", "this link"),
    RiskKind.APP: ("该应用", "this app"),
}
_DONT: Final = {
    RiskKind.NUMBER: (
        "不要回拨，不要按对方要求转账或提供验证码",
        "do not call it back, and never transfer money or share a code at its request",
    ),
    RiskKind.ACCOUNT: ("不要向该账户转账", "do not transfer money to it"),
    RiskKind.URL: (
        "不要打开该链接，不要在其中输入账号、密码或验证码",
        "do not open it, and never enter an account, password or code there",
    ),
    RiskKind.APP: (
        "不要安装；已安装请立即卸载，不要授予屏幕共享等权限",
        "do not install it; if you did, remove it now and grant it no screen sharing "
        "or other permission",
    ),
}


def advice(kind: RiskKind, verdict: Verdict) -> tuple[str, str]:
    """What a citizen should do, in Chinese and English."""
    s_zh, s_en = _SUBJECT[kind]
    d_zh, d_en = _DONT[kind]
    if verdict is Verdict.HIGH:
        return (
            f"{s_zh}已被标记为高风险：{d_zh}。如已转账，请立即拨打110或96110。",
            f"{s_en.capitalize()} is marked high risk: {d_en}. If you have already paid, "
            "call 110 or 96110 at once.",
        )
    if verdict is Verdict.MEDIUM:
        return (
            f"{s_zh}有可疑记录：请提高警惕，{d_zh}。",
            f"{s_en.capitalize()} has suspicious records: be careful, and {d_en}.",
        )
    if verdict is Verdict.LOW:
        return (
            f"暂未发现{s_zh}的风险记录，但仍请保持警惕：不要向未核实身份的人转账。",
            f"Nothing risky is known about {s_en} yet; still, never transfer money to "
            "anyone whose identity you have not checked.",
        )
    return (
        f"暂无{s_zh}的信息。凡是要求转账或索要验证码的，都可能是诈骗。",
        f"Nothing is known about {s_en}. Anyone who asks you to transfer money or share "
        "a code may be a fraudster.",
    )


# --- the sources the engine and the cases fill ---------------------------------------------
_ACTION_SEVERITY: Final = {
    Action.BLOCK: Verdict.HIGH,
    Action.HOLD: Verdict.HIGH,
    Action.DELAY: Verdict.MEDIUM,
    Action.WARN: Verdict.MEDIUM,
    Action.ALLOW: Verdict.LOW,
}
_DECIDED_NOUN: Final = {
    "transfer": ("transfer", "transfers"),
    "call": ("call", "calls"),
    "sms": ("SMS", "SMS"),
}


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


class EngineDecisions:
    """The engine's decisions on the events whose lookup column (`party`) is the value:
    calls and SMS from a number, transfers to an account. A block or hold is high, a warn
    or delay medium, only allows low."""

    def __init__(self, kind: RiskKind, event_kinds: tuple[str, ...], side: str) -> None:
        self.name = "engine decisions"
        self.kind = kind
        self.event_kinds = event_kinds
        self.side = side  # "from this number", "to this account"

    def evidence(self, conn: sa.Connection, value: str, at_ts: int) -> list[Evidence]:
        q = (
            sa.select(
                decisions.c.kind,
                decisions.c.action,
                sa.func.count(),
                sa.func.min(decisions.c.ts),
                sa.func.max(decisions.c.ts),
            )
            .select_from(
                event_lookups.join(decisions, decisions.c.event_id == event_lookups.c.event_id)
            )
            .where(event_lookups.c.kind.in_(self.event_kinds), event_lookups.c.party == value)
            .group_by(decisions.c.kind, decisions.c.action)
        )
        out = []
        for kind, action, n, first, last in conn.execute(q):
            one, many = _DECIDED_NOUN.get(kind, (str(kind), str(kind)))
            out.append(
                Evidence(
                    what=f"{_plural(int(n), one, many)} {self.side} decided {action}",
                    source=self.name,
                    severity=_ACTION_SEVERITY.get(Action(action), Verdict.LOW),
                    count=int(n),
                    first_ts=int(first),
                    last_ts=int(last),
                )
            )
        return out


def _not_refused() -> sa.ColumnElement[bool]:
    """Reports that were not refused as cases (a report that did not check out is not
    evidence against anyone)."""
    refused = sa.select(report_sources.c.event_id).where(
        report_sources.c.event_id == report_transfers.c.report_id,
        report_sources.c.refused.is_not(None),
    )
    return ~sa.exists(refused)


class ReportedPayees:
    """Victims' reports naming a transfer to the account: the payee of one reported case
    is medium, of two or more high. The amount is what the reported transfers paid it."""

    name = "victims' reports"
    kind = RiskKind.ACCOUNT

    def evidence(self, conn: sa.Connection, value: str, at_ts: int) -> list[Evidence]:
        q = (
            sa.select(report_transfers.c.report_id, events.c.body)
            .select_from(
                event_lookups.join(
                    report_transfers, report_transfers.c.transfer_id == event_lookups.c.event_id
                ).join(events, events.c.seq == event_lookups.c.seq)
            )
            .where(
                event_lookups.c.kind == Transfer.table,
                event_lookups.c.party == value,
                _not_refused(),
            )
        )
        cases: set[str] = set()
        paid: dict[str, Transfer] = {}
        for report_id, body in conn.execute(q):
            cases.add(report_id)
            transfer = msgspec.json.decode(body, type=Transfer)
            paid[transfer.event_id] = transfer
        if not cases:
            return []
        times = [t.ts for t in paid.values()]
        n = len(cases)
        return [
            Evidence(
                what=f"payee of {_plural(n, 'reported case', 'reported cases')} "
                f"({_plural(len(paid), 'transfer', 'transfers')} victims reported)",
                source=self.name,
                severity=Verdict.HIGH if n >= 2 else Verdict.MEDIUM,
                count=n,
                first_ts=min(times),
                last_ts=max(times),
                amount_fen=sum(t.amount_fen for t in paid.values()),
            )
        ]


_LIVE_STATES: Final = (OrderState.ISSUED, OrderState.EXECUTED)
_ORDER_NOUN: Final = {
    OrderKind.STOP_PAYMENT: ("stop-payment order", "stop-payment orders"),
    OrderKind.FREEZE: ("freeze order", "freeze orders"),
    OrderKind.RETURN: ("return order", "return orders"),
}


class PoliceOrders:
    """Stop-payment, freeze and return orders on the account: one issued or in force is
    high; ones that ended (expired, lifted, released, refused) are medium."""

    name = "police orders"
    kind = RiskKind.ACCOUNT

    def evidence(self, conn: sa.Connection, value: str, at_ts: int) -> list[Evidence]:
        q = (
            sa.select(
                orders.c.kind,
                orders.c.state,
                sa.func.count(),
                sa.func.min(orders.c.issued_ts),
                sa.func.max(orders.c.issued_ts),
            )
            .where(orders.c.account_id == value)
            .group_by(orders.c.kind, orders.c.state)
        )
        out = []
        for kind, state, n, first, last in conn.execute(q):
            live = OrderState(state) in _LIVE_STATES
            one, many = _ORDER_NOUN.get(OrderKind(kind), ("order", "orders"))
            out.append(
                Evidence(
                    what=f"{'under' if live else 'was under'} {_plural(int(n), one, many)} "
                    f"({state})",
                    source=self.name,
                    severity=Verdict.HIGH if live else Verdict.MEDIUM,
                    count=int(n),
                    first_ts=int(first),
                    last_ts=int(last),
                )
            )
        return out


class SeenBeforeReports:
    """The devices that visited a host (or installed an app), and those of them that
    made transfers a victim later reported. Visits alone are low; when at least one in
    ten of the devices belonged to a later victim it is medium, and high when half of
    them (and at least two) did."""

    def __init__(self, kind: RiskKind, event_kind: str, seen: str) -> None:
        self.name = f"{event_kind.replace('_', ' ')} before victims' reports"
        self.kind = kind
        self.event_kind = event_kind
        self.seen = seen  # "visited", "installed"

    def evidence(self, conn: sa.Connection, value: str, at_ts: int) -> list[Evidence]:
        mine = sa.and_(event_lookups.c.kind == self.event_kind, event_lookups.c.party == value)
        seen = conn.execute(
            sa.select(
                sa.func.count(sa.distinct(event_lookups.c.device_id)),
                sa.func.min(event_lookups.c.ts),
                sa.func.max(event_lookups.c.ts),
            ).where(mine)
        ).one()
        devices = int(seen[0])
        if devices == 0:
            return []
        out = [
            Evidence(
                what=f"{self.seen} from {_plural(devices, 'device', 'devices')}",
                source=self.name,
                severity=Verdict.LOW,
                count=devices,
                first_ts=int(seen[1]),
                last_ts=int(seen[2]),
            )
        ]
        paid = event_lookups.alias("paid")
        later_report = (
            sa.select(sa.literal(1))
            .select_from(
                paid.join(report_transfers, report_transfers.c.transfer_id == paid.c.event_id).join(
                    reports, reports.c.event_id == report_transfers.c.report_id
                )
            )
            .where(
                paid.c.device_id == event_lookups.c.device_id,
                # as the partial index says it (a bound value would not reach it)
                paid.c.kind == sa.literal_column(f"'{Transfer.table}'"),
                reports.c.ts >= event_lookups.c.ts,
                _not_refused(),
            )
        )
        victims = conn.execute(
            sa.select(
                sa.func.count(sa.distinct(event_lookups.c.device_id)),
                sa.func.min(event_lookups.c.ts),
                sa.func.max(event_lookups.c.ts),
            ).where(mine, sa.exists(later_report))
        ).one()
        n = int(victims[0])
        if n:
            if n >= 2 and 2 * n >= devices:
                severity = Verdict.HIGH
            elif 10 * n >= devices:
                severity = Verdict.MEDIUM
            else:
                severity = Verdict.LOW
            out.append(
                Evidence(
                    what=f"{_plural(n, 'device', 'devices')} of people who later reported a "
                    f"fraud {self.seen} it (of {devices})",
                    source=self.name,
                    severity=severity,
                    count=n,
                    first_ts=int(victims[1]),
                    last_ts=int(victims[2]),
                )
            )
        return out


class RiskLists:
    """The shared risk lists (`intel.risklists`: detectors' findings, confirmed cases,
    lists imported from other institutions): each entry on the value (and, for a link, on
    the domains above its host), live or expired, with its source and confidence. A live
    entry of confidence 0.8 or more is high, a lower one medium, an expired one low. The
    entry's own evidence text may name cases, so only its source is shown."""

    def __init__(self, kind: RiskKind, listed_as: str) -> None:
        self.kind = kind
        self.name = "risk-lists"
        self.listed_as = listed_as  # the intel list kind the values are found under

    def evidence(self, conn: sa.Connection, value: str, at_ts: int) -> list[Evidence]:
        entries = risklists.answer_on(conn, self.listed_as, value, at_ts).entries.to_pylist()
        out = []
        for e in entries:
            if e["status"] == "not yet":
                continue
            live = e["status"] == "live"
            severity = Verdict.LOW
            if live:
                severity = Verdict.HIGH if e["confidence"] >= 0.8 else Verdict.MEDIUM
            state = f"until {utc(e['expires_ts'])}" if live else f"expired {utc(e['expires_ts'])}"
            out.append(
                Evidence(
                    what=f"on the {e['source']} risk list for {e['value']} "
                    f"(confidence {e['confidence']:.2f}, {state})",
                    source=self.name,
                    severity=severity,
                    count=1,
                    first_ts=int(e["first_seen_ts"]),
                    last_ts=int(e["last_seen_ts"]),
                )
            )
        return out


def default_sources() -> Iterator[RiskSource]:
    """The sources the engine and the cases fill, and the shared risk lists."""
    yield EngineDecisions(RiskKind.NUMBER, ("calls", "sms"), "from this number")
    yield EngineDecisions(RiskKind.ACCOUNT, (Transfer.table,), "to this account")
    yield ReportedPayees()
    yield PoliceOrders()
    yield SeenBeforeReports(RiskKind.URL, "url_visits", "visited")
    yield SeenBeforeReports(RiskKind.APP, "app_installs", "installed")
    yield RiskLists(RiskKind.NUMBER, "number")
    yield RiskLists(RiskKind.ACCOUNT, "account")
    yield RiskLists(RiskKind.URL, "domain")  # a link is checked by its host
    yield RiskLists(RiskKind.APP, "app")


SOURCES: Final = RiskSources(default_sources())
"""The registry the service consults; the intelligence part adds its sources here."""


# --- what the cases part calls when it stores reports ---------------------------------------
def link_reports(conn: sa.Connection, stored: Iterable[Report]) -> int:
    """Record the transfers each report names (`schema.report_transfers`), in the
    transaction that stores the reports, so risk checks find a report from its
    transfers through an index. Idempotent: a report linked again keeps one row per
    transfer. Returns how many links were written."""
    rows = [
        {"transfer_id": t, "report_id": r.event_id}
        for r in stored
        for t in dict.fromkeys(r.transfer_ids)
    ]
    ids = sorted({r["report_id"] for r in rows})
    for start in range(0, len(ids), 5_000):  # bounded IN lists
        part = ids[start : start + 5_000]
        conn.execute(report_transfers.delete().where(report_transfers.c.report_id.in_(part)))
    if rows:
        conn.execute(report_transfers.insert(), rows)
    return len(rows)


__all__ = [
    "SOURCES",
    "Assessment",
    "EngineDecisions",
    "Evidence",
    "PoliceOrders",
    "ReportedPayees",
    "RiskKind",
    "RiskSource",
    "RiskSources",
    "SeenBeforeReports",
    "Verdict",
    "advice",
    "assess",
    "default_sources",
    "link_reports",
    "normalise",
    "verdict_of",
]
