"""Merchants' shop names by category."""

# Long lines below are Chinese template data, not code.
# ruff: noqa: E501

from __future__ import annotations

import numpy as np

from fraudwall.sim.texts.rand import Rand
from fraudwall.sim.texts.slots import Ctx
from fraudwall.sim.texts.templates import Seq, block, render
from fraudwall.sim.texts.vocab import SHOP_WORDS, words

MERCHANT_CATEGORIES: tuple[str, ...] = words(
    "便利店 餐饮 超市 服装 电子产品 药店 加油站 教育培训 水电燃气 生鲜 美容美发 酒店"
)
_MERCHANT_T: dict[str, tuple[Seq, ...]] = {
    "便利店": block("""
        [美宜佳|罗森|全家|便利蜂|7-Eleven|好德|快客|易捷|天福|见福]便利店（{m_area}店）
        {m_word}便利店
        {sur}记便利店
        {m_area}{m_word}便民超市
    """),
    "餐饮": block("""
        {sur}记[牛肉面|麻辣烫|煲仔饭|烧烤|馄饨|饺子馆|砂锅粥]
        [沙县小吃|兰州拉面|黄焖鸡米饭|杨国福麻辣烫|张亮麻辣烫|重庆小面|老乡鸡]（{m_area}店）
        {m_word}[川菜馆|湘菜馆|火锅|大排档|酒家|茶餐厅|小馆]
        [肯德基|麦当劳|瑞幸咖啡|星巴克|蜜雪冰城|喜茶|海底捞|华莱士]（{m_area}店）
        {m_area}{sur}家[私房菜|土菜馆|早餐店]
    """),
    "超市": block("""
        [永辉超市|华润万家|物美|联华超市|沃尔玛|大润发|家乐福|盒马鲜生|步步高|世纪联华]（{m_area}店）
        {m_word}[生活超市|购物广场|量贩超市]
        {m_area}{m_word}超市
    """),
    "服装": block("""
        {m_word}服饰
        [优衣库|ZARA|太平鸟|海澜之家|森马|李宁|安踏|波司登]（{m_area}店）
        {fname}[女装|时装店|精品服饰]
        {m_area}{m_word}[鞋业|童装|男装]
    """),
    "电子产品": block("""
        {m_word}数码
        {m_area}{m_word}手机[通讯|卖场|维修]
        [华为授权体验店|小米之家|苏宁易购|国美电器|OPPO专卖店|vivo专卖店]（{m_area}店）
        {m_word}电脑[科技|商行]
    """),
    "药店": block("""
        [老百姓大药房|益丰大药房|大参林|国大药房|一心堂|海王星辰|漱玉平民]（{m_area}店）
        {m_area}{m_word}大药房
        {m_word}[医药连锁|药店]
    """),
    "加油站": block("""
        中国石化{m_area}加油站
        中国石油{m_area}加油站
        [中海油|壳牌|延长壳牌]{m_area}加油站
        {m_word}加油站
    """),
    "教育培训": block("""
        {m_word}教育
        {m_word}[英语|美术|舞蹈|钢琴|编程|书法]培训中心
        [新东方|学而思|好未来|巨人教育|中公教育]（{m_area}校区）
        {m_area}{m_word}驾校
    """),
    "生鲜": block("""
        {m_word}[生鲜|果蔬|水果店]
        {sur}记[水果|鲜肉铺|海鲜档|蔬菜店]
        [钱大妈|百果园|叮咚买菜前置仓|朴朴超市|鲜丰水果]（{m_area}店）
        {m_area}[农贸市场|菜市场]{sur}[姐|哥]鲜果
    """),
    "美容美发": block("""
        {m_word}[美发|发型设计|造型]
        {fname}[美甲|美容院|美睫工作室|皮肤管理]
        {m_area}{m_word}[理发店|美容美发|养生馆]
        [永琪美容美发|文峰美容|丝域养发]（{m_area}店）
    """),
    "酒店": block("""
        [如家|汉庭|全季|锦江之星|7天|亚朵|维也纳|格林豪泰]酒店（{city}{m_area}店）
        {city}{m_word}[宾馆|大酒店|商务酒店]
        {m_area}{m_word}[民宿|公寓酒店]
    """),
    "水电燃气": block("""
        国网{city}供电公司
        {city}[自来水公司|水务集团]
        {city}[燃气集团|港华燃气|华润燃气]
        南方电网{city}供电局
    """),
}


def merchant_name(category: str, rng: np.random.Generator) -> str:
    """A merchant's shop name in a category (MERCHANT_CATEGORIES; other categories get a generic name)."""
    r = Rand(rng, 32)
    ctx = Ctx(r, None)
    templates = _MERCHANT_T.get(category)
    if templates is None:
        return r.pick(SHOP_WORDS) + category
    return render(r.pick(templates), ctx)
