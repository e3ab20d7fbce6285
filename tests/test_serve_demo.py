"""`fraudwall serve --demo`: a simulated world in the service, with a working key per role."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pyarrow.compute as pc
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pg import drop_postgres, fresh_postgres_url
from service_api import T0
from typer.testing import CliRunner

from fraudwall.cli.main import app
from fraudwall.errors import InputError
from fraudwall.funds import open_cases, reports_from_table
from fraudwall.model import EVENT_TABLES
from fraudwall.platform import FixedClock, PlatformDB, ServeSettings, create_app, migrate, schema
from fraudwall.platform.auth import AgencyKind, ApiRole
from fraudwall.platform.demo import KEYS_FILE, WATERMARK_KEY, DemoLoad, DemoSize, load_demo
from fraudwall.sim import simulate

#: a tiny world with enough fraud to have reports and cases
TINY = DemoSize(people=300, days=3, seed=3, fraud_rate=3_000.0)
ROLES = {
    "admin": ApiRole.ADMIN,
    "police_analyst": ApiRole.POLICE_ANALYST,
    "police_supervisor": ApiRole.POLICE_SUPERVISOR,
    "institution": ApiRole.INSTITUTION,
    "institution_payment": ApiRole.INSTITUTION,
    "telco": ApiRole.TELCO,
    "public_app": ApiRole.PUBLIC_APP,
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServeSettings]:
    """An empty data folder, with the database in it (SQLite) or beside it (PostgreSQL,
    upgraded first, as `fraudwall db upgrade` would)."""
    db_url = None
    if request.param == "postgresql":
        db_url = fresh_postgres_url("fraudwall_demo")
        migrate.upgrade(db_url)
    try:
        yield ServeSettings(data_dir=tmp_path / "data", db_url=db_url, snapshot_interval_s=0)
    finally:
        if db_url is not None:
            drop_postgres(db_url)


def _count(settings: ServeSettings, table: sa.Table) -> int:
    db = PlatformDB(settings.database)
    try:
        with db.reading() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
    finally:
        db.close()


def _load(settings: ServeSettings, force: bool = False) -> DemoLoad:
    return load_demo(settings, TINY, force=force, clock=FixedClock(T0))


def test_the_demo_holds_the_world_its_history_and_its_cases(settings: ServeSettings) -> None:
    loaded = _load(settings)
    world = simulate(TINY.config()).tables  # the same world: same config, same seed
    events = sum(world[n].num_rows for n in EVENT_TABLES)
    decided = sum(world[n].num_rows for n in ("transfers", "calls", "sms"))
    intake = open_cases(reports_from_table(world["reports"]), world)
    assert world["reports"].num_rows > 0 and intake.cases  # the size has cases to show

    assert (loaded.history.events, loaded.history.decisions) == (events, decided)
    assert _count(settings, schema.events) == events
    assert _count(settings, schema.decisions) == decided
    assert _count(settings, schema.warnings) == _count(settings, schema.warning_tasks)
    assert _count(settings, schema.warnings) == loaded.history.warnings
    assert _count(settings, schema.reports) == world["reports"].num_rows
    assert _count(settings, schema.report_sources) == world["reports"].num_rows
    assert _count(settings, schema.case_files) == len(intake.cases) == loaded.cases.cases
    for name in ("institutions", "accounts", "phones"):
        assert _count(settings, schema.metadata.tables[name]) == world[name].num_rows

    db = PlatformDB(settings.database)
    with db.reading() as conn:
        last = max(pc.max(world[n]["ts"]).as_py() for n in EVENT_TABLES if world[n].num_rows)
        mark = conn.execute(
            sa.select(schema.meta.c.value).where(schema.meta.c.key == WATERMARK_KEY)
        )
        assert mark.scalar_one() == last
        statuses = {r.status for r in conn.execute(sa.select(schema.events.c.status).distinct())}
        assert statuses == {"accepted"}
        unabsorbed = sa.select(schema.events).where(schema.events.c.absorbed_ts.is_(None))
        assert conn.execute(unabsorbed.limit(1)).first() is None
        filers = conn.execute(sa.select(schema.report_sources.c.agency_id).distinct()).scalars()
        assert list(filers) == ["police-psb"]
    db.close()
    assert (settings.snapshot_dir / "manifest.json").exists()
    # intelligence: every account and calling number scored, the flagged ones listed
    assert loaded.intel.accounts_scored == _count(settings, schema.entity_scores) - (
        loaded.intel.numbers_scored
    )
    assert loaded.intel.accounts_scored > 0 and loaded.intel.numbers_scored > 0
    assert _count(settings, schema.risk_entries) == loaded.intel.listed
    assert _count(settings, schema.gangs) == loaded.intel.gangs > 0


def test_demo_keys_json_has_a_working_key_for_every_role(settings: ServeSettings) -> None:
    loaded = _load(settings)
    path = settings.data_dir / KEYS_FILE
    assert loaded.keys_file == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # secrets: the owner's only
    keys = json.loads(path.read_text())
    assert set(keys) == set(ROLES)

    with TestClient(create_app(settings, FixedClock(T0)), raise_server_exceptions=False) as client:
        service = client.app.state.service  # type: ignore[attr-defined]
        for name, role in ROLES.items():
            who = service.principal(keys[name])
            assert who is not None and who.role == role, name
            r = client.get("/v1/agencies", headers={"Authorization": f"Bearer {keys[name]}"})
            if role == ApiRole.ADMIN:
                assert r.status_code == 200
                assert len(r.json()) == loaded.agencies
            else:  # known and authenticated, refused only for its role
                assert r.status_code == 403, name
                assert f"this key's role is {role}" in r.json()["error"]["problem"]
        kinds = {n: service.principal(keys[n]).agency_kind for n in keys}
    assert kinds["institution"] == AgencyKind.BANK
    assert kinds["institution_payment"] == AgencyKind.PAYMENT
    assert kinds["telco"] == AgencyKind.TELCO
    assert kinds["police_analyst"] == kinds["police_supervisor"] == AgencyKind.POLICE


def test_the_check_to_try_is_the_institution_keys_own_transfer(settings: ServeSettings) -> None:
    loaded = _load(settings)
    world = simulate(TINY.config()).tables
    bank = next(k for k in loaded.keys if k.name == "institution")
    accounts = dict(
        zip(
            world["accounts"]["account_id"].to_pylist(),
            world["accounts"]["institution_id"].to_pylist(),
            strict=True,
        )
    )
    check = loaded.check
    assert bank.agency_id == f"bank-{check['institution_id'].lower()}"
    assert accounts[check["from_account"]] == check["institution_id"]
    assert check["to_account"] in accounts and check["amount_fen"] > 0


def test_an_existing_folder_is_refused_and_force_replaces_it(settings: ServeSettings) -> None:
    first = _load(settings)
    with pytest.raises(InputError, match="already holds"):
        _load(settings)
    second = _load(settings, force=True)
    assert _count(settings, schema.events) == second.history.events == first.history.events
    with TestClient(create_app(settings, FixedClock(T0)), raise_server_exceptions=False) as client:
        old, new = first.keys[0].key, second.keys[0].key
        assert (
            client.get("/v1/agencies", headers={"Authorization": f"Bearer {old}"}).status_code
            == 401
        )
        assert (
            client.get("/v1/agencies", headers={"Authorization": f"Bearer {new}"}).status_code
            == 200
        )


def test_serve_demo_on_a_folder_in_use_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "fraudwall.sqlite").write_bytes(b"")
    result = CliRunner().invoke(app, ["serve", "--demo", "--data", str(data)])
    assert result.exit_code == 2
    out = " ".join(result.output.split())
    assert "already holds fraudwall.sqlite" in out and "--force" in out
    assert "Traceback" not in result.output
