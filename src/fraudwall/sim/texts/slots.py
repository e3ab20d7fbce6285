"""Slot values: what each ``{slot}`` of a template draws (a name, an amount, a URL...)."""

# Long lines below are Chinese template data, not code.
# ruff: noqa: E501

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeAlias

from fraudwall.model import FraudType
from fraudwall.sim.texts.catalogue import (
    BANK_DOMAIN,
    FRAUD_APPS,
    FRAUD_TYPES,
    GOV_DOMAINS,
    LINK_DOMAINS,
    REMOTE_APPS,
    draw_fraud_domain,
)
from fraudwall.sim.texts.companies import draw_company_name
from fraudwall.sim.texts.rand import ALNUM, LOWER, Rand
from fraudwall.sim.texts.vocab import (
    AIRLINES,
    ALERT_COLORS,
    AREAS,
    BANK_LOANS,
    BANKS,
    BRAND_CHARS,
    CAR_BRANDS,
    CITIES,
    COUNTRIES,
    COURIERS,
    DEPTS,
    DISEASES,
    EDU,
    FAKE_SUFFIX,
    FEMALE_GIVEN,
    FESTIVALS,
    FOOD_APPS,
    GAMES,
    GITEMS,
    GIVEN,
    GOODS,
    GOODS_SMALL,
    GOV_DEPTS,
    GOV_SERVICES,
    GYMS,
    HOSPITAL_KINDS,
    INSTITUTIONS,
    ISSUES,
    JOB_TASKS,
    JOBS,
    LENDERS,
    LIBS,
    MEETINGS,
    NICKNAMES,
    PAY_CHANNELS,
    PKGS,
    PLACES,
    PLAT_DOMAIN,
    PLATS,
    PROVINCES,
    REGULATORS,
    ROADS,
    SCHOOLS,
    SERVICES,
    SHOP_WORDS,
    SHOWS,
    SMALL_YUAN,
    STATIONS,
    STOCK_SUFFIX,
    STORE_BRANDS,
    SUBSIDIES,
    SURNAMES,
    SVC_NAMES,
    TELCOS,
    TITLES,
    UTILITIES,
    WEATHER,
    WX_WORDS,
    words,
)


class Ctx:
    """The state of one text being rendered: its fraud type and the slot values drawn so far."""

    __slots__ = ("ft", "r", "vals")

    def __init__(self, r: Rand, ft: FraudType | None) -> None:
        self.r = r
        self.ft = ft
        self.vals: dict[str, str] = {}


_SlotFn: TypeAlias = Callable[[Ctx], str]


def _round_sig(v: float, sig: int) -> int:
    iv = int(v)
    if iv < 10:
        return max(1, round(v))
    mag: int = 10 ** max(0, len(str(iv)) - sig)
    return round(v / mag) * mag


def _fmt_yuan(v: int, r: Rand) -> str:
    x = r.u()
    if x < 0.55:
        return f"{v}元"
    if x < 0.7 and v >= 1000:
        return f"{v:,}元"
    if x < 0.82 and v >= 10000 and v % 1000 == 0:
        return f"{v / 10000:g}万" + r.pick(("", "元"))
    if x < 0.9:
        return f"¥{v}"
    if x < 0.95:
        return f"{v}.00元"
    return f"{v}块"


_LUCKY = tuple(
    int(w)
    for w in words("8 10 18 20 28 38 50 66 68 88 98 99 100 128 168 188 198 200 288 299 388 500")
)


def _amt_s(c: Ctx) -> str:
    r = c.r
    v = r.pick(_LUCKY) if r.chance(0.4) else r.randint(5, 500)
    return _fmt_yuan(v, r)


def _amt_m(c: Ctx) -> str:
    r = c.r
    return _fmt_yuan(_round_sig(r.loguniform(300, 50000), r.pick((1, 2, 2, 3))), r)


