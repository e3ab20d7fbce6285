"""Cases: a victim's report, checked against the ledger, becomes a case; cases that share
accounts, numbers or devices are linked into one group (串并案).

Groups may also be given from outside (`GivenGroups`: each case's group and the evidence
that links it, e.g. the communities a gang finder found over accounts, devices, IPs and
numbers); the cases they name are grouped as given, the others by their own links.

A report is refused with the field and the problem when it does not fit the ledger (a
transfer that does not exist, was not paid from the victim's account, happened after the
report, or differs in amount or time from what the victim says). Refused reports are kept
with their reason; nothing already accepted is lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.model import (
    AccountKind,
    CaseFile,
    LineKind,
    RecordError,
    Report,
    records_from_table,
    utc,
)

TIME_TOLERANCE_MS: Final = 30 * 60 * 1000
"""How far the time a victim gives for a payment may be from the ledger's (clocks, memory)."""

CONTACT_WINDOW_MS: Final = 72 * 3600 * 1000
"""Numbers that first reached the victim in this window before the first payment are the
report's suspect numbers (the ones that talked the victim into paying)."""

SMS_WEIGHT_MS: Final = 30_000
"""An SMS weighs as much as half a minute of talk when choosing the number that did the
talking."""

MIN_TALK_MS: Final = 120_000
"""A number that spoke with the victim for less than this in all is a passer-by (a sales
call, a wrong number), not the one that talked them into paying."""

CASE_PREFIX: Final = "CASE-"


@dataclass(frozen=True)
class StatedPayment:
    """What the victim says about one payment; the amount and time are checked if given."""

    transfer_id: str
    amount_fen: int | None = None
    ts: int | None = None


@dataclass(frozen=True)
class Rejected:
    """A report that could not become a case, with the field and the problem."""

    report_id: str
    field: str
    problem: str

    @property
    def reason(self) -> str:
        return f"{self.field}: {self.problem}" if self.field else self.problem


@dataclass(frozen=True)
class GivenGroups:
    """Case groups found outside the funds part, to group cases by instead of their own
    links: each case's group id (`group_of`, by case id) and the evidence that links it
    to its group (`evidence`, keys written as `link_keys` writes them: ``account:…``,
    ``device:…``, ``ip:…``, ``number:…``). `source` names where they came from."""

    group_of: Mapping[str, str]
    evidence: Mapping[str, frozenset[str]] = field(default_factory=dict)
    source: str = "given"

    @classmethod
    def of_reports(
        cls, rows: Iterable[tuple[str, str, Iterable[str]]], source: str = "given"
    ) -> GivenGroups:
        """Groups from (report id, group id, evidence keys) rows: each report's case."""
        group_of: dict[str, str] = {}
        evidence: dict[str, frozenset[str]] = {}
        for report_id, group_id, keys in rows:
            cid = case_id_for(report_id)
            group_of[cid] = group_id
            evidence[cid] = frozenset(keys)
        return cls(group_of, evidence, source)

    def linked_by(self, case_id: str) -> list[str]:
        """The evidence given for a case, sorted (empty when it names none)."""
        return sorted(self.evidence.get(case_id, ()))


@dataclass
class Intake:
    """What opening cases from reports gave: the cases, the refused reports, the links."""

    cases: list[CaseFile] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    links: dict[str, frozenset[str]] = field(default_factory=dict)  # case id -> link keys

    def rejected_table(self) -> pa.Table:
        return pa.table(
            {
                "report_id": pa.array([r.report_id for r in self.rejected], pa.string()),
                "reason": pa.array([r.reason for r in self.rejected], pa.string()),
            }
        )


def case_id_for(report_id: str) -> str:
    """One report, one case: the case id is derived from the report, so intake is idempotent."""
    return CASE_PREFIX + report_id


# --- the ledger side of a report ------------------------------------------------------------
class Payment(NamedTuple):
    """One transfer as case intake and the ground-truth measure read it."""

    event_id: str
    ts: int
    from_account: str
    to_account: str
    amount_fen: int


def transfer_rows(transfers: pa.Table, ids: Iterable[str]) -> list[Payment]:
    """The listed transfers, in journal order (time, then row), in one pass over the ledger."""
    wanted = pa.array(sorted(set(ids)), pa.string())
    rows = transfers.filter(pc.is_in(transfers["event_id"], value_set=wanted))
    rows = rows.select(list(Payment._fields))
    order = np.lexsort((np.arange(rows.num_rows), rows["ts"].to_numpy()))
    cols = rows.take(pa.array(order)).to_pydict()
    return [Payment(*row) for row in zip(*(cols[f] for f in Payment._fields), strict=True)]


def _payments(transfers: pa.Table, ids: Iterable[str]) -> dict[str, Payment]:
    return {p.event_id: p for p in transfer_rows(transfers, ids)}


