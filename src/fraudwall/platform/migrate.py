"""The service's schema, versioned: Alembic migrations run from code, no ``alembic.ini``.

`upgrade(url)` brings a database to the newest revision (`fraudwall db upgrade`),
`current(url)` says where it is (`fraudwall db current`), `check_schema(url)` refuses one
that is not at the newest. The service prepares its database when it starts
(`prepare`): the embedded SQLite default upgrades itself, so nothing is run by hand; a
PostgreSQL database is never changed by a server starting, which refuses to run on one
that is not at the newest revision and says what to run.

The migrations (`platform/migrations/versions/`) are frozen: each writes out its tables,
columns and indexes, and never reads `schema.metadata`, so an old revision means the
same thing forever. A test upgrades an empty SQLite and an empty PostgreSQL database and
compares the result with `schema.metadata` (Alembic's `compare_metadata`): a change to
`schema.py` without its migration fails the suite.

Changing the schema
-------------------
1. Change `platform/schema.py`.
2. Write the revision with Alembic's autogenerate, from the repository's root::

       PYTHONPATH=src python -m fraudwall.platform.migrate --autogenerate "add orders.note"

   It upgrades a scratch SQLite database to the newest revision, compares it with
   `schema.metadata` and writes ``platform/migrations/versions/v<NNNN>_<message>.py``
   (``--db postgresql://...`` compares against an empty PostgreSQL database instead).
3. Review the file: autogenerate does not see renames (it writes a drop and an add) or
   data that must move, and a NOT NULL column added to a table with rows needs a
   ``server_default``. Then run ``pytest tests/test_migrations.py``.

A database made by `metadata.create_all` (as before migrations) has the tables but no
version: `upgrade` adopts it (stamps the newest revision) when its tables are exactly
`schema.metadata`'s, and refuses it otherwise.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError

from fraudwall.errors import InputError, RunError
from fraudwall.platform import schema
from fraudwall.platform.db import PlatformDB

MIGRATIONS: Final = Path(__file__).parent / "migrations"
#: The first revision's id; the next ones count on from it.
FIRST_REVISION: Final = "0001"
_REV = re.compile(r"^\d{4}$")


class SchemaNotCurrent(RunError):
    """The database's schema is not the one this fraudwall needs (run `fraudwall db upgrade`)."""


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """Alembic's configuration, built in code (no ``alembic.ini``): the migrations in the
    package, run on `connection` (see `migrations/env.py`)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # revision files named v0001_message.py: valid module names, in order on disk
    config.set_main_option("file_template", "v%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision this fraudwall knows."""
    found = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if found is None:
        raise RuntimeError(f"{MIGRATIONS}: no migrations (the package is incomplete)")
    return found


def revision_of(conn: sa.Connection) -> str | None:
    """The revision the database is at (None: it has no fraudwall schema)."""
    return MigrationContext.configure(conn).get_current_revision()


def schema_differences(conn: sa.Connection, target: sa.MetaData | None = None) -> list[Any]:
    """What differs between the database's tables and `target` (default `schema.metadata`)
    as Alembic's autogenerate sees it: an empty list when they match."""
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    diffs: list[Any] = compare_metadata(context, schema.metadata if target is None else target)
    return diffs


def _known(revision: str, where: str) -> None:
    try:
        found = ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError:
        found = None
    if found is None:
        raise SchemaNotCurrent(
            where,
            f"the database is at revision {revision}, which this fraudwall does not know "
            "(a newer fraudwall migrated it)",
            hint="run the newer fraudwall, or restore a backup made before it",
        )


def _has_tables(conn: sa.Connection) -> bool:
    present = set(sa.inspect(conn).get_table_names())
    return bool(present & set(schema.metadata.tables))


def upgrade_connection(conn: sa.Connection, where: str, revision: str = "head") -> str:
    """Migrate the database of `conn` to `revision` inside the caller's transaction (which
    should hold the write lock); returns the revision it is at now."""
    before = revision_of(conn)
    config = alembic_config(conn)
    if before is None and _has_tables(conn):
        _adopt(conn, config, where)
    elif before is not None:
        _known(before, where)
    command.upgrade(config, revision)
    after = revision_of(conn)
    assert after is not None
    return after


def _adopt(conn: sa.Connection, config: Config, where: str) -> None:
    """Stamp a database made by `metadata.create_all` (no version) as the newest revision
    when its tables are exactly `schema.metadata`'s; refuse it otherwise."""
    if schema_differences(conn):
        raise SchemaNotCurrent(
            where,
            "the database holds tables but no schema version, and they are not this "
            "fraudwall's: it cannot be migrated safely",
            hint="use a new database (or --data folder), or a backup made by fraudwall",
        )
    command.stamp(config, "head")


