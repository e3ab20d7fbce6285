"""The demo's stage interface and its first stage, the world and its ground truth.

`fraudwall demo` shows the whole system working on one simulated world. Each part of
fraudwall (engine, funds, intel) adds one stage; a stage reads the world (and the results
of the stages before it) and returns a `StageResult`: a JSON block for `summary.json`,
rows for the console table, bar charts for the console and figures for `report.html`.
The runner knows nothing about what a stage computes, so adding a stage is one class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from rich.console import Console

from fraudwall.model import (
    DAY_MS,
    EVENT_TABLES,
    FRAUD_TYPE_ZH,
    Account,
    Case,
    EntityKind,
    FraudType,
    Person,
    Phone,
    Role,
    Truth,
    Typology,
    yuan,
)

"""Every table of events, in the model's order (transfers, calls, sms, ...)."""

MULE_ROLES: frozenset[str] = frozenset({Role.MULE, Role.FIRST_HOP_MULE, Role.CASH_OUT})

AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("0-17", 0, 17),
    ("18-29", 18, 29),
    ("30-39", 30, 39),
    ("40-49", 40, 49),
    ("50-59", 50, 59),
    ("60+", 60, 200),
)
"""Victim age bands (inclusive bounds) used in the summary, the console and the report."""


class WorldLike(Protocol):
    """What a stage needs from a world: its tables and its manifest (fraudwall.sim.World)."""

    @property
    def tables(self) -> Mapping[str, pa.Table]: ...

    def manifest(self) -> dict[str, Any]: ...


