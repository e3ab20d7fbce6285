"""A running service for API tests: agencies of every kind, a key per role, a small registry.

`service_api` (a fixture, on SQLite and on PostgreSQL) gives an `Api`: `api.client` is a
TestClient on the app, `api.as_("bank_a")` the headers of that caller's key. The clock is
fixed (`api.clock`, a `FixedClock`): no test depends on timing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pg import drop_postgres, fresh_postgres_url

from fraudwall.model import (
    Account,
    AccountKind,
    Institution,
    InstitutionKind,
    LineKind,
    Phone,
)
from fraudwall.platform import FixedClock, ServeSettings, auth, create_app
from fraudwall.platform.migrate import upgrade
from fraudwall.platform.registry import put_records

T0 = 1_780_000_000_000  # 2026-05-28 20:26:40 UTC
H = 3_600_000

#: caller name -> (agency id, agency kind, institution id, role)
CALLERS: dict[str, tuple[str, str, str | None, str]] = {
    "admin": ("ops", "operator", None, "admin"),
    "analyst": ("police-sz", "police", "PS1", "police_analyst"),
    "supervisor": ("police-sz", "police", "PS1", "police_supervisor"),
    "analyst2": ("police-sz", "police", "PS1", "police_analyst"),
    "bank_a": ("bank-a", "bank", "B01", "institution"),
    "bank_b": ("bank-b", "bank", "B02", "institution"),
    "pay": ("pay-c", "payment", "P01", "institution"),
    "telco_a": ("telco-a", "telco", "T01", "telco"),
    "telco_b": ("telco-b", "telco", "T02", "telco"),
    "public": ("public-app", "public", None, "public_app"),
}

INSTITUTIONS = [
    Institution(institution_id="B01", name="Bank A", kind=InstitutionKind.BANK),
    Institution(institution_id="B02", name="Bank B", kind=InstitutionKind.BANK),
    Institution(institution_id="P01", name="Pay C", kind=InstitutionKind.PAYMENT),
    Institution(institution_id="T01", name="Telco A", kind=InstitutionKind.TELCO),
    Institution(institution_id="T02", name="Telco B", kind=InstitutionKind.TELCO),
    Institution(institution_id="PS1", name="Police SZ", kind=InstitutionKind.POLICE),
]


def account(account_id: str, institution_id: str) -> Account:
    return Account(account_id=account_id, institution_id=institution_id, owner_person_id=None,
                   kind=AccountKind.DEBIT_CARD, opened_ts=T0 - 400 * 24 * H,
                   opening_balance_fen=1_000_000)  # fmt: skip


def phone(number: str, telco_id: str) -> Phone:
    return Phone(number=number, telco_id=telco_id, owner_person_id=None, country_code="86",
                 activated_ts=T0 - 400 * 24 * H, line_kind=LineKind.MOBILE)  # fmt: skip


#: accounts A1..A3 at bank A, B1..B3 at bank B, W1 at the payment institution
ACCOUNTS = (
    [account(f"A{i}", "B01") for i in (1, 2, 3)]
    + [account(f"B{i}", "B02") for i in (1, 2, 3)]
    + [account("W1", "P01")]
)
#: numbers +8613800000001.. at telco A, +8613900000001.. at telco B
PHONES = [phone(f"+861380000000{i}", "T01") for i in (1, 2, 3)] + [
    phone(f"+861390000000{i}", "T02") for i in (1, 2, 3)
]


@dataclass
class Api:
    client: TestClient
    clock: FixedClock
    keys: dict[str, str] = field(default_factory=dict)

    def as_(self, caller: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[caller]}"}

    @property
    def service(self):  # type: ignore[no-untyped-def]
        return self.client.app.state.service  # type: ignore[attr-defined]


def seed(conn: sa.Connection, now: int) -> dict[str, str]:
    """Every caller of `CALLERS` (their agencies and keys) and the small registry; returns
    each caller's key."""
    keys: dict[str, str] = {}
    made: set[str] = set()
    for name, (agency_id, kind, institution_id, role) in CALLERS.items():
        if agency_id not in made:
            auth.add_agency(conn, agency_id, agency_id, kind, institution_id, now)
            made.add(agency_id)
        keys[name] = auth.issue_key(conn, agency_id, role, now).key
    put_records(conn, "institutions", INSTITUTIONS)
    put_records(conn, "accounts", ACCOUNTS)
    put_records(conn, "phones", PHONES)
    return keys


def start_api(settings: ServeSettings, clock: FixedClock) -> Iterator[Api]:
    """The app on `settings`, with every caller of `CALLERS` and the small registry (a
    PostgreSQL database is migrated first, as `fraudwall db upgrade` would)."""
    if settings.db_url is not None:
        upgrade(settings.db_url)  # a server never migrates PostgreSQL itself
    app = create_app(settings, clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        api = Api(client, clock)
        with app.state.service.db.writing() as conn:
            api.keys.update(seed(conn, clock.now()))
        yield api


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def service_api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    """The service on SQLite and on PostgreSQL (see the module doc)."""
    db_url = None
    if request.param == "postgresql":
        db_url = fresh_postgres_url("fraudwall_api", migrated=True)
    # keys are read from the database on every request here (no cache): a test that
    # revokes a key in the database sees it refused at once
    settings = ServeSettings(
        data_dir=tmp_path / "data",
        db_url=db_url,
        snapshot_interval_s=0,
        key_cache_s=0,
        webhook_sweep_s=0,  # pushes happen when a test asks for them
        idle_absorb_s=0,  # checks are absorbed when a test moves the watermark
    )
    try:
        yield from start_api(settings, FixedClock(T0))
    finally:
        if db_url is not None:
            drop_postgres(db_url)
