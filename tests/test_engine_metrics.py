"""replay_metrics: hand-worked examples of every definition, and a per-event reference.

The hand-worked tests pin each definition on a world small enough to check on paper. The
property test compares the columnar implementation with `reference`, a plain loop over
events that restates the definitions of the module docstring, on random small worlds
(ties in time, undecided events, shuffled or re-timed decisions, chunked tables).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fraudwall.engine import DECISION_SCHEMA, WARNING_SCHEMA, replay_metrics
from fraudwall.engine.metrics import ACTIONS, stop_draw
from fraudwall.sim import World

# --- building small worlds by hand ------------------------------------------------------
TRANSFERS = pa.schema(
    [
        ("event_id", pa.string()),
        ("ts", pa.int64()),
        ("from_account", pa.string()),
        ("to_account", pa.string()),
        ("amount_fen", pa.int64()),
    ]
)
TRUTH = pa.schema(
    [
        ("entity_kind", pa.string()),
        ("entity_id", pa.string()),
        ("role", pa.string()),
        ("case_id", pa.string()),
        ("gang_id", pa.string()),
        ("fraud_type", pa.string()),
        ("typology", pa.string()),
    ]
)
ACCOUNTS = pa.schema([("account_id", pa.string()), ("owner_person_id", pa.string())])
# The tables a replay writes: the engine's own schemas, so the metrics read what it writes.
DECISIONS = DECISION_SCHEMA
WARNINGS = WARNING_SCHEMA


@dataclass(frozen=True)
class T:
    """A transfer."""

    event_id: str
    ts: int
    from_account: str
    amount_fen: int
    to_account: str = "mule"


@dataclass(frozen=True)
class Truth:
    entity_id: str
    role: str
    fraud_type: str | None = None
    entity_kind: str = "transfer"


@dataclass(frozen=True)
class D:
    """A decision (ts None: the event's own ts is not known, so none is given)."""

    event_id: str
    action: str
    kind: str = "transfer"
    rules: list[str] = field(default_factory=list)
    shadow_rules: list[str] = field(default_factory=list)
    ts: int | None = 0


@dataclass(frozen=True)
class W:
    """A warning."""

    person_id: str | None
    ts: int


def transfers_table(rows: Sequence[T]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "event_id": r.event_id,
                "ts": r.ts,
                "from_account": r.from_account,
                "to_account": r.to_account,
                "amount_fen": r.amount_fen,
            }
            for r in rows
        ],
        TRANSFERS,
    )


def truth_table(rows: Sequence[Truth]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "entity_kind": r.entity_kind,
                "entity_id": r.entity_id,
                "role": r.role,
                "fraud_type": r.fraud_type,
            }
            for r in rows
        ],
        TRUTH,
    )


def accounts_table(owners: dict[str, str | None]) -> pa.Table:
    return pa.Table.from_pylist(
        [{"account_id": a, "owner_person_id": p} for a, p in owners.items()], ACCOUNTS
    )


def decisions_table(rows: Sequence[D]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "event_id": r.event_id,
                "kind": r.kind,
                "ts": r.ts,
                "action": r.action,
                "score": 0.5,
                "rules": r.rules,
                "shadow_rules": r.shadow_rules,
                "top_features": [],
                "reason": "",
                "person_id": None,
            }
            for r in rows
        ],
        DECISIONS,
    )


def warnings_table(rows: Sequence[W]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "warning_id": f"w{i}",
                "ts": r.ts,
                "person_id": r.person_id,
                "channel": "app_push",
                "source_event_id": "",
                "reason": "",
            }
            for i, r in enumerate(rows)
        ],
        WARNINGS,
    )


# The world of the hand-worked examples: alice and bob are victims (f1, f2, f3), carol and
# dave pay ordinary bills (l1, l2), the mule launders (x1) and pays alice a bait (b1).
OWNERS: dict[str, str | None] = {
    "a_alice": "alice",
    "a_bob": "bob",
    "a_carol": "carol",
    "a_dave": "dave",
    "mule": None,
}
WORLD = [
    T("f1", 1_000, "a_alice", 50_000),
    T("l1", 1_500, "a_carol", 1_000, "shop"),
    T("f2", 2_000, "a_bob", 30_000),
    T("b1", 2_500, "mule", 800, "a_alice"),
    T("x1", 3_000, "mule", 80_000, "elsewhere"),
    T("f3", 4_000, "a_alice", 20_000),
    T("l2", 5_000, "a_dave", 7_000, "utility"),
]
WORLD_TRUTH = [
    Truth("f1", "fraud_payment", "rebate"),
    Truth("f2", "fraud_payment", "investment"),
    Truth("f3", "fraud_payment", "rebate"),
    Truth("b1", "bait_payment", "rebate"),
    Truth("x1", "laundering", "rebate"),
    Truth("c_fraud", "fraud_contact", "rebate", "call"),
    Truth("s_fraud", "fraud_contact", "rebate", "sms"),
    Truth("s_missed", "fraud_contact", "rebate", "sms"),
]


