"""Precise warnings: who is warned, by which channel, within what the channels carry."""

from __future__ import annotations

import numpy as np
import pytest
from engine_world import T0, H, call, registry, table, transfer
from hypothesis import given, settings
from hypothesis import strategies as st

from fraudwall.engine.engine import Engine
from fraudwall.engine.priority import INPUTS, CallPriority
from fraudwall.engine.warnings import CallQuota, WarningPolicy, choose_calls, local_day

FOREIGN = "+85512345678"
P1_PHONE, P2_PHONE = "+8613800000001", "+8613800000002"
DAY = 24 * H


def _priority(value: float) -> CallPriority:
    """A priority that gives every candidate the same value."""
    return CallPriority(tuple(0.0 for _ in INPUTS), float(np.log(value / (1 - value))))


def _engine(priority: float | None = None, **policy: float) -> Engine:
    engine = Engine.for_world(registry(), warning_policy=WarningPolicy(**policy))  # type: ignore[arg-type]
    if priority is not None:
        engine.priority = _priority(priority)
    return engine


def _calls(*rows: dict[str, object]) -> dict[str, object]:
    return {"calls": table("calls", list(rows))}


def _channels(warnings: object, event: str) -> set[str]:
    rows = warnings.to_pylist()  # type: ignore[attr-defined]
    return {w["channel"] for w in rows if w["source_event_id"] == event}


def test_a_blocked_call_gets_no_warning_of_its_own_and_a_12381_sms_once_flagged() -> None:
    engine = _engine(priority=0.99)
    out = engine.process(_calls(
        call("C1", T0, FOREIGN, P1_PHONE, 600_000, "international", presented="+8610110110")
    ))  # fmt: skip
    assert out.decisions["action"].to_pylist() == ["block"]
    assert _channels(out.warnings, "C1") == set()  # it never reached P1
    flagged = [w for w in out.warnings.to_pylist() if w["channel"] == "sms_12381"]
    assert [w["person_id"] for w in flagged] == ["P1"]


def test_a_risky_call_the_person_talked_on_warns_them_by_the_channel_its_rank_gives() -> None:
    talk = call("C2", T0, FOREIGN, P2_PHONE, 600_000, "international")
    for priority, expected in (
        (0.99, {"call_96110", "sms"}),
        (0.3, {"app_push", "sms"}),
        (0.05, set()),
    ):
        warnings = _engine(priority=priority).process(_calls(talk)).warnings
        assert _channels(warnings, "C2") - {"reminder_intl"} == expected
    task = next(
        w for w in _engine(priority=0.99).process(_calls(talk)).warnings.to_pylist()
        if w["channel"] == "call_96110"
    )  # fmt: skip
    assert task["person_id"] == "P2" and task["priority"] == pytest.approx(0.99)
    assert "外呼优先级0.99" in task["reason"] and "今日第1个外呼" in task["reason"]


def test_a_missed_or_short_risky_call_warns_nobody() -> None:
    for ms in (0, 20_000):
        warnings = _engine(priority=0.99).process(_calls(
            call("C2", T0, FOREIGN, P2_PHONE, ms, "international")
        )).warnings  # fmt: skip
        assert _channels(warnings, "C2") - {"reminder_intl"} == set()


def test_the_days_96110_capacity_is_never_exceeded() -> None:
    """Two people at 5 calls per 10k a day: one call a day; the next day, one more."""
    engine = _engine(priority=0.99)
    rows = [call(f"C{i}", T0 + i * 60_000, FOREIGN, phone, 600_000, "international")
            for i, phone in enumerate([P1_PHONE, P2_PHONE])]  # fmt: skip
    out = engine.process(_calls(*rows))
    assert sum(w["channel"] == "call_96110" for w in out.warnings.to_pylist()) == 1
    nxt = _calls(call("C9", T0 + DAY, FOREIGN, P2_PHONE, 600_000, "international"))
    later = engine.process(nxt).warnings.to_pylist()
    assert sum(w["channel"] == "call_96110" for w in later) == 1


