"""The fund-flow table (资金流向表) and the fund-flow graph of a traced case, for people.

From a trace's tables — hops (event_id, ts, from_account, to_account, hop, victim, fen),
holdings (account, victim, fen) and exits (event_id, ts, from_account, to_account,
sink_kind, victim, fen) — this module writes what an analyst opens: the table as CSV
(UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese headers) and XLSX
(one sheet each for hops, money held and money gone), and a JSON graph (accounts as nodes,
money per victim on each edge). Amounts are shown in yuan written from integer fen, never
through a float. Times are shown in Beijing time, the time the banks' statements use.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter

from fraudwall.funds.ledger import SINK_KINDS
from fraudwall.model import LOCAL_OFFSET_MS, local_time
from fraudwall.model import plain_yuan as yuan

BEIJING: Final = timezone(timedelta(milliseconds=LOCAL_OFFSET_MS), "CST")

SINK_ZH: Final[Mapping[str, str]] = {
    "cash": "取现",
    "crypto_otc": "虚拟币场外交易",
    "cross_border": "跨境转出",
    "merchant": "商户消费",
    "external": "转出系统外",
    "victim": "转回受害人账户",
    "debt": "偿还透支欠款",
    "hop_limit": "超出追踪层级",
}

SINK_ACCOUNT_KINDS: Final = frozenset(k for k in SINK_KINDS if k)
"""Exit kinds whose receiving account is where money leaves the system (the ledger's sinks;
a debt paid off or the hop limit reached says nothing about the receiver)."""

HOP_COLUMNS: Final = (
    ("seq", "序号"),
    ("victim", "受害人"),
    ("hop", "层级"),
    ("time", "交易时间"),
    ("event_id", "交易流水号"),
    ("from_account", "付款账户"),
    ("from_institution", "付款机构"),
    ("to_account", "收款账户"),
    ("to_institution", "收款机构"),
    ("amount_yuan", "交易金额(元)"),
    ("victim_yuan", "其中涉案资金(元)"),
    ("destination", "资金去向"),
)
HOLDING_COLUMNS: Final = (
    ("account", "账户"),
    ("institution", "开户机构"),
    ("victim", "受害人"),
    ("held_yuan", "沉淀涉案资金(元)"),
)
EXIT_COLUMNS: Final = (
    ("victim", "受害人"),
    ("time", "交易时间"),
    ("event_id", "交易流水号"),
    ("from_account", "付款账户"),
    ("to_account", "出口账户"),
    ("sink", "出口类型"),
    ("victim_yuan", "涉案资金(元)"),
)


def beijing_time(ts_ms: int) -> str:
    return local_time(ts_ms, BEIJING)


@dataclass(frozen=True)
class FlowTables:
    """The three tables a trace gives, plus what the ledger knows of each account."""

    hops: pa.Table
    holdings: pa.Table
    exits: pa.Table
    institution_of: Mapping[str, str]  # account -> institution id
    amount_of: Mapping[str, int]  # transfer event id -> the whole transfer's amount

    def hop_rows(self) -> list[dict[str, Any]]:
        """One row per hop and victim, in time order, as the table shows it."""
        rows = sorted(
            self.hops.to_pylist(), key=lambda r: (r["ts"], r["event_id"], str(r["victim"]))
        )
        sinks = {(r["event_id"], r["victim"]): r["sink_kind"] for r in self.exits.to_pylist()}
        out = []
        for i, r in enumerate(rows, 1):
            sink = sinks.get((r["event_id"], r["victim"]))
            out.append(
                {
                    "seq": i,
                    "victim": r["victim"],
                    "hop": r["hop"],
                    "time": beijing_time(r["ts"]),
                    "event_id": r["event_id"],
                    "from_account": r["from_account"],
                    "from_institution": self.institution_of.get(r["from_account"], ""),
                    "to_account": r["to_account"],
                    "to_institution": self.institution_of.get(r["to_account"], ""),
                    "amount_yuan": yuan(self.amount_of.get(r["event_id"], r["fen"])),
                    "victim_yuan": yuan(r["fen"]),
                    "destination": SINK_ZH.get(sink, sink) if sink else "转入下级账户",
                }
            )
        return out

    def holding_rows(self) -> list[dict[str, Any]]:
        rows = sorted(self.holdings.to_pylist(), key=lambda r: (-r["fen"], r["account"]))
        return [
            {
                "account": r["account"],
                "institution": self.institution_of.get(r["account"], ""),
                "victim": r["victim"],
                "held_yuan": yuan(r["fen"]),
            }
            for r in rows
            if r["fen"] > 0
        ]

    def exit_rows(self) -> list[dict[str, Any]]:
        rows = sorted(self.exits.to_pylist(), key=lambda r: (r["ts"], r["event_id"]))
        return [
            {
                "victim": r["victim"],
                "time": beijing_time(r["ts"]),
                "event_id": r["event_id"],
                "from_account": r["from_account"],
                "to_account": r["to_account"],
                "sink": SINK_ZH.get(r["sink_kind"], r["sink_kind"]),
                "victim_yuan": yuan(r["fen"]),
            }
            for r in rows
        ]


def write_csv(
    path: Path, rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]]
) -> Path:
    """Rows under Chinese headers, UTF-8 with a byte-order mark for spreadsheet programs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow([zh for _, zh in columns])
        for r in rows:
            w.writerow([r[k] for k, _ in columns])
    return path


