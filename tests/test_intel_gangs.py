"""Gangs and linked cases: reports tied by shared use and money, never through a hub."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from fraudwall.cli.main import app
from fraudwall.errors import InputError
from fraudwall.intel.gangs import link_cases, pairwise_f1, true_gangs
from fraudwall.sim import SimConfig, simulate, write_world

DAY = 86_400_000


def _world(hub_fans: int = 60) -> dict[str, pa.Table]:
    """Two gangs. Gang A: victims R1, R2 pay mules MA1, MA2, both run from device DA.
    Gang B: victims R3, R4 pay MB1, MB2, run from device DB. Every mule also pays the same
    big merchant M (a hub: `hub_fans` ordinary customers pay it too)."""
    rows = [
        ("T1", "V1", "MA1", 500_00, "DV1"), ("T2", "V2", "MA2", 400_00, "DV2"),
        ("T3", "V3", "MB1", 300_00, "DV3"), ("T4", "V4", "MB2", 200_00, "DV4"),
        ("T5", "MA1", "M", 100_00, "DA"), ("T6", "MA2", "M", 100_00, "DA"),
        ("T7", "MB1", "M", 100_00, "DB"), ("T8", "MB2", "M", 100_00, "DB"),
    ]  # fmt: skip
    rows += [(f"TC{i}", f"C{i}", "M", 10_00, f"DC{i}") for i in range(hub_fans)]
    transfers = pa.table(
        {
            "event_id": [r[0] for r in rows],
            "ts": [DAY + i for i in range(len(rows))],
            "from_account": [r[1] for r in rows],
            "to_account": [r[2] for r in rows],
            "amount_fen": [r[3] for r in rows],
            "device_id": [r[4] for r in rows],
        }
    )
    reports = pa.table(
        {
            "event_id": ["R1", "R2", "R3", "R4"],
            "ts": [2 * DAY] * 4,
            "transfer_ids": [["T1"], ["T2"], ["T3"], ["T4"]],
            "loss_fen": [500_00, 400_00, 300_00, 200_00],
        }
    )
    truth = pa.table(
        {
            "entity_kind": ["report"] * 4,
            "entity_id": ["R1", "R2", "R3", "R4"],
            "role": ["victim_report"] * 4,
            "gang_id": ["GA", "GA", "GB", "GB"],
        }
    )
    return {"transfers": transfers, "reports": reports, "truth": truth}


def test_two_gangs_tied_only_through_a_hub_stay_two() -> None:
    world = _world()
    found = link_cases(world, hub_degree=20)
    groups = found.group_of()
    assert groups["R1"] == groups["R2"] != groups["R3"] == groups["R4"]
    assert pairwise_f1(groups, true_gangs(world))["f1"] == 1.0
    # ranked by loss: gang A (R1, R2: ¥900) first
    assert found.gangs["gang_id"].to_pylist()[0] == groups["R1"]
    assert found.gangs["loss_fen"].to_pylist() == [900_00, 500_00]


def test_a_link_names_the_device_the_cases_share() -> None:
    found = link_cases(_world(), hub_degree=20)
    evidence = {r["case_id"]: json.loads(r["evidence"]) for r in found.case_links.to_pylist()}
    assert evidence["R1"]["shared"][0] == "device:DA"
    assert "device:DB" in evidence["R3"]["shared"]
    members = {(r["entity_kind"], r["entity_id"]) for r in found.members.to_pylist()}
    assert ("device", "DA") in members and ("account", "M") not in members  # the hub is cut


def test_pairwise_f1_worked_by_hand() -> None:
    truth = {"a": "G1", "b": "G1", "c": "G1", "d": "G2"}
    # predicted {a, b} and {c, d}: pairs said (a,b), (c,d); true (a,b), (a,c), (b,c)
    got = pairwise_f1({"a": "x", "b": "x", "c": "y", "d": "y"}, truth)
    assert (got["precision"], got["recall"]) == (0.5, round(1 / 3, 4))
    assert got["f1"] == 0.4 and got["case_pairs"] == 6
    # a case left out counts as a group of its own
    assert pairwise_f1({"a": "x", "b": "x"}, truth)["recall"] == round(1 / 3, 4)


def test_a_report_naming_an_unknown_transfer_is_refused() -> None:
    world = _world()
    world["reports"] = world["reports"].set_column(
        2, "transfer_ids", pa.array([["T1"], ["T2"], ["T3"], ["T404"]])
    )
    with pytest.raises(InputError, match="T404"):
        link_cases(world)


def test_the_gangs_command_writes_its_files_and_scores_a_simulated_world(tmp_path: Path) -> None:
    world = simulate(SimConfig(people=2_000, days=10, seed=6, fraud_rate=900.0))
    folder = write_world(world, tmp_path / "world")
    out = tmp_path / "gangs"
    done = CliRunner().invoke(app, ["gangs", str(folder), "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "pairs of cases" in done.output
    gangs = pq.read_table(out / "gangs.parquet")
    links = pq.read_table(out / "case_links.parquet")
    assert gangs.num_rows > 0 and (out / "gangs.graphml").stat().st_size > 0
    losses = gangs["loss_fen"].to_pylist()
    assert losses == sorted(losses, reverse=True)
    scores = pairwise_f1(link_cases(world.tables).group_of(), true_gangs(world.tables))
    assert scores["f1"] is not None and scores["f1"] > 0.6
    assert set(links["case_id"].to_pylist()) <= set(world.tables["reports"]["event_id"].to_pylist())
    again = CliRunner().invoke(app, ["gangs", str(folder), "--out", str(out)])
    assert again.exit_code == 2 and "--force" in again.output  # an earlier run is not lost