@dataclass
class DemoContext:
    """Everything a stage may read: the world, where outputs go, and earlier stages' results."""

    world: WorldLike
    out_dir: Path
    world_dir: Path | None = None  # the world's Parquet files, when written
    results: dict[str, StageResult] = field(default_factory=dict)  # by stage name, in run order
    console: Console | None = None  # for a stage's own progress messages
    #: what a stage hands on to later ones (the engine stage's recovery loop, by name)
    shared: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart drawn in the console: (label, value, value as shown) per bar."""

    title: str
    bars: list[tuple[str, float, str]]


@dataclass(frozen=True)
class TableBlock:
    """A small table shown in the report (and the console): a title, a header, text cells."""

    title: str
    columns: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class ReportFigure:
    """A matplotlib figure for the report, with the title and caption shown above and below."""

    title: str
    figure: Figure
    caption: str = ""


@dataclass(frozen=True)
class StageResult:
    """What a stage found: `summary` goes to summary.json under the stage's name (money in
    integer fen); `rows` are (measure, value as shown) pairs for the console and report."""

    title: str
    summary: dict[str, Any]
    rows: list[tuple[str, str]]
    tables: list[TableBlock] = field(default_factory=list)
    bars: list[BarChart] = field(default_factory=list)
    figures: list[ReportFigure] = field(default_factory=list)


class Stage(Protocol):
    """One step of the demo. `name` is its key in summary.json and must be unique."""

    name: str

    def run(self, ctx: DemoContext) -> StageResult: ...


# --- formatting -------------------------------------------------------------------------
def count(n: int) -> str:
    """Show a count with thousands separators."""
    return f"{int(n):,}"


def percent(share: float) -> str:
    """Show a share in 0..1 as a percentage with one decimal."""
    return f"{share * 100:.1f}%"


# --- reading tables ---------------------------------------------------------------------
def _table(world: WorldLike, name: str) -> pa.Table:
    """The named table; a world without it is malformed, so say which table is missing."""
    try:
        return world.tables[name]
    except KeyError:
        raise KeyError(f"the world has no {name!r} table") from None


def _strings(table: pa.Table, column: str) -> pa.ChunkedArray:
    """A column as plain strings, whether it is stored as strings or dictionary-encoded."""
    col = table.column(column)
    if not pa.types.is_string(col.type):
        col = pc.cast(col, pa.string())
    return col


def _ints(table: pa.Table, column: str) -> np.ndarray[Any, np.dtype[np.int64]]:
    """A non-null integer column as an int64 numpy array."""
    col = table.column(column)
    return np.asarray(col.to_numpy(), dtype=np.int64) if len(col) else np.zeros(0, np.int64)


def _bools(table: pa.Table, column: str) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """A boolean column as numpy (nulls read as False)."""
    col = pc.fill_null(table.column(column), False)
    return np.asarray(col.to_numpy(zero_copy_only=False), dtype=bool)


def _distinct_ids(truth: pa.Table, kind: EntityKind, roles: frozenset[str]) -> int:
    """How many distinct entities of `kind` the ground truth gives one of `roles`."""
    mask = pc.and_(
        pc.equal(_strings(truth, "entity_kind"), str(kind)),
        pc.is_in(_strings(truth, "role"), value_set=pa.array(sorted(roles), pa.string())),
    )
    ids = pc.filter(_strings(truth, "entity_id"), mask)
    return int(pc.count_distinct(ids).as_py())


def events_per_day(world: WorldLike) -> tuple[int, dict[str, list[int]]]:
    """Events per day for each event table: (day 0's start in ms, counts by table).

    Days count from the simulation's start (`config.start_ts`, a local midnight) when the
    world has one, else from the UTC midnight before the first event.
    """
    ts = {name: _ints(_table(world, name), "ts") for name in EVENT_TABLES}
    nonempty = [a for a in ts.values() if a.size]
    if not nonempty:
        return 0, {name: [] for name in EVENT_TABLES}
    first = min(int(a.min()) for a in nonempty)
    origin = (world.manifest().get("config") or {}).get("start_ts")
    start = origin if isinstance(origin, int) and origin <= first else first // DAY_MS * DAY_MS
    days = (max(int(a.max()) for a in nonempty) - start) // DAY_MS + 1
    return start, {
        name: np.bincount((a - start) // DAY_MS, minlength=days).astype(int).tolist()
        for name, a in ts.items()
    }


def victim_ages(world: WorldLike) -> np.ndarray[Any, np.dtype[np.int64]]:
    """The age of every distinct victim (a person defrauded in at least one case)."""
    cases = _table(world, Case.table)
    people = _table(world, Person.table)
    victims = pc.unique(_strings(cases, "victim_person_id"))
    idx = pc.index_in(victims, value_set=_strings(people, "person_id").combine_chunks())
    if idx.null_count:
        missing = pc.filter(victims, pc.is_null(idx))[0].as_py()
        raise ValueError(f"cases.victim_person_id {missing!r} is not in the people table")
    ages = pc.take(people.column("age"), idx)
    return np.asarray(ages.to_numpy(), dtype=np.int64)


def band_counts(ages: np.ndarray[Any, np.dtype[np.int64]]) -> dict[str, int]:
    """How many ages fall in each of AGE_BANDS."""
    return {label: int(((ages >= lo) & (ages <= hi)).sum()) for label, lo, hi in AGE_BANDS}


def by_fraud_type(world: WorldLike) -> dict[str, dict[str, int]]:
    """Cases, paid and loss in fen per fraud type, for every type in FraudType's order."""
    cases = _table(world, Case.table)
    types = np.asarray(_strings(cases, "fraud_type").to_numpy(zero_copy_only=False), dtype=object)
    paid = _ints(cases, "paid_fen")
    loss = _ints(cases, "loss_fen")
    out: dict[str, dict[str, int]] = {}
    for ft in FraudType:
        mask = types == str(ft)
        out[str(ft)] = {
            "cases": int(mask.sum()),
            "paid_fen": int(paid[mask].sum()),
            "loss_fen": int(loss[mask].sum()),
        }
    return out


def typology_counts(world: WorldLike) -> dict[str, int]:
    """Distinct entities and events the ground truth marks with each typology."""
    truth = _table(world, Truth.table)
    out = {str(t): 0 for t in Typology}
    typ = truth.column("typology")
    if typ.null_count == len(typ):
        return out
    keyed = pa.table(
        {
            "typology": _strings(truth, "typology"),
            "key": pc.binary_join_element_wise(
                _strings(truth, "entity_kind"), _strings(truth, "entity_id"), ":"
            ),
        }
    ).filter(pc.is_valid(typ))
    grouped = keyed.group_by("typology").aggregate([("key", "count_distinct")])
    for name, n in zip(
        grouped.column("typology").to_pylist(),
        grouped.column("key_count_distinct").to_pylist(),
        strict=True,
    ):
        out[str(name)] = int(n)
    return out


# --- the world stage --------------------------------------------------------------------
class WorldStage:
    """The world and its ground truth: who lives there, what happened, who was defrauded.

    Every later stage is measured against these numbers (what share of the loss was
    warned, intercepted, frozen, returned), so they come first and from the truth alone.
    """

    name: str = "world"

    def __init__(self, *, cjk_labels: bool | None = None) -> None:
        # Police names in figure labels need a CJK font, else they draw as empty boxes.
        self.cjk_labels = cjk_font() is not None if cjk_labels is None else cjk_labels

    def run(self, ctx: DemoContext) -> StageResult:
        """Summarise the world's tables and ground truth; draw its three figures."""
        world = ctx.world
        manifest = world.manifest()
        cases = _table(world, Case.table)
        truth = _table(world, Truth.table)

        events = {name: _table(world, name).num_rows for name in EVENT_TABLES}
        events_total = sum(events.values())
        paid = int(_ints(cases, "paid_fen").sum())
        bait = int(_ints(cases, "returned_bait_fen").sum())
        loss = int(_ints(cases, "loss_fen").sum())
        n_cases = cases.num_rows
        reported = int(_bools(cases, "reported").sum())
        reported_share = reported / n_cases if n_cases else 0.0
        types = by_fraud_type(world)
        ages = victim_ages(world)
        bands = band_counts(ages)
        age_mean = float(ages.mean()) if ages.size else 0.0
        share_18_40 = float(((ages >= 18) & (ages <= 40)).mean()) if ages.size else 0.0
        mules = _distinct_ids(truth, EntityKind.ACCOUNT, MULE_ROLES)
        fraud_numbers = _distinct_ids(truth, EntityKind.PHONE, frozenset({Role.FRAUD_NUMBER}))
        start_ms, per_day = events_per_day(world)

        summary: dict[str, Any] = {
            "schema_version": manifest.get("schema_version"),
            "seed": manifest.get("seed"),
            "config": manifest.get("config"),
            "institutions": _table(world, "institutions").num_rows,
            "people": _table(world, Person.table).num_rows,
            "accounts": _table(world, Account.table).num_rows,
            "phones": _table(world, Phone.table).num_rows,
            "devices": _table(world, "devices").num_rows,
            "events_total": events_total,
            "events_by_type": events,
            "day0_ms": start_ms,
            "events_per_day": per_day,
            "cases": n_cases,
            "gangs": int(pc.count_distinct(_strings(cases, "gang_id")).as_py()),
            "paid_fen": paid,
            "returned_bait_fen": bait,
            "loss_fen": loss,
            "reported_cases": reported,
            "reported_share": round(reported_share, 4),
            "reports": _table(world, "reports").num_rows,
            "by_fraud_type": {
                ft: {**b, "share_cases": round(b["cases"] / n_cases, 4) if n_cases else 0.0}
                for ft, b in types.items()
            },
            "victims": int(ages.size),
            "victim_age_mean": round(age_mean, 2),
            "victims_18_40_share": round(share_18_40, 4),
            "victims_by_age_band": bands,
            "mule_accounts": mules,
            "fraud_numbers": fraud_numbers,
            "typologies": typology_counts(world),
        }

        rows = [
            ("people", count(summary["people"])),
            ("institutions", count(summary["institutions"])),
            ("accounts", count(summary["accounts"])),
            ("phone numbers", count(summary["phones"])),
            ("devices", count(summary["devices"])),
            ("events", count(events_total)),
            *((f"  {name}", count(n)) for name, n in events.items()),
            ("fraud cases", count(n_cases)),
            ("gangs", count(summary["gangs"])),
            ("paid by victims", yuan(paid)),
            ("bait paid back", yuan(bait)),
            ("victims' net loss", yuan(loss)),
            ("cases reported", f"{count(reported)} ({percent(reported_share)})"),
            ("victims", count(ages.size)),
            ("victim mean age", f"{age_mean:.1f}"),
            ("victims aged 18-40", percent(share_18_40)),
            ("mule accounts", count(mules)),
            ("fraud numbers", count(fraud_numbers)),
        ]
        present = [(ft, b) for ft, b in types.items() if b["cases"]]
        table = TableBlock(
            title="Cases and losses by fraud type",
            columns=["fraud type", "cases", "share", "paid", "net loss", "loss per case"],
            rows=[
                [
                    f"{ft} {FRAUD_TYPE_ZH.get(ft, '')}".strip(),
                    count(b["cases"]),
                    percent(b["cases"] / n_cases),
                    yuan(b["paid_fen"]),
                    yuan(b["loss_fen"]),
                    yuan(b["loss_fen"] // b["cases"]),
                ]
                for ft, b in present
            ],
        )
        bars = [
            BarChart(
                "Cases by fraud type", [(ft, b["cases"], count(b["cases"])) for ft, b in present]
            ),
            BarChart(
                "Net loss by fraud type",
                [(ft, b["loss_fen"], yuan(b["loss_fen"])) for ft, b in present],
            ),
            BarChart("Victims by age band", [(k, v, count(v)) for k, v in bands.items()]),
        ]
        figures = [
            ReportFigure(
                "Events per day by event type",
                events_figure(start_ms, per_day),
                "Days from the start of the simulation. Log scale, since calls and SMS "
                "outnumber the rest; a day without events of a type leaves a gap in its line.",
            ),
            ReportFigure(
                "Cases and losses by fraud type",
                fraud_type_figure(present, cjk=self.cjk_labels),
                "Net loss is what victims paid minus the bait the gangs paid back.",
            ),
            ReportFigure(
                "Victims by age",
                age_figure(ages),
                "Distinct victims in 5-year bins (DESIGN §2: mean age 37, 62% aged 18-40).",
            ),
        ]
        return StageResult(
            title="The world and its ground truth",
            summary=summary,
            rows=rows,
            tables=[table],
            bars=bars,
            figures=figures,
        )


# --- figures ----------------------------------------------------------------------------
_CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
    "AR PL UMing CN",
)


@cache
def cjk_font() -> str | None:
    """The first installed font family that draws Chinese, or None (then labels stay English)."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in _CJK_FAMILIES if name in installed), None)


def events_figure(start_ms: int, per_day: dict[str, list[int]]) -> Figure:
    """Events per day, one line per event table, on a log scale."""
    fig = Figure(figsize=(10, 4.8), layout="constrained")
    ax = fig.add_subplot()
    for name, counts in per_day.items():
        if any(counts):
            days = np.arange(len(counts))
            shown = np.where(np.asarray(counts) > 0, counts, np.nan)  # log scale: gaps, not 0
            ax.plot(days, shown, marker="o", markersize=3, label=name)
    ax.set_yscale("log")
    ax.set_title("Events per day by event type")
    ax.set_xlabel("day of the simulation")
    ax.set_ylabel("events per day (log scale)")
    ax.grid(True, which="major", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return fig


def fraud_type_figure(present: list[tuple[str, dict[str, int]]], *, cjk: bool = False) -> Figure:
    """Two horizontal bar charts side by side: cases and net loss (yuan) per fraud type."""
    fig = Figure(figsize=(11, 0.45 * max(len(present), 4) + 1.6), layout="constrained")
    ax_cases, ax_loss = fig.subplots(1, 2, sharey=True)
    labels = [f"{ft}\n{FRAUD_TYPE_ZH.get(ft, '')}" if cjk else ft for ft, _ in present]
    y = np.arange(len(present))
    cases = [b["cases"] for _, b in present]
    loss_wan = [b["loss_fen"] / 100 / 10_000 for _, b in present]
    ax_cases.barh(y, cases, color="#4c72b0")
    ax_loss.barh(y, loss_wan, color="#c44e52")
    ax_cases.set_yticks(y, labels)
    ax_cases.invert_yaxis()
    ax_cases.set_title("Cases")
    ax_cases.set_xlabel("cases")
    ax_cases.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_loss.set_title("Net loss")
    ax_loss.set_xlabel("net loss (10,000 yuan)")
    for ax in (ax_cases, ax_loss):
        ax.grid(True, axis="x", alpha=0.3)
    fig.suptitle("Cases and losses by fraud type")
    return fig


def age_figure(ages: np.ndarray[Any, np.dtype[np.int64]]) -> Figure:
    """A histogram of victims' ages in 5-year bins with the mean marked."""
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    ax = fig.add_subplot()
    ax.hist(ages, bins=list(range(0, 105, 5)), color="#55a868", edgecolor="white")
    if ages.size:
        mean = float(ages.mean())
        ax.axvline(mean, color="black", linestyle="--", label=f"mean {mean:.1f}")
        ax.legend(frameon=False)
    ax.set_title("Victims by age")
    ax.set_xlabel("age (years)")
    ax.set_ylabel("victims")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(0, 100)
    ax.grid(True, axis="y", alpha=0.3)
    return fig


def headline(world: WorldLike) -> dict[str, int]:
    """The three numbers every demo run reports: events, fraud cases, victims' net loss (fen)."""
    cases = _table(world, Case.table)
    return {
        "events": sum(_table(world, name).num_rows for name in EVENT_TABLES),
        "cases": cases.num_rows,
        "loss_fen": int(_ints(cases, "loss_fen").sum()),
    }