def _amt_l(c: Ctx) -> str:
    r = c.r
    return _fmt_yuan(_round_sig(r.loguniform(20000, 1_000_000), r.pick((1, 2, 2))), r)


def _pay_range(c: Ctx) -> str:
    r = c.r
    a = r.pick((50, 80, 100, 150, 200, 300))
    b = a * r.randint(2, 6)
    return f"{a}-{b}" + r.pick(("元", "元", "块", ""))


def _name(c: Ctx) -> str:
    r = c.r
    given = r.pick(GIVEN) + (r.pick(GIVEN) if r.chance(0.6) else "")
    return r.pick(SURNAMES) + given


def _fname(c: Ctx) -> str:
    r = c.r
    if r.chance(0.4):
        return r.pick(NICKNAMES)
    return r.pick(SURNAMES) + r.pick(FEMALE_GIVEN) + (r.pick(FEMALE_GIVEN) if r.chance(0.5) else "")


def _title(c: Ctx) -> str:
    r = c.r
    t = r.pick(SURNAMES) + r.pick(TITLES)
    return ("你们" + t) if r.chance(0.1) else t


_MOBILE_PREFIX = words(
    "130 131 132 133 135 136 137 138 139 150 151 152 155 156 157 158 159 166 170 171 173 175 176 177 178 180 181 182 183 185 186 187 188 189 191 193 195 198 199"
)
_AREA_CODES = words(
    "010 021 020 0755 0571 025 028 023 027 029 0731 0371 022 0532 0531 0551 0591 0592 0871 0851"
)
_INTL_PREFIX = words("+852 +853 +886 +63 +855 +95 +856 +60 00852 00863")


def _mobile(r: Rand) -> str:
    p, rest = r.pick(_MOBILE_PREFIX), r.digits(8)
    x = r.u()
    if x < 0.75:
        return p + rest
    if x < 0.9:
        return f"{p} {rest[:4]} {rest[4:]}"
    return f"{p}-{rest[:4]}-{rest[4:]}"


def _landline(r: Rand) -> str:
    return f"{r.pick(_AREA_CODES)}-{r.randint(2, 8)}{r.digits(7)}"


def _phone(c: Ctx) -> str:
    r = c.r
    x = r.u()
    if c.ft is None:
        return _mobile(r) if x < 0.9 else _landline(r)
    if x < 0.6:
        return _mobile(r)
    if x < 0.75:
        return _landline(r)
    if x < 0.85:
        return f"400-{r.digits(3)}-{r.digits(4)}"
    if x < 0.95:
        return f"{r.pick(_INTL_PREFIX)}{r.randint(2, 9)}{r.digits(7)}"
    return f"95{r.digits(3)}{r.digits(r.randint(0, 3))}"


def _wx(c: Ctx) -> str:
    r = c.r
    x = r.u()
    if x < 0.35:
        return r.pick(WX_WORDS) + r.digits(r.randint(2, 6))
    if x < 0.55:
        return "wxid_" + "".join(r.pick(ALNUM).lower() for _ in range(r.randint(8, 12)))
    if x < 0.7:
        return r.pick(_MOBILE_PREFIX) + r.digits(8)
    if x < 0.85:
        return r.pick(WX_WORDS).upper() + "_" + r.digits(r.randint(3, 5))
    return "".join(r.pick(LOWER) for _ in range(r.randint(2, 4))) + r.digits(r.randint(4, 8))


def _qq(c: Ctx) -> str:
    r = c.r
    return str(r.randint(1, 9)) + r.digits(r.randint(5, 10))


def _alnum(r: Rand, k: int) -> str:
    return "".join(r.pick(ALNUM) for _ in range(k))


def _date(c: Ctx) -> str:
    r = c.r
    m, d = r.randint(1, 12), r.randint(1, 28)
    x = r.u()
    if x < 0.5:
        return f"{m}月{d}日"
    if x < 0.7:
        return f"{m:02d}月{d:02d}日"
    if x < 0.85:
        return f"{r.pick(('2024', '2025', '2026'))}-{m:02d}-{d:02d}"
    return f"{m}/{d}"


