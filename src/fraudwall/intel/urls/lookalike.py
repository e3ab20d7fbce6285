"""What a domain's name gives away: a look-alike of a trusted brand's, a cheap TLD,
digits and hyphens, punycode.

A phishing site borrows trust from a name people know: ``icbc-verify.top``, ``1cbc.com``
(``1`` for ``l``), ``jd-kefu88.xyz``, ``xn--...`` (characters from another script that
look like Latin ones). Each measure here is worked out from the name alone against
`intel.brands` (public knowledge of the institutions' own domains), so it exists for a
domain the moment it is first seen, before anyone is hurt.

`lookalike_features` works per distinct domain (a world has thousands of domains, not
millions of visits: the visits are grouped first).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Final

import polars as pl

from fraudwall.intel.brands import (
    BRAND_DOMAINS,
    brand_labels,
    nearest_label_distance,
    registered_domain,
)

#: Top-level domains that public abuse statistics (Spamhaus, Interisle's phishing
#: landscape reports) list among the most abused: cheap, or free, or lightly policed.
ABUSED_TLDS: Final = frozenset(
    {
        "top", "xyz", "icu", "vip", "club", "shop", "site", "online", "live", "fun", "work",
        "buzz", "cyou", "sbs", "cfd", "bond", "rest", "tk", "ml", "ga", "cf", "gq", "cc",
        "ws", "pw", "biz", "link", "click", "loan", "win", "bid", "monster", "store", "asia",
        "life", "ltd", "today", "wang", "ren", "kim", "xin", "info",
    }
)  # fmt: skip
#: Characters and pairs that look alike in a link, folded to the letter they imitate.
HOMOGLYPHS: Final = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("0", "o"), ("1", "l"),
                     ("3", "e"), ("5", "s"), ("8", "b"), ("9", "g"), ("4", "a"), ("7", "t"),
                     ("i", "l"))  # fmt: skip
#: A brand's label must be this long to count when found inside another name.
MIN_INSIDE: Final = 4

LOOKALIKE_FEATURES: Final = (
    "label_length", "label_digits", "label_hyphens", "label_digit_share", "tld_abused",
    "punycode", "is_brand", "brand_distance", "brand_edits", "homoglyph_brand",
    "brand_inside", "brand_near",
)  # fmt: skip

_TOKENS = re.compile(r"[a-z]+")


def fold_homoglyphs(label: str) -> str:
    """`label` with look-alike characters replaced by the letters they imitate
    (``1cbc`` → ``lcbc``, ``paypa1`` → ``paypal``, ``rnybank`` → ``mybank``); ``i`` and
    ``l`` both become ``l``."""
    out = label.lower()
    for seen, meant in HOMOGLYPHS:
        out = out.replace(seen, meant)
    return out


def domain_facts(domain: str, brands: Sequence[str] = BRAND_DOMAINS) -> dict[str, float]:
    """The `LOOKALIKE_FEATURES` of one registered domain (lower-case, ASCII):

    - `label_length`, `label_digits`, `label_hyphens`, `label_digit_share`: of the label
      registered (``icbc`` of ``icbc.com.cn``);
    - `tld_abused`: its top-level domain is among `ABUSED_TLDS`; `punycode`: a label is
      internationalised (``xn--``);
    - `is_brand`: it is one of the brands' own domains;
    - `brand_distance`, `brand_edits`: edit distance of its label to the nearest brand
      label, as a share of the longer and in characters;
    - `homoglyph_brand`: its label, look-alike characters folded, is a brand's label
      (folded too), and it is not that brand's own domain;
    - `brand_inside`: a brand's label is a word of its label (``jd-kefu``: words are the
      runs of letters), or, of `MIN_INSIDE` letters or more, inside it (``icbcverify``),
      and it is not that brand's domain;
    - `brand_near`: one or two edits from a brand label, and not the brand's domain.
    """
    reg = registered_domain(domain)
    label = reg.split(".")[0]
    tld = reg.rsplit(".", 1)[-1]
    own = {registered_domain(b) for b in brands}
    labels = brand_labels(brands)
    is_brand = reg in own
    edits, share = (0, 0.0) if is_brand else nearest_label_distance(label, labels)
    folded = fold_homoglyphs(label)
    folded_brands = {fold_homoglyphs(b) for b in labels}
    homoglyph = (not is_brand) and folded in folded_brands
    words = set(_TOKENS.findall(label))
    whole = label.replace("-", "")
    inside = (not is_brand) and (
        bool(words & set(brand_labels(brands, min_length=2)))
        or any(len(b) >= MIN_INSIDE and b in whole for b in labels)
    )
    digits = sum(c.isdigit() for c in label)
    return {
        "label_length": float(len(label)),
        "label_digits": float(digits),
        "label_hyphens": float(label.count("-")),
        "label_digit_share": digits / max(len(label), 1),
        "tld_abused": float(tld in ABUSED_TLDS),
        "punycode": float(any(p.startswith("xn--") for p in domain.split("."))),
        "is_brand": float(is_brand),
        "brand_distance": share,
        "brand_edits": float(edits),
        "homoglyph_brand": float(homoglyph),
        "brand_inside": float(inside),
        "brand_near": float((not is_brand) and 0 < edits <= 2),
    }


def lookalike_features(
    domains: Iterable[str], key: str = "domain", brands: Sequence[str] = BRAND_DOMAINS
) -> pl.DataFrame:
    """One row per distinct domain: `key` and the float `LOOKALIKE_FEATURES`."""
    distinct = sorted(set(domains))
    rows = [domain_facts(d, brands) for d in distinct]
    data = {key: distinct, **{f: [r[f] for r in rows] for f in LOOKALIKE_FEATURES}}
    schema = {key: pl.String, **dict.fromkeys(LOOKALIKE_FEATURES, pl.Float64)}
    return pl.DataFrame(data, schema=schema)


__all__ = [
    "ABUSED_TLDS",
    "HOMOGLYPHS",
    "LOOKALIKE_FEATURES",
    "domain_facts",
    "fold_homoglyphs",
    "lookalike_features",
]
