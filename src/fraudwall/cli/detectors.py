"""`fraudwall mules|numbers|apps|urls train|score|eval`: a detector of `fraudwall.intel` on a world.

Every detector has the same face in the library (`TABLES` to read, `KIND`, `train`,
`score`, `evaluate`, each taking a progress callback), so one set of commands serves them
all (`detector_app`): the world is read with `read_world`, the files are one JSON model
(`EntityModel`) and one table of scores (Parquet or CSV by the suffix of --out), and
`eval` prints its figures as one JSON object on standard output (progress goes to
standard error), so it can be piped. The library is imported when a command runs, so
`--help` stays quick.
"""

# No `from __future__ import annotations`: typer reads the commands' annotations, which
# name types made per detector inside `detector_app`.
import importlib
import json
import time
from dataclasses import dataclass
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

if TYPE_CHECKING:
    from fraudwall.intel import EntityModel

SCORE_SUFFIXES: Final = (".parquet", ".csv")


@dataclass(frozen=True)
class Detector:
    """What the commands need to know of one detector."""

    command: str  # "mules"
    library: str  # "fraudwall.intel.mules": its module
    key: str  # the key column of its scores
    entities: str  # what it scores, in the plural ("accounts")
    flagged_as: str  # what a flagged one is, in the plural ("mules")
    title: str  # "mule model"
    help: str
    reads: str  # the world's tables, for the WORLD argument's help

    def module(self) -> Any:
        return importlib.import_module(self.library)


MULES: Final = Detector(
    "mules", "fraudwall.intel.mules", "account_id", "accounts", "mules", "mule model",
    "Mule accounts: train a model on a world's history and truth, score, evaluate.",
    "transfers, accounts, ...",
)  # fmt: skip
NUMBERS: Final = Detector(
    "numbers", "fraudwall.intel.numbers", "number", "numbers", "fraud numbers",
    "fraud-number model",
    "Fraud numbers: train a model on a world's calls, SMS and truth, score, evaluate.",
    "calls, sms, phones, ...",
)  # fmt: skip


APPS: Final = Detector(
    "apps", "fraudwall.intel.apps", "app_id", "apps", "malicious apps", "malicious-app model",
    "Malicious apps: train a model on a world's installs, what followed them and truth, "
    "score, evaluate.",
    "app_installs, devices, transfers, sms, ...",
)  # fmt: skip
URLS: Final = Detector(
    "urls", "fraudwall.intel.urls", "domain", "domains", "fraud domains", "fraud-domain model",
    "Fraud links and domains: train a model on a world's visits, texts, what followed them "
    "and truth, score, evaluate.",
    "url_visits, sms, devices, transfers, ...",
)  # fmt: skip


