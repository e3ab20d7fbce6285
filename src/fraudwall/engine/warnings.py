"""Warning tasks: precise early warning (有效精准预警) of the people at risk *now* (DESIGN §5).

A decision is answered to the institution that asked: the bank shows a warned payment's
reason in its own payment flow, delays or holds it; the telco labels or blocks a call.
Warning *tasks* are what the anti-fraud centre sends on top, and they cost something real —
a 96110 call is a person at a call centre, and a warning to someone in no danger teaches
people to ignore the next one. So tasks go to the people most likely to be in a fraud
right now, by the channel that fits, within what each channel carries (`WarningPolicy`):

- candidates: a transfer the engine delayed, held or blocked, or warned about while the
  payer shows signs of being worked on (a risky call talked on or a risky contact lately,
  a call in progress, a remote-control or risky app, a risky URL, a payee named in a report
  or on a risk list); a risky call the engine let through (a blocked call never reached
  the person) that the person answered and talked on for a minute or more;
- each candidate's priority is the probability that its person is being defrauded now
  (`engine.priority`, a small model fitted on history with its truth);
- 96110 calls: candidates taken in time order, a call when the priority reaches the day's
  bar — `call_floor` for the first call, rising with every call made towards certainty for
  the last of the day's capacity (`call_capacity_per_10k_per_day` of the people the engine
  knows) — and at most one a day per person; the others get an app push and an SMS when
  the priority reaches `warn_floor`, and so does a payment of the payer's own money that
  was stopped or delayed while such signs show (it is explained to them, whatever its rank);
- 12381 SMS: when a number is judged fraudulent, everyone it reached in the last days,
  once per person and number, and not a person already warned about that number;
- international reminders (国际来话短信实时提醒): the first time in a period that a number
  from abroad reaches a person, a reminder with its country — a channel of its own, not
  a warning, and never for a call or SMS that was blocked.

An app push and an SMS reach a person at most once per cool-down, except that a stopped
payment always tells its payer. Texts are plain Chinese, with the reason the engine gave,
and a 96110 task says why its person was ranked where they were.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudwall.engine.actions import ACTION_CODE
from fraudwall.model import DAY_MS, HOUR_MS, LOCAL_OFFSET_MS, Action, WarningChannel

COOLDOWN_MS = 6 * HOUR_MS

APP_PUSH = WarningChannel.APP_PUSH.value
SMS = WarningChannel.SMS.value
CALL_96110 = WarningChannel.CALL_96110.value
SMS_12381 = WarningChannel.SMS_12381.value
REMINDER = WarningChannel.REMINDER_INTL.value

WARN = ACTION_CODE[Action.WARN]
DELAY = ACTION_CODE[Action.DELAY]
HOLD = ACTION_CODE[Action.HOLD]
BLOCK = ACTION_CODE[Action.BLOCK]

_ADVICE = "凡是要求转账到“安全账户”、刷单返利、投资带单、贷款先交费、屏幕共享指导操作的都是诈骗。"


@dataclass(frozen=True)
class WarningPolicy:
    """What the warning channels can carry and whom they are for (see the module doc).

    The 96110 capacity is what a call centre can make per day: five calls per 10,000
    people is about 5,000 a day for a city of ten million. The call floor keeps the calls
    for people more likely than not to be in a fraud (a call to someone in no danger costs
    a call someone in danger does not get); the warning floor keeps app pushes and SMS for
    people with a real chance of it."""

    call_capacity_per_10k_per_day: float = 5.0
    call_floor: float = 0.5
    warn_floor: float = 0.2
    call_gap_ms: int = DAY_MS
    cooldown_ms: int = COOLDOWN_MS
    reminder_period_ms: int = 30 * DAY_MS

    def __post_init__(self) -> None:
        if not self.call_capacity_per_10k_per_day >= 0:  # NaN fails too
            raise ValueError(
                "warnings.call_capacity_per_10k_per_day: must be >= 0, got "
                f"{self.call_capacity_per_10k_per_day}"
            )
        for name in ("call_floor", "warn_floor"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"warnings.{name}: must be within 0..1, got {getattr(self, name)}")
        for name in ("call_gap_ms", "cooldown_ms", "reminder_period_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"warnings.{name}: must be >= 0, got {getattr(self, name)}")

    def calls_per_day(self, people: int) -> int:
        """The day's 96110 capacity for a population (at least one call if any is allowed)."""
        capacity = self.call_capacity_per_10k_per_day * people / 10_000
        return math.ceil(capacity) if capacity > 0 else 0

    def call_bar(self, used: int, capacity: int) -> float:
        """The priority the next call of the day needs: the floor for the first, rising in
        step with the calls made towards certainty for the last. Candidates arrive one at
        a time and a call cannot wait for the day's end, so the bar ranks them as they
        come: the fuller the day, the more at risk a person must be to be called."""
        return self.call_floor + (1.0 - self.call_floor) * used / max(capacity, 1)