def upgrade(url: str, revision: str = "head") -> tuple[str | None, str]:
    """`fraudwall db upgrade`: migrate the database at `url` to `revision` (default the
    newest), under the service's write lock; returns the revision before and after."""
    db = PlatformDB(url)
    try:
        with db.writing() as conn:
            before = revision_of(conn)
            return before, upgrade_connection(conn, db.where, revision)
    finally:
        db.close()


def current(url: str) -> str | None:
    """`fraudwall db current`: the revision of the database at `url` (None: no schema)."""
    db = PlatformDB(url)
    try:
        with db.reading() as conn:
            return revision_of(conn)
    finally:
        db.close()


def check_connection(conn: sa.Connection, where: str) -> str:
    """Refuse (`SchemaNotCurrent`) a database that is not at the newest revision, saying
    what to run; returns the revision."""
    at, newest = revision_of(conn), head()
    if at == newest:
        return at
    run = f"run `fraudwall db upgrade --db {where}` first (after a backup)"
    if at is None:
        problem = "the database has no fraudwall schema yet"
    else:
        _known(at, where)
        problem = f"the database is at schema revision {at}; this fraudwall needs {newest}"
    raise SchemaNotCurrent(where, problem, hint=run)


def check_schema(url: str) -> str:
    """The revision of the database at `url`, if it is the newest; `SchemaNotCurrent` with
    the command to run otherwise."""
    db = PlatformDB(url)
    try:
        with db.reading() as conn:
            return check_connection(conn, db.where)
    finally:
        db.close()


def prepare(db: PlatformDB) -> str:
    """Make `db` ready for the service (see the module doc): SQLite is upgraded in place,
    PostgreSQL only checked. Returns the revision."""
    if db.dialect == "sqlite":
        with db.writing() as conn:
            return upgrade_connection(conn, db.where)
    with db.reading() as conn:
        return check_connection(conn, db.where)


# --- writing a new revision ----------------------------------------------------------------
def next_revision_id(script: ScriptDirectory) -> str:
    """The id after the newest one: 0001, 0002, ..."""
    heads = script.get_heads()
    if len(heads) > 1:
        raise InputError(
            "migrations",
            f"the revisions have several heads ({', '.join(sorted(heads))})",
            hint="make one revision the parent of the other (down_revision) first",
        )
    if not heads:
        return FIRST_REVISION
    if not _REV.match(heads[0]):
        raise InputError("migrations", f"revision id {heads[0]!r} is not a 4-digit number")
    return f"{int(heads[0]) + 1:04d}"


def autogenerate(message: str, url: str | None = None) -> Path:
    """Write a new revision with what `schema.metadata` has that the newest revision does
    not (Alembic's autogenerate), for a developer to review; returns its file. `url` is an
    empty scratch database to compare on (default: a temporary SQLite file)."""
    if not message.strip():
        raise InputError("message", "say in a few words what the revision changes")
    with tempfile.TemporaryDirectory(prefix="fraudwall-autogenerate-") as scratch:
        db = PlatformDB(url or f"sqlite:///{scratch}/autogenerate.sqlite")
        try:
            # never committed: closing the connection rolls the scratch database back
            with db.engine.connect() as conn:
                if revision_of(conn) is None and _has_tables(conn):
                    raise InputError("--db", f"{db.where} is not empty: give a scratch database")
                command.upgrade(alembic_config(conn), "head")
                if not schema_differences(conn):
                    raise InputError(
                        "schema.py", "matches the newest revision: there is nothing to write"
                    )
                config = alembic_config(conn)
                rev_id = next_revision_id(ScriptDirectory.from_config(config))
                written = command.revision(config, message, autogenerate=True, rev_id=rev_id)
        finally:
            db.close()
    scripts = written if isinstance(written, list) else [written]
    script = scripts[0]
    if script is None:
        raise RuntimeError("alembic wrote no revision")
    path = Path(script.path)
    if importlib.util.find_spec("ruff") is not None:  # the project's format, when at hand
        subprocess.run([sys.executable, "-m", "ruff", "format", "-q", str(path)], check=False)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m fraudwall.platform.migrate --autogenerate MESSAGE [--db URL]``."""
    parser = argparse.ArgumentParser(
        prog="python -m fraudwall.platform.migrate",
        description="Write a new revision of the service's schema (see the module doc).",
    )
    parser.add_argument("--autogenerate", metavar="MESSAGE", required=True)
    parser.add_argument("--db", metavar="URL", help="an empty scratch database to compare on")
    args = parser.parse_args(argv)
    try:
        path = autogenerate(args.autogenerate, args.db)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}: review it, then run pytest tests/test_migrations.py")
    return 0


__all__ = [
    "FIRST_REVISION",
    "MIGRATIONS",
    "SchemaNotCurrent",
    "alembic_config",
    "autogenerate",
    "check_connection",
    "check_schema",
    "current",
    "head",
    "main",
    "next_revision_id",
    "prepare",
    "revision_of",
    "schema_differences",
    "upgrade",
    "upgrade_connection",
]

if __name__ == "__main__":
    raise SystemExit(main())
