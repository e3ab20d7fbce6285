"""Knobs of the world simulator. Defaults give the demo's small city."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from fraudwall.model import DAY_MS, FraudType

#: Local midnight, Monday 2 March 2026, China Standard Time (UTC+8), in ms UTC.
DEFAULT_START_TS = 1_772_380_800_000

#: Share of cases by fraud type (DESIGN §2: the ten make up ~88%; rebate about a third).
CASE_SHARES: dict[FraudType, float] = {
    FraudType.REBATE: 0.33,
    FraudType.INVESTMENT: 0.08,
    FraudType.LOAN: 0.08,
    FraudType.SHOPPING: 0.08,
    FraudType.CUSTOMER_SERVICE: 0.07,
    FraudType.CREDIT: 0.05,
    FraudType.BOSS: 0.05,
    FraudType.POLICE: 0.05,
    FraudType.ROMANCE: 0.05,
    FraudType.GAME: 0.04,
    FraudType.OTHER: 0.12,
}


#: The largest world the simulator is meant for (memory decides first: `sim.memory`).
MAX_PEOPLE = 50_000_000
MAX_DAYS = 366
#: Seeds are int64 in the manifest and in every tool that reads it (numpy takes any >= 0).
MAX_SEED = 2**63 - 1


class SimConfig(msgspec.Struct, frozen=True, kw_only=True):
    """A world: its size, its seed and how much fraud happens in it."""

    people: Annotated[int, Meta(ge=100, le=MAX_PEOPLE)] = 20_000
    days: Annotated[int, Meta(ge=1, le=MAX_DAYS)] = 30
    seed: Annotated[int, Meta(ge=0, le=MAX_SEED)] = 7
    start_ts: Annotated[int, Meta(ge=0)] = DEFAULT_START_TS
    #: Fraud cases per 10,000 people per 30 days. Real rates are far lower; the simulator
    #: plants more so that detectors have enough cases to learn and be measured on.
    fraud_rate: Annotated[float, Meta(ge=0.0, le=10_000.0)] = 60.0
    #: Share of victims who report to the police (within the simulated window).
    report_share: Annotated[float, Meta(ge=0.0, le=1.0)] = 0.7
    #: Scale of ordinary activity (1.0 = calibrated rates; lower for quick tests).
    activity: Annotated[float, Meta(gt=0.0, le=10.0)] = 1.0
    #: New fraud scripts (families and variants of old ones) start during the period
    #: (`sim.scripts`); off, every fraud SMS comes from its type's base scripts.
    script_drift: bool = False

    @property
    def end_ts(self) -> int:
        return self.start_ts + self.days * DAY_MS

    def expected_cases(self) -> float:
        return self.fraud_rate * self.people / 10_000 * self.days / 30
