"""The simulator's Chinese text generators: determinism, variety, well-formedness."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

from fraudwall.model import FraudType
from fraudwall.sim import texts
from fraudwall.sim.texts import (
    FRAUD_APPS,
    LEGIT_APPS,
    LEGIT_DOMAINS,
    MERCHANT_CATEGORIES,
    NORMAL_SMS_KINDS,
    REMOTE_APPS,
    app_permissions,
    company_name,
    fraud_domain,
    fraud_sms,
    fraudsms,
    merchant_name,
    normal_sms,
    report_narrative,
)

CJK = re.compile(r"[\u4e00-\u9fff]")
TEMPLATE_SYNTAX = re.compile(r"[{}\[\]|]")
DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.[a-z]{2,}$")
SCREEN_PERMS = {
    "android.permission.FOREGROUND_SERVICE_MEDIA_PROJECTION",
    "android.permission.BIND_ACCESSIBILITY_SERVICE",
}


def rng(seed: int = 7) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_package_keeps_the_public_names_of_the_old_module() -> None:
    """Callers do `from fraudwall.sim import texts; texts.fraud_sms(...)`: the package split
    into one module a job keeps every public name importable from `fraudwall.sim.texts`."""
    expected = {
        "FRAUD_APPS", "LEGIT_APPS", "LEGIT_DOMAINS", "MERCHANT_CATEGORIES", "NORMAL_SMS_KINDS",
        "REMOTE_APPS", "app_permissions", "company_name", "fraud_domain", "fraud_sms",
        "merchant_name", "normal_sms", "report_narrative",
    }  # fmt: skip
    assert expected <= set(texts.__all__)
    for name in texts.__all__:
        assert getattr(texts, name) is not None
    assert texts.fraud_sms is fraudsms.fraud_sms
    assert texts.fraud_sms(FraudType.REBATE, rng(), 3) == fraud_sms(FraudType.REBATE, rng(), 3)


def _well_formed(text: str) -> bool:
    return bool(text.strip()) and CJK.search(text) is not None and not TEMPLATE_SYNTAX.search(text)


def test_deterministic_for_a_seed() -> None:
    def draw(seed: int) -> list[object]:
        g = rng(seed)
        out: list[object] = []
        for ft in FraudType:
            out += fraud_sms(ft, g, 20)
            out.append(report_narrative(ft, 123_456, g))
            out.append(fraud_domain(ft, g))
        for kind in NORMAL_SMS_KINDS:
            out += normal_sms(kind, g, 20)
        out.append(report_narrative(None, 5_000, g))
        out += [merchant_name(c, g) for c in MERCHANT_CATEGORIES]
        out += [company_name(g) for _ in range(5)]
        out += [app_permissions(a, g) for a, _ in REMOTE_APPS + LEGIT_APPS]
        return out

    assert draw(11) == draw(11)
    assert draw(11) != draw(12)


@pytest.mark.parametrize("ft", list(FraudType))
def test_fraud_sms_varied_and_chinese(ft: FraudType) -> None:
    assert len(fraudsms._FRAUD_TEMPLATES[ft]) >= 12
    sms = fraud_sms(ft, rng(), 300)
    assert len(sms) == 300
    assert len(set(sms)) >= 100
    assert all(_well_formed(s) for s in sms), [s for s in sms if not _well_formed(s)][:3]
    # most scripts carry a way to reach the fraudster: a link, a handle or a number
    contact = re.compile(
        r"\d{5,}|[０-９]{5,}|https?://|\.[a-z]{2,}\b|[A-Za-z]{2,}\d|wxid_|\d[ -]\d"
    )
    assert sum(bool(contact.search(s)) for s in sms) >= 200


def test_fraud_sms_uses_many_scripts() -> None:
    """Beyond slot values: the first ten characters (the script's opening) vary a lot."""
    for ft in FraudType:
        openings = {s.lstrip("【").split("】")[-1][:6] for s in fraud_sms(ft, rng(3), 400)}
        assert len(openings) >= 24, ft


def test_fraud_sms_noise_appears() -> None:
    sms = [s for ft in FraudType for s in fraud_sms(ft, rng(5), 300)]
    assert any(s.startswith("【") for s in sms)
    assert any("退订" in s or "回T" in s or "回复R" in s for s in sms)
    assert any(re.search(r"[０-９]", s) for s in sms)
    assert any(
        re.search(r"刷[ .*\-·/_丨#~、]单|返[ .*\-·/_丨#~、]利|兼[ .*\-·/_丨#~、]职", s) for s in sms
    )


@pytest.mark.parametrize("kind", NORMAL_SMS_KINDS)
def test_normal_sms_kinds(kind: str) -> None:
    sms = normal_sms(kind, rng(), 200)
    assert len(sms) == 200
    assert all(_well_formed(s) for s in sms), [s for s in sms if not _well_formed(s)][:3]
    assert len(set(sms)) >= 60


def test_normal_sms_kinds_listed() -> None:
    assert set(NORMAL_SMS_KINDS) >= {
        "personal",
        "verification",
        "bank_notice",
        "delivery",
        "marketing",
        "loan_ad",
        "telco_bill",
        "reminder",
        "gov_notice",
    }
    with pytest.raises(ValueError):
        normal_sms("spam", rng(), 1)


def test_hard_negatives_share_vocabulary() -> None:
    """Anti-fraud notices talk about 刷单 and 安全账户; legitimate lenders offer 额度."""
    gov = " ".join(normal_sms("gov_notice", rng(), 300))
    assert "刷单" in gov and "安全账户" in gov
    loans = " ".join(normal_sms("loan_ad", rng(), 200))
    assert "额度" in loans and "退订" in loans


@pytest.mark.parametrize("ft", [*list(FraudType), None])
def test_narratives_state_the_amount(ft: FraudType | None) -> None:
    g = rng()
    seen = set()
    for amount_fen in (100, 250_000, 123_456, 9_999_999, 4_200_000_00):
        for _ in range(20):
            text = report_narrative(ft, amount_fen, g)
            yuan = amount_fen // 100 if amount_fen % 100 == 0 else amount_fen / 100
            expected = f"{yuan}元" if isinstance(yuan, int) else f"{yuan:.2f}元"
            assert expected in text, (expected, text)
            assert 50 <= len(text) <= 200, text
            assert _well_formed(text)
            seen.add(text)
    assert len(seen) >= 60


def test_fraud_domains() -> None:
    g = rng()
    for ft in FraudType:
        doms = [fraud_domain(ft, g) for _ in range(200)]
        assert all(DOMAIN.match(d) for d in doms), doms[:5]
        assert len(set(doms)) >= 150
        assert not set(doms) & set(LEGIT_DOMAINS)


def test_app_catalogues() -> None:
    assert len(LEGIT_DOMAINS) >= 40
    assert len(LEGIT_APPS) >= 40
    assert set(FRAUD_APPS) == set(FraudType)
    ids = [a for apps in FRAUD_APPS.values() for a, _ in apps]
    ids += [a for a, _ in REMOTE_APPS] + [a for a, _ in LEGIT_APPS]
    assert len(ids) == len(set(ids))
    assert all(len(apps) >= 3 for apps in FRAUD_APPS.values())


def test_remote_apps_capture_the_screen() -> None:
    g = rng()
    for app_id, _ in REMOTE_APPS:
        for _ in range(10):
            perms = app_permissions(app_id, g)
            assert "android.permission.INTERNET" in perms
            assert SCREEN_PERMS & set(perms)
            assert len(perms) == len(set(perms))
    fraud_perms = {p for a, _ in FRAUD_APPS[FraudType.LOAN] for p in app_permissions(a, g)}
    assert "android.permission.READ_CONTACTS" in fraud_perms
    assert all(p.startswith("android.permission.") for p in app_permissions("com.unknown.app", g))


def test_merchants_and_companies() -> None:
    g = rng()
    for cat in [*MERCHANT_CATEGORIES, "五金"]:
        names = {merchant_name(cat, g) for _ in range(50)}
        assert len(names) >= 10, cat
        assert all(_well_formed(n) for n in names)
    companies = {company_name(g) for _ in range(100)}
    assert len(companies) >= 90
    assert all(n.endswith("公司") for n in companies)


def test_fast_enough() -> None:
    g = rng()
    t0 = time.perf_counter()
    fraud_sms(FraudType.POLICE, g, 2000)
    normal_sms("personal", g, 2000)
    assert time.perf_counter() - t0 < 1.0
