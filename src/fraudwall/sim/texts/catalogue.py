"""Apps and domains, fraudulent and legitimate: the catalogue texts and installs name."""

# Long lines below are Chinese template data, not code.
# ruff: noqa: E501

from __future__ import annotations

import numpy as np

from fraudwall.model import FraudType
from fraudwall.sim.texts.rand import LOWER, Rand
from fraudwall.sim.texts.vocab import words

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
LEGIT_APP_PROFILES: tuple[tuple[str, str, str], ...] = (
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
LEGIT_APPS: tuple[tuple[str, str], ...] = tuple((a, n) for a, n, _ in LEGIT_APP_PROFILES)

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
LINK_DOMAINS = LEGIT_DOMAINS[:20]
BANK_DOMAIN = {
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
GOV_DOMAINS = ("gov.cn", "mps.gov.cn", "chinatax.gov.cn", "nhsa.gov.cn", "mohrss.gov.cn")
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
_FRAUD_TLDS = words(
    "top top xyz xyz vip cc com net shop site club icu cn info app fun live work link pro co me"
)


def draw_fraud_domain(r: Rand, ft: FraudType) -> str:
    while True:
        stem = r.pick(_DOMAIN_STEMS[ft])
        letters = "".join(r.pick(LOWER) for _ in range(r.randint(2, 3)))
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


FRAUD_TYPES: tuple[FraudType, ...] = tuple(FraudType)


def fraud_domain(fraud_type: FraudType, rng: np.random.Generator) -> str:
    """A random-looking fraud domain for the type, e.g. 'hx-licai88.top' (never a LEGIT_DOMAINS entry)."""
    return draw_fraud_domain(Rand(rng, 32), fraud_type)