def run(
    decisions: Sequence[D] = (),
    warnings: Sequence[W] = (),
    *,
    p: float = 0.0,
    seed: int = 0,
    world: Sequence[T] = WORLD,
    truth: Sequence[Truth] = WORLD_TRUTH,
    owners: dict[str, str | None] = OWNERS,
) -> dict[str, Any]:
    return replay_metrics(
        decisions_table(decisions),
        warnings_table(warnings),
        transfers_table(world),
        truth_table(truth),
        accounts_table(owners),
        stop_probability=p,
        seed=seed,
    )


# --- hand-worked examples ---------------------------------------------------------------
def test_nothing_decided_counts_as_allow() -> None:
    m = run()
    assert m["fraud_transfers"] == 3
    assert m["legit_transfers"] == 2
    assert m["excluded_transfers"] == 2  # bait and laundering
    assert m["fraud_fen_attempted"] == 100_000
    assert m["decisions"] == 0
    assert m["recall_stop"] == 0.0 and m["recall_warn"] == 0.0
    assert m["precision_stop"] is None and m["precision_warn"] is None  # 0 / 0
    assert m["intercepted_share"] == 0.0 and m["intercepted_or_warned_share"] == 0.0
    assert m["legit_stopped_share"] == 0.0
    assert m["fraud_actions"] == {"allow": 3, "warn": 0, "delay": 0, "hold": 0, "block": 0}
    assert m["victims"] == 2 and m["victims_stopped"] == 0
    assert m["by_rule"] == {}


def test_a_held_fraud_payment_is_intercepted() -> None:
    m = run([D("f1", "hold")])
    assert m["precision_stop"] == 1.0
    assert m["recall_stop"] == pytest.approx(1 / 3)
    assert m["fraud_fen_intercepted"] == 50_000
    assert m["intercepted_share"] == 0.5
    assert m["intercepted_or_warned_share"] == 0.5
    assert m["by_fraud_type"]["rebate"]["intercepted_fen"] == 50_000
    assert m["by_fraud_type"]["investment"]["intercepted_fen"] == 0


def test_a_blocked_one_too_and_warn_level_includes_stop() -> None:
    m = run([D("f2", "block"), D("f3", "warn")])
    assert m["recall_stop"] == pytest.approx(1 / 3)
    assert m["recall_warn"] == pytest.approx(2 / 3)
    assert m["fraud_fen_intercepted"] == 30_000  # a warn alone intercepts nothing


@pytest.mark.parametrize(("p", "intercepted"), [(1.0, 30_000), (0.0, 0)])
def test_a_delayed_payment_is_intercepted_only_if_the_warned_payer_stops(
    p: float, intercepted: int
) -> None:
    m = run([D("f2", "delay")], [W("bob", 1_900)], p=p)
    assert m["fraud_fen_intercepted"] == intercepted
    assert m["fraud_fen_intercepted_or_warned"] == intercepted
    assert m["victims_stopped"] == (1 if p else 0)
    assert m["recall_warn"] == pytest.approx(1 / 3)
    assert m["recall_stop"] == 0.0  # a delay is not a stop


def test_a_delay_without_a_warning_intercepts_nothing() -> None:
    m = run([D("f2", "delay")], p=1.0)
    assert m["fraud_fen_intercepted"] == 0
    assert m["victims_stopped"] == 0


def test_a_warning_after_the_payment_does_not_count_at_the_same_ts_it_does() -> None:
    after = run([D("f2", "delay")], [W("bob", 2_001)], p=1.0)
    assert after["fraud_fen_intercepted"] == 0 and after["victims_stopped"] == 0
    same = run([D("f2", "delay")], [W("bob", 2_000)], p=1.0)
    assert same["fraud_fen_intercepted"] == 30_000 and same["victims_stopped"] == 1


def test_a_warned_payer_who_stops_prevents_an_allowed_payment_without_intercepting() -> None:
    # alice is warned between her two payments: only the second (f3) is prevented.
    m = run([], [W("alice", 2_000)], p=1.0)
    assert m["fraud_fen_intercepted"] == 0
    assert m["fraud_fen_intercepted_or_warned"] == 20_000
    assert m["intercepted_or_warned_share"] == 0.2
    assert m["by_fraud_type"]["rebate"]["intercepted_or_warned_fen"] == 20_000
    assert m["victims_stopped"] == 1
    assert m["warnings_sent"] == 1 and m["warned_people"] == 1


def test_warnings_of_other_people_or_nobody_do_not_count() -> None:
    warnings = [W("carol", 0), W(None, 0), W("carol", 10), W("stranger", 0)]
    m = run([D("f2", "delay")], warnings, p=1.0)
    assert m["fraud_fen_intercepted_or_warned"] == 0
    assert m["warnings_sent"] == 4
    assert m["warned_people"] == 2  # carol and the stranger; a null person is nobody


