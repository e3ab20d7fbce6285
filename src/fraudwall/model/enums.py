"""The closed vocabularies of fraudwall: every categorical field takes its values from here."""

from __future__ import annotations

from enum import StrEnum


class FraudType(StrEnum):
    """The police taxonomy of DESIGN §2 (codes are fraudwall's own); `other` is the rest."""

    REBATE = "rebate"  # 刷单返利
    INVESTMENT = "investment"  # 虚假投资理财
    LOAN = "loan"  # 虚假网络贷款
    SHOPPING = "shopping"  # 虚假购物服务
    CUSTOMER_SERVICE = "customer_service"  # 冒充电商物流客服
    CREDIT = "credit"  # 虚假征信
    BOSS = "boss"  # 冒充领导熟人
    POLICE = "police"  # 冒充公检法及政府机关
    ROMANCE = "romance"  # 网络婚恋交友(杀猪盘)
    GAME = "game"  # 网络游戏产品虚假交易
    OTHER = "other"


#: The police names of the fraud types, for people (warnings, reports, figures); keyed by
#: the code, so a plain string such as "rebate" finds its name too.
FRAUD_TYPE_ZH: dict[str, str] = {
    FraudType.REBATE: "刷单返利",
    FraudType.INVESTMENT: "虚假投资理财",
    FraudType.LOAN: "虚假网络贷款",
    FraudType.SHOPPING: "虚假购物服务",
    FraudType.CUSTOMER_SERVICE: "冒充电商物流客服",
    FraudType.CREDIT: "虚假征信",
    FraudType.BOSS: "冒充领导熟人",
    FraudType.POLICE: "冒充公检法及政府机关",
    FraudType.ROMANCE: "网络婚恋交友",
    FraudType.GAME: "网络游戏产品虚假交易",
    FraudType.OTHER: "其他",
}


class InstitutionKind(StrEnum):
    BANK = "bank"
    PAYMENT = "payment"  # payment institution (wallets, QR codes)
    TELCO = "telco"
    POLICE = "police"  # a police anti-fraud centre: takes victims' reports, issues orders
    EXTERNAL = "external"  # outside the system: cash, crypto OTC desks, foreign banks


class AccountKind(StrEnum):
    DEBIT_CARD = "debit_card"
    CREDIT_CARD = "credit_card"  # may go below zero, down to its credit limit
    WALLET = "wallet"  # payment-institution wallet
    MERCHANT = "merchant"
    CORPORATE = "corporate"  # employers, utilities, lenders
    EXTERNAL = "external"  # a sink or source outside the system (see ExternalKind)


class ExternalKind(StrEnum):
    """Where money enters or leaves the system through an external account."""

    CASH = "cash"  # ATM or counter cash
    CRYPTO_OTC = "crypto_otc"
    CROSS_BORDER = "cross_border"


class Channel(StrEnum):
    MOBILE = "mobile"  # mobile banking / wallet app
    ONLINE = "online"  # web banking
    COUNTER = "counter"
    ATM = "atm"
    QR = "qr"  # QR-code payment
    POS = "pos"
    BATCH = "batch"  # payroll, bills, loan disbursement


class Gateway(StrEnum):
    DOMESTIC = "domestic"
    INTERNATIONAL = "international"


class LineKind(StrEnum):
    MOBILE = "mobile"
    LANDLINE = "landline"
    SERVICE = "service"  # 95xxx / 106xxx service and bulk-SMS numbers


class DeviceKind(StrEnum):
    PHONE = "phone"
    PC = "pc"
    GOIP = "goip"  # SIM box: many SIMs, one device


class Action(StrEnum):
    """A risk decision, from least to most severe."""

    ALLOW = "allow"
    WARN = "warn"
    DELAY = "delay"  # settlement delayed, cancellable
    HOLD = "hold"  # stopped for review
    BLOCK = "block"


class Outcome(StrEnum):
    """What happened to a decided transfer, call or SMS, as the institution reports it."""

    EXECUTED = "executed"  # the money moved; the call or SMS reached the person
    CANCELLED = "cancelled"  # the payer cancelled (after a warning, or within a delay)
    HELD = "held"  # stopped for review: no money moved
    BLOCKED = "blocked"  # refused: no money moved, or the call or SMS reached nobody


