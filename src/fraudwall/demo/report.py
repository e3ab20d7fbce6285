"""The demo's files: `summary.json` (stable keys, money in integer fen) and `report.html`.

The report is one self-contained HTML file (figures embedded as base64 SVG), so it can be
mailed or archived and opened anywhere without the rest of the output folder. Figures are
`matplotlib.figure.Figure` objects, never pyplot ones: they render on matplotlib's own
non-interactive canvases, so nothing here opens a window or depends on a display.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.figure import Figure

import fraudwall
from fraudwall.demo.stages import (
    ReportFigure,
    StageResult,
    TableBlock,
    cjk_font,
    count,
)
from fraudwall.model import yuan

HEADLINE_KEYS: tuple[str, ...] = ("events", "cases", "loss_fen")
"""Top-level keys of summary.json that never change; stage blocks sit beside them."""


@contextmanager
def plot_style() -> Iterator[None]:
    """Matplotlib settings for readable demo figures; a CJK font first when one is installed."""
    rc: dict[Any, Any] = {  # matplotlib types keys as a Literal of every rc name
        "font.size": 10,
        "axes.titlesize": 12,
        "axes.labelsize": 10,
        "figure.titlesize": 13,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.hashsalt": "fraudwall",  # stable ids inside the SVG
    }
    font = cjk_font()
    if font is not None:
        rc["font.sans-serif"] = [font, *matplotlib.rcParams["font.sans-serif"]]
        rc["axes.unicode_minus"] = False
    with matplotlib.rc_context(rc):
        yield


def build_summary(
    headline: Mapping[str, int], results: Mapping[str, StageResult]
) -> dict[str, Any]:
    """The summary.json document: the headline keys, then one block per stage by name."""
    clash = set(HEADLINE_KEYS) & set(results)
    if clash:
        raise ValueError(f"stage names clash with summary.json keys: {sorted(clash)}")
    missing = set(HEADLINE_KEYS) - set(headline)
    if missing:
        raise ValueError(f"headline lacks {sorted(missing)}")
    doc: dict[str, Any] = {key: int(headline[key]) for key in HEADLINE_KEYS}
    for name, result in results.items():
        doc[name] = result.summary
    return doc


def write_summary(path: Path, summary: Mapping[str, Any]) -> Path:
    """Write summary.json (sorted within blocks' own order, UTF-8, newline at the end)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def figure_svg(figure: Figure) -> str:
    """A figure as a base64 SVG data URI, for an <img> (keeps each SVG's ids to itself)."""
    buf = io.BytesIO()
    figure.savefig(buf, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _table_html(columns: list[str], rows: list[list[str]], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join(
        "<tr>"
        + "".join(
            (f'<td class="num">{_e(cell)}</td>' if i >= numeric_from else f"<td>{_e(cell)}</td>")
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _block_html(block: TableBlock) -> str:
    return f"<h3>{_e(block.title)}</h3>" + _table_html(block.columns, block.rows)


def _figure_html(fig: ReportFigure) -> str:
    caption = f"<figcaption>{_e(fig.caption)}</figcaption>" if fig.caption else ""
    return (
        f"<figure><h3>{_e(fig.title)}</h3>"
        f'<img alt="{_e(fig.title)}" src="{figure_svg(fig.figure)}">{caption}</figure>'
    )


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "PingFang SC",
       "Microsoft YaHei", sans-serif; margin: 2rem auto; max-width: 1100px; color: #222;
       padding: 0 1rem; }
h1 { margin-bottom: 0.2rem; } .meta { color: #666; margin-top: 0; }
.cards { display: flex; gap: 1rem; flex-wrap: wrap; margin: 1.5rem 0; }
.card { border: 1px solid #ddd; border-radius: 8px; padding: 0.8rem 1.2rem; min-width: 12rem; }
.card .v { font-size: 1.6rem; font-weight: 600; } .card .k { color: #666; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border-bottom: 1px solid #e5e5e5; padding: 0.3rem 0.8rem; text-align: left;
         white-space: pre-wrap; }
th { background: #f6f6f6; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0 2rem; } figure img { max-width: 100%; height: auto; }
figcaption { color: #666; font-size: 0.9rem; }
section { border-top: 2px solid #eee; margin-top: 2rem; }
"""


def render_report(
    manifest: Mapping[str, Any],
    headline: Mapping[str, int],
    results: Mapping[str, StageResult],
) -> str:
    """The report as one HTML document: headline, summary table, then each stage's section."""
    config = manifest.get("config") or {}
    meta = ", ".join(f"{k} {_e(v)}" for k, v in config.items() if k in ("people", "days", "seed"))
    cards = "".join(
        f'<div class="card"><div class="v">{_e(v)}</div><div class="k">{_e(k)}</div></div>'
        for k, v in (
            ("events", count(headline["events"])),
            ("fraud cases", count(headline["cases"])),
            ("victims' net loss", yuan(headline["loss_fen"])),
        )
    )
    summary_rows = [
        [name if i == 0 else "", measure, value]
        for name, result in results.items()
        for i, (measure, value) in enumerate(result.rows)
    ]
    sections = []
    for name, result in results.items():
        parts = [f'<section id="{_e(name)}"><h2>{_e(result.title)}</h2>']
        parts += [_block_html(b) for b in result.tables]
        parts += [_figure_html(f) for f in result.figures]
        parts.append("</section>")
        sections.append("".join(parts))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>fraudwall demo</title><style>{_CSS}</style></head><body>"
        "<h1>fraudwall demo</h1>"
        f'<p class="meta">A simulated world ({meta}); schema version '
        f"{_e(manifest.get('schema_version', ''))}; fraudwall {_e(fraudwall.__version__)}. "
        "Amounts in yuan; summary.json keeps integer fen.</p>"
        f'<div class="cards">{cards}</div>'
        "<h2>Summary</h2>"
        + _table_html(["stage", "measure", "value"], summary_rows, numeric_from=2)
        + "".join(sections)
        + "</body></html>\n"
    )


def write_report(
    path: Path,
    manifest: Mapping[str, Any],
    headline: Mapping[str, int],
    results: Mapping[str, StageResult],
) -> Path:
    """Render and write report.html; the stages' figures are drawn here, under plot_style."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with plot_style():
        text = render_report(manifest, headline, results)
    path.write_text(text, encoding="utf-8")
    return path
