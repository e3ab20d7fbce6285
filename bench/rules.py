"""Rule evaluation: the default transfer rules over a batch of 1M events.

fraudwall compiles each rule's condition once into numpy operations over the batch. The
peer is what a Python team would write without it: each rule's condition compiled with
Python's own `compile` and evaluated once per event on a dict of that event's features
(run on a sample and scaled; both must agree on every event of the sample).
"""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np

from fraudwall.engine import FEATURES, default_rules

N_EVENTS = 1_000_000
PEER_SAMPLE = 20_000
BOOL_FEATURES = {
    "payee_on_risk_list", "payee_in_reported_case", "payer_first_to_payee",
    "payer_risky_contact_6h", "payer_international_contact_6h", "payer_on_call",
    "payer_remote_app_24h", "payer_risky_url_24h", "payer_stopped",
}  # fmt: skip


def batch(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Random but plausible transfer features: mostly ordinary, a few alarming."""
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    for name in FEATURES["transfer"]:
        if name in BOOL_FEATURES:
            out[name] = rng.random(n) < 0.05
        elif name == "amount_fen":
            out[name] = np.exp(rng.normal(10, 2, n)).astype(np.int64)
        elif name.endswith("_share_24h") or name == "payee_passthrough_24h":
            out[name] = rng.random(n)
        else:
            out[name] = rng.gamma(1.0, 30.0, n)
    return out


def run() -> dict[str, Any]:
    rules = default_rules()
    features = batch(N_EVENTS)
    t0 = time.perf_counter()
    hits = rules.evaluate("transfer", features)
    actions = hits.action()
    ours_s = time.perf_counter() - t0
    active = rules.active("transfer")
    compiled = [compile(r.when, r.name, "eval") for r in active]  # trusted, our own file
    rows = [{k: v[i].item() for k, v in features.items()} for i in range(PEER_SAMPLE)]
    t1 = time.perf_counter()
    peer = np.array([[bool(eval(c, {"abs": abs, "min": min, "max": max}, row))
                      for c in compiled] for row in rows])  # fmt: skip
    peer_s = (time.perf_counter() - t1) * N_EVENTS / PEER_SAMPLE
    agree = bool((peer == hits.fired[:PEER_SAMPLE]).all())
    return {
        "events": N_EVENTS,
        "rules": len(active),
        "events_per_s": round(N_EVENTS / ours_s),
        "peer": "per-event Python eval of the same conditions",
        "peer_events_per_s": round(N_EVENTS / peer_s),
        "ratio": round(peer_s / ours_s, 1),
        "same_answers_on_sample": agree,
        "actions_computed": int(actions.size),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
