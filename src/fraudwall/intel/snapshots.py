"""Training on a world as it was known at several times (snapshots).

A detector is used part-way through a history (the demo lists what it finds at
mid-history; a deployment scores every night), when an app or a domain has been seen
for days, not weeks. Trained on the whole history only, it learns the scale of that one
moment — "first seen in the first hour of 30 days" means ordinary — and a model that
reads that scale mistakes every ordinary site for a new one a fortnight in. So
`fit_on_snapshots` reads the world a third, two thirds and all the way through
(`SNAPSHOTS`), stacks the feature rows, and fits one `EntityModel` on them with the
held-out split by entity (an entity's snapshots stay on one side).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.intel.entitymodel import EntityModel

#: How far through the history each snapshot reads (1.0: all of it).
SNAPSHOTS: Final = (1 / 3, 2 / 3, 1.0)
#: Each snapshot is also read with the events of only this share of the devices (a
#: smaller population): an ordinary app with a dozen installers is as noisy as a fraud
#: app with three, and the model learns what is noise at every size.
THINNED: Final = 0.15
#: The tables whose times make the history's span.
HISTORY_TABLES: Final = ("transfers", "calls", "sms", "app_installs", "url_visits", "logins")

Progress = Callable[[str, float], None]
Features = Callable[..., pa.Table]  # (tables, *, as_of, progress) -> one row per entity
Labels = Callable[[Mapping[str, pa.Table], pa.ChunkedArray], np.ndarray]


def snapshot_times(
    tables: Mapping[str, pa.Table], shares: Sequence[float] = SNAPSHOTS
) -> list[int | None]:
    """The times `shares` of the way through the history (1.0 and over: None, all of it)."""
    spans = [
        (int(pc.min(t["ts"]).as_py()), int(pc.max(t["ts"]).as_py()))
        for name in HISTORY_TABLES
        if (t := tables.get(name)) is not None and "ts" in t.column_names and t.num_rows
    ]
    if not spans:
        return [None]
    lo, hi = min(a for a, _ in spans), max(b for _, b in spans)
    return [None if share >= 1.0 else lo + int((hi - lo) * share) for share in shares]


def thin(tables: Mapping[str, pa.Table], events: str, share: float) -> dict[str, pa.Table]:
    """`tables` with the rows of `events` of about `share` of the devices only (chosen by a
    hash of the device id, the same every run)."""
    table = tables[events]
    devices = pc.unique(table["device_id"].cast(pa.string()).combine_chunks()).drop_null()
    kept = [d for d in devices.to_pylist() if zlib.crc32(d.encode()) % 1000 < share * 1000]
    keep = pc.is_in(table["device_id"].cast(pa.string()), pa.array(kept, pa.string()))
    return {**tables, events: table.filter(keep)}


def fit_on_snapshots(
    kind: str,
    key: str,
    tables: Mapping[str, pa.Table],
    features_of: Features,
    labels_of: Labels,
    *,
    features: Sequence[str],
    params: Mapping[str, Any] | None = None,
    seed: int = 0,
    source: str = "",
    progress: Progress | None = None,
    shares: Sequence[float] = SNAPSHOTS,
    events: str | None = None,
    thinned: float | None = THINNED,
) -> EntityModel:
    """An `EntityModel` of `kind` fitted on the world's snapshots (see the module doc);
    with `events` (the table of the detector's events, with a `device_id`) and `thinned`,
    each snapshot is read a second time with the events of that share of the devices
    only. Its `trained_on` counts the entities and positives once each (`rows`: all
    snapshots)."""
    step = progress or _quiet
    times = snapshot_times(tables, shares)
    worlds: list[tuple[Mapping[str, pa.Table], int | None]] = []
    if events is not None and thinned is not None and events in tables:
        small = thin(tables, events, thinned)
        worlds += [(small, as_of) for as_of in times]
    worlds += [(tables, as_of) for as_of in times]  # the whole world last
    parts = []
    for i, (world, as_of) in enumerate(worlds):

        def within(name: str, fraction: float, i: int = i) -> None:
            step(name, 0.8 * (i + fraction) / len(worlds))

        parts.append(features_of(world, as_of=as_of, progress=within))
    stacked = pa.concat_tables(parts)
    labels = labels_of(tables, stacked[key])
    step("fit", 0.8)
    model = EntityModel.fit(
        kind, key, stacked, labels, features=features, seed=seed, source=source,
        params=params, groups=np.asarray(stacked[key].to_numpy(zero_copy_only=False)),
    )  # fmt: skip
    whole = labels[-parts[-1].num_rows :]  # the last snapshot: every entity, once
    model.trained_on.update(
        rows=len(labels), entities=len(whole), positives=int(whole.sum()),
        snapshots=[round(s, 4) for s in shares], thinned=thinned if events else None,
    )  # fmt: skip
    step("fit", 1.0)
    return model


def _quiet(step: str, fraction: float) -> None:
    """No progress to show."""


__all__ = ["HISTORY_TABLES", "SNAPSHOTS", "THINNED", "fit_on_snapshots", "snapshot_times", "thin"]
