"""`fraudwall risk check|import|export`: the risk lists, a thin skin over `intel.risklists`.

The lists live with the rest of the service's data unless told otherwise: in the
service's database of the data folder `fraudwall serve` uses (``--data DIR``), so what
is imported here is what the service's risk checks and its engine read; ``--db`` names
another store (a SQLite file, or a ``postgresql://`` URL).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from fraudwall.cli.boundary import reported_as
from fraudwall.cli.console import print_paths
from fraudwall.cli.serve import DEFAULT_DATA  # the service's data folder: one default
from fraudwall.errors import InputError
from fraudwall.model import utc

if TYPE_CHECKING:
    from fraudwall.intel.risklists import RiskListStore


risk_app = typer.Typer(
    no_args_is_help=True,
    help="Risk lists (numbers, accounts, links, domains, apps, devices): check a value, "
    "import and export lists as CSV.",
)

DataDir = Annotated[
    Path,
    typer.Option("--data", help="The data folder (as `fraudwall serve --data`)."),
]
DbUrl = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="The risk list store: a SQLite file, sqlite:///PATH or postgresql://USER@HOST/DB "
        "(default: the service's database in DATA)",
        show_default=False,
    ),
]
KINDS = "number, account, url, domain, app, device"


def _open(data: Path, db: str | None, *, create: bool) -> RiskListStore:
    from fraudwall.intel.risklists import RiskListStore

    if db is None:
        with reported_as("--data"):
            url = _service_database(data, create=create)
    elif "://" in db:
        url = db
    else:
        url = f"sqlite:///{Path(db).resolve()}"
    with reported_as("--db" if db is not None else "--data"):
        return RiskListStore(url, create=create)


def _service_database(data: Path, *, create: bool) -> str:
    """The URL of the service's database in `data`, brought to the newest schema (which
    holds the risk lists); refused when there is none and none is to be made."""
    from fraudwall.platform import ServeSettings
    from fraudwall.platform.db import PlatformDB
    from fraudwall.platform.migrate import prepare
    from fraudwall.platform.settings import DB_FILE

    if not create and not (data / DB_FILE).is_file():
        raise InputError(
            str(data / DB_FILE),
            "no risk lists here",
            hint="`fraudwall risk import FILE.csv` makes them, or give --data or --db",
        )
    data.mkdir(parents=True, exist_ok=True)
    settings = ServeSettings(data_dir=data)
    database = PlatformDB(settings.database)
    try:
        prepare(database)
    finally:
        database.close()
    return settings.database


def _time(text: str | None, option: str) -> int:
    """ms UTC from ``1780000000000`` or an ISO time (``2026-05-28T10:00``, UTC unless it
    says otherwise); now when not given."""
    if text is None:
        return int(datetime.now(UTC).timestamp() * 1000)
    text = text.strip()
    if text.isdigit():
        return int(text)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            option, f"{text!r} is not a time", hint="ms UTC, or e.g. 2026-05-28T10:00:00Z"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


@risk_app.command("check")
def check_cmd(
    kind: Annotated[str, typer.Argument(help=f"What VALUE is: {KINDS}.")],
    value: Annotated[str, typer.Argument(help="The value, as it is written anywhere.")],
    at: Annotated[
        str | None,
        typer.Option(
            "--at", help="As of this time (ms UTC or ISO) (default: now).", show_default=False
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Answer as one JSON object.")] = False,
    data: DataDir = DEFAULT_DATA,
    db: DbUrl = None,
) -> None:
    """Is VALUE on the risk lists? Every entry for it, with the evidence.

    Each entry's source, evidence, confidence, first and last sighting and expiry; expired
    entries are shown too, marked. A link is also listed by its domain.
    """
    from fraudwall.intel.risklists import list_kind, normalise

    at_ts = _time(at, "--at")
    normalise(list_kind(kind, "KIND"), value, "VALUE")  # refused before opening the store
    store = _open(data, db, create=False)
    try:
        answer = store.check(kind, value, at_ts)
    finally:
        store.close()
    rows = answer.entries.to_pylist()
    if as_json:
        out: dict[str, Any] = {
            "kind": answer.kind.value,
            "value": answer.value,
            "at_ts": answer.at_ts,
            "listed": answer.listed,
            "entries": rows,
        }
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    console = Console()
    verdict = "[bold red]LISTED[/bold red]" if answer.listed else "[green]not listed[/green]"
    console.print(
        f"{answer.kind.value} {escape(answer.value)}: {verdict} at {utc(answer.at_ts)}",
        highlight=False,
    )
    if not rows:
        console.print("  no entry on the risk lists names it")
        return
    for r in rows:
        mark = {"live": "red", "expired": "dim", "not yet": "yellow"}[r["status"]]
        console.print(
            f"  [{mark}]{r['status']:<8}[/{mark}] {escape(r['kind'])} {escape(r['value'])}  "
            f"source {escape(r['source'])}  confidence {r['confidence']:.2f}",
            highlight=False,
        )
        console.print(
            f"           seen {utc(r['first_seen_ts'])} to {utc(r['last_seen_ts'])}",
            highlight=False,
        )
        console.print(f"           expires {utc(r['expires_ts'])}", highlight=False)
        if r["evidence"]:
            console.print(f"           evidence: {escape(r['evidence'])}", highlight=False)


@risk_app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="A risk list CSV (as `risk export` writes).")],
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="The source of every entry imported (default: each row's, else import:FILE)",
            show_default=False,
        ),
    ] = None,
    rejected: Annotated[
        Path | None,
        typer.Option(
            "--rejected", help="Where bad rows go (default: FILE.rejected.csv).", show_default=False
        ),
    ] = None,
    data: DataDir = DEFAULT_DATA,
    db: DbUrl = None,
) -> None:
    """Import a list (CSV): good rows stored, bad ones to a rejected file with the reason.

    Good rows are merged with what is stored; each bad one goes to the rejected file with
    its row, field and reason. Exits 1 when any row was rejected.
    """
    from fraudwall.intel.risklists import import_csv

    console = Console()
    if not file.is_file():
        raise InputError(str(file), "no such file")
    store = _open(data, db, create=True)
    try:
        with reported_as("FILE"):
            result = import_csv(store, file, source, rejected)
    finally:
        store.close()
    console.print(
        f"{file}: {result.rows:,} rows, {result.stored.new:,} entries new, "
        f"{result.stored.merged:,} merged into entries stored, {result.rejected:,} rejected",
        highlight=False,
    )
    for reason, n in sorted(result.reasons.items(), key=lambda kv: -kv[1]):
        console.print(f"  rejected {n:,}: {escape(reason)}", highlight=False)
    print_paths(console, [("store", Path(store.where))] if store.path is not None else [])
    if result.rejected_path is not None:
        print_paths(console, [("rejected", result.rejected_path)])
        raise typer.Exit(1)


@risk_app.command("export")
def export_cmd(
    file: Annotated[Path, typer.Argument(help="The CSV file to write.")],
    kind: Annotated[
        str | None, typer.Option("--kind", help=f"Only entries of this kind: {KINDS}.")
    ] = None,
    data: DataDir = DEFAULT_DATA,
    db: DbUrl = None,
) -> None:
    """Export the stored entries (expired ones too) as CSV that `risk import` reads."""
    from fraudwall.intel.risklists import export_csv, list_kind

    if kind is not None:
        list_kind(kind, "--kind")
    store = _open(data, db, create=False)
    try:
        n = export_csv(store, file, kind)
    finally:
        store.close()
    console = Console()
    console.print(f"{n:,} entries exported", highlight=False)
    print_paths(console, [("list", file)])
