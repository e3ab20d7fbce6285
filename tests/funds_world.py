"""Small hand-built worlds for the funds tests: rows in the domain types' own schemas."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from fraudwall.model import HOUR_MS, Report, arrow_schema

H = HOUR_MS  # short: the tests' times are written in hours
T0 = 1_772_000_000_000


def table(cls: Any, rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=arrow_schema(cls))


def account(aid: str, owner: str | None, kind: str = "debit_card", **extra: Any) -> dict[str, Any]:
    return {
        "account_id": aid,
        "institution_id": "B1",
        "owner_person_id": owner,
        "kind": kind,
        "opened_ts": 0,
        "opening_balance_fen": 0,
        **extra,
    }


def transfer(eid: str, ts: int, src: str, dst: str, fen: int, device: str | None = None) -> dict:
    return {
        "event_id": eid,
        "ts": ts,
        "institution_id": "B1",
        "from_account": src,
        "to_account": dst,
        "amount_fen": fen,
        "channel": "mobile",
        "device_id": device,
    }


def phone(number: str, owner: str | None, line: str = "mobile") -> dict[str, Any]:
    return {
        "number": number,
        "telco_id": "T1",
        "owner_person_id": owner,
        "country_code": "86",
        "activated_ts": 0,
        "line_kind": line,
    }


def call(eid: str, ts: int, caller: str, callee: str, ms: int) -> dict[str, Any]:
    return {
        "event_id": eid,
        "ts": ts,
        "institution_id": "T1",
        "caller": caller,
        "callee": callee,
        "duration_ms": ms,
        "gateway": "domestic",
        "presented_number": caller,
    }


def report(eid: str, ts: int, person: str, ids: list[str], loss: int) -> Report:
    return Report(
        event_id=eid,
        ts=ts,
        institution_id="PSB",
        person_id=person,
        transfer_ids=ids,
        loss_fen=loss,
        fraud_type=None,
        narrative="被骗了",
    )
