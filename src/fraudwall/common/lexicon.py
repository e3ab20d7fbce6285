"""A fraud-script lexicon for Chinese SMS texts: the engine feature ``sms_text_score`` (0..1)
and the cue groups the learned classifier of `fraudwall.intel.text` takes as features
(`cue_group_weights`). Neutral ground, so both parts use one lexicon without importing
each other.

Why a lexicon: the scripts of telecom fraud are few and stable (刷单返利, fake investment
tutors, loans that need an "unfreezing fee", fake customer service, fake police, game
trades, prizes...), and so are the shapes of the legitimate messages they hide among
(bank transaction notices, verification codes, courier notices). A hand-written table of
weighted cues, written from general knowledge of real fraud SMS and not fitted to any data
set, carries over to real traffic, where a classifier trained on simulated texts would
learn the simulator's templates. The intelligence part's learned classifier
(`fraudwall.intel.text`) has this score as its baseline and the cue groups as features.

How a text is scored:

1. Normalisation, as real spam is obfuscated: NFKC (full-width digits and letters,
   circled letters, Kangxi radicals → ordinary characters; applied only to the texts that
   hold such characters), ASCII lower case, and every character that is not a letter or a
   digit removed, so separators put between characters vanish (刷 单, 返.利, 兼*职 and
   验丨证丨码 all become the plain word). Then homophones, pinyin and traditional spellings
   of key words are mapped to one spelling (薇信, V信, vx → 微信; 扣扣 → qq). Cues that
   need punctuation (links, ``+`` before a contact) see the NFKC text instead.
2. Cues: each `Cue` is an RE2 expression with a weight, in a named group. A group counts
   once, with the weight of its strongest matching cue, so synonyms of one idea do not add
   up. Positive groups are fraud evidence; negative groups are shapes of legitimate
   messages (请勿泄露, 如非本人操作, bank notices, anti-fraud warnings...).
3. Score: ``sigmoid(BIAS + max(0, sum of group weights))``, but only for texts with a fraud
   cue of weight >= `HINT`: hints (退订, urgency, any link) add to such a cue and never count
   alone, and negative cues only cancel fraud evidence. A text without fraud evidence
   scores ``sigmoid(BIAS)`` (~0.03) however legitimate it looks; a null text scores 0. A
   score >= 0.5 needs evidence >= -BIAS = 3.5: one strong cue (安全账户, 解冻费, 刷单...) or
   a bait plus a call to action or an odd link.

Everything is vectorised over the batch, with no Python code per text: the normalisation
works on the UTF-8 bytes with numpy and ``bytes.translate``, the cues are pyarrow.compute
regex passes (RE2). Cues are matched in trees of unions: every text is tried on a few
roots (unions of ~17 cues; larger ones outgrow RE2's DFA cache and get slow), and only the
texts that match a union are tried on its halves, so a text pays a few passes, not one per
cue. One core scores ~180k texts/s (~5.5 s per million), a third of it normalisation.
"""

# Long lines below are Chinese lexicon data, not code.
# ruff: noqa: E501

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.common import string_offsets

__all__ = [
    "BIAS",
    "CUES",
    "CUE_GROUPS",
    "HINT",
    "VARIANTS",
    "Cue",
    "cue_group_weights",
    "explain",
    "normalize",
    "sms_text_score",
]

TextBatch: TypeAlias = pa.Array | pa.ChunkedArray | Sequence[str | None]


@dataclass(frozen=True, slots=True)
class Cue:
    """One weighted pattern of the lexicon.

    ``pattern`` is an RE2 expression. With ``on="bare"`` it is matched against the
    normalised text (ASCII lower case, letters and digits only, variants mapped), so it is
    written without spaces or punctuation. With ``on="text"`` it is matched against the
    NFKC text with ASCII in lower case, and must need a ``/``, a ``+``, or a ``.`` or ``。``
    before an ASCII letter to match: only the texts holding one are tried. A cue with
    ``also`` matches the texts that match both expressions, in any order.

    Patterns avoid ``.*`` and bounded repetitions of broad classes (``.{0,8}``): many cues
    run as one union in RE2's DFA, and those multiply its states; ``also`` says "A, and B
    before or after it" instead.
    """

    group: str
    weight: float
    pattern: str
    on: Literal["bare", "text"] = "bare"
    also: str | None = None


BIAS = -3.5
"""The logit of a text without fraud evidence; a score >= 0.5 needs evidence >= 3.5."""
HINT = 1.0
"""Fraud cues weighing less are hints: they add to other fraud cues, never count alone."""

