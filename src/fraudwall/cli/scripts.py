"""`fraudwall scripts WORLD --since DAYS --out DIR`: emerging fraud scripts (`intel.scripts`).

Reads the world's SMS (and phones, for the age of the sending numbers), finds as of
`--as-of` (default: its last message) the near-duplicate groups of the last `--since`
days' suspicious texts that the text model cannot place and that were not sent before
(an old script is established, not emerging), and writes them: scripts.json
(one object per emerging script: first seen, volume, numbers, the model's guess,
examples) and script_texts.parquet (every member message). Prints them as a table.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Annotated, Final

import pyarrow.compute as pc
import pyarrow.parquet as pq
import typer
from rich import box
from rich.console import Console
from rich.table import Table

from fraudwall.cli.boundary import reported_as
from fraudwall.cli.console import print_paths, progress_bar
from fraudwall.common import check_new_folder
from fraudwall.common.files import write_file_atomically
from fraudwall.errors import InputError
from fraudwall.model import DAY_MS
from fraudwall.sim import read_world
from fraudwall.sim.worldfiles import read_manifest

FILES: Final = ("scripts.json", "script_texts.parquet")
TABLES: Final = ("sms", "phones")
MAX_SINCE_DAYS: Final = 3660.0


def _since_ms(days: float) -> int:
    if not math.isfinite(days) or days <= 0:
        raise InputError("--since", f"must be a number of days above 0 (got {days})")
    if days > MAX_SINCE_DAYS:
        raise InputError("--since", f"must be at most {MAX_SINCE_DAYS:g} days (got {days:g})")
    return round(days * DAY_MS)


def scripts_cmd(
    world: Annotated[Path, typer.Argument(help="A world folder (sms, phones).")],
    out: Annotated[Path, typer.Option("--out", help="The folder to write the scripts to.")],
    since: Annotated[
        float,
        typer.Option(
            "--since", help="Look for scripts first sent in this many days before --as-of."
        ),
    ] = 7.0,
    as_of: Annotated[
        int | None,
        typer.Option("--as-of", help="Find as of this time (ms UTC; default: the last SMS)."),
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option("--model", help="A text model (`fraudwall text train`; default: shipped)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the scripts an earlier run wrote in --out.")
    ] = False,
) -> None:
    """Emerging fraud scripts: near-duplicate suspicious texts the text model cannot place."""
    from fraudwall.intel.scripts import build_corpus, find_emerging_scripts
    from fraudwall.intel.text import TextModel, default_model

    console = Console()
    since_ms = _since_ms(since)
    if as_of is not None and as_of < 0:
        raise InputError("--as-of", f"must be a time in ms since the epoch, UTC (got {as_of})")
    check_new_folder(
        out, force=force, may_replace=lambda p: (p / FILES[0]).is_file(),
        what="the emerging scripts", option="--out",
    )  # fmt: skip
    with reported_as(""):
        read_manifest(world)  # a missing or damaged world is refused before any work
    with reported_as("--model"):
        text_model = TextModel.load(model) if model is not None else default_model()
    t0 = time.perf_counter()
    with progress_bar(console, "scripts") as update:
        update("read world", 0.02)
        with reported_as(""):
            tables = dict(read_world(world, tables=TABLES).tables)
        sms = tables["sms"]
        if sms.num_rows == 0:
            raise InputError(str(world), "has no SMS to look at")
        when = int(pc.max(sms["ts"]).as_py()) if as_of is None else as_of
        with reported_as(str(world)):
            corpus = build_corpus(
                sms, text_model, tables.get("phones"),
                progress=lambda step, f: update(step, 0.05 + 0.8 * f),
            )  # fmt: skip
            update("near duplicates", 0.9)
            found = find_emerging_scripts(corpus, when, since_ms)
    out.mkdir(parents=True, exist_ok=True)
    report = {
        "as_of": found.as_of,
        "since_days": since,
        "model": text_model.info.get("trained_on") or (str(model) if model else "shipped"),
        "scripts": found.scripts.to_pylist(),
    }
    write_file_atomically(
        out / FILES[0], json.dumps(report, ensure_ascii=False, indent=1).encode("utf-8")
    )
    pq.write_table(found.members, out / FILES[1])
    console.print(_table(found.scripts.to_pylist(), corpus.ts.min() if len(corpus.ts) else 0))
    console.print(
        f"{found.scripts.num_rows:,} emerging script{'' if found.scripts.num_rows == 1 else 's'} "
        f"first sent in the last {since:g} days "
        f"({found.members.num_rows:,} messages), found in {time.perf_counter() - t0:.1f} s"
    )
    print_paths(console, [(name, out / name) for name in FILES])


def _table(scripts: list[dict[str, object]], first_ts: int, shown: int = 15) -> Table:
    table = Table(title="emerging scripts (largest first)", box=box.ROUNDED, title_justify="left")
    for column in ("script", "first seen (day)", "texts", "numbers", "guess", "example"):
        table.add_column(column, justify="right" if column in ("texts", "numbers") else "left")
    for s in scripts[:shown]:
        day = (int(str(s["first_seen_ts"])) - first_ts) / DAY_MS
        examples = s["examples"]
        example = str(examples[0]) if isinstance(examples, list) and examples else ""
        table.add_row(
            str(s["script_id"]),
            f"{day:.1f}",
            f"{s['texts']:,}",
            f"{s['senders']:,}",
            f"{s['guess']} ({float(str(s['guess_probability'])):.2f})",
            example[:40] + ("…" if len(example) > 40 else ""),
        )
    return table


__all__ = ["scripts_cmd"]
