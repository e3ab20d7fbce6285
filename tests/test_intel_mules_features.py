"""Mule features on hand-made ledgers: each pattern's value worked out by hand."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pyarrow as pa
import pytest

from fraudwall.errors import InputError
from fraudwall.intel.mules import account_features
from fraudwall.intel.mules.features import FEATURES, KEY

T0 = 1_772_000_000_000 - 1_772_000_000_000 % 86_400_000  # a midnight UTC
MIN = 60_000
HOUR = 60 * MIN
DAY = 24 * HOUR
YUAN = 100


def ledger(rows: Sequence[tuple[str, str, int, int]]) -> dict[str, pa.Table]:
    """Transfers from (from, to, minutes after T0, yuan)."""
    return {
        "transfers": pa.table({
            "event_id": [f"T{i}" for i in range(len(rows))],
            "ts": [T0 + m * MIN for _, _, m, _ in rows],
            "from_account": [f for f, _, _, _ in rows],
            "to_account": [t for _, t, _, _ in rows],
            "amount_fen": [y * YUAN for _, _, _, y in rows],
        })
    }  # fmt: skip


def features(tables: dict[str, pa.Table], window_ms: int = DAY) -> dict[str, dict[str, float]]:
    table = account_features(tables, window_ms=window_ms)
    rows = table.to_pylist()
    return {row[KEY]: row for row in rows}


def test_every_account_gets_every_feature_as_a_number() -> None:
    tables = ledger([("a", "b", 0, 100)])
    tables["accounts"] = pa.table({"account_id": ["a", "b", "idle"]})
    table = account_features(tables)
    assert table.column_names == [KEY, *FEATURES]
    assert sorted(table[KEY].to_pylist()) == ["a", "b", "idle"]
    assert all(pa.types.is_float64(table[name].type) for name in FEATURES)
    idle = features(tables)["idle"]
    assert idle["in_count"] == 0 and idle["cycle3"] == 0  # counts: none
    assert idle["stay_share"] is None  # nothing to measure: null, not a made-up value


def test_scatter_gather_counts_the_intermediates_of_source_middle_and_sink() -> None:
    # s scatters to m1, m2, m3, which all gather into d; x also pays m1 (no pattern of its own)
    rows = [("s", m, i, 500) for i, m in enumerate(["m1", "m2", "m3"])]
    rows += [(m, "d", 10 + i, 490) for i, m in enumerate(["m1", "m2", "m3"])]
    rows += [("x", "m1", 5, 50)]
    f = features(ledger(rows))
    assert f["s"]["sg_source"] == 3
    assert [f[m]["sg_middle"] for m in ("m1", "m2", "m3")] == [3, 3, 3]
    assert f["d"]["sg_sink"] == 3
    assert f["x"]["sg_source"] == 0  # one middle is not a scatter-gather
    assert f["d"]["sg_middle"] == 0 and f["s"]["sg_sink"] == 0


def test_a_scatter_gather_against_time_is_none() -> None:
    # the middles paid d before s paid them: the money cannot have gone that way
    rows = [("s", m, 100 + i, 500) for i, m in enumerate(["m1", "m2"])]
    rows += [(m, "d", i, 490) for i, m in enumerate(["m1", "m2"])]
    f = features(ledger(rows))
    assert f["s"]["sg_source"] == 0 and f["d"]["sg_sink"] == 0


def test_gather_scatter_joins_senders_to_later_receivers() -> None:
    # a, b, c pay h; then h pays x and y; h paid z before any money came in
    rows = [("h", "z", 0, 10)]
    rows += [(s, "h", 10 + i, 300) for i, s in enumerate("abc")]
    rows += [("h", r, 30 + i, 400) for i, r in enumerate("xy")]
    f = features(ledger(rows))
    assert f["h"]["gs_senders"] == 3
    assert f["h"]["gs_receivers"] == 2  # not z
    assert f["h"]["gather_scatter"] == 2
    assert f["h"]["out_degree"] == 3 and f["h"]["in_degree"] == 3


def test_temporal_cycles_of_two_three_and_four_hops() -> None:
    rows = [
        ("u", "v", 0, 100), ("v", "u", 5, 90),  # 2 hops, in order
        ("a", "b", 0, 100), ("b", "c", 5, 90), ("c", "a", 9, 80),  # 3 hops, in order
        ("p", "q", 0, 100), ("q", "r", 1, 90), ("r", "s", 2, 80), ("s", "p", 3, 70),  # 4
        ("d", "e", 5, 100), ("e", "f", 3, 90), ("f", "d", 6, 80),  # 3 hops, not in order
    ]  # fmt: skip
    f = features(ledger(rows))
    assert (f["u"]["cycle2"], f["v"]["cycle2"]) == (1, 1)
    assert [f[k]["cycle3"] for k in "abc"] == [1, 1, 1]
    assert [f[k]["cycle4"] for k in "pqrs"] == [1, 1, 1, 1]
    assert [f[k]["cycle3"] for k in "def"] == [0, 0, 0]
    assert f["a"]["cycle2"] == 0 and f["a"]["cycle4"] == 0 and f["p"]["cycle3"] == 0


def test_a_cycle_longer_than_the_window_is_not_one() -> None:
    rows = [("a", "b", 0, 100), ("b", "c", 60, 90), ("c", "a", 180, 80)]
    assert features(ledger(rows), window_ms=2 * HOUR)["a"]["cycle3"] == 0
    assert features(ledger(rows), window_ms=3 * HOUR)["a"]["cycle3"] == 1


def test_fan_in_within_a_day() -> None:
    # five senders pay f on day 0, a sixth on day 2
    rows = [(f"s{i}", "f", 60 * i, 200) for i in range(5)] + [("s5", "f", 2 * 24 * 60, 200)]
    f = features(ledger(rows), window_ms=DAY)["f"]
    assert f["fan_in_day"] == 5
    assert f["in_degree"] == 6 and f["fan_out_day"] == 0
    assert f["busiest_day_share"] == pytest.approx(5 / 6)


def test_pass_through_chain_from_a_reported_payment_to_an_exit() -> None:
    # a victim pays m1; m1 passes 99% on to m2 after 30 minutes; m2 to an exit after 2 hours
    tables = ledger([("victim", "m1", 0, 10_000), ("m1", "m2", 30, 9_900),
                     ("m2", "cash", 150, 9_800)])  # fmt: skip
    tables["accounts"] = pa.table({
        "account_id": ["victim", "m1", "m2", "cash"],
        "kind": ["debit_card", "debit_card", "wallet", "external"],
    })  # fmt: skip
    tables["reports"] = pa.table({"event_id": ["R1"], "transfer_ids": [["T0"]]})
    f = features(tables)
    m1 = f["m1"]
    assert m1["pass_through"] == pytest.approx(0.99)
    assert m1["stay_share"] == pytest.approx(30 / (24 * 60))  # 30 minutes of a one-day span
    assert m1["forwarded_day_share"] == 1.0
    assert [f[k]["hops_from_victim"] for k in ("m1", "m2", "cash")] == [1, 2, 3]
    assert f["victim"]["hops_from_victim"] is None
    assert [f[k]["hops_to_exit"] for k in ("cash", "m2", "m1", "victim")] == [0, 1, 2, 3]
    assert m1["reported"] == 1 and m1["reported_in_share"] == 1.0
    assert f["m2"]["reported"] == 0 and f["m2"]["reported_neighbours"] == 1
    assert f["cash"]["reported_2hop"] == 1  # m1, two hops back


def test_shared_devices_count_other_accounts_and_other_owners() -> None:
    tables = ledger([("a1", "b", 0, 100)])
    tables["accounts"] = pa.table({
        "account_id": ["a1", "a2", "a3", "b"], "owner_person_id": ["P1", "P1", "P2", "P3"]
    })  # fmt: skip
    tables["logins"] = pa.table({
        "event_id": ["L1", "L2", "L3", "L4"], "ts": [T0] * 4,
        "account_id": ["a1", "a2", "a3", "b"], "device_id": ["D1", "D1", "D1", "D2"],
        "ip": ["1.1.1.1", "2.2.2.2", "2.2.2.2", "3.3.3.3"],
    })  # fmt: skip
    f = features(tables)
    assert f["a1"]["device_max_sharing"] == 2 and f["a1"]["device_peers"] == 2
    assert f["a1"]["device_other_owners"] == 1  # a3's owner; a2 is a1's own owner's
    assert f["b"]["device_max_sharing"] == 0 and f["b"]["device_other_owners"] == 0
    assert f["a2"]["ip_peers"] == 1 and f["a1"]["ip_peers"] == 0
    assert f["a1"]["owner_accounts"] == 2 and f["a3"]["owner_accounts"] == 1


def test_amount_shapes_and_night_share() -> None:
    # local time is UTC+8: 17:00 UTC is 01:00 at night, 02:00 UTC is 10:00 in the day
    rows = [("a", "b", 17 * 60, 10_000), ("a", "c", 26 * 60, 4_850),
            ("a", "d", 27 * 60, 9_550), ("a", "e", 28 * 60, 123)]  # fmt: skip
    f = features(ledger(rows))["a"]
    assert f["round_share"] == pytest.approx(1 / 4)  # 10,000 yuan
    assert f["under_limit_share"] == pytest.approx(2 / 4)  # 4,850 and 9,550
    assert f["night_share"] == pytest.approx(1 / 4)
    assert f["out_count"] == 4 and f["out_degree"] == 4
    assert f["log_out_amount"] == pytest.approx(math.log1p((10_000 + 4_850 + 9_550 + 123) * YUAN))


def test_a_day_step_ledger_has_no_night_share() -> None:
    rows = [("a", "b", 0, 100), ("b", "c", 24 * 60, 90)]
    assert features(ledger(rows))["a"]["night_share"] is None


def test_dormancy_then_a_burst() -> None:
    # one transfer on day 0, then four on day 9 of a 9-day span
    rows = [("a", "z", 0, 50)] + [("a", f"y{i}", 9 * 24 * 60 + i, 50) for i in range(4)]
    f = features(ledger(rows))["a"]
    assert f["max_gap_share"] == pytest.approx((9 * 24 * 60) / (9 * 24 * 60 + 3))
    assert f["busiest_day_share"] == pytest.approx(4 / 5)
    assert f["wake_burst"] == pytest.approx(f["max_gap_share"] * 4 / 5)


def test_a_world_without_transfers_is_refused_by_name() -> None:
    with pytest.raises(InputError, match="transfers"):
        account_features({"accounts": pa.table({"account_id": ["a"]})})
    bad = ledger([("a", "b", 0, 1)])["transfers"].drop_columns(["amount_fen"])
    with pytest.raises(InputError, match=r"transfers\.amount_fen"):
        account_features({"transfers": bad})


def test_a_hub_is_not_enumerated_as_the_middle_of_paths() -> None:
    # 100 payers then 100 payees: 10,000 two-hop paths through the shop, at the limit;
    # one payer more makes 10,100, above it
    payers = [(f"p{i}", "shop", i, 20) for i in range(100)]
    payees = [("shop", f"q{i}", 200 + i, 20) for i in range(100)]
    small = payers + payees
    f = features(ledger(small))["shop"]
    assert f["gather_scatter"] == 100
    hub = features(ledger([*small, ("p100", "shop", 150, 20)]))["shop"]
    assert hub["gather_scatter"] == 0 and hub["sg_middle"] == 0
    assert hub["in_degree"] == 101 and hub["fan_out_day"] == 100  # its own counts stay
