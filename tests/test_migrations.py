"""The service's schema comes from its Alembic migrations, on SQLite and on PostgreSQL.

After `migrate.upgrade`, Alembic's `compare_metadata` finds no difference with
`schema.metadata`: a change to `platform/schema.py` without its migration fails here, and
the message says what to write.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from pg import drop_postgres, fresh_postgres_url
from typer.testing import CliRunner

from fraudwall.cli.main import app
from fraudwall.errors import InputError
from fraudwall.model import Action, Call, Decision, EntityKind, Gateway
from fraudwall.model.sql import row_of
from fraudwall.platform import (
    FixedClock,
    PlatformDB,
    ServeSettings,
    Service,
    migrate,
    risk,
    schema,
)
from fraudwall.platform.eventlog import ACCEPTED, event_row
from fraudwall.platform.eventlookups import EventLookups
from fraudwall.platform.migrate import SchemaNotCurrent

HOW_TO_FIX = (
    "platform/schema.py and its migrations differ. Write the revision: "
    "`PYTHONPATH=src python -m fraudwall.platform.migrate --autogenerate 'what changed'`, "
    "review the file it writes in platform/migrations/versions/, and commit it. "
    "Differences: {}"
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database, SQLite or PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'service.sqlite'}"
        return
    url = fresh_postgres_url("fraudwall_migrations")
    try:
        yield url
    finally:
        drop_postgres(url)


def _differences(url: str, target: sa.MetaData | None = None) -> list[object]:
    db = PlatformDB(url)
    try:
        with db.reading() as conn:
            return migrate.schema_differences(conn, target)
    finally:
        db.close()


def test_the_migrations_make_exactly_the_schema(empty_db: str) -> None:
    assert migrate.current(empty_db) is None
    before, after = migrate.upgrade(empty_db)
    assert (before, after) == (None, migrate.head())
    diffs = _differences(empty_db)
    assert not diffs, HOW_TO_FIX.format(diffs)
    assert migrate.current(empty_db) == migrate.check_schema(empty_db) == migrate.head()


def test_a_schema_change_without_its_migration_is_found(empty_db: str) -> None:
    migrate.upgrade(empty_db)
    changed = sa.MetaData(naming_convention=schema.metadata.naming_convention)
    for table in schema.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["orders"].append_column(sa.Column("note", sa.Text, nullable=True))
    diffs = _differences(empty_db, changed)
    assert [d[0] for d in diffs] == ["add_column"]
    assert diffs[0][2:4] == ("orders", changed.tables["orders"].c.note)  # type: ignore[index]


def test_upgrade_twice_changes_nothing(empty_db: str) -> None:
    migrate.upgrade(empty_db)
    assert migrate.upgrade(empty_db) == (migrate.head(), migrate.head())


def test_every_revision_goes_down_and_up_again(empty_db: str) -> None:
    migrate.upgrade(empty_db)
    db = PlatformDB(empty_db)
    try:
        with db.writing() as conn:
            command.downgrade(migrate.alembic_config(conn), "base")
            left = set(sa.inspect(conn).get_table_names()) - {"alembic_version"}
            assert left == set()
            assert migrate.revision_of(conn) is None
    finally:
        db.close()
    migrate.upgrade(empty_db)
    assert not _differences(empty_db)


def test_events_stored_before_their_lookups_moved_are_kept_numbered_and_found(
    empty_db: str,
) -> None:
    """Revision 0004 numbers the events a database already holds in the order they were
    stored, keeps each whole and unique by event_id, and a risk check finds them once the
    lookups have caught up (as the service does on start)."""
    migrate.upgrade(empty_db, "0003")
    calls = [
        Call(event_id=f"C{i}", ts=1_780_000_000_000 + i, institution_id="T01",
             caller="+8613900000001", callee="+8613800000002", duration_ms=1_000,
             gateway=Gateway.DOMESTIC, presented_number="+8613900000001")
        for i in (3, 1, 2)
    ]  # fmt: skip
    rows = [event_row(c, "telco", ACCEPTED, 0) for c in calls]
    columns = list(rows[0])
    insert = sa.text(
        f"INSERT INTO events ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"
    )
    decided = [
        row_of(Decision(event_id=c.event_id, kind=EntityKind.CALL, ts=c.ts,
                        action=Action.BLOCK, score=0.9))
        for c in calls
    ]  # fmt: skip
    db = PlatformDB(empty_db)
    try:
        with db.writing() as conn:
            conn.execute(insert, rows)
            conn.execute(schema.decisions.insert(), decided)
        assert migrate.upgrade(empty_db) == ("0003", migrate.head())
        assert not _differences(empty_db)
        with db.reading() as conn:
            stored = conn.execute(sa.select(schema.events).order_by(schema.events.c.seq)).all()
        assert [r.event_id for r in stored] == ["C3", "C1", "C2"]
        assert [{c: r._mapping[c] for c in columns} for r in stored] == rows
        assert EventLookups(db).catch_up() == 3
        with db.reading() as conn:
            found = risk.assess(conn, risk.RiskKind.NUMBER, "+8613900000001", 0)
        assert [(e.count, e.severity) for e in found.evidence] == [(3, risk.Verdict.HIGH)]
        with pytest.raises(sa.exc.IntegrityError), db.writing() as conn:
            conn.execute(insert, rows[:1])  # one event per event_id, as before
    finally:
        db.close()


def test_postgresql_is_never_migrated_by_a_server_starting() -> None:
    url = fresh_postgres_url("fraudwall_migrations")
    try:
        service = Service(ServeSettings(db_url=url), FixedClock(0))
        with pytest.raises(SchemaNotCurrent) as refused:
            service.start()
        service.stop()
        assert "no fraudwall schema" in refused.value.problem
        assert "fraudwall db upgrade --db postgresql" in refused.value.hint
        assert migrate.current(url) is None  # nothing was made
        migrate.upgrade(url)
        service = Service(ServeSettings(db_url=url), FixedClock(0))
        service.start()
        service.stop()
    finally:
        drop_postgres(url)


def test_postgresql_behind_the_newest_revision_is_refused_naming_both() -> None:
    url = fresh_postgres_url("fraudwall_migrations")
    try:
        migrate.upgrade(url)
        db = PlatformDB(url)
        try:
            with db.writing() as conn:  # as if this fraudwall's newest revision were later
                conn.execute(sa.text("UPDATE alembic_version SET version_num = '0000'"))
            with pytest.raises(SchemaNotCurrent) as refused:
                migrate.prepare(db)
        finally:
            db.close()
        assert "revision 0000, which this fraudwall does not know" in refused.value.problem
    finally:
        drop_postgres(url)


def test_sqlite_upgrades_itself_when_the_service_starts(tmp_path: Path) -> None:
    settings = ServeSettings(data_dir=tmp_path / "data")
    service = Service(settings, FixedClock(0))
    service.start()
    service.stop()
    assert migrate.current(settings.database) == migrate.head()


def test_a_database_made_by_create_all_is_adopted_and_a_different_one_refused(
    tmp_path: Path,
) -> None:
    made = f"sqlite:///{tmp_path / 'made.sqlite'}"
    db = PlatformDB(made)
    with db.writing() as conn:
        schema.metadata.create_all(conn)
    db.close()
    assert migrate.upgrade(made) == (None, migrate.head())

    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    db = PlatformDB(other)
    with db.writing() as conn:
        schema.metadata.create_all(conn)
        conn.execute(sa.text("DROP TABLE approvals"))
    db.close()
    with pytest.raises(SchemaNotCurrent, match="cannot be migrated safely"):
        migrate.upgrade(other)
    assert migrate.current(other) is None


def test_autogenerate_writes_the_next_revision_and_it_migrates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a developer does after changing schema.py (see `migrate`'s doc), on a copy of
    the migrations and a schema with one more table."""
    copy = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(migrate, "MIGRATIONS", copy)
    with pytest.raises(InputError, match="nothing to write"):
        migrate.autogenerate("no change")
    changed = sa.MetaData(naming_convention=schema.metadata.naming_convention)
    for table in schema.metadata.tables.values():
        table.to_metadata(changed)
    sa.Table("notes", changed, sa.Column("note_id", sa.Text, primary_key=True))
    monkeypatch.setattr(schema, "metadata", changed)

    written = migrate.autogenerate("add notes")
    nxt = f"{int(migrate.FIRST_REVISION) + len(list((copy / 'versions').glob('v*.py'))) - 1:04d}"
    assert written.parent == copy / "versions"
    assert written.name == f"v{nxt}_add_notes.py"
    text = written.read_text()
    assert "op.create_table(" in text and '"notes"' in text
    assert migrate.head() == nxt
    url = f"sqlite:///{tmp_path / 'next.sqlite'}"
    assert migrate.upgrade(url) == (None, nxt)
    assert not _differences(url)


