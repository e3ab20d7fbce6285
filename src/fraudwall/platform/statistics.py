"""Statistics for the police: reports, cases and losses, and what the engine decided.

One breakdown at a time over a span of time [from, to):

- ``fraud_type``: victims' reports and the cases opened from them, with their losses;
- ``region``: the same by the victim's region (the registry's people; a report whose
  person the registry does not hold counts under ``unknown``, and the answer says so);
- ``channel``: the engine's decisions by action, per transfer channel (mobile, online,
  ...) and per call or SMS gateway (domestic, international);
- ``day``: all of these per local calendar day (China Standard Time, `LOCAL_OFFSET_MS`).

Reports count by their time, cases by the time of their report, decisions by theirs.
Only aggregates leave here: no ids, no person.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

import sqlalchemy as sa

from fraudwall.errors import InputError
from fraudwall.model import DAY_MS, FRAUD_TYPE_ZH, LOCAL_OFFSET_MS
from fraudwall.platform.schema import case_files, decisions, events, people, reports

UNKNOWN: Final = "unknown"
MAX_DAYS: Final = 366
"""The longest span counted by day (one row per day)."""


class StatBy(StrEnum):
    FRAUD_TYPE = "fraud_type"
    REGION = "region"
    CHANNEL = "channel"
    DAY = "day"


@dataclass
class StatRow:
    """One group: `key` (a fraud type, region, ``transfer:mobile``, a local date)."""

    key: str
    label: str | None = None
    reports: int = 0
    reported_loss_fen: int = 0
    cases: int = 0
    case_loss_fen: int = 0
    decisions: dict[str, int] = field(default_factory=dict)

    def add(self, other: StatRow) -> None:
        self.reports += other.reports
        self.reported_loss_fen += other.reported_loss_fen
        self.cases += other.cases
        self.case_loss_fen += other.case_loss_fen
        for action, n in other.decisions.items():
            self.decisions[action] = self.decisions.get(action, 0) + n


@dataclass
class Statistics:
    by: StatBy
    from_ts: int
    to_ts: int
    rows: list[StatRow]
    total: StatRow
    notes: list[str]


def local_day(ts: int) -> str:
    """The local (China Standard Time) calendar date of `ts`."""
    return datetime.fromtimestamp((ts + LOCAL_OFFSET_MS) // 1000, UTC).date().isoformat()


def statistics(conn: sa.Connection, by: StatBy, from_ts: int, to_ts: int) -> Statistics:
    """Counts and losses by `by` over [from_ts, to_ts) (see the module doc)."""
    if to_ts <= from_ts:
        raise InputError("to", f"{to_ts} is not after from ({from_ts})")
    notes: list[str] = []
    if by is StatBy.FRAUD_TYPE:
        rows = _by_fraud_type(conn, from_ts, to_ts)
    elif by is StatBy.REGION:
        rows = _by_region(conn, from_ts, to_ts, notes)
    elif by is StatBy.CHANNEL:
        rows = _by_channel(conn, from_ts, to_ts)
    else:
        rows = _by_day(conn, from_ts, to_ts)
    total = StatRow(key="total")
    for row in rows:
        total.add(row)
    return Statistics(by, from_ts, to_ts, rows, total, notes)


def _merge(into: dict[str, StatRow], key: str, **counts: int) -> StatRow:
    row = into.setdefault(key, StatRow(key=key))
    for name, n in counts.items():
        setattr(row, name, getattr(row, name) + int(n or 0))
    return row


def _reports_and_cases(
    conn: sa.Connection,
    from_ts: int,
    to_ts: int,
    report_key: Any,
    case_key: Any,
    report_from: Any = reports,
    case_from: Any = case_files,
) -> dict[str, StatRow]:
    """Reports and cases grouped by the given SQL expressions (NULL counts as unknown)."""
    rows: dict[str, StatRow] = {}
    q = (
        sa.select(report_key, sa.func.count(), sa.func.sum(reports.c.loss_fen))
        .select_from(report_from)
        .where(reports.c.ts >= from_ts, reports.c.ts < to_ts)
        .group_by(report_key)
    )
    for key, n, loss in conn.execute(q):
        _merge(rows, _key(key), reports=n, reported_loss_fen=loss)
    q = (
        sa.select(case_key, sa.func.count(), sa.func.sum(case_files.c.loss_fen))
        .select_from(case_from)
        .where(case_files.c.report_ts >= from_ts, case_files.c.report_ts < to_ts)
        .group_by(case_key)
    )
    for key, n, loss in conn.execute(q):
        _merge(rows, _key(key), cases=n, case_loss_fen=loss)
    return rows


def _key(value: Any) -> str:
    return UNKNOWN if value is None else str(value)


def _by_fraud_type(conn: sa.Connection, from_ts: int, to_ts: int) -> list[StatRow]:
    rows = _reports_and_cases(conn, from_ts, to_ts, reports.c.fraud_type, case_files.c.fraud_type)
    for row in rows.values():
        row.label = FRAUD_TYPE_ZH.get(row.key, "未知")
    return _by_size(rows.values())


def _by_region(conn: sa.Connection, from_ts: int, to_ts: int, notes: list[str]) -> list[StatRow]:
    victims = people.alias("victims")
    rows = _reports_and_cases(
        conn,
        from_ts,
        to_ts,
        people.c.region,
        victims.c.region,
        reports.outerjoin(people, people.c.person_id == reports.c.person_id),
        case_files.outerjoin(victims, victims.c.person_id == case_files.c.victim_person_id),
    )
    unknown = rows.get(UNKNOWN)
    if conn.execute(sa.select(people.c.person_id).limit(1)).first() is None:
        notes.append(
            "the registry holds no people, so no victim's region is known: every report and "
            "case counts under 'unknown' (load people, with their regions, to count by region)"
        )
    elif unknown is not None:
        notes.append(
            f"{unknown.reports} reports and {unknown.cases} cases name people the registry "
            "does not hold: they count under 'unknown'"
        )
    return _by_size(rows.values())


def _by_size(rows: Iterable[StatRow]) -> list[StatRow]:
    return sorted(rows, key=lambda r: (-r.reports, -r.cases, r.key))


def _by_channel(conn: sa.Connection, from_ts: int, to_ts: int) -> list[StatRow]:
    q = (
        sa.select(decisions.c.kind, events.c.channel, decisions.c.action, sa.func.count())
        .select_from(decisions.outerjoin(events, events.c.event_id == decisions.c.event_id))
        .where(decisions.c.ts >= from_ts, decisions.c.ts < to_ts)
        .group_by(decisions.c.kind, events.c.channel, decisions.c.action)
    )
    rows: dict[str, StatRow] = {}
    for kind, channel, action, n in conn.execute(q):
        row = _merge(rows, f"{kind}:{_key(channel)}")
        row.decisions[action] = row.decisions.get(action, 0) + int(n)
    return sorted(rows.values(), key=lambda r: r.key)


def _day_number(ts: Any) -> Any:
    return (ts + LOCAL_OFFSET_MS) // DAY_MS


def _by_day(conn: sa.Connection, from_ts: int, to_ts: int) -> list[StatRow]:
    first, last = _day_number(from_ts), _day_number(to_ts - 1)
    if last - first + 1 > MAX_DAYS:
        raise InputError(
            "from", f"counting by day covers at most {MAX_DAYS} days (asked: {last - first + 1})"
        )
    by_number = _reports_and_cases(
        conn, from_ts, to_ts, _day_number(reports.c.ts), _day_number(case_files.c.report_ts)
    )
    day = _day_number(decisions.c.ts)
    q = (
        sa.select(day, decisions.c.action, sa.func.count())
        .where(decisions.c.ts >= from_ts, decisions.c.ts < to_ts)
        .group_by(day, decisions.c.action)
    )
    for number, action, n in conn.execute(q):
        row = _merge(by_number, str(number))
        row.decisions[action] = row.decisions.get(action, 0) + int(n)
    out = []
    for number in range(first, last + 1):
        row = by_number.get(str(number), StatRow(key=""))
        row.key = local_day(number * DAY_MS - LOCAL_OFFSET_MS)
        out.append(row)
    return out


__all__ = ["MAX_DAYS", "UNKNOWN", "StatBy", "StatRow", "Statistics", "local_day", "statistics"]
