"""`fraudwall serve`, `agencies`, `keys`, `audit`: the service and who may use it.

A thin skin over `fraudwall.platform`: the agency and key commands work on the service's
database directly (the same one `serve --data DIR` or `--db URL` uses), so the first
admin key can be issued before the server runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from fraudwall.cli.console import progress_bar
from fraudwall.errors import InputError
from fraudwall.model import utc

if TYPE_CHECKING:  # the service is imported by the commands that use it: --help stays quick
    from fraudwall.platform import PlatformDB, ServeSettings
    from fraudwall.platform.demo import DemoLoad

DataDir = Annotated[
    Path, typer.Option("--data", help="The service's data folder (database, engine snapshots).")
]
DbUrl = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="sqlite:///PATH or postgresql://USER@HOST/DB "
        "[default: sqlite:///DATA/fraudwall.sqlite]",
        show_default=False,
    ),
]
DEFAULT_DATA = Path("fraudwall-data")

agencies_app = typer.Typer(no_args_is_help=True, help="Agencies: who may use the service.")
keys_app = typer.Typer(no_args_is_help=True, help="API keys: one agency, one role, each.")
audit_app = typer.Typer(no_args_is_help=True, help="The service's hash-chained audit log.")
db_app = typer.Typer(
    no_args_is_help=True, help="The service's database schema (Alembic migrations)."
)


def settings_for(data: Path, db: str | None) -> ServeSettings:
    from fraudwall.platform import ServeSettings

    return ServeSettings(data_dir=data, db_url=db)


@contextmanager
def _database(data: Path, db: str | None, *, create: bool) -> Iterator[PlatformDB]:
    from fraudwall.platform import PlatformDB
    from fraudwall.platform.migrate import prepare

    settings = settings_for(data, db)
    if db is None and not create and not (data / "fraudwall.sqlite").exists():
        raise InputError(
            "--data",
            f"{data} holds no service database",
            hint="`fraudwall serve --data DIR` makes one",
        )
    database = PlatformDB(settings.database)
    try:
        if create:  # SQLite: made or upgraded in place; PostgreSQL: must be at the newest
            prepare(database)
        yield database
    finally:
        database.close()


def _now() -> int:
    from fraudwall.platform import WallClock

    return WallClock().now()


def serve_cmd(
    data: DataDir = DEFAULT_DATA,
    db: DbUrl = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port.")] = 8000,
    snapshot_every: Annotated[
        float,
        typer.Option(
            "--snapshot-every",
            min=0,
            help="Seconds between engine snapshots (0: on shutdown only).",
        ),
    ] = 300.0,
    reorder_window: Annotated[
        float,
        typer.Option(
            "--reorder-window",
            min=0,
            max=86_400,
            help="Seconds events may arrive out of order (and a check's outcome is awaited).",
        ),
    ] = 60.0,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="First load a simulated world (entities, history through the engine, cases) "
            "and print a key per role (also in DATA/demo-keys.json).",
        ),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="With --demo: replace the service's data in DATA.")
    ] = False,
    people: Annotated[
        int, typer.Option("--people", min=100, help="With --demo: people in the world.")
    ] = 3_000,
    days: Annotated[int, typer.Option("--days", min=1, help="With --demo: days of history.")] = 14,
    seed: Annotated[int, typer.Option("--seed", min=0, help="With --demo: the world's seed.")] = 7,
) -> None:
    """Run the HTTP service (OpenAPI at /docs); --demo loads a simulated world first."""
    import uvicorn

    from fraudwall.platform import PlatformDB, ServeSettings, create_app
    from fraudwall.platform.migrate import prepare
    from fraudwall.platform.ops import configure_logging

    settings = ServeSettings(
        data_dir=data,
        db_url=db,
        snapshot_interval_s=snapshot_every,
        reorder_window_ms=int(reorder_window * 1000),
    )
    console = Console(stderr=True)
    if demo:
        from fraudwall.platform.demo import DemoSize, check_target, load_demo

        check_target(settings, force)  # before the progress bar: a refusal is one line
        with progress_bar(console, "demo") as progress:
            loaded = load_demo(
                settings, DemoSize(people=people, days=days, seed=seed), force=force,
                progress=progress,
            )  # fmt: skip
        print_demo(Console(), loaded, f"http://{host}:{port}")
    elif force:
        raise InputError("--force", "replaces data only with --demo")
    else:  # the schema before the server: a refusal is one line, not a failed startup
        database = PlatformDB(settings.database)
        try:
            prepare(database)
        finally:
            database.close()
    _check_address(host, port)
    app = create_app(settings)
    configure_logging()  # JSON lines on stderr, one per request (platform.ops)
    console.print(f"fraudwall serving on http://{host}:{port} (docs at /docs)")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _check_address(host: str, port: int) -> None:
    """Refuse, in one line, an address the server could not listen on (before it starts)."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise InputError("--host", f"{host!r}: {exc.strerror or exc}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise InputError(
                "--port", f"cannot listen on {host}:{port} ({exc.strerror or exc})",
                hint="another program holds it: stop it or choose another --port",
            ) from None  # fmt: skip


