"""What the intelligence part found, as the service keeps and serves it.

The detectors (`intel.mules`, `intel.numbers`) and the gang finder (`intel.gangs`) run in
batch over the history; what they find is *published* to the service in one transaction:

- `publish_scores`: each account's, number's, app's or domain's score, flag and top
  reasons (replacing what the same kind had), and the flagged ones on the shared risk
  lists (`intel.risklists`, source the model's name, the reasons as evidence), which the
  risk check answers from and the engine reads;
- `publish_gangs`: the gangs, their members and their cases with the evidence that links
  each case to its gang (replacing the gangs published before).

Police read them (`routes.intel`): an account's mule score with its reasons, a number's
verdict, the gangs with their members and cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from fraudwall.errors import InputError
from fraudwall.intel import risklists
from fraudwall.model import DAY_MS
from fraudwall.platform.bulkinsert import insert_rows
from fraudwall.platform.schema import entity_scores, gang_cases, gang_members, gangs

#: what a score is about, and the risk list it feeds
SCORED_KINDS: Final = {"account": "account", "number": "number", "app": "app", "url": "domain"}
#: how long a flagged value stays on the risk lists after it was last seen
LISTED_FOR_MS: Final = 90 * DAY_MS


@dataclass(frozen=True)
class Published:
    scores: int
    listed: int


def publish_scores(
    conn: sa.Connection,
    kind: str,
    scored: pa.Table,
    model: str,
    threshold: float,
    now: int,
) -> Published:
    """Keep `scored` (an `EntityModel.score` table: key, score, flagged, reasons) as the
    scores of `kind`, replacing the last ones, and put the flagged values on the risk
    lists as `model`'s, listed from `now` (when they were found) for `LISTED_FOR_MS`."""
    if kind not in SCORED_KINDS:
        raise InputError("kind", f"scores are of {', '.join(SCORED_KINDS)}, not {kind!r}")
    key = scored.column_names[0]
    values = scored[key].cast(pa.string())
    rows = [
        {"kind": kind, "value": v, "score": s, "flagged": f, "reasons": r or [],
         "model": model, "scored_ts": now}
        for v, s, f, r in zip(
            values.to_pylist(), scored["score"].to_pylist(), scored["flagged"].to_pylist(),
            scored["reasons"].to_pylist(), strict=True,
        )
    ]  # fmt: skip
    conn.execute(entity_scores.delete().where(entity_scores.c.kind == kind))
    insert_rows(conn, entity_scores, rows)
    entries = risklists.entries_from_model_scores(
        scored, SCORED_KINDS[kind], threshold, model, now, now, LISTED_FOR_MS
    )
    listed = risklists.upsert_on(conn, entries)
    return Published(len(rows), listed.new + listed.merged)


def publish_gangs(
    conn: sa.Connection, found: pa.Table, members: pa.Table, cases: pa.Table, now: int
) -> int:
    """Keep the gangs (gang_id, loss_fen; ranked here by loss), their members (gang_id,
    entity_kind, entity_id) and their cases (gang_id, case_id, evidence), replacing those
    published before; returns how many gangs."""
    for table in (gang_cases, gang_members, gangs):
        conn.execute(table.delete())
    if not found.num_rows:
        return 0
    found = found.sort_by([("loss_fen", "descending"), ("gang_id", "ascending")])
    ids = found["gang_id"].to_pylist()
    n_members = _counts(members["gang_id"])
    n_cases = _counts(cases["gang_id"])
    insert_rows(
        conn,
        gangs,
        [
            {"gang_id": g, "rank": i + 1, "loss_fen": int(loss), "cases": n_cases.get(g, 0),
             "members": n_members.get(g, 0), "found_ts": now}
            for i, (g, loss) in enumerate(zip(ids, found["loss_fen"].to_pylist(), strict=True))
        ],
    )  # fmt: skip
    insert_rows(
        conn, gang_members, members.select(["gang_id", "entity_kind", "entity_id"]).to_pylist()
    )
    insert_rows(conn, gang_cases, cases.select(["gang_id", "case_id", "evidence"]).to_pylist())
    return len(ids)


def _counts(column: pa.ChunkedArray) -> dict[str, int]:
    return {r["values"]: r["counts"] for r in pc.value_counts(column).to_pylist()}


def score_of(conn: sa.Connection, kind: str, value: str) -> dict[str, Any] | None:
    """The published score of one account or number, or None."""
    row = conn.execute(
        sa.select(entity_scores).where(entity_scores.c.kind == kind, entity_scores.c.value == value)
    ).first()
    return None if row is None else dict(row._mapping)


def gang_list(conn: sa.Connection, limit: int) -> list[dict[str, Any]]:
    """The gangs, largest loss first."""
    q = sa.select(gangs).order_by(gangs.c.rank).limit(limit)
    return [dict(r._mapping) for r in conn.execute(q)]


def gang_of(conn: sa.Connection, gang_id: str) -> dict[str, Any] | None:
    """One gang with its members and its cases (and what links each case to it)."""
    row = conn.execute(sa.select(gangs).where(gangs.c.gang_id == gang_id)).first()
    if row is None:
        return None
    out = dict(row._mapping)
    m = gang_members.c
    out["member_list"] = [
        {"entity_kind": k, "entity_id": e}
        for k, e in conn.execute(
            sa.select(m.entity_kind, m.entity_id).where(m.gang_id == gang_id)
            .order_by(m.entity_kind, m.entity_id)
        )
    ]  # fmt: skip
    c = gang_cases.c
    out["case_list"] = [
        {"case_id": case_id, "evidence": evidence}
        for case_id, evidence in conn.execute(
            sa.select(c.case_id, c.evidence).where(c.gang_id == gang_id).order_by(c.case_id)
        )
    ]
    return out


__all__ = [
    "LISTED_FOR_MS",
    "SCORED_KINDS",
    "Published",
    "gang_list",
    "gang_of",
    "publish_gangs",
    "publish_scores",
    "score_of",
]
