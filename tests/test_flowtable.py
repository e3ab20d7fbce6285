"""The fund-flow table (资金流向表) and graph an analyst opens, and the ground-truth measure
of what tracing found."""

from __future__ import annotations

import csv
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from funds_world import T0, H, account, table, transfer

from fraudwall.funds import (
    FlowTables,
    Ledger,
    Rule,
    TruthFlow,
    trace,
    traced_share,
    true_flows,
    write_flow,
)
from fraudwall.funds.flowtable import beijing_time, yuan
from fraudwall.model import Account, Transfer, Truth


@pytest.fixture
def ledger_tables() -> dict[str, pa.Table]:
    accounts = [
        account("A1", "V1", opening_balance_fen=1_000_000),
        account("M1", "X1"),
        account("M2", "X2"),
        account("CASH", None, "external", external_kind="cash", institution_id="EXT"),
    ]
    transfers = [
        transfer("t1", T0, "A1", "M1", 500_000),
        transfer("t2", T0 + H, "M1", "M2", 300_000),
        transfer("t3", T0 + 2 * H, "M2", "CASH", 120_050),
    ]
    return {"accounts": table(Account, accounts), "transfers": table(Transfer, transfers)}


def test_yuan_is_exact_and_times_are_beijing() -> None:
    assert yuan(120_050) == "1200.50" and yuan(7) == "0.07" and yuan(-105) == "-1.05"
    assert yuan(2**62) == f"{2**62 // 100}.{2**62 % 100:02d}"
    assert beijing_time(0) == "1970-01-01 08:00:00"


def test_the_flow_table_csv_xlsx_and_graph_agree_with_the_trace(
    ledger_tables: dict[str, pa.Table], tmp_path: Path
) -> None:
    ledger = Ledger(ledger_tables["transfers"], ledger_tables["accounts"])
    result = trace(ledger, [("V1", "t1")], Rule.LIFO)
    t = result.to_tables()
    amount_of = {h.event_id: int(ledger.amount[ledger.transfer(h.event_id)]) for h in result.hops}
    flow = FlowTables(t.hops, t.holdings, t.exits, {"M1": "B1", "M2": "B2"}, amount_of)
    paths = write_flow(tmp_path, flow, result.paid, {"case_id": "CASE-1", "rule": "lifo"})

    raw = paths["flow_csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, so spreadsheet programs read Chinese
    rows = list(csv.DictReader(paths["flow_csv"].open(encoding="utf-8-sig")))
    assert [r["交易流水号"] for r in rows] == ["t1", "t2", "t3"]
    assert [r["层级"] for r in rows] == ["1", "2", "3"]
    assert rows[2]["其中涉案资金(元)"] == "1200.50" and rows[2]["资金去向"] == "取现"
    assert rows[1]["收款机构"] == "B2"
    held = list(csv.DictReader(paths["held_csv"].open(encoding="utf-8-sig")))
    assert {(r["账户"], r["沉淀涉案资金(元)"]) for r in held} == {
        ("M1", "2000.00"),
        ("M2", "1799.50"),
    }

    with zipfile.ZipFile(paths["xlsx"]) as book:
        workbook = book.read("xl/workbook.xml").decode()
        core = book.read("docProps/core.xml").decode()
    for sheet in ("资金流向", "资金沉淀", "资金出口"):
        assert sheet in workbook
    # dated by the latest transfer it shows, not by when it was written: same trace, same file
    latest = datetime.fromtimestamp((T0 + 2 * H) // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f">{latest}</dcterms:created>" in core
    again = write_flow(tmp_path / "again", flow, result.paid, {"case_id": "CASE-1", "rule": "lifo"})
    assert all(paths[k].read_bytes() == again[k].read_bytes() for k in paths)

    graph = json.loads(paths["graph"].read_text(encoding="utf-8"))
    assert graph["case_id"] == "CASE-1" and graph["victims"] == [
        {"victim": "V1", "paid_fen": 500_000}
    ]
    assert sum(e["fen"] for e in graph["edges"]) == sum(h.fen for h in result.hops)
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert nodes["CASH"]["sink_kind"] == "cash" and nodes["A1"]["victim_account"]
    assert nodes["M2"]["held_fen"] == {"V1": 179_950}


def test_traced_share_counts_true_hops_into_mules_within_the_hop_limit(
    ledger_tables: dict[str, pa.Table],
) -> None:
    truth = table(Truth, [
        {"entity_kind": "transfer", "entity_id": "t1", "role": "fraud_payment", "case_id": "C1"},
        {"entity_kind": "transfer", "entity_id": "t2", "role": "laundering", "case_id": "C1"},
        {"entity_kind": "transfer", "entity_id": "t3", "role": "laundering", "case_id": "C1"},
    ])  # fmt: skip
    flows = true_flows(truth, ledger_tables["transfers"], {"CASH"})
    assert flows["C1"] == [
        TruthFlow("t1", "C1", 1, T0, 500_000, False),
        TruthFlow("t2", "C1", 2, T0 + H, 300_000, False),
        TruthFlow("t3", "C1", 3, T0 + 2 * H, 120_050, True),
    ]
    # found all of t1, half of t2; the cash-out (a sink) does not count
    share = traced_share(flows, {"C1": (T0 + 3 * H, {"t1": 500_000, "t2": 150_000})}, 6)
    assert (share.found_fen, share.true_fen) == (650_000, 800_000)
    # a hop beyond the limit, or after the trace ran, is not expected of it
    assert traced_share(flows, {"C1": (T0 + 3 * H, {"t1": 500_000})}, 1).share == 1.0
    assert traced_share(flows, {"C1": (T0, {"t1": 500_000})}, 6).share == 1.0
    assert traced_share(flows, {}, 6).share is None
