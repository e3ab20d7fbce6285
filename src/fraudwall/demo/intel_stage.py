"""The demo's intelligence stage: mule accounts, fraud numbers, fraud texts, malicious
apps, fraud domains and gangs found in the history, and what listing them changes.

It runs the way a deployment would: the batch detectors (the models shipped with the
package, trained on a world of another seed) look at the history up to a day (`cut_share`
of the world's days) and list what they flag on the risk lists from then on; the engine is
then replayed with those lists (the same replay as the engine stage, with the police's
stop-payments in the same timeline), so a transfer to a listed account or a call from a
listed number after that day is decided differently. The engine blocks on a detector's
listing only at confidence `ENGINE_CONFIDENCE` or more: everything flagged is listed (for
the risk check and the analysts), the surest part is acted on. The funds stage carries on
from that replay, whose case groups are the gangs found here (the gangs are also handed on
as `GANGS`). The detectors are also measured on
the whole history against the truth (F1, AUPRC), and the gangs behind the reported cases
are found and compared with the true gangs (pairwise F1 over pairs of cases).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from matplotlib.figure import Figure

from fraudwall.demo.loop import LOOP, replay_with_recovery
from fraudwall.demo.stages import BarChart, DemoContext, ReportFigure, StageResult, count
from fraudwall.engine import STOP_PROBABILITY
from fraudwall.funds import GivenGroups, RecoveryPolicy
from fraudwall.intel import apps, mules, numbers, scripts, text, urls
from fraudwall.intel.entitymodel import EntityModel
from fraudwall.intel.gangs import link_cases, pairwise_f1, true_gangs
from fraudwall.intel.risklists import engine_view, entries_from_model_scores
from fraudwall.intel.shipped import shipped_engine
from fraudwall.model import DAY_MS, EVENT_TABLES, yuan

#: Listings from the detectors stay this long after the day they were made.
LISTED_FOR_MS: Final = 90 * DAY_MS
#: The engine acts on a detector's listing only at this confidence (its score) or more: the
#: listing rules block, and a blocked payment of an ordinary person is a harm too.
ENGINE_CONFIDENCE: Final = 0.9
#: The rules a listing acts through (engine/default_rules.toml).
LIST_RULES: Final = ("payee_on_risk_list", "known_fraud_caller")
BATCH_EVENTS: Final = 100_000
#: The script finder looks for scripts first sent in the last two days, as of every half day.
SCRIPTS_SINCE_MS: Final = 2 * DAY_MS
SCRIPTS_EVERY_MS: Final = DAY_MS // 2
#: The name the gangs are handed on under (`DemoContext.shared`).
GANGS: Final = "gangs"


def history_before(tables: Mapping[str, pa.Table], cut: int) -> dict[str, pa.Table]:
    """The world as it was known at `cut`: its events (and reports) before it."""
    out = dict(tables)
    for name in (*EVENT_TABLES, "reports"):
        if name in out and "ts" in out[name].column_names:
            out[name] = out[name].filter(pc.less(out[name]["ts"], cut))
    return out


def _flagged(model: EntityModel, scored: pa.Table, kind: str, source: str, cut: int) -> pa.Table:
    """What `model` flags in `scored` (its `score` table), listed from `cut` for
    `LISTED_FOR_MS` with its reasons as the evidence."""
    return entries_from_model_scores(scored, kind, model.threshold, source, cut, cut, LISTED_FOR_MS)


class IntelStage:
    """Find mules, fraud numbers (and gangs) in the history; replay the engine with them
    listed from the cut day (see the module doc)."""

    name: str = "intel"

    def __init__(self, cut_share: float = 0.5, batch_events: int = BATCH_EVENTS) -> None:
        if not 0.0 < cut_share < 1.0:
            raise ValueError(f"cut_share: must be within 0..1, got {cut_share}")
        self.cut_share = cut_share
        self.batch_events = batch_events

    def run(self, ctx: DemoContext) -> StageResult:
        tables = dict(ctx.world.tables)
        console = ctx.console

        def say(text: str) -> None:
            if console is not None:
                console.print(text)

        mule_model, number_model = mules.default_model(), numbers.default_model()
        app_model, url_model = apps.default_model(), urls.default_model()

        say("intel: scoring every account and calling number over the whole history…")
        accounts = mules.account_features(tables)
        mule_eval = mule_model.evaluate(accounts, mules.mule_labels(tables, accounts["account_id"]))
        callers = numbers.number_features(tables)
        labels = numbers.fraud_number_labels(tables, callers["number"])
        number_eval = number_model.evaluate(callers, labels)
        say("intel: classifying the world's texts (SMS, victims' narratives)…")
        texts = text.labelled_world_texts(tables)
        text_model = text.default_model()
        text_eval = text.evaluate(text_model, texts["text"].to_pylist(), texts["label"].to_pylist())
        say("intel: looking for emerging fraud scripts, as of every half day…")
        emerging = emerging_scripts(tables, text_model)
        say("intel: scoring every installed app and visited domain…")
        app_eval = apps.evaluate(app_model, tables)
        url_eval = urls.evaluate(url_model, tables)
        say("intel: linking the reported cases into gangs…")
        found = link_cases(tables)
        linked = pairwise_f1(found.group_of(), true_gangs(tables))
        ctx.shared[GANGS] = found

        start, end = _span(tables)
        cut = start + int((end - start) * self.cut_share) // DAY_MS * DAY_MS
        say(f"intel: what the detectors list from day {(cut - start) // DAY_MS}…")
        early = history_before(tables, cut)
        early_accounts = mules.account_features(early)
        early_callers = numbers.number_features(early)
        found_early = [
            (mule_model, mule_model.score(early_accounts), "account", "mules-model"),
            (number_model, number_model.score(early_callers), "number", "numbers-model"),
            (app_model, apps.score(app_model, early), apps.LIST_KIND, apps.SOURCE),
            (url_model, urls.score(url_model, early), urls.LIST_KIND, urls.SOURCE),
        ]
        listed = pa.concat_tables([_flagged(*one, cut) for one in found_early])
        view = engine_view(listed, cut, min_confidence=ENGINE_CONFIDENCE)

        say("intel: replaying the engine with the lists…")
        shipped = shipped_engine()
        result, loop = replay_with_recovery(
            tables, shipped.model, RecoveryPolicy(), STOP_PROBABILITY, self.batch_events,
            risk_lists=view, groups=GivenGroups.of_reports(found.case_groups(), source="gangs"),
            text_scorer=shipped.text_scorer,
        )  # fmt: skip
        ctx.shared[LOOP] = loop  # the funds stage carries on from this timeline
        with_lists: dict[str, Any] = result.metrics or {}
        before = ctx.results["engine"].summary if "engine" in ctx.results else {}
        by_rule = with_lists.get("by_rule", {})
        acted = {r: by_rule.get(r, {}) for r in LIST_RULES}
        kept = _intercepted(with_lists)
        kept_before = int(before.get("intercepted_fen") or 0) if before else None

        summary: dict[str, Any] = {
            "mules_f1": mule_eval["f1"],
            "mules_auprc": mule_eval["auprc"],
            "mules_precision": mule_eval["precision"],
            "mules_recall": mule_eval["recall"],
            "fraud_numbers_f1": number_eval["f1"],
            "fraud_numbers_auprc": number_eval["auprc"],
            "fraud_numbers_precision": number_eval["precision"],
            "fraud_numbers_recall": number_eval["recall"],
            "text_macro_f1": text_eval["macro_f1"],
            "text_accuracy": text_eval["accuracy"],
            "text_binary_f1": text_eval.get("binary", {}).get("macro_f1"),
            "texts": texts.num_rows,
            "emerging_scripts": emerging,
            "apps_f1": app_eval["f1"],
            "apps_auprc": app_eval["auprc"],
            "apps_precision": app_eval["precision"],
            "apps_recall": app_eval["recall"],
            "urls_f1": url_eval["f1"],
            "urls_auprc": url_eval["auprc"],
            "urls_precision": url_eval["precision"],
            "urls_recall": url_eval["recall"],
            "url_links_f1": url_eval["url_f1"],
            "gangs_pairwise_f1": linked["f1"],
            "gangs_pairwise_precision": linked["precision"],
            "gangs_pairwise_recall": linked["recall"],
            "gangs": found.gangs.num_rows,
            "gang_cases": linked["cases"],
            "largest_gangs": found.gangs.slice(0, 5).to_pylist(),
            "models": {
                "mules": mule_model.trained_on.get("source"),
                "numbers": number_model.trained_on.get("source"),
                "text": text_model.info.get("trained_on"),
                "apps": app_model.trained_on.get("source"),
                "urls": url_model.trained_on.get("source"),
            },
            "cut_day": (cut - start) // DAY_MS,
            "listed_accounts": int(np.count_nonzero(pc.equal(listed["kind"], "account"))),
            "listed_numbers": int(np.count_nonzero(pc.equal(listed["kind"], "number"))),
            "listed_apps": int(np.count_nonzero(pc.equal(listed["kind"], apps.LIST_KIND))),
            "listed_domains": int(np.count_nonzero(pc.equal(listed["kind"], urls.LIST_KIND))),
            "engine_confidence": ENGINE_CONFIDENCE,
            "engine_listed_accounts": len(view.accounts.values),
            "engine_listed_numbers": len(view.numbers.values),
            "list_rules": {
                r: {k: v.get(k) for k in ("fired", "fired_fraud", "fired_legit", "fraud_fen")}
                for r, v in acted.items()
            },
            "intercepted_fen": kept,
            "intercepted_fen_without_lists": kept_before,
            "legit_stopped_share": with_lists.get("legit_stopped_share"),
            "legit_stopped_share_without_lists": before.get("legit_stopped_share"),
        }  # fmt: skip
        rows = [
            ("mule accounts: F1 / AUPRC", f"{mule_eval['f1']:.3f} / {mule_eval['auprc']:.3f}"),
            (
                "fraud numbers: F1 / AUPRC",
                f"{number_eval['f1']:.3f} / {number_eval['auprc']:.3f}",
            ),
            (
                "fraud texts: macro-F1 of the types / fraud vs normal",
                f"{text_eval['macro_f1']:.3f} / {_f1(summary['text_binary_f1'])}",
            ),
            (
                "emerging scripts: new found / true (median days); reported at the end",
                f"{emerging['found']} / {emerging['true']} "
                f"({_days(emerging['median_days_to_find'])}); {emerging['reported']}",
            ),
            ("malicious apps: F1 / AUPRC", f"{app_eval['f1']:.3f} / {app_eval['auprc']:.3f}"),
            ("fraud domains: F1 / AUPRC", f"{url_eval['f1']:.3f} / {url_eval['auprc']:.3f}"),
            (
                "gangs behind the reported cases (pairwise F1)",
                f"{count(found.gangs.num_rows)} ({_f1(linked['f1'])})",
            ),
            (
                f"listed from day {summary['cut_day']} (accounts, numbers, apps, domains)",
                ", ".join(count(summary[f"listed_{k}"])
                          for k in ("accounts", "numbers", "apps", "domains")),
            ),
            *[
                (f"{rule} fired (on fraud)", f"{count(v.get('fired') or 0)} "
                 f"({count(v.get('fired_fraud') or 0)})")
                for rule, v in acted.items()
            ],
            (
                "victims' money intercepted: without → with the lists",
                f"{yuan(kept_before or 0)} → {yuan(kept)}",
            ),
        ]  # fmt: skip
        bars = [
            BarChart(
                "detectors on the whole history (F1)",
                [
                    ("mule accounts", float(mule_eval["f1"]), f"{mule_eval['f1']:.3f}"),
                    ("fraud numbers", float(number_eval["f1"]), f"{number_eval['f1']:.3f}"),
                    ("texts (macro)", float(text_eval["macro_f1"]), f"{text_eval['macro_f1']:.3f}"),
                    ("malicious apps", float(app_eval["f1"]), f"{app_eval['f1']:.3f}"),
                    ("fraud domains", float(url_eval["f1"]), f"{url_eval['f1']:.3f}"),
                ],
            )
        ]
        figures = []
        if found.gangs.num_rows:
            top = found.gangs.slice(0, 1).to_pylist()[0]
            figures.append(
                ReportFigure(
                    f"The largest gang: {top['cases']} reported cases, {yuan(top['loss_fen'])}",
                    draw_gang(found.graph, top["gang_id"]),
                    "Victims' reports (red) tied to the accounts they paid (blue), the devices "
                    "and IPs running them (green) and the money's next hops, within two steps "
                    "of a report; ordinary hubs cut.",
                )
            )
        return StageResult(
            "Intelligence: mules, fraud numbers, texts, apps, domains, gangs",
            summary,
            rows,
            bars=bars,
            figures=figures,
        )


def emerging_scripts(
    tables: Mapping[str, pa.Table], model: text.TextModel, every_ms: int = SCRIPTS_EVERY_MS
) -> dict[str, Any]:
    """The script finder against the world's truth: its true new scripts (`true`), how many
    it found (`found`) and the median days from a script's first message to the first half day
    as of which it was found; and how many emerging scripts it reports at the world's end
    (`reported`), over the last `SCRIPTS_SINCE_MS`."""
    corpus = scripts.build_corpus(tables["sms"], model, tables.get("phones"))
    truth = scripts.script_truth(tables)
    if not len(corpus.ts):
        return {"found": 0, "true": 0, "median_days_to_find": None, "reported": 0}
    first, last = int(corpus.ts.min()), int(corpus.ts.max())
    times = [*range(first + every_ms, last, every_ms), last]
    timed = scripts.time_to_find(corpus, truth, times, SCRIPTS_SINCE_MS)
    at_end = scripts.find_emerging_scripts(corpus, last, SCRIPTS_SINCE_MS)
    return {
        "found": timed["found"],
        "true": timed["true"],
        "median_days_to_find": timed["median_days_to_find"],
        "reported": at_end.scripts.num_rows,
        "scripts": timed["scripts"],
    }


def _days(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} d"


def _f1(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


_COLOURS: Final = {"report": "#e03131", "account": "#1c7ed6", "device": "#2b8a3e",
                   "ip": "#37b24d", "number": "#f08c00"}  # fmt: skip


def draw_gang(graph: Any, gang_id: str, steps: int = 2, most: int = 400) -> Figure:
    """One gang's reports and what lies within `steps` of them (at most `most` nodes),
    laid out by force (seeded)."""
    import igraph as ig

    gang = graph.subgraph([v.index for v in graph.vs if v["gang"] == gang_id])
    reports = [v.index for v in gang.vs if v["kind"] == "report"]
    near = sorted({u for r in reports for u in gang.neighborhood(r, order=steps)})[:most]
    core: ig.Graph = gang.subgraph(near)
    start = np.random.default_rng(0).random((len(core.vs), 2)).tolist()  # the same picture each run
    layout = core.layout_fruchterman_reingold(seed=start, niter=300)
    xy = np.asarray(layout.coords) if len(core.vs) else np.zeros((0, 2))
    fig = Figure(figsize=(8, 6))
    ax = fig.subplots()
    for a, b in core.get_edgelist():
        ax.plot(*xy[[a, b]].T, color="#adb5bd", linewidth=0.4, zorder=1)
    for kind, colour in _COLOURS.items():
        at = [v.index for v in core.vs if v["kind"] == kind]
        if at:
            size = 40 if kind == "report" else 12
            ax.scatter(xy[at, 0], xy[at, 1], s=size, color=colour, label=kind, zorder=2)
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    ax.set_axis_off()
    return fig


def _span(tables: Mapping[str, pa.Table]) -> tuple[int, int]:
    """The first and the last event time of the world."""
    times = [tables[n]["ts"] for n in EVENT_TABLES if n in tables and tables[n].num_rows]
    first = min(int(pc.min(t).as_py()) for t in times)
    last = max(int(pc.max(t).as_py()) for t in times)
    return first, last


def _intercepted(metrics: Mapping[str, Any]) -> int:
    return sum(int(b["intercepted_fen"]) for b in metrics.get("by_fraud_type", {}).values())


__all__ = ["IntelStage", "emerging_scripts", "history_before"]
