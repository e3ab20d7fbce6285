"""What each fraud SMS of a simulated world truly is, for the evaluation of the finder.

A world with script drift records it: its truth rows of SMS carry a `script_id`, and its
table `scripts` says each script's family, kind (``base``, ``new_family``,
``new_variant``) and start. A world without them is read as one script per fraud type,
the type its family, starting at the type's first SMS, of kind ``base``. This adapter is
the one place that knows both shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.model import EntityKind

__all__ = ["BASE", "SCRIPT_TRUTH_SCHEMA", "script_truth"]

BASE: Final = "base"
SCRIPT_TRUTH_SCHEMA: Final = pa.schema(
    [
        ("event_id", pa.string()),
        ("ts", pa.int64()),
        ("script_id", pa.string()),
        ("family_id", pa.string()),
        ("fraud_type", pa.string()),
        ("kind", pa.string()),
        ("start_ts", pa.int64()),
    ]
)


def script_truth(tables: Mapping[str, pa.Table]) -> pa.Table:
    """One row per fraud SMS of the world (`SCRIPT_TRUTH_SCHEMA`): its time, script, family,
    fraud type, the script's kind and start (see the module doc)."""
    truth, sms = tables["truth"], tables["sms"]
    marked = truth.filter(
        pc.and_(
            pc.equal(truth["entity_kind"], EntityKind.SMS.value), pc.is_valid(truth["fraud_type"])
        )
    )
    ts_of = dict(zip(sms["event_id"].to_pylist(), sms["ts"].to_pylist(), strict=True))
    events = marked["entity_id"].to_pylist()
    keep = [e in ts_of for e in events]
    events = [e for e, k in zip(events, keep, strict=True) if k]
    types = [t for t, k in zip(marked["fraud_type"].to_pylist(), keep, strict=True) if k]
    ts = np.array([ts_of[e] for e in events], np.int64)
    if "script_id" in marked.column_names and "scripts" in tables:
        given = [s for s, k in zip(marked["script_id"].to_pylist(), keep, strict=True) if k]
    else:
        given = [None] * len(events)
    script = [s if s is not None else t for s, t in zip(given, types, strict=True)]
    first: dict[str, int] = {}
    for s, t in zip(script, ts.tolist(), strict=True):
        first[s] = min(first.get(s, t), t)
    known: dict[str, tuple[str, str, int]] = {}
    if "scripts" in tables:
        table = tables["scripts"]
        for row in table.select(["script_id", "family_id", "kind", "start_ts"]).to_pylist():
            known[row["script_id"]] = (row["family_id"], row["kind"], int(row["start_ts"]))
    family, kind, start = [], [], []
    for s, t in zip(script, types, strict=True):
        f, k, st = known.get(s, (t, BASE, first[s]))
        family.append(f)
        kind.append(k)
        start.append(st)
    return pa.table(
        [events, ts, script, family, types, kind, start], schema=SCRIPT_TRUTH_SCHEMA
    ).sort_by([("ts", "ascending"), ("event_id", "ascending")])
