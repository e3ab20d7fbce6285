"""The fund-flow graph of one case drawn for the report: accounts in columns by hop, an
arrow for each flow with its amount, victims' accounts on the left, sinks in red, and each
account's circle sized by the victims' money it still holds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch

MAX_EDGES = 36
"""The largest flows drawn; a case with more is summarised by its biggest, as an analyst
would sketch it."""

COLOURS = {"victim": "#1c7ed6", "mule": "#f08c00", "sink": "#e03131", "held": "#2b8a3e"}


def _short_yuan(fen: int) -> str:
    y = fen // 100
    return f"¥{y / 1000:,.0f}k" if y >= 10_000 else f"¥{y:,}"


def _layout(
    nodes: Mapping[str, Mapping[str, Any]], edges: Sequence[Mapping[str, Any]]
) -> dict[str, tuple[float, float]]:
    """Columns by the hop at which money first reached an account; rows spread evenly."""
    column: dict[str, int] = {}
    for e in sorted(edges, key=lambda e: e["hop"]):
        column.setdefault(e["from"], e["hop"] - 1)
        column[e["to"]] = min(column.get(e["to"], e["hop"]), e["hop"])
    by_column: dict[int, list[str]] = {}
    for account in sorted(column, key=lambda a: (column[a], a)):
        by_column.setdefault(column[account], []).append(account)
    pos: dict[str, tuple[float, float]] = {}
    for x, accounts in by_column.items():
        n = len(accounts)
        for i, account in enumerate(accounts):
            pos[account] = (float(x), (n - 1) / 2 - i)
    return pos


def flow_figure(graph: Mapping[str, Any], title: str = "") -> Figure:
    """A drawing of `fraudwall.funds.flowtable.flow_graph` output."""
    nodes = {n["id"]: n for n in graph["nodes"]}
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for e in graph["edges"]:  # one arrow per pair of accounts, all victims together
        m = merged.setdefault((e["from"], e["to"]), {**e, "fen": 0})
        m["fen"] += e["fen"]
        m["hop"] = min(m["hop"], e["hop"])
    edges = sorted(merged.values(), key=lambda e: -e["fen"])[:MAX_EDGES]
    pos = _layout(nodes, edges)
    width = 2.2 * (max((x for x, _ in pos.values()), default=0) + 1) + 1
    height = 0.42 * max((sum(1 for p in pos.values() if p[0] == x) for x, _ in pos.values()),
                        default=1) + 1.6  # fmt: skip
    fig = Figure(figsize=(min(max(width, 6), 16), min(max(height, 3), 12)))
    ax = fig.subplots()
    top = max((e["fen"] for e in edges), default=1)
    for e in edges:
        (x0, y0), (x1, y1) = pos[e["from"]], pos[e["to"]]
        ax.add_patch(
            FancyArrowPatch(
                (x0, y0),
                (x1, y1),
                arrowstyle="-|>",
                mutation_scale=9,
                lw=0.6 + 3.0 * e["fen"] / top,
                color="#868e96",
                alpha=0.8,
                shrinkA=7,
                shrinkB=7,
                connectionstyle="arc3,rad=0.08",
            )
        )
        ax.text((x0 + x1) / 2, (y0 + y1) / 2 + 0.12, _short_yuan(e["fen"]), fontsize=6,
                ha="center", color="#495057")  # fmt: skip
    for account, (x, y) in pos.items():
        n = nodes.get(account, {})
        held = sum(n.get("held_fen", {}).values())
        kind = "victim" if n.get("victim_account") else "sink" if n.get("sink_kind") else "mule"
        ax.scatter([x], [y], s=40 + min(held / 100, 400_000) ** 0.5, color=COLOURS[kind],
                   edgecolors=COLOURS["held"] if held else "white", linewidths=2 if held else 0.5,
                   zorder=3)  # fmt: skip
        label = account[-6:] + (f"\n{n['sink_kind']}" if n.get("sink_kind") else "")
        if held:
            label += f"\nheld {_short_yuan(held)}"
        ax.text(x, y - 0.28, label, fontsize=6, ha="center", va="top")
    ax.set_xticks(sorted({int(x) for x, _ in pos.values()}))
    ax.set_xticklabels([f"hop {x}" if x else "victims" for x in ax.get_xticks()])
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_xlim(-0.5, max((x for x, _ in pos.values()), default=0) + 0.5)
    ys = [y for _, y in pos.values()] or [0.0]
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.6)
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig
