"""The real-time engine: signals as of each event, decisions, warnings, snapshots, rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from engine_world import T0, H, call, registry, table, transfer
from hypothesis import given, settings
from hypothesis import strategies as st

from fraudwall.engine import FEATURES, Engine, RuleError, parse_rules, time_batches
from fraudwall.engine.warnings import select_due
from fraudwall.model import EVENT_TABLES
from fraudwall.sim import SimConfig, World, simulate


@pytest.fixture(scope="module")
def small_world() -> World:
    return simulate(SimConfig(people=3_000, days=8, seed=5, fraud_rate=600.0))


def _features(engine: Engine, batch: dict[str, pa.Table]) -> dict[str, dict[str, np.ndarray]]:
    return engine.process(batch, keep_features=True).features


# -- signals ---------------------------------------------------------------------------------


def test_a_call_in_progress_and_an_international_contact_reach_the_payerstransfer() -> None:
    engine = Engine.for_world(registry())
    batch = {
        "calls": table("calls", [
            call("C1", T0, "+85512345678", "+8613800000001", 20 * 60_000, "international"),
        ]),
        "transfers": table("transfers", [
            transfer("X1", T0 + 5 * 60_000, "A1", "M1", 5_000_000),  # during the call
            transfer("X2", T0 + 5 * 60_000, "A2", "M1", 5_000_000),  # someone else
        ]),
    }  # fmt: skip
    f = _features(engine, batch)["transfer"]
    assert f["payer_on_call"].tolist() == [True, False]
    assert f["payer_international_contact_6h"].tolist() == [True, False]
    assert f["payer_age"].tolist() == [67.0, 30.0]
    assert f["payee_account_age_days"][0] == pytest.approx(5.0, abs=0.01)
    # Seven hours later the call is over and out of the 6 h window.
    later = {"transfers": table("transfers", [transfer("X3", T0 + 7 * H, "A1", "M1", 100)])}
    f = _features(engine, later)["transfer"]
    assert f["payer_on_call"].tolist() == [False]
    assert f["payer_international_contact_6h"].tolist() == [False]
    assert f["payer_first_to_payee"].tolist() == [False]  # A1 paid M1 before


def test_a_call_after_the_transfer_does_not_count_for_it() -> None:
    engine = Engine.for_world(registry())
    batch = {
        "transfers": table("transfers", [transfer("X1", T0, "A1", "M1", 5_000_000)]),
        "calls": table("calls", [
            call("C1", T0 + 1, "+85512345678", "+8613800000001", 600_000, "international"),
        ]),
    }  # fmt: skip
    f = _features(engine, batch)["transfer"]
    assert not f["payer_international_contact_6h"][0]
    assert not f["payer_on_call"][0]


def test_fan_in_counts_distinct_payers_before_eachtransfer() -> None:
    reg = registry()
    engine = Engine.for_world(reg)
    rows = [transfer(f"X{i}", T0 + i * 60_000, f"S{i % 4}", "M1", 10_000) for i in range(8)]
    f = _features(engine, {"transfers": table("transfers", rows)})["transfer"]
    assert f["payee_distinct_payers_1h"].tolist() == [0, 1, 2, 3, 4, 4, 4, 4]
    assert f["payer_first_to_payee"].tolist() == [True] * 4 + [False] * 4


def test_a_spoofed_caller_id_is_blocked_and_an_international_call_shows_its_country() -> None:
    engine = Engine.for_world(registry())
    calls = table("calls", [
        call("C1", T0, "+85512345678", "+8613800000001", 60_000, "international",
              presented="+8610110110"),
        call("C2", T0 + 1, "+85512345678", "+8613800000002", 60_000, "international"),
        call("C3", T0 + 2, "+8613800000002", "+8613800000001", 60_000),
    ])  # fmt: skip
    d = engine.process({"calls": calls}).decisions.to_pylist()
    assert d[0]["action"] == "block" and "spoofed_call" in d[0]["rules"]
    assert d[0]["reason"]
    assert [r["country"] for r in d] == ["855", "855", None]
    assert d[2]["action"] == "allow"


def test_a_stopped_account_can_receive_but_not_pay_until_the_order_ends() -> None:
    engine = Engine.for_world(registry())
    engine.state.stop_accounts(["M1"], until_ts=T0 + 48 * H)
    batch = {
        "transfers": table("transfers", [
            transfer("X1", T0, "A2", "M1", 10_000),  # in: allowed
            transfer("X2", T0 + 1, "M1", "A2", 10_000),  # out: blocked
        ])
    }  # fmt: skip
    d = engine.process(batch).decisions.to_pylist()
    assert d[0]["action"] != "block"
    assert d[1]["action"] == "block" and d[1]["rules"][0] == "payer_stopped"
    after = {"transfers": table("transfers", [transfer("X3", T0 + 49 * H, "M1", "A2", 100)])}
    assert "payer_stopped" not in engine.process(after).decisions["rules"][0].as_py()


def test_a_blocked_payment_to_a_listed_account_is_explained_to_its_payer_in_chinese() -> None:
    engine = Engine.for_world(registry())
    engine.state.list_accounts(["M1"], ts=T0 - 1)
    out = engine.process(
        {"transfers": table("transfers", [transfer("X1", T0, "A1", "M1", 888_800)])}
    )
    assert out.decisions["action"].to_pylist() == ["block"]
    w = out.warnings.to_pylist()
    assert {x["channel"] for x in w} == {"app_push", "sms"}
    assert all(x["person_id"] == "P1" and x["source_event_id"] == "X1" for x in w)
    sms = next(x for x in w if x["channel"] == "sms")["reason"]
    assert "8,888.00元" in sms and "96110" in sms and "风险名单" in sms


def test_everyone_a_flagged_number_reached_gets_a_12381_sms() -> None:
    engine = Engine.for_world(registry())
    spoof = "+8610110110"
    calls = [call(f"C{i}", T0 + i, "+85512345678", callee, 60_000, "international", spoof)
             for i, callee in enumerate(["+8613800000001", "+8613800000002"])]  # fmt: skip
    out = engine.process({"calls": table("calls", calls)})
    flagged = [x for x in out.warnings.to_pylist() if x["channel"] == "sms_12381"]
    assert sorted(x["person_id"] for x in flagged) == ["P1", "P2"]
    assert all("+85512345678" in x["reason"] for x in flagged)
    # From the next batch on, the number's calls are blocked as a known fraud number.
    later = table("calls", [call("C9", T0 + H, "+85512345678", "+8613800000001", 1000,
                                   "international")])  # fmt: skip
    assert "known_fraud_caller" in engine.process({"calls": later}).decisions["rules"][0].as_py()


def test_a_report_links_its_payee_to_the_case_for_later_payers() -> None:
    engine = Engine.for_world(registry())
    engine.process({"transfers": table("transfers", [transfer("X1", T0, "A1", "M1", 10_000)])})
    report = table("reports", [{
        "event_id": "R1", "ts": T0 + H, "institution_id": "PSB", "person_id": "P1",
        "transfer_ids": ["X1"], "loss_fen": 10_000, "fraud_type": None, "narrative": "被骗",
    }])  # fmt: skip
    engine.process({"reports": report})
    f = _features(
        engine, {"transfers": table("transfers", [transfer("X2", T0 + 2 * H, "A2", "M1", 5)])}
    )
    assert f["transfer"]["payee_in_reported_case"].tolist() == [True]


def test_batches_out_of_time_order_are_refused() -> None:
    engine = Engine.for_world(registry())
    engine.process({"transfers": table("transfers", [transfer("X1", T0, "A1", "M1", 1)])})
    with pytest.raises(ValueError, match="time order"):
        engine.process({"transfers": table("transfers", [transfer("X0", T0 - 1, "A1", "M1", 1)])})


def test_a_single_pre_transaction_check_decides_one_transfer() -> None:
    engine = Engine.for_world(registry())
    d = engine.decide_one(transfer("X1", T0, "A2", "A1", 1_000))
    assert d.event_id == "X1" and d.action == "allow" and d.kind == "transfer"


# -- whole worlds ----------------------------------------------------------------------------


def _replay(tables: dict[str, pa.Table], engine: Engine | None = None) -> pa.Table:
    engine = engine or Engine.for_world(tables)
    parts = [engine.process(b).decisions for b in time_batches(tables, 20_000)]
    return pa.concat_tables(parts).sort_by("event_id")


def _shuffle_after(table: pa.Table, cut: int, rng: np.random.Generator) -> pa.Table:
    """Rows at or after `cut` keep their times but get other rows' contents (shuffled)."""
    ts = table["ts"].to_numpy()
    future = np.flatnonzero(ts >= cut)
    order = np.arange(table.num_rows)
    order[future] = rng.permutation(future)
    shuffled = table.take(pa.array(order))
    return shuffled.set_column(shuffled.schema.get_field_index("ts"), "ts", table["ts"])


