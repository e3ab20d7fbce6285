"""Warning tasks: what reaches a person the engine thinks is being defrauded (DESIGN §1).

The firewall's point is to reach the victim before they pay. A decision to warn, delay,
hold or block puts warning tasks for the person concerned — the payer of a transfer, the
receiver of a risky call or SMS — on the channels that fit how urgent it is: a push in the
bank's app and an SMS for a warning or a delay, a call from the 96110 anti-fraud line and
an SMS for a hold or a block. When a number is judged fraudulent, everyone it reached in
the last days gets a 12381-style warning SMS. A person is warned at most once per channel
in a cool-down period, so a victim in a long call is not flooded.

Texts are plain Chinese, with the reason the engine gave.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from fraudwall.engine.rules import ACTION_CODE
from fraudwall.model.enums import Action

COOLDOWN_MS = 6 * 3_600_000

APP_PUSH = "app_push"
SMS = "sms"
CALL_96110 = "call_96110"
SMS_12381 = "sms_12381"
CHANNELS = (APP_PUSH, SMS, CALL_96110, SMS_12381)

_ADVICE = "凡是要求转账到“安全账户”、刷单返利、投资带单、贷款先交费、屏幕共享指导操作的都是诈骗。"


def _yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}元"


def transfer_text(channel: str, payee: str, amount_fen: int, reason: str) -> str:
    tail = payee[-4:] if payee else "未知"
    if channel == CALL_96110:
        return (
            f"96110外呼任务：客户正向尾号{tail}的账户转账{_yuan(amount_fen)}，已被拦截。"
            f"风险原因：{reason}。请核实是否受人指使转账，并劝阻。"
        )
    return (
        f"【反诈预警】您正向尾号{tail}的账户转账{_yuan(amount_fen)}。{reason}。"
        f"请立即停止操作，{_ADVICE}如需帮助请拨打96110。"
    )


def contact_text(channel: str, kind: str, number: str, reason: str) -> str:
    what = "来电" if kind == "call" else "短信"
    if channel == CALL_96110:
        return (
            f"96110外呼任务：客户刚接到{number}的{what}，疑似诈骗。"
            f"风险原因：{reason}。请提醒客户勿转账。"
        )
    return (
        f"【反诈预警】您接到的{number}{what}存在诈骗风险：{reason}。"
        "请勿透露验证码，勿下载陌生软件，勿向陌生账户转账。如有疑问请拨打96110。"
    )


def flagged_number_text(number: str) -> str:
    return (
        f"【12381预警】您近期接触的号码{number}已被认定为涉诈号码。请勿向对方转账或透露"
        "银行卡、验证码等信息；如已转账，请立即拨打110报警。"
    )


def channels_for(code: int) -> tuple[str, ...]:
    if code >= ACTION_CODE[Action.HOLD]:
        return (CALL_96110, SMS)
    if code >= ACTION_CODE[Action.WARN]:
        return (APP_PUSH, SMS)
    return ()


@dataclass
class WarningLog:
    """Warning tasks gathered over a batch, then written out as one table."""

    warning_id: list[str] = field(default_factory=list)
    ts: list[int] = field(default_factory=list)
    person: list[int] = field(default_factory=list)
    channel: list[str] = field(default_factory=list)
    source_event_id: list[str] = field(default_factory=list)
    reason: list[str] = field(default_factory=list)

    def add(self, ts: int, person: int, channel: str, source: str, text: str) -> None:
        self.warning_id.append(f"W{channel}:{source}:{person}")
        self.ts.append(ts)
        self.person.append(person)
        self.channel.append(channel)
        self.source_event_id.append(source)
        self.reason.append(text)

    def __len__(self) -> int:
        return len(self.ts)

    def table(self, person_ids: pa.Array) -> pa.Table:
        """The warnings as a table; `person_ids` maps each warning's person id to its key."""
        return pa.table(
            {
                "warning_id": pa.array(self.warning_id, pa.string()),
                "ts": pa.array(self.ts, pa.int64()),
                "person_id": person_ids,
                "channel": pa.array(self.channel, pa.string()),
                "source_event_id": pa.array(self.source_event_id, pa.string()),
                "reason": pa.array(self.reason, pa.string()),
            }
        )


def due(last_warned: np.ndarray, person: int, ts: int, cooldown_ms: int = COOLDOWN_MS) -> bool:
    """Whether a person may be warned now (not warned in the cool-down before ts)."""
    return person >= 0 and (last_warned[person] < 0 or ts - last_warned[person] >= cooldown_ms)


def order_by_time(ts: np.ndarray, rows: Sequence[int]) -> list[int]:
    return sorted(rows, key=lambda i: (int(ts[i]), i))
