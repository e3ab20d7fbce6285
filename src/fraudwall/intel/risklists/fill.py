"""Entries from what finds fraud: a detector's scores, and the cases victims reported.

Both build a table of entries column-wise (`ENTRY_SCHEMA`, to `RiskListStore.add`):

- `entries_from_scores`: the values a detector (the mule model, the fraud-number model)
  scores at or over its threshold, the score as the confidence, its reasons as the
  evidence, seen over the span the detector looked at, kept for `keep_ms` after the last
  sighting;
- `entries_from_model_scores`: the same from an `EntityModel.score` table, the
  reasons written as JSON evidence — what every detector's listing goes through;
- `entries_from_cases`: the accounts victims paid in accepted cases (`model.CaseFile`:
  the payees of the transfers a case names), as "confirmed-case", seen from the first
  such payment to the last, with the cases and what they paid as the evidence.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.errors import InputError
from fraudwall.intel.risklists.entries import ENTRY_SCHEMA, ListKind, list_kind
from fraudwall.model import DAY_MS

CASE_SOURCE: Final = "confirmed-case"
CASE_KEEP_MS: Final = 365 * DAY_MS
"""How long a case's payee stays listed after its last payment by default: a year."""


def entries_from_scores(
    kind: ListKind | str,
    values: Sequence[str] | pa.Array,
    scores: np.ndarray,
    threshold: float,
    source: str,
    first_seen_ts: np.ndarray | int,
    last_seen_ts: np.ndarray | int,
    keep_ms: int,
    evidence: Sequence[str] | pa.Array | None = None,
) -> pa.Table:
    """The values scored at or over `threshold` as entries of `source` (see the module
    doc); times per value or one for all. Values are brought to their form when stored."""
    kind = list_kind(str(kind))
    scores = np.asarray(scores, np.float64)
    n = len(scores)
    if len(values) != n or (evidence is not None and len(evidence) != n):
        raise InputError("scores", f"{n} scores for {len(values)} values")
    if keep_ms <= 0:
        raise InputError("keep_ms", f"must be positive, got {keep_ms}")
    first = np.broadcast_to(np.asarray(first_seen_ts, np.int64), (n,))
    last = np.broadcast_to(np.asarray(last_seen_ts, np.int64), (n,))
    over = np.flatnonzero(scores >= threshold)
    text = pa.array(evidence, pa.string()) if evidence is not None else pa.nulls(n, pa.string())
    return pa.table(
        {
            "kind": pa.array(np.full(len(over), kind.value, object), pa.string()),
            "value": pa.array(values, pa.string()).take(over),
            "source": pa.array(np.full(len(over), source, object), pa.string()),
            "evidence": pc.fill_null(text.take(over), ""),
            "confidence": np.clip(scores[over], 0.0, 1.0),
            "first_seen_ts": first[over],
            "last_seen_ts": last[over],
            "expires_ts": last[over] + np.int64(keep_ms),
        },
        schema=ENTRY_SCHEMA,
    )


#: How many of a flagged value's reasons its evidence names.
EVIDENCE_REASONS: Final = 3


def entries_from_model_scores(
    scored: pa.Table,
    kind: ListKind | str,
    threshold: float,
    source: str,
    first_seen_ts: np.ndarray | int,
    last_seen_ts: np.ndarray | int,
    keep_ms: int,
) -> pa.Table:
    """The values a detector flags, as entries: `scored` is an `EntityModel.score`
    table (its key first, then score, reasons), the values at or over `threshold` are
    listed as `source`'s with their score as the confidence and, as the evidence, a
    JSON object naming the detector's verdict and what raised it::

        {"score": 0.97, "threshold": 0.82,
         "reasons": [{"feature": "new_payee_48h_share", "value": 0.9}, ...]}

    One piece for every detector (mule accounts, fraud numbers, malicious apps, fraud
    domains): what they list differs only in `kind`."""
    for column in ("score", "reasons"):
        if column not in scored.column_names:
            raise InputError(f"scores.{column}", "missing column")
    values = scored.column(0).cast(pa.string())
    scores = np.asarray(scored["score"].to_numpy(zero_copy_only=False), np.float64)
    over = np.flatnonzero(scores >= threshold)
    evidence = np.full(len(scores), "", object)
    reasons = scored["reasons"].take(pa.array(over, pa.int64())).to_pylist()
    for i, why in zip(over.tolist(), reasons, strict=True):
        evidence[i] = json.dumps(
            {
                "score": round(float(scores[i]), 4),
                "threshold": round(float(threshold), 4),
                "reasons": [
                    {"feature": r["feature"], "value": round(float(r["value"]), 4)}
                    for r in (why or [])[:EVIDENCE_REASONS]
                ],
            },
            ensure_ascii=False,
        )
    return entries_from_scores(
        kind, values, scores, threshold, source, first_seen_ts, last_seen_ts, keep_ms,
        evidence=pa.array(evidence, pa.string()),
    )  # fmt: skip


def entries_from_cases(
    cases: pa.Table,
    transfers: pa.Table,
    keep_ms: int = CASE_KEEP_MS,
    confidence: float = 1.0,
) -> pa.Table:
    """The payee accounts of the transfers accepted cases name (`case_files` and the
    `transfers` they refer to), one entry per account (see the module doc)."""
    ids = pc.list_flatten(cases["transfer_ids"])
    parent = pc.list_parent_indices(cases["transfer_ids"])
    named = pa.table({"event_id": ids, "case_id": cases["case_id"].take(parent)})
    paid = named.join(transfers.select(["event_id", "ts", "to_account", "amount_fen"]), "event_id")
    per_account = paid.group_by("to_account", use_threads=False).aggregate(
        [("ts", "min"), ("ts", "max"), ("amount_fen", "sum"), ("case_id", "distinct")]
    )
    per_account = per_account.sort_by("to_account")
    n = per_account.num_rows
    evidence = [
        json.dumps({"cases": sorted(c), "paid_fen": int(f)}, ensure_ascii=False)
        for c, f in zip(
            per_account["case_id_distinct"].to_pylist(),
            per_account["amount_fen_sum"].to_pylist(),
            strict=True,
        )
    ]
    last = per_account["ts_max"].to_numpy()
    return pa.table(
        {
            "kind": pa.array([ListKind.ACCOUNT.value] * n, pa.string()),
            "value": per_account["to_account"],
            "source": pa.array([CASE_SOURCE] * n, pa.string()),
            "evidence": pa.array(evidence, pa.string()),
            "confidence": np.full(n, confidence),
            "first_seen_ts": per_account["ts_min"],
            "last_seen_ts": last,
            "expires_ts": last + np.int64(keep_ms),
        },
        schema=ENTRY_SCHEMA,
    )


__all__ = [
    "CASE_KEEP_MS",
    "CASE_SOURCE",
    "EVIDENCE_REASONS",
    "entries_from_cases",
    "entries_from_model_scores",
    "entries_from_scores",
]
