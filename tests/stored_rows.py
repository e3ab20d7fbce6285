"""Rows written straight into the service's tables, for tests of what reads them (risk,
statistics, metrics) without going through the ingest, report and order routes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from service_api import T0, Api

from fraudwall.model import (
    Action,
    AppInstall,
    Call,
    CaseFile,
    Channel,
    Decision,
    EntityKind,
    Event,
    FraudType,
    Gateway,
    Order,
    OrderKind,
    OrderState,
    Person,
    Report,
    Sms,
    Transfer,
    UrlVisit,
)
from fraudwall.model.sql import row_of
from fraudwall.platform import eventlookups, risk, schema
from fraudwall.platform.eventlog import ACCEPTED, event_row


def transfer(event_id: str, src: str, dst: str, fen: int, ts: int = T0, *,
             bank: str = "B01", device: str | None = None,
             channel: Channel = Channel.MOBILE, memo: str | None = None) -> Transfer:  # fmt: skip
    return Transfer(event_id=event_id, ts=ts, institution_id=bank, from_account=src,
                    to_account=dst, amount_fen=fen, channel=channel, device_id=device,
                    memo=memo)  # fmt: skip


def call(event_id: str, caller: str, callee: str, ts: int = T0, *, telco: str = "T01",
         gateway: Gateway = Gateway.DOMESTIC) -> Call:  # fmt: skip
    return Call(event_id=event_id, ts=ts, institution_id=telco, caller=caller, callee=callee,
                duration_ms=30_000, gateway=gateway, presented_number=caller)  # fmt: skip


def sms(event_id: str, sender: str, receiver: str, ts: int = T0, *, telco: str = "T01") -> Sms:
    return Sms(event_id=event_id, ts=ts, institution_id=telco, sender=sender, receiver=receiver,
               text="您的账户异常，请点击链接", gateway=Gateway.DOMESTIC)  # fmt: skip


def visit(event_id: str, device: str, url: str, domain: str, ts: int = T0) -> UrlVisit:
    return UrlVisit(event_id=event_id, ts=ts, institution_id="T01", device_id=device, url=url,
                    domain=domain)  # fmt: skip


def install(event_id: str, device: str, app_id: str, ts: int = T0) -> AppInstall:
    return AppInstall(event_id=event_id, ts=ts, institution_id="T01", device_id=device,
                      app_id=app_id, app_name="点赞赚", permissions=["READ_SMS"])  # fmt: skip


def decision(event: Event, action: Action, ts: int | None = None) -> Decision:
    kind = {"transfers": EntityKind.TRANSFER, "calls": EntityKind.CALL, "sms": EntityKind.SMS}
    return Decision(event_id=event.event_id, kind=kind[event.table],
                    ts=event.ts if ts is None else ts, action=action, score=0.9,
                    rules=["R1"], reason="test")  # fmt: skip


def report(event_id: str, person: str, transfer_ids: list[str], loss_fen: int, ts: int = T0,
           fraud_type: FraudType | None = FraudType.REBATE) -> Report:  # fmt: skip
    return Report(event_id=event_id, ts=ts, institution_id="PS1", person_id=person,
                  transfer_ids=transfer_ids, loss_fen=loss_fen, fraud_type=fraud_type,
                  narrative="刷单返利，被骗")  # fmt: skip


def case_file(case_id: str, rep: Report, opened_ts: int | None = None) -> CaseFile:
    return CaseFile(case_id=case_id, report_id=rep.event_id, group_id="G1",
                    victim_person_id=rep.person_id, fraud_type=rep.fraud_type,
                    report_ts=rep.ts, opened_ts=rep.ts if opened_ts is None else opened_ts,
                    transfer_ids=rep.transfer_ids, victim_accounts=["A1"],
                    paid_fen=rep.loss_fen, loss_fen=rep.loss_fen)  # fmt: skip


def order(order_id: str, account: str, bank: str, kind: OrderKind = OrderKind.FREEZE,
          state: OrderState = OrderState.ISSUED, issued_ts: int = T0) -> Order:  # fmt: skip
    return Order(order_id=order_id, kind=kind, case_id="C1", institution_id=bank,
                 account_id=account, amount_fen=500_00, legal_basis="test", state=state,
                 issued_ts=issued_ts)  # fmt: skip


def person(person_id: str, region: str) -> Person:
    return Person(person_id=person_id, id_hash="0123456789abcdef0123", age=37, gender="F",
                  region=region, occupation="clerk")  # fmt: skip


def store(
    api: Api,
    events: Iterable[Event] = (),
    decisions: Iterable[Decision] = (),
    reports: Iterable[Report] = (),
    cases: Iterable[CaseFile] = (),
    orders: Iterable[Order] = (),
    people: Iterable[Person] = (),
    refused: dict[str, str] | None = None,
) -> None:
    """Write the records in one transaction, as the areas that own them would."""

    def insert(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        if rows:
            conn.execute(table.insert(), rows)

    reports = list(reports)
    with api.service.db.writing() as conn:
        insert(conn, schema.events, [event_row(e, "tester", ACCEPTED, T0) for e in events])
        eventlookups.fill(conn)  # as the service's lookups follow the events
        insert(conn, schema.decisions, [row_of(d) for d in decisions])
        insert(conn, schema.reports, [row_of(r) for r in reports])
        risk.link_reports(conn, reports)
        insert(conn, schema.case_files, [row_of(c) for c in cases])
        insert(conn, schema.orders, [row_of(o) for o in orders])
        insert(conn, schema.people, [row_of(p) for p in people])
        insert(
            conn,
            schema.report_sources,
            [
                {"event_id": r, "agency_id": "police-sz", "key_id": "k", "refused": why}
                for r, why in (refused or {}).items()
            ],
        )
