"""`fraudwall serve --demo`: a simulated world loaded into the service, with a key per role.

A newcomer gets a service with something in it to ask about: the world's institutions,
accounts and phone numbers (the registry); one agency per bank, payment institution,
telco and police unit, plus the public app and the operator; the world's history
replayed through the engine (`load_history`: every event stored as accepted and
absorbed, every decision and warning task); the victims' reports filed by the police and
opened as cases (`funds.open_cases`); and a key for each role, printed and written to
``DIR/demo-keys.json`` as ``{role: key}`` (``institution`` is a bank's key,
``institution_payment`` a payment institution's).

The engine that decided the history is snapshotted into the data folder, with the time
of the last event (``meta.engine_watermark``), so the server starts from where the
history ends. A folder that already holds something is refused; ``--force`` replaces the
service's data there (every row of its database, its snapshot and its keys file).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import msgspec
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from fraudwall.errors import InputError
from fraudwall.funds import reports_from_table
from fraudwall.model import (
    Channel,
    InstitutionKind,
    Transfer,
)
from fraudwall.platform import auth, migrate
from fraudwall.platform.audit import AuditNote, record
from fraudwall.platform.auth import SYSTEM, AgencyKind, ApiRole
from fraudwall.platform.cases import open_from_reports, regroup_cases, store_reports
from fraudwall.platform.enginehost import WATERMARK_KEY
from fraudwall.platform.ingest import HistoryLoaded, store_history
from fraudwall.platform.intelfindings import publish_gangs, publish_scores
from fraudwall.platform.registry import put_table
from fraudwall.platform.schema import (
    agencies,
    events,
    metadata,
)
from fraudwall.platform.service import Service
from fraudwall.platform.settings import Clock, ServeSettings
from fraudwall.sim import SimConfig, simulate

Progress = Callable[[str, float], None]
"""A progress callback: (step, fraction done 0..1), as `sim.simulate` takes."""

KEYS_FILE: Final = "demo-keys.json"

"""`meta` key: the time (ms) of the last event the snapshotted engine absorbed."""
#: what an agency of each institution kind is, and the prefix of its id
_AGENCY_OF: Final = {
    InstitutionKind.BANK: AgencyKind.BANK,
    InstitutionKind.PAYMENT: AgencyKind.PAYMENT,
    InstitutionKind.TELCO: AgencyKind.TELCO,
    InstitutionKind.POLICE: AgencyKind.POLICE,
}
PUBLIC_AGENCY: Final = "public-app"
OPERATOR_AGENCY: Final = "operator"
_DECIDED: Final = ("transfers", "calls", "sms")
_INSERT_ROWS: Final = 5_000


@dataclass(frozen=True)
class DemoSize:
    """The simulated world: small enough to load in seconds, with cases to look at."""

    people: int = 3_000
    days: int = 14
    seed: int = 7
    #: fraud cases per 10,000 people per 30 days: more than the simulator's default so a
    #: world this small still has a few dozen cases
    fraud_rate: float = 400.0

    def config(self) -> SimConfig:
        # The simulator's own start date: with some other start dates it schedules an SMS
        # past the world's end (an assertion in `sim.world`), so the demo keeps its days.
        try:
            return SimConfig(
                people=self.people, days=self.days, seed=self.seed, fraud_rate=self.fraud_rate
            )
        except msgspec.ValidationError as exc:
            raise InputError("--demo", f"world size: {exc}") from None


@dataclass(frozen=True)
class DemoKey:
    """A key the demo issued: under `name` in demo-keys.json, for `agency_id` as `role`."""

    name: str
    agency_id: str
    role: ApiRole
    key: str


@dataclass
class CaseCounts:
    reports: int = 0
    cases: int = 0
    refused: int = 0


@dataclass
class DemoLoad:
    """What `load_demo` did, for the console (and the tests)."""

    keys: list[DemoKey]
    agencies: int
    registry: dict[str, int]
    history: HistoryLoaded
    cases: CaseCounts
    intel: IntelCounts
    keys_file: Path
    check: dict[str, Any]  # a transfer to ask `POST /v1/check/transfer` about
    seconds: dict[str, float]


# --- before any work -------------------------------------------------------------------
def check_target(settings: ServeSettings, force: bool) -> None:
    """Refuse, before the work, a data folder that holds something (unless `force`)."""
    data = settings.data_dir
    if data.exists() and not data.is_dir():
        raise InputError("--data", f"{data} is a file, not a folder")
    held = sorted(p.name for p in data.iterdir()) if data.is_dir() else []
    if held and not force:
        shown = ", ".join(held[:3]) + (", ..." if len(held) > 3 else "")
        raise InputError(
            "--data",
            f"{data} already holds {shown}",
            hint="--force replaces the service's data there with the demo's, or choose "
            "another folder with --data",
        )


def _check_empty(service: Service) -> None:
    """Refuse a database that already holds agencies or events (PostgreSQL, say)."""
    with service.db.reading() as conn:
        held = [t.name for t in (agencies, events) if conn.execute(sa.select(t).limit(1)).first()]
    if held:
        raise InputError(
            "--db",
            f"{service.db.where} already holds {' and '.join(held)}",
            hint="--force replaces the service's data there with the demo's",
        )


def clear_service_data(conn: sa.Connection) -> None:
    """Delete every row of the service's tables (children first): `--force`."""
    for table in reversed(metadata.sorted_tables):
        conn.execute(table.delete())


