"""`fraudwall text train|eval|classify` and `fraudwall text export`: the fraud-text classifier
of `fraudwall.intel.text` on labelled files (CSV, JSON lines or Parquet, by suffix).

Bad rows (an empty text, a missing label) go to a rejected CSV beside the output with the
row and the reason; a missing column is one line naming it. `eval` prints one JSON object
on standard output (progress goes to standard error), so it can be piped.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import typer
from rich.console import Console
from rich.markup import escape

from fraudwall.cli.boundary import reported_as
from fraudwall.cli.console import print_figures, print_paths, progress_bar
from fraudwall.common import check_output_file
from fraudwall.errors import InputError

if TYPE_CHECKING:  # the library is imported by the commands that run it: --help stays quick
    from fraudwall.intel.text import LabelledTexts, TextModel

text_app = typer.Typer(
    no_args_is_help=True,
    help="Fraud texts: train a classifier of texts as normal or a fraud type, evaluate it, "
    "classify texts (the shipped default model when --model is left out).",
)

_DATA_HELP = "A labelled file: .csv, .jsonl or .parquet (repeat the option for more)."
DataOpt = Annotated[list[Path], typer.Option("--data", help=_DATA_HELP)]
TextColumnOpt = Annotated[str, typer.Option("--text-column", help="The column of the texts.")]
LabelColumnOpt = Annotated[
    str,
    typer.Option("--label-column", help="The column of the labels ('normal' or a fraud type)."),
]
ModelOpt = Annotated[Path, typer.Option("--model", help="A model file from `text train`.")]


def _is_model(path: Path) -> bool:
    """Whether `path` holds a text model (one `--out` may replace)."""
    from fraudwall.intel.text import TextModel

    try:
        TextModel.load(path)
    except (InputError, OSError):
        return False
    return True


def _rejected_file(path: Path) -> Path:
    return path.with_name(path.name + ".rejected.csv")


def _read(data: list[Path], text_column: str, label_column: str, console: Console) -> LabelledTexts:
    """The labelled texts of every file, one after the other; rejected rows with their file."""
    from fraudwall.intel.text import LabelledTexts, read_labelled_texts

    texts: list[str] = []
    labels: list[str] = []
    rows, rejected = [], []
    for path in data:
        got = read_labelled_texts(path, text_column, label_column)
        texts += got.texts
        labels += got.labels
        rows.append(got.rows)
        rejected.append(
            got.rejected.add_column(
                0, "file", pa.array([str(path)] * got.rejected.num_rows, pa.string())
            )
        )
    got = LabelledTexts(texts, labels, np.concatenate(rows), pa.concat_tables(rejected))
    if got.rejected.num_rows:
        reasons: dict[str, int] = {}
        for r in got.rejected["reason"].to_pylist():
            reasons[r] = reasons.get(r, 0) + 1
        said = ", ".join(f"{n:,} x {escape(r)}" for r, n in reasons.items())
        console.print(f"rejected: {got.rejected.num_rows:,} rows ({said})", highlight=False)
    if not got.texts:
        raise InputError("--data", "no row has both a text and a label")
    return got


@text_app.command("train")
def train_cmd(
    data: DataOpt,
    out: Annotated[Path, typer.Option("--out", help="The model file to write (.npz).")],
    text_column: TextColumnOpt = "text",
    label_column: LabelColumnOpt = "label",
    l2: Annotated[float, typer.Option("--l2", help="The L2 penalty.", min=0.0)] = 3e-5,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the calibration split.")] = 0,
    lexicon: Annotated[
        bool,
        typer.Option(
            "--lexicon/--no-lexicon",
            help="Also the lexicon's cue groups as features (slower; see the library).",
        ),
    ] = False,
    about: Annotated[
        str | None,
        typer.Option("--about", help="What the data is, kept in the model (default: the files)."),
    ] = None,
) -> None:
    """Train a classifier on a labelled file; rows without text or label go to
    OUT.rejected.csv with the reason. Exits 1 if rows were rejected (the model is written
    without them)."""
    from fraudwall.intel.text import train

    console = Console(stderr=True)
    if out.suffix != ".npz":
        raise InputError("--out", f"{out}: a text model is a .npz file")
    check_output_file(out, _is_model, "a fraudwall text model", "--out")
    got = _read(data, text_column, label_column, console)
    t0 = time.perf_counter()
    with progress_bar(console, "text train") as update:
        model = train(
            got.texts, got.labels, l2=l2, seed=seed, lexicon=lexicon, progress=update,
            info={"trained_on": about or ", ".join(p.name for p in data)},
        )  # fmt: skip
        model.save(out)
    rejected = _rejected_file(out)
    if got.rejected.num_rows:
        pacsv.write_csv(got.rejected, rejected)
    elif rejected.exists():
        rejected.unlink()
    print_figures(
        console,
        "text model",
        {
            "texts": len(got.texts),
            "classes": len(model.labels),
            "temperature": round(model.temperature, 3),
            "seconds": round(time.perf_counter() - t0, 1),
        },
    )
    paths = [("model", out)] + ([("rejected", rejected)] if got.rejected.num_rows else [])
    print_paths(console, paths)
    if got.rejected.num_rows:
        raise typer.Exit(1)


def _model(path: Path | None) -> TextModel:
    from fraudwall.intel.text import TextModel, default_model

    if path is None:
        return default_model()
    with reported_as("--model"):
        return TextModel.load(path)


@text_app.command("eval")
def eval_cmd(
    model: ModelOpt,
    data: DataOpt,
    text_column: TextColumnOpt = "text",
    label_column: LabelColumnOpt = "label",
) -> None:
    """Evaluate a model on a labelled file: JSON with macro_f1, accuracy, per-class
    precision/recall/F1, the confusion matrix, and fraud-vs-normal figures."""
    from fraudwall.intel.text import evaluate

    console = Console(stderr=True)
    m = _model(model)
    got = _read(data, text_column, label_column, console)
    report = evaluate(m, got.texts, got.labels)
    report["rejected"] = got.rejected.num_rows
    typer.echo(json.dumps(report, ensure_ascii=False, indent=2))


@text_app.command("classify")
def classify_cmd(
    text: Annotated[str | None, typer.Argument(help="One text to classify.")] = None,
    model: Annotated[
        Path | None,
        typer.Option("--model", help="A model file from `text train` (default: shipped)."),
    ] = None,
    data: Annotated[
        Path | None, typer.Option("--data", help="A file of texts (.csv, .jsonl, .parquet).")
    ] = None,
    text_column: TextColumnOpt = "text",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="With --data: the file to write (.csv or .parquet)."),
    ] = None,
) -> None:
    """Classify one text (label, probability, the n-grams that weighed most) or, with
    --data and --out, every row of a file (its columns plus label, probability and
    fraud_probability; rows without text get none)."""
    from fraudwall.intel.text import read_texts

    console = Console(stderr=True)
    if (text is None) == (data is None):
        raise InputError("classify", "give either one TEXT or --data FILE (not both)")
    m = _model(model)
    if text is not None:
        typer.echo(json.dumps(m.explain(text), ensure_ascii=False, indent=2))
        return
    assert data is not None
    if out is None:
        raise InputError("--out", "with --data, name the file to write (.csv or .parquet)")
    if out.suffix not in (".csv", ".parquet"):
        raise InputError("--out", f"{out}: expected a .csv or .parquet file")
    check_output_file(out, lambda p: p.suffix in (".csv", ".parquet"), "a table", "--out")
    table, texts = read_texts(data, text_column)
    present = [i for i, t in enumerate(texts) if t is not None and t.strip()]
    labels: list[str | None] = [None] * len(texts)
    prob: list[float | None] = [None] * len(texts)
    fraud: list[float | None] = [None] * len(texts)
    step = 20_000
    t0 = time.perf_counter()
    with progress_bar(console, "text classify") as update:
        for lo in range(0, len(present), step):
            rows = present[lo : lo + step]
            p = m.predict_proba([texts[i] or "" for i in rows])
            best = p.argmax(axis=1)
            normal = m.labels.index("normal") if "normal" in m.labels else None
            for j, i in enumerate(rows):
                labels[i] = m.labels[best[j]]
                prob[i] = round(float(p[j, best[j]]), 6)
                fraud[i] = round(1.0 - float(p[j, normal]), 6) if normal is not None else 1.0
            update("classifying", (lo + len(rows)) / max(len(present), 1))
    for name in ("label", "probability", "fraud_probability"):
        if name in table.column_names:
            table = table.drop_columns([name])
    table = table.append_column("label", pa.array(labels, pa.string()))
    table = table.append_column("probability", pa.array(prob, pa.float64()))
    table = table.append_column("fraud_probability", pa.array(fraud, pa.float64()))
    if out.suffix == ".csv":
        pacsv.write_csv(table, out)
    else:
        pq.write_table(table, out)
    seconds = time.perf_counter() - t0
    print_figures(
        console,
        "classified",
        {
            "texts": len(present),
            "without text": len(texts) - len(present),
            "texts/s": round(len(present) / max(seconds, 1e-9)),
        },
    )
    print_paths(console, [("classified", out)])


@text_app.command("export")
def export_cmd(
    world: Annotated[Path, typer.Argument(help="A world folder (sms, reports, truth).")],
    out: Annotated[Path, typer.Option("--out", help="The CSV to write: text, label, binary.")],
) -> None:
    """Write a world's SMS texts (label: the fraud type of the truth, else 'normal') and its
    victims' narratives (label: the fraud type reported) as a labelled text file, each
    distinct (text, label) once: training data for `text train`."""
    from fraudwall.intel.text import labelled_world_texts
    from fraudwall.sim import read_world

    console = Console(stderr=True)
    if out.suffix != ".csv":
        raise InputError("--out", f"{out}: expected a .csv file")
    check_output_file(out, lambda p: p.suffix == ".csv", "a CSV file", "--out")
    with reported_as("WORLD"):
        w = read_world(world, tables=("sms", "reports", "truth"))
    table = labelled_world_texts(w.tables)
    pacsv.write_csv(table, out)
    counts: dict[str, int] = {}
    for label in table["label"].to_pylist():
        counts[label] = counts.get(label, 0) + 1
    print_figures(console, f"distinct texts of {world}", dict(sorted(counts.items())))
    print_paths(console, [("texts", out)])
