"""sms_text_score: fraud scripts score high, ordinary SMS low, obfuscation does not help.

The examples are written by hand after real fraud and real legitimate SMS, not taken from
the simulator's templates.
"""

# Long lines below are Chinese example texts.
# ruff: noqa: E501

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fraudwall.engine import sms_text_score
from fraudwall.engine.textscore import VARIANTS, explain, normalize

FRAUD = {
    "task": "【兼职】在家用手机就能做，给商家刷单点赞，一单一结，日结佣金200-500元，有意者加微信 hx20231",
    "task_advance": "您在任务群的第3单已完成，因系统卡单需再充值1500元，完成后连本带利一并返还",
    "invest": "王老师带单第3天，今日荐股又涨停了，内部消息稳赚不赔，想进股票交流群的加我QQ 3312456789",
    "crypto": "USDT量化套利，日收益3%，零风险，导师免费指导，注册即送体验金 www.coinwin88.top",
    "romance_invest": "宝贝，这个平台我有内部渠道，今晚是最后一波行情，你再充5万进去，稳赚的",
    "loan": "【信用贷】无抵押无担保，不看征信，最快秒到账，详询经理 13812345678",
    "loan_fee": "您申请的5万元借款已审核通过，因银行卡号填写错误导致资金冻结，需缴纳解冻费2000元后放款",
    "withdraw_tax": "您在平台的收益8万元暂时无法提现，需先缴纳个人所得税4000元后方可提现",
    "credit": "【金融服务】您的学生账户未注销，将影响个人征信，请尽快添加客服微信 jdkf0099 办理",
    "refund": "您好，您购买的面霜检测出甲醛超标，商家将为您办理三倍理赔，请添加售后专员微信 lipei66",
    "auto_renew": "【抖音】您开通的百万保障服务将每月自动扣费800元，如需关闭请致电客服 0755-23456789",
    "police": "我是市公安局刑侦支队民警，您的身份证涉嫌一起洗钱案件，请配合调查，将资金转入安全账户，不要告诉家人",
    "code_request": "您好，我是平台客服，为您办理退款需要核实身份，请把手机收到的验证码发给我",
    "screen_share": "请下载会议软件并开启屏幕共享，客服会指导您关闭贷款账户",
    "child_in_trouble": "爸，我手机掉水里了，这是同学的手机，学校要交培训费3800元，你先转到老师的卡上，别跟妈说",
    "boss": "小刘，我是张总，这是我新号，明天上午来我办公室一趟，先加我微信",
    "tax_refund": "【人社服务】您有一笔个人所得税退税1280元待领取，请于48小时内登录 gov-tuishui.cn 申领",
    "etc": "【ETC服务】您的ETC卡认证已失效，将被停用，请立即点击 etc-renzheng.top 重新认证",
    "game": "【手游福利】满级号低价出售，账号交易平台安全放心，免费领皮肤，点击 wz-skin.xyz 领取",
    "prize": "恭喜您被《快乐周末》节目组抽中二等奖，奖金58000元及笔记本电脑一台，请登录 www.kljiang.cc 领取",
    "gambling": "澳门娱乐城真人百家乐，注册即送88元彩金，首充再返利，网址 pj888.vip",
    "card_trade": "高价收购银行卡、一类卡、对公账户，日结不压款，有意者私聊QQ 88776655",
    "customs": "亲爱的，我从英国寄给你的礼物被海关扣留了，需要交清关费6500元，快递专员会联系你",
    "foreign_number": "【通知】您的快递包裹异常已被退回，理赔请回电 +855 12 345 678 处理",
    "traffic": "【交管服务】您的驾驶证已被扣分，违章未处理将被吊销，请点击 jj12123-cn.cc 处理罚款",
}