def _mmdd(c: Ctx) -> str:
    r = c.r
    return f"{r.randint(1, 12):02d}月{r.randint(1, 28):02d}日"


def _time(c: Ctx) -> str:
    r = c.r
    return f"{r.randint(7, 22):02d}:{r.pick(('00', '15', '30', '45', r.digits(1) + r.digits(1)))}"


def _when(c: Ctx) -> str:
    r = c.r
    x = r.u()
    if x < 0.55:
        return r.pick(
            (
                "上个月",
                "上周",
                "前几天",
                "前天",
                "昨天",
                "上周末",
                "本月初",
                "上个月底",
                "这个月",
                "今天上午",
                "昨天晚上",
            )
        )
    m, d = r.randint(1, 12), r.randint(1, 28)
    return f"{m}月{d}日" if x < 0.85 else f"今年{m}月"


def _brand2(r: Rand) -> str:
    a = r.idx(len(BRAND_CHARS))
    b = (a + 1 + r.idx(len(BRAND_CHARS) - 1)) % len(BRAND_CHARS)
    return BRAND_CHARS[a] + BRAND_CHARS[b]


def _fake_brand(r: Rand, ft: FraudType) -> str:
    return _brand2(r) + r.pick(FAKE_SUFFIX[ft])


def _ft_or_any(c: Ctx) -> FraudType:
    return c.ft if c.ft is not None else c.r.pick(FRAUD_TYPES)


def _app_fake(c: Ctx) -> str:
    r = c.r
    ft = _ft_or_any(c)
    if r.chance(0.6):
        return r.pick(FRAUD_APPS[ft])[1]
    return _fake_brand(r, ft)


def _url(c: Ctx) -> str:
    r = c.r
    dom = draw_fraud_domain(r, _ft_or_any(c))
    x = r.u()
    if x < 0.3:
        return dom
    if x < 0.48:
        return f"https://{dom}/{_alnum(r, r.randint(4, 8))}"
    if x < 0.6:
        return f"http://{r.pick(('m.', 'h5.', 'app.', ''))}{dom}/{_alnum(r, r.randint(4, 6))}"
    if x < 0.72:
        return f"www.{dom}"
    if x < 0.86:
        return f"{dom}/{_alnum(r, r.randint(3, 6))}"
    return f"https://{dom}/#/reg?code={r.digits(6)}"


def _lurl(c: Ctx) -> str:
    r = c.r
    plat, bank = c.vals.get("plat"), c.vals.get("bank")
    dom = ""
    if plat is not None:
        dom = PLAT_DOMAIN.get(plat, "")
    elif bank is not None:
        dom = BANK_DOMAIN.get(bank, "")
    if not dom:
        dom = r.pick(LINK_DOMAINS)
    x = r.u()
    if x < 0.4:
        return f"https://{r.pick(('m.', 'www.', 'h5.', ''))}{dom}/{_alnum(r, r.randint(5, 8))}"
    if x < 0.7:
        return f"{r.pick(('m.', 'u.', 's.', ''))}{dom}/{_alnum(r, r.randint(5, 7))}"
    return f"https://{dom}"


def _gurl(c: Ctx) -> str:
    r = c.r
    return f"{r.pick(('www.', 'https://www.', ''))}{r.pick(GOV_DOMAINS)}"


def _bank_pick(c: Ctx) -> tuple[str, str, tuple[str, ...]]:
    """The bank of this text: drawn once, shared by bank, bank_hotline and bankacct."""
    r = c.r
    key = c.vals.get("bank")
    if key is not None:
        for b in BANKS:
            if b[0] == key:
                return b
    b = r.pick(BANKS)
    c.vals["bank"] = b[0]
    return b