# Weights: 4 = enough alone (a phrase that is itself a fraud script), 2.5-3.5 = a strong
# bait that needs one more cue (a call to action, a link, urgency), 1-2 = supporting
# evidence, < 1 = a hint (counts only next to evidence). Negative weights are shapes of
# legitimate messages. Within a group only the strongest matching cue counts.
# fmt: off
CUES: tuple[Cue, ...] = (
    # ---- 刷单返利 / task scams: paid "tasks" (likes, fake orders) with a commission, then
    # ever larger sums to advance before the money comes back.
    Cue("task", 4.0, r"卡单|连本带利|预付任务|任务群|刷单|刷信誉|刷销量|刷好评|刷流量|刷粉|刷钻|垫付|一单一结|一单一返|(返还|退还|返回)本金|好评返现|商家返款|(淘宝|京东|拼多多|抖音|美团|闲鱼|天猫|快手|唯品会)(兼职|刷单|做单|任务)|(点赞|关注|收藏|评论|转发|截图)(一次|一单|一个|每(个|次|单)|\d+(个|次|单))"),
    Cue("task", 4.0, r"本金", also=r"佣金|返还|返回|提现"),
    Cue("task", 4.0, r"点赞|关注|收藏", also=r"截图|佣金"),
    Cue("easy_money", 2.5, r"佣金|返利|日结|秒结|现结|日赚|日入|时薪|一天(就能)?(赚|挣|收入)|轻松(赚|挣|月入|日入|过万|上手)|躺赚|多劳多得|时间自由|在家(办公|可做|就能|赚|兼职|工作)|零基础|零门槛|无需经验|无需押金|动动手指|手机(就能|即可|就可以|可|上)(操作|做|赚|完成)|宝妈|学生党|打字员|体验官|闲暇时间|空闲时间|碎片时间|做任务|抢单|接单赚|派单员|领现金|已有\d+万?人(提现|领取|参与)"),
    Cue("easy_money", 1.2, r"赚钱|挣钱|副业|高薪|工资|月入|收入可观|红包|返现|福利|\d+元起|免费领"),
    Cue("job", 2.0, r"兼职"),
    Cue("job", 1.0, r"招聘|诚聘|急招|招募|招(人|工|聘)|应聘|面试|岗位|工作室"),
    # ---- 投资理财 and 杀猪盘: fake tutors, stock or crypto groups, inside information, sure
    # gains, a "platform" to top up, a lover who knows it is the last chance.
    Cue("invest", 3.5, r"带单|喊单|跟单|跟投|胜率|内幕|稳赚|稳赢|包赚|必涨|保本|高收益|高回报|(收益|资金|本金|利润)翻倍|翻\d+倍|零风险|无风险|荐股|选股|牛股|涨停|(股票|炒股|投资|理财|币圈|基金|期货|外汇|彩票)(交流|学习|内部)?群|(导师|老师|分析师|助理|专家)(带|指导|推荐|喂|免费)|抄底|内部(消息|渠道|名额|资料|单)|原始股|私募|上市后|虚拟币|数字货币|数字资产|usdt|泰达币|区块链|元宇宙|挖矿|矿机|彩票计划|(平台|系统|后台)漏洞|收益率?(高达|可达|达到|超过)\d|日收益|周收益|(每天|每日)(收益|回报|分红)|最后(一波|机会|一次机会)"),
    Cue("invest", 1.2, r"投资|理财|股票|炒股|基金|收益|回报|利润|盈利|行情|比特币|币圈|外汇|期货|黄金|分红|翻倍"),
    Cue("top_up", 1.5, r"充值|(再|多|先)(充|投|入)|追加|入金|出金|(充|投)(\d|[一二三四五六七八九十两几])"),
    Cue("intimate", 1.5, r"亲爱的|宝贝|老公|老婆|结婚|彩礼|婚房|我们的(未来|小家|家)|想你了|婚恋|交友|相亲|异性"),
    Cue("dating", 2.0, r"(app|网|平台|软件|群)(上)?(聊过|认识|匹配|看到)|聊过|匹配过|(很少|不常|不怎么|不经常)(上|用|登)|(加|添加)你(的)?(微信|qq|好友)"),
    # ---- 网贷 / loan scams: easy loans, then a fee (解冻费, 保证金, VIP) before the payout;
    # and the "pay first, then you can withdraw" of every platform scam.
    Cue("loan", 4.0, r"解冻费|保证金|验资|刷流水|(放款|提现|还款|出款|到账|下款)(失败|冻结|异常|被冻结)|(银行卡|卡号|账号|账户|收款)(号码|信息)?(填写|输入|绑定)?(错误|有误|不符)|资金(被|已)?冻结|解冻|会员费|(激活|开通)(费|会员)"),
    Cue("loan", 4.0, r"手续费|服务费|工本费|押金|会员|vip", also=r"放款|下款|通过率"),
    Cue("loan", 4.0, r"(车贷|信用贷|贷款|资料|流水|征信)包装|包装(资料|流水|征信)|(只|仅)?收\d+手续费"),
    Cue("loan", 3.0, r"助贷|代办贷款|贷款代办|无抵押|无担保|免抵押|免担保|秒到账|秒批|秒下款|秒放款|秒过|当天(放款|下款|到账)|极速(放款|下款|审批|到账)|快速(放款|下款|到账)|(不看|不查|无视|不上|不需)征信|黑户|白户|网黑|(初审|审核|预审|审批)(已|已经|成功)?通过|放款|下款|额度(已|已经)?(批|下来|到账|激活)|备用金"),
    Cue("loan", 1.2, r"贷款|借款|网贷|借钱|低息|免息|利息|额度|分期|资金周转|急用钱|最高(可)?(借|贷)"),
    Cue("pay_first", 4.0, r"(不能|无法|暂不能|暂时无法|未能)(提现|出金|到账|放款|解冻|取出)|(需|需要|须|必须|请)(先)?(缴纳|交纳|补缴|支付|交)(个人所得税|所得税|税费|税款|手续费|保证金|解冻费|服务费|会员费|激活费)|(缴纳|交纳|补缴|支付)(罚款|罚金|关税|滞纳金)"),
    Cue("pay_first", 4.0, r"(先|需|须|要)(缴纳|交纳|支付|交)", also=r"服务费|保险费|手续费|保证金|工本费|公证费|解冻费|会员费|激活费|税费|个人所得税"),
    Cue("pay_first", 4.0, r"证明还款能力|(到账|放款|下款)后(一并|全额)?(退还|返还)|后(一并|全部|全额)(退还|返还)|(后|才能|方可|即可)(提现|出金|放款|解冻|激活|取出)", also=r"充值|缴纳|交纳|支付|补缴|转入"),
    # ---- 征信 / credit record scams: "your student loan account hurts your credit, close it".
    Cue("credit", 3.0, r"协商(还款|分期|信用卡)?逾期|停催|停息挂账|减免(利息|罚息|\d)|债务(优化|重组|协商)"),
    Cue("credit", 4.0, r"征信(修复|受损|有问题|污点|黑名单|异常|记录|不良|清除|影响|问题)|(修复|洗白|消除|影响|恢复|受损)(个人)?征信|(注销|关闭|清空)(校园贷|学生贷|学生账户|网贷账户|金条|白条|借呗|花呗|微粒贷|京东金融|贷款账户|账户|账号)|校园贷|学生贷|学生账户|未注销|清空重置|重置信用|影响(您及)?子女|上报(个人)?征信|清退|(清空|重置)(征信|额度)|芝麻分(过低|异常|不足)|永久冻结|信用记录(显示)?(风险|异常|不良)|征信存在|(逾期|不良)(记录)?(消除|删除|修复|洗白)"),
    # ---- 冒充客服 / fake customer service: refunds, compensation, lost parcels, cancelling a
    # "mistakenly opened" paid service; gifts held at customs for a fee.
    Cue("fake_service", 3.0, r"理赔|赔付|(双倍|三倍|全额|加倍)(退款|赔偿|赔付)|赔偿(金|款|您|你)|(快递|包裹|物品|货物|商品|订单)(已|被)?(丢失|遗失|损坏|破损|出现问题|被退回|异常)|质量问题|不合格|甲醛超标|误开通|(百万|金融)保障|自动扣费|每月扣费|(将|会)(每月|持续|自动)?扣(费|款|除)|(取消|关闭|解除)(会员|服务|扣费|授权|代扣|自动续费)|配合(操作|办理|处理)|商家(账户|服务)|(每月|每年)扣除|扣除年费|(另有|可获|每人|将)(补偿|赔偿)|(补偿|赔偿)\d|重复扣(款|费)|系统(失误|错误|故障)|(未成年|游戏)(人)?(游戏)?退款"),
    Cue("travel", 2.0, r"航班|火车票|机票|列车|车次", also=r"取消|停运|延误"),
    Cue("bill", 1.5, r"(电费|水费|燃气费|燃气|话费)(已)?(欠费|欠缴|逾期)|(将|即将)(被)?(停电|停气|停水|停机)"),
    Cue("pay_phish", 2.5, r"库存不足|重新(付款|支付|下单)|(付款|支付)(未成功|失败|异常)|加急发货"),
    Cue("fake_service", 1.2, r"退款|退货|退费|客服|售后"),
    Cue("customs", 3.5, r"关税|清关|海关(扣|查|罚)|(包裹|礼物|快递)(被)?(海关)?(扣留|扣押|扣下)|(寄|送)(你|您)(一份)?(礼物|包裹)"),
    Cue("parcel_phish", 2.0, r"地址不详|地址有误|地址错误|无法(派送|投递|配送)|(修改|补填|更新|核实)(收货|收件)?地址"),
    Cue("fake_sale", 3.0, r"私下交易|款到发货|先款后货|(倒闭|清仓)(大)?甩卖|内部价|手慢无|厂家直(供|销)|(批量|量大)从优"),
    Cue("fake_sale", 2.5, r"代购|(厂家|内部|一手|工厂)货源|假一赔十|(先付|预付|先交|先转)(定金|订金|押金|货款)|(出售|转让)(球赛|演唱会|音乐节)?(门票|球票)|原价出|不加价出|低价(出售|转让|出)"),
    Cue("fake_sale", 2.5, r"茅台|五粮液", also=r"瓶|箱|货源|厂家"),
    # ---- 冒充公检法 / fake police, prosecutors, courts and regulators: money laundering, a
    # "safe account", funds to move for checking and "return afterwards".
    Cue("fake_police", 4.0, r"涉嫌(洗钱|犯罪|违法|诈骗|贩毒|走私|非法|参与|一起|违禁品)|(^|[^反])洗钱|安全账户|(清查|核查|审查|冻结)(你的|您的)?(账户|资金|资产|银行卡|财产)|资金(清查|核查|审查|核实|监管)|(资金|存款|财产)来源不明|(核查|审查|清查)(无误|完毕|结束)|通缉|逮捕|拘留|传唤|配合(调查|侦查|核查|警方|公安)|涉案|(案件|案子)(编号|调查|审理)|冻结(你|您)?(名下|全部|所有)?(的)?(账户|资产|银行卡|财产)|(身份|身份证)(信息)?(被)?(盗用|冒用|泄露)|(医保卡|社保卡)(异常|违规|被冻结|冻结|盗刷|涉嫌)|资产(保全|审查)|偷渡|协助调查|(护照|签证|身份证)(被)?(用于|冒用)|列入(出境|黑名单|失信)|财产(保全|审查)|司法冻结|专案组|违禁品"),
    Cue("fake_police", 2.0, r"公安|派出所|刑侦|检察院|法院|警官|警察|民警|警号|公检法|检察官|法官|传票|涉嫌|警方|边检|移民管理|国家安全|金融监督管理|监管局"),
    Cue("secrecy", 1.5, r"不要告诉(家人|家里|亲友|朋友|任何人|别人|其他人|他人)|(先)?别(跟|和|告诉)(我)?(爸妈|家里|我爸|我妈|爸|妈|家人|别人)|不(能|得|要|准)(向|对|跟|和)(任何人|他人|家人|亲友|别人)(透露|说|讲|泄露|提起)|(严格|绝对|注意)保密|保密(协议|义务|规定)|(单独|独自)(一个人)?(在)?(房间|安静)"),
    # ---- asking for a verification code, remote control and meeting apps, app downloads.
    Cue("code_request", 3.5, r"(验证码|校验码|动态码)(发|告诉|提供|转发|报|回复|截图|念)(给)?(我|客服|工作人员|我们|本人|专员)|(回复|提供|告知|报|念|发)(一下|下|给我|我)?(您|你)?(收到的|手机上的|手机的|短信)(验证码|校验码|动态码)"),
    Cue("remote", 4.0, r"屏幕共享|共享屏幕|开启共享|远程(协助|控制|操作|指导)|向日葵|todesk|teamviewer|anydesk|quicksupport|房间号"),
    Cue("remote", 2.0, r"视频会议|腾讯会议|会议号|会议id|zoom|teams|钉钉|welink|飞书|(下载|安装|注册)(云)?会议"),
    Cue("app_download", 1.5, r"安装包|apk"),
    Cue("app_download", 1.5, r"下载|安装", also=r"app|软件|客户端|应用"),
    # ---- 游戏交易 / game trades: accounts, skins, gear, a frozen trade that needs a deposit.
    Cue("game", 3.0, r"(账号|装备|皮肤|点券|钻石|金币|道具)(交易|出售|回收|买卖|估价|解封|低价|转让)|免费(领|送|获得|领取)(皮肤|装备|点券|钻石|道具|英雄)|买号|卖号|收号|代练|代打|租号|外挂|稳定不封|上分|号不玩了|满级号|(交易|提现)(平台|账户|资金)?(被|已)?冻结|游戏币"),
    Cue("credentials", 3.0, r"填写(账号|密码|银行卡|身份证)|账号密码|绑定(银行卡|手机号|身份证)(领取|兑换)|(领取|兑换)(前|需)?绑定(银行卡|身份证)"),
    Cue("game", 1.5, r"王者荣耀|和平精英|原神|英雄联盟|梦幻西游|穿越火线|皮肤|装备"),
    # ---- 中奖 / prizes, points about to expire, subsidies and tax refunds to "claim".
    Cue("prize", 3.5, r"中奖|抽中|幸运(观众|用户|儿|奖|号码|客户|星)|领奖|兑奖|大奖|获奖|节目组|(您|你)(已)?被(选|抽)中|中了"),
    Cue("prize", 2.0, r"恭喜(您|你)|(奖金|奖品|礼品|奖励)(领取|待领取|已到账|已发放)"),
    Cue("points", 2.0, r"积分兑换|兑换(现金|礼品|话费|奖品)"),
    Cue("points", 2.0, r"积分", also=r"清零|过期|到期|作废|失效"),
    Cue("subsidy", 2.5, r"(领取|申领|申请)(\p{Han}{0,4})(补贴|补助|退税|失业金|津贴|补偿金)|(个税|个人所得税|社保|医保|公积金|失业)(退税|补贴|补助|退还|返还)|(补贴|补助|津贴)(发放|领取|申领|到账)|(补贴|补助|津贴|补偿)\d*元?(未|待)(领取|发放|申领)|退税"),
    # ---- phishing: an account, card or ETC about to be frozen or expire unless you act.
    Cue("account_risk", 2.5, r"(账户|账号|银行卡|信用卡|网银|etc|社保卡|医保卡|身份证|支付宝|微信)(已|已经|将|即将|存在|出现|被|将被)?(异常|风险|冻结|失效|过期|停用|禁用|被盗|违规|限制|限额|封禁|注销)|(认证|实名|证书|u盾|密码器)(已|即将|将)?(过期|失效|到期)|etc(卡)?(认证)?(已|将|即将)?(失效|禁用|停用|过期|异常)|(认证|验证|激活|升级|登记)(以免|否则|避免)|发现异常|(被|已被)冻结|解除(冻结|限制|异常)"),
    Cue("account_risk", 2.5, r"医保卡|社保卡|养老卡|电子社保", also=r"异常|违法|违规|冻结|激活|升级|停用|失效"),
    # ---- 冒充熟人 / fake acquaintance, boss, child or friend: a new or borrowed phone, an
    # emergency, an urgent transfer, a promise to pay back at once.
    Cue("acquaintance", 3.0, r"我是你(的)?(领导|老板|老师|同学|老同学|舅舅|叔叔|表哥|表姐|姐夫|朋友|上司|主任|经理|局长|校长)|猜猜我是谁|(换|改)(了)?(新)?(手机)?号(码)?了|新号码|(这是|是)我(的)?新(号|手机号|微信|电话)|保存(一下)?(我的)?新号|(这是|用的是|借的是?)(我)?(同学|朋友|同事|室友|别人)的(手机|号|电话)|(手机|电话)(坏了|掉了|丢了|没电了|摔坏了)|(来|到)我办公室|是我(啊|呀)?(你)?(的)?(侄子|侄女|外甥|外甥女|表弟|表妹|表哥|表姐|同学|老同学|朋友|领导)|我是?[^\P{Han}们的在也就都还又要会是]?(校长|局长|处长|科长|主任|书记|院长|董事长|总)|加我(这个|新)(号|微信)|(老板|领导|董事长|总经理)(刚刚|刚才)?(在群里)?(让|交代|吩咐|安排)(你)?|有(个|点)事(要|需要)?(你|麻烦你)(处理|帮忙)|(不方便|不能|没法)接电话|我在\p{Han}{1,6}开会"),
    Cue("emergency", 2.0, r"(钱包|行李)(被偷|被盗|丢了)|出(了)?车祸|住院了|医药费|手术费|急需|被(抓|拘|扣)(了)?|出事了|出了(点|一点)?事|保释金|救急|周转|(交|缴)(资料费|培训费|报名费|押金|罚款|保释金)"),
    Cue("school_fee", 2.0, r"扫码(缴费|付款|支付|交费)|(资料|校服|书本|培训|报名|学杂|辅导)费"),
    Cue("school_fee", 1.5, r"(你|您)(的)?孩子的(班主任|老师)|班主任"),
    Cue("traffic", 2.5, r"(驾驶证|驾照|行驶证|车辆)(已)?(被)?(吊销|扣分|违章|违法|注销|冻结|异常|扣留)|违章(未处理|记录|罚款|通知)|交警(大队|支队)?提醒|(处理|缴纳)(违章)?罚款"),
    Cue("transfer_ask", 3.0, r"(转入|转到|转至|汇入|存入|打到|转)(指定|安全|监管|国家|清查)(的)?(账户|账号|卡)|(新的|新)(对公)?(账户|账号)"),
    Cue("transfer_ask", 2.0, r"(帮我|帮忙|先|急需|急用|借我|麻烦你)(转|打|汇|垫|付)(一下|个|笔|点|些)?(钱|款|账|给)?|(转|借|打)(我|给我)(\d|[一二三四五六七八九十两几])|转(账|钱|款)(到|至|给)(这个|以下|下面|对方)?(账户|账号|卡)|汇(款|钱)(到|至)|打(钱|款)(到|给)|(转|汇|打)到(这个|以下|该)(账户|账号|卡)|转到\p{Han}{1,6}(尾号\d{4})?的(卡|账户|账号)"),
    Cue("repay_promise", 1.0, r"(晚上|明天|回去|过两天|下周|马上|回头|改天|到时候|下个月)(就)?(还|还给)(你|您)"),
    # ---- illegal trades advertised by SMS: gambling, card renting, fake papers, card cash-out.
    Cue("gambling", 3.5, r"博彩|百家乐|彩金|首充|注册(即)?送|棋牌|澳门|葡京|威尼斯人|真人(娱乐|视讯)|体育(投注|竞猜)|下注|时时彩|北京赛车|pk10|幸运飞艇|老虎机|娱乐城"),
    Cue("card_trade", 4.0, r"收购(银行卡|电话卡|手机卡|对公|账户|微信号|支付宝)|(出租|出售|出借|收)(银行卡|对公账户|一类卡|电话卡|手机卡|微信号)|高价收|跑分|四件套|卡商|代收代付"),
    Cue("fake_docs", 3.5, r"代开(各类)?(发票|增值税)|发票代开|办证|刻章|办理(各类)?证件|假证|代办(学历|证书|驾照)"),
    Cue("card_cashout", 3.0, r"提额|套现|信用卡代还|代还信用卡|养卡|(信用卡|额度)(快速|秒批|代办|包下)|包下卡|大额信用卡"),
    Cue("sex", 3.0, r"裸聊|真人(视频|语音)|倾诉(服务)?|约炮|上门服务|单身美女|寂寞(女孩|少妇|美女)|(线下|同城|视频)约会|真人(可)?见面|附近(的)?(单身|美女|女孩)|同城(约|服务)|一夜情|援交|包养|陪聊|真人视频|(美女|少妇)(陪聊|陪玩|上门|视频)"),
    # ---- pressure and calls to action: add a WeChat/QQ, a tutor, a group, call a mobile.
    Cue("urgency", 0.8, r"立即|立刻|马上|尽快|限时|今日内|今天内|\d小时内|否则|逾期|过期(作废|不候)|名额有限|仅限\d|最后\d+(个|天|名)|抓紧|速(回|联系|领|办)"),
    Cue("contact", 2.0, r"(加|添加|联系|咨询|私聊|私信|详询|找|扫码|搜索)(我|你|一下|下|本人)?(的)?(企业)?(微信|qq|好友|客服|导师|老师|助理|专员|经理|群|v|q)|(微信|qq)(号)?(是|为|吧)?[a-z][a-z0-9_]{3,}|(微信|qq|q)(号)?(是|为|吧)?\d{5,}|加(我|你)?(的)?[a-z]+\d[a-z0-9_]{3,}|进群|入群|拉你进|群号|(新建|建了|拉了)(一个)?(工作|内部|公司)?群|(工作|内部)群|(加|私聊|私信|联系|扫码)(我|你)?(的)?[a-z_]{2,}\d{2,}|(^|[^追增附参叠添])加(我)?\d{6,}|(私|私聊|私信|找|对接|详询)(我)?\d{6,}|(回|打|拨|致)(个|一个|一下)?电话(给我)?\d|有意(的|者)?(私|加|联系|咨询|详谈)|(详询|咨询|联系|致电|拨打|回电|速拨|请拨|来电|专员|客服|经理|老师|热线|电话|私聊|私信)(客服|专员|经理|老师|热线)?(电话|手机)?(号|号码)?1[3-9]\d{9}"),
    Cue("contact", 2.0, r"[+＋]\s*(我|v|vx|wx|微|q|好友)", on="text"),
    Cue("contact", 1.0, r"[a-z]{4,}\d{4,}|1[3-9]\d{9}|(电话|致电|联系|拨打|回电)(客服|专员|热线|人工)?0\d{9,}"),
    Cue("contact", 2.0, r"[+＋]\s*[a-z][a-z0-9_]{2,}", on="text"),
    # International numbers (not +86) to call or add, above all those of the countries that
    # host the call-centre compounds (Cambodia, Laos, Myanmar, the Philippines).
    Cue("foreign_number", 2.0, r"\+\s*([1-79]|8[0-57-9])[\d\s-]{6,}", on="text"),
    Cue("foreign_number", 2.0, r"(^|\D)00([1-79]|8[0-57-9])\d{7,}"),
    Cue("foreign_number", 2.5, r"\+\s*(855|856|95|63)[\d\s-]{6,}", on="text"),
    Cue("foreign_number", 2.5, r"(^|\D)00(855|856|95|63)\d{6,}"),
    # ---- links: odd top-level domains, raw IPs, short links, money words in the host name.
    Cue("link", 0.5, r"https?://|www\.|[a-z0-9]\.(com|cn|net|org)([/:?#]|[^a-z0-9.\-]|$)", on="text"),
    Cue("link", 2.0, r"[a-z0-9-][.。](top|xyz|club|vip|site|cc|co|app|link|icu|shop|work|online|me|info|ml|tk|ga|cf|gq|buzz|fun|live|pw|ink|ren|wang|win|bid|loan|life|store|tech|cyou|asia|biz|pro|run|today|space|website|host|press|ltd|group|xin|kim|men|date|download|click|mobi|tw|hk|cloud|fit|best|bar|rest|sbs|cfd|monster|beauty|quest|bond)([/:?#]|[^a-z0-9.\-]|$)|https?://\d+\.\d+\.\d+\.\d+|\.apk([^a-z]|$)", on="text"),
    Cue("link", 1.0, r"(^|[^a-z0-9.-])(t\.cn|dwz\.cn|url\.cn|suo\.im|bit\.ly|tinyurl\.com|is\.gd|u\.nu|sina\.lt|qr\.net)/", on="text"),
    Cue("link_words", 1.5, r"[a-z0-9-]*(kuaidai|daikuan|jiekuan|jinrong|licai|yongjin|jianzhi|shuadan|fanli|touzi|gupiao|lingjiang|zhongjiang|jiangli|kefu|tuikuan|lipei|jifen|butie|shebao|yibao|gongan|jingcha|fayuan|zhengxin|zhuxiao|hongbao|jiaoyou|yiqing|haoping|fanxian|zhuanqian|renwu|dianzan|tuishui|renzheng|pboc|dianfei|buzhu|yanglao|jihuo|jiedong|dongjie|police|shouhou|service|secure|verify|refund|gov-|-gov|bank-|-bank|etc-|-etc|-cn|cn-)[a-z0-9-]*\.[a-z][a-z]", on="text"),
    Cue("click", 1.0, r"(点击|登录|登陆|访问|打开|进入)(以下|下方|如下)?(链接|网址|网站|官网)"),
    Cue("unsubscribe", 0.5, r"退订|回t|回复t|拒收|回复n|回n"),
    # ======== legitimate shapes (negative): they cancel fraud evidence, never go below 0.
    # Anti-fraud warnings quote fraud words but tell you not to fall for them.
    Cue("anti_fraud", -8.0, r"反诈中心|反诈专线|96110|涉诈|拨打110|(凡是|都是|就是|均为|属于|一律是)(诈骗|杀猪盘|骗局|骗子)|杀猪盘|诈骗(分子|电话|短信|行为|手段|套路|案件)|(不要|切勿|请勿|千万不要)(轻信|相信|上当)|(防范|谨防|以防|防止)上当|上当受骗|(公安|警方|民警)(机关)?(温馨)?(提醒|提示)|公检法\p{Han}{0,4}不会|不会(通过)?(电话|网络|微信|qq|短信)(办案|转账|收费|索要|冻结)|(没有|不存在)(所谓的?)?安全账户|立即挂断|(提高|增强)防范意识|(不会|绝不会|从不|绝不)(以|通过)"),
    Cue("anti_fraud", -2.0, r"反诈|防骗|谨防|警惕|提防|(不会|从不|绝不)\p{Han}{0,8}(索要|索取)|切勿(点击|转账|透露|泄露)"),
    # Verification codes and security notices as banks and platforms send them.
    Cue("code_notice", -2.5, r"请勿泄露|切勿泄露|勿泄露|请勿(告知|告诉|转发|透露|提供)|勿(告知|告诉|转发|透露)|不要(泄露|透露|告知|转发)|如非本人(操作|申请)?|非本人操作|若非本人|本人操作请忽略|请忽略本短信"),
    Cue("code_notice", -1.5, r"(验证码|校验码|动态码|动态密码|确认码|短信码)(是|为)?\d{4,8}|\d{4,8}(是|为)(您的|你的|本次)?(验证码|校验码|动态码|动态密码)|\d分钟内有效|有效期\d+分钟"),
    # Bank transaction notices: card tail number, amount, balance.
    Cue("bank_notice", -1.0, r"余额\d"),
    Cue("bank_notice", -2.5, r"尾号\d{4}", also=r"收入|支出|转入|转出|消费|入账|存入|支取|扣款|还款|交易|余额|汇入|代发|工资|结息"),
    Cue("disclaimer", -2.5, r"理财非存款|投资(需|须)谨慎|产品有风险|市场有风险|风险自担|过往业绩不代表"),
    # Courier and delivery notices.
    Cue("courier", -1.5, r"取件码|取货码|快递柜|驿站|丰巢|菜鸟|已签收|派件|派送|配送|运单|已发货|已揽收|到站|自提|取餐|已送达"),
    # Official short service numbers (95xxx, 100xx, 123xx) and official brand domains.
    Cue("official", -1.0, r"(^|\D)(95\d{3}|100(86|10|00|01)|12315|12345|12306|12368|12333|12329)(\D|$)"),
    Cue("official", -2.0, r"(^|[^a-z0-9.-])([a-z0-9-]+\.)*(taobao|tmall|jd|3|vip|pinduoduo|yangkeduo|meituan|dianping|alipay|weixin|qq|10086|10010|189|95516|icbc|ccb|boc|abchina|bankcomm|cmbchina|psbc|spdb|cib|cebbank|cmbc|citicbank|pingan|hxb|12306|ctrip|sf-express|ems|cainiao|apple|huawei|xiaomi|douyin|kuaishou|bilibili|suning|amap|baidu|163|126|sina|weibo|gov|chinamobile|chinaunicom|chinatelecom|unionpay|zto|yto|sto|yundaex|jtexpress|dewu|xianyu|ele|zhihu)\.(com\.cn|com|cn|net|me)([/:?#]|[^a-z0-9.\-]|$)", on="text"),
)
# fmt: on

