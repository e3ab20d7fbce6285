"""A seeded world simulator with ground truth: ordinary life, fraud, laundering.

`simulate(SimConfig(...))` builds a `World` (people, institutions, accounts, phones,
devices, every event, the truth of who defrauded whom); `write_world` / `read_world`
keep it as Parquet, one file per table (`WORLD_TABLES`), with a manifest that lets every
reader refuse a mixed or damaged world (`verify_world` checks every byte). The same seed
gives the same world, byte for byte. `SimConfig(script_drift=True)` makes new fraud
scripts start during the period (`sim.scripts`; their truth is the `scripts` table).
"""

from fraudwall.sim.config import MAX_DAYS, MAX_PEOPLE, MAX_SEED, SimConfig
from fraudwall.sim.memory import check_memory, estimate_peak_bytes
from fraudwall.sim.scripts import MIN_DRIFT_DAYS, check_drift
from fraudwall.sim.world import WORLD_TABLES, World, simulate
from fraudwall.sim.worldfiles import (
    WorldVerdict,
    check_world_folder,
    read_world,
    verify_world,
    write_world,
)

__all__ = [
    "MAX_DAYS",
    "MAX_PEOPLE",
    "MAX_SEED",
    "MIN_DRIFT_DAYS",
    "WORLD_TABLES",
    "SimConfig",
    "World",
    "WorldVerdict",
    "check_drift",
    "check_memory",
    "check_world_folder",
    "estimate_peak_bytes",
    "read_world",
    "simulate",
    "verify_world",
    "write_world",
]
