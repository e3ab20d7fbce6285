"""Chinese texts for the world simulator.

Fraud SMS scripts, ordinary SMS (the hard negatives), victims' reports to police, fraud and
legitimate domains and apps, merchant and company names.

Texts come from hand-written templates in a small language: ``{slot}`` draws a value (a
name, an amount, a URL...; a slot name used twice in one text gives the same value twice),
``[a|b|c]`` picks one alternative, ``[a|]`` makes ``a`` optional, and alternatives nest.
Fraud SMS then get the noise real spam carries: fake 【】 signatures, 退订 suffixes,
full-width digits, stray spaces and obfuscated keywords (刷 单, 返.利, 薇信).

Every draw comes from the numpy Generator passed in, so output is deterministic for a seed.
"""

# Long lines below are Chinese template data, not code.
# ruff: noqa: E501

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeAlias, TypeVar

import numpy as np

from fraudwall.model import LOCAL_OFFSET_MS, FraudType

__all__ = [
    "FRAUD_APPS",
    "LEGIT_APPS",
    "LEGIT_DOMAINS",
    "MERCHANT_CATEGORIES",
    "NORMAL_SMS_KINDS",
    "REMOTE_APPS",
    "app_permissions",
    "company_name",
    "fraud_domain",
    "fraud_sms",
    "merchant_name",
    "normal_sms",
    "report_narrative",
]

_T = TypeVar("_T")


def _words(text: str) -> tuple[str, ...]:
    """A vocabulary written as one space-separated string."""
    return tuple(text.split())


# --------------------------------------------------------------------------- randomness


class _Rand:
    """Uniform draws from a numpy Generator, fetched in blocks (numpy scalar calls are slow)."""

    __slots__ = ("_buf", "_i", "_rng", "_size")

    def __init__(self, rng: np.random.Generator, size: int = 64) -> None:
        self._rng = rng
        self._size = size
        self._buf: list[float] = []
        self._i = 0

    def u(self) -> float:
        i = self._i
        if i >= len(self._buf):
            self._buf = self._rng.random(self._size).tolist()
            i = 0
        self._i = i + 1
        return self._buf[i]

    def idx(self, n: int) -> int:
        return min(int(self.u() * n), n - 1)

    def pick(self, seq: Sequence[_T]) -> _T:
        return seq[self.idx(len(seq))]

    def randint(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi], both ends included."""
        return lo + self.idx(hi - lo + 1)

    def chance(self, p: float) -> bool:
        return self.u() < p

    def digits(self, k: int) -> str:
        return "".join(_DIGITS[self.idx(10)] for _ in range(k))

    def loguniform(self, lo: float, hi: float) -> float:
        return float(lo * (hi / lo) ** self.u())


def _buffer_size(n: int) -> int:
    return min(max(256, n * 48), 1 << 16)


_DIGITS = "0123456789"
_ALNUM = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_LOWER = "abcdefghjklmnpqrstwxyz"


# --------------------------------------------------------------------------- vocabulary

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华建国志红梅玉海燕丹萍鹏辉宇浩然轩涵欣怡远晨阳俊桐佳博文鸣琪嘉豪晓东春冬立新卫永斌波宁慧婷雪飞鑫彬健峰琳凯倩莉亮成德秀英桂云"
_FEMALE_GIVEN = "婷雅琳颖欣怡静雪莉娜晶薇梦瑶佳琪悦涵诗蕾萱妍露璐菲丹倩月"
_NICKNAMES = _words("小雅 安娜 思思 可可 婉婷 晓晓 糖糖 Lily Amy 小鹿 阿敏 Coco 小婉 依依 静静")
_TITLES = _words("总 总 局长 主任 处长 经理 校长 书记 董 科长 所长 院长")
_CITIES = _words(
    "北京 上海 广州 深圳 杭州 南京 苏州 成都 重庆 武汉 西安 长沙 郑州 天津 青岛 济南 合肥 福州 厦门 南昌 昆明 贵阳 南宁 沈阳 大连 长春 哈尔滨 石家庄 太原 兰州 乌鲁木齐 呼和浩特 宁波 无锡 东莞 佛山 温州 泉州 烟台 洛阳"
)
_PROVINCES = "京沪粤浙苏川渝鄂陕湘豫津鲁皖闽赣云贵桂辽吉黑冀晋甘新蒙"
_PLACES = _words(
    "万达广场 人民公园 火车站 地铁站 星巴克 公司楼下 图书馆 体育馆 商场门口 老地方 步行街 小区门口 学校门口 高铁站 机场 电影院 海底捞 江边"
)
_PLATS = _words("淘宝 京东 拼多多 抖音商城 天猫 唯品会 快手小店 苏宁易购 美团 闲鱼")
_PLAT_DOMAIN = {
    "淘宝": "taobao.com",
    "京东": "jd.com",
    "拼多多": "pinduoduo.com",
    "抖音商城": "douyin.com",
    "天猫": "tmall.com",
    "唯品会": "vip.com",
    "快手小店": "kuaishou.com",
    "苏宁易购": "suning.com",
    "美团": "meituan.com",
    "闲鱼": "goofish.com",
}
# (name, hotline, card-number prefixes)
_BANKS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("中国工商银行", "95588", ("622202", "621226", "622208")),
    ("中国建设银行", "95533", ("621700", "622700", "436742")),
    ("中国农业银行", "95599", ("622848", "622845", "621282")),
    ("中国银行", "95566", ("621661", "621785", "456351")),
    ("交通银行", "95559", ("622260", "622262", "601428")),
    ("招商银行", "95555", ("621483", "622588", "621486")),
    ("浦发银行", "95528", ("622521", "621792")),
    ("中信银行", "95558", ("621771", "622690")),
    ("民生银行", "95568", ("622622", "621691")),
    ("兴业银行", "95561", ("622909", "622908")),
    ("平安银行", "95511", ("622155", "621626")),
    ("光大银行", "95595", ("622666", "621483")),
    ("华夏银行", "95577", ("622630", "623021")),
    ("广发银行", "95508", ("622568", "621462")),
    ("邮储银行", "95580", ("621799", "622188")),
)
_COURIERS = (
    ("顺丰速运", "95338"),
    ("中通快递", "95311"),
    ("圆通速递", "95554"),
    ("韵达快递", "95546"),
    ("申通快递", "95543"),
    ("京东物流", "950616"),
    ("邮政EMS", "11183"),
    ("极兔速递", "956025"),
    ("德邦快递", "95353"),
)
_TELCOS = (
    ("中国移动", "10086"),
    ("中国联通", "10010"),
    ("中国电信", "10000"),
    ("中国广电", "10099"),
)
_AIRLINES = (
    ("中国国航", "CA"),
    ("东方航空", "MU"),
    ("南方航空", "CZ"),
    ("海南航空", "HU"),
    ("厦门航空", "MF"),
    ("四川航空", "3U"),
    ("春秋航空", "9C"),
    ("深圳航空", "ZH"),
)
_GOODS = (
    "iPhone 15 Pro",
    "华为Mate 60",
    "戴森吹风机",
    "飞天茅台",
    "SK-II神仙水",
    "AirPods",
    "Switch游戏机",
    "名牌包包",
    "机械手表",
    "显卡",
    "单反相机",
    "扫地机器人",
    "进口奶粉",
    "MacBook",
    "iPad",
    "空气炸锅",
    "儿童安全座椅",
    "羽绒服",
    "运动鞋",
    "演唱会门票",
    "电动车",
    "按摩椅",
    "黄金手镯",
    "燕窝礼盒",
    "大闸蟹礼券",
)
_GOODS_SMALL = _words("视频会员月卡 10元话费 电影票 5GB流量包 外卖红包 咖啡券")
_GAMES = _words(
    "王者荣耀 和平精英 原神 英雄联盟 梦幻西游 逆水寒 第五人格 蛋仔派对 穿越火线 我的世界 永劫无间 金铲铲之战 崩坏：星穹铁道 QQ飞车 地下城与勇士"
)
_GITEMS = _words(
    "限定皮肤 全皮肤号 典藏皮肤 五星角色 稀有装备 神兽 点券 金币 满级号 传说皮肤 绝版坐骑 国服英雄号 荣耀水晶"
)
_STOCK_SUFFIX = _words("科技 股份 药业 电子 新材 能源 智能 控股 生物 半导体")
_BRAND_CHARS = (
    "鑫汇恒盛金瑞华泰宏博聚融诚信安达富通源丰卓银星海天中联和嘉易优乐佳宜福万众同合亿鼎创腾新惠"
)
_FAKE_SUFFIX: dict[FraudType, tuple[str, ...]] = {
    FraudType.REBATE: ("任务", "赚", "帮", "推客", "优选", "联盟", "悬赏"),
    FraudType.INVESTMENT: ("财富", "金服", "资本", "证券", "国际", "数字资产", "基金", "投资"),
    FraudType.LOAN: ("贷", "借", "花", "钱包", "金融", "易贷", "分期"),
    FraudType.SHOPPING: ("商城", "优品", "严选", "特卖", "好物", "折扣仓"),
    FraudType.CUSTOMER_SERVICE: ("客服", "售后", "理赔", "服务中心"),
    FraudType.CREDIT: ("征信", "信用", "信服", "征信服务"),
    FraudType.BOSS: ("会议", "办公", "通", "云聊"),
    FraudType.POLICE: ("安全防护", "清查", "护盾", "安全中心"),
    FraudType.ROMANCE: ("交友", "有缘", "佳缘", "恋爱", "同城"),
    FraudType.GAME: ("游戏交易", "账号交易", "游戏", "手游"),
    FraudType.OTHER: ("服务", "助手", "中心", "通"),
}
_REGULATORS = _words(
    "人民银行征信中心 中国人民银行 国家金融监督管理总局 银保监会 中国银联 医保局 社保局 征信中心"
)
_SHOWS = _words("《奔跑吧》 《中国好声音》 《王牌对王牌》 《向往的生活》 《开门大吉》 春晚互动")
_SUBSIDIES = _words("育儿 高温 失业 职业技能 取暖 以旧换新 农机 医保 住房")
_JOBS = _words("宝妈 大学生 退休职工 公司职员 外卖骑手 工厂工人 个体户 会计 自由职业者 教师 护士")
_JOB_TASKS = _words("手工串珠 手机打字 视频剪辑 小说录入 抖音点赞 游戏陪玩 图片标注")
_SMALL_YUAN = _words("1元 2元 3元 5元 0.5元 8元 10元 20元 1块 3块")
_INSTITUTIONS = _words(
    "支付宝 微信支付 淘宝 京东 美团 铁路12306 抖音 滴滴出行 拼多多 哔哩哔哩 小红书 网易 百度 携程旅行 高德地图 饿了么 云闪付 个人所得税 交管12123 国家政务服务平台 闲鱼"
)
_STATIONS = _words("菜鸟驿站 兔喜生活 妈妈驿站 快递超市 小区门卫室 丰巢柜")
_FOOD_APPS = ("美团外卖", "饿了么", "肯德基宅急送", "麦当劳麦乐送")
_STORE_BRANDS = _words(
    "星巴克 瑞幸咖啡 肯德基 麦当劳 海底捞 屈臣氏 优衣库 名创优品 喜茶 蜜雪冰城 盒马 永辉超市 沃尔玛 山姆会员店 华为 小米之家 周大福 李宁"
)
_FESTIVALS = _words("618 双11 双12 年货节 38节 周年庆 开学季 国庆 七夕")
_EDU = _words("新东方 学而思 粉笔教育 中公教育 华图教育 驾校 少儿编程 钢琴培训")
_LENDERS = (
    ("招联金融", "好期贷"),
    ("马上消费金融", "安逸花"),
    ("微众银行", "微粒贷"),
    ("京东金融", "金条"),
    ("度小满", "有钱花"),
    ("中银消费金融", "新易贷"),
    ("蚂蚁集团", "借呗"),
    ("兴业消费金融", "家庭消费贷"),
)
_BANK_LOANS = _words("闪电贷 快贷 e贷 融e借 信用贷 薪金贷 网捷贷 惠民贷")
_PKGS = _words("流量加油包 5G畅享套餐 视频会员权益包 宽带续费 家庭融合套餐 亲情号服务")
_SVC_NAMES = ("来电提醒", "彩铃", "云盘会员", "手机报", "视频彩铃")
_COUNTRIES = _words("日本 泰国 新加坡 韩国 美国 法国 马来西亚 中国香港 中国澳门")
_HOSPITAL_KINDS = _words(
    "市第一人民医院 市中医院 市妇幼保健院 大学附属医院 市中心医院 口腔医院 市儿童医院"
)
_DEPTS = _words("内科 心内科 消化内科 口腔科 眼科 皮肤科 儿科 骨科 妇科 耳鼻喉科 呼吸内科 体检中心")
_CAR_BRANDS = _words("大众 丰田 本田 比亚迪 吉利 长安 别克 宝马 奥迪 特斯拉 理想 日产")
_SERVICES = _words("理发 美甲 洗牙 汽车保养 上门保洁 宠物洗护 家电维修 按摩")
_GYMS = ("乐刻运动", "超级猩猩", "威尔士健身", "一兆韦德", "社区健身中心")
_MEETINGS = _words("季度总结会 项目评审会 部门例会 二轮面试 安全培训 年终述职")
_SCHOOLS = ("实验小学", "第一中学", "外国语学校", "第二幼儿园", "育才中学")
_GOV_SERVICES = _words("不动产登记 户籍办理 护照办理 公积金提取 社保转移 婚姻登记 居住证办理")
_LIBS = ("市图书馆", "区图书馆", "大学图书馆")
_UTILITIES = ("国家电网", "南方电网", "自来水公司", "燃气集团", "华润燃气")
_PAY_CHANNELS = ("支付宝", "微信", "云闪付", "网上国网APP", "银行APP")
_ROADS = _words("人民 解放 中山 建设 和平 长江 黄河 新华 文化 迎宾 学府 环城")
_ALERT_COLORS = ("蓝色", "黄色", "橙色", "红色")
_WEATHER = _words("暴雨 大风 高温 寒潮 雷电 大雾 道路结冰")
_ISSUES = _words("噪音扰民 道路破损 小区停车 路灯不亮 占道经营 垃圾清运 供暖不热")
_GOV_DEPTS = _words("区城管局 街道办事处 区住建局 市场监管局 区交通局 区生态环境局")
_DISEASES = ("流感", "诺如病毒", "手足口病", "登革热", "支原体肺炎")
_WX_WORDS = _words(
    "xiaomei lele anan tiantian jiajia huahua wenwen kk vip money happy sunny lucky mm dd ok abc hr laoshi kefu boss jing yu"
)


# --------------------------------------------------------------------------- slot values


class _Ctx:
    """The state of one text being rendered: its fraud type and the slot values drawn so far."""

    __slots__ = ("ft", "r", "vals")

    def __init__(self, r: _Rand, ft: FraudType | None) -> None:
        self.r = r
        self.ft = ft
        self.vals: dict[str, str] = {}


_SlotFn: TypeAlias = Callable[[_Ctx], str]


def _round_sig(v: float, sig: int) -> int:
    iv = int(v)
    if iv < 10:
        return max(1, round(v))
    mag: int = 10 ** max(0, len(str(iv)) - sig)
    return round(v / mag) * mag


def _fmt_yuan(v: int, r: _Rand) -> str:
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
    for w in _words("8 10 18 20 28 38 50 66 68 88 98 99 100 128 168 188 198 200 288 299 388 500")
)


def _amt_s(c: _Ctx) -> str:
    r = c.r
    v = r.pick(_LUCKY) if r.chance(0.4) else r.randint(5, 500)
    return _fmt_yuan(v, r)


def _amt_m(c: _Ctx) -> str:
    r = c.r
    return _fmt_yuan(_round_sig(r.loguniform(300, 50000), r.pick((1, 2, 2, 3))), r)


def _amt_l(c: _Ctx) -> str:
    r = c.r
    return _fmt_yuan(_round_sig(r.loguniform(20000, 1_000_000), r.pick((1, 2, 2))), r)


def _pay_range(c: _Ctx) -> str:
    r = c.r
    a = r.pick((50, 80, 100, 150, 200, 300))
    b = a * r.randint(2, 6)
    return f"{a}-{b}" + r.pick(("元", "元", "块", ""))


def _name(c: _Ctx) -> str:
    r = c.r
    given = r.pick(_GIVEN) + (r.pick(_GIVEN) if r.chance(0.6) else "")
    return r.pick(_SURNAMES) + given


def _fname(c: _Ctx) -> str:
    r = c.r
    if r.chance(0.4):
        return r.pick(_NICKNAMES)
    return (
        r.pick(_SURNAMES) + r.pick(_FEMALE_GIVEN) + (r.pick(_FEMALE_GIVEN) if r.chance(0.5) else "")
    )


def _title(c: _Ctx) -> str:
    r = c.r
    t = r.pick(_SURNAMES) + r.pick(_TITLES)
    return ("你们" + t) if r.chance(0.1) else t


_MOBILE_PREFIX = _words(
    "130 131 132 133 135 136 137 138 139 150 151 152 155 156 157 158 159 166 170 171 173 175 176 177 178 180 181 182 183 185 186 187 188 189 191 193 195 198 199"
)
_AREA_CODES = _words(
    "010 021 020 0755 0571 025 028 023 027 029 0731 0371 022 0532 0531 0551 0591 0592 0871 0851"
)
_INTL_PREFIX = _words("+852 +853 +886 +63 +855 +95 +856 +60 00852 00863")


def _mobile(r: _Rand) -> str:
    p, rest = r.pick(_MOBILE_PREFIX), r.digits(8)
    x = r.u()
    if x < 0.75:
        return p + rest
    if x < 0.9:
        return f"{p} {rest[:4]} {rest[4:]}"
    return f"{p}-{rest[:4]}-{rest[4:]}"


def _landline(r: _Rand) -> str:
    return f"{r.pick(_AREA_CODES)}-{r.randint(2, 8)}{r.digits(7)}"


def _phone(c: _Ctx) -> str:
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


def _wx(c: _Ctx) -> str:
    r = c.r
    x = r.u()
    if x < 0.35:
        return r.pick(_WX_WORDS) + r.digits(r.randint(2, 6))
    if x < 0.55:
        return "wxid_" + "".join(r.pick(_ALNUM).lower() for _ in range(r.randint(8, 12)))
    if x < 0.7:
        return r.pick(_MOBILE_PREFIX) + r.digits(8)
    if x < 0.85:
        return r.pick(_WX_WORDS).upper() + "_" + r.digits(r.randint(3, 5))
    return "".join(r.pick(_LOWER) for _ in range(r.randint(2, 4))) + r.digits(r.randint(4, 8))


def _qq(c: _Ctx) -> str:
    r = c.r
    return str(r.randint(1, 9)) + r.digits(r.randint(5, 10))


def _alnum(r: _Rand, k: int) -> str:
    return "".join(r.pick(_ALNUM) for _ in range(k))


def _date(c: _Ctx) -> str:
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


def _mmdd(c: _Ctx) -> str:
    r = c.r
    return f"{r.randint(1, 12):02d}月{r.randint(1, 28):02d}日"


def _time(c: _Ctx) -> str:
    r = c.r
    return f"{r.randint(7, 22):02d}:{r.pick(('00', '15', '30', '45', r.digits(1) + r.digits(1)))}"


def _when(c: _Ctx) -> str:
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


def _brand2(r: _Rand) -> str:
    a = r.idx(len(_BRAND_CHARS))
    b = (a + 1 + r.idx(len(_BRAND_CHARS) - 1)) % len(_BRAND_CHARS)
    return _BRAND_CHARS[a] + _BRAND_CHARS[b]


def _fake_brand(r: _Rand, ft: FraudType) -> str:
    return _brand2(r) + r.pick(_FAKE_SUFFIX[ft])


def _ft_or_any(c: _Ctx) -> FraudType:
    return c.ft if c.ft is not None else c.r.pick(_FRAUD_TYPES)


def _app_fake(c: _Ctx) -> str:
    r = c.r
    ft = _ft_or_any(c)
    if r.chance(0.6):
        return r.pick(FRAUD_APPS[ft])[1]
    return _fake_brand(r, ft)


def _url(c: _Ctx) -> str:
    r = c.r
    dom = _fraud_domain(r, _ft_or_any(c))
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


def _lurl(c: _Ctx) -> str:
    r = c.r
    plat, bank = c.vals.get("plat"), c.vals.get("bank")
    dom = ""
    if plat is not None:
        dom = _PLAT_DOMAIN.get(plat, "")
    elif bank is not None:
        dom = _BANK_DOMAIN.get(bank, "")
    if not dom:
        dom = r.pick(_LINK_DOMAINS)
    x = r.u()
    if x < 0.4:
        return f"https://{r.pick(('m.', 'www.', 'h5.', ''))}{dom}/{_alnum(r, r.randint(5, 8))}"
    if x < 0.7:
        return f"{r.pick(('m.', 'u.', 's.', ''))}{dom}/{_alnum(r, r.randint(5, 7))}"
    return f"https://{dom}"


def _gurl(c: _Ctx) -> str:
    r = c.r
    return f"{r.pick(('www.', 'https://www.', ''))}{r.pick(_GOV_DOMAINS)}"


def _bank_pick(c: _Ctx) -> tuple[str, str, tuple[str, ...]]:
    """The bank of this text: drawn once, shared by bank, bank_hotline and bankacct."""
    r = c.r
    key = c.vals.get("bank")
    if key is not None:
        for b in _BANKS:
            if b[0] == key:
                return b
    b = r.pick(_BANKS)
    c.vals["bank"] = b[0]
    return b


def _bankacct(c: _Ctx) -> str:
    r = c.r
    b = r.pick(_BANKS) if r.chance(0.5) else _bank_pick(c)
    num = r.pick(b[2]) + r.digits(r.pick((10, 13)))
    if r.chance(0.5):
        return " ".join(num[i : i + 4] for i in range(0, len(num), 4))
    return num


def _courier(c: _Ctx) -> str:
    name, hotline = c.r.pick(_COURIERS)
    c.vals["courier_hotline"] = hotline
    return name


def _courier_hotline(c: _Ctx) -> str:
    _courier(c)
    return c.vals["courier_hotline"]


def _telco(c: _Ctx) -> str:
    name, hotline = c.r.pick(_TELCOS)
    c.vals["telco_hotline"] = hotline
    c.vals["telco_app"] = name + "APP"
    return name


def _telco_dep(key: str) -> _SlotFn:
    def fn(c: _Ctx) -> str:
        c.vals["telco"] = _telco(c)
        return c.vals[key]

    return fn


def _airline(c: _Ctx) -> str:
    name, code = c.r.pick(_AIRLINES)
    c.vals["airline_code"] = code
    return name


def _flight(c: _Ctx) -> str:
    r = c.r
    code = c.vals.get("airline_code")
    if code is None:
        code = r.pick(_AIRLINES)[1]
    return f"{code}{r.randint(1, 9)}{r.digits(r.pick((2, 3)))}"


def _lender(c: _Ctx) -> str:
    name, product = c.r.pick(_LENDERS)
    c.vals["lender_product"] = product
    return name


def _lender_product(c: _Ctx) -> str:
    c.vals["lender"] = _lender(c)
    return c.vals["lender_product"]


def _case(c: _Ctx) -> str:
    r = c.r
    year = r.pick(("2024", "2025", "2026"))
    x = r.u()
    if x < 0.4:
        return f"（{year}）{r.pick(_PROVINCES)}公刑{r.pick(('立', '侦', ''))}字第{r.digits(4)}号"
    if x < 0.7:
        return f"{r.pick(('JZ', 'GA', 'XZ', 'A'))}{year}{r.digits(6)}"
    return f"{year}{r.pick(_PROVINCES)}{r.digits(2)}刑初{r.randint(10, 999)}"


def _order(c: _Ctx) -> str:
    r = c.r
    return str(r.randint(1, 9)) + r.digits(r.randint(13, 18))


def _track(c: _Ctx) -> str:
    r = c.r
    return r.pick(("SF", "YT", "JT", "75", "43", "JD", "DPK", "77")) + r.digits(r.randint(11, 13))


def _pickup(c: _Ctx) -> str:
    r = c.r
    x = r.u()
    if x < 0.4:
        return f"{r.randint(1, 9)}-{r.randint(1, 6)}-{r.digits(4)}"
    if x < 0.7:
        return f"{r.randint(1, 30)}-{r.digits(4)}"
    if x < 0.85:
        return f"{r.pick('ABCDEF')}{r.randint(1, 20)}-{r.digits(3)}"
    return r.digits(6)


def _stock(c: _Ctx) -> str:
    r = c.r
    name = _brand2(r) + r.pick(_STOCK_SUFFIX)
    if r.chance(0.5):
        return f"{name}（{r.pick(('600', '601', '603', '000', '002', '300'))}{r.digits(3)}）"
    return name


def _plate(c: _Ctx) -> str:
    r = c.r
    return f"{r.pick(_PROVINCES)}{r.pick('ABCDEFGH')}{r.pick(('', '·'))}{r.pick('0123456789DFABC')}{r.digits(4)}"


def _money(lo: float, hi: float, comma: bool) -> _SlotFn:
    def fn(c: _Ctx) -> str:
        v = c.r.loguniform(lo, hi)
        return f"{v:,.2f}" if comma and c.r.chance(0.5) else f"{v:.2f}"

    return fn


def _company(c: _Ctx) -> str:
    return _company_name(c.r)


def _hospital(c: _Ctx) -> str:
    r = c.r
    return c.vals.setdefault("city", r.pick(_CITIES)) + r.pick(_HOSPITAL_KINDS)


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


def _service_shop(c: _Ctx) -> str:
    r = c.r
    service = c.vals.setdefault("service", r.pick(_SERVICES))
    return r.pick(_SHOP_WORDS) + r.pick(_SERVICE_SHOPS[service])


def _pick_fn(seq: Sequence[str]) -> _SlotFn:
    return lambda c: c.r.pick(seq)


def _int_fn(lo: int, hi: int) -> _SlotFn:
    return lambda c: str(c.r.randint(lo, hi))


def _digits_fn(k: int) -> _SlotFn:
    return lambda c: c.r.digits(k)


_SLOTS: dict[str, _SlotFn] = {
    # people
    "name": _name,
    "name2": _name,
    "sur": lambda c: c.r.pick(_SURNAMES),
    "fname": _fname,
    "title": _title,
    "age": _int_fn(19, 72),
    "job": _pick_fn(_JOBS),
    "job_task": _pick_fn(_JOB_TASKS),
    # places and time
    "city": _pick_fn(_CITIES),
    "place": _pick_fn(_PLACES),
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
    "small_yuan": _pick_fn(_SMALL_YUAN),
    "small_yuan2": _pick_fn(_SMALL_YUAN),
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
    "plat": _pick_fn(_PLATS),
    "courier": _courier,
    "courier_hotline": _courier_hotline,
    "telco": _telco,
    "telco_hotline": _telco_dep("telco_hotline"),
    "telco_app": _telco_dep("telco_app"),
    "airline": _airline,
    "flight": _flight,
    "lender": _lender,
    "lender_product": _lender_product,
    "bank_loan": _pick_fn(_BANK_LOANS),
    "regulator": _pick_fn(_REGULATORS),
    "company": _company,
    "inst": _pick_fn(_INSTITUTIONS),
    "station": _pick_fn(_STATIONS),
    "food_app": _pick_fn(_FOOD_APPS),
    "store_brand": _pick_fn(_STORE_BRANDS),
    "festival": _pick_fn(_FESTIVALS),
    "edu": _pick_fn(_EDU),
    "pkg": _pick_fn(_PKGS),
    "svc_name": _pick_fn(_SVC_NAMES),
    "country": _pick_fn(_COUNTRIES),
    "hospital": _hospital,
    "dept": _pick_fn(_DEPTS),
    "car_brand": _pick_fn(_CAR_BRANDS),
    "service": _pick_fn(_SERVICES),
    "service_shop": _service_shop,
    "gym": _pick_fn(_GYMS),
    "meeting": _pick_fn(_MEETINGS),
    "school": lambda c: c.vals.setdefault("city", c.r.pick(_CITIES)) + c.r.pick(_SCHOOLS),
    "service_gov": _pick_fn(_GOV_SERVICES),
    "lib": _pick_fn(_LIBS),
    "utility": _pick_fn(_UTILITIES),
    "acct_no": _digits_fn(10),
    "pay_channel": _pick_fn(_PAY_CHANNELS),
    "plate": _plate,
    "road": lambda c: (
        c.r.pick(_ROADS) + "路与" + c.r.pick(_ROADS) + c.r.pick(("路", "街", "大道")) + "交叉口"
    ),
    "color": _pick_fn(_ALERT_COLORS),
    "weather": _pick_fn(_WEATHER),
    "issue": _pick_fn(_ISSUES),
    "dept_gov": _pick_fn(_GOV_DEPTS),
    "disease": _pick_fn(_DISEASES),
    # fraud props
    "fplat": lambda c: _fake_brand(c.r, FraudType.INVESTMENT),
    "lapp": lambda c: _fake_brand(c.r, FraudType.LOAN),
    "shop_fake": lambda c: _fake_brand(c.r, FraudType.SHOPPING),
    "trade_plat": lambda c: _fake_brand(c.r, FraudType.GAME) + c.r.pick(("网", "平台", "", "APP")),
    "dating_app": lambda c: _fake_brand(c.r, FraudType.ROMANCE) + c.r.pick(("", "APP", "网")),
    "app_fake": _app_fake,
    "remote_app": lambda c: c.r.pick(REMOTE_APPS)[1],
    "goods": _pick_fn(_GOODS),
    "goods_small": _pick_fn(_GOODS_SMALL),
    "game": _pick_fn(_GAMES),
    "gitem": _pick_fn(_GITEMS),
    "stock": _stock,
    "order": _order,
    "track": _track,
    "pickup": _pickup,
    "case": _case,
    "show": _pick_fn(_SHOWS),
    "subsidy": _pick_fn(_SUBSIDIES),
}


# --------------------------------------------------------------------------- templates


class _Slot:
    __slots__ = ("fn", "name")

    def __init__(self, name: str) -> None:
        if name not in _SLOTS:
            raise ValueError(f"unknown template slot {{{name}}}")
        self.name = name
        self.fn = _SLOTS[name]


class _Alt:
    __slots__ = ("options",)

    def __init__(self, options: tuple[_Seq, ...]) -> None:
        self.options = options


_Node: TypeAlias = "str | _Slot | _Alt"
_Seq: TypeAlias = "tuple[_Node, ...]"


def _parse_seq(s: str, i: int, top: bool) -> tuple[_Seq, int]:
    out: list[_Node] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            out.append("".join(buf))
            buf.clear()

    while i < len(s):
        ch = s[i]
        if ch == "{":
            j = s.index("}", i)
            flush()
            out.append(_Slot(s[i + 1 : j]))
            i = j + 1
        elif ch == "[":
            flush()
            options: list[_Seq] = []
            i += 1
            while True:
                seq, i = _parse_seq(s, i, top=False)
                options.append(seq)
                if i >= len(s):
                    raise ValueError(f"unclosed [ in template {s!r}")
                i += 1
                if s[i - 1] == "]":
                    break
            out.append(_Alt(tuple(options)))
        elif ch in "|]":
            if top:
                raise ValueError(f"stray {ch} in template {s!r}")
            break
        else:
            buf.append(ch)
            i += 1
    flush()
    return tuple(out), i


def _compile(src: str) -> _Seq:
    seq, _ = _parse_seq(src, 0, top=True)
    return seq


def _block(text: str) -> tuple[_Seq, ...]:
    """One template a line; blank lines and lines starting with # are skipped."""
    lines = (ln.strip() for ln in text.splitlines())
    return tuple(_compile(ln) for ln in lines if ln and not ln.startswith("#"))


