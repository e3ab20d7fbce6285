"""The engine reads the risk lists (`model.RiskListView`): a listed payee or caller
changes its next decision, and a listing past its expiry no longer counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from engine_world import T0, H, call, registry, table, transfer

from fraudwall.engine import Engine
from fraudwall.model import ListedSpans, RiskListView

DAY = 24 * H


def spans(values: list[str], start: int, end: int, confidence: float = 1.0) -> ListedSpans:
    n = len(values)
    return ListedSpans(
        pa.array(values, pa.string()),
        np.full(n, start, np.int64),
        np.full(n, end, np.int64),
        np.full(n, confidence),
    )


def pay(eid: str, ts: int, payer: str = "A1", payee: str = "M1") -> dict[str, pa.Table]:
    return {"transfers": table("transfers", [transfer(eid, ts, payer, payee, 200_000)])}


def ring(eid: str, ts: int, caller: str = "+8613900000009") -> dict[str, pa.Table]:
    return {"calls": table("calls", [call(eid, ts, caller, "+8613800000001", 60_000)])}


def test_a_listed_payee_changes_the_decision_on_the_next_transfer() -> None:
    engine = Engine.for_world(registry())
    before = engine.process(pay("X1", T0)).decisions.to_pylist()[0]
    assert before["action"] != "block" and "payee_on_risk_list" not in before["rules"]
    engine.use_risk_lists(RiskListView(accounts=spans(["M1"], T0 - DAY, T0 + 30 * DAY)))
    after = engine.decide(pay("X2", T0 + H, payer="A2")).to_pylist()[0]
    assert after["action"] == "block"
    assert after["rules"][0] == "payee_on_risk_list"
    # Another payee is not touched by M1's listing.
    other = engine.decide(pay("X3", T0 + H, payer="A2", payee="A1")).to_pylist()[0]
    assert "payee_on_risk_list" not in other["rules"]


def test_a_listing_counts_from_its_start_until_not_at_its_expiry() -> None:
    engine = Engine.for_world(registry())
    engine.use_risk_lists(RiskListView(accounts=spans(["M1"], T0, T0 + DAY)))
    rules = [
        engine.decide(pay(f"X{k}", ts)).to_pylist()[0]["rules"]
        for k, ts in enumerate([T0 - 1, T0, T0 + DAY - 1, T0 + DAY, T0 + 2 * DAY])
    ]
    listed = ["payee_on_risk_list" in r for r in rules]
    assert listed == [False, True, True, False, False]


def test_an_expired_listing_no_longer_affects_the_decision() -> None:
    """The same transfer, to the same payee, decided by two engines: one whose listing of
    the payee ended before the transfer, one that never listed it: the same decision."""
    expired = Engine.for_world(registry())
    expired.use_risk_lists(RiskListView(accounts=spans(["M1"], T0 - 30 * DAY, T0 - DAY)))
    never = Engine.for_world(registry())
    a = expired.decide(pay("X1", T0)).to_pylist()[0]
    b = never.decide(pay("X1", T0)).to_pylist()[0]
    assert "payee_on_risk_list" not in a["rules"]
    assert (a["action"], a["rules"], a["score"]) == (b["action"], b["rules"], b["score"])


def test_new_lists_replace_the_old_ones_whole() -> None:
    engine = Engine.for_world(registry())
    engine.use_risk_lists(RiskListView(accounts=spans(["M1"], T0 - DAY, T0 + DAY)))
    assert engine.decide(pay("X1", T0)).to_pylist()[0]["action"] == "block"
    engine.use_risk_lists(RiskListView(accounts=spans(["A2"], T0 - DAY, T0 + DAY)))
    assert "payee_on_risk_list" not in engine.decide(pay("X2", T0)).to_pylist()[0]["rules"]
    assert engine.decide(pay("X3", T0, payee="A2")).to_pylist()[0]["action"] == "block"


def test_a_listed_number_has_at_most_the_reputation_its_listing_leaves_it() -> None:
    engine = Engine.for_world(registry())
    caller = "+8613900000009"  # unknown to the registry: reputation 0.3 on its own
    sure = spans([caller], T0 - DAY, T0 + DAY, confidence=0.95)
    engine.use_risk_lists(RiskListView(numbers=sure))
    f = engine.process(ring("C1", T0), keep_features=True)
    assert f.features["call"]["caller_reputation"][0] == pytest.approx(0.05)
    assert f.decisions.to_pylist()[0]["rules"][0] == "known_fraud_caller"
    # A doubtful listing (confidence 0.5) leaves the number's own 0.3 alone.
    engine.use_risk_lists(RiskListView(numbers=spans([caller], T0 - DAY, T0 + DAY, 0.5)))
    f = engine.process(ring("C2", T0 + 1), keep_features=True)
    assert f.features["call"]["caller_reputation"][0] == pytest.approx(0.3)
    # Past its expiry the sure listing no longer blocks the number.
    engine.use_risk_lists(RiskListView(numbers=sure))
    late = engine.decide(ring("C3", T0 + DAY)).to_pylist()[0]
    assert "known_fraud_caller" not in late["rules"]


def test_the_lists_survive_a_snapshot(tmp_path: Path) -> None:
    engine = Engine.for_world(registry())
    engine.use_risk_lists(RiskListView(accounts=spans(["M1"], T0 - DAY, T0 + DAY)))
    engine.snapshot(tmp_path / "snap")
    restored = Engine.restore(tmp_path / "snap")
    listed = [
        "payee_on_risk_list" in restored.decide(pay(f"X{k}", ts)).to_pylist()[0]["rules"]
        for k, ts in enumerate([T0, T0 + DAY])
    ]
    assert listed == [True, False]


def test_the_engine_and_the_lists_know_each_other_only_through_the_model() -> None:
    src = Path(__file__).parents[1] / "src" / "fraudwall"
    engine_text = "\n".join(p.read_text() for p in (src / "engine").rglob("*.py"))
    lists_text = "\n".join(p.read_text() for p in (src / "intel" / "risklists").rglob("*.py"))
    assert "fraudwall.intel" not in engine_text
    for part in ("engine", "platform", "funds", "sim", "cli"):
        assert f"fraudwall.{part}" not in lists_text
