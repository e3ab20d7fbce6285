"""Returns under article 8: each case worked by hand, and the money rules as properties."""

from __future__ import annotations

from random import Random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fraudwall.funds import (
    RETURN_BASIS,
    AuditTrail,
    Claim,
    OrderBook,
    ReturnError,
    ReturnProcess,
    ReturnTally,
)
from fraudwall.funds.returns import DAY_MS, ReturnRule, plan_returns, pro_rata
from fraudwall.model import OrderKind, OrderState

T0 = 1_709_283_600_000  # 2024-03-01 09:00 UTC
NOTICE = 30 * DAY_MS


def claim(victim: str, traced: int, loss: int) -> Claim:
    return Claim(victim, f"C-{victim}", traced, loss, f"{victim}-card")


def process(frozen: int, tally: ReturnTally | None = None, account: str = "M1") -> ReturnProcess:
    return ReturnProcess(account, "B1", frozen, tally or ReturnTally(), AuditTrail())


# --- 8(1): sole victim ------------------------------------------------------------------
def test_sole_victim_gets_it_all_directly_up_to_the_loss() -> None:
    p = process(10_000)
    rnd = p.open_round([claim("v1", 9_000, 8_000)], T0, sole_victim=True)
    assert rnd.plan.rule == ReturnRule.SOLE_VICTIM and rnd.notice_ends_ts is None
    orders = p.execute(T0)  # direct: no notice to wait for
    assert [(o.amount_fen, o.to_account, o.case_id) for o in orders] == [(8_000, "v1-card", "C-v1")]
    o = orders[0]
    assert o.kind == OrderKind.RETURN and o.state == OrderState.EXECUTED
    assert o.legal_basis == RETURN_BASIS and o.account_id == "M1" and o.institution_id == "B1"
    assert p.residual_fen == 2_000
    assert p.audit.actions() == ["return_planned", "return_executed", "round_executed"]
    assert "¥20.00 stays frozen" in p.audit[-1].detail


def test_sole_victim_up_to_f_even_beyond_the_traced_amount() -> None:
    plan = plan_returns(10_000, [claim("v1", 6_000, 50_000)], sole_victim=True)
    assert plan.amounts() == {"v1": 10_000} and plan.residual_fen == 0


def test_sole_victim_with_two_victims_traced_is_an_error() -> None:
    with pytest.raises(ReturnError, match="v1, v2"):
        plan_returns(10_000, [claim("v1", 1, 5), claim("v2", 1, 5)], sole_victim=True)


# --- 8(2): unique split -----------------------------------------------------------------
def test_unique_split_returns_each_traced_share_capped_by_loss() -> None:
    p = process(10_000)
    p.open_round([claim("a", 6_000, 5_000), claim("b", 3_000, 9_000)], T0, unique_split=True)
    orders = p.execute(T0)
    assert {o.to_account: o.amount_fen for o in orders} == {"a-card": 5_000, "b-card": 3_000}
    assert p.residual_fen == 2_000


def test_unique_split_larger_than_f_falls_back_to_pro_rata() -> None:
    plan = plan_returns(1_000, [claim("a", 800, 800), claim("b", 400, 400)], unique_split=True)
    assert plan.rule == ReturnRule.PRO_RATA and plan.needs_notice
    assert "not unique" in plan.reason
    assert plan.amounts() == {"a": 667, "b": 333}


# --- 8(3): pro rata ---------------------------------------------------------------------
def test_pro_rata_by_hand_with_a_largest_remainder_fen() -> None:
    # F = 1000, L = 300/500/700 (ΣL = 1500): exact shares 200, 333.33, 466.67
    plan = plan_returns(1_000, [claim("a", 300, 900), claim("b", 500, 900), claim("c", 700, 900)])
    assert plan.rule == ReturnRule.PRO_RATA
    assert [(s.victim_id, s.base_fen, s.extra_fen) for s in plan.shares] == [
        ("a", 200, 0),
        ("b", 333, 0),
        ("c", 466, 1),
    ]
    assert plan.returned_fen == 1_000 and plan.residual_fen == 0


def test_pro_rata_ties_go_to_the_larger_claim_then_the_victim_id() -> None:
    assert pro_rata(10, {"b": 5, "a": 5, "c": 5}) == {"a": 4, "b": 3, "c": 3}
    # F = 7 over 4 and 2 (ΣL 6 ≤ F): everyone whole, 1 fen stays frozen
    assert pro_rata(7, {"x": 4, "y": 2}) == {"x": 4, "y": 2}
    # remainders 28 mod 9 = 1 vs 35 mod 9 = 8: the bigger remainder wins the leftover fen
    assert pro_rata(7, {"p": 4, "q": 5}) == {"p": 3, "q": 4}


