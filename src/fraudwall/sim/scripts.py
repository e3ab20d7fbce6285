"""Which script writes each fraud SMS (the `scripts` table and `Truth.script_id`).

Every fraud type texts with its base scripts from the world's start. With
`SimConfig.script_drift`, the scripts of `texts.drift` start during the period, each at
its own time (none in the last two days): a gang of the matching type adopts it (the
first gang to text the type after its start, others by chance within a day), after which a
growing share of that gang's texts of the type come from it.

Drift draws from a random stream of its own, so turning it on changes which texts are
sent and nothing else: the same people, events, times and ground truth, other words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fraudwall.errors import InputError
from fraudwall.model import DAY_MS, HOUR_MS, FraudType, ScriptKind
from fraudwall.sim.config import CASE_SHARES, SimConfig
from fraudwall.sim.state import SimState
from fraudwall.sim.texts.drift import DRIFT_SCRIPTS, DriftScript, drift_sms
from fraudwall.sim.texts.fraudsms import base_script_ids, fraud_sms_scripts

#: Base texts drawn per fraud type, and per drift script.
BASE_POOL = 250
DRIFT_POOL = 150
#: The seed of drift's own random stream is (world seed, DRIFT_STREAM).
DRIFT_STREAM = 0x5C819
#: A gang that is not the first to adopt a script does so with this chance...
ADOPT_CHANCE = 0.8
#: ... within this long of its start.
ADOPT_WITHIN_MS = DAY_MS
#: A script's share starts at half its peak (a new script comes in a burst) and grows to
#: its peak over this long.
RAMP_MS = 2 * DAY_MS
#: Drift scripts together never write more than this share of a gang's texts of a type.
MAX_DRIFT_SHARE = 0.85
#: Days a world needs for drift: every script starts before the last two days.
MIN_DRIFT_DAYS = 4


def check_drift(config: SimConfig) -> None:
    """Refuse script drift in a world too short for scripts to start and spread."""
    if config.script_drift and config.days < MIN_DRIFT_DAYS:
        raise InputError(
            "--script-drift",
            f"needs --days {MIN_DRIFT_DAYS} or more, got {config.days} "
            "(new scripts start before the last 2 days of a world)",
        )


def drift_start_ts(script: DriftScript, config: SimConfig) -> int:
    """When a drift script may first be sent: its share of the days before the last two,
    on the hour."""
    offset = int(script.start * (config.days - 2) * DAY_MS) // HOUR_MS * HOUR_MS
    return config.start_ts + offset


@dataclass
class _Drift:
    """A drift script in play: its code, start, peak share and text pool."""

    code: int
    start_ts: int
    peak: float
    pool: np.ndarray  # text codes


class ScriptBook:
    """The world's scripts and the choice of each fraud SMS's text among them."""

    def __init__(self, st: SimState, rng: np.random.Generator) -> None:
        cfg = st.cfg
        check_drift(cfg)
        self.st = st
        code: dict[str, int] = {}
        for ft in FraudType:
            for sid in base_script_ids(ft):
                code[sid] = self._add(sid, ft, sid, ScriptKind.BASE, cfg.start_ts, "base script")
        self.pool: dict[FraudType, np.ndarray] = {}
        self.pool_script: dict[FraudType, np.ndarray] = {}
        # the same draws from the world's stream as before scripts were recorded
        for ft in CASE_SHARES:  # the fraud planting's order of types
            texts, which = fraud_sms_scripts(ft, rng, BASE_POOL)
            self.pool[ft] = st.texts.intern(texts)
            ids = base_script_ids(ft)
            self.pool_script[ft] = np.array([code[ids[i]] for i in which], dtype=np.int64)
        self.drift: dict[FraudType, list[_Drift]] = {}
        self.drift_rng: np.random.Generator | None = None
        self.adopted: dict[tuple[int, int], int | None] = {}
        self.started: set[int] = set()  # drift scripts some gang has taken up
        if cfg.script_drift:
            self.drift_rng = np.random.default_rng([cfg.seed, DRIFT_STREAM])
            for s in DRIFT_SCRIPTS:
                start = drift_start_ts(s, cfg)
                c = self._add(s.script_id, s.fraud_type, s.family_id, s.kind, start, s.topic)
                pool = st.texts.intern(drift_sms(s, self.drift_rng, DRIFT_POOL))
                self.drift.setdefault(s.fraud_type, []).append(_Drift(c, start, s.peak, pool))

    def _add(
        self, sid: str, ft: FraudType, family: str, kind: ScriptKind, start: int, topic: str
    ) -> int:
        self.st.scripts.append({
            "script_id": sid, "fraud_type": ft, "family_id": family, "kind": kind,
            "start_ts": start, "topic": topic,
        })  # fmt: skip
        return len(self.st.scripts) - 1

    def choose(
        self, gang: int, ft: FraudType, ts: np.ndarray, base_pick: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Text codes and script codes of a gang's SMS of a type sent at `ts`.

        `base_pick` indexes the base pool (drawn by the caller from the world's stream);
        with drift, an SMS may come from an adopted drift script instead."""
        text = self.pool[ft][base_pick]
        script = self.pool_script[ft][base_pick]
        active = self.drift.get(ft)
        if not active or self.drift_rng is None or not len(ts):
            return text, script
        rng = self.drift_rng
        share = np.zeros((len(active), len(ts)))
        latest = int(ts.max())
        for j, d in enumerate(active):
            since = self._adoption(gang, d, latest)
            if since is None:
                continue
            grown = np.clip(0.5 + 0.5 * (ts - since) / RAMP_MS, 0.0, 1.0)
            share[j] = np.where(ts >= since, d.peak * grown, 0.0)
        total = share.sum(axis=0)
        over = total > MAX_DRIFT_SHARE
        if over.any():
            share[:, over] *= MAX_DRIFT_SHARE / total[over]
        cum = np.cumsum(share, axis=0)
        u = rng.random(len(ts))
        which = (u[None, :] >= cum).sum(axis=0)  # len(active) means a base script
        text, script = text.copy(), script.copy()
        for j, d in enumerate(active):
            sel = np.flatnonzero(which == j)
            if len(sel):
                text[sel] = d.pool[rng.integers(0, len(d.pool), len(sel))]
                script[sel] = d.code
        return text, script

    def _adoption(self, gang: int, d: _Drift, latest: int) -> int | None:
        """When a gang takes a drift script up (None: not, or not yet asked after its
        start). Decided once, the first time the gang texts after the script's start: the
        first gang to do so takes it up at the start, any other by chance, within days."""
        key = (gang, d.code)
        if key in self.adopted:
            return self.adopted[key]
        if latest < d.start_ts:
            return None
        rng = self.drift_rng
        assert rng is not None
        since: int | None = None
        if d.code not in self.started:
            since = d.start_ts
        elif rng.random() < ADOPT_CHANCE:
            since = d.start_ts + int(rng.integers(0, ADOPT_WITHIN_MS))
        if since is not None:
            self.started.add(d.code)
        self.adopted[key] = since
        return since
