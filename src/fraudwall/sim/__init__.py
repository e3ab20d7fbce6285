"""A seeded world simulator with ground truth: ordinary life, fraud, laundering."""

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
