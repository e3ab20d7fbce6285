"""`fraudwall demo`: simulate a world, run every stage on it, print and write what it found.

The demo is the system's end-to-end check that a person can watch: one world, then each
part's stage in order (today the world and its ground truth; later warnings and
interceptions, tracing and freezing, detection), each measured against the truth.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from fraudwall.cli import print_paths, progress_bar
from fraudwall.demo.console import print_summary
from fraudwall.demo.report import (
    HEADLINE_KEYS,
    build_summary,
    plot_style,
    write_report,
    write_summary,
)
from fraudwall.demo.stages import DemoContext, Stage, StageResult, WorldLike, WorldStage, headline
from fraudwall.sim import SimConfig, check_world_folder, simulate, write_world

SUMMARY_FILE = "summary.json"
REPORT_FILE = "report.html"
WORLD_DIR = "world"


def default_stages() -> list[Stage]:
    """Every stage that exists, in run order.

    A later part registers its stage here, importing it inside this function so that
    `fraudwall.demo` and the part's stage module never import each other at load time.
    """
    from fraudwall.demo.engine_stage import EngineStage
    from fraudwall.demo.funds_stage import FundsStage
    from fraudwall.demo.intel_stage import IntelStage

    return [WorldStage(), EngineStage(), IntelStage(), FundsStage()]


def check_stages(stages: Sequence[Stage]) -> None:
    """Refuse duplicate stage names and names that would overwrite summary.json's headline."""
    seen: set[str] = set()
    for stage in stages:
        if not stage.name or stage.name in seen or stage.name in HEADLINE_KEYS:
            raise ValueError(
                f"stage name {stage.name!r} must be non-empty, unique and not one of "
                f"{', '.join(HEADLINE_KEYS)}"
            )
        seen.add(stage.name)


def demo_world(
    world: WorldLike,
    out_dir: Path,
    stages: Sequence[Stage] | None = None,
    console: Console | None = None,
    world_dir: Path | None = None,
) -> dict[str, Any]:
    """Run the stages on a world already in hand; print the summary; write the report and
    summary.json under out_dir. Returns the summary (what summary.json holds)."""
    console = console if console is not None else Console()
    stages = list(stages) if stages is not None else default_stages()
    check_stages(stages)
    out_dir.mkdir(parents=True, exist_ok=True)
    ctx = DemoContext(world=world, out_dir=out_dir, world_dir=world_dir, console=console)
    results: dict[str, StageResult] = ctx.results
    with plot_style():  # figure sizes and fonts are fixed when a stage draws them
        for stage in stages:
            t0 = time.perf_counter()
            with console.status(f"stage {stage.name}"):
                results[stage.name] = stage.run(ctx)
            console.log(f"stage [bold]{stage.name}[/bold] done in {time.perf_counter() - t0:.2f} s")
    top = headline(world)
    summary = build_summary(top, results)
    summary_path = write_summary(out_dir / SUMMARY_FILE, summary)
    report_path = write_report(out_dir / REPORT_FILE, world.manifest(), top, results)
    print_summary(console, top, results)
    paths: list[tuple[str, object]] = [("report", report_path), ("summary", summary_path)]
    if world_dir is not None:
        paths.append(("world", world_dir))
    print_paths(console, paths)
    return summary


def run_demo(
    config: SimConfig,
    out_dir: Path,
    stages: Sequence[Stage] | None = None,
    console: Console | None = None,
) -> dict[str, Any]:
    """Simulate a world from `config`, write it to out_dir/world, and run the demo on it.

    The demo owns out_dir: a run replaces the world (and what was derived from it) that
    an earlier run left there. Returns the summary: {"events", "cases", "loss_fen",
    <stage name>: {...}, ...}.
    """
    console = console if console is not None else Console()
    stages = list(stages) if stages is not None else default_stages()
    check_stages(stages)  # before the long simulation, not after
    check_world_folder(out_dir / WORLD_DIR, force=True)
    t0 = time.perf_counter()
    with progress_bar(console, "simulate") as progress:
        world = simulate(config, progress=progress)
    console.log(f"world simulated in {time.perf_counter() - t0:.2f} s")
    t0 = time.perf_counter()
    world_dir = write_world(world, out_dir / WORLD_DIR, force=True)
    console.log(f"world written to {world_dir} in {time.perf_counter() - t0:.2f} s")
    return demo_world(world, out_dir, stages, console, world_dir=world_dir)