def _emit(seq: _Seq, ctx: _Ctx, out: list[str]) -> None:
    for node in seq:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, _Slot):
            v = ctx.vals.get(node.name)
            if v is None:
                v = node.fn(ctx)
                ctx.vals[node.name] = v
            out.append(v)
        else:
            opts = node.options
            _emit(opts[ctx.r.idx(len(opts))], ctx, out)


def _render(seq: _Seq, ctx: _Ctx) -> str:
    out: list[str] = []
    _emit(seq, ctx, out)
    return "".join(out)


# --------------------------------------------------------------------------- apps and domains

FRAUD_APPS: dict[FraudType, tuple[tuple[str, str], ...]] = {
    FraudType.REBATE: (
        ("com.dianzan.zhuan", "点赞赚"),
        ("com.xsrw.hall", "悬赏任务大厅"),
        ("com.yjzh.task", "佣金智汇"),
        ("com.haowu.tuishou", "好物推手"),
        ("com.pfzs.boost", "票房助手"),
        ("cn.rwq.jianzhi", "任务圈兼职"),
    ),
    FraudType.INVESTMENT: (
        ("com.hxcf.wealth", "恒信财富"),
        ("com.jryz.quant", "金融云智量化"),
        ("com.dzjy.stock", "大宗交易通"),
        ("com.szzc.exchange", "数字资产交易所"),
        ("com.ypg.ipo", "原始股认购"),
        ("com.xhjj.vip", "鑫汇基金VIP"),
    ),
    FraudType.LOAN: (
        ("com.kuaijie.dai", "快捷贷"),
        ("com.jisu.jieqian", "极速借钱"),
        ("com.anxin.huahua", "安心花花"),
        ("com.wanyi.qianbao", "万亿钱包"),
        ("com.xyd.loanbao", "信用贷款宝"),
        ("cn.dehua.fenqi", "德华分期"),
    ),
    FraudType.SHOPPING: (
        ("com.tejia.mall", "特价好物商城"),
        ("com.ppzk.outlet", "品牌折扣仓"),
        ("com.mjzg.liquor", "名酒直供"),
        ("com.haitao.daigou", "海淘代购"),
        ("cn.piaowu.quick", "极速抢票"),
    ),
    FraudType.CUSTOMER_SERVICE: (
        ("com.tklp.helper", "退款理赔助手"),
        ("com.kefu.online", "在线客服中心"),
        ("com.wllp.tong", "物流理赔通"),
        ("com.shfw.service", "售后服务"),
    ),
    FraudType.CREDIT: (
        ("com.zxxf.tool", "征信修复助手"),
        ("com.grzx.query", "个人征信服务"),
        ("com.xyzx.center", "信用中心"),
        ("com.xydzx.cancel", "校园贷注销"),
    ),
    FraudType.BOSS: (
        ("com.qixun.im", "企讯通"),
        ("com.yhy.meet", "云会议通"),
        ("com.bgl.chat", "办公聊"),
    ),
    FraudType.POLICE: (
        ("com.gaaq.protect", "公安安全防护"),
        ("com.gjqs.center", "国家清算中心"),
        ("com.zgj.safe", "最高检安全控件"),
        ("com.zjqc.audit", "资金清查"),
        ("com.fzbh.shield", "反诈保护盾"),
    ),
    FraudType.ROMANCE: (
        ("com.tcyy.love", "同城有缘"),
        ("com.xqjy.date", "相亲佳缘"),
        ("com.tmlt.chat", "甜蜜聊天"),
        ("com.bcyl.play", "百彩娱乐"),
        ("com.lianai.meet", "恋爱星球"),
    ),
    FraudType.GAME: (
        ("com.zhjy.mall", "账号交易城"),
        ("com.zbjy.hub", "装备交易网"),
        ("com.yxdc.pay", "游戏代充"),
        ("com.mflpf.skin", "免费领皮肤"),
    ),
    FraudType.OTHER: (
        ("com.ybfw.center", "医保服务中心"),
        ("com.etc.renzheng", "ETC认证"),
        ("com.hltg.refund", "航旅退改助手"),
        ("com.dfjn.pay", "电费缴纳"),
        ("com.btlq.apply", "补贴领取"),
    ),
}

REMOTE_APPS: tuple[tuple[str, str], ...] = (
    ("com.tencent.wemeet.app", "腾讯会议"),
    ("us.zoom.videomeetings", "Zoom"),
    ("com.teamviewer.quicksupport.market", "TeamViewer QuickSupport"),
    ("com.anydesk.anydeskandroid", "AnyDesk"),
    ("com.oray.sunlogin", "向日葵远程控制"),
    ("youqu.android.todesk", "ToDesk"),
    ("com.alibaba.android.rimet", "钉钉"),
    ("com.ss.android.lark", "飞书"),
    ("com.microsoft.teams", "Microsoft Teams"),
    ("com.huawei.welink", "WeLink"),
)