# --- entities, agencies, keys ----------------------------------------------------------
@dataclass(frozen=True)
class _Agency:
    agency_id: str
    name: str
    kind: AgencyKind
    institution_id: str | None


def demo_agencies(institutions: pa.Table) -> list[_Agency]:
    """One agency per bank, payment institution, telco and police unit of the world, then
    the public app and the operator."""
    out = []
    for inst in institutions.to_pylist():
        kind = _AGENCY_OF.get(InstitutionKind(inst["kind"]))
        if kind is not None:
            agency_id = f"{kind.value}-{inst['institution_id'].lower()}"
            out.append(_Agency(agency_id, inst["name"], kind, inst["institution_id"]))
    out.append(_Agency(PUBLIC_AGENCY, "the citizens' anti-fraud app", AgencyKind.PUBLIC, None))
    out.append(_Agency(OPERATOR_AGENCY, "the platform's operator", AgencyKind.OPERATOR, None))
    return out


def _busiest(made: list[_Agency], kind: AgencyKind, counts: Mapping[str, int]) -> _Agency:
    """The agency of `kind` whose institution holds the most accounts or numbers."""
    of_kind = [a for a in made if a.kind == kind]
    if not of_kind:
        raise InputError("--demo", f"the simulated world has no {kind} institution")
    return max(of_kind, key=lambda a: (counts.get(a.institution_id or "", 0), a.agency_id))


def _holders(table: pa.Table, column: str) -> dict[str, int]:
    counts = pc.value_counts(table[column].drop_null()).to_pylist()
    return {c["values"]: int(c["counts"]) for c in counts}


def key_holders(
    made: list[_Agency], tables: Mapping[str, pa.Table]
) -> list[tuple[str, _Agency, ApiRole]]:
    """Who holds each demo key: (name in demo-keys.json, agency, role)."""
    accounts = _holders(tables["accounts"], "institution_id")
    numbers = _holders(tables["phones"], "telco_id")
    police = _busiest(made, AgencyKind.POLICE, {})
    by_id = {a.agency_id: a for a in made}
    return [
        ("admin", by_id[OPERATOR_AGENCY], ApiRole.ADMIN),
        ("police_analyst", police, ApiRole.POLICE_ANALYST),
        ("police_supervisor", police, ApiRole.POLICE_SUPERVISOR),
        ("institution", _busiest(made, AgencyKind.BANK, accounts), ApiRole.INSTITUTION),
        ("institution_payment", _busiest(made, AgencyKind.PAYMENT, accounts), ApiRole.INSTITUTION),
        ("telco", _busiest(made, AgencyKind.TELCO, numbers), ApiRole.TELCO),
        ("public_app", by_id[PUBLIC_AGENCY], ApiRole.PUBLIC_APP),
    ]


