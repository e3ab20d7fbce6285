"""The engine's contract: `decide` changes nothing, `absorb` folds in what happened,
`process` is the two together, `decide_one` is a batch of one."""

from __future__ import annotations

import time
from pathlib import Path

import msgspec
import numpy as np
import pyarrow as pa
import pytest
from engine_world import T0, H, call, registry, table, transfer

from fraudwall.engine.engine import Engine, Outcomes, decision_records
from fraudwall.engine.stream import EventBatch, time_batches
from fraudwall.model import Call, Decision, Outcome, Transfer, arrow_schema
from fraudwall.sim import SimConfig, World, simulate


@pytest.fixture(scope="module")
def world() -> World:
    return simulate(SimConfig(people=2_000, days=6, seed=9, fraud_rate=600.0))


def _snapshot_bytes(engine: Engine, directory: Path) -> dict[str, bytes]:
    engine.snapshot(directory)
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _halfway(world: World, batch_events: int = 15_000) -> tuple[Engine, list[EventBatch]]:
    """An engine that has processed the first half of the world's batches, and the rest."""
    batches = list(time_batches(world.tables, batch_events))
    engine = Engine.for_world(world.tables)
    half = len(batches) // 2
    for batch in batches[:half]:
        engine.process(batch)
    return engine, batches[half:]


def test_deciding_a_batch_twice_gives_the_same_decisions_and_leaves_the_state_as_it_was(
    world: World, tmp_path: Path
) -> None:
    engine, rest = _halfway(world)
    before = _snapshot_bytes(engine, tmp_path / "before")
    first = engine.decide(rest[0])
    second = engine.decide(rest[0])
    assert first.num_rows > 1000
    assert first.equals(second)
    assert _snapshot_bytes(engine, tmp_path / "after") == before


def test_process_is_decide_then_absorb_as_recorded(world: World, tmp_path: Path) -> None:
    batches = list(time_batches(world.tables, 15_000))
    one, two = Engine.for_world(world.tables), Engine.for_world(world.tables)
    for batch in batches:
        processed = one.process(batch)
        decided = two.decide(batch)
        warnings = two.absorb(batch, Outcomes.as_recorded(decided))
        assert decided.equals(processed.decisions)
        assert warnings.equals(processed.warnings)
    assert _snapshot_bytes(one, tmp_path / "one") == _snapshot_bytes(two, tmp_path / "two")


def test_decide_one_equals_the_row_decide_gives_for_a_batch_of_one(world: World) -> None:
    engine, rest = _halfway(world)
    batch = rest[0].tables
    for name, cls in (("transfers", Transfer), ("calls", Call)):
        rows = batch[name].slice(0, 25)
        for i in range(rows.num_rows):
            one = rows.slice(i, 1)
            expected = decision_records(engine.decide({name: one}))[0]
            record = cls(**{k: v for k, v in one.to_pylist()[0].items() if v is not None})
            assert engine.decide_one(record) == expected
            assert engine.decide_one(one.to_pylist()[0]) == expected


def test_a_check_asked_twice_gets_the_same_answer_and_changes_nothing(tmp_path: Path) -> None:
    engine = Engine.for_world(registry())
    before = _snapshot_bytes(engine, tmp_path / "before")
    check = transfer("X1", T0, "A1", "NEW-PAYEE", 500_000)
    first, second = engine.decide_one(check), engine.decide_one(check)
    assert isinstance(first, Decision) and first == second
    assert first.kind == "transfer" and first.person_id == "P1"
    assert _snapshot_bytes(engine, tmp_path / "after") == before


def test_unseen_keys_get_the_ids_absorbing_would_give() -> None:
    """Provisional ids are the real ones to be: a batch with new accounts decides the
    same before and after it is absorbed into a copy of the state."""
    batch = {
        "transfers": table("transfers", [
            transfer("X1", T0, "A1", "N1", 1_000),
            transfer("X2", T0 + 1, "N2", "N1", 2_000),
            transfer("X3", T0 + 2, "N1", "N3", 2_500),
        ])
    }  # fmt: skip
    engine = Engine.for_world(registry())
    decided = engine.decide(batch)
    processed = Engine.for_world(registry()).process(batch)
    assert decided.equals(processed.decisions)


def _inflow(engine: Engine, account: str, ts: int) -> tuple[int, float]:
    ids = engine.state.keys["accounts"].lookup([account], add=False)
    fen = int(engine.state.payee_24h.total("in_fen", ids, np.array([ts]))[0])
    payers = float(engine.state.payee_24h.estimate("payers", ids, np.array([ts]))[0])
    return fen, payers


