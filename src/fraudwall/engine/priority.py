"""Who is most at risk now: the priority that ranks warning candidates (DESIGN §5).

The transfer model answers "is this payment fraud?"; a 96110 call needs another answer:
"is this *person* being defrauded right now?" A mule passing money on makes payments the
model rightly scores as fraud, but calling its owner warns nobody; a victim talked into
paying by a fake police officer shows it in what happened to them (a long call with a
risky number, a screen-sharing app, a payee already named in a report), not only in the
payment. So the priority is its own small model over those signals, fitted on history
with the world's truth (`fraudwall train`: a candidate is positive when its person was,
at that moment, a victim of a fraud in progress or had talked a minute or more with a
fraud number that day — `engine.warning_metrics.at_risk`).

It is a logistic regression: a dozen yes/no signals and the event's fraud score, few
enough to fit on the few thousand candidates a world has, and each weight says in plain
words why a person was ranked where they were. It implements the scorer contract:
`fit`, `score`, `explain`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: The signals of a candidate, in the order of the weights; for a call candidate (a risky
#: call the person answered and talked on) the call itself is the talk and the call in
#: progress, and the transfer signals are absent.
INPUTS: tuple[str, ...] = (
    "payer_risky_talk_24h",
    "payer_on_call",
    "payer_remote_app_24h",
    "payer_risky_app_72h",
    "payer_risky_url_24h",
    "payer_risky_contact_6h",
    "payer_international_contact_6h",
    "payee_in_reported_case",
    "payee_on_risk_list",
    "payer_first_to_payee",
    "elderly",
    "large_for_payer",
    "passes_money_on",
    "money_stopped",
    "call",
    "fraud_score",
)

INPUT_TEXT: dict[str, str] = {
    "payer_risky_talk_24h": "近24小时与高风险号码通话超过1分钟",
    "payer_on_call": "正在通话中",
    "payer_remote_app_24h": "近24小时安装了屏幕共享或远程控制软件",
    "payer_risky_app_72h": "近3天安装了索要短信或无障碍权限的应用",
    "payer_risky_url_24h": "近24小时访问过可疑网站",
    "payer_risky_contact_6h": "近6小时接到过高风险来电或短信",
    "payer_international_contact_6h": "近6小时接到过境外来电或短信",
    "payee_in_reported_case": "收款账户涉及已报案件",
    "payee_on_risk_list": "收款账户在涉诈风险名单上",
    "payer_first_to_payee": "首次向该收款人转账",
    "elderly": "60岁以上老人",
    "large_for_payer": "金额远超本人平时转账",
    "passes_money_on": "付款账户刚收到同等款项（疑似过账）",
    "money_stopped": "转账已被延迟、暂停或拦截",
    "call": "刚与高风险号码通话超过1分钟",
    "fraud_score": "诈骗风险评分高",
}

ELDERLY_AGE = 60
LARGE_RATIO = 3.0  # an amount at least this many times the payer's usual one


def transfer_inputs(
    features: Mapping[str, np.ndarray], codes: np.ndarray, scores: np.ndarray, delay_code: int
) -> np.ndarray:
    """The INPUTS of transfer candidates, from their features and decisions."""
    n = len(codes)
    x = np.zeros((n, len(INPUTS)))
    for j, name in enumerate(INPUTS[:10]):
        if name in features:
            x[:, j] = np.nan_to_num(np.asarray(features[name], np.float64)) > 0
    with np.errstate(invalid="ignore"):
        age = np.asarray(features.get("payer_age", np.full(n, np.nan)), np.float64)
        ratio = np.asarray(features.get("payer_amount_ratio", np.full(n, np.nan)), np.float64)
        x[:, INPUTS.index("elderly")] = age >= ELDERLY_AGE
        x[:, INPUTS.index("large_for_payer")] = ratio >= LARGE_RATIO
    if "payer_inflow_24h" in features and "amount_fen" in features:
        inflow = np.asarray(features["payer_inflow_24h"])
        x[:, INPUTS.index("passes_money_on")] = inflow >= np.asarray(features["amount_fen"])
    x[:, INPUTS.index("money_stopped")] = codes >= delay_code
    x[:, INPUTS.index("fraud_score")] = scores
    return x


def call_inputs(scores: np.ndarray) -> np.ndarray:
    """The INPUTS of call candidates: a conversation with a risky number, now."""
    x = np.zeros((len(scores), len(INPUTS)))
    x[:, INPUTS.index("payer_risky_talk_24h")] = 1.0
    x[:, INPUTS.index("payer_on_call")] = 1.0
    x[:, INPUTS.index("call")] = 1.0
    x[:, INPUTS.index("fraud_score")] = scores
    return x


@dataclass(frozen=True)
class CallPriority:
    """P(the candidate's person is being defrauded now), a logistic regression."""

    weights: tuple[float, ...]
    bias: float
    inputs: tuple[str, ...] = INPUTS
    trained_on: Mapping[str, Any] | None = None

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, l2: float = 1.0, rounds: int = 50) -> CallPriority:
        """Fit by Newton's method with an L2 penalty (the bias unpenalised)."""
        if x.ndim != 2 or x.shape[1] != len(INPUTS) or len(x) != len(y):
            raise ValueError(f"call priority: expected an (n, {len(INPUTS)}) matrix and n labels")
        y = np.asarray(y, np.float64)
        if not 0 < y.sum() < len(y):
            raise ValueError(
                f"call priority: needs candidates of both kinds, got {int(y.sum())} at risk of "
                f"{len(y)}"
            )
        xb = np.hstack([x, np.ones((len(x), 1))])
        penalty = np.full(xb.shape[1], l2)
        penalty[-1] = 0.0
        w = np.zeros(xb.shape[1])
        for _ in range(rounds):
            p = _sigmoid(xb @ w)
            grad = xb.T @ (p - y) + penalty * w
            hess = (xb * (p * (1 - p))[:, None]).T @ xb + np.diag(penalty)
            step = np.linalg.solve(hess, grad)
            w -= step
            if np.abs(step).max() < 1e-9:
                break
        trained = {"candidates": len(y), "at_risk": int(y.sum())}
        return cls(tuple(float(v) for v in w[:-1]), float(w[-1]), INPUTS, trained)

    @classmethod
    def neutral(cls) -> CallPriority:
        """A priority that ranks nobody high: no 96110 calls until one is fitted."""
        return cls(tuple(0.0 for _ in INPUTS), -10.0)

    def score(self, x: np.ndarray) -> np.ndarray:
        """The priority of each row of inputs, 0..1."""
        if not len(x):
            return np.zeros(0)
        return _sigmoid(x @ np.asarray(self.weights) + self.bias)

    def explain(self, x: np.ndarray, top: int = 3) -> list[list[str]]:
        """Per row, the inputs that raised its priority most (in plain Chinese)."""
        parts = x * np.asarray(self.weights)
        out = []
        for row in parts:
            best = [int(j) for j in np.argsort(-row)[:top] if row[j] > 0]
            out.append([INPUT_TEXT[self.inputs[j]] for j in best])
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "inputs": list(self.inputs),
            "weights": list(self.weights),
            "bias": self.bias,
            "trained_on": dict(self.trained_on or {}),
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], source: str = "model") -> CallPriority:
        """A priority as `to_dict` wrote it; anything else is refused, naming the field."""
        if not isinstance(doc, Mapping) or tuple(doc.get("inputs") or ()) != INPUTS:
            raise ValueError(
                f"{source}: the call priority was fitted on other signals than this engine "
                "gives; train the model again with `fraudwall train`"
            )
        try:
            weights = tuple(float(w) for w in doc["weights"])
            bias = float(doc["bias"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{source}: call_priority: weights and bias must be numbers") from exc
        if len(weights) != len(INPUTS):
            raise ValueError(f"{source}: the call priority has {len(weights)} weights")
        if not np.isfinite([*weights, bias]).all():
            raise ValueError(f"{source}: call_priority: a weight or the bias is not finite")
        trained = doc.get("trained_on")
        return cls(weights, bias, INPUTS, trained if isinstance(trained, Mapping) else None)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def stack(parts: Sequence[np.ndarray]) -> np.ndarray:
    """Candidates' inputs from several batches as one matrix."""
    return np.concatenate(parts) if parts else np.zeros((0, len(INPUTS)))