def load_entities(
    service: Service, tables: Mapping[str, pa.Table]
) -> tuple[list[_Agency], list[DemoKey], dict[str, int]]:
    """The registry, the agencies and a key per role, in one transaction (audited as the
    service itself, as `fraudwall agencies add` and `keys issue` are)."""
    made = demo_agencies(tables["institutions"])
    keys: list[DemoKey] = []
    now = service.now()
    with service.db.writing() as conn:
        registry = {
            name: put_table(conn, name, tables[name])
            for name in ("institutions", "accounts", "phones", "people")
        }
        notes = []
        for a in made:
            row = auth.add_agency(conn, a.agency_id, a.name, a.kind, a.institution_id, now)
            notes.append(AuditNote("agencies.add", a.agency_id, after=row))
        for name, agency, role in key_holders(made, tables):
            issued = auth.issue_key(conn, agency.agency_id, role, now, label=f"demo: {name}")
            keys.append(DemoKey(name, agency.agency_id, role, issued.key))
            after = {"agency_id": agency.agency_id, "role": role.value}
            notes.append(AuditNote("keys.issue", issued.key_id, after=after))
        notes.append(AuditNote("demo.registry", "registry", after=registry))
        record(conn, SYSTEM, now, notes)
    return made, keys, registry


# --- the history, through the engine -----------------------------------------------------
def load_history(
    service: Service, world_tables: Mapping[str, pa.Table], progress: Progress | None = None
) -> HistoryLoaded:
    """Replay the world's events through the engine in time order, as they would have
    arrived, and store them as the service stores recorded history (`ingest.store_history`:
    each event accepted and absorbed, its decision, the warning tasks that followed); then
    snapshot the engine, so the server starts where the history ends."""
    report = progress or (lambda step, fraction: None)
    report("history", 0.0)
    loaded = store_history(
        service, world_tables, agency_id=OPERATOR_AGENCY,
        progress=lambda fraction: report("history", fraction),
    )  # fmt: skip
    with service.host.lock:
        service.host.snapshot()
    report("history", 1.0)
    return loaded


# --- reports and cases -------------------------------------------------------------------
def load_cases(
    service: Service, world_tables: Mapping[str, pa.Table], police_agency: str, key_id: str
) -> CaseCounts:
    """The world's victims' reports, filed by the police agency and opened as cases as
    `POST /v1/reports` and `POST /v1/cases` would (`platform.cases`); a report that cannot
    become a case keeps the reason."""
    filed = reports_from_table(world_tables["reports"])
    with service.db.writing() as conn:
        store_reports(conn, filed, police_agency, key_id)
        opened = open_from_reports(conn, None, service.now())
        counts = CaseCounts(len(filed), len(opened.opened), len(opened.refused))
        record(
            conn, SYSTEM, service.now(), [AuditNote("demo.cases", "case_files", after=vars(counts))]
        )
    return counts


# --- what intelligence finds in the history ----------------------------------------------
@dataclass
class IntelCounts:
    accounts_scored: int = 0
    numbers_scored: int = 0
    listed: int = 0  # flagged accounts and numbers put on the risk lists
    gangs: int = 0
    regrouped: int = 0  # cases whose group became their gang


def load_intel(service: Service, world_tables: Mapping[str, pa.Table]) -> IntelCounts:
    """The history through the detectors shipped with the package (`intel.mules`,
    `intel.numbers`) and the gang finder (`intel.gangs`), published as police would find it
    (`intelfindings`): every account's and calling number's score with its reasons, the
    flagged ones on the risk lists, which the risk check answers from and the engine reads
    from now on, and the gangs behind the reported cases."""
    from fraudwall.intel import mules, numbers
    from fraudwall.intel.gangs import link_cases

    found = IntelCounts()
    now = service.now()
    mule_model, number_model = mules.default_model(), numbers.default_model()
    accounts = mules.score(mule_model, world_tables, explain="all")
    callers = numbers.score(number_model, world_tables, explain="all")
    gangs = link_cases(world_tables)
    links = gangs.case_links.set_column(
        2, "evidence", pa.array([json.loads(e) for e in gangs.case_links["evidence"].to_pylist()])
    )
    with service.db.writing() as conn:
        a = publish_scores(conn, "account", accounts, "mules-model", mule_model.threshold, now)
        n = publish_scores(conn, "number", callers, "numbers-model", number_model.threshold, now)
        found.accounts_scored, found.numbers_scored = a.scores, n.scores
        found.listed = a.listed + n.listed
        found.gangs = publish_gangs(conn, gangs.gangs, gangs.members, links, now)
        found.regrouped = len(regroup_cases(conn))  # the cases' groups are now the gangs
        record(conn, SYSTEM, now, [AuditNote("demo.intel", "entity_scores", after=vars(found))])
    service.host.risk_lists_changed()
    return found


