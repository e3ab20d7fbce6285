"""The `fraudwall` command: one verb per job, a thin skin over the library."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import matplotlib
import typer
from rich.console import Console

from fraudwall.demo import run_demo
from fraudwall.demo.console import print_counts, print_paths, progress_bar
from fraudwall.model.files import check_file
from fraudwall.sim import SimConfig, simulate, write_world

matplotlib.use("Agg")  # a command-line tool never opens a plot window

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="fraudwall: banks, payment institutions, telcos and police fight fraud together.",
)

MIN_PEOPLE = 100
_DEFAULTS = SimConfig()


def _people(value: int) -> int:
    if value < MIN_PEOPLE:
        raise typer.BadParameter(f"must be at least {MIN_PEOPLE} (got {value})")
    return value


def _days(value: int) -> int:
    if value < 1:
        raise typer.BadParameter(f"must be at least 1 (got {value})")
    return value


People = Annotated[
    int, typer.Option("--people", callback=_people, help="People living in the world.")
]
Days = Annotated[int, typer.Option("--days", callback=_days, help="Days of history to simulate.")]
Seed = Annotated[int, typer.Option("--seed", help="Random seed: same seed, same world.")]


def _rate(value: float) -> float:
    if not 0 <= value <= 10_000:
        raise typer.BadParameter(f"must be between 0 and 10000 (got {value})")
    return value


FraudRate = Annotated[
    float,
    typer.Option("--fraud-rate", callback=_rate, help="Fraud cases per 10,000 people per 30 days."),
]


@app.command("simulate")
def simulate_cmd(
    people: People = _DEFAULTS.people,
    days: Days = _DEFAULTS.days,
    seed: Seed = _DEFAULTS.seed,
    fraud_rate: FraudRate = _DEFAULTS.fraud_rate,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the Parquet tables and manifest.json.")
    ] = Path("out/world"),
) -> None:
    """Simulate a world with ground truth and write it as Parquet tables."""
    console = Console()
    config = SimConfig(people=people, days=days, seed=seed, fraud_rate=fraud_rate)
    t0 = time.perf_counter()
    with progress_bar(console, "simulate") as progress:
        world = simulate(config, progress=progress)
    elapsed = time.perf_counter() - t0
    path = write_world(world, out)
    counts: dict[str, int] = world.manifest()["counts"]
    print_counts(console, f"world: {people:,} people, {days} days, seed {seed}", counts)
    console.print(f"simulated in {elapsed:.2f} s")
    print_paths(console, [("world", path)])


@app.command("check")
def check_cmd(
    file: Annotated[Path, typer.Argument(help="A .parquet, .csv or .jsonl file of records.")],
    table: Annotated[
        str, typer.Option("--table", help="What the records are: transfers, calls, sms, ...")
    ],
    world: Annotated[
        Path | None,
        typer.Option("--world", help="A world folder whose entities references must name."),
    ] = None,
    rejected: Annotated[
        Path | None,
        typer.Option("--rejected", help="Where bad records go (default FILE.rejected.parquet)."),
    ] = None,
) -> None:
    """Check a file of records against fraudwall's schema; bad ones go to a rejected file.

    Exits 1 when any record was rejected, 0 when all were accepted.
    """
    console = Console()
    try:
        result = check_file(file, table, world, rejected)
    except (ValueError, FileNotFoundError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"{result.table}: {result.accepted:,} accepted, {result.rejected:,} rejected")
    for reason in result.reasons:
        console.print(f"  rejected: {reason}")
    if result.rejected_path is not None:
        print_paths(console, [("rejected", result.rejected_path)])
        raise typer.Exit(1)


@app.command("demo")
def demo_cmd(
    people: People = _DEFAULTS.people,
    days: Days = _DEFAULTS.days,
    seed: Seed = _DEFAULTS.seed,
    fraud_rate: FraudRate = _DEFAULTS.fraud_rate,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for report.html, summary.json and the world.")
    ] = Path("out/demo"),
) -> None:
    """Simulate a small city, run every stage on it, print a summary, write a report."""
    config = SimConfig(people=people, days=days, seed=seed, fraud_rate=fraud_rate)
    run_demo(config, out, console=Console())


if __name__ == "__main__":  # pragma: no cover
    app()