# (package id, name, permission profile)
_LEGIT_APPS: tuple[tuple[str, str, str], ...] = (
    ("com.tencent.mm", "微信", "social"),
    ("com.tencent.mobileqq", "QQ", "social"),
    ("com.eg.android.AlipayGphone", "支付宝", "bank"),
    ("com.taobao.taobao", "淘宝", "shopping"),
    ("com.jingdong.app.mall", "京东", "shopping"),
    ("com.xunmeng.pinduoduo", "拼多多", "shopping"),
    ("com.ss.android.ugc.aweme", "抖音", "media"),
    ("com.smile.gifmaker", "快手", "media"),
    ("com.sankuai.meituan", "美团", "shopping"),
    ("me.ele", "饿了么", "shopping"),
    ("com.sina.weibo", "微博", "media"),
    ("tv.danmaku.bili", "哔哩哔哩", "media"),
    ("com.qiyi.video", "爱奇艺", "media"),
    ("com.tencent.qqlive", "腾讯视频", "media"),
    ("com.netease.cloudmusic", "网易云音乐", "media"),
    ("com.tencent.qqmusic", "QQ音乐", "media"),
    ("com.autonavi.minimap", "高德地图", "map"),
    ("com.baidu.BaiduMap", "百度地图", "map"),
    ("com.sdu.didi.psnger", "滴滴出行", "map"),
    ("com.MobileTicket", "铁路12306", "map"),
    ("ctrip.android.view", "携程旅行", "map"),
    ("com.xingin.xhs", "小红书", "media"),
    ("com.zhihu.android", "知乎", "media"),
    ("com.baidu.searchbox", "百度", "generic"),
    ("com.UCMobile", "UC浏览器", "generic"),
    ("com.icbc", "中国工商银行", "bank"),
    ("com.chinamworld.main", "中国建设银行", "bank"),
    ("com.android.bankabc", "中国农业银行", "bank"),
    ("com.chinamworld.bocmbci", "中国银行", "bank"),
    ("cmb.pb", "招商银行", "bank"),
    ("com.unionpay", "云闪付", "bank"),
    ("com.tmri.app.main", "交管12123", "gov"),
    ("com.hicorenational.antifraud", "国家反诈中心", "antifraud"),
    ("cn.gov.tax.its", "个人所得税", "gov"),
    ("com.tencent.wework", "企业微信", "social"),
    ("com.dianping.v1", "大众点评", "shopping"),
    ("com.cainiao.wireless", "菜鸟", "shopping"),
    ("com.sf.activity", "顺丰速运", "shopping"),
    ("com.tencent.tmgp.sgame", "王者荣耀", "game"),
    ("com.miHoYo.Yuanshen", "原神", "game"),
    ("com.netease.dwrg", "第五人格", "game"),
    ("com.kugou.android", "酷狗音乐", "media"),
)
LEGIT_APPS: tuple[tuple[str, str], ...] = tuple((a, n) for a, n, _ in _LEGIT_APPS)

LEGIT_DOMAINS: tuple[str, ...] = (
    # shopping, services, media (the first 20 are used for links in marketing SMS)
    "taobao.com",
    "tmall.com",
    "jd.com",
    "pinduoduo.com",
    "vip.com",
    "suning.com",
    "meituan.com",
    "ele.me",
    "dianping.com",
    "ctrip.com",
    "douyin.com",
    "kuaishou.com",
    "bilibili.com",
    "iqiyi.com",
    "youku.com",
    "qq.com",
    "weibo.com",
    "zhihu.com",
    "xiaohongshu.com",
    "baidu.com",
    "163.com",
    "sina.com.cn",
    "sohu.com",
    "amap.com",
    "sf-express.com",
    "cainiao.com",
    "10086.cn",
    "189.cn",
    "chinaunicom.com",
    "alipay.com",
    "95516.com",
    "cmbchina.com",
    "icbc.com.cn",
    "ccb.com",
    # banks, news, government
    "abchina.com",
    "boc.cn",
    "bankcomm.com",
    "psbc.com",
    "spdb.com.cn",
    "citicbank.com",
    "cmbc.com.cn",
    "cib.com.cn",
    "pingan.com",
    "cebbank.com",
    "hxb.com.cn",
    "cgbchina.com.cn",
    "xinhuanet.com",
    "people.com.cn",
    "cctv.com",
    "12306.cn",
    "gov.cn",
    "mps.gov.cn",
    "chinatax.gov.cn",
    "nhsa.gov.cn",
    "mohrss.gov.cn",
)
_LINK_DOMAINS = LEGIT_DOMAINS[:20]
_BANK_DOMAIN = {
    "中国工商银行": "icbc.com.cn",
    "中国建设银行": "ccb.com",
    "中国农业银行": "abchina.com",
    "中国银行": "boc.cn",
    "交通银行": "bankcomm.com",
    "招商银行": "cmbchina.com",
    "浦发银行": "spdb.com.cn",
    "中信银行": "citicbank.com",
    "民生银行": "cmbc.com.cn",
    "兴业银行": "cib.com.cn",
    "平安银行": "pingan.com",
    "光大银行": "cebbank.com",
    "华夏银行": "hxb.com.cn",
    "广发银行": "cgbchina.com.cn",
    "邮储银行": "psbc.com",
}
_GOV_DOMAINS = ("gov.cn", "mps.gov.cn", "chinatax.gov.cn", "nhsa.gov.cn", "mohrss.gov.cn")
_LEGIT_DOMAIN_SET = frozenset(LEGIT_DOMAINS)

_DOMAIN_STEMS: dict[FraudType, tuple[str, ...]] = {
    FraudType.REBATE: (
        "shuadan",
        "fanli",
        "jianzhi",
        "renwu",
        "dianzan",
        "yongjin",
        "task",
        "rw",
        "zhuanqian",
        "haoping",
        "xuanshang",
    ),
    FraudType.INVESTMENT: (
        "licai",
        "touzi",
        "jijin",
        "gupiao",
        "finance",
        "wealth",
        "fx",
        "coin",
        "quant",
        "caifu",
        "zhengquan",
        "gold",
        "ipo",
    ),
    FraudType.LOAN: (
        "daikuan",
        "jiekuan",
        "xindai",
        "loan",
        "credit",
        "edu",
        "kuaidai",
        "qianbao",
        "jieqian",
        "cash",
        "fenqi",
    ),
    FraudType.SHOPPING: (
        "mall",
        "shop",
        "tejia",
        "haowu",
        "outlet",
        "maotai",
        "zhekou",
        "buy",
        "goods",
        "piao",
        "daigou",
    ),
    FraudType.CUSTOMER_SERVICE: (
        "kefu",
        "tuikuan",
        "lipei",
        "service",
        "help",
        "refund",
        "shouhou",
        "kf",
        "vip-kefu",
    ),
    FraudType.CREDIT: ("zhengxin", "credit", "xiufu", "cxzx", "xinyong", "zx", "pboc", "zxzx"),
    FraudType.BOSS: ("chat", "im", "qun", "meeting", "office", "work", "oa", "ltxt"),
    FraudType.POLICE: (
        "gaj",
        "police",
        "anquan",
        "jiancha",
        "fayuan",
        "case",
        "qingcha",
        "gov-cn",
        "ga",
        "jcy",
        "spp",
    ),
    FraudType.ROMANCE: (
        "love",
        "yuehui",
        "jiaoyou",
        "date",
        "xiangqin",
        "meet",
        "tongcheng",
        "heart",
        "yuanfen",
    ),
    FraudType.GAME: (
        "youxi",
        "game",
        "zhuangbei",
        "skin",
        "jiaoyi",
        "zhanghao",
        "pifu",
        "play",
        "daichong",
    ),
    FraudType.OTHER: (
        "etc",
        "yibao",
        "kuaidi",
        "lipei",
        "dianfei",
        "hangban",
        "zhongjiang",
        "butie",
        "shebao",
        "tuishui",
        "renzheng",
        "etc-cn",
    ),
}
_FRAUD_TLDS = _words(
    "top top xyz xyz vip cc com net shop site club icu cn info app fun live work link pro co me"
)


def _fraud_domain(r: _Rand, ft: FraudType) -> str:
    while True:
        stem = r.pick(_DOMAIN_STEMS[ft])
        letters = "".join(r.pick(_LOWER) for _ in range(r.randint(2, 3)))
        digits = r.digits(r.randint(2, 4))
        x = r.idx(6)
        if x == 0:
            base = f"{letters}-{stem}{digits}"
        elif x == 1:
            base = f"{stem}{digits}"
        elif x == 2:
            base = f"{letters}{stem}"
        elif x == 3:
            base = f"{stem}-{letters}{digits}"
        elif x == 4:
            base = f"{stem}{letters}"
        else:
            base = f"{letters}{digits}{stem}"
        dom = f"{base}.{r.pick(_FRAUD_TLDS)}"
        if dom not in _LEGIT_DOMAIN_SET:
            return dom


_FRAUD_TYPES: tuple[FraudType, ...] = tuple(FraudType)


# --------------------------------------------------------------------------- fraud SMS

