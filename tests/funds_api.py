"""A small fraud in a running service, for the cases, orders and returns API tests.

Two victims pay the mule account A1 at bank A (so their cases are linked by it); A1 passes
money on to B1 at bank B, which takes some of it out as cash. Transfers go straight into
the service's events table (as the ingest route stores them), so these tests do not
depend on ingest.

    P1's V1 (bank A) --5,000--> A1 --4,000--> B1 --1,000--> CASH (bank B, cash out)
    P2's V2 (bank B) --3,000--> A1

Under the service's default rule (LIFO), A1 pays out its newest money first: B1 gets
4,000 of P1's money and pays 1,000 of it out as cash; A1 keeps 1,000 of P1's and all 3,000
of P2's, besides its own.
"""

from __future__ import annotations

from typing import Any

from service_api import ACCOUNTS, T0, Api, H

from fraudwall.model import Account, AccountKind, Channel, ExternalKind, Transfer
from fraudwall.platform.eventlog import ACCEPTED, event_row
from fraudwall.platform.registry import put_records
from fraudwall.platform.schema import events

OPENING = ACCOUNTS[0].opening_balance_fen  # every registry account starts with ¥10,000

LONG_AGO = T0 - 900 * 24 * H


def victim_account(account_id: str, institution_id: str, owner: str) -> Account:
    return Account(account_id=account_id, institution_id=institution_id, owner_person_id=owner,
                   kind=AccountKind.DEBIT_CARD, opened_ts=LONG_AGO,
                   opening_balance_fen=2_000_000)  # fmt: skip


VICTIM_ACCOUNTS = [
    victim_account("V1", "B01", "P1"),
    victim_account("V2", "B02", "P2"),
    victim_account("V3", "B01", "P3"),
    Account(
        account_id="CASH",
        institution_id="B02",
        owner_person_id=None,
        kind=AccountKind.EXTERNAL,
        opened_ts=LONG_AGO,
        opening_balance_fen=0,
        external_kind=ExternalKind.CASH,
    ),
]


def transfer(event_id: str, ts: int, src: str, dst: str, fen: int, inst: str) -> Transfer:
    return Transfer(event_id=event_id, ts=ts, institution_id=inst, from_account=src,
                    to_account=dst, amount_fen=fen, channel=Channel.MOBILE)  # fmt: skip


TRANSFERS = [
    transfer("T1", T0 - 10 * H, "V1", "A1", 500_000, "B01"),
    transfer("T2", T0 - 9 * H, "A1", "B1", 400_000, "B01"),
    transfer("T3", T0 - 8 * H, "V2", "A1", 300_000, "B02"),
    transfer("T4", T0 - 7 * H, "B1", "CASH", 100_000, "B02"),
]


def ingest(api: Api, records: list[Transfer]) -> None:
    """Store transfers as the service stores accepted events."""
    with api.service.db.writing() as conn:
        conn.execute(
            events.insert(), [event_row(t, "bank-a", ACCEPTED, api.clock.now()) for t in records]
        )


def report(
    event_id: str, person: str, transfers: list[str], loss: int, **extra: Any
) -> dict[str, Any]:
    return {"event_id": event_id, "ts": T0 - H, "person_id": person, "transfer_ids": transfers,
            "loss_fen": loss, "fraud_type": "rebate", "narrative": "刷单返利", **extra}  # fmt: skip


R1 = report("R1", "P1", ["T1"], 500_000)
R2 = report("R2", "P2", ["T3"], 300_000)
C1, C2 = "CASE-R1", "CASE-R2"


def setup_world(api: Api, *, reports: bool = True, open_cases: bool = True) -> None:
    """The registry's victims, the transfers, and (by default) both reports as cases."""
    with api.service.db.writing() as conn:
        put_records(conn, "accounts", VICTIM_ACCOUNTS)
    ingest(api, TRANSFERS)
    if reports:
        for body in (R1, R2):
            r = api.client.post("/v1/reports", headers=api.as_("analyst"), json=body)
            assert r.status_code == 201, r.text
    if open_cases:
        r = api.client.post("/v1/cases", headers=api.as_("analyst"), json={})
        assert r.status_code == 200, r.text
        assert [c["case_id"] for c in r.json()["opened"]] == [C1, C2]


def audit_actions(api: Api, subject: str | None = None) -> list[str]:
    """The service audit log's actions (about `subject`), in order."""
    import sqlalchemy as sa

    from fraudwall.platform.schema import audit_log

    q = sa.select(audit_log.c.action, audit_log.c.subject).order_by(audit_log.c.seq)
    with api.service.db.reading() as conn:
        return [r.action for r in conn.execute(q) if subject is None or r.subject == subject]


def audit_rows(api: Api, action: str) -> list[dict[str, Any]]:
    import json

    import sqlalchemy as sa

    from fraudwall.platform.schema import audit_log

    q = sa.select(audit_log).where(audit_log.c.action == action).order_by(audit_log.c.seq)
    with api.service.db.reading() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
    for r in rows:
        for k in ("before", "after"):
            r[k] = json.loads(r[k]) if r[k] else None
    return rows
