"""How much of the victims' money that truly reached mule accounts did tracing find?

Against a world's ground truth (the `truth` table marks each fraud payment and each
laundering hop with its case): for every reported case, the true hops into mule accounts
(not into sinks) within the hop limit and before the trace was run are what tracing should
find; a hop counts as found up to the amount the trace attributes to that victim on that
very transfer. The share is money-weighted. `traced_share_by_rule` measures a recovery
run's cases this way under every tracing rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.funds.cases import transfer_rows
from fraudwall.funds.recovery import Recovery
from fraudwall.funds.trace import Rule, Trace, trace
from fraudwall.model import AccountKind, EntityKind, Role

MONEY_ROLES = (Role.FRAUD_PAYMENT.value, Role.LAUNDERING.value)


@dataclass(frozen=True)
class TruthFlow:
    """One true hop of one case's money: the transfer, its depth from the victim, its time
    and amount, and whether it went into a sink (money leaving the system)."""

    event_id: str
    case_id: str
    depth: int
    ts: int
    amount_fen: int
    to_sink: bool


def true_flows(
    truth: pa.Table, transfers: pa.Table, sinks: Iterable[str]
) -> dict[str, list[TruthFlow]]:
    """Every fraud payment and laundering hop, by true case, with its depth (the victim's
    payment is depth 1; a hop out of an account first reached at depth d is d + 1)."""
    rows = truth.filter(
        pc.and_(
            pc.equal(truth["entity_kind"], EntityKind.TRANSFER.value),
            pc.is_in(truth["role"], value_set=pa.array(MONEY_ROLES)),
        )
    )
    case_of = dict(
        zip(
            rows["entity_id"].to_pylist(),
            rows["case_id"].to_pylist(),
            strict=True,
        )
    )
    money = transfer_rows(transfers, (e for e, c in case_of.items() if c is not None))
    roles = dict(zip(rows["entity_id"].to_pylist(), rows["role"].to_pylist(), strict=True))
    sink_set = set(sinks)
    depth_of: dict[tuple[str, str], int] = {}  # (case, account) -> depth first reached
    flows: dict[str, list[TruthFlow]] = {}
    for eid, ts, src, dst, amount in money:
        case = case_of[eid]
        if roles[eid] == Role.FRAUD_PAYMENT.value:
            depth = 1
        else:
            src_depth = depth_of.get((case, src))
            if src_depth is None:
                continue  # money of the case that tracing from the victim could never reach
            depth = src_depth + 1
        key = (case, dst)
        depth_of[key] = min(depth_of.get(key, depth), depth)
        flows.setdefault(case, []).append(
            TruthFlow(eid, case, depth, int(ts), int(amount), dst in sink_set)
        )
    return flows


@dataclass(frozen=True)
class TracedShare:
    """Money-weighted share of true mule-bound hops that tracing found."""

    found_fen: int
    true_fen: int

    @property
    def share(self) -> float | None:
        return None if self.true_fen == 0 else self.found_fen / self.true_fen


def traced_share(
    flows: Mapping[str, list[TruthFlow]],
    found: Mapping[str, tuple[int, Mapping[str, int]]],
    max_hops: int,
) -> TracedShare:
    """`found` maps a true case id to (the time its trace ran, the fen that trace gave that
    case's victim on each transfer event id). Only hops into mule accounts, within
    `max_hops`, that happened by the time of the trace count."""
    found_fen = true_fen = 0
    for case, (at_ts, per_transfer) in found.items():
        for f in flows.get(case, ()):
            if f.to_sink or f.depth > max_hops or f.ts > at_ts:
                continue
            true_fen += f.amount_fen
            found_fen += min(f.amount_fen, int(per_transfer.get(f.event_id, 0)))
    return TracedShare(found_fen, true_fen)


def sink_accounts(accounts: pa.Table) -> set[str]:
    """Accounts where money leaves the system: external (cash, crypto, abroad) and merchants."""
    kinds = pa.array([AccountKind.EXTERNAL.value, AccountKind.MERCHANT.value])
    return set(
        accounts.filter(pc.is_in(accounts["kind"], value_set=kinds))["account_id"].to_pylist()
    )


def _true_case_of(truth: pa.Table) -> dict[str, str]:
    """Transfer event id -> true case id, for the victims' payments."""
    rows = truth.filter(
        pc.and_(
            pc.equal(truth["entity_kind"], EntityKind.TRANSFER.value),
            pc.equal(truth["role"], Role.FRAUD_PAYMENT.value),
        )
    )
    return dict(zip(rows["entity_id"].to_pylist(), rows["case_id"].to_pylist(), strict=True))


def _per_transfer(result: Trace, victim: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for h in result.hops:
        if h.victim == victim:
            out[h.event_id] = out.get(h.event_id, 0) + h.fen
    return out


def traced_share_by_rule(
    recovery: Recovery, traced_at: Mapping[str, int], rules: Iterable[Rule]
) -> dict[str, TracedShare]:
    """For each rule, what tracing finds of the money that truly moved into mule accounts
    when each case (`traced_at`: case id -> the time it was traced) is traced alone, under
    the recovery's hop limit and window, with no orders in force (the truth has none).
    The recovery's world must hold its `truth` table."""
    tables = recovery.tables
    true_case = _true_case_of(tables["truth"])
    flows = true_flows(tables["truth"], tables["transfers"], sink_accounts(tables["accounts"]))
    policy = recovery.policy
    out: dict[str, TracedShare] = {}
    for rule in rules:
        found: dict[str, tuple[int, Mapping[str, int]]] = {}
        for cid, at in traced_at.items():
            case = recovery.cases[cid]
            truly = next((true_case[t] for t in case.transfer_ids if t in true_case), None)
            if truly is None:
                continue
            result = trace(
                recovery.ledger,
                [(cid, t) for t in case.transfer_ids],
                rule,
                max_hops=policy.max_hops,
                window_ms=policy.window_ms,
                until_ts=at,
            )
            found[truly] = (at, _per_transfer(result, cid))
        out[str(rule)] = traced_share(flows, found, policy.max_hops)
    return out