# Homophones, pinyin, traditional and look-alike spellings of key words, mapped to one
# spelling after stripping and lower-casing (so "V 信" and "薇.信" arrive as "v信", "薇信").
# The strokes 丨丶丿亅, used as separators (验丨证丨码), are removed first.
VARIANTS: tuple[tuple[str, str], ...] = (
    ("", r"[丨丶丿亅]"),
    ("微信", r"薇信|威信|危信|徽信|嶶信|溦信|微芯|維信|围信|v信|vx|wx|weixin|wechat|微x|薇x|威x"),
    ("qq", r"扣扣|抠抠|寇寇|蔻蔻|企鹅号|企鹅|扣q|q扣"),
    ("红包", r"hong包|红bao|hongbao|红苞|鸿包|宏包|紅包"),
    ("兼职", r"jian职|兼zhi|jianzhi|兼值|兼職|兼直"),
    ("刷单", r"shua单|刷dan|shuadan|唰单|涮单|刷旦|刷單"),
    ("返利", r"fan利|返li|fanli|返俐|反利"),
    ("佣金", r"yong金|佣jin|yongjin|拥金|傭金|用金"),
    ("日结", r"ri结|日jie|rijie|日結"),
    ("贷款", r"dai款|贷kuan|daikuan|袋款|貸款|贷歀|代款"),
    ("放款", r"fang款|放kuan"),
    ("退款", r"tui款|退kuan|tuikuan|退歀"),
    ("赚钱", r"zhuan钱|赚qian|zhuanqian|賺錢"),
    ("验证码", r"yan证码|验zheng码|验正码|驗證碼"),
    ("征信", r"zheng信|征xin|徵信|正信"),
    ("借款", r"jie款|借kuan|jiekuan"),
    ("保证金", r"保正金|保征金|保zheng金|bao证金"),
    ("逾期", r"yu期|逾qi|yuqi"),
    ("茅台", r"矛台|茅苔|maotai"),
    ("中奖", r"zhong奖|中jiang|中獎"),
    ("返现", r"fan现|返xian|返現"),
    ("提现", r"ti现|提xian|提現"),
    ("充值", r"chong值|充zhi|冲值"),
    ("冻结", r"dong结|冻jie|凍結|冻結"),
    ("账户", r"帳戶|賬戶|账戶"),
    ("转账", r"轉賬|轉帳|转帐"),
    ("客服", r"ke服|客fu|课服|克服"),
)