def test_12381_goes_once_per_person_and_number_and_not_to_a_person_warned_about_it() -> None:
    engine = _engine(priority=0.3)
    talked = engine.process(_calls(call("C1", T0, FOREIGN, P2_PHONE, 600_000, "international")))
    assert _channels(talked.warnings, "C1") >= {"app_push", "sms"}
    spoofed = _calls(*[
        call(f"S{i}", T0 + H + i, FOREIGN, P1_PHONE, 1_000, "international",
             presented="+8610110110")
        for i in range(3)
    ])  # fmt: skip
    flagged = [w for w in engine.process(spoofed).warnings.to_pylist()
               if w["channel"] == "sms_12381"]  # fmt: skip
    assert [w["person_id"] for w in flagged] == ["P1"]  # P2 was warned about it already


def test_a_number_from_abroad_reminds_a_person_once_a_period_and_never_when_blocked() -> None:
    engine = _engine()
    first = engine.process(_calls(call("C1", T0, FOREIGN, P2_PHONE, 60_000, "international")))
    reminder = next(w for w in first.warnings.to_pylist() if w["channel"] == "reminder_intl")
    assert reminder["person_id"] == "P2" and "+855" in reminder["reason"]
    assert "境外来电" in reminder["reason"]
    again = engine.process(_calls(call("C2", T0 + DAY, FOREIGN, P2_PHONE, 60_000, "international")))
    assert "reminder_intl" not in _channels(again.warnings, "C2")
    month = engine.process(
        _calls(call("C3", T0 + 32 * DAY, FOREIGN, P2_PHONE, 60_000, "international"))
    )
    assert "reminder_intl" in _channels(month.warnings, "C3")
    blocked = _engine().process(_calls(
        call("C4", T0, FOREIGN, P1_PHONE, 60_000, "international", presented="+8610110110")
    ))  # fmt: skip
    assert "reminder_intl" not in _channels(blocked.warnings, "C4")


def test_a_stopped_payment_of_own_money_by_someone_risky_numbers_are_after_is_explained() -> None:
    engine = _engine(priority=0.05)
    engine.state.list_accounts(["M1"], ts=T0 - 1)
    out = engine.process(
        {"transfers": table("transfers", [transfer("X1", T0, "A1", "M1", 888_800)])}
    )
    assert out.decisions["action"].to_pylist() == ["block"]
    w = [x for x in out.warnings.to_pylist() if x["source_event_id"] == "X1"]
    assert {x["channel"] for x in w} == {"app_push", "sms"}
    sms = next(x for x in w if x["channel"] == "sms")["reason"]
    assert "8,888.00元" in sms and "96110" in sms


def test_warning_policy_refuses_bad_settings_by_name() -> None:
    with pytest.raises(ValueError, match="call_capacity_per_10k_per_day: must be >= 0"):
        WarningPolicy(call_capacity_per_10k_per_day=-1)
    with pytest.raises(ValueError, match=r"call_floor: must be within 0\.\.1"):
        WarningPolicy(call_floor=1.5)
    with pytest.raises(ValueError, match="cooldown_ms: must be >= 0"):
        WarningPolicy(cooldown_ms=-5)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 3 * DAY), st.floats(0.0, 1.0)),
        max_size=60,
    ),
    st.integers(1, 4),
)
def test_96110_calls_keep_the_capacity_the_gap_and_the_rising_bar(
    rows: list[tuple[int, int, float]], capacity: int
) -> None:
    policy = WarningPolicy(call_capacity_per_10k_per_day=capacity)  # 10k people: capacity/day
    person = np.array([r[0] for r in rows], np.int64)
    ts = np.array([r[1] for r in rows], np.int64)
    priority = np.array([r[2] for r in rows])
    quota = CallQuota()
    chosen, used = choose_calls(ts, person, priority, np.full(len(rows), -1), quota, policy, 10_000)
    days: dict[int, int] = {}
    last: dict[int, int] = {}
    for i, before in sorted(zip(chosen.tolist(), used.tolist(), strict=True),
                            key=lambda p: (ts[p[0]], -priority[p[0]])):  # fmt: skip
        day = local_day(int(ts[i]))
        assert before == days.get(day, 0) < capacity
        assert priority[i] >= policy.call_bar(before, capacity)
        assert int(person[i]) not in last or ts[i] - last[int(person[i])] >= policy.call_gap_ms
        days[day] = before + 1
        last[int(person[i])] = int(ts[i])
