"""Script drift (手法迭代): fraud scripts that appear while a world runs.

Fraudsters follow the news: a new bait (a medical-insurance refund, a digital-RMB wallet
upgrade, the trade-in subsidy) becomes a new script family, and an old family is
rephrased around a new hook (an ETC card that "expires" instead of a failed check). Each
entry here has its own templates, written anew, not a renaming of the base scripts of
`fraudsms`; a variant names in `family_id` the base script it rephrases. `start` places
its first day in the period (a share of the days before the last two), `peak` is the
share of its type's texts it reaches in a gang that adopted it (`fraudwall.sim.scripts`
plays the schedule).
"""

# Long lines below are Chinese template data, not code.

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fraudwall.model import FraudType, ScriptKind
from fraudwall.sim.texts.fraudsms import render_fraud_sms
from fraudwall.sim.texts.templates import Seq, block


@dataclass(frozen=True)
class DriftScript:
    """A script that starts during the period: a new family or a variant of a base one."""

    script_id: str
    fraud_type: FraudType
    kind: ScriptKind
    family_id: str  # its own id for a new family; the base script it rephrases for a variant
    start: float  # its start, as a share of the days before the world's last two
    peak: float  # the share of its type's texts it reaches in a gang that adopted it
    topic: str
    templates: tuple[Seq, ...]


def _family(
    script_id: str, ft: FraudType, start: float, topic: str, templates: str, peak: float = 0.55
) -> DriftScript:
    return DriftScript(
        script_id, ft, ScriptKind.NEW_FAMILY, script_id, start, peak, topic, block(templates)
    )


def _variant(
    script_id: str, ft: FraudType, family: str, start: float, topic: str, templates: str,
    peak: float = 0.4,
) -> DriftScript:  # fmt: skip
    return DriftScript(
        script_id, ft, ScriptKind.NEW_VARIANT, family, start, peak, topic, block(templates)
    )


