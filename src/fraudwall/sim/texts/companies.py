"""Chinese company names (employers, the companies a template names)."""

# Long lines below are Chinese template data, not code.
# ruff: noqa: E501

from __future__ import annotations

import numpy as np

from fraudwall.sim.texts.rand import Rand
from fraudwall.sim.texts.vocab import CITIES, words

_CO_WORDS = words(
    "恒达 华信 中科 鼎盛 宏远 瑞丰 博雅 天成 金桥 新锐 联创 海纳 启明 正泰 东方 卓越 嘉和 万通 长青 优品 盛世 汇通 锦程 泽源 云帆"
)
_INDUSTRIES = words(
    "信息科技 网络科技 贸易 商贸 电子商务 建筑工程 物流 餐饮管理 文化传媒 教育咨询 医疗器械 食品 服装 机械设备 广告 人力资源 供应链管理 新能源 生物科技 房地产开发 企业管理咨询 软件"
)
_CO_SUFFIX = words("有限公司 有限公司 有限公司 有限责任公司 股份有限公司 集团有限公司")


def draw_company_name(r: Rand) -> str:
    city = r.pick(CITIES)
    x = r.u()
    if x < 0.6:
        return f"{city}{r.pick(_CO_WORDS)}{r.pick(_INDUSTRIES)}{r.pick(_CO_SUFFIX)}"
    if x < 0.85:
        return f"{r.pick(_CO_WORDS)}（{city}）{r.pick(_INDUSTRIES)}{r.pick(_CO_SUFFIX)}"
    return f"{city}市{r.pick(_CO_WORDS)}{r.pick(_INDUSTRIES)}有限公司"


def company_name(rng: np.random.Generator) -> str:
    """A Chinese company name, e.g. '杭州恒达信息科技有限公司'."""
    return draw_company_name(Rand(rng, 16))