def detector_app(d: Detector) -> typer.Typer:
    """The train, score and eval commands of detector `d`."""
    app = typer.Typer(no_args_is_help=True, help=d.help)
    world_arg = Annotated[Path, typer.Argument(help=f"A world folder ({d.reads}).")]
    model_opt = Annotated[
        Path, typer.Option("--model", help=f"A model file from `{d.command} train`.")
    ]

    @app.command("train")
    def train_cmd(
        world: world_arg,
        out: Annotated[Path, typer.Option("--out", help="The model file to write (JSON).")],
        seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the held-out split.")] = 0,
    ) -> None:
        """Train the model on a world's history and truth; the threshold is the one with the
        best F1 on a held-out quarter (in the middle of its margin)."""
        console = Console()
        check_output_file(out, _is_model_file, "a fraudwall model file", "--out")
        t0 = time.perf_counter()
        with progress_bar(console, f"{d.command} train") as update:
            tables = _tables(d, world, update, with_truth=True)
            with reported_as(str(world)):
                model = d.module().train(
                    tables, seed=seed, source=str(world), progress=_within(update, 0.1, 1.0)
                )
        path = model.save(out)
        shown = ("entities", "positives", "rounds", "holdout_f1", "holdout_auprc")
        figures = {k: model.trained_on[k] for k in shown}
        print_figures(console, d.title, {**figures, "threshold": round(model.threshold, 4)})
        console.print(f"trained in {time.perf_counter() - t0:.1f} s")
        print_paths(console, [("model", path)])

    @app.command("score")
    def score_cmd(
        world: world_arg,
        model: model_opt,
        out: Annotated[
            Path, typer.Option("--out", help="The scores to write: a .parquet or .csv file.")
        ],
        all_reasons: Annotated[
            bool,
            typer.Option(
                "--all-reasons", help="Give every one its reasons, not only the flagged ones."
            ),
        ] = False,
    ) -> None:
        """Score every one of a world: score, flagged, and (for the flagged ones) the features
        that raised it."""
        console = Console()
        if out.suffix.lower() not in SCORE_SUFFIXES:
            raise InputError("--out", f"{out}: name a .parquet or .csv file (got {out.suffix!r})")
        check_output_file(out, lambda p: _is_score_file(p, d.key), "a fraudwall score file",
                          "--out")  # fmt: skip
        the_model = _load(d, model)
        with progress_bar(console, f"{d.command} score") as update:
            tables = _tables(d, world, update, with_truth=False)
            with reported_as(str(world)):
                scores = d.module().score(
                    the_model, tables, progress=_within(update, 0.1, 1.0),
                    explain="all" if all_reasons else "flagged",
                )  # fmt: skip
        write_scores(scores, out)
        flagged = int(pc.sum(scores["flagged"]).as_py() or 0)
        console.print(f"{scores.num_rows:,} {d.entities} scored, {flagged:,} flagged as "
                      f"{d.flagged_as} (threshold {the_model.threshold:.4f})")  # fmt: skip
        print_paths(console, [("scores", out)])

    @app.command("eval")
    def eval_cmd(world: world_arg, model: model_opt) -> None:
        """Evaluate a model against a world's truth; prints JSON (precision, recall, f1,
        auprc, threshold, and the counts) on standard output."""
        console = Console(stderr=True)  # standard output carries the JSON alone
        the_model = _load(d, model)
        with progress_bar(console, f"{d.command} eval") as update:
            tables = _tables(d, world, update, with_truth=True)
            with reported_as(str(world)):
                metrics = d.module().evaluate(the_model, tables, progress=_within(update, 0.1, 1.0))
        typer.echo(json.dumps(metrics))

    return app


def _tables(d: Detector, world: Path, update: ProgressFn, *, with_truth: bool) -> dict[str, Any]:
    """The world's tables the detector reads (the truth only to train and evaluate)."""
    names = [t for t in d.module().TABLES if with_truth or t != "truth"]
    update("read world", 0.05)
    with reported_as(""):
        return dict(read_world(world, tables=names).tables)


def _within(update: ProgressFn, start: float, end: float) -> ProgressFn:
    """A progress callback for one stretch (start..end) of the whole bar."""
    return lambda step, fraction: update(step, start + (end - start) * fraction)


def _load(d: Detector, path: Path) -> "EntityModel":
    from fraudwall.intel import EntityModel

    with reported_as("--model"):
        return EntityModel.load(path, kind=d.module().KIND)


def _is_model_file(path: Path) -> bool:
    from fraudwall.intel import EntityModel

    try:
        EntityModel.load(path)
    except InputError:
        return False
    return True


def _is_score_file(path: Path, key: str) -> bool:
    """An existing file is replaced only if it is a score table of ours."""
    try:
        if path.suffix.lower() == ".parquet":
            names = pq.read_schema(path).names
        else:
            names = path.read_text(encoding="utf-8").split("\n", 1)[0].replace('"', "").split(",")
    except (OSError, ValueError, pa.ArrowException):
        return False
    return names[:3] == [key, "score", "flagged"]


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


mules_app = detector_app(MULES)
numbers_app = detector_app(NUMBERS)
apps_app = detector_app(APPS)
urls_app = detector_app(URLS)

__all__ = [
    "APPS",
    "MULES",
    "NUMBERS",
    "URLS",
    "Detector",
    "apps_app",
    "detector_app",
    "mules_app",
    "numbers_app",
    "urls_app",
]