def account_owners(accounts: pa.Table) -> dict[str, str | None]:
    """Each account's owner (None for companies and outside accounts), for `open_cases`."""
    cols = accounts.select(["account_id", "owner_person_id"]).to_pydict()
    return dict(zip(cols["account_id"], cols["owner_person_id"], strict=True))


def check_report(
    report: Report,
    payments: Mapping[str, Payment],
    owners: Mapping[str, str | None],
    claims: Sequence[StatedPayment] = (),
    taken: Mapping[str, str] | None = None,
) -> tuple[list[str], int]:
    """The victim's paying accounts and the total paid, or a `RecordError` naming the field.

    `taken` maps transfers already in a case to that case, so one payment is never
    reported twice.
    """
    if not report.transfer_ids:
        raise RecordError(
            "transfer_ids", "a report must list at least one of the victim's payments"
        )
    seen: set[str] = set()
    paid = 0
    victim_accounts: list[str] = []
    for i, tid in enumerate(report.transfer_ids):
        where = f"transfer_ids[{i}]"
        if tid in seen:
            raise RecordError(where, f"'{tid}' is listed twice")
        seen.add(tid)
        p = payments.get(tid)
        if p is None:
            raise RecordError(where, f"no transfer '{tid}' in the ledger")
        if p.ts > report.ts:
            raise RecordError(
                where, f"'{tid}' at {utc(p.ts)} is after the report ({utc(report.ts)})"
            )
        owner = owners.get(p.from_account)
        if owner != report.person_id:
            raise RecordError(
                where,
                f"'{tid}' was paid from account {p.from_account}, which is not "
                f"{report.person_id}'s",
            )
        if taken and tid in taken:
            raise RecordError(where, f"'{tid}' is already in case {taken[tid]}")
        paid += p.amount_fen
        if p.from_account not in victim_accounts:
            victim_accounts.append(p.from_account)
    for claim in claims:
        p = payments.get(claim.transfer_id)
        if p is None or claim.transfer_id not in seen:
            raise RecordError(
                "claims", f"'{claim.transfer_id}' is not one of the report's transfers"
            )
        if claim.amount_fen is not None and claim.amount_fen != p.amount_fen:
            raise RecordError(
                "amount_fen",
                f"the victim says {claim.amount_fen} fen for '{claim.transfer_id}', "
                f"the ledger has {p.amount_fen}",
            )
        if claim.ts is not None and abs(claim.ts - p.ts) > TIME_TOLERANCE_MS:
            raise RecordError(
                "ts",
                f"the victim says '{claim.transfer_id}' was paid at {utc(claim.ts)}, "
                f"the ledger has {utc(p.ts)}",
            )
    if report.loss_fen > paid:
        raise RecordError(
            "loss_fen", f"{report.loss_fen} is more than the {paid} the reported transfers paid"
        )
    return victim_accounts, paid


# --- links between cases ----------------------------------------------------------------------
def _strings(table: pa.Table, name: str) -> np.ndarray[Any, Any]:
    return np.asarray(table[name].to_numpy(zero_copy_only=False), dtype=object)


def link_keys(
    cases: Sequence[CaseFile], tables: Mapping[str, pa.Table], payments: Mapping[str, Payment]
) -> dict[str, frozenset[str]]:
    """What each case can share with another: the accounts the victim paid into, the devices
    that operated those accounts before the report, and the numbers that first reached the
    victim in the days before the first payment. Keys are prefixed by kind (``account:``,
    ``device:``, ``number:``) so that different kinds never collide."""
    keys: dict[str, set[str]] = {c.case_id: set() for c in cases}
    kinds = _account_kinds(tables.get("accounts"))
    payees: dict[str, set[str]] = {}
    for c in cases:
        for tid in c.transfer_ids:
            acct = payments[tid].to_account
            if kinds.get(acct) in (AccountKind.EXTERNAL, AccountKind.CORPORATE):
                continue  # a bank's own or an outside account links nobody
            keys[c.case_id].add("account:" + acct)
            payees.setdefault(acct, set()).add(c.case_id)
    _device_keys(cases, tables, payees, keys)
    _number_keys(cases, tables, payments, keys)
    return {k: frozenset(v) for k, v in keys.items()}


def _account_kinds(accounts: pa.Table | None) -> dict[str, str]:
    if accounts is None:
        return {}
    cols = accounts.select(["account_id", "kind"]).to_pydict()
    return dict(zip(cols["account_id"], cols["kind"], strict=True))