def _as_of(flow: FlowTables) -> datetime:
    """The time of the latest transfer the tables show (the epoch when none)."""
    latest = max(
        (pc.max(t["ts"]).as_py() or 0 for t in (flow.hops, flow.exits) if t.num_rows),
        default=0,
    )
    return datetime.fromtimestamp(latest // 1000, UTC)


def write_xlsx(path: Path, flow: FlowTables, title: str) -> Path:
    """The workbook an analyst opens: hops, money held and money gone, one sheet each.

    The workbook's creation time is that of the latest transfer it shows, not the time it
    was written, so the same trace gives the same file byte for byte."""
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path))
    book.set_properties({"created": _as_of(flow)})
    try:
        bold = book.add_format({"bold": True, "bg_color": "#e9ecef", "border": 1})
        money = book.add_format({"num_format": "#,##0.00"})
        sheets = (
            ("资金流向", flow.hop_rows(), HOP_COLUMNS),
            ("资金沉淀", flow.holding_rows(), HOLDING_COLUMNS),
            ("资金出口", flow.exit_rows(), EXIT_COLUMNS),
        )
        for name, rows, columns in sheets:
            sheet = book.add_worksheet(name)
            sheet.write(0, 0, title)
            for j, (key, zh) in enumerate(columns):
                sheet.write(1, j, zh, bold)
                sheet.set_column(j, j, max(10, len(zh) * 2 + 2))
                for i, r in enumerate(rows, 2):
                    value = r[key]
                    if key.endswith("_yuan"):
                        # the cell holds a number for sums; the exact text is the same value
                        sheet.write_number(i, j, int(value.replace(".", "")) / 100, money)
                    else:
                        sheet.write(i, j, value)
            sheet.freeze_panes(2, 0)
    finally:
        book.close()
    return path


def flow_graph(
    flow: FlowTables, paid: Mapping[str, int], meta: Mapping[str, Any]
) -> dict[str, Any]:
    """The fund-flow graph as JSON-ready data: accounts (with what each victim's money they
    hold now) and edges (money per victim from one account to another, with the number of
    transfers and the first and last time)."""
    nodes: dict[str, dict[str, Any]] = {}

    def node(account: str) -> dict[str, Any]:
        return nodes.setdefault(
            account,
            {
                "id": account,
                "institution": flow.institution_of.get(account, ""),
                "held_fen": {},
                "sink_kind": None,
                "victim_account": account in victim_accounts,
            },
        )

    victim_accounts = {r["from_account"] for r in flow.hops.to_pylist() if r["hop"] == 1}
    edges: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in flow.hops.to_pylist():
        node(r["from_account"])
        node(r["to_account"])
        key = (r["from_account"], r["to_account"], r["victim"])
        e = edges.setdefault(
            key,
            {
                "from": key[0],
                "to": key[1],
                "victim": key[2],
                "fen": 0,
                "transfers": 0,
                "hop": r["hop"],
                "first_ts": r["ts"],
                "last_ts": r["ts"],
            },
        )
        e["fen"] += int(r["fen"])
        e["transfers"] += 1
        e["hop"] = min(e["hop"], r["hop"])
        e["first_ts"] = min(e["first_ts"], r["ts"])
        e["last_ts"] = max(e["last_ts"], r["ts"])
    for r in flow.exits.to_pylist():
        if r["sink_kind"] in SINK_ACCOUNT_KINDS:
            node(r["to_account"])["sink_kind"] = r["sink_kind"]
    for r in flow.holdings.to_pylist():
        if r["fen"] > 0:
            held = node(r["account"])["held_fen"]
            held[r["victim"]] = held.get(r["victim"], 0) + int(r["fen"])
    return {
        **meta,
        "victims": [{"victim": v, "paid_fen": int(f)} for v, f in sorted(paid.items())],
        "nodes": sorted(nodes.values(), key=lambda n: n["id"]),
        "edges": sorted(edges.values(), key=lambda e: (e["first_ts"], e["from"], e["to"])),
    }


def write_flow(
    out_dir: Path, flow: FlowTables, paid: Mapping[str, int], meta: Mapping[str, Any]
) -> dict[str, Path]:
    """Write the fund-flow table (CSV, XLSX) and graph (JSON) of one case into out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    title = f"资金流向表 {meta.get('case_id', '')} ({meta.get('rule', '')})".strip()
    paths = {
        "flow_csv": write_csv(out_dir / "flow.csv", flow.hop_rows(), HOP_COLUMNS),
        "held_csv": write_csv(out_dir / "held.csv", flow.holding_rows(), HOLDING_COLUMNS),
        "exits_csv": write_csv(out_dir / "exits.csv", flow.exit_rows(), EXIT_COLUMNS),
        "xlsx": write_xlsx(out_dir / "flow.xlsx", flow, title),
    }
    graph = out_dir / "graph.json"
    graph.write_text(
        json.dumps(flow_graph(flow, paid, meta), ensure_ascii=False, indent=1), encoding="utf-8"
    )
    paths["graph"] = graph
    return paths