@pytest.mark.parametrize("outcome", [Outcome.BLOCKED, Outcome.HELD, Outcome.CANCELLED])
def test_a_transfer_that_did_not_go_ahead_leaves_the_payees_inflow_unchanged(
    outcome: Outcome,
) -> None:
    engine = Engine.for_world(registry())
    engine.process({"transfers": table("transfers", [transfer("X0", T0, "A2", "M1", 100)])})
    before = _inflow(engine, "M1", T0 + H)
    batch = {"transfers": table("transfers", [transfer("X1", T0 + 60_000, "A1", "M1", 90_000)])}
    decided = engine.decide(batch)
    engine.absorb(batch, Outcomes.reported(decided, {"X1": outcome}))
    assert _inflow(engine, "M1", T0 + H) == before
    assert engine.state.payees_of(["X1"])[0].tolist() == []  # a report of it links nothing

    done = Engine.for_world(registry())
    done.process({"transfers": table("transfers", [transfer("X0", T0, "A2", "M1", 100)])})
    decided = done.decide(batch)
    done.absorb(batch, Outcomes.reported(decided, {"X1": "executed"}))
    fen, payers = _inflow(done, "M1", T0 + H)
    assert fen == before[0] + 90_000 and payers > before[1]


def test_a_blocked_call_reaches_nobody() -> None:
    """A call the telco blocked does not make its callee's 'risky contact' signal."""
    batch = {"calls": table("calls", [
        call("C1", T0, "+85512345678", "+8613800000001", 600_000, "international",
             presented="+8610110110"),
    ])}  # fmt: skip
    later = {"transfers": table("transfers", [transfer("X1", T0 + H, "A1", "M1", 1_000)])}
    for outcome, expected in ((Outcome.BLOCKED, False), (Outcome.EXECUTED, True)):
        engine = Engine.for_world(registry())
        decided = engine.decide(batch)
        assert decision_records(decided)[0].action == "block"
        engine.absorb(batch, Outcomes.reported(decided, {"C1": outcome}))
        features = engine.process(later, keep_features=True).features["transfer"]
        assert bool(features["payer_risky_contact_6h"][0]) is expected


def test_outcomes_must_name_every_decided_event_and_only_those() -> None:
    engine = Engine.for_world(registry())
    batch = {"transfers": table("transfers", [transfer("X1", T0, "A1", "M1", 1_000)])}
    decided = engine.decide(batch)
    with pytest.raises(ValueError, match="no outcome for event_id 'X1'"):
        Outcomes.reported(decided, {})
    with pytest.raises(ValueError, match="unknown outcome 'paid'"):
        Outcomes.reported(decided, {"X1": "paid"})
    with pytest.raises(ValueError, match="'X9' was not decided"):
        Outcomes.reported(decided, {"X1": "executed", "X9": "executed"})
    with pytest.raises(ValueError, match="outcomes: the batch holds transfers"):
        engine.absorb(batch)


def test_decide_one_names_the_field_of_a_bad_event() -> None:
    engine = Engine.for_world(registry())
    bad = transfer("X1", T0, "A1", "M1", -5)
    with pytest.raises(ValueError, match="amount_fen"):
        engine.decide_one(bad)
    with pytest.raises(ValueError, match="kind: expected one of transfer, call, sms"):
        engine.decide_one({"event_id": "E1", "ts": T0})


def test_the_decisions_table_is_the_model_decisions_schema() -> None:
    engine = Engine.for_world(registry())
    batch = {"transfers": table("transfers", [transfer("X1", T0, "A1", "M1", 1_000)])}
    decided = engine.decide(batch)
    assert decided.schema.equals(arrow_schema(Decision), check_metadata=False)
    rows = [msgspec.to_builtins(r) for r in decision_records(decided)]
    assert pa.Table.from_pylist(rows, schema=arrow_schema(Decision)).equals(decided)
    # a check's decision, kept as a record, says what happened to it as well as the table
    one = engine.decide_one(transfer("X2", T0, "A1", "M1", 5_000))
    Engine.for_world(registry()).absorb(
        {"transfers": table("transfers", [transfer("X2", T0, "A1", "M1", 5_000)])},
        Outcomes.reported([one], {"X2": "executed"}),
    )


def test_a_snapshot_is_the_same_bytes_whenever_it_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same state saves the same bytes (so 'unchanged state' is a byte comparison)."""
    engine = Engine.for_world(registry())
    engine.process({"transfers": table("transfers", [transfer("X1", T0, "A1", "M1", 1_000)])})
    first = _snapshot_bytes(engine, tmp_path / "now")
    later = time.time() + 3 * 3600
    monkeypatch.setattr(time, "time", lambda: later)
    assert _snapshot_bytes(engine, tmp_path / "later") == first