def test_pro_rata_claims_are_capped_at_the_net_loss() -> None:
    plan = plan_returns(600, [claim("a", 700, 400), claim("b", 800, 800)])
    assert {s.victim_id: s.claim_fen for s in plan.shares} == {"a": 400, "b": 800}
    assert plan.amounts() == {"a": 200, "b": 400}


def test_notice_objections_then_execution() -> None:
    p = process(1_000)
    rnd = p.open_round([claim("a", 300, 900), claim("b", 500, 900), claim("c", 700, 900)], T0)
    assert rnd.notice_ends_ts == T0 + NOTICE
    with pytest.raises(ReturnError, match="under public notice"):
        p.execute(T0 + NOTICE - 1)

    dismissed = p.object("a", 0, T0 + DAY_MS, by="holder of M1", reason="salary, not fraud")
    upheld = p.object("c", 200, T0 + 2 * DAY_MS, by="b", reason="c was repaid ¥5 in cash")
    with pytest.raises(ReturnError, match="not yet decided"):
        p.execute(T0 + NOTICE)
    p.decide(dismissed.objection_id, False, T0 + 3 * DAY_MS, ruling="the transfer is traced")
    assert rnd.plan.amounts() == {"a": 200, "b": 333, "c": 467}
    p.decide(upheld.objection_id, True, T0 + 4 * DAY_MS, ruling="receipt shown")
    # c's claim is now 200: ΣL = 1000 = F, everyone whole
    assert rnd.plan.amounts() == {"a": 300, "b": 500, "c": 200}
    with pytest.raises(ReturnError, match="already decided"):
        p.decide(upheld.objection_id, False, T0 + 5 * DAY_MS, ruling="again")
    with pytest.raises(ReturnError, match="too late"):
        p.object("b", 1, T0 + NOTICE, by="x", reason="late")

    orders = p.execute(T0 + NOTICE)
    assert {o.to_account: o.amount_fen for o in orders} == {
        "a-card": 300,
        "b-card": 500,
        "c-card": 200,
    }
    assert p.residual_fen == 0
    assert p.audit.actions() == [
        "return_planned",
        "notice_published",
        "objection_raised",
        "objection_raised",
        "objection_dismissed",
        "objection_upheld",
        *["return_executed"] * 3,
        "round_executed",
    ]
    assert p.audit[2].actor == "holder of M1"


def test_objection_removing_a_claim() -> None:
    p = process(600)
    p.open_round([claim("a", 400, 400), claim("b", 400, 400)], T0)
    obj = p.object("b", 0, T0, by="a", reason="b's money never reached M1")
    p.decide(obj.objection_id, True, T0 + DAY_MS, ruling="ledger confirms")
    orders = p.execute(T0 + NOTICE)
    assert [(o.to_account, o.amount_fen) for o in orders] == [("a-card", 400)]
    assert p.residual_fen == 200


def test_no_objections_to_a_direct_return() -> None:
    p = process(100)
    p.open_round([claim("a", 100, 100)], T0, sole_victim=True)
    with pytest.raises(ReturnError, match="no public notice"):
        p.object("a", 0, T0, by="x", reason="y")


def test_residual_stays_frozen_and_a_new_victim_starts_a_new_round() -> None:
    p = process(1_000)
    p.open_round([claim("a", 300, 300), claim("b", 500, 2_000)], T0)
    p.execute(T0 + NOTICE)
    assert p.returned_here == {"a": 300, "b": 500}
    assert p.residual_fen == 200
    with pytest.raises(ReturnError, match="no open return round"):
        p.execute(T0 + NOTICE)

    # c is found later; a and b have had all their traced money back from here
    rnd2 = p.open_round([claim("c", 400, 400)], T0 + 40 * DAY_MS)
    assert rnd2.number == 2 and rnd2.plan.frozen_fen == 200
    assert rnd2.plan.amounts() == {"a": 0, "b": 0, "c": 200}
    with pytest.raises(ReturnError, match="still open"):
        p.open_round([], T0 + 41 * DAY_MS)
    orders = p.execute(T0 + 70 * DAY_MS)
    assert [(o.order_id, o.amount_fen) for o in orders] == [("RT-M1-R2-1", 200)]
    assert p.residual_fen == 0
    with pytest.raises(ReturnError, match="nothing is left frozen"):
        p.open_round([claim("d", 1, 1)], T0 + 80 * DAY_MS)
    assert "new round (claims added: c)" in p.audit.about("M1#R2")[0].detail


def test_upheld_objection_can_make_the_others_whole() -> None:
    # F = 900 over claims of 600 and 600 would give 450 each; b's claim is cut to 300
    p = process(900)
    p.open_round([claim("a", 600, 600), claim("b", 600, 600)], T0)
    obj = p.object("b", 300, T0, by="a", reason="half of b's money went elsewhere")
    p.decide(obj.objection_id, True, T0, ruling="agreed")
    p.execute(T0 + NOTICE)
    assert p.returned_here == {"a": 600, "b": 300}
    assert p.residual_fen == 0


