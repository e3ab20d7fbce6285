"""Tiny hand-built engine worlds for the engine tests: two people, their accounts and
phones, a mule account and a foreign number, and events in the model's own schemas."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from fraudwall.model import arrow_schema
from fraudwall.model.types import BY_TABLE

H = 3_600_000
T0 = 1_780_000_000_000


def table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=arrow_schema(BY_TABLE[name]))


def registry() -> dict[str, pa.Table]:
    """Two people, their accounts and phones, a mule account and a foreign number."""
    return {
        "people": table("people", [
            {"person_id": "P1", "id_hash": "h" * 16, "age": 67, "gender": "F", "region": "r",
             "occupation": "retired"},
            {"person_id": "P2", "id_hash": "g" * 16, "age": 30, "gender": "M", "region": "r",
             "occupation": "it"},
        ]),
        "accounts": table("accounts", [
            {"account_id": "A1", "institution_id": "B1", "owner_person_id": "P1",
             "kind": "debit_card", "opened_ts": T0 - 3000 * 24 * H, "opening_balance_fen": 10**9},
            {"account_id": "A2", "institution_id": "B1", "owner_person_id": "P2",
             "kind": "debit_card", "opened_ts": T0 - 900 * 24 * H, "opening_balance_fen": 10**9},
            {"account_id": "M1", "institution_id": "B2", "owner_person_id": None,
             "kind": "debit_card", "opened_ts": T0 - 5 * 24 * H, "opening_balance_fen": 0},
        ]),
        "phones": table("phones", [
            {"number": "+8613800000001", "telco_id": "T1", "owner_person_id": "P1",
             "country_code": "86", "activated_ts": T0 - 2000 * 24 * H, "line_kind": "mobile"},
            {"number": "+8613800000002", "telco_id": "T1", "owner_person_id": "P2",
             "country_code": "86", "activated_ts": T0 - 2000 * 24 * H, "line_kind": "mobile"},
            {"number": "+85512345678", "telco_id": None, "owner_person_id": None,
             "country_code": "855", "activated_ts": None, "line_kind": "mobile"},
        ]),
    }  # fmt: skip


def transfer(eid: str, ts: int, src: str, dst: str, fen: int) -> dict[str, Any]:
    return {"event_id": eid, "ts": ts, "institution_id": "B1", "from_account": src,
            "to_account": dst, "amount_fen": fen, "channel": "mobile"}  # fmt: skip


def call(eid: str, ts: int, caller: str, callee: str, ms: int, gateway: str = "domestic",
          presented: str | None = None) -> dict[str, Any]:  # fmt: skip
    return {"event_id": eid, "ts": ts, "institution_id": "T1", "caller": caller,
            "callee": callee, "duration_ms": ms, "gateway": gateway,
            "presented_number": presented or caller}  # fmt: skip
