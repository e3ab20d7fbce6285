"""Gangs and linked cases (串并案): the victims' reports that one gang is behind.

A graph of what the reports and the history tie together:

- a report and the accounts it paid into (the victim's own evidence);
- accounts and the accounts they paid (money), accounts and the devices and IPs that
  operate them (transfers, logins), numbers and the devices they call from (shared use).

Ordinary hubs — a merchant paid by thousands, a shared office IP, a courier's device —
would tie every case to every other; a node with more distinct neighbours than
`hub_degree` is cut (reports never are). Communities are found with Leiden (igraph,
leidenalg; modularity, weighted, seeded); the communities holding reports are the gangs,
ranked by the loss their reports name. Each report's link to its gang carries its
evidence: the entities it shares with the gang's other reports (a payee, a device, an IP,
a next hop of the money), or its payees when it is linked through longer chains.

Built column-wise (Arrow, numpy, igraph); loops run per gang and per report, never per
transfer. Ground truth is only for `pairwise_f1`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import igraph as ig
import leidenalg
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.errors import InputError

#: Edge weights by relation: a report naming its payee is the strongest tie, shared use
#: (a device or IP operating an account, a number calling from a device) next, money last.
WEIGHTS: Final = {"reported_payee": 4.0, "operates": 2.0, "dials_from": 2.0, "money": 1.0}
#: Nodes with more distinct neighbours than this are cut as ordinary hubs by default.
HUB_DEGREE: Final = 200
GANG_SCHEMA: Final = pa.schema(
    [("gang_id", pa.string()), ("loss_fen", pa.int64()), ("cases", pa.int64()),
     ("members", pa.int64())]
)  # fmt: skip
MEMBER_SCHEMA: Final = pa.schema(
    [("gang_id", pa.string()), ("entity_kind", pa.string()), ("entity_id", pa.string())]
)
LINK_SCHEMA: Final = pa.schema(
    [("case_id", pa.string()), ("gang_id", pa.string()), ("evidence", pa.string())]
)
_KINDS: Final = {"R": "report", "A": "account", "D": "device", "I": "ip", "N": "number"}


@dataclass(frozen=True)
class Gangs:
    """What `link_cases` found: the gangs (largest loss first), their members (accounts,
    devices, IPs, numbers) and each report's gang with its evidence (JSON:
    ``{"shared": ["account:...", ...]}`` or ``{"payees": [...]}``)."""

    gangs: pa.Table
    members: pa.Table
    case_links: pa.Table
    graph: ig.Graph  # the gangs' subgraph: vertex attributes name, kind, gang

    def group_of(self) -> dict[str, str]:
        """Each linked report's gang."""
        return dict(
            zip(self.case_links["case_id"].to_pylist(), self.case_links["gang_id"].to_pylist(),
                strict=True)
        )  # fmt: skip

    def case_groups(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """(report id, gang id, evidence keys) per linked report: what the funds part's
        case groups take (`funds.GivenGroups.of_reports`)."""
        return case_group_rows(self.case_links)


def evidence_keys(evidence: str | Mapping[str, Any] | None) -> tuple[str, ...]:
    """The entities (``kind:id``) a case's evidence names, whether it is the JSON text of
    `case_links` or its parsed form (``{"shared": [...]}`` or ``{"payees": [...]}``)."""
    if evidence is None:
        return ()
    try:
        doc = json.loads(evidence) if isinstance(evidence, str) else evidence
    except ValueError as exc:
        raise InputError("evidence", f"not JSON ({exc})") from None
    if not isinstance(doc, Mapping):
        raise InputError("evidence", f"must be a JSON object, not {type(doc).__name__}")
    return tuple(str(k) for key in ("shared", "payees") for k in doc.get(key) or ())


def case_group_rows(case_links: pa.Table) -> list[tuple[str, str, tuple[str, ...]]]:
    """(report id, gang id, evidence keys) for each row of a `case_links` table (as
    `link_cases` makes it or `fraudwall gangs` writes it); an `InputError` names a missing
    column or bad evidence."""
    missing = [c for c in LINK_SCHEMA.names if c not in case_links.column_names]
    if missing:
        raise InputError("case_links", f"has no column {', '.join(repr(c) for c in missing)}")
    cols = case_links.select(LINK_SCHEMA.names).to_pydict()
    return [
        (str(case), str(gang), evidence_keys(evidence))
        for case, gang, evidence in zip(cols["case_id"], cols["gang_id"], cols["evidence"],
                                        strict=True)
    ]  # fmt: skip


def _need(tables: Mapping[str, pa.Table], name: str, columns: tuple[str, ...]) -> pa.Table:
    table = tables.get(name)
    if table is None:
        raise InputError(name, "the world has no such table: no cases to link")
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise InputError(name, f"has no column {', '.join(repr(c) for c in missing)}")
    return table


def _labelled(prefix: str, column: pa.ChunkedArray | pa.Array) -> pa.Array:
    col = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    return pc.binary_join_element_wise(prefix + ":", col.cast(pa.string()), "")


def _pairs(table: pa.Table, a: str, b: str) -> pa.Table:
    """The distinct (a, b) pairs of a table, both present."""
    both = table.select([a, b]).filter(pc.and_(pc.is_valid(table[a]), pc.is_valid(table[b])))
    return both.group_by([a, b]).aggregate([])


def report_payees(tables: Mapping[str, pa.Table]) -> pa.Table:
    """(report_id, to_account, loss_fen) for every transfer a report names; an `InputError`
    names a reported transfer that is not in the ledger."""
    reports = _need(tables, "reports", ("event_id", "transfer_ids", "loss_fen"))
    transfers = _need(tables, "transfers", ("event_id", "from_account", "to_account"))
    lists = reports["transfer_ids"].combine_chunks()
    parent = pa.array(pc.list_parent_indices(lists).to_numpy())
    named = pa.table(
        {"report_id": reports["event_id"].take(parent), "event_id": pc.list_flatten(lists)}
    )
    joined = named.join(transfers.select(["event_id", "to_account"]), "event_id", join_type="inner")
    if joined.num_rows != named.num_rows:
        known = pc.is_in(named["event_id"], value_set=transfers["event_id"])
        missing = named.filter(pc.invert(known)).slice(0, 1).to_pylist()[0]
        raise InputError(
            f"reports[{missing['report_id']}].transfer_ids",
            f"no transfer {missing['event_id']!r} in the ledger",
        )
    return joined.select(["report_id", "to_account"])


def _edges(tables: Mapping[str, pa.Table]) -> tuple[list[pa.Array], list[pa.Array], list[float]]:
    """The relations as (from labels, to labels, weight) per relation."""
    a: list[pa.Array] = []
    b: list[pa.Array] = []
    w: list[float] = []

    def add(x: pa.Array, y: pa.Array, weight: float) -> None:
        if len(x):
            a.append(x)
            b.append(y)
            w.append(weight)

    payees = report_payees(tables)
    add(_labelled("R", payees["report_id"]), _labelled("A", payees["to_account"]),
        WEIGHTS["reported_payee"])  # fmt: skip
    transfers = tables["transfers"]
    money = _pairs(transfers, "from_account", "to_account")
    add(_labelled("A", money["from_account"]), _labelled("A", money["to_account"]),
        WEIGHTS["money"])  # fmt: skip
    for name, account in (("transfers", "from_account"), ("logins", "account_id")):
        table = tables.get(name)
        for column, prefix in (("device_id", "D"), ("ip", "I")):
            if table is not None and {account, column} <= set(table.column_names):
                used = _pairs(table, account, column)
                add(_labelled("A", used[account]), _labelled(prefix, used[column]),
                    WEIGHTS["operates"])  # fmt: skip
    for name, number, device in (("calls", "caller", "caller_device"),
                                 ("sms", "sender", "sender_device")):  # fmt: skip
        table = tables.get(name)
        if table is not None and {number, device} <= set(table.column_names):
            used = _pairs(table, number, device)
            add(_labelled("N", used[number]), _labelled("D", used[device]), WEIGHTS["dials_from"])
    return a, b, w


def _graph(tables: Mapping[str, pa.Table], hub_degree: int) -> tuple[ig.Graph, np.ndarray]:
    """The graph with hubs cut; returns it and its vertices' labels."""
    a, b, w = _edges(tables)
    every = pa.chunked_array([*a, *b])
    labels = pc.unique(every)
    labels = labels.take(pc.array_sort_indices(labels))  # one order whatever Arrow's threads do
    src = np.concatenate([pc.index_in(x, value_set=labels).to_numpy() for x in a])
    dst = np.concatenate([pc.index_in(y, value_set=labels).to_numpy() for y in b])
    weight = np.concatenate([np.full(len(x), wt) for x, wt in zip(a, w, strict=True)])
    keep = src != dst
    graph = ig.Graph(n=len(labels), edges=np.column_stack([src[keep], dst[keep]]).tolist())
    graph.es["weight"] = weight[keep].tolist()
    graph.simplify(combine_edges={"weight": "sum"})
    names = np.asarray(labels.to_numpy(zero_copy_only=False), dtype=object)
    report = np.asarray(pc.starts_with(labels, "R:").to_numpy(zero_copy_only=False))
    degree = np.asarray(graph.degree())
    kept = np.flatnonzero((degree <= hub_degree) | report)
    return graph.subgraph(kept.tolist()), names[kept]


def link_cases(
    tables: Mapping[str, pa.Table], *, hub_degree: int = HUB_DEGREE, seed: int = 0
) -> Gangs:
    """The gangs behind a world's victims' reports (see the module doc)."""
    if hub_degree < 2:
        raise InputError("hub_degree", f"must be 2 or more, got {hub_degree}")
    graph, names = _graph(tables, hub_degree)
    partition = leidenalg.find_partition(
        graph, leidenalg.ModularityVertexPartition, weights="weight", seed=seed
    )
    community = np.asarray(partition.membership)
    is_report = np.array([n.startswith("R:") for n in names], dtype=bool)
    reports = _need(tables, "reports", ("event_id", "loss_fen"))
    loss_of = dict(zip(reports["event_id"].to_pylist(), reports["loss_fen"].to_pylist(),
                       strict=True))  # fmt: skip
    holding = np.unique(community[is_report])
    loss = {int(c): sum(int(loss_of.get(n[2:], 0)) for n in names[(community == c) & is_report])
            for c in holding}  # fmt: skip
    ranked = sorted(holding.tolist(), key=lambda c: (-loss[c], c))
    gang_of = {c: f"GANG{i + 1:04d}" for i, c in enumerate(ranked)}
    evidence = _evidence(tables, names, community, is_report)

    gang_rows, member_rows, link_rows = [], [], []
    for c in ranked:
        inside = community == c
        members = [n for n in names[inside & ~is_report]]
        cases = [n[2:] for n in names[inside & is_report]]
        gang_rows.append({"gang_id": gang_of[c], "loss_fen": loss[c], "cases": len(cases),
                          "members": len(members)})  # fmt: skip
        member_rows += [{"gang_id": gang_of[c], "entity_kind": _KINDS[n[0]], "entity_id": n[2:]}
                        for n in members]  # fmt: skip
        link_rows += [{"case_id": r, "gang_id": gang_of[c], "evidence": json.dumps(evidence[r])}
                      for r in cases]  # fmt: skip
    in_gangs = np.flatnonzero(np.isin(community, holding))
    sub = graph.subgraph(in_gangs.tolist())
    sub.vs["name"] = [n[2:] for n in names[in_gangs]]
    sub.vs["kind"] = [_KINDS[n[0]] for n in names[in_gangs]]
    sub.vs["gang"] = [gang_of[int(c)] for c in community[in_gangs]]
    return Gangs(
        pa.Table.from_pylist(gang_rows, schema=GANG_SCHEMA),
        pa.Table.from_pylist(member_rows, schema=MEMBER_SCHEMA),
        pa.Table.from_pylist(link_rows, schema=LINK_SCHEMA),
        sub,
    )


def _evidence(
    tables: Mapping[str, pa.Table],
    names: np.ndarray,
    community: np.ndarray,
    is_report: np.ndarray,
) -> dict[str, dict[str, list[str]]]:
    """Per report: the entities near it (its payees, the devices and IPs operating them,
    the accounts they paid) that another report of its gang also has; else its payees."""
    payees = report_payees(tables)
    near: dict[str, set[str]] = {}
    for report, account in zip(payees["report_id"].to_pylist(), payees["to_account"].to_pylist(),
                               strict=True):  # fmt: skip
        near.setdefault(report, set()).add(f"account:{account}")
    around = _around_payees(tables, pc.unique(payees["to_account"]))
    for items in near.values():
        extra = set()
        for item in items:
            extra |= around.get(item, set())
        items |= extra
    out: dict[str, dict[str, list[str]]] = {}
    gang_reports: dict[int, list[str]] = {}
    for n, c in zip(names[is_report], community[is_report], strict=True):
        gang_reports.setdefault(int(c), []).append(n[2:])
    for members in gang_reports.values():
        for r in members:
            others: set[str] = set()
            for o in members:
                if o != r:
                    others |= near.get(o, set())
            shared = sorted(near.get(r, set()) & others, key=_evidence_order)
            payees_of = sorted(i for i in near.get(r, set()) if i.startswith("account:"))
            out[r] = {"shared": shared[:10]} if shared else {"payees": payees_of[:10]}
    return out


def _evidence_order(item: str) -> tuple[int, str]:
    """Devices and IPs first (shared use is the strongest evidence), then accounts."""
    return ({"device": 0, "ip": 1}.get(item.split(":", 1)[0], 2), item)


def _around_payees(tables: Mapping[str, pa.Table], accounts: pa.Array) -> dict[str, set[str]]:
    """For each payee account: the devices and IPs operating it and the accounts it paid."""
    out: dict[str, set[str]] = {}
    transfers = tables["transfers"]
    mine = transfers.filter(pc.is_in(transfers["from_account"], value_set=accounts))
    parts = [("to_account", "account")]
    parts += [(c, k) for c, k in (("device_id", "device"), ("ip", "ip")) if c in mine.column_names]
    for column, kind in parts:
        pairs = _pairs(mine, "from_account", column)
        for account, other in zip(pairs["from_account"].to_pylist(), pairs[column].to_pylist(),
                                  strict=True):  # fmt: skip
            out.setdefault(f"account:{account}", set()).add(f"{kind}:{other}")
    logins = tables.get("logins")
    if logins is not None and "account_id" in logins.column_names:
        theirs = logins.filter(pc.is_in(logins["account_id"], value_set=accounts))
        for column, kind in (("device_id", "device"), ("ip", "ip")):
            if column in theirs.column_names:
                pairs = _pairs(theirs, "account_id", column)
                for account, other in zip(pairs["account_id"].to_pylist(),
                                          pairs[column].to_pylist(), strict=True):  # fmt: skip
                    out.setdefault(f"account:{account}", set()).add(f"{kind}:{other}")
    return out


def true_gangs(tables: Mapping[str, pa.Table]) -> dict[str, str]:
    """Each report's true gang (truth rows of role victim_report): for evaluation only."""
    truth = _need(tables, "truth", ("entity_id", "role", "gang_id"))
    rows = truth.filter(pc.equal(truth["role"].cast(pa.string()), "victim_report"))
    rows = rows.filter(pc.is_valid(rows["gang_id"]))
    return dict(zip(rows["entity_id"].to_pylist(), rows["gang_id"].to_pylist(), strict=True))


def pairwise_f1(predicted: Mapping[str, str], truth: Mapping[str, str]) -> dict[str, Any]:
    """Precision, recall and F1 over pairs of cases: a pair put in one group against a pair
    truly of one gang. Cases the prediction left out count as groups of their own."""
    cases = sorted(truth)
    if len(cases) < 2:
        return {"precision": None, "recall": None, "f1": None, "cases": len(cases)}
    own = {c: f"\x00{c}" for c in cases}
    pred = [predicted.get(c, own[c]) for c in cases]
    true = [truth[c] for c in cases]

    def pairs(counts: Any) -> int:
        n = np.asarray(list(counts), dtype=np.int64)
        return int((n * (n - 1) // 2).sum())

    from collections import Counter

    both = pairs(Counter(zip(pred, true, strict=True)).values())
    said = pairs(Counter(pred).values())
    real = pairs(Counter(true).values())
    precision = both / said if said else 1.0
    recall = both / real if real else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "cases": len(cases), "case_pairs": len(cases) * (len(cases) - 1) // 2}  # fmt: skip


__all__ = [
    "HUB_DEGREE",
    "Gangs",
    "case_group_rows",
    "evidence_keys",
    "link_cases",
    "pairwise_f1",
    "report_payees",
    "true_gangs",
]
