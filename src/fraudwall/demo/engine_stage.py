"""The demo's engine stage: the world's history replayed through the real-time engine.

It shows lives changed, not just alerts: how much of the victims' money was stopped in
flight or never sent because a warned victim stopped, how many people were warned, how
many victims stopped, and what it cost ordinary people (transfers held or blocked).
The model is the one shipped with the package, trained on a world with another seed,
reading the SMS with the shipped fraud-text model (`intel.shipped`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from fraudwall.demo.loop import LOOP, replay_with_recovery
from fraudwall.demo.stages import (
    BarChart,
    DemoContext,
    ReportFigure,
    StageResult,
    TableBlock,
    count,
)
from fraudwall.engine import STOP_PROBABILITY, EngineModel
from fraudwall.funds import RecoveryPolicy
from fraudwall.intel.shipped import shipped_engine, shipped_text_scorer
from fraudwall.model import FRAUD_TYPE_ZH, TextScorer, yuan

#: The keys of metrics.json the demo's summary carries (with warnings_sent, victims_stopped).
SUMMARY_KEYS = (
    "precision_stop",
    "recall_stop",
    "precision_warn",
    "recall_warn",
    "intercepted_share",
    "intercepted_or_warned_share",
    "legit_stopped_share",
    "legit_delayed_share",
    "legit_warned_share",
    "by_fraud_type",
    "by_rule",
    "contacts",
    "by_lead_contact",
    "warnings_sent",
    "warned_people",
    "warned_people_share",
    "victims_warned_before_first_payment_share",
    "call_tasks",
    "call_tasks_per_10k_per_day",
    "call_task_precision",
    "untargeted_warned_share",
    "reminders_sent",
    "victims_stopped",
    "fraud_transfers",
    "fraud_fen_attempted",
    "legit_transfers",
    "stop_probability",
    "events",
    "seconds",
    "events_per_s",
)


#: Events per batch: each batch sees the stop-payments applied by its end, with their times.
BATCH_EVENTS = 100_000


def _share(value: Any, digits: int = 1) -> str:
    """A share as a percentage; small ones (false stops) need more digits than 0.0%."""
    return "n/a" if value is None else f"{float(value) * 100:.{digits}f}%"


class EngineStage:
    """Replay the world through the engine with the default rules and the shipped model
    and text scorer (or those given)."""

    name: str = "engine"

    def __init__(
        self,
        model: EngineModel | None = None,
        stop_probability: float = STOP_PROBABILITY,
        recovery: RecoveryPolicy | None = None,
        batch_events: int = BATCH_EVENTS,
        text_scorer: TextScorer | None = None,
    ) -> None:
        self.model = model
        self.text_scorer = text_scorer
        self.stop_probability = stop_probability
        self.recovery = recovery if recovery is not None else RecoveryPolicy()
        self.batch_events = batch_events

    def run(self, ctx: DemoContext) -> StageResult:
        model = self.model if self.model is not None else shipped_engine().model
        text_scorer = self.text_scorer if self.text_scorer is not None else shipped_text_scorer()
        if ctx.console is not None:
            ctx.console.print(
                "engine: replaying the world's events in time order, the police's "
                "stop-payments reaching it as they take hold…"
            )
        tables = dict(ctx.world.tables)
        result, loop = replay_with_recovery(
            tables, model, self.recovery, self.stop_probability, self.batch_events,
            text_scorer=text_scorer,
        )  # fmt: skip
        ctx.shared[LOOP] = loop
        m: dict[str, Any] = result.metrics or {}
        summary: dict[str, Any] = {k: m.get(k) for k in SUMMARY_KEYS}
        summary["loop"] = {
            "accounts_stopped": loop.orders_to_engine,
            "payments_refused_in_stopped_accounts": loop.kept_transfers,
            "kept_in_stopped_accounts_fen": loop.kept_fen,
            "alerts_on_cases": loop.alerts,
        }
        summary["intercepted_fen"] = sum(
            int(b["intercepted_fen"]) for b in m.get("by_fraud_type", {}).values()
        )
        summary["intercepted_or_warned_fen"] = sum(
            int(b["intercepted_or_warned_fen"]) for b in m.get("by_fraud_type", {}).values()
        )
        stopped_legit = round(
            (m.get("legit_stopped_share") or 0.0) * (m.get("legit_transfers") or 0)
        )
        rows = [
            ("events decided", f"{count(result.events)} ({m.get('events_per_s', 0):,.0f}/s)"),
            (
                "kept in stopped accounts (payments out refused)",
                f"{yuan(loop.kept_fen)} ({count(loop.kept_transfers)})",
            ),
            ("holds on accounts of reported cases (alerts)", count(loop.alerts)),
            ("warnings sent", count(m.get("warnings_sent", 0))),
            ("people warned", count(m.get("warned_people", 0))),
            (
                "victims warned before their first payment",
                _share(m.get("victims_warned_before_first_payment_share")),
            ),
            (
                "96110 calls per 10k people a day (precision)",
                f"{m.get('call_tasks_per_10k_per_day') or 0:.1f} "
                f"({_share(m.get('call_task_precision'))})",
            ),
            (
                "people warned never contacted by fraud",
                _share(m.get("untargeted_warned_share"), 2),
            ),
            ("international reminders", count(m.get("reminders_sent", 0))),
            ("victims who stopped", count(m.get("victims_stopped", 0))),
            ("fraud money attempted", yuan(m.get("fraud_fen_attempted", 0))),
            ("intercepted (held, blocked)", yuan(summary["intercepted_fen"])),
            ("intercepted or prevented", yuan(summary["intercepted_or_warned_fen"])),
            ("share intercepted or prevented", _share(m.get("intercepted_or_warned_share"))),
            (
                "ordinary transfers stopped",
                f"{count(stopped_legit)} ({_share(m.get('legit_stopped_share'), 3)})",
            ),
            (
                "stop precision / recall",
                f"{_share(m.get('precision_stop'))} / {_share(m.get('recall_stop'))}",
            ),
        ]
        types = [(ft, b) for ft, b in (m.get("by_fraud_type") or {}).items() if b["transfers"]]
        table = TableBlock(
            title="Fraud money by type: intercepted or prevented by a warning",
            columns=["fraud type", "payments", "attempted", "intercepted", "or prevented", "share"],
            rows=[
                [
                    f"{ft} {FRAUD_TYPE_ZH.get(ft, '')}".strip(),
                    count(b["transfers"]),
                    yuan(b["attempted_fen"]),
                    yuan(b["intercepted_fen"]),
                    yuan(b["intercepted_or_warned_fen"]),
                    _share(b["intercepted_or_warned_share"]),
                ]
                for ft, b in types
            ],
        )
        rules = sorted((m.get("by_rule") or {}).items(), key=lambda kv: -kv[1]["fired"])
        rule_table = TableBlock(
            title="Rules backtested on this world",
            columns=["rule", "fired", "on fraud", "precision", "recall"],
            rows=[
                [
                    name + (" (shadow)" if r["shadow"] else ""),
                    count(r["fired"]),
                    count(r["fired_fraud"]),
                    _share(r["precision"]),
                    _share(r["recall"]),
                ]
                for name, r in rules
            ],
        )
        bars = [
            BarChart(
                "Share of fraud money intercepted or prevented, by type",
                [
                    (
                        ft,
                        b["intercepted_or_warned_share"] or 0.0,
                        _share(b["intercepted_or_warned_share"]),
                    )
                    for ft, b in types
                ],
            )
        ]
        figures = [
            ReportFigure(
                "Fraud money: intercepted, prevented by a warning, or lost",
                _money_figure(types),
                f"Intercepted: held, blocked, or delayed and cancelled. Prevented: the victim "
                f"was warned before paying and stopped (a warned victim stops with probability "
                f"{self.stop_probability:.0%} in this replay).",
            )
        ]
        return StageResult("Real-time engine", summary, rows, [table, rule_table], bars, figures)


def _money_figure(types: list[tuple[str, dict[str, Any]]]) -> Figure:
    fig = Figure(figsize=(8, 0.45 * max(len(types), 3) + 1.2))
    ax = fig.subplots()
    labels = [ft for ft, _ in types]
    y = np.arange(len(types))
    held = np.array([b["intercepted_fen"] for _, b in types], float) / 100
    warned = np.array([b["intercepted_or_warned_fen"] for _, b in types], float) / 100 - held
    lost = np.array([b["attempted_fen"] for _, b in types], float) / 100 - held - warned
    ax.barh(y, held, color="#2b8a3e", label="intercepted")
    ax.barh(y, warned, left=held, color="#74c69d", label="prevented by a warning")
    ax.barh(y, lost, left=held + warned, color="#e03131", label="paid to fraud")
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel("yuan")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig
