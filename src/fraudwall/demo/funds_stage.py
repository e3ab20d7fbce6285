"""The demo's funds stage: every reported case through the recovery chain, against the truth.

Each report opens a case when it arrives; the case's group is traced (LIBR, 6 hops) as the
ledger stood then; every account still holding victims' money gets a stop-payment and a
freeze; when all reports are in, frozen money goes back under article 8. The stage
reports what tracing found of the money that truly reached mule accounts (ground truth),
what was stopped, frozen and returned, and how soon the first stop-payment went out.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from matplotlib.figure import Figure

from fraudwall.demo.flow_figure import flow_figure
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
    FlowTables,
    Recovery,
    RecoveryPolicy,
    Rule,
    Trace,
    TracedShare,
    flow_graph,
    reports_from_table,
    trace,
    traced_share,
    true_flows,
    write_flow,
)
from fraudwall.model import AccountKind, EntityKind, OrderKind, Role, yuan

COMPARED_RULES = (Rule.LIFO, Rule.LIBR, Rule.FIFO, Rule.HAIRCUT, Rule.POISON)


def _sinks(accounts: pa.Table) -> set[str]:
    kinds = pa.array([AccountKind.EXTERNAL.value, AccountKind.MERCHANT.value])
    return set(
        accounts.filter(pc.is_in(accounts["kind"], value_set=kinds))["account_id"].to_pylist()
    )


def _truth_case_of(truth: pa.Table) -> dict[str, str]:
    """Transfer event id -> true case id, for the victims' payments."""
    rows = truth.filter(
        pc.and_(
            pc.equal(truth["entity_kind"], EntityKind.TRANSFER.value),
            pc.equal(truth["role"], Role.FRAUD_PAYMENT.value),
        )
    )
    return dict(zip(rows["entity_id"].to_pylist(), rows["case_id"].to_pylist(), strict=True))


def _per_transfer(result: Trace, victim: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for h in result.hops:
        if h.victim == victim:
            out[h.event_id] = out.get(h.event_id, 0) + h.fen
    return out


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
        recovery = Recovery(tables, policy)
        reports = reports_from_table(tables["reports"])
        rounds = recovery.take_reports(reports)
        end_ts = int(pc.max(tables["transfers"]["ts"]).as_py() or 0)
        returned = recovery.returns(end_ts)

        # what tracing found at each case's own report, against the truth
        truth_case = _truth_case_of(tables["truth"])
        flows = true_flows(tables["truth"], tables["transfers"], _sinks(tables["accounts"]))
        first_trace: dict[str, tuple[int, Trace]] = {}
        for rnd in rounds:
            for victim in rnd.trace.victims:
                first_trace.setdefault(victim, (rnd.trace.end_ts or rnd.at_ts, rnd.trace))
        cases = recovery.cases
        # each case traced alone at its report, with no orders in force: the truth has none
        by_rule = self._compare_rules(recovery, first_trace, truth_case, flows)
        headline = by_rule[str(policy.rule)]
        share = TracedShare(headline["found_fen"], headline["true_fen"])

        book = recovery.orders
        stops = book.orders(kind=OrderKind.STOP_PAYMENT)
        applied = [o for o in stops if o.applied_ts is not None]
        stopped_fen = sum(o.amount_fen for o in applied)
        frozen_fen = sum(f.amount_fen for f in recovery.freezes)
        returned_fen = sum(o.amount_fen for o in returned)
        loss_fen = sum(c.loss_fen for c in cases.values())
        waits = [
            recovery.first_stop_ts[c] - cases[c].report_ts
            for c in cases
            if c in recovery.first_stop_ts
        ]
        gone = self._gone_by_kind(first_trace)
        states: dict[str, int] = {}
        for o in stops:
            states[str(o.state)] = states.get(str(o.state), 0) + 1
        rules_used: dict[str, int] = {}
        for e in recovery.audit:
            if e.action == "return_planned" and "rule" in e.figures:
                rules_used[str(e.figures["rule"])] = rules_used.get(str(e.figures["rule"]), 0) + 1
        summary: dict[str, Any] = {
            "cases": len(cases),
            "groups": len({c.group_id for c in cases.values()}),
            "rejected_reports": len(tables["reports"]) - len(cases),
            "rule": str(policy.rule),
            "max_hops": policy.max_hops,
            "traced_share": share.share,
            "traced_fen": share.found_fen,
            "truly_into_mules_fen": share.true_fen,
            "traced_share_by_rule": by_rule,
            "gone_by_kind_fen": gone,
            "stop_orders": len(stops),
            "stop_orders_by_state": states,
            "stopped_fen": stopped_fen,
            "frozen_fen": frozen_fen,
            "returned_fen": returned_fen,
            "return_orders": len(returned),
            "return_rounds_by_rule": rules_used,
            "reported_loss_fen": loss_fen,
            "returned_share": returned_fen / loss_fen if loss_fen else None,
            "median_ms_to_first_stop": statistics.median(waits) if waits else None,
            "cases_with_a_stop": len(waits),
            "audit_entries": len(recovery.audit),
        }
        paths, figure = self._largest_case(ctx, recovery)
        found_text = f"{yuan(share.found_fen)} ({percent(share.share or 0)})"
        returned_text = (
            f"{yuan(returned_fen)} ({percent(summary['returned_share'] or 0)} of losses)"
        )
        rows = [
            ("cases opened (groups)", f"{count(len(cases))} ({count(summary['groups'])})"),
            ("reported losses", yuan(loss_fen)),
            ("victims' money moved into mules (all hops)", yuan(share.true_fen)),
            (f"found by tracing ({policy.rule}, {policy.max_hops} hops)", found_text),
            ("stop-payment orders", f"{count(len(stops))} ({count(len(applied))} applied)"),
            ("stopped", yuan(stopped_fen)),
            ("frozen", yuan(frozen_fen)),
            ("returned to victims", returned_text),
            ("median time report → first stop", _ms(summary["median_ms_to_first_stop"])),
        ]
        rows += [
            (f"fund-flow table ({k})", str(p)) for k, p in paths.items() if k in ("xlsx", "graph")
        ]
        rule_table = TableBlock(
            title="Victims' money moved into mule accounts (every hop, ground truth) found by "
            "tracing, by rule, at each report",
            columns=["rule", "found", "share"],
            rows=[[r, yuan(v["found_fen"]), percent(v["share"] or 0)] for r, v in by_rule.items()],
        )
        order_table = TableBlock(
            title="Stop-payment orders by the banks' answers",
            columns=["state", "orders"],
            rows=[[s, count(n)] for s, n in sorted(states.items())],
        )
        bars = [
            BarChart(
                "Victims' money: reported, gone before the report, stopped, frozen, returned",
                [
                    ("reported losses", loss_fen / 100, yuan(loss_fen)),
                    ("gone before report", sum(gone.values()) / 100, yuan(sum(gone.values()))),
                    ("stopped", stopped_fen / 100, yuan(stopped_fen)),
                    ("frozen", frozen_fen / 100, yuan(frozen_fen)),
                    ("returned", returned_fen / 100, yuan(returned_fen)),
                ],
            )
        ]
        figures = [
            ReportFigure(
                "Victims' money through the recovery chain",
                _chain_figure(
                    [
                        loss_fen,
                        sum(gone.values()),
                        stopped_fen,
                        frozen_fen,
                        returned_fen,
                    ]
                ),
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

    def _compare_rules(
        self,
        recovery: Recovery,
        first_trace: Mapping[str, tuple[int, Trace]],
        truth_case: Mapping[str, str],
        flows: Mapping[str, Any],
    ) -> dict[str, dict[str, Any]]:
        """The same measure under every rule: each case traced alone at its report."""
        out: dict[str, dict[str, Any]] = {}
        for rule in COMPARED_RULES:
            found: dict[str, tuple[int, Mapping[str, int]]] = {}
            for cid, (at, _) in first_trace.items():
                case = recovery.cases[cid]
                true_case = next(
                    (truth_case[t] for t in case.transfer_ids if t in truth_case), None
                )
                if true_case is None:
                    continue
                result = trace(
                    recovery.ledger,
                    [(cid, t) for t in case.transfer_ids],
                    rule,
                    max_hops=recovery.policy.max_hops,
                    window_ms=recovery.policy.window_ms,
                    until_ts=at,
                )
                found[true_case] = (at, _per_transfer(result, cid))
            s = traced_share(flows, found, recovery.policy.max_hops)
            out[str(rule)] = {"found_fen": s.found_fen, "true_fen": s.true_fen, "share": s.share}
        return out

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
    ) -> tuple[dict[str, Any], ReportFigure | None]:
        """The fund-flow table and graph of the group with the largest loss."""
        if not recovery.traces:
            return {}, None
        loss: dict[str, int] = {}
        for c in recovery.cases.values():
            loss[c.group_id] = loss.get(c.group_id, 0) + c.loss_fen
        group = max(recovery.traces, key=lambda g: (loss.get(g, 0), g))
        _, result = recovery.traces[group]
        tables = result.to_tables()
        amount_of = {
            h.event_id: int(recovery.ledger.amount[recovery.ledger.transfer(h.event_id)])
            for h in result.hops
        }
        flow = FlowTables(
            tables.hops, tables.holdings, tables.exits, recovery.institution_of, amount_of
        )
        meta = {"case_id": group, "rule": str(result.rule), "max_hops": result.max_hops}
        paths = write_flow(ctx.out_dir / "funds" / group, flow, result.paid, meta)
        graph = flow_graph(flow, result.paid, meta)
        members = len(recovery.group(group))
        figure = ReportFigure(
            f"Fund-flow graph of case group {group} ({members} cases)",
            flow_figure(graph),
            "Accounts in columns by hop; arrows carry the victims' money with its amount; "
            "red: money leaving the system; green ring: money still held (frozen).",
        )
        return paths, figure


def _ms(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


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