def test_shuffling_future_events_does_not_change_a_past_decision(small_world: World) -> None:
    tables = small_world.tables
    before = _replay(tables)
    ts = tables["transfers"]["ts"].to_numpy()
    cut = int(np.quantile(ts, 0.6))
    rng = np.random.default_rng(1)
    changed = dict(tables)
    for name in EVENT_TABLES:
        changed[name] = _shuffle_after(tables[name], cut, rng)
    after = _replay(changed)
    past = pc.less(before["ts"], cut)
    old, new = before.filter(past), after.filter(pc.less(after["ts"], cut))
    assert old.num_rows > 1000
    assert old.equals(new)
    assert not before.filter(pc.invert(past)).equals(
        after.filter(pc.invert(pc.less(after["ts"], cut)))
    )


def test_snapshot_restart_and_continue_decides_as_an_uninterrupted_run(
    small_world: World, tmp_path: Path
) -> None:
    tables = small_world.tables
    batches = list(time_batches(tables, 20_000))
    whole = Engine.for_world(tables)
    expected = pa.concat_tables([whole.process(b).decisions for b in batches])
    first = Engine.for_world(tables)
    half = len(batches) // 2
    got = [first.process(b).decisions for b in batches[:half]]
    first.snapshot(tmp_path / "snap")
    del first
    restored = Engine.restore(tmp_path / "snap")
    got += [restored.process(b).decisions for b in batches[half:]]
    assert pa.concat_tables(got).equals(expected)


