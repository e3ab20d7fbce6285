"""The feature registry: one entry per feature the engine computes (DESIGN §5).

Each entry says what a feature is called, which kinds of event have it, its unit, what it
means to the person a decision is shown to (plain Chinese) and to the analyst writing a
rule (one line of English). Everything that names features reads them from here: rule
files are checked against each kind's names, a newly trained model's columns are each
kind's names marked for the model, in registry order (`MODEL_FEATURES`; a model keeps its
own columns, so a feature added later, at the end of its kind, leaves the models trained
before it as they were), `decide` explains the model's top features by their reasons, and
`docs/features.md` is generated from it (``python -m fraudwall.engine.featureset --out
docs/features.md``). `features.py` computes exactly these features and no others.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final

from fraudwall.engine.actions import KINDS


class Unit(StrEnum):
    """What a feature's number counts; a bool is True/False (1/0 in arithmetic)."""

    FEN = "fen"
    DAYS = "days"
    YEARS = "years"
    COUNT = "count"  # distinct counts are sketched: estimates (windows.WindowedDistinct)
    SHARE = "share 0..1"
    RATIO = "ratio"
    SCORE = "score 0..1"
    BOOL = "bool"


@dataclass(frozen=True, slots=True)
class Feature:
    """One feature: its name, the kinds of event it applies to, its unit, the reason shown
    to a person when it weighs in a decision, and a line for the docs."""

    name: str
    kinds: tuple[str, ...]
    unit: Unit
    reason: str
    description: str
    model: bool = True  # `fraudwall train` gives it to the model (rules may use every one)


_TRANSFER: Final = ("transfer",)
_CONTACT: Final = ("call", "sms")
_SMS: Final = ("sms",)

#: Every feature, each kind's in the order of its model's columns.
REGISTRY: Final[tuple[Feature, ...]] = (
    Feature("amount_fen", _TRANSFER, Unit.FEN, "转账金额较大",
            "the transfer's amount (1 yuan = 100 fen)"),
    Feature("payee_account_age_days", _TRANSFER, Unit.DAYS, "收款账户开户时间很短",
            "days since the payee account was opened (nan: unknown)"),
    Feature("payee_dormant_days", _TRANSFER, Unit.DAYS, "收款账户长期未用后突然活跃",
            "days since the payee account last sent or received money (or was opened)"),
    Feature("payee_distinct_payers_1h", _TRANSFER, Unit.COUNT, "收款账户近1小时有多人转入",
            "distinct accounts that paid the payee in the last hour (estimated, rounded)"),
    Feature("payee_distinct_payers_24h", _TRANSFER, Unit.COUNT, "收款账户近24小时有多人转入",
            "distinct accounts that paid the payee in the last 24 h (estimated, rounded)"),
    Feature("payee_passthrough_24h", _TRANSFER, Unit.SHARE, "收款账户资金快进快出",
            "the payee's outflow over its inflow in the last 24 h, at most 1 (nan: no inflow)"),
    Feature("payee_shared_device_accounts", _TRANSFER, Unit.COUNT, "收款账户与多个账户共用设备",
            "other accounts used on the payee account's latest device in the last 7 days "
            "(estimated, rounded)"),
    Feature("payee_on_risk_list", _TRANSFER, Unit.BOOL, "收款账户在涉诈风险名单上",
            "the payee account is on the shared risk list (from its listing until its expiry)"),
    Feature("payee_in_reported_case", _TRANSFER, Unit.BOOL, "收款账户涉及已报案件",
            "a victim's report named the payee account"),
    Feature("payer_first_to_payee", _TRANSFER, Unit.BOOL, "首次向该账户转账",
            "the payer has never paid this payee before"),
    Feature("payer_amount_ratio", _TRANSFER, Unit.RATIO, "金额远超您平时的转账习惯",
            "the amount over the payer's mean transfer of the last 7 days (nan: none)"),
    Feature("payer_risky_contact_6h", _TRANSFER, Unit.BOOL, "您近6小时接到过高风险来电或短信",
            "a call or SMS in the last 6 h that was warned about or blocked, or came from "
            "a flagged or spoofed number"),
    Feature("payer_international_contact_6h", _TRANSFER, Unit.BOOL,
            "您近6小时接到过境外来电或短信",
            "a call or SMS in the last 6 h through an international gateway or from abroad"),
    Feature("payer_on_call", _TRANSFER, Unit.BOOL, "您正在通话中进行转账",
            "the payer is on a call at the moment of the transfer"),
    Feature("payer_remote_app_24h", _TRANSFER, Unit.BOOL,
            "您近24小时安装了屏幕共享或远程控制软件",
            "an app that can capture the screen or use accessibility installed in the last 24 h"),
    Feature("payer_risky_url_24h", _TRANSFER, Unit.BOOL, "您近24小时访问过可疑网站",
            "a site on a cheap or generated-looking domain visited in the last 24 h"),
    Feature("payer_age", _TRANSFER, Unit.YEARS, "付款人年龄",
            "the age of the payer account's owner (nan: unknown)"),
    Feature("payer_stopped", _TRANSFER, Unit.BOOL, "付款账户已被止付",
            "the payer account is under a stop-payment order"),
    Feature("payer_transfers_24h", _TRANSFER, Unit.COUNT, "您近24小时转账次数异常",
            "the payer's transfers in the last 24 h, before this one"),
    Feature("payer_new_contact_6h", _TRANSFER, Unit.BOOL, "您近6小时与陌生号码有过联系",
            "a call or SMS in the last 6 h from a number never in touch with the payer's before"),
    Feature("payer_risky_app_72h", _TRANSFER, Unit.BOOL,
            "您近3天安装了索要短信或无障碍权限的应用",
            "an app asking for three or more risky permissions (SMS, call log, accessibility, "
            "screen capture, overlay, installs) installed in the last 3 days"),
    Feature("payer_risky_contact_72h", _TRANSFER, Unit.BOOL, "您近3天接到过高风险来电或短信",
            "a risky call or SMS (as for the 6 h signal) in the last 3 days"),
    Feature("payer_risky_talk_24h", _TRANSFER, Unit.BOOL, "您近24小时与高风险号码通话超过1分钟",
            "the payer answered a risky call (as for the 6 h signal) and talked on it for a "
            "minute or more in the last 24 h", model=False),
    Feature("payer_inflow_24h", _TRANSFER, Unit.FEN, "付款账户近24小时刚收到款项",
            "what the payer's account received in the last 24 h (money passed on shows here)",
            model=False),
    Feature("caller_reputation", _CONTACT, Unit.SCORE, "来电号码信誉低",
            "0 for a flagged fraud number, else from 0.3 for a new or unknown SIM up to 1 at "
            "180 days old; a number on the risk lists keeps at most 1 - its confidence"),
    Feature("international_gateway", _CONTACT, Unit.BOOL, "境外线路呼入",
            "the call or SMS came in through an international gateway"),
    Feature("spoofed", _CONTACT, Unit.BOOL, "境外线路冒用境内号码",
            "a domestic number other than the calling line's, shown through an international "
            "gateway"),
    Feature("sim_age_days", _CONTACT, Unit.DAYS, "号码为新开卡",
            "days since the calling number was activated (nan: unknown)"),
    Feature("caller_fanout_24h", _CONTACT, Unit.COUNT, "该号码24小时内呼叫大量不同号码",
            "distinct numbers the caller called or messaged in the last 24 h (estimated)"),
    Feature("caller_short_call_share_24h", _CONTACT, Unit.SHARE, "该号码短时通话比例高",
            "the caller's calls in the last 24 h shorter than 30 s, unanswered ones included "
            "(nan: no calls)"),
    Feature("caller_callback_share_24h", _CONTACT, Unit.RATIO, "该号码回拨比例低",
            "calls back to the caller per call it made in the last 24 h (nan: no calls)"),
    Feature("caller_night_share_24h", _CONTACT, Unit.SHARE, "该号码夜间呼叫比例高",
            "the caller's calls in the last 24 h made 22:00-06:00 Beijing time (nan: no calls)"),
    Feature("sms_text_score", _SMS, Unit.SCORE, "短信内容符合诈骗话术",
            "the text's fraud-script score (engine/textscore.py; 1: a known fraud script)"),
    Feature("sms_fraud_probability", _SMS, Unit.SCORE, "短信内容经诈骗文本模型判定为诈骗",
            "the text's fraud probability by the fraud-text model the engine is given "
            "(for users: the shipped fraud-text model of intel; calibrated; nan: the "
            "engine has no text scorer)"),
)  # fmt: skip