_FRAUD_TEMPLATES: dict[FraudType, tuple[_Seq, ...]] = {
    FraudType.REBATE: _block("""
        [诚招|急招|高薪招聘|招募]网络兼职[人员|]，[在家|宿舍|下班后|带娃时]用手机[动动手指|点点赞|做做任务]，[日结|当天结算]{pay_range}，[无需押金|不收任何费用|零门槛|不需要会员费]，[详情|了解|报名]加[微信|V信|vx|薇]：{wx}
        [亲|您好|你好]，{plat}[店铺|商家][招|需要][刷手|补单员][提升销量|冲销量|做数据]，[本金秒退|本金当场返还|本金加佣金立即返还]，每单佣金{pct}，[有意者|感兴趣的|有兴趣的]点击 {url} [报名|登记|领取任务]
        [恭喜|您好]，您已被[选为|抽中成为]{plat}[体验官|会员任务员|推广员]，[关注|点赞]抖音[账号|博主]并截图即可领取{amt_s}红包，[添加|联系][导师|接待员]QQ{qq}
        【{app_fake}】您的任务佣金{amt_s}已到账，[继续完成|完成]第{n1}[单|轮][联单|组合任务|连单]可[提现|一次性提现]{amt_m}，[逾期|超时]账户将[冻结|清零]，请尽快登录 {url}
        点赞一次{small_yuan}，关注一次{small_yuan2}，[宝妈|学生|上班族|退休人员]都在做，[时间自由|多劳多得|一部手机就能做]，加Q：{qq}
        [你好|哈喽|您好]，看到你[在找|想找]兼职，我们[这边|公司]做[电商|视频号|直播间]数据[优化|维护]，[一单一结|当天结算|秒结]，[带你先体验|先带你体验|免费带你做]一单，[加我|+我]{wx}
        [免费送|0元领|免费领取]{goods}，只需[下单后|完成]好评[返现|返款]{amt_s}，[名额有限|先到先得|仅限{n}人]，[扫码|点击链接]进群：{url}
        [导师|接待员|派单员]提醒：您在[任务群|{app_fake}]的[垫付|预付]任务已[完成|提交]，因[操作失误|账户卡单|数据异常]，需再充值{amt_m}[解冻|激活|重新提交]后[一并|全部|连本带利]返还
        [招聘|诚聘]{plat}[客服|打字员|评论员|在线审核员]，[每天|日均]{hours}小时，月入{amt_m}+，[不限学历|零基础可做|无需经验]，[联系|详询]{phone}
        给电影[打分|买票冲票房|冲热度]赚佣金，[单单返利|稳赚不赔|做一单返一单]，首单返{pct}，[下载|安装]{app_fake}：{url}
        [您好|尊敬的用户]，{plat}[回馈老用户|周年庆|618活动]，[做任务|浏览商品|逛店铺]领现金，[已有|累计]{n}万人提现，[链接|入口]：{url} 回T退订
        [恭喜您|您好]获得{plat}[兼职|在家办公|居家工作]资格，[日结|佣金日结]{amt_s}起，请[添加|加]企业微信：{wx}[，备注“兼职”|，备注{code4}|]
        [关注|点赞]网红视频[截图|发截图]给我，一个{small_yuan}，[做完即结|秒结|马上结]，不[收|要]你一分钱，[加|+]{wx}
        【{app_fake}】[商家|派单员]已为您[匹配|分配][高佣|VIP|专属]任务，[垫付|投入]越多返利越高，[本单|一组]返{pct}，[立即|马上]接单：{url}
        [在吗|在么]？[群里|我们]还差{n}个[名额|人]做[刷|补]单，佣金{pct}，[做不做|有兴趣吗|来不来]？[联系|私我|私聊]{qq}
        [急招|招]宝妈学生[兼职|手工活]，[在家|居家]做{job_task}，[日入|每天]{pay_range}，[押金|材料费]{amt_s}[可退|完工退还]，{phone}
    """),
    FraudType.INVESTMENT: _block("""
        [老师|导师|分析师]带你[炒股|选股|做短线]，[每日|每周]推荐[牛股|涨停股|黑马股]，[已|累计]带领{n}万[股民|学员][盈利|获利|回本]，[免费|限时免费]进群：{url}
        【{fplat}】您的[内部|专属|VIP]账户已开通，[新人|首投]体验金{amt_s}已到账，[日收益|日化收益]{pct_small}，[登录|下载APP]：{url}
        [庄家|主力|机构]内幕消息，明日{stock}[必涨|将连续涨停|有重大利好]，[仅限|只告诉]前{n}名，[加|添加][微信|V|vx]{wx}[领取|获取代码]
        [数字货币|虚拟币|USDT][量化|搬砖]套利，[保本保息|稳赚不亏|零风险]，月[收益|回报]{pct}以上，[详询|联系]客服{qq}
        您好，我是{fplat}的[客户经理|投资顾问]{sur}经理，[本平台|我们]推出[原始股|打新|新股配售]项目，[认购|申购]门槛仅{amt_m}，预计[收益|回报]翻{n1}倍，[详情|点击]{url}
        [恭喜|您好]，您申请的[大宗交易|机构专属|港股打新]通道已[审核通过|开通]，请于{date}前[入金|注资]{amt_l}，[逾期|过期][作废|自动取消]，[专员|客服]{phone}
        [外汇|黄金|原油|期货][内部|VIP]交易群，[专业团队|分析师][一对一|全程|手把手]指导，[以小博大|十倍杠杆|稳定收益]，[入群|开户]请[扫码|点击]{url}
        【{fplat}】您的账户[盈利|收益]{amt_m}[暂时无法|暂不能]提现，[系统检测|风控]显示[流水不足|需缴纳个人所得税{pct_small}|账户等级不足]，请[补缴|充值]{amt_m2}后[申请|提现]
        [股民|投资者]朋友，{fplat}[养老|扶贫|乡村振兴|数字人民币]基金[限时|限量]认购，[国家|政府]背书，年化{pct}，[名额|额度]有限，[咨询|预约]{phone}
        [{sur}老师|{sur}教授]直播[讲解|复盘]今日[行情|大盘]，[点击|进入]直播间领取[牛股|金股]名单：{url} 退订回T
        [您好|你好]，[您上次|之前]亏损的[股票|基金][可以|能]帮您[回本|追回损失]，[我们有|团队拥有]{fplat}[内部|独家]渠道，[加|添加]{wx}[了解|咨询]
        [平台|{fplat}]周年庆，[充|投资]{amt_m}送{amt_s}，[新用户|首次入金]再享[加息|额外收益]{pct_small}，[立即|马上]下载APP：{url}
        [您已|已]被[拉入|邀请加入]“{fplat}[价值投资|牛股交流|财富]”[群|俱乐部]，请下载[专用|指定]软件{app_fake}[参与|跟单]，[邀请码|机构码]{code}
        [原始股|区块链|元宇宙]项目[内部认购|私募]，[上市后|明年]翻{n1}倍，[起投|最低]{amt_m}，[资金安全|银行托管]，[联系|加]{wx}
        [尊敬的|]{fplat}会员：[今日|本周][跟单|信号]胜率{pct}，[VIP|高级]会员[专享|可跟]，[升级|开通]仅需{amt_m}，[详见|登录]{url}
        [您好|你好]，[我们|本公司]是[正规|持牌]私募，[现推出|推出][稳健型|保本型]理财，[年化|收益]{pct}，[一万|{amt_m}]起投，[随存随取|T+0到账]，{phone}
    """),
    FraudType.LOAN: _block("""
        [您好|尊敬的用户]，您[有一笔|获得]{amt_l}[备用金|信用额度|借款额度]待领取，[无抵押|免抵押][无担保|]，[当天|秒|30分钟]到账，[点击领取|立即申请]{url}
        【{lapp}】[黑户|征信花|有逾期][也能|可][贷|下款]，[不看征信|不查征信|不上征信]，[最高|额度]{amt_l}，[利息低|日息{pct_tiny}]，[加|联系]{wx}
        您的贷款{amt_l}已[审批通过|审核通过]，因[银行卡号填写错误|账户信息有误|姓名不一致]，资金已被冻结，[需|请]缴纳{amt_m}[解冻金|验资费|保证金]后[放款|重新打款]，[客服|专员]{phone}
        [您好|你好]，[申请|办理]贷款[需|要先]缴纳[保证金|工本费|会员费|公证费]{amt_m}[证明还款能力|刷流水]，[放款后|到账后][一并退还|全额返还]，[客服|专员]{qq}
        [学生|大学生|上班族|宝妈]急用钱？{lapp}[凭身份证|只要身份证]即可[贷|借]{amt_m}-{amt_l}，[无需|不用][面签|审核|抵押]，{url}
        【{bank}】[尊敬的客户|您好]，[您|您已]符合[我行|本行][信用贷款|消费贷|经营贷][条件|资格]，[最高|可贷]{amt_l}，[请|立即][通过|登录]{url}[申请|办理]
        [急用钱|缺钱|资金周转]找我，[当天|1小时]放款，[额度|最高]{amt_l}，[手续简单|只需手机号|无需抵押]，[电话|热线]{phone}[（{sur}经理）|]
        [您|你]在{lapp}的借款申请[显示|提示][流水不足|还款能力不足|信用分不足]，[请|需]向[指定|对公]账户[转入|存入]{amt_m}[刷流水|验资]，[审核通过|核实后]即可放款
        【{lapp}】恭喜！您的[额度|授信]已[提升至|上调为]{amt_l}，[年化|利率]低至{pct_small}，[仅限今日|限时]提现，回T退订 {url}
        [您好|温馨提示]，[您的|阁下]网贷[额度已|账户已]被[冻结|锁定]，[因|由于][操作不当|多次申请|填写错误]，[请联系|请致电][专员|客服]{phone}[处理|解除]
        [大额|小额][分期|贷款]，[无视|不看]黑白户，[秒批|秒下款]，[加|+]微{wx}，[不成功|不到账][不收费|不收一分钱]
        [您好|亲]，您[已|刚]通过[{lapp}|本平台]初审，[需|还需][开通会员|购买VIP|购买提速卡]{amt_s}[提高|加快]放款[速度|通过率]，{url}
        [正规|持牌]金融机构[助贷|代办]，[房贷|车贷|信用贷][包装|包过]，[只收|成功后收]{pct_small}手续费，[咨询|联系]{phone}
        [您的|你的]借款合同[已生成|签署完成]，[请|需]先缴纳{pct_small}[保险费|服务费]即{amt_m}[激活|生效]，[下载|登录]{app_fake}查看
        [公积金|社保|保单][贷|信贷][内部通道|快速通道]，[有|缴纳]{n1}年[即可|就能]贷{amt_l}，[当天|次日]放款，{wx}
    """),
    FraudType.SHOPPING: _block("""
        [特价|低价|内部价]{goods}，[原价|官网价]{amt_m}，[现价|仅需]{amt_s}，[数量有限|先到先得|手慢无]，[加|+]{wx}[下单|购买]
        [出售|转让][演唱会|音乐节|球赛]门票，[内场|前排|VIP][连座|位置好]，[原价|不加价]出，[需要|有意]的[加|私]{qq}
        【{plat}】[亲爱的|尊敬的]会员，[您|你]已[获得|抽中][免单|0元购]资格，[仅需|只需]支付{amt_s}[运费|保险费|手续费]，{url}
        [飞天茅台|53度茅台|五粮液][内部|厂家][直供|货源]，{amt_m}/瓶，[一手货源|保真|假一赔十]，[量大|批量]从优，[联系|电话]{phone}
        [全新未拆封|九成新|仅拆封]{goods}[急出|转让|便宜出]，[原价|买的时候]{amt_m}，[现在|只要]{amt_s}，[不走平台|私下交易][更便宜|优惠{small_yuan}]，[私聊|加]{wx}
        [宠物|猫咪|狗狗|布偶猫][免费送养|低价转让]，[只需|仅收][运费|检疫费|航空箱费]{amt_s}，[包邮|送货上门]，[联系|加]{wx}
        [您|你]好，[您拍下|您订购]的{goods}[已缺货|库存不足]，[请|需]通过{url}[重新付款|补差价]{amt_s}[优先发货|加急发货]
        [工厂|厂家][清仓|倒闭][甩卖|大甩卖]，[名牌|大牌]{goods}[一折|1折]起，[货到付款|包邮|七天无理由]，[进群|选款]：{url}
        [代购|海外代购][正品|专柜]{goods}，[比国内便宜|比专柜低|低于专柜价]{pct}，[先付定金|预付]{amt_s}[下单|排单]，[主页|联系]{qq}
        [应急|救灾|防汛]物资[现货|批发]，[发电机|冲锋舟|消毒液][大量|充足]，[款到发货|先款后货]，{phone}
        【{shop_fake}】[亲|您好]，您的订单{order}[付款未成功|支付异常]，[请|需]在[30分钟|1小时]内[点击|通过]{url}[重新支付|完成支付]，[否则|逾期]订单[取消|失效]
        [特价|内部][机票|酒店|机票酒店]，[比官网便宜|低至{n1}折]，[加|联系][微信|Q]{wx}[预订|出票]
        [限量版|联名款]{goods}[抢购|预订]通道开启，[官方|品牌]内部渠道，[定金|订金]{amt_s}[锁单|锁定名额]，{url}
        [直播间|朋友圈][秒杀|福利]：{goods}只要{amt_s}，[扫码|点击]{url}[下单|付款]，[今天|24小时内]发货
        [海关罚没|法院拍卖|银行抵押][车辆|手机|黄金][低价|白菜价][处理|出售]，{amt_m}起，[先交|缴纳][定金|保证金]{amt_s}[看车|预约]，{phone}
    """),
    FraudType.CUSTOMER_SERVICE: _block("""
        【{plat}】[尊敬的|亲爱的]用户，您[购买|订购]的{goods}[存在质量问题|检测出甲醛超标|被召回]，我们将[给予|为您办理][双倍|三倍]理赔{amt_m}，[请|详情]联系{phone}
        [您好|你好]，[我是|这边是]{courier}客服，您的快递[{track}|]在运输[途中|过程中][丢失|破损]，[将|可]为您理赔{amt_s}，[请加|请添加]{wx}[办理|领取]
        【{plat}】您[开通的|误开通的]{plat}[会员|百万保障|金牌会员]服务[即将扣费|将每月扣费]{amt_s}，[如需|若需][取消|关闭]请致电{phone}
        [您好|尊敬的客户]，[由于|因]我方[系统|仓库]失误，您的订单{order}被[重复扣款|错误设置为批发商|误升级为代理]，[需|请][配合|按指引]退款，[客服|专线]{phone}
        [亲|您好]，您的[快递|包裹]因[地址不详|信息不全][无法派送|被退回]，请[点击|访问]{url}[更新地址|补全信息]，[否则|逾期][退回|销毁]
        【{courier}】您[的|寄的]包裹[被海关扣留|涉嫌违禁品]，[需|请]缴纳[关税|罚款]{amt_s}，[联系|专员]{phone}
        [您好|亲爱的用户]，[您|你]在{plat}的[账户|店铺]存在[违规|异常]行为，[将|会][影响|关联]您的[征信|芝麻分]，[请|需]下载{remote_app}[与客服|]共享屏幕处理
        [尊敬的|亲爱的]客户，您于{date}[购买|下单]的[商品|{goods}]因[商家|系统]原因[退款失败|未能退款]，[请|需]前往{url}[重新申请|提交]退款{amt_s}
        [亲，这边是|我们是]{plat}售后，[您|你]购买的[儿童|婴儿]{goods}[不合格|质检未通过]，[已为您|准备]申请[退款|赔付]{amt_s}，需[扫码|加]{wx}[领取|对接]
        【{plat}】[检测到|系统显示]您的[备用金|白条|花呗|月付][额度异常|开通了学生账户]，根据[国家|监管]要求需[注销|关闭]，[否则|不然]影响征信，[回电|客服]{phone}
        [您好|你好]，[您|你]的[直播|抖音|快手]账号[误开通|被开通]了[代理|主播|商家]权限，每月[扣费|扣除]{amt_m}，[关闭|取消]请[联系|打]{phone}
        [{courier}|快递]理赔专员提醒：您的[包裹|物品][理赔款|赔付金]{amt_s}待领取，[请|须]在{date}前[登录|点击]{url}[填写|输入]银行卡信息[领取|]
        [您好|亲]，[您的|你的]订单{order}[因|由于][库存不足|仓库断货]，[我们|商家]将[原路|三倍]退款，[请|先][打开|登录]{bank}APP[配合|按提示][操作|验证]，[专员|客服]{phone}
        [您好|亲]，这里是{plat}官方客服，[您刚刚|您]的[退货|退款]申请[需要|须]人工审核，请[下载|打开]{remote_app}，[会议号|房间号]{code}
        [您好|你好]，[您|你]的[{plat}|微信|支付宝]账户[被|已被][误设|开通]为[商家|代理]账户，[每年|每月][收取|扣除]{amt_s}[服务费|年费]，[取消|关闭]请[访问|点击]{url}
    """),
    FraudType.CREDIT: _block("""
        [您好|尊敬的用户]，[您的|你的]个人征信[存在|有][逾期|不良]记录，[将|会]影响[您|你]及子女[贷款|考公|出行|上学]，[请|立即][联系|致电]{phone}[修复|处理]
        【{regulator}】[您|你][大学期间|学生时期][开通过|注册过][校园贷|网贷|学生贷]，[根据|按照][最新|]规定需[注销|清空]，[否则|不然][影响|将纳入]征信，{url}
        [专业|正规][征信修复|征信洗白|征信优化]，[逾期|黑名单|呆账]{n}天[消除|删除]，[成功后|不成功不]收费，[咨询|加]{wx}
        [您的|你的]{plat}[金条|借呗|白条|月付][额度|账户]存在[违规|套现]，需将[额度|资金]{amt_m}[转入|提现到][安全账户|指定账户][核验|验证]后[恢复|消除]征信，{phone}
        [您好|尊敬的用户]，[您的|你的]征信[报告|评分][低于|不足]{n3}分，[已被|将被]列入[失信|黑名单]，[请|须][于|在]{date}前[登录|访问]{url}[申诉|核实]
        [您好|你好]，[这里是|我是]{regulator}工作人员，[发现|系统检测到]您名下有[{n1}笔|多笔][未注销的|异常的][网贷|贷款]账户，[需|请][配合|协助][注销|处理]，[专线|回电]{phone}
        [征信|信用][花了|不好][贷不了款|无法贷款]？[我们|本公司][有|掌握][内部渠道|特殊渠道][修复|优化]征信，[联系|热线]{phone}
        【{regulator}】[尊敬的|]客户，您[的|名下]{bank}信用卡[逾期|违约]{n}天，[已|即将][上报征信|起诉]，[如有|若有]疑问请[回电|拨打]{phone}
        [您|你]的[个人|]征信[已被|被][他人|不法分子][冒用|盗用][申请|办理]贷款{amt_l}，[为保护|为避免影响]您的[信用|征信]，请[配合|立即][我们|专员][操作|核实]：{url}
        [关于|就]您[在|于]{lapp}的[借款|授信][记录|问题]，[需要|须][走|做][注销|清退]流程，[逾期未处理|不处理]将[影响|上报]个人征信，[联系|对接]{qq}
        [您好|同学]，[您|你]的[学生认证|学生身份]未[解除|注销]，[名下|账户]仍有[校园贷|学生贷]额度{amt_m}，[需|请][今天|尽快][关闭|注销]：{url}
        [征信|信用]报告[查询|下载]通知：[您|你]的[信用|征信][报告|记录]显示[异常|风险]，[请|立即][下载|安装]{app_fake}[查看|核验]详情：{url}
        [逾期|不良记录]影响[买房|买车|工作]？[专业团队|律师团队][协商|处理][网贷|信用卡]逾期，[停催|减免]{pct}，{wx}
        [您|你]好，[您的|你的][芝麻分|信用分][异常|过低]，[需|要][将|把][借呗|花呗][额度|余额]{amt_m}[转出|清空][刷新|重置][信用|征信]，[否则|不然][永久|将被]冻结，客服{phone}
    """),
    FraudType.BOSS: _block("""
        [小{sur}|{name}]，我是{title}，[加我|这是我]新[微信|QQ][号|]{wx}，[有事|有个事][找你|跟你说]
        [在吗|在不在]？我是{title}，[明天|{day}][上午|下午][来|到]我办公室一趟，[先|你先]加我[新号|这个号]{qq}
        [我是|这边是|我是]{title}，[现在|正][在开会|陪领导][不方便|不方便接电话]，[有|帮我][一笔|笔][款|钱]要[急着|马上]转给[合作方|客户]，[你|你们财务][先|帮我]转{amt_l}到这个账户，[回头|会后]我[签字|补手续]
        [{name}|老同学]，[是我|我]，[换号了|新号码]，[存一下|记一下]。[明天|过两天][有点事|急需][要|想][借|周转]{amt_m}，[方便吗|能帮忙吗]？
        [爸|妈]，我[手机|原手机][掉了|坏了]，[这是|用的][同学|朋友]的[手机|号]，[学校|老师][要交|让交][培训费|资料费|考试费]{amt_m}，[你|您][转到|转给]{name}[的卡|账户]上
        我是{title}，[刚|今天][有个领导|有位老朋友][需要|急需]用钱，[我这边|我]不方便[出面|转]，[你|你先]帮我[垫付|转]{amt_m}，[明天|下周][还你|报销]
        [你好|您好]，[我是|这里是]{company}[的|]{title}，[公司|我们]新建了[工作群|内部群]，[请|你][扫码|点击]{url}[进群|加入]
        [舅|叔|姐|姑]，[我是|是我][{name}|你外甥|你侄子]，在外[地|面]出了点事[急需用钱|需要{amt_m}]，[别告诉我爸妈|先别跟我爸妈说|别让家里知道]，[转|打]到{bank}尾号{card4}[这张卡|的卡]
        [{name}|老{sur}]，是我，[我在|人在]{city}[出差|开会]，[微信|支付宝][被限额|被冻结]了，[帮我|麻烦你][转|付]一下{amt_m}[给|到]这个账户，[回去|晚上]就还你
        【财务通知】[各位|全体]同事：[按|根据]{title}安排，[本月|今日]发放[补贴|奖金|社保补助]，请[添加|加入]财务QQ{qq}[登记|领取]
        [{name}|小{sur}]，[我|是我]{title}，[这边|我]有[个|点]事要[你|麻烦你][帮忙|处理]，[方便|有空][的话|]回[个|]电话{phone}
        [你|您]好，我是你[孩子|女儿|儿子]的班主任{sur}老师，[下学期|新学期][教材费|资料费|校服费]{amt_s}，[请|家长][扫码|加]{wx}[缴费|进群]
        [老板|{title}][刚刚|刚]在[群|工作群]里[说了|交代]，[让你|要你][把|将][货款|合同款]{amt_l}[先|马上][转|汇]到[新的|这个][对公账户|账户]{bankacct}
        [{name}|兄弟]，[我|][在医院|出车祸了|被扣在派出所]，[急需|要交]{amt_m}[押金|保证金]，[先|帮我]转[到|给]{bankacct}，[这个号|我]不方便接电话
    """),
    FraudType.POLICE: _block("""
        [您好|你好]，[这里是|我是]{city}[市|]公安局[刑侦支队|经侦大队]，[您|你]的[身份证|银行卡][涉嫌|涉及]一起[洗钱|非法集资]案件，[案件编号|案号]{case}，[请|须][立即|马上][配合调查|回电]{phone}
        【{city}[人民|中级人民]法院】[您|你]有一[张|份][传票|诉讼文书][未|尚未]领取，[请|须]于{date}前[登录|访问]{url}[查看|签收]，[逾期|否则]将[强制执行|缺席判决]
        [您|你]名下[的|]{bank}[账户|卡][涉嫌|涉及][洗钱|跨境赌博]，[已被|将被][冻结|列入监控]，为证明清白[需|请]将资金{amt_l}[转入|存入][国家|公安][安全账户|清查账户][核查|审计]，{phone}
        [您好|你好]，[我是|这里是]{city}[市|]检察院，[你|您][涉嫌|卷入]{case}[号|]案件，[现|已][下发|签发]逮捕令，[请|需]下载{app_fake}[进行|做]资金[清查|核查]
        【{regulator}】[您的|你的][医保|社保]卡[在|于]{city}[被|有][违规|异常][套现|使用]记录，[涉嫌|可能]违法，[请|须][立即|尽快][联系|转接]{city}警方{phone}
        [您|你]有一份[快递|包裹][内有|夹带]{n}张[他人|非法]银行卡[和|及]护照，[已被|被]海关[扣押|查获]，[请|须][配合|联系]{city}公安[调查|核实]{phone}
        [你好|您好]，[我是|这里是][网警|网安]{sur}警官，[你的|您]手机号[涉嫌|被用于][发布|传播]违法信息，[将于|将在]{hours}小时内[停机|销号]，[如有异议|详情]请[回电|致电]{phone}
        [您好|你好]，[这里是|我是]{city}公安，[你|您][涉嫌|卷入][跨境|电信]诈骗[洗钱|资金]案件，[需要|要]对[你|您]的[资产|资金][进行|做][冻结|清查]，[请|须][保密|不要告诉任何人]，[下载|打开]{remote_app}[做|进行][视频笔录|远程笔录]
        [{regulator}|国家安全局|最高人民检察院][通知|公告]：[您|你][名下|的]{bank}账户[资金|存款][来源不明|异常]，[请|须]于{date}前[将|把]资金转入[指定|监管]账户{bankacct}，[核查|审查][无误后|完毕后][原路|全额]退还
        [您好|你好]，[这里是|我是]{city}[市|]卫健委[流调|疫情]办，[你|您][涉及|关联][一起|]{case}[号|]案件，[已|将][移交|转交]公安处理，[转接|联系][警官|民警]{phone}
        [您的|你的][驾驶证|驾照][即将被|已被][吊销|扣满分]，{city}交警[支队|大队]提醒您[立即|尽快][处理|缴纳]罚款{amt_s}：{url}
        [你好|您好]，[我是|这里是]{city}[出入境|边检]管理局，[您的|你]护照[涉嫌|被][冒用|用于]偷渡，[需|请][配合|协助]调查，[否则|不然][列入|限制]出境，{phone}
        [您|你]好，[经查|经核实]你[涉嫌|违反][反洗钱法|刑法第{n3}条]，{city}检察院[已|将][对你|]立案，案号{case}，[请|立即][登录|访问][最高检|检察院]网站{url}[查看|核实][通缉令|逮捕令]
        [{sur}警官|我是{sur}警官]：[你的|您]银行卡[在|于]{city}被[用于|用作][洗钱|收赃]，[涉案|涉嫌][金额|资金]{amt_l}，[本案|案件][属于|涉及][机密|国家机密]，[不得|禁止][告诉|透露给][家人|任何人]，[等我|稍后][电话|联系]
        【{city}公安】[您的|你的]身份信息[被|遭]冒用[注册|开办]公司，[涉嫌|涉及][偷税|洗钱]{amt_l}，[请|须][24小时内|今天]拨打{phone}[说明情况|配合调查]
    """),
    FraudType.ROMANCE: _block("""
        [亲爱的|宝贝|哥哥]，[我|今天]在{fplat}[发现|找到]了[系统漏洞|内幕数据]，[稳赚|只赚不赔]，[你|你也][注册|下载][一个|下]{url}[跟我|我带你]一起[投|玩]
        [你好|嗨]，[我是|我叫]{fname}，[刚|今天][看到|刷到]你的[资料|朋友圈|照片]，[感觉|觉得][很有眼缘|你很有气质]，[能|可以][加个|交个]朋友吗？[我的|我]微信{wx}
        [宝|宝贝|亲爱的]，[我妈|我爸|我奶奶][住院|生病|做手术]了，[还差|急需]{amt_m}[手术费|医药费]，[你|你能][先|]帮我[垫|转]一下吗？[下个月|发工资就]还你
        [附近|同城][单身|寂寞][美女|女孩][视频|线下][交友|约会]，[真实|真人][认证|可见面]，[点击|立即][查看|进入]：{url}
        [老公|亲爱的]，[我们|咱们][结婚|以后]的[房子|彩礼][靠这个|就靠这个了]，[老师|舅舅]说[今晚|这次][是|有]最后[一波|机会]，你[再|多][投|充]{amt_l}[好不好|吧]
        [亲爱的|宝]，你[提现|出金][被冻结|失败]是[因为|由于][平台|系统]要[保证金|解冻金]{amt_m}，[交了|交完][就能|马上]提[出来|现]，[别担心|相信我]
        [哥哥|小哥哥][你好|在吗]，[我是|这里是]{dating_app}[红娘|客服]，[有位|一位][{n2}岁|优质][女士|女生][想|希望][和你|与您][认识|见面]，[先|需][开通|充值]会员{amt_s}[解锁|查看][联系方式|微信]
        [你|您]好，[我是|我叫]{fname}，[在|目前在][海外|迪拜|新加坡][工作|做外贸]，[有个|想寄]包裹[给你|送你][做礼物|当礼物]，[需要|要][交|付][关税|清关费]{amt_m}，[快递|清关]专员{phone}
        [宝贝|亲爱的]，[今天|这两天][赚了|又赚了]{amt_m}，[开心|好开心]！[你|你也][试试|试下][嘛|吧]，[我|我来]教你，[先|少]充{amt_s}[就行|试试]：{url}
        [亲爱的|宝贝][我|]想[你|见你]了，[我|][买了|订了][机票|车票][去看你|去找你]，[但是|可是][卡被冻结|钱包被偷]了，[能|你能][先|]转我{amt_m}[吗|不]？
        [交友|婚恋]平台[推荐|通知]：[有|已有]{n}位[异性|会员][查看|喜欢]了你，[点击|登录]{url}[查看|回复]，[首次|新人][充值|开通][送|赠]{n3}[金币|币]
        [你|您]好，[我们|]在{dating_app}[聊过|匹配过]，我[是|叫]{fname}，[那边|平台][不常|很少]上，[加我|我加你][微信|QQ]吧：{wx}
        [宝|亲爱的]，[我们|咱们]的[未来|小家]要[靠|]你[努力|争取]啦，[我|]给你的那个[平台|APP]{fplat}[今晚|今天]有[内部|大]单，[充值|下单]{amt_l}[能|可][赚|翻]{pct}
        [陪聊|倾诉][专线|服务]，[24小时|全天][在线|陪伴]，[真人|美女][语音|视频]，[首单|新人]特价{amt_s}，[加|+]{qq}
        [我|]是{fname}，[在|]{dating_app}上[认识的|看到你]，[我|]做[跨境电商|珠宝生意|酒庄]的，[觉得|感觉]你人[很好|踏实]，[想|可以][带你|和你一起][做点|搞点][副业|投资]，[加|+]{wx}
    """),
    FraudType.GAME: _block("""
        [出售|低价出]{game}[账号|号]，[满|全]{gitem}，[V{n}|高V]，[原价|充值]{amt_m}，[现|]{amt_s}[出|转让]，[走|通过]{url}交易
        [{game}|游戏]{gitem}[免费|0元][领取|送]，[仅限|限]今日，[点击|登录]{url}[输入|填写][账号密码|游戏账号]领取
        [您好|你好]，[您|你][出售|挂售]的{game}[账号|装备][已被|被][买家|玩家][购买|拍下]，[但|由于]您的[账户|钱包][未激活|被冻结]，[需|请][缴纳|充值][保证金|激活费]{amt_s}[才能|方可]提现，{url}
        [代练|代打]{game}，[上分|冲段][快|稳]，[王者|最强王者|无双][包上|必上]，[先付|预付][定金|一半]{amt_s}，[加|私]{qq}
        [{game}|游戏][点券|钻石|金币|原石][{n1}折|超低价][充值|代充]，[官方|内部]渠道，[秒到|即时到账]，[联系|详询]{wx}
        【{trade_plat}】[卖家|您]的[交易|订单]{order}[因|由于][银行卡|收款账户][信息错误|填写错误][资金|货款]被冻结，[请|需][联系|添加][客服|平台客服]{qq}[解冻|处理]
        [未成年|未成年人][游戏|充值][退款|退费][服务|通道]，[全额|100%][退回|退还]，[联系|咨询]{wx}
        [{game}|游戏][防沉迷|实名认证][解除|解绑]，[学生|未成年][也能|可][畅玩|无限玩]，[加|+]Q{qq}[办理|]，[仅需|只要]{amt_s}
        [兄弟|老铁]，[我|]{game}[号|账号][不玩了|要退坑]，[便宜|低价][出|卖]给你，{amt_s}[拿走|就行]，[去|用]{trade_plat}[担保|交易]，[链接|地址]{url}
        [恭喜|您好]，[您|你]在{game}[活动|周年庆]中[抽中|获得][限定|传说]{gitem}，[请|需][到|前往]{url}[绑定|登记][手机号|银行卡][领取|兑换]
        [收|高价收]{game}[账号|号]，[有|带]{gitem}[的|]优先，[价格|报价][高于|超过]同行{pct}，[出号|卖号]找{wx}
        [您好|亲]，[您在|你在]{trade_plat}[出售|挂售]的{gitem}[已成交|买家已付款]，[请|需][在|于]30分钟内[登录|访问]{url}[确认|激活]提现
        [兄弟|哥们]，[我有|有]{game}[外挂|科技|辅助]，[不封号|稳定不封]，[月卡|周卡]{amt_s}，[需要|要]的[加|找]{qq}
        [{game}|游戏]账号[被盗|异常登录][找回|申诉][服务|专业团队]，[{n1}小时|当天][找回|处理]，[定金|预付]{amt_s}，[联系|详询]{wx}
    """),
    FraudType.OTHER: _block("""
        【{regulator}】[您的|你]医保卡[异常|已被冻结]，[涉嫌|因][违规|重复]报销，[请|需][于|在]{date}前[点击|登录]{url}[核实|解冻]，[否则|逾期][停用|注销]
        【ETC服务】[尊敬的|]车主，[您的|你]ETC[认证|卡][已失效|即将过期]，[为避免|避免][影响|]通行，[请|立即][登录|点击]{url}[重新认证|进行认证]
        [尊敬的|您好][客户|旅客]，[您|你][预订|购买]的{date} {flight}航班[因|由于][机械故障|天气原因][已取消|取消]，[请|需][联系|致电]{phone}[办理|申请][改签|退票]，[每人|将][补偿|赔偿]{amt_s}
        [恭喜|您好]，您的[手机号|号码]在{show}[节目|活动]中[抽中|获得][二等奖|幸运奖]{amt_l}及{goods}，[请|领奖][登录|访问]{url}[领取|登记]，[验证码|领奖码]{code}
        [尊敬的|您好][用户|客户]，[您家|您户][电费|燃气费][已欠费|欠缴]{amt_s}，[将于|将在][今日|{date}][停电|停气]，[请|立即][点击|通过]{url}[缴费|补缴]
        [您好|同学]，[您在|你在][大学|学生]期间[注册|开通]的[校园贷|学生贷][账户|]未注销，[根据|按照][国家|监管][要求|规定][需|必须][注销|清除]，[否则|不然][影响|会影响]征信，[联系|回电]{phone}
        【{courier}】[您好|亲]，[您的|你的][包裹|快递][已|]丢失，[我司|我们]将[按|给予][三倍|双倍]理赔，[请|需][扫码|点击]{url}[进入|填写]理赔[页面|通道]
        [点赞|关注][赚钱|就能赚钱]，[一个|每个]赞{small_yuan}，[日赚|每日]{amt_s}+，[下载|注册]{app_fake}：{url}
        [您的|你的][社保|养老]卡[待|需][激活|升级]，[补贴|补助]{amt_m}[待领取|已发放]，[请|点击]{url}[领取|申领]
        [您的|你的][个税|个人所得税][退税|退款]{amt_s}[已|]审核通过，[请|]于{date}前[登录|访问]{url}[申请|领取]，[逾期|过期][作废|视为放弃]
        [您好|你好]，[您的|你][手机号|号码][实名|认证][信息|资料][过期|不全]，[将于|将在]{hours}小时[后|内][停机|销号]，[请|立即][登录|点击]{url}[补登|更新]
        [您|你]的[微信|支付宝][账户|账号][存在|发现][风险|异常]，[已被|将被][限制|冻结]，[请|立即][点击|登录]{url}[解除|解封]
        [您有|你有]一[笔|份]{amt_m}的{subsidy}[补贴|补助|津贴][待领取|未领取]，[请|需][扫码|加]{wx}[申领|领取]，[截止|限]{date}
        [您|你]的[驾驶证|行驶证][即将|已经]过期，[请|需][下载|安装][车管通|驾驶证服务|交管服务]APP[在线|线上][换证|审验]，[逾期|过期]将[注销|罚款]，{url}
        [尊敬的|]旅客，[您|你][购买|乘坐]的{date}[高铁|火车]票[因|由于][线路调整|停运]，[退票|改签]请[联系|致电]{phone}，[可获|另有]{amt_s}[补偿|赔偿]
        【{bank}】[您的|你的][手机银行|网银][U盾|数字证书][已过期|即将失效]，[请|立即][登录|访问]{url}[更新|升级]，[否则|逾期]将[停用|冻结]
    """),
}