# --- texts --------------------------------------------------------------------------------
def _yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}元"


def transfer_text(channel: str, payee: str, amount_fen: int, reason: str, action: int) -> str:
    tail = payee[-4:] if payee else "未知"
    done = {DELAY: "已延迟到账", HOLD: "已被暂停", BLOCK: "已被拦截"}.get(action, "尚未拦截")
    if channel == CALL_96110:
        return (
            f"96110外呼任务：客户正向尾号{tail}的账户转账{_yuan(amount_fen)}，{done}。"
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
            f"96110外呼任务：客户刚与{number}{what}通话，疑似诈骗。"
            f"风险原因：{reason}。请提醒客户勿转账。"
        )
    return (
        f"【反诈预警】您刚接听的{number}{what}存在诈骗风险：{reason}。"
        "请勿透露验证码，勿下载陌生软件，勿向陌生账户转账。如有疑问请拨打96110。"
    )


def flagged_number_text(number: str) -> str:
    return (
        f"【12381预警】您近期接触的号码{number}已被认定为涉诈号码。请勿向对方转账或透露"
        "银行卡、验证码等信息；如已转账，请立即拨打110报警。"
    )


def reminder_text(kind: str, number: str, country: str | None) -> str:
    what = "来电" if kind == "call" else "短信"
    where = f"（国家或地区代码+{country}）" if country else ""
    return (
        f"【境外{what}提醒】您刚收到境外{what}{number}{where}。境外{what}，谨防诈骗："
        "凡自称公检法、客服、领导要求转账或提供验证码的，都是诈骗。"
    )


def call_task_ranking(
    priority: float, why: Sequence[str], bar: float, used: int, capacity: int
) -> str:
    """Why this person got a 96110 call, for the call centre."""
    because = f"，主要因为{'、'.join(why)}" if why else ""
    return (
        f"（外呼优先级{priority:.2f}：正在被骗的可能性{because}；"
        f"今日第{used + 1}个外呼（能力{capacity}个），门槛{bar:.2f}）"
    )


# --- the log of a batch's tasks -------------------------------------------------------------
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

    parts: list[tuple[np.ndarray, np.ndarray, pa.Array, pa.Array, pa.Array, np.ndarray]] = field(
        default_factory=list
    )

    def add(
        self,
        ts: np.ndarray,
        person: np.ndarray,
        channel: Strings,
        source: Strings,
        text: Strings,
        priority: np.ndarray | None = None,
    ) -> None:
        """Add tasks, one per row of the arrays (each a person, a channel, a text)."""
        if not len(ts):
            return
        self.parts.append(
            (
                np.asarray(ts, np.int64),
                np.asarray(person, np.int64),
                _string_array(channel),
                _string_array(source),
                _string_array(text),
                np.zeros(len(ts)) if priority is None else np.asarray(priority, np.float64),
            )
        )

    @property
    def person(self) -> np.ndarray:
        return np.concatenate([p[1] for p in self.parts]) if self.parts else np.empty(0, np.int64)

    def __len__(self) -> int:
        return sum(len(p[0]) for p in self.parts)

    def table(self, person_ids: pa.Array) -> pa.Table:
        """The tasks as a table (`model.WarningTask`'s schema, in time order of the
        batch's steps); `person_ids` maps each task's person id to its key."""
        if not self.parts:
            empty = pa.array([], pa.string())
            channel = source = text = empty
            ts, priority = np.empty(0, np.int64), np.empty(0)
        else:
            ts = np.concatenate([p[0] for p in self.parts])
            channel = pa.concat_arrays([p[2] for p in self.parts])
            source = pa.concat_arrays([p[3] for p in self.parts])
            text = pa.concat_arrays([p[4] for p in self.parts])
            priority = np.concatenate([p[5] for p in self.parts])
        who = pc.fill_null(person_ids.cast(pa.string()), "-")
        warning_id = pc.binary_join_element_wise("W", channel, source, who, ":")
        return pa.table(
            {
                "warning_id": warning_id,
                "ts": pa.array(ts, pa.int64()),
                "person_id": person_ids,
                "channel": channel,
                "source_event_id": source,
                "reason": text,
                "priority": pa.array(priority, pa.float64()),
            }
        )