LEGIT = {
    "bank_debit": "【工商银行】您尾号1234卡12月3日10:22支出(消费)128.50元，余额3,456.78元。",
    "bank_salary": "【招商银行】您账户5678于03月15日入账工资23,456.00元，可用余额45,678.90元。",
    "code": "【支付宝】验证码：482913，您正在登录，5分钟内有效，请勿泄露给他人。",
    "bank_code": "【中国建设银行】您正在进行转账，验证码736201，切勿告诉他人，工作人员不会向您索取。如非本人操作请致电95533。",
    "pickup": "【菜鸟驿站】您的包裹已到幸福小区驿站，取件码 8-3-2201，请于今日20:00前取件。",
    "delivery": "【顺丰速运】您的快件SF1234567890123正在派送中，快递员王师傅电话13912345678。",
    "family": "妈，我今天加班，晚点回家，别等我吃饭了",
    "family_money": "爸，生活费收到了，谢谢，周末回家",
    "friend": "周六一起去爬山吗？早上8点地铁站见",
    "telco": "【中国移动】尊敬的客户，您本月套餐内流量已使用80%，详情可登录中国移动APP查询。",
    "telco_points": "【中国联通】您的话费积分2300分将于12月31日清零，可登录中国联通APP兑换。",
    "flight_delay": "【东方航空】您预订的MU5101航班因天气原因延误，预计起飞时间15:30，退改请通过东航官方APP办理。",
    "anti_fraud": "【国家反诈中心】刷单返利都是诈骗！凡是要求先垫付的兼职都是骗局，如遇可疑情况请拨打96110。",
    "police_warning": "【市公安局】公检法机关不会通过电话办案，更不存在所谓的安全账户，接到此类电话请立即挂断。",
    "marketing": "【京东】您关注的商品降价了，满300减50，点击 https://3.cn/abcd 查看，退订回T",
    "credit_limit": "【招商银行】尊敬的客户，您的信用卡临时额度已提升至5万元，有效期至6月30日。",
    "electricity": "【国家电网】您户号1234567的电费已欠费56.30元，请及时缴纳，以免影响正常用电。",
    "hospital": "【市人民医院】您已成功预约6月3日上午张医生门诊，请携带身份证按时就诊。",
    "interview": "【招聘平台】面试提醒：明天下午3点腾讯会议线上面试，会议号 123 456 789，请准时参加。",
    "refund_done": "【淘宝】您的退款申请已通过，退款35.00元将原路退回至支付宝。",
    "new_number": "我换号了，这是我新号，存一下",
}


@pytest.mark.parametrize("family", sorted(FRAUD))
def test_fraud_scripts_score_high(family: str) -> None:
    score = sms_text_score([FRAUD[family]])[0]
    assert score >= 0.5, (family, score, explain(FRAUD[family]))


@pytest.mark.parametrize("kind", sorted(LEGIT))
def test_legitimate_messages_score_low(kind: str) -> None:
    score = sms_text_score([LEGIT[kind]])[0]
    assert score < 0.5, (kind, score, explain(LEGIT[kind]))


def test_every_fraud_script_outscores_every_legitimate_message() -> None:
    fraud = sms_text_score(list(FRAUD.values()))
    legit = sms_text_score(list(LEGIT.values()))
    assert fraud.min() > legit.max()


OBFUSCATED = [
    ("兼职刷单，日结佣金，加微信abc123", "兼 职 刷.单，日-结 佣*金，加 薇 信 ａｂｃ１２３"),
    ("兼职刷单，日结佣金，加微信abc123", "兼职刷单，日结佣金，加V信：ABC123"),
    ("您涉嫌洗钱，请将资金转入安全账户", "您涉 嫌 洗·钱，请将资金转入安～全～账～户"),
    ("刷单返利，加QQ 12345678", "刷单返利，加扣扣：１２３４５６７８"),
    ("请把收到的验证码发给我", "请把收到的验丨证丨码发给我"),
    ("投资稳赚，高收益，加微信tz8888", "投资⑤稳赚，高收益😀，加vx tz8888"),
    ("您的借款已审核通过，需缴纳解冻费", "您的jie款已审核通过，需缴纳解冻费"),
]


