"""Training the engine's model from labelled history (`fraudwall train`).

The features a model learns from must be the ones the engine computes live, in the same
order of events, so training replays the history through the engine and keeps each
batch's features. Contacts come first: whether a payer was "called by a risky number"
depends on how the engine judged that call, so the call and SMS models are trained on a
first replay (rules alone), and the transfer model on a second replay that uses them.

Labels: a transfer is positive when the truth names it a victim's payment to fraud; a
call or SMS when it came from a fraud number. Laundering hops and bait payments are left
out of the transfer model's training (they are neither a victim paying nor ordinary life).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.engine.engine import Engine
from fraudwall.engine.featureset import MODEL_FEATURES
from fraudwall.engine.priority import CallPriority, stack
from fraudwall.engine.repeats import split_repeats
from fraudwall.engine.rules import RuleSet
from fraudwall.engine.scorer import EngineModel, KindModel
from fraudwall.engine.scoring import Scorer, feature_matrix, fit_kind
from fraudwall.engine.stream import time_batches
from fraudwall.engine.warning_metrics import AtRisk
from fraudwall.engine.warnings import WarningPolicy
from fraudwall.model import EVENT_TABLES, Role, TextScorer

Progress = Callable[[int], None]  # called with the number of events just processed

POSITIVE = {"transfer": Role.FRAUD_PAYMENT, "call": Role.FRAUD_CONTACT, "sms": Role.FRAUD_CONTACT}
LEFT_OUT = {"transfer": (Role.LAUNDERING, Role.BAIT_PAYMENT)}


def collect(
    tables: Mapping[str, pa.Table],
    kinds: tuple[str, ...],
    model: EngineModel | None = None,
    rules: RuleSet | None = None,
    batch_events: int = 100_000,
    progress: Progress | None = None,
    text_scorer: TextScorer | None = None,
) -> dict[str, tuple[np.ndarray, pa.Array, np.ndarray]]:
    """Replay the history; per kind, (feature matrix, event ids, ts) of every event."""
    engine = Engine.for_world(tables, rules=rules, model=model, text_scorer=text_scorer)
    got: dict[str, list[tuple[np.ndarray, pa.Array, np.ndarray]]] = {k: [] for k in kinds}
    for batch in time_batches(tables, batch_events):
        result = engine.process(batch, keep_features=True, explain=False)
        for kind in kinds:
            if kind in result.features:
                ids = result.event_ids[kind]
                x = feature_matrix(MODEL_FEATURES[kind], result.features[kind])
                got[kind].append((x, ids, result.taken[_table_of(kind)]["ts"].to_numpy()))
        if progress is not None:
            progress(batch.size)
    out = {}
    for kind, parts in got.items():
        if parts:
            x = np.concatenate([p[0] for p in parts])
            ids = pa.concat_arrays(
                [
                    pa.array(p[1])
                    if not isinstance(p[1], pa.ChunkedArray)
                    else p[1].combine_chunks()
                    for p in parts
                ]
            )
            ts = np.concatenate([p[2] for p in parts])
            out[kind] = (x, ids, ts)
    return out


def _table_of(kind: str) -> str:
    return {"transfer": "transfers", "call": "calls", "sms": "sms"}[kind]


def labels(kind: str, event_ids: pa.Array, truth: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """(y, used): y = 1 for the kind's positives; used = False for rows left out."""
    entity = {"transfer": "transfer", "call": "call", "sms": "sms"}[kind]
    rows = truth.filter(pc.equal(truth["entity_kind"], entity))
    positive = rows.filter(pc.equal(rows["role"], POSITIVE[kind].value))["entity_id"]
    y = pc.is_in(event_ids, value_set=positive).to_numpy(zero_copy_only=False).astype(np.int8)
    used = np.ones(len(y), bool)
    left = [r.value for r in LEFT_OUT.get(kind, ())]
    if left:
        out = rows.filter(pc.is_in(rows["role"], value_set=pa.array(left)))["entity_id"]
        used = ~pc.is_in(event_ids, value_set=out).to_numpy(zero_copy_only=False)
    return y, used


