"""Victims' reports and the cases opened from them, as the service keeps them (DESIGN §6).

A report is filed by the police or by the public app and kept whole (`reports`), with who
filed it (`report_sources`); filing is idempotent on its `event_id`. Opening cases runs the
funds part's `open_cases` against the ledger the service holds — the transfers it accepted
that happened (stored whole in `events`) and the registry's accounts — so a report is
checked exactly as the command line checks one; a refused report keeps its reason, and is
tried again the next time cases are opened (its payments may not have arrived yet).
Tracing and the fund-flow table are the funds part's `Recovery.trace_cases` and
`write_flow`, honouring the orders in force (a stopped account paid nothing out).

Every function takes the open write transaction (`PlatformDB.writing`): reads of personal
data are audited, so even they write.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import msgspec
import pyarrow as pa
import sqlalchemy as sa

from fraudwall.errors import InputError
from fraudwall.funds import (
    GivenGroups,
    Recovery,
    RecoveryPolicy,
    Rule,
    Trace,
    flow_graph,
    group_evidence,
    open_cases,
    write_flow,
)
from fraudwall.model import (
    BY_TABLE,
    DAY_MS,
    Account,
    CaseFile,
    Outcome,
    Phone,
    Record,
    RecordError,
    Report,
    arrow_schema,
    empty_table,
    from_dict,
    table_from_records,
    utc,
)
from fraudwall.model.sql import record_of, row_of
from fraudwall.platform.auth import ApiRole, Principal
from fraudwall.platform.errors import Conflict, NotFound
from fraudwall.platform.eventlog import ACCEPTED
from fraudwall.platform.orderbook import LoadedBook, load_book
from fraudwall.platform.risk import link_reports
from fraudwall.platform.schema import (
    accounts,
    case_files,
    case_links,
    events,
    gang_cases,
    phones,
    report_sources,
    reports,
)
from fraudwall.platform.scope import check_speaks_for

LEDGER_KINDS: Final = ("transfers", "logins", "calls", "sms")
"""The events case intake reads: the ledger, and what links cases (devices, numbers)."""

DEFAULT_POLICY: Final = RecoveryPolicy()
"""How the service traces unless told otherwise: the funds part's default chain."""


# --- the world as the service holds it ---------------------------------------------------
def happened() -> sa.ColumnElement[bool]:
    """Events that took place: accepted, and not blocked, held or cancelled. A check still
    awaiting its outcome may never happen, so it is not in the ledger yet."""
    return sa.and_(
        events.c.status == ACCEPTED,
        sa.or_(events.c.outcome.is_(None), events.c.outcome == Outcome.EXECUTED.value),
    )


def event_table(conn: sa.Connection, kind: str) -> pa.Table:
    """The events of one kind that happened, as an Arrow table in time order (ties by id,
    so the ledger's journal is the same on every database)."""
    cls = BY_TABLE[kind]
    q = (
        sa.select(events.c.body)
        .where(events.c.kind == kind, happened())
        .order_by(events.c.ts, events.c.event_id)
    )
    bodies = conn.execute(q).scalars().all()
    if not bodies:
        return empty_table(cls)
    # stored whole and checked when accepted: decoded in one pass
    many: Any = list[cls]  # type: ignore[valid-type]
    records = msgspec.json.decode(("[" + ",".join(bodies) + "]").encode(), type=many)
    return table_from_records(cls, records)


def registry_table(conn: sa.Connection, table: sa.Table, cls: type[Record]) -> pa.Table:
    """A registry table as Arrow (its rows were checked when they were put there)."""
    rows = conn.execute(sa.select(table)).mappings().all()
    schema = arrow_schema(cls)
    return pa.Table.from_pylist([{k: r[k] for k in schema.names} for r in rows], schema=schema)


def world_tables(conn: sa.Connection, kinds: Sequence[str] = LEDGER_KINDS) -> dict[str, pa.Table]:
    """The events of `kinds` that happened as Arrow tables in time order, with the
    registry's accounts and phones: what the funds part reads as a world."""
    tables = {kind: event_table(conn, kind) for kind in kinds}
    tables["accounts"] = registry_table(conn, accounts, Account)
    tables["phones"] = registry_table(conn, phones, Phone)
    return tables


