"""What fraud imitates: the names and domains of banks, payment services, government
services and large platforms people in China trust, written here from public knowledge
(the institutions' own names and web addresses), and how close a name or a domain comes
to one of them.

An app called like a bank's but not the bank's, a domain one letter or one look-alike
character from a bank's: impersonation is one of the plainest marks of a fraud app or
site (App专项治理, 仿冒网站). The lists are short on purpose — the institutions people
are asked to "verify", "unfreeze" or "refund" through — and a deployment would extend
them; every measure here is a similarity or a count, so a longer list changes nothing
else.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

#: Names of apps and services people trust: banks, payments, government, platforms.
BRAND_NAMES: Final[tuple[str, ...]] = (
    # banks (state-owned, joint-stock, postal)
    "中国工商银行", "工商银行", "中国建设银行", "建设银行", "中国农业银行", "农业银行",
    "中国银行", "交通银行", "中国邮政储蓄银行", "邮储银行", "招商银行", "浦发银行",
    "中信银行", "中国民生银行", "民生银行", "兴业银行", "平安银行", "中国光大银行",
    "光大银行", "华夏银行", "广发银行", "北京银行", "上海银行", "江苏银行", "宁波银行",
    "微众银行", "网商银行",
    # payments and wallets
    "支付宝", "微信", "微信支付", "云闪付", "中国银联", "财付通", "京东金融", "度小满",
    # government and public services
    "国家反诈中心", "个人所得税", "交管12123", "国家政务服务平台", "国家医保服务平台",
    "掌上12333", "电子社保卡", "中国人民银行", "国家税务总局", "公安部", "最高人民检察院",
    "最高人民法院", "中国裁判文书网", "国家市场监督管理总局", "中国银保监会",
    "国家金融监督管理总局", "中国证监会", "铁路12306", "中国邮政", "国家电网",
    "网上国网", "中国移动", "中国联通", "中国电信", "学信网",
    # platforms people shop, travel and talk on
    "淘宝", "天猫", "京东", "拼多多", "抖音", "快手", "美团", "饿了么", "携程",
    "QQ", "钉钉", "闲鱼", "小红书", "顺丰速运", "菜鸟", "唯品会", "苏宁易购",
)  # fmt: skip

#: The registered domains of those (and a few more large sites), as the public knows them.
BRAND_DOMAINS: Final[tuple[str, ...]] = (
    "icbc.com.cn", "ccb.com", "abchina.com", "boc.cn", "bankofchina.com", "bankcomm.com",
    "psbc.com", "cmbchina.com", "spdb.com.cn", "citicbank.com", "cmbc.com.cn", "cib.com.cn",
    "pingan.com", "cebbank.com", "hxb.com.cn", "cgbchina.com.cn", "bankofbeijing.com.cn",
    "webank.com", "mybank.cn",
    "alipay.com", "wechat.com", "weixin.qq.com", "tenpay.com", "unionpay.com", "95516.com",
    "jdpay.com",
    "gov.cn", "mps.gov.cn", "chinatax.gov.cn", "nhsa.gov.cn", "mohrss.gov.cn", "pbc.gov.cn",
    "spp.gov.cn", "court.gov.cn", "samr.gov.cn", "csrc.gov.cn", "nfra.gov.cn", "12306.cn",
    "122.gov.cn", "chsi.com.cn", "sgcc.com.cn", "10086.cn", "10010.com", "189.cn",
    "chinapost.com.cn",
    "taobao.com", "tmall.com", "jd.com", "pinduoduo.com", "douyin.com", "kuaishou.com",
    "meituan.com", "ele.me", "ctrip.com", "qq.com", "dingtalk.com", "xianyu.com",
    "xiaohongshu.com", "sf-express.com", "cainiao.com", "vip.com", "suning.com", "baidu.com",
    "apple.com", "microsoft.com",
)  # fmt: skip

#: Public suffixes of two labels: the registered domain of ``www.icbc.com.cn`` is
#: ``icbc.com.cn``, of ``m.jd.com`` is ``jd.com``.
TWO_LABEL_SUFFIXES: Final = frozenset(
    f"{second}.{top}"
    for top in ("cn", "hk", "tw", "uk", "jp", "au", "sg", "my")
    for second in ("com", "net", "org", "gov", "edu", "ac", "co")
)


def registered_domain(host: str) -> str:
    """The domain someone registered, of a host (lower-case, no scheme): its last two
    labels, or three under a two-label public suffix (``com.cn``); ``gov.cn`` stays."""
    labels = host.lower().strip(".").split(".")
    if len(labels) >= 3 and ".".join(labels[-2:]) in TWO_LABEL_SUFFIXES:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def brand_labels(domains: Iterable[str] = BRAND_DOMAINS, min_length: int = 3) -> tuple[str, ...]:
    """The distinctive label of each brand domain (``icbc`` of ``icbc.com.cn``, ``12306``
    of ``12306.cn``), at least `min_length` characters long, without repeats."""
    out = []
    for d in domains:
        reg = registered_domain(d)
        label = reg.split(".")[0]
        if len(label) >= min_length and label not in out:
            out.append(label)
    return tuple(out)


def name_closeness(names: Sequence[str], brands: Sequence[str] = BRAND_NAMES) -> np.ndarray:
    """Per name, three figures against the brand names, each within 0..1: the best
    similarity of the whole names (`fuzz.ratio`), the best similarity of the name with
    a brand inside it or it inside a brand (`fuzz.partial_ratio`), and whether it *is*
    one of them (case and spaces aside). Shape (len(names), 3)."""
    out = np.zeros((len(names), 3))
    if not len(names):
        return out
    folded = [_fold(n) for n in names]
    folded_brands = [_fold(b) for b in brands]
    known = set(folded_brands)
    whole = process.cdist(folded, folded_brands, scorer=fuzz.ratio, workers=1)
    part = process.cdist(folded, folded_brands, scorer=fuzz.partial_ratio, workers=1)
    out[:, 0] = np.asarray(whole).max(axis=1) / 100.0
    out[:, 1] = np.asarray(part).max(axis=1) / 100.0
    out[:, 2] = [1.0 if f in known else 0.0 for f in folded]
    return out


def nearest_label_distance(label: str, labels: Sequence[str]) -> tuple[int, float]:
    """The edit distance from `label` to the nearest of `labels`, and that distance as a
    share of the longer of the two (0 = the same, 1 = nothing in common)."""
    if not labels:
        return len(label), 1.0
    dists = [Levenshtein.distance(label, b) for b in labels]
    i = int(np.argmin(dists))
    return dists[i], dists[i] / max(len(label), len(labels[i]), 1)


def _fold(name: str) -> str:
    return "".join(name.split()).lower()


__all__ = [
    "BRAND_DOMAINS",
    "BRAND_NAMES",
    "TWO_LABEL_SUFFIXES",
    "brand_labels",
    "name_closeness",
    "nearest_label_distance",
    "registered_domain",
]