DRIFT_SCRIPTS: tuple[DriftScript, ...] = (
    _family(
        "other:new:medical-refund",
        FraudType.OTHER,
        0.08,
        "medical-insurance refund after the outpatient reform",
        """
        【医保[服务|结算中心]】[根据|按照][门诊共济|医保个账]改革，您个人账户[划入|多扣]的{amt_s}[差额|余额]可[申请|办理]返还，[逾期|过期]将[清零|回收]，[申领|办理]入口：{url}
        您好，[本市|{city}]医保局[正在|已]开展[医保个账|个人医保账户][清退|退费]工作，您有{amt_s}[待退回|未退还]，[请|需]在{hours}小时内[添加|联系][专员|经办人]{wx}核对[银行卡|收款账户]
        [参保人|参保职工]{sur}[女士|先生]：您[今年|本年度]缴纳的[城乡居民|职工]医保[多缴|重复缴纳]{amt_s}，[退费|退款]需[完成|进行][人脸|实名]核验：{url}
        [医保|参保][年度|跨年]结算提醒：您的[医保个账|门诊统筹]有[结余|未结算]资金{amt_m}，[支持|可]一次性提取到[银行卡|微信零钱]，[详询|咨询]{phone}
        【国家医保服务平台】您的医保[电子凭证|码][需|须][重新激活|升级]后才能[领取|接收][返还款|退费]{amt_s}，[点此|请][激活|操作]：{url}[，验证码{code}|]
    """,
    ),
    _variant(
        "other:new:etc-card-expiry",
        FraudType.OTHER,
        "other:base:01",
        0.12,
        "ETC card 'expires': a free new card for the postage",
        """
        [高速|ETC][客服|中心]提醒：您的{plate}[车辆|]ETC[卡片|电子标签][有效期|使用期]{date}[届满|到期]，[可|已为您][免费|0元][换新|更换]，[只需|仅需][支付|承担][邮费|快递费]{amt_s}：{url}
        [车主|尊敬的车主]您好，[新版|第二代]ETC[设备|OBU][已|将]寄出，[旧卡|旧设备][将于|在]{hours}小时[后|内][注销|停用]，签收前[请|需][登记|绑定][银行卡|扣费账户]，{url}
        [因|由于][高速|路网]收费系统[升级|切换]，您的ETC[卡|记账卡][需要|须][重新|二次][激活|签约]，未激活[将|会]按[2|3]倍通行费扣款，[激活|办理]入口{url}
        您的ETC[欠费|逃费]{amt_s}[已|将][纳入|上报][征信|黑名单]，车辆{plate}[下次|将被][高速|收费站][拦截|限行]，[补缴|处理][请|]联系{phone}
    """,
    ),
    _family(
        "rebate:new:ai-labelling",
        FraudType.REBATE,
        0.15,
        "AI data labelling and model-training side jobs",
        """
        [招募|急招|诚聘]AI[大模型|人工智能][数据标注员|语料采集员|训练师]，[在家|居家|下班后][用手机|用电脑]给[图片|语音|对话]打标签，[一条|每条]{small_yuan}，[日结|当天结算]，[报名|详情][加|+]{wx}
        [您好|你好]，[我们|公司]是给AI大模型[提供|采集]语料的，[需要|招]人[录|读]几段[方言|普通话]语音，[一段|每段]{small_yuan}，[试做|先试]一单[马上|立刻]结算，[加|联系]QQ{qq}
        [AI训练师|大模型陪练][兼职|副业]：[每天|日均]陪AI[聊天|对话]{hours}小时，[月入|每月]{amt_m}，[不限学历|零门槛]，[培训|上岗]需缴纳[账号|工位]押金{amt_s}，[完工|结业]退还，{phone}
        【{app_fake}】您[领取|接取]的[标注|审核]任务包已[完成|提交]{n}条，[因|由于][质检|准确率]未达标[佣金|工资]{amt_m}[被暂扣|冻结中]，[需|请][充值|缴纳]{amt_s}[复审|重新质检]后[发放|一并结算]
        [大模型|AI][公司|团队][外包|众包]项目[开放|开启]，[给|帮]AI[纠错|评分|写回答]，[按件计酬|多劳多得]，[手机|电脑]都能做，[入口|报名通道]：{url}
    """,
    ),
    _family(
        "other:new:digital-rmb-wallet",
        FraudType.OTHER,
        0.22,
        "digital-RMB wallet 'upgrade' and subsidy",
        """
        【数字人民币】[尊敬的|]用户，您的数币钱包[仍为|是][四类|匿名]钱包，[单日|每日]限额{amt_s}，[需|请][升级|提升]为一类钱包[才能|方可]继续使用：{url}
        [您好|温馨提醒]，[央行|人民银行]数字人民币[试点|推广][发放|派发]{amt_s}[消费红包|惠民补贴]，[下载|安装][数币钱包升级助手|央数钱包Pro|数字钱包安全版]即可[领取|到账]，{url}
        您的数字人民币钱包[绑定|关联]的{bank}卡[存在|检测到]异常，[钱包|子钱包]将被[注销|停用]，[请|需]将余额[兑出|转入]新钱包[保管|完成迁移]，[客服|专线]{phone}
        [数币|数字人民币]钱包[全面|统一]升级，[旧版|老版]钱包{date}[起|后][停止服务|无法支付]，[请|]扫码[添加|联系][升级|迁移]专员{wx}[协助|一对一]办理
        [参加|参与]数字人民币[满减|硬钱包]活动，[需|先]向[指定|活动]钱包[预存|充入]{amt_m}[激活|开通]硬钱包，[次日|当天][原路|全额]返还并[赠送|奖励]{amt_s}：{url}
    """,
    ),
    _family(
        "shopping:new:trade-in-subsidy",
        FraudType.SHOPPING,
        0.3,
        "the national trade-in subsidy for appliances and phones",
        """
        【以旧换新】您已[符合|获得]{year}年[国补|国家补贴][家电|手机|数码]以旧换新资格，[最高|可]补贴{pct}，[资格|名额]{date}[作废|到期]，[立即|点击][领取|锁定]：{url}
        [国补|家电补贴]名额[紧张|有限]，[本店|我们]可[代办|代领]以旧换新补贴，{goods}[补贴后|到手价]只要{amt_s}，[先付|预付][定金|订金][锁定|占]名额，[加|联系]{wx}
        您申请的[国家|政府][以旧换新|换新]补贴{amt_m}[已审核通过|待发放]，[因|由于][收款|银行]账户[未认证|信息不全]，[请|需][添加|联系][补贴|审核]专员{qq}[完成|进行]认证
        [家电|手机][以旧换新|换新]补贴[统一|官方]申领[入口|通道]：{url}，[填写|上传][身份证|银行卡]即可[领取|核销]{amt_s}[补贴券|立减金]，[仅限|截止]{date}
        [上门回收|回收][旧家电|旧手机][再|加]享[国补|政府补贴]，[回收价|折价][高于|比]市场{pct}，[需|请]扫码[缴纳|支付][上门|验机]服务费{amt_s}，{phone}
    """,
    ),
    _family(
        "investment:new:low-altitude",
        FraudType.INVESTMENT,
        0.35,
        "low-altitude economy (drones, flying cars) project shares",
        """
        [低空经济|eVTOL飞行汽车|无人机物流][国家级|重点]项目[内部|定向][股权|原始股]开放认购，[上市前|IPO前][入场|认购]价仅{amt_m}，[预计|有望]翻{n1}倍，[名额|额度]有限，[加|联系]{wx}
        [您好|你好]，{fplat}[联合|与][低空|通航]产业园推出[无人机|飞行器][收益权|份额]产品，[每日|按日]分红{pct_small}，[起投|最低]{amt_m}，[资金|本金][国资|银行]托管，{url}
        [低空经济|飞行汽车][概念股|板块][即将|明天]启动，[机构|主力]已[建仓|布局]，[私募|内部][席位|名额]仅剩{n}个，[跟投|入群]请[下载|注册]{app_fake}，[邀请码|机构码]{code}
        【{fplat}】[恭喜|您好]，您已获得[低空经济|无人机]产业基金[优先|定向]认购资格，[锁定|预约]份额需缴纳{amt_s}[意向金|预约金]：{url}
        [政府|国家]大力扶持低空[经济|产业]，[投资|认购]{amt_m}[一台|一架][物流无人机|载人飞行器][托管运营|包运营]，[年回报|收益]{pct}，[签约|联系]{phone}
    """,
    ),
    _variant(
        "rebate:new:short-drama-rating",
        FraudType.REBATE,
        "rebate:base:09",
        0.4,
        "rating short dramas (短剧) for commission instead of films",
        """
        [追短剧|看短剧]也能赚钱！[给|帮]{n}部[新上线|热门]短剧[打分|写评论|点追更]，[一部|每部]{small_yuan}，[看完|做完][就|立即]结，[下载|注册]{app_fake}：{url}
        [短剧|微短剧][平台|片方][招|需要][追剧|打榜]员，[每天|日均]刷剧{hours}小时，[日结|当天到账]{pay_range}，[加|联系][剧务|导师]{wx}[领|拿]任务
        【{app_fake}】您的[短剧|追剧][打榜|冲榜]任务已完成，[收益|佣金]{amt_s}[已到账|待提现]，[开通|解锁][剧场|VIP]会员{amt_s2}[即可|后][提现|翻倍]
        [投资|认购]短剧[份额|分账]，[一部|每部][爆款|热门]剧[分红|回报]{pct}，[先|]看剧[再|后]投，[入群|跟投]请[扫码|点击]{url}
    """,
    ),
    _family(
        "customer_service:new:password-free-payment",
        FraudType.CUSTOMER_SERVICE,
        0.45,
        "closing a 'small password-free payment' that charges monthly",
        """
        【{plat}】您[于|在]{date}[开通|误开通]的小额免密支付[将|即将]每月自动扣款{amt_s}，[如|若]非本人操作，[请|立即][联系|致电]{phone}[关闭|解约]
        [您好|你好]，[这边是|我是]{pay_channel}[安全中心|风控部]，[检测到|发现]您的[账户|零钱]有[{n}笔|多笔]免密[代扣|扣款]，[为避免|防止][继续扣费|资金损失]，[请|需]下载{remote_app}[配合|按提示][解除|关闭]
        您名下[绑定|签约]的[免密支付|自动续费][协议|服务]{n}[项|个][未解除|仍有效]，[影响|会降低]您的[支付|信用]分，[一键|统一][解约|关闭]入口：{url}
        [温馨提醒|紧急通知]：[有|检测到][陌生|异常][商户|设备]通过免密支付[扣走|划走]您{amt_s}，[客服|专员]可[帮您|为您][追回|拦截]，[请|]加{wx}[处理|核实]
        [尊敬的|]{bank}[用户|客户]，您的[借记卡|信用卡][快捷|免密]支付[额度|限额]已被[调高|改为]{amt_m}，[如非本人|非本人][申请|操作]，[回复|拨打]{phone}[恢复|撤销]
    """,
    ),
    _variant(
        "investment:new:ai-stock-picking",
        FraudType.INVESTMENT,
        "investment:base:00",
        0.5,
        "an 'AI stock-picking robot' instead of a teacher",
        """
        [AI|人工智能][量化|选股]机器人[上线|内测]，[每天|每日][自动|智能][推送|选出]{n1}只[涨停|翻倍]股，[准确率|胜率]{pct}以上，[免费|限时][试用|体验]：{url}
        [您好|你好]，[我们|本团队]的[AI大模型|智能投顾][荐股|选股]系统已帮{n}万[股民|用户][回本|盈利]，[开通|升级]会员{amt_m}[解锁|获取][明日|今日][金股|信号]，[加|联系]{wx}
        [用|靠]AI[炒股|做交易][稳赚|不亏]！[下载|安装]{app_fake}[绑定|授权][证券|股票]账户，[机器人|AI][全自动|托管][交易|操盘]，[收益|利润][分成|分]{pct}，[邀请码|内测码]{code}
        【{fplat}】您的AI[量化|托管][账户|策略][今日|本周]收益{amt_m}，[因|由于][算力|服务器][扩容|升级]，[继续|保持]运行需[补充|追加][保证金|算力费]{amt_m2}
    """,
    ),
    _family(
        "police:new:antifraud-app-alert",
        FraudType.POLICE,
        0.55,
        "a fake anti-fraud centre alert and 'fund verification'",
        """
        【国家反诈中心】[检测到|监测到]您的手机[安装了|存在][涉诈|高危]应用，您的[资金|存款]可能[涉案|被转移]，[请|须][{hours}小时内|立即]拨打{phone}[配合|进行]资金核验
        [您好|你好]，[我是|这里是]{city}反诈[中心|专班][民警|工作人员]{sur}[警官|]，您的[银行卡|账户]已被诈骗[团伙|分子][用作|当作]收款[账户|卡]，[需|要]将资金[转到|存入][反诈|核验]专户[隔离|保护]
        您的“国家反诈中心”APP[账户|实名][信息|认证][过期|失效]，[无法|不能]接收[预警|保护]，[请|需][下载|安装][新版|升级版]{app_fake}[重新|完成]认证：{url}
        [反诈|防骗][回访|核查]：您{date}[接到的|收到的][电话|短信]已[确认|被认定]为诈骗，[为|为了][追回|返还]损失{amt_m}，[请|需][开启|打开]{remote_app}[共享屏幕|视频连线][配合|协助]民警[登记|核对]
        【{city}反诈】您[名下|绑定]的[手机号|银行卡][被|已被][列入|纳入]涉诈[名单|黑名单]，[将|会][停用|冻结]，[申请|办理][解除|移出]请[登录|访问]{url}[提交|上传][资产|资金]证明
    """,
    ),
    _variant(
        "boss:new:ai-faceswap-video",
        FraudType.BOSS,
        "boss:base:00",
        0.6,
        "the 'boss' proves himself by a (face-swapped) video call",
        """
        [{name}|小{sur}]，[刚才|刚刚][视频|开视频]的是我，[信号|网]不好[先|]挂了，[我|]{title}，[这是我|以后用这个][钉钉|企业微信|飞书][号|账号]{wx}，[加我|有事找你]
        [我|]{title}，[刚跟你|刚才]视频[确认过了|你也看到了]，[这笔|那笔][货款|合同款]{amt_l}[今天|马上][必须|要]付，[你|你先][从|用][公户|公司账户][打到|转到]{bankacct}
        [会议|视频会议]上[领导|{title}][交代|说]的[那笔|这笔][款|钱][你|]记一下，[先|]转{amt_m}[给|到][合作方|对方]账户，[会议链接|会议号]{code}[进来|入会][核对|确认]一下
        [是我|我是]{title}，[我|]在[{city}|外地][出差|开会]，[手机|微信][换了|用不了]，[刚才|之前][跟你|给你]开了视频[你|]应该[认得|认出]我，[帮我|你][先|]垫{amt_m}，[回去|明天]报销
    """,
    ),
    _family(
        "loan:new:mortgage-refinance",
        FraudType.LOAN,
        0.65,
        "refinancing a mortgage after the rate cut",
        """
        [存量房贷|房贷]利率[下调|再降]，您的[房贷|按揭]可[转|置换]为{apr}的[低息|新]贷款，[每月|月供]少还{amt_s}起，[银行|本行][专员|经理]{sur}经理{phone}
        [您好|你好]，[{bank}|我行][推出|开通][经营贷|消费贷][置换|转贷]房贷[通道|服务]，[年化|利率]仅{apr}，[需|先]缴纳{pct_small}[过桥|垫资]费用即{amt_m}，[详询|咨询]{wx}
        [提前还房贷|房贷转贷][免违约金|不收手续费][名额|额度]有限，[我们|本公司][可|能][垫资|过桥]帮您[结清|还清]旧贷，[新贷|低息贷款]{amt_l}[当天|次日]下款：{url}
        您的[转贷|置换]申请[已|]预审通过，[放款前|到账前]需[验证|证明][还款能力|资金实力]，[请|需]向[监管|验资]账户{bankacct}[转入|存入]{amt_m}，[核验|审核]后[原路|全额]退还
        【{lapp}】[降息|降准][福利|专场]：[房贷|按揭]客户[专享|可申请]{credit_line}[低息|贴息]额度，[年化|利率]{apr}起，[下载|登录]{app_fake}[申请|测额]
    """,
    ),
    _variant(
        "customer_service:new:parcel-station-loss",
        FraudType.CUSTOMER_SERVICE,
        "customer_service:base:01",
        0.7,
        "a parcel taken from the pick-up station or locker, 'compensated'",
        """
        [您好|你好]，[我是|这边是]{station}[店长|负责人]，您的[包裹|快递]{track}在[驿站|快递柜][被|遭]他人[冒领|错拿]，[{courier}|快递公司][同意|已][先行|]赔付{amt_s}，[请|]加{wx}[登记|办理]
        【{courier}】您尾号{card4}的[包裹|件][放在|存入]{station}[超时|逾期][未取|未领]，[已被|被][清退|退回]，[赔付|补偿]{amt_s}[请|需][扫码|点击]{url}[填写|绑定][收款|银行卡]信息
        [快递柜|丰巢柜][故障|系统异常][导致|造成]您的[包裹|物品][丢失|损坏]，[平台|我们][按|将给予][{n1}倍|多倍][赔偿|补偿]，[申请|领取]需[下载|打开]{remote_app}[与|让][客服|理赔员][核对|确认][订单|信息]
        [亲|您好]，您的[取件码|提货码]{pickup}[已失效|被占用]，[驿站|快递点][无法|不能][交付|出件]，[请|]联系[驿站|理赔]客服{phone}[补发|重新生成]并[领取|获得]{amt_s}[补偿|红包]
    """,
    ),
    _variant(
        "credit:new:student-loan-graduation",
        FraudType.CREDIT,
        "credit:base:01",
        0.85,
        "a graduate's student loan to be 'closed' or repaid",
        """
        [毕业生|{year}届毕业生][您好|同学]，您的[国家助学贷款|生源地助学贷款][贴息|免息]期[即将|已]结束，[需|请][办理|完成][还款账户|账户]变更，[否则|不然][逾期|违约][记入|上报]征信，{url}
        [您好|同学]，[我是|这边是][学校|学院][资助中心|资助办]{sur}老师，你的助学贷款[多放|重复发放]了{amt_m}，[需|要][退回|归还]到[指定|学校]账户{bankacct}，[逾期|不退][影响|将影响]毕业[证|档案]
        [助学贷款|学生贷款][提前|一次性]还清[可|能][享受|申请][贴息|减免]{pct}，[名额|通道]{date}[截止|关闭]，[申请|办理]请[加|联系]{qq}
        您的[学信|学籍]信息[显示|关联][未结清|未注销]的[学生|助学][贷款|借款]账户，[毕业|就业]后[将|会][转为|变成][商业贷款|高息贷款]，[请|需][配合|按提示][注销|清零]：{phone}
    """,
    ),
)
DRIFT_BY_ID: dict[str, DriftScript] = {s.script_id: s for s in DRIFT_SCRIPTS}


def drift_sms(script: DriftScript, rng: np.random.Generator, n: int) -> list[str]:
    """`n` SMS of a drift script, with its fraud type's signatures and spam noise."""
    return render_fraud_sms(script.templates, script.fraud_type, rng, n)[0]