# --- reports -------------------------------------------------------------------------------
@dataclass(frozen=True)
class FiledReport:
    """A stored report, who filed it, and what became of it."""

    report: Report
    agency_id: str
    case_id: str | None
    refused: str | None

    @property
    def status(self) -> str:
        if self.case_id is not None:
            return "case"
        return "refused" if self.refused is not None else "filed"


def new_report(data: Mapping[str, Any], who: Principal, now: int) -> Report:
    """A report from a request's fields, in the caller's name, checked as the model says."""
    fields = dict(data)
    own = who.institution_id or who.agency_id
    given = fields.get("institution_id")
    if given is None:
        fields["institution_id"] = own
    elif given != own:
        check_speaks_for(who, given)
    try:
        report: Report = from_dict(Report, fields)
    except RecordError as exc:
        raise InputError(exc.field or "body", exc.problem) from None
    if report.ts > now:
        raise InputError("ts", f"{utc(report.ts)} is later than now ({utc(now)})")
    return report


def _report_query() -> sa.Select[Any]:
    return sa.select(
        reports, report_sources.c.agency_id, report_sources.c.case_id, report_sources.c.refused
    ).join(report_sources, report_sources.c.event_id == reports.c.event_id)


def _filed(row: Any) -> FiledReport:
    m = row._mapping
    report = record_of(Report, {c.name: m[c.name] for c in reports.columns})
    return FiledReport(report, m["agency_id"], m["case_id"], m["refused"])


def _differences(a: Report, b: Report) -> list[str]:
    return [f for f in a.__struct_fields__ if getattr(a, f) != getattr(b, f)]


def file_report(conn: sa.Connection, who: Principal, report: Report) -> tuple[FiledReport, bool]:
    """Store a report (True), or recognise an identical repeat of it (False). The same
    event_id with other content, or from another agency, is a conflict."""
    found = conn.execute(_report_query().where(reports.c.event_id == report.event_id)).first()
    if found is not None:
        stored = _filed(found)
        if stored.agency_id != who.agency_id:
            raise Conflict(
                "event_id",
                f"{report.event_id!r} is the id of another agency's report",
                hint="give each report its own event_id",
            )
        differ = _differences(stored.report, report)
        if differ:
            raise Conflict(
                "event_id",
                f"report {report.event_id!r} was filed before with other content "
                f"(differs in {', '.join(differ)})",
                hint="a repeat must be identical; a new report needs a new event_id",
            )
        return stored, False
    store_reports(conn, [report], who.agency_id, who.key_id)
    return FiledReport(report, who.agency_id, None, None), True


def store_reports(
    conn: sa.Connection, filed: Sequence[Report], agency_id: str, key_id: str
) -> None:
    """Store new reports as filed by `agency_id` with `key_id`, with the links from their
    transfers that risk checks read (`risk.link_reports`)."""
    for start in range(0, len(filed), 5_000):
        part = filed[start : start + 5_000]
        conn.execute(reports.insert(), [row_of(r) for r in part])
        conn.execute(
            report_sources.insert(),
            [{"event_id": r.event_id, "agency_id": agency_id, "key_id": key_id} for r in part],
        )
    link_reports(conn, filed)


def _own_only(who: Principal) -> bool:
    return who.role == ApiRole.PUBLIC_APP


def get_report(conn: sa.Connection, who: Principal, event_id: str) -> FiledReport:
    """One report; the public app sees only its own (another's is not found)."""
    q = _report_query().where(reports.c.event_id == event_id)
    if _own_only(who):
        q = q.where(report_sources.c.agency_id == who.agency_id)
    row = conn.execute(q).first()
    if row is None:
        raise NotFound("event_id", f"no report {event_id!r}")
    return _filed(row)