def print_demo(console: Console, loaded: DemoLoad, base_url: str) -> None:
    """What the demo loaded, its keys (a table) and a check to try (a curl line)."""
    import json
    import shlex

    h, c, i = loaded.history, loaded.cases, loaded.intel
    console.print(
        f"demo loaded in {loaded.seconds['total']:.1f} s: {loaded.agencies} agencies, "
        f"{loaded.registry['accounts']:,} accounts, {loaded.registry['phones']:,} numbers, "
        f"{h.events:,} events, {h.decisions:,} decisions, {h.warnings:,} warning tasks, "
        f"{c.reports:,} reports, {c.cases:,} cases; intelligence: {i.accounts_scored:,} "
        f"accounts and {i.numbers_scored:,} numbers scored, {i.listed:,} listed, "
        f"{i.gangs:,} gangs"
    )
    table = Table(
        title=f"a key per role, in {loaded.keys_file} as {{role: key}}",
        caption="institution_payment: the role institution, for a payment institution",
    )
    table.add_column("role")
    table.add_column("agency")
    table.add_column("key", overflow="fold")  # never cut short: it is to be copied
    for k in loaded.keys:
        table.add_row(k.name, k.agency_id, k.key)
    console.print(table)
    body = json.dumps(loaded.check, ensure_ascii=False, separators=(",", ":"))
    keys = shlex.quote(str(loaded.keys_file))
    console.print("a check of a transfer, as the bank holding the payer's account:")
    # plain print: the line is copied as it is (rich would wrap it)
    print(
        f'curl -s -H "Authorization: Bearer $(jq -r .institution {keys})" '
        f"-H 'Content-Type: application/json' -d '{body}' {base_url}/v1/check/transfer"
    )


@db_app.command("upgrade")
def db_upgrade(data: DataDir = DEFAULT_DATA, db: DbUrl = None) -> None:
    """Bring the database's schema to the newest revision (before a PostgreSQL server starts;
    SQLite does it itself). Back the database up first."""
    from fraudwall.platform.migrate import upgrade

    settings = settings_for(data, db)
    before, after = upgrade(settings.database)
    where = _where(settings.database)
    if before == after:
        Console().print(f"{where}: already at the newest schema revision, {after}")
    else:
        Console().print(f"{where}: schema upgraded from {before or '(empty)'} to {after}")


@db_app.command("current")
def db_current(data: DataDir = DEFAULT_DATA, db: DbUrl = None) -> None:
    """Say which schema revision the database is at, and whether it is the newest."""
    from fraudwall.platform.migrate import current, head

    settings = settings_for(data, db)
    if db is None and not (data / "fraudwall.sqlite").exists():
        raise InputError("--data", f"{data} holds no service database")
    at, newest = current(settings.database), head()
    where = _where(settings.database)
    if at == newest:
        Console().print(f"{where}: schema revision {at} (the newest)")
    elif at is None:
        Console().print(f"{where}: no fraudwall schema yet (run `fraudwall db upgrade`)")
    else:
        Console().print(
            f"{where}: schema revision {at}; the newest is {newest} (run `fraudwall db upgrade`)"
        )


def _where(url: str) -> str:
    import sqlalchemy as sa

    from fraudwall.platform.db import database_url

    return sa.make_url(database_url(url)).render_as_string(hide_password=True)


