"""Backtest: stream a world's history through the engine in time order (`fraudwall replay`).

The world's events go through `Engine.process` in consecutive time batches, exactly as
they would arrive live, and every decision and warning task is kept. When the world has
ground truth, the decisions are scored against it (`engine.metrics.replay_metrics`):
precision and recall of stops and warnings, the share of fraud money intercepted or
prevented by a warning, ordinary transfers stopped, per fraud type and per rule.

Each event is taken once: the history's repeats of an event id are split off first, over
the whole history (`repeats.split_repeats`; the engine's own memory of recent events only
spans a day or two) — identical ones dropped and counted, conflicting ones rejected with
their reason, worded as `fraudwall check` words it — so the same fraud money is never
counted twice. The metrics are computed
on the events as taken.

Outputs in OUT: decisions.parquet, warnings.parquet, rejected.parquet (the conflicting
repeats), manifest.json (what the replay was made from: the world's id, the rules' and
the model's ids, and every file's checksum) and metrics.json (when there is truth; the
same ids, and the events each rule could not be evaluated on, `rule_rows_undefined`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from fraudwall.common import check_new_folder, holds_manifest_of, replace_folder, sha256_of
from fraudwall.engine.engine import DECISION_SCHEMA, WARNING_SCHEMA, BatchResult, Engine
from fraudwall.engine.metrics import replay_metrics
from fraudwall.engine.repeats import REJECTED_SCHEMA, split_repeats
from fraudwall.engine.rules import RuleSet
from fraudwall.engine.scorer import EngineModel
from fraudwall.engine.stream import EventBatch, time_batches
from fraudwall.engine.warning_metrics import warning_metrics
from fraudwall.engine.warnings import REMINDER, WarningPolicy
from fraudwall.model import DAY_MS, EVENT_TABLES, TextScorer

#: The chance that a victim who is warned before paying stops (in the simulated world).
STOP_PROBABILITY = 0.5
#: manifest.json's `kind` in a replay's folder.
REPLAY_KIND = "fraudwall replay"

Progress = Callable[[int], None]


@dataclass
class Replay:
    decisions: pa.Table
    warnings: pa.Table
    metrics: dict[str, Any] | None
    events: int
    seconds: float
    #: conflicting repeats of an event id, with their reason (`repeats.REJECTED_SCHEMA`)
    rejected: pa.Table = field(default_factory=REJECTED_SCHEMA.empty_table)
    #: what the replay was made from and how its events were taken (manifest.json)
    about: dict[str, Any] = field(default_factory=dict)


def replay(
    tables: Mapping[str, pa.Table],
    rules: RuleSet | None = None,
    model: EngineModel | None = None,
    batch_events: int = 100_000,
    stop_probability: float = STOP_PROBABILITY,
    seed: int = 0,
    progress: Progress | None = None,
    warning_policy: WarningPolicy | None = None,
    before_batch: Callable[[Engine, EventBatch], None] | None = None,
    after_batch: Callable[[EventBatch, BatchResult], None] | None = None,
    world_id: str | None = None,
    text_scorer: TextScorer | None = None,
) -> Replay:
    """Replay a world's events through a fresh engine that knows the world's entities,
    each event once (see the module doc); `world_id` is recorded with the results.

    `before_batch` and `after_batch` let another part take part in the replay's time: what
    it learnt by a batch's end (stop-payments applied, say) before the batch is decided, and
    each batch's decisions once it is absorbed. `text_scorer` reads the SMS texts
    (`model.TextScorer`; a model trained with it needs it)."""
    import time

    if not 0.0 <= stop_probability <= 1.0:
        raise ValueError(f"stop_probability: must be within 0..1, got {stop_probability}")
    split = split_repeats({n: tables[n] for n in EVENT_TABLES if n in tables})
    tables = {**tables, **split.tables}
    engine = Engine.for_world(
        tables,
        rules=rules,
        model=model,
        warning_policy=warning_policy,
        world_id=world_id,
        text_scorer=text_scorer,
    )
    decisions, warnings, rejected = [], [], [split.rejected]
    taken: dict[str, list[pa.Table]] = {n: [] for n in split.tables}
    duplicates = split.n_duplicates
    undefined: dict[str, int] = dict.fromkeys(
        (r.name for r in engine.rules.ruleset.rules if r.enabled), 0
    )
    events = 0
    t0 = time.perf_counter()
    for batch in time_batches(tables, batch_events):
        if before_batch is not None:
            before_batch(engine, batch)
        result = engine.process(batch)
        if after_batch is not None:
            after_batch(batch, result)
        decisions.append(result.decisions)
        warnings.append(result.warnings)
        rejected.append(result.rejected)
        duplicates += result.duplicates
        for name, table in result.taken.items():
            taken.setdefault(name, []).append(table)
        for rule, n in result.rule_rows_undefined.items():
            undefined[rule] = undefined.get(rule, 0) + n
        events += batch.size
        if progress is not None:
            progress(batch.size)
    seconds = time.perf_counter() - t0
    d = pa.concat_tables(decisions) if decisions else DECISION_SCHEMA.empty_table()
    w = pa.concat_tables(warnings) if warnings else WARNING_SCHEMA.empty_table()
    tables = {**tables, **{n: pa.concat_tables(parts) for n, parts in taken.items() if parts}}
    refused = pa.concat_tables(rejected)
    about = {
        "world_id": world_id,
        "rules_id": engine.rules.ruleset.digest,
        "rules_version": engine.rules.ruleset.version,
        "model_id": engine.model.model_id,
        "events": events,
        "duplicates": duplicates,
        "rejected": refused.num_rows,
    }
    metrics = None
    if all(name in tables for name in ("truth", "transfers", "accounts")):
        reminders = pc.equal(w["channel"], REMINDER)
        metrics = replay_metrics(
            d,
            w.filter(pc.invert(reminders)),
            tables["transfers"],
            tables["truth"],
            tables["accounts"],
            stop_probability=stop_probability,
            seed=seed,
        )
        if all(name in tables for name in ("people", "phones", "cases")):
            metrics.update(warning_metrics(w, dict(tables), _days(tables)))
        metrics["seconds"] = round(seconds, 3)
        metrics["events_per_s"] = round(events / seconds, 1) if seconds > 0 else None
        metrics["model"] = bool(engine.model.kinds)
        metrics["rule_rows_undefined"] = undefined
        metrics.update(about)
    return Replay(d, w, metrics, events, seconds, refused, about)


def _days(tables: Mapping[str, pa.Table]) -> float:
    """The days the world's events span (at least one)."""
    spans = [pc.min_max(tables[n]["ts"]).as_py() for n in EVENT_TABLES if n in tables]
    spans = [m for m in spans if m["min"] is not None]
    if not spans:
        return 1.0
    lo, hi = min(m["min"] for m in spans), max(m["max"] for m in spans)
    return max((hi - lo) / DAY_MS, 1.0)


