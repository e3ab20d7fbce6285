"""The demo's console summary: the headline figures, each stage's rows, tables and charts."""

from __future__ import annotations

from collections.abc import Mapping

from rich import box
from rich.console import Console
from rich.table import Table

from fraudwall.cli import bar_chart
from fraudwall.demo.stages import StageResult, TableBlock, count
from fraudwall.model import yuan


def block_table(block: TableBlock) -> Table:
    """A stage's TableBlock as a rich table."""
    table = Table(title=block.title, box=box.SIMPLE_HEAD, title_justify="left")
    for i, col in enumerate(block.columns):
        table.add_column(col, justify="left" if i == 0 else "right")
    for row in block.rows:
        table.add_row(*row)
    return table


def summary_table(headline: Mapping[str, int], results: Mapping[str, StageResult]) -> Table:
    """One table for the whole run: the headline figures, then each stage's rows."""
    table = Table(title="fraudwall demo: summary", box=box.ROUNDED, title_justify="left")
    table.add_column("stage", style="bold magenta")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("total", "events", count(headline["events"]))
    table.add_row("", "fraud cases", count(headline["cases"]))
    table.add_row("", "victims' net loss", yuan(headline["loss_fen"]), end_section=True)
    for name, result in results.items():
        for i, (measure, value) in enumerate(result.rows):
            table.add_row(
                name if i == 0 else "", measure, value, end_section=i == len(result.rows) - 1
            )
    return table


def print_summary(
    console: Console, headline: Mapping[str, int], results: Mapping[str, StageResult]
) -> None:
    """Print the summary table, then every stage's tables and bar charts."""
    console.print(summary_table(headline, results))
    for result in results.values():
        for block in result.tables:
            console.print(block_table(block))
        for chart in result.bars:
            console.print(bar_chart(chart.title, chart.bars))
            console.print()