@agencies_app.command("add")
def agencies_add(
    agency_id: Annotated[str, typer.Argument(help="A short id, e.g. icbc-sz or police-sz.")],
    kind: Annotated[
        str, typer.Option("--kind", help="police, bank, payment, telco, public or operator.")
    ],
    name: Annotated[str | None, typer.Option("--name", help="[default: the id]")] = None,
    institution: Annotated[
        str | None,
        typer.Option(
            "--institution", help="The institution id it speaks for (banks, telcos, police)."
        ),
    ] = None,
    data: DataDir = DEFAULT_DATA,
    db: DbUrl = None,
) -> None:
    """Register an agency."""
    from fraudwall.platform import SYSTEM_PRINCIPAL, auth
    from fraudwall.platform.audit import AuditNote, record

    with _database(data, db, create=True) as database, database.writing() as conn:
        now = _now()
        row = auth.add_agency(conn, agency_id, name or agency_id, kind, institution, now)
        record(conn, SYSTEM_PRINCIPAL, now, [AuditNote("agencies.add", agency_id, after=row)])
    Console().print(f"agency [bold]{agency_id}[/bold] ({kind}) added")


@agencies_app.command("list")
def agencies_list(data: DataDir = DEFAULT_DATA, db: DbUrl = None) -> None:
    """List the agencies."""
    from fraudwall.platform import auth

    with _database(data, db, create=False) as database, database.reading() as conn:
        rows = auth.list_agencies(conn)
    table = Table("agency", "kind", "institution", "name", "since")
    for r in rows:
        table.add_row(
            r["agency_id"], r["kind"], r["institution_id"] or "", r["name"], utc(r["created_ts"])
        )
    Console().print(table)


@keys_app.command("issue")
def keys_issue(
    agency_id: Annotated[str, typer.Argument(help="The agency the key belongs to.")],
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="police_analyst, police_supervisor, institution, telco, public_app or admin.",
        ),
    ],
    days: Annotated[int, typer.Option("--days", min=1, max=3650, help="Valid for.")] = 365,
    label: Annotated[str, typer.Option("--label", help="A note on who holds it.")] = "",
    data: DataDir = DEFAULT_DATA,
    db: DbUrl = None,
) -> None:
    """Issue a key; it is printed once and stored only as a hash."""
    from fraudwall.platform import SYSTEM_PRINCIPAL, auth
    from fraudwall.platform.audit import AuditNote, record

    with _database(data, db, create=True) as database, database.writing() as conn:
        now = _now()
        issued = auth.issue_key(conn, agency_id, role, now, days=days, label=label)
        after = {"agency_id": agency_id, "role": issued.role.value}
        record(conn, SYSTEM_PRINCIPAL, now, [AuditNote("keys.issue", issued.key_id, after=after)])
    console = Console()
    console.print(
        f"key {issued.key_id} for {agency_id} as {issued.role}, "
        f"valid until {utc(issued.expires_ts)}; keep it, it is not shown again:"
    )
    print(issued.key)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's visible id (fw_...).")],
    data: DataDir = DEFAULT_DATA,
    db: DbUrl = None,
) -> None:
    """Revoke a key: it is refused from now on."""
    from fraudwall.platform import SYSTEM_PRINCIPAL, auth
    from fraudwall.platform.audit import AuditNote, record

    with _database(data, db, create=False) as database, database.writing() as conn:
        now = _now()
        changed = auth.revoke_key(conn, key_id.split(".", 1)[0], now)
        if changed:
            record(conn, SYSTEM_PRINCIPAL, now, [AuditNote("keys.revoke", key_id)])
    Console().print(f"key {key_id} " + ("revoked" if changed else "was already revoked"))


@keys_app.command("list")
def keys_list(data: DataDir = DEFAULT_DATA, db: DbUrl = None) -> None:
    """List the keys (their ids, never their secrets)."""
    from fraudwall.platform import auth

    with _database(data, db, create=False) as database, database.reading() as conn:
        rows = auth.list_keys(conn)
    table = Table("key", "agency", "role", "expires", "revoked", "label")
    for r in rows:
        revoked = utc(r["revoked_ts"]) if r["revoked_ts"] is not None else ""
        table.add_row(
            r["key_id"], r["agency_id"], r["role"], utc(r["expires_ts"]), revoked, r["label"]
        )
    Console().print(table)


@audit_app.command("verify")
def audit_verify(data: DataDir = DEFAULT_DATA, db: DbUrl = None) -> None:
    """Check the audit log's hash chain; name the first entry altered, removed or moved."""
    from fraudwall.platform.audit import verify_audit

    with _database(data, db, create=False) as database, database.reading() as conn:
        check = verify_audit(conn)
    if not check.ok:
        raise InputError(
            "audit log", check.problems[0], hint="restore the database from a backup and compare"
        )
    Console().print(f"audit log holds: {check.entries} entries, chain intact")


__all__ = ["agencies_app", "audit_app", "db_app", "keys_app", "serve_cmd", "settings_for"]
