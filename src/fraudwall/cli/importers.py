"""`fraudwall import`: public data in other shapes as a fraudwall world, so that every
command (mules, trace, replay, ...) runs on it. A thin skin over
`fraudwall.intel.importers`; one command per source."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import pyarrow.csv as pacsv
import typer
from rich.console import Console
from rich.markup import escape

from fraudwall.cli.boundary import reported_as
from fraudwall.cli.console import print_counts, print_paths, progress_bar
from fraudwall.common import check_output_file
from fraudwall.errors import InputError
from fraudwall.intel.importers import AMLSIM_START_TS, import_amlsim, import_teleantifraud
from fraudwall.model import BY_TABLE, LOCAL_OFFSET_MS, empty_table
from fraudwall.sim import WORLD_TABLES, World, check_world_folder, write_world

REJECTED_FILE = "rejected.csv"

import_app = typer.Typer(
    no_args_is_help=True,
    help="Turn public data (AMLSim, ...) into a fraudwall world; bad rows go to "
    f"WORLD/{REJECTED_FILE} with the line, the field and the reason.",
)


def local_midnight(day: str, option: str = "--start") -> int:
    """A date (YYYY-MM-DD) as its midnight in China time, in ms UTC."""
    try:
        date = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise InputError(option, f"expected a date YYYY-MM-DD, got {day!r}") from None
    return int(date.timestamp() * 1000) - LOCAL_OFFSET_MS


_DEFAULT_START = datetime.fromtimestamp((AMLSIM_START_TS + LOCAL_OFFSET_MS) / 1000, UTC)


@import_app.command("amlsim")
def amlsim_cmd(
    folder: Annotated[
        Path,
        typer.Argument(
            help="An AMLSim sample (nodes.csv, transactions.csv) or AMLSim output "
            "(accounts.csv, transactions.csv, alerts.csv)."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="The world folder to write.")],
    start: Annotated[
        str,
        typer.Option(
            "--start",
            help="The date of step 0 (China time); a step's transfers are at noon of its day.",
        ),
    ] = _DEFAULT_START.strftime("%Y-%m-%d"),
    force: Annotated[
        bool, typer.Option("--force", help="Replace the world already in --out.")
    ] = False,
) -> None:
    """Import an IBM AMLSim data set as a world: one bank, its accounts, the transfers in
    fen, and the truth (fraud accounts as mules, alerted transfers as laundering).

    Exits 0 when every row was taken, 1 when some were rejected (the world is written
    without them; WORLD/rejected.csv says why), 2 when the folder cannot be imported.
    """
    console = Console()
    check_world_folder(out, force=force, option="--out")
    start_ts = local_midnight(start)
    t0 = time.perf_counter()
    with progress_bar(console, "import amlsim") as update:
        update("reading", 0.0)
        with reported_as(""):
            result = import_amlsim(folder, start_ts=start_ts)
        update("writing", 0.6)
        tables = {n: result.tables.get(n, empty_table(BY_TABLE[n])) for n in WORLD_TABLES}
        world = World(None, tables, source=result.source)
        path = write_world(world, out, force=force)
        pacsv.write_csv(result.rejected, path / REJECTED_FILE)
    elapsed = time.perf_counter() - t0
    counts = {n: t.num_rows for n, t in tables.items() if t.num_rows}
    print_counts(console, f"AMLSim {result.shape} from {folder}", counts)
    rejected = result.rejected.num_rows
    by_file = ", ".join(f"{name} {n:,}" for name, n in result.source["rejected"].items())
    console.print(f"rejected: {rejected:,} rows ({by_file})", highlight=False)
    fields, why = result.rejected["field"].to_pylist(), result.rejected["reason"].to_pylist()
    reasons = Counter(zip(fields, why, strict=True))
    for (field, reason), n in reasons.most_common(10):
        console.print(f"  {n:,} x {escape(field or '(line)')}: {escape(reason)}", highlight=False)
    console.print(f"imported in {elapsed:.2f} s")
    print_paths(console, [("world", path), ("rejected", path / REJECTED_FILE)])
    console.print(f"world id {world.world_id}")
    if rejected:
        raise typer.Exit(1)


@import_app.command("teleantifraud")
def teleantifraud_cmd(
    folder: Annotated[
        Path,
        typer.Argument(
            help="The TeleAntiFraud dialogues: fraud_dialogues-*.jsonl, normal_dialogues-*.jsonl."
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="The CSV to write: id, text, label, binary, ...")
    ],
    taxonomy: Annotated[
        str,
        typer.Option(
            "--taxonomy",
            help="Labels: 'source' (the data set's fraud types) or 'fraudwall' (fraudwall's).",
        ),
    ] = "source",
    openers: Annotated[
        bool,
        typer.Option("--openers", help="Also a row of each caller's first turn alone."),
    ] = False,
) -> None:
    """Import the TeleAntiFraud dialogues as a labelled text file for `fraudwall text`: text =
    both sides' turns in the order spoken, label = the fraud type of a fraud dialogue or
    'normal', binary = fraud or normal.

    Exits 0 when every line was taken, 1 when some were rejected (OUT.rejected.csv says
    why), 2 when the folder cannot be imported.
    """
    console = Console(stderr=True)
    if out.suffix != ".csv":
        raise InputError("--out", f"{out}: expected a .csv file")
    check_output_file(out, lambda p: p.suffix == ".csv", "a CSV file", "--out")
    with reported_as(""):
        result = import_teleantifraud(folder, taxonomy=taxonomy, openers=openers)
    pacsv.write_csv(result.texts, out)
    rejected = out.with_name(out.name + ".rejected.csv")
    counts = Counter(result.texts["label"].to_pylist())
    print_counts(console, f"TeleAntiFraud dialogues from {folder}", dict(counts.most_common()))
    console.print(f"rejected: {result.rejected.num_rows:,} lines", highlight=False)
    paths: list[tuple[str, object]] = [("texts", out)]
    if result.rejected.num_rows:
        pacsv.write_csv(result.rejected, rejected)
        paths.append(("rejected", rejected))
    print_paths(console, paths)
    if result.rejected.num_rows:
        raise typer.Exit(1)