def test_legit_stops_delays_and_warns_are_each_reported() -> None:
    m = run([D("l1", "hold"), D("l2", "delay"), D("f1", "block")])
    assert m["legit_stopped_share"] == 0.5
    assert m["legit_delayed_share"] == 0.5
    assert m["legit_warned_share"] == 0.0
    assert m["precision_stop"] == 0.5  # f1 and l1 stopped
    assert m["precision_warn"] == pytest.approx(1 / 3)  # f1, l1, l2 warned-level
    m = run([D("l1", "warn"), D("l2", "block")])
    assert m["legit_warned_share"] == 0.5 and m["legit_stopped_share"] == 0.5
    assert m["legit_actions"] == {"allow": 0, "warn": 1, "delay": 0, "hold": 0, "block": 1}


def test_laundering_and_bait_are_neither_fraud_payments_nor_legit() -> None:
    m = run([D("x1", "block"), D("b1", "hold")])
    assert m["precision_stop"] is None  # stops, but of nothing in F or Legit
    assert m["recall_stop"] == 0.0
    assert m["legit_stopped_share"] == 0.0
    assert m["legit_transfers"] == 2 and m["fraud_transfers"] == 3
    m = run([D("x1", "block", rules=["r"])])
    assert m["by_rule"]["r"]["fired"] == 1
    assert m["by_rule"]["r"]["fired_fraud"] == m["by_rule"]["r"]["fired_legit"] == 0
    assert m["by_rule"]["r"]["precision"] is None


def test_zero_over_zero_is_none_and_the_result_is_plain_json() -> None:
    m = run(world=[], truth=[], owners={})
    for key in (
        "precision_stop",
        "recall_stop",
        "precision_warn",
        "recall_warn",
        "intercepted_share",
        "intercepted_or_warned_share",
        "legit_stopped_share",
        "legit_delayed_share",
        "legit_warned_share",
    ):
        assert m[key] is None, key
    assert m["contacts"]["precision_warn"] is None and m["contacts"]["recall_warn"] is None
    assert m["by_fraud_type"] == {} and m["fraud_fen_attempted"] == 0
    full = run([D("f1", "hold", rules=["r"]), D("c_fraud", "warn", "call")], [W("bob", 0)])
    for result in (m, full):
        assert json.loads(json.dumps(result, allow_nan=False)) == result
        assert type(result["fraud_fen_attempted"]) is int


def test_by_fraud_type_adds_up_to_the_totals() -> None:
    m = run([D("f1", "hold"), D("f2", "delay"), D("f3", "warn")], [W("bob", 0)], p=1.0)
    types = m["by_fraud_type"]
    assert sorted(types) == ["investment", "rebate"]
    assert types["rebate"] == {
        "transfers": 2,
        "attempted_fen": 70_000,
        "intercepted_fen": 50_000,
        "intercepted_or_warned_fen": 50_000,
        "intercepted_share": 50_000 / 70_000,
        "intercepted_or_warned_share": 50_000 / 70_000,
        "recall_stop": 0.5,
        "recall_warn": 1.0,
    }
    assert types["investment"]["intercepted_fen"] == 30_000  # delayed, bob warned, stops
    assert sum(t["transfers"] for t in types.values()) == m["fraud_transfers"]
    assert sum(t["attempted_fen"] for t in types.values()) == m["fraud_fen_attempted"]
    assert sum(t["intercepted_fen"] for t in types.values()) == m["fraud_fen_intercepted"]
    assert (
        sum(t["intercepted_or_warned_fen"] for t in types.values())
        == m["fraud_fen_intercepted_or_warned"]
    )


def test_a_fraud_payment_without_a_fraud_type_is_unknown() -> None:
    m = run(truth=[Truth("f1", "fraud_payment")])
    assert list(m["by_fraud_type"]) == ["unknown"]
    assert m["by_fraud_type"]["unknown"]["attempted_fen"] == 50_000