def _bankacct(c: Ctx) -> str:
    r = c.r
    b = r.pick(BANKS) if r.chance(0.5) else _bank_pick(c)
    num = r.pick(b[2]) + r.digits(r.pick((10, 13)))
    if r.chance(0.5):
        return " ".join(num[i : i + 4] for i in range(0, len(num), 4))
    return num


def _courier(c: Ctx) -> str:
    name, hotline = c.r.pick(COURIERS)
    c.vals["courier_hotline"] = hotline
    return name


def _courier_hotline(c: Ctx) -> str:
    _courier(c)
    return c.vals["courier_hotline"]


def _telco(c: Ctx) -> str:
    name, hotline = c.r.pick(TELCOS)
    c.vals["telco_hotline"] = hotline
    c.vals["telco_app"] = name + "APP"
    return name


def _telco_dep(key: str) -> _SlotFn:
    def fn(c: Ctx) -> str:
        c.vals["telco"] = _telco(c)
        return c.vals[key]

    return fn


def _airline(c: Ctx) -> str:
    name, code = c.r.pick(AIRLINES)
    c.vals["airline_code"] = code
    return name


def _flight(c: Ctx) -> str:
    r = c.r
    code = c.vals.get("airline_code")
    if code is None:
        code = r.pick(AIRLINES)[1]
    return f"{code}{r.randint(1, 9)}{r.digits(r.pick((2, 3)))}"


def _lender(c: Ctx) -> str:
    name, product = c.r.pick(LENDERS)
    c.vals["lender_product"] = product
    return name


def _lender_product(c: Ctx) -> str:
    c.vals["lender"] = _lender(c)
    return c.vals["lender_product"]


def _case(c: Ctx) -> str:
    r = c.r
    year = r.pick(("2024", "2025", "2026"))
    x = r.u()
    if x < 0.4:
        return f"（{year}）{r.pick(PROVINCES)}公刑{r.pick(('立', '侦', ''))}字第{r.digits(4)}号"
    if x < 0.7:
        return f"{r.pick(('JZ', 'GA', 'XZ', 'A'))}{year}{r.digits(6)}"
    return f"{year}{r.pick(PROVINCES)}{r.digits(2)}刑初{r.randint(10, 999)}"


def _order(c: Ctx) -> str:
    r = c.r
    return str(r.randint(1, 9)) + r.digits(r.randint(13, 18))


def _track(c: Ctx) -> str:
    r = c.r
    return r.pick(("SF", "YT", "JT", "75", "43", "JD", "DPK", "77")) + r.digits(r.randint(11, 13))


def _pickup(c: Ctx) -> str:
    r = c.r
    x = r.u()
    if x < 0.4:
        return f"{r.randint(1, 9)}-{r.randint(1, 6)}-{r.digits(4)}"
    if x < 0.7:
        return f"{r.randint(1, 30)}-{r.digits(4)}"
    if x < 0.85:
        return f"{r.pick('ABCDEF')}{r.randint(1, 20)}-{r.digits(3)}"
    return r.digits(6)


def _stock(c: Ctx) -> str:
    r = c.r
    name = _brand2(r) + r.pick(STOCK_SUFFIX)
    if r.chance(0.5):
        return f"{name}（{r.pick(('600', '601', '603', '000', '002', '300'))}{r.digits(3)}）"
    return name


def _plate(c: Ctx) -> str:
    r = c.r
    return f"{r.pick(PROVINCES)}{r.pick('ABCDEFGH')}{r.pick(('', '·'))}{r.pick('0123456789DFABC')}{r.digits(4)}"


def _money(lo: float, hi: float, comma: bool) -> _SlotFn:
    def fn(c: Ctx) -> str:
        v = c.r.loguniform(lo, hi)
        return f"{v:,.2f}" if comma and c.r.chance(0.5) else f"{v:.2f}"

    return fn


def _company(c: Ctx) -> str:
    return draw_company_name(c.r)


def _hospital(c: Ctx) -> str:
    r = c.r
    return c.vals.setdefault("city", r.pick(CITIES)) + r.pick(HOSPITAL_KINDS)


