"""Fraud-domain features worked out by hand: look-alikes of trusted brands, the registered
domain of a link, and the links texts carry."""

from __future__ import annotations

import polars as pl
import pyarrow as pa
import pytest

from fraudwall.intel.brands import registered_domain
from fraudwall.intel.urls import domain_facts, fold_homoglyphs
from fraudwall.intel.urls.features import text_links, with_domain


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        # one look-alike character from icbc.com's label: 1 for l (folded: lcbc == lcbc)
        ("1cbc.com", {"homoglyph_brand": 1, "brand_edits": 1, "brand_near": 1,
                      "label_digits": 1, "label_length": 4, "is_brand": 0, "tld_abused": 0}),
        # the brand as a word of the name, a hyphen, an abused TLD
        ("icbc-verify.top", {"brand_inside": 1, "label_hyphens": 1, "tld_abused": 1,
                             "homoglyph_brand": 0, "brand_near": 0, "label_length": 11}),
        # rn for m: cmbchina -> crnbchina (one letter more, two edits, folds back)
        ("crnbchina.com", {"homoglyph_brand": 1, "brand_near": 1, "brand_edits": 2}),
        # the bank's own domain, under a subdomain
        ("www.icbc.com.cn", {"is_brand": 1, "brand_edits": 0, "brand_inside": 0,
                             "homoglyph_brand": 0, "brand_near": 0}),
        # a two-letter brand as a word: jd-kefu88 (kefu = customer service)
        ("jd-kefu88.xyz", {"brand_inside": 1, "label_digits": 2, "tld_abused": 1}),
        ("xn--icbc-9k4b.com", {"punycode": 1}),
        ("hx-licai88.top", {"brand_inside": 0, "homoglyph_brand": 0, "brand_near": 0,
                            "label_digit_share": 0.2, "tld_abused": 1}),
    ],
)  # fmt: skip
def test_lookalike_features_by_hand(domain: str, expected: dict[str, float]) -> None:
    got = domain_facts(domain)
    for name, value in expected.items():
        assert got[name] == pytest.approx(value), name


def test_homoglyphs_fold_to_the_letters_they_imitate() -> None:
    assert fold_homoglyphs("paypa1") == fold_homoglyphs("paypal")
    assert fold_homoglyphs("rnybank") == fold_homoglyphs("mybank")
    assert fold_homoglyphs("ta0bao") == fold_homoglyphs("taobao")
    assert fold_homoglyphs("vvechat") == fold_homoglyphs("wechat")


def test_the_registered_domain_of_a_link() -> None:
    assert registered_domain("www.icbc.com.cn") == "icbc.com.cn"
    assert registered_domain("m.jd.com") == "jd.com"
    assert registered_domain("gov.cn") == "gov.cn"
    urls = ["https://M.JD.com/x?y=1", "www.icbc.com.cn/abc", "http://u@pay.example.top:80/"]
    links = pl.DataFrame({"url": [*urls, "not a link", None]})
    got = with_domain(links, "url")["domain"].to_list()
    assert got == ["jd.com", "icbc.com.cn", "example.top", None, None]


def test_links_in_texts_are_found_and_tied_to_the_receiver() -> None:
    tables = {
        "sms": pa.table({
            "ts": [1, 2], "sender": ["+8617000000000", "+8610690000"],
            "receiver": ["+8613800000001", "+8613800000002"],
            "text": ["【通知】您的账户异常，点击https://icbc-verify.top/login?u=1处理，逾期冻结",
                     "【京东】红包已到账，快去用m.jd.com/abc 拒收请回复R"],
        }),
        "phones": pa.table({"number": ["+8613800000001"], "owner_person_id": ["P1"]}),
    }  # fmt: skip
    got = text_links(tables, None).sort("ts").select("person_id", "sender", "domain").rows()
    assert got == [
        ("P1", "+8617000000000", "icbc-verify.top"),
        ("number:+8613800000002", "+8610690000", "jd.com"),
    ]