# --- a check to try ------------------------------------------------------------------------
def sample_check(tables: Mapping[str, pa.Table], institution_id: str, now: int) -> dict[str, Any]:
    """A transfer a newcomer can ask about with the ``institution`` key: from a person's
    account at that bank to the account a reported victim first paid (a first-hop mule),
    when the world has one; else to another person's account."""
    accounts = tables["accounts"]
    own = accounts.filter(
        pc.and_(
            pc.equal(accounts["institution_id"], institution_id),
            pc.is_valid(accounts["owner_person_id"]),
        )
    )
    if not own.num_rows:
        raise InputError(
            "--demo", f"the simulated world has no person's account at {institution_id}"
        )
    payer = own["account_id"][0].as_py()
    payee = own["account_id"][own.num_rows - 1].as_py()
    paid = [t for r in tables["reports"]["transfer_ids"].to_pylist() for t in r]
    if paid:
        transfers = tables["transfers"]
        first = transfers.filter(pc.equal(transfers["event_id"], paid[0]))
        if first.num_rows:
            payee = first["to_account"][0].as_py()
    transfer = Transfer(
        event_id=f"demo-check-{now}", ts=now, institution_id=institution_id, from_account=payer,
        to_account=payee, amount_fen=800_000, channel=Channel.MOBILE,
    )  # fmt: skip
    return msgspec.to_builtins(transfer)


def write_keys(path: Path, keys: list[DemoKey]) -> None:
    """``{name: key}``, readable by its owner only (the keys are secrets)."""
    text = json.dumps({k.name: k.key for k in keys}, indent=2) + "\n"
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.replace(tmp, path)


# --- the whole of it -----------------------------------------------------------------------
def load_demo(
    settings: ServeSettings,
    size: DemoSize | None = None,
    *,
    force: bool = False,
    clock: Clock | None = None,
    progress: Progress | None = None,
) -> DemoLoad:
    """Simulate a world and load it into the service at `settings` (see the module doc)."""
    report = progress or (lambda step, fraction: None)
    check_target(settings, force)
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    service = Service(settings, clock)
    config = (size or DemoSize()).config()
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        migrate.prepare(service.db)
        if force:
            with service.db.writing() as conn:
                clear_service_data(conn)
            shutil.rmtree(settings.snapshot_dir, ignore_errors=True)
            (settings.data_dir / KEYS_FILE).unlink(missing_ok=True)
        else:
            _check_empty(service)
        world = simulate(config, progress=lambda step, f: report(f"world: {step}", f))
        tables = world.tables
        seconds["simulate"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        made, keys, registry = load_entities(service, tables)
        seconds["entities"] = time.perf_counter() - t1
        t1 = time.perf_counter()
        history = load_history(service, tables, progress=report)
        seconds["history"] = time.perf_counter() - t1
        t1 = time.perf_counter()
        analyst = next(k for k in keys if k.role == ApiRole.POLICE_ANALYST)
        cases = load_cases(service, tables, analyst.agency_id, analyst.key.split(".", 1)[0])
        seconds["cases"] = time.perf_counter() - t1
        t1 = time.perf_counter()
        report("intel", 0.0)
        intel = load_intel(service, tables)
        report("intel", 1.0)
        seconds["intel"] = time.perf_counter() - t1
        bank = next(k for k in keys if k.name == "institution")
        institution_id = next(a.institution_id for a in made if a.agency_id == bank.agency_id)
        check = sample_check(tables, institution_id or "", service.now())
        keys_file = settings.data_dir / KEYS_FILE
        write_keys(keys_file, keys)
    finally:
        service.stop()
    seconds["total"] = time.perf_counter() - t0
    return DemoLoad(keys, len(made), registry, history, cases, intel, keys_file, check, seconds)


__all__ = [
    "KEYS_FILE",
    "WATERMARK_KEY",
    "CaseCounts",
    "DemoKey",
    "DemoLoad",
    "DemoSize",
    "IntelCounts",
    "check_target",
    "clear_service_data",
    "demo_agencies",
    "key_holders",
    "load_cases",
    "load_demo",
    "load_entities",
    "load_history",
    "load_intel",
    "sample_check",
    "write_keys",
]
