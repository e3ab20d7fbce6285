"""The `fraudwall` command: one verb per job, a thin skin over the library."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import matplotlib
import pyarrow as pa
import pyarrow.parquet as pq
import typer
from rich.console import Console
from rich.markup import escape

from fraudwall.cli.boundary import GuardedGroup, reported_as
from fraudwall.cli.console import print_counts, print_figures, print_paths, progress_bar
from fraudwall.cli.detectors import apps_app, mules_app, numbers_app, urls_app
from fraudwall.cli.funds import cases_app, trace_cmd
from fraudwall.cli.gangs import gangs_cmd
from fraudwall.cli.importers import import_app
from fraudwall.cli.risk import risk_app
from fraudwall.cli.scripts import scripts_cmd
from fraudwall.cli.serve import agencies_app, audit_app, db_app, keys_app, serve_cmd
from fraudwall.cli.text import text_app
from fraudwall.common import check_output_file
from fraudwall.demo import run_demo
from fraudwall.errors import InputError
from fraudwall.model import EVENT_TABLES, REF_TYPES, check_file, rejected_path_for
from fraudwall.sim import (
    MAX_DAYS,
    MAX_PEOPLE,
    MAX_SEED,
    MIN_DRIFT_DAYS,
    SimConfig,
    World,
    check_drift,
    check_memory,
    check_world_folder,
    read_world,
    simulate,
    verify_world,
    write_world,
)

if TYPE_CHECKING:  # the engine is imported by the commands that run it: --help stays quick
    from fraudwall.engine import RuleSet

matplotlib.use("Agg")  # a command-line tool never opens a plot window

app = typer.Typer(
    cls=GuardedGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="fraudwall: banks, payment institutions, telcos and police fight fraud together. "
    "A failure is one line (exit 2: bad input, 1: the run failed); --debug anywhere on the "
    "line shows its traceback.",
)

MIN_PEOPLE = 100
_DEFAULTS = SimConfig()


def _people(value: int) -> int:
    if value < MIN_PEOPLE:
        raise typer.BadParameter(f"must be at least {MIN_PEOPLE} (got {value})")
    if value > MAX_PEOPLE:
        raise typer.BadParameter(f"must be at most {MAX_PEOPLE:,} (got {value:,})")
    return value


def _days(value: int) -> int:
    if value < 1:
        raise typer.BadParameter(f"must be at least 1 (got {value})")
    if value > MAX_DAYS:
        raise typer.BadParameter(f"must be at most {MAX_DAYS} (got {value:,})")
    return value


def _seed(value: int) -> int:
    if not 0 <= value <= MAX_SEED:
        raise typer.BadParameter(f"must be a whole number from 0 to {MAX_SEED} (got {value})")
    return value


People = Annotated[
    int, typer.Option("--people", callback=_people, help="People living in the world.")
]
Days = Annotated[int, typer.Option("--days", callback=_days, help="Days of history to simulate.")]
Seed = Annotated[
    int, typer.Option("--seed", callback=_seed, help="Random seed (>= 0): same seed, same world.")
]


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
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace the world already in --out, with everything in it (its case store, "
            "replays); and simulate even when the memory estimate says it will not fit.",
        ),
    ] = False,
    script_drift: Annotated[
        bool,
        typer.Option(
            "--script-drift",
            help="New fraud scripts (new baits, and old ones reworded) start during the "
            "period, with their ground truth in the scripts table (needs --days 4 or more).",
        ),
    ] = _DEFAULTS.script_drift,
) -> None:
    """Simulate a world with ground truth and write it as Parquet tables.

    The folder appears whole when the world is complete; an interrupted run leaves the
    old one as it was.
    """
    console = Console()
    config = SimConfig(
        people=people, days=days, seed=seed, fraud_rate=fraud_rate, script_drift=script_drift
    )
    check_drift(config)
    check_world_folder(out, force=force, option="--out")  # before the work, not after it
    if not force:
        check_memory(config)
    t0 = time.perf_counter()
    with progress_bar(console, "simulate") as progress:
        world = simulate(config, progress=progress)
    elapsed = time.perf_counter() - t0
    path = write_world(world, out, force=force)
    counts: dict[str, int] = world.manifest()["counts"]
    print_counts(console, f"world: {people:,} people, {days} days, seed {seed}", counts)
    console.print(f"simulated in {elapsed:.2f} s")
    print_paths(console, [("world", path)])
    console.print(f"world id {world.world_id}")


@app.command("verify")
def verify_cmd(
    world: Annotated[Path, typer.Argument(help="A world folder written by simulate.")],
) -> None:
    """Check every table of a world against its manifest, checksums included.

    Exits 0 when the world is whole, 2 when a table is missing, damaged or from another
    world (`simulate --force` writes it again).
    """
    console = Console()
    verdict = verify_world(world)
    for table in verdict.tables:
        if table.problem is None:
            console.print(f"  {table.name:<14} [green]OK[/green]")
        else:
            console.print(f"  {table.name:<14} [red]{escape(table.problem)}[/red]", highlight=False)
    bad = [t.name for t in verdict.tables if t.problem is not None]
    if bad:
        raise InputError(
            str(world),
            f"{len(bad)} of {len(verdict.tables)} tables are not the ones its manifest "
            f"records: {', '.join(bad)}",
            hint="simulate the world again; --force replaces it",
        )
    console.print(f"world {verdict.world_id}: all {len(verdict.tables)} tables intact")


def _reference_ids(world: Path) -> dict[str, pa.ChunkedArray]:
    """The ids of a world's entities, by the kind a reference names; a folder that is not
    a readable world is refused (a check against nothing would pass every reference)."""
    named = {ref.table for ref in REF_TYPES.values() if ref.key}
    with reported_as("--world"):
        tables = read_world(world, tables=named).tables
    return {kind: tables[ref.table][ref.key] for kind, ref in REF_TYPES.items() if ref.key}


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
        typer.Option(
            "--rejected", help="Where bad records go (default FILE.rejected.parquet, beside it)."
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option("--encoding", help="Text encoding of a CSV or JSONL file (default UTF-8)."),
    ] = None,
) -> None:
    """Check a file of records against fraudwall's schema; bad ones go to a rejected file.

    A repeated key (event_id, account_id, ...) is rejected: the earliest record (by ts,
    then the first row) counts. Exits 1 when any record was rejected, 0 when all were
    accepted, 2 when the input is unusable.
    """
    console = Console()
    known = _reference_ids(world) if world is not None else None
    result = check_file(file, table, known, rejected, encoding)
    console.print(f"{result.table}: {result.accepted:,} accepted, {result.rejected:,} rejected")
    for reason in result.reasons:
        console.print(f"  rejected: {reason}")
    if result.rejected_path is not None:
        print_paths(console, [("rejected", result.rejected_path)])
        raise typer.Exit(1)


def _world(world: Path) -> World:
    with reported_as("--world"):
        return read_world(world)


def _labelled_tables(
    paths: list[Path], world: dict[str, pa.Table], console: Console
) -> dict[str, pa.Table]:
    """Training history from labelled files, with the world's entities (if any) beside it;
    rejected rows go to FILE.rejected.parquet with their reason."""
    from fraudwall.engine import read_labelled

    with reported_as("--labelled"):
        history = read_labelled(paths)
    for path, rejected in history.rejected.items():
        out = rejected_path_for(path)
        pq.write_table(rejected, out)
        console.print(f"{path}: {rejected.num_rows:,} rows rejected, kept with their reason")
        print_paths(console, [("rejected", out)])
    entities = ("institutions", "people", "accounts", "phones", "devices")
    counts = {name: t.num_rows for name, t in history.tables.items() if name != "truth"}
    print_counts(console, "labelled events", {**counts, "labelled fraud": history.positives})
    return {**{k: v for k, v in world.items() if k in entities}, **history.tables}


def _event_counter(
    update: Callable[[str, float], None], total: int, step: str
) -> Callable[[int], None]:
    done = [0]

    def advance(n: int) -> None:
        done[0] += n
        update(step, done[0] / max(total, 1))

    return advance


@app.command("train")
def train_cmd(
    out: Annotated[Path, typer.Option("--out", help="The model file to write (JSON).")],
    world: Annotated[
        Path | None,
        typer.Option(
            "--world",
            help="A world folder: its events and truth, or with --labelled only its entities.",
        ),
    ] = None,
    labelled: Annotated[
        list[Path] | None,
        typer.Option(
            "--labelled",
            help="Transfers, calls or SMS in fraudwall's schema with a `label` column "
            "(1 fraud, 0 not); .parquet, .csv or .jsonl; repeat for each file.",
        ),
    ] = None,
    rules: Annotated[
        Path | None, typer.Option("--rules", help="A rule file (default: the built-in rules).")
    ] = None,
) -> None:
    """Train the engine's LightGBM models (calls, SMS, transfers) from truth or labels;
    the SMS model reads the shipped fraud-text model's score of each text."""
    from fraudwall.engine import train
    from fraudwall.engine.modelfile import is_model_file
    from fraudwall.intel.shipped import shipped_text_scorer

    console = Console()
    if world is None and not labelled:
        raise InputError("", "give --world DIR, --labelled FILE, or both")
    check_output_file(out, is_model_file, "a fraudwall model file", "--out")
    tables = _world(world).tables if world is not None else {}
    if labelled:
        tables = _labelled_tables(labelled, tables, console)
    ruleset = _load_rules(rules)
    total = 2 * sum(tables[n].num_rows for n in EVENT_TABLES if n in tables)
    t0 = time.perf_counter()
    with reported_as(""), progress_bar(console, "train") as update:  # e.g. too few labels
        model, report = train(
            tables,
            ruleset,
            progress=_event_counter(update, total, "replay"),
            text_scorer=shipped_text_scorer(),
        )
    path = model.save(out)
    rows = {
        f"{kind} {key}": value
        for kind, r in report.items()
        for key, value in r.items()
        if key.endswith(("_recall", "_legit_share")) and value is not None
    }
    print_figures(console, "held-out part of the period", rows)
    if "repeats" in report:
        repeats = report["repeats"]
        console.print(
            f"repeated event ids: {repeats['duplicates']:,} identical repeats dropped, "
            f"{repeats['rejected']:,} conflicting repeats left out"
        )
        for reason in repeats["reasons"]:
            console.print(f"  left out: {reason}")
    console.print(f"trained in {time.perf_counter() - t0:.1f} s")
    print_paths(console, [("model", path)])


