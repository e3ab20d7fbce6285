"""Fraud-number features on hand-made call, SMS, phone, device and report tables: each
value below is worked out by hand from the rows, so a change in what a feature means
shows here first."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from fraudwall.errors import InputError
from fraudwall.intel.numbers import fraud_number_labels, number_features
from fraudwall.model import DAY_MS, HOUR_MS

T0 = 1_772_380_800_000  # local (UTC+8) midnight, Monday 2 March 2026: hour h is local h
F, G, H = "+8613900000001", "+8613900000002", "+8613900000003"  # three SIMs in one box
A, B, C, D, E = (f"+861380000000{i}" for i in range(1, 6))  # people F dials
K, X = "+639170000001", "+8613800000099"  # a line from abroad, someone only it calls
N1, M = "+8613700000001", "+8613700000002"  # an ordinary pair
S, R1, R2, R3 = "+8613600000001", "+8613600000011", "+8613600000012", "+8613600000013"


def _call(caller: str, callee: str, hour: float, seconds: int, device: str | None,
          presented: str | None = None, gateway: str = "domestic") -> dict[str, Any]:  # fmt: skip
    return {
        "ts": T0 + int(hour * HOUR_MS), "caller": caller, "callee": callee,
        "duration_ms": seconds * 1000, "gateway": gateway,
        "presented_number": presented or caller, "caller_device": device,
    }  # fmt: skip


def _sms(sender: str, receiver: str, hour: float) -> dict[str, Any]:
    return {"ts": T0 + int(hour * HOUR_MS), "sender": sender, "receiver": receiver,
            "text": "hello", "gateway": "domestic", "sender_device": None}  # fmt: skip


CALLS = [
    _call(F, A, 10.0, 0, "BOX1"),  # not answered
    _call(F, B, 10.1, 10, "BOX1"),  # short
    _call(F, C, 10.2, 20, "BOX1"),  # short
    _call(F, D, 10.3, 120, "BOX1"),
    _call(D, F, 9.0, 60, "PHD"),  # D called F before F called D: not a call-back
    _call(B, F, 12.0, 30, "PHB"),  # B calls F back
    _call(F, A, 34.0, 5, "BOX1"),  # day 1, 10:00, short
    _call(F, E, 47.0, 0, "PH9"),  # day 1, 23:00 (night), from another handset
    _call(G, A, 11.0, 0, "BOX1", presented="+861012345678", gateway="international"),
    _call(H, C, 11.5, 0, "BOX1"),
    _call(K, A, 1.0, 40, None, gateway="international"),
    _call(K, B, 2.0, 40, None, gateway="international"),
    _call(K, X, 3.0, 40, None, gateway="international"),
    _call(N1, M, 15.0, 200, "PH1"),
]
SMS = [_sms(S, R1, 8.0), _sms(S, R2, 8.5), _sms(S, R3, 9.0), _sms(S, R1, 9.5), _sms(R2, S, 13.0)]


def _phone(number: str, owner: str | None, cc: str = "86", activated: int | None = None,
           telco: str | None = "T1") -> dict[str, Any]:  # fmt: skip
    return {"number": number, "telco_id": telco, "owner_person_id": owner, "country_code": cc,
            "activated_ts": activated, "line_kind": "mobile"}  # fmt: skip


PHONES = [
    _phone(F, "SELLER", activated=T0 - 2 * DAY_MS),
    _phone(G, "SELLER", activated=T0 - 2 * DAY_MS),
    _phone(H, "SELLER", activated=T0 - 2 * DAY_MS),
    *(_phone(n, f"P{n[-1]}", activated=T0 - 900 * DAY_MS) for n in (A, B, C, D, E)),
    _phone(K, None, cc="63", telco=None),
    *(
        _phone(n, f"Q{i}", activated=T0 - 900 * DAY_MS)
        for i, n in enumerate((N1, M, S, R1, R2, R3, X))
    ),
]
DEVICES = [
    {"device_id": "BOX1", "owner_person_id": None, "kind": "goip", "first_seen_ts": T0},
    {"device_id": "PH9", "owner_person_id": "PX", "kind": "phone", "first_seen_ts": T0},
    {"device_id": "PHD", "owner_person_id": "P4", "kind": "phone", "first_seen_ts": T0},
    {"device_id": "PHB", "owner_person_id": "P2", "kind": "phone", "first_seen_ts": T0},
    {"device_id": "PH1", "owner_person_id": "Q0", "kind": "phone", "first_seen_ts": T0},
]
REPORTS = [  # A's owner reports on day 2; D's owner reported before F ever called D
    {"ts": T0 + 50 * HOUR_MS, "person_id": "P1"},
    {"ts": T0 + 5 * HOUR_MS, "person_id": "P4"},
]


def _tables(**drop: bool) -> dict[str, pa.Table]:
    tables = {
        "calls": pa.Table.from_pylist(CALLS),
        "sms": pa.Table.from_pylist(SMS),
        "phones": pa.Table.from_pylist(PHONES),
        "devices": pa.Table.from_pylist(DEVICES),
        "reports": pa.Table.from_pylist(REPORTS),
    }
    return {k: v for k, v in tables.items() if not drop.get(k)}


@pytest.fixture(scope="module")
def rows() -> dict[str, dict[str, Any]]:
    table = number_features(_tables(), known=[K])
    return {r["number"]: r for r in table.to_pylist()}


def test_one_row_per_calling_or_texting_number_and_numeric_features(
    rows: dict[str, dict[str, Any]],
) -> None:
    table = number_features(_tables(), known=[K])
    assert table.column_names[0] == "number"
    assert all(pa.types.is_floating(f.type) for f in table.schema if f.name != "number")
    assert set(rows) == {F, G, H, K, N1, S, D, B, R2}  # R2 only texted back; A never reached out
    assert table["number"].to_pylist() == sorted(rows)


def test_fan_out_short_calls_answered_and_hours(rows: dict[str, dict[str, Any]]) -> None:
    f = rows[F]
    # 6 calls to 5 people: A, B, C, D on day 0 and A, E on day 1.
    assert f["callees_per_call"] == pytest.approx(5 / 6)
    assert f["callees_log"] == pytest.approx(math.log(6))
    assert f["callee_fanout_day_max_log"] == pytest.approx(math.log(5))
    assert f["callee_fanout_day_mean"] == pytest.approx(3.0)
    # answered: B (10 s), C (20 s), D (120 s), A (5 s); short (< 30 s): B, C, A
    assert f["answered_share"] == pytest.approx(4 / 6)
    assert f["short_call_share"] == pytest.approx(3 / 4)
    # hours with calls: 10:00 (four calls), day 1 10:00 and day 1 23:00 (the one night call)
    assert f["calls_per_active_hour"] == pytest.approx(2.0)
    assert f["night_share"] == pytest.approx(1 / 6)
    assert rows[K]["night_share"] == 1.0 and rows[K]["intl_share"] == 1.0
    assert rows[G]["spoofed_share"] == 1.0 and f["spoofed_share"] == 0.0
    # the history runs from K's call at 01:00 to F's at day 1 23:00: 46 hours over 2 days
    assert f["span_share"] == pytest.approx(37 / 46)  # 10:00 to day 1 23:00
    assert f["active_day_share"] == 1.0 and rows[K]["active_day_share"] == 0.5


def test_call_back_share_counts_only_those_who_call_after_being_called(
    rows: dict[str, dict[str, Any]],
) -> None:
    # B called back after F's call; D had called F before F called D: 1 of 5 callees.
    assert rows[F]["call_back_share"] == pytest.approx(1 / 5)
    assert rows[F]["in_per_out"] == pytest.approx(2 / 6)
    assert rows[F]["reached_by_per_reach"] == pytest.approx(2 / 5)
    assert rows[K]["call_back_share"] == 0.0


def test_text_fan_out_and_replies(rows: dict[str, dict[str, Any]]) -> None:
    s = rows[S]  # 4 texts to R1, R2, R3 (R1 twice) on one day; R2 replied
    assert s["receivers_per_text"] == pytest.approx(3 / 4)
    assert s["receiver_fanout_day_max_log"] == pytest.approx(math.log(4))
    assert s["reply_share"] == pytest.approx(1 / 3)
    assert s["call_share"] == 0.0
    assert s["link_share"] is None  # these SMS carry no link column: unknown


def test_sim_box_numbers_per_device_and_device_changes(rows: dict[str, dict[str, Any]]) -> None:
    f = rows[F]
    # F, G and H all call from BOX1; F's last call is from another handset
    assert f["numbers_on_device_max_log"] == pytest.approx(math.log(4))
    assert rows[N1]["numbers_on_device_max_log"] == pytest.approx(math.log(2))
    assert f["devices_used"] == 2.0
    assert f["device_change_share"] == pytest.approx(1 / 5)  # one change in 5 steps
    assert f["multi_sim_device_share"] == pytest.approx(5 / 6)  # BOX1 is a GOIP box
    assert f["not_owners_device_share"] == 1.0  # nobody's box, then PX's handset
    assert rows[N1]["not_owners_device_share"] == 0.0


def test_sim_age_owner_and_foreign_line(rows: dict[str, dict[str, Any]]) -> None:
    f = rows[F]
    assert f["sim_age_days"] == pytest.approx(2 + 10 / 24)  # activated 2 days before 10:00
    assert f["owner_numbers"] == 3.0 and rows[N1]["owner_numbers"] == 1.0
    assert (rows[K]["foreign"], rows[K]["no_telco"], rows[K]["no_owner"]) == (1.0, 1.0, 1.0)
    assert (f["foreign"], f["no_telco"], f["no_owner"]) == (0.0, 0.0, 0.0)
    assert rows[K]["sim_age_days"] is None  # no activation date known


def test_contact_with_later_victims_counts_contacts_before_the_report(
    rows: dict[str, dict[str, Any]],
) -> None:
    # A's owner reported after F called A; D's owner reported before F called D
    assert rows[F]["later_victims_log"] == pytest.approx(math.log(2))
    assert rows[F]["later_victim_share"] == pytest.approx(1 / 5)
    assert rows[N1]["later_victims_log"] == 0.0


def test_co_callee_overlap_with_known_numbers_is_a_jaccard_of_contact_sets(
    rows: dict[str, dict[str, Any]],
) -> None:
    # F reached {A, B, C, D, E}, the known K {A, B, X}: 2 in common of 6
    assert rows[F]["known_jaccard_max"] == pytest.approx(2 / 6)
    assert rows[G]["known_jaccard_max"] == pytest.approx(1 / 3)  # {A} against {A, B, X}
    assert rows[H]["known_jaccard_max"] == 0.0  # {C}: nothing in common
    assert rows[K]["known_jaccard_max"] == 0.0  # a known number is not compared with itself
    assert rows[F]["known_sharing_log"] == pytest.approx(math.log(2))


def test_known_numbers_are_inferred_from_numbers_that_reached_two_reporting_victims() -> None:
    # Both of K's first two callees report a fraud the next day: K becomes a known number.
    tables = _tables()
    tables["reports"] = pa.Table.from_pylist(
        [{"ts": T0 + 30 * HOUR_MS, "person_id": "P1"}, {"ts": T0 + 30 * HOUR_MS, "person_id": "P2"}]
    )
    rows = {r["number"]: r for r in number_features(tables).to_pylist()}
    assert rows[F]["known_jaccard_max"] == pytest.approx(2 / 6)
    assert rows[F]["later_victims_log"] == pytest.approx(math.log(3))  # A and B, before day 1 06:00


def test_missing_optional_tables_leave_their_features_unknown() -> None:
    rows = {
        r["number"]: r
        for r in number_features(_tables(phones=True, devices=True, reports=True)).to_pylist()
    }
    assert rows[F]["callees_per_call"] == pytest.approx(5 / 6)
    assert rows[F]["numbers_on_device_max_log"] == pytest.approx(math.log(4))
    assert rows[F]["later_victims_log"] is None  # no reports: unknown, not none
    assert rows[F]["sim_age_days"] is None and rows[F]["multi_sim_device_share"] is None


def test_bad_call_records_are_refused_by_table_and_column() -> None:
    with pytest.raises(InputError, match="calls: missing column"):
        number_features({"calls": pa.table({"caller": [F], "ts": [T0]})})
    with pytest.raises(InputError, match="neither a calls nor an sms table"):
        number_features({"phones": pa.Table.from_pylist(PHONES)})
    bad = pa.Table.from_pylist([{**CALLS[0], "callee": None}])
    with pytest.raises(InputError, match="1 contacts without a caller, callee or time"):
        number_features({"calls": bad})


def test_labels_are_phones_with_the_fraud_number_role() -> None:
    truth = pa.Table.from_pylist([
        {"entity_kind": "phone", "entity_id": F, "role": "fraud_number"},
        {"entity_kind": "phone", "entity_id": G, "role": "fraud_number"},
        {"entity_kind": "device", "entity_id": H, "role": "fraud_number"},  # not a phone
        {"entity_kind": "phone", "entity_id": A, "role": "victim"},
    ])  # fmt: skip
    got = fraud_number_labels({"truth": truth}, pa.array([F, H, A, G, N1]))
    assert got.tolist() == [True, False, False, True, False]
    assert got.dtype == np.bool_
    with pytest.raises(InputError, match="no ground truth"):
        fraud_number_labels({}, pa.array([F]))


def test_link_share_when_the_sms_source_carries_links() -> None:
    tables = _tables()
    links = [None, "https://a.example/x", "", "https://b.example/y", None]
    tables["sms"] = tables["sms"].append_column("url", pa.array(links, pa.string()))
    rows = {r["number"]: r for r in number_features(tables, known=[K]).to_pylist()}
    assert rows[S]["link_share"] == pytest.approx(2 / 4)  # an empty link is none
    assert rows[R2]["link_share"] == 0.0
