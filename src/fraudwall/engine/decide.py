"""From rule hits and model scores to decisions a person can read.

The action is the more severe of what the rules say and what the model's score reaches
(calls and SMS can only be warned about or blocked). Each decision names the rules that
fired (shadow rules apart), the features that weighed most, and a reason in plain Chinese:
the deciding rules' own reasons, or, when the model alone decided, what its top features
mean. Reasons and top features are built only for events that are not simply allowed, so
the per-event Python work is proportional to alerts, not traffic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

import numpy as np

from fraudwall.engine.rules import ACTION_CODE, ACTIONS, RuleHits
from fraudwall.engine.scorer import KindModel, feature_matrix, sigmoid
from fraudwall.model import Action

#: What a feature means, for a reason shown to a person (the model's top features).
FEATURE_TEXT: dict[str, str] = {
    "amount_fen": "转账金额较大",
    "payee_account_age_days": "收款账户开户时间很短",
    "payee_dormant_days": "收款账户长期未用后突然活跃",
    "payee_distinct_payers_1h": "收款账户近1小时有多人转入",
    "payee_distinct_payers_24h": "收款账户近24小时有多人转入",
    "payee_passthrough_24h": "收款账户资金快进快出",
    "payee_shared_device_accounts": "收款账户与多个账户共用设备",
    "payee_on_risk_list": "收款账户在涉诈风险名单上",
    "payee_in_reported_case": "收款账户涉及已报案件",
    "payer_first_to_payee": "首次向该账户转账",
    "payer_amount_ratio": "金额远超您平时的转账习惯",
    "payer_risky_contact_6h": "您近6小时接到过高风险来电或短信",
    "payer_international_contact_6h": "您近6小时接到过境外来电或短信",
    "payer_on_call": "您正在通话中进行转账",
    "payer_remote_app_24h": "您近24小时安装了屏幕共享或远程控制软件",
    "payer_risky_url_24h": "您近24小时访问过可疑网站",
    "payer_age": "付款人年龄",
    "payer_stopped": "付款账户已被止付",
    "payer_transfers_24h": "您近24小时转账次数异常",
    "payer_new_contact_6h": "您近6小时与陌生号码有过联系",
    "payer_risky_app_72h": "您近3天安装了索要短信或无障碍权限的应用",
    "payer_risky_contact_72h": "您近3天接到过高风险来电或短信",
    "caller_reputation": "来电号码信誉低",
    "international_gateway": "境外线路呼入",
    "spoofed": "境外线路冒用境内号码",
    "sim_age_days": "号码为新开卡",
    "caller_fanout_24h": "该号码24小时内呼叫大量不同号码",
    "caller_short_call_share_24h": "该号码短时通话比例高",
    "caller_callback_share_24h": "该号码回拨比例低",
    "caller_night_share_24h": "该号码夜间呼叫比例高",
    "sms_text_score": "短信内容符合诈骗话术",
}

#: The actions open to each kind: a call or SMS is warned about or blocked.
KIND_ACTIONS: dict[str, tuple[Action, ...]] = {
    "transfer": tuple(Action),
    "call": (Action.ALLOW, Action.WARN, Action.BLOCK),
    "sms": (Action.ALLOW, Action.WARN, Action.BLOCK),
}
TOP_K = 3
_FEW_TO_SHARE = 32  # fewer model-explained alerts than this: each gets its own reason text

T = TypeVar("T")
_NO_ROWS = np.empty(0, np.int64)


@dataclass
class Sparse(Generic[T]):
    """A column of a batch's decisions that most rows leave empty, kept as columns: row
    `rows[k]` holds `values[at[k]]`, the other rows nothing. Alerts come in thousands
    that share a few firing patterns or explanations, so each distinct value is made
    once and rows only point at it (no Python object per row)."""

    rows: np.ndarray = field(default_factory=lambda: _NO_ROWS)  # replaced, never written to
    at: np.ndarray = field(default_factory=lambda: _NO_ROWS)
    values: list[T] = field(default_factory=list)

    def add(self, rows: np.ndarray, at: np.ndarray, values: list[T]) -> None:
        """Give `rows` (none of them holding a value yet) the values[at] of a new list."""
        if not len(rows):
            return
        rows, at = np.asarray(rows, np.int64), np.asarray(at, np.int64) + len(self.values)
        self.rows = np.concatenate([self.rows, rows]) if len(self.rows) else rows
        self.at = np.concatenate([self.at, at]) if len(self.at) else at
        self.values = [*self.values, *values]

    def index(self, n: int) -> np.ndarray:
        """For each of n rows, 1 + the index of its value, or 0 for an empty row."""
        out = np.zeros(n, np.int64)
        out[self.rows] = self.at + 1
        return out

    def as_dict(self) -> dict[int, T]:
        """Row -> value, for the rows holding one."""
        return {
            i: self.values[k] for i, k in zip(self.rows.tolist(), self.at.tolist(), strict=True)
        }


@dataclass
class Decided:
    """A batch of one kind's decisions, column by column."""

    action: np.ndarray  # int8 codes into ACTIONS
    score: np.ndarray  # float64 0..1 (0 when no model)
    # Sparse, by row: most events fire no rule and need no explanation.
    rules: Sparse[list[str]]
    shadow_rules: Sparse[list[str]]
    top_features: Sparse[list[str]]
    reason: Sparse[str]