def test_by_rule_backtests_live_and_shadow_rules() -> None:
    decisions = [
        D("f1", "hold", rules=["big"], shadow_rules=["new"]),
        D("l1", "warn", rules=["big"], shadow_rules=["new", "new"]),  # listed twice: once
        D("f2", "allow", shadow_rules=["new"]),
        D("x1", "allow", shadow_rules=["new"]),  # laundering: neither fraud nor legit
        D("c_fraud", "warn", "call", rules=["caller"], shadow_rules=["big"]),
        D("c_legit", "allow", "call", shadow_rules=["caller"]),
    ]
    rules = run(decisions)["by_rule"]
    assert list(rules) == ["big", "caller", "new"]
    assert rules["new"] == {
        "kinds": ["transfer"],
        "shadow": True,
        "fired": 4,
        "fired_fraud": 2,
        "fired_legit": 1,
        "precision": 2 / 3,
        "recall": 2 / 3,  # f1 and f2 of the three fraud payments
        "fraud_fen": 80_000,
    }
    # "big" fired live on transfers and in shadow on a call: not a shadow rule, and its
    # recall is over the fraud transfers and the fraud calls (3 + 1).
    assert rules["big"]["kinds"] == ["call", "transfer"]
    assert rules["big"]["shadow"] is False
    assert (rules["big"]["fired"], rules["big"]["fired_fraud"]) == (3, 2)
    assert rules["big"]["recall"] == 2 / 4
    assert rules["big"]["fraud_fen"] == 50_000
    assert rules["caller"]["kinds"] == ["call"]
    assert rules["caller"]["shadow"] is False
    assert rules["caller"]["precision"] == 0.5 and rules["caller"]["recall"] == 1.0
    assert rules["caller"]["fraud_fen"] == 0


def test_a_rule_both_live_and_shadow_on_one_decision_fires_once() -> None:
    rules = run([D("f1", "hold", rules=["r"], shadow_rules=["r"])])["by_rule"]
    assert rules["r"]["fired"] == 1 and rules["r"]["shadow"] is False


def test_contacts() -> None:
    decisions = [
        D("c_fraud", "hold", "call"),
        D("c_legit", "warn", "call"),
        D("s_fraud", "block", "sms"),
        D("s_legit", "block", "sms"),
        D("s_other", "allow", "sms"),
    ]
    c = run(decisions)["contacts"]
    assert c == {
        "events": 6,  # five decided and s_missed, a fraud SMS that was never decided
        "fraud": 3,
        "legit": 3,
        "undecided_fraud": 1,
        "warned_fraud": 2,
        "warned_legit": 2,
        "precision_warn": 0.5,
        "recall_warn": 2 / 3,
        "blocked_fraud": 2,
        "blocked_legit": 1,
        "by_kind": {  # the same, for calls and for SMS apart
            "call": {"fraud": 1, "legit": 1, "warned_fraud": 1, "warned_legit": 1,
                     "precision_warn": 0.5, "recall_warn": 1.0, "blocked_fraud": 1,
                     "blocked_legit": 0},
            "sms": {"fraud": 2, "legit": 2, "warned_fraud": 1, "warned_legit": 1,
                    "precision_warn": 0.5, "recall_warn": 0.5, "blocked_fraud": 1,
                    "blocked_legit": 1},
        },
    }  # fmt: skip


def test_fraud_payments_by_the_contact_that_led_their_case() -> None:
    """Each payment's case is led by its earliest decided fraud contact: alice's case
    (f1, f3) by an SMS before a call, bob's (f2) by nothing decided."""
    cases = {"f1": "k1", "f3": "k1", "f2": "k2", "c_fraud": "k1", "s_fraud": "k1"}
    rows = [
        {"entity_kind": t.entity_kind, "entity_id": t.entity_id, "role": t.role,
         "fraud_type": t.fraud_type, "case_id": cases.get(t.entity_id)}
        for t in WORLD_TRUTH
    ]  # fmt: skip
    truth = pa.Table.from_pylist(rows)
    decisions = [D("c_fraud", "warn", "call", ts=500), D("s_fraud", "allow", "sms", ts=400),
                 D("f1", "hold"), D("f3", "allow")]  # fmt: skip
    m = replay_metrics(
        decisions_table(decisions), warnings_table([W("alice", 900)]), transfers_table(WORLD),
        truth, accounts_table(OWNERS), stop_probability=0.0, seed=0,
    )  # fmt: skip
    lead = m["by_lead_contact"]
    assert lead["sms"]["transfers"] == 2 and lead["sms"]["attempted_fen"] == 70_000
    assert lead["sms"]["recall_stop"] == 0.5 and lead["sms"]["warned_before_share"] == 1.0
    assert lead["none"]["transfers"] == 1 and lead["none"]["recall_warn"] == 0.0
    assert lead["call"]["transfers"] == 0 and lead["call"]["recall_warn"] is None
    assert run(decisions)["by_lead_contact"]["none"]["transfers"] == 3  # no case ids


def test_a_contact_id_of_the_other_kind_is_not_fraud() -> None:
    # c_fraud is a fraud call; an SMS decision with the same id is not that call.
    c = run([D("c_fraud", "block", "sms")])["contacts"]
    assert c["blocked_fraud"] == 0 and c["undecided_fraud"] == 3 and c["legit"] == 1


# --- the stop draw ----------------------------------------------------------------------
def test_stop_draw_is_deterministic_uniform_and_keyed_by_seed() -> None:
    u = [stop_draw(7, f"p{i}") for i in range(2_000)]
    assert u == [stop_draw(7, f"p{i}") for i in range(2_000)]
    assert all(0.0 <= x < 1.0 for x in u)
    assert 0.45 < sum(u) / len(u) < 0.55
    assert sum(x < 0.3 for x in u) / len(u) == pytest.approx(0.3, abs=0.04)
    assert u != [stop_draw(8, f"p{i}") for i in range(2_000)]