def test_loss_caps_returns_across_accounts() -> None:
    tally = ReturnTally()
    x, y = process(400, tally, "X"), process(400, tally, "Y")
    x.open_round([claim("a", 400, 500)], T0, sole_victim=True)
    x.execute(T0)
    rnd = y.open_round([claim("a", 400, 500)], T0 + DAY_MS, sole_victim=True)
    assert rnd.plan.amounts() == {"a": 100}
    y.execute(T0 + DAY_MS)
    assert tally.returned("a") == 500 and y.residual_fen == 300


def test_concurrent_rounds_are_capped_again_at_execution() -> None:
    tally = ReturnTally()
    trail = AuditTrail()
    x = ReturnProcess("X", "B1", 1_000, tally, trail)
    y = ReturnProcess("Y", "B2", 1_000, tally, trail)
    x.open_round([claim("a", 800, 1_000), claim("b", 800, 5_000)], T0)
    y.open_round([claim("a", 800, 1_000), claim("c", 800, 5_000)], T0)
    x.execute(T0 + NOTICE)  # a gets 500 from X
    orders = y.execute(T0 + NOTICE)  # a was due 500 from Y, may only get 500 more: fine
    assert tally.returned("a") == 1_000
    assert sum(o.amount_fen for o in orders) == 1_000

    z = ReturnProcess("Z", "B3", 1_000, tally, trail)
    w = ReturnProcess("W", "B4", 1_000, tally, trail)
    z.open_round([claim("d", 800, 900), claim("e", 800, 5_000)], T0)
    w.open_round([claim("d", 800, 900), claim("f", 800, 5_000)], T0)
    z.execute(T0 + NOTICE)  # d gets 500
    w_orders = w.execute(T0 + NOTICE)  # d was planned 500 but only 400 remain of the loss
    assert {o.to_account: o.amount_fen for o in w_orders} == {"d-card": 400, "f-card": 500}
    assert tally.returned("d") == 900 and w.residual_fen == 100
    assert "return_capped" in trail.actions()


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ReturnError, match="twice"):
        plan_returns(10, [claim("a", 1, 1), claim("a", 2, 2)])
    with pytest.raises(ReturnError):
        plan_returns(-1, [claim("a", 1, 1)])
    early = process(10)
    early.open_round([claim("a", 5, 5), claim("b", 5, 5)], T0)
    with pytest.raises(ReturnError, match="opened at"):
        early.object("a", 0, T0 - 1, by="x", reason="before the notice")
    with pytest.raises(ReturnError, match="no claim of z"):
        early.object("z", 0, T0, by="x", reason="unknown")
    with pytest.raises(ReturnError, match="no objection"):
        early.decide("OB-nope", True, T0, ruling="r")
    with pytest.raises(ReturnError, match="no claims"):
        process(10).open_round([], T0)
    with pytest.raises(ReturnError):
        pro_rata(10, {"a": -1})


def test_returns_settle_against_the_freeze() -> None:
    trail = AuditTrail()
    book = OrderBook(trail)
    book.freeze("C-a", "B1", "M1", 1_000, 1_000, T0)
    p = ReturnProcess("M1", "B1", book.frozen_fen("M1", T0), ReturnTally(), trail)
    p.open_round([claim("a", 300, 300), claim("b", 500, 500)], T0)
    for o in p.execute(T0 + NOTICE):
        book.settle_return(o, T0 + NOTICE)
    assert book.frozen_fen("M1", T0 + NOTICE) == p.residual_fen == 200


# --- properties -------------------------------------------------------------------------
fen = st.integers(0, 10**12)
claim_maps = st.dictionaries(st.text("abcdefgh", min_size=1, max_size=3), fen, max_size=8)