class TopMemo(Protocol):
    """Remembers each group's packed top features for a while (see `decide`)."""

    def lookup(self, groups: np.ndarray, ts: np.ndarray) -> np.ndarray: ...

    def store(self, groups: np.ndarray, ts: np.ndarray, packed: np.ndarray) -> None: ...


def _explain(
    model: KindModel,
    x: np.ndarray,
    rows: np.ndarray,
    group: np.ndarray | None,
    memo: TopMemo | None,
    ts: np.ndarray | None,
) -> np.ndarray:
    """Packed top features of each row, by TreeSHAP: once per group (a caller's blast),
    and not again for a group the memo explained recently."""
    if group is None:
        return _pack(model.contributions(x[rows]))
    groups, first, rep = np.unique(group[rows], return_index=True, return_inverse=True)
    when = np.zeros(len(groups), np.int64) if ts is None else ts[rows[first]]
    packed = memo.lookup(groups, when) if memo is not None else np.full(len(groups), -1)
    todo = np.flatnonzero(packed < 0)
    if len(todo):
        packed[todo] = _pack(model.contributions(x[rows[first[todo]]]))
        if memo is not None:
            memo.store(groups[todo], when[todo], packed[todo])
    return packed[rep.reshape(-1)]


def _pack(contrib: np.ndarray) -> np.ndarray:
    """Each row's top features (up to TOP_K with a positive part), as one int: the
    feature indices in 6 bits each, the count in the bits above."""
    best = np.argsort(-contrib, axis=1)[:, :TOP_K]
    positive = np.take_along_axis(contrib, best, axis=1) > 0
    packed = np.zeros(len(contrib), np.int64)
    count = np.zeros(len(contrib), np.int64)
    for j in range(best.shape[1]):
        keep = positive[:, j] & (count == j)  # the top ones, in order, while positive
        packed[keep] |= best[keep, j].astype(np.int64) << (6 * j)
        count[keep] += 1
    return packed | (count << 18)


def _unpack(packed: int) -> list[int]:
    return [(packed >> (6 * j)) & 63 for j in range(packed >> 18)]


def _fit_to_kind(kind: str, codes: np.ndarray) -> np.ndarray:
    """Round each action up to the nearest one open to the kind (delay/hold → block)."""
    allowed = sorted(ACTION_CODE[a] for a in KIND_ACTIONS[kind])
    table = np.array([min(c for c in allowed if c >= i) for i in range(len(ACTIONS))], np.int8)
    return table[codes]


def decide(
    kind: str,
    features: Mapping[str, np.ndarray],
    hits: RuleHits,
    model: KindModel | None,
    explain: bool = True,
    group: np.ndarray | None = None,
    memo: TopMemo | None = None,
    ts: np.ndarray | None = None,
) -> Decided:
    """Decide a batch of one kind; `explain=False` skips reasons and top features (training).

    Alerts with the same `group` (e.g. one caller blasting many people) share the model's
    explanation of the group's first alert: its features are the caller's, and explaining
    each of thousands of calls again would cost more than deciding them. With a `memo`,
    a group explained in the last day is not explained again."""
    n = hits.fired.shape[0]
    rule_codes = hits.action()
    x = feature_matrix(kind, features) if model is not None else None
    if model is not None and x is not None:
        margin = model.margin(x)
        score = sigmoid(margin)
        codes = np.maximum(rule_codes, model.actions(margin))
    else:
        score = np.zeros(n)
        codes = rule_codes
    codes = _fit_to_kind(kind, codes.astype(np.int8))
    d = Decided(codes, score, Sparse(), Sparse(), Sparse(), Sparse())
    p = _Patterns.of(hits)
    fired = np.flatnonzero(p.of_row >= 0)
    k = p.of_row[fired]
    d.rules.add(fired[p.has_live[k]], k[p.has_live[k]], p.lives)
    d.shadow_rules.add(fired[p.has_watch[k]], k[p.has_watch[k]], p.watches)
    alerted = np.flatnonzero(codes > 0) if explain else np.empty(0, np.int64)
    if not len(alerted):
        return d
    # Alerts a rule decided are explained by its reason and the features it reads (the
    # same for every alert of a firing pattern); the model's alone, by TreeSHAP.
    pat = p.of_row[alerted]
    ruled = (pat >= 0) & p.has_live[np.maximum(pat, 0)]
    _explain_ruled(d, hits, features, p, alerted[ruled], pat[ruled])
    alone = alerted[~ruled]
    if len(alone) and model is not None and x is not None:
        _explain_model(d, model, alone, _explain(model, x, alone, group, memo, ts))
    return d