def _by_name(entries: Iterable[Feature]) -> dict[str, Feature]:
    """The entries by name; a repeated name or a kind the engine does not decide is a
    mistake in this file, refused at import."""
    out: dict[str, Feature] = {}
    for entry in entries:
        if entry.name in out:
            raise ValueError(f"feature '{entry.name}' is registered twice")
        unknown = [k for k in entry.kinds if k not in KINDS]
        if unknown or not entry.kinds:
            raise ValueError(f"feature '{entry.name}': kinds {entry.kinds} (one of {KINDS})")
        out[entry.name] = entry
    return out


#: Each feature's entry, by name.
BY_NAME: Final[Mapping[str, Feature]] = _by_name(REGISTRY)

#: Each kind's feature names, in registry order: the names its rules may use.
FEATURES: Final[Mapping[str, tuple[str, ...]]] = {
    kind: tuple(f.name for f in REGISTRY if kind in f.kinds) for kind in KINDS
}
#: Each kind's features a newly trained model takes as its columns, in registry order.
MODEL_FEATURES: Final[Mapping[str, tuple[str, ...]]] = {
    kind: tuple(f.name for f in REGISTRY if kind in f.kinds and f.model) for kind in KINDS
}


def reason(name: str) -> str:
    """What a feature means to the person a decision is shown to."""
    entry = BY_NAME.get(name)
    if entry is None:
        raise KeyError(f"feature '{name}' is not in the feature registry")
    return entry.reason


def markdown() -> str:
    """The docs page listing every feature (docs/features.md is this text)."""
    lines = [
        "# Features",
        "",
        "Every feature the engine computes, one row each, in the order of each kind's model",
        "columns. Rules (`engine/default_rules.toml` or your own file) may use a feature in",
        "the conditions and reasons of the kinds it lists; the reason (理由) is what a person",
        "is shown when the model decided on it; `model` says whether `fraudwall train` gives",
        "it to the model. A comparison with `nan` (unknown) is False, so an unknown value",
        "never fires a rule.",
        "",
        "Generated from `fraudwall.engine.featureset` by",
        "`python -m fraudwall.engine.featureset --out docs/features.md`; do not edit by hand.",
        "",
        "| feature | kinds | unit | model | 理由 | meaning |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for f in REGISTRY:
        model = "yes" if f.model else "no"
        cells = (f"`{f.name}`", ", ".join(f.kinds), f.unit.value, model, f.reason, f.description)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Print the docs page, or write it to --out."""
    parser = argparse.ArgumentParser(
        prog="python -m fraudwall.engine.featureset",
        description="The feature registry as a Markdown page.",
    )
    parser.add_argument("--out", type=Path, help="write the page here instead of printing it")
    args = parser.parse_args(argv)
    page = markdown()
    if args.out is None:
        sys.stdout.write(page)
    else:
        args.out.write_text(page, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
