"""Shared fixtures: simulated worlds are made once per session and reused read-only."""

from __future__ import annotations

import pytest

from fraudwall.sim import SimConfig, World, simulate

pytest_plugins = ["service_api"]  # the `service_api` fixture: a running service


@pytest.fixture(scope="session")
def default_world() -> World:
    """The demo's default world (the issue asks that every typology appear in it)."""
    return simulate(SimConfig())


@pytest.fixture(scope="session")
def many_cases_world() -> World:
    """A world with many cases and little ordinary life: for shares and demographics."""
    return simulate(SimConfig(people=40_000, days=30, seed=11, fraud_rate=400.0, activity=0.1))