_GENERIC_SIGNATURES = _words("温馨提示 通知 重要通知 系统消息 官方客服 客服中心 提醒")
_GENERIC_SIGNATURE_T = _block("\n".join(_GENERIC_SIGNATURES))
# Type-specific signatures, used when the text already names what the signature names
# (an impersonated platform, bank or courier), so that the signature matches the story.
_FRAUD_SIGNATURES: dict[FraudType, tuple[tuple[str | None, _Seq], ...]] = {
    ft: tuple((need or None, _compile(sig)) for need, sig in (e.split(":") for e in extra.split()))
    for ft, extra in (
        (FraudType.REBATE, "plat:{plat} app_fake:{app_fake} :招聘 :兼职中心"),
        (FraudType.INVESTMENT, "fplat:{fplat} app_fake:{app_fake} :财经资讯"),
        (FraudType.LOAN, "lapp:{lapp} app_fake:{app_fake} bank:{bank}"),
        (FraudType.SHOPPING, "plat:{plat} shop_fake:{shop_fake}"),
        (FraudType.CUSTOMER_SERVICE, "plat:{plat} courier:{courier} :售后服务"),
        (FraudType.CREDIT, "regulator:{regulator} :征信服务"),
        (FraudType.BOSS, ":财务通知 :办公室"),
        (FraudType.POLICE, "city:{city}公安 city:{city}人民法院 city:{city}检察院"),
        (FraudType.ROMANCE, "dating_app:{dating_app} :交友推荐"),
        (FraudType.GAME, "trade_plat:{trade_plat} game:{game}"),
        (FraudType.OTHER, ":服务通知 regulator:{regulator} courier:{courier} bank:{bank}"),
    )
}


def _fraud_signature(ctx: _Ctx) -> str:
    r = ctx.r
    specific = (
        [sig for need, sig in _FRAUD_SIGNATURES.get(ctx.ft, ()) if need is None or need in ctx.vals]
        if ctx.ft
        else []
    )
    if specific and r.chance(0.6):
        return _render(r.pick(specific), ctx)
    return _render(r.pick(_GENERIC_SIGNATURE_T), ctx)


_UNSUBSCRIBE = _words("退订回T 回T退订 拒收请回复R 退订回TD 回TD退订 退订回N 退订请回复T")

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
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_HALF_PUNCT = str.maketrans(
    {"，": ",", "。": ".", "：": ":", "！": "!", "？": "?", "（": "(", "）": ")"}
)


def _outside(text: str, keep: str | None, fn: Callable[[str], str]) -> str:
    """Apply fn to the parts of text other than `keep` (a URL that must stay intact)."""
    if keep and keep in text:
        return keep.join([fn(p) for p in text.split(keep)])
    return fn(text)


def _obfuscate(text: str, r: _Rand) -> str:
    for word, variants in _OBFUSCATE:
        if word in text and r.chance(0.6):
            use_variant = bool(variants) and r.chance(0.5)
            new = r.pick(variants) if use_variant else r.pick(_SEPARATORS).join(word)
            text = text.replace(word, new)
    return text


def _spaces(text: str, r: _Rand) -> str:
    if len(text) < 4:
        return text
    chars = list(text)
    for _ in range(r.randint(1, 3)):
        chars.insert(r.randint(1, len(chars) - 1), " ")
    return "".join(chars)


def _fraud_noise(text: str, ctx: _Ctx) -> str:
    r = ctx.r
    url = ctx.vals.get("url")
    if r.chance(0.35):
        text = _obfuscate(text, r)
    x = r.u()
    if not text.startswith("【") and x < 0.25:
        text = f"【{_fraud_signature(ctx)}】{text}"
    elif x > 0.93 and text.startswith("【"):
        end = text.find("】")
        text = text[end + 1 :] + text[: end + 1]
    if "退订" not in text and r.chance(0.15):
        text += r.pick(("", " ", "，")) + r.pick(_UNSUBSCRIBE)
    if r.chance(0.12):
        text = _outside(text, url, lambda s: s.translate(_FULL_WIDTH))
    if r.chance(0.2):
        text = text.translate(_HALF_PUNCT)
    if r.chance(0.1):
        text = _outside(text, url, lambda s: _spaces(s, r))
    if r.chance(0.08):
        text += r.pick(("!!", "！！", "~", "。", "…", "【急】", " 速回"))
    return text


def fraud_sms(fraud_type: FraudType, rng: np.random.Generator, n: int) -> list[str]:
    """`n` fraud SMS of one fraud type, drawn from ≥ 12 scripts with slots, synonyms and spam noise."""
    if n < 0:
        raise ValueError("n must be non-negative")
    r = _Rand(rng, _buffer_size(n))
    templates = _FRAUD_TEMPLATES[fraud_type]
    out: list[str] = []
    for _ in range(n):
        ctx = _Ctx(r, fraud_type)
        out.append(_fraud_noise(_render(r.pick(templates), ctx), ctx))
    return out


# --------------------------------------------------------------------------- ordinary SMS

