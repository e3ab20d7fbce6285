"""The demo's funds stage: every reported case through the recovery chain, against the truth.

Each report opens a case once the police have taken it in; the case's group (the gang the
intel stage found behind it, when that stage ran; else the cases sharing its accounts,
devices or numbers) is traced
under the recovery policy (LIFO, 6 hops by default) as the ledger stood then; every account
still holding victims' money gets a stop-payment and a freeze; when all reports are in,
frozen money goes back under article 8. The stage reports what tracing found of the money
that truly reached mule accounts (ground truth), what was stopped, frozen and returned,
and how soon the first stop-payment took hold. It reads the chain only through
`fraudwall.funds`' public functions (`summarize`, `traced_share_by_rule`, `largest_group`,
`Recovery.flow_tables`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow.compute as pc
from matplotlib.figure import Figure

from fraudwall.demo.flow_figure import flow_figure
from fraudwall.demo.loop import LOOP, Loop
from fraudwall.demo.stages import (
    BarChart,
    DemoContext,
    ReportFigure,
    StageResult,
    TableBlock,
    count,
    percent,
)
from fraudwall.funds import (
    RETURN_BASIS,
    Recovery,
    RecoveryPolicy,
    Rule,
    Trace,
    duration_text,
    flow_graph,
    group_evidence,
    largest_group,
    reports_from_table,
    summarize,
    traced_share_by_rule,
    write_flow,
)
from fraudwall.model import yuan

COMPARED_RULES = (Rule.LIFO, Rule.LIBR, Rule.FIFO, Rule.HAIRCUT, Rule.POISON)


class FundsStage:
    """Run the world's reports through the recovery chain and measure it."""

    name: str = "funds"

    def __init__(self, policy: RecoveryPolicy | None = None) -> None:
        self.policy = policy or RecoveryPolicy()

    def run(self, ctx: DemoContext) -> StageResult:
        tables = dict(ctx.world.tables)
        policy = self.policy
        if ctx.console is not None:
            ctx.console.print("funds: opening cases, tracing, stopping, freezing, returning…")
        loop = ctx.shared.get(LOOP)
        if isinstance(loop, Loop):  # the chain ran inside the engine's replay: carry on
            recovery, policy = loop.recovery, loop.recovery.policy
            rounds = [*loop.rounds, *recovery.run_until(None)]
        else:
            recovery = Recovery(tables, policy)
            rounds = recovery.take_reports(reports_from_table(tables["reports"]))
        end_ts = int(pc.max(tables["transfers"]["ts"]).as_py() or 0)
        recovery.returns(end_ts)
        run = summarize(recovery)

        # what tracing found at each case's own report, against the truth
        first_trace: dict[str, tuple[int, Trace]] = {}
        for rnd in rounds:
            for victim in rnd.trace.victims:
                first_trace.setdefault(victim, (rnd.trace.end_ts or rnd.at_ts, rnd.trace))
        # each case traced alone at its report, with no orders in force: the truth has none
        shares = traced_share_by_rule(
            recovery, {c: at for c, (at, _) in first_trace.items()}, COMPARED_RULES
        )
        by_rule = {
            r: {"found_fen": s.found_fen, "true_fen": s.true_fen, "share": s.share}
            for r, s in shares.items()
        }
        share = shares[str(policy.rule)]
        gone = self._gone_by_kind(first_trace)
        given = recovery.groups
        summary: dict[str, Any] = {
            "cases": run.cases,
            "groups": run.groups,
            "groups_from": given.source if given is not None else "own links",
            "cases_in_given_groups": sum(
                1 for c in recovery.cases if given is not None and c in given.group_of
            ),
            "rejected_reports": run.rejected_reports,
            "rule": str(policy.rule),
            "max_hops": policy.max_hops,
            "intake_ms": policy.intake_ms,
            "bank_response_ms": policy.bank_response_ms,
            "traced_share": share.share,
            "traced_fen": share.found_fen,
            "truly_into_mules_fen": share.true_fen,
            "traced_share_by_rule": by_rule,
            "gone_by_kind_fen": gone,
            "stop_orders": run.stop_orders,
            "stop_orders_by_state": dict(run.stop_orders_by_state),
            "stopped_fen": run.stopped_fen,
            "frozen_fen": run.frozen_fen,
            "returned_fen": run.returned_fen,
            "return_orders": run.return_orders,
            "return_rounds_by_rule": dict(run.return_rounds_by_rule),
            "reported_loss_fen": run.reported_loss_fen,
            "returned_share": run.returned_share,
            "median_ms_to_first_stop": run.median_ms_to_first_stop,
            "cases_with_a_stop": run.cases_with_a_stop,
            "audit_entries": run.audit_entries,
            "engine_alerts": run.engine_alerts,
            "engine_alerts_fen": run.engine_alerts_fen,
        }
        paths, figure, linked_by = self._largest_case(ctx, recovery)
        summary["largest_group_linked_by"] = linked_by
        loss_fen, stopped_fen = run.reported_loss_fen, run.stopped_fen
        frozen_fen, returned_fen = run.frozen_fen, run.returned_fen
        found_text = f"{yuan(share.found_fen)} ({percent(share.share or 0)})"
        returned_text = f"{yuan(returned_fen)} ({percent(run.returned_share or 0)} of losses)"
        rows = [
            (
                "cases opened (groups, linked by)",
                f"{count(run.cases)} ({count(run.groups)}, {summary['groups_from']})",
            ),
            ("reported losses", yuan(loss_fen)),
            ("victims' money moved into mules (all hops)", yuan(share.true_fen)),
            (f"found by tracing ({policy.rule}, {policy.max_hops} hops)", found_text),
            (
                "stop-payment orders",
                f"{count(run.stop_orders)} ({count(run.stop_orders_applied)} applied)",
            ),
            ("stopped", yuan(stopped_fen)),
            ("frozen", yuan(frozen_fen)),
            ("returned to victims", returned_text),
            (
                "police intake, bank answer",
                f"{duration_text(policy.intake_ms)}, {duration_text(policy.bank_response_ms)}",
            ),
            ("median time report → first stop", _ms(run.median_ms_to_first_stop)),
        ]
        rows += [
            (f"fund-flow table ({k})", str(p)) for k, p in paths.items() if k in ("xlsx", "graph")
        ]
        rule_table = TableBlock(
            title="Victims' money moved into mule accounts (every hop, ground truth) found by "
            "tracing, by rule, at each report",
            columns=["rule", "found", "share"],
            rows=[[r, yuan(v.found_fen), percent(v.share or 0)] for r, v in shares.items()],
        )
        order_table = TableBlock(
            title="Stop-payment orders by the banks' answers",
            columns=["state", "orders"],
            rows=[[s, count(n)] for s, n in run.stop_orders_by_state.items()],
        )
        gone_fen = sum(gone.values())
        chain = [loss_fen, gone_fen, stopped_fen, frozen_fen, returned_fen]
        bars = [
            BarChart(
                "Victims' money: reported, gone before the report, stopped, frozen, returned",
                [
                    (label, fen / 100, yuan(fen))
                    for label, fen in zip(
                        ("reported losses", "gone before report", "stopped", "frozen", "returned"),
                        chain,
                        strict=True,
                    )
                ],
            )
        ]
        figures = [
            ReportFigure(
                "Victims' money through the recovery chain",
                _chain_figure(chain),
                "Gone: victims' money already cashed out, sent abroad, to crypto desks or "
                "merchants when the case was reported. Stopped and frozen: what was still in "
                f"mule accounts then. Returns follow {RETURN_BASIS}.",
            )
        ]
        if figure is not None:
            figures.append(figure)
        return StageResult(
            "Funds: trace, stop-payment, freeze, return",
            summary,
            rows,
            [rule_table, order_table],
            bars,
            figures,
        )

    @staticmethod
    def _gone_by_kind(first_trace: Mapping[str, tuple[int, Trace]]) -> dict[str, int]:
        """Victims' money already out of the system when each case was reported, by sink."""
        gone: dict[str, int] = {}
        for cid, (_, result) in first_trace.items():
            for e in result.exits:
                if e.victim == cid:
                    gone[e.sink_kind] = gone.get(e.sink_kind, 0) + e.fen
        return dict(sorted(gone.items()))

    @staticmethod
    def _largest_case(
        ctx: DemoContext, recovery: Recovery
    ) -> tuple[dict[str, Any], ReportFigure | None, list[str]]:
        """The fund-flow table and graph of the group with the largest loss, and what links
        its cases (at most ten keys, the most widely held first)."""
        group = largest_group(recovery)
        if group is None:
            return {}, None, []
        result = recovery.latest_trace(group)
        flow = recovery.flow_tables(result)
        meta = {"case_id": group, "rule": str(result.rule), "max_hops": result.max_hops}
        paths = write_flow(ctx.out_dir / "funds" / group, flow, result.paid, meta)
        graph = flow_graph(flow, result.paid, meta)
        cases = recovery.group(group)
        held = group_evidence(cases, recovery.links, recovery.groups).get(group, {})
        linked_by = sorted(held, key=lambda k: (-len(held[k]), k))[:10]
        shown = f" Linked by: {', '.join(linked_by[:5])}." if linked_by else ""
        figure = ReportFigure(
            f"Fund-flow graph of case group {group} ({len(cases)} cases)",
            flow_figure(graph),
            "Accounts in columns by hop; arrows carry the victims' money with its amount; "
            "red: money leaving the system; green ring: money still held (frozen)." + shown,
        )
        return dict(paths), figure, linked_by


def _ms(value: int | None) -> str:
    if value is None:
        return "n/a"
    return duration_text(value) if value % 1000 == 0 else f"{value / 60_000:.1f} min"


def _chain_figure(amounts: list[int]) -> Figure:
    """Bars for: reported, gone before the report, stopped, frozen, returned (fen)."""
    fig = Figure(figsize=(8, 3.2))
    ax = fig.subplots()
    labels = ["reported losses", "gone before the report", "stopped", "frozen", "returned"]
    values = np.array(amounts, dtype=np.int64) / 100
    colours = ["#495057", "#e03131", "#f08c00", "#2b8a3e", "#37b24d"]
    y = np.arange(len(labels))
    ax.barh(y, values, color=colours)
    for yi, v in zip(y, values, strict=True):
        ax.text(float(v), float(yi), f" ¥{v:,.0f}", va="center", fontsize=7)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel("yuan")
    fig.tight_layout()
    return fig