def _device_keys(
    cases: Sequence[CaseFile],
    tables: Mapping[str, pa.Table],
    payees: Mapping[str, set[str]],
    keys: dict[str, set[str]],
) -> None:
    """Devices seen paying out of, or logging into, a payee account before each report."""
    report_ts = {c.case_id: c.report_ts for c in cases}
    wanted = pa.array(sorted(payees), pa.string())
    sources = (("transfers", "from_account"), ("logins", "account_id"))
    for name, column in sources:
        table = tables.get(name)
        if table is None or table.num_rows == 0 or not payees:
            continue
        rows = table.filter(pc.is_in(table[column], value_set=wanted))
        rows = rows.filter(pc.is_valid(rows["device_id"]))
        accts, devices, ts = (
            _strings(rows, column),
            _strings(rows, "device_id"),
            rows["ts"].to_numpy(),
        )
        for acct, device, t in zip(accts, devices, ts, strict=True):
            for cid in payees[acct]:
                if t <= report_ts[cid]:
                    keys[cid].add("device:" + device)


def _number_keys(
    cases: Sequence[CaseFile],
    tables: Mapping[str, pa.Table],
    payments: Mapping[str, Payment],
    keys: dict[str, set[str]],
) -> None:
    """The number that did the talking: of the numbers whose first call or SMS to the victim
    came in the window before the first payment, the one that talked longest. A number the
    victim knew before is not evidence; nor is every stranger who rang (couriers, sales), as
    those would link unrelated victims."""
    phones = tables.get("phones")
    if phones is None:
        return
    owner = _strings(phones, "owner_person_id")
    number = _strings(phones, "number")
    service = _strings(phones, "line_kind") == LineKind.SERVICE.value
    victims = {c.victim_person_id for c in cases}
    mine: dict[str, str] = {
        n: o for n, o in zip(number, owner, strict=True) if o is not None and o in victims
    }
    service_numbers = set(number[service])
    if not mine:
        return
    first_payment = {c.case_id: min(payments[t].ts for t in c.transfer_ids) for c in cases}
    by_victim: dict[str, list[CaseFile]] = {}
    for c in cases:
        by_victim.setdefault(c.victim_person_id, []).append(c)
    wanted = pa.array(sorted(mine), pa.string())
    first_seen: dict[tuple[str, str], int] = {}  # (victim, number) -> first contact ts
    talk: dict[tuple[str, str, str], int] = {}  # (case, victim, number) -> ms talked in window
    contacts = []
    for name, src, dst in (("calls", "caller", "callee"), ("sms", "sender", "receiver")):
        table = tables.get(name)
        if table is None or table.num_rows == 0:
            continue
        rows = table.filter(pc.is_in(table[dst], value_set=wanted))
        duration = (
            rows["duration_ms"].to_numpy()
            if "duration_ms" in rows.column_names
            else np.full(rows.num_rows, SMS_WEIGHT_MS)
        )
        contacts.append((_strings(rows, src), _strings(rows, dst), rows["ts"].to_numpy(), duration))
    for callers, callees, times, _ in contacts:
        for caller, callee, t in zip(callers, callees, times, strict=True):
            k = (mine[callee], caller)
            if t < first_seen.get(k, 1 << 62):
                first_seen[k] = int(t)
    for callers, callees, times, durations in contacts:
        for caller, callee, t, d in zip(callers, callees, times, durations, strict=True):
            if caller in service_numbers or caller in mine:
                continue  # service lines and the victim's own numbers link nobody
            victim = mine[callee]
            for c in by_victim.get(victim, ()):
                start = first_payment[c.case_id] - CONTACT_WINDOW_MS
                if start <= first_seen[(victim, caller)] and start <= t <= first_payment[c.case_id]:
                    k3 = (c.case_id, victim, caller)
                    talk[k3] = talk.get(k3, 0) + int(d)
    best: dict[str, tuple[int, str]] = {}
    for (cid, _, caller), ms in talk.items():
        if (ms, caller) > best.get(cid, (0, "")):
            best[cid] = (ms, caller)
    for cid, (ms, caller) in best.items():
        if ms >= MIN_TALK_MS:
            keys[cid].add("number:" + caller)


def group_cases(
    cases: Sequence[CaseFile],
    links: Mapping[str, frozenset[str]],
    given: GivenGroups | None = None,
) -> dict[str, str]:
    """Each case's group. Cases `given` names take the group given; the others are unioned
    when they share a key, each group named after its earliest case (by report time, then
    id), so a group keeps its name as later cases join it."""
    fixed = given.group_of if given is not None else {}
    order = sorted(cases, key=lambda c: (c.report_ts, c.case_id))
    parent = {c.case_id: c.case_id for c in order}
    rank = {c.case_id: i for i, c in enumerate(order)}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    owner: dict[str, str] = {}
    for c in order:
        if c.case_id in fixed:
            continue
        for key in sorted(links.get(c.case_id, ())):
            other = owner.setdefault(key, c.case_id)
            a, b = find(other), find(c.case_id)
            if a != b:
                first, second = (a, b) if rank[a] < rank[b] else (b, a)
                parent[second] = first
    return {c.case_id: fixed.get(c.case_id) or find(c.case_id) for c in order}


def group_evidence(
    cases: Sequence[CaseFile],
    links: Mapping[str, frozenset[str]],
    given: GivenGroups | None = None,
) -> dict[str, dict[str, list[str]]]:
    """Per group: what links its cases, each key with the cases holding it (sorted). A
    given group's cases hold the evidence given for them; the others, the keys of their
    own links that two or more cases of their group share."""
    fixed = given.group_of if given is not None else {}
    holders: dict[str, dict[str, list[str]]] = {}
    for c in sorted(cases, key=lambda c: (c.report_ts, c.case_id)):
        keys = given.evidence.get(c.case_id) if given and c.case_id in fixed else None
        mine = holders.setdefault(c.group_id, {})
        for key in sorted(keys or links.get(c.case_id) or ()):
            mine.setdefault(key, []).append(c.case_id)
    given_groups = set(fixed.values())
    return {
        group_id: {
            k: ids for k, ids in sorted(held.items()) if len(ids) > 1 or group_id in given_groups
        }
        for group_id, held in holders.items()
    }


# --- intake ---------------------------------------------------------------------------------
def open_cases(
    reports: Sequence[Report],
    tables: Mapping[str, pa.Table],
    *,
    claims: Mapping[str, Sequence[StatedPayment]] | None = None,
    existing: Sequence[CaseFile] = (),
    opened_ts: int | None = None,
    links: Mapping[str, frozenset[str]] | None = None,
    owners: Mapping[str, str | None] | None = None,
    intake_ms: int = 0,
    groups: GivenGroups | None = None,
) -> Intake:
    """Turn reports into cases against the world's ledger (`tables` holds at least
    `transfers` and `accounts`; `phones`, `calls`, `sms`, `logins` add links) and group them
    with the `existing` cases. A report that is already a case is skipped; a bad one is
    refused with its reason. `opened_ts` defaults to each report's own time plus
    `intake_ms` (the police's intake, `RecoveryPolicy.intake_ms`). With `groups`, the cases
    it names are grouped as it says (see `group_cases`).

    A caller taking reports one at a time passes back the previous intake's `links` (a
    case's links depend on that case alone, so they are found once) and the accounts'
    `owners`, so each report costs a scan for its own payments, not for every case's."""
    transfers = tables["transfers"]
    owners = owners if owners is not None else account_owners(tables["accounts"])
    cached = {c.case_id: links[c.case_id] for c in existing if links and c.case_id in links}
    all_ids = [t for r in reports for t in r.transfer_ids] + [
        t for c in existing if c.case_id not in cached for t in c.transfer_ids
    ]
    payments = _payments(transfers, all_ids)
    taken = {t: c.case_id for c in existing for t in c.transfer_ids}
    known = {c.case_id for c in existing}
    intake = Intake()
    new: list[CaseFile] = []
    for report in sorted(reports, key=lambda r: (r.ts, r.event_id)):
        cid = case_id_for(report.event_id)
        if cid in known:
            continue
        try:
            accounts, paid = check_report(
                report, payments, owners, (claims or {}).get(report.event_id, ()), taken
            )
        except RecordError as exc:
            intake.rejected.append(Rejected(report.event_id, exc.field, exc.problem))
            continue
        case = CaseFile(
            case_id=cid,
            report_id=report.event_id,
            group_id=cid,
            victim_person_id=report.person_id,
            fraud_type=report.fraud_type,
            report_ts=report.ts,
            opened_ts=report.ts + intake_ms if opened_ts is None else max(opened_ts, report.ts),
            transfer_ids=list(report.transfer_ids),
            victim_accounts=accounts,
            paid_fen=paid,
            loss_fen=report.loss_fen,
            narrative=report.narrative,
        )
        new.append(case)
        known.add(cid)
        taken.update({t: cid for t in report.transfer_ids})
    everything = [*existing, *new]
    to_link = [c for c in everything if c.case_id not in cached]
    found = {**cached, **(link_keys(to_link, tables, payments) if to_link else {})}
    group_of = group_cases(everything, found, groups)
    intake.cases = [_with_group(c, group_of[c.case_id]) for c in everything]
    intake.links = found
    return intake


def _with_group(case: CaseFile, group_id: str) -> CaseFile:
    if case.group_id == group_id:
        return case
    return msgspec.structs.replace(case, group_id=group_id)


def reports_from_table(table: pa.Table) -> list[Report]:
    """The rows of a world's `reports` table as `Report` records."""
    return records_from_table(Report, table)