_NORMAL_TEMPLATES: dict[str, tuple[_Seq, ...]] = {
    "personal": _block("""
        [妈|老妈|妈妈]，我今晚[加班|有饭局|不回家吃饭]，[你们|]先吃[吧|，不用等我]
        到家了吗？[到了|到了的话]回个消息[哈|]
        明天[几点|什么时候]集合？[在哪|老地方吗]？
        [晚上|周末|明天][一起|出来][吃饭|吃火锅|唱歌|打球|撸串]吗？
        我到{place}了，你[到哪了|在哪呢|还要多久]？
        [生日快乐|祝你生日快乐]！[天天开心|越来越美|心想事成]
        [好的|收到|ok|嗯嗯]，[谢谢|辛苦了|知道了]
        [记得|别忘了][带|拿][钥匙|伞|身份证|充电器]
        [爸|妈]，[这个月|]生活费收到了，[谢谢|爱你们]
        [我先|我]帮你[垫|付]了{amt_p}，[有空|回头][转我|微信转我]就行，不急
        [下雨了|降温了|外面风大]，[多穿点|记得带伞|路上慢点]
        [孩子|宝宝|儿子|闺女][发烧|感冒|咳嗽]了，我[带他|带她]去{hospital}，[晚点|一会]回
        {name}，[明天|下午]的[会|会议|培训]改到{time}了，[地点不变|还在三楼会议室]
        [车|我]在[楼下|小区门口|地铁站B口]等你
        [奶奶|姥姥|爷爷][身体|最近]怎么样？[周末|过两天][回去|过去]看看
        快递[帮我|麻烦帮我]拿一下，取件码{pickup}
        [房租|水电费|物业费]我转你了，[查收一下|看看到了没]
        [今天|这周]的[作业|报告|周报][发你邮箱了|发群里了]
        [哈哈哈|笑死]，[你看|看]群里那个视频没
        [我|我们][到|在]{city}了，[一切|都]挺好，[别担心|放心]
        [手机|电话]快没电了，[晚点|回去]再[聊|说]
        老{sur}，[上次|之前]借你的[书|伞|充电宝][还你|放你桌上了]
        [新年快乐|中秋快乐|端午安康|国庆快乐]！[祝|]全家[幸福|平安|健康]
        [帮我|麻烦]买[瓶|点][酱油|牛奶|水果|鸡蛋]回来
        [我|]换号了，这是我新号，[我是|]{name}，[存一下|备注一下]
        [面试|会议|考试]结束了，[感觉|应该][还不错|还行|一般般]
        [票|车票|机票]买好了，{date} {time}的，[到时候|]你[来接我|别忘了]
        {sur}老师[好|您好]，[孩子|我家孩子]今天[不舒服|发烧]，[请假|请个假]一天，[谢谢|麻烦您了]
        [在吗|在不在]？[有空|方便][回个电话|打给我]
        [周末|明天][一起去|去][爬山|逛街|看电影|逛公园]，[你去吗|去不去]
        [红包|钱]收到了，谢谢[舅舅|姑姑|阿姨|叔叔]
        {name}，你[上次|昨天]说的那个[餐厅|店|电影]叫啥来着
        [饭|菜]在锅里，[热一下|自己热]再吃
        [群里|班里]说{day}[交|要交]{amt_p}[班费|聚餐费]，[我先|已经]帮你交了
        [我|]{day}[回来|到家]，[大概|估计]{time}[到|左右]
        [老公|老婆]，[下班|回来][顺路|顺便][接一下孩子|买点菜]
        [别|不要]忘了{day}是妈的生日，[蛋糕|礼物]我订好了
        {name}，[你那个|那份][合同|方案][我看完了|改好了]，[有几处|几个地方][要|得][再|]确认一下
        [谢谢|感谢][你的|]帮忙，[改天|下次][请你|我请你][吃饭|喝咖啡]
        [刚|才]下飞机，[累死了|一会儿][到家|回去]给你[打电话|回电话]
        [我|]在开会，[稍后|晚点][回复|回你]
        [狗|猫][喂了吗|粮没了]，[记得|别忘]买
        [爸|妈]，[我|]这周[不回去|回不去]了，[项目|学校]有事，[下周|月底]回
        [我是|]{title}，明天[上午|下午]{time}开会，[带上|记得带][材料|报表]，[别迟到|准时到]
        [你|]微信[怎么|咋]不回？[看到|有空]回一下
        [钱|{amt_p}]我[已经|]转你[支付宝|微信]了，[收一下|你看下]
    """),
    "verification": _block("""
        【{inst}】验证码{code}，[5|10|15]分钟内有效，[请勿|切勿]泄露[给他人|]。
        【{inst}】您正在[登录|注册|修改密码|绑定手机|更换手机号]，验证码：{code}。[如非本人操作|若非本人操作]，请[忽略|忽略本短信]。
        【{inst}】{code}（{inst}验证码，[有效期5分钟|5分钟内有效]）。[工作人员不会向您索取|任何人索要都是诈骗]，请勿告知他人。
        【{inst}】[您的|你的]验证码是{code}[，请尽快输入|]。[如非本人操作，请忽略|请勿转发]。
        【{bank}】您尾号{card4}的[卡|账户]正在[进行|办理][网上支付|快捷支付|绑定]，[金额|交易金额]{num_tiny}元，验证码{code}，[请勿|切勿]告诉任何人[，包括银行工作人员|]。
        【{inst}】您的[登录|身份]校验码是{code}，[请在页面中输入|请于5分钟内完成验证]。[谨防诈骗|]
        【{inst}】验证码：{code}，用于[身份验证|账号登录|实名认证]，[请勿|不要]将验证码[告知|转发]他人[，谨防诈骗|]。
        【{inst}】您正在[使用|进行]{inst}[提现|支付]，[验证码|动态码]{code}，[如果|若]有人[索要|要求提供]验证码，都是诈骗。
        【{bank}】[动态密码|验证码]{code}，您[尾号|]{card4}[正在|]于{time}[申请|进行][网银登录|手机银行登录]，[勿泄露|请勿泄露]。
        【{inst}】{code}是您的[验证码|登录验证码][，有效期10分钟|]，[请勿泄露|勿告知他人]。
    """),
    "bank_notice": _block("""
        【{bank}】您尾号{card4}的[储蓄卡|借记卡|账户]{mmdd}{time}[消费|支出|网上支付]人民币{num_tiny}元，余额{bal}元。
        【{bank}】您账户{card4}于{mmdd}{time}收入（[工资|代发工资|奖金]）{num_m}元，可用余额{bal}元。
        【{bank}】[{name}|]您好，您尾号{card4}信用卡本期账单{num_m}元，到期还款日{mmdd}，[请按时还款|最低还款额{num_tiny}元]。
        【{bank}】您尾号{card4}卡{mmdd}{time}[转账|他行汇入]收入{num_m}元，付方{name}，[余额|账户余额]{bal}元。
        【{bank}】您的信用卡{card4}[已|]于{mmdd}[成功|]还款{num_m}元，[感谢使用|谢谢]。
        【{bank}】尊敬的客户，[我行|本行]将于{mmdd}凌晨[0|1|2]:00至[4|5|6]:00进行系统升级，期间[手机银行|网银][暂停服务|无法使用]，[敬请谅解|给您带来不便敬请谅解]。
        【{bank}】您尾号{card4}账户{mmdd}ATM取款{num_tiny}元，余额{bal}元。[如有疑问请致电|咨询]{bank_hotline}。
        【{bank}】您于{mmdd}[申请的|]{num_m}元[转账|跨行转账]已[成功|到账]，[收款人|户名]{name}。
        【{bank}】[温馨提示|提醒]：您尾号{card4}的借记卡[即将到期|将于{mmdd}到期]，请[携带身份证|本人携带有效证件]到[网点|柜台]换卡。
        【{bank}】您尾号{card4}卡{mmdd}{time}[快捷支付|财付通|支付宝]扣款{num_tiny}元，[余额|可用余额]{bal}元。
        【{bank}】您尾号{card4}向{name}转账{num_m}元，[请注意|提醒您]：[银行不会以“安全账户”名义要求转账|谨防电信网络诈骗]。
        【{bank}】您尾号{card4}账户{mmdd}[存入|现金存入]{num_m}元，余额{bal}元。[详询|客服]{bank_hotline}
        【{bank}】您[购买|申购]的[理财产品|定期存款]{num_m}元已于{mmdd}[到期|赎回]，本息已转入尾号{card4}账户。
        【{bank}】您尾号{card4}的账户于{mmdd}{time}[在|]{city}[POS|商户]消费{num_tiny}元。[非本人操作请致电|如有疑问请致电]{bank_hotline}。
    """),
    "delivery": _block("""
        【{station}】您的{courier}包裹已到{city}{place}[店|点]，请凭[取件码|提货码]{pickup}[及时|尽快]领取。
        【{courier}】您的快件{track}[正在派送|已由快递员{name}派送中]，[电话|联系电话]{phone}，[请保持电话畅通|]。
        【{courier}】您的快件已签收，签收人：[本人|门卫|快递柜]，[如有疑问|有问题]请[致电|联系]{courier_hotline}。
        【丰巢】[取件码|凭码]{code}，您的{courier}包裹已[存入|放入]{place}丰巢柜，[请于|]{hours}小时内[免费|]取件。
        【{courier}】您好，您[在|从]{plat}购买的[商品|{goods}][已发货|已揽收]，运单号{track}，[预计|]{date}送达。
        【{courier}】[您的|]快递[今日|明天]送达，[如需|若需][改约|代收]，[请|]回复[1|2]。
        【{plat}】您的订单{order}已出库，[承运商|快递]{courier}，[运单号|单号]{track}。
        【{food_app}】您的[外卖|订单]已[由骑手|]送达，[祝您用餐愉快|请及时取餐]。
        【{courier}】您的包裹[因|由于][天气原因|地址不详]延迟派送，将[于|在]{date}[再次|重新]派送，[咨询|疑问]请[致电|联系]{courier_hotline}。
        快递到了，[放门口|放快递柜|放驿站]了，[取件码|码]{pickup}[，谢谢|]
        【{courier}】您寄往{city}的快件{track}已[揽收|发出]，[运费|费用]{num_tiny}元已支付，[查询|详情]请[关注|登录]{courier}[公众号|APP]。
        【{station}】您有{n1}个包裹待取，[最晚|请于]{day}[前|]取件，[取件码|码]{pickup}。
    """),
    "marketing": _block("""
        【{plat}】{festival}大促[开启|来袭]，[全场|指定商品][满{n3}减{n}|低至5折]，[戳|点击]{lurl}[抢购|查看]，退订回T
        【{store_brand}】[亲爱的会员|尊敬的会员]，您有{n}元[优惠券|代金券][即将过期|待使用]，[有效期至|截止]{date}，[到店|线上]使用。拒收请回复R
        【{plat}】您关注的[商品|{goods}][降价了|已降价]，[快去看看|立即查看]{lurl} 退订回T
        【{store_brand}】[新店开业|周年庆]，[进店|到店]即送[礼品|饮品]，[会员|]全场[5|6|7|8|8.8]折起，[地址|]{city}{place}。回T退订
        【{airline}】[会员|]里程[即将过期|到期提醒]，[兑换|使用]请登录{airline}APP，退订回TD
        【{telco}】[流量|话费]包[限时|特惠]：{n}元{n1}0GB，[回复|发送]KT[办理|开通]，[详询|咨询]{telco_hotline}
        【{plat}】[您的|]{n}元[无门槛|新人]红包已到账，[今晚24点|{date}]过期，[快去用|速用]{lurl} 拒收请回复R
        【{store_brand}】[会员日|周三会员日]到，[积分|会员积分]翻倍，[买一送一|第二杯半价]，[回T退订|退订回T]
        【{plat}】[恭喜|]您获得{plat}[抽奖|免单]机会[一次|]，[打开|登录]{plat}APP参与，退订回T
        【{edu}】[暑期|寒假][班|课程][报名|火热报名]中，[早鸟价|限时优惠]{n4}元，[试听|咨询]{tel}，退订回T
        【{car_brand}】[试驾|到店]有礼，{festival}[购车|置换]享[补贴|优惠]{n4}元，[详询|咨询]{tel}，退订回T
        【{plat}】[您的|]{plat}会员[即将到期|已到期]，续费[享|立减]{n}元，[详情|]{lurl}，回TD退订
    """),
    "loan_ad": _block("""
        【{bank}】[尊敬的客户|{name}先生/女士]，您[已获得|有]{bank_loan}[预授信|预审批]额度最高{credit_line}，年化利率[低至|]{apr}起，[可通过|请登录]{bank}APP申请，退订回T
        【{bank}】[您的|]信用卡[可申请|获得][账单分期|现金分期][优惠|]，分[3|6|12|24]期[手续费|费率][低至|]{pct_tiny}，[回复|详询]{bank_hotline}。拒收请回复R
        【{lender}】{lender_product}[额度|借款额度][已提升至|最高可借]{credit_line}，[年化利率|利率]{apr}起，[随借随还|按日计息]，[请|谨防诈骗，请]认准官方APP，退订回T
        【{bank}】[恭喜|]您的信用卡[临时额度|固定额度]已[调整|提升]为{credit_line}，[有效期至|]{date}。[如有疑问|]请致电{bank_hotline}。
        【{bank}】[我行|]房贷利率调整[通知|提示]：[您的|]房贷利率自{date}起调整为{apr}，[详情|详见]{bank}APP。
        【{lender}】[温馨提示|]：本期[借款|账单]{num_m}元将于{date}到期，[请|]确保[绑定|还款]银行卡余额充足。[本公司|我们]不会[要求|让]您转账到[个人账户|陌生账户]。
        【{bank}】[诚邀您|邀您][办理|申请]{bank}[联名|白金]信用卡，[首年免年费|刷{n1}次免年费]，[申请|详情]请登录{lurl}，退订回T
        【{bank}】[小微企业|个体工商户]{bank_loan}，[额度|最高]{credit_line}，[线上申请|最快当天放款]，[详询|咨询][网点|客户经理]或{bank_hotline}，退订回T
        【{lender}】[尊敬的用户|您好]，您的{lender_product}[已按时还款|本期已还清]，[信用良好|感谢守约]，[额度|可用额度]已恢复。[官方客服|客服]{bank_hotline}
        【{bank}】[公积金贷款|住房贷款][政策|利率]调整，[首套|二套]房贷利率[低至|]{apr}，[欢迎|可][到|预约][网点|客户经理]咨询，退订回T
    """),
    "telco_bill": _block("""
        【{telco}】尊敬的客户，您好！[截至|截止到]{mmdd}，您本月已[使用|用]流量{gb}GB，剩余{gb2}GB，[话费余额|余额]{bal_small}元。
        【{telco}】[您的|]{month}月账单：[总费用|消费]{num_tiny}元，[详情|明细]请[登录|访问]{telco_app}。
        【{telco}】[尊敬的|]用户，您的[话费|账户]余额[已不足|低于]{n1}0元，[为避免|为了不]影响使用，请[及时|尽快]充值，[可|请]通过{telco_app}[办理|]。
        【{telco}】您已成功[办理|订购]{n}元{pkg}，[次月|立即]生效，[如需退订|退订]请回复TD{code4}。
        【{telco}】[温馨提示|提醒]：您的号码已[开通|使用]{svc_name}，[月费|]{n1}元，[查询|退订]请拨打{telco_hotline}。
        【{telco}】您的[积分|话费积分]{n4}分将于{mmdd}[清零|到期]，[可兑换|兑换]{goods_small}，[详情|]登录{telco_app}。
        【{telco}】[尊敬的客户|您好]，您已欠费{num_tiny}元[并已停机|，即将停机]，[缴费后|充值后]将自动恢复[服务|通话]。
        【{telco}】[国际|港澳台]漫游[已开通|提醒]：您已抵达{country}，[流量|数据]日包{n}元/天，[详询|咨询]{telco_hotline}。
        【{telco}】您[本次|]充值{n}元已到账，当前余额{bal_small}元，[感谢您的使用|谢谢]。
        【{telco}】您[的宽带|家庭宽带]将于{mmdd}到期，[续费|续约]请[登录|通过]{telco_app}[办理|]或拨打{telco_hotline}。
    """),
    "reminder": _block("""
        【{hospital}】{name}您好，您[预约|已预约]了{date} {time}{dept}[{sur}医生|专家]门诊，[请|]提前[15分钟|30分钟][到院|到达][取号|报到]。
        【{car_brand}4S店】[尊敬的|]车主您好，您的爱车[已到|即将到]保养[里程|时间]，[请|]提前预约，[电话|预约电话]{tel}。
        【{service_shop}】您预约的{service}[服务|]时间为{date} {time}，[如需改约|有变化]请[提前|]联系{phone}。
        【{city}车管所】您预约的[驾驶人考试|科目{n1}考试]时间为{date} {time}，请携带身份证[准时|按时]参加。
        【{bank}】[尊敬的客户|温馨提示]，您的信用卡[本期|]还款日为{mmdd}，本期应还{num_m}元，[请按时还款|如已还款请忽略]。
        【{gym}】[会员|]{name}，您{date} {time}的[私教课|团课|瑜伽课][即将开始|已预约成功]，[请准时到场|记得带毛巾]。
        [会议|面试]提醒：{date} {time}[在|于][三楼会议室|公司大会议室|{company}会议室|腾讯会议线上][召开|进行]{meeting}，[请准时参加|请携带简历]。
        【{school}】[家长您好|各位家长]，{date}[下午|上午]{time}召开家长会，[请|望]准时[出席|参加]。
        【{airline}】[尊敬的|]旅客，您[乘坐的|预订的]{date} {flight}航班[将于|]{time}起飞，[请|]提前{n1}小时到达机场办理值机。
        【{city}[政务服务|不动产]中心】您预约的{service_gov}业务[办理时间为|]{date} {time}，请携带[相关材料|身份证原件]到[{city}市民中心|区政务服务大厅|{city}政务服务中心{n1}楼]办理。
        【{hospital}】您的[体检|检查]报告已出，[可|请][登录|关注]医院公众号查询[或到|，或到]{dept}领取。
        【{lib}】[读者|]您好，您借阅的图书将于{date}到期，[请|]及时归还或续借。
        【{utility}】[尊敬的|]用户，户号{acct_no}[本期|{month}月][电费|水费|燃气费]{num_tiny}元，[缴费截止|请于]{date}[前缴纳|]，可通过{pay_channel}缴纳。
        【{airline}】[尊敬的|]旅客，[很抱歉|抱歉]，您预订的{date} {flight}航班[因天气原因|因航路管制]延误，[最新|预计]起飞时间{time}，[退改|详情]请通过{airline}官方APP或[拨打|致电]官方客服办理。
        【{city}[社区|居委会]】[各位居民|居民朋友]，{date} {time}[小区|本楼][停水|停电][检修|维护]，[请|]提前做好准备。
    """),
    "gov_notice": _block("""
        【国家反诈中心】[刷单返利|刷单]都是诈骗！[凡是|]让你[垫付|先交钱]的[兼职|刷单]都是诈骗，[请勿|切勿]轻信。[如遇可疑情况|遇到可疑]请拨打96110。
        【{city}公安】[温馨提示|反诈提醒]：公检法机关不会通过电话[办案|要求转账]，[更没有|不存在]“安全账户”，[接到此类电话|]请立即挂断。
        【{city}反诈中心】您[可能|]接到了[诈骗|涉诈]电话，[请|]提高警惕，[不要|切勿]转账汇款，[有疑问|如有疑问]请拨打96110[咨询|]。
        【工业和信息化部】[提醒您|]：[不要|请勿]轻信陌生[链接|来电]，[投资理财|贷款]请[认准|选择]正规[机构|渠道]，[谨防|防范][电信网络诈骗|诈骗]。
        【{city}人社局】[您的|]{month}月[养老金|社保待遇]已[发放|到账]，[请|可]通过{gurl}[查询|]。[人社部门|我们]不会[通过短信|]要求您[提供验证码|转账]。
        【交管12123】您[的|名下]车辆{plate}于{mmdd}在{city}{road}[违法停车|超速行驶|未按规定让行]，[请|]及时[处理|通过交管12123APP处理]。
        【{city}气象台】{city}气象台{mmdd}{time}发布{weather}{color}预警[信号|]，[请|]注意防范。
        【{city}医保局】[温馨提示|]：[{year}年度|新一年度]城乡居民医保[集中缴费|缴费]已[开始|启动]，[截至|截止]{date}，[可|请]通过{pay_channel}或税务APP缴纳。[医保部门|我们]不会[发送链接|要求转账]。
        【{city}税务】[您好|尊敬的纳税人]，{year}年度个人所得税综合所得汇算[已开始|开始办理]，请[通过|使用]“个人所得税”APP[办理|]，[谨防|警惕]虚假退税[链接|短信]。
        【12345】您反映的{issue}问题已[转交|交由]{dept_gov}[办理|处理]，[工单号|编号]{code}，[请|]留意后续回复。
        【{city}疾控】[近期|]{disease}[进入|处于]高发期，[请|]注意[个人卫生|防护]，[如有|出现][发热|症状][及时|尽快]就医。
        【国家反诈中心】[请|]注意：[网络|网上][贷款|投资理财][要求先交钱|有“内幕消息”]的都是诈骗！[下载|安装]国家反诈中心APP，[开启|]来电预警。
        【{city}公安】[您好，|]近期[冒充客服退款|冒充领导熟人|冒充快递理赔|虚假征信]诈骗高发，[对方|凡是]让你[下载|共享屏幕|开会议软件]的都是诈骗，[请|]提高警惕。
        【{city}公安反诈】您[刚刚|刚才][接听的|接到的]{phone_intl}[是|为][涉诈|疑似诈骗]电话，[请|]勿[相信|转账]，[如已转账|已被骗]请[立即|]拨打110。
        【{city}公安】[网络|网上]交友[带你|诱导]投资[赌博|理财]的，都是“杀猪盘”！[不听|不信|不转账]，[谨防|防范]上当。
        【国家反诈中心】[中奖|补贴|退税]短信里的[链接|网址][不要点|别点]！[医保|社保|ETC][异常|失效]请到[官方渠道|政务平台]核实。
        【{city}消防】[冬季|夏季]用电用气[高峰|高发期]，[请|]注意[安全|防火]，[发现火情|如遇火情]请拨打119。
    """),
}
NORMAL_SMS_KINDS: tuple[str, ...] = tuple(_NORMAL_TEMPLATES)