@app.command("replay")
def replay_cmd(
    world: Annotated[Path, typer.Argument(help="A world folder (events, entities, truth).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for decisions, warnings, metrics.")],
    model: Annotated[
        Path | None,
        typer.Option(
            "--model", help="A model file from `fraudwall train` (default: the shipped one)."
        ),
    ] = None,
    rules_only: Annotated[
        bool, typer.Option("--rules-only", help="Decide by the rules alone, with no model.")
    ] = False,
    rules: Annotated[
        Path | None, typer.Option("--rules", help="A rule file (default: the built-in rules).")
    ] = None,
    stop_probability: Annotated[
        float,
        typer.Option("--stop-probability", help="Chance a warned victim stops paying (0..1)."),
    ] = 0.5,
    call_capacity: Annotated[
        float,
        typer.Option(
            "--call-capacity",
            help="96110 calls the call centre makes per 10,000 people a day.",
        ),
    ] = 5.0,
) -> None:
    """Stream a world's events through the engine in time order; score against the truth."""
    from fraudwall.engine import WarningPolicy, replay, write_replay
    from fraudwall.engine.replay import check_replay_folder
    from fraudwall.intel.shipped import shipped_engine

    console = Console()
    check_replay_folder(out, "--out")
    the_world = _world(world)
    tables = the_world.tables
    ruleset = _load_rules(rules)
    with reported_as("--model"):
        parts = shipped_engine(model, rules_only)
    if not 0.0 <= stop_probability <= 1.0:
        raise InputError("--stop-probability", f"must be within 0..1, got {stop_probability}")
    with reported_as("--call-capacity"):
        policy = WarningPolicy(call_capacity_per_10k_per_day=call_capacity)
    total = sum(tables[n].num_rows for n in EVENT_TABLES if n in tables)
    with progress_bar(console, "replay") as update:
        result = replay(
            tables, ruleset, parts.model, stop_probability=stop_probability,
            progress=_event_counter(update, total, "events"), warning_policy=policy,
            world_id=the_world.world_id, text_scorer=parts.text_scorer,
        )  # fmt: skip
    path = write_replay(result, out)
    console.print(f"{result.events:,} events in {result.seconds:.1f} s "
                  f"({result.events / max(result.seconds, 1e-9):,.0f} events/s)")  # fmt: skip
    if result.about["duplicates"] or result.about["rejected"]:
        console.print(
            f"repeated event ids: {result.about['duplicates']:,} identical repeats dropped, "
            f"{result.about['rejected']:,} conflicting repeats rejected (rejected.parquet)"
        )
    if result.metrics is not None:
        keys = [k for k in REPLAY_FIGURES if k in result.metrics]
        print_figures(console, "against the ground truth", {k: result.metrics[k] for k in keys})
    print_paths(console, [("decisions", path / "decisions.parquet"),
                          ("warnings", path / "warnings.parquet"),
                          ("rejected", path / "rejected.parquet"),
                          ("metrics", path / "metrics.json"),
                          ("manifest", path / "manifest.json")])  # fmt: skip