def train(
    tables: Mapping[str, pa.Table],
    rules: RuleSet | None = None,
    budgets: Mapping[str, Mapping[str, float]] | None = None,
    batch_events: int = 100_000,
    progress: Progress | None = None,
    scorer: type[Scorer] = KindModel,
    text_scorer: TextScorer | None = None,
) -> tuple[EngineModel, dict[str, Any]]:
    """Train call, SMS and transfer models (of the `scorer` type, LightGBM's by default)
    from a world's tables (which include `truth`), each event once: repeats of an event id
    are left out first (`repeats.split_repeats`; the report's `repeats` counts them).

    With a `text_scorer`, the SMS model learns from its fraud probability of each text
    (`sms_fraud_probability`), and the model then needs a text scorer to decide
    (`EngineModel.needs_text_scorer`); without one, that feature is unknown throughout
    and the model learns nothing from it (`trained_on.text_scorer` says which)."""
    if "truth" not in tables:
        raise ValueError("truth: the training history needs a truth table (labels)")
    truth = tables["truth"]
    # whether it reads a text scorer is known from the start: the transfer model and the
    # call priority are fitted on replays that decide with the contact models
    model = EngineModel(trained_on={"text_scorer": text_scorer is not None})
    report: dict[str, Any] = {}
    split = split_repeats({n: tables[n] for n in EVENT_TABLES if n in tables})
    if split.n_duplicates or split.rejected.num_rows:
        tables = {**tables, **split.tables}
        report["repeats"] = {
            "duplicates": split.n_duplicates,
            "rejected": split.rejected.num_rows,
            "reasons": split.rejected["reason"].to_pylist()[:5],
        }

    def fit(kind: str, data: tuple[np.ndarray, pa.Array, np.ndarray]) -> None:
        x, ids, ts = data
        y, used = labels(kind, ids, truth)
        kind_budgets = None if budgets is None else budgets.get(kind)
        model.kinds[kind], report[kind] = fit_kind(
            scorer, kind, x[used], y[used], ts[used], kind_budgets
        )

    first = collect(tables, ("call", "sms"), None, rules, batch_events, progress, text_scorer)
    for kind, data in first.items():
        fit(kind, data)
    second = collect(tables, ("transfer",), model, rules, batch_events, progress, text_scorer)
    if "transfer" not in second:
        raise ValueError("transfers: the training history has no transfers")
    fit("transfer", second["transfer"])
    if all(name in tables for name in ("people", "phones", "cases")):
        model.call_priority, report["call_priority"] = fit_call_priority(
            tables, model, rules, batch_events, progress, text_scorer
        )
    model.trained_on = {
        "events": int(sum(t.num_rows for t in tables.values())),
        "text_scorer": text_scorer is not None,
        **report,
    }
    return model, report


def fit_call_priority(
    tables: Mapping[str, pa.Table],
    model: EngineModel,
    rules: RuleSet | None = None,
    batch_events: int = 100_000,
    progress: Progress | None = None,
    text_scorer: TextScorer | None = None,
) -> tuple[CallPriority, dict[str, Any]]:
    """Replay the history with the model and fit who among the warning candidates was
    truly at risk then (`engine.priority`); report how the default floors do on it."""
    engine = Engine.for_world(tables, rules=rules, model=model, text_scorer=text_scorer)
    risk = AtRisk(tables)
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    for batch in time_batches(tables, batch_events):
        result = engine.process(batch, keep_features=True, explain=False)
        if result.candidates is not None:
            x, person, ts = result.candidates
            xs.append(x)
            ys.append(risk.at(person, ts))
        if progress is not None:
            progress(batch.size)
    x = stack(xs)
    y = np.concatenate(ys) if ys else np.zeros(0, bool)
    priority = CallPriority.fit(x, y)
    score = priority.score(x)
    policy = WarningPolicy()
    report: dict[str, Any] = {"candidates": len(y), "at_risk": int(y.sum())}
    for name, floor in (("call", policy.call_floor), ("warn", policy.warn_floor)):
        above = score >= floor
        report[f"{name}_floor"] = floor
        report[f"{name}_candidates"] = int(above.sum())
        report[f"{name}_precision"] = float(y[above].mean()) if above.any() else None
    return priority, report