def test_a_bad_rule_file_is_refused_and_the_engine_keeps_its_rules(tmp_path: Path) -> None:
    engine = Engine.for_world(registry())
    before = engine.rules.ruleset
    bad = tmp_path / "rules.toml"
    bad.write_text(
        'version = "1"\n\n[[rule]]\nname = "too_big"\nwhen = "amount_fen >> 3"\n'
        'action = "block"\nseverity = 10\nreason = "x"\napplies_to = "transfer"\n'
    )
    with pytest.raises(RuleError) as err:
        engine.reload_rules(bad)
    message = str(err.value)
    assert "too_big" in message and "line 5" in message
    assert engine.rules.ruleset is before
    d = engine.decide_one(transfer("X1", T0, "A2", "A1", 1_000))
    assert d.action == "allow"


def test_a_reloaded_rule_file_takes_effect_on_the_next_batch(tmp_path: Path) -> None:
    engine = Engine.for_world(registry())
    good = tmp_path / "rules.toml"
    good.write_text(
        'version = "2"\n\n[[rule]]\nname = "big"\nwhen = "amount_fen >= 100"\n'
        'action = "hold"\nseverity = 10\nreason = "大额{amount_fen}"\napplies_to = "transfer"\n'
    )
    assert engine.reload_rules(good).version == "2"
    d = engine.decide_one(transfer("X1", T0, "A2", "A1", 1_000))
    assert d.action == "hold" and d.rules == ["big"] and d.reason == "大额1000"


def test_shadow_rules_are_recorded_but_do_not_act() -> None:
    rules = parse_rules(
        'version = "3"\n\n[[rule]]\nname = "watch"\nwhen = "amount_fen >= 100"\n'
        'action = "block"\nseverity = 10\nreason = "x"\napplies_to = "transfer"\nshadow = true\n',
        FEATURES,
    )
    engine = Engine(rules=rules)
    engine.state.load_registry(registry())
    d = engine.decide_one(transfer("X1", T0, "A2", "A1", 1_000))
    assert d.action == "allow" and d.rules == [] and d.shadow_rules == ["watch"]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 40), st.integers(1, 4)), max_size=40),
    st.lists(st.integers(-1, 40), min_size=4, max_size=4),
)
def test_warnings_keep_the_cool_down_as_if_taken_one_at_a_time(
    rows: list[tuple[int, int, int]], before: list[int]
) -> None:
    """A person is warned at most once per cool-down, except that a hold or block always
    calls; the vectorised choice equals taking the alerts one by one in time order."""
    person = np.array([r[0] for r in rows], np.int64)
    ts = np.array([r[1] for r in rows], np.int64)
    codes = np.array([r[2] for r in rows], np.int8)
    last = np.array(before, np.int64)
    got = select_due(person, ts, codes, last[person], cooldown_ms=10)
    expected, seen = [], last.copy()
    for i in sorted(range(len(rows)), key=lambda i: (rows[i][1], i)):
        p = rows[i][0]
        if rows[i][2] >= 3 or seen[p] < 0 or rows[i][1] - seen[p] >= 10:
            expected.append(i)
            seen[p] = rows[i][1]
    assert got.tolist() == sorted(expected)
