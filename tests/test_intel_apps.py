"""Malicious-app features worked out by hand: what an app asks for, what it calls itself,
and what its installers did next — counted only from what was known at the time."""

from __future__ import annotations

import polars as pl
import pyarrow as pa
import pytest

from fraudwall.errors import InputError
from fraudwall.intel.apps import app_features, permission_features
from fraudwall.intel.apps.features import name_features
from fraudwall.intel.devicetrail import PRIOR
from fraudwall.model import DAY_MS, HOUR_MS

T = 1_767_225_600_000  # 2026-01-01 00:00 UTC


def test_dangerous_and_abused_permissions_are_counted_whatever_their_spelling() -> None:
    installs = pl.DataFrame(
        {
            "app_id": ["com.bad.app", "com.bad.app", "com.plain.app"],
            "permissions": [
                ["android.permission.READ_SMS", "BIND_ACCESSIBILITY_SERVICE",
                 "android.permission.INTERNET", "com.vendor.permission.C2D_MESSAGE"],
                [" system_alert_window ", "android.permission.READ_SMS"],  # a second version
                None,
            ],
        }
    )  # fmt: skip
    got = {r["app_id"]: r for r in permission_features(installs).to_dicts()}
    bad = got["com.bad.app"]
    assert bad["perm_count"] == 5  # READ_SMS once, with INTERNET, C2D_MESSAGE, the two powers
    assert bad["perm_dangerous"] == 1 and bad["perm_dangerous_share"] == pytest.approx(0.2)
    assert (bad["perm_sms_read"], bad["perm_accessibility"], bad["perm_overlay"]) == (1, 1, 1)
    assert (bad["perm_screen_capture"], bad["perm_sms_send"]) == (0, 0)
    assert bad["perm_abused"] == 3
    plain = got["com.plain.app"]
    assert plain["perm_count"] == 0 and plain["perm_abused"] == 0


def test_a_name_close_to_a_bank_but_not_the_bank_is_a_lookalike() -> None:
    names = pl.DataFrame(
        {
            "app_id": ["com.icbc", "com.fake.icbc", "com.task.app", "com.nameless"],
            "app_name": ["中国工商银行", "工商银行安全控件", "点赞赚钱", None],
        }
    )
    got = {r["app_id"]: r for r in name_features(names).to_dicts()}
    assert got["com.icbc"]["name_is_brand"] == 1 and got["com.icbc"]["name_lookalike"] == 0
    fake = got["com.fake.icbc"]
    assert fake["name_is_brand"] == 0 and fake["name_lookalike"] == 1
    assert fake["name_brand_partial"] >= 0.6 and fake["name_official_words"] >= 2
    assert got["com.task.app"]["name_money_words"] >= 2  # 点赞, 赚
    assert got["com.nameless"]["name_brand_ratio"] is None


def _world() -> dict[str, pa.Table]:
    """Three people install app A at T (P3 also app B); P1 pays a stranger 2 h later and
    reports a fraud 3 days later; P2 pays a shop and someone it had paid before; P3
    reports 40 days later. P1 got a text with a link an hour before installing."""
    return {
        "devices": pa.table({"device_id": ["D1", "D2", "D3"],
                             "owner_person_id": ["P1", "P2", "P3"]}),
        "accounts": pa.table({
            "account_id": ["A1", "A2", "A3", "SHOP", "X", "Y"],
            "owner_person_id": ["P1", "P2", "P3", "P9", "P8", "P7"],
            "kind": ["debit_card", "debit_card", "wallet", "merchant", "debit_card", "wallet"],
        }),
        "transfers": pa.table({
            "ts": [T - 5 * DAY_MS, T + 2 * HOUR_MS, T + HOUR_MS, T + 3 * HOUR_MS],
            "from_account": ["A2", "A1", "A2", "A2"],
            "to_account": ["Y", "X", "SHOP", "Y"],
            "amount_fen": [5_000, 200_000, 300_000, 400_000],
        }),
        "app_installs": pa.table({
            "ts": [T, T, T, T + HOUR_MS],
            "device_id": ["D1", "D2", "D3", "D3"],
            "app_id": ["com.a.app", "com.a.app", "com.a.app", "com.b.app"],
            "app_name": ["阿", "阿", "阿", "贝"],
        }),
        "reports": pa.table({"ts": [T + 3 * DAY_MS, T + 40 * DAY_MS], "person_id": ["P1", "P3"]}),
        "phones": pa.table({"number": ["+8613800000001"], "owner_person_id": ["P1"]}),
        "sms": pa.table({
            "ts": [T - HOUR_MS], "sender": ["+8617000000000"], "receiver": ["+8613800000001"],
            "text": ["您的账户异常，请登录 https://icbc-verify.top/x 处理"],
        }),
    }  # fmt: skip


def test_installers_paying_strangers_soon_after_are_counted_against_the_worlds_rate() -> None:
    got = {r["app_id"]: r for r in app_features(_world(), as_of=T + 10 * DAY_MS).to_pylist()}
    a, b = got["com.a.app"], got["com.b.app"]
    # one of A's three installers (P1) paid a new, non-shop payee within 6 h (a large sum);
    # the world's rate over the four (app, installer) meetings is 1/4, shares are smoothed
    # towards it by PRIOR people
    base = 1 / 4
    share_a, share_b = (1 + PRIOR * base) / (3 + PRIOR), (0 + PRIOR * base) / (1 + PRIOR)
    for flag in ("new_payee_6h", "new_payee_48h", "new_payee_large_48h", "link_text_before"):
        assert a[f"{flag}_share"] == pytest.approx(share_a), flag
        assert a[f"{flag}_lift"] == pytest.approx(share_a / base), flag
        assert b[f"{flag}_share"] == pytest.approx(share_b), flag
    # P3's report comes after as_of: only P1's counts
    assert a["later_reported_share"] == pytest.approx(share_a)
    assert a["later_reported_log"] == pytest.approx(0.6931, abs=1e-3)  # log(1 + 1)
    assert a["devices_log"] == pytest.approx(1.3863, abs=1e-3)  # log(1 + 3)


def test_reports_after_the_cut_are_not_read() -> None:
    later = {r["app_id"]: r for r in app_features(_world()).to_pylist()}
    cut = {r["app_id"]: r for r in app_features(_world(), as_of=T + 10 * DAY_MS).to_pylist()}
    assert later["com.a.app"]["later_reported_log"] > cut["com.a.app"]["later_reported_log"]
    # nothing before the first install: no app at all
    with pytest.raises(InputError, match="app_installs"):
        app_features({k: v for k, v in _world().items() if k != "app_installs"})
    assert app_features(_world(), as_of=T - DAY_MS).num_rows == 0
