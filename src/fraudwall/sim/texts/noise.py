"""The noise real spam carries: obfuscated keywords (刷 单, 返.利, 薇信), full-width digits,
half-width punctuation and stray spaces, applied around a URL that must stay intact."""

# Long lines below are Chinese template data, not code.

from __future__ import annotations

from collections.abc import Callable

from fraudwall.sim.texts.rand import Rand
from fraudwall.sim.texts.vocab import words

UNSUBSCRIBE = words("退订回T 回T退订 拒收请回复R 退订回TD 回TD退订 退订回N 退订请回复T")

_OBFUSCATE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("刷单", ("刷dan", "唰单", "刷丹", "shua单")),
    ("返利", ("反利", "fan利", "返莉")),
    ("兼职", ("兼只", "jian职", "兼值", "兼zhi")),
    ("佣金", ("拥金", "yong金", "佣jin")),
    ("贷款", ("代款", "贷kuan", "dai款", "袋款")),
    ("借款", ("借kuan", "jie款")),
    ("放款", ("放kuan", "fang款")),
    ("投资", ("投zi", "tou资")),
    ("理财", ("理cai", "li财", "里财")),
    ("收益", ("收yi", "收溢")),
    ("征信", ("征xin", "zheng信", "正信")),
    ("逾期", ("逾qi", "yu期")),
    ("理赔", ("理pei", "里赔")),
    ("退款", ("退kuan", "tui款")),
    ("微信", ("薇信", "V信", "威信", "vx", "VX", "wx", "徽信", "薇")),
    ("红包", ("hong包", "红苞", "虹包")),
    ("充值", ("冲值", "充zhi", "chong值")),
    ("提现", ("提xian", "提鲜")),
    ("日结", ("日jie", "ri结")),
    ("保证金", ("保正金", "bao证金")),
    ("客服", ("ke服", "课服")),
    ("茅台", ("矛台", "mao台")),
    ("股票", ("gu票", "股piao")),
    ("冻结", ("冻jie", "dong结")),
    ("洗钱", ("洗qian", "xi钱")),
    ("安全账户", ("安全帐户", "安全zhang户")),
    ("中奖", ("中jiang",)),
    ("补贴", ("补tie",)),
    ("解冻", ("解dong",)),
    ("验证码", ("验证ma", "验.证.码")),
)
_SEPARATORS = (" ", ".", "*", "-", "·", "/", "_", "丨", "#", "~", "、")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
HALF_PUNCT = str.maketrans(
    {"，": ",", "。": ".", "：": ":", "！": "!", "？": "?", "（": "(", "）": ")"}
)


def apply_outside(text: str, keep: str | None, fn: Callable[[str], str]) -> str:
    """Apply fn to the parts of text other than `keep` (a URL that must stay intact)."""
    if keep and keep in text:
        return keep.join([fn(p) for p in text.split(keep)])
    return fn(text)


def obfuscate(text: str, r: Rand) -> str:
    for word, variants in _OBFUSCATE:
        if word in text and r.chance(0.6):
            use_variant = bool(variants) and r.chance(0.5)
            new = r.pick(variants) if use_variant else r.pick(_SEPARATORS).join(word)
            text = text.replace(word, new)
    return text


def spaces(text: str, r: Rand) -> str:
    if len(text) < 4:
        return text
    chars = list(text)
    for _ in range(r.randint(1, 3)):
        chars.insert(r.randint(1, len(chars) - 1), " ")
    return "".join(chars)