def test_db_upgrade_and_current_on_the_command_line(tmp_path: Path) -> None:
    runner = CliRunner()
    data = tmp_path / "data"
    result = runner.invoke(app, ["db", "current", "--data", str(data)])
    assert result.exit_code == 2
    assert "holds no service database" in " ".join(result.output.split())
    result = runner.invoke(app, ["db", "upgrade", "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert f"upgraded from (empty) to {migrate.head()}" in " ".join(result.output.split())
    result = runner.invoke(app, ["db", "current", "--data", str(data)])
    assert result.exit_code == 0
    assert f"revision {migrate.head()} (the newest)" in " ".join(result.output.split())
    result = runner.invoke(app, ["db", "upgrade", "--data", str(data)])
    assert "already at the newest" in " ".join(result.output.split())


@pytest.mark.postgres
def test_serve_refuses_postgresql_behind_in_one_line() -> None:
    url = fresh_postgres_url("fraudwall_migrations")
    try:
        result = CliRunner().invoke(app, ["serve", "--db", url, "--port", "1"])
        assert result.exit_code == 1
        out = " ".join(result.output.split())
        assert "no fraudwall schema yet" in out and "fraudwall db upgrade --db" in out
        assert "Traceback" not in result.output
    finally:
        drop_postgres(url)


def test_every_file_of_the_migrations_ships_in_the_wheel() -> None:
    """Modules ship as packages; any other file (the revision template) must be named in
    pyproject's package data, or an installed fraudwall could not write or run them."""
    import fnmatch
    import tomllib

    root = Path(__file__).resolve().parents[1]
    package = root / "src" / "fraudwall"
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    globs = pyproject["tool"]["setuptools"]["package-data"]["fraudwall"]
    for path in migrate.MIGRATIONS.rglob("*"):
        if path.is_dir() or "__pycache__" in path.parts:
            continue
        if path.suffix == ".py":
            assert (path.parent / "__init__.py").exists(), f"{path.parent} is not a package"
            continue
        name = path.relative_to(package).as_posix()
        assert any(fnmatch.fnmatch(name, g) for g in globs), f"{name}: not in package-data"