def list_reports(
    conn: sa.Connection,
    who: Principal,
    *,
    mine: bool = False,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[FiledReport]:
    """Reports in the order they were made (the public app: only its own)."""
    q = _report_query()
    if mine or _own_only(who):
        q = q.where(report_sources.c.agency_id == who.agency_id)
    if status == "case":
        q = q.where(report_sources.c.case_id.is_not(None))
    elif status == "refused":
        q = q.where(report_sources.c.refused.is_not(None))
    elif status == "filed":
        q = q.where(report_sources.c.case_id.is_(None), report_sources.c.refused.is_(None))
    q = q.order_by(reports.c.ts, reports.c.event_id).limit(limit).offset(offset)
    return [_filed(r) for r in conn.execute(q)]


# --- cases ---------------------------------------------------------------------------------
@dataclass
class Opened:
    """What opening cases did: new cases, refused reports with their reasons, cases whose
    group changed (old group, new group), and reports that were cases already."""

    opened: list[CaseFile] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    regrouped: list[tuple[CaseFile, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def all_cases(conn: sa.Connection) -> list[CaseFile]:
    q = sa.select(case_files).order_by(case_files.c.report_ts, case_files.c.case_id)
    return [record_of(CaseFile, r) for r in conn.execute(q)]


def stored_links(conn: sa.Connection, case_ids: Sequence[str]) -> dict[str, frozenset[str]]:
    """What each of the cases may share with another, as intake found it (a case with
    nothing stored is left out: it shares nothing, or was stored without its links)."""
    wanted = set(case_ids)
    found: dict[str, set[str]] = {}
    for r in conn.execute(sa.select(case_links)):
        if r.case_id in wanted:
            found.setdefault(r.case_id, set()).add(r.link_key)
    return {k: frozenset(v) for k, v in found.items()}


def _store_links(conn: sa.Connection, case_id: str, keys: frozenset[str]) -> None:
    if keys:
        conn.execute(
            case_links.insert(), [{"case_id": case_id, "link_key": k} for k in sorted(keys)]
        )


def gang_groups(conn: sa.Connection) -> GivenGroups | None:
    """The case groups the published gangs give (`gang_cases`: each report's gang and the
    evidence linking it), or None when no gangs are published."""
    from fraudwall.intel.gangs import evidence_keys

    rows = [
        (r.case_id, r.gang_id, evidence_keys(r.evidence))
        for r in conn.execute(sa.select(gang_cases).order_by(gang_cases.c.case_id))
    ]
    return GivenGroups.of_reports(rows, source="gangs") if rows else None


def _apply_groups(
    conn: sa.Connection, intake_cases: Sequence[CaseFile], before: Mapping[str, CaseFile]
) -> list[tuple[CaseFile, str]]:
    """Store the group of every case already stored whose group changed; returns them with
    their old group."""
    moved = []
    for case in intake_cases:
        old = before.get(case.case_id)
        if old is not None and old.group_id != case.group_id:
            conn.execute(
                case_files.update()
                .where(case_files.c.case_id == case.case_id)
                .values(group_id=case.group_id)
            )
            moved.append((case, old.group_id))
    return moved


def regroup_cases(conn: sa.Connection) -> list[tuple[CaseFile, str]]:
    """Group the stored cases again (after gangs were published: the cases they name take
    their gang as group); returns the cases whose group changed, with the old group."""
    existing = all_cases(conn)
    if not existing:
        return []
    before = {c.case_id: c for c in existing}
    known_links = stored_links(conn, list(before))
    tables = world_tables(conn)
    intake = open_cases([], tables, existing=existing, links=known_links, groups=gang_groups(conn))
    for case in intake.cases:
        if case.case_id not in known_links:
            _store_links(conn, case.case_id, intake.links.get(case.case_id, frozenset()))
    return _apply_groups(conn, intake.cases, before)


def open_from_reports(conn: sa.Connection, report_ids: Sequence[str] | None, now: int) -> Opened:
    """Open cases from stored reports (the listed ones, or every one not yet a case) and
    regroup every case, as the funds part's `open_cases` decides (by the published gangs
    for the cases they name, else by what the cases share)."""
    q = _report_query()
    if report_ids is not None:
        q = q.where(reports.c.event_id.in_(list(report_ids)))
    else:
        q = q.where(report_sources.c.case_id.is_(None))
    filed = [_filed(r) for r in conn.execute(q)]
    if report_ids is not None:
        missing = sorted(set(report_ids) - {f.report.event_id for f in filed})
        if missing:
            raise NotFound("report_ids", f"no report {missing[0]!r}")
    result = Opened(skipped=sorted(f.report.event_id for f in filed if f.case_id is not None))
    candidates = [f.report for f in filed if f.case_id is None]
    if not candidates:
        return result
    existing = all_cases(conn)
    before = {c.case_id: c for c in existing}
    known_links = stored_links(conn, list(before))  # the rest are found again by intake
    intake = open_cases(
        candidates, world_tables(conn), existing=existing, opened_ts=now, links=known_links,
        groups=gang_groups(conn),
    )  # fmt: skip
    result.regrouped = _apply_groups(conn, intake.cases, before)
    for case in intake.cases:
        if case.case_id not in before:
            conn.execute(case_files.insert(), [row_of(case)])
            conn.execute(
                report_sources.update()
                .where(report_sources.c.event_id == case.report_id)
                .values(case_id=case.case_id, refused=None)
            )
            result.opened.append(case)
        if case.case_id not in known_links:  # new, or stored without its links (a demo's)
            _store_links(conn, case.case_id, intake.links.get(case.case_id, frozenset()))
    for rejected in intake.rejected:
        conn.execute(
            report_sources.update()
            .where(report_sources.c.event_id == rejected.report_id)
            .values(refused=rejected.reason)
        )
        result.refused.append((rejected.report_id, rejected.reason))
    return result


def get_case(conn: sa.Connection, case_id: str) -> CaseFile:
    row = conn.execute(sa.select(case_files).where(case_files.c.case_id == case_id)).first()
    if row is None:
        raise NotFound("case_id", f"no case {case_id!r}")
    return record_of(CaseFile, row)


def list_cases(
    conn: sa.Connection, *, group_id: str | None = None, limit: int = 100, offset: int = 0
) -> list[CaseFile]:
    q = sa.select(case_files)
    if group_id is not None:
        q = q.where(case_files.c.group_id == group_id)
    q = q.order_by(case_files.c.report_ts, case_files.c.case_id).limit(limit).offset(offset)
    return [record_of(CaseFile, r) for r in conn.execute(q)]


# --- linked cases (串并案) -------------------------------------------------------------------
@dataclass(frozen=True)
class CaseGroup:
    """Cases linked by what they share: `shared` maps each key (``account:…``, ``device:…``,
    ``number:…``) held by two or more of them to those cases; for a gang's cases, each key
    of the evidence linking them to the gang (`gang_cases`) to the cases it names."""

    group_id: str
    cases: list[CaseFile]
    shared: dict[str, list[str]]

    @property
    def linked_by(self) -> list[str]:
        return sorted({k.split(":", 1)[0] for k in self.shared})


def case_groups(conn: sa.Connection, group_id: str | None = None) -> list[CaseGroup]:
    """Every case group (or the one named), largest reported loss first."""
    cases = list_cases(conn, group_id=group_id, limit=1 << 62) if group_id else all_cases(conn)
    links = stored_links(conn, [c.case_id for c in cases])
    given = gang_groups(conn)
    if given is not None:  # only the gangs these cases are in count
        given = GivenGroups(
            {c.case_id: c.group_id for c in cases if given.group_of.get(c.case_id) == c.group_id},
            given.evidence, given.source,
        )  # fmt: skip
    evidence = group_evidence(cases, links, given)
    members: dict[str, list[CaseFile]] = {}
    for c in cases:
        members.setdefault(c.group_id, []).append(c)
    out = [CaseGroup(gid, group, evidence.get(gid, {})) for gid, group in members.items()]
    out.sort(key=lambda g: (-sum(c.loss_fen for c in g.cases), g.group_id))
    return out


def get_group(conn: sa.Connection, group_id: str) -> CaseGroup:
    found = case_groups(conn, group_id)
    if not found:
        raise NotFound("group_id", f"no case group {group_id!r}")
    return found[0]


# --- tracing and the fund-flow table ------------------------------------------------------
def policy_for(
    rule: Rule | str | None = None, hops: int | None = None, window_days: int | None = None
) -> RecoveryPolicy:
    """The service's tracing policy with the caller's rule, hop limit and window."""
    base = DEFAULT_POLICY
    try:
        return RecoveryPolicy(
            rule=Rule(rule) if rule is not None else base.rule,
            max_hops=hops if hops is not None else base.max_hops,
            window_ms=window_days * DAY_MS if window_days is not None else base.window_ms,
            intake_ms=base.intake_ms,
            bank_response_ms=base.bank_response_ms,
            freeze_after_ms=base.freeze_after_ms,
        )
    except ValueError as exc:
        where, _, problem = str(exc).partition(": ")
        raise InputError(where, problem or str(exc)) from None


def recovery_for(
    conn: sa.Connection,
    cases: Sequence[CaseFile],
    policy: RecoveryPolicy,
    now: int,
    loaded: LoadedBook | None = None,
) -> Recovery:
    """The funds part's recovery chain over the service's ledger and orders (the book
    `loaded` in this transaction, or the stored one), for tracing."""
    loaded = loaded if loaded is not None else load_book(conn, now)
    return Recovery(
        world_tables(conn, ("transfers",)),
        policy,
        loaded.trail,
        {c.case_id: c for c in cases},
        loaded.book,
    )


@dataclass(frozen=True)
class CaseTrace:
    """A case's (or its group's) money traced as the ledger stands now."""

    case: CaseFile
    members: list[CaseFile]
    policy: RecoveryPolicy
    as_of_ts: int
    result: Trace
    recovery: Recovery

    def meta(self, group: bool) -> dict[str, Any]:
        return {
            "case_id": self.case.group_id if group else self.case.case_id,
            "rule": str(self.policy.rule),
            "max_hops": self.policy.max_hops,
            "window_ms": self.policy.window_ms,
            "as_of_ts": self.as_of_ts,
            "cases": [c.case_id for c in self.members],
        }


def trace_case(
    conn: sa.Connection,
    case_id: str,
    policy: RecoveryPolicy,
    now: int,
    *,
    group: bool = False,
    loaded: LoadedBook | None = None,
) -> CaseTrace:
    """Trace the case's payments (with `group`, every case of its group together) under
    `policy`, as the ledger stands at `now`, honouring the stops and freezes in force.
    Each case is one victim label."""
    case = get_case(conn, case_id)
    members = list_cases(conn, group_id=case.group_id, limit=1 << 62) if group else [case]
    recovery = recovery_for(conn, members, policy, now, loaded)
    try:
        result = recovery.trace_cases(members, now)
    except (KeyError, ValueError) as exc:
        raise InputError("case_id", f"{case_id}: cannot be traced ({exc})") from None
    return CaseTrace(case, members, policy, now, result, recovery)


def flow_json(traced: CaseTrace, group: bool) -> dict[str, Any]:
    """The fund-flow table and graph as JSON: the graph (`flow_graph`) and the three tables
    the CSV and XLSX hold (hops, money held, money gone), with amounts in yuan text."""
    flow = traced.recovery.flow_tables(traced.result)
    graph = flow_graph(flow, traced.result.paid, traced.meta(group))
    return {
        **graph,
        "hops": flow.hop_rows(),
        "held": flow.holding_rows(),
        "exits": flow.exit_rows(),
    }


FLOW_FILES: Final[Mapping[str, str]] = {
    "flow": "flow_csv",
    "held": "held_csv",
    "exits": "exits_csv",
    "xlsx": "xlsx",
}


def flow_file(traced: CaseTrace, group: bool, which: str) -> bytes:
    """One file of the fund-flow table as `write_flow` writes it: ``flow``, ``held`` or
    ``exits`` (CSV) or ``xlsx`` (the workbook of all three)."""
    flow = traced.recovery.flow_tables(traced.result)
    meta = traced.meta(group)
    days, rest = divmod(traced.policy.window_ms, DAY_MS)
    meta["window_days"] = days if rest == 0 else traced.policy.window_ms / DAY_MS
    with tempfile.TemporaryDirectory(prefix="fraudwall-flow-") as folder:
        paths = write_flow(Path(folder), flow, traced.result.paid, meta)
        return paths[FLOW_FILES[which]].read_bytes()


__all__ = [
    "DEFAULT_POLICY",
    "FLOW_FILES",
    "LEDGER_KINDS",
    "CaseGroup",
    "CaseTrace",
    "FiledReport",
    "Opened",
    "all_cases",
    "case_groups",
    "file_report",
    "flow_file",
    "flow_json",
    "get_case",
    "get_group",
    "get_report",
    "happened",
    "list_cases",
    "list_reports",
    "new_report",
    "open_from_reports",
    "policy_for",
    "recovery_for",
    "stored_links",
    "trace_case",
    "world_tables",
]