class WarningChannel(StrEnum):
    """How a warning reaches a person (DESIGN §5)."""

    APP_PUSH = "app_push"  # a push in the bank's or the anti-fraud app
    SMS = "sms"  # a warning SMS
    CALL_96110 = "call_96110"  # a call from the 96110 line: people, a daily capacity
    SMS_12381 = "sms_12381"  # to everyone a number judged fraudulent reached
    REMINDER_INTL = "reminder_intl"  # 境外来电/短信提醒: a reminder, not a warning


class OrderKind(StrEnum):
    STOP_PAYMENT = "stop_payment"  # 紧急止付
    FREEZE = "freeze"  # 快速冻结
    RETURN = "return"  # 资金返还


class OrderState(StrEnum):
    ISSUED = "issued"
    EXECUTED = "executed"
    MISMATCH = "mismatch"  # the bank's checks of name, number, amount or time failed
    NO_FUNDS = "no_funds"
    EXPIRED = "expired"
    LIFTED = "lifted"
    RELEASED = "released"
    COMPLETED = "completed"


class EntityKind(StrEnum):
    """What a ground-truth row is about."""

    PERSON = "person"
    ACCOUNT = "account"
    PHONE = "phone"
    DEVICE = "device"
    URL = "url"
    APP = "app"
    TRANSFER = "transfer"
    CALL = "call"
    SMS = "sms"
    APP_INSTALL = "app_install"
    URL_VISIT = "url_visit"
    LOGIN = "login"
    REPORT = "report"


class Role(StrEnum):
    """The part an entity or event plays in fraud (ground truth)."""

    VICTIM = "victim"
    VICTIM_ACCOUNT = "victim_account"
    CARD_SELLER = "card_seller"  # a person who sold or rented accounts or SIMs (两卡)
    MULE = "mule"  # an account that receives and passes on fraud money
    FIRST_HOP_MULE = "first_hop_mule"  # 一级账户: receives victims' money directly
    CASH_OUT = "cash_out"  # the last mule before money leaves the system
    COLLUSIVE_MERCHANT = "collusive_merchant"
    FRAUD_NUMBER = "fraud_number"
    GOIP_DEVICE = "goip_device"
    FRAUD_DEVICE = "fraud_device"  # a device the gang uses to run mule accounts
    FRAUD_URL = "fraud_url"
    FRAUD_APP = "fraud_app"
    FRAUD_PAYMENT = "fraud_payment"  # a victim paying the fraud
    BAIT_PAYMENT = "bait_payment"  # the gang paying a victim a small "rebate" or "profit"
    LAUNDERING = "laundering"  # a hop of fraud money between mules or out of the system
    FRAUD_CONTACT = "fraud_contact"  # a call or SMS from a fraud number (or a call back to it)
    FRAUD_INSTALL = "fraud_install"  # a victim installing a fraud or remote-control app
    FRAUD_VISIT = "fraud_visit"
    MULE_LOGIN = "mule_login"
    VICTIM_REPORT = "victim_report"


class ScriptKind(StrEnum):
    """Where a fraud script (话术) comes from (the `scripts` table, issue 14)."""

    BASE = "base"  # one of a fraud type's scripts from the world's start
    NEW_FAMILY = "new_family"  # a new bait appearing during the period (a hot topic)
    NEW_VARIANT = "new_variant"  # an old family rephrased around a new hook


class Typology(StrEnum):
    """Laundering and infrastructure shapes the simulator plants (DESIGN §2, issue 2)."""

    PASS_THROUGH = "pass_through"  # 快进快出
    FAN_OUT = "fan_out"
    FAN_IN = "fan_in"
    LAYERING = "layering"  # a chain of 2-6 hops
    SCATTER_GATHER = "scatter_gather"
    CYCLE = "cycle"
    CASH_ATM = "cash_atm"
    CASH_CRYPTO = "cash_crypto"
    CASH_CROSS_BORDER = "cash_cross_border"
    CASH_MERCHANT = "cash_merchant"
    SCORE_RUNNING = "score_running"  # 跑分
    DORMANT_WOKEN = "dormant_woken"
    RENTED_ACCOUNT = "rented_account"  # 两卡: bank account bought or rented
    BOUGHT_SIM = "bought_sim"  # 两卡: SIM bought or rented
    GOIP = "goip"
    INTERNATIONAL = "international"
    SPOOFED = "spoofed"  # a domestic number presented through an international gateway
    GROOMING = "grooming"  # contact over days before the first payment
    REBATE_BAIT = "rebate_bait"  # small paid "rebates" before the loss
    REMOTE_CONTROL = "remote_control"  # screen-sharing / remote app installed by a victim
