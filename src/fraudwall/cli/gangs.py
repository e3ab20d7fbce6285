"""`fraudwall gangs WORLD --out DIR`: the gangs behind a world's reports (`intel.gangs`).

Writes gangs.parquet (ranked by loss), members.parquet, case_links.parquet (each report's
gang and the evidence that links it) and gangs.graphml (the gangs' graph, for a graph
tool), prints the largest gangs and, when the world has ground truth, the pairwise F1 of
the linked cases against the true gangs.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import pyarrow.parquet as pq
import typer
from rich.console import Console
from rich.table import Table

from fraudwall.cli.boundary import reported_as
from fraudwall.cli.console import print_figures, print_paths, progress_bar
from fraudwall.common import check_new_folder
from fraudwall.model import yuan
from fraudwall.sim import read_world

FILES = ("gangs.parquet", "members.parquet", "case_links.parquet", "gangs.graphml")
TABLES = ("transfers", "logins", "calls", "sms", "reports", "truth")


def gangs_cmd(
    world: Annotated[Path, typer.Argument(help="A world folder (transfers, reports, ...).")],
    out: Annotated[Path, typer.Option("--out", help="The folder to write the gangs to.")],
    hub_degree: Annotated[
        int, typer.Option("--hub-degree", min=2, help="Nodes with more neighbours are cut.")
    ] = 200,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the communities.")] = 0,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the gangs an earlier run wrote in --out.")
    ] = False,
) -> None:
    """Link a world's victims' reports into gangs (串并案), ranked by loss, with evidence."""
    from fraudwall.intel.gangs import link_cases, pairwise_f1, true_gangs

    console = Console()
    check_new_folder(
        out, force=force, may_replace=lambda p: (p / FILES[0]).is_file(),
        what="the gangs", option="--out",
    )  # fmt: skip
    t0 = time.perf_counter()
    with progress_bar(console, "gangs") as update:
        update("read world", 0.05)
        with reported_as(""):
            tables = dict(read_world(world, tables=TABLES).tables)
        update("graph and communities", 0.2)
        with reported_as(str(world)):
            found = link_cases(tables, hub_degree=hub_degree, seed=seed)
        update("write", 0.9)
    out.mkdir(parents=True, exist_ok=True)
    pq.write_table(found.gangs, out / FILES[0])
    pq.write_table(found.members, out / FILES[1])
    pq.write_table(found.case_links, out / FILES[2])
    found.graph.write_graphml(str(out / FILES[3]))
    table = Table(title="the largest gangs (by the loss of their reported cases)")
    for column in ("gang", "loss", "cases", "members"):
        table.add_column(column, justify="left" if column == "gang" else "right")
    for g in found.gangs.slice(0, 10).to_pylist():
        table.add_row(g["gang_id"], yuan(g["loss_fen"]), f"{g['cases']:,}", f"{g['members']:,}")
    console.print(table)
    truth = true_gangs(tables) if "truth" in tables else {}
    if truth:
        scores = pairwise_f1(found.group_of(), truth)
        print_figures(console, "linked cases against the true gangs (pairs of cases)", scores)
    console.print(f"{found.gangs.num_rows:,} gangs in {time.perf_counter() - t0:.1f} s")
    print_paths(console, [(name, out / name) for name in FILES])


__all__ = ["gangs_cmd"]