_SIGMOID_BIAS = float(1.0 / (1.0 + np.exp(-BIAS)))
_GROUPS = tuple(dict.fromkeys(c.group for c in CUES))
CUE_GROUPS: tuple[str, ...] = _GROUPS
"""The names of the cue groups, in the order of `cue_group_weights`' columns."""
_ROOT_SIZE = 17  # cues per tree root (a union of many more outgrows RE2's DFA cache)
#: Below this many texts, each cue is matched on its own rather than down the trees: RE2
#: compiles a pattern on every call, and the unions cost more to compile than the passes
#: they save on few texts (measured on one core: 100 texts 25 → 12 ms, 5,400 texts
#: 102 → 78 ms, but 55,000 texts 282 → 672 ms). A stream's batches bring few new texts.
_EACH_BELOW = 5_000
_PLANES = 0x20000  # code points the tables below cover (higher ones are never in them)


def _table(*spans: tuple[int, int]) -> np.ndarray:
    """A lookup table over code points: True inside the inclusive spans."""
    table = np.zeros(_PLANES + 1, bool)
    for lo, hi in spans:
        table[lo : hi + 1] = True
    return table


# Characters dropped from the bare text: ASCII other than letters and digits, Latin-1
# punctuation, general punctuation, symbols, arrows, dingbats and radicals (U+2000-2FFF),
# CJK punctuation, variation selectors, small and full-width forms, emoji.
_DROP = _table(
    (0x00, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7F), (0x80, 0xBF), (0x2000, 0x2FFF),
    (0x3000, 0x303F), (0xFE00, 0xFFFF), (0x1F000, 0x1FFFF),
)  # fmt: skip
# Characters NFKC turns into letters, digits or the punctuation links need (full-width
# letters, digits and + . / @, not the full-width punctuation of every Chinese text),
# super- and subscripts, number forms, circled and parenthesised letters and
# digits, Kangxi radicals, CJK compatibility ideographs, ligatures, mathematical letters.
# Only the texts holding one are normalised, then scanned again.
_COMPAT = _table(
    (0xAA, 0xAA), (0xB2, 0xB3), (0xB9, 0xBA), (0x2070, 0x209F), (0x2150, 0x218F),
    (0x2460, 0x24FF), (0x2776, 0x2793), (0x2F00, 0x2FDF), (0x3200, 0x33FF), (0xF900, 0xFAFF),
    (0xFB00, 0xFB06), (0xFF0B, 0xFF0B), (0xFF0E, 0xFF19), (0xFF20, 0xFF3A), (0xFF41, 0xFF5A),
    (0xFF66, 0xFF9F), (0x1D400, 0x1D7FF), (0x1F100, 0x1F1FF),
)  # fmt: skip
# Text cues need a "/" or "+", or a "." or "。" followed by an ASCII letter (a domain name).
_LINKISH = _table((ord("+"), ord("+")), (ord("/"), ord("/")))
_DOTS = _table((ord("."), ord(".")), (0x3002, 0x3002))