def test_the_payer_stops_exactly_when_the_draw_is_below_the_probability() -> None:
    u = stop_draw(3, "bob")
    args = ([D("f2", "delay")], [W("bob", 0)])
    assert run(*args, p=u, seed=3)["victims_stopped"] == 0  # u < u is false
    above = min(1.0, u + 1e-12)
    assert run(*args, p=above, seed=3)["victims_stopped"] == 1
    assert run(*args, p=above, seed=3) == run(*args, p=above, seed=3)


# --- matching decisions to transfers ----------------------------------------------------
def test_decisions_are_found_in_any_order_with_or_without_a_matching_ts() -> None:
    tied = [T("t1", 5, "a_alice", 10), T("t2", 5, "a_bob", 20), T("t3", 5, "a_carol", 30)]
    truth = [Truth("t1", "fraud_payment", "rebate"), Truth("t3", "fraud_payment", "loan")]
    want = run([D("t3", "hold"), D("t2", "hold")], world=tied, truth=truth)
    assert want["fraud_fen_intercepted"] == 30 and want["legit_stopped_share"] == 1.0
    for ts in (5, None, 999):  # the event's ts, none, a decision time
        got = run(
            [D("t3", "hold", ts=ts), D("t2", "hold", ts=ts)],
            world=tied,
            truth=truth,
        )
        assert got == want
    no_ts = replay_metrics(
        decisions_table([D("t3", "hold"), D("t2", "hold")]).drop_columns(["ts"]),
        warnings_table([]),
        transfers_table(tied),
        truth_table(truth),
        accounts_table(OWNERS),
        stop_probability=0.0,
        seed=0,
    )
    assert no_ts == want


def test_every_transfer_decided_in_order() -> None:
    decisions = [D(t.event_id, "hold", ts=t.ts) for t in WORLD]
    m = run(decisions)
    assert m["recall_stop"] == 1.0 and m["legit_stopped_share"] == 1.0
    assert m["precision_stop"] == 0.6


# --- refusals ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("decisions", "shadow_rules"),
        ("decisions", "action"),
        ("warnings", "person_id"),
        ("transfers", "amount_fen"),
        ("truth", "role"),
        ("accounts", "owner_person_id"),
    ],
)
def test_a_missing_column_is_named(table: str, column: str) -> None:
    tables = {
        "decisions": decisions_table([]),
        "warnings": warnings_table([]),
        "transfers": transfers_table(WORLD),
        "truth": truth_table(WORLD_TRUTH),
        "accounts": accounts_table(OWNERS),
    }
    tables[table] = tables[table].drop_columns([column])
    with pytest.raises(ValueError, match=f"{table}: missing column '{column}'"):
        replay_metrics(**tables, stop_probability=0.5, seed=1)


def test_an_unknown_action_or_kind_is_named() -> None:
    with pytest.raises(ValueError, match="unknown action 'stop'"):
        run([D("f1", "hold"), D("f2", "stop")])
    with pytest.raises(ValueError, match="unknown kind 'login'"):
        run([D("f1", "hold", kind="login")])


def test_other_refusals() -> None:
    with pytest.raises(ValueError, match="decided more than once"):
        run([D("f1", "hold"), D("f1", "allow")])
    with pytest.raises(ValueError, match="decided more than once"):
        run([D("f1", "hold", ts=1_000), D("f1", "allow", ts=1)])
    with pytest.raises(ValueError, match="decided more than once"):
        run([D("c_fraud", "hold", "call"), D("c_fraud", "hold", "call")])
    with pytest.raises(ValueError, match="'nope' is not in transfers"):
        run([D("f1", "hold"), D("nope", "hold")])
    with pytest.raises(ValueError, match="stop_probability"):
        run(p=1.5)
    with pytest.raises(ValueError, match="stop_probability"):
        run(p=float("nan"))
    float_money = transfers_table(WORLD).set_column(
        4, "amount_fen", pa.array([float(t.amount_fen) for t in WORLD])
    )
    with pytest.raises(ValueError, match=r"transfers\.amount_fen: must be integers"):
        replay_metrics(
            decisions_table([]),
            warnings_table([]),
            float_money,
            truth_table(WORLD_TRUTH),
            accounts_table(OWNERS),
            stop_probability=0.5,
            seed=1,
        )