def _normal_noise(text: str, ctx: _Ctx, kind: str) -> str:
    r = ctx.r
    if kind == "personal":
        x = r.u()
        if x < 0.25 and text[-1] in "。！？":
            text = text[:-1]
        elif x < 0.35:
            text += r.pick(("~", "哈", "！", "。", "～", "哈哈"))
        if r.chance(0.15):
            text = text.replace("，", r.pick((" ", ",", "，")))
        return text
    if text.startswith("【") and r.chance(0.15):
        end = text.find("】")
        text = text[end + 1 :] + text[: end + 1]
    if r.chance(0.05):
        text = text.translate(_HALF_PUNCT)
    if r.chance(0.03):
        text = _outside(text, ctx.vals.get("lurl"), lambda s: s.translate(_FULL_WIDTH))
    return text


def normal_sms(kind: str, rng: np.random.Generator, n: int) -> list[str]:
    """`n` ordinary SMS of one kind (see NORMAL_SMS_KINDS): the hard negatives for fraud models."""
    templates = _NORMAL_TEMPLATES.get(kind)
    if templates is None:
        raise ValueError(f"unknown SMS kind {kind!r}; expected one of {NORMAL_SMS_KINDS}")
    if n < 0:
        raise ValueError("n must be non-negative")
    r = _Rand(rng, _buffer_size(n))
    out: list[str] = []
    for _ in range(n):
        ctx = _Ctx(r, None)
        out.append(_normal_noise(_render(r.pick(templates), ctx), ctx, kind))
    return out


# --------------------------------------------------------------------------- reports to police

_NARRATIVES: dict[FraudType | None, tuple[_Seq, ...]] = {
    FraudType.REBATE: _block("""
        {when}我[在抖音上|在QQ群里|在微信群里|在小红书上|在快手上]看到[兼职|刷单|点赞]广告，对方让我下载了{app_fake}做任务，[前几单|开始]返了[几十块|{small_yuan}]佣金，后来说要[做联单|完成组合任务]才能提现，我[陆续|先后]转了{amount}，[客服|对方][就把我拉黑了|再也联系不上了]。
        我是[一名|]{job}，想[找份|找个]兼职，[在网上|通过朋友圈]加了一个叫“{fname}”的[导师|客服]，她让我给商家刷单[垫付|付款]，[说好|承诺]每单返{pct}佣金。头两单确实返了，后面以[操作失误|卡单]为由让我[继续|一直]充值，[一共|共计]被骗{amount}。
        [有人|一个陌生人]拉我进了一个“[点赞|关注]赚钱”群，[群里|里面]很多人晒收益截图，我跟着做了几个任务，然后被[引导|拉]到{app_fake}里做[高额任务|垫付任务]，[最后|结果]提现不了，[损失|被骗]{amount}。
        {when}收到一条[兼职|招聘]短信，说在家动动手指[日赚|一天能赚]几百，我加了对方微信，[对方|他们]让我[给电影打分|帮网店刷销量]，先返了我[一点|小额]佣金，后面[说|称][账户冻结|操作失误]要[充值|交钱]解冻，我前后转了{amount}。
        我[在家带孩子|在宿舍]想赚点零花钱，看到[网上|群里][招|说][刷单|做任务]返利，按对方要求在{app_fake}上[垫钱|充值]买东西，每次都说还差一单才能[一起|全部]返还，[不知不觉|最后]转了{amount}，才发现是骗局。
    """),
    FraudType.INVESTMENT: _block("""
        {when}，一个自称[证券公司|投资顾问]的人把我拉进[股票交流群|炒股群]，群里“{sur}老师”天天[荐股|讲课]，后来推荐我在{fplat}[APP|平台][打新股|买原始股]。我[陆续|分几次|分三次]投入{amount}，账面显示盈利[很多|不少]，提现时[说要|被要求]交[税|保证金]，我才发现被骗了。
        我在[抖音|网上]看到[炒股|理财]直播，加了[助理|客服]的微信，被拉到一个[投资|学习]群，按照[老师|导师]指导下载了{app_fake}，[先是|开始]小赚了几百，后来[加大投入|追加资金]，[总共|一共]转入{amount}，现在[APP打不开|平台登不上]了。
        {when}，有人[打电话|加我微信][推荐|介绍][数字货币|虚拟币|外汇]投资，说[有|是][内部|量化]渠道稳赚不赔，我在{fplat}注册后往对方给的[银行卡|账户]转了{amount}，[后来|现在]想提现[提不出来|说要交解冻费]，才知道被骗了。
        我被[朋友|一个网友]拉进一个[理财|投资]群，群里说{fplat}是[国家背书|正规平台]的[养老|扶贫]项目，年化{pct}，我[先后|前后]投了{amount}，[上个月|最近]平台突然无法提现，群也解散了。
        {when}，[一个|有个]自称{fplat}客户经理的人[联系我|打电话给我]，说可以帮我[把之前亏的钱|把炒股亏的钱][追回来|回本]，让我[下载|注册]{app_fake}[跟单|操作]，我[分几次|陆续]转了{amount}，[最后|后来][对方|客服]失联了。
    """),
    FraudType.LOAN: _block("""
        {when}我[急需用钱|资金周转困难]，在网上[看到|搜到]{lapp}的[广告|链接]，[下载后|注册后]申请了{amt_l}贷款，[客服|对方]说我[银行卡号填错|流水不足]，要[交|缴纳][解冻金|保证金]才能放款，我[前后|陆续]转了{amount}，[贷款|钱]一分没拿到。
        我[接到|收到]一个[电话|短信]说可以[无抵押|不看征信]贷款，[对方|客服]让我下载{app_fake}，先收[会员费|工本费]，又说要[刷流水|证明还款能力]，我[一共|总共]转了{amount}，[然后|最后]对方就[失联|把我拉黑]了。
        我征信不太好，通过微信联系到一个[说能|声称可以]贷款的“{sur}经理”，他说交[保证金|手续费]后就能[放款|下款]{amt_l}，我[按要求|照他说的]转了{amount}，之后他[又要|还要]收各种费用，我才[意识到|发现]被骗。
        {when}，我在{lapp}[上|里]申请贷款，[页面|APP]显示[审核通过|已放款]但[资金被冻结|提现失败]，[客服|对方]说我[填错了信息|操作有误]，要先[转|交]{amount}[解冻|验证]，转完后[还是|依旧]提不出来。
        我是[个体户|做小生意的]，[店里|生意上]急需周转，[有人|一个陌生号码]打电话说能办[低息|大额]贷款，让我交[公证费|保险费]和[保证金|验资款]，我[分两次|分三次|分好几次|前后]转了{amount}，贷款[始终|一直]没下来。
    """),
    FraudType.SHOPPING: _block("""
        我在[朋友圈|闲鱼|小红书|二手群]看到有人[低价|便宜][出|卖]{goods}，[对方|卖家]说走平台要手续费，让我[直接|私下]微信转账，我转了{amount}，[对方|他]就[把我拉黑了|再也不回消息]。
        {when}，我[在|通过]一个[网页|链接]买{goods}，[付款后|付完款][对方|客服]说[订单异常|没付成功]，[让我|要求]重新[支付|付款]，我[前后|一共]付了{amount}，东西[一直没收到|至今没发]。
        我[想买|在找][演唱会门票|飞天茅台|宠物猫]，[网上|群里]一个[卖家|人]说有[内部|低价]货源，先让我[付定金|交运费]，又以[检疫费|保证金|保险费]为由[要钱|让我转钱]，总共转了{amount}，东西没收到。
        {when}我在{shop_fake}[下单|买了]{goods}，价格比[官网|别处]便宜[很多|一半]，[付款|转账]{amount}后[网站|店铺][打不开|关了]，[客服|联系方式]也[找不到|没人回]了。
        [直播间|短视频]里[主播|卖家]说{goods}只要{amt_s}，[引导|让]我[加微信|扫码]付款，后来又说要[补差价|交关税]，我前后[转|付]了{amount}，[对方|卖家][失联|联系不上]了。
    """),
    FraudType.CUSTOMER_SERVICE: _block("""
        {when}我接到一个自称{plat}客服的电话，说我买的{goods}[有质量问题|被召回]要给我[理赔|退款]，[让我|叫我]下载{remote_app}[共享屏幕|开会议]，[按他的指示|在他指导下]操作[手机银行|支付宝]，[结果|最后]被转走{amount}。
        [有人|一个陌生号码]打电话说我开通了{plat}的[会员|百万保障]服务，以后每个月要扣费，[不取消|如果不关闭]会影响征信。我[很着急|怕影响征信]，按对方要求从[借呗|网贷|信用卡]里[贷出|取出]钱转到[指定账户|对方账户]，[共|一共]{amount}。
        {when}，[一个|有个][自称|说是]{courier}[理赔专员|客服]的人说我的快递[丢了|破损]，要[三倍|双倍]理赔，[让我|叫我]扫码[进入|填写]理赔页面，[填了|输入]银行卡和验证码后，卡里[被扣|少了]{amount}。
        我[接到|收到][电话|短信]说我的[抖音|快手|直播]账号[误开通了|被开通了][代理|商家]权限，[每月|每年]要扣钱，[对方|客服]让我[下载|打开]{remote_app}[共享屏幕|按提示操作]，[一步步|一步一步]把钱转到[所谓的|他们说的][安全账户|验证账户]，[损失|一共]{amount}。
        [一个|]自称{plat}售后的人[加我|打电话]说我的订单[重复扣款|出了问题]，要退钱给我，让我[在|用]{bank}APP[操作|验证]，我把收到的验证码[告诉了他|发了过去]，随后账户[被转走|少了]{amount}。
    """),
    FraudType.CREDIT: _block("""
        {when}，我接到[电话|陌生电话]说我大学时[开通过|注册过]校园贷，现在要[注销|清空]，[不然|否则]会影响征信，[对方|他]让我把各个[网贷|借款]平台的[钱|额度][借出来|贷出来]转到[指定账户|他们的账户][验证|核验]，[一共|共]转了{amount}。
        [一个|有个]自称{regulator}工作人员的人说我的征信[有问题|有不良记录]，可以帮我[修复|消除]，先让我[交|付][服务费|保证金]，后来又让我[贷款|把额度提出来][刷流水|证明资质]，[总共|一共]损失{amount}。
        [对方|他][打电话|加我QQ]说我的[金条|借呗|白条]账户[违规|异常]，要[清零|注销]，[否则|不然]征信[会受影响|上黑名单]，我[很害怕|担心影响买房]，按他说的[下载|安装]了{app_fake}[操作|验证]，[陆续|前后]转了{amount}。
        我想[修复|洗白]征信好贷款买房，在网上找到一家[征信修复|信用优化]公司，[对方|客服]说先付{amt_s}[定金|服务费]，后来又[以各种理由|说要打点关系]收费，[一共|总共][给了|转了]{amount}，征信[一点没变|根本没修复]。
        {when}我[收到|接到]一个[电话|短信]说我的[学生身份|学生账户]没有[注销|解除]，名下[还有|仍有][网贷|校园贷]额度，让我配合[注销|关闭]。[对方|他][共享屏幕|开会议][指导|教]我[贷款|借钱]后转到[安全账户|指定账户]，损失{amount}。
    """),
    FraudType.BOSS: _block("""
        {when}，我[收到|QQ上收到]一个好友申请，头像和名字都是我们{title}，通过后他说有笔款要[急着|马上]转给合作方，让我先[从公司账户|用公司的钱]转{amount}到一个账户，后来[打电话|当面]问了领导本人才知道被骗了。
        [有人|一个陌生号码][加我微信|发短信]说是我的[老同学|老领导|亲戚]{name}，[换了|用了]新号，过了几天说[出了急事|住院了|被扣了]要[借钱|用钱]，我没多想就转了{amount}，后来联系本人才发现被骗。
        我在公司做[财务|出纳]，{when}被拉进一个[工作群|新建的群]，群里“[老板|{title}]”让我给一个[客户|合作方]账户[付款|转账]，说合同已经签了，我[按要求|照做]转了{amount}，[后来|事后]核实群里的人都是假的。
        我收到短信[说|自称]是我[儿子|孩子|女儿]的班主任，让我扫码进[家长群|班级群]交[资料费|培训费]，群里[“老师”|老师]发了收款码，我[付了|交了]{amount}，第二天[问了|联系了][学校|老师本人]才知道被骗了。
        {when}我接到一个电话，对方[声音|语气]很像[我外甥|我侄子|我表弟]，说[在外地|在外面][出了车祸|被抓了]急需用钱，[不让|让我别]告诉家里，我[分两次|先后]给他[指定的|说的]账户转了{amount}。
    """),
    FraudType.POLICE: _block("""
        {when}，我接到一个自称{city}公安局[民警|警官]的电话，说我的[身份证|银行卡]涉嫌[洗钱|一起诈骗案]，需要对我的资金进行[清查|核查]，让我下载{remote_app}[开视频做笔录|做视频笔录|共享屏幕]，又让我把钱转到[“安全账户”|指定账户]，[前后|一共]转了{amount}。
        [一个|有个]男的打电话[说是|自称]{courier}的，说我的包裹里有[违禁品|他人银行卡]，随后把电话[转给|转接到]“{city}公安”，[对方|警察]说我涉嫌[犯罪|洗钱]，要我保密，让我把[存款|积蓄][转到|存入][国家安全账户|监管账户]，我转了{amount}。
        {when}我[收到|接到][法院|检察院]的[短信|电话]，说我有[传票|诉讼]，[点开|打开][链接|网站]看到我的[通缉令|逮捕令]，[吓坏了|很害怕]，按“[检察官|警官]”的要求把钱[转入|存到][审查账户|指定账户]，共{amount}。
        对方自称{city}[医保局|社保局]的，说我的医保卡在外地有[违规|异常]使用，然后[转给|转接]“[警察|公安]”，说我涉嫌[骗保|洗钱]，要我配合[调查|资金审查]，我按他们说的转了{amount}。
        {when}，一个自称[网警|公安]的人[视频|打电话]给我，[穿着|身穿]警服，[出示|给我看了][警官证|逮捕令]，说我卷入一起[洗钱|诈骗]案件，要我[证明清白|自证清白]，我把[银行|几张卡]里的钱转到他给的账户，[共计|一共]{amount}。
    """),
    FraudType.ROMANCE: _block("""
        我在{dating_app}上认识了一个[叫|自称]“{fname}”的人，聊了[一个多月|几周]后[确定了|发展成]恋爱关系，对方说舅舅在{fplat}[做数据分析|有内幕]，带我投资，[开始|前期][赚了一点|小赚了几次]，后来[越投越多|不断加仓]，[总共|一共]投了{amount}，平台[不让|无法]提现。
        {when}，[一个|]网友[加我微信|在游戏里认识我]，[天天|每天][嘘寒问暖|叫我老公|叫我老婆]，后来说[家里|妈妈][生病|住院]急需用钱，我[陆续|先后]给对方转了{amount}，之后就被拉黑了。
        我[在|通过][婚恋网站|交友软件|{dating_app}]认识一个[自称|说是][海外|迪拜]工作的人，说要寄[礼物|包裹]给我，随后有“[快递|海关]”[联系我|打电话]要我[交|付][关税|清关费]，我前后转了{amount}。
        {when}在[网上|{dating_app}]认识了“{fname}”，[聊了|相处了][很久|几个月]，对方说{fplat}[有漏洞|能稳赚]，[让我|带我][充值|下注]，第一次提现成功了，后来说要[交保证金|缴税]才能[提现|出金]，我又陆续转了{amount}，钱一直没到账。
        我在[交友|婚恋]平台[充值|开会员]想找对象，[平台|客服]说有[女士|女生]想见我，但要先充值[解锁|升级]，我[陆续|前后]充了{amount}，[从来没|一直没]见到人。
    """),
    FraudType.GAME: _block("""
        我在{game}[里|的世界频道]看到有人[低价|便宜][出售|卖]{gitem}，[对方|卖家]让我到{trade_plat}交易，付款后[说|显示]我的[账户|钱包][被冻结|未激活]，要[交|充]保证金才能[解冻|退款]，[前后|一共]转了{amount}。
        {when}，我[想卖|挂卖]自己的{game}账号，[有个|一个]买家让去{trade_plat}[交易|成交]，随后“[客服|平台客服]”说我[的银行卡号|填的信息][有误|填错了]，要[交钱|转钱][解冻|激活]，我转了{amount}。
        [我孩子|我儿子|我女儿]在玩{game}时[看到|被引到]免费领{gitem}的[广告|活动]，[加了|扫了]对方的[QQ|二维码]，被诱导[用我的手机|拿我手机][扫码|转账]，[前后|一共][被转走|转出去]{amount}。
        {when}我[找人|在网上][代练|代充]{game}，对方先收了[定金|一半钱]，又说要[押金|保证金][才能|以防]上号，我[陆续|一共]转了{amount}，对方就把我[删了|拉黑了]。
        我在[网上|群里]买了一个{game}账号，[转账|付款]{amount}给卖家，账号到手[没两天|几天后]就被[找回|申诉找回]了，卖家也联系不上了。
    """),
    FraudType.OTHER: _block("""
        {when}我收到一条短信说我的[医保卡|ETC|社保卡][异常|认证失效]，点开链接[填了|输入了][身份证|银行卡号]和验证码，[没多久|随后]卡里被[转走|扣了]{amount}。
        一个自称[航空公司|{airline}]客服的人打电话说我订的航班[取消了|因故取消]，要帮我[退票|改签]并[补偿|赔偿]，让我[打开|登录]手机银行[按提示操作|输入验证码]，[结果|最后][被转走|损失]{amount}。
        {when}，我收到[短信|电话]说我家[电费|燃气费]欠费了[要|今天就][停电|停气]，按链接[缴费|付款]后，又说要[验证|激活]，[前后|一共][被扣|转了]{amount}。
        我在[网上|短视频]看到[点赞|关注][赚钱|日结]的[活动|广告]，前几次确实[拿到|收到]了[几块|小额]钱，后来被拉进群[做|接][“垫付任务”|高佣任务]，[结果|最后]转了{amount}[拿不回来|提现不了]。
        {when}我[收到|接到]说我[中奖|抽中二等奖]的短信，要先[交|缴纳][个人所得税|手续费|保证金]才能领奖，我转了{amount}后[奖品|奖金]一直没[收到|到账]。
        [有人|一个陌生号码][打电话|发短信]说我可以领{subsidy}补贴，让我[下载|打开]{app_fake}[填写|登记]信息，后来又说要[转账|交钱][验证|激活][银行卡|账户]，[共|一共]损失{amount}。
    """),
    None: _block("""
        我在网上被人骗了{amount}，对方[一开始|开始]说得很好，后来就[联系不上|不回消息]了，具体[是什么|算哪种]骗局我也说不清，[聊天记录|转账记录]都还在。
        我{when}[通过|用][微信|支付宝|银行卡]给一个[陌生人|网友]转了{amount}，当时对方说[会|马上][还我|退给我]，[到现在|现在]一直没[消息|动静]，我怀疑被骗了。
        [我朋友|我同事|我邻居]{name}[向我借了|借了我]{amount}，[说好|约定]{date}还，[现在|到现在]一直[不还|拖着]，[电话也不接|还把我拉黑了]，我想问这种情况算不算诈骗。
        {when}我的银行卡[莫名其妙|突然][少了|被扣了]{amount}，我[没有|不记得][转过账|点过链接]，也没[告诉过|给过]别人验证码，不知道怎么回事。
        我{when}[跟|和]一个[网友|熟人][合伙|合作][做生意|搞项目]，[先后|前后][投了|给了]{amount}，现在对方说[亏了|赔了]不还钱，我觉得[不对劲|被骗了]。
    """),
}
_OPENERS = _block("""
    [警察同志|民警同志|您好]，我[要|想]报案。
    我叫{name}，[今年{age}岁|住在{city}]，
    我要报[个|]案，
    [你好|您好]，我被骗了，
""")
_CLOSINGS = _block("""
    [希望|请][警察|你们][帮我|帮忙][追回损失|把钱追回来]。
    对方的收款账户是{bank}的，[转账记录|聊天记录]我都[截图|保存]了。
    现在对方[电话打不通|已经把我拉黑了]。
    我现在很[着急|后悔]，这是我[全部的积蓄|借来的钱]。
    [转账记录|聊天截图]我都带来了。
""")