# --- choosing who is warned -----------------------------------------------------------------
def select_due(
    person: np.ndarray,
    ts: np.ndarray,
    codes: np.ndarray,
    last_warned: np.ndarray,
    cooldown_ms: int = COOLDOWN_MS,
) -> np.ndarray:
    """Which candidate rows warn their person, as if taken one at a time in time order: a
    row warns when the person was never warned, or not within the cool-down, or when it
    is a hold or block (which always tells the payer); a warning moves the person's last
    time.

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
    always = c >= HOLD
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


def local_day(ts: int) -> int:
    """The number of China's calendar day holding ts."""
    return (ts + LOCAL_OFFSET_MS) // DAY_MS


@dataclass
class CallQuota:
    """96110 calls made on the current local day (the call centre's day)."""

    day: int = -1
    used: int = 0

    @property
    def nbytes(self) -> int:
        return 16

    def used_on(self, ts: int) -> int:
        """Calls made so far on the local day of ts."""
        return self.used if local_day(ts) == self.day else 0

    def take(self, ts: int) -> None:
        day = local_day(ts)
        if day != self.day:
            self.day, self.used = day, 0
        self.used += 1

    def state_dict(self) -> dict[str, np.ndarray]:
        return {"day_used": np.array([self.day, self.used], np.int64)}

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> CallQuota:
        day, used = (int(v) for v in state["day_used"])
        return cls(day, used)


def choose_calls(
    ts: np.ndarray,
    person: np.ndarray,
    priority: np.ndarray,
    last_called: np.ndarray,
    quota: CallQuota,
    policy: WarningPolicy,
    people: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Which candidates get a 96110 call, taken in time order: a candidate whose priority
    reaches the day's bar (`WarningPolicy.call_bar`), not called within the gap, while the
    day's capacity lasts (`quota` is used up as calls are made). Returns the chosen rows
    and, for each, the calls made that day before it."""
    capacity = policy.calls_per_day(people)
    eligible = np.flatnonzero((priority >= policy.call_floor) & (person >= 0))
    if not len(eligible) or capacity <= 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    chosen: list[int] = []
    left_after: list[int] = []  # the calls made that day before each chosen one
    called: dict[int, int] = {}
    # Few candidates reach the floor (they are the people most at risk), so a plain loop.
    for i in eligible[np.lexsort((-priority[eligible], ts[eligible]))].tolist():
        p, t = int(person[i]), int(ts[i])
        last = called.get(p, int(last_called[i]))
        if last >= 0 and t - last < policy.call_gap_ms:
            continue
        used = quota.used_on(t)
        if used >= capacity or priority[i] < policy.call_bar(used, capacity):
            continue
        quota.take(t)
        called[p] = t
        chosen.append(i)
        left_after.append(used)
    order = np.argsort(chosen, kind="stable")
    return np.asarray(chosen, np.int64)[order], np.asarray(left_after, np.int64)[order]


def texts_once(keys: np.ndarray, text_of: Callable[[int], str]) -> pa.Array:
    """Each row's text, `text_of(row)`, made once per distinct key and shared by the rows
    with that key (a flag: one text for the hundreds it reached)."""
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    texts = pa.array([text_of(i) for i in first.tolist()], pa.string())
    return texts.take(inverse.reshape(-1))


def repeat(value: Any, n: int) -> pa.Array:
    """A string column of n copies of `value`."""
    return pa.repeat(pa.scalar(value, pa.string()), n)