def test_string_columns_may_be_dictionaries_large_or_chunked() -> None:
    decisions = [D("f1", "hold", rules=["r"]), D("c_fraud", "warn", "call"), D("l1", "delay")]
    want = run(decisions, [W("bob", 0)], p=1.0)
    tables = [
        decisions_table(decisions),
        warnings_table([W("bob", 0)]),
        transfers_table(WORLD),
        truth_table(WORLD_TRUTH),
        accounts_table(OWNERS),
    ]
    odd = []
    for t in tables:
        for i, f in enumerate(t.schema):
            if f.type == pa.string():
                encoded = pc.dictionary_encode(t[f.name]) if i % 2 else t[f.name]
                t = t.set_column(i, f.name, encoded if i % 2 else encoded.cast(pa.large_string()))
        odd.append(pa.concat_tables([t.slice(0, 1), t.slice(1)]) if t.num_rows else t)
    got = replay_metrics(*odd, stop_probability=1.0, seed=0)
    assert got == want


# --- the simulated world ----------------------------------------------------------------
def test_a_simulated_world_warned_at_the_start_loses_nothing(default_world: World) -> None:
    tables = default_world.tables
    cases = tables["cases"]
    paid = sum(cases["paid_fen"].to_pylist())
    victims = pc.unique(cases.filter(pc.greater(cases["paid_fen"], 0))["victim_person_id"])
    nothing = replay_metrics(
        decisions_table([]),
        warnings_table([]),
        tables["transfers"],
        tables["truth"],
        tables["accounts"],
        stop_probability=1.0,
        seed=0,
    )
    assert nothing["fraud_fen_attempted"] == paid > 0
    assert nothing["victims"] == len(victims)
    assert nothing["intercepted_or_warned_share"] == 0.0
    by_type: dict[str, int] = defaultdict(int)
    for row in cases.select(["fraud_type", "paid_fen"]).to_pylist():
        by_type[row["fraud_type"]] += row["paid_fen"]
    assert {k: v["attempted_fen"] for k, v in nothing["by_fraud_type"].items()} == {
        k: v for k, v in by_type.items() if v
    }
    everyone = warnings_table([W(p, 0) for p in victims.to_pylist()])
    warned = replay_metrics(
        decisions_table([]),
        everyone,
        tables["transfers"],
        tables["truth"],
        tables["accounts"],
        stop_probability=1.0,
        seed=0,
    )
    assert warned["intercepted_or_warned_share"] == 1.0
    assert warned["victims_stopped"] == len(victims)


