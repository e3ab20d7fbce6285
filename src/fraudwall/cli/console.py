"""Console output of the `fraudwall` commands: a progress bar, bar charts, tables of counts,
figures and output paths.

Everything is drawn with rich so it reads well in a terminal and degrades to plain text
in a log or a CI run. The demo draws its summary with these too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

from rich import box
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

ProgressFn = Callable[[str, float], None]

_BLOCKS = " ▏▎▍▌▋▊▉█"  # eighths of a cell, so short bars still differ


@contextmanager
def progress_bar(console: Console, title: str) -> Iterator[ProgressFn]:
    """A rich progress bar for a long step; yields the callback that feeds it.

    The callback takes (step name, fraction done 0..1), the signature of
    `fraudwall.sim.simulate`'s `progress` argument.
    """
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task(title, total=1.0)

        def update(step: str, fraction: float) -> None:
            done = min(max(float(fraction), 0.0), 1.0)
            bar.update(task, description=f"{title}: {step}", completed=done)

        yield update
        bar.update(task, description=f"{title}: done", completed=1.0)


def hbar(value: float, vmax: float, width: int) -> str:
    """A horizontal bar of `width` cells at full scale, in eighth-cell steps."""
    if vmax <= 0 or value <= 0:
        return ""
    eighths = round(value / vmax * width * 8)
    full, part = divmod(max(eighths, 1), 8)
    return "█" * full + (_BLOCKS[part] if part else "")


def bar_chart(title: str, bars: Sequence[tuple[str, float, str]], width: int = 40) -> Table:
    """A horizontal bar chart as a rich table: per bar its label, the bar, the value as
    shown."""
    table = Table(
        title=title,
        box=None,
        show_header=False,
        pad_edge=False,
        title_justify="left",
        min_width=len(title),
    )
    table.add_column(justify="right", style="bold")
    table.add_column(no_wrap=True, style="cyan")
    table.add_column(justify="right")
    vmax = max((v for _, v, _ in bars), default=0.0)
    for label, value, shown in bars:
        table.add_row(label, hbar(value, vmax, width), shown)
    return table


def print_counts(console: Console, title: str, counts: Mapping[str, int]) -> None:
    """Print rows per table (what `fraudwall simulate` wrote)."""
    table = Table(title=title, box=box.ROUNDED, title_justify="left", min_width=len(title))
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in counts.items():
        table.add_row(name, f"{n:,}")
    total = f"{sum(counts.values()):,}"
    table.add_row(Text("all tables", style="bold"), Text(total, style="bold"))
    console.print(table)


def print_paths(console: Console, paths: Sequence[tuple[str, object]]) -> None:
    """Print where outputs were written, one per line."""
    for label, path in paths:
        console.print(f"[bold]{label}[/bold]: {path}")


def print_figures(console: Console, title: str, figures: Mapping[str, object]) -> None:
    """Print named figures (shares as percentages, None as n/a) in a two-column table."""
    table = Table(title=title, box=box.ROUNDED, title_justify="left", min_width=len(title))
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name, value in figures.items():
        if value is None:
            shown = "n/a"
        elif isinstance(value, float):
            shown = (
                f"{value:.2%}"
                if "share" in name or "recall" in name or "precision" in name
                else f"{value:,.4g}"
            )
        else:
            shown = f"{value:,}" if isinstance(value, int) else str(value)
        table.add_row(name, shown)
    console.print(table)
