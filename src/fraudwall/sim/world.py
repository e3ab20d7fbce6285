"""`simulate`: make a world, its tables in the model's schemas (`sim.worldfiles` keeps it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.common import ledger_order
from fraudwall.model import (
    BY_TABLE,
    DAY_MS,
    EVENT_TABLES,
    SCHEMA_VERSION,
    AccountKind,
    Channel,
    DeviceKind,
    EntityKind,
    ExternalKind,
    FraudType,
    Gateway,
    InstitutionKind,
    LineKind,
    Role,
    Typology,
    arrow_schema,
)
from fraudwall.sim import ledger
from fraudwall.sim.columns import NULL, format_ids, int_or_null, take_nullable
from fraudwall.sim.config import SimConfig
from fraudwall.sim.entities import code
from fraudwall.sim.fraud import plant_fraud
from fraudwall.sim.ordinary import simulate_ordinary_life
from fraudwall.sim.population import OCCUPATIONS, REGIONS, build_population, lognormal_fen
from fraudwall.sim.scripts import check_drift
from fraudwall.sim.state import TRUTH_COLUMNS, SimState

Progress = Callable[[str, float], None]
WORLD_TABLES = (
    "institutions", "people", "accounts", "phones", "devices", "transfers", "calls", "sms",
    "app_installs", "url_visits", "logins", "reports", "truth", "cases", "scripts",
)  # fmt: skip
EVENT_PREFIX = {
    "transfers": "TR", "calls": "CL", "sms": "SM", "app_installs": "AI", "url_visits": "UV",
    "logins": "LG", "reports": "RP",
}  # fmt: skip


@dataclass
class World:
    """A world: its configuration and its tables, in the model's schemas.

    `world_id` names the world's content once it has been written (`write_world`):
    stores and results derived from a world keep it, so they are never read against
    another one. A world imported from public data (`fraudwall import`) was never
    simulated: it has no `config` (None) and says where it came from in `source`
    (format, input files and their checksums, how times were made), which the manifest
    keeps beside the tables.
    """

    config: SimConfig | None
    tables: dict[str, pa.Table]
    world_id: str | None = None
    source: dict[str, Any] | None = None

    def manifest(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "seed": None if self.config is None else self.config.seed,
            "config": None if self.config is None else msgspec.structs.asdict(self.config),
            "counts": {name: self.tables[name].num_rows for name in WORLD_TABLES},
        }
        if self.source is not None:  # only imported worlds: a simulated manifest is unchanged
            doc["source"] = self.source
        return doc

    @property
    def events(self) -> int:
        return sum(self.tables[name].num_rows for name in EVENT_TABLES)


def simulate(config: SimConfig, progress: Progress | None = None) -> World:
    """Make a world from its config. Same config, same world, to the byte."""
    report = progress or (lambda step, frac: None)
    st = SimState(config, np.random.default_rng(config.seed))
    check_drift(config)
    report("population", 0.0)
    build_population(st)
    report("ordinary life", 0.15)
    simulate_ordinary_life(st)
    report("fraud", 0.55)
    plant_fraud(st)
    report("ledger", 0.7)
    tables = build_tables(st, lambda f: report("tables", 0.75 + 0.25 * f))
    report("done", 1.0)
    return World(config, tables)


# --- building the tables ----------------------------------------------------------------
def _enum_strings(enum: type[StrEnum], codes: np.ndarray) -> pa.Array:
    return take_nullable(pa.array([m.value for m in enum], pa.string()), codes)


def _table(name: str, columns: dict[str, pa.Array]) -> pa.Table:
    schema = arrow_schema(BY_TABLE[name])
    return pa.Table.from_arrays([columns[f.name] for f in schema], schema=schema)


def _ip_strings(n: int) -> pa.Array:
    """Dotted-quad strings for ip ids 0..n-1 (an odd multiplier mod 2^32 keeps them distinct)."""
    v = (np.arange(n, dtype=np.uint64) * np.uint64(2654435761) + np.uint64(0x24000001)) % (
        np.uint64(2**32)
    )
    octets = [pc.cast(pa.array((v >> np.uint64(s)) & np.uint64(255)), pa.string())
              for s in (24, 16, 8, 0)]  # fmt: skip
    return pc.binary_join_element_wise(*octets, ".")


def opening_balances(st: SimState, tr: dict[str, np.ndarray]) -> np.ndarray:
    """Savings when the window opens: a draw by kind, raised where needed so nobody overdraws."""
    rng, acc = st.rng, st.accounts
    n = acc.n
    kind, owner = acc.col("kind"), acc.col("owner")
    income = np.where(owner >= 0, st.people["income"][np.maximum(owner, 0)], 0)
    base = lognormal_fen(rng, 3000, 1.2, n, unit_fen=1) + income * rng.integers(0, 6, n)
    base = np.where(kind == code(AccountKind.WALLET), base // 5, base)
    base = np.where(kind == code(AccountKind.CREDIT_CARD), 0, base)
    base = np.where(kind == code(AccountKind.CORPORATE), base * 200, base)
    base = np.where(kind == code(AccountKind.EXTERNAL), 0, base)
    last = acc.col("last_active_ts")
    fresh = (acc.col("opened_ts") >= st.cfg.start_ts - 120 * DAY_MS) | (
        (last != NULL) & (last < st.cfg.start_ts - 150 * DAY_MS)
    )  # new or long-dormant accounts hold little
    base = np.where(fresh & (kind != code(AccountKind.CORPORATE)), base // 50, base)
    low = ledger.running_minimum(n, tr["src"], tr["dst"], tr["amount"])
    need = np.maximum(0, -(low + base + acc.col("credit_limit")))
    opening = base + need
    return np.where(kind == code(AccountKind.EXTERNAL), 0, opening)


def _sorted_events(st: SimState) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, np.ndarray]]:
    """Every event table in time order, with the map from pre-sort row to final row."""
    out, where = {}, {}
    for name, cols in st.events.items():
        data = cols.build()
        late = data["ts"] >= st.cfg.end_ts
        if late.any() or (data["ts"] < st.cfg.start_ts).any():
            raise AssertionError(f"{name}: {int(late.sum())} events outside the window")
        order = ledger_order(data["ts"])
        out[name] = {k: v[order] for k, v in data.items()}
        inv = np.empty_like(order)
        inv[order] = np.arange(len(order))
        where[name] = inv
    return out, where


def build_tables(st: SimState, step: Callable[[float], None]) -> dict[str, pa.Table]:
    """The world's tables in the model's schemas, string ids made here and only here."""
    ev, where = _sorted_events(st)
    tr = ev["transfers"]
    opening = opening_balances(st, tr)
    step(0.1)

    inst_ids = pa.array([i.id for i in st.institutions], pa.string())
    n_people = st.cfg.people
    person_ids = format_ids("P", n_people, 8)
    acc = st.accounts
    account_ids = pc.binary_join_element_wise(
        inst_ids.take(pa.array(acc.col("inst"))), format_ids("", acc.n, 10), ""
    )
    phone_ids = pc.binary_join_element_wise(
        pa.scalar("+"), pc.cast(pa.array(st.phones.col("number")), pa.string()), ""
    )
    device_ids = pc.cast(pa.array(st.devices.col("serial")), pa.string())
    ips = _ip_strings(st.n_ips)
    text_pool = pa.array(st.texts._values, pa.string())
    event_ids = {
        name: format_ids(EVENT_PREFIX[name], len(cols["ts"]), 10) for name, cols in ev.items()
    }
    tables: dict[str, pa.Table] = {}
    tables["institutions"] = _table("institutions", {
        "institution_id": inst_ids,
        "name": pa.array([i.name for i in st.institutions], pa.string()),
        "kind": pa.array([str(i.kind) for i in st.institutions], pa.string()),
    })  # fmt: skip
    p = st.people
    id_hash = pc.utf8_lpad(pc.cast(pa.array(p["id_hash"]), pa.string()), 20, "0")
    tables["people"] = _table("people", {
        "person_id": person_ids,
        "id_hash": pc.binary_join_element_wise(pa.scalar("h"), id_hash, ""),
        "age": pa.array(p["age"], pa.int64()),
        "gender": pa.array(np.array(["F", "M"])[p["gender"]]),
        "region": pa.array(np.array(REGIONS)[p["region"]]),
        "occupation": pa.array(np.array(OCCUPATIONS)[p["occupation"]]),
    })  # fmt: skip
    tables["accounts"] = _table("accounts", {
        "account_id": account_ids,
        "institution_id": inst_ids.take(pa.array(acc.col("inst"))),
        "owner_person_id": take_nullable(person_ids, acc.col("owner")),
        "kind": _enum_strings(AccountKind, acc.col("kind")),
        "opened_ts": pa.array(acc.col("opened_ts"), pa.int64()),
        "opening_balance_fen": pa.array(opening, pa.int64()),
        "credit_limit_fen": pa.array(acc.col("credit_limit"), pa.int64()),
        "last_active_ts": int_or_null(acc.col("last_active_ts")),
        "external_kind": _enum_strings(ExternalKind, acc.col("external_kind")),
        "name": take_nullable(text_pool, acc.col("name")),
    })  # fmt: skip
    ph = st.phones
    tables["phones"] = _table("phones", {
        "number": phone_ids,
        "telco_id": take_nullable(inst_ids, ph.col("telco")),
        "owner_person_id": take_nullable(person_ids, ph.col("owner")),
        "country_code": pc.cast(pa.array(ph.col("country_code")), pa.string()),
        "activated_ts": int_or_null(ph.col("activated_ts")),
        "line_kind": _enum_strings(LineKind, ph.col("line_kind")),
    })  # fmt: skip
    dv = st.devices
    tables["devices"] = _table("devices", {
        "device_id": device_ids,
        "owner_person_id": take_nullable(person_ids, dv.col("owner")),
        "kind": _enum_strings(DeviceKind, dv.col("kind")),
        "first_seen_ts": pa.array(dv.col("first_seen_ts"), pa.int64()),
    })  # fmt: skip
    step(0.3)
    tables["transfers"] = _table("transfers", {
        "event_id": event_ids["transfers"],
        "ts": pa.array(tr["ts"], pa.int64()),
        "institution_id": inst_ids.take(pa.array(tr["inst"])),
        "from_account": account_ids.take(pa.array(tr["src"])),
        "to_account": account_ids.take(pa.array(tr["dst"])),
        "amount_fen": pa.array(tr["amount"], pa.int64()),
        "channel": _enum_strings(Channel, tr["channel"]),
        "device_id": take_nullable(device_ids, tr["device"]),
        "ip": take_nullable(ips, tr["ip"]),
        "memo": take_nullable(text_pool, tr["memo"]),
    })  # fmt: skip
    c = ev["calls"]
    tables["calls"] = _table("calls", {
        "event_id": event_ids["calls"],
        "ts": pa.array(c["ts"], pa.int64()),
        "institution_id": inst_ids.take(pa.array(c["inst"])),
        "caller": phone_ids.take(pa.array(c["caller"])),
        "callee": phone_ids.take(pa.array(c["callee"])),
        "duration_ms": pa.array(c["duration"], pa.int64()),
        "gateway": _enum_strings(Gateway, c["gateway"]),
        "presented_number": pc.binary_join_element_wise(
            pa.scalar("+"), pc.cast(pa.array(c["presented"]), pa.string()), ""),
        "caller_device": take_nullable(device_ids, c["device"]),
    })  # fmt: skip
    s = ev["sms"]
    tables["sms"] = _table("sms", {
        "event_id": event_ids["sms"],
        "ts": pa.array(s["ts"], pa.int64()),
        "institution_id": inst_ids.take(pa.array(s["inst"])),
        "sender": phone_ids.take(pa.array(s["sender"])),
        "receiver": phone_ids.take(pa.array(s["receiver"])),
        "text": take_nullable(text_pool, s["text"]),
        "gateway": _enum_strings(Gateway, s["gateway"]),
        "sender_device": take_nullable(device_ids, s["device"]),
    })  # fmt: skip
    step(0.6)
    a = ev["app_installs"]
    app_codes = np.unique(a["app"]) if len(a["app"]) else np.empty(0, np.int64)
    names = [st.apps[st.texts._values[i]][0] for i in app_codes]
    perms = [st.apps[st.texts._values[i]][1] for i in app_codes]
    pos = np.searchsorted(app_codes, a["app"])
    tables["app_installs"] = _table("app_installs", {
        "event_id": event_ids["app_installs"],
        "ts": pa.array(a["ts"], pa.int64()),
        "institution_id": inst_ids.take(pa.array(a["inst"])),
        "device_id": device_ids.take(pa.array(a["device"])),
        "app_id": take_nullable(text_pool, a["app"]),
        "app_name": pa.array(names, pa.string()).take(pa.array(pos)),
        "permissions": pa.array(perms, pa.list_(pa.string())).take(pa.array(pos)),
    })  # fmt: skip
    u = ev["url_visits"]
    urls = take_nullable(text_pool, u["url"])
    tables["url_visits"] = _table("url_visits", {
        "event_id": event_ids["url_visits"],
        "ts": pa.array(u["ts"], pa.int64()),
        "institution_id": inst_ids.take(pa.array(u["inst"])),
        "device_id": device_ids.take(pa.array(u["device"])),
        "url": urls,
        "domain": pc.struct_field(pc.extract_regex(urls, r"^https?://(?P<d>[^/?]+)"), "d"),
    })  # fmt: skip
    lg = ev["logins"]
    tables["logins"] = _table("logins", {
        "event_id": event_ids["logins"],
        "ts": pa.array(lg["ts"], pa.int64()),
        "institution_id": inst_ids.take(pa.array(lg["inst"])),
        "account_id": account_ids.take(pa.array(lg["account"])),
        "device_id": device_ids.take(pa.array(lg["device"])),
        "ip": ips.take(pa.array(lg["ip"])),
    })  # fmt: skip
    step(0.8)
    tables["reports"], report_rows = _reports(st, event_ids["transfers"], where["transfers"])
    tables["cases"] = _cases(st, person_ids)
    tables["scripts"] = _scripts(st)
    tables["truth"] = _truth(
        st, where, report_rows, event_ids, person_ids, account_ids, phone_ids, device_ids, text_pool
    )
    return tables


def _case_id(case: int) -> str:
    return f"C{case:07d}"


def _reports(
    st: SimState, transfer_ids: pa.Array, where: np.ndarray
) -> tuple[pa.Table, dict[int, int]]:
    reps = sorted(st.reports, key=lambda r: (r["ts"], r["case"]))
    psb = next(i.id for i in st.institutions if i.kind == InstitutionKind.POLICE)
    ids = [f"RP{i:010d}" for i in range(len(reps))]
    tids = [
        transfer_ids.take(pa.array(np.sort(where[np.asarray(r["transfers"])]))).to_pylist()
        for r in reps
    ]
    table = _table("reports", {
        "event_id": pa.array(ids, pa.string()),
        "ts": pa.array([r["ts"] for r in reps], pa.int64()),
        "institution_id": pa.array([psb] * len(reps), pa.string()),
        "person_id": pa.array([f"P{r['person']:08d}" for r in reps], pa.string()),
        "transfer_ids": pa.array(tids, pa.list_(pa.string())),
        "loss_fen": pa.array([r["loss"] for r in reps], pa.int64()),
        "fraud_type": pa.array([None if r["fraud_type"] is None else str(r["fraud_type"])
                                for r in reps], pa.string()),
        "narrative": pa.array([r["narrative"] for r in reps], pa.string()),
    })  # fmt: skip
    return table, {int(r["case"]): i for i, r in enumerate(reps)}  # type: ignore[call-overload]


def _cases(st: SimState, person_ids: pa.Array) -> pa.Table:
    cs = st.cases
    return _table("cases", {
        "case_id": pa.array([_case_id(int(c["case"])) for c in cs], pa.string()),  # type: ignore[call-overload]
        "gang_id": pa.array([f"G{c['gang']:04d}" for c in cs], pa.string()),
        "fraud_type": pa.array([str(c["fraud_type"]) for c in cs], pa.string()),
        "victim_person_id": person_ids.take(pa.array([c["victim"] for c in cs], pa.int64())),
        "first_contact_ts": pa.array([c["first_contact_ts"] for c in cs], pa.int64()),
        "first_payment_ts": pa.array([c["first_payment_ts"] for c in cs], pa.int64()),
        "paid_fen": pa.array([c["paid"] for c in cs], pa.int64()),
        "returned_bait_fen": pa.array([c["bait"] for c in cs], pa.int64()),
        "loss_fen": pa.array([c["loss"] for c in cs], pa.int64()),
        "reported": pa.array([c["reported"] for c in cs], pa.bool_()),
        "report_ts": pa.array([c["report_ts"] for c in cs], pa.int64()),
    })  # fmt: skip


def _scripts(st: SimState) -> pa.Table:
    sc = st.scripts
    return _table("scripts", {
        "script_id": pa.array([s["script_id"] for s in sc], pa.string()),
        "fraud_type": pa.array([str(s["fraud_type"]) for s in sc], pa.string()),
        "family_id": pa.array([s["family_id"] for s in sc], pa.string()),
        "kind": pa.array([str(s["kind"]) for s in sc], pa.string()),
        "start_ts": pa.array([s["start_ts"] for s in sc], pa.int64()),
        "topic": pa.array([s["topic"] for s in sc], pa.string()),
    })  # fmt: skip


def _truth(
    st: SimState,
    where: dict[str, np.ndarray],
    report_rows: dict[int, int],
    event_ids: dict[str, pa.Array],
    person_ids: pa.Array,
    account_ids: pa.Array,
    phone_ids: pa.Array,
    device_ids: pa.Array,
    text_pool: pa.Array,
) -> pa.Table:
    if st.truth_rows:
        one_by_one = np.array(st.truth_rows, dtype=np.int64)
        st.truth.add(**{name: one_by_one[:, i] for i, name in enumerate(TRUTH_COLUMNS)})
        st.truth_rows.clear()
    t = st.truth.build()
    kinds = list(EntityKind)
    # Reports are truth too: each report row belongs to its case.
    if report_rows:
        cases = {int(c["case"]): c for c in st.cases}  # type: ignore[call-overload]
        rc = np.array(sorted(report_rows), dtype=np.int64)
        extra = {
            "kind": np.full(len(rc), code(EntityKind.REPORT)),
            "ref": np.array([report_rows[c] for c in rc.tolist()], dtype=np.int64),
            "role": np.full(len(rc), code(Role.VICTIM_REPORT)),
            "case": rc,
            "gang": np.array([cases[c]["gang"] for c in rc.tolist()], dtype=np.int64),
            "fraud_type": np.array([code(cases[c]["fraud_type"]) for c in rc.tolist()]),  # type: ignore[arg-type]
            "typology": np.full(len(rc), NULL),
            "script": np.full(len(rc), NULL),
        }
        t = {k: np.concatenate([t[k], extra[k]]) for k in t}
    rows = np.stack([t[k] for k in TRUTH_COLUMNS], axis=1)
    rows = np.unique(rows, axis=0) if len(rows) else rows.reshape(0, len(TRUTH_COLUMNS))
    kind, ref = rows[:, 0], rows[:, 1]
    ids: list[pa.Array] = []
    order: list[np.ndarray] = []
    by_kind = {
        EntityKind.PERSON: person_ids, EntityKind.ACCOUNT: account_ids,
        EntityKind.PHONE: phone_ids, EntityKind.DEVICE: device_ids, EntityKind.URL: text_pool,
        EntityKind.APP: text_pool,
    }  # fmt: skip
    table_of = {
        EntityKind.TRANSFER: "transfers", EntityKind.CALL: "calls", EntityKind.SMS: "sms",
        EntityKind.APP_INSTALL: "app_installs", EntityKind.URL_VISIT: "url_visits",
        EntityKind.LOGIN: "logins",
    }  # fmt: skip
    for k, member in enumerate(kinds):
        sel = np.flatnonzero(kind == k)
        if not len(sel):
            continue
        if member in by_kind:
            ids.append(by_kind[member].take(pa.array(ref[sel])))
        elif member == EntityKind.REPORT:
            ids.append(pc.binary_join_element_wise(
                pa.scalar("RP"), pc.utf8_lpad(pc.cast(pa.array(ref[sel]), pa.string()), 10, "0"),
                ""))  # fmt: skip
        else:
            name = table_of[member]
            ids.append(event_ids[name].take(pa.array(where[name][ref[sel]])))
        order.append(sel)
    perm = np.concatenate(order) if order else np.empty(0, np.int64)
    entity_id = pa.concat_arrays(ids) if ids else pa.array([], pa.string())
    inv = np.empty_like(perm)
    inv[perm] = np.arange(len(perm))
    entity_id = entity_id.take(pa.array(inv))
    script_ids = pa.array([s["script_id"] for s in st.scripts], pa.string())
    case = rows[:, 3]
    case_ids = pc.binary_join_element_wise(
        pa.scalar("C"), pc.utf8_lpad(pc.cast(pa.array(np.maximum(case, 0)), pa.string()), 7, "0"),
        "")  # fmt: skip
    gang = rows[:, 4]
    gang_ids = pc.binary_join_element_wise(
        pa.scalar("G"), pc.utf8_lpad(pc.cast(pa.array(np.maximum(gang, 0)), pa.string()), 4, "0"),
        "")  # fmt: skip
    return _table("truth", {
        "entity_kind": _enum_strings(EntityKind, kind),
        "entity_id": entity_id,
        "role": _enum_strings(Role, rows[:, 2]),
        "case_id": pc.if_else(pa.array(case == NULL), pa.nulls(len(case), pa.string()), case_ids),
        "gang_id": pc.if_else(pa.array(gang == NULL), pa.nulls(len(gang), pa.string()), gang_ids),
        "fraud_type": _enum_strings(FraudType, rows[:, 5]),
        "typology": _enum_strings(Typology, rows[:, 6]),
        "script_id": take_nullable(script_ids, rows[:, 7]),
    })  # fmt: skip