# --- a per-event reference, and properties on random worlds -----------------------------
def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def reference(
    decisions: Sequence[D],
    warnings: Sequence[W],
    world: Sequence[T],
    truth: Sequence[Truth],
    owners: dict[str, str | None],
    p: float,
    seed: int,
) -> dict[str, Any]:
    """The definitions of replay_metrics, one event at a time."""
    rank = {a: i for i, a in enumerate(ACTIONS)}
    act = {(d.kind, d.event_id): d.action for d in decisions}
    rows: dict[tuple[str, str], list[Truth]] = defaultdict(list)
    for r in truth:
        rows[(r.entity_kind, r.entity_id)].append(r)

    def action(kind: str, event_id: str) -> int:
        return rank[act.get((kind, event_id), "allow")]

    def fraud(kind: str, event_id: str) -> bool:
        role = "fraud_payment" if kind == "transfer" else "fraud_contact"
        return any(r.role == role for r in rows[(kind, event_id)])

    def legit(kind: str, event_id: str) -> bool:
        return not rows[(kind, event_id)]

    f = [t for t in world if fraud("transfer", t.event_id)]
    lg = [t for t in world if legit("transfer", t.event_id)]
    ftype = {
        t.event_id: next(
            r.fraud_type or "unknown"
            for r in rows[("transfer", t.event_id)]
            if r.role == "fraud_payment"
        )
        for t in f
    }

    def payer(t: T) -> str | None:
        return owners.get(t.from_account)

    def prevented(t: T) -> bool:
        who = payer(t)
        if who is None:
            return False
        warned = any(w.person_id == who and w.ts <= t.ts for w in warnings)
        return warned and stop_draw(seed, who) < p

    def intercepted(t: T) -> bool:
        a = action("transfer", t.event_id)
        return a >= rank["hold"] or (a == rank["delay"] and prevented(t))

    stop = [t for t in f if action("transfer", t.event_id) >= rank["hold"]]
    warn = [t for t in f if action("transfer", t.event_id) >= rank["warn"]]
    lstop = [t for t in lg if action("transfer", t.event_id) >= rank["hold"]]
    lwarn = [t for t in lg if action("transfer", t.event_id) >= rank["warn"]]
    attempted = sum(t.amount_fen for t in f)
    ifen = sum(t.amount_fen for t in f if intercepted(t))
    wfen = sum(t.amount_fen for t in f if intercepted(t) or prevented(t))
    by_type = {}
    for ft in sorted(set(ftype.values())):
        ts = [t for t in f if ftype[t.event_id] == ft]
        att = sum(t.amount_fen for t in ts)
        i = sum(t.amount_fen for t in ts if intercepted(t))
        w = sum(t.amount_fen for t in ts if intercepted(t) or prevented(t))
        by_type[ft] = {
            "transfers": len(ts),
            "attempted_fen": att,
            "intercepted_fen": i,
            "intercepted_or_warned_fen": w,
            "intercepted_share": _share(i, att),
            "intercepted_or_warned_share": _share(w, att),
            "recall_stop": _share(sum(action("transfer", t.event_id) >= 3 for t in ts), len(ts)),
            "recall_warn": _share(sum(action("transfer", t.event_id) >= 1 for t in ts), len(ts)),
        }

    fraud_ids = {
        k: {r.entity_id for r in truth if r.entity_kind == k and fraud(k, r.entity_id)}
        for k in ("call", "sms")
    }
    n_fraud = {"transfer": len(f), "call": len(fraud_ids["call"]), "sms": len(fraud_ids["sms"])}
    amounts = {t.event_id: t.amount_fen for t in world}
    by_rule: dict[str, dict[str, Any]] = {}
    for name in sorted({r for d in decisions for r in [*d.rules, *d.shadow_rules]}):
        on = [d for d in decisions if name in d.rules or name in d.shadow_rules]
        kinds = sorted({d.kind for d in on})
        ff = [d for d in on if fraud(d.kind, d.event_id)]
        fl = sum(legit(d.kind, d.event_id) for d in on)
        by_rule[name] = {
            "kinds": kinds,
            "shadow": not any(name in d.rules for d in decisions),
            "fired": len(on),
            "fired_fraud": len(ff),
            "fired_legit": fl,
            "precision": _share(len(ff), len(ff) + fl),
            "recall": _share(len(ff), sum(n_fraud[k] for k in kinds)),
            "fraud_fen": sum(amounts[d.event_id] for d in ff if d.kind == "transfer"),
        }

    contact = [d for d in decisions if d.kind != "transfer"]
    cf = [d for d in contact if fraud(d.kind, d.event_id)]
    cl = [d for d in contact if legit(d.kind, d.event_id)]
    wf = sum(rank[d.action] >= 1 for d in cf)
    wl = sum(rank[d.action] >= 1 for d in cl)
    n_fc = n_fraud["call"] + n_fraud["sms"]
    payers = {payer(t) for t in f} - {None}
    return {
        "fraud_transfers": len(f),
        "legit_transfers": len(lg),
        "excluded_transfers": len(world) - len(f) - len(lg),
        "fraud_fen_attempted": attempted,
        "fraud_fen_intercepted": ifen,
        "fraud_fen_intercepted_or_warned": wfen,
        "precision_stop": _share(len(stop), len(stop) + len(lstop)),
        "recall_stop": _share(len(stop), len(f)),
        "precision_warn": _share(len(warn), len(warn) + len(lwarn)),
        "recall_warn": _share(len(warn), len(f)),
        "intercepted_share": _share(ifen, attempted),
        "intercepted_or_warned_share": _share(wfen, attempted),
        "legit_stopped_share": _share(len(lstop), len(lg)),
        "legit_delayed_share": _share(
            sum(action("transfer", t.event_id) == rank["delay"] for t in lg), len(lg)
        ),
        "legit_warned_share": _share(
            sum(action("transfer", t.event_id) == rank["warn"] for t in lg), len(lg)
        ),
        "warnings_sent": len(warnings),
        "warned_people": len({w.person_id for w in warnings} - {None}),
        "victims": len(payers),
        "victims_stopped": len({payer(t) for t in f if prevented(t)}),
        "by_fraud_type": by_type,
        "by_rule": by_rule,
        "contacts": {
            "events": len(contact) + len(fraud_ids["call"] | fraud_ids["sms"]) - len(cf),
            "fraud": n_fc,
            "legit": len(cl),
            "warned_fraud": wf,
            "warned_legit": wl,
            "precision_warn": _share(wf, wf + wl),
            "recall_warn": _share(wf, n_fc),
            "blocked_fraud": sum(rank[d.action] >= 3 for d in cf),
            "blocked_legit": sum(rank[d.action] >= 3 for d in cl),
        },
    }


PEOPLE = ["p0", "p1", "p2", "p3"]
RANDOM_OWNERS: dict[str, str | None] = {"a0": "p0", "a1": "p1", "a2": "p2", "a3": "p2", "a4": None}


