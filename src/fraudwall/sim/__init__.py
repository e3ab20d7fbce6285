"""A seeded world simulator with ground truth: ordinary life, fraud, laundering.

`simulate(SimConfig(...))` builds a `World` (people, institutions, accounts, phones,
devices, every event, the truth of who defrauded whom); `write_world` / `read_world`
keep it as Parquet, one file per table (`WORLD_TABLES`). The same seed gives the same
world, byte for byte.
"""

from fraudwall.sim.config import SimConfig
from fraudwall.sim.world import WORLD_TABLES, World, read_world, simulate, write_world

__all__ = [
    "WORLD_TABLES",
    "SimConfig",
    "World",
    "read_world",
    "simulate",
    "write_world",
]