@pytest.mark.parametrize(("clean", "obfuscated"), OBFUSCATED)
def test_obfuscated_spellings_score_like_their_clean_form(clean: str, obfuscated: str) -> None:
    scores = sms_text_score([clean, obfuscated])
    assert scores[0] >= 0.5
    assert scores[1] == pytest.approx(scores[0])


def test_normalize_folds_width_case_separators_and_variants() -> None:
    assert normalize(["兼 职，刷.单！ＡＢＣ１２３", "加薇信、扣扣", "验丨证丨码", None, ""]) == [
        "兼职刷单abc123",
        "加微信qq",
        "验证码",
        None,
        "",
    ]


def test_nulls_score_zero_and_shape_and_dtype() -> None:
    scores = sms_text_score([FRAUD["police"], None, "", LEGIT["family"]])
    assert scores.dtype == np.float64
    assert scores.shape == (4,)
    assert scores[0] >= 0.5
    assert scores[1] == 0.0
    assert 0.0 < scores[2] < 0.5
    assert ((scores >= 0.0) & (scores <= 1.0)).all()


def test_empty_input() -> None:
    for empty in ([], pa.array([], pa.string()), pa.chunked_array([], pa.string())):
        scores = sms_text_score(empty)
        assert scores.dtype == np.float64
        assert scores.shape == (0,)


def test_arrow_inputs_score_like_a_list() -> None:
    texts = [*FRAUD.values(), None, *LEGIT.values(), ""]
    expected = sms_text_score(texts)
    arrays = [
        pa.array(texts, pa.string()),
        pa.array(texts, pa.large_string()),
        pa.array(texts, pa.string()).dictionary_encode(),
        pa.chunked_array([texts[:7], texts[7:20], texts[20:]], pa.string()),
        pa.array(["padding", *texts], pa.string()).slice(1),
    ]
    for arr in arrays:
        np.testing.assert_array_equal(sms_text_score(arr), expected)


def test_a_text_scores_the_same_in_any_batch() -> None:
    texts = [*FRAUD.values(), *LEGIT.values()]
    alone = np.array([sms_text_score([t])[0] for t in texts])
    rng = np.random.default_rng(3)
    order = rng.permutation(len(texts))
    together = sms_text_score([texts[i] for i in order])
    np.testing.assert_array_equal(together, alone[order])


def test_non_string_input_is_rejected() -> None:
    with pytest.raises(TypeError):
        sms_text_score(pa.array([1, 2, 3]))


def test_explain_names_the_matching_groups() -> None:
    groups = explain(FRAUD["police"])
    assert groups["fake_police"] > 0
    assert explain(LEGIT["family"]) == {}


# Characters from SMS and their obfuscations: Chinese, ASCII, full-width forms, CJK
# punctuation, circled digits, Kangxi radicals, emoji, separators and variant spellings.
ALPHABET = list(
    "刷单返利兼职微信薇扣金钱证码验qQvVxXaZ09,. -*/+丨，。！：（）【】ａＢ１２３①⑵⾦😀　·—…é"
)


def reference_normalize(text: str) -> str:
    """The normalisation one character at a time: NFKC, keep letters and digits, lower-case
    ASCII, then map the variant spellings."""
    kept = (c for c in unicodedata.normalize("NFKC", text) if unicodedata.category(c)[0] in "LN")
    out = "".join(c.lower() if c.isascii() else c for c in kept)
    for word, pattern in VARIANTS:
        out = re.sub(pattern, word, out)
    return out


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.text(alphabet=ALPHABET, max_size=30), max_size=20))
def test_normalize_matches_a_per_character_reference(texts: list[str]) -> None:
    assert normalize(texts) == [reference_normalize(t) for t in texts]