@st.composite
def replays(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(0, 12))
    times = sorted(draw(st.lists(st.integers(0, 20), min_size=n, max_size=n)))
    amount = st.one_of(st.integers(1, 10**6), st.just(2**50))
    world = [
        T(f"t{i}", ts, draw(st.sampled_from([*RANDOM_OWNERS, "gone"])), draw(amount))
        for i, ts in enumerate(times)
    ]
    roles = st.sampled_from(["fraud_payment", "laundering", "bait_payment"])
    types = st.sampled_from(["rebate", "loan", None])
    truth = []
    for t in world:  # none, one or (rarely, in a real world) two truth rows per transfer
        for role in draw(st.lists(roles, max_size=2).filter(lambda r: len(r) < 2 or n % 3)):
            truth.append(Truth(t.event_id, role, draw(types)))
    contacts = [
        (f"c{j}", draw(st.sampled_from(["call", "sms"]))) for j in range(draw(st.integers(0, 6)))
    ]
    for cid, kind in contacts:
        if draw(st.booleans()):
            # another role on a contact: neither fraud nor legit (no real world has one)
            role = draw(st.sampled_from(["fraud_contact", "fraud_contact", "fraud_visit"]))
            truth.append(Truth(cid, role, draw(types), kind))
    truth = draw(st.permutations(truth))
    names = st.lists(st.sampled_from(["r1", "r2", "r3"]), max_size=3)
    decided = [t for t in world if draw(st.booleans())]
    decided_contacts = [c for c in contacts if draw(st.booleans())]
    retime = draw(st.sampled_from(["same", "none", "later"]))
    decisions = [
        D(
            t.event_id,
            draw(st.sampled_from(ACTIONS)),
            rules=draw(names),
            shadow_rules=draw(names),
            ts={"same": t.ts, "none": None, "later": t.ts + 7}[retime],
        )
        for t in decided
    ] + [
        D(cid, draw(st.sampled_from(ACTIONS)), kind, draw(names), draw(names))
        for cid, kind in decided_contacts
    ]
    if draw(st.booleans()):
        decisions = draw(st.permutations(decisions))
    warnings = draw(
        st.lists(st.builds(W, st.sampled_from([*PEOPLE, None]), st.integers(0, 22)), max_size=6)
    )
    return {
        "decisions": decisions,
        "warnings": warnings,
        "world": world,
        "truth": truth,
        "owners": RANDOM_OWNERS,
        "p": draw(st.sampled_from([0.0, 1.0, 0.5, draw(st.floats(0.0, 1.0))])),
        "seed": draw(st.integers(0, 2**40)),
    }


@settings(max_examples=300, deadline=None)
@given(r=replays())
def test_matches_the_per_event_reference(r: dict[str, Any]) -> None:
    got = run(
        r["decisions"],
        r["warnings"],
        p=r["p"],
        seed=r["seed"],
        world=r["world"],
        truth=r["truth"],
        owners=r["owners"],
    )
    want = reference(**r)
    del got["contacts"]["undecided_fraud"]
    by_kind = got["contacts"].pop("by_kind")  # calls and SMS apart add up to the whole
    for key in ("legit", "warned_fraud", "warned_legit", "blocked_fraud", "blocked_legit"):
        assert sum(k[key] for k in by_kind.values()) == got["contacts"][key]
    assert {k: got[k] for k in want} == want
    assert got["decisions"] == len(r["decisions"])


@settings(max_examples=200, deadline=None)
@given(r=replays())
def test_money_is_int_and_bounded_and_shares_are_shares(r: dict[str, Any]) -> None:
    m = run(
        r["decisions"],
        r["warnings"],
        p=r["p"],
        seed=r["seed"],
        world=r["world"],
        truth=r["truth"],
        owners=r["owners"],
    )
    money = ["fraud_fen_attempted", "fraud_fen_intercepted", "fraud_fen_intercepted_or_warned"]
    assert all(type(m[k]) is int for k in money)
    assert 0 <= m["fraud_fen_intercepted"] <= m["fraud_fen_intercepted_or_warned"]
    assert m["fraud_fen_intercepted_or_warned"] <= m["fraud_fen_attempted"]
    for t in m["by_fraud_type"].values():
        fen = [t["intercepted_fen"], t["intercepted_or_warned_fen"], t["attempted_fen"]]
        assert all(type(x) is int for x in fen)
        assert 0 <= fen[0] <= fen[1] <= fen[2]
    for name, rule in m["by_rule"].items():
        assert type(rule["fraud_fen"]) is int, name
    for total, part in [
        ("fraud_fen_attempted", "attempted_fen"),
        ("fraud_fen_intercepted", "intercepted_fen"),
        ("fraud_fen_intercepted_or_warned", "intercepted_or_warned_fen"),
        ("fraud_transfers", "transfers"),
    ]:
        assert sum(t[part] for t in m["by_fraud_type"].values()) == m[total]

    def shares(d: dict[str, Any]) -> list[Any]:
        found = []
        for k, v in d.items():
            if isinstance(v, dict):
                found += shares(v)
            elif k.endswith(("share", "precision", "recall")) or k.startswith(
                ("precision_", "recall_")
            ):
                found.append(v)
        return found

    for s in shares(m):
        assert s is None or (type(s) is float and 0.0 <= s <= 1.0)
    assert json.loads(json.dumps(m, allow_nan=False)) == m