#: The figures of a replay printed on the console (all are in metrics.json).
REPLAY_FIGURES = (
    "intercepted_or_warned_share", "intercepted_share", "legit_stopped_share",
    "precision_stop", "recall_stop", "precision_warn", "recall_warn",
    "victims_warned_before_first_payment_share", "call_tasks_per_10k_per_day",
    "call_task_precision", "untargeted_warned_share",
)  # fmt: skip


def _load_rules(path: Path | None) -> RuleSet | None:
    if path is None:
        return None
    from fraudwall.engine import FEATURES, load_rules

    with reported_as("--rules"):
        return load_rules(path, FEATURES)


@app.command("demo")
def demo_cmd(
    people: People = _DEFAULTS.people,
    days: Days = _DEFAULTS.days,
    seed: Seed = _DEFAULTS.seed,
    fraud_rate: FraudRate = _DEFAULTS.fraud_rate,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for report.html, summary.json and the world.")
    ] = Path("out/demo"),
    script_drift: Annotated[
        bool,
        typer.Option(
            "--script-drift/--no-script-drift",
            help="New fraud scripts start during the period, for the intel stage to find "
            f"(on when --days is {MIN_DRIFT_DAYS} or more).",
        ),
    ] = True,
) -> None:
    """Simulate a small city, run every stage on it, print a summary, write a report."""
    config = SimConfig(
        people=people,
        days=days,
        seed=seed,
        fraud_rate=fraud_rate,
        script_drift=script_drift and days >= MIN_DRIFT_DAYS,
    )
    run_demo(config, out, console=Console())


app.command("trace")(trace_cmd)
app.add_typer(cases_app, name="cases")
app.command("serve")(serve_cmd)
app.add_typer(agencies_app, name="agencies")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")
app.add_typer(risk_app, name="risk")
app.add_typer(numbers_app, name="numbers")
app.add_typer(mules_app, name="mules")
app.add_typer(apps_app, name="apps")
app.add_typer(urls_app, name="urls")
app.command("gangs")(gangs_cmd)
app.command("scripts")(scripts_cmd)
app.add_typer(text_app, name="text")


if __name__ == "__main__":  # pragma: no cover
    app()