# Lead bytes of the characters the scan looks at: ASCII other than letters and digits,
# and the leads of U+0080-00BF, U+2000-3FFF, U+F000-FFFF and U+10000-3FFFF. Every other
# byte starts a character that is kept and changes nothing.
_LOOK = bytes(
    (not chr(b).isalnum()) if b < 0x80 else b in (0xC2, 0xE2, 0xE3, 0xEF, 0xF0) for b in range(256)
)
# bytes.translate: ASCII to lower case, and the ASCII to delete (dropped multi-byte
# characters are first overwritten with NUL bytes).
_LOWER = bytes(range(256)).translate(
    bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
)
_DELETE = bytes(b for b in range(128) if not chr(b).isalnum())


@dataclass(frozen=True, slots=True)
class _Node:
    """A union of cues, split in two below it: a text is tried on the halves only if it
    matches the union, so a text with one cue pays about log2(n) passes, most texts none
    below the root."""

    cues: tuple[Cue, ...]
    union: str
    children: tuple[_Node, ...]


def _tree(cues: Sequence[Cue]) -> _Node:
    union = "|".join(f"(?:{c.pattern})" for c in cues)
    if len(cues) == 1:
        return _Node(tuple(cues), union, ())
    half = (len(cues) + 1) // 2
    return _Node(tuple(cues), union, (_tree(cues[:half]), _tree(cues[half:])))