def _yuan(amount_fen: int) -> str:
    """An amount in fen written in yuan: 500000 -> '5000元', 123456 -> '1234.56元'."""
    if amount_fen % 100 == 0:
        return f"{amount_fen // 100}元"
    return f"{amount_fen / 100:.2f}元"


def report_narrative(
    fraud_type: FraudType | None,
    amount_fen: int,
    rng: np.random.Generator,
    contact_ts: int | None = None,
) -> str:
    """A victim's first-person report to police (50-200 characters) that states the amount in yuan.

    `None` gives a vague or non-fraud account (an unclear loss, an unpaid private loan, a business dispute).
    With `contact_ts` (ms UTC), the dates the victim mentions are the day the fraud began.
    """
    if amount_fen < 0:
        raise ValueError("amount_fen must be non-negative")
    r = _Rand(rng, 256)
    bodies = _NARRATIVES[fraud_type]
    text = ""
    day = None
    if contact_ts is not None:
        day = np.datetime64(contact_ts + LOCAL_OFFSET_MS, "ms").astype("datetime64[D]").item()
    for _ in range(16):
        ctx = _Ctx(r, fraud_type)
        ctx.vals["amount"] = _yuan(amount_fen)
        if day is not None:
            ctx.vals["date"] = ctx.vals["when"] = f"{day.month}月{day.day}日"
            ctx.vals["mmdd"] = f"{day.month:02d}月{day.day:02d}日"
        body = _render(r.pick(bodies), ctx)
        opener = _render(r.pick(_OPENERS), ctx) if r.chance(0.5) else ""
        closing = _render(r.pick(_CLOSINGS), ctx) if r.chance(0.6) else ""
        for text in (opener + body + closing, opener + body, body + closing, body):
            if 50 <= len(text) <= 200:
                return text
    return text


# --------------------------------------------------------------------------- domains, apps


def fraud_domain(fraud_type: FraudType, rng: np.random.Generator) -> str:
    """A random-looking fraud domain for the type, e.g. 'hx-licai88.top' (never a LEGIT_DOMAINS entry)."""
    return _fraud_domain(_Rand(rng, 32), fraud_type)


_P = "android.permission."
_BASE_PERMS = _words(
    "INTERNET ACCESS_NETWORK_STATE ACCESS_WIFI_STATE WAKE_LOCK POST_NOTIFICATIONS VIBRATE RECEIVE_BOOT_COMPLETED FOREGROUND_SERVICE"
)
_PROFILES: dict[str, tuple[tuple[str, float], ...]] = {
    "remote": (
        ("FOREGROUND_SERVICE_MEDIA_PROJECTION", 1.0),
        ("SYSTEM_ALERT_WINDOW", 0.9),
        ("BIND_ACCESSIBILITY_SERVICE", 0.8),
        ("RECORD_AUDIO", 0.8),
        ("CAMERA", 0.6),
        ("READ_PHONE_STATE", 0.5),
        ("BLUETOOTH_CONNECT", 0.4),
        ("READ_MEDIA_IMAGES", 0.4),
        ("REQUEST_IGNORE_BATTERY_OPTIMIZATIONS", 0.5),
        ("QUERY_ALL_PACKAGES", 0.4),
        ("READ_CONTACTS", 0.3),
    ),
    "fraud": (
        ("READ_SMS", 0.7),
        ("RECEIVE_SMS", 0.6),
        ("SEND_SMS", 0.3),
        ("READ_CONTACTS", 0.8),
        ("READ_CALL_LOG", 0.5),
        ("READ_PHONE_STATE", 0.9),
        ("REQUEST_INSTALL_PACKAGES", 0.6),
        ("SYSTEM_ALERT_WINDOW", 0.6),
        ("BIND_ACCESSIBILITY_SERVICE", 0.3),
        ("FOREGROUND_SERVICE_MEDIA_PROJECTION", 0.15),
        ("QUERY_ALL_PACKAGES", 0.5),
        ("ACCESS_FINE_LOCATION", 0.6),
        ("CAMERA", 0.6),
        ("RECORD_AUDIO", 0.4),
        ("READ_EXTERNAL_STORAGE", 0.6),
        ("WRITE_EXTERNAL_STORAGE", 0.5),
        ("REQUEST_IGNORE_BATTERY_OPTIMIZATIONS", 0.4),
    ),
    "bank": (
        ("CAMERA", 0.9),
        ("USE_BIOMETRIC", 0.95),
        ("ACCESS_FINE_LOCATION", 0.6),
        ("READ_PHONE_STATE", 0.7),
        ("NFC", 0.4),
        ("READ_CONTACTS", 0.3),
        ("RECEIVE_SMS", 0.15),
        ("CALL_PHONE", 0.3),
        ("READ_MEDIA_IMAGES", 0.4),
    ),
    "social": (
        ("CAMERA", 0.95),
        ("RECORD_AUDIO", 0.95),
        ("READ_CONTACTS", 0.8),
        ("ACCESS_FINE_LOCATION", 0.8),
        ("SYSTEM_ALERT_WINDOW", 0.5),
        ("READ_MEDIA_IMAGES", 0.9),
        ("READ_MEDIA_VIDEO", 0.8),
        ("BLUETOOTH_CONNECT", 0.5),
        ("FOREGROUND_SERVICE_MEDIA_PROJECTION", 0.3),
        ("CALL_PHONE", 0.3),
        ("READ_PHONE_STATE", 0.5),
        ("USE_BIOMETRIC", 0.6),
    ),
    "shopping": (
        ("CAMERA", 0.8),
        ("ACCESS_FINE_LOCATION", 0.7),
        ("ACCESS_COARSE_LOCATION", 0.7),
        ("READ_MEDIA_IMAGES", 0.7),
        ("USE_BIOMETRIC", 0.4),
        ("READ_PHONE_STATE", 0.5),
        ("RECORD_AUDIO", 0.3),
        ("CALL_PHONE", 0.3),
    ),
    "media": (
        ("READ_MEDIA_IMAGES", 0.6),
        ("READ_MEDIA_VIDEO", 0.6),
        ("READ_MEDIA_AUDIO", 0.5),
        ("CAMERA", 0.6),
        ("RECORD_AUDIO", 0.6),
        ("SYSTEM_ALERT_WINDOW", 0.4),
        ("ACCESS_COARSE_LOCATION", 0.5),
        ("READ_PHONE_STATE", 0.4),
    ),
    "map": (
        ("ACCESS_FINE_LOCATION", 1.0),
        ("ACCESS_COARSE_LOCATION", 1.0),
        ("ACCESS_BACKGROUND_LOCATION", 0.5),
        ("CAMERA", 0.4),
        ("RECORD_AUDIO", 0.5),
        ("SYSTEM_ALERT_WINDOW", 0.3),
        ("CALL_PHONE", 0.5),
        ("READ_PHONE_STATE", 0.4),
    ),
    "game": (
        ("RECORD_AUDIO", 0.5),
        ("READ_PHONE_STATE", 0.5),
        ("ACCESS_COARSE_LOCATION", 0.3),
        ("READ_MEDIA_IMAGES", 0.3),
    ),
    "gov": (
        ("CAMERA", 0.9),
        ("READ_PHONE_STATE", 0.6),
        ("ACCESS_FINE_LOCATION", 0.5),
        ("USE_BIOMETRIC", 0.5),
        ("READ_MEDIA_IMAGES", 0.5),
    ),
    "antifraud": (
        ("READ_SMS", 0.8),
        ("READ_CALL_LOG", 0.8),
        ("READ_PHONE_STATE", 0.9),
        ("QUERY_ALL_PACKAGES", 0.8),
        ("READ_CONTACTS", 0.5),
        ("CAMERA", 0.7),
        ("ACCESS_FINE_LOCATION", 0.4),
    ),
    "generic": (
        ("CAMERA", 0.5),
        ("ACCESS_FINE_LOCATION", 0.4),
        ("ACCESS_COARSE_LOCATION", 0.4),
        ("RECORD_AUDIO", 0.3),
        ("READ_PHONE_STATE", 0.4),
        ("READ_CONTACTS", 0.15),
        ("READ_MEDIA_IMAGES", 0.5),
        ("SYSTEM_ALERT_WINDOW", 0.15),
    ),
}
_SCREEN_PERMS = (
    ("FOREGROUND_SERVICE_MEDIA_PROJECTION", 0.6),
    ("BIND_ACCESSIBILITY_SERVICE", 0.5),
    ("SYSTEM_ALERT_WINDOW", 0.6),
)
_REMOTE_IDS = frozenset(a for a, _ in REMOTE_APPS)
_LEGIT_PROFILE = {a: p for a, _, p in _LEGIT_APPS}
_FRAUD_APP_TYPE = {a: ft for ft, apps in FRAUD_APPS.items() for a, _ in apps}


def app_permissions(app_id: str, rng: np.random.Generator) -> list[str]:
    """Android permissions an app requests, by what it is (remote-control apps include screen capture)."""
    r = _Rand(rng, 64)
    extra: tuple[tuple[str, float], ...] = ()
    if app_id in _REMOTE_IDS:
        profile = "remote"
    elif app_id in _FRAUD_APP_TYPE:
        profile = "fraud"
        if _FRAUD_APP_TYPE[app_id] in (
            FraudType.POLICE,
            FraudType.CUSTOMER_SERVICE,
            FraudType.CREDIT,
        ):
            extra = _SCREEN_PERMS
    else:
        profile = _LEGIT_PROFILE.get(app_id, "generic")
    perms = [_P + p for p in _BASE_PERMS if r.chance(0.9) or p == "INTERNET"]
    for p, prob in _PROFILES[profile] + extra:
        name = _P + p
        if name not in perms and r.chance(prob):
            perms.append(name)
    return perms


# --------------------------------------------------------------------------- merchants, companies

MERCHANT_CATEGORIES: tuple[str, ...] = _words(
    "便利店 餐饮 超市 服装 电子产品 药店 加油站 教育培训 水电燃气 生鲜 美容美发 酒店"
)
_AREAS = _words(
    "人民路 中山路 解放路 建设路 滨江 高新区 开发区 万达 火车站 大学城 新城 东门 西湖 龙华 江北 南山 城南 东区"
)
_SHOP_WORDS = _words(
    "佳和 好邻居 惠民 百家 鑫源 乐购 永兴 福满 金鼎 红旗 家家乐 诚信 阳光 美佳 兴隆 万家福 隆鑫"
)
_SLOTS["m_area"] = _pick_fn(_AREAS)
_SLOTS["m_word"] = _pick_fn(_SHOP_WORDS)
_MERCHANT_T: dict[str, tuple[_Seq, ...]] = {
    "便利店": _block("""
        [美宜佳|罗森|全家|便利蜂|7-Eleven|好德|快客|易捷|天福|见福]便利店（{m_area}店）
        {m_word}便利店
        {sur}记便利店
        {m_area}{m_word}便民超市
    """),
    "餐饮": _block("""
        {sur}记[牛肉面|麻辣烫|煲仔饭|烧烤|馄饨|饺子馆|砂锅粥]
        [沙县小吃|兰州拉面|黄焖鸡米饭|杨国福麻辣烫|张亮麻辣烫|重庆小面|老乡鸡]（{m_area}店）
        {m_word}[川菜馆|湘菜馆|火锅|大排档|酒家|茶餐厅|小馆]
        [肯德基|麦当劳|瑞幸咖啡|星巴克|蜜雪冰城|喜茶|海底捞|华莱士]（{m_area}店）
        {m_area}{sur}家[私房菜|土菜馆|早餐店]
    """),
    "超市": _block("""
        [永辉超市|华润万家|物美|联华超市|沃尔玛|大润发|家乐福|盒马鲜生|步步高|世纪联华]（{m_area}店）
        {m_word}[生活超市|购物广场|量贩超市]
        {m_area}{m_word}超市
    """),
    "服装": _block("""
        {m_word}服饰
        [优衣库|ZARA|太平鸟|海澜之家|森马|李宁|安踏|波司登]（{m_area}店）
        {fname}[女装|时装店|精品服饰]
        {m_area}{m_word}[鞋业|童装|男装]
    """),
    "电子产品": _block("""
        {m_word}数码
        {m_area}{m_word}手机[通讯|卖场|维修]
        [华为授权体验店|小米之家|苏宁易购|国美电器|OPPO专卖店|vivo专卖店]（{m_area}店）
        {m_word}电脑[科技|商行]
    """),
    "药店": _block("""
        [老百姓大药房|益丰大药房|大参林|国大药房|一心堂|海王星辰|漱玉平民]（{m_area}店）
        {m_area}{m_word}大药房
        {m_word}[医药连锁|药店]
    """),
    "加油站": _block("""
        中国石化{m_area}加油站
        中国石油{m_area}加油站
        [中海油|壳牌|延长壳牌]{m_area}加油站
        {m_word}加油站
    """),
    "教育培训": _block("""
        {m_word}教育
        {m_word}[英语|美术|舞蹈|钢琴|编程|书法]培训中心
        [新东方|学而思|好未来|巨人教育|中公教育]（{m_area}校区）
        {m_area}{m_word}驾校
    """),
    "生鲜": _block("""
        {m_word}[生鲜|果蔬|水果店]
        {sur}记[水果|鲜肉铺|海鲜档|蔬菜店]
        [钱大妈|百果园|叮咚买菜前置仓|朴朴超市|鲜丰水果]（{m_area}店）
        {m_area}[农贸市场|菜市场]{sur}[姐|哥]鲜果
    """),
    "美容美发": _block("""
        {m_word}[美发|发型设计|造型]
        {fname}[美甲|美容院|美睫工作室|皮肤管理]
        {m_area}{m_word}[理发店|美容美发|养生馆]
        [永琪美容美发|文峰美容|丝域养发]（{m_area}店）
    """),
    "酒店": _block("""
        [如家|汉庭|全季|锦江之星|7天|亚朵|维也纳|格林豪泰]酒店（{city}{m_area}店）
        {city}{m_word}[宾馆|大酒店|商务酒店]
        {m_area}{m_word}[民宿|公寓酒店]
    """),
    "水电燃气": _block("""
        国网{city}供电公司
        {city}[自来水公司|水务集团]
        {city}[燃气集团|港华燃气|华润燃气]
        南方电网{city}供电局
    """),
}


def merchant_name(category: str, rng: np.random.Generator) -> str:
    """A merchant's shop name in a category (MERCHANT_CATEGORIES; other categories get a generic name)."""
    r = _Rand(rng, 32)
    ctx = _Ctx(r, None)
    templates = _MERCHANT_T.get(category)
    if templates is None:
        return r.pick(_SHOP_WORDS) + category
    return _render(r.pick(templates), ctx)


_CO_WORDS = _words(
    "恒达 华信 中科 鼎盛 宏远 瑞丰 博雅 天成 金桥 新锐 联创 海纳 启明 正泰 东方 卓越 嘉和 万通 长青 优品 盛世 汇通 锦程 泽源 云帆"
)
_INDUSTRIES = _words(
    "信息科技 网络科技 贸易 商贸 电子商务 建筑工程 物流 餐饮管理 文化传媒 教育咨询 医疗器械 食品 服装 机械设备 广告 人力资源 供应链管理 新能源 生物科技 房地产开发 企业管理咨询 软件"
)
_CO_SUFFIX = _words("有限公司 有限公司 有限公司 有限责任公司 股份有限公司 集团有限公司")


def _company_name(r: _Rand) -> str:
    city = r.pick(_CITIES)
    x = r.u()
    if x < 0.6:
        return f"{city}{r.pick(_CO_WORDS)}{r.pick(_INDUSTRIES)}{r.pick(_CO_SUFFIX)}"
    if x < 0.85:
        return f"{r.pick(_CO_WORDS)}（{city}）{r.pick(_INDUSTRIES)}{r.pick(_CO_SUFFIX)}"
    return f"{city}市{r.pick(_CO_WORDS)}{r.pick(_INDUSTRIES)}有限公司"


def company_name(rng: np.random.Generator) -> str:
    """A Chinese company name, e.g. '杭州恒达信息科技有限公司'."""
    return _company_name(_Rand(rng, 16))
