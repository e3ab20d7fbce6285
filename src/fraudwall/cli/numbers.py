"""`fraudwall numbers train|score|eval`: the fraud-number model on a world folder.

A thin skin over `fraudwall.intel.numbers`: read the world, compute the features (with a
progress bar on stderr), then train and save a model, score every calling or texting
number into a Parquet or CSV file, or print the model's figures against the world's truth
as JSON on stdout (so `eval` can be piped).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import typer
from rich.console import Console

from fraudwall.cli.boundary import reported_as
from fraudwall.cli.console import print_figures, print_paths, progress_bar
from fraudwall.common import check_output_file
from fraudwall.errors import InputError
from fraudwall.sim import read_world

if TYPE_CHECKING:  # intel (LightGBM, polars) is imported by the commands: --help stays quick
    from fraudwall.intel import EntityModel

numbers_app = typer.Typer(
    no_args_is_help=True,
    help="Fraud numbers: train a model on a world, score its numbers, evaluate against truth.",
)

#: The tables the fraud-number features and labels read.
TABLES = ("calls", "sms", "phones", "devices", "reports", "truth")
OUTPUT_SUFFIXES = (".parquet", ".csv")

World = Annotated[Path, typer.Argument(help="A world folder (from `fraudwall simulate`).")]
ModelFile = Annotated[
    Path, typer.Option("--model", help="A model file from `fraudwall numbers train`.")
]


def _tables(world: Path, names: Collection[str] = TABLES) -> dict[str, pa.Table]:
    with reported_as("WORLD"):
        return dict(read_world(world, tables=names).tables)


def _load(path: Path) -> EntityModel:
    from fraudwall.intel import EntityModel
    from fraudwall.intel.numbers import KIND

    with reported_as("--model"):
        return EntityModel.load(path, kind=KIND)


def _is_model_file(path: Path) -> bool:
    try:
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("format") == "fraudwall-entity-model"


@numbers_app.command("train")
def train_cmd(
    world: World,
    out: Annotated[Path, typer.Option("--out", help="The model file to write (JSON).")],
    seed: Annotated[
        int, typer.Option("--seed", min=0, help="Seed of the held-out split and the trees.")
    ] = 0,
) -> None:
    """Train a fraud-number model on a world's calls, texts, reports and truth.

    The threshold is the one with the best F1 on a held-out quarter of the numbers.
    """
    from fraudwall.intel.numbers import train

    console = Console(stderr=True)
    check_output_file(out, _is_model_file, "a fraudwall model file", "--out")
    tables = _tables(world)
    with reported_as("WORLD"), progress_bar(console, "numbers train") as update:
        model = train(tables, seed=seed, source=str(world), progress=update)
    path = model.save(out)
    shown = ("entities", "positives", "rounds", "holdout_f1", "holdout_auprc")
    figures: dict[str, Any] = {k: model.trained_on[k] for k in shown}
    figures["threshold"] = round(model.threshold, 6)
    print_figures(console, "fraud numbers: held-out share of the training world", figures)
    print_paths(console, [("model", path)])


@numbers_app.command("score")
def score_cmd(
    world: World,
    model: ModelFile,
    out: Annotated[
        Path, typer.Option("--out", help="The scores to write: FILE.parquet or FILE.csv.")
    ],
) -> None:
    """Score every number that called or texted in a world: score, flag, top reasons."""
    from fraudwall.intel.numbers import score

    console = Console(stderr=True)
    if out.suffix.lower() not in OUTPUT_SUFFIXES:
        raise InputError(
            "--out", f"{out}: write .parquet or .csv, not {out.suffix or 'no suffix'!r}"
        )
    check_output_file(out, lambda _p: True, "a file", "--out")
    entity_model = _load(model)
    tables = _tables(world, [t for t in TABLES if t != "truth"])
    with reported_as("WORLD"), progress_bar(console, "numbers score") as update:
        scored = score(entity_model, tables, progress=update)
    write_scores(scored, out)
    flagged = int(pc.sum(scored["flagged"]).as_py() or 0)
    console.print(f"{scored.num_rows:,} numbers scored, {flagged:,} flagged "
                  f"(threshold {entity_model.threshold:.4f})")  # fmt: skip
    print_paths(console, [("scores", out)])


@numbers_app.command("eval")
def eval_cmd(world: World, model: ModelFile) -> None:
    """Print precision, recall, F1, AUPRC and the threshold against a world's truth (JSON)."""
    from fraudwall.intel.numbers import evaluate

    console = Console(stderr=True)
    entity_model = _load(model)
    tables = _tables(world)
    with reported_as("WORLD"), progress_bar(console, "numbers eval") as update:
        figures = evaluate(entity_model, tables, progress=update)
    typer.echo(json.dumps(figures, indent=2))


def write_scores(scored: pa.Table, out: Path) -> None:
    """Scores as Parquet (reasons as a list of feature, value, weight) or CSV (reasons as
    one readable string: ``feature=value; ...``, strongest first)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".parquet":
        pq.write_table(scored, out)
        return
    reasons = pa.chunked_array(scored["reasons"]).combine_chunks()
    assert isinstance(reasons, pa.ListArray)
    each = reasons.values
    text = pc.binary_join_element_wise(
        each.field("feature"),
        pc.cast(pc.round(each.field("value"), 4), pa.string()),
        "=",
    )
    joined = pc.binary_join(pa.ListArray.from_arrays(reasons.offsets, text), "; ")
    flat = scored.drop_columns(["reasons"]).append_column("reasons", pc.fill_null(joined, ""))
    pacsv.write_csv(flat, out)