def _forest(cues: Sequence[Cue]) -> tuple[tuple[str, _Node], ...]:
    """Trees of `cues`, per field, at most _ROOT_SIZE cues a root."""
    out = []
    for on in ("bare", "text"):
        mine = [c for c in cues if c.on == on]
        for i in range(0, len(mine), _ROOT_SIZE):
            out.append((on, _tree(mine[i : i + _ROOT_SIZE])))
    return tuple(out)


_EVIDENCE = _forest([c for c in CUES if c.weight >= HINT])
_HINTS_AND_NEGATIVE = _forest([c for c in CUES if c.weight < HINT])
_VARIANT_UNION = "|".join(f"(?:{v})" for _, v in VARIANTS)


def _check_lexicon() -> None:
    """Every group has weights of one sign, and no cue matches an empty text."""
    for group in _GROUPS:
        weights = [c.weight for c in CUES if c.group == group]
        if not (all(w > 0 for w in weights) or all(w < 0 for w in weights)):
            raise ValueError(f"cue group {group!r} mixes signs or has a zero weight")
    empty = pa.array([""])
    for cue in CUES:
        for pattern in (cue.pattern, cue.also):
            if pattern is not None and pc.match_substring_regex(empty, pattern)[0].as_py():
                raise ValueError(f"cue {pattern!r} matches an empty text")


