"""`fraudwall mules`: train, score and evaluate the mule-account model on a world folder.

A thin skin over `fraudwall.intel.mules`: the world is read with `read_world`, features and
the model come from the library, and the files are one JSON model (`EntityModel`) and one
table of scores (Parquet or CSV by the suffix of --out).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import typer
from rich.console import Console

from fraudwall.cli.boundary import reported_as
from fraudwall.cli.console import ProgressFn, print_figures, print_paths, progress_bar
from fraudwall.common import check_output_file
from fraudwall.common.files import write_file_atomically
from fraudwall.errors import InputError
from fraudwall.sim import read_world

if TYPE_CHECKING:  # the model and the features are imported by the commands: --help stays quick
    from fraudwall.intel import EntityModel

SCORE_SUFFIXES: Final = (".parquet", ".csv")
KEY: Final = "account_id"
KIND: Final = "account"

mules_app = typer.Typer(
    no_args_is_help=True,
    help="Mule accounts: train a model on a world's history and truth, score, evaluate.",
)

WorldArg = Annotated[Path, typer.Argument(help="A world folder (transfers, accounts, ...).")]
ModelOpt = Annotated[Path, typer.Option("--model", help="A model file from `mules train`.")]


def _tables(world: Path, update: ProgressFn) -> dict[str, pa.Table]:
    from fraudwall.intel.mules.features import TABLES

    update("read world", 0.05)
    with reported_as(""):  # only the tables the features and labels read
        return dict(read_world(world, tables=TABLES).tables)


def _features(tables: dict[str, pa.Table], update: ProgressFn) -> pa.Table:
    from fraudwall.intel.mules import account_features

    update("features", 0.2)
    with reported_as(""):
        return account_features(tables)


def _load(model: Path) -> EntityModel:
    from fraudwall.intel import EntityModel

    with reported_as("--model"):
        return EntityModel.load(model, kind=KIND)


def _is_model_file(path: Path) -> bool:
    from fraudwall.intel import EntityModel

    try:
        EntityModel.load(path)
    except InputError:
        return False
    return True


@mules_app.command("train")
def train_cmd(
    world: WorldArg,
    out: Annotated[Path, typer.Option("--out", help="The model file to write (JSON).")],
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the held-out split.")] = 0,
) -> None:
    """Train the mule model on a world's transfers and truth; the threshold is the one with
    the best F1 on a held-out quarter of the accounts."""
    from fraudwall.intel import EntityModel
    from fraudwall.intel.mules import mule_labels

    console = Console()
    check_output_file(out, _is_model_file, "a fraudwall model file", "--out")
    t0 = time.perf_counter()
    with progress_bar(console, "mules train") as update:
        tables = _tables(world, update)
        features = _features(tables, update)
        with reported_as(str(world)):
            labels = mule_labels(tables, features[KEY])
            update("fit", 0.6)
            model = EntityModel.fit(KIND, KEY, features, labels, seed=seed, source=str(world))
    path = model.save(out)
    shown = ("entities", "positives", "rounds", "holdout_f1", "holdout_auprc")
    figures = {k: model.trained_on[k] for k in shown}
    print_figures(console, "mule model", {**figures, "threshold": round(model.threshold, 4)})
    console.print(f"trained in {time.perf_counter() - t0:.1f} s")
    print_paths(console, [("model", path)])


@mules_app.command("score")
def score_cmd(
    world: WorldArg,
    model: ModelOpt,
    out: Annotated[
        Path, typer.Option("--out", help="The scores to write: a .parquet or .csv file.")
    ],
) -> None:
    """Score every account of a world: score, flagged, and the top reasons."""
    console = Console()
    if out.suffix.lower() not in SCORE_SUFFIXES:
        raise InputError("--out", f"{out}: name a .parquet or .csv file (got {out.suffix!r})")
    check_output_file(out, _is_score_file, "a fraudwall score file", "--out")
    the_model = _load(model)
    with progress_bar(console, "mules score") as update:
        tables = _tables(world, update)
        features = _features(tables, update)
        update("score", 0.7)
        with reported_as("--model"):
            scores = the_model.score(features)
    _write_scores(scores, out)
    flagged = int(pc.sum(scores["flagged"]).as_py() or 0)
    console.print(f"{scores.num_rows:,} accounts scored, {flagged:,} flagged as mules "
                  f"(threshold {the_model.threshold:.4f})")  # fmt: skip
    print_paths(console, [("scores", out)])


@mules_app.command("eval")
def eval_cmd(world: WorldArg, model: ModelOpt) -> None:
    """Evaluate a model against a world's truth; prints JSON (precision, recall, f1, auprc,
    threshold, and the counts) on standard output."""
    from fraudwall.intel.mules import mule_labels

    console = Console(stderr=True)  # standard output carries the JSON alone
    the_model = _load(model)
    with progress_bar(console, "mules eval") as update:
        tables = _tables(world, update)
        features = _features(tables, update)
        update("score", 0.7)
        with reported_as(str(world)):
            labels = mule_labels(tables, features[KEY])
        with reported_as("--model"):
            metrics = the_model.evaluate(features, labels)
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


def _write_scores(scores: pa.Table, out: Path) -> None:
    if out.suffix.lower() == ".parquet":
        pq.write_table(scores, out)
        return
    reasons = [
        "; ".join(f"{r['feature']}={r['value']:g} (+{r['weight']:g})" for r in row)
        for row in scores["reasons"].to_pylist()
    ]
    flat = scores.set_column(scores.schema.get_field_index("reasons"), "reasons", pa.array(reasons))
    sink = pa.BufferOutputStream()
    pcsv.write_csv(flat, sink)
    write_file_atomically(out, sink.getvalue().to_pybytes())