def is_replay_folder(folder: Path) -> bool:
    """Whether a replay may be written over `folder`: empty, or an earlier replay."""
    return holds_manifest_of(folder, REPLAY_KIND)


def check_replay_folder(out: Path | str, option: str = "") -> Path:
    """Refuse, before the replay, a place its results could not be written (a file, a
    folder that cannot be written, or one holding something other than a replay)."""
    return check_new_folder(
        Path(out), force=True, may_replace=is_replay_folder, what="a replay", option=option
    )


def write_replay(result: Replay, out: Path | str) -> Path:
    """Write decisions.parquet, warnings.parquet, rejected.parquet, (with truth)
    metrics.json and manifest.json to `out` (see the module doc), all at once: an earlier
    replay there is replaced whole, a folder holding anything else is refused."""
    directory = Path(out)
    with replace_folder(
        directory, force=True, may_replace=is_replay_folder, what="a replay"
    ) as staging:
        _write_replay(result, staging)
    return directory


def _write_replay(result: Replay, directory: Path) -> None:
    tables = {
        "decisions": result.decisions,
        "warnings": result.warnings,
        "rejected": result.rejected,
    }
    files: dict[str, dict[str, Any]] = {}
    for name, table in tables.items():
        path = directory / f"{name}.parquet"
        pq.write_table(table, path, write_page_checksum=True)
        files[path.name] = {"rows": table.num_rows, "sha256": sha256_of(path)}
    if result.metrics is not None:
        metrics = directory / "metrics.json"
        metrics.write_text(json.dumps(result.metrics, ensure_ascii=False, indent=2) + "\n")
        files[metrics.name] = {"sha256": sha256_of(metrics)}
    manifest = {"kind": REPLAY_KIND, **result.about, "files": files}
    text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True)
    (directory / "manifest.json").write_text(text + "\n")