_check_lexicon()


# --------------------------------------------------------------------------- normalisation


def _as_strings(texts: TextBatch) -> pa.Array:
    """One Arrow string or large_string array."""
    if isinstance(texts, pa.ChunkedArray):
        arr = texts.combine_chunks() if texts.num_chunks else pa.array([], pa.string())
    elif isinstance(texts, pa.Array):
        arr = texts
    else:
        arr = pa.array(list(texts), type=pa.string())
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        if not (pa.types.is_null(arr.type) or pa.types.is_string_view(arr.type)):
            raise TypeError(f"sms_text_score needs strings, got an array of {arr.type}")
        arr = pc.cast(arr, pa.string())
    return arr


def _bool(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(arr.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _splice(arr: pa.Array, rows: np.ndarray, values: pa.Array) -> pa.Array:
    """`arr` with its `rows` (sorted) replaced by `values`."""
    mask = np.zeros(len(arr), bool)
    mask[rows] = True
    return pc.replace_with_mask(arr, pa.array(mask), values.cast(arr.type))


def _scan(arr: pa.Array) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """(bare text before variants, which rows hold a `_COMPAT` character, which rows hold
    a `_LINKISH` character) of a string array without nulls.

    One bytes.translate finds the bytes where an interesting character may start (few:
    punctuation and symbols), their code points are decoded by index, the dropped
    multi-byte ones overwritten with NUL, and a second translate lower-cases the ASCII and
    deletes what is dropped; offsets move back by the bytes dropped before them.
    """
    n = len(arr)
    bufs = arr.buffers()
    off = string_offsets(arr)
    lo, hi = int(off[0]), int(off[-1])
    m = hi - lo
    compat, linkish = np.zeros(n, bool), np.zeros(n, bool)
    if m == 0:
        return arr, compat, linkish
    buf = bytearray(m + 3)  # three NUL bytes after the text: every candidate can read on
    buf[:m] = memoryview(bufs[2])[lo:hi]
    data = np.frombuffer(buf, np.uint8)
    pos = np.flatnonzero(np.frombuffer(buf.translate(_LOOK), bool)[:m])
    lead = data[pos]
    length = 1 + (lead >= 0xC0).view(np.uint8) + (lead >= 0xE0) + (lead >= 0xF0)
    cp = lead.astype(np.int32)
    for k in (2, 3, 4):
        at = np.flatnonzero(length == k)
        c = cp[at] & (0xFF >> (k + 1))
        for j in range(1, k):
            c = c << 6 | (data[pos[at] + j] & 0x3F)
        cp[at] = c
    np.minimum(cp, _PLANES, out=cp)
    ends = off[1:] - lo
    compat[np.searchsorted(ends, pos[_COMPAT[cp]], side="right")] = True
    dot = np.flatnonzero(_DOTS[cp])
    after = data[pos[dot] + length[dot]] | 0x20  # the next byte, ASCII letters in lower case
    link = pos[_LINKISH[cp]], pos[dot[(after >= 0x61) & (after <= 0x7A)]]
    linkish[np.searchsorted(ends, np.concatenate(link), side="right")] = True
    drop = _DROP[cp]
    pos, length = pos[drop], length[drop].astype(np.int64)
    for k in range(1, 4):
        data[pos[length > k] + k] = 0
    data[pos] = 0
    dropped = np.zeros(len(pos) + 1, np.int64)
    np.cumsum(length, out=dropped[1:])
    new_off = (off - lo) - dropped[np.searchsorted(pos, off - lo)]
    kept = buf.translate(_LOWER, _DELETE)
    large = pa.types.is_large_string(arr.type)
    offsets = pa.py_buffer(new_off if large else new_off.astype(np.int32))
    bare = pa.Array.from_buffers(arr.type, n, [None, offsets, pa.py_buffer(kept)])
    return bare, compat, linkish


@dataclass(frozen=True, slots=True)
class _Fields:
    """What the cues are matched against: the bare text of every row, and the NFKC text
    (ASCII lower case) of the rows that may match a text cue."""

    bare: pa.Array
    text_rows: np.ndarray  # sorted
    text: pa.Array  # aligned with text_rows


def _map_variants(bare: pa.Array) -> pa.Array:
    """Every variant spelling replaced by its word, in the order of `VARIANTS`; each
    replacement only touches the texts that hold that variant (a replace costs more than a
    match)."""
    for word, pattern in VARIANTS:
        rows = np.flatnonzero(_bool(pc.match_substring_regex(bare, pattern)))
        if len(rows):
            fixed = pc.replace_substring_regex(bare.take(pa.array(rows)), pattern, word)
            bare = _splice(bare, rows, fixed)
    return bare


def _normalize(arr: pa.Array) -> _Fields:
    """The `_Fields` of a string array without nulls."""
    bare, compat, linkish = _scan(arr)
    crows = np.flatnonzero(compat)
    nfkc = pc.utf8_normalize(arr.take(pa.array(crows)), "NFKC")
    sub_bare, _, linkish[crows] = _scan(nfkc)
    # Rows whose bare text changes: those normalised, and those with a variant spelling.
    variant = _bool(pc.match_substring_regex(bare, _VARIANT_UNION))
    variant[crows] = False
    vrows = np.flatnonzero(variant)
    if len(crows) or len(vrows):
        rows = np.concatenate([crows, vrows])
        order = np.argsort(rows)
        values = pa.concat_arrays([sub_bare, bare.take(pa.array(vrows))]).take(pa.array(order))
        hit = np.flatnonzero(_bool(pc.match_substring_regex(values, _VARIANT_UNION)))
        values = _splice(values, hit, _map_variants(values.take(pa.array(hit))))
        bare = _splice(bare, rows[order], values)
    trows = np.flatnonzero(linkish)
    at = np.minimum(np.searchsorted(crows, trows), max(len(crows) - 1, 0))
    normalised = crows[at] == trows if len(crows) else np.zeros(len(trows), bool)
    rows = np.concatenate([trows[~normalised], trows[normalised]])
    text = pa.concat_arrays(
        [arr.take(pa.array(rows[: (~normalised).sum()])), nfkc.take(pa.array(at[normalised]))]
    )
    text = pc.ascii_lower(text.take(pa.array(np.argsort(rows))))
    return _Fields(bare, trows, text)


def normalize(texts: TextBatch) -> list[str | None]:
    """The bare form the cues see: NFKC, lower case, letters and digits only, variants mapped.

    For inspection and tests; `sms_text_score` does not go through Python strings.
    """
    arr = _as_strings(texts)
    valid = _bool(arr.is_valid())
    bare = _normalize(arr.fill_null("")).bare.to_pylist()
    return [s if ok else None for s, ok in zip(bare, valid.tolist(), strict=True)]


# --------------------------------------------------------------------------- scoring


def _take(field: pa.Array, rows: np.ndarray, which: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """The `which` (a bool mask) of `field` and of the row numbers it holds."""
    if which.all():
        return field, rows
    at = np.flatnonzero(which)
    return field.take(pa.array(at)), rows[at]


def _walk(
    node: _Node,
    field: pa.Array,
    rows: np.ndarray,
    known: np.ndarray,
    out: list[tuple[Cue, np.ndarray]],
) -> None:
    """Append (cue, its matching rows) for the cues of `node`.

    `field` holds the texts of `rows`; `known` marks those already known to match the
    node's union. A text that matches a node but not its left half must match its right
    half, so the right half only tests the texts that matched the left one.
    """
    if not known.all():
        unknown = np.flatnonzero(~known)
        tested = field.take(pa.array(unknown)) if len(unknown) < len(field) else field
        known = known.copy()
        known[unknown] = _bool(pc.match_substring_regex(tested, node.union))
        if not known.any():
            return
        field, rows = _take(field, rows, known)
    if node.children:
        left, right = node.children
        in_left = _bool(pc.match_substring_regex(field, left.union))
        if in_left.any():
            _walk(left, *_take(field, rows, in_left), np.ones(in_left.sum(), bool), out)
        _walk(right, field, rows, ~in_left, out)
        return
    cue = node.cues[0]
    if cue.also is not None:
        rows = rows[_bool(pc.match_substring_regex(field, cue.also))]
    out.append((cue, rows))


def _cue_rows(
    fields: _Fields, forest: tuple[tuple[str, _Node], ...], rows: np.ndarray
) -> list[tuple[Cue, np.ndarray]]:
    """For every cue of `forest`, the `rows` (sorted) that match it."""
    at = np.minimum(np.searchsorted(fields.text_rows, rows), max(len(fields.text_rows) - 1, 0))
    has_text = fields.text_rows[at] == rows if len(fields.text_rows) else np.zeros(len(rows), bool)
    bare = fields.bare if len(rows) == len(fields.bare) else fields.bare.take(pa.array(rows))
    text = fields.text.take(pa.array(at[has_text]))
    out: list[tuple[Cue, np.ndarray]] = []
    for on, root in forest:
        if on == "bare":
            _match(root, bare, rows, out)
        elif has_text.any():
            _match(root, text, rows[has_text], out)
    return out


def _match(
    root: _Node, field: pa.Array, rows: np.ndarray, out: list[tuple[Cue, np.ndarray]]
) -> None:
    """Append (cue, its matching rows) for the cues of `root`: down its tree of unions for
    many texts, one pass per cue for fewer (see _EACH_BELOW). Both find the same rows."""
    if len(rows) < _EACH_BELOW:
        _each(root, field, rows, out)
    else:
        _walk(root, field, rows, np.zeros(len(rows), bool), out)


def _each(
    node: _Node, field: pa.Array, rows: np.ndarray, out: list[tuple[Cue, np.ndarray]]
) -> None:
    """`_walk`'s result, by matching every cue of `node` on its own."""
    for cue in node.cues:
        hit = np.flatnonzero(_bool(pc.match_substring_regex(field, cue.pattern)))
        if cue.also is not None and len(hit):
            hit = hit[_bool(pc.match_substring_regex(field.take(pa.array(hit)), cue.also))]
        if len(hit):
            out.append((cue, rows[hit]))


def _group_weights(fields: _Fields) -> tuple[np.ndarray, np.ndarray]:
    """(rows with fraud evidence, their weight per group: len(rows) x len(_GROUPS))."""
    n = len(fields.bare)
    evidence = _cue_rows(fields, _EVIDENCE, np.arange(n))
    hit = np.zeros(n, bool)
    for _, r in evidence:
        hit[r] = True
    rows = np.flatnonzero(hit)
    weights = np.zeros((len(rows), len(_GROUPS)))
    if not len(rows):
        return rows, weights
    for cue, matched in evidence + _cue_rows(fields, _HINTS_AND_NEGATIVE, rows):
        i, j = np.searchsorted(rows, matched), _GROUPS.index(cue.group)
        pick = np.maximum if cue.weight > 0 else np.minimum
        weights[i, j] = pick(weights[i, j], cue.weight)
    return rows, weights


def sms_text_score(texts: TextBatch) -> np.ndarray:
    """The fraud-script score of every text, float64 in 0..1 (1 = fraud script); nulls → 0.

    Accepts an Arrow string, large_string or dictionary array (or chunked array) or a
    sequence of str / None.
    """
    arr = _as_strings(texts)
    out = np.full(len(arr), _SIGMOID_BIAS)
    if len(arr) == 0:
        return out
    rows, weights = _group_weights(_normalize(arr.fill_null("") if arr.null_count else arr))
    evidence = np.maximum(weights.sum(axis=1), 0.0)
    out[rows] = 1.0 / (1.0 + np.exp(-(BIAS + evidence)))
    if arr.null_count:
        out[~_bool(arr.is_valid())] = 0.0
    return out


def cue_group_weights(texts: TextBatch) -> np.ndarray:
    """The weight of every cue group (`CUE_GROUPS`) in every text, len(texts) x groups:
    the strongest matching cue of the group, 0 where none matches, and all 0 for a text
    without fraud evidence (hints and negative cues are only looked for beside evidence),
    as `sms_text_score` sums them. Nulls are rows of 0."""
    arr = _as_strings(texts)
    out = np.zeros((len(arr), len(_GROUPS)))
    if len(arr) == 0:
        return out
    rows, weights = _group_weights(_normalize(arr.fill_null("") if arr.null_count else arr))
    out[rows] = weights
    if arr.null_count:
        out[~_bool(arr.is_valid())] = 0.0
    return out


def explain(text: str) -> dict[str, float]:
    """The cue groups one text matches, with their weights (for analysts and debugging).

    Empty if the text has no fraud evidence (then hints and negative cues are not looked at).
    """
    rows, weights = _group_weights(_normalize(pa.array([text], pa.string())))
    if not len(rows):
        return {}
    return {g: float(w) for g, w in zip(_GROUPS, weights[0], strict=True) if w != 0.0}
