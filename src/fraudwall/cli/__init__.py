"""The `fraudwall` command (`fraudwall.cli.main.app`), a thin skin over the library, and
its console output.

The command itself is not imported here: it imports the demo, and the demo draws its
summary with the console helpers this package exports.
"""

from fraudwall.cli.console import (
    ProgressFn,
    bar_chart,
    hbar,
    print_counts,
    print_figures,
    print_paths,
    progress_bar,
)

__all__ = [
    "ProgressFn",
    "bar_chart",
    "hbar",
    "print_counts",
    "print_figures",
    "print_paths",
    "progress_bar",
]