@dataclass
class _Patterns:
    """The distinct sets of rules that fired in a batch (a blast fires the same ones), and
    what each says: its acted-on rules, shadow rules, and reason when it is static."""

    of_row: np.ndarray  # each row's pattern number, -1 if no rule fired
    lives: list[list[str]]
    watches: list[list[str]]
    static: list[list[str] | None]  # the acted-on rules' reasons, None if any has placeholders
    has_live: np.ndarray  # (patterns + 1,) bool; the last entry is for "no pattern"
    has_watch: np.ndarray

    @classmethod
    def of(cls, hits: RuleHits) -> _Patterns:
        n = hits.fired.shape[0]
        of_row = np.full(n, -1, np.int64)
        any_fired = hits.fired.any(axis=1) if hits.names else np.zeros(n, bool)
        fired_rows = np.flatnonzero(any_fired)
        patterns = np.empty((0, len(hits.names)), bool)
        if len(fired_rows):
            rows = hits.fired[fired_rows]
            if rows.shape[1] <= 62:  # one int per row's pattern: a fast unique
                bits = np.int64(1) << np.arange(rows.shape[1], dtype=np.int64)
                _, first, inverse = np.unique(
                    rows.astype(np.int64) @ bits, return_index=True, return_inverse=True
                )
                patterns = rows[first]
            else:
                patterns, inverse = np.unique(rows, axis=0, return_inverse=True)
            of_row[fired_rows] = inverse.reshape(-1)
        lives, watches, static = [], [], []
        for pattern in patterns:
            on = [j for j in hits.order if pattern[j]]
            live = [j for j in on if not hits.shadow[j]]
            lives.append([hits.names[j] for j in live])
            watches.append([hits.names[j] for j in on if hits.shadow[j]])
            statics = all(hits.rules[j].static_reason for j in live)
            static.append([hits.rules[j].reason for j in live] if statics else None)
        has_live = np.array([bool(v) for v in lives] + [False])
        has_watch = np.array([bool(v) for v in watches] + [False])
        return cls(of_row, lives, watches, static, has_live, has_watch)


def _explain_ruled(
    d: Decided,
    hits: RuleHits,
    features: Mapping[str, np.ndarray],
    p: _Patterns,
    rows: np.ndarray,
    pattern: np.ndarray,
) -> None:
    """Top features and reasons of alerts a rule decided: per firing pattern, the features
    its rules read and their static reasons; reasons with placeholders are filled per row."""
    kinds, at = np.unique(pattern, return_inverse=True)
    at = at.reshape(-1)
    tops: list[list[str]] = []
    said: list[str | None] = []
    for k in kinds.tolist():
        used = {f for r in p.lives[k] for f in hits.rules[hits.names.index(r)].features_used}
        tops.append(sorted(used)[:TOP_K])
        texts = p.static[k]
        said.append(None if texts is None else "；".join(texts))
    d.top_features.add(rows, at, tops)
    fixed = np.array([t is not None for t in said], bool)[at]
    d.reason.add(rows[fixed], at[fixed], [t or "" for t in said])
    filled = rows[~fixed]
    texts = ["；".join(hits.reasons(i, features)) for i in filled.tolist()]
    d.reason.add(filled, np.arange(len(filled)), texts)


def _explain_model(d: Decided, model: KindModel, rows: np.ndarray, packed: np.ndarray) -> None:
    """Top features and reasons of alerts the model alone decided, from their packed top
    features: each distinct top-feature set and (set, score) reason is written once."""
    sets, at = np.unique(packed, return_inverse=True)
    at = at.reshape(-1)
    tops = [[model.features[j] for j in _unpack(c)] for c in sets.tolist()]
    said = ["；".join(FEATURE_TEXT.get(f, f) for f in top) or "综合风险评分高" for top in tops]
    d.top_features.add(rows, at, tops)
    score = d.score[rows]
    if len(rows) <= _FEW_TO_SHARE:  # finding the distinct texts costs more than a few texts
        first, which = np.arange(len(rows)), np.arange(len(rows))
    else:
        pairs = np.stack([at.astype(np.int64), score.view(np.int64)], axis=1)  # same: same text
        _, first, which = np.unique(pairs, axis=0, return_index=True, return_inverse=True)
    reasons = [f"模型风险评分{score[r]:.2f}：{said[at[r]]}" for r in first.tolist()]
    d.reason.add(rows, which.reshape(-1), reasons)
