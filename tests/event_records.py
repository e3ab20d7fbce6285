"""Events as institutions and telcos send them, for the API tests (around `service_api.T0`)."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from service_api import T0, Api

from fraudwall.platform.schema import audit_log, decisions, events, meta

NDJSON = {"Content-Type": "application/x-ndjson"}
MIN = 60_000


def transfer(eid: str, ts: int = T0, src: str = "A1", dst: str = "B1", fen: int = 10_000,
             institution: str = "B01", **more: Any) -> dict[str, Any]:  # fmt: skip
    return {"event_id": eid, "ts": ts, "institution_id": institution, "from_account": src,
            "to_account": dst, "amount_fen": fen, "channel": "mobile", **more}  # fmt: skip


def call(eid: str, ts: int = T0, caller: str = "+8613900000001",
         callee: str = "+8613800000001", ms: int = 90_000, institution: str = "T01",
         **more: Any) -> dict[str, Any]:  # fmt: skip
    return {"event_id": eid, "ts": ts, "institution_id": institution, "caller": caller,
            "callee": callee, "duration_ms": ms, "gateway": "domestic",
            "presented_number": caller, **more}  # fmt: skip


def sms(eid: str, ts: int = T0, sender: str = "+8613900000001",
        receiver: str = "+8613800000001", text: str = "您好", institution: str = "T01",
        **more: Any) -> dict[str, Any]:  # fmt: skip
    return {"event_id": eid, "ts": ts, "institution_id": institution, "sender": sender,
            "receiver": receiver, "text": text, "gateway": "domestic", **more}  # fmt: skip


def login(eid: str, ts: int = T0, account: str = "A1", institution: str = "B01") -> dict[str, Any]:
    return {"event_id": eid, "ts": ts, "institution_id": institution, "account_id": account,
            "device_id": "D1", "ip": "10.0.0.1"}  # fmt: skip


def app_install(eid: str, ts: int = T0, institution: str = "B01") -> dict[str, Any]:
    return {"event_id": eid, "ts": ts, "institution_id": institution, "device_id": "D1",
            "app_id": "com.ex.meet", "app_name": "会议", "permissions": ["screen"]}  # fmt: skip


def url_visit(eid: str, ts: int = T0, institution: str = "B01") -> dict[str, Any]:
    return {"event_id": eid, "ts": ts, "institution_id": institution, "device_id": "D1",
            "url": "https://example.cn/a", "domain": "example.cn"}  # fmt: skip


#: One good record of each streamed kind, and who sends it.
ONE_OF_EACH = {
    "transfers": (transfer, "bank_a"),
    "logins": (login, "bank_a"),
    "app_installs": (app_install, "bank_a"),
    "url_visits": (url_visit, "bank_a"),
    "calls": (call, "telco_a"),
    "sms": (sms, "telco_a"),
}


def ndjson(records: list[dict[str, Any]]) -> str:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n"


def post(api: Api, kind: str, records: list[dict[str, Any]], caller: str = "bank_a") -> Any:
    """POST records as NDJSON; the response."""
    headers = {**api.as_(caller), **NDJSON}
    return api.client.post(f"/v1/events/{kind}", content=ndjson(records), headers=headers)


def count(api: Api, table: sa.Table) -> int:
    with api.service.db.reading() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() or 0)


def stored(api: Api) -> dict[str, Any]:
    """Every stored event (its row but the times of receipt and absorption) and decision."""
    with api.service.db.reading() as conn:
        rows = conn.execute(sa.select(events).order_by(events.c.event_id)).all()
        decided = conn.execute(sa.select(decisions).order_by(decisions.c.event_id)).all()
    skip = {"received_ts", "absorbed_ts"}
    return {
        "events": [{k: v for k, v in r._mapping.items() if k not in skip} for r in rows],
        "decisions": [dict(r._mapping) for r in decided],
    }


def watermark(api: Api) -> int | None:
    with api.service.db.reading() as conn:
        value = conn.execute(sa.select(meta.c.value).where(meta.c.key == "engine_watermark"))
        return value.scalar()


def audit_actions(api: Api) -> list[str]:
    with api.service.db.reading() as conn:
        return [r.action for r in conn.execute(sa.select(audit_log).order_by(audit_log.c.seq))]


__all__ = [
    "MIN",
    "NDJSON",
    "ONE_OF_EACH",
    "T0",
    "app_install",
    "audit_actions",
    "call",
    "count",
    "login",
    "ndjson",
    "post",
    "sms",
    "stored",
    "transfer",
    "url_visit",
    "watermark",
]