_SERVICE_SHOPS = {
    "理发": ("发型设计", "美发沙龙"),
    "美甲": ("美甲", "美甲美睫"),
    "洗牙": ("口腔", "齿科诊所"),
    "汽车保养": ("汽车服务", "汽修"),
    "上门保洁": ("家政", "保洁服务"),
    "宠物洗护": ("宠物店", "宠物医院"),
    "家电维修": ("家电维修", "电器服务"),
    "按摩": ("养生馆", "推拿"),
}


def _service_shop(c: Ctx) -> str:
    r = c.r
    service = c.vals.setdefault("service", r.pick(SERVICES))
    return r.pick(SHOP_WORDS) + r.pick(_SERVICE_SHOPS[service])


def _pick_fn(seq: Sequence[str]) -> _SlotFn:
    return lambda c: c.r.pick(seq)


def _int_fn(lo: int, hi: int) -> _SlotFn:
    return lambda c: str(c.r.randint(lo, hi))


def _digits_fn(k: int) -> _SlotFn:
    return lambda c: c.r.digits(k)


SLOTS: dict[str, _SlotFn] = {
    # people
    "name": _name,
    "name2": _name,
    "sur": lambda c: c.r.pick(SURNAMES),
    "fname": _fname,
    "title": _title,
    "age": _int_fn(19, 72),
    "job": _pick_fn(JOBS),
    "job_task": _pick_fn(JOB_TASKS),
    # places and time
    "city": _pick_fn(CITIES),
    "place": _pick_fn(PLACES),
    "date": _date,
    "date2": _date,
    "mmdd": _mmdd,
    "time": _time,
    "time2": _time,
    "when": _when,
    "day": _pick_fn(("今天", "明天", "后天", "本周五", "周末", "下周一", "周六")),
    "month": _int_fn(1, 12),
    "year": _pick_fn(("2024", "2025", "2026")),
    "hours": _pick_fn(("2", "3", "4", "12", "24", "48")),
    # contacts
    "phone": _phone,
    "tel": lambda c: _landline(c.r),
    "wx": _wx,
    "qq": _qq,
    "url": _url,
    "lurl": _lurl,
    "gurl": _gurl,
    "phone_intl": lambda c: f"{c.r.pick(_INTL_PREFIX)}{c.r.randint(2, 9)}{c.r.digits(7)}",
    # numbers
    "code": _digits_fn(6),
    "code4": _digits_fn(4),
    "card4": _digits_fn(4),
    "n": _int_fn(2, 50),
    "n1": _int_fn(1, 3),
    "n2": _int_fn(18, 45),
    "n3": _int_fn(200, 600),
    "n4": _int_fn(500, 20000),
    # money
    "amt_s": _amt_s,
    "amt_s2": _amt_s,
    "amt_m": _amt_m,
    "amt_m2": _amt_m,
    "amount": _amt_m,  # narratives preset it to the reported loss
    "amt_l": _amt_l,
    "amt_p": lambda c: (
        f"{c.r.pick((20, 30, 50, 66, 88, 100, 150, 200, 300, 500, 800, 1000, 1500))}{c.r.pick(('块', '元', ''))}"
    ),
    "small_yuan": _pick_fn(SMALL_YUAN),
    "small_yuan2": _pick_fn(SMALL_YUAN),
    "pay_range": _pay_range,
    "credit_line": lambda c: (
        f"{c.r.pick((5, 8, 10, 20, 30, 50, 80, 100, 150, 200, 300))}"
        + c.r.pick(("0000元", "万元", "万"))
    ),
    "pct": lambda c: f"{c.r.randint(5, 40)}%",
    "pct_small": lambda c: f"{c.r.loguniform(0.3, 5):.1f}%",
    "pct_tiny": lambda c: f"{c.r.loguniform(0.01, 0.1):.2f}%",
    "apr": lambda c: f"{c.r.loguniform(2.8, 18):.2f}%",
    "num_tiny": _money(1, 2000, False),
    "num_m": _money(500, 50000, True),
    "bal": _money(10, 200000, True),
    "bal_small": _money(0.5, 300, False),
    "gb": lambda c: f"{c.r.loguniform(0.5, 80):.2f}",
    "gb2": lambda c: f"{c.r.loguniform(0.1, 60):.2f}",
    # institutions
    "bank": lambda c: _bank_pick(c)[0],
    "bank_hotline": lambda c: _bank_pick(c)[1],
    "bankacct": _bankacct,
    "plat": _pick_fn(PLATS),
    "courier": _courier,
    "courier_hotline": _courier_hotline,
    "telco": _telco,
    "telco_hotline": _telco_dep("telco_hotline"),
    "telco_app": _telco_dep("telco_app"),
    "airline": _airline,
    "flight": _flight,
    "lender": _lender,
    "lender_product": _lender_product,
    "bank_loan": _pick_fn(BANK_LOANS),
    "regulator": _pick_fn(REGULATORS),
    "company": _company,
    "inst": _pick_fn(INSTITUTIONS),
    "station": _pick_fn(STATIONS),
    "food_app": _pick_fn(FOOD_APPS),
    "store_brand": _pick_fn(STORE_BRANDS),
    "festival": _pick_fn(FESTIVALS),
    "edu": _pick_fn(EDU),
    "pkg": _pick_fn(PKGS),
    "svc_name": _pick_fn(SVC_NAMES),
    "country": _pick_fn(COUNTRIES),
    "hospital": _hospital,
    "dept": _pick_fn(DEPTS),
    "car_brand": _pick_fn(CAR_BRANDS),
    "service": _pick_fn(SERVICES),
    "service_shop": _service_shop,
    "gym": _pick_fn(GYMS),
    "meeting": _pick_fn(MEETINGS),
    "school": lambda c: c.vals.setdefault("city", c.r.pick(CITIES)) + c.r.pick(SCHOOLS),
    "service_gov": _pick_fn(GOV_SERVICES),
    "lib": _pick_fn(LIBS),
    "utility": _pick_fn(UTILITIES),
    "acct_no": _digits_fn(10),
    "pay_channel": _pick_fn(PAY_CHANNELS),
    "plate": _plate,
    "road": lambda c: (
        c.r.pick(ROADS) + "路与" + c.r.pick(ROADS) + c.r.pick(("路", "街", "大道")) + "交叉口"
    ),
    "color": _pick_fn(ALERT_COLORS),
    "weather": _pick_fn(WEATHER),
    "issue": _pick_fn(ISSUES),
    "dept_gov": _pick_fn(GOV_DEPTS),
    "disease": _pick_fn(DISEASES),
    # fraud props
    "fplat": lambda c: _fake_brand(c.r, FraudType.INVESTMENT),
    "lapp": lambda c: _fake_brand(c.r, FraudType.LOAN),
    "shop_fake": lambda c: _fake_brand(c.r, FraudType.SHOPPING),
    "trade_plat": lambda c: _fake_brand(c.r, FraudType.GAME) + c.r.pick(("网", "平台", "", "APP")),
    "dating_app": lambda c: _fake_brand(c.r, FraudType.ROMANCE) + c.r.pick(("", "APP", "网")),
    "app_fake": _app_fake,
    "remote_app": lambda c: c.r.pick(REMOTE_APPS)[1],
    "goods": _pick_fn(GOODS),
    "goods_small": _pick_fn(GOODS_SMALL),
    "game": _pick_fn(GAMES),
    "gitem": _pick_fn(GITEMS),
    "stock": _stock,
    "order": _order,
    "track": _track,
    "pickup": _pickup,
    "case": _case,
    "show": _pick_fn(SHOWS),
    "subsidy": _pick_fn(SUBSIDIES),
    # merchant names
    "m_area": _pick_fn(AREAS),
    "m_word": _pick_fn(SHOP_WORDS),
}
