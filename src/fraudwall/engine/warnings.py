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

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.engine.rules import ACTION_CODE
from fraudwall.model import HOUR_MS, Action

COOLDOWN_MS = 6 * HOUR_MS

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


Strings: TypeAlias = Sequence[str] | pa.Array | pa.ChunkedArray


def _string_array(values: Strings) -> pa.Array:
    """`values` as one Arrow string array (Arrow input is not taken apart into Python
    strings, as `pa.array` does with a chunked array)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values if values.type == pa.string() else values.cast(pa.string())
    return pa.array(values, pa.string())


@dataclass
class WarningLog:
    """Warning tasks gathered over a batch, column by column, then written as one table."""

    parts: list[tuple[np.ndarray, np.ndarray, pa.Array, pa.Array, pa.Array]] = field(
        default_factory=list
    )

    def add(
        self,
        ts: np.ndarray,
        person: np.ndarray,
        channel: Strings,
        source: Strings,
        text: Strings,
    ) -> None:
        """Add warnings, one per row of the arrays (each a person, a channel, a text)."""
        if not len(ts):
            return
        self.parts.append(
            (
                np.asarray(ts, np.int64),
                np.asarray(person, np.int64),
                _string_array(channel),
                _string_array(source),
                _string_array(text),
            )
        )

    @property
    def person(self) -> np.ndarray:
        return np.concatenate([p[1] for p in self.parts]) if self.parts else np.empty(0, np.int64)

    def __len__(self) -> int:
        return sum(len(p[0]) for p in self.parts)

    def table(self, person_ids: pa.Array) -> pa.Table:
        """The warnings as a table; `person_ids` maps each warning's person id to its key."""
        if not self.parts:
            empty = pa.array([], pa.string())
            channel = source = text = empty
            ts = np.empty(0, np.int64)
        else:
            ts = np.concatenate([p[0] for p in self.parts])
            channel = pa.concat_arrays([p[2] for p in self.parts])
            source = pa.concat_arrays([p[3] for p in self.parts])
            text = pa.concat_arrays([p[4] for p in self.parts])
        person_text = pc.cast(pa.array(self.person), pa.string())
        warning_id = pc.binary_join_element_wise("W", channel, source, person_text, ":")
        return pa.table(
            {
                "warning_id": warning_id,
                "ts": pa.array(ts, pa.int64()),
                "person_id": person_ids,
                "channel": channel,
                "source_event_id": source,
                "reason": text,
            }
        )


def select_due(
    person: np.ndarray,
    ts: np.ndarray,
    codes: np.ndarray,
    last_warned: np.ndarray,
    cooldown_ms: int = COOLDOWN_MS,
) -> np.ndarray:
    """Which candidate rows warn their person, as if taken one at a time in time order: a
    row warns when the person was never warned, or not within the cool-down, or when it
    is a hold or block (which always calls); a warning moves the person's last time.

    `last_warned` is each row's person's last warning before the batch. Worked out in
    rounds, each keeping at most one warning per person, with no Python loop per row.
    """
    n = len(person)
    if not n:
        return np.empty(0, np.int64)
    order = np.lexsort((np.arange(n), ts, person))
    p, t, c = person[order], ts[order], codes[order]
    change = np.empty(n, bool)
    change[0] = True
    np.not_equal(p[1:], p[:-1], out=change[1:])
    seg = np.cumsum(change) - 1
    starts = np.flatnonzero(change)
    last = last_warned[order][starts].copy()
    pos = starts.copy()  # the next row each person's segment looks at
    active = np.ones(len(starts), bool)
    row = np.arange(n)
    kept = []
    always = c >= ACTION_CODE[Action.HOLD]
    while active.any():
        s_last = last[seg]
        ok = always | (s_last < 0) | (t - s_last >= cooldown_ms)
        ok &= active[seg] & (row >= pos[seg])
        first = np.minimum.reduceat(np.where(ok, row, n), starts)
        found = first < n
        if not found.any():
            break
        hit = first[found]
        kept.append(hit)
        last[found] = t[hit]
        pos[found] = hit + 1
        active &= found
    if not kept:
        return np.empty(0, np.int64)
    return np.sort(order[np.concatenate(kept)])


def channels_for_codes(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row index, channel number in CHANNELS) pairs: two channels per warned row, by its
    action's urgency."""
    urgent = codes >= ACTION_CODE[Action.HOLD]
    rows = np.repeat(np.arange(len(codes)), 2)
    channel = np.empty(2 * len(codes), np.int64)
    channel[0::2] = np.where(urgent, CHANNELS.index(CALL_96110), CHANNELS.index(APP_PUSH))
    channel[1::2] = CHANNELS.index(SMS)
    return rows, channel


_CHANNEL_NAMES = pa.array(CHANNELS, pa.string())


def channel_names(channels: np.ndarray) -> pa.Array:
    """The names of channel numbers (as `channels_for_codes` gives them)."""
    return _CHANNEL_NAMES.take(channels)


def texts_once(keys: np.ndarray, text_of: Callable[[int], str]) -> pa.Array:
    """Each row's text, `text_of(row)`, made once per distinct key and shared by the rows
    with that key (a blast: one text for the thousands it reached)."""
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    texts = pa.array([text_of(i) for i in first.tolist()], pa.string())
    return texts.take(inverse.reshape(-1))