@given(fen, claim_maps, st.randoms(use_true_random=False))
def test_pro_rata_is_exact_capped_and_deterministic(
    frozen: int, claims: dict[str, int], rnd: Random
) -> None:
    out = pro_rata(frozen, claims)
    total = sum(claims.values())
    assert all(isinstance(v, int) for v in out.values())
    assert sum(out.values()) == min(frozen, total)
    for k, v in claims.items():
        assert 0 <= out[k] <= v
        if total:
            floor = min(v, frozen * v // total)
            assert floor <= out[k] <= floor + 1
    keys = list(claims)
    rnd.shuffle(keys)
    assert pro_rata(frozen, {k: claims[k] for k in keys}) == out


@given(fen, claim_maps)
def test_largest_remainder_fen_go_to_the_largest_remainders(
    frozen: int, claims: dict[str, int]
) -> None:
    total = sum(claims.values())
    if total <= frozen or total == 0:
        return
    out = pro_rata(frozen, claims)
    rem = {k: frozen * v % total for k, v in claims.items()}
    got = {k for k, v in claims.items() if out[k] > frozen * v // total}
    missed = set(claims) - got
    if got and missed:
        assert min(rem[k] for k in got) >= max(rem[k] for k in missed)


victims = st.lists(st.text("uvwxyz", min_size=1, max_size=2), min_size=1, max_size=6, unique=True)


@given(
    fen,
    victims.flatmap(lambda vs: st.tuples(*[st.tuples(st.just(v), fen, fen, fen) for v in vs])),
    st.booleans(),
    st.booleans(),
)
def test_a_plan_never_returns_more_than_frozen_or_lost(
    frozen: int, rows: tuple[tuple[str, int, int, int], ...], sole: bool, split: bool
) -> None:
    claims = [claim(v, traced, loss) for v, traced, loss, _ in rows]
    back = {v: already for v, _, _, already in rows}
    if sole:
        claims = claims[:1]
    plan = plan_returns(frozen, claims, sole_victim=sole, unique_split=split, returned=back)
    assert plan.returned_fen <= frozen
    assert plan.residual_fen == frozen - plan.returned_fen >= 0
    for c, s in zip(sorted(claims, key=lambda c: c.victim_id), plan.shares, strict=True):
        assert 0 <= s.amount_fen <= max(0, c.loss_fen - back[c.victim_id])
        if plan.rule != ReturnRule.SOLE_VICTIM:
            assert s.amount_fen <= c.traced_fen


scenario = st.fixed_dictionaries(
    {
        "losses": st.lists(st.integers(0, 5_000), min_size=1, max_size=5),
        "accounts": st.lists(
            st.tuples(
                st.integers(0, 6_000),  # frozen
                st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4_000)), max_size=5),
                st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4_000)), max_size=3),
                st.sampled_from(["sole", "split", "pro"]),
                st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4_000), st.booleans())),
            ),
            min_size=1,
            max_size=4,
        ),
    }
)


@settings(max_examples=150, deadline=None)
@given(scenario)
def test_money_rules_hold_over_accounts_and_rounds(sc: dict[str, Any]) -> None:
    losses: list[int] = sc["losses"]
    n = len(losses)
    tally = ReturnTally()
    trail = AuditTrail()
    procs: list[ReturnProcess] = []
    now = T0
    for k, (frozen, first, later, mode, objections) in enumerate(sc["accounts"]):
        p = ReturnProcess(f"M{k}", "B1", frozen, tally, trail)
        procs.append(p)
        for rno, found in enumerate((first, later)):
            merged = {f"v{i % n}": traced for i, traced in found}
            claims = [claim(v, t, losses[int(v[1:])]) for v, t in merged.items()]
            if not claims or (rno and p.residual_fen == 0):
                continue
            sole = mode == "sole" and rno == 0 and len(claims) == 1
            rnd = p.open_round(claims, now, sole_victim=sole, unique_split=mode == "split")
            if rnd.notice_ends_ts is not None:
                for i, corrected, upheld in objections:
                    v = f"v{i % n}"
                    if v in p.claims:
                        obj = p.object(v, corrected, now, by="someone", reason="r")
                        p.decide(obj.objection_id, upheld, now, ruling="r")
                now += NOTICE
            orders = p.execute(now)
            assert all(o.amount_fen > 0 and o.to_account for o in orders)
            now += DAY_MS
        assert 0 <= p.residual_fen == p.frozen_fen - p.returned_fen
    for i, loss in enumerate(losses):
        assert tally.returned(f"v{i}") <= loss
    paid = [o for p in procs for r in p.rounds for o in r.orders]
    assert sum(o.amount_fen for o in paid) == sum(tally.as_dict().values())
    for p in procs:
        assert sum(o.amount_fen for r in p.rounds for o in r.orders) <= p.frozen_fen
    assert len({o.order_id for o in paid}) == len(paid)
    assert sum(1 for e in trail if e.action == "return_executed") == len(paid)


def test_order_ids_are_unique_over_rounds() -> None:
    p = process(10)
    p.open_round([claim("a", 3, 3), claim("b", 3, 3)], T0, unique_split=True)
    p.execute(T0)
    p.open_round([claim("c", 4, 4)], T0, unique_split=True)
    ids = [o.order_id for r in p.rounds for o in r.orders]
    ids += [o.order_id for o in p.execute(T0)]
    assert len(ids) == len(set(ids)) == 3
    assert ids == ["RT-M1-R1-1", "RT-M1-R1-2", "RT-M1-R2-1"]
