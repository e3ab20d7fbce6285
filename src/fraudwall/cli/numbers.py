"""`fraudwall numbers train|score|eval`: the fraud-number model on a world folder.

A thin skin over `fraudwall.intel.numbers`, shaped like `fraudwall mules`: the world is read
with `read_world`, features and the model come from the library, and the files are one
JSON model (`EntityModel`) and one table of scores (Parquet or CSV by the suffix of --out).
`eval` prints its figures as one JSON object on standard output (progress goes to
standard error), so it can be piped.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import typer
from rich.console import Console

from fraudwall.cli.boundary import reported_as
from fraudwall.cli.console import ProgressFn, print_figures, print_paths, progress_bar
from fraudwall.common import check_output_file
from fraudwall.common.files import write_file_atomically
from fraudwall.errors import InputError
from fraudwall.sim import read_world

if TYPE_CHECKING:  # intel (LightGBM, polars) is imported by the commands: --help stays quick
    from fraudwall.intel import EntityModel

numbers_app = typer.Typer(
    no_args_is_help=True,
    help="Fraud numbers: train a model on a world's calls, SMS and truth, score, evaluate.",
)

#: The tables the fraud-number features and labels read.
TABLES: Final = ("calls", "sms", "phones", "devices", "reports", "truth")
SCORE_SUFFIXES: Final = (".parquet", ".csv")
KEY: Final = "number"

WorldArg = Annotated[Path, typer.Argument(help="A world folder (calls, sms, phones, ...).")]
ModelOpt = Annotated[Path, typer.Option("--model", help="A model file from `numbers train`.")]


def _tables(world: Path, update: ProgressFn, names: Collection[str] = TABLES) -> dict[str, Any]:
    update("read world", 0.05)
    with reported_as(""):
        return dict(read_world(world, tables=names).tables)


def _within(update: ProgressFn, start: float, end: float) -> ProgressFn:
    """A progress callback for one stretch (start..end) of the whole bar."""
    return lambda step, fraction: update(step, start + (end - start) * fraction)


def _load(path: Path) -> EntityModel:
    from fraudwall.intel import EntityModel
    from fraudwall.intel.numbers import KIND

    with reported_as("--model"):
        return EntityModel.load(path, kind=KIND)


def _is_model_file(path: Path) -> bool:
    from fraudwall.intel import EntityModel

    try:
        EntityModel.load(path)
    except InputError:
        return False
    return True


@numbers_app.command("train")
def train_cmd(
    world: WorldArg,
    out: Annotated[Path, typer.Option("--out", help="The model file to write (JSON).")],
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the held-out split.")] = 0,
) -> None:
    """Train the fraud-number model on a world's calls, SMS, reports and truth; the
    threshold is the one with the best F1 on a held-out quarter of the numbers."""
    from fraudwall.intel.numbers import train

    console = Console()
    check_output_file(out, _is_model_file, "a fraudwall model file", "--out")
    t0 = time.perf_counter()
    with progress_bar(console, "numbers train") as update:
        tables = _tables(world, update)
        with reported_as(str(world)):
            model = train(tables, seed=seed, source=str(world), progress=_within(update, 0.1, 1.0))
    path = model.save(out)
    shown = ("entities", "positives", "rounds", "holdout_f1", "holdout_auprc")
    figures = {k: model.trained_on[k] for k in shown}
    print_figures(
        console, "fraud-number model", {**figures, "threshold": round(model.threshold, 4)}
    )
    console.print(f"trained in {time.perf_counter() - t0:.1f} s")
    print_paths(console, [("model", path)])


@numbers_app.command("score")
def score_cmd(
    world: WorldArg,
    model: ModelOpt,
    out: Annotated[
        Path, typer.Option("--out", help="The scores to write: a .parquet or .csv file.")
    ],
) -> None:
    """Score every number that called or texted in a world: score, flagged, top reasons."""
    from fraudwall.intel.numbers import score

    console = Console()
    if out.suffix.lower() not in SCORE_SUFFIXES:
        raise InputError("--out", f"{out}: name a .parquet or .csv file (got {out.suffix!r})")
    check_output_file(out, _is_score_file, "a fraudwall score file", "--out")
    the_model = _load(model)
    with progress_bar(console, "numbers score") as update:
        tables = _tables(world, update, [t for t in TABLES if t != "truth"])
        with reported_as(str(world)):
            scores = score(the_model, tables, progress=_within(update, 0.1, 1.0))
    write_scores(scores, out)
    flagged = int(pc.sum(scores["flagged"]).as_py() or 0)
    console.print(f"{scores.num_rows:,} numbers scored, {flagged:,} flagged as fraud numbers "
                  f"(threshold {the_model.threshold:.4f})")  # fmt: skip
    print_paths(console, [("scores", out)])


@numbers_app.command("eval")
def eval_cmd(world: WorldArg, model: ModelOpt) -> None:
    """Evaluate a model against a world's truth; prints JSON (precision, recall, f1, auprc,
    threshold, and the counts) on standard output."""
    from fraudwall.intel.numbers import evaluate

    console = Console(stderr=True)  # standard output carries the JSON alone
    the_model = _load(model)
    with progress_bar(console, "numbers eval") as update:
        tables = _tables(world, update)
        with reported_as(str(world)):
            metrics = evaluate(the_model, tables, progress=_within(update, 0.1, 1.0))
    typer.echo(json.dumps(metrics))


def _is_score_file(path: Path) -> bool:
    """An existing file is replaced only if it is a score table of ours."""
    try:
        if path.suffix.lower() == ".parquet":
            names = pq.read_schema(path).names
        else:
            names = path.read_text(encoding="utf-8").split("\n", 1)[0].replace('"', "").split(",")
    except (OSError, ValueError, pa.ArrowException):
        return False
    return names[:3] == [KEY, "score", "flagged"]


def write_scores(scores: pa.Table, out: Path) -> None:
    """Scores as Parquet (reasons as a list of feature, value, weight) or CSV (reasons as one
    readable string, strongest first: ``feature=value (+weight); ...``)."""
    if out.suffix.lower() == ".parquet":
        pq.write_table(scores, out)
        return
    reasons = pa.chunked_array(scores["reasons"]).combine_chunks()
    assert isinstance(reasons, pa.ListArray)
    each = reasons.values
    text = pc.binary_join_element_wise(
        each.field("feature"),
        "=",
        pc.cast(pc.round(each.field("value"), 4), pa.string()),
        " (+",
        pc.cast(pc.round(each.field("weight"), 4), pa.string()),
        ")",
        "",
    )
    joined = pc.fill_null(pc.binary_join(pa.ListArray.from_arrays(reasons.offsets, text), "; "), "")
    flat = scores.set_column(scores.schema.get_field_index("reasons"), "reasons", joined)
    sink = pa.BufferOutputStream()
    pacsv.write_csv(flat, sink)
    write_file_atomically(out, sink.getvalue().to_pybytes())
