"""Entries from a detector's scores and from confirmed cases, worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
from engine_world import T0, table, transfer

from fraudwall.intel.risklists import RiskListStore, entries_from_cases, entries_from_scores
from fraudwall.model import CaseFile, arrow_schema

DAY = 86_400_000


def test_the_values_scored_over_the_threshold_become_entries_with_their_reasons() -> None:
    got = entries_from_scores(
        "account", ["M1", "M2", "M3"], np.array([0.95, 0.2, 0.5]), threshold=0.5,
        source="mules-model", first_seen_ts=np.array([T0, T0, T0 + DAY]),
        last_seen_ts=T0 + 2 * DAY, keep_ms=30 * DAY,
        evidence=['{"passthrough": 0.99}', "{}", '{"fan_in_24h": 41}'],
    ).to_pylist()  # fmt: skip
    assert [(e["value"], e["confidence"], e["evidence"]) for e in got] == [
        ("M1", 0.95, '{"passthrough": 0.99}'),
        ("M3", 0.5, '{"fan_in_24h": 41}'),
    ]
    assert [(e["first_seen_ts"], e["expires_ts"]) for e in got] == [
        (T0, T0 + 32 * DAY),
        (T0 + DAY, T0 + 32 * DAY),
    ]


def _case(case_id: str, transfer_ids: list[str]) -> dict[str, object]:
    return {"case_id": case_id, "report_id": f"R{case_id}", "group_id": "G1",
            "victim_person_id": "P1", "fraud_type": None, "report_ts": T0 + 5 * DAY,
            "opened_ts": T0 + 5 * DAY, "transfer_ids": transfer_ids, "victim_accounts": ["A1"],
            "paid_fen": 0, "loss_fen": 0}  # fmt: skip


def test_the_payees_of_confirmed_cases_are_listed_with_the_cases_as_evidence(
    tmp_path: Path,
) -> None:
    transfers = table("transfers", [
        transfer("X1", T0, "A1", "M1", 100_000),
        transfer("X2", T0 + DAY, "A1", "M2", 50_000),
        transfer("X3", T0 + 2 * DAY, "A2", "M1", 30_000),
        transfer("X4", T0 + 3 * DAY, "A2", "A1", 7_000),  # named by no case
    ])  # fmt: skip
    cases = pa.Table.from_pylist(
        [_case("C1", ["X1", "X2"]), _case("C2", ["X3"])], schema=arrow_schema(CaseFile)
    )
    got = entries_from_cases(cases, transfers, keep_ms=90 * DAY).to_pylist()
    assert [(e["value"], e["source"], e["confidence"]) for e in got] == [
        ("M1", "confirmed-case", 1.0),
        ("M2", "confirmed-case", 1.0),
    ]
    assert json.loads(got[0]["evidence"]) == {"cases": ["C1", "C2"], "paid_fen": 130_000}
    assert [(e["first_seen_ts"], e["last_seen_ts"], e["expires_ts"]) for e in got] == [
        (T0, T0 + 2 * DAY, T0 + 92 * DAY),
        (T0 + DAY, T0 + DAY, T0 + 91 * DAY),
    ]
    with RiskListStore(f"sqlite:///{tmp_path / 'l.sqlite'}") as store:
        assert store.add(entries_from_cases(cases, transfers)).new == 2
